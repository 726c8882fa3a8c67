"""decisions.insert_sentinel: a batch of decisions is one INSERT on SQLite too (bot/db/models.py)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable, no default: adding it rewrites nothing (SQLite and PostgreSQL alike).
    op.add_column("decisions", sa.Column("insert_sentinel", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("decisions") as batch:
        batch.drop_column("insert_sentinel")
