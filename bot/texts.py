"""What the bot says around the FAQ answers, in German and English."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "greeting": {
        "de": "Guten Tag! Ich bin Lotse, der Assistent des regionalen Arbeitgebernetzwerks. Ich beantworte "
              "Fragen zur Beschäftigung von Geflüchteten und Zugewanderten: Arbeitserlaubnis, Aufenthaltsstatus, "
              "Ausbildung, Fachkräfteeinwanderung, Anerkennung und Förderung. Einzelfälle gebe ich an die "
              "Ausländerbehörde oder die Netzwerkkoordination weiter.\n\nSchreiben Sie Ihre Frage einfach in den Chat.",
        "en": "Hello! I am Lotse, the assistant of the regional employer network. I answer questions about "
              "employing refugees and migrants: work permits, residence status, training, skilled immigration, "
              "recognition of qualifications and subsidies. Individual cases go to the foreigners' authority or "
              "the network coordinator.\n\nJust type your question.",
    },
    "privacy_short": {
        "de": "Datenschutz: Ich speichere Ihre Fragen, um Antworten zu verbessern; nichts geht ohne Ihre "
              "Zustimmung an Dritte. Mehr: /privacy",
        "en": "Privacy: I store your questions to improve the answers; nothing goes to third parties without "
              "your consent. More: /privacy",
    },
    "privacy": {
        "de": "Was mit Ihren Daten geschieht:\n\n• Gespeichert werden Ihre Fragen, die gewählte Sprache, wie "
              "Lotse entschieden hat und Ihre Bewertungen, damit das Netzwerk die Antworten verbessern kann.\n"
              "• Nennen Sie bitte keine Namen oder Ausweisdaten Ihrer Beschäftigten, solange niemand Ihren Fall "
              "bearbeiten muss.\n• An Dritte geht nichts, außer Sie stimmen der Weitergabe an die zuständige Stelle "
              "ausdrücklich zu.\n• Daten werden nach Ablauf der Aufbewahrungsfrist gelöscht.",
        "en": "What happens to your data:\n\n• Lotse stores your questions, the chosen language, how it decided "
              "and your ratings, so that the network can improve the answers.\n• Please do not give names or ID "
              "details of employees unless someone has to work on your case.\n• Nothing goes to third parties "
              "unless you explicitly agree to pass your question to the responsible office.\n• Data is deleted "
              "when the retention period ends.",
    },
    "help": {
        "de": "So funktioniert Lotse:\n\n• Stellen Sie Ihre Frage in eigenen Worten, z. B. „Darf jemand mit "
              "Duldung bei uns eine Ausbildung machen?“\n• Tippen Sie auf die Knöpfe unter den Antworten, um "
              "Themen zu vertiefen oder zu bewerten.\n• Für Einzelfälle vermittle ich an eine Person.\n\n"
              "Befehle: /topics Themen durchsuchen · /lang Sprache · /privacy Datenschutz · /help Hilfe",
        "en": "How Lotse works:\n\n• Ask in your own words, e.g. \"May someone with a Duldung do an "
              "apprenticeship with us?\"\n• Tap the buttons under an answer to explore related topics or rate "
              "it.\n• For individual cases I put you in touch with a person.\n\n"
              "Commands: /topics browse topics · /lang language · /privacy privacy · /help help",
    },
    "choose_language": {"de": "Welche Sprache möchten Sie?", "en": "Which language would you like?"},
    "language_set": {"de": "Ich antworte jetzt auf Deutsch.", "en": "I will answer in English now."},
    "areas": {"de": "Wählen Sie einen Bereich:", "en": "Choose an area:"},
    "area_topics": {"de": "Themen im Bereich „{area}“:", "en": "Topics in \"{area}\":"},
    "clarify": {"de": "Meinten Sie eines dieser Themen?", "en": "Did you mean one of these topics?"},
    "rephrase": {
        "de": "Das habe ich leider nicht verstanden. Können Sie die Frage anders formulieren? "
              "Sie können auch unter /topics stöbern oder eine Person fragen.",
        "en": "Sorry, I did not understand that. Could you rephrase the question? "
              "You can also browse /topics or ask a person.",
    },
    "none_of_these": {"de": "Nichts davon – Person fragen", "en": "None of these – ask a person"},
    "ask_person": {"de": "Person fragen", "en": "Ask a person"},
    "helpful": {"de": "Hilfreich?", "en": "Helpful?"},
    "feedback_thanks_up": {"de": "Danke für Ihre Rückmeldung!", "en": "Thank you for your feedback!"},
    "feedback_thanks_down": {
        "de": "Danke, das hilft uns, die Antwort zu verbessern. Möchten Sie eine Person fragen?",
        "en": "Thank you, that helps us improve the answer. Would you like to ask a person?",
    },
    "reviewed": {"de": "Stand: {date}", "en": "Last reviewed: {date}"},
    "individual_case": {
        "de": "Ihr Einzelfall: {contact}",
        "en": "Your individual case: {contact}",
    },
    "sources": {"de": "Quellen", "en": "Sources"},
    "steps": {"de": "So geht's", "en": "Step by step"},
    "related": {"de": "Verwandte Themen", "en": "Related topics"},
    "handover_authority": {
        "de": "Das klingt nach einem Einzelfall, den nur die Ausländerbehörde prüfen und entscheiden kann.",
        "en": "This sounds like an individual case that only the foreigners' authority can check and decide.",
    },
    "handover_coordinator": {
        "de": "Dabei hilft Ihnen am besten eine Person aus dem regionalen Netzwerk weiter.",
        "en": "A person from the regional network is the best help for this.",
    },
    "handover_direct": {
        "de": "Lotse kann Fragen noch nicht selbst weiterleiten. Bitte wenden Sie sich direkt an: {contact}",
        "en": "Lotse cannot pass questions on by itself yet. Please contact directly: {contact}",
    },
    "out_of_scope": {
        "de": "Dafür bin ich leider nicht zuständig. Ich helfe bei Fragen zur Beschäftigung von Geflüchteten "
              "und Zugewanderten: Arbeitserlaubnis, Aufenthaltsstatus, Ausbildung, Fachkräfteeinwanderung, "
              "Anerkennung und Förderung. Stöbern Sie unter /topics.",
        "en": "Sorry, that is not my field. I help with questions about employing refugees and migrants: work "
              "permits, residence status, training, skilled immigration, recognition and subsidies. "
              "Browse /topics.",
    },
    "smalltalk": {
        "de": "Gern! Fragen Sie mich einfach, was Sie zur Beschäftigung von Geflüchteten wissen möchten.",
        "en": "You're welcome! Just ask me what you would like to know about employing refugees.",
    },
    "type_your_question": {
        "de": "Bilder, Sprachnachrichten und Dateien kann ich leider nicht lesen. Bitte schreiben Sie Ihre "
              "Frage als Text. Bitte senden Sie keine Ausweisdokumente.",
        "en": "I cannot read pictures, voice messages or files. Please type your question. Please do not send "
              "identity documents.",
    },
    "empty": {"de": "Bitte schreiben Sie Ihre Frage.", "en": "Please type your question."},
    "too_long": {
        "de": "Ihre Nachricht ist sehr lang ({length} Zeichen). Bitte fassen Sie Ihre Frage in höchstens "
              "{limit} Zeichen zusammen.",
        "en": "Your message is very long ({length} characters). Please put your question in at most "
              "{limit} characters.",
    },
    "unknown_command": {
        "de": "Diesen Befehl kenne ich nicht. /help zeigt, was ich kann.",
        "en": "I don't know that command. /help shows what I can do.",
    },
    "unknown_button": {
        "de": "Dieser Knopf ist nicht mehr gültig. Stellen Sie Ihre Frage gern noch einmal.",
        "en": "This button is no longer valid. Please ask your question again.",
    },
}


def t(key: str, lang: str, **values: str) -> str:
    text = TEXTS[key]["en" if lang == "en" else "de"]
    return text.format(**values) if values else text
