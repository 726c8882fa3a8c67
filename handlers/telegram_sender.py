"""The outbox's Telegram sender: messages, forum topics, card edits and the teams' files.

It delivers with PTB's bot (so its rate limiter applies) and maps Telegram's errors to the outbox's
"retry later" or "give up". Topic and card are resolved by the outbox worker when a row is sent;
a row whose topic or card never came to be (the group has none) is done without a call.
"""

from __future__ import annotations

from datetime import timedelta

from telegram import InputFile, Message, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.tickets.files import FileStore
from bot.tickets.outbox import Delivery, OutboxItem, RetryLater, Undeliverable
from handlers.telegram import NO_PREVIEW, render

CAPTION_LIMIT = 1024  # Telegram's limit for a photo's or document's caption
NOT_MODIFIED = ("not modified", "topic_not_modified")  # the topic or card is as wanted already (a retry)


def _seconds(retry_after: int | timedelta) -> float:
    return retry_after.total_seconds() if isinstance(retry_after, timedelta) else float(retry_after)


class TelegramSender:
    """Delivers outbox rows to Telegram; `files` reads the teams' stored files (kind "file")."""

    def __init__(self, bot, files: FileStore | None = None):
        self.bot = bot
        self.files = files

    async def send(self, item: OutboxItem) -> Delivery:
        try:
            return await self._send(item)
        except RetryAfter as exc:
            raise RetryLater(str(exc), _seconds(exc.retry_after)) from exc
        except (ChatMigrated, Forbidden) as exc:  # the group moved, or the employer blocked the bot
            raise Undeliverable(f"{type(exc).__name__}: {exc}") from exc
        except BadRequest as exc:  # BadRequest is a NetworkError: check it first
            if item.kind in ("rename", "topic_state", "edit") and any(n in str(exc).lower() for n in NOT_MODIFIED):
                return Delivery()
            raise Undeliverable(f"BadRequest: {exc}") from exc
        except (TimedOut, NetworkError) as exc:  # TimedOut may have been delivered: at-least-once
            raise RetryLater(f"{type(exc).__name__}: {exc}") from exc

    async def _send(self, item: OutboxItem) -> Delivery:
        chat = int(item.chat_id)
        if item.kind == "topic":
            topic = await self.bot.create_forum_topic(chat, item.payload["name"])
            return Delivery(thread_id=topic.message_thread_id)
        if item.kind == "rename":  # closed "#N ✓", reopened, or after /delete "#N"
            if item.thread_id is not None:
                await self.bot.edit_forum_topic(chat, item.thread_id, name=item.payload["name"])
            return Delivery()
        if item.kind == "topic_state":
            if item.thread_id is not None:
                change = self.bot.reopen_forum_topic if item.payload.get("open") else self.bot.close_forum_topic
                await change(chat, item.thread_id)
            return Delivery()
        if item.kind == "edit":
            return await self._edit(item)
        if item.kind == "file":
            return await self._file(item)
        return await self._message(item)

    async def _edit(self, item: OutboxItem) -> Delivery:
        message_id = item.payload["message_id"]
        message_id = item.card_id if message_id == "card" else int(message_id)
        if message_id is None:
            return Delivery()
        part = render(item.reply, item.lang)[0]
        await self.bot.edit_message_text(
            part.text,
            chat_id=int(item.chat_id),
            message_id=message_id,
            parse_mode=ParseMode.HTML,
            reply_markup=part.keyboard,
        )
        return Delivery(str(message_id))

    async def _message(self, item: OutboxItem) -> Delivery:
        quote = ReplyParameters(item.reply_to, allow_sending_without_reply=True) if item.reply_to else None
        sent: Message | None = None
        for part in render(item.reply, item.lang):
            sent = await self._text(item, part, quote)
            quote = None
        return Delivery(str(sent.message_id) if sent else None)

    async def _text(self, item: OutboxItem, part, quote: ReplyParameters | None = None) -> Message:
        """One rendered part of a reply as a message in the item's chat (and topic)."""
        return await self.bot.send_message(
            int(item.chat_id),
            part.text,
            parse_mode=ParseMode.HTML,
            reply_markup=part.keyboard,
            link_preview_options=NO_PREVIEW,
            message_thread_id=item.thread_id,
            reply_parameters=quote,
        )

    async def _file(self, item: OutboxItem) -> Delivery:
        """A team's file with its caption (and the answer's buttons); a caption too long goes on as messages."""
        stored = await self.files.load(int(item.payload["file"]["id"])) if self.files else None
        if stored is None:
            raise Undeliverable("the file is no longer stored (deleted, or past the retention)")
        first, *rest = render(item.reply, item.lang, limit=CAPTION_LIMIT)
        upload = InputFile(stored.data, filename=stored.name)
        options = {
            "caption": first.text,
            "parse_mode": ParseMode.HTML,
            "reply_markup": None if rest else first.keyboard,
            "message_thread_id": item.thread_id,
        }
        if stored.as_photo:
            sent = await self.bot.send_photo(int(item.chat_id), upload, **options)
        else:
            sent = await self.bot.send_document(int(item.chat_id), upload, **options)
        for part in rest:
            sent = await self._text(item, part)
        return Delivery(str(sent.message_id))
