"""PTB's HTTP transport on aiohttp (handlers/telegram_request.py), against the stand-in Bot API."""

from __future__ import annotations

import asyncio
import socket

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import InvalidToken, NetworkError, TimedOut

from handlers.telegram_request import AiohttpRequest
from tests.telegram.standin import TOKEN


def bot_at(base_url: str, request: AiohttpRequest, token: str = TOKEN) -> Bot:
    return Bot(token, base_url=base_url, request=request, get_updates_request=AiohttpRequest(1))


async def test_parameters_and_buttons_arrive_as_ptbs_own_transport_sends_them(standin):
    async with bot_at(standin.base_url, AiohttpRequest(4)) as bot:
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("👍", callback_data="fb:1:up")]])
        sent = await bot.send_message(4711, "<b>Grüße</b> &amp; more", parse_mode="HTML", reply_markup=keyboard)
    [call] = standin.sent(4711)
    assert call.params["text"] == "<b>Grüße</b> &amp; more" and call.params["parse_mode"] == "HTML"
    assert call.buttons == [[{"text": "👍", "callback_data": "fb:1:up"}]]
    assert sent.text == "Grüße & more" and sent.chat_id == 4711
    assert call.content_type == "application/json"


async def test_a_file_goes_as_multipart(standin):
    async with bot_at(standin.base_url, AiohttpRequest(1)) as bot:
        sent = await bot.send_document(4711, document=b"Dienstplan\n", filename="plan.txt", caption="Plan")
    [call] = standin.of("sendDocument")
    assert call.params["caption"] == "Plan" and call.content_type == "multipart/form-data"
    assert sent.document.file_name == "plan.txt" and sent.document.file_size == len(b"Dienstplan\n")


async def test_a_wrong_token_is_reported_as_ptb_reports_it(standin):
    with pytest.raises(InvalidToken):
        async with bot_at(standin.base_url, AiohttpRequest(1), token="999:wrong"):
            pass


async def test_an_api_slower_than_the_read_timeout_is_a_timeout(standin):
    standin.delay("sendMessage", 1.0)
    async with bot_at(standin.base_url, AiohttpRequest(1, read_timeout=0.2)) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(4711, "Hallo")
        standin.delay("sendMessage", 0)
        await bot.send_message(4711, "Hallo", read_timeout=2.0)  # the session is still usable
    assert len(standin.sent(4711)) == 2


async def test_all_connections_busy_longer_than_the_pool_timeout_is_a_timeout_before_sending(standin):
    standin.delay("sendMessage", 1.0)
    async with bot_at(standin.base_url, AiohttpRequest(1, pool_timeout=0.1, connect_timeout=0.1)) as bot:
        first = bot.send_message(4711, "eins")
        task = asyncio.ensure_future(first)
        await asyncio.sleep(0.05)
        with pytest.raises(TimedOut, match="not sent"):
            await bot.send_message(4711, "zwei")
        await task
    assert [c.params["text"] for c in standin.of("sendMessage")] == ["eins"]


async def test_nothing_listening_is_a_network_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    request = AiohttpRequest(1)
    await request.initialize()
    try:
        with pytest.raises(NetworkError):
            await request.post(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe")
    finally:
        await request.shutdown()


async def test_a_request_before_initialize_or_after_shutdown_is_refused():
    request = AiohttpRequest(1)
    with pytest.raises(NetworkError, match="not initialized"):
        await request.post("http://127.0.0.1:9/bot1:x/getMe")
    await request.initialize()
    await request.shutdown()
    with pytest.raises(NetworkError, match="not initialized"):
        await request.post("http://127.0.0.1:9/bot1:x/getMe")


async def test_the_environments_proxy_is_used_and_no_proxy_is_honoured(standin, monkeypatch):
    # A forward proxy in front of the stand-in: an aiohttp app that records what it relays.
    from aiohttp import ClientSession, web

    relayed: list[str] = []

    async def relay(request: web.Request) -> web.Response:
        relayed.append(str(request.url))
        async with (
            ClientSession() as session,
            session.post(
                str(request.url), data=await request.read(), headers={"Content-Type": request.content_type}
            ) as answer,
        ):
            return web.Response(status=answer.status, body=await answer.read(), content_type="application/json")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", relay)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    proxy = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", proxy)
        async with bot_at(standin.base_url, AiohttpRequest(1)) as bot:
            await bot.send_message(4711, "über den Proxy")
        assert len(relayed) == 2 and relayed[-1].endswith("/sendMessage")  # getMe and sendMessage went through it

        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        async with bot_at(standin.base_url, AiohttpRequest(1)) as bot:
            await bot.send_message(4711, "direkt")
        assert len(relayed) == 2
        assert [c.params["text"] for c in standin.sent(4711)] == ["über den Proxy", "direkt"]
    finally:
        await runner.cleanup()
