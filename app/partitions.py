"""Month partitions of ``responses`` and ``answers`` on PostgreSQL.

Both tables are partitioned by range of ``local_month`` (YYYYMM): one partition per month, ``responses_y2026m12``
holding 202612, plus a default partition (``responses_default``) for any month that has none, so that no answer is
ever refused for its date. A month's figures then read that month's partitions only, old months can be detached and
archived whole, and a table's indexes stay the size of a month.

``sipas migrate`` keeps them (``maintain``): it creates the current month's partitions and those of the months ahead
(``SIPAS_PARTITION_MONTHS_AHEAD``), and gives every month found in the default partitions (an import of last
year's paper forms, a kiosk clock far off) partitions of their own, moving its rows there. Run it monthly (or on every
deployment) so that the months to come always exist ahead of their answers.

SQLite has no partitions: there every function here does nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Connection, text

PARTITIONED = ("responses", "answers")
_MONTH = re.compile(r"responses_y(\d{4})m(\d{2})")


def month_number(day: date) -> int:
    """The month (YYYYMM) of a day, as ``local_month`` holds it and the partitions are made by."""
    return day.year * 100 + day.month


def month_after(month: int) -> int:
    """The YYYYMM after ``month``."""
    year, number = divmod(month, 100)
    return (year + 1) * 100 + 1 if number == 12 else month + 1


def months_from(first: int, count: int) -> list[int]:
    """``count`` months from ``first`` on."""
    months = [first]
    while len(months) < count:
        months.append(month_after(months[-1]))
    return months[:count]


def partition_name(table: str, month: int) -> str:
    """The partition of ``table`` for ``month``: ``responses_y2026m12``."""
    return f"{table}_y{month // 100}m{month % 100:02d}"


def default_name(table: str) -> str:
    return f"{table}_default"


def partition_ddl(table: str, month: int, *, parent: str | None = None) -> str:
    """The statement that makes ``table``'s partition for ``month`` (of ``parent``, the table's name meanwhile when
    a migration rebuilds it)."""
    return (
        f"CREATE TABLE {partition_name(table, month)} PARTITION OF {parent or table}"
        f" FOR VALUES FROM ({month}) TO ({month_after(month)})"
    )


def default_ddl(table: str, *, parent: str | None = None) -> str:
    """The statement that makes ``table``'s default partition: rows of a month without partitions of its own."""
    return f"CREATE TABLE {default_name(table)} PARTITION OF {parent or table} DEFAULT"


def is_partitioned(connection: Connection) -> bool:
    """Whether ``responses`` is a partitioned table here (PostgreSQL, migrated)."""
    if connection.dialect.name != "postgresql":
        return False
    found = connection.execute(
        text("SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass('responses')")
    ).first()
    return found is not None


def partition_names(connection: Connection) -> set[str]:
    """Every partition of a partitioned table (tables the models do not name: Alembic and backups skip them)."""
    if connection.dialect.name != "postgresql":
        return set()
    rows = connection.execute(text("SELECT relname FROM pg_class WHERE relispartition"))
    return {str(name) for (name,) in rows}


def months(connection: Connection) -> set[int]:
    """The months that have partitions of their own (those of ``responses``; ``answers`` has the same)."""
    rows = connection.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = to_regclass('responses')"
        )
    )
    found = set()
    for (name,) in rows:
        if match := _MONTH.fullmatch(str(name)):
            found.add(int(match[1]) * 100 + int(match[2]))
    return found


def _create(connection: Connection, months: Iterable[int]) -> None:
    for month in months:
        for table in PARTITIONED:
            connection.execute(text(partition_ddl(table, month)))


def create_months(connection: Connection, wanted: Iterable[int]) -> list[int]:
    """Partitions for the ``wanted`` months that have none and no rows in the default partitions; returns them
    (none on SQLite or an unpartitioned database)."""
    if not is_partitioned(connection):
        return []
    return _create_missing(connection, set(wanted) - set(months_in_default(connection)))


def _create_missing(connection: Connection, wanted: Iterable[int]) -> list[int]:
    created = sorted(set(wanted) - months(connection))
    _create(connection, created)
    return created


def months_in_default(connection: Connection) -> list[int]:
    """The months that have rows in the default partitions."""
    rows = connection.execute(
        text(
            f"SELECT DISTINCT local_month FROM {default_name('responses')}"  # noqa: S608 - names from this module
            f" UNION SELECT DISTINCT local_month FROM {default_name('answers')} ORDER BY 1"
        )
    )
    return [int(month) for (month,) in rows]


def _columns(connection: Connection, table: str) -> str:
    rows = connection.execute(
        text(
            "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(:table) AND attnum > 0"
            " AND NOT attisdropped ORDER BY attnum"
        ),
        {"table": table},
    )
    return ", ".join(str(name) for (name,) in rows)


def move_out_of_default(connection: Connection, moved: list[int]) -> dict[int, int]:
    """Give each month in ``moved`` partitions of its own and move its rows there from the default partitions;
    returns the responses moved per month. The default partitions are detached meanwhile, so the tables are locked
    for the move (writes wait, none is lost): a maintenance step, for ``sipas migrate``."""
    if not moved:
        return {}
    listed = ", ".join(str(month) for month in moved)
    for table in PARTITIONED:
        connection.execute(text(f"ALTER TABLE {table} DETACH PARTITION {default_name(table)}"))
    _create(connection, moved)
    counts: dict[int, int] = {}
    for table in PARTITIONED:
        columns = _columns(connection, table)
        rows = connection.execute(
            text(
                f"WITH gone AS (DELETE FROM {default_name(table)} WHERE local_month IN ({listed})"  # noqa: S608
                f" RETURNING {columns}), moved AS (INSERT INTO {table} ({columns}) SELECT {columns} FROM gone"
                " RETURNING local_month) SELECT local_month, count(*) FROM moved GROUP BY local_month"
            )
        )
        if table == "responses":
            counts = {int(month): int(count) for month, count in rows}
    for table in PARTITIONED:
        connection.execute(text(f"ALTER TABLE {table} ATTACH PARTITION {default_name(table)} DEFAULT"))
    return counts


def missing_soon(connection: Connection, current: int) -> list[int]:
    """This month and the next, when they have no partitions of their own (``sipas migrate`` has not been run for a
    while): their answers would go to the default partition. Empty on SQLite or an unpartitioned database."""
    if not is_partitioned(connection):
        return []
    have = months(connection)
    return [month for month in months_from(current, 2) if month not in have]


@dataclass
class Maintained:
    """What ``maintain`` did: the months given partitions ahead, and the months moved out of the default partitions
    with their responses."""

    created: list[int] = field(default_factory=list)
    moved: dict[int, int] = field(default_factory=dict)


def maintain(connection: Connection, current: int, ahead: int) -> Maintained:
    """Partitions for the month ``current`` and the ``ahead`` months after it, and for every month found in the
    default partitions (its rows moved there). Nothing on SQLite or an unpartitioned database."""
    if not is_partitioned(connection):
        return Maintained()
    moved = move_out_of_default(connection, months_in_default(connection))  # the default holds none after it
    return Maintained(_create_missing(connection, months_from(current, ahead + 1)), moved)
