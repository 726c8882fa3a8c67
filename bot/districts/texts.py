"""What the bot says about districts, in German and English (beside bot/texts.py, same shape)."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "district_ask": {
        "de": "Lotse arbeitet für mehrere Landkreise und Städte. Für welchen fragen Sie? Dann nenne ich Ihnen "
        "die richtigen Ansprechpersonen vor Ort.",
        "en": "Lotse serves several districts and cities. Which one are you asking for? Then I can name the "
        "right local contacts.",
    },
    "district_ask_first": {
        "de": "Bevor ich antworte: Für welchen Landkreis oder welche Stadt fragen Sie?",
        "en": "Before I answer: which district or city are you asking for?",
    },
    "district_current": {"de": "Aktuell: {name}.", "en": "Currently: {name}."},
    "district_set": {
        "de": "Sie fragen für: {name}. Ändern können Sie das jederzeit mit /district.",
        "en": "You are asking for: {name}. You can change this any time with /district.",
    },
    "district_ask_again": {
        "de": "Stellen Sie jetzt gern Ihre Frage.",
        "en": "Please ask your question now.",
    },
    "district_help": {"de": " · /district Landkreis oder Stadt wählen", "en": " · /district choose your district"},
    "district_single": {
        "de": "Lotse arbeitet hier für einen Landkreis; es gibt nichts zu wählen.",
        "en": "Lotse serves one district here; there is nothing to choose.",
    },
}


def dt(key: str, lang: str, **values: str) -> str:
    text = TEXTS[key]["en" if lang == "en" else "de"]
    return text.format(**values) if values else text
