"""counter link generation and dossier links

Revision ID: cbe70a650ee8
Revises: bd96495b0eb4
Create Date: 2026-11-22 21:10:14.621198+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "cbe70a650ee8"
down_revision: str | Sequence[str] | None = "bd96495b0eb4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dossier_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("form_id", sa.String(length=64), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("counter_id", sa.Integer(), nullable=True),
        sa.Column("dossier_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("expires_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("response_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_dossier_links_agency_id_agencies"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["counter_id"], ["counters.id"], name=op.f("fk_dossier_links_counter_id_counters"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["form_id"], ["forms.id"], name=op.f("fk_dossier_links_form_id_forms"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["response_id"], ["responses.id"], name=op.f("fk_dossier_links_response_id_responses"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier_links")),
    )
    with op.batch_alter_table("dossier_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dossier_links_agency_id"), ["agency_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_dossier_links_dossier_hash"), ["dossier_hash"], unique=False)

    with op.batch_alter_table("counters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("link_generation", sa.Integer(), server_default="0", nullable=False))



def downgrade() -> None:
    with op.batch_alter_table("counters", schema=None) as batch_op:
        batch_op.drop_column("link_generation")

    with op.batch_alter_table("dossier_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dossier_links_dossier_hash"))
        batch_op.drop_index(batch_op.f("ix_dossier_links_agency_id"))

    op.drop_table("dossier_links")
