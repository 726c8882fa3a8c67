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
from dataclasses import dataclass
from pathlib import PurePosixPath

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import TeamFiles
from bot.db.engine import Database
from bot.messages import Reply
from bot.texts import t
from bot.tickets import staff
from bot.tickets.models import CLOSED, TeamFile, Ticket, TicketMessage
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
        service._event(session, ticket, actor, "file_sent", before, message_id=message.id)
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


class FileStore:
    """Reads stored files: for the outbox's senders, and for a web chat's download (only its own)."""

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
