"""Survey weights for self-selected counter feedback: post-stratification, raking, trimming, and their cost.

A response at a counter represents the dossiers its agency handled: in a cell (agency, month) the weight is
N_c / n_c, the dossiers handled over the responses received (``docs/sipas-method.md`` §4). Where only margins are
known (procedure field, level), :func:`rake` fits the weights to them. Unequal weights cost precision: Kish's
effective sample size n_eff = (Σw)²/Σw² (:func:`kish_effective_n`, :func:`weighting_effect`) is what an official
should see beside every weighted rate.

Reference: R package ``survey`` (``postStratify``, ``rake``, ``trimWeights``); Kish L. (1965) *Survey Sampling*,
§11.7. Pure numpy.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

Redistribution = Literal["equal", "proportional"]


@dataclass(frozen=True)
class RakeResult:
    weights: NDArray[np.float64]
    iterations: int  # full sweeps over the margins (0 when the base weights already fit them)
    converged: bool


@dataclass(frozen=True)
class WeightingEffect:
    """What weighting costs: ``n`` responses count as ``n_eff`` unweighted ones (rows of weight 0 left out)."""

    n: int
    n_eff: float  # Kish: (Σw)²/Σw²
    deff_w: float  # n / n_eff = 1 + CV² of the weights
    cv: float  # coefficient of variation of the weights (population form, Σ(w − w̄)²/n)
    min: float
    max: float
    ratio: float  # max / min


def poststratification_weights(
    cells: ArrayLike | Iterable[Hashable],
    population: Mapping[Any, float],
    base: ArrayLike | None = None,
    *,
    partial: bool = False,
) -> NDArray[np.float64]:
    """Weights whose sum in each cell is its population count: ``population[cell] · base / Σ_cell base``.

    ``cells`` holds one label per row (a string, a number or a tuple such as ``(agency, month)``); ``base``
    defaults to 1, which gives the dossiers-over-responses weight N_c/n_c. A cell with responses but no count is
    an error, and so, as in R's ``postStratify``, is a cell with a count but no responses, unless ``partial``:
    then such cells are dropped (their dossiers are represented by nobody, and the weights add up to less than
    the population)."""
    keys, codes = _group(cells, "cells")
    w = _base(base, codes.size)
    for key, count in population.items():
        _count(count, key)
    responses = np.bincount(codes, minlength=len(keys))
    missing = [f"{_name(key)} ({responses[i]} responses)" for i, key in enumerate(keys) if key not in population]
    if missing:
        raise ValueError(f"{_cells(missing)} responses but no population count: {_list(missing)}")
    present = set(keys)
    empty = [_name(key) for key, count in population.items() if count > 0 and key not in present]
    if empty and not partial:
        raise ValueError(
            f"{_cells(empty)} a population count but no responses: {_list(empty)} "
            "(pass partial=True to drop empty cells)"
        )
    targets = np.array([_count(population[key], key) for key in keys], dtype=np.float64)
    bad = [f"{_name(keys[i])} ({targets[i]:g})" for i in np.flatnonzero(targets <= 0)]
    if bad:
        raise ValueError(f"{_cells(bad)} responses but a population count of 0: {_list(bad)}")
    sums = np.bincount(codes, weights=w, minlength=len(keys))
    zero = [_name(keys[i]) for i in np.flatnonzero(sums <= 0)]
    if zero:
        raise ValueError(f"{_cells(zero)} responses whose base weights are all 0: {_list(zero)}")
    return np.asarray(w * (targets / sums)[codes], dtype=np.float64)


def rake(
    base: ArrayLike,
    margins: Sequence[tuple[ArrayLike | Iterable[Hashable], Mapping[Any, float]]],
    max_iter: int = 50,
    tol: float = 1e-10,
) -> RakeResult:
    """Iterative proportional fitting (R's ``survey::rake``): post-stratify to each margin in turn until every
    margin's weighted totals are within a relative ``tol`` of its known totals.

    Each margin is ``(labels, totals)``: one category label per row and the population total of each category
    (e.g. dossiers per procedure field). All margins must describe the same population (grand totals within a
    relative 1e-6), every category must have rows and every row's category a total. ``converged`` is False when
    ``max_iter`` sweeps did not get there (cells empty in the sample can make the margins unreachable).

    R stops on another test: ``control = list(maxit = 10, epsilon = 1)`` by default, and no cell of the table of
    all margin variables moving by more than ``epsilon`` (× Σ weights when ``epsilon`` < 1) between sweeps. Both
    approach the same weights: on 525 responses raked to agency × month cells and to fields (or agency × field),
    R with ``maxit = 1000, epsilon = 1e-13`` and this function agree to 5e-11 with the default ``tol`` and to 7e-14
    with ``tol=1e-13`` (``tests/stats/oracle/expected/rake_weights.csv``)."""
    w = _base(base, None)
    if not margins:
        raise ValueError("rake needs at least one margin")
    if max_iter < 1:
        raise ValueError("max_iter must be at least 1")
    fitted: list[tuple[NDArray[np.intp], NDArray[np.float64]]] = []
    grand: float | None = None
    for number, (labels, totals) in enumerate(margins, start=1):
        keys, codes = _group(labels, f"margin {number}")
        if codes.size != w.size:
            raise ValueError(f"margin {number} has {codes.size} labels for {w.size} rows")
        missing = [_name(key) for key in keys if key not in totals]
        if missing:
            raise ValueError(f"margin {number}: {_categories(missing)} rows but no population total: {_list(missing)}")
        present = set(keys)
        empty = [_name(key) for key, total in totals.items() if total > 0 and key not in present]
        if empty:
            raise ValueError(f"margin {number}: {_categories(empty)} a population total but no rows: {_list(empty)}")
        target = np.array([_count(totals[key], key) for key in keys], dtype=np.float64)
        margin_total = float(sum(_count(total, key) for key, total in totals.items()))
        if grand is None:
            grand = margin_total
        elif abs(margin_total - grand) > 1e-6 * max(abs(grand), abs(margin_total)):
            raise ValueError(
                f"margin {number} totals {margin_total:,.6g} but margin 1 totals {grand:,.6g}: "
                "every margin must add up to the same population"
            )
        zero = [_name(keys[i]) for i in np.flatnonzero(np.bincount(codes, weights=w, minlength=len(keys)) <= 0)]
        if zero:
            raise ValueError(f"margin {number}: {_categories(zero)} rows whose base weights are all 0: {_list(zero)}")
        fitted.append((codes, target))

    def fits(weights: NDArray[np.float64]) -> bool:
        for codes, target in fitted:
            sums = np.bincount(codes, weights=weights, minlength=target.size)
            if np.any(np.abs(sums - target) > tol * np.maximum(np.abs(target), 1e-300)):
                return False
        return True

    if fits(w):
        return RakeResult(w.copy(), 0, True)
    for sweep in range(1, max_iter + 1):
        for codes, target in fitted:
            sums = np.bincount(codes, weights=w, minlength=target.size)
            factors = np.divide(target, sums, out=np.zeros_like(target), where=sums > 0)
            w = w * factors[codes]
        if fits(w):
            return RakeResult(w, sweep, True)
    return RakeResult(w, max_iter, False)


def trim(
    weights: ArrayLike,
    lower: float | None = None,
    upper: float | None = None,
    max_iter: int = 10_000,
    *,
    redistribute: Redistribution = "equal",
) -> NDArray[np.float64]:
    """Cap the weights to [``lower``, ``upper``] and share what was cut over the other weights, so the total stays.

    ``redistribute="equal"`` is R's ``weights(trimWeights(design, lower=, upper=, strict=TRUE))`` (survey 4.1),
    round for round: every round tests *all* weights, caps those outside the bounds, and adds the same amount,
    Σ(w − capped) / (number not outside), to every weight that was not outside this round. A weight capped in an
    earlier round sits on its bound, is not outside, and so takes its share like any other: it is capped again
    next round if the share pushed it out, and stays off the bound if the share moved it inwards (a weight raised
    to ``lower`` drifts up with the shares of what ``upper`` cuts). Rounds repeat until no weight is outside,
    as ``strict=TRUE`` repeats ``trimWeights``. When every weight is outside there is nobody to share with, and,
    as in R, the capped weights are returned with a smaller or larger total. Where R would recurse for ever
    because the last shares round up by an ulp on a bound (R fails with "C stack usage is too close to the
    limit"), the rounds stop when the cut no longer shrinks, a few ulps from the limit of R's rounds.

    ``"proportional"`` is not R: a weight once capped is fixed, and what was cut scales the still free weights,
    keeping their ratios, until none is outside. Either way at most ``max_iter`` rounds are made."""
    w = _base(weights, None)
    low = -np.inf if lower is None else float(lower)
    high = np.inf if upper is None else float(upper)
    if np.isnan(low) or np.isnan(high) or low > high:
        raise ValueError(f"trim bounds must satisfy lower ≤ upper (got lower={lower}, upper={upper})")
    if redistribute not in ("equal", "proportional"):
        raise ValueError(f"redistribute must be 'equal' or 'proportional', not {redistribute!r}")
    total = float(w.sum())
    if w.size and not (low * w.size <= total * (1 + 1e-12) and total <= high * w.size * (1 + 1e-12)):
        raise ValueError(
            f"cannot trim {w.size} weights totalling {total:,.6g} to [{low:g}, {high:g}]: "
            f"the total needs bounds with lower ≤ {total / w.size:,.6g} ≤ upper"
        )
    trimmed = _trim_like_r(w, low, high, max_iter) if redistribute == "equal" else _trim_fixed(w, low, high, max_iter)
    if trimmed is None:
        raise ValueError(f"weights still outside [{low:g}, {high:g}] after {max_iter} rounds; raise max_iter")
    return trimmed


def _trim_like_r(w: NDArray[np.float64], low: float, high: float, max_iter: int) -> NDArray[np.float64] | None:
    """survey:::trimWeights.survey.design2 with strict = TRUE, its recursion written as a loop.

    In exact arithmetic the cut shrinks every round (what is cut next was added this round, to fewer weights than
    got it), so a round whose cut is not smaller than the last one's is rounding on the bounds: R would go on
    cutting and sharing those ulps, maybe for ever; here the rounds stop, with the weights capped."""
    last_cut = math.inf
    for _ in range(max_iter):
        outside = (w < low) | (w > high)
        if not outside.any():
            return w
        capped = np.clip(w, low, high)
        cut = math.fsum((w - capped).tolist())  # R's sum() adds in long double
        w = capped
        inside = ~outside
        count = int(np.count_nonzero(inside))
        if count == 0 or abs(cut) >= last_cut:
            return w  # count 0: R adds sum(trimmings) / 0 to no weight
        last_cut = abs(cut)
        w[inside] += cut / count
    return None if np.any((w < low) | (w > high)) else w


def _trim_fixed(w: NDArray[np.float64], low: float, high: float, max_iter: int) -> NDArray[np.float64] | None:
    """Capped weights stay fixed; the cut is shared over the free weights in proportion to them (not R)."""
    fixed = np.zeros(w.size, dtype=bool)
    for _ in range(max_iter):
        outside = ~fixed & ((w < low) | (w > high))
        if not outside.any():
            return w
        fixed |= outside
        capped = np.clip(w, low, high)
        excess = float(np.sum(w - capped))
        w = capped
        free = ~fixed
        if not free.any():
            return w
        share = float(w[free].sum())
        if share <= 0:
            w[free] += excess / np.count_nonzero(free)
        else:
            w[free] *= (share + excess) / share
    return None if np.any(~fixed & ((w < low) | (w > high))) else w


def kish_effective_n(weights: ArrayLike) -> float:
    """Kish's effective sample size (Σw)²/Σw²: the unweighted sample size with the same precision for a mean."""
    w = _base(weights, None)
    squares = float(np.dot(w, w))
    if squares <= 0:
        raise ValueError("the weights are all 0")
    return float(w.sum()) ** 2 / squares


def weighting_effect(weights: ArrayLike) -> WeightingEffect:
    """The effect of the weights on n_eff, as officials see it: n, n_eff, deff_w = n/n_eff = 1 + CV², and the
    spread of the weights. Rows with weight 0 (outside a domain) are left out."""
    w = _base(weights, None)
    w = w[w > 0]
    if w.size == 0:
        raise ValueError("the weights are all 0")
    n_eff = kish_effective_n(w)
    mean = float(w.mean())
    cv = float(np.sqrt(np.mean((w - mean) ** 2))) / mean
    low, high = float(w.min()), float(w.max())
    return WeightingEffect(
        n=int(w.size), n_eff=n_eff, deff_w=w.size / n_eff, cv=cv, min=low, max=high, ratio=high / low
    )


def _base(values: ArrayLike | None, n: int | None) -> NDArray[np.float64]:
    if values is None:
        return np.ones(n or 0, dtype=np.float64)
    w = np.array(values, dtype=np.float64, copy=True).reshape(-1)
    if n is not None and w.size != n:
        raise ValueError(f"base has {w.size} weights for {n} rows")
    if np.any(~np.isfinite(w)) or np.any(w < 0):
        raise ValueError("weights must be finite and non-negative")
    return w


def _group(labels: ArrayLike | Iterable[Hashable], name: str) -> tuple[list[Any], NDArray[np.intp]]:
    """Distinct labels (as plain Python values, tuples for composite cells) and each row's index among them."""
    if isinstance(labels, np.ndarray) and labels.ndim == 1 and labels.dtype.kind in "biufUS":
        unique, codes = np.unique(labels, return_inverse=True)
        return [key.item() for key in unique], codes.astype(np.intp).reshape(-1)
    index: dict[Any, int] = {}
    codes_list: list[int] = []
    items = labels.tolist() if isinstance(labels, np.ndarray) else labels
    if not isinstance(items, Iterable) or isinstance(items, str | bytes):
        raise ValueError(f"{name} needs one label per row")
    for label in items:
        key = tuple(label) if isinstance(label, list | np.ndarray) else label
        codes_list.append(index.setdefault(key, len(index)))
    return list(index), np.array(codes_list, dtype=np.intp)


def _count(value: float, key: Any) -> float:
    number = float(value)
    if not np.isfinite(number) or number < 0:
        raise ValueError(f"the population count of {_name(key)} must be a finite number ≥ 0, not {value!r}")
    return number


def _name(key: Any) -> str:
    if isinstance(key, tuple):
        return "(" + ", ".join(str(part) for part in key) + ")"
    return str(key)


def _list(names: list[str], limit: int = 5) -> str:
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def _cells(names: list[str]) -> str:
    return "cell has" if len(names) == 1 else f"{len(names)} cells have"


def _categories(names: list[str]) -> str:
    return "category has" if len(names) == 1 else f"{len(names)} categories have"


def rake_to_counts(
    base: ArrayLike,
    totals_of: ArrayLike,
    totals: ArrayLike,
    shares_of: ArrayLike,
    shares: ArrayLike,
    share_group: ArrayLike,
    *,
    max_iter: int = 1000,
    tol: float = 1e-12,
) -> NDArray[np.float64]:
    """Raking of cells to two kinds of known counts: every cell belongs to one category of ``totals`` (e.g. the
    dossiers an agency handled in a month or quarter), and may belong to one category of ``shares`` (e.g. the
    dossiers of a procedure field in a year; −1: the cell's field is not stated or not counted).

    Categories of ``shares`` fall in groups (``share_group``: an agency's field counts for one period). Within a
    group, the counts fix the *mix*: each category gets the group's current weighted total times its share of the
    group's counts, so cells outside the shares (no field stated) keep their weight and the group's total is
    whatever the totals make it. When the field counts add up to the period totals and every cell has a counted
    field, this is plain raking to both margins (R's ``rake``, :func:`rake`), which it then equals.

    ``base`` is each cell's base weight (its number of responses for N/n weights); the result is the cell's raked
    total weight. Iterates until the totals are met within a relative ``tol`` after a sweep."""
    w = _base(base, None)
    first = np.asarray(totals_of, dtype=np.intp)
    target = np.asarray(totals, dtype=np.float64)
    second = np.asarray(shares_of, dtype=np.intp)
    counts = np.asarray(shares, dtype=np.float64)
    group = np.asarray(share_group, dtype=np.intp)
    if first.shape != w.shape or second.shape != w.shape:
        raise ValueError("every cell needs a totals category and a shares category (−1: none)")
    if np.any(first < 0) or (first.size and first.max() >= target.size):
        raise ValueError("every cell needs one of the totals' categories")
    inside = second >= 0
    group_counts = np.bincount(group, weights=counts, minlength=int(group.max(initial=-1)) + 1)
    for _ in range(max_iter):
        sums = np.bincount(first, weights=w, minlength=target.size)
        w = w * np.divide(target, sums, out=np.ones_like(target), where=sums > 0)[first]
        if inside.any():
            category = np.bincount(second[inside], weights=w[inside], minlength=counts.size)
            current = np.bincount(group, weights=category, minlength=group_counts.size)
            wanted = (
                counts * np.divide(current, group_counts, out=np.zeros_like(current), where=group_counts > 0)[group]
            )
            factor = np.divide(wanted, category, out=np.ones_like(wanted), where=category > 0)
            w = np.where(inside, w * factor[np.where(inside, second, 0)], w)
        sums = np.bincount(first, weights=w, minlength=target.size)
        if np.all(np.abs(sums - target) <= tol * np.maximum(np.abs(target), 1e-300)):
            break
    return w
