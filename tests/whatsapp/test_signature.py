"""The webhook's checks: known-answer HMAC, raw bytes only, the GET handshake."""

from __future__ import annotations

import json

from handlers.whatsapp.signature import Verdict, challenge, sign, verify


def test_known_answer_vector():
    assert sign(b"test", "secret") == "sha256=0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914"


def test_raw_bytes_verify_and_reserialised_json_does_not():
    raw = '{"text": "Grüße 🙂"}'.encode()
    header = sign(raw, "app-secret")
    assert verify(raw, header, "app-secret") is Verdict.OK
    assert verify(json.dumps(json.loads(raw)).encode(), header, "app-secret") is Verdict.WRONG
    assert verify(raw, None, "app-secret") is Verdict.MISSING
    assert verify(raw, sign(raw, "other"), "app-secret") is Verdict.WRONG


def test_handshake():
    good = {"hub.mode": "subscribe", "hub.verify_token": "vt", "hub.challenge": "1158201444"}
    assert challenge(good, "vt") == "1158201444"
    assert challenge(good | {"hub.verify_token": "nope"}, "vt") is None
    assert challenge(good | {"hub.mode": "unsubscribe"}, "vt") is None
    assert challenge({}, "vt") is None
