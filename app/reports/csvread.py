"""Reading a survey CSV file column by column, with the file line of every row for error messages.

Most survey files have no quotes: they are split with ``str.split`` in a few C calls (one ``split`` for all the
fields), several times faster than the ``csv`` module row by row. A file with a quote or a lone carriage return
(an old Mac line end) goes through the ``csv`` module, which knows quoted fields (commas and line breaks inside them).
Both give the same columns, line numbers and errors.
"""

from __future__ import annotations

import csv
import io
from itertools import repeat
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from app.errors import Invalid

Columns = tuple[list[str], dict[str, list[str]], NDArray[np.intp]]


def read_columns(path: Path) -> Columns:
    """Header, columns and the file line of every data row of a UTF-8 CSV file (a BOM is allowed; blank lines are
    skipped; the header is line 1)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise Invalid(f"{path}: no such file") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise Invalid(f"{path}:{line}: not UTF-8 text (save the file as CSV UTF-8)") from exc
    if '"' not in text:
        lines = text.replace("\r\n", "\n") if "\r" in text else text
        if "\r" not in lines:
            return _read_unquoted(path, lines)
    return _read_with_csv(path, text)


def _check_header(path: Path, header: list[str] | None) -> list[str]:
    if not header or not any(name.strip() for name in header):
        raise Invalid(f"{path}: the file is empty (expected a header line with column names)")
    return [name.strip() for name in header]


def _wrong_width(path: Path, line: int, fields: int, width: int) -> Invalid:
    return Invalid(f"{path}:{line}: {fields} fields where the header has {width}")


def _read_unquoted(path: Path, text: str) -> Columns:
    """Every line is a row and every comma separates two fields."""
    lines = text.split("\n")
    header = _check_header(path, lines[0].split(","))
    width = len(header)
    body = lines[1:-1] if lines[-1] == "" else lines[1:]  # "" after the last line break
    commas = list(map(str.count, body, repeat(",", len(body))))
    if width > 1 and commas.count(width - 1) == len(body):  # no blank line, no short or long line
        kept, numbers = body, list(range(2, len(body) + 2))
    else:
        kept, numbers = [], []
        for number, (line, count) in enumerate(zip(body, commas, strict=True), start=2):
            if count == 0 and not line.strip():  # the csv module's blank line: no field, or one blank field
                continue
            if count != width - 1:
                raise _wrong_width(path, number, count + 1, width)
            kept.append(line)
            numbers.append(number)
    if not kept:
        raise Invalid(f"{path}: no data lines after the header")
    cells = ",".join(kept).split(",")  # row-major: row r, column k is cells[r * width + k]
    columns = {name: cells[k::width] for k, name in enumerate(header)}
    return header, columns, np.asarray(numbers, dtype=np.intp)


def _read_with_csv(path: Path, text: str) -> Columns:
    """Quoted fields (``"Hà Nội, Ba Đình"``, ``""`` for a quote, line breaks inside quotes): the csv module. A row's
    line is the line it ends on."""
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[list[str]] = []
    numbers: list[int] = []
    try:
        header = _check_header(path, next(reader, None))
        width = len(header)
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != width:
                raise _wrong_width(path, reader.line_num, len(row), width)
            rows.append(row)
            numbers.append(reader.line_num)
    except csv.Error as exc:
        raise Invalid(f"{path}:{reader.line_num}: not a CSV line ({exc})") from None
    if not rows:
        raise Invalid(f"{path}: no data lines after the header")
    columns = {name: list(values) for name, values in zip(header, zip(*rows, strict=True), strict=True)}
    return header, columns, np.asarray(numbers, dtype=np.intp)
