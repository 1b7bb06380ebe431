"""device held back count

Revision ID: d137062737f9
Revises: cbe70a650ee8
Create Date: 2026-11-22 22:02:11.163512+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "d137062737f9"
down_revision: str | Sequence[str] | None = "cbe70a650ee8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("held_back", sa.Integer(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_column("held_back")

