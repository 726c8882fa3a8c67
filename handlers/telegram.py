"""The Telegram channel: PTB updates in as IncomingMessage, the dialogue's replies out as HTML.

Conversion (`to_message`) and rendering (`render`) are plain functions, tested on recorded
updates; `TelegramChannel` holds the PTB callbacks, registered in bot/telegram_app.py.
"""

from __future__ import annotations

import asyncio
import functools
import html
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    MessageEntity,
    ReplyParameters,
    Update,
    User,
)
from telegram.constants import ChatType, InlineKeyboardButtonLimit, MessageLimit, ParseMode
from telegram.error import BadRequest, ChatMigrated, NetworkError, TelegramError, TimedOut
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.chat_order import SharedFloodGuard
from bot.db import Inbox
from bot.dialogue import Dialogue
from bot.messages import IncomingMessage, Kind, Link, Reply
from bot.text_input import clean_payload, clean_text
from bot.texts import t

log = logging.getLogger(__name__)

CHANNEL = "telegram"
MAX_CHARS = int(MessageLimit.MAX_TEXT_LENGTH)
MAX_CALLBACK_BYTES = int(InlineKeyboardButtonLimit.MAX_CALLBACK_DATA)
MEDIA = (
    "photo",
    "voice",
    "sticker",
    "document",
    "location",
    "video",
    "video_note",
    "audio",
    "animation",
    "contact",
    "venue",
    "poll",
    "dice",
    # forwarded or sent through another bot: no text either, and silence would look like a dead bot
    "story",
    "game",
    "giveaway",
    "giveaway_winners",
    "paid_media",
    "checklist",
    "invoice",
)
# Buttons that only make sense once (a vote, a language choice): their row goes once pressed.
ONE_SHOT_PAYLOADS = ("fb:", "lang:")


NO_PREVIEW = LinkPreviewOptions(is_disabled=True)

NOTES = {
    "flood": {
        "de": "Sie schreiben gerade sehr schnell. Ich beantworte Ihre nächsten Nachrichten in einer Minute "
        "wieder – in Ruhe, eine nach der anderen.",
        "en": "You are writing very fast. I will answer your next messages again in a minute – calmly, one at a time.",
    },
    "error": {
        "de": "Entschuldigung, da ist bei mir etwas schiefgegangen. Bitte versuchen Sie es noch einmal.",
        "en": "Sorry, something went wrong on my side. Please try again.",
    },
}


# -- conversion: Update -> IncomingMessage ---------------------------------------------------------------------


def _addressed(message: Message, text: str, me: User) -> tuple[bool, str]:
    """In a group: is the bot meant (mention, reply to it, a command)? Returns the text without the mention."""
    entities = message.parse_entities() if message.text else message.parse_caption_entities()
    mention = f"@{me.username}".lower()
    named = any(
        (e.type == MessageEntity.MENTION and value.lower() == mention)
        or (e.type == MessageEntity.TEXT_MENTION and e.user and e.user.id == me.id)
        for e, value in entities.items()
    )
    replied = bool(
        message.reply_to_message
        and message.reply_to_message.from_user
        and message.reply_to_message.from_user.id == me.id
    )
    if named:
        for e, value in entities.items():
            if e.type == MessageEntity.MENTION and value.lower() == mention:
                text = text.replace(value, " ")
    return named or replied, " ".join(text.split()) if named else text


def _command_for_us(message: Message, me: User) -> bool | None:
    """True: a command for this bot; False: for another bot; None: not a command."""
    entity = next((e for e in message.entities if e.type == MessageEntity.BOT_COMMAND and e.offset == 0), None)
    if entity is None:
        return None
    _, _, target = message.parse_entity(entity).partition("@")
    return not target or target.lower() == (me.username or "").lower()


def to_message(update: Update, me: User) -> IncomingMessage | None:
    """What the dialogue should see of an update, or None when it is not for Lotse (`me`: the bot's user)."""
    if update.callback_query:
        query = update.callback_query
        if not query.data:
            return None
        chat_id = query.message.chat.id if query.message else query.from_user.id
        return IncomingMessage(
            CHANNEL,
            str(chat_id),
            Kind.BUTTON,
            payload=clean_payload(query.data),  # input edge
            user_id=str(query.from_user.id),
            user_name=query.from_user.full_name,
            language_hint=query.from_user.language_code,
            external_id=str(update.update_id),
        )
    message = update.message or update.edited_message
    if message is None or message.from_user is None or message.chat.type == ChatType.CHANNEL:
        return None
    text = message.text or message.caption or ""
    command = _command_for_us(message, me) if message.text else None
    if command is False or (command and update.edited_message):
        return None  # another bot's command; an edited command is not run again
    if message.text:
        kind = Kind.COMMAND if command else Kind.TEXT
    elif any(getattr(message, attribute, None) for attribute in MEDIA) and not update.edited_message:
        kind = Kind.MEDIA
    else:
        return None  # service messages (members joining, pins, ...) and edited media
    if message.chat.type in (ChatType.GROUP, ChatType.SUPERGROUP) and not command:
        addressed, text = _addressed(message, text, me)
        if not addressed:
            return None
    user = message.from_user
    # text: the input edge, no NUL or other control characters (bot/text_input.py)
    return IncomingMessage(
        CHANNEL,
        str(message.chat.id),
        kind,
        text=clean_text(text),
        user_id=str(user.id),
        user_name=user.full_name,
        language_hint=user.language_code,
        external_id=str(update.update_id),
    )


# -- rendering: Reply -> HTML messages --------------------------------------------------------------------------


@dataclass(frozen=True)
class Outgoing:
    """One Telegram message: HTML text and, on the last part of a reply, its keyboard."""

    text: str
    keyboard: InlineKeyboardMarkup | None = None


@dataclass(frozen=True)
class _Line:
    """A line of HTML whose markup opens and closes within it, so messages can be cut between lines."""

    before: str
    plain: str
    after: str = ""

    @property
    def html(self) -> str:
        return f"{self.before}{html.escape(self.plain, quote=False)}{self.after}"


def telegram_length(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units): an emoji counts twice."""
    return len(text.encode("utf-16-le")) // 2


def _fits(text: str, limit: int) -> bool:
    # A character is one or two UTF-16 units: most texts are decided without encoding them.
    return len(text) * 2 <= limit or telegram_length(text) <= limit


def _link(title: str, url: str) -> _Line:
    if url.startswith(("https://", "http://")):
        return _Line(f'• <a href="{html.escape(url, quote=True)}">', title, "</a>")
    return _Line("• ", f"{title}: {url}")


def _blocks(reply: Reply, lang: str) -> list[list[_Line]]:
    """The reply as paragraphs of lines: title, text, steps, sources, footer."""
    blocks = [[_Line("<b>", reply.title, "</b>")]] if reply.title else []
    blocks += [
        [_Line("", line) for line in paragraph.split("\n")]
        for paragraph in reply.text.split("\n\n")
        if paragraph.strip()
    ]
    if reply.steps:
        blocks.append(
            [_Line("<b>", t("steps", lang), "</b>")] + [_Line(f"{n}. ", step) for n, step in enumerate(reply.steps, 1)]
        )
    if reply.links:
        blocks.append(
            [_Line("<b>", t("sources", lang), "</b>")] + [_link(link.title, link.url) for link in reply.links]
        )
    if reply.footer:
        blocks.append([_Line("<i>", line, "</i>") for line in reply.footer.split("\n") if line.strip()])
    return blocks


def _fit(line: _Line, limit: int) -> list[str]:
    """The line as HTML; if too long for one message, cut at spaces (or anywhere) into pieces that fit."""
    whole = line.html
    if _fits(whole, limit):
        return [whole]
    room = max(limit - telegram_length(line.before + line.after), 10)
    pieces, current = [], ""
    for word in line.plain.split(" "):
        candidate = f"{current} {word}" if current else word
        if telegram_length(html.escape(candidate, quote=False)) <= room:
            current = candidate
            continue
        if current:
            pieces.append(current)
        while telegram_length(html.escape(word, quote=False)) > room:  # one enormous word
            cut = room // 5  # an escaped character takes at most 5 units ("&amp;")
            pieces.append(word[:cut])
            word = word[cut:]
        current = word
    pieces.append(current)
    return [_Line(line.before, piece, line.after).html for piece in pieces]


def _pack(blocks: list[list[_Line]], limit: int) -> list[str]:
    """Join paragraphs into as few messages as possible, cutting only between paragraphs if one can."""
    paragraphs = [[piece for line in block for piece in _fit(line, limit)] for block in blocks]
    whole = "\n\n".join("\n".join(lines) for lines in paragraphs)
    if _fits(whole, limit):  # nearly every answer: one message
        return [whole]
    messages: list[str] = []
    current = ""
    for lines in paragraphs:
        paragraph = "\n".join(lines)
        joined = f"{current}\n\n{paragraph}" if current else paragraph
        if telegram_length(joined) <= limit:
            current = joined
            continue
        if current:
            messages.append(current)
            current = ""
        for line in lines:  # the paragraph alone is too long: cut between its lines
            joined = f"{current}\n{line}" if current else line
            if telegram_length(joined) > limit:
                messages.append(current)
                joined = line
            current = joined
    if current or not messages:
        messages.append(current)
    return messages


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """Inline keyboard of the reply's buttons.

    Raises:
        ValueError: a button's payload is empty or longer than Telegram's 64 bytes of callback data.
    """
    for payload in reply.button_payloads():
        if not 1 <= len(payload.encode()) <= MAX_CALLBACK_BYTES:
            raise ValueError(f"callback data must be 1-{MAX_CALLBACK_BYTES} bytes: {payload!r}")
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.payload) for b in row] for row in reply.buttons]
    )


def render(reply: Reply, lang: str, limit: int = MAX_CHARS) -> list[Outgoing]:
    """The reply as Telegram HTML messages of at most `limit` characters; the buttons go on the last."""
    texts = _html(
        reply.title, reply.text, reply.steps, reply.links, reply.footer, reply.meta.get("lang") or lang, limit
    )
    return [Outgoing(text) for text in texts[:-1]] + [Outgoing(texts[-1], keyboard(reply))]


@functools.lru_cache(maxsize=512)
def _html(
    title: str, text: str, steps: tuple[str, ...], links: tuple[Link, ...], footer: str, lang: str, limit: int
) -> tuple[str, ...]:
    """The messages' HTML, remembered: the same FAQ answer is sent again and again (its buttons,
    which carry the decision, are added per message). A pure function of its arguments, and an
    edited FAQ makes new arguments."""
    return tuple(_pack(_blocks(Reply(text, title=title, steps=steps, links=links, footer=footer), lang), limit))


# -- cross-cutting: flood control -------------------------------------------------------------------------------


class FloodGuard:
    """At most `max_messages` answered per chat in a sliding window; one calm note, then silence."""

    def __init__(self, max_messages: int, window_seconds: float, clock: Callable[[], float] = time.monotonic):
        self.max_messages = max_messages
        self.window = window_seconds
        self.clock = clock
        self._answered: dict[str, deque[float]] = {}
        self._noted: set[str] = set()

    def check(self, chat_id: str) -> Literal["ok", "note", "drop"]:
        now = self.clock()
        answered = self._answered.setdefault(chat_id, deque())
        while answered and answered[0] <= now - self.window:
            answered.popleft()
        if len(answered) < self.max_messages:
            answered.append(now)
            self._noted.discard(chat_id)
            if len(self._answered) > 10_000:
                self._forget_quiet_chats(now)
            return "ok"
        if chat_id in self._noted:
            return "drop"
        self._noted.add(chat_id)
        return "note"

    async def verdict(self, chat_id: str) -> Literal["ok", "note", "drop"]:
        """`check` as the channel calls it (bot.chat_order.SharedFloodGuard counts in the database instead)."""
        return self.check(chat_id)

    def _forget_quiet_chats(self, now: float) -> None:
        for chat_id in [c for c, times in self._answered.items() if not times or times[-1] <= now - self.window]:
            del self._answered[chat_id]
            self._noted.discard(chat_id)


# -- the channel: PTB callbacks ----------------------------------------------------------------------------------


def _lang(message: IncomingMessage | None, default: str = "de") -> str:
    hint = (message.language_hint or "")[:2] if message else ""
    return hint if hint in ("de", "en") else default


class TelegramChannel:
    """Turns updates into dialogue turns and the dialogue's replies into Telegram messages."""

    def __init__(
        self,
        dialogue: Dialogue,
        inbox: Inbox,
        flood: FloodGuard | SharedFloodGuard,
        unlimited_chats: frozenset[str] = frozenset(),
    ):
        self.dialogue = dialogue
        self.inbox = inbox
        self.flood = flood
        self.unlimited_chats = unlimited_chats  # the teams' staff groups: busy by design, never flood-limited
        self._albums: OrderedDict[tuple[int, str], None] = OrderedDict()  # albums answered already (bounded)

    def _album_answered(self, update: Update) -> bool:
        """An album of photos arrives as one message per photo: its first gets the reply, the others none
        (five photos got five identical "please type your question"). Remembered per process."""
        message = update.message
        if message is None or not message.media_group_id:
            return False
        key = (message.chat.id, message.media_group_id)
        if key in self._albums:
            return True
        self._albums[key] = None
        if len(self._albums) > 1000:
            self._albums.popitem(last=False)
        return False

    async def deduplicate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stop an update that was taken on before: Telegram redelivers after timeouts and errors."""
        if not await self.inbox.claim(CHANNEL, str(update.update_id)):
            log.info("update %s was delivered again; skipped", update.update_id)
            raise ApplicationHandlerStop

    async def limit_flood(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Let a flooding chat know once, then leave its messages unanswered until it calms down."""
        message = to_message(update, context.bot.bot)
        if message is None or message.chat_id in self.unlimited_chats:
            return
        verdict = await self.flood.verdict(message.chat_id)  # per process, or shared on PostgreSQL
        if verdict == "ok":
            return
        log.warning("chat %s sends too fast (%s)", message.chat_id, verdict)
        if update.callback_query:
            await self._answer_query(update)
        if verdict == "note":
            lang = await self.dialogue.chat_language(message)
            await self.send(context.bot, update, [Reply(NOTES["flood"][lang])], lang)
        raise ApplicationHandlerStop

    async def message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answer a message meant for Lotse: a question, a command, a photo or voice note."""
        message = to_message(update, context.bot.bot)
        if message is None or self._album_answered(update):
            return
        replies = await self.dialogue.handle(message)
        await self.send(context.bot, update, replies, _lang(message, self.dialogue.config.languages.default))

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answer a pressed inline button; the query is always answered, so the spinner stops."""
        await self._answer_query(update)
        message = to_message(update, context.bot.bot)
        if message is None:
            return
        assert update.callback_query is not None  # to_message made a button press of it
        await self._retire_buttons(update.callback_query.message, message.payload)
        replies = await self.dialogue.handle(message)
        await self.send(context.bot, update, replies, _lang(message, self.dialogue.config.languages.default))

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log what went wrong; tell the employer if the failure was ours, not Telegram's."""
        update_id = update.update_id if isinstance(update, Update) else None
        log.error("update %s failed", update_id, exc_info=context.error)
        if not isinstance(update, Update) or update.effective_chat is None or isinstance(context.error, TelegramError):
            return
        try:
            lang = _lang(to_message(update, context.bot.bot), self.dialogue.config.languages.default)
            await context.bot.send_message(update.effective_chat.id, NOTES["error"][lang])
        except TelegramError:
            log.warning("could not tell chat %s about the failure", update.effective_chat.id)

    # -- sending ---------------------------------------------------------------------------------------------

    async def send(self, bot: Bot, update: Update, replies: list[Reply], lang: str) -> None:
        """Send the replies in order; in groups and for edited questions, as a reply to the question."""
        if update.effective_chat is None:  # a button under an inline message: no chat to answer in
            return
        source = update.effective_message
        chat_id = update.effective_chat.id
        thread = source.message_thread_id if source and source.is_topic_message else None
        quote = None
        if update.callback_query is None and source and (source.chat.type != ChatType.PRIVATE or update.edited_message):
            quote = ReplyParameters(source.message_id, allow_sending_without_reply=True)
        for reply in replies:
            for part in render(reply, lang):
                chat_id = await self._send_part(bot, chat_id, part, thread, quote)
                quote = None

    async def _send_part(
        self,
        bot: Bot,
        chat_id: int,
        part: Outgoing,
        thread: int | None,
        quote: ReplyParameters | None,
        attempts: int = 3,
    ) -> int:
        """Send one message, retrying transient server errors; returns the chat id (groups can migrate)."""
        for attempt in range(1, attempts + 1):
            try:
                await bot.send_message(
                    chat_id,
                    part.text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=part.keyboard,
                    link_preview_options=NO_PREVIEW,
                    message_thread_id=thread,
                    reply_parameters=quote,
                )
                return chat_id
            except ChatMigrated as exc:  # a group became a supergroup with a new id
                chat_id = exc.new_chat_id
            except (BadRequest, TimedOut):  # our mistake, or maybe delivered: never resend blindly
                raise
            except NetworkError:  # 5xx or a broken connection: nothing was delivered
                if attempt == attempts:
                    raise
                log.warning("sending to %s failed (attempt %d), retrying", chat_id, attempt)
                await asyncio.sleep(0.5 * 2 ** (attempt - 1))
        raise NetworkError(f"could not send to chat {chat_id}")

    async def _answer_query(self, update: Update) -> None:
        if update.callback_query is None:
            return
        try:
            await update.callback_query.answer()
        except BadRequest as exc:  # "query is too old": the employer pressed long ago; carry on
            log.info("callback query not answered: %s", exc)

    async def _retire_buttons(self, message: object, payload: str) -> None:
        """Remove the pressed row of a one-shot choice (a vote, a language) from its message."""
        if not payload.startswith(ONE_SHOT_PAYLOADS) or not isinstance(message, Message) or not message.reply_markup:
            return
        rows = [
            row
            for row in message.reply_markup.inline_keyboard
            if not any(button.callback_data == payload for button in row)
        ]
        try:
            await message.edit_reply_markup(InlineKeyboardMarkup(rows) if rows else None)
        except BadRequest as exc:  # e.g. "message is not modified" after a double tap
            log.info("buttons not removed: %s", exc)
