"""responses and answers partitioned by month on PostgreSQL; submission ids unique through a table of their own

PostgreSQL's partitioned tables accept only unique keys that include the partition key, yet a submission id must be
unique whatever month its response is stored under (a replay dated in another month is a replay). So the unique
submission ids move to ``submissions`` (id, submission_id, local_month), filled from the stored responses; each
response's id is its submission's id, and what referred to ``responses.id`` (answers, dossier links, moderation)
refers to ``submissions.id``. ``answers`` gets its response's month. Then, on PostgreSQL only, both tables are
rebuilt as partitioned by range of ``local_month``: one partition per month that has responses, and a default
partition; ``sipas migrate`` adds the months ahead (``app/partitions.py``). The rebuild copies every row, so on a large
database it takes as long as a copy of the two tables, with writes blocked meanwhile: plan it for a quiet hour.

Revision ID: 7167b88fb78d
Revises: 0a92401c789b
Create Date: 2026-12-07 00:04:49.176194+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app import partitions

revision: str = "7167b88fb78d"
down_revision: str | Sequence[str] | None = "0a92401c789b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# The tables that referred to responses.id: (table, column, on delete)
REFERRING = (
    ("answers", "response_id", "CASCADE"),
    ("comment_moderation", "response_id", "CASCADE"),
    ("dossier_links", "response_id", "SET NULL"),
)
KEYS = {"responses": ("id",), "answers": ("response_id", "item_code")}


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _definitions(table: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The CREATE INDEX statements (not the primary key's) and the foreign keys (name, definition) of ``table``."""
    bind = op.get_bind()
    indexes = bind.execute(
        sa.text(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = :table"
            " AND indexname NOT IN (SELECT c.relname FROM pg_constraint k JOIN pg_class c ON c.oid = k.conindid"
            " WHERE k.conrelid = to_regclass(:table))"
        ),
        {"table": table},
    ).scalars()
    keys = bind.execute(
        sa.text(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = to_regclass(:table) AND contype = 'f' ORDER BY conname"
        ),
        {"table": table},
    ).all()
    return list(indexes), [(str(name), str(definition)) for name, definition in keys]


def _rebuild(table: str, *, partitioned: bool) -> None:
    """Copy ``table`` into a new table, partitioned by month (one partition per month it holds, and a default) or
    not, with the same columns, checks, indexes and foreign keys; its primary key gets the month when partitioned."""
    bind = op.get_bind()
    indexes, foreign_keys = _definitions(table)
    new = f"{table}_rebuilt"
    how = " PARTITION BY RANGE (local_month)" if partitioned else ""
    op.execute(f"CREATE TABLE {new} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS){how}")
    if partitioned:
        stored = bind.execute(sa.text(f"SELECT DISTINCT local_month FROM {table} ORDER BY 1")).scalars()  # noqa: S608
        for month in stored:
            op.execute(partitions.partition_ddl(table, month, parent=new))
        op.execute(partitions.default_ddl(table, parent=new))
    op.execute(f"INSERT INTO {new} SELECT * FROM {table}")  # noqa: S608
    op.execute(f"DROP TABLE {table}")  # its partitions with it
    op.execute(f"ALTER TABLE {new} RENAME TO {table}")
    key = ", ".join([*KEYS[table], "local_month"] if partitioned else KEYS[table])
    op.execute(f"ALTER TABLE {table} ADD CONSTRAINT pk_{table} PRIMARY KEY ({key})")
    for statement in indexes:
        # a partitioned table's index is defined "ON ONLY" the parent, as pg_dump restores it
        op.execute(statement.replace(" ON ONLY ", " ON "))
    for name, definition in foreign_keys:
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")


def upgrade() -> None:
    op.create_table(
        "submissions",
        sa.Column("id", BigId, nullable=False),
        sa.Column("submission_id", sa.Uuid(), nullable=False),
        sa.Column("local_month", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submissions")),
        sa.UniqueConstraint("submission_id", name=op.f("uq_submissions_submission_id")),
    )
    op.execute(
        "INSERT INTO submissions (id, submission_id, local_month) SELECT id, submission_id, local_month FROM responses"
    )
    if _postgres():
        op.execute("SELECT setval('submissions_id_seq', coalesce((SELECT max(id) FROM submissions), 0) + 1, false)")
        op.execute("ALTER TABLE responses ALTER COLUMN id DROP DEFAULT")
        op.execute("DROP SEQUENCE responses_id_seq")
    with op.batch_alter_table("answers") as batch_op:
        batch_op.add_column(sa.Column("local_month", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE answers SET local_month = (SELECT r.local_month FROM responses r WHERE r.id = answers.response_id)"
    )
    with op.batch_alter_table("answers") as batch_op:
        batch_op.alter_column("local_month", existing_type=sa.Integer(), nullable=False)
    for table, column, on_delete in REFERRING:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(batch_op.f(f"fk_{table}_{column}_responses"), type_="foreignkey")
            batch_op.create_foreign_key(
                batch_op.f(f"fk_{table}_{column}_submissions"), "submissions", [column], ["id"], ondelete=on_delete
            )
    with op.batch_alter_table("responses") as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_responses_submission_id"), type_="unique")
        batch_op.create_foreign_key(
            batch_op.f("fk_responses_id_submissions"), "submissions", ["id"], ["id"], ondelete="CASCADE"
        )
    if _postgres():
        for table in partitions.PARTITIONED:
            _rebuild(table, partitioned=True)


def downgrade() -> None:
    if _postgres():
        for table in partitions.PARTITIONED:
            _rebuild(table, partitioned=False)
        op.execute("CREATE SEQUENCE responses_id_seq OWNED BY responses.id")
        op.execute("SELECT setval('responses_id_seq', coalesce((SELECT max(id) FROM responses), 0) + 1, false)")
        op.execute("ALTER TABLE responses ALTER COLUMN id SET DEFAULT nextval('responses_id_seq')")
    with op.batch_alter_table("responses") as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_responses_id_submissions"), type_="foreignkey")
        batch_op.create_unique_constraint(batch_op.f("uq_responses_submission_id"), ["submission_id"])
    for table, column, on_delete in REFERRING:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(batch_op.f(f"fk_{table}_{column}_submissions"), type_="foreignkey")
            batch_op.create_foreign_key(
                batch_op.f(f"fk_{table}_{column}_responses"), "responses", [column], ["id"], ondelete=on_delete
            )
    with op.batch_alter_table("answers") as batch_op:
        batch_op.drop_column("local_month")
    op.drop_table("submissions")
