"""Writing responses and their answers: one implementation per database, used by every channel.

``store`` (the web form, kiosks, the demo) and ``sipas import`` both turn prepared submissions into records and
hand them to a ``Writer``; the database decides what is new: each record first claims its submission id in
``submissions`` (``ON CONFLICT (submission_id) DO NOTHING``), which gives the response its id, and whatever it
skipped is judged against the stored version by ``differences``, the same way for every channel.

- SQLite: multi-row ``INSERT … VALUES … ON CONFLICT DO NOTHING RETURNING id, submission_id`` into ``submissions``
  (as many rows per statement as SQLite takes parameters), then the responses and answers by ``executemany``,
  through the driver.
- PostgreSQL: one statement per batch, whatever its size: the rows travel as one array per column and
  ``INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING RETURNING`` into ``submissions`` feeds the responses' and
  answers' inserts, so the server parses and plans one short statement instead of one with a parameter per value.
"""

from __future__ import annotations

import contextlib
import functools
import json
import operator
import sqlite3
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import JSON, Column, Dialect, Table, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from app.responses.models import Answer, Response, StoredSubmission

RESPONSES = cast(Table, Response.__table__)
ANSWERS = cast(Table, Answer.__table__)
_SQLITE_CACHE_KIB = 128 * 1024  # SQLite's page cache during a bulk load (at most; pages are allocated as used)
_MEMORY = 4096  # distinct values of a column remembered by ``remembering``; dates and flags repeat, ids do not

# A record: (line, value per column of RESPONSE_COLUMNS) and its answers, each (line, value per column of
# ANSWER_COLUMNS); values as the database driver receives them. A "line" is the caller's number for the record
# (a file's line for an import, a position in the batch for ``store``).
Record = tuple[tuple[Any, ...], list[tuple[Any, ...]]]
# What ingestion writes: not the id, nor an administrator's review of a flag (set later, never by a channel), nor a
# column the database fills with its default (``summarized``: a new response starts outside the summary).
_NOT_INGESTED = ("id", "flag_review", "flag_reviewed_at", "flag_reviewed_by")
RESPONSE_COLUMNS = [
    column for column in RESPONSES.c if column.name not in _NOT_INGESTED and column.server_default is None
]
# An answer's response id and month are its response's (filled in by the writer).
ANSWER_COLUMNS = [column for column in ANSWERS.c if column.name not in ("response_id", "local_month")]
COLUMN = {column.name: index + 1 for index, column in enumerate(RESPONSE_COLUMNS)}  # its place in a record
SUBMISSION_ID = COLUMN["submission_id"]
LOCAL_MONTH = COLUMN["local_month"]
# Table and column names come from the models; every value is a bound parameter.
_NAMES = ", ".join(column.name for column in RESPONSE_COLUMNS)
_ANSWER_NAMES = ", ".join(column.name for column in ANSWER_COLUMNS)


def remembering(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``convert``, remembering its results: times, dates, flags and the like repeat from record to record."""
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
    """What a value of ``column`` becomes on its way to the driver: SQLAlchemy's own bind processing. On
    PostgreSQL, text where the driver would otherwise adapt an object (uuid, time, date, multiple-choice JSON):
    the arrays are cast to the columns' types by the server, which parses text faster than the driver dumps
    objects."""
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    if dialect.name != "postgresql":
        return cast(Callable[[Any], Any] | None, process)
    if isinstance(column.type, JSON):
        return lambda value: None if value is None else json.dumps(value, ensure_ascii=False)
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


# (dialect, driver, table) → (place in a record, column, converter) of the columns that have a converter: worked out
# once per process, not per request (a single kiosk post makes a writer).
_CONVERTERS: dict[tuple[str, str, str], list[tuple[int, Column[Any], Callable[[Any], Any]]]] = {}


def _converters(columns: list[Column[Any]], dialect: Dialect) -> list[tuple[int, Column[Any], Callable[[Any], Any]]]:
    key = (dialect.name, dialect.driver, columns[0].table.name)
    if key not in _CONVERTERS:
        _CONVERTERS[key] = [
            (index + 1, column, convert)
            for index, column in enumerate(columns)
            if (convert := _converter(column, dialect)) is not None
        ]
    return _CONVERTERS[key]


class _Values:
    """A row's values for ``columns`` as the driver receives them, after the line number."""

    def __init__(self, columns: list[Column[Any]], dialect: Dialect) -> None:
        self._pick = operator.itemgetter(*(column.name for column in columns))
        # (place in the values, converter) of the columns that have one; a unique column's values never repeat
        self._converters = [
            (index, convert if column.unique else remembering(convert))
            for index, column, convert in _converters(columns, dialect)
        ]

    def __call__(self, line: int, row: dict[str, Any]) -> tuple[Any, ...]:
        values = [line, *self._pick(row)]
        for index, convert in self._converters:
            values[index] = convert(values[index])
        return tuple(values)


class Writer:
    """Stores records, each submission id at most once (``INSERT … ON CONFLICT DO NOTHING``), with ids in the
    records' order, inside the session's transaction (the caller commits). The records of one ``insert`` must
    have distinct submission ids."""

    def __init__(self, session: Session) -> None:
        self.session = session
        dialect = session.get_bind().dialect
        self._response = _Values(RESPONSE_COLUMNS, dialect)
        self._answer = _Values(ANSWER_COLUMNS, dialect)

    def record(self, line: int, row: dict[str, Any], answers: list[dict[str, Any]]) -> Record:
        """The record of a ``responses`` row and its ``answers`` rows (without ``response_id``)."""
        return self._response(line, row), [self._answer(line, answer) for answer in answers]

    def _execute(self, sql: str, parameters: Any) -> Any:
        """The driver's own SQL, inside the session's transaction: no statement compiled per call, and an error still
        comes wrapped by SQLAlchemy, logged with the statement's text but never its values (``app.logging``). A list
        of parameter tuples is an ``executemany``."""
        return self.session.connection().exec_driver_sql(sql, parameters)

    @contextlib.contextmanager
    def bulk(self) -> Iterator[None]:
        """Around the inserts of a large load (an import)."""
        yield

    def insert(self, records: Sequence[Record]) -> dict[int, int]:
        """Insert the records; returns the new response id by line, for the records inserted (the others' submission
        ids were stored already)."""
        raise NotImplementedError


class _SqliteWriter(Writer):
    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self._claim_head = "INSERT INTO submissions (submission_id, local_month) VALUES "
        self._claim_tail = " ON CONFLICT (submission_id) DO NOTHING RETURNING id, submission_id"
        self._responses_sql = (
            f"INSERT INTO {RESPONSES.name} (id, {_NAMES}) "  # noqa: S608
            f"VALUES ({', '.join('?' for _ in range(len(RESPONSE_COLUMNS) + 1))})"
        )
        self._answers_sql = (
            f"INSERT INTO {ANSWERS.name} (response_id, local_month, {_ANSWER_NAMES}) "  # noqa: S608
            f"VALUES ({', '.join('?' for _ in range(len(ANSWER_COLUMNS) + 2))})"
        )

    @contextlib.contextmanager
    def bulk(self) -> Iterator[None]:
        # A larger page cache for the transaction: the unique submission id index and the date indexes take rows
        # in random order, and dirty pages spilled from a small cache are written to the WAL again and again.
        size = self._execute("PRAGMA cache_size", ()).scalar_one()
        self._execute(f"PRAGMA cache_size = {-_SQLITE_CACHE_KIB}", ())
        try:
            yield
        finally:
            self._execute(f"PRAGMA cache_size = {int(size)}", ())

    def insert(self, records: Sequence[Record]) -> dict[int, int]:
        driver = self.session.connection().connection.driver_connection
        assert isinstance(driver, sqlite3.Connection)
        per_statement = max(driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // 2, 1)
        inserted: dict[int, int] = {}
        for start in range(0, len(records), per_statement):
            chunk = records[start : start + per_statement]
            parameters = [value for values, _ in chunk for value in (values[SUBMISSION_ID], values[LOCAL_MONTH])]
            sql = self._claim_head + ", ".join(["(?, ?)"] * len(chunk)) + self._claim_tail
            ids = {submission_id: response_id for response_id, submission_id in self._execute(sql, tuple(parameters))}
            responses: list[tuple[Any, ...]] = []
            answers: list[tuple[Any, ...]] = []
            for values, answer_records in chunk:
                response_id = ids.get(values[SUBMISSION_ID])
                if response_id is not None:
                    inserted[values[0]] = response_id
                    responses.append((response_id, *values[1:]))
                    month = values[LOCAL_MONTH]
                    answers.extend((response_id, month, *answer[1:]) for answer in answer_records)
            if responses:
                self._execute(self._responses_sql, responses)
            if answers:
                self._execute(self._answers_sql, answers)
        return inserted


def _unnest(columns: list[Column[Any]], prefix: str) -> str:
    """``unnest(%(prefix0)s::type[], …)``: the table of the arrays bound as ``prefix0``, ``prefix1``, …, after the
    line numbers bound as ``prefix_line``."""
    pg = postgresql.dialect()  # type: ignore[no-untyped-call]
    arrays = [f"CAST(%({prefix}_line)b AS integer[])"]
    arrays += [
        f"CAST(%({prefix}{index})b AS {column.type.compile(dialect=pg)}[])" for index, column in enumerate(columns)
    ]
    return f"unnest({', '.join(arrays)}) AS {prefix}(line, {', '.join(column.name for column in columns)})"


@functools.cache
def _postgres_insert() -> str:
    """The one statement that stores a batch on PostgreSQL (the same text every time: built once)."""
    answers = ", ".join(f"a.{column.name}" for column in ANSWER_COLUMNS)
    given = ", ".join(f"s.{column.name}" for column in RESPONSE_COLUMNS)
    return (
        f"WITH s AS (SELECT * FROM {_unnest(RESPONSE_COLUMNS, 's')}),"  # noqa: S608
        " claimed AS (INSERT INTO submissions (submission_id, local_month)"
        " SELECT submission_id, local_month FROM s ORDER BY line"
        " ON CONFLICT (submission_id) DO NOTHING RETURNING id, submission_id),"
        f" inserted AS (INSERT INTO {RESPONSES.name} (id, {_NAMES}) SELECT claimed.id, {given}"
        " FROM s JOIN claimed ON claimed.submission_id = s.submission_id),"
        f" answered AS (INSERT INTO {ANSWERS.name} (response_id, local_month, {_ANSWER_NAMES})"
        f" SELECT claimed.id, s.local_month, {answers} FROM {_unnest(ANSWER_COLUMNS, 'a')}"
        " JOIN s ON s.line = a.line JOIN claimed ON claimed.submission_id = s.submission_id)"
        " SELECT s.line, claimed.id FROM s JOIN claimed ON claimed.submission_id = s.submission_id"
    )


class _PostgresWriter(Writer):
    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self._sql = _postgres_insert()

    def insert(self, records: Sequence[Record]) -> dict[int, int]:
        if not records:
            return {}
        answers = [answer for _, answer_records in records for answer in answer_records]
        parameters: dict[str, list[Any]] = {"s_line": [values[0] for values, _ in records]}
        for index in range(len(RESPONSE_COLUMNS)):
            parameters[f"s{index}"] = [values[index + 1] for values, _ in records]
        parameters["a_line"] = [answer[0] for answer in answers]
        for index in range(len(ANSWER_COLUMNS)):
            parameters[f"a{index}"] = [answer[index + 1] for answer in answers]
        return {line: response_id for line, response_id in self._execute(self._sql, parameters)}


def writer_for(session: Session) -> Writer:
    """The writer for the session's database."""
    return _PostgresWriter(session) if session.get_bind().dialect.name == "postgresql" else _SqliteWriter(session)


# --- what is stored already ------------------------------------------------------------------------------------

# What a channel's submission is compared on when its submission id is stored already.
COMPARED = ("content_hash", "agency_id", "weight", "stratum", "cluster")


def stored_versions(session: Session, submission_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    """The stored responses with these submission ids: their id, when they were received and what ``differences``
    compares. Found through ``submissions`` (one index, whatever the month)."""
    if not submission_ids:
        return {}
    found = session.execute(
        select(
            StoredSubmission.submission_id,
            Response.id,
            Response.received_at,
            *(Response.__table__.c[name] for name in COMPARED),
        )
        .join(Response, (Response.id == StoredSubmission.id) & (Response.local_month == StoredSubmission.local_month))
        .where(StoredSubmission.submission_id.in_(submission_ids))
    )
    return {row.submission_id: row._asdict() for row in found}


def differences(stored: dict[str, Any], row: dict[str, Any]) -> list[str]:
    """What differs between a stored response and a new row with its submission id: the names of ``COMPARED``
    (``content_hash`` stands for the answers, date, counter and profile). None: the same submission again."""
    return [name for name in COMPARED if stored[name] != row[name]]
