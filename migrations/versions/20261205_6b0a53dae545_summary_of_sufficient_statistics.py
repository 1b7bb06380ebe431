"""summary of sufficient statistics: reports read per-cell counts of answer patterns instead of every answer

Existing responses start in the tail (``summarized`` false): the first refresh (the server's, or
``sipas summary rebuild``) folds them in; figures are the same before and after.

Revision ID: 6b0a53dae545
Revises: 55700ff9b975
Create Date: 2026-12-05 11:23:50.940948+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6b0a53dae545"
down_revision: str | Sequence[str] | None = "55700ff9b975"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "response_sums",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("local_month", sa.Integer(), nullable=False),
        sa.Column("week", sa.SmallInteger(), nullable=False),
        sa.Column("counter_id", sa.Integer(), nullable=False),
        sa.Column("form_version_id", sa.Integer(), nullable=False),
        sa.Column(
            "channel",
            sa.Enum(
                "web_qr",
                "kiosk",
                "import",
                "interview",
                name="response_sum_channel",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("procedure_field_id", sa.Integer(), nullable=False),
        sa.Column("is_suspected_spam", sa.Boolean(), nullable=False),
        sa.Column("is_test", sa.Boolean(), nullable=False),
        sa.Column("pattern0", sa.BigInteger(), nullable=False),
        sa.Column("pattern1", sa.BigInteger(), nullable=False),
        sa.Column("respondents", sa.Integer(), nullable=False),
        sa.Column("weight_sum", sa.Float(), nullable=False),
        sa.Column("last_date", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_response_sums")),
    )
    op.create_index(
        "uq_response_sums_cell",
        "response_sums",
        [
            "agency_id",
            "local_month",
            "week",
            "counter_id",
            "form_version_id",
            "channel",
            "procedure_field_id",
            "is_suspected_spam",
            "is_test",
            "pattern0",
            "pattern1",
        ],
        unique=True,
    )

    op.create_table(
        "summary_places",
        sa.Column("form_version_id", sa.Integer(), nullable=False),
        sa.Column("item_code", sa.String(length=64), nullable=False),
        sa.Column("chunk", sa.SmallInteger(), nullable=False),
        sa.Column("place", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["form_version_id"],
            ["form_versions.id"],
            name=op.f("fk_summary_places_form_version_id_form_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("form_version_id", "item_code", name=op.f("pk_summary_places")),
    )
    # Plain ADD COLUMN (no batch copy of "responses" on SQLite, which the answers' foreign keys would forbid).
    op.add_column("responses", sa.Column("summarized", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_index(
        "ix_responses_not_summarized",
        "responses",
        ["id"],
        unique=False,
        postgresql_where=sa.text("NOT summarized"),
        sqlite_where=sa.text("NOT summarized"),
    )


def downgrade() -> None:
    op.drop_index("ix_responses_not_summarized", table_name="responses")
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_column("summarized")

    op.drop_table("summary_places")
    op.drop_index("uq_response_sums_cell", table_name="response_sums")

    op.drop_table("response_sums")
