"""The web's defences from issue 14, each as a conversation over real HTTP: sessions end at log-out,
the log-in throttle behind a proxy, bounded ids, nested and oversized bodies, signed chat tokens and
their limits, statistics per team, the key file's mode and the security headers."""

from __future__ import annotations

import logging
import os
import stat

import aiohttp
import pytest
from sqlalchemy import select

from bot.accounts.models import WebChatMessage
from bot.tickets.models import Ticket, TicketMessage
from handlers.web.chat_store import chat_id_of, new_token
from handlers.web.security import _stored_key
from tests.web.conftest import (
    AUTHORITY_QUESTION,
    PASSWORD,
    Browserless,
    hand_over,
    new_http,
)
from tests.web.test_console_security import console_routes

PROXY = "127.0.0.1"  # the tests' requests come from here: the "reverse proxy"


@pytest.fixture
def web_config(web_config):
    """Behind a trusted proxy on 127.0.0.1, with small limits a test can reach."""
    return web_config.model_copy(
        update={
            "web": web_config.web.model_copy(
                update={"trusted_proxies": (PROXY,), "chat_new_per_hour_per_address": 5, "chat_tickets_per_hour": 2}
            )
        }
    )


def via(address: str) -> dict:
    return {"X-Forwarded-For": address}


async def login_from(server, http, address: str, username: str, password: str = PASSWORD) -> int:
    page = await http.get(f"{server.url}/console/login", headers=via(address))
    csrf = (await page.text()).split('name="csrf" value="')[1].split('"')[0]
    response = await http.post(
        f"{server.url}/console/login",
        headers=via(address),
        allow_redirects=False,
        data={"csrf": csrf, "username": username, "password": password},
    )
    return response.status


# -- sessions and log-in ---------------------------------------------------------------------------------------------


async def test_logout_ends_the_session_for_a_copied_cookie_too(client, server):
    assert (await client.login("anna")).status == 200
    copied = {cookie.key: cookie.value for cookie in client.http.cookie_jar}
    async with aiohttp.ClientSession(cookies=copied) as thief:
        assert (await thief.get(f"{server.url}/console/queue", allow_redirects=False)).status == 200
        assert (await client.post("/console/logout", follow=False)).status == 303
        response = await thief.get(f"{server.url}/console/queue", allow_redirects=False)
        assert response.status == 302 and response.headers["Location"].startswith("/console/login")


async def test_a_new_password_ends_every_session(client, server):
    assert (await client.login("anna")).status == 200
    await server.services.accounts.passwd("anna", "another good password")
    assert (await client.http.get(f"{server.url}/console/queue", allow_redirects=False)).status == 302


async def test_guesses_from_one_address_do_not_lock_a_colleague_out(server):
    async with new_http() as attacker, new_http() as anna:
        for _ in range(server.services.config.web.login_max_failures + 3):
            assert await login_from(server, attacker, "203.0.113.9", "anna", "wrong password!") in (401, 429)
        for name in (f"user{n}" for n in range(35)):  # and spraying other names from there
            await login_from(server, attacker, "203.0.113.9", name, "wrong password!")
        assert await login_from(server, attacker, "203.0.113.9", "anna") == 429  # the guesser waits
        assert await login_from(server, anna, "198.51.100.7", "anna") == 303  # anna, elsewhere, gets in
        assert await login_from(server, attacker, "203.0.113.9", "carl") == 303  # a colleague behind it too


async def test_forwarded_for_from_an_untrusted_peer_is_ignored(server, web_config):
    server.services.config = web_config.model_copy(
        update={"web": web_config.web.model_copy(update={"trusted_proxies": ("10.9.9.9",)})}
    )
    async with new_http() as attacker:
        for n in range(server.services.config.web.login_max_failures):
            await login_from(server, attacker, f"203.0.113.{n}", "anna", "wrong password!")  # a new "address" each time
        assert await login_from(server, attacker, "203.0.113.99", "anna") == 429  # all one address: 127.0.0.1


async def test_a_failed_logins_user_name_is_not_logged(client, caplog):
    caplog.set_level(logging.INFO)  # above DEBUG, where operators' logs are
    await client.login("correct horse battery staple", "x")  # a password typed into the name field
    assert "correct horse" not in caplog.text and "log-in refused for user #" in caplog.text


# -- ids, bodies, tokens -----------------------------------------------------------------------------------------------


async def test_out_of_range_ids_are_not_found(client, server):
    await client.login("carl")  # an editor: every console route is open to him
    for method, path, _name in console_routes(server, sample="99999999999999999999"):
        if "99999999999999999999" in path:
            response = await client.http.request(
                method,
                server.url + path,
                allow_redirects=False,
                data={"csrf": client.csrf, "status": "done", "text": "x"},
            )
            assert response.status in (400, 404), (method, path, response.status)
    for path in ("/console/tickets/99999999999999999999", "/console/tickets/2147483648", "/console/tickets/0"):
        assert (await client.http.get(server.url + path)).status == 404, path
        assert (await client.post(path + "/claim", follow=False)).status == 404, path
    for q in ("#99999999999999999999", "#2147483648", "%00", "\x00"):
        response = await client.http.get(f"{server.url}/console/queue", params={"q": q})
        assert response.status == 200, q


async def test_nested_json_and_big_chunked_bodies_are_refused(client, server):
    await client.say(text="/start")
    headers = {"X-Chat-Token": client.token}
    nested = '{"text": "x", "a": ' + "[" * 5000 + "]" * 5000 + "}"
    response = await client.http.post(f"{server.url}/chat/api/send", data=nested.encode(), headers=headers)
    assert response.status == 400

    async def chunks():
        for _ in range(900):
            yield b'{"text": "' + b"x" * 1000 if _ == 0 else b"x" * 1000

    response = await client.http.post(f"{server.url}/chat/api/send", data=chunks(), headers=headers)
    assert response.status == 413
    async with server.services.database.read() as session:
        assert not [
            m
            for m in (await session.execute(select(WebChatMessage))).scalars()
            if len(m.payload.get("text", "")) > 4000
        ]


async def test_only_tokens_the_server_signed_open_a_chat(server, http):
    forged = "A" * 64
    assert chat_id_of(forged, server.services.session_key) is None
    for token in (forged, new_token(b"another key"), "x" * 43):
        response = await http.post(
            f"{server.url}/chat/api/send", json={"text": "Hallo"}, headers={"X-Chat-Token": token}
        )
        assert response.status == 401, token
    assert chat_id_of(new_token(server.services.session_key), server.services.session_key)


async def test_new_chats_are_limited_per_address(server, http):
    limit = server.services.config.web.chat_new_per_hour_per_address
    statuses = [
        (await http.post(f"{server.url}/chat/api/new", headers=via("192.0.2.1"))).status for _ in range(limit + 1)
    ]
    assert statuses == [200] * limit + [429]
    assert (await http.post(f"{server.url}/chat/api/new", headers=via("192.0.2.2"))).status == 200


async def test_tickets_per_hour_are_limited_for_all_web_chats(server):
    limit = server.services.config.web.chat_tickets_per_hour
    for n in range(limit):
        async with new_http() as http:
            await hand_over(Browserless(http, server.url), AUTHORITY_QUESTION, company=f"Firma {n}")
    async with new_http() as http:
        with pytest.raises((AssertionError, AttributeError)):  # no ticket number in the last reply
            await hand_over(Browserless(http, server.url), AUTHORITY_QUESTION, company="Eine zu viel")
    async with server.services.database.read() as session:
        assert len((await session.execute(select(Ticket))).scalars().all()) == limit


async def test_one_vote_per_answer(client, server):
    await client.say(text="/start")
    answer = (await client.say(text="Was ist die Blaue Karte EU?"))[-1]
    vote = next(b["payload"] for row in answer["buttons"] for b in row if b["payload"].startswith("fb:u:"))
    for _ in range(5):
        await client.say(payload=vote, label="👍")
    from bot.db.models import Feedback

    async with server.services.database.read() as session:
        assert len((await session.execute(select(Feedback))).scalars().all()) == 1


async def test_control_characters_never_reach_the_database(client, server):
    ticket = await hand_over(client, AUTHORITY_QUESTION + "\x00\x07", company="Null\x00 GmbH\x1b")
    coordinator = Browserless(new_http(), server.url)
    try:
        await coordinator.login("anna")
        await coordinator.post(f"/console/tickets/{ticket}/answer", text="Antwort\x00 mit NUL")
        await coordinator.post(f"/console/tickets/{ticket}/note", text="Notiz\x00")
    finally:
        await coordinator.http.close()
    async with server.services.database.read() as session:
        row = await session.get(Ticket, ticket)
        texts = [row.question, row.company] + [m.text for m in (await session.execute(select(TicketMessage))).scalars()]
        texts += [str(m.payload) for m in (await session.execute(select(WebChatMessage))).scalars()]
    assert row.company == "Null GmbH" and "Antwort mit NUL" in texts
    assert not [text for text in texts if any(ord(c) < 32 and c not in "\t\n" for c in text)]


# -- statistics, key file, headers -------------------------------------------------------------------------------------


async def test_statistics_are_scoped_by_team(client, server):
    # out of scope (not a person's case: no one named by title), so it lands on the editors' to-do
    question = "Wie melde ich meinen Hund beim Finanzamt an? Gruß Meier, Zimmer 12"
    employer = Browserless(new_http(), server.url)
    try:
        await employer.say(text="/start")
        await employer.say(text=question)
    finally:
        await employer.http.close()
    await client.login("anna")  # authority, not an editor
    page = await (await client.http.get(f"{server.url}/console/stats")).text()
    assert "Meier, Zimmer 12" not in page
    editor = Browserless(new_http(), server.url)
    try:
        await editor.login("carl")  # an editor sees the editors' to-do
        assert "Meier, Zimmer 12" in await (await editor.http.get(f"{server.url}/console/stats")).text()
    finally:
        await editor.http.close()


def test_session_key_file_is_only_for_its_owner(tmp_path):
    old = os.umask(0)
    try:
        path = tmp_path / "var" / "session.key"
        _stored_key(path)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        path.chmod(0o644)  # made by an older version
        _stored_key(path)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    finally:
        os.umask(old)


async def test_security_headers_on_every_response(server, http):
    for path in (
        "/",
        "/chat/",
        "/console/login",
        "/static/chat.js",
        "/static/nothing.css",
        "/no/such/page",
        "/healthz",
    ):
        response = await http.get(server.url + path, allow_redirects=False)
        csp = response.headers.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp, path
        assert response.headers.get("X-Content-Type-Options") == "nosniff", path
        assert response.headers.get("Referrer-Policy"), path
    page = await (await http.get(f"{server.url}/chat/")).text()
    assert "<script>" not in page and " on" + "click=" not in page  # no inline script for the CSP to allow


def test_trusted_proxies_must_be_addresses():
    from pydantic import ValidationError

    from bot.config import WebSettings

    assert WebSettings(trusted_proxies=["127.0.0.1", "10.0.0.0/8", "::1"]).trusted_proxies[1] == "10.0.0.0/8"
    with pytest.raises(ValidationError, match="trusted_proxies"):
        WebSettings(trusted_proxies=["proxy.example.org"])


async def test_migration_0005_matches_the_sessions_model(server):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from bot.db import Base

    def differences(connection):
        return compare_metadata(MigrationContext.configure(connection, opts={"compare_type": False}), Base.metadata)

    async with server.services.database.engine.connect() as connection:
        found = await connection.run_sync(differences)
    assert [d for d in found if "web_sessions" in repr(d)] == []
