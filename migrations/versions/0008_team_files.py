"""team_files: photos and documents a team sent to an employer (bot/tickets/files.py)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "team_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("mime", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("as_photo", sa.Boolean(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("author_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_team_files_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_files")),
    )
    op.create_index(op.f("ix_team_files_ticket_id"), "team_files", ["ticket_id"], unique=False)
    op.create_index(op.f("ix_team_files_created_at"), "team_files", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_team_files_created_at"), table_name="team_files")
    op.drop_index(op.f("ix_team_files_ticket_id"), table_name="team_files")
    op.drop_table("team_files")
