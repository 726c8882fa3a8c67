"""The Bot API stand-in with forum topics and files: createForumTopic, editForumTopic, closeForumTopic and
reopenForumTopic (refused like Telegram when nothing changes), topic messages that say so, and files:
getFile with a download at /file/bot<token>/<path>, sendDocument and sendPhoto."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from aiohttp import web

from tests.telegram.standin import BotApiStandIn


@dataclass
class ForumStandIn(BotApiStandIn):
    topics: dict[int, dict] = field(default_factory=dict)  # message_thread_id -> {"chat_id", "name", "closed"}
    files: dict[str, bytes] = field(default_factory=dict)  # file_id -> content, for getFile and the download
    uploads: list[dict] = field(default_factory=list)  # documents and photos sent: method, chat_id, name, data
    _thread_ids: itertools.count = field(default_factory=lambda: itertools.count(77))

    async def _api_createForumTopic(self, params: dict):
        name = params.get("name", "")
        if not 1 <= len(name) <= 128:
            return self._bad_request("TOPIC_NAME_INVALID")
        thread = next(self._thread_ids)
        self.topics[thread] = {"chat_id": int(params["chat_id"]), "name": name, "closed": False}
        return {"message_thread_id": thread, "name": name, "icon_color": 7322096}

    def _message(self, params: dict, message_id: int | None = None) -> dict:
        message = super()._message(params, message_id)
        if params.get("message_thread_id"):
            message |= {"message_thread_id": int(params["message_thread_id"]), "is_topic_message": True}
        return message

    async def _api_editForumTopic(self, params: dict):
        topic = self.topics.get(int(params.get("message_thread_id", 0)))
        if topic is None:
            return self._bad_request("TOPIC_ID_INVALID")
        if params.get("name", topic["name"]) == topic["name"]:
            return self._bad_request("TOPIC_NOT_MODIFIED")
        topic["name"] = params["name"]
        return True

    async def _set_closed(self, params: dict, closed: bool):
        topic = self.topics.get(int(params.get("message_thread_id", 0)))
        if topic is None:
            return self._bad_request("TOPIC_ID_INVALID")
        if topic["closed"] == closed:
            return self._bad_request("TOPIC_NOT_MODIFIED")
        topic["closed"] = closed
        return True

    async def _api_closeForumTopic(self, params: dict):
        return await self._set_closed(params, True)

    async def _api_reopenForumTopic(self, params: dict):
        return await self._set_closed(params, False)

    # -- files ------------------------------------------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)

    async def _api_getFile(self, params: dict):
        file_id = params.get("file_id", "")
        if file_id not in self.files:
            return self._bad_request("invalid file_id")
        return {
            "file_id": file_id,
            "file_unique_id": f"u-{file_id}",
            "file_size": len(self.files[file_id]),
            "file_path": f"documents/{file_id}.bin",
        }

    async def _download(self, request: web.Request) -> web.Response:
        file_id = request.match_info["path"].removeprefix("documents/").removesuffix(".bin")
        if request.match_info["token"] != self.token or file_id not in self.files:
            return web.Response(status=404)
        return web.Response(body=self.files[file_id], content_type="application/octet-stream")

    async def _upload(self, method: str, field_name: str, params: dict):
        upload = params.get(field_name)
        if not isinstance(upload, web.FileField):
            return self._bad_request(f"there is no {field_name} in the request")
        if len(params.get("caption", "")) > 1024:
            return self._bad_request("message caption is too long")
        data = upload.file.read()
        self.uploads.append(
            params | {"method": method, "chat_id": int(params["chat_id"]), "name": upload.filename, "data": data}
        )
        message = self._message(params) | {"caption": params.get("caption", "")}
        message.pop("text", None)
        return message

    async def _api_sendDocument(self, params: dict):
        message = await self._upload("sendDocument", "document", params)
        if isinstance(message, dict):
            upload = self.uploads[-1]
            message["document"] = {"file_id": "doc1", "file_unique_id": "doc1u", "file_name": upload["name"]}
        return message

    async def _api_sendPhoto(self, params: dict):
        message = await self._upload("sendPhoto", "photo", params)
        if isinstance(message, dict):
            message["photo"] = [{"file_id": "photo1", "file_unique_id": "photo1u", "width": 800, "height": 600}]
        return message
