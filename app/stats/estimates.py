"""Item rates and SIPAS indices for many domains at once, from per-(domain, PSU) sums (``app/stats/tables.py``):
pure numpy/scipy.

Arithmetic (``docs/sipas-method.md`` §3): an item rate is the ratio R_k = Σw·satisfied / Σw·answered — a missing
answer is missing, not dissatisfied. An index (element, component, overall) is the plain mean of its members' rates;
members nobody in the domain answered are left out of that domain's mean. Variances are Taylor-linearised: the
influence of PSU p on R_k is z_pk = (Y_pk − R_k·X_pk)/X_k, an index's is the same mean of its members' z, and the
variance of a sum of z over PSUs is the stratified between-PSU variance with the finite-population correction — R's
``svyratio(…, covmat = TRUE)`` followed by ``svycontrast`` (checked against ``tests/stats/oracle``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from app.stats.design import snap
from app.stats.domains import all_domains, contrasts, stratified_variances
from app.stats.intervals import DEFAULT_METHOD, Method, interval, is_zero_variance
from app.stats.reliability import Verdict, flags_for, p_value_below_target, reliable, verdict_for
from app.stats.tables import PsuTable, StrataInfo


@dataclass(frozen=True)
class IndexSpec:
    """An index: the mean of its members, item codes or codes of indices listed before it."""

    code: str
    kind: str  # "element", "component", "overall", "index"
    members: tuple[str, ...]


DeffReference = Literal["srswor", "srswr"]


@dataclass(frozen=True)
class Estimate:
    """A rate with everything a report needs beside it. Rates are proportions (0–1)."""

    metric: str
    kind: str  # "item" or an IndexSpec kind
    estimate: float
    se: float
    low: float
    high: float
    n: int  # answers (items) or respondents who answered a member item (indices)
    n_eff: float  # σ²/var: p(1 − p)/var for an item, the per-respondent score's variance/var for an index
    deff: float  # var / the variance of a simple random sample of n (see deff_reference)
    df: int
    method: str
    level: float
    target: float | None = None
    verdict: Verdict | None = None
    p_value_below_target: float | None = None  # one-sided; see app.stats.reliability.p_value_below_target
    flags: tuple[str, ...] = field(default_factory=tuple)
    members: int = 1  # items (or indices) that entered the mean
    deff_reference: DeffReference = "srswor"  # without replacement from N = Σw; with replacement when Σw ≤ n
    census: bool = False  # every PSU of the domain's strata was sampled (a zero variance is then exact)

    @property
    def unreliable(self) -> bool:
        return not reliable(self.flags)


def judged(estimate: Estimate, target: float | None) -> Estimate:
    """The estimate judged against ``target`` (a proportion; None: no target): the verdict by the reliability rule
    and the one-sided p-value that agrees with it. The one place verdicts are made."""
    if target is None:
        return replace(estimate, target=None, verdict=None, p_value_below_target=None)
    if estimate.unreliable:
        return replace(estimate, target=target, verdict="insufficient_data", p_value_below_target=None)
    verdict = verdict_for(estimate.low, estimate.high, target)
    p_value = p_value_below_target(
        estimate.estimate,
        estimate.se**2,
        estimate.df,
        target,
        n=estimate.n,
        method=estimate.method,  # type: ignore[arg-type]
        census=estimate.census,
    )
    half = (1 - estimate.level) / 2  # the root finder's last digits must not contradict the verdict
    if verdict == "met":
        p_value = min(p_value, half)
    elif verdict == "not_met":
        p_value = max(p_value, 1 - half)
    else:
        p_value = min(max(p_value, half), 1 - half)
    return replace(estimate, target=target, verdict=verdict, p_value_below_target=p_value)


def stratified_variance(
    stratum: NDArray[np.intp], scores: NDArray[np.float64], strata: StrataInfo
) -> NDArray[np.float64]:
    """Variance of the total of ``scores`` (P PSUs × M columns, only PSUs of one domain; the others are 0), as
    :func:`app.stats.domains.stratified_variances` works it out for each domain."""
    variances, *_ = stratified_variances(np.zeros(stratum.size, dtype=np.intp), stratum, scores, strata, 1)
    return np.asarray(variances[0], dtype=np.float64)


@dataclass(frozen=True)
class Options:
    """How estimates are made: the interval method and level, and the target that judges them (a proportion)."""

    level: float = 0.95
    method: Method = DEFAULT_METHOD
    target: float | None = None


def estimate_domains(
    table: PsuTable,
    strata: StrataInfo,
    items: Sequence[str],
    indices: Sequence[IndexSpec] = (),
    *,
    domains: int | None = None,
    level: float = 0.95,
    method: Method = DEFAULT_METHOD,
    target: float | None = None,
) -> list[list[Estimate]]:
    """For each domain, an :class:`Estimate` per item that someone in the domain answered, then per index with
    data, in the order given. ``target`` (a proportion) adds the verdict and its one-sided p-value.

    Every domain's rates, linearised variances, degrees of freedom and index spreads are worked out at once, column
    by column over all rows (:func:`app.stats.domains.all_domains`); only the intervals and verdicts are made one
    estimate at a time."""
    count = int(table.domain.max(initial=-1)) + 1 if domains is None else domains
    if table.profiles is None and indices:
        raise ValueError("indices need the respondents' answer patterns (PsuTable.profiles)")
    options = Options(level=level, method=method, target=target)
    found = all_domains(table, strata, items, indices, count)
    results: list[list[Estimate]] = []
    for d in range(count):
        out: list[Estimate] = []
        census = bool(found.census[d])
        for k, code in enumerate(items):
            if not found.present[d, k]:
                continue
            p = snap(float(found.values[d, k]))
            spread = Moments(n=int(found.answers[d, k]), sum_w=float(found.answered[d, k]), variance=p * (1 - p))
            variance, df = float(found.variances[d, k]), int(found.dfs[d, k])
            out.append(
                _estimate(code, "item", p, variance, spread=spread, df=df, options=options, members=1, census=census)
            )
        for m, spec in enumerate(indices):
            column = len(items) + m
            if not found.present[d, column]:
                continue
            p = snap(float(found.values[d, column]))
            spread = Moments(
                n=int(found.spread_n[d, m]), sum_w=float(found.spread_w[d, m]), variance=float(found.spread[d, m])
            )
            out.append(
                _estimate(
                    spec.code,
                    spec.kind,
                    p,
                    float(found.variances[d, column]),
                    spread=spread,
                    df=int(found.dfs[d, column]),
                    options=options,
                    members=int(found.members[d, m]),
                    census=census,
                )
            )
        results.append(out)
    return results


@dataclass(frozen=True)
class Influence:
    """A domain's linearised values per PSU (what a comparison's variance sums) and its estimates."""

    psu: NDArray[np.intp]  # (P,) PSUs of the domain
    stratum: NDArray[np.intp]  # (P,)
    z: NDArray[np.float64]  # (P, K + M) linearised values of the items, then the indices
    answered: NDArray[np.float64]  # (K,) Σw·answered per item
    rates: NDArray[np.float64]  # (K,) the item rates
    contrast: NDArray[np.float64]  # (K, M) each index as weights on the item rates
    values: NDArray[np.float64]  # (K + M,) the estimates
    present: NDArray[np.bool_]  # (K + M,) whether each has data in the domain
    members: list[int]


def influence(table: PsuTable, rows: NDArray[np.intp], items: Sequence[str], indices: Sequence[IndexSpec]) -> Influence:
    answered = table.answered[rows]
    satisfied = table.satisfied[rows]
    x = answered.sum(axis=0)
    y = satisfied.sum(axis=0)
    present = x > 0
    safe = np.where(present, x, 1)
    rates = np.where(present, y / safe, 0.0)
    z_items = np.where(present, (satisfied - rates * answered) / safe, 0.0)
    matrices, counts, _values = contrasts(items, indices, present[None, :], rates[None, :])
    contrast, members = matrices[0], counts[0].tolist()
    return Influence(
        psu=table.psu[rows],
        stratum=table.stratum[rows],
        z=np.hstack([z_items, z_items @ contrast]),
        answered=x,
        rates=rates,
        contrast=contrast,
        values=np.concatenate([rates, rates @ contrast]),
        present=np.concatenate([present, np.array(members) > 0]),
        members=members,
    )


@dataclass(frozen=True)
class Moments:
    """What the simple-random-sampling reference of a design effect needs: n, Σw and the weighted variance σ² of the
    per-respondent value (p(1 − p) for a yes/no answer)."""

    n: int
    sum_w: float
    variance: float


def design_effect(variance: float, spread: Moments) -> tuple[float, DeffReference]:
    """``svymean(…, deff = TRUE)``: var over the variance of a simple random sample of n, without replacement from
    N = Σw, i.e. σ²·n/(n − 1)/n·(1 − n/N). When Σw ≤ n (unweighted rows: N − n = 0) the reference is sampling with
    replacement, σ²/(n − 1), R's ``deff = "replace"``. NaN when the reference is 0 (n ≤ 1, or σ² = 0)."""
    n, sum_w = spread.n, spread.sum_w
    if n <= 1 or not spread.variance > 0:
        return math.nan, "srswor"
    with_replacement = spread.variance / (n - 1)
    if sum_w > n * (1 + 1e-9):
        return variance / (with_replacement * (sum_w - n) / sum_w), "srswor"
    return variance / with_replacement, "srswr"


def _estimate(
    metric: str,
    kind: str,
    p: float,
    variance: float,
    *,
    spread: Moments,
    df: int,
    options: Options,
    members: int,
    census: bool,
) -> Estimate:
    bounds = interval(p, variance, df, n=spread.n, level=options.level, method=options.method, census=census)
    zero = is_zero_variance(p, variance) if 0 < p < 1 else not variance > 0
    if bounds.variance_fallback or not 0 < p < 1 or zero:
        n_eff = float(spread.n)
        reference: DeffReference = "srswor"
        deff = math.nan
        if not bounds.variance_fallback:
            deff, reference = design_effect(variance, spread)
    else:
        n_eff = spread.variance / variance if spread.variance > 0 else float(spread.n)
        deff, reference = design_effect(variance, spread)
    flags = flags_for(
        p,
        bounds.low,
        bounds.high,
        n=spread.n,
        n_eff=n_eff,
        df=df,
        fallback=bounds.fallback,
        variance_fallback=bounds.variance_fallback,
    )
    estimate = Estimate(
        metric=metric,
        kind=kind,
        estimate=p,
        se=math.sqrt(variance),
        low=bounds.low,
        high=bounds.high,
        n=spread.n,
        n_eff=n_eff,
        deff=deff,
        df=int(df),
        method=bounds.method,
        level=options.level,
        flags=flags,
        members=members,
        deff_reference=reference,
        census=census,
    )
    return judged(estimate, options.target)


def mean_of_units(metric: str, kind: str, units: Sequence[Estimate], options: Options) -> Estimate:
    """The published convention for a national or provincial figure: the plain mean of its units' values
    (each province counts once, whatever its size), beside the pooled weighted estimate.

    Units are separate strata (agencies never share a PSU), so their estimates are independent: var = Σ var_u / U²,
    df = Σ df_u, n = Σ n_u; the interval is the same method on that variance, and the reliability rule applies;
    ``members`` is the number of units.
    Not a design-based estimate of the population's rate: it answers "how do the units do on average"."""
    count = len(units)
    if count == 0:
        raise ValueError("the mean of units needs at least one unit")
    p = snap(sum(unit.estimate for unit in units) / count)
    variance = sum(unit.se**2 for unit in units) / count**2
    df = sum(unit.df for unit in units)
    n = sum(unit.n for unit in units)
    # The spread of one answer, p(1 − p), as for an item: n_eff = p(1 − p)/var, deff against n answers drawn with
    # replacement (a mean of units has no population total to draw from).
    spread = Moments(n=n, sum_w=float(n), variance=p * (1 - p))
    return _estimate(metric, kind, p, variance, spread=spread, df=df, options=options, members=count, census=False)
