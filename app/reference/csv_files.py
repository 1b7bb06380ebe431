"""The CSV files of targets and population counts: reading an upload (cells, line numbers, every problem with its
line and column) and writing an export in the same columns, so a downloaded file uploads again unchanged.

Uploads are UTF-8 (a BOM is allowed); a refused upload is one 422 listing the first :data:`MAX_LISTED_ERRORS`
problems. Every exported cell goes through :func:`app.cells.neutral`, and reading undoes its ``'`` prefix.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from app.cells import DANGEROUS_START, neutral
from app.errors import Invalid
from app.officials.scope import Scope
from app.reference.counts import list_population_counts
from app.reference.fields import PopulationEntry, TargetEntry
from app.reference.targets import list_targets

TARGET_COLUMNS = ("agency", "indicator", "period_start", "period_end", "threshold_pct", "applies_to_subtree")
POPULATION_COLUMNS = ("agency", "period_start", "period_end", "dossiers_handled", "procedure_field")
MAX_LISTED_ERRORS = 100
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})


# --- reading an upload --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadError:
    line: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}, column {self.column}" if self.column else f"line {self.line}"
        return f"{where}: {self.message}"


def refuse(errors: list[UploadError]) -> Invalid:
    """The 422 of a refused upload: every error (the first 100) with its line and column; nothing was stored."""
    errors = sorted(errors, key=lambda error: (error.line, error.column or ""))
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    details = [{"line": e.line, "column": e.column, "message": e.message} for e in errors[:MAX_LISTED_ERRORS]]
    return Invalid(f"nothing was stored: {errors[0]}{more}", details={"errors": details, "count": len(errors)})


def read_rows(data: bytes, columns: tuple[str, ...], optional: frozenset[str]) -> list[tuple[int, dict[str, str]]]:
    """The data rows of a UTF-8 CSV file (a BOM is allowed, blank lines are skipped, the header is line 1) with
    their line numbers; cells stripped, optional columns that are absent read as empty."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise refuse([UploadError(line, None, "not UTF-8 text (save the file as CSV UTF-8)")]) from None
    expected = f"expected the header {','.join(columns)}"
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip() for name in next(reader, [])]
        if not any(header):
            raise refuse([UploadError(1, None, f"the file is empty; {expected}")])
        missing = [name for name in columns if name not in header and name not in optional]
        unknown = [name for name in header if name not in columns]
        repeated = sorted({name for name in header if header.count(name) > 1})
        if missing or unknown or repeated:
            problems = [f"missing column(s) {', '.join(missing)}"] if missing else []
            problems += [f"unknown column(s) {', '.join(unknown)}"] if unknown else []
            problems += [f"repeated column(s) {', '.join(repeated)}"] if repeated else []
            raise refuse([UploadError(1, None, f"{'; '.join(problems)}; {expected}")])
        rows: list[tuple[int, dict[str, str]]] = []
        errors: list[UploadError] = []
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(header):
                errors.append(
                    UploadError(reader.line_num, None, f"{len(cells)} fields where the header has {len(header)}")
                )
                continue
            values = dict.fromkeys(optional, "") | {
                name: _unneutral(cell.strip()) for name, cell in zip(header, cells, strict=True)
            }
            rows.append((reader.line_num, values))
    except csv.Error as exc:
        raise refuse([UploadError(reader.line_num, None, f"not a readable CSV line ({exc})")]) from None
    if errors:
        raise refuse(errors)
    return rows


class RowReader:
    """Typed cells of one upload line; each problem is kept with the line and column."""

    def __init__(self, line: int, values: dict[str, str], errors: list[UploadError]) -> None:
        self.line, self.values, self.errors = line, values, errors
        self.ok = True

    def fail(self, column: str, message: str) -> None:
        self.errors.append(UploadError(self.line, column, message))
        self.ok = False

    def text(self, column: str) -> str:
        value = self.values[column]
        if not value:
            self.fail(column, "a value is required")
        return value

    def date(self, column: str) -> date:
        value = self.text(column)
        if value:
            try:
                if _DATE.match(value):
                    return date.fromisoformat(value)
            except ValueError:
                pass
            self.fail(column, f"{value!r} is not a date (YYYY-MM-DD)")
        return date.min

    def number(self, column: str) -> float:
        value = self.text(column)
        if value:
            try:
                return float(value)
            except ValueError:
                self.fail(column, f"{value!r} is not a number")
        return math.nan

    def flag(self, column: str, default: bool) -> bool:
        value = self.values[column].lower()
        if not value:
            return default
        if value in _TRUE | _FALSE:
            return value in _TRUE
        self.fail(column, f"{self.values[column]!r} must be true or false")
        return default


def _unneutral(cell: str) -> str:
    """A cell as it was before an export neutralised it (``'=x`` → ``=x``), so an exported file uploads again
    unchanged; a value that really starts with ``'`` and then ``=``, ``+``, ``-``, ``@`` is no code or count."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(DANGEROUS_START) else cell


# --- writing an export --------------------------------------------------------------------------------------------


def _number(value: float) -> str:
    """A stored percentage as written in files: at most 2 decimals, no trailing zeros (86, 82.5, 86.25)."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _csv_text(columns: tuple[str, ...], rows: Iterable[Iterable[object]]) -> str:
    """A CSV file of these rows, every cell through :func:`app.cells.neutral`: a cell that a spreadsheet
    would run as a formula (``=``, ``+``, ``-``, ``@``, …) is prefixed with ``'``, as in every download."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([neutral(cell) for cell in row] for row in rows)
    return out.getvalue()


def targets_csv(targets: Iterable[TargetEntry]) -> str:
    """Targets in the upload's columns, so an exported file uploads again unchanged."""
    return _csv_text(
        TARGET_COLUMNS,
        (
            (t.agency, t.indicator, t.period_start, t.period_end, _number(t.threshold_pct), t.applies_to_subtree)
            for t in targets
        ),
    )


def population_counts_csv(counts: Iterable[PopulationEntry]) -> str:
    """Population counts in the upload's columns, so an exported file uploads again unchanged."""
    return _csv_text(
        POPULATION_COLUMNS,
        ((c.agency, c.period_start, c.period_end, c.dossiers_handled, c.procedure_field) for c in counts),
    )


def targets_file(session: Session, scope: Scope, *, agency: str | None, indicator: str | None, on: date | None) -> str:
    """The targets :func:`app.reference.targets.list_targets` finds with these filters (all of them), as a file."""
    return targets_csv(list_targets(session, scope, agency=agency, indicator=indicator, on=on).items)


def population_counts_file(
    session: Session, scope: Scope, *, agency: str | None, procedure_field: str | None, on: date | None
) -> str:
    """The counts :func:`app.reference.counts.list_population_counts` finds with these filters (all of them), as
    a file."""
    page = list_population_counts(session, scope, agency=agency, procedure_field=procedure_field, on=on)
    return population_counts_csv(page.items)
