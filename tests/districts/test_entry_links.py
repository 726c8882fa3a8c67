"""Each district's entry link selects it: WhatsApp's pre-filled first text (its code), the web chat's
/chat/?d=<district> (the page sends /start <district>); Telegram's /start <district> is in
test_telegram_districts.py."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.db import Chat
from tests.districts.test_telegram_districts import LEGAL_QUESTION
from tests.tickets.conftest import Clock
from tests.whatsapp.conftest import Employer, start_lotse
from tests.whatsapp.standin import GraphStandIn


@pytest.fixture
async def lotse(network_config, shared_core, tmp_path):
    """The network with the web and WhatsApp channels, WhatsApp against the Graph API stand-in."""
    standin = GraphStandIn()
    await standin.start()
    url = f"sqlite+aiosqlite:///{tmp_path}/lotse.db"
    try:
        async with start_lotse(network_config, url, shared_core.knowledge, standin, Clock()) as running:
            yield running
    finally:
        await standin.stop()


async def district_of(lotse, channel: str) -> list[str | None]:
    async with lotse.database.read() as session:
        return list((await session.execute(select(Chat.district).where(Chat.channel == channel))).scalars())


async def test_whatsapp_first_text_is_the_district_code(lotse):
    anna = Employer(lotse)
    calls = await anna.says("NORDHEIDE")  # https://wa.me/<number>?text=NORDHEIDE
    assert "Landkreis Nordheide (Beispiel)" in "\n".join(c.text for c in calls)
    assert await district_of(lotse, "whatsapp") == ["nordheide"]
    answer = "\n".join(c.text for c in await anna.says(LEGAL_QUESTION))
    assert "abh@nordheide.example" in answer


async def test_whatsapp_without_a_code_is_asked_with_a_list_and_the_question_waits(lotse):
    ben = Employer(lotse, user_id="DE.2", phone="4915100000002", name="Ben")
    calls = await ben.says(LEGAL_QUESTION)
    assert "Für welchen Landkreis" in "\n".join(c.text for c in calls)
    # WhatsApp list rows hold 24 characters: longer names are clipped (docs/districts.md: keep them short)
    titles = sorted(calls[-1].choices)
    assert [title[:16] for title in titles] == ["Landkreis Nordhe", "Landkreis Talwal", "Stadt Hafenberg "]
    answer = "\n".join(c.text for c in await ben.taps(titles[1]))
    assert "Talwald" in answer and "abh@talwald.example" in answer  # chosen, then the waiting question answered


async def test_web_chat_link_selects_the_district(lotse):
    http = lotse.http
    async with http.post(f"{lotse.base}/chat/api/new") as response:
        token = (await response.json())["token"]
    headers = {"X-Chat-Token": token}
    async with http.get(f"{lotse.base}/chat/?d=hafenberg") as response:
        assert response.status == 200
    async with http.get(f"{lotse.base}/static/chat.js") as response:
        assert "/start ${district}" in await response.text()  # the page turns ?d= into its first message
    async with http.post(f"{lotse.base}/chat/api/send", json={"text": "/start hafenberg"}, headers=headers) as response:
        shown = (await response.json())["messages"]
    assert any("Stadt Hafenberg (Beispiel)" in m.get("text", "") for m in shown)
    assert all(m.get("text") != "/start hafenberg" for m in shown)  # the page's own start is not shown
    async with http.post(f"{lotse.base}/chat/api/send", json={"text": LEGAL_QUESTION}, headers=headers) as response:
        shown = (await response.json())["messages"]
    assert "abh@hafenberg.example" in shown[-1]["text"]
    assert await district_of(lotse, "web") == ["hafenberg"]
