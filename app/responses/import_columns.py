"""Reading the data lines of a survey file as columns (``sipas import``): pyarrow's CSV parser, and numpy to know
where each record starts, so that every row keeps its line number (the default submission ids and every message
depend on it).

The file is read into memory once (its size, plus one batch of columns). One vectorised pass over its bytes finds
the record ends (newlines outside quotes); the records are then parsed ``batch`` at a time. A batch whose CSV is
regular (every quote opens or closes a field, no lone or quoted carriage return, every non-empty record as wide as
the header) goes through pyarrow; any other batch is read by Python's ``csv`` module as before, so irregular files
get the same rows and messages as ever (only more slowly).
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.csv as pacsv  # type: ignore[import-untyped]

from app.errors import Invalid
from app.responses.import_reading import CsvFile

_NEWLINE, _RETURN, _QUOTE, _COMMA = 10, 13, 34, 44


@dataclass
class Columns:
    """A batch of data records: the cells of the rows as wide as the header, by column, and their line numbers."""

    lines: np.ndarray  # first physical line of each row (int64)
    cells: list[pa.Array]  # one string array per header column
    blank: int = 0  # records with nothing but spaces and commas
    wrong_width: list[tuple[int, int]] = field(default_factory=list)  # (line, fields) of records of another width
    records: int = 0  # data records read so far in the file (blank ones excluded), up to the end of this batch

    def __len__(self) -> int:
        return len(self.lines)

    def fields(self, row: int) -> list[str]:
        return [str(column[row].as_py()) for column in self.cells]


def _blank(fields: list[str]) -> bool:
    return not any(value.strip() for value in fields)


class ColumnReader:
    """The data records of ``file`` after its header (which ends on line ``header_end``), ``batch`` at a time."""

    def __init__(self, file: CsvFile, width: int, header_end: int, batch: int) -> None:
        self.file = file
        self.width = width
        self.header_end = header_end
        self.batch = batch
        self.records = 0

    def __iter__(self) -> Iterator[Columns]:
        with self.file.open() as handle:
            data = handle.read()
        self.digest = hashlib.sha256(data)  # what was read, for ``CsvFile.check_unchanged``
        if data:
            yield from self._batches(data, len(data))

    def _batches(self, data: bytes, size: int) -> Iterator[Columns]:
        raw = np.frombuffer(data, dtype=np.uint8)
        newlines = np.flatnonzero(raw == _NEWLINE)
        quotes = np.flatnonzero(raw == _QUOTE)
        if len(newlines) < self.header_end:  # the header is the last line
            return
        start = int(newlines[self.header_end - 1]) + 1
        if start >= size:
            return
        # A newline ends a record when an even number of quotes precedes it (since the data began).
        quotes_before = np.searchsorted(quotes, newlines) - np.searchsorted(quotes, start)
        ends = np.flatnonzero((quotes_before % 2 == 0) & (newlines >= start))  # indexes into newlines
        record_ends = newlines[ends] + 1  # the byte after each record's newline
        first_lines = np.concatenate(([self.header_end + 1], ends[:-1] + 2)) if len(ends) else np.zeros(0, int)
        if not len(ends) or record_ends[-1] < size:  # a last record without a newline
            record_ends = np.append(record_ends, size)
            first_lines = np.append(first_lines, ends[-1] + 2 if len(ends) else self.header_end + 1)
        starts = np.concatenate(([start], record_ends[:-1]))
        for first in range(0, len(starts), self.batch):
            last = min(first + self.batch, len(starts))
            yield self._batch(data, raw, quotes, starts[first:last], record_ends[first:last], first_lines[first:last])

    def _batch(
        self,
        data: bytes,
        raw: np.ndarray,
        quotes: np.ndarray,
        starts: np.ndarray,
        ends: np.ndarray,
        lines: np.ndarray,
    ) -> Columns:
        begin, end = int(starts[0]), int(ends[-1])
        lengths = ends - starts
        chunk = raw[begin:end]
        # An empty record is a newline, or a carriage return and a newline; pyarrow skips those.
        head = chunk[starts - begin]
        empty = ((lengths == 1) & (head == _NEWLINE)) | (
            (lengths == 2) & (head == _RETURN) & (chunk[ends - begin - 1] == _NEWLINE)
        )
        if self._regular(chunk, quotes, begin, end):
            columns = self._parse(data[begin:end], lines[~empty])
            if columns is not None:
                columns.blank += int(empty.sum())
                return self._count(columns)
        return self._count(self._parse_slowly(data[begin:end], int(lines[0])))

    def _count(self, columns: Columns) -> Columns:
        self.records += len(columns) + len(columns.wrong_width)
        columns.records = self.records
        return columns

    @staticmethod
    def _regular(chunk: np.ndarray, quotes: np.ndarray, begin: int, end: int) -> bool:
        """Whether pyarrow reads these records as the ``csv`` module does: each quote opens a field (after a comma,
        a newline or a closing quote) or closes one (before a comma, a line end or another quote), and every
        carriage return ends a line outside quotes."""
        inside = quotes[np.searchsorted(quotes, begin) : np.searchsorted(quotes, end)] - begin
        returns = np.flatnonzero(chunk == _RETURN)
        if len(returns):
            if returns[-1] + 1 >= len(chunk) or not np.all(chunk[returns + 1] == _NEWLINE):
                return False
            if len(inside) and np.any(np.searchsorted(inside, returns) % 2):  # a carriage return inside quotes
                return False
        if not len(inside):
            return True
        opening = inside[0::2]
        closing = inside[1::2]
        if len(closing) < len(opening):
            return False  # a quote left open: the csv module says where
        before = chunk[np.maximum(opening - 1, 0)]
        opens = (opening == 0) | (before == _COMMA) | (before == _NEWLINE) | (before == _QUOTE)
        after = chunk[np.minimum(closing + 1, len(chunk) - 1)]
        closes = (closing + 1 >= len(chunk)) | np.isin(after, (_COMMA, _NEWLINE, _RETURN, _QUOTE))
        return bool(opens.all() and closes.all())

    def _parse(self, text: bytes, lines: np.ndarray) -> Columns | None:
        """The records by pyarrow; None when a record is not as wide as the header (the csv module then reads the
        batch, to say which)."""
        names = [f"c{index}" for index in range(self.width)]
        wrong: list[Any] = []

        def invalid(row: Any) -> str:
            wrong.append(row)
            return "skip"

        table = pacsv.read_csv(
            pa.py_buffer(text),
            read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 26),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=invalid),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        if wrong or table.num_rows != len(lines):
            return None
        cells = [table.column(index).combine_chunks() for index in range(self.width)]
        columns = Columns(lines=lines.astype(np.int64), cells=cells)
        return _drop_blank(columns)

    def _parse_slowly(self, text: bytes, first_line: int) -> Columns:
        """The records by Python's ``csv`` module, as ``CsvFile.records`` reads them."""
        reader = csv.reader(io.StringIO(text.decode("utf-8"), newline=""), strict=True)
        rows: list[list[str]] = []
        lines: list[int] = []
        columns = Columns(lines=np.zeros(0, np.int64), cells=[])
        line = first_line
        try:
            for fields in reader:
                if _blank(fields):
                    columns.blank += 1
                elif len(fields) != self.width:
                    columns.wrong_width.append((line, len(fields)))
                else:
                    rows.append(fields)
                    lines.append(line)
                line = first_line + reader.line_num
        except csv.Error as exc:
            raise Invalid(f"{self.file.name}:{first_line - 1 + reader.line_num}: not valid CSV ({exc})") from None
        columns.lines = np.array(lines, dtype=np.int64)
        columns.cells = [pa.array([row[index] for row in rows], pa.string()) for index in range(self.width)]
        return columns


def _drop_blank(columns: Columns) -> Columns:
    """Without the rows whose every cell is blank (a line of commas); they count as blank lines."""
    blank = np.ones(len(columns), dtype=bool)
    for column in columns.cells:
        encoded = column.dictionary_encode()
        is_blank = np.array([not value.strip() for value in encoded.dictionary.to_pylist()], dtype=bool)
        blank &= is_blank[encoded.indices.to_numpy(zero_copy_only=False)] if len(is_blank) else True
        if not blank.any():
            return columns
    keep = ~blank
    columns.blank += int(blank.sum())
    columns.lines = columns.lines[keep]
    mask = pa.array(keep)
    columns.cells = [column.filter(mask) for column in columns.cells]
    return columns
