"""Result tables as downloads: CSV (UTF-8 with BOM, so Excel reads Vietnamese) and XLSX.

Both are safe against spreadsheet formula injection (OWASP "CSV injection"): every cell goes through
:func:`app.cells.neutral`, so a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
shown as text instead of run. Numbers stay numbers.

Figures carry notes after the table — a blank row, then one sentence a row in the first column: what the intervals do
not cover (``app.reports.satisfaction.COVERAGE``, in Vietnamese and English). A program that reads the table stops at
the blank row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any, Literal

from fastapi.responses import Response
from openpyxl import Workbook

from app.cells import MEDIA, neutral

Format = Literal["csv", "xlsx"]


def to_csv(columns: Sequence[str], rows: Sequence[dict[str, Any]], notes: Sequence[str] = ()) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        cells = (neutral(row.get(name)) for name in columns)
        writer.writerow(["" if cell is None else repr(cell) if isinstance(cell, float) else cell for cell in cells])
    if notes:
        writer.writerow([])
        writer.writerows([neutral(note)] for note in notes)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(
    columns: Sequence[str], rows: Sequence[dict[str, Any]], *, sheet: str = "SIPAS", notes: Sequence[str] = ()
) -> bytes:
    book = Workbook(write_only=True)
    table = book.create_sheet(title=sheet[:31])
    table.append(list(columns))
    for row in rows:
        table.append([neutral(row.get(name)) for name in columns])
    if notes:
        table.append([])
        for note in notes:
            table.append([neutral(note)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def download(
    fmt: Format, columns: Sequence[str], rows: Sequence[dict[str, Any]], *, filename: str, notes: Sequence[str] = ()
) -> Response:
    body = to_csv(columns, rows, notes) if fmt == "csv" else to_xlsx(columns, rows, notes=notes)
    disposition = {"Content-Disposition": f'attachment; filename="{filename}.{fmt}"'}
    return Response(body, media_type=MEDIA[fmt], headers=disposition)
