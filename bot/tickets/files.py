"""Files from a team to an employer: a form, a checklist, a leaflet (PDF, JPEG or PNG).

A file is checked by its content (magic bytes) and its name, and against the size limit
(config tickets.files); a refused file gets the coordinator a message saying why. An accepted
file is stored (team_files) with a note in the ticket's conversation, and goes to the employer
through the outbox (kind "file"), signed with the team's name like an answer. Employers cannot
send files (their documents are personal data): the channels keep refusing them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import TeamFiles
from bot.db.engine import Database
from bot.messages import Reply
from bot.texts import t
from bot.tickets import staff
from bot.tickets.models import CLOSED, TeamFile, Ticket, TicketEvent, TicketMessage
from bot.tickets.outbox import enqueue, reply_payload
from bot.tickets.service import Actor, InvalidTransition, TicketError, TicketService

FILE_CHANNELS = ("telegram", "web", "whatsapp")  # employers' channels that can receive a file
CHANNEL_NAMES = {"terminal": "the terminal"}
MAX_CAPTION = 700  # the team's words with a file; with title and signature it stays within Telegram's 1024
_UNSAFE = re.compile(r"[^\w .()+-]+")


@dataclass(frozen=True)
class FileType:
    label: str
    mime: str
    suffixes: tuple[str, ...]
    magic: bytes


FILE_TYPES = {
    "pdf": FileType("PDF", "application/pdf", (".pdf",), b"%PDF-"),
    "jpeg": FileType("JPEG", "image/jpeg", (".jpg", ".jpeg"), b"\xff\xd8\xff"),
    "png": FileType("PNG", "image/png", (".png",), b"\x89PNG\r\n\x1a\n"),
}


class FileRefused(TicketError):
    """The file is not sent; the message (in the team's language) says why, for the coordinator."""


@dataclass(frozen=True)
class Upload:
    """A checked file, ready to send."""

    name: str
    data: bytes
    mime: str
    as_photo: bool = False  # Telegram: send as a photo (it came as one), else as a document


def megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}".rstrip("0").rstrip(".")


def check_size(size: int, settings: TeamFiles, lang: str) -> None:
    """Refuse a file over the limit (also before downloading it, when its size is announced)."""
    if size > settings.max_bytes:
        raise FileRefused(t("st_file_too_large", lang, size=megabytes(size), limit=f"{settings.max_megabytes:g}"))


def _refuse_type(settings: TeamFiles, lang: str) -> FileRefused:
    types = ", ".join(FILE_TYPES[key].label for key in settings.types)
    return FileRefused(t("st_file_type", lang, types=types))


def safe_name(name: str) -> str:
    """The file's name without a path, control characters or anything a download header could trip on."""
    base = PurePosixPath(name.replace("\\", "/")).name
    base = _UNSAFE.sub("_", unicodedata.normalize("NFC", base)).strip(" ._")
    return base[-120:] or "file"


def check_name(name: str, settings: TeamFiles, lang: str) -> None:
    """Refuse early (before a download) a name whose ending is not on the allow-list."""
    suffix = PurePosixPath(name.lower()).suffix
    if not any(suffix in FILE_TYPES[key].suffixes for key in settings.types):
        raise _refuse_type(settings, lang)


def check_upload(name: str, data: bytes, settings: TeamFiles, lang: str, as_photo: bool = False) -> Upload:
    """The file, if its size, its content and its name's ending are allowed; else FileRefused.

    The content decides the type: a name alone ("leaflet.pdf") never lets a file through.
    """
    check_size(len(data), settings, lang)
    name = safe_name(name)
    kind = next((key for key in settings.types if data.startswith(FILE_TYPES[key].magic)), None)
    if kind is None or PurePosixPath(name.lower()).suffix not in FILE_TYPES[kind].suffixes:
        raise _refuse_type(settings, lang)
    return Upload(name, data, FILE_TYPES[kind].mime, as_photo=as_photo and kind != "pdf")


def file_reply(service: TicketService, ticket: Ticket, upload: Upload, caption: str) -> Reply:
    """What the employer gets with the file: its name, the team's words, signed with the team's name."""
    text = t("ho_file_caption", ticket.lang, name=upload.name)
    if caption:
        text += "\n\n" + staff.clip(caption, MAX_CAPTION)
    return staff.employer_answer(service.config, ticket, text)


async def send_file(
    service: TicketService, ticket_id: int, actor: Actor, upload: Upload, caption: str = "", source_key: str = ""
) -> Ticket:
    """Send a checked file to the ticket's employer, like an answer: stored, audited, through the outbox.

    Raises:
        TicketNotFound, NotAllowed, InvalidTransition (closed, or the employer deleted their data),
        FileRefused (files switched off, or the employer's channel cannot receive files).
    """

    async def work(session: AsyncSession) -> Ticket:
        # The service's own steps (lock, access, audit), so a file is a ticket change like an answer.
        ticket = await service._lock(session, ticket_id)
        service._may_act(ticket, actor)
        seen = select(TicketMessage.id).where(TicketMessage.source_key == source_key)
        if source_key and (await session.execute(seen)).first():
            return ticket  # a redelivered update: sent already
        _may_send(service, ticket)
        before, now = ticket.status, service.clock()
        service._answered_by(ticket, actor, now)
        stored = TeamFile(
            ticket_id=ticket.id,
            name=upload.name,
            mime=upload.mime,
            size=len(upload.data),
            as_photo=upload.as_photo,
            data=upload.data,
            author_id=actor.id,
            created_at=now,
        )
        text = t("ho_file_caption", ticket.lang, name=upload.name) + (f"\n\n{caption}" if caption else "")
        message = TicketMessage(
            ticket_id=ticket.id,
            author="staff",
            author_id=actor.id,
            author_name=actor.name,
            text=text,
            source_key=source_key or None,
            created_at=now,
        )
        session.add_all([stored, message])
        await session.flush()
        # the file's id ties it to its message in the console's conversation (FileStore.sent_in)
        service._event(session, ticket, actor, "file_sent", before, message_id=message.id, file_id=stored.id)
        described = {"id": stored.id, "name": stored.name, "mime": stored.mime, "size": stored.size}
        enqueue(
            session,
            ticket.channel or "",
            ticket.chat_external_id or "",
            reply_payload(file_reply(service, ticket, upload, caption), ticket.lang) | {"file": described},
            kind="file",
            ticket_id=ticket.id,
            purpose="answer",  # a file is an answer: on WhatsApp it waits for the window (and its template) like one
            dedup_key=f"answer:{message.id}",
            now=now,
        )
        return ticket

    return await service._commit(work)


def may_send(service: TicketService, ticket: Ticket, actor: Actor) -> None:
    """Refuse before a download what send_file would refuse anyway (not the team's, closed, no files there)."""
    service._may_act(ticket, actor)
    _may_send(service, ticket)


def _may_send(service: TicketService, ticket: Ticket) -> None:
    lang = service.settings.teams[ticket.team].lang
    if ticket.status == CLOSED:
        raise InvalidTransition(f"ticket #{ticket.id} is closed")
    if ticket.channel is None:
        raise InvalidTransition(f"ticket #{ticket.id}: the employer deleted their data")
    if not service.settings.files.enabled:
        raise FileRefused(t("st_files_off", lang))
    if ticket.channel not in FILE_CHANNELS:
        raise FileRefused(t("st_file_channel", lang, channel=CHANNEL_NAMES.get(ticket.channel, ticket.channel)))


@dataclass(frozen=True)
class SentFile:
    """A file the team sent, as the console shows it in the ticket's conversation (without its bytes)."""

    message_id: int
    id: int | None  # None: removed since (the retention, or the employer's /delete)
    name: str = ""
    mime: str = ""
    size: int = 0

    @property
    def removed(self) -> bool:
        return self.id is None

    @property
    def label(self) -> str:
        """The type as people name it: PDF, JPEG, PNG."""
        return next((kind.label for kind in FILE_TYPES.values() if kind.mime == self.mime), "")


class FileStore:
    """Reads stored files: for the outbox's senders, a web chat's download (only its own) and the console."""

    def __init__(self, database: Database):
        self.database = database

    async def load(self, file_id: int) -> TeamFile | None:
        async with self.database.read() as session:
            return await session.get(TeamFile, file_id)

    async def for_chat(self, file_id: int, channel: str, chat_id: str) -> TeamFile | None:
        """The file if it went to this chat's ticket; None for any other chat (or no such file)."""
        async with self.database.read() as session:
            return (
                await session.execute(
                    select(TeamFile)
                    .join(Ticket, Ticket.id == TeamFile.ticket_id)
                    .where(TeamFile.id == file_id, Ticket.channel == channel, Ticket.chat_external_id == chat_id)
                )
            ).scalar_one_or_none()

    async def in_ticket(self, file_id: int, ticket_id: int) -> TeamFile | None:
        """The file if it was sent in this ticket; None for any other ticket's (or no such file)."""
        async with self.database.read() as session:
            return (
                await session.execute(select(TeamFile).where(TeamFile.id == file_id, TeamFile.ticket_id == ticket_id))
            ).scalar_one_or_none()

    async def sent_in(self, ticket_id: int, messages: Iterable[TicketMessage]) -> dict[int, SentFile]:
        """The files sent in the ticket, by the id of the conversation's message that announced each.

        A message whose file is gone (retention, /delete) maps to a removed SentFile, so the console
        shows "removed" instead of a broken link. Audit rows written before they named the file are
        matched by the message's time and author (a file and its message are written together).
        """
        columns = (TeamFile.id, TeamFile.name, TeamFile.mime, TeamFile.size, TeamFile.created_at, TeamFile.author_id)
        async with self.database.read() as session:
            sent = (
                await session.execute(
                    select(TicketEvent.detail)
                    .where(TicketEvent.ticket_id == ticket_id, TicketEvent.action == "file_sent")
                    .order_by(TicketEvent.id)
                )
            ).scalars()
            stored = (
                await session.execute(select(*columns).where(TeamFile.ticket_id == ticket_id).order_by(TeamFile.id))
            ).all()
        by_id = {row.id: row for row in stored}
        by_message = {message.id: message for message in messages}
        found: dict[int, SentFile] = {}
        for detail in sent:
            message = by_message.get(int((detail or {}).get("message_id") or 0))
            if message is None:
                continue
            file_id = detail.get("file_id")
            row = by_id.pop(int(file_id), None) if file_id else _written_with(message, by_id)
            found[message.id] = (
                SentFile(message.id, row.id, row.name, row.mime, row.size) if row else SentFile(message.id, None)
            )
        return found


def _written_with(message: TicketMessage, rows: dict[int, Row]) -> Row | None:
    """The stored file written in the same transaction as `message` (same time and author), taken from `rows`."""
    for file_id, row in rows.items():
        if row.created_at == message.created_at and row.author_id == message.author_id:
            return rows.pop(file_id)
    return None
