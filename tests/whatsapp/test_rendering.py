"""Rendering a turn into WhatsApp messages: formatting, escaping, limits and the form of choices."""

from __future__ import annotations

import pytest

from bot.config import WhatsAppLimits
from bot.messages import Button, Link, Reply
from bot.texts import t
from handlers.whatsapp.render import escape, pack, render_turn
from tests.whatsapp.standin import _limit_problem


def sendable(outgoing) -> dict:
    return {"messaging_product": "whatsapp", "to": "4915112345678", **outgoing.body}


def test_formatting_title_steps_sources_footer():
    reply = Reply(
        "Erster Absatz.\n\nZweiter.",
        title="Blaue Karte",
        steps=("Antrag", "Termin"),
        links=(Link("§ 18g AufenthG", "https://www.gesetze-im-internet.de/aufenthg_2004/__18g.html"),),
        footer="Stand: 01.12.2026",
    )
    [message] = render_turn([reply], "de")
    assert message.body["text"]["body"] == (
        f"*Blaue Karte*\n\nErster Absatz.\n\nZweiter.\n\n*{t('steps', 'de')}*\n1. Antrag\n2. Termin\n\n"
        f"*{t('sources', 'de')}*\n• § 18g AufenthG: https://www.gesetze-im-internet.de/aufenthg_2004/__18g.html\n\n"
        "_Stand: 01.12.2026_"
    )
    assert message.body["text"]["preview_url"] is False


def test_an_employers_stars_and_underscores_never_format_but_urls_stay_exact():
    assert escape("Mitarbeiter*innen _wichtig_ ~alt~ `code`") == "Mitarbeiter∗innen ＿wichtig＿ ∼alt∼ ˋcodeˋ"
    assert escape("siehe https://example.org/a_b*c und _x_") == "siehe https://example.org/a_b*c und ＿x＿"
    [message] = render_turn([Reply("a", title="*fett*")], "de")
    assert message.body["text"]["body"].startswith("*∗fett∗*")


@pytest.mark.parametrize(("count", "form"), [(1, "button"), (3, "button"), (4, "list"), (10, "list"), (11, "text")])
def test_choices_become_buttons_a_list_or_numbered_text(count, form):
    buttons = tuple((Button(f"Wahl {n}", f"faq:t{n}"),) for n in range(count))
    [message] = render_turn([Reply("Worum geht es?", buttons=buttons)], "de")
    assert _limit_problem(sendable(message)) is None
    if form == "text":
        assert message.kind == "text" and message.choices == [f"faq:t{n}" for n in range(count)]
        assert message.body["text"]["body"].endswith(f"{count}. Wahl {count - 1}\n\nAntworten Sie mit 1–{count}.")
    else:
        assert message.body["interactive"]["type"] == form and message.choices == []


def test_long_labels_make_a_list_with_the_full_label_as_description():
    long = "Aufenthaltserlaubnis für Fachkräfte mit Berufsausbildung"
    [message] = render_turn([Reply("Meinten Sie?", buttons=((Button(long, "faq:a"),), (Button("Nein", "x"),)))], "de")
    [row, _] = message.body["interactive"]["action"]["sections"][0]["rows"]
    assert len(row["title"]) == 24 and row["title"].endswith("…") and row["description"] == long
    assert _limit_problem(sendable(message)) is None


def test_duplicate_labels_are_no_reply_buttons():
    [message] = render_turn([Reply("?", buttons=((Button("Ja", "a"), Button("Ja", "b")),))], "de")
    assert message.body["interactive"]["type"] == "list"


def test_a_turn_is_one_message_when_it_fits():
    messages = render_turn(
        [Reply("Hallo!"), Reply("Sprache?", buttons=((Button("Deutsch", "lang:de"), Button("English", "lang:en")),))],
        "de",
    )
    [message] = messages
    assert message.body["interactive"]["body"]["text"] == "Hallo!\n\nSprache?"


def test_long_texts_are_cut_within_the_limits():
    limits = WhatsAppLimits()
    text = "\n\n".join("Absatz " + "wort " * 300 for _ in range(5))
    messages = render_turn([Reply(text, buttons=((Button("👍", "fb:u:x:0"),),))], "de")
    assert all(_limit_problem(sendable(m)) is None for m in messages)
    assert all(len(m.body.get("text", {}).get("body", "")) <= limits.text for m in messages)
    # Cut between paragraphs: three texts of two, two and one paragraph, then the choice.
    assert messages[-1].body["type"] == "interactive" and len(messages) == 4
    assert pack(["x" * 5000], 4096) == ["x" * 4096, "x" * 904]


def test_an_over_long_button_id_is_refused_before_sending():
    with pytest.raises(ValueError, match="button id"):
        render_turn([Reply("?", buttons=((Button("a", "x" * 257),),))], "de")
