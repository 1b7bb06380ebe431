"""A survey file read column by column with pyarrow: CSV (UTF-8) or Parquet (by the ``.parquet`` extension).

Only the columns a command needs are converted. CSV numbers are parsed by pyarrow's multi-threaded reader straight
into float64, so a million distinct weights cost what a million equal ones do; a column with a cell pyarrow does
not take (``" NA "``, ``"1_000"``, a word) is read again as text and its odd cells are converted by Python's
``float``, so every cell means what it meant before pyarrow. Labels (``--by``, ``--strata``, ``--psu``) become
integer codes in the order of their text.

Rows are the rows Python's ``csv`` module sees (quoted fields and line breaks, blank lines skipped): a message about
a row names its line, found by :func:`app.reports.csvread.locate` only when there is something to say. Parquet has
no lines: messages name the row (1 is the first).

:func:`app.reports.analysis.analyse` imports this module when it reads a file: the other ``sipas`` commands, which
list ``stats``, start without pyarrow.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
import pyarrow.csv as pa_csv  # type: ignore[import-untyped]
from numpy.typing import NDArray

from app.errors import Invalid
from app.reports import csvread
from app.stats.design import dense_codes

MISSING = ("", "NA", "na", "NaN")  # empty cells and R's NA: a missing value
# Cells pyarrow and Python's float read alike: plain decimals (ASCII digits, optional exponent), nothing else.
PLAIN_NUMBER = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"

Codes = tuple[list[str], NDArray[np.intp]]


def _python_number(cell: str) -> float | None:
    """A cell as the command always read it: spaces removed, :data:`MISSING` is NaN, else ``float``; None if not a
    number."""
    text = cell.strip()
    if text in MISSING:
        return math.nan
    try:
        return float(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class SurveySource:
    """A survey file whose header has been read: its column names, in order."""

    path: Path
    header: list[str]
    header_lines: int  # lines the CSV header spans (0 for Parquet)

    @property
    def is_parquet(self) -> bool:
        return self.header_lines == 0

    @property
    def header_where(self) -> str:
        """Where a message about the header points: the CSV's line 1, or the Parquet file."""
        return str(self.path) if self.is_parquet else f"{self.path}:1"

    def read(self, *, numbers: Sequence[str], labels: Sequence[str]) -> SurveyColumns:
        """The named columns (all in :attr:`header`): ``numbers`` to be read as numbers, ``labels`` as text."""
        wanted = list(dict.fromkeys([*numbers, *labels]))
        if self.is_parquet:
            table = _read_parquet(self.path, wanted)
        else:
            # a column that is also a label is read as text: its labels are the file's text ("05", not 5.0)
            table = _read_csv(self, [name for name in wanted if name in numbers and name not in labels], wanted)
        columns = {name: table.column(k) for k, name in enumerate(wanted)}
        if not table.num_rows:
            raise Invalid(f"{self.path}: no data lines after the header")
        return SurveyColumns(self, columns, table.num_rows)


def open_survey(path: Path) -> SurveySource:
    """The header of a CSV or Parquet file (spaces around CSV column names removed)."""
    if path.exists() and not path.is_file() and not path.is_dir():  # the file is read twice: no pipes
        raise Invalid(f"{path}: not a regular file (save the data to a file first)")
    if path.suffix.lower() != ".parquet":
        header, lines = csvread.read_header(path)
        return SurveySource(path, header, lines)
    import pyarrow.parquet as pq  # type: ignore[import-untyped]  # only for Parquet files

    try:
        schema = pq.read_schema(path)
    except FileNotFoundError as exc:
        raise Invalid(f"{path}: no such file") from exc
    except (pa.ArrowException, OSError) as exc:
        raise Invalid(f"{path}: not a Parquet file ({exc})") from None
    return SurveySource(path, list(schema.names), 0)


def _read_parquet(path: Path, names: list[str]) -> Any:
    import pyarrow.parquet as pq

    try:
        return pq.read_table(path, columns=names)
    except (pa.ArrowException, OSError) as exc:
        raise Invalid(f"{path}: cannot read the Parquet file ({exc})") from None


def _skip_blank(row: Any) -> str:
    """pyarrow's handler for a row whose width differs from the header's: skip a blank line, stop at any other
    (:func:`csvread.locate` then names its line)."""
    fields = next(csv.reader([row.text]), [])
    return "skip" if not fields or (len(fields) == 1 and not fields[0].strip()) else "error"


def _read_csv(source: SurveySource, numbers: list[str], names: list[str]) -> Any:
    """The columns ``names`` of a CSV file as a pyarrow table in that order; ``numbers`` as float64 if every cell
    is one pyarrow reads, else (and for a one-column file, whose blank lines are rows to pyarrow) as text."""
    path = source.path
    data = pa.memory_map(str(path)).read_buffer()
    offsets = pa.py_buffer(np.array([0, data.size], dtype=np.int64))
    try:  # pyarrow checks only the text columns it converts: the whole file must be UTF-8, as before
        pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, data]).validate(full=True)
    except pa.ArrowInvalid:
        raise csvread.not_utf8(path) from None
    # A column by its position ("c3"): header names may repeat or hold spaces; the last of a repeated name wins.
    position = {name: k for k, name in enumerate(source.header)}
    keys = [f"c{position[name]}" for name in names]
    text = pa.dictionary(pa.int32(), pa.string())

    def read(typed: bool) -> Any:
        types = {
            key: pa.float64() if typed and name in numbers else text for key, name in zip(keys, names, strict=True)
        }
        return pa_csv.read_csv(
            pa.BufferReader(data),
            read_options=pa_csv.ReadOptions(
                column_names=[f"c{k}" for k in range(len(source.header))],
                skip_rows=source.header_lines,
                block_size=1 << 24,
            ),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True, invalid_row_handler=_skip_blank),
            convert_options=pa_csv.ConvertOptions(
                include_columns=keys, column_types=types, null_values=list(MISSING), strings_can_be_null=False
            ),
        )

    try:
        return _drop_blank_rows(read(len(source.header) > 1), len(source.header))
    except pa.ArrowInvalid:
        pass
    try:  # a cell pyarrow's float parser refused: every number column as text, converted by SurveyColumns
        return _drop_blank_rows(read(False), len(source.header))
    except pa.ArrowInvalid as exc:
        csvread.locate(path)  # raises the error with its line
        raise Invalid(f"{path}: not a CSV file pyarrow can read ({exc})") from None


def _drop_blank_rows(table: Any, width: int) -> Any:
    """In a one-column file a line of spaces is a row to pyarrow and a blank line to the csv module: drop it."""
    if width != 1 or not table.num_columns:
        return table
    labels, codes = _encoded(table.column(0))
    blank = np.array([not label.strip() for label in labels.to_pylist()], dtype=bool)
    if not blank.any():
        return table
    return table.filter(pa.array(~blank[codes]))


def _encoded(column: Any) -> tuple[Any, NDArray[np.integer[Any]]]:
    """A text column as its dictionary (a pyarrow string array) and every row's index in it."""
    if not pa.types.is_dictionary(column.type):
        if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
            column = pc.cast(column, pa.string())  # Parquet integers and the like: their text
        column = pc.dictionary_encode(pc.fill_null(column, ""))
    else:
        column = pa.table({"c": column}).unify_dictionaries().column(0)
    if not column.num_chunks:
        return pa.array([], pa.string()), np.zeros(0, dtype=np.intp)
    dictionary = column.chunk(0).dictionary
    return dictionary, np.concatenate([chunk.indices.to_numpy(zero_copy_only=False) for chunk in column.chunks])


@dataclass(frozen=True)
class SurveyColumns:
    """The columns read from a :class:`SurveySource`: numbers, label codes, and where a row is."""

    source: SurveySource
    columns: dict[str, Any]  # name → pyarrow ChunkedArray
    rows: int
    located: dict[int, tuple[int, list[str]]] = field(default_factory=dict)  # row → its line and fields
    coded: dict[str, Codes] = field(default_factory=dict)  # label column → its codes

    def where(self, row: int) -> str:
        """``path:line`` of a CSV data row (0 is the first), ``path: row N`` of a Parquet one."""
        if self.source.is_parquet:
            return f"{self.source.path}: row {row + 1}"
        return f"{self.source.path}:{self._located(row)[0]}"

    def cell(self, name: str, row: int) -> str:
        """A cell's text as the file holds it (for messages)."""
        if self.source.is_parquet:
            value = self.columns[name][row].as_py()
            return "" if value is None else str(value)
        position = max(k for k, header in enumerate(self.source.header) if header == name)
        return self._located(row)[1][position]

    def _located(self, row: int) -> tuple[int, list[str]]:
        if row not in self.located:  # the csv module reads up to the row: only for a message
            self.located[row] = csvread.locate(self.source.path, row)
        return self.located[row]

    def numbers(self, name: str, *, what: str) -> NDArray[np.float64]:
        """A numeric column: NaN for empty cells, R's NA and Parquet nulls; any other cell that is not a number is
        an error naming its line and column."""
        column = self.columns[name]
        kind = column.type
        if pa.types.is_dictionary(kind) or pa.types.is_string(kind) or pa.types.is_large_string(kind):
            return self._parse(name, column, what)
        if not any(
            test(kind) for test in (pa.types.is_floating, pa.types.is_integer, pa.types.is_decimal, pa.types.is_boolean)
        ):
            raise Invalid(f"{self.source.path}: column {name!r}: {kind} values are not numbers ({what})")
        values = pc.cast(column, pa.float64())
        return np.asarray(values.to_numpy(), dtype=np.float64)  # nulls are NaN

    def _parse(self, name: str, column: Any, what: str) -> NDArray[np.float64]:
        """Text cells: pyarrow converts the distinct plain decimals, Python's float every other distinct cell."""
        labels, codes = _encoded(column)
        plain = np.asarray(pc.match_substring_regex(labels, PLAIN_NUMBER).to_numpy(zero_copy_only=False), dtype=bool)
        parsed = np.full(len(labels), math.nan)
        parsed[plain] = pc.cast(labels.filter(pa.array(plain)), pa.float64()).to_numpy()
        odd = np.flatnonzero(~plain)
        bad = np.zeros(len(labels), dtype=bool)
        for index, text in zip(odd.tolist(), labels.take(pa.array(odd)).to_pylist(), strict=True):
            number = _python_number(text)
            bad[index] = number is None
            parsed[index] = math.nan if number is None else number
        if bad.any():
            row = int(np.flatnonzero(bad[codes])[0])
            text = self.cell(name, row).strip()
            raise Invalid(f"{self.where(row)}: column {name!r}: {text!r} is not a number ({what})")
        return np.asarray(parsed[codes], dtype=np.float64)

    def codes(self, name: str) -> Codes:
        """The distinct values of a text column in the order of their text, and every row's index among them."""
        if name in self.coded:
            return self.coded[name]
        dictionary, indices = _encoded(self.columns[name])
        used = np.flatnonzero(np.bincount(indices, minlength=len(dictionary)))
        labels = dictionary.take(pa.array(used))
        order = np.asarray(pc.array_sort_indices(labels).to_numpy(), dtype=np.intp)  # UTF-8 bytes: code points
        rank = np.zeros(len(dictionary), dtype=np.intp)
        rank[used[order]] = np.arange(order.size)
        self.coded[name] = labels.take(pa.array(order)).to_pylist(), rank[indices]
        return self.coded[name]

    def domains(self, names: Sequence[str]) -> tuple[list[tuple[str, ...]], NDArray[np.intp]]:
        """The distinct combinations of several label columns present in the file, in the order of their texts
        joined by a unit separator, and every row's index among them."""
        coded = [self.codes(name) for name in names]
        key = np.zeros(self.rows, dtype=np.int64)
        size = 1
        for labels, codes in coded:
            key, size = key * len(labels) + codes, size * len(labels)
            if size > 2**40:  # keep the combined key far from int64's end: number the combinations seen so far
                used, inverse = dense_codes(key, size)
                key, size = inverse.astype(np.int64), used.size
        used, inverse = dense_codes(key, size)
        example = np.empty(used.size, dtype=np.intp)
        example[inverse] = np.arange(self.rows)  # a row of each combination
        columns = [[labels[i] for i in codes[example].tolist()] for labels, codes in coded]
        keys = list(zip(*columns, strict=True))
        order = sorted(range(len(keys)), key=lambda k: "\x1f".join(keys[k]))
        rank = np.empty(len(keys), dtype=np.intp)
        rank[order] = np.arange(len(keys))
        return [keys[k] for k in order], rank[inverse]
