"""Importing a survey file (paper, phone or household survey) as responses of the ``import`` channel.

A CSV file, one response per line, is read twice as a stream, never held in memory:

1. its bytes: SHA-256 (the default submission ids derive from it), UTF-8 check, line count;
2. every line is parsed and validated by ``prepare`` (the validation of every channel) and compared with what
   is already stored, without writing; problems are collected with their line and column, and the rows of the
   valid new lines go to a spill (a temporary file) exactly as ``store`` would write them;
3. only when nothing is wrong (or with ``skip_invalid``) the spill is stored in bulk inside one transaction,
   committed at the end: all lines or none (nothing is written when every line is stored already).

Storing in bulk writes what ``store`` writes, row for row, but without its per-batch statements built by the ORM:
SQLite gets multi-row ``INSERT … ON CONFLICT DO NOTHING RETURNING`` statements and ``executemany`` through the
driver, PostgreSQL gets ``COPY`` into temporary tables and one ``INSERT … SELECT … ON CONFLICT DO NOTHING`` per
batch. The database still decides what is new (the unique submission id), so an id stored meanwhile by someone
else, or repeated in the file, is recognised as in ``store``.

Submission ids come from an id column (a UUID as is, any other text as a UUID5 of form and text) or from the
file's SHA-256 and the line number, so importing the same file twice stores nothing new. Historic surveys are
the point of an import, so the live channels' retention window does not apply; future dates still fail.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import math
import operator
import os
import pickle
import re
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as clock
from pathlib import Path
from typing import IO, Any, BinaryIO, cast

from sqlalchemy import JSON, Column, Dialect, Table, select
from sqlalchemy.orm import Session

from app.audit.service import record
from app.config import Settings
from app.db import refresh_statistics, utcnow
from app.directory.models import Agency, Counter, ProcedureField
from app.errors import Invalid, NotFound
from app.forms.loader import RegisteredForm
from app.forms.schema import PROFILE_FIELDS, Item, ItemType
from app.responses.ingest import (
    FieldError,
    Origin,
    Prepared,
    Submission,
    SubmissionInvalid,
    check_time,
    prepare,
)
from app.responses.models import Answer, Channel, Response

# Submission ids made from an id column's text (or from the file's hash and a line number) live in this space.
IMPORT_NAMESPACE = uuid.UUID("6b1f4c9e-3d0a-5e27-9c55-2f8a41d7b3e0")
# A bare date stands for this local time of day.
NOON = clock(12, 0)
# Long enough for any historic survey: imports are not held to the live channels' retention window.
NO_RETENTION_DAYS = 1_000_000
MIN_YEAR = 1900
MAX_BATCH_SIZE = 10_000
MAX_MESSAGES = 50
_CHUNK = 1 << 20
_INTEGER = re.compile(r"[+-]?[0-9]+")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_RESPONSES = cast(Table, Response.__table__)
_ANSWERS = cast(Table, Answer.__table__)
_SQLITE_CACHE_KIB = 128 * 1024  # SQLite's page cache while storing (at most; pages are allocated as used)
_MEMORY = 4096  # distinct date cells (or values of a column to convert) remembered; a survey file has few
_CANONICAL_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_LABEL_LIMIT = 128  # responses.stratum and responses.cluster
_PROFILE_LIMITS = {name: int(getattr(_RESPONSES.c[name].type, "length", 0) or 0) for name in PROFILE_FIELDS}

# (phase, data lines done): "checking" during validation, "storing" while writing.
Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class ImportOptions:
    """What the command line says about the file; column names are header names."""

    form: str  # "ID@VERSION"
    agency_column: str
    counter_column: str | None = None
    date_column: str | None = None
    date: str | None = None  # YYYY-MM-DD for every line
    id_column: str | None = None
    weight_column: str | None = None
    strata_column: str | None = None
    psu_column: str | None = None
    skip_invalid: bool = False
    batch_size: int = 2_000
    max_messages: int = MAX_MESSAGES


@dataclass
class ImportReport:
    rows: int = 0  # data lines read (blank lines excluded)
    new: int = 0
    already: int = 0  # identical to a response stored by an earlier import
    repeated: int = 0  # the same id and content as an earlier line of this file
    blank_lines: int = 0
    bad_lines: int = 0
    problems: int = 0
    messages: list[str] = field(default_factory=list)  # the first ``max_messages`` problems
    committed: bool = False
    seconds: float = 0.0

    @property
    def imported(self) -> int:
        return self.new + self.already + self.repeated


def parse_form_ref(text: str, registry: dict[tuple[str, int], RegisteredForm]) -> RegisteredForm:
    """The registered form version named ``ID@VERSION``."""
    form_id, _, version = text.strip().rpartition("@")
    if not form_id or not version.isdigit():
        raise Invalid(f"--form {text!r}: give the form and its version as ID@VERSION, e.g. counter-quick@1")
    form = registry.get((form_id, int(version)))
    if form is None:
        known = ", ".join(f"{key[0]}@{key[1]}" for key in sorted(registry))
        raise Invalid(f"--form {text!r}: no such form version; registered: {known}")
    return form


def parse_when(text: str, settings: Settings) -> datetime:
    """An ISO date (local noon in the service's zone) or an ISO date-time (with its offset; a naive one is
    returned naive and refused by ``check_time``). Raises ValueError."""
    text = text.strip()
    if _ISO_DATE.fullmatch(text):
        moment = datetime.combine(date.fromisoformat(text), NOON, tzinfo=settings.zone)
    elif len(text) < 11 or text[10] not in "T ":
        raise ValueError(text)
    else:
        moment = datetime.fromisoformat(text)
    if moment.year < MIN_YEAR:  # a typo, and too close to datetime's limits for time-zone arithmetic
        raise ValueError(text)
    return moment


def _quote(value: str, limit: int = 40) -> str:
    shown = value if len(value) <= limit else value[: limit - 1] + "…"
    return '"' + shown.replace('"', '""') + '"'


class _HashingReader(io.RawIOBase):
    """A read-only byte stream that feeds everything read through it into a hash."""

    def __init__(self, raw: BinaryIO, digest: Any) -> None:
        self._raw = raw
        self._digest = digest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self._raw.read(len(view))
        view[: len(data)] = data
        self._digest.update(data)
        return len(data)


@dataclass(frozen=True)
class _Layout:
    """Which header column holds what."""

    names: list[str]
    answers: list[tuple[int, Item]]
    profile: list[tuple[int, str]]
    agency: int
    counter: int | None
    date: int | None
    id: int | None
    weight: int | None
    strata: int | None
    psu: int | None
    ignored: list[str]


@dataclass
class _Line:
    line: int
    problems: list[str] = field(default_factory=list)
    prepared: Prepared | None = None


def stored_rows(prepared: Prepared, procedure_fields: dict[str, int]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The ``responses`` row and the ``answers`` rows (without ``response_id``) that ``store`` writes for a
    prepared submission, given the procedure fields' ids by code."""
    row = {**prepared.row, "procedure_field_id": procedure_fields.get(prepared.procedure_field or "")}
    return row, prepared.answers


# A spilled line: (line, value per column of _RESPONSE_COLUMNS) and its answers, each (line, value per column of
# _ANSWER_COLUMNS); values as the database driver receives them, so the spill holds numbers and strings.
_Record = tuple[tuple[Any, ...], list[tuple[Any, ...]]]
# What ingestion writes: not the id, nor an administrator's review of a flag (set later, never by a channel).
_NOT_INGESTED = ("id", "flag_review", "flag_reviewed_at", "flag_reviewed_by")
_RESPONSE_COLUMNS = [column for column in _RESPONSES.c if column.name not in _NOT_INGESTED]
_ANSWER_COLUMNS = [column for column in _ANSWERS.c if column.name != "response_id"]
_COLUMN = {column.name: index + 1 for index, column in enumerate(_RESPONSE_COLUMNS)}  # its place in a record
_SUBMISSION_ID = _COLUMN["submission_id"]


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


def _remembering(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
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


class _Spill:
    """The prepared rows of the valid new lines between checking and storing: pickled batches in a temporary
    file, so memory stays flat whatever the file's length."""

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle
        self.batches = 0
        self.records = 0

    def write(self, records: list[_Record], rows_done: int) -> None:
        pickle.dump((records, rows_done), self._handle, protocol=pickle.HIGHEST_PROTOCOL)
        self.batches += 1
        self.records += len(records)

    def read(self) -> Iterator[tuple[list[_Record], int]]:
        """(records, data lines read up to the end of that batch) per batch, in the order written."""
        self._handle.seek(0)
        for _ in range(self.batches):
            yield pickle.load(self._handle)  # noqa: S301 - our own temporary file


class _Writer:
    """Stores records in bulk, each submission id at most once (``INSERT … ON CONFLICT DO NOTHING``), with ids in
    line order; the records of a call must have distinct submission ids."""

    def __init__(self, session: Session) -> None:
        self.session = session
        dialect = session.get_bind().dialect
        self._pick = operator.itemgetter(*(column.name for column in _RESPONSE_COLUMNS))
        self._pick_answer = operator.itemgetter(*(column.name for column in _ANSWER_COLUMNS))
        # (place in the record, converter) of the columns that have one
        self._converters = [
            (index + 1, convert if column.unique else _remembering(convert))
            for index, column in enumerate(_RESPONSE_COLUMNS)
            if (convert := _converter(column, dialect)) is not None
        ]
        self._answer_converters = [
            (index + 1, _remembering(convert))
            for index, column in enumerate(_ANSWER_COLUMNS)
            if (convert := _converter(column, dialect)) is not None
        ]

    def record(self, line: int, row: dict[str, Any], answers: list[dict[str, Any]]) -> _Record:
        values = [line, *self._pick(row)]
        for index, convert in self._converters:
            values[index] = convert(values[index])
        answer_records = []
        for answer in answers:
            answer_values = [line, *self._pick_answer(answer)]
            for index, convert in self._answer_converters:
                answer_values[index] = convert(answer_values[index])
            answer_records.append(tuple(answer_values))
        return tuple(values), answer_records

    def begin(self) -> None:
        """Called once before the first ``insert`` of the storing transaction."""

    def end(self) -> None:
        """Called once after the last ``insert`` (or its failure)."""

    def insert(self, records: list[_Record]) -> set[int]:
        """Insert the records; returns the lines not inserted because their submission id is stored already."""
        raise NotImplementedError


class _SqliteWriter(_Writer):
    """Multi-row ``INSERT … VALUES … ON CONFLICT DO NOTHING RETURNING id, submission_id`` (as many rows per
    statement as SQLite takes parameters), then the answers by ``executemany``, through the driver."""

    def begin(self) -> None:
        connection = self.session.connection().connection.driver_connection
        assert isinstance(connection, sqlite3.Connection)
        self._cursor = connection.cursor()
        # A larger page cache for the transaction: the unique submission id index and the date indexes take rows
        # in random order, and dirty pages spilled from a small cache are written to the WAL again and again.
        self._cache_size = self._cursor.execute("PRAGMA cache_size").fetchone()[0]
        self._cursor.execute(f"PRAGMA cache_size = {-_SQLITE_CACHE_KIB}")
        # Table and column names come from the models; every value is a bound parameter.
        columns = ", ".join(column.name for column in _RESPONSE_COLUMNS)
        self._placeholders = "(" + ", ".join("?" for _ in _RESPONSE_COLUMNS) + ")"
        self._head = f"INSERT INTO {_RESPONSES.name} ({columns}) VALUES "  # noqa: S608
        self._tail = " ON CONFLICT (submission_id) DO NOTHING RETURNING id, submission_id"
        limit = connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        self._per_statement = max(limit // len(_RESPONSE_COLUMNS), 1)
        answer_columns = ["response_id", *(column.name for column in _ANSWER_COLUMNS)]
        self._answers_sql = (
            f"INSERT INTO {_ANSWERS.name} ({', '.join(answer_columns)}) "  # noqa: S608
            f"VALUES ({', '.join('?' for _ in answer_columns)})"
        )

    def end(self) -> None:
        self._cursor.execute(f"PRAGMA cache_size = {int(self._cache_size)}")

    def insert(self, records: list[_Record]) -> set[int]:
        skipped: set[int] = set()
        for start in range(0, len(records), self._per_statement):
            chunk = records[start : start + self._per_statement]
            parameters = [value for values, _ in chunk for value in values[1:]]
            sql = self._head + ", ".join([self._placeholders] * len(chunk)) + self._tail
            ids = {submission_id: response_id for response_id, submission_id in self._cursor.execute(sql, parameters)}
            answers: list[tuple[Any, ...]] = []
            for values, answer_records in chunk:
                response_id = ids.get(values[_SUBMISSION_ID])
                if response_id is None:
                    skipped.add(values[0])
                    continue
                answers.extend((response_id, *answer[1:]) for answer in answer_records)
            if answers:
                self._cursor.executemany(self._answers_sql, answers)
        return skipped


class _PostgresWriter(_Writer):
    """``COPY`` into two temporary tables (dropped at the end of the transaction), then one statement moves a
    batch into ``responses`` and ``answers``: ``INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING`` feeding the
    answers' insert, and returning the lines not inserted."""

    _STAGED = "sipas_import_responses"
    _STAGED_ANSWERS = "sipas_import_answers"

    def begin(self) -> None:
        connection = self.session.connection().connection.driver_connection
        assert connection is not None
        self._cursor = connection.cursor()
        # Table and column names come from the models; the values travel by COPY.
        columns = ", ".join(column.name for column in _RESPONSE_COLUMNS)
        answer_columns = ", ".join(column.name for column in _ANSWER_COLUMNS)
        staged, staged_answers = self._STAGED, self._STAGED_ANSWERS
        self._cursor.execute(
            f"CREATE TEMPORARY TABLE {staged} ON COMMIT DROP AS "  # noqa: S608
            f"SELECT 0 AS line, {columns} FROM {_RESPONSES.name} WITH NO DATA"
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
            f" INSERT INTO {_RESPONSES.name} ({columns}) SELECT {columns} FROM {staged} ORDER BY line"
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

    def insert(self, records: list[_Record]) -> set[int]:
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


class CsvImport:
    """One import of one file. The constructor reads the header and checks the options (raising ``Invalid`` for
    a file or option that cannot work at all); ``run`` validates and stores the lines."""

    def __init__(
        self,
        session: Session,
        settings: Settings,
        registry: dict[tuple[str, int], RegisteredForm],
        path: Path,
        options: ImportOptions,
        *,
        now: datetime | None = None,
    ) -> None:
        self.session = session
        self.path = path
        self.name = str(path)
        self.options = options
        self.now = now or utcnow()
        # Validation exactly as for every channel, except the retention window (historic files are the point).
        self.settings = settings.model_copy(update={"retention_days": NO_RETENTION_DAYS})
        self.form = parse_form_ref(options.form, registry)
        definition = self.form.definition
        self.form_label = f"{definition.id}@{definition.version}"
        if not 1 <= options.batch_size <= MAX_BATCH_SIZE:
            raise Invalid(f"--batch-size: between 1 and {MAX_BATCH_SIZE}")
        if (options.date is None) == (options.date_column is None):
            raise Invalid("give either --date-column (a date per line) or --date (one date for every line)")
        self.fixed_date: datetime | None = None
        if options.date is not None:
            if not _ISO_DATE.fullmatch(options.date.strip()):
                raise Invalid(f"--date {options.date!r}: write the date as YYYY-MM-DD")
            try:
                self.fixed_date = parse_when(options.date, self.settings)
            except ValueError:
                raise Invalid(f"--date {options.date!r}: not a date") from None
            problem = self._time_problem(self.fixed_date, options.date)
            if problem:
                raise Invalid(f"--date {options.date}: {problem}")
        self.digest, self.line_count = self._scan()
        self.layout = self._read_layout()
        self.agencies: dict[str, int] = {code: id_ for code, id_ in session.execute(select(Agency.code, Agency.id))}
        self.counters: dict[tuple[int, str], int] = {
            (agency_id, code): counter_id
            for agency_id, code, counter_id in session.execute(select(Counter.agency_id, Counter.code, Counter.id))
        }
        self.agency_codes = {agency_id: code for code, agency_id in self.agencies.items()}
        self.procedure_fields: dict[str, int] = {
            code: id_ for code, id_ in session.execute(select(ProcedureField.code, ProcedureField.id))
        }
        self.writer: _Writer = (
            _PostgresWriter(session) if session.get_bind().dialect.name == "postgresql" else _SqliteWriter(session)
        )
        self._dates: dict[str, tuple[datetime | None, str | None]] = {}
        # uuid5(IMPORT_NAMESPACE, f"{digest}:{line}") without hashing the common prefix again for every line
        self._line_ids = hashlib.sha1(IMPORT_NAMESPACE.bytes + f"{self.digest}:".encode(), usedforsecurity=False)

    # --- the file -----------------------------------------------------------------------------------------

    def _open(self) -> BinaryIO:
        try:
            return self.path.open("rb")
        except FileNotFoundError:
            raise NotFound(f"{self.name}: no such file") from None
        except OSError as exc:
            raise Invalid(f"{self.name}: cannot read ({exc.strerror})") from None

    def _scan(self) -> tuple[str, int]:
        """SHA-256 of the bytes and the number of lines; refuses what is not UTF-8 text."""
        digest = hashlib.sha256()
        decoder = codecs.getincrementaldecoder("utf-8")()
        lines = size = 0
        first = last = b""
        with self._open() as handle:
            self._version = self._stat(handle)
            while chunk := handle.read(_CHUNK):
                if size == 0:
                    first = chunk
                if size == 0 and chunk.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                    raise Invalid(f'{self.name}: the file is UTF-16 text; save it as "CSV UTF-8" (comma-separated)')
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    line = lines + chunk[: max(exc.start, 0)].count(b"\n") + 1
                    raise Invalid(
                        f"{self.name}:{line}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x}); "
                        'save the file as "CSV UTF-8"'
                    ) from None
                digest.update(chunk)
                lines += chunk.count(b"\n")
                size += len(chunk)
                last = chunk[-1:]
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                raise Invalid(f"{self.name}:{lines + 1}: not UTF-8 text (the file ends inside a character)") from None
        if size == 0 or first == codecs.BOM_UTF8:
            raise Invalid(f"{self.name}: the file is empty")
        return digest.hexdigest(), lines + (last != b"\n")

    def _records(self, digest: Any | None = None) -> Generator[tuple[int, list[str]], None, None]:
        """(first line number, fields) per CSV record, streaming; the header is line 1."""
        with self._open() as raw:
            source: BinaryIO = raw
            if digest is not None:
                source = cast(BinaryIO, io.BufferedReader(_HashingReader(raw, digest), _CHUNK))
            text = io.TextIOWrapper(source, encoding="utf-8-sig", newline="")
            reader = csv.reader(text, strict=True)
            line = 1
            try:
                for fields in reader:
                    yield line, fields
                    line = reader.line_num + 1
            except csv.Error as exc:
                raise Invalid(f"{self.name}:{reader.line_num}: not valid CSV ({exc})") from None
            except UnicodeDecodeError:
                raise Invalid(f'{self.name}: not UTF-8 text; save the file as "CSV UTF-8"') from None

    def _read_layout(self) -> _Layout:
        records = self._records()
        try:
            header: list[str] | None = next((fields for _, fields in records if any(f.strip() for f in fields)), None)
        finally:
            records.close()
        if header is None:
            raise Invalid(f"{self.name}: the file has no header line")
        names = [name.strip() for name in header]
        seen: set[str] = set()
        for name in names:
            if name and name in seen:
                raise Invalid(f'{self.name}:1: column "{name}" appears twice in the header')
            seen.add(name)
        position = {name: index for index, name in enumerate(names) if name}
        options = self.options
        named: dict[str, str] = {}  # column → option that names it
        for option, column in (
            ("--agency-column", options.agency_column),
            ("--counter-column", options.counter_column),
            ("--date-column", options.date_column),
            ("--id-column", options.id_column),
            ("--weight", options.weight_column),
            ("--strata", options.strata_column),
            ("--psu", options.psu_column),
        ):
            if column is None:
                continue
            column = column.strip()
            if column not in position:
                hint = ""
                if len(names) == 1 and ";" in header[0]:
                    hint = " (the file seems to use ';' between fields: export it comma-separated)"
                shown = ", ".join(_quote(name) for name in names[:12]) + (", …" if len(names) > 12 else "")
                raise Invalid(f'{self.name}:1: no column "{column}" (named by {option}); the header has {shown}{hint}')
            named.setdefault(column, option)
        definition = self.form.definition
        items = {item.code: item for item in definition.items}
        for column, option in named.items():
            if column in items:
                raise Invalid(f'{option} "{column}": that column answers item "{column}" of {self.form_label}')
        missing = [
            item.code
            for item in definition.items
            if item.required and item.show_if is None and item.code not in position
        ]
        if missing:
            raise Invalid(
                f"{self.name}:1: no column for the required item(s) {', '.join(missing)} of {self.form_label}"
            )
        answers = [(index, items[name]) for index, name in enumerate(names) if name in items]
        if not answers:
            raise Invalid(f"{self.name}:1: no column is named after an item of {self.form_label}")
        profile = [
            (index, name)
            for index, name in enumerate(names)
            if name in PROFILE_FIELDS and name not in items and name not in named
        ]
        used = set(items) | set(named) | {name for _, name in profile}
        ignored = [name or f"column {index + 1} (no name)" for index, name in enumerate(names) if name not in used]

        def index_of(name: str | None) -> int | None:
            return None if name is None else position[name.strip()]

        return _Layout(
            names=names,
            answers=answers,
            profile=profile,
            agency=position[options.agency_column.strip()],
            counter=index_of(options.counter_column),
            date=index_of(options.date_column),
            id=index_of(options.id_column),
            weight=index_of(options.weight_column),
            strata=index_of(options.strata_column),
            psu=index_of(options.psu_column),
            ignored=ignored,
        )

    @property
    def warnings(self) -> list[str]:
        if not self.layout.ignored:
            return []
        return [
            f"{self.name}: ignoring column(s) that are neither items of {self.form_label} nor named by an option: "
            + ", ".join(self.layout.ignored)
        ]

    # --- one line -----------------------------------------------------------------------------------------

    def _time_problem(self, moment: datetime, text: str) -> str | None:
        """Why a submission time cannot be accepted (check_time's verdict), or None."""
        try:
            check_time(self.settings, moment, self.now)
        except SubmissionInvalid as invalid:
            if _ISO_DATE.fullmatch(text.strip()) and moment.date() == self.now.astimezone(self.settings.zone).date():
                return (
                    f"{text.strip()} stands for 12:00 local time, which is still to come; give the time "
                    f"(e.g. {text.strip()}T09:00+07:00) or import after noon"
                )
            return invalid.errors[0].message.replace(" (device clock wrong?)", "")
        return None

    def _column_name(self, pointer: str) -> str:
        if pointer.startswith("/answers/"):
            return pointer.removeprefix("/answers/")
        if pointer.startswith("/profile/"):
            return pointer.removeprefix("/profile/")
        if pointer == "/submitted_at":
            return self.options.date_column.strip() if self.options.date_column else "--date"
        return pointer

    def _label(self, fields: list[str], index: int | None, what: str) -> tuple[str | None, str | None]:
        """A required label column's value (stratum, cluster) or a problem."""
        if index is None:
            return None, None
        value = fields[index].strip()
        name = self.layout.names[index]
        if not value:
            return None, f'column "{name}": {what} is required'
        if len(value) > _LABEL_LIMIT:
            return None, f'column "{name}": is {len(value)} characters long; at most {_LABEL_LIMIT} are allowed'
        return value, None

    def _line(self, line: int, fields: list[str]) -> _Line:
        result = _Line(line)
        layout = self.layout
        problems = result.problems
        if len(fields) != len(layout.names):
            problems.append(f"has {len(fields)} field(s); the header has {len(layout.names)} columns")
            return result
        names = layout.names

        agency_code = fields[layout.agency].strip()
        agency_id = self.agencies.get(agency_code)
        if not agency_code:
            problems.append(f'column "{names[layout.agency]}": an agency code is required')
        elif agency_id is None:
            problems.append(f'column "{names[layout.agency]}": unknown agency {_quote(agency_code)}')
        counter_code: str | None = None
        counter_id: int | None = None
        if layout.counter is not None:
            counter_code = fields[layout.counter].strip() or None
            if counter_code is not None and agency_id is not None:
                counter_id = self.counters.get((agency_id, counter_code))
                if counter_id is None:
                    problems.append(
                        f'column "{names[layout.counter]}": agency {_quote(agency_code)} has no counter '
                        f"{_quote(counter_code)}"
                    )

        submitted_at = self.fixed_date
        if layout.date is not None:
            text = fields[layout.date].strip()
            known = self._dates.get(text)
            if known is None:
                if len(self._dates) >= _MEMORY:
                    self._dates.clear()
                known = self._dates[text] = self._when(text, names[layout.date])
            submitted_at, problem = known
            if problem:
                problems.append(problem)

        if layout.id is not None:
            text = fields[layout.id].strip()
            if not text:
                problems.append(f'column "{names[layout.id]}": an id is required')
                submission_id = self._line_id(line)
            elif _CANONICAL_UUID.fullmatch(text):
                submission_id = uuid.UUID(text)
            else:
                submission_id = uuid.uuid5(IMPORT_NAMESPACE, f"{self.form.definition.id}:{text}")
        else:
            submission_id = self._line_id(line)

        weight: float | None = None
        if layout.weight is not None:
            text = fields[layout.weight].strip()
            column = names[layout.weight]
            try:
                weight = float(text)
            except ValueError:
                problems.append(
                    f'column "{column}": ' + (f"{_quote(text)} is not a number" if text else "a weight is required")
                )
            else:
                if not math.isfinite(weight) or weight < 0:
                    problems.append(f'column "{column}": a weight must be a finite number ≥ 0 (got {_quote(text)})')
        stratum, problem = self._label(fields, layout.strata, "a stratum")
        if problem:
            problems.append(problem)
        cluster, problem = self._label(fields, layout.psu, "a cluster (PSU)")
        if problem:
            problems.append(problem)

        answers: dict[str, Any] = {}
        for index, item in layout.answers:
            value = _answer(item, fields[index])
            if value is not None:
                answers[item.code] = value
        profile: dict[str, str] = {}
        for index, name in layout.profile:
            value = fields[index].strip()
            limit = _PROFILE_LIMITS[name]
            if value and len(value) > limit:
                problems.append(f'column "{name}": is {len(value)} characters long; at most {limit} are allowed')
            elif value:
                profile[name] = value

        definition = self.form.definition
        submission = Submission(
            submission_id=submission_id,
            form_id=definition.id,
            form_version=definition.version,
            submitted_at=submitted_at or self.now,
            answers=answers,
            profile=profile,
            counter=counter_code,
        )
        origin = Origin(
            channel=Channel.import_,
            agency_id=agency_id or 0,
            counter_id=counter_id,
            weight=weight,
            stratum=stratum,
            cluster=cluster,
        )
        try:
            prepared = prepare(self.settings, self.form, submission, origin, now=self.now)
        except SubmissionInvalid as invalid:  # the time was checked above, so these are the answers' problems
            problems.extend(self._describe(error, fields) for error in invalid.errors)
        else:
            if not problems:
                result.prepared = prepared
        return result

    def _when(self, text: str, column: str) -> tuple[datetime | None, str | None]:
        """A date cell's submission time, or the problem with it."""
        if not text:
            return None, f'column "{column}": a date is required'
        try:
            moment = parse_when(text, self.settings)
        except ValueError:
            return None, (
                f'column "{column}": {_quote(text)} is not an ISO date (2026-03-14) or date-time with offset '
                "(2026-03-14T09:30:00+07:00)"
            )
        problem = self._time_problem(moment, text)
        if problem:
            return None, f'column "{column}": {problem} (got {_quote(text)})'
        return moment, None

    def _line_id(self, line: int) -> uuid.UUID:
        digest = self._line_ids.copy()
        digest.update(str(line).encode())
        return uuid.UUID(bytes=digest.digest()[:16], version=5)

    def _describe(self, error: FieldError, fields: list[str]) -> str:
        column = self._column_name(error.pointer)
        message = error.message
        if error.kind == "invalid" and column in self.layout.names:
            cell = fields[self.layout.names.index(column)].strip()
            if cell:
                message += f" (got {_quote(cell)})"
        return f'column "{column}": {message}'

    # --- comparing with what is stored -------------------------------------------------------------------

    def _stored(self, batch: list[_Line]) -> dict[uuid.UUID, Any]:
        ids = [item.prepared.submission.submission_id for item in batch if item.prepared is not None]
        if not ids:
            return {}
        rows = self.session.execute(
            select(
                Response.submission_id,
                Response.content_hash,
                Response.received_at,
                Response.agency_id,
                Response.counter_id,
                Response.weight,
                Response.stratum,
                Response.cluster,
            ).where(Response.submission_id.in_(ids))
        ).all()
        return {row.submission_id: row for row in rows}

    def _differences(self, stored: Any, row: dict[str, Any]) -> list[str]:
        """What differs between a stored response and the row of a line (as built by ``prepare``)."""
        names = self.layout.names
        differences = []
        if stored.content_hash != row["content_hash"]:
            differences.append("answers, date, counter or profile")
        if stored.agency_id != row["agency_id"]:
            differences.append(f"agency (was {self.agency_codes.get(stored.agency_id, stored.agency_id)})")
        for column, index, value in (
            ("weight", self.layout.weight, stored.weight),
            ("stratum", self.layout.strata, stored.stratum),
            ("cluster", self.layout.psu, stored.cluster),
        ):
            if value != row[column]:
                where = f' in column "{names[index]}"' if index is not None else ""
                differences.append(f"{column}{where} (was {value!r})")
        return differences

    def _conflict(self, submission_id: uuid.UUID, differences: list[str]) -> str:
        return (
            f"already stored (submission id {submission_id}); what differs now: "
            f"{'; '.join(differences)}. An import never changes stored responses"
        )

    # --- the passes ---------------------------------------------------------------------------------------

    def _problem(self, report: ImportReport, line: int, problems: list[str]) -> None:
        report.bad_lines += 1
        for problem in problems:
            report.problems += 1
            if len(report.messages) < self.options.max_messages:
                report.messages.append(f"{self.name}:{line}: {problem}")

    def _batches(self, report: ImportReport, digest: Any) -> Iterator[list[_Line]]:
        """The data lines, parsed and prepared, in batches; counts rows and blank lines into ``report``."""
        records = self._records(digest)
        header_seen = False
        batch: list[_Line] = []
        for line, fields in records:
            if not any(value.strip() for value in fields):
                if header_seen:
                    report.blank_lines += 1
                continue
            if not header_seen:
                header_seen = True
                continue
            report.rows += 1
            batch.append(self._line(line, fields))
            if len(batch) >= self.options.batch_size:
                yield batch
                batch = []
        if batch:
            yield batch

    @staticmethod
    def _stat(handle: BinaryIO) -> tuple[int, int]:
        status = os.fstat(handle.fileno())
        return status.st_size, status.st_mtime_ns

    def _check_unchanged(self, digest: Any) -> None:
        """The lines checked are the bytes hashed at the start, and the file was not written since."""
        with self._open() as handle:
            version = self._stat(handle)
        if digest.hexdigest() != self.digest or version != self._version:
            raise Invalid(f"{self.name}: the file changed while it was being imported; nothing was imported")

    def run(self, progress: Progress | None = None) -> ImportReport:
        """Validate every line, then (if all are valid, or with ``skip_invalid``) store them in one transaction.

        The import ends the session's transactions itself (rollback after checking, commit or rollback at the
        end): call it with no uncommitted changes in the session."""
        with tempfile.TemporaryFile(prefix="sipas-import-") as handle:
            return self._run(_Spill(handle), progress)

    def _run(self, spill: _Spill, progress: Progress | None) -> ImportReport:
        started = time.perf_counter()
        checked = ImportReport()
        digest = hashlib.sha256()
        for batch in self._batches(checked, digest):
            stored = self._stored(batch)
            fresh: list[_Record] = []
            for item in batch:
                prepared = item.prepared
                if prepared is not None:  # a line without problems of its own
                    existing = stored.get(prepared.submission.submission_id)
                    if existing is None:
                        fresh.append(self.writer.record(item.line, *stored_rows(prepared, self.procedure_fields)))
                    else:
                        differences = self._differences(existing, prepared.row)
                        if differences:
                            item.problems.append(self._conflict(prepared.submission.submission_id, differences))
                        else:
                            checked.already += 1
                if item.problems:
                    self._problem(checked, item.line, item.problems)
            spill.write(fresh, checked.rows)
            if progress:
                progress("checking", checked.rows)
        self._check_unchanged(digest)
        self.session.rollback()  # end the read transaction; the writes get a fresh one
        if checked.rows == 0:
            raise Invalid(f"{self.name}: no data lines after the header")
        if checked.bad_lines and not self.options.skip_invalid:
            checked.already = 0
            checked.seconds = time.perf_counter() - started
            return checked

        report = ImportReport(
            rows=checked.rows,
            already=checked.already,
            blank_lines=checked.blank_lines,
            bad_lines=checked.bad_lines,
            problems=checked.problems,
            messages=checked.messages,
        )
        try:
            if spill.records:
                self._store(report, spill, progress)
            # else every valid line is stored already (the same file again): nothing to write
            if report.bad_lines > checked.bad_lines and not self.options.skip_invalid:
                self.session.rollback()
                report.new = report.already = report.repeated = 0
            else:
                record(
                    self.session,
                    action="responses.import",
                    actor="cli",
                    object_type="form_version",
                    object_id=self.form.form_version_id,
                    details={
                        "file": self.path.name,
                        "sha256": self.digest,
                        "form": self.form_label,
                        "lines": report.rows,
                        "new": report.new,
                        "already_imported": report.already,
                        "repeated": report.repeated,
                        "skipped_bad_lines": report.bad_lines,
                    },
                )
                self.session.commit()
                report.committed = True
                if report.new:
                    refresh_statistics(self.session, "responses", "answers")
                    self.session.commit()
        except BaseException:
            self.session.rollback()
            raise
        report.seconds = time.perf_counter() - started
        return report

    def _store(self, report: ImportReport, spill: _Spill, progress: Progress | None) -> None:
        """Store the spilled lines (uncommitted); problems found now (an id repeated in the file with other
        content, or stored by someone else since the check) are added to ``report``."""
        conflicts = ImportReport()
        self.writer.begin()
        try:
            self._store_spill(report, conflicts, spill, progress)
        finally:
            self.writer.end()
        report.bad_lines += conflicts.bad_lines
        report.problems += conflicts.problems
        room = self.options.max_messages - len(report.messages)
        report.messages.extend(conflicts.messages[: max(room, 0)])

    def _store_spill(
        self, report: ImportReport, conflicts: ImportReport, spill: _Spill, progress: Progress | None
    ) -> None:
        for records, rows_done in spill.read():
            firsts: dict[Any, _Record] = {}
            repeats: list[_Record] = []  # a submission id seen before in this batch: compared after the insert
            for spilled in records:
                if firsts.setdefault(spilled[0][_SUBMISSION_ID], spilled) is not spilled:
                    repeats.append(spilled)
            fresh = list(firsts.values())
            skipped = self.writer.insert(fresh)
            report.new += len(fresh) - len(skipped)
            others = sorted([spilled for spilled in fresh if spilled[0][0] in skipped] + repeats, key=lambda r: r[0][0])
            if others:
                self._compare(report, conflicts, [values for values, _ in others])
            if progress:
                progress("storing", rows_done)

    def _compare(self, report: ImportReport, conflicts: ImportReport, lines: list[tuple[Any, ...]]) -> None:
        """Lines whose submission id is stored (by this import, from an earlier line, or by someone else)."""
        ids = [uuid.UUID(str(values[_SUBMISSION_ID])) for values in lines]
        stored = {
            row.submission_id: row
            for row in self.session.execute(
                select(
                    Response.submission_id,
                    Response.content_hash,
                    Response.received_at,
                    Response.agency_id,
                    Response.weight,
                    Response.stratum,
                    Response.cluster,
                ).where(Response.submission_id.in_(ids))
            )
        }
        for submission_id, values in zip(ids, lines, strict=True):
            existing = stored[submission_id]
            row = {
                name: values[_COLUMN[name]] for name in ("content_hash", "agency_id", "weight", "stratum", "cluster")
            }
            differences = self._differences(existing, row)
            this_run = existing.received_at == self.now
            if not differences:
                if this_run:
                    report.repeated += 1
                else:
                    report.already += 1
            elif this_run:
                self._problem(conflicts, values[0], [self._repeated_conflict()])
            else:  # stored by someone else since the check
                self._problem(conflicts, values[0], [self._conflict(submission_id, differences)])

    def _repeated_conflict(self) -> str:
        column = self.options.id_column.strip() if self.options.id_column else "id"
        return f'column "{column}": the same id as an earlier line of this file, with different content'


def _answer(item: Item, cell: str) -> Any | None:
    """A cell as the value ``prepare`` expects; None for an empty cell (a missing answer)."""
    text = cell.strip()
    if not text:
        return None
    if item.type is ItemType.scale:
        return int(text) if _INTEGER.fullmatch(text) else text
    if item.type is ItemType.multiple_choice:
        codes = [code.strip() for code in text.split(";") if code.strip()]
        return codes or None
    return text


def import_csv(
    session: Session,
    settings: Settings,
    registry: dict[tuple[str, int], RegisteredForm],
    path: Path,
    options: ImportOptions,
    *,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a survey file in one call (see ``CsvImport`` for the warnings before the run)."""
    return CsvImport(session, settings, registry, path, options, now=now).run(progress)
