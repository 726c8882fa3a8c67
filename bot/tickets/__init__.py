"""The hand-over to people: tickets, their audit trail, the outbox that delivers, and reminders.

Modules: models (tables), service (the ticket lifecycle), outbox (delivery with retries),
conversation (the employer's flow state), staff (texts for staff groups), reminders.
"""
