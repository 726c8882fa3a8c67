"""WhatsApp's 24-hour customer service window: when Lotse may write freely, when it needs the
approved template, and what waits in the outbox until the employer writes again (docs/whatsapp.md)."""
