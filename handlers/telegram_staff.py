"""The coordinators' side on Telegram: ticket buttons, replies and files in the teams' staff groups.

Handlers talk, the ticket service decides: a button press or a reply becomes one service call;
what the employer and the group are told comes out of the outbox. Registered in
bot/telegram_app.py before the employer's handlers, so staff groups never reach the dialogue.
The outbox's Telegram sender is in handlers/telegram_sender.py.
"""

from __future__ import annotations

import logging

from telegram import Document, Message, PhotoSize, Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bot.config import Config, TeamFiles
from bot.text_input import clean_text, parse_id
from bot.texts import t
from bot.tickets import staff
from bot.tickets.files import Upload, check_name, check_size, check_upload, may_send, send_file
from bot.tickets.models import Ticket
from bot.tickets.service import Actor, NotAllowed, TicketError, TicketNotFound, TicketService

log = logging.getLogger(__name__)

INTERNAL_PREFIX = "//"  # a staff message starting with this is a note, never sent to the employer


# -- the staff groups' handlers ----------------------------------------------------------------------------------


def staff_groups(config: Config) -> list[int]:
    return [team.telegram_group for team in config.tickets.teams.values() if team.telegram_group is not None]


class StaffChannel:
    """Claim, hand over, close and answer tickets from the teams' Telegram groups."""

    def __init__(self, tickets: TicketService, config: Config):
        self.tickets = tickets
        self.config = config

    def register(self, application: Application, group: int = 0) -> None:
        """Add the handlers; call before the employer's handlers of the same group (first match wins)."""
        groups = staff_groups(self.config)
        application.add_handler(CallbackQueryHandler(self.button, pattern=r"^st:\d+:\w+$"), group=group)
        if groups:
            application.add_handler(
                MessageHandler(filters.Chat(groups) & filters.UpdateType.MESSAGE, self.reply), group=group
            )
            application.add_handler(MessageHandler(filters.Chat(groups), self.ignore), group=group)

    def actor(self, user) -> Actor:
        return Actor("staff", str(user.id), user.full_name, self.config.tickets.teams_of(user.id))

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Claim / Hand over / Close on a ticket card; anyone not in the ticket's team is refused.

        Forged data (no such ticket, a number out of range, another team's ticket, an unknown
        action) gets one and the same answer: a button tells nobody what exists elsewhere.
        """
        query = update.callback_query
        if query is None or query.data is None:  # the handler's pattern only lets button presses with data in
            return
        _, number, action = query.data.split(":")
        actor, ticket_id = self.actor(query.from_user), parse_id(number)
        try:
            if ticket_id is None or not actor.teams:
                raise TicketNotFound(f"no ticket #{number[:12]}")
            if action == "claim":
                await self.tickets.claim(ticket_id, actor)
            elif action == "close":
                await self.tickets.close(ticket_id, actor)
            elif action == "handover":
                await self.tickets.prompt_handover(ticket_id, actor)
            elif action == "handover_now":
                ticket = await self.tickets.get(ticket_id)
                await self.tickets.hand_over(ticket.id, actor, staff.other_team(self.config, ticket.team))
            else:
                raise TicketNotFound(f"no action {action[:20]}")
            await self._answer(query)
        except (TicketNotFound, NotAllowed) as exc:
            log.info("staff %s: %s on #%s refused: %s", actor.id, action[:20], number[:12], exc)
            await self._answer(query, self._unknown(query), alert=True)
        except TicketError as exc:
            log.info("staff %s: %s on #%s refused: %s", actor.id, action, number, exc)
            await self._answer(query, self._refusal(exc), alert=True)

    async def reply(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A message in a ticket's topic, or a reply to one of its messages: relayed to the employer."""
        message = update.message
        if message is None:  # the handler's filter (UpdateType.MESSAGE) only lets new messages in
            return
        reply_to = message.reply_to_message.message_id if message.reply_to_message else None
        thread = message.message_thread_id if message.is_topic_message else None
        ticket, purpose = await self.tickets.for_staff_message(message.chat.id, thread, reply_to)
        if ticket is None or message.from_user is None or message.from_user.is_bot:
            return  # the group's own conversation
        text = clean_text(message.text or message.caption).strip()  # an input edge: no NUL or control characters
        actor = self.actor(message.from_user)
        source = f"telegram:{update.update_id}"
        try:
            if message.document or message.photo:
                await self._send_file(message, ticket, actor, text, source)
            elif not text:
                raise TicketError(t("st_refused", self._lang(ticket.team), reason="text only"))
            elif text.startswith(INTERNAL_PREFIX):
                await self.tickets.note(ticket.id, actor, text.removeprefix(INTERNAL_PREFIX).strip(), source)
            elif purpose == "handover_prompt":
                await self.tickets.hand_over(ticket.id, actor, staff.other_team(self.config, ticket.team), note=text)
            else:
                await self.tickets.answer(ticket.id, actor, text, source_key=source)
        except TicketError as exc:
            log.info("staff %s on #%s refused: %s", actor.id, ticket.id, exc)
            await message.reply_text(self._refusal(exc), message_thread_id=thread)

    async def _send_file(self, message: Message, ticket: Ticket, actor: Actor, caption: str, source: str) -> None:
        """A photo or document in the ticket's topic (or in reply to its card): checked, then sent to the employer."""
        may_send(self.tickets, ticket, actor)  # before downloading anything
        upload = await download(message, self.config.tickets.files, self._lang(ticket.team))
        await send_file(self.tickets, ticket.id, actor, upload, caption, source_key=source)

    async def ignore(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Anything else in a staff group (edits, service messages): not for the employer's dialogue."""

    def _lang(self, team: str) -> str:
        return self.config.tickets.teams[team].lang

    def _unknown(self, query) -> str:
        chat = query.message.chat.id if query.message else None
        team = self.config.tickets.team_of_group(chat) if chat is not None else None
        return t("st_button_refused", self._lang(team) if team else "de")

    @staticmethod
    def _refusal(exc: TicketError) -> str:
        return str(exc)[:200]

    @staticmethod
    async def _answer(query, text: str | None = None, alert: bool = False) -> None:
        try:
            await query.answer(text, show_alert=alert)
        except TelegramError as exc:  # an old query: the change is done anyway
            log.info("callback query not answered: %s", exc)


async def download(message: Message, settings: TeamFiles, lang: str) -> Upload:
    """The message's document or (largest) photo, fetched with getFile once its size and name may pass."""
    source: Document | PhotoSize
    if message.document:
        source, name, as_photo = message.document, message.document.file_name or "file", False
        check_name(name, settings, lang)
    else:
        source, name, as_photo = message.photo[-1], f"photo-{message.message_id}.jpg", True
    if source.file_size:
        check_size(source.file_size, settings, lang)
    try:
        file = await source.get_file()
        data = bytes(await file.download_as_bytearray())
    except TelegramError as exc:  # nothing was sent: the coordinator can simply send it again
        log.warning("a staff file could not be fetched from Telegram: %s", exc)
        raise TicketError(t("st_file_fetch", lang)) from exc
    return check_upload(name, data, settings, lang, as_photo=as_photo)
