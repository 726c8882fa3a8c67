"""The Graph API client: POST <base>/<version>/<phone number id>/messages (and /media for a team's
file) on the process's one aiohttp ClientSession, errors as data (code, HTTP status, details) for
the sender to map."""

from __future__ import annotations

import logging

import aiohttp

from bot.config import WhatsAppSettings

log = logging.getLogger(__name__)


class GraphError(Exception):
    """Graph refused or could not be reached; `code` is Meta's error code (None: network or no JSON)."""

    def __init__(self, code: int | None, http_status: int | None, title: str = "", details: str = ""):
        super().__init__(f"{code} {title}: {details}".strip(": "))
        self.code = code
        self.http_status = http_status
        self.title = title
        self.details = details


class GraphClient:
    """Sends message bodies; the session is created and closed by the process, not here."""

    def __init__(self, session: aiohttp.ClientSession, settings: WhatsAppSettings):
        self.session = session
        self.url = settings.messages_url
        self.media_url = settings.messages_url.removesuffix("/messages") + "/media"
        if settings.access_token is None:
            raise ValueError("WHATSAPP_ACCESS_TOKEN is not set")
        self._headers = {"Authorization": f"Bearer {settings.access_token.get_secret_value()}"}
        self._timeout = aiohttp.ClientTimeout(total=settings.request_timeout_seconds)

    async def send(self, body: dict) -> str:
        """Send one message; returns its wamid (accepted, not yet delivered).

        Raises:
            GraphError: Meta's error, or none reached us (network, timeout, a body that is not JSON).
        """
        status, answer = await self._post(self.url, json=body)
        if 200 <= status < 300 and isinstance(answer, dict) and answer.get("messages"):
            return str(answer["messages"][0]["id"])
        raise self._error(status, answer)

    async def upload(self, name: str, mime: str, data: bytes) -> str:
        """Upload a file for a document or image message; returns its media id (Meta keeps it 30 days)."""
        form = aiohttp.FormData()
        form.add_field("messaging_product", "whatsapp")
        form.add_field("type", mime)
        form.add_field("file", data, filename=name, content_type=mime)
        status, answer = await self._post(self.media_url, data=form)
        if 200 <= status < 300 and isinstance(answer, dict) and answer.get("id"):
            return str(answer["id"])
        raise self._error(status, answer)

    async def _post(self, url: str, **body) -> tuple[int, object]:
        try:
            async with self.session.post(url, headers=self._headers, timeout=self._timeout, **body) as response:
                try:
                    answer = await response.json(content_type=None)
                except ValueError:
                    answer = None
                return response.status, answer
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise GraphError(None, None, type(exc).__name__, str(exc)) from exc

    @staticmethod
    def _error(status: int, answer: object) -> GraphError:
        error = answer.get("error") if isinstance(answer, dict) else None
        if not isinstance(error, dict):
            return GraphError(None, status, f"HTTP {status}", "no Graph error in the answer")
        data = error.get("error_data")
        details = str(data.get("details", "")) if isinstance(data, dict) else ""
        code = error.get("code")
        return GraphError(int(code) if isinstance(code, int) else None, status, str(error.get("message", "")), details)
