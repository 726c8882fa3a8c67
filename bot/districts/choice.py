"""Which district a chat belongs to: entry links, /district, and asking a chat that has none.

In a network (config.yml `districts:`) every answer names local contacts and every hand-over goes
to a district's team, so a chat without a district is asked first; its question waits in the chat's
flow state and is answered once the district is chosen. Without `districts:` nothing happens here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.config import IMPLICIT_DISTRICT, Config
from bot.districts.texts import dt
from bot.messages import AskAnew, Button, IncomingMessage, Kind, Reply
from bot.store import ChatStore

if TYPE_CHECKING:
    from bot.tickets.conversation import ConversationStore, State

PAYLOAD = "district:"
FLOW = "district"  # the flow state that keeps a question until the district is chosen
MAX_WAITING_QUESTION = 3000
# Buttons that need no district: choosing the language, browsing areas, the hand-over's and /delete's own steps.
_FREE_BUTTONS = ("lang:", "topics", "area:", "ho:", "del:", "tk:", PAYLOAD)


def district_buttons(config: Config, lang: str) -> tuple[tuple[Button, ...], ...]:
    return tuple((Button(district.name.get(lang), f"{PAYLOAD}{key}"),) for key, district in config.districts.items())


def start_argument(text: str) -> str:
    """'/start goslar' -> 'goslar' (Telegram's deep link, the web chat's ?d=)."""
    parts = text.split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


@dataclass
class DistrictChoice:
    """Reads, asks and sets a chat's district; the dialogue asks it before anything else."""

    config: Config
    store: ChatStore
    states: ConversationStore | None = None  # None (no ticket queue): a waiting question is not kept

    @property
    def network(self) -> bool:
        return bool(self.config.districts)

    def known(self, stored: str | None) -> str | None:
        """The chat's district: the implicit one without a network, else the stored one if it still exists."""
        if not self.network:
            return IMPLICIT_DISTRICT
        return stored if stored in self.config.districts else None

    def name(self, district: str, lang: str) -> str:
        return self.config.district(district).name.get(lang)

    def question(self, lang: str, current: str | None = None, first: bool = False) -> Reply:
        text = dt("district_ask_first" if first else "district_ask", lang)
        if current:
            text += " " + dt("district_current", lang, name=self.name(current, lang))
        return Reply(text, buttons=district_buttons(self.config, lang), meta={"district_question": True})

    async def choose(self, message: IncomingMessage, district: str, lang: str) -> Reply:
        await self.store.set_district(message.channel, message.chat_id, district)
        return Reply(dt("district_set", lang, name=self.name(district, lang)), meta={"district": district})

    async def from_start(self, message: IncomingMessage, lang: str) -> Reply | None:
        """A deep link (/start <district or code>): set the district, or None when it names none."""
        district = self.config.district_by_code(start_argument(message.text)) if self.network else None
        return await self.choose(message, district, lang) if district else None

    async def intercept(
        self, message: IncomingMessage, lang: str, district: str | None, state: State | None
    ) -> list[Reply] | AskAnew | None:
        """Replies when the message is about the district or must wait for one; None lets the dialogue go on."""
        if not self.network:
            return [Reply(dt("district_single", lang))] if self._is_command(message, "district") else None
        if self._is_command(message, "district"):
            return [self.question(lang, district)]
        # A whole text that is a code chooses the district, but not as the answer of another flow's step
        # (a company called "Hafenberg" stays a company name).
        in_other_flow = state is not None and state.flow != FLOW
        chosen = self._chosen(message) if message.kind is Kind.BUTTON or not in_other_flow else None
        if chosen is not None:
            set_reply = await self.choose(message, chosen, lang)
            waiting = await self._take_waiting(message, state)
            if waiting:
                return AskAnew(waiting, preface=(set_reply,))
            return [set_reply] if district else [set_reply, Reply(dt("district_ask_again", lang))]
        if district is not None or message.kind in (Kind.COMMAND, Kind.MEDIA):
            return None
        if message.kind is Kind.BUTTON and message.payload.startswith(_FREE_BUTTONS):
            return None
        if message.kind is Kind.TEXT and state is not None and state.flow != FLOW:
            return None  # a step of another flow (/delete's confirmation) needs no district
        if message.kind is Kind.TEXT and self.states is not None and message.text.strip():
            await self._keep_waiting(message)
        return [self.question(lang, first=True)]

    def _is_command(self, message: IncomingMessage, name: str) -> bool:
        words = message.text.split()
        return message.kind is Kind.COMMAND and bool(words) and words[0][1:].split("@")[0].lower() == name

    def _chosen(self, message: IncomingMessage) -> str | None:
        """The district a button or a whole message (the WhatsApp link's text: its code) names."""
        if message.kind is Kind.BUTTON and message.payload.startswith(PAYLOAD):
            wanted = message.payload.removeprefix(PAYLOAD)
            return wanted if wanted in self.config.districts else None
        if message.kind is Kind.TEXT and len(message.text) <= 40:
            return self.config.district_by_code(message.text)
        return None

    async def _keep_waiting(self, message: IncomingMessage) -> None:
        from bot.tickets.conversation import State

        assert self.states is not None
        data = {"question": message.text.strip()[:MAX_WAITING_QUESTION]}
        await self.states.set(message.channel, message.chat_id, State(FLOW, "choose", data))

    async def _take_waiting(self, message: IncomingMessage, state: State | None) -> str:
        if state is None or state.flow != FLOW or self.states is None:
            return ""
        await self.states.clear(message.channel, message.chat_id)
        return str(state.data.get("question") or "")
