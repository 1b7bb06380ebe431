"""Comparisons of two domains (two agencies, two periods) and the families of them that one answer makes.

:func:`compare` gives A − B for every metric, with the covariance of the PSUs the two domains share. A trend
(:func:`series_changes`) compares each period with the one before, a ranking each agency with the next; both compare
only estimates that pass the reliability rule (``app.stats.reliability``) and adjust the p-values of the family
together (Benjamini–Hochberg, ``app.stats.multiplicity``) before calling anything significant.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import special

from app.stats.estimates import Estimate, IndexSpec, Influence, influence, stratified_variance
from app.stats.multiplicity import benjamini_hochberg
from app.stats.tables import PsuTable, StrataInfo


@dataclass(frozen=True)
class Difference:
    """Estimate of domain A minus domain B for one metric, with a t interval on the design's df."""

    metric: str
    estimate: float
    se: float
    low: float
    high: float
    df: int
    p_value: float | None  # two-sided, H0: no difference
    level: float
    p_adjusted: float | None = None  # Benjamini–Hochberg over the comparisons of one answer (None: not adjusted)
    variance_fallback: bool = False  # the linearised variance was zero by chance: the SRS one from each side's n_eff

    @property
    def significant(self) -> bool:
        """Distinguishable at this level: the adjusted p-value is at most 1 − level when the comparison is one of a
        family; a lone comparison, when its interval excludes 0."""
        if self.p_adjusted is not None:
            return self.p_adjusted <= 1 - self.level
        return self.low > 0 or self.high < 0


def adjust(differences: Sequence[Difference | None]) -> list[Difference | None]:
    """The comparisons of one answer with their Benjamini–Hochberg p-values (app.stats.multiplicity)."""
    adjusted = benjamini_hochberg([d.p_value if d is not None else None for d in differences])
    out: list[Difference | None] = []
    for difference, p in zip(differences, adjusted, strict=True):
        if difference is None:
            out.append(None)
        else:
            out.append(replace(difference, p_adjusted=1.0 if p is None else p))
    return out


class Comparisons:
    """Differences A − B between domains of one table. Each domain's rows and influence are found once, however many
    comparisons it takes part in: a ranking compares each agency with its previous period and with its neighbour, a
    trend each period with the one before and the one after."""

    def __init__(
        self,
        table: PsuTable,
        strata: StrataInfo,
        items: Sequence[str],
        indices: Sequence[IndexSpec],
        *,
        level: float = 0.95,
    ) -> None:
        self.table, self.strata, self.items, self.indices, self.level = table, strata, items, indices, level
        self._influence: dict[int, Influence] = {}

    def _of(self, domain: int) -> Influence:
        found = self._influence.get(domain)
        if found is None:
            rows = np.flatnonzero(self.table.domain == domain)
            found = self._influence[domain] = influence(self.table, rows, self.items, self.indices)
        return found

    def between(self, a: int, b: int) -> list[Difference]:
        """Differences A − B for every metric both domains have. The variance is that of z_A − z_B summed per PSU,
        so PSUs and strata the two domains share count once, with their covariance (R: ``svyby(…, covmat = TRUE)``
        then ``svycontrast``)."""
        first, second = self._of(a), self._of(b)
        psu = np.concatenate([first.psu, second.psu])
        labels, position = np.unique(psu, return_inverse=True)
        stratum = np.zeros(labels.size, dtype=np.intp)
        stratum[position] = np.concatenate([first.stratum, second.stratum])
        z = np.zeros((labels.size, first.z.shape[1]))
        np.add.at(z, position, np.vstack([first.z, -second.z]))
        variances = stratified_variance(stratum, z, self.strata)
        df = labels.size - np.unique(stratum).size
        codes = [*self.items, *(spec.code for spec in self.indices)]
        out: list[Difference] = []
        for j, code in enumerate(codes):
            if not (first.present[j] and second.present[j]):
                continue
            difference = float(first.values[j] - second.values[j])
            se = math.sqrt(float(variances[j]))
            low, high, p_value = _t_test(difference, se, int(df), self.level)
            out.append(Difference(code, difference, se, low, high, int(df), p_value, self.level))
        return out


def compare(
    table: PsuTable,
    strata: StrataInfo,
    items: Sequence[str],
    indices: Sequence[IndexSpec],
    a: int,
    b: int,
    *,
    level: float = 0.95,
) -> list[Difference]:
    """Differences A − B (two agencies, or two periods of one agency) for every metric both domains have
    (:meth:`Comparisons.between`, for one comparison)."""
    return Comparisons(table, strata, items, indices, level=level).between(a, b)


def _t_test(difference: float, se: float, df: int, level: float) -> tuple[float, float, float | None]:
    if df <= 0:
        return -1.0, 1.0, None
    t = float(special.stdtrit(df, 1 - (1 - level) / 2))
    p_value = float(2 * special.stdtr(df, -abs(difference) / se)) if se > 0 else None
    return difference - t * se, difference + t * se, p_value


def honest(difference: Difference, first: Estimate, second: Estimate) -> Difference:
    """A difference whose linearised variance is zero although neither side is a census (every PSU of both sides
    happens to have the same rate, e.g. 100% in January and a third in every week of February) takes the variance
    of two independent simple random samples of each side's effective size, p(1 − p)/n_eff summed, as the
    estimates themselves do (``variance_fallback``)."""
    if difference.se > 0 or (first.census and second.census):
        return difference
    variance = sum(e.estimate * (1 - e.estimate) / e.n_eff for e in (first, second) if e.n_eff > 0)
    se = math.sqrt(variance)
    low, high, p_value = _t_test(difference.estimate, se, difference.df, difference.level)
    return replace(difference, se=se, low=low, high=high, p_value=p_value, variance_fallback=True)


@dataclass(frozen=True)
class Step:
    """One point of a series: its change from the previous point (None when either is unreliable, or first) and
    its alerts: ``significant_drop`` (the change is negative and significant after adjustment) and
    ``below_target`` (the verdict is ``not_met``)."""

    change: Difference | None
    alerts: tuple[str, ...]


def series_changes(
    table: PsuTable,
    strata: StrataInfo,
    items: Sequence[str],
    indices: Sequence[IndexSpec],
    points: Sequence[tuple[int, Estimate]],
    *,
    level: float = 0.95,
) -> list[Step]:
    """For a series of (domain, estimate of one metric) in time order: each point compared with the previous one
    when both are reliable, the family adjusted together, and the alerts."""
    if not points:
        return []
    comparisons = Comparisons(table, strata, items, indices, level=level)
    changes: list[Difference | None] = [None]
    for (before, previous), (domain, current) in itertools.pairwise(points):
        if previous.unreliable or current.unreliable:
            changes.append(None)
            continue
        found = comparisons.between(domain, before)
        change = next((d for d in found if d.metric == current.metric), None)
        changes.append(None if change is None else honest(change, current, previous))
    adjusted = adjust(changes)
    steps: list[Step] = []
    for (_domain, estimate), change in zip(points, adjusted, strict=True):
        alerts: list[str] = []
        if change is not None and change.estimate < 0 and change.significant:
            alerts.append("significant_drop")
        if estimate.verdict == "not_met":
            alerts.append("below_target")
        steps.append(Step(change, tuple(alerts)))
    return steps
