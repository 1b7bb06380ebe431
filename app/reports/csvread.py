"""A survey CSV file as Python's ``csv`` module reads it: the header, and the line of a data row.

pyarrow reads the data (:mod:`app.reports.columnar`); this module is the reference for what a row is and where it
is, used for the header and whenever a message must name a line: the csv module counts the lines a row spans
(quoted line breaks, ``\\r\\n`` and old Mac ``\\r`` line ends), skips blank lines, and is what the files were
checked against before pyarrow (``tests/reports/test_stats_columnar.py`` holds the two readers to the same rows).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from app.errors import Invalid


def _is_blank(row: list[str]) -> bool:
    """No field, or one blank field: a blank line, skipped (the csv module's and R's ``read.csv``'s habit)."""
    return not row or (len(row) == 1 and not row[0].strip())


def not_utf8(path: Path) -> Invalid:
    """The error for a file that is not UTF-8, naming the line of the first bad byte."""
    data = path.read_bytes()
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return Invalid(f"{path}:{line}: not UTF-8 text (save the file as CSV UTF-8)")
    return Invalid(f"{path}: not UTF-8 text (save the file as CSV UTF-8)")


def _rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line, fields) of every row, the header first; a row's line is the line it ends on."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            try:
                for row in reader:
                    yield reader.line_num, row
            except csv.Error as exc:
                raise Invalid(f"{path}:{reader.line_num}: not a CSV line ({exc})") from None
    except FileNotFoundError as exc:
        raise Invalid(f"{path}: no such file") from exc
    except UnicodeDecodeError:
        raise not_utf8(path) from None
    except OSError as exc:  # a directory, no permission
        raise Invalid(f"{path}: cannot read the file ({exc.strerror})") from exc


def read_header(path: Path) -> tuple[list[str], int]:
    """The column names (spaces around them removed) and the number of lines the header spans."""
    for line, row in _rows(path):
        if not row or not any(name.strip() for name in row):
            break
        return [name.strip() for name in row], line
    raise Invalid(f"{path}: the file is empty (expected a header line with column names)")


def locate(path: Path, row: int | None = None) -> tuple[int, list[str]]:
    """The line and fields of data row ``row`` (0 is the first row after the header), checking every row before
    it; with ``row=None``, every row of the file is checked and the result is the last row. A row whose width
    differs from the header's is an error naming its line."""
    rows = _rows(path)
    _, header = next(rows, (0, []))
    found: tuple[int, list[str]] | None = None
    index = 0
    for line, fields in rows:
        if _is_blank(fields):
            continue
        if len(fields) != len(header):
            raise Invalid(f"{path}:{line}: {len(fields)} fields where the header has {len(header)}")
        found = line, fields
        if index == row:
            return found
        index += 1
    if found is None:
        raise Invalid(f"{path}: no data lines after the header")
    if row is not None:
        raise Invalid(f"{path}: no data row {row + 1}")
    return found
