"""The Bot API stand-in with forum topics: createForumTopic, and topic messages that say so."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from tests.telegram.standin import BotApiStandIn


@dataclass
class ForumStandIn(BotApiStandIn):
    topics: dict[int, dict] = field(default_factory=dict)  # message_thread_id -> {"chat_id", "name"}
    _thread_ids: itertools.count = field(default_factory=lambda: itertools.count(77))

    async def _api_createForumTopic(self, params: dict):
        name = params.get("name", "")
        if not 1 <= len(name) <= 128:
            return self._bad_request("TOPIC_NAME_INVALID")
        thread = next(self._thread_ids)
        self.topics[thread] = {"chat_id": int(params["chat_id"]), "name": name}
        return {"message_thread_id": thread, "name": name, "icon_color": 7322096}

    def _message(self, params: dict, message_id: int | None = None) -> dict:
        message = super()._message(params, message_id)
        if params.get("message_thread_id"):
            message |= {"message_thread_id": int(params["message_thread_id"]), "is_topic_message": True}
        return message

    async def _api_editForumTopic(self, params: dict):
        thread = int(params.get("message_thread_id", 0))
        if thread not in self.topics:
            return self._bad_request("TOPIC_ID_INVALID")
        self.topics[thread]["name"] = params.get("name", self.topics[thread]["name"])
        return True
