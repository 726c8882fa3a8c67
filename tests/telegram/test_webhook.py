"""The webhook server: the secret header, malformed bodies, the health endpoint, setWebhook at start."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from aiohttp import web
from sqlalchemy import func, select

from bot.db import Database, DecisionLog, ProcessedUpdate
from handlers.telegram_app import running
from handlers.webhook import SECRET_HEADER, TelegramWebhook
from tests.telegram.conftest import SECRET, WEBHOOK_URL, Employer
from tests.telegram.updates import load_update


async def processed(bot) -> int:
    async with bot.database.transaction() as session:
        return (await session.execute(select(func.count()).select_from(ProcessedUpdate))).scalar_one()


async def test_start_sets_the_webhook_with_the_secret(bot, standin):
    assert standin.webhook["url"] == WEBHOOK_URL
    assert standin.webhook["secret_token"] == SECRET
    assert standin.webhook["allowed_updates"] == ["message", "edited_message", "callback_query"]
    assert bot.mode == "webhook"


async def test_wrong_or_missing_secret_is_refused_and_nothing_processed(anna, bot, standin):
    before = len(standin.calls)
    assert await anna.post(load_update("command_start"), secret="wrong-secret-of-the-same-len") == 403
    assert await anna.post(load_update("command_start"), secret=None) == 403
    assert await anna.post(load_update("command_start"), secret=SECRET[:-1]) == 403
    assert standin.calls[before:] == []
    assert await processed(bot) == 0


async def test_a_body_that_is_no_update_is_refused(anna, http, bot, standin):
    before = len(standin.calls)
    for body in (b"not json", b"[1, 2]", b"{}"):
        async with http.post(anna.webhook, data=body, headers={SECRET_HEADER: SECRET}) as response:
            assert response.status == 400
    assert standin.calls[before:] == [] and await processed(bot) == 0


async def test_the_right_secret_is_processed(anna, bot):
    assert len(await anna.deliver(load_update("command_start"))) == 2
    assert await processed(bot) == 1


async def test_the_webhook_answers_telegram_once_the_employer_is_answered(anna, standin):
    # Telegram sends the next update on a connection only after this answer: the bot's pace
    # limits Telegram's, and no update waits unanswered in the bot's memory.
    standin.delay("sendMessage", 0.3)
    status = await anna.post(anna.message("Was ist die Blaue Karte EU?"))
    assert status == 200
    [answer] = standin.sent(anna.chat["id"])
    assert answer.result is not None  # the stand-in had answered sendMessage before the webhook answered


async def test_an_update_held_up_longer_than_answer_within_is_acknowledged_and_still_answered(anna, bot, standin):
    bot.webhook.answer_within = 0.2
    standin.delay("sendMessage", 1.0)
    assert await anna.post(anna.message("Was ist die Blaue Karte EU?")) == 200

    def delivered() -> list:
        return [call for call in standin.sent(anna.chat["id"]) if call.result is not None]

    assert delivered() == []  # acknowledged while the stand-in was still holding the answer back ...
    for _ in range(200):
        await asyncio.sleep(0.025)
        if delivered():
            break
    assert len(delivered()) == 1  # ... which went out all the same


async def test_a_stop_while_an_update_is_still_processed_finishes_it_before_the_database_closes(
    tg_config, shared_core, standin, http, database_url
):
    standin.delay("sendMessage", 0.5)
    async with running(tg_config, knowledge=shared_core.knowledge) as bot:
        bot.webhook.answer_within = 0.1
        anna = Employer(bot, standin, http)
        assert await anna.post(anna.message("Was ist die Blaue Karte EU?")) == 200  # acknowledged, still going on
        assert [call for call in standin.sent(anna.chat["id"]) if call.result is not None] == []
    [answer] = standin.sent(anna.chat["id"])
    assert answer.result is not None  # delivered before the bot stopped
    async with Database(database_url) as database, database.read() as session:
        assert list((await session.execute(select(DecisionLog.question))).scalars()) == ["Was ist die Blaue Karte EU?"]


async def test_health_is_200_when_ready(anna, http):
    host, port = anna.bot.runtime.address
    async with http.get(f"http://{host}:{port}/healthz") as response:
        assert response.status == 200 and (await response.json())["status"] == "ok"


async def test_updates_are_refused_with_503_while_the_bot_is_not_running(http):
    webhook = TelegramWebhook(SimpleNamespace(running=False), SECRET)
    app = web.Application()
    app.router.add_post("/hook", webhook.receive)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        host, port = runner.addresses[0][:2]
        async with http.post(
            f"http://{host}:{port}/hook", json=load_update("text"), headers={SECRET_HEADER: SECRET}
        ) as response:
            assert response.status == 503  # Telegram will deliver it again
    finally:
        await runner.cleanup()


async def test_the_same_server_serves_the_web_chat_and_the_console(anna, http):
    host, port = anna.bot.runtime.address
    async with http.get(f"http://{host}:{port}/chat/") as response:
        assert response.status == 200 and "text/html" in response.headers["Content-Type"]
    async with http.get(f"http://{host}:{port}/console/", allow_redirects=False) as response:
        assert response.status in (302, 303) and "/console/login" in response.headers["Location"]
