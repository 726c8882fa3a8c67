"""WhatsApp: chats with their 24-hour window and consent, deliveries, 131047 conversions

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "whatsapp_chats",
        sa.Column("chat_id", sa.String(length=128), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("last_inbound_at", TS, nullable=True),
        sa.Column("closed_at", TS, nullable=True),
        sa.Column("notify_consent", sa.Boolean(), nullable=True),
        sa.Column("consent_at", TS, nullable=True),
        sa.Column("consent_version", sa.String(length=16), nullable=True),
        sa.Column("template_sent_at", TS, nullable=True),
        sa.Column("template_problem", sa.String(length=200), nullable=True),
        sa.Column("choices", sa.JSON(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("chat_id", name=op.f("pk_whatsapp_chats")),
    )
    op.create_table(
        "whatsapp_deliveries",
        sa.Column("wamid", sa.String(length=128), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("chat_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("error_code", sa.Integer(), nullable=True),
        sa.Column("error_title", sa.Text(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["outbox_id"], ["outbox.id"], name=op.f("fk_whatsapp_deliveries_outbox_id_outbox"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("wamid", name=op.f("pk_whatsapp_deliveries")),
    )
    op.create_index(op.f("ix_whatsapp_deliveries_chat_id"), "whatsapp_deliveries", ["chat_id"], unique=False)
    op.create_index(op.f("ix_whatsapp_deliveries_outbox_id"), "whatsapp_deliveries", ["outbox_id"], unique=False)
    op.create_table(
        "whatsapp_conversions",
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("converted_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["outbox_id"], ["outbox.id"], name=op.f("fk_whatsapp_conversions_outbox_id_outbox"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("outbox_id", name=op.f("pk_whatsapp_conversions")),
    )


def downgrade() -> None:
    op.drop_table("whatsapp_conversions")
    op.drop_index(op.f("ix_whatsapp_deliveries_outbox_id"), table_name="whatsapp_deliveries")
    op.drop_index(op.f("ix_whatsapp_deliveries_chat_id"), table_name="whatsapp_deliveries")
    op.drop_table("whatsapp_deliveries")
    op.drop_table("whatsapp_chats")
