"""Team files on the web: the console's upload on a ticket's page, and the web chat's download.

Upload: a multipart form, read as a stream (the server's 1 MB body limit stays for everything
else), so a file over tickets.files.max_megabytes is counted, not kept, and gets a clear message.
Its CSRF token is the form's first field, checked here (the console's guard leaves this route's
body unread). Download: only the chat the file went to can fetch it, with its X-Chat-Token
header (the page's script saves it); any other chat, or a made-up number, gets 404.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from urllib.parse import quote

from aiohttp import BodyPartReader, web
from aiohttp_session import get_session

from bot.accounts.web_chat import CHANNEL
from bot.text_input import clean_text, parse_id
from bot.tickets.files import MAX_CAPTION, FileStore, check_size, check_upload, send_file
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
    disposition = f"attachment; filename=\"{quote(stored.name)}\"; filename*=UTF-8''{quote(stored.name)}"
    return web.Response(
        body=stored.data,
        content_type=stored.mime,
        headers={"Content-Disposition": disposition, "Cache-Control": "private, no-store"},
    )


def add_chat_routes(app: web.Application) -> None:
    """The web chat's download route (mounted under /chat)."""
    app[FILES] = FileStore(app[SERVICES].database)
    app.router.add_get("/api/files/{file_id}", download, name="chat.file")
