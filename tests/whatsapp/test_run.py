"""`python -m bot run` with WHATSAPP_ACCESS_TOKEN set serves WhatsApp beside Telegram and the web in one
process: the handshake, a signed message, and the reply at the Graph API stand-in."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time

import aiohttp
import pytest

from handlers.whatsapp.signature import HEADER, sign
from tests.conftest import ROOT
from tests.telegram.standin import TOKEN as TELEGRAM_TOKEN
from tests.telegram.standin import BotApiStandIn
from tests.test_runtime import _metrics_when_ready, environment, free_port
from tests.whatsapp.standin import PHONE_NUMBER_ID, TOKEN, GraphStandIn

pytestmark = pytest.mark.slow  # starts an interpreter with the whole runtime


async def test_run_serves_whatsapp_with_telegram_and_web_in_one_process(tmp_path, model_cache):
    graph, telegram = GraphStandIn(), BotApiStandIn()
    await graph.start()
    await telegram.start()
    port = free_port()
    env = environment(
        tmp_path,
        port,
        model_cache,
        WHATSAPP_ACCESS_TOKEN=TOKEN,
        WHATSAPP_APP_SECRET="run-secret",
        WHATSAPP_VERIFY_TOKEN="run-verify",
        WHATSAPP_PHONE_NUMBER_ID=PHONE_NUMBER_ID,
        WHATSAPP_API_BASE_URL=graph.base_url,
        TELEGRAM_BOT_TOKEN=TELEGRAM_TOKEN,
        TELEGRAM_API_BASE_URL=telegram.base_url,
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            await _metrics_when_ready(http, base)
            async with http.get(
                f"{base}/whatsapp/webhook",
                params={"hub.mode": "subscribe", "hub.verify_token": "run-verify", "hub.challenge": "42"},
            ) as response:
                assert (response.status, await response.text()) == (200, "42")
            body = json.dumps(
                {
                    "object": "whatsapp_business_account",
                    "entry": [
                        {
                            "id": "1",
                            "changes": [
                                {
                                    "field": "messages",
                                    "value": {
                                        "messaging_product": "whatsapp",
                                        "contacts": [{"profile": {"name": "Anna"}, "user_id": "DE.1"}],
                                        "messages": [
                                            {
                                                "from_user_id": "DE.1",
                                                "id": "wamid.RUN1",
                                                "timestamp": str(int(time.time())),
                                                "type": "text",
                                                "text": {"body": "/start"},
                                            }
                                        ],
                                    },
                                }
                            ],
                        }
                    ],
                },
                ensure_ascii=False,
            ).encode()
            async with http.post(
                f"{base}/whatsapp/webhook", data=body, headers={HEADER: sign(body, "run-secret")}
            ) as response:
                assert response.status == 200
            for _ in range(300):  # the outbox worker sends in the background (slowly on a busy machine)
                if graph.accepted("DE.1"):
                    break
                await asyncio.sleep(0.1)
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), timeout=30)
        await graph.stop()
        await telegram.stop()
    assert process.returncode == 0, err.decode()
    [greeting] = graph.accepted("DE.1")
    assert "/privacy" in greeting.text and greeting.body["recipient"] == "DE.1"
    assert b"WhatsApp webhook" in err and b"Telegram as @" in err and b"web chat" in err
