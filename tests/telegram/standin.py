"""A stand-in for the Telegram Bot API: an aiohttp app on 127.0.0.1 that records every call.

It speaks what the Bot API speaks (tech-notes 1.2): POST /bot<token>/<method> with form-encoded
fields (objects JSON-encoded) or a JSON body, multipart for files; answers {"ok": true, "result": ...}.
Calls record the parameters as a form would carry them (scalars as text, objects parsed) either way.
Like Telegram it rejects a wrong token (401), text over 4096 characters, callback data over
64 bytes and HTML it cannot parse (400), and it can be told to answer 429 with retry_after, or
500, for the next calls of a method.
Also used by bench/webhook_bench.py.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
import time
from dataclasses import dataclass, field

from aiohttp import web

TOKEN = "123456:TEST-token_for-the-stand-in"
BOT_USER = {
    "id": 123456,
    "is_bot": True,
    "first_name": "Lotse",
    "username": "lotse_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
JSON_FIELDS = {"reply_markup", "allowed_updates", "reply_parameters", "link_preview_options", "entities"}
_TAG = re.compile(r'<(/?)(b|strong|i|em|u|ins|s|strike|del|code|pre|blockquote|tg-spoiler|a)( href="[^"<>]*")?>')
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


@dataclass
class Call:
    method: str
    params: dict
    at: float  # time.perf_counter() when it arrived
    status: int = 200
    result: object = None  # what the stand-in answered (a Message for sendMessage)
    content_type: str = ""  # how the parameters came: application/json, multipart/form-data, ...

    @property
    def chat_id(self) -> int | None:
        return int(self.params["chat_id"]) if "chat_id" in self.params else None

    @property
    def text(self) -> str:
        return self.params.get("text", "")

    @property
    def buttons(self) -> list[list[dict]]:
        markup = self.params.get("reply_markup") or {}
        return markup.get("inline_keyboard", [])

    @property
    def labels(self) -> list[str]:
        return [b["text"] for row in self.buttons for b in row]

    @property
    def payloads(self) -> list[str]:
        return [b["callback_data"] for row in self.buttons for b in row]


def html_problem(text: str) -> str | None:
    """Why Telegram would refuse this HTML (parse_mode=HTML), or None if it parses."""
    stack: list[str] = []
    for match in _TAG.finditer(text):
        closing, tag = match.group(1), match.group(2)
        if closing:
            if not stack or stack.pop() != tag:
                return f"can't parse entities: unexpected end tag {tag}"
        else:
            stack.append(tag)
    if stack:
        return f"can't parse entities: unclosed tag {stack[-1]}"
    rest = _ENTITY.sub("", _TAG.sub("", text))
    if any(c in rest for c in "<>&"):
        return "can't parse entities: unsupported start tag or unescaped character"
    return None


def visible_length(text: str, parse_mode: str | None) -> int:
    """Text length after entity parsing, in UTF-16 code units as Telegram counts."""
    if parse_mode == "HTML":
        text = html.unescape(_TAG.sub("", text))
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _Failure:
    status: int
    times: int
    retry_after: int | None


@dataclass
class BotApiStandIn:
    token: str = TOKEN
    calls: list[Call] = field(default_factory=list)
    updates: list[dict] = field(default_factory=list)  # served by getUpdates
    webhook: dict = field(default_factory=dict)
    _failures: dict[str, _Failure] = field(default_factory=dict)
    _delays: dict[str, float] = field(default_factory=dict)
    _message_ids: itertools.count = field(default_factory=lambda: itertools.count(1000))
    _new_updates: asyncio.Event = field(default_factory=asyncio.Event)
    _runner: web.AppRunner | None = None
    base_url: str = ""

    # -- control from tests ---------------------------------------------------------------------------------

    def fail(self, method: str, status: int, times: int = 1, retry_after: int | None = None) -> None:
        """Answer the next `times` calls of `method` with `status` (429 with retry_after, 500, ...)."""
        self._failures[method] = _Failure(status, times, retry_after)

    def delay(self, method: str, seconds: float) -> None:
        """Answer every call of `method` only after `seconds` (a slow Bot API); 0 ends it."""
        self._delays[method] = seconds

    def queue_update(self, update: dict) -> None:
        self.updates.append(update)
        self._new_updates.set()

    def of(self, method: str, chat_id: int | None = None, ok_only: bool = True) -> list[Call]:
        return [
            c
            for c in self.calls
            if c.method == method and (chat_id is None or c.chat_id == chat_id) and (c.status == 200 or not ok_only)
        ]

    def sent(self, chat_id: int | None = None) -> list[Call]:
        """Messages delivered (sendMessage answered 200), optionally to one chat."""
        return self.of("sendMessage", chat_id)

    async def wait_for(
        self, method: str, count: int = 1, timeout: float = 5.0, chat_id: int | None = None
    ) -> list[Call]:
        deadline = time.monotonic() + timeout
        while len(self.of(method, chat_id)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} {method} call(s), got {len(self.of(method, chat_id))}")
            await asyncio.sleep(0.01)
        return self.of(method, chat_id)

    # -- server ---------------------------------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        self.add_routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}/bot"
        return self.base_url

    def add_routes(self, app: web.Application) -> None:
        """More routes for a subclass (file downloads, ...)."""

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.content_type == "application/json":
            body = await request.json()
            if not isinstance(body, dict):
                return web.json_response(
                    {"ok": False, "error_code": 400, "description": "Bad Request: not an object"}, status=400
                )
            params = {k: v if isinstance(v, str | dict | list) else json.dumps(v) for k, v in body.items()}
        else:
            form = await request.post()
            params = {k: json.loads(v) if k in JSON_FIELDS else v for k, v in form.items()}
        call = Call(method, params, time.perf_counter(), content_type=request.content_type)
        self.calls.append(call)
        if self._delays.get(method):
            await asyncio.sleep(self._delays[method])
        if request.match_info["token"] != self.token:
            return self._error(call, 401, "Unauthorized")
        failure = self._failures.get(method)
        if failure and failure.times > 0:
            failure.times -= 1
            if failure.status == 429:
                return self._error(
                    call,
                    429,
                    f"Too Many Requests: retry after {failure.retry_after}",
                    {"retry_after": failure.retry_after},
                )
            return self._error(call, failure.status, "Internal Server Error")
        answer = getattr(self, f"_api_{method}", None)
        if answer is None:
            return self._error(call, 404, "Not Found: method not found")
        result = await answer(params)
        if isinstance(result, web.Response):
            call.status = result.status
            return result
        call.result = result
        return web.json_response({"ok": True, "result": result})

    def _error(self, call: Call, status: int, description: str, parameters: dict | None = None) -> web.Response:
        call.status = status
        body = {"ok": False, "error_code": status, "description": description}
        if parameters:
            body["parameters"] = parameters
        return web.json_response(body, status=status)

    def _bad_request(self, description: str) -> web.Response:
        return web.json_response(
            {"ok": False, "error_code": 400, "description": f"Bad Request: {description}"}, status=400
        )

    def _message(self, params: dict, message_id: int | None = None) -> dict:
        chat_id = int(params["chat_id"])
        message = {
            "message_id": message_id or next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
            "from": BOT_USER,
            "text": html.unescape(_TAG.sub("", params.get("text", ""))),
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message

    def _check_markup(self, params: dict) -> str | None:
        for row in (params.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                if not 1 <= len(button.get("callback_data", "").encode()) <= 64:
                    return "BUTTON_DATA_INVALID"
        return None

    # -- the methods -------------------------------------------------------------------------------------------

    async def _api_getMe(self, params: dict) -> dict:
        return BOT_USER

    async def _api_sendMessage(self, params: dict):
        text = params.get("text", "")
        if not text.strip():
            return self._bad_request("message text is empty")
        if params.get("parse_mode") == "HTML" and (problem := html_problem(text)):
            return self._bad_request(problem)
        if visible_length(text, params.get("parse_mode")) > 4096:
            return self._bad_request("message is too long")
        if problem := self._check_markup(params):
            return self._bad_request(problem)
        return self._message(params)

    async def _api_sendDocument(self, params: dict):
        upload = params.get("document")
        if not isinstance(upload, web.FileField):
            return self._bad_request("there is no document in the request")
        message = self._message(params)
        message["document"] = {
            "file_id": "doc1",
            "file_unique_id": "doc1u",
            "file_name": upload.filename,
            "mime_type": upload.content_type,
            "file_size": len(upload.file.read()),
        }
        return message

    async def _api_editMessageText(self, params: dict):
        if problem := self._check_markup(params):
            return self._bad_request(problem)
        return self._message(params, int(params["message_id"])) | {"edit_date": int(time.time())}

    async def _api_editMessageReplyMarkup(self, params: dict):
        if problem := self._check_markup(params):
            return self._bad_request(problem)
        return self._message(params, int(params["message_id"])) | {"edit_date": int(time.time())}

    async def _api_answerCallbackQuery(self, params: dict) -> bool:
        return True

    async def _api_sendChatAction(self, params: dict) -> bool:
        return True

    async def _api_setWebhook(self, params: dict) -> bool:
        self.webhook = params
        return True

    async def _api_deleteWebhook(self, params: dict) -> bool:
        self.webhook = {}
        return True

    async def _api_getUpdates(self, params: dict) -> list[dict]:
        offset = int(params.get("offset", 0))
        pending = [u for u in self.updates if u["update_id"] >= offset]
        if not pending:  # a short long-poll, so that stopping the updater is quick
            self._new_updates.clear()
            try:
                await asyncio.wait_for(self._new_updates.wait(), timeout=min(float(params.get("timeout", 0)), 0.2))
            except TimeoutError:
                pass
            pending = [u for u in self.updates if u["update_id"] >= offset]
        return pending
