"""index kiosk answers by time

Revision ID: 617fb23e5c3f
Revises: d137062737f9
Create Date: 2026-11-22 22:15:34.998109+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "617fb23e5c3f"
down_revision: str | Sequence[str] | None = "d137062737f9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_responses_device_id"))
        batch_op.create_index("ix_responses_device_id_submitted_at", ["device_id", "submitted_at"], unique=False)



def downgrade() -> None:
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_index("ix_responses_device_id_submitted_at")
        batch_op.create_index(batch_op.f("ix_responses_device_id"), ["device_id"], unique=False)

