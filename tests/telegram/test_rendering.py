"""Reply -> Telegram HTML: escaping, structure, splitting at 4096 characters, 64-byte callback data."""

from __future__ import annotations

import pytest

from bot.messages import Button, Link, Reply
from handlers.telegram import MAX_CHARS, NO_PREVIEW, keyboard, render, telegram_length
from tests.telegram.standin import html_problem


def test_structure_title_steps_sources_footer():
    reply = Reply(
        title="Ausbildung",
        text="Erster Absatz.\n\nZweiter Absatz.",
        steps=("Vertrag", "Antrag"),
        links=(Link("BA", "https://www.arbeitsagentur.de/x?a=1&b=2"),),
        footer="Stand: 01.01.2026",
        meta={"lang": "de"},
    )
    [part] = render(reply, "de")
    assert part.text == (
        "<b>Ausbildung</b>\n\nErster Absatz.\n\nZweiter Absatz.\n\n<b>So geht's</b>\n1. Vertrag\n2. Antrag\n\n"
        '<b>Quellen</b>\n• <a href="https://www.arbeitsagentur.de/x?a=1&amp;b=2">BA</a>\n\n<i>Stand: 01.01.2026</i>'
    )
    assert part.keyboard is None


def test_everything_supplied_is_escaped():
    evil = '<script>alert("x")</script> & <b>bold</b>'
    reply = Reply(title=evil, text=evil, steps=(evil,), links=(Link(evil, 'https://x.example/"><b>'),), footer=evil)
    [part] = render(reply, "en")
    assert "<script>" not in part.text and "&lt;script&gt;" in part.text
    assert html_problem(part.text) is None  # Telegram's HTML parser would accept it
    assert 'href="https://x.example/&quot;&gt;&lt;b&gt;"' in part.text


def test_a_replys_buttons_become_an_inline_keyboard_row_by_row():
    reply = Reply(
        "x",
        buttons=(
            (Button("👍", "fb:u:a.b:1"), Button("👎 <&>", "fb:d:a.b:1")),
            (Button("Ask a person", "human:authority"),),
        ),
    )
    markup = keyboard(reply)
    assert markup.to_dict() == {
        "inline_keyboard": [
            [{"text": "👍", "callback_data": "fb:u:a.b:1"}, {"text": "👎 <&>", "callback_data": "fb:d:a.b:1"}],
            [{"text": "Ask a person", "callback_data": "human:authority"}],
        ]
    }
    assert NO_PREVIEW.to_dict() == {"is_disabled": True}


def test_a_reply_that_fits_is_one_message_and_one_just_over_the_limit_is_two():
    fits = Reply("a" * (MAX_CHARS - 20) + "\n\n" + "b" * 10)
    assert [p.text for p in render(fits, "de")] == ["a" * (MAX_CHARS - 20) + "\n\n" + "b" * 10]
    over = Reply("a" * (MAX_CHARS - 20) + "\n\n" + "😀" * 12)  # 12 emoji are 24 units: 4 over
    assert [p.text for p in render(over, "de")] == ["a" * (MAX_CHARS - 20), "😀" * 12]


def test_links_that_are_not_web_addresses_are_plain_text():
    [part] = render(Reply("x", links=(Link("Mail", "mailto:a@b.example"),)), "en")
    assert "<a " not in part.text and "Mail: mailto:a@b.example" in part.text


def test_long_reply_is_split_at_paragraphs_with_buttons_on_the_last_part():
    paragraphs = [f"Absatz {n}: " + "Wort " * 150 for n in range(12)]  # about 9,000 characters
    reply = Reply("\n\n".join(paragraphs), title="Lang", buttons=((Button("👍", "fb:u:a.b:1"),),))
    parts = render(reply, "de")
    assert len(parts) == 3
    assert all(telegram_length(p.text) <= MAX_CHARS for p in parts)
    assert [p.keyboard is not None for p in parts] == [False, False, True]
    for part in parts:  # every cut is between paragraphs: each part starts with one
        assert part.text.startswith(("<b>Lang</b>", "Absatz"))
        assert html_problem(part.text) is None
    assert "".join(p.text for p in parts).count("Absatz") == 12


def test_one_enormous_paragraph_is_cut_between_words_and_tags_stay_closed():
    reply = Reply(title="T" * 5000 + " & <x>", text="&" * 9000)  # escaping makes it five times longer
    parts = render(reply, "de")
    assert all(telegram_length(p.text) <= MAX_CHARS and html_problem(p.text) is None for p in parts)
    assert sum(p.text.count("&amp;") for p in parts) == 9001


def test_length_counts_emoji_twice_as_telegram_does():
    parts = render(Reply("😀" * 3000), "de")
    assert len(parts) == 2 and all(telegram_length(p.text) <= MAX_CHARS for p in parts)


def test_callback_data_longer_than_64_bytes_is_refused():
    ok = Reply("x", buttons=((Button("ok", "faq:" + "ä" * 30),),))  # 4 + 60 bytes
    assert keyboard(ok).inline_keyboard[0][0].callback_data == "faq:" + "ä" * 30
    with pytest.raises(ValueError, match="64 bytes"):
        keyboard(Reply("x", buttons=((Button("too long", "faq:" + "ä" * 31),),)))


def test_every_faq_answer_renders_within_telegram_limits(shared_core):
    faq = shared_core.knowledge.current.faq
    for lang in ("de", "en"):
        for topic in faq.topics.values():
            reply = shared_core.dialogue.render_topic(topic, lang, decision_id=2_147_483_647)
            for part in render(reply, lang):
                assert telegram_length(part.text) <= MAX_CHARS and html_problem(part.text) is None, topic.id
            assert all(len(p.encode()) <= 64 for p in reply.button_payloads()), topic.id
