"""comment moderation: administrators hide an abusive comment from the feed (and show it again)

Revision ID: 55700ff9b975
Revises: 1b596b1dc8d0
Create Date: 2026-12-05 08:31:46.092960+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "55700ff9b975"
down_revision: str | Sequence[str] | None = "1b596b1dc8d0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A new table only: "responses" is not altered (no batch copy on SQLite, which the foreign keys of stored answers
    # would forbid), and existing comments start visible (no row here).
    op.create_table(
        "comment_moderation",
        sa.Column("response_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("changed_by", sa.String(length=64), nullable=False),
        sa.Column("changed_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["responses.id"],
            name=op.f("fk_comment_moderation_response_id_responses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("response_id", name=op.f("pk_comment_moderation")),
    )


def downgrade() -> None:
    # The decisions are lost with the table; the audit log keeps every one of them.
    op.drop_table("comment_moderation")
