"""The Graph API client: POST <base>/<version>/<phone number id>/messages on the process's one
aiohttp ClientSession, errors as data (code, HTTP status, details) for the sender to map."""

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
        if settings.access_token is None:
            raise ValueError("WHATSAPP_ACCESS_TOKEN is not set")
        self._headers = {"Authorization": f"Bearer {settings.access_token.get_secret_value()}"}
        self._timeout = aiohttp.ClientTimeout(total=settings.request_timeout_seconds)

    async def send(self, body: dict) -> str:
        """Send one message; returns its wamid (accepted, not yet delivered).

        Raises:
            GraphError: Meta's error, or none reached us (network, timeout, a body that is not JSON).
        """
        try:
            async with self.session.post(self.url, json=body, headers=self._headers, timeout=self._timeout) as response:
                try:
                    answer = await response.json(content_type=None)
                except ValueError:
                    answer = None
                status = response.status
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise GraphError(None, None, type(exc).__name__, str(exc)) from exc
        if 200 <= status < 300 and isinstance(answer, dict) and answer.get("messages"):
            return str(answer["messages"][0]["id"])
        error = (answer or {}).get("error") if isinstance(answer, dict) else None
        if not isinstance(error, dict):
            raise GraphError(None, status, f"HTTP {status}", "no Graph error in the answer")
        data = error.get("error_data")
        details = str(data.get("details", "")) if isinstance(data, dict) else ""
        code = error.get("code")
        raise GraphError(int(code) if isinstance(code, int) else None, status, str(error.get("message", "")), details)
