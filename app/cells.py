"""Cells of downloaded tables that no spreadsheet runs as a formula (OWASP "CSV injection").

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return — a comment or a name typed by
anyone — is prefixed with ``'`` so that a spreadsheet shows it as text; numbers stay numbers. Every download uses
:func:`neutral`: the result tables (``app.reports.downloads``), the responses export and the reference files.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")
# The media types of a downloaded table.
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def neutral(value: Any) -> Any:
    """A cell value that no spreadsheet will evaluate; lists are joined with ';'."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return None if isinstance(value, float) and not math.isfinite(value) else value
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = ";".join(str(part) for part in value) if isinstance(value, list | tuple) else str(value)
    return "'" + text if text.startswith(DANGEROUS_START) else text
