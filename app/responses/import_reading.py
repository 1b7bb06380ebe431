"""Reading a survey file for ``sipas import``: its bytes (UTF-8 check, SHA-256, line count), its CSV records as a
stream, the header's columns, and the cells that need more than stripping (answers, dates, weights, labels).

Problems are raised as ``Invalid`` naming the file (and its line and column) when the whole file cannot work, or
returned as a message about one column when only that line is wrong.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import math
import os
import re
from collections.abc import Generator
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as clock
from pathlib import Path
from typing import Any, BinaryIO, Protocol, cast

from app.config import Settings
from app.errors import Invalid, NotFound
from app.forms.loader import RegisteredForm
from app.forms.schemas import PROFILE_FIELDS, Item, ItemType

# A bare date stands for this local time of day.
NOON = clock(12, 0)
MIN_YEAR = 1900
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CHUNK = 1 << 20
_INTEGER = re.compile(r"[+-]?[0-9]+")
_LABEL_LIMIT = 128  # responses.stratum and responses.cluster


def parse_when(text: str, settings: Settings) -> datetime:
    """An ISO date (local noon in the service's zone) or an ISO date-time (with its offset; a naive one is
    returned naive and refused by ``check_time``). Raises ValueError."""
    text = text.strip()
    if ISO_DATE.fullmatch(text):
        moment = datetime.combine(date.fromisoformat(text), NOON, tzinfo=settings.zone)
    elif len(text) < 11 or text[10] not in "T ":
        raise ValueError(text)
    else:
        moment = datetime.fromisoformat(text)
    if moment.year < MIN_YEAR:  # a typo, and too close to datetime's limits for time-zone arithmetic
        raise ValueError(text)
    return moment


def quote(value: str, limit: int = 40) -> str:
    shown = value if len(value) <= limit else value[: limit - 1] + "…"
    return '"' + shown.replace('"', '""') + '"'


def answer(item: Item, cell: str) -> Any | None:
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


def weight(cell: str, column: str) -> tuple[float | None, str | None]:
    """A weight cell's value (a number ≥ 0), or the problem with it (and then the value if it is a number)."""
    text = cell.strip()
    try:
        value = float(text)
    except ValueError:
        return None, f'column "{column}": ' + (f"{quote(text)} is not a number" if text else "a weight is required")
    if not math.isfinite(value) or value < 0:
        return value, f'column "{column}": a weight must be a finite number ≥ 0 (got {quote(text)})'
    return value, None


def label(cell: str, column: str, what: str) -> tuple[str | None, str | None]:
    """A required label cell's value (stratum, cluster) or the problem with it."""
    value = cell.strip()
    if not value:
        return None, f'column "{column}": {what} is required'
    if len(value) > _LABEL_LIMIT:
        return None, f'column "{column}": is {len(value)} characters long; at most {_LABEL_LIMIT} are allowed'
    return value, None


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


def _stat(handle: BinaryIO) -> tuple[int, int]:
    status = os.fstat(handle.fileno())
    return status.st_size, status.st_mtime_ns


class CsvFile:
    """The file to import, read as a stream: ``scan`` once, then ``records`` as often as needed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = str(path)

    def open(self) -> BinaryIO:
        try:
            return self.path.open("rb")
        except FileNotFoundError:
            raise NotFound(f"{self.name}: no such file") from None
        except OSError as exc:
            raise Invalid(f"{self.name}: cannot read ({exc.strerror})") from None

    def scan(self) -> tuple[str, int]:
        """SHA-256 of the bytes and the number of lines; refuses what is not UTF-8 text."""
        digest = hashlib.sha256()
        decoder = codecs.getincrementaldecoder("utf-8")()
        lines = size = 0
        first = last = b""
        with self.open() as handle:
            self._version = _stat(handle)
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
        self._digest = digest.hexdigest()
        return self._digest, lines + (last != b"\n")

    def records(self, digest: Any | None = None) -> Generator[tuple[int, list[str]], None, None]:
        """(first line number, fields) per CSV record, streaming; the header is line 1. With ``digest``, the
        bytes read are fed into it (for ``check_unchanged``)."""
        with self.open() as raw:
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

    def header(self) -> list[str]:
        """The first record that is not blank."""
        records = self.records()
        try:
            header: list[str] | None = next((fields for _, fields in records if any(f.strip() for f in fields)), None)
        finally:
            records.close()
        if header is None:
            raise Invalid(f"{self.name}: the file has no header line")
        return header

    def header_end(self) -> int:
        """The line on which the header record ends (a large number when no record follows it)."""
        records = self.records()
        seen = False
        try:
            for line, fields in records:
                if seen:
                    return line - 1
                seen = any(value.strip() for value in fields)
        finally:
            records.close()
        return 1 << 62

    def check_unchanged(self, digest: Any) -> None:
        """The records read are the bytes hashed by ``scan`` (fed into ``digest``), and the file was not written
        since."""
        with self.open() as handle:
            version = _stat(handle)
        if digest.hexdigest() != self._digest or version != self._version:
            raise Invalid(f"{self.name}: the file changed while it was being imported; nothing was imported")


class ColumnOptions(Protocol):
    """The options that name columns (``ImportOptions``): header names, surrounding spaces ignored."""

    @property
    def agency_column(self) -> str: ...
    @property
    def counter_column(self) -> str | None: ...
    @property
    def date_column(self) -> str | None: ...
    @property
    def id_column(self) -> str | None: ...
    @property
    def weight_column(self) -> str | None: ...
    @property
    def strata_column(self) -> str | None: ...
    @property
    def psu_column(self) -> str | None: ...


@dataclass(frozen=True)
class Layout:
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


def read_layout(file: CsvFile, options: ColumnOptions, form: RegisteredForm, form_label: str) -> Layout:
    """The header's columns, checked against the options and the form's items."""
    header = file.header()
    names = [name.strip() for name in header]
    seen: set[str] = set()
    for name in names:
        if name and name in seen:
            raise Invalid(f'{file.name}:1: column "{name}" appears twice in the header')
        seen.add(name)
    position = {name: index for index, name in enumerate(names) if name}
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
            shown = ", ".join(quote(name) for name in names[:12]) + (", …" if len(names) > 12 else "")
            raise Invalid(f'{file.name}:1: no column "{column}" (named by {option}); the header has {shown}{hint}')
        named.setdefault(column, option)
    definition = form.definition
    items = {item.code: item for item in definition.items}
    for column, option in named.items():
        if column in items:
            raise Invalid(f'{option} "{column}": that column answers item "{column}" of {form_label}')
    missing = [
        item.code for item in definition.items if item.required and item.show_if is None and item.code not in position
    ]
    if missing:
        raise Invalid(f"{file.name}:1: no column for the required item(s) {', '.join(missing)} of {form_label}")
    answers = [(index, items[name]) for index, name in enumerate(names) if name in items]
    if not answers:
        raise Invalid(f"{file.name}:1: no column is named after an item of {form_label}")
    profile = [
        (index, name)
        for index, name in enumerate(names)
        if name in PROFILE_FIELDS and name not in items and name not in named
    ]
    used = set(items) | set(named) | {name for _, name in profile}
    ignored = [name or f"column {index + 1} (no name)" for index, name in enumerate(names) if name not in used]

    def index_of(name: str | None) -> int | None:
        return None if name is None else position[name.strip()]

    return Layout(
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
