"""The WhatsApp Cloud API channel: a thin adapter (convert, render, sign, send) around the dialogue,
the outbox and the 24-hour window rules in bot/window (docs/whatsapp.md)."""

from handlers.whatsapp.channel import WhatsAppChannel, WhatsAppWebhook, build_whatsapp
from handlers.whatsapp.sender import WhatsAppSender

__all__ = ["WhatsAppChannel", "WhatsAppSender", "WhatsAppWebhook", "build_whatsapp"]
