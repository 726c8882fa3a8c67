"""De-duplication is atomic in the database: the same wamid posted many times at once, on SQLite and
PostgreSQL (each POST is its own connection and transaction), gets one reply."""

from __future__ import annotations

import asyncio

import pytest

from bot.tickets.models import OutboxMessage
from tests.tickets.conftest import empty_schema
from tests.whatsapp.conftest import Employer, start_lotse
from tests.whatsapp.test_transcripts import rows


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def any_lotse(request, config, shared_core, standin, clock, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/lotse.db"
    else:
        url = request.getfixturevalue("postgres_url")
        await empty_schema(url)
    async with start_lotse(config, url, shared_core.knowledge, standin, clock) as running:
        yield running


async def test_the_same_wamid_concurrently_from_two_chats_batches(any_lotse):
    anna = Employer(any_lotse)
    carla = Employer(any_lotse, "DE.55555555555555555555", None, "Carla")
    first, second = anna.text("Brauche ich eine Arbeitserlaubnis?"), carla.text("Welche Förderung gibt es?")
    both = anna.text("x")
    both["entry"] = first["entry"] + second["entry"]
    statuses = await asyncio.gather(
        *([any_lotse.post(first)] * 3 + [any_lotse.post(both)] * 3 + [any_lotse.post(second)] * 2)
    )
    assert statuses == [200] * 8
    await any_lotse.drain()
    assert len(anna.sent()) == 1 and len(carla.sent()) == 1
    assert len(await rows(any_lotse, OutboxMessage)) == 2
