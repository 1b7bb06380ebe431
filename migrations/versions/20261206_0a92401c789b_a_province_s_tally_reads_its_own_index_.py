"""a province's tally reads its own index entries: the agency index carries the tally's columns on PostgreSQL

Every figure first counts its selection's responses per agency, month, field, form version, source and flags
(``app/reports/tally.py``). With only (agency_id, local_date) indexed, PostgreSQL read the whole ``responses`` table
for a province (measured at 1 M responses: 185 ms, growing with the country, not the province); with the grouped
columns INCLUDEd it is an index-only scan of the province's own entries (35 ms). The index is rebuilt
concurrently, so writes go on meanwhile; Alembic's autogenerate does not compare INCLUDE columns, hence by hand.
SQLite keeps the plain index (it has no INCLUDE; its covering index would be a wider key for little gain).

Revision ID: 0a92401c789b
Revises: 6b0a53dae545
Create Date: 2026-12-06 21:01:09.203078+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0a92401c789b"
down_revision: str | Sequence[str] | None = "6b0a53dae545"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ix_responses_agency_id_local_date"
INCLUDED = "local_month, procedure_field_id, form_version_id, channel, is_suspected_spam, is_test"


def _rebuild(include: str | None) -> None:
    """Build the new index beside the old one, then swap them, without blocking writes (PostgreSQL only)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    columns = f" INCLUDE ({include})" if include else ""
    with op.get_context().autocommit_block():
        op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {NAME}_new")  # left invalid by an interrupted build
        op.execute(f"CREATE INDEX CONCURRENTLY {NAME}_new ON responses (agency_id, local_date){columns}")
        op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {NAME}")
        op.execute(f"ALTER INDEX {NAME}_new RENAME TO {NAME}")


def upgrade() -> None:
    _rebuild(INCLUDED)


def downgrade() -> None:
    _rebuild(None)
