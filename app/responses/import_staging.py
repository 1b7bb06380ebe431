"""Staging an import: the good lines wait in a temporary table (``COPY`` on PostgreSQL, ``executemany`` on SQLite)
and their answers in a temporary file; the lines are compared with what is stored in a few set-based queries, then
stored by one ``INSERT … SELECT … ON CONFLICT (submission_id) DO NOTHING`` into ``submissions`` returning each line's
new id (the responses follow with those ids), and the answers of the stored lines are copied straight into
``answers`` — all inside the import's transaction.

The semantics are ``store``'s: the database decides what is new (the unique submission id); a line whose id is
stored already is judged on the same columns (``COMPARED``), identical → already imported, different → a conflict;
a later line of the file with an earlier line's id is stored once (the first) and judged against it.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.csv as pacsv  # type: ignore[import-untyped]
import pyarrow.ipc  # type: ignore[import-untyped]
from sqlalchemy.orm import Session

from app.errors import Invalid
from app.forms.schemas import PROFILE_FIELDS
from app.responses.import_checking import STAGED, Checked
from app.responses.storage import COMPARED, RESPONSES, writer_for

_RESPONSES = "sipas_import_responses"
_SKIP = "sipas_import_skip"
# The foreign keys of the staged columns (checked by ``Stage._references_checked_here``).
_REFERENCES = (("agency_id", "agencies"), ("counter_id", "counters"), ("procedure_field_id", "procedure_fields"))
# Every foreign key of the two tables, as PostgreSQL names them: device_id is always null in an import, the form
# version is one row, the answers' response_id points at rows this transaction inserted.
_FOREIGN_KEYS = {
    *(f"responses.{column}" for column, _ in _REFERENCES),
    "responses.device_id",
    "responses.form_version_id",
    "responses.id",  # → submissions, inserted by this transaction
    "answers.response_id",
}
# A staged line's stored response, found through its submission id (one index, whatever the month).
_STORED = (
    "JOIN submissions u ON u.submission_id = s.submission_id"
    " JOIN responses r ON r.id = u.id AND r.local_month = u.local_month"
)
# Every column an import writes, named: a column added later with a server default keeps its default.
_INSERTED = (
    "submission_id",
    "form_version_id",
    "agency_id",
    "counter_id",
    "device_id",
    "procedure_field_id",
    "channel",
    "submitted_at",
    "received_at",
    "local_date",
    "local_month",
    "weight",
    "stratum",
    "cluster",
    "is_suspected_spam",
    "is_test",
    "flag_reason",
    "dossier_hash",
    "content_hash",
    *PROFILE_FIELDS,
)
# The same for every line of an import (two of them bound as parameters).
_CONSTANT = {
    "device_id": "NULL",
    "channel": "'import'",
    "is_suspected_spam": "false",
    "is_test": "false",
    "flag_reason": "NULL",
}
_POSTGRES_TYPES = {
    "line": "bigint PRIMARY KEY",
    "submission_id": "uuid NOT NULL",
    "agency_id": "bigint",
    "counter_id": "bigint",
    "procedure_field_id": "bigint",
    "submitted_at": "timestamptz",
    "local_date": "date",
    "local_month": "integer",
    "weight": "double precision",
    "item_code": "text",
    "value_int": "smallint",
    "value_text": "text",
    "value_json": "json",
    "satisfied": "smallint",
}


@dataclass(frozen=True)
class StoredLine:
    """A staged line and the stored response with its submission id (``COMPARED`` values of both)."""

    line: int
    submission_id: Any
    row: dict[str, Any]
    stored: dict[str, Any] | None


class Stage:
    """The temporary tables of one import, in the session's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.postgres = session.get_bind().dialect.name == "postgresql"
        self.lines = 0
        self.drop()
        # PostgreSQL: typed columns (COPY parses the text), dropped at the end of the transaction. SQLite: untyped
        # columns keep the values exactly as bound, for the insert into the typed tables to convert as usual.
        after = " ON COMMIT DROP" if self.postgres else ""
        key = "bigint PRIMARY KEY" if self.postgres else "INTEGER PRIMARY KEY"
        self._create(_RESPONSES, [f"line {key}", *(self._column(name) for name in STAGED)], after)
        self._create(_SKIP, [f"line {key}"], after)
        # The answers wait in a temporary file (Arrow IPC) and are copied straight into ``answers`` once their
        # responses' ids are known: written once, not staged and joined.
        self._answers = tempfile.TemporaryFile(prefix="sipas-import-")  # noqa: SIM115 - closed by close()
        self._spill: pa.ipc.RecordBatchStreamWriter | None = None

    def _column(self, name: str) -> str:
        return f"{name} {_POSTGRES_TYPES.get(name, 'text')}" if self.postgres else name

    def _create(self, table: str, columns: list[str], after: str) -> None:
        self._execute(f"CREATE TEMPORARY TABLE {table} ({', '.join(columns)}){after}")

    def drop(self) -> None:
        """Drop the tables (SQLite keeps temporary tables until the connection closes)."""
        for table in (_RESPONSES, _SKIP):
            self._execute(f"DROP TABLE IF EXISTS {table}")

    def close(self) -> None:
        """Remove the answers' temporary file."""
        self._answers.close()

    def __enter__(self) -> Stage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _execute(self, sql: str, parameters: Any = ()) -> Any:
        return self.session.connection().exec_driver_sql(sql, parameters)

    # --- staging --------------------------------------------------------------------------------------------

    def add(self, checked: Checked) -> None:
        """Stage the good lines of a batch."""
        self.lines += checked.responses.num_rows
        self._load(_RESPONSES, checked.responses)
        if checked.answers.num_rows:
            if self._spill is None:
                self._spill = pa.ipc.new_stream(self._answers, checked.answers.schema)
            self._spill.write_table(checked.answers)

    def _load(self, table: str, rows: pa.Table) -> None:
        if not rows.num_rows:
            return
        names = ", ".join(rows.column_names)
        if self.postgres:
            buffer = io.BytesIO()
            pacsv.write_csv(rows, buffer, pacsv.WriteOptions(include_header=False))
            driver = self.session.connection().connection.driver_connection
            assert driver is not None
            with driver.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT csv)") as copy:
                copy.write(buffer.getbuffer())
            return
        marks = ", ".join("?" for _ in rows.column_names)
        values = list(zip(*(column.to_pylist() for column in rows.columns), strict=True))
        self._execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", values)  # noqa: S608

    def analyze(self) -> None:
        """Let PostgreSQL's planner see the staged rows (temporary tables are never analysed automatically)."""
        if self.postgres:
            self._execute(f"ANALYZE {_RESPONSES}")

    # --- judging --------------------------------------------------------------------------------------------

    def _same(self) -> str:
        """SQL: the staged line equals the stored response on every ``COMPARED`` column (nulls equal)."""
        operator = "IS NOT DISTINCT FROM" if self.postgres else "IS"
        return " AND ".join(f"r.{name} {operator} s.{name}" for name in COMPARED)

    def already(self) -> int:
        """Staged lines identical to a stored response."""
        sql = f"SELECT count(*) FROM {_RESPONSES} s {_STORED} WHERE {self._same()}"  # noqa: S608
        return int(self._execute(sql).scalar_one())

    def conflicts(self) -> list[StoredLine]:
        """Staged lines whose submission id is stored with other ``COMPARED`` values, in line order."""
        selected = ", ".join(f"s.{name}" for name in COMPARED) + ", " + ", ".join(f"r.{name}" for name in COMPARED)
        sql = (
            f"SELECT s.line, s.submission_id, {selected} FROM {_RESPONSES} s"  # noqa: S608
            f" {_STORED} WHERE NOT ({self._same()}) ORDER BY s.line"
        )
        found = []
        width = len(COMPARED)
        for line, submission_id, *values in self._execute(sql):
            found.append(
                StoredLine(
                    int(line),
                    submission_id,
                    dict(zip(COMPARED, values[:width], strict=True)),
                    dict(zip(COMPARED, values[width:], strict=True)),
                )
            )
        return found

    def repeats(self) -> list[StoredLine]:
        """Staged lines whose (unstored) submission id appears on more than one line, in line order."""
        selected = ", ".join(f"s.{name}" for name in COMPARED)
        sql = (
            f"SELECT s.line, s.submission_id, {selected} FROM {_RESPONSES} s"  # noqa: S608
            f" WHERE s.submission_id IN (SELECT submission_id FROM {_RESPONSES} GROUP BY submission_id"
            " HAVING count(*) > 1)"
            " AND NOT EXISTS (SELECT 1 FROM submissions u WHERE u.submission_id = s.submission_id) ORDER BY s.line"
        )
        return [
            StoredLine(int(line), submission_id, dict(zip(COMPARED, values, strict=True)), None)
            for line, submission_id, *values in self._execute(sql)
        ]

    def skip(self, lines: list[int]) -> None:
        """Leave these staged lines out of the insert."""
        if lines:
            mark = self._parameter("line")
            self._execute(f"INSERT INTO {_SKIP} (line) VALUES ({mark})", [{"line": line} for line in lines])  # noqa: S608

    # --- storing --------------------------------------------------------------------------------------------

    def _parameter(self, name: str) -> str:
        return f"%({name})s" if self.postgres else f":{name}"

    def _time(self, moment: datetime) -> Any:
        if self.postgres:
            return moment
        process = RESPONSES.c.received_at.type.dialect_impl(self._dialect()).bind_processor(self._dialect())
        return process(moment) if process is not None else moment

    def _dialect(self) -> Any:
        return self.session.get_bind().dialect

    def store(self, *, form_version_id: int, received_at: datetime) -> int:
        """Store the staged lines not skipped, each submission id once, with their answers; returns how many
        responses were stored."""
        constants = {
            **_CONSTANT,
            "form_version_id": self._parameter("form_version_id"),
            "received_at": self._parameter("received_at"),
        }
        selected = ", ".join(constants.get(name, f"s.{name}") for name in _INSERTED)
        names = ", ".join(_INSERTED)
        parameters = {"form_version_id": form_version_id, "received_at": self._time(received_at)}
        kept = f"s.line NOT IN (SELECT line FROM {_SKIP})"  # noqa: S608
        claim = (
            f"INSERT INTO submissions (submission_id, local_month) SELECT s.submission_id, s.local_month"  # noqa: S608
            f" FROM {_RESPONSES} s WHERE {kept} ORDER BY s.line ON CONFLICT (submission_id) DO NOTHING"
        )
        if self.postgres:
            sql = (
                f"WITH claimed AS ({claim} RETURNING id, submission_id),"  # noqa: S608
                f" inserted AS (INSERT INTO responses (id, {names}) SELECT c.id, {selected} FROM {_RESPONSES} s"
                f" JOIN claimed c ON c.submission_id = s.submission_id WHERE {kept})"
                f" SELECT s.line, c.id, s.local_month FROM claimed c JOIN {_RESPONSES} s"
                f" ON s.submission_id = c.submission_id AND {kept}"
            )
            with self._references_checked_here(form_version_id):
                stored = self._fetch(sql, parameters)
                self._store_answers(stored)  # their key checked here too: the responses were just inserted
            return len(stored)
        with writer_for(self.session).bulk():
            before = int(self._execute("SELECT coalesce(max(id), 0) FROM submissions").scalar_one())
            self._execute(claim)
            new = f"{_RESPONSES} s JOIN submissions u ON u.submission_id = s.submission_id"
            self._execute(
                f"INSERT INTO responses (id, {names}) SELECT u.id, {selected} FROM {new}"  # noqa: S608
                f" WHERE u.id > :before AND {kept}",
                {**parameters, "before": before},
            )
            stored = self._fetch(
                f"SELECT s.line, u.id, s.local_month FROM {new} WHERE u.id > :before AND {kept}",  # noqa: S608
                {"before": before},
            )
        self._store_answers(stored)
        return len(stored)

    @contextlib.contextmanager
    def _references_checked_here(self, form_version_id: int) -> Iterator[None]:
        """PostgreSQL checks every foreign key of every row with a trigger: about ten checks per line, most of the
        server's work in a large import. Those checks are redundant here, so when the role may (a superuser, or
        ``GRANT SET ON PARAMETER session_replication_role``) and ``responses`` and ``answers`` have no triggers
        of their own, the rows are written with triggers off (``session_replication_role = replica``, for the
        insert only) and the checks are done here once per referenced row instead: each agency, counter,
        procedure field and the form version is locked ``FOR KEY SHARE`` — exactly the lock the triggers take, so
        none can be deleted before the import commits — and must exist; the answers reference responses inserted
        by this very transaction. Otherwise the triggers run as usual."""
        if not self._may_write_without_triggers():
            yield
            return
        for column, table in _REFERENCES:
            distinct = f"SELECT DISTINCT {column} FROM {_RESPONSES} WHERE {column} IS NOT NULL"  # noqa: S608
            ids = list(self._execute(distinct).scalars())
            self._lock(table, ids)
        self._lock("form_versions", [form_version_id])
        self._execute("SET LOCAL session_replication_role = replica")
        yield  # on an error the rollback ends the setting (SET LOCAL) with the transaction
        self._execute("SET LOCAL session_replication_role = DEFAULT")

    def _lock(self, table: str, ids: list[int]) -> None:
        if not ids:
            return
        locked = self._execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE id = ANY(%(ids)s) FOR KEY SHARE) AS locked",  # noqa: S608
            {"ids": ids},
        ).scalar_one()
        if locked != len(ids):
            raise Invalid(
                f"{len(ids) - locked} row(s) of {table} named by the file were deleted while it was being imported; "
                "nothing was imported"
            )

    def _may_write_without_triggers(self) -> bool:
        allowed = self._execute(
            "SELECT NOT EXISTS (SELECT 1 FROM pg_trigger WHERE NOT tgisinternal"
            " AND tgrelid IN ('responses'::regclass, 'answers'::regclass))"
            " AND (current_setting('is_superuser') = 'on' OR current_setting('server_version_num')::int >= 150000)"
        ).scalar_one()
        if not allowed:
            return False
        keys = self._execute(
            "SELECT c.conrelid::regclass::text || '.' || a.attname FROM pg_constraint c"
            " JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)"
            " WHERE c.contype = 'f' AND c.conrelid IN ('responses'::regclass, 'answers'::regclass)"
        ).scalars()
        if set(keys) != _FOREIGN_KEYS:  # a key this module does not check itself
            return False
        if self._execute("SELECT current_setting('is_superuser') = 'on'").scalar_one():
            return True
        return bool(self._execute("SELECT has_parameter_privilege('session_replication_role', 'SET')").scalar_one())

    def _fetch(self, sql: str, parameters: dict[str, Any]) -> np.ndarray:
        """(line, response id, month) rows, sorted by line."""
        rows = np.array(self._execute(sql, parameters).all(), dtype=np.int64).reshape(-1, 3)
        return rows[np.argsort(rows[:, 0], kind="stable")]

    def _store_answers(self, stored: np.ndarray) -> None:
        """Copy the spilled answers of the stored lines into ``answers``, with their responses' ids."""
        if self._spill is None or not len(stored):
            return
        self._spill.close()
        self._answers.seek(0)
        lines, ids, months = stored[:, 0], stored[:, 1], stored[:, 2]
        with writer_for(self.session).bulk():
            for batch in pa.ipc.open_stream(self._answers):
                answer_lines = batch.column(0).to_numpy()
                place = np.minimum(np.searchsorted(lines, answer_lines), len(lines) - 1)
                found = lines[place] == answer_lines
                rows = pa.Table.from_batches([batch]).filter(pa.array(found))
                rows = rows.set_column(0, "response_id", pa.array(ids[place[found]]))
                rows = rows.append_column("local_month", pa.array(months[place[found]].astype(np.int32)))
                self._load("answers", rows)
