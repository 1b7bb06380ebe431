"""``sipas stats``: official SIPAS figures from a survey file (paper, phone, household survey), no database.

The file is read column-wise into numpy arrays, reduced to per-(domain, PSU) sums (:func:`table_from_rows`) and
handed to the same :func:`estimate_domains` the database path uses, so a file and the same file imported give the
same numbers. Errors name the line (the header is line 1) and the column.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from app.errors import Invalid
from app.forms.indices import Measures
from app.stats.design import DesignError, make_design
from app.stats.estimates import Estimate, IndexSpec, estimate_domains, table_from_rows
from app.stats.intervals import Method


@dataclass(frozen=True)
class StatsRequest:
    measures: Measures
    weight: str | None = None
    strata: str | None = None
    psu: str | None = None
    fpc: str | None = None
    by: tuple[str, ...] = ()
    method: Method = "beta"
    level: float = 0.95
    target: float | None = None  # a proportion


@dataclass(frozen=True)
class DomainResult:
    keys: tuple[str, ...]  # one value per --by column
    estimates: list[Estimate]


def adhoc_measures(items: Sequence[str], satisfied: Sequence[int]) -> Measures:
    """``--item`` columns: each a scale of whatever levels the file holds; several items also give their mean."""
    indices = [IndexSpec("index", "index", tuple(items))] if len(items) > 1 else []
    return Measures(list(items), {}, {code: frozenset(satisfied) for code in items}, indices)


def read_columns(path: Path) -> tuple[list[str], dict[str, list[str]], NDArray[np.intp]]:
    """Header, columns and the file line of every data row of a UTF-8 CSV file (a BOM is allowed; blank lines are
    skipped)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise Invalid(f"{path}: no such file") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise Invalid(f"{path}:{line}: not UTF-8 text (save the file as CSV UTF-8)") from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header or not any(name.strip() for name in header):
        raise Invalid(f"{path}: the file is empty (expected a header line with column names)")
    header = [name.strip() for name in header]
    width = len(header)
    rows: list[list[str]] = []
    lines: list[int] = []
    for row in reader:
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) != width:
            raise Invalid(f"{path}:{reader.line_num}: {len(row)} fields where the header has {width}")
        rows.append(row)
        lines.append(reader.line_num)
    if not rows:
        raise Invalid(f"{path}: no data lines after the header")
    columns = {name: list(values) for name, values in zip(header, zip(*rows, strict=True), strict=True)}
    return header, columns, np.asarray(lines, dtype=np.intp)


def _require(path: Path, header: list[str], name: str, option: str) -> None:
    if name not in header:
        raise Invalid(f"{path}:1: no column {name!r} (given by {option}); the header has: {', '.join(header)}")


MISSING = ("", "NA", "na", "NaN")


def _numbers(path: Path, lines: NDArray[np.intp], name: str, values: list[str], *, what: str) -> NDArray[np.float64]:
    """A numeric column; empty cells (and R's NA) are NaN."""
    stripped = np.char.strip(np.asarray(values, dtype=str))
    cleaned = np.where(np.isin(stripped, MISSING), "nan", stripped)
    try:
        return cleaned.astype(np.float64)
    except ValueError:
        for index, cell in enumerate(cleaned):
            try:
                float(cell)
            except ValueError:
                raise Invalid(
                    f"{path}:{lines[index]}: column {name!r}: {str(cell)!r} is not a number ({what})"
                ) from None
        raise


def analyse(path: Path, request: StatsRequest) -> list[DomainResult]:
    header, columns, lines = read_columns(path)
    rows = lines.size
    measures = request.measures
    for option, name in (("--weight", request.weight), ("--strata", request.strata), ("--psu", request.psu),
                         ("--fpc", request.fpc)):  # fmt: skip
        if name:
            _require(path, header, name, option)
    for name in request.by:
        _require(path, header, name, "--by")
    if not measures.levels:  # --item columns: each one is required
        for code in measures.items:
            _require(path, header, code, "--item")
    items = [code for code in measures.items if code in header]
    if not items:
        raise Invalid(f"{path}:1: none of the item columns is in the file (expected: {', '.join(measures.items)})")
    weights = np.ones(rows)
    if request.weight:
        weights = _numbers(path, lines, request.weight, columns[request.weight], what="a weight")
        bad = np.flatnonzero(~np.isfinite(weights) | (weights < 0))
        if bad.size:
            cell = columns[request.weight][bad[0]]
            raise Invalid(f"{path}:{lines[bad[0]]}: column {request.weight!r}: weight {cell!r} must be a number ≥ 0")
    fpc = None
    if request.fpc:
        fpc = _numbers(path, lines, request.fpc, columns[request.fpc], what="a population size or sampling fraction")
        bad = np.flatnonzero(~np.isfinite(fpc) | (fpc <= 0))
        if bad.size:
            raise Invalid(f"{path}:{lines[bad[0]]}: column {request.fpc!r}: {columns[request.fpc][bad[0]]!r} must be "
                          "a positive number")  # fmt: skip
    answered = np.zeros((rows, len(items)), dtype=bool)
    satisfied = np.zeros((rows, len(items)), dtype=bool)
    for k, code in enumerate(items):
        values = _numbers(path, lines, code, columns[code], what="an answer level")
        answered[:, k] = ~np.isnan(values)
        allowed = measures.levels.get(code)
        if allowed:
            outside = np.flatnonzero(answered[:, k] & ~np.isin(values, allowed))
            if outside.size:
                raise Invalid(f"{path}:{lines[outside[0]]}: column {code!r}: {columns[code][outside[0]].strip()!r} is "
                              f"not a level of the scale ({', '.join(map(str, allowed))})")  # fmt: skip
        satisfied[:, k] = answered[:, k] & np.isin(values, sorted(measures.satisfied[code]))
    if request.by:
        labels = np.array(["\x1f".join(parts) for parts in zip(*(columns[name] for name in request.by), strict=True)])
        groups, domain = np.unique(labels, return_inverse=True)
        keys = [tuple(str(group).split("\x1f")) for group in groups]
    else:
        domain, keys = np.zeros(rows, dtype=np.intp), [()]
    try:
        design = make_design(
            weights, strata=np.asarray(columns[request.strata]) if request.strata else None,
            clusters=np.asarray(columns[request.psu]) if request.psu else None, fpc=fpc,
        )  # fmt: skip
        table, strata = table_from_rows(design, domain, answered, satisfied)
        results = estimate_domains(table, strata, items, measures.indices, domains=len(keys),
                                   level=request.level, method=request.method, target=request.target)  # fmt: skip
    except DesignError as exc:
        raise Invalid(f"{path}: {exc}") from exc
    return [DomainResult(key, estimates) for key, estimates in zip(keys, results, strict=True) if estimates]
