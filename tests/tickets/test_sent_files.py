"""The console's view of the files a team sent (FileStore.sent_in, in_ticket): each file beside the message
that announced it, only within its ticket, and "removed" once the retention or /delete took it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.config import Retention, TeamFiles
from bot.retention import purge
from bot.tickets.erasure import erase_chat
from bot.tickets.files import FileStore, SentFile, check_upload, send_file
from bot.tickets.models import TicketEvent
from tests.tickets.test_service import ANNA, open_ticket

PDF = b"%PDF-1.4\n% Merkblatt\n" + b"0" * 1500 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 300


async def send(desk, ticket_id: int, name: str, data: bytes) -> None:
    await send_file(desk.service, ticket_id, ANNA, check_upload(name, data, TeamFiles(), "de"))


async def file_messages(desk, ticket_id: int) -> dict[int, SentFile]:
    messages = await desk.service.messages(ticket_id)
    return await FileStore(desk.service.database).sent_in(ticket_id, messages)


async def test_each_file_is_shown_beside_its_message_and_only_in_its_ticket(desk, database):
    ticket = await open_ticket(desk, chat="1")
    other = await open_ticket(desk, chat="2")
    # the test's clock stands still: both files and their messages share one time, so only the ids tie them
    await send(desk, ticket.id, "Merkblatt.pdf", PDF)
    await desk.service.answer(ticket.id, ANNA, "Bitte das Merkblatt lesen.")
    await send(desk, ticket.id, "Plan.png", PNG)
    await send(desk, other.id, "Anderes.pdf", PDF)

    messages = await desk.service.messages(ticket.id)
    files = await file_messages(desk, ticket.id)
    shown = [(m.text.splitlines()[0], files[m.id].name, files[m.id].size) for m in messages if m.id in files]
    assert shown == [("📎 Merkblatt.pdf", "Merkblatt.pdf", len(PDF)), ("📎 Plan.png", "Plan.png", len(PNG))]
    assert [files[m.id].label for m in messages if m.id in files] == ["PDF", "PNG"]
    assert not any(f.removed for f in files.values())

    store = FileStore(database)
    first = next(iter(files.values()))
    assert (await store.in_ticket(first.id, ticket.id)).data == PDF
    [theirs] = (await file_messages(desk, other.id)).values()
    assert await store.in_ticket(theirs.id, ticket.id) is None  # another ticket's file, asked for under this one
    assert await store.in_ticket(first.id, other.id) is None


async def test_files_taken_by_the_retention_show_as_removed(desk, database):
    ticket = await open_ticket(desk, chat="3")
    await send(desk, ticket.id, "Merkblatt.pdf", PDF)
    removed = await purge(database, Retention(days=30), now=desk.service.clock() + timedelta(days=31))
    assert removed["team_files"] == 1 and removed["tickets"] == 0  # the ticket is answered, not closed: it stays
    [file] = (await file_messages(desk, ticket.id)).values()
    assert file.removed and file.name == "" and file.label == ""


async def test_files_sent_before_the_audit_named_them_are_found_by_time_and_author(desk, database):
    ticket = await open_ticket(desk, chat="4")
    await send(desk, ticket.id, "Merkblatt.pdf", PDF)
    await send(desk, ticket.id, "Plan.png", PNG)
    async with database.transaction() as session:  # as written by the version before (message_id only)
        for event in (await session.execute(select(TicketEvent).where(TicketEvent.action == "file_sent"))).scalars():
            assert "file_id" in event.detail
            event.detail = {key: value for key, value in event.detail.items() if key != "file_id"}
    files = await file_messages(desk, ticket.id)
    assert [file.name for file in files.values()] == ["Merkblatt.pdf", "Plan.png"]


async def test_after_the_employers_delete_nothing_of_the_file_is_left(desk, database, team_config):
    ticket = await open_ticket(desk, chat="5")
    await send(desk, ticket.id, "Merkblatt.pdf", PDF)
    [before] = (await file_messages(desk, ticket.id)).values()
    await erase_chat(database, team_config, "telegram", "5", desk.service.clock)
    assert await FileStore(database).in_ticket(before.id, ticket.id) is None
    [after] = (await file_messages(desk, ticket.id)).values()  # the anonymised audit trail keeps the message's id
    assert after.removed and after.message_id == before.message_id
