"""publications: a period's figures frozen when an administrator publishes them

Two tables (``app/publications/models.py``): publications (the figures and everything they depend on as one JSON
document with its SHA-256; drafts a schedule generated) and the schedules that generate drafts.

Revision ID: c9aaaa56d57c
Revises: 7167b88fb78d
Create Date: 2026-12-07 03:18:19.185014+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "c9aaaa56d57c"
down_revision: str | Sequence[str] | None = "7167b88fb78d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "publications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("published_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(length=64), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("draft", sa.Boolean(), nullable=False),
        sa.Column("data_cutoff", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("code_version", sa.String(length=64), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("superseded_by_id", sa.Integer(), nullable=True),
        sa.Column("superseded_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("superseded_reason", sa.String(length=500), nullable=True),
        sa.CheckConstraint("period_end >= period_start", name=op.f("ck_publications_period_order")),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_publications_agency_id_agencies"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["superseded_by_id"],
            ["publications.id"],
            name=op.f("fk_publications_superseded_by_id_publications"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publications")),
    )
    with op.batch_alter_table("publications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_publications_agency_id"), ["agency_id"], unique=False)
    op.create_table(
        "publication_schedules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("every", sa.String(length=16), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("stopped_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("every IN ('month', 'quarter')", name=op.f("ck_publication_schedules_every_known")),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_publication_schedules_agency_id_agencies"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["officials.id"],
            name=op.f("fk_publication_schedules_created_by_id_officials"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publication_schedules")),
    )
    with op.batch_alter_table("publication_schedules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_publication_schedules_agency_id"), ["agency_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("publication_schedules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_publication_schedules_agency_id"))

    op.drop_table("publication_schedules")
    with op.batch_alter_table("publications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_publications_agency_id"))

    op.drop_table("publications")
