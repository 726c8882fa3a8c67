"""The bad-input corpus (tests/data/bad_input/) through the web chat over HTTP: a reply or a clean
4xx for each item, nothing stored with control characters, no traceback in the log."""

from __future__ import annotations

import io
import json
import logging

import aiohttp
import pytest
from sqlalchemy import select

from bot.accounts.models import WebChatMessage
from bot.db.models import DecisionLog
from tests.bad_input import MEDIA, as_bytes, has_controls, items, names, tracebacks

TEXTS, PAYLOADS, TOKENS, BODIES = (dict(items(kind)) for kind in ("text", "payload", "token", "body"))


async def send(client, **body) -> aiohttp.ClientResponse:
    if not client.token:
        await client.say(text="/start")
    raw = json.dumps({"after": 0, **body}).encode()
    return await client.http.post(
        f"{client.base}/chat/api/send",
        data=io.BytesIO(raw),
        headers={"X-Chat-Token": client.token, "Content-Type": "application/json"},
    )


async def nothing_dirty_stored(server) -> None:
    async with server.services.database.read() as session:
        texts = [str(m.payload) for m in (await session.execute(select(WebChatMessage))).scalars()]
        texts += [d.question for d in (await session.execute(select(DecisionLog))).scalars()]
    assert not [text[:80] for text in texts if has_controls(text)]
    assert all(len(text) < 20_000 for text in texts)


@pytest.mark.parametrize("name", names("text"))
async def test_bad_text(client, server, name, caplog):
    caplog.set_level(logging.INFO)
    response = await send(client, text=TEXTS[name])
    if TEXTS[name].strip(" \t\n\u00a0\u2003\x00\x01\x02\x1b\x7f") == "":
        assert response.status == 400, name  # nothing to answer: a clean 4xx
    elif len(json.dumps({"text": TEXTS[name]})) > 16_000:
        assert response.status == 413, name
    else:
        assert response.status == 200, name
        assert [m for m in (await response.json())["messages"] if m["role"] == "bot"], name
    assert tracebacks(caplog.records) == []
    await nothing_dirty_stored(server)


@pytest.mark.parametrize("name", names("payload"))
async def test_bad_button(client, server, name, caplog):
    caplog.set_level(logging.INFO)
    response = await send(client, payload=PAYLOADS[name], label="x")
    assert response.status == 200, name
    assert [m for m in (await response.json())["messages"] if m["role"] == "bot"]
    assert tracebacks(caplog.records) == []
    await nothing_dirty_stored(server)


@pytest.mark.parametrize("name", names("token"))
async def test_forged_token(server, http, name, caplog):
    caplog.set_level(logging.INFO)
    token = TOKENS[name]
    if any(ord(c) < 32 for c in token):  # no HTTP client sends it; the server must refuse it all the same
        token = token.replace("\x00", "%00")
    for method, path, body in (("POST", "/chat/api/send", {"text": "Hallo"}), ("GET", "/chat/api/messages", None)):
        response = await http.request(method, server.url + path, json=body, headers={"X-Chat-Token": token})
        assert response.status == 401, (name, path)
    assert tracebacks(caplog.records) == []


@pytest.mark.parametrize("name", names("body"))
async def test_bad_body(client, server, name, caplog):
    caplog.set_level(logging.INFO)
    await client.say(text="/start")
    response = await client.http.post(
        f"{server.url}/chat/api/send",
        data=as_bytes(BODIES[name]),
        headers={"X-Chat-Token": client.token, "Content-Type": "application/json"},
    )
    if name == "text_is_object":  # valid JSON of the wrong shape: read as text, answered
        assert response.status == 200
    else:
        assert response.status == 400, name
    assert tracebacks(caplog.records) == []
    await nothing_dirty_stored(server)


async def test_media_uploads_are_refused(client, server, caplog):
    caplog.set_level(logging.INFO)
    await client.say(text="/start")
    for kind in MEDIA:
        form = aiohttp.FormData()
        form.add_field(kind, b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, filename=f"{kind}.bin")
        response = await client.http.post(
            f"{server.url}/chat/api/send", data=form, headers={"X-Chat-Token": client.token}
        )
        assert response.status == 400, kind
    assert tracebacks(caplog.records) == []
