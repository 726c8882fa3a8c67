"""The web on a real server on 127.0.0.1: a fresh SQLite database per test, the shared FAQ model."""

from __future__ import annotations

import re
from dataclasses import dataclass

import aiohttp
import pytest

from bot.config import DatabaseSettings
from handlers.web.server import WebServer, serving

SECRET = "test-session-secret-" + "x" * 24
PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def web_config(config, tmp_path, monkeypatch):
    monkeypatch.setenv("LOTSE_SESSION_SECRET", SECRET)
    return config.model_copy(
        update={
            "database": DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path / 'web.db'}"),
            "faq": config.faq.model_copy(update={"reload_seconds": 0}),
            "tickets": config.tickets.model_copy(
                update={"outbox": config.tickets.outbox.model_copy(update={"poll_seconds": 0.2})}
            ),
        }
    )


@pytest.fixture
async def server(web_config, shared_core) -> WebServer:
    async with serving(web_config, knowledge=shared_core.knowledge, host="127.0.0.1", port=0) as running:
        await running.services.accounts.add("anna", PASSWORD, ["authority"], "Anna Authority")
        await running.services.accounts.add("carl", PASSWORD, ["coordinator"], "Carl Coordinator", editor=True)
        yield running


def new_http() -> aiohttp.ClientSession:
    """A client with its own cookies (unsafe=True: accept cookies from an IP address like 127.0.0.1)."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


@pytest.fixture
async def http():
    async with new_http() as session:
        yield session


@dataclass
class Browserless:
    """A coordinator's or employer's HTTP conversation with the server."""

    http: aiohttp.ClientSession
    base: str
    csrf: str = ""
    token: str = ""

    async def login(self, username: str, password: str = PASSWORD) -> aiohttp.ClientResponse:
        page = await self.http.get(f"{self.base}/console/login")
        self.csrf = CSRF.search(await page.text()).group(1)
        response = await self.http.post(
            f"{self.base}/console/login",
            data={"csrf": self.csrf, "username": username, "password": password, "next": "/console/queue"},
        )
        match = CSRF.search(await response.text())
        self.csrf = match.group(1) if match else self.csrf
        return response

    async def post(self, path: str, follow: bool = True, **form) -> aiohttp.ClientResponse:
        """POST a console form with the session's CSRF token."""
        return await self.http.post(f"{self.base}{path}", data={"csrf": self.csrf, **form}, allow_redirects=follow)

    async def say(self, **body) -> list[dict]:
        """Send a chat message (text=... or payload=..., label=...); returns the chat's new messages."""
        if not self.token:
            self.token = (await (await self.http.post(f"{self.base}/chat/api/new")).json())["token"]
        response = await self.http.post(
            f"{self.base}/chat/api/send", json={"after": 0, **body}, headers={"X-Chat-Token": self.token}
        )
        assert response.status == 200, await response.text()
        return (await response.json())["messages"]

    async def chat_messages(self) -> list[dict]:
        response = await self.http.get(f"{self.base}/chat/api/messages?after=0", headers={"X-Chat-Token": self.token})
        return (await response.json())["messages"]


@pytest.fixture
async def anna(server):
    """Anna logged in to the console, in an HTTP session of her own (beside `client`)."""
    session = Browserless(new_http(), server.url)
    await session.login("anna")
    yield session
    await session.http.close()


@pytest.fixture
def client(server, http) -> Browserless:
    return Browserless(http, server.url)


async def hand_over(employer: Browserless, question: str, company: str = "Muster GmbH") -> int:
    """The employer's hand-over to the authority, step by step; returns the ticket number."""
    await employer.say(text="/start")
    offer = (await employer.say(text=question))[-1]
    if not any(b["payload"] == "ho:yes" for row in offer.get("buttons", []) for b in row):
        offer = (await employer.say(payload="human:authority", label="Person fragen"))[-1]  # "ask a person"
    assert any(b["payload"] == "ho:yes" for row in offer.get("buttons", []) for b in row), offer
    await employer.say(payload="ho:yes", label="Ja")
    await employer.say(text=company)
    await employer.say(payload="ho:contact:chat", label="Chat")
    done = (await employer.say(payload="ho:consent", label="Ja"))[-1]
    return int(re.search(r"#(\d+)", done["text"]).group(1))


AUTHORITY_QUESTION = "Ich brauche eine Person von der Ausländerbehörde, die den Einzelfall meines Mitarbeiters prüft"
