"""A stand-in for the WhatsApp Graph API on 127.0.0.1: checks the Bearer token and Meta's limits,
records every call, and fails on request like Meta does (synchronously, or later as a `failed`
status webhook that the test posts to Lotse).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field

from aiohttp import web

TOKEN = "test-access-token"
VERSION = "v26.0"
PHONE_NUMBER_ID = "106540352242922"
TEMPLATE = "lotse_antwort_bereit"

# Meta's answers for the faults the tests ask for: (HTTP status, code, title).
FAULTS = {
    131047: (400, "Re-engagement message"),
    130429: (429, "Rate limit hit"),
    131056: (400, "(Business Account, Consumer Account) pair rate limit hit"),
    131026: (400, "Message undeliverable"),
    190: (401, "Access token has expired"),
    132015: (400, "Template is paused"),
    500: (500, "Internal error"),
}


@dataclass
class Call:
    body: dict
    status: int
    wamid: str | None = None
    error: int | None = None
    at: float = field(default_factory=time.perf_counter)  # when it arrived (bench/whatsapp_bench.py)

    @property
    def recipient(self) -> str:
        return self.body.get("to") or self.body.get("recipient") or ""

    @property
    def type(self) -> str:
        return self.body.get("type", "")

    @property
    def text(self) -> str:
        if self.type == "text":
            return self.body["text"]["body"]
        if self.type == "interactive":
            return self.body["interactive"]["body"]["text"]
        return ""

    @property
    def choices(self) -> dict[str, str]:
        """Button titles and list row titles -> their ids."""
        if self.type != "interactive":
            return {}
        action = self.body["interactive"]["action"]
        if "buttons" in action:
            return {b["reply"]["title"]: b["reply"]["id"] for b in action["buttons"]}
        return {r["title"]: r["id"] for s in action["sections"] for r in s["rows"]}


def _limit_problem(body: dict, media: dict[str, dict] | None = None) -> tuple[int, str] | None:
    """Meta's limits (../shared/whatsapp.md §1.6): (code, details) of the first one broken."""
    if body.get("messaging_product") != "whatsapp" or not (body.get("to") or body.get("recipient")):
        return 100, "messaging_product and to or recipient are required"
    kind = body.get("type")
    if kind == "text":
        text = body.get("text", {}).get("body", "")
        return (131009, "text.body is longer than 4096") if not 1 <= len(text) <= 4096 else None
    if kind == "template":
        return None if body.get("template", {}).get("name") else (100, "template.name is required")
    if kind in ("document", "image"):  # a team's file, uploaded to /media before
        known = body.get(kind, {}).get("id") in (media or {})
        return None if known else (131053, f"{kind}.id is not an uploaded media id")
    if kind != "interactive":
        return 100, f"unsupported type {kind!r}"
    interactive = body["interactive"]
    if not 1 <= len(interactive.get("body", {}).get("text", "")) <= 1024:
        return 131009, "interactive body must be 1-1024 characters"
    action = interactive.get("action", {})
    if interactive.get("type") == "button":
        buttons = action.get("buttons", [])
        titles = [b["reply"]["title"] for b in buttons]
        if not 1 <= len(buttons) <= 3 or len(set(titles)) != len(titles):
            return 131009, "1-3 buttons with distinct titles"
        if any(not 1 <= len(x) <= 20 for x in titles) or any(not 1 <= len(b["reply"]["id"]) <= 256 for b in buttons):
            return 131009, "button title 1-20, id 1-256 characters"
        return None
    if interactive.get("type") == "list":
        rows = [r for s in action.get("sections", []) for r in s.get("rows", [])]
        if not 1 <= len(rows) <= 10 or not 1 <= len(action.get("button", "")) <= 20:
            return 131009, "1-10 rows, button label 1-20 characters"
        if any(len(r["title"]) > 24 or len(r.get("description", "")) > 72 or len(r["id"]) > 200 for r in rows):
            return 131009, "row title 24, description 72, id 200 characters at most"
        return None
    return 100, "interactive.type must be button or list"


@dataclass
class GraphStandIn:
    """The Graph API's messages endpoint, as far as Lotse uses it."""

    calls: list[Call] = field(default_factory=list)
    sync_faults: list[int] = field(default_factory=list)  # codes for the next sends, in order
    async_faults: list[int] = field(default_factory=list)  # codes for later `failed` statuses
    paused_templates: set[str] = field(default_factory=set)
    media: dict[str, dict] = field(default_factory=dict)  # media id -> {"name", "type", "data"} (POST /media)
    pending_failures: list[tuple[Call, int]] = field(default_factory=list)
    # Answer accepted sends only after this many seconds (a slow Graph API): the message counts as
    # taken when it arrives, whether or not Lotse waits for the answer (ended early by `stop`).
    hold_seconds: float = 0
    _released: asyncio.Event = field(default_factory=asyncio.Event)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    base_url: str = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/{version}/{number}/messages", self.messages)
        app.router.add_post("/{version}/{number}/media", self.upload)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"

    async def stop(self) -> None:
        self._released.set()
        if self._runner is not None:
            await self._runner.cleanup()

    def fail_next(self, code: int, times: int = 1, later: bool = False) -> None:
        """The next `times` sends fail with `code`; later=True: accepted now, `failed` status later."""
        (self.async_faults if later else self.sync_faults).extend([code] * times)

    def _error(self, call: Call, code: int, title: str, status: int, details: str = "") -> web.Response:
        call.status, call.error = status, code
        return web.json_response(
            {
                "error": {
                    "message": title,
                    "type": "OAuthException",
                    "code": code,
                    "error_data": {"messaging_product": "whatsapp", "details": details},
                    "fbtrace_id": "Atest",
                }
            },
            status=status,
        )

    async def messages(self, request: web.Request) -> web.Response:
        body = await request.json()
        call = Call(body, 0)
        self.calls.append(call)
        if request.match_info["version"] != VERSION or request.match_info["number"] != PHONE_NUMBER_ID:
            return self._error(call, 100, "Unknown path", 400)
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._error(call, 190, "Invalid OAuth access token", 401)
        problem = _limit_problem(body, self.media)
        if problem:
            return self._error(call, problem[0], "Invalid parameter", 400, problem[1])
        if body.get("type") == "template" and body["template"]["name"] in self.paused_templates:
            return self._error(call, 132015, FAULTS[132015][1], 400)
        if self.sync_faults:
            code = self.sync_faults.pop(0)
            status, title = FAULTS[code]
            if code == 500:
                call.status, call.error = 500, 500
                return web.Response(status=500, text="Internal Server Error")
            return self._error(call, code, title, status)
        call.status, call.wamid = 200, f"wamid.TEST{next(self._ids)}"
        if self.async_faults:
            self.pending_failures.append((call, self.async_faults.pop(0)))
        if self.hold_seconds:
            try:
                await asyncio.wait_for(self._released.wait(), self.hold_seconds)
            except TimeoutError:
                pass
        recipient = body.get("to") or body.get("recipient")
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": recipient, "wa_id": body.get("to") or ""}],
                "messages": [{"id": call.wamid}],
            }
        )

    async def upload(self, request: web.Request) -> web.Response:
        """POST /media: a multipart file with messaging_product and type; answers {"id": ...}."""
        call = Call({"upload": True}, 0)
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._error(call, 190, "Invalid OAuth access token", 401)
        form = await request.post()
        upload = form.get("file")
        if form.get("messaging_product") != "whatsapp" or not isinstance(upload, web.FileField):
            return self._error(call, 100, "Invalid parameter", 400, "messaging_product and file are required")
        media_id = f"media{next(self._ids)}"
        self.media[media_id] = {"name": upload.filename, "type": form.get("type"), "data": upload.file.read()}
        return web.json_response({"id": media_id})

    def accepted(self, recipient: str | None = None) -> list[Call]:
        return [c for c in self.calls if c.status == 200 and (recipient is None or c.recipient == recipient)]
