"""Meta's webhook checks: the GET handshake and X-Hub-Signature-256 over the raw body bytes.

Never verify re-serialised JSON: Meta signs the bytes it sent, and json.dumps writes umlauts and
emoji differently (tawn33y/whatsapp-cloud-api#60, Secreto31126/whatsapp-api-js#290).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from enum import StrEnum

HEADER = "X-Hub-Signature-256"


class Verdict(StrEnum):
    OK = "ok"
    MISSING = "missing"  # 401
    WRONG = "wrong"  # 403


def sign(body: bytes, secret: str) -> str:
    """The header value Meta sends for `body`: sha256=<hex HMAC-SHA256 with the app secret>."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, header: str | None, secret: str) -> Verdict:
    """Check the signature of the raw body, in constant time."""
    if not header:
        return Verdict.MISSING
    if not hmac.compare_digest(header.strip().encode(), sign(body, secret).encode()):
        return Verdict.WRONG
    return Verdict.OK


def challenge(query: Mapping[str, str], verify_token: str) -> str | None:
    """The GET handshake: the challenge to echo, or None (answer 403). The GET carries no signature."""
    token = query.get("hub.verify_token", "")
    if query.get("hub.mode") != "subscribe" or not hmac.compare_digest(token.encode(), verify_token.encode()):
        return None
    return query.get("hub.challenge", "")
