"""The NUL character and huge numbers on PostgreSQL, which refuses NUL in text and numbers past
INTEGER: a web chat question, a company name in the hand-over, a console answer and note, the
queue's search. Each is answered; the ticket opens and can be read."""

from __future__ import annotations

import logging

import pytest

from bot.config import DatabaseSettings
from tests.bad_input import items, tracebacks
from tests.tickets.conftest import empty_schema, postgres_url  # noqa: F401
from tests.web.conftest import AUTHORITY_QUESTION, Browserless, hand_over, new_http

pytestmark = pytest.mark.postgres


@pytest.fixture
async def web_config(web_config, postgres_url):  # noqa: F811
    await empty_schema(postgres_url)
    return web_config.model_copy(update={"database": DatabaseSettings(url=postgres_url)})


async def test_nul_and_huge_numbers_on_postgresql(client, server, caplog):
    caplog.set_level(logging.INFO)
    ticket = await hand_over(client, AUTHORITY_QUESTION + "\x00", company="Null\x00 GmbH")
    assert [m for m in await client.say(text="Noch eine Frage\x00?") if m["role"] == "bot"]
    for name, payload in items("payload"):  # the corpus's forged buttons, against INTEGER columns
        assert [m for m in await client.say(payload=payload, label="x") if m["role"] == "bot"], name
    for after in ("999999999999999", "99999999999999999999", "-1", "x"):
        response = await client.http.get(
            f"{server.url}/chat/api/messages", params={"after": after}, headers={"X-Chat-Token": client.token}
        )
        assert response.status == 200, after
    coordinator = Browserless(new_http(), server.url)
    try:
        await coordinator.login("anna")
        page = await coordinator.http.get(f"{server.url}/console/tickets/{ticket}")
        assert page.status == 200 and "Null GmbH" in await page.text()
        for action, text in (("answer", "Antwort\x00"), ("note", "Notiz\x00")):
            response = await coordinator.post(f"/console/tickets/{ticket}/{action}", text=text, follow=False)
            assert response.status == 303, action
        for q in ("\x00", "#99999999999999999999", "#2147483648", "Null\x00"):
            response = await coordinator.http.get(f"{server.url}/console/queue", params={"q": q})
            assert response.status == 200, q
        for path in ("/console/tickets/2147483648", "/console/tickets/99999999999"):
            assert (await coordinator.http.get(server.url + path)).status == 404
    finally:
        await coordinator.http.close()
    assert tracebacks(caplog.records) == []
