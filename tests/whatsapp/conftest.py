"""WhatsApp end to end: Lotse's real pieces (a SQLite file or PostgreSQL, the trained FAQ, the
dialogue with the hand-over, the ticket desk and its outbox), the webhook served over real HTTP on
127.0.0.1, the Graph API stand-in on 127.0.0.1, and employers whose messages are posted and signed
as Meta would. The outbox is drained by the tests (no background worker), so every test is
deterministic; the clock starts from the real now and moves on request (tests/tickets/conftest.py).
The process is the real runtime (bot/runtime.py) with the web and WhatsApp channels plugged in.
"""

from __future__ import annotations

import copy
import io
import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
import pytest
from pydantic import SecretStr

from bot.config import SESSION_SECRET_ENV, Config, DatabaseSettings, WhatsAppSettings
from bot.db import Database
from bot.runtime import running
from bot.tickets.desk import TicketDesk
from bot.tickets.service import Actor
from handlers.web.channel import WebChannel
from handlers.whatsapp.channel import PATH, WhatsApp, WhatsAppChannel
from handlers.whatsapp.signature import HEADER, sign
from tests.tickets.conftest import Clock, drain, empty_schema, postgres_url  # noqa: F401  (fixtures)
from tests.whatsapp.standin import PHONE_NUMBER_ID, TOKEN, Call, GraphStandIn

APP_SECRET = "test-app-secret"
VERIFY_TOKEN = "test-verify-token"
STAFF = Actor("staff", "web:1", "Kim Berater", ("authority", "coordinator"))


@pytest.fixture
async def standin() -> AsyncIterator[GraphStandIn]:
    server = GraphStandIn()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def whatsapp_config(config: Config, standin: GraphStandIn, url: str, **settings) -> Config:
    # The webhook answers once processed (within 20 s even on a busy machine): what Lotse enqueued is there.
    settings.setdefault("answer_within_seconds", 20)
    whatsapp = WhatsAppSettings(
        access_token=SecretStr(TOKEN),
        app_secret=SecretStr(APP_SECRET),
        verify_token=SecretStr(VERIFY_TOKEN),
        phone_number_id=PHONE_NUMBER_ID,
        api_base_url=standin.base_url,
        **settings,
    )
    return config.model_copy(update={"whatsapp": whatsapp, "database": DatabaseSettings(url=url)})


@dataclass
class Lotse:
    """Lotse's WhatsApp side as one process composes it, and the Meta side that posts to it."""

    config: Config
    database: Database
    desk: TicketDesk
    whatsapp: WhatsApp
    standin: GraphStandIn
    http: aiohttp.ClientSession
    url: str
    clock: Clock
    web: object = None  # handlers.web's services (accounts, the tickets view)
    base: str = ""

    async def post(self, body: dict | bytes, signature: str | None = "sign") -> int:
        """POST a webhook body as Meta does (raw UTF-8, signed with the app secret); returns the status."""
        raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers[HEADER] = sign(raw, APP_SECRET) if signature == "sign" else signature
        async with self.http.post(self.url, data=io.BytesIO(raw), headers=headers) as response:
            return response.status

    async def drain(self) -> int:
        return await drain(self.desk)

    async def answer(self, ticket_id: int, text: str) -> None:
        await self.desk.service.answer(ticket_id, STAFF, text)


@asynccontextmanager
async def start_lotse(
    config: Config, url: str, knowledge, standin: GraphStandIn, clock: Clock, **settings
) -> AsyncIterator[Lotse]:
    """The real runtime (bot/runtime.py) with the web and WhatsApp channels, on 127.0.0.1 and a free port.

    The outbox worker is stopped once the runtime runs: the tests drain it themselves, on the
    clock they move, so that what was sent is known when they look.
    """
    config = whatsapp_config(config, standin, url, **settings)
    web_channel, whatsapp = WebChannel(), WhatsAppChannel(config, clock=clock)
    previous = os.environ.get(SESSION_SECRET_ENV)
    os.environ[SESSION_SECRET_ENV] = "test-session-secret-" + "w" * 24  # not var/session.key of the checkout
    try:
        async with running(
            config, [web_channel, whatsapp], knowledge=knowledge, host="127.0.0.1", port=0, reminders=False
        ) as runtime:
            await runtime.desk.stop()
            runtime.desk.worker.clock = runtime.desk.service.clock = clock
            view = web_channel.services.view
            view.clock = view.window.clock = clock
            yield Lotse(
                config,
                runtime.database,
                runtime.desk,
                whatsapp.parts,
                standin,
                runtime.http,
                f"{runtime.url}{PATH}",
                clock,
                web_channel.services,
                runtime.url,
            )
    finally:
        if previous is None:
            os.environ.pop(SESSION_SECRET_ENV, None)
        else:
            os.environ[SESSION_SECRET_ENV] = previous


@pytest.fixture
async def lotse(config, shared_core, standin, clock, tmp_path) -> AsyncIterator[Lotse]:
    async with start_lotse(
        config, f"sqlite+aiosqlite:///{tmp_path}/lotse.db", shared_core.knowledge, standin, clock
    ) as running:
        yield running


class Employer:
    """Someone on WhatsApp: each message is posted to the webhook as Meta would, stamped with the
    clock's now; methods return what Lotse sent to this employer in answer (after the outbox ran)."""

    def __init__(
        self,
        lotse: Lotse,
        user_id: str = "DE.13491208655302741918",
        phone: str | None = "4915112345678",
        name: str = "Anna Müller",
    ):
        self.lotse, self.user_id, self.phone, self.name = lotse, user_id, phone, name

    @property
    def address(self) -> str:
        return self.phone or self.user_id

    def envelope(self, *messages: dict) -> dict:
        contact = {"profile": {"name": self.name}, "user_id": self.user_id}
        if self.phone:
            contact["wa_id"] = self.phone
        return {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "102290129340398",
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE_NUMBER_ID},
                                "contacts": [contact],
                                "messages": list(messages),
                            },
                        }
                    ],
                }
            ],
        }

    def message(self, kind: str, content: dict) -> dict:
        message = {
            "from_user_id": self.user_id,
            "id": f"wamid.IN{uuid.uuid4().hex}",
            "timestamp": str(int(self.lotse.clock().timestamp())),
            "type": kind,
            **content,
        }
        if self.phone:
            message["from"] = self.phone
        return message

    def text(self, text: str) -> dict:
        return self.envelope(self.message("text", {"text": {"body": text}}))

    def sent(self) -> list[Call]:
        return self.lotse.standin.accepted(self.address)

    async def deliver(self, body: dict) -> list[Call]:
        before = len(self.sent())
        assert await self.lotse.post(body) == 200
        await self.lotse.drain()
        return self.sent()[before:]

    async def says(self, text: str) -> list[Call]:
        return await self.deliver(self.text(text))

    def tap_body(self, title: str) -> dict:
        for call in reversed(self.sent()):
            if title in call.choices:
                kind = call.body["interactive"]["type"]
                reply = {"id": call.choices[title], "title": title}
                interactive = (
                    {"type": "button_reply", "button_reply": reply}
                    if kind == "button"
                    else {"type": "list_reply", "list_reply": reply}
                )
                return self.envelope(
                    self.message("interactive", {"interactive": interactive, "context": {"id": call.wamid}})
                )
        raise AssertionError(f"nothing sent to {self.address} offers {title!r}")

    async def taps(self, title: str) -> list[Call]:
        return await self.deliver(self.tap_body(title))

    async def taps_template(self) -> list[Call]:
        template = next(c for c in reversed(self.sent()) if c.type == "template")
        payload = template.body["template"]["components"][1]["parameters"][0]["payload"]
        return await self.deliver(
            self.envelope(
                self.message(
                    "button",
                    {"button": {"payload": payload, "text": "Antwort anzeigen"}, "context": {"id": template.wamid}},
                )
            )
        )

    def copy_of(self, body: dict) -> dict:
        return copy.deepcopy(body)


@pytest.fixture
def anna(lotse) -> Employer:
    return Employer(lotse)
