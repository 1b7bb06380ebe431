"""Writing the lines of ``sipas import`` in bulk: what ``store`` writes, row for row, without its per-batch
statements built by the ORM.

SQLite gets multi-row ``INSERT … ON CONFLICT DO NOTHING RETURNING`` statements and ``executemany`` through the
driver, PostgreSQL gets ``COPY`` into temporary tables and one ``INSERT … SELECT … ON CONFLICT DO NOTHING`` per
batch. The database still decides what is new (the unique submission id).
"""

from __future__ import annotations

import json
import operator
import sqlite3
import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import JSON, Column, Dialect, Table
from sqlalchemy.orm import Session

from app.responses.models import Answer, Response

RESPONSES = cast(Table, Response.__table__)
_ANSWERS = cast(Table, Answer.__table__)
_SQLITE_CACHE_KIB = 128 * 1024  # SQLite's page cache while storing (at most; pages are allocated as used)
_MEMORY = 4096  # distinct date cells (or values of a column to convert) remembered; a survey file has few

# A record of a line: (line, value per column of RESPONSE_COLUMNS) and its answers, each (line, value per column
# of _ANSWER_COLUMNS); values as the database driver receives them, so a record holds numbers and strings.
Record = tuple[tuple[Any, ...], list[tuple[Any, ...]]]
# What ingestion writes: not the id, nor an administrator's review of a flag (set later, never by a channel).
_NOT_INGESTED = ("id", "flag_review", "flag_reviewed_at", "flag_reviewed_by")
RESPONSE_COLUMNS = [column for column in RESPONSES.c if column.name not in _NOT_INGESTED]
_ANSWER_COLUMNS = [column for column in _ANSWERS.c if column.name != "response_id"]
COLUMN = {column.name: index + 1 for index, column in enumerate(RESPONSE_COLUMNS)}  # its place in a record
SUBMISSION_ID = COLUMN["submission_id"]
# Table and column names come from the models; every value is a bound parameter (or travels by COPY).
_NAMES = ", ".join(column.name for column in RESPONSE_COLUMNS)
_ANSWER_NAMES = ", ".join(column.name for column in _ANSWER_COLUMNS)


def remembering(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``convert``, remembering its results: times, dates, flags and the like repeat from line to line."""
    known: dict[Any, Any] = {}

    def remembered(value: Any) -> Any:
        try:
            return known[value]
        except KeyError:
            if len(known) >= _MEMORY:
                known.clear()
            result = known[value] = convert(value)
            return result
        except TypeError:  # not hashable: a list of options
            return convert(value)

    return remembered


def _converter(column: Column[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    """What a value of ``column`` becomes on its way to the driver (SQLAlchemy's own bind processing), in text
    for PostgreSQL's COPY where the driver would otherwise send an object (uuid, time, date)."""
    if dialect.name != "postgresql":
        return cast(Callable[[Any], Any] | None, column.type.dialect_impl(dialect).bind_processor(dialect))
    if isinstance(column.type, JSON):  # as store's PostgreSQL path writes multiple-choice answers
        return lambda value: None if value is None else json.dumps(value, ensure_ascii=False)
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    try:
        python_type = column.type.python_type
    except NotImplementedError:  # a foreign key typed by its target (an integer)
        python_type = int
    if python_type not in (uuid.UUID, datetime, date):
        return cast(Callable[[Any], Any] | None, process)

    def as_text(value: Any) -> Any:
        if process is not None:
            value = process(value)
        if value is None:
            return None
        return str(value) if isinstance(value, uuid.UUID) else value.isoformat()

    return as_text


class _Values:
    """A row's values for ``columns`` as the driver receives them, after the line number."""

    def __init__(self, columns: list[Column[Any]], dialect: Dialect) -> None:
        self._pick = operator.itemgetter(*(column.name for column in columns))
        # (place in the values, converter) of the columns that have one; a unique column's values never repeat
        self._converters = [
            (index + 1, convert if column.unique else remembering(convert))
            for index, column in enumerate(columns)
            if (convert := _converter(column, dialect)) is not None
        ]

    def __call__(self, line: int, row: dict[str, Any]) -> tuple[Any, ...]:
        values = [line, *self._pick(row)]
        for index, convert in self._converters:
            values[index] = convert(values[index])
        return tuple(values)


class Writer:
    """Stores records in bulk, each submission id at most once (``INSERT … ON CONFLICT DO NOTHING``), with ids in
    line order; the records of a call must have distinct submission ids."""

    def __init__(self, session: Session) -> None:
        self.session = session
        dialect = session.get_bind().dialect
        self._response = _Values(RESPONSE_COLUMNS, dialect)
        self._answer = _Values(_ANSWER_COLUMNS, dialect)

    def record(self, line: int, row: dict[str, Any], answers: list[dict[str, Any]]) -> Record:
        return self._response(line, row), [self._answer(line, answer) for answer in answers]

    def _driver_cursor(self) -> Any:
        """A cursor of the driver's own connection, inside the session's transaction."""
        connection = self.session.connection().connection.driver_connection
        assert connection is not None
        return connection.cursor()

    def begin(self) -> None:
        """Called once before the first ``insert`` of the storing transaction."""

    def end(self) -> None:
        """Called once after the last ``insert`` (or its failure)."""

    def insert(self, records: list[Record]) -> set[int]:
        """Insert the records; returns the lines not inserted because their submission id is stored already."""
        raise NotImplementedError


class _SqliteWriter(Writer):
    """Multi-row ``INSERT … VALUES … ON CONFLICT DO NOTHING RETURNING id, submission_id`` (as many rows per
    statement as SQLite takes parameters), then the answers by ``executemany``, through the driver."""

    def begin(self) -> None:
        cursor = self._driver_cursor()
        assert isinstance(cursor, sqlite3.Cursor)
        self._cursor = cursor
        # A larger page cache for the transaction: the unique submission id index and the date indexes take rows
        # in random order, and dirty pages spilled from a small cache are written to the WAL again and again.
        self._cache_size = cursor.execute("PRAGMA cache_size").fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = {-_SQLITE_CACHE_KIB}")
        self._placeholders = "(" + ", ".join("?" for _ in RESPONSE_COLUMNS) + ")"
        self._head = f"INSERT INTO {RESPONSES.name} ({_NAMES}) VALUES "  # noqa: S608
        self._tail = " ON CONFLICT (submission_id) DO NOTHING RETURNING id, submission_id"
        limit = cursor.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        self._per_statement = max(limit // len(RESPONSE_COLUMNS), 1)
        self._answers_sql = (
            f"INSERT INTO {_ANSWERS.name} (response_id, {_ANSWER_NAMES}) "  # noqa: S608
            f"VALUES ({', '.join('?' for _ in range(len(_ANSWER_COLUMNS) + 1))})"
        )

    def end(self) -> None:
        self._cursor.execute(f"PRAGMA cache_size = {int(self._cache_size)}")

    def insert(self, records: list[Record]) -> set[int]:
        skipped: set[int] = set()
        for start in range(0, len(records), self._per_statement):
            chunk = records[start : start + self._per_statement]
            parameters = [value for values, _ in chunk for value in values[1:]]
            sql = self._head + ", ".join([self._placeholders] * len(chunk)) + self._tail
            ids = {submission_id: response_id for response_id, submission_id in self._cursor.execute(sql, parameters)}
            answers: list[tuple[Any, ...]] = []
            for values, answer_records in chunk:
                response_id = ids.get(values[SUBMISSION_ID])
                if response_id is None:
                    skipped.add(values[0])
                    continue
                answers.extend((response_id, *answer[1:]) for answer in answer_records)
            if answers:
                self._cursor.executemany(self._answers_sql, answers)
        return skipped


class _PostgresWriter(Writer):
    """``COPY`` into two temporary tables (dropped at the end of the transaction), then one statement moves a
    batch into ``responses`` and ``answers``: ``INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING`` feeding the
    answers' insert, and returning the lines not inserted."""

    _STAGED = "sipas_import_responses"
    _STAGED_ANSWERS = "sipas_import_answers"

    def begin(self) -> None:
        self._cursor = self._driver_cursor()
        columns, answer_columns = _NAMES, _ANSWER_NAMES
        staged, staged_answers = self._STAGED, self._STAGED_ANSWERS
        self._cursor.execute(
            f"CREATE TEMPORARY TABLE {staged} ON COMMIT DROP AS "  # noqa: S608
            f"SELECT 0 AS line, {columns} FROM {RESPONSES.name} WITH NO DATA"
        )
        self._cursor.execute(
            f"CREATE TEMPORARY TABLE {staged_answers} ON COMMIT DROP AS "  # noqa: S608
            f"SELECT 0 AS line, {answer_columns} FROM {_ANSWERS.name} WITH NO DATA"
        )
        self._copy = f"COPY {staged} (line, {columns}) FROM STDIN"
        self._copy_answers = f"COPY {staged_answers} (line, {answer_columns}) FROM STDIN"
        prefixed = ", ".join(f"a.{column.name}" for column in _ANSWER_COLUMNS)
        self._move = (
            f"WITH inserted AS ("  # noqa: S608
            f" INSERT INTO {RESPONSES.name} ({columns}) SELECT {columns} FROM {staged} ORDER BY line"
            f" ON CONFLICT (submission_id) DO NOTHING RETURNING id, submission_id"
            f"), answered AS ("
            f" INSERT INTO {_ANSWERS.name} (response_id, {answer_columns})"
            f" SELECT inserted.id, {prefixed} FROM inserted"
            f" JOIN {staged} AS s ON s.submission_id = inserted.submission_id"
            f" JOIN {staged_answers} AS a ON a.line = s.line"
            f") SELECT s.line FROM {staged} AS s"
            f" WHERE NOT EXISTS (SELECT FROM inserted WHERE inserted.submission_id = s.submission_id)"
        )
        self._empty = f"TRUNCATE {staged}, {staged_answers}"

    def insert(self, records: list[Record]) -> set[int]:
        cursor = self._cursor
        with cursor.copy(self._copy) as copy:
            for record, _ in records:
                copy.write_row(record)
        with cursor.copy(self._copy_answers) as copy:
            for _, answer_records in records:
                for answer in answer_records:
                    copy.write_row(answer)
        cursor.execute(self._move)
        skipped = {line for (line,) in cursor.fetchall()}
        cursor.execute(self._empty)
        return skipped


def writer_for(session: Session) -> Writer:
    """The bulk writer for the session's database."""
    return _PostgresWriter(session) if session.get_bind().dialect.name == "postgresql" else _SqliteWriter(session)
