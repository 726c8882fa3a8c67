"""a chat's district in a network of districts (chats.district)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # NULL: not chosen yet (a network asks before it hands anything over); single-district configs leave it NULL.
    with op.batch_alter_table("chats") as batch:
        batch.add_column(sa.Column("district", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("chats") as batch:
        batch.drop_column("district")
