"""flood control shared by several processes (chat_floods)

Revision ID: 0006
Revises: 0003 (the integrator re-points this to 0005 when merging after 0004 and 0005)
Create Date: 2026-12-01

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chat_floods",
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("chat_id", sa.String(length=128), nullable=False),
        sa.Column("answered", sa.JSON(), nullable=False),
        sa.Column("noted", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", "chat_id", name=op.f("pk_chat_floods")),
    )
    op.create_index(op.f("ix_chat_floods_updated_at"), "chat_floods", ["updated_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_chat_floods_updated_at"), table_name="chat_floods")
    op.drop_table("chat_floods")
