"""Asking permission to notify on WhatsApp, and the channel's own notices (bot notice, STOP).

The hand-over (bot/handover.py) asks the question after the ticket is opened, on WhatsApp only,
and passes the answer here; it is stored with its time and the wording's version
(config whatsapp.consent_version: change it whenever the wording below changes).
"""

from __future__ import annotations

from bot.messages import Button, Reply
from bot.window.service import CHANNEL, WindowService

YES, NO = "ho:notify:yes", "ho:notify:no"

TEXTS = {
    "question": {
        "de": "Darf Lotse Sie hier auf WhatsApp benachrichtigen, sobald das Team geantwortet hat – auch wenn "
        "Sie uns länger als 24 Stunden nicht geschrieben haben? Sie können das jederzeit mit STOP beenden.",
        "en": "May Lotse notify you here on WhatsApp as soon as the team has answered – also if you have not "
        "written to us for more than 24 hours? You can end this at any time with STOP.",
    },
    "yes": {"de": "Ja, benachrichtigen", "en": "Yes, notify me"},
    "no": {"de": "Nein", "en": "No"},
    "agreed": {
        "de": "Danke. Sobald das Team antwortet, sage ich Ihnen hier Bescheid. STOP beendet das.",
        "en": "Thank you. As soon as the team answers, I will let you know here. STOP ends this.",
    },
    "declined": {
        "de": "In Ordnung. Die Antwort des Teams bekommen Sie, wenn Sie mir das nächste Mal schreiben.",
        "en": "All right. You will get the team's answer the next time you write to me.",
    },
    "stopped": {
        "de": "Sie erhalten von Lotse keine Benachrichtigungen mehr. Antworten des Teams bekommen Sie, "
        "wenn Sie hier wieder schreiben.",
        "en": "Lotse will not notify you any more. You will get the team's answers when you write here again.",
    },
    "notice": {
        "de": "Hinweis: Lotse ist ein automatischer Assistent. Fragen, die er nicht beantworten kann, gibt er "
        "mit Ihrer Zustimmung an Menschen im Team weiter. Datenschutz: /privacy",
        "en": "Note: Lotse is an automated assistant. Questions it cannot answer are passed on to people in "
        "the team, with your consent. Privacy: /privacy",
    },
    "nothing_waiting": {
        "de": "Es wartet gerade keine Antwort auf Sie. Schreiben Sie Ihre Frage gern hier.",
        "en": "No answer is waiting for you right now. Feel free to write your question here.",
    },
}


def say(key: str, lang: str) -> str:
    return TEXTS[key]["en" if lang == "en" else "de"]


class NotifyConsent:
    """What the hand-over needs to ask on WhatsApp: the question and where the answer goes."""

    channels = (CHANNEL,)
    payloads = (YES, NO)

    def __init__(self, window: WindowService):
        self.window = window

    def question(self, lang: str) -> Reply:
        return Reply(say("question", lang), buttons=((Button(say("yes", lang), YES), Button(say("no", lang), NO)),))

    async def answer(self, chat_id: str, payload: str, lang: str) -> Reply:
        given = payload == YES
        await self.window.set_consent(chat_id, given)
        return Reply(say("agreed" if given else "declined", lang))
