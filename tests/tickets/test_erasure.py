"""/delete erases every text the employer gave: listed from the tables' metadata, so a column added
later is checked too. On SQLite and PostgreSQL, over the real webhook, staff group and outbox."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import JSON, LargeBinary, String, Text, select

from bot.accounts.models import FaqSuggestion
from bot.config import Retention
from bot.db import Base
from bot.retention import purge
from bot.tickets.models import Ticket, TicketEvent
from tests.tickets.conftest import AUTHORITY_GROUP
from tests.tickets.test_team_files import document
from tests.tickets.test_telegram_flow import (  # noqa: F401
    bot,
    hand_over_to_authority,
    people,
    settle,
    standin,
    table,
)

NOTE = "Herr Yilmaz, geboren 1987, wartet seit März"
ANSWER = "Die Verlängerung ist beantragt; Frau Novak bekommt einen Termin."
REPLY = "Danke! Braucht Frau Novak ihren Pass?"
FILE_NAME = "Checkliste_Novak.pdf"
FILE = b"%PDF-1.4\n% Checkliste fuer Frau Novak, Pass Nr. C01X00T47\n%%EOF\n"


def text_columns():
    """Every string, text, JSON and binary (a team's file) column of the product's tables."""
    for table_ in Base.metadata.sorted_tables:
        columns = [
            c
            for c in table_.columns
            if isinstance(c.type, (String, Text, JSON, LargeBinary))
            or isinstance(getattr(c.type, "impl", None), (String, Text, JSON, LargeBinary))
        ]
        if columns:
            yield table_, columns


async def leftovers(database, secrets: list[str], chat_id: str) -> list[str]:
    """Where any of `secrets` (or the chat id as a whole value or label part) is still stored."""
    found = []
    async with database.read() as session:
        for table_, columns in text_columns():
            for row in (await session.execute(select(*columns))).all():
                for column, value in zip(columns, row, strict=True):
                    if value is None:
                        continue
                    if isinstance(value, bytes):
                        text = value.decode("utf-8", "replace")
                    else:
                        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                    hits = [s for s in secrets if s in text]
                    if text == chat_id or f":{chat_id}" in text or f'"{chat_id}"' in text:
                        hits.append(f"chat id {chat_id}")
                    found += [f"{table_.name}.{column.name}: {hit}" for hit in hits]
    return found


@pytest.mark.parametrize("on_delete", ["anonymise", "delete"])
async def test_no_text_of_the_employer_survives_delete(bot, standin, people, on_delete):  # noqa: F811
    employer, officer = people["employer"], people["officer"]
    ticket, (question, _) = await hand_over_to_authority(bot, employer)
    await settle(bot)
    thread = int(standin.sent(AUTHORITY_GROUP)[0].params["message_thread_id"])
    await officer.deliver(officer.message(ANSWER, message_thread_id=thread, is_topic_message=True))
    await officer.deliver(officer.message("// " + NOTE, message_thread_id=thread, is_topic_message=True))
    standin.files["f-list"] = FILE
    await officer.deliver(document(officer, thread, "f-list", FILE_NAME, len(FILE), "Zum Ausfüllen."))
    await settle(bot)
    await employer.presses("Antworten")
    await employer.says(REPLY)
    await settle(bot)
    async with bot.database.transaction() as session:  # a coordinator proposed it for the FAQ in the console
        session.add(
            FaqSuggestion(
                ticket_id=ticket.id,
                lang="de",
                question=question,
                answer=ANSWER,
                new_topic_id="residence.extension",
                status="new",
                created_by="anna",
            )
        )
    chat_id = str(employer.chat["id"])
    secrets = [question[:40], "Bäckerei Beispiel", "+49 170 1234567", NOTE, ANSWER, REPLY, FILE_NAME, "C01X00T47"]
    before = await leftovers(bot.database, secrets, chat_id)
    assert len(before) > 10 and "team_files.data: C01X00T47" in before  # the check sees them before

    await employer.says("/delete")
    await employer.presses("Ja, alles löschen")
    await settle(bot)

    assert await leftovers(bot.database, secrets, chat_id) == []
    assert standin.topics[thread]["name"] == f"#{ticket.id}"  # the topic lost the company's name
    if on_delete == "anonymise":
        [kept] = await table(bot, Ticket)
        assert (kept.id, kept.team, kept.status) == (ticket.id, "authority", "closed")
        assert {e.actor for e in await table(bot, TicketEvent)} <= {"employer", f"staff:{officer.user['id']}", "system"}


async def test_retention_purges_faq_suggestions(database, clock):
    async with database.transaction() as session:
        session.add(
            FaqSuggestion(
                lang="de",
                question="old",
                answer="a",
                status="new",
                created_by="anna",
                created_at=clock() - timedelta(days=400),
            )
        )
        session.add(
            FaqSuggestion(lang="de", question="new", answer="a", status="new", created_by="anna", created_at=clock())
        )
    removed = await purge(database, Retention(days=365), now=clock())
    assert removed["faq_suggestions"] == 1
    assert [s.question for s in await _all(database, FaqSuggestion)] == ["new"]


async def _all(database, model) -> list:
    async with database.read() as session:
        return list((await session.execute(select(model))).scalars())
