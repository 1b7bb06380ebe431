"""``sipas stats``: official SIPAS figures from a survey file (paper, phone, household survey), no database.

The file (CSV or Parquet, :mod:`app.reports.columnar`) is read column-wise into numpy arrays, reduced to
per-(domain, PSU) sums (:func:`table_from_rows`) and handed to the same :func:`estimate_domains` the database path
uses, so a file and the same file imported give the same numbers. Errors name the line (the header is line 1; a
Parquet file's row) and the column.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from app.errors import Invalid
from app.forms.indices import Measures
from app.stats.design import Design, DesignError, LonelyPsu, make_design
from app.stats.estimates import Estimate, IndexSpec, estimate_domains
from app.stats.intervals import Method
from app.stats.tables import table_from_rows

if TYPE_CHECKING:
    from app.reports.columnar import SurveyColumns, SurveySource


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
    lonely_psu: LonelyPsu = "fail"  # a stratum with a single PSU, as R's options(survey.lonely.psu=...)
    require_items: bool = False  # --item: every item column must be in the file (a form's items may be absent)
    default_levels: bool = False  # the scale is --item's default 1-5, not one the user gave with --levels


@dataclass(frozen=True)
class DomainResult:
    keys: tuple[str, ...]  # one value per --by column
    estimates: list[Estimate]


DEFAULT_LEVELS = (1, 2, 3, 4, 5)  # --item's scale unless --levels gives it
DEFAULT_SATISFIED = (4, 5)


def adhoc_measures(
    items: Sequence[str], satisfied: Sequence[int] = DEFAULT_SATISFIED, levels: Sequence[int] = DEFAULT_LEVELS
) -> Measures:
    """``--item`` columns: each on the scale ``levels``; several items also give their mean (``index``)."""
    indices = [IndexSpec("index", "index", tuple(items))] if len(items) > 1 else []
    return Measures(
        list(items), dict.fromkeys(items, tuple(levels)), {code: frozenset(satisfied) for code in items}, indices
    )


def _require(source: SurveySource, name: str, option: str) -> None:
    if name not in source.header:
        raise Invalid(
            f"{source.header_where}: no column {name!r} (given by {option}); the header has: {', '.join(source.header)}"
        )


def analyse(path: Path, request: StatsRequest) -> list[DomainResult]:
    from app.reports.columnar import open_survey  # pyarrow: only when a file is read, not for `sipas --help`

    source = open_survey(path)
    measures = request.measures
    given = {"--weight": request.weight, "--strata": request.strata, "--psu": request.psu, "--fpc": request.fpc}
    for option, name in given.items():
        if name:
            _require(source, name, option)
    for name in request.by:
        _require(source, name, "--by")
    if request.require_items:
        for code in measures.items:
            _require(source, code, "--item")
    items = [code for code in measures.items if code in source.header]
    if not items:
        raise Invalid(
            f"{source.header_where}: none of the item columns is in the file (expected: {', '.join(measures.items)})"
        )
    numbers = [name for name in (request.weight, request.fpc, *items) if name]
    labels = [name for name in (*request.by, request.strata, request.psu) if name]
    columns = source.read(numbers=numbers, labels=labels)
    rows = columns.rows
    weights = np.ones(rows)
    if request.weight:
        weights = columns.numbers(request.weight, what="a weight")
        bad = np.flatnonzero(~np.isfinite(weights) | (weights < 0))
        if bad.size:
            cell = columns.cell(request.weight, int(bad[0]))
            raise Invalid(
                f"{columns.where(int(bad[0]))}: column {request.weight!r}: weight {cell!r} must be a number ≥ 0"
            )
    fpc = None
    if request.fpc:
        fpc = columns.numbers(request.fpc, what="a population size or sampling fraction")
        bad = np.flatnonzero(~np.isfinite(fpc) | (fpc <= 0))
        if bad.size:
            cell = columns.cell(request.fpc, int(bad[0]))
            raise Invalid(f"{columns.where(int(bad[0]))}: column {request.fpc!r}: {cell!r} must be a positive number")
    answered = np.zeros((rows, len(items)), dtype=bool)
    satisfied = np.zeros((rows, len(items)), dtype=bool)
    for k, code in enumerate(items):
        values = columns.numbers(code, what="an answer level")
        answered[:, k] = ~np.isnan(values)
        allowed = measures.levels[code]
        outside = np.flatnonzero(answered[:, k] & ~np.isin(values, allowed))  # 7 on 1-5, and 4.5 on any scale
        if outside.size:
            hint = " (the default scale of --item; --levels gives another)" if request.default_levels else ""
            first = int(outside[0])
            raise Invalid(
                f"{columns.where(first)}: column {code!r}: {columns.cell(code, first).strip()!r} is not a level "
                f"of the scale ({', '.join(map(str, allowed))}){hint}"
            )
        satisfied[:, k] = answered[:, k] & np.isin(values, sorted(measures.satisfied[code]))
    keys: list[tuple[str, ...]] = [()]
    domain = np.zeros(rows, dtype=np.intp)
    if request.by:  # domains in the order of their values (several: joined by a unit separator)
        keys, domain = columns.domains(request.by)
    strata = columns.codes(request.strata) if request.strata else None
    try:
        # Integer codes in the labels' sorted order: make_design numbers them exactly as it numbers the labels.
        design = make_design(
            weights,
            strata=None if strata is None else strata[1],
            clusters=columns.codes(request.psu)[1] if request.psu else None,
            fpc=fpc,
            lonely_psu=request.lonely_psu,
        )
    except DesignError as exc:
        raise Invalid(f"{path}: {exc}") from exc
    try:
        table, info = table_from_rows(design, domain, answered, satisfied)
        results = estimate_domains(
            table,
            info,
            items,
            measures.indices,
            domains=len(keys),
            level=request.level,
            method=request.method,
            target=request.target,
        )
    except DesignError as exc:
        lonely = _lonely(columns, design, request, None if strata is None else strata[0])
        raise (lonely or Invalid(f"{path}: {exc}")) from exc
    return [DomainResult(key, estimates) for key, estimates in zip(keys, results, strict=True) if estimates]


def _lonely(columns: SurveyColumns, design: Design, request: StatsRequest, labels: list[str] | None) -> Invalid | None:
    """The single-PSU refusal in the command's words: the first such stratum, its first line, and the option."""
    single = np.flatnonzero(design.psus_per_stratum == 1)
    if request.lonely_psu != "fail" or not single.size:
        return None
    option = (
        "choose how to treat it with --lonely-psu remove|certainty|adjust (the default, fail, refuses it as R does)"
    )
    if labels is None:
        path = columns.source.path
        return Invalid(f"{path}: the sample has a single PSU, so its variance cannot be estimated; {option}")
    others = f" (and {single.size - 1} more)" if single.size > 1 else ""
    where = columns.where(int(np.flatnonzero(design.strata == single[0])[0]))
    return Invalid(
        f"{where}: stratum {labels[single[0]]!r} (column {request.strata!r}) has a single PSU{others}; {option}"
    )
