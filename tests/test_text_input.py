"""The input edge's three functions (bot/text_input.py), as a table."""

from __future__ import annotations

import argparse

import pytest

from bot.text_input import (
    MAX_ID,
    JsonTooDeep,
    clean_payload,
    clean_text,
    json_depth,
    load_json,
    parse_id,
)
from bot.tickets.cli import ticket_number


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("Hallo", "Hallo"),
        ("a\x00b", "ab"),
        ("tab\tand\nnewline", "tab\tand\nnewline"),
        ("cr\r\nlf\rx", "cr\nlf\nx"),
        ("\x1b[31mrot\x7f", "[31mrot"),
        ("kaputt \udcff", "kaputt \ufffd"),
        (None, ""),
        (12, "12"),
        ("عربى 👩🏽‍🔧 \u202e", "عربى 👩🏽‍🔧 \u202e"),  # text in any script stays as it is
    ],
)
def test_clean_text(raw, cleaned):
    assert clean_text(raw) == cleaned


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("12", 12),
        ("#12", 12),
        (" 7 ", 7),
        (12, 12),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),
        ("99999999999999999999", None),
        ("0", None),
        ("-1", None),
        ("١٢", None),
        ("1e3", None),
        ("", None),
        (None, None),
        (True, None),
        (2**63, None),
        ("12\x00", None),
    ],
)
def test_parse_id(raw, number):
    assert parse_id(raw) == number


def test_load_json_refuses_deep_nesting_but_not_brackets_in_strings():
    assert load_json('{"text": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", "a": [1, {"b": 2}]}')["a"] == [1, {"b": 2}]
    assert json_depth('{"a": "}}}", "b": [[1]]}') == 3
    for body in ("[" * 21 + "]" * 21, '{"a":' * 30 + "1" + "}" * 30, "[" * 100_000):
        with pytest.raises(JsonTooDeep):
            load_json(body)
    with pytest.raises(ValueError):
        load_json(b'{"text": "\xff"}')


def test_ticket_numbers_on_the_command_line_are_bounded():
    assert ticket_number("#12") == 12
    with pytest.raises(argparse.ArgumentTypeError):
        ticket_number("99999999999999999999")


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("fb:u:network.about:12", "fb:u:network.about:12"),
        ("fb:u:network.about:0", "fb:u:network.about:0"),
        ("fb:d:network.about:99999999999999999999", "forged"),
        ("tk:2147483648:solved", "forged"),
        ("tk:١٢:solved", "forged"),
        ("ho:consent", "ho:consent"),
        ("x" * 300, "x" * 200),
        ("tk:1\x00:solved", "tk:1:solved"),
    ],
)
def test_clean_payload(raw, cleaned):
    assert clean_payload(raw) == cleaned
