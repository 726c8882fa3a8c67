"""Team files on the web: the console's upload and download on a ticket's page, and the web chat's download.

Upload: a multipart form, read as a stream (the server's 1 MB body limit stays for everything
else), so a file over tickets.files.max_megabytes is counted, not kept, and gets a clear message.
Its CSRF token is the form's first field, checked here (the console's guard leaves this route's
body unread). Download in the web chat: only the chat the file went to can fetch it, with its
X-Chat-Token header (the page's script saves it); any other chat, or a made-up number, gets 404.
Download in the console: whoever may see the ticket's page (the same rule, TicketsView.visible);
anyone else gets 404 as for the page. Both are attachments with a sanitised name, never cached
by a shared cache, and typed by the file's content (checked at upload).
"""

from __future__ import annotations

import hmac
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote

from aiohttp import BodyPartReader, web
from aiohttp_session import get_session

from bot.accounts.web_chat import CHANNEL
from bot.text_input import clean_text, parse_id
from bot.tickets.files import MAX_CAPTION, FileStore, check_size, check_upload, safe_name, send_file
from bot.tickets.models import TeamFile
from bot.tickets.service import TicketError, TicketNotFound
from handlers.web.chat_store import chat_id_of
from handlers.web.security import ACCOUNT, CSRF_EXPECTED, flash
from handlers.web.services import SERVICES
from handlers.web.tickets_view import actor

HARD_LIMIT = 64 * 1024 * 1024  # past this the upload is cut off (413) instead of read to the end
FIELD_LIMIT = 8 * 1024  # the form's other fields: the CSRF token and the words to the employer
CHUNK = 64 * 1024
FILES = web.AppKey("lotse_team_files", FileStore)


@dataclass
class UploadForm:
    csrf: str = ""
    caption: str = ""
    name: str = ""
    data: bytes = b""
    size: int = 0  # the file's whole size, also when it was too large to keep


async def _read(part: BodyPartReader, keep: int) -> tuple[bytes, int]:
    """The part's first `keep` bytes, and its whole size (read to the end, up to HARD_LIMIT)."""
    kept, size = bytearray(), 0
    while chunk := await part.read_chunk(CHUNK):
        size += len(chunk)
        if size > HARD_LIMIT:
            raise web.HTTPRequestEntityTooLarge(max_size=HARD_LIMIT, actual_size=size)
        if len(kept) < keep:
            kept += chunk[: keep - len(kept)]
    return bytes(kept), size


async def read_upload(request: web.Request, max_bytes: int) -> UploadForm:
    """The upload form's fields; the file is kept only if it is at most `max_bytes` (form.size says)."""
    if request.content_length and request.content_length > HARD_LIMIT:
        raise web.HTTPRequestEntityTooLarge(max_size=HARD_LIMIT, actual_size=request.content_length)
    form = UploadForm()
    try:
        reader = await request.multipart()
    except (AssertionError, ValueError) as exc:  # not a multipart body
        raise web.HTTPBadRequest(text="a multipart form is expected") from exc
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            raise web.HTTPBadRequest(text="nested multipart is not expected")
        if part.name == "file":
            form.name = part.filename or ""
            form.data, form.size = await _read(part, max_bytes + 1)
        else:
            value, _ = await _read(part, FIELD_LIMIT)
            text = value.decode("utf-8", "replace")
            if part.name == "csrf":
                form.csrf = text
            elif part.name == "text":
                form.caption = clean_text(text).strip()
    return form


async def upload(request: web.Request) -> web.Response:
    """Send a file (PDF, JPEG, PNG) to the ticket's employer, signed with the team's name."""
    services, account = request.app[SERVICES], request[ACCOUNT]
    ticket_id = parse_id(request.match_info["ticket_id"])
    settings, session = services.config.tickets.files, await get_session(request)
    form = await read_upload(request, settings.max_bytes)
    expected = request.get(CSRF_EXPECTED, "")
    if not expected or not hmac.compare_digest(form.csrf.encode(), expected.encode()):
        raise web.HTTPForbidden(text="The form has expired. Go back, reload the page and try again.")
    try:
        ticket = (await services.view.detail(account, ticket_id or 0)).ticket  # another team's: not found
        lang = services.config.tickets.teams[ticket.team].lang
        check_size(form.size, settings, lang)
        checked = check_upload(form.name, form.data, settings, lang)
        await send_file(services.tickets, ticket.id, actor(account), checked, form.caption[:MAX_CAPTION])
    except TicketNotFound as exc:
        raise web.HTTPNotFound(text="No such ticket in your teams' queues.") from exc
    except TicketError as exc:  # FileRefused too: what was wrong with the file
        flash(session, str(exc), "error")
    else:
        flash(session, "done:file", "ok")
    raise web.HTTPSeeOther(f"/console/tickets/{ticket_id}")


async def download(request: web.Request) -> web.Response:
    """The file, to the chat it was sent to (X-Chat-Token); 404 for anyone else."""
    services = request.app[SERVICES]
    chat_id = chat_id_of(request.headers.get("X-Chat-Token", ""), services.session_key)
    if chat_id is None:
        raise web.HTTPUnauthorized(text="no chat token")
    file_id = parse_id(request.match_info["file_id"])
    stored = await request.app[FILES].for_chat(file_id, CHANNEL, chat_id) if file_id is not None else None
    if stored is None:
        raise web.HTTPNotFound(text="no such file in this chat")
    return file_response(stored)


async def ticket_file(request: web.Request) -> web.Response:
    """A file the team sent in the ticket, to an account that may see the ticket; 404 for anyone else."""
    view, account = request.app[SERVICES].view, request[ACCOUNT]
    ticket_id, file_id = parse_id(request.match_info["ticket_id"]), parse_id(request.match_info["file_id"])
    try:
        stored = await view.file(account, ticket_id or 0, file_id or 0)
    except TicketNotFound as exc:  # another team's ticket, or a file of another ticket: as if there were none
        raise web.HTTPNotFound(text="No such file in your teams' tickets.") from exc
    return file_response(stored)


def file_response(stored: TeamFile) -> web.Response:
    """The file as a download: its content's type, an attachment's safe name, for nobody's cache but the browser's."""
    return web.Response(
        body=stored.data,
        content_type=stored.mime,
        headers={
            "Content-Disposition": content_disposition(stored.name),
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def content_disposition(name: str) -> str:
    """`attachment` with the name twice (RFC 6266): plain ASCII for old clients, UTF-8 (RFC 5987) for the rest.

    safe_name drops paths, quotes, semicolons and control characters, so nothing can end the header's value.
    """
    name = safe_name(name)
    plain = "".join(
        char if char.isascii() else "_"
        for char in unicodedata.normalize("NFKD", name)
        if not unicodedata.combining(char)  # "Prüfung" -> "Prufung", not "Pru_fung"
    )
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe='')}"


def add_chat_routes(app: web.Application) -> None:
    """The web chat's download route (mounted under /chat)."""
    app[FILES] = FileStore(app[SERVICES].database)
    app.router.add_get("/api/files/{file_id}", download, name="chat.file")
