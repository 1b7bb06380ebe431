"""``sipas stats``: official SIPAS figures from a survey file (paper, phone, household survey), no database.

The file is read column-wise into numpy arrays, reduced to per-(domain, PSU) sums (:func:`table_from_rows`) and
handed to the same :func:`estimate_domains` the database path uses, so a file and the same file imported give the
same numbers. Errors name the line (the header is line 1) and the column.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from app.errors import Invalid
from app.forms.indices import Measures
from app.reports.csvread import read_columns
from app.stats.design import Design, DesignError, LonelyPsu, make_design
from app.stats.estimates import Estimate, IndexSpec, estimate_domains
from app.stats.intervals import Method
from app.stats.tables import table_from_rows


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


def _require(path: Path, header: list[str], name: str, option: str) -> None:
    if name not in header:
        raise Invalid(f"{path}:1: no column {name!r} (given by {option}); the header has: {', '.join(header)}")


Label = TypeVar("Label", str, tuple[str, ...])
MISSING = ("", "NA", "na", "NaN")


def _numbers(path: Path, lines: NDArray[np.intp], name: str, values: list[str], *, what: str) -> NDArray[np.float64]:
    """A numeric column; empty cells (and R's NA) are NaN. A column of one-digit cells (answer levels) is read as
    bytes; otherwise each distinct cell is converted once, then looked up row by row."""
    digits = "".join(values)
    if len(digits) == len(values) and digits.isascii() and digits.isdigit():
        return (np.frombuffer(digits.encode("ascii"), dtype=np.uint8) - ord("0")).astype(np.float64)
    parsed: dict[str, float] = {}
    for cell in dict.fromkeys(values):  # in the order of first appearance, so the first bad cell is the first row
        text = cell.strip()
        if text in MISSING:
            parsed[cell] = math.nan
            continue
        try:
            parsed[cell] = float(text)
        except ValueError:
            raise Invalid(
                f"{path}:{lines[values.index(cell)]}: column {name!r}: {text!r} is not a number ({what})"
            ) from None
    return np.fromiter(map(parsed.__getitem__, values), dtype=np.float64, count=len(values))


def _codes(values: Sequence[Label], label: Callable[[Label], str]) -> tuple[list[Label], NDArray[np.intp]]:
    """The distinct values in the order of their ``label`` and every row's index among them: what ``np.unique(...,
    return_inverse=True)`` gives on the labels, without building a unicode array."""
    index = dict.fromkeys(values, 0)
    distinct = sorted(index, key=label)
    index.update(zip(distinct, range(len(distinct)), strict=True))
    return distinct, np.fromiter(map(index.__getitem__, values), dtype=np.intp, count=len(values))


def analyse(path: Path, request: StatsRequest) -> list[DomainResult]:
    header, columns, lines = read_columns(path)
    rows = lines.size
    measures = request.measures
    given = {"--weight": request.weight, "--strata": request.strata, "--psu": request.psu, "--fpc": request.fpc}
    for option, name in given.items():
        if name:
            _require(path, header, name, option)
    for name in request.by:
        _require(path, header, name, "--by")
    if request.require_items:
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
            cell = columns[request.fpc][bad[0]]
            raise Invalid(f"{path}:{lines[bad[0]]}: column {request.fpc!r}: {cell!r} must be a positive number")
    answered = np.zeros((rows, len(items)), dtype=bool)
    satisfied = np.zeros((rows, len(items)), dtype=bool)
    for k, code in enumerate(items):
        values = _numbers(path, lines, code, columns[code], what="an answer level")
        answered[:, k] = ~np.isnan(values)
        allowed = measures.levels[code]
        outside = np.flatnonzero(answered[:, k] & ~np.isin(values, allowed))  # 7 on 1-5, and 4.5 on any scale
        if outside.size:
            hint = " (the default scale of --item; --levels gives another)" if request.default_levels else ""
            raise Invalid(
                f"{path}:{lines[outside[0]]}: column {code!r}: {columns[code][outside[0]].strip()!r} is not a level "
                f"of the scale ({', '.join(map(str, allowed))}){hint}"
            )
        satisfied[:, k] = answered[:, k] & np.isin(values, sorted(measures.satisfied[code]))
    keys: list[tuple[str, ...]] = [()]
    domain = np.zeros(rows, dtype=np.intp)
    if len(request.by) == 1:
        groups, domain = _codes(columns[request.by[0]], str)
        keys = [(group,) for group in groups]
    elif request.by:  # domains in the order of their values joined by a unit separator
        tuples = list(zip(*(columns[name] for name in request.by), strict=True))
        keys, domain = _codes(tuples, "\x1f".join)
    strata = _codes(columns[request.strata], str) if request.strata else None
    try:
        # Integer codes in the labels' sorted order: make_design numbers them exactly as it numbers the labels.
        design = make_design(
            weights,
            strata=None if strata is None else strata[1],
            clusters=_codes(columns[request.psu], str)[1] if request.psu else None,
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
        lonely = _lonely(path, lines, design, request, None if strata is None else strata[0])
        raise (lonely or Invalid(f"{path}: {exc}")) from exc
    return [DomainResult(key, estimates) for key, estimates in zip(keys, results, strict=True) if estimates]


def _lonely(
    path: Path, lines: NDArray[np.intp], design: Design, request: StatsRequest, labels: list[str] | None
) -> Invalid | None:
    """The single-PSU refusal in the command's words: the first such stratum, its first line, and the option."""
    single = np.flatnonzero(design.psus_per_stratum == 1)
    if request.lonely_psu != "fail" or not single.size:
        return None
    line = lines[np.flatnonzero(design.strata == single[0])[0]]
    option = (
        "choose how to treat it with --lonely-psu remove|certainty|adjust (the default, fail, refuses it as R does)"
    )
    if labels is None:
        return Invalid(f"{path}: the sample has a single PSU, so its variance cannot be estimated; {option}")
    others = f" (and {single.size - 1} more)" if single.size > 1 else ""
    return Invalid(
        f"{path}:{line}: stratum {labels[single[0]]!r} (column {request.strata!r}) has a single PSU{others}; {option}"
    )
