"""short codes for counters and what the thank-you page offers

Revision ID: 1b596b1dc8d0
Revises: 103d8580a3f3
Create Date: 2026-12-05 06:58:36.877272+00:00
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "1b596b1dc8d0"
down_revision: str | Sequence[str] | None = "103d8580a3f3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN and CREATE INDEX, no batch: on SQLite a batch would copy and drop "agencies" and "counters",
    # which the foreign keys of stored responses forbid.
    op.add_column("agencies", sa.Column("hotline", sa.String(length=40), nullable=True))
    op.add_column("agencies", sa.Column("complaint_url", sa.String(length=500), nullable=True))
    op.add_column("agencies", sa.Column("opening_hours_vi", sa.String(length=255), nullable=True))
    op.add_column("agencies", sa.Column("opening_hours_en", sa.String(length=255), nullable=True))
    op.add_column("counters", sa.Column("short_code", sa.String(length=16), nullable=True))
    op.create_index(op.f("ix_counters_short_code"), "counters", ["short_code"], unique=True)
    # Every counter that exists gets its typable code now (six Crockford base32 symbols, as the app makes them).
    counters = sa.table("counters", sa.column("id", sa.Integer), sa.column("short_code", sa.String))
    connection = op.get_bind()
    taken: set[str] = set()
    for (counter_id,) in connection.execute(sa.select(counters.c.id).order_by(counters.c.id)):
        code = _new_code(taken)
        taken.add(code)
        connection.execute(sa.update(counters).where(counters.c.id == counter_id).values(short_code=code))


def _new_code(taken: set[str]) -> str:
    while True:
        code = "".join(secrets.choice("0123456789ABCDEFGHJKMNPQRSTVWXYZ") for _ in range(6))
        if code not in taken:
            return code


def downgrade() -> None:
    op.drop_index(op.f("ix_counters_short_code"), table_name="counters")
    op.drop_column("counters", "short_code")
    for column in ("opening_hours_en", "opening_hours_vi", "complaint_url", "hotline"):
        op.drop_column("agencies", column)
