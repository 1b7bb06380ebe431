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

from app.stats.design import DesignError, snap
from app.stats.intervals import DEFAULT_METHOD, Method, interval, is_zero_variance
from app.stats.reliability import Verdict, flags_for, p_value_below_target, reliable, verdict_for
from app.stats.tables import Profiles, PsuTable, StrataInfo


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
    """Variance of the total of ``scores`` (P PSUs × M columns, only PSUs of the domain; the others are 0):
    Σ_h (1 − f_h)·n_h/(n_h − 1)·Σ_p (z_p − z̄_h)², z̄_h over all n_h PSUs of the stratum in the sample.

    Only the strata the domain touches are summed: an untouched stratum's PSUs are all 0, so it adds nothing — except
    a lonely PSU under ``lonely_psu="adjust"``, which adds (1 − f_h)·z̄² (z̄ the grand mean over every PSU), counted
    at once from :attr:`StrataInfo.lonely_weight`. So a domain costs what its own PSUs cost, not the sample's
    strata (a national report by commune was quadratic: 3,300 domains × 40,000 strata)."""
    if strata.has_lonely and strata.lonely_psu == "fail":
        raise DesignError("a stratum has only one PSU (set lonely_psu to remove, certainty or adjust)")
    touched, local = np.unique(stratum, return_inverse=True)
    columns = scores.shape[1]
    sums = np.zeros((touched.size, columns))
    squares = np.zeros((touched.size, columns))
    np.add.at(sums, local, scores)
    np.add.at(squares, local, scores * scores)
    n_h = strata.psus[touched][:, None]
    keep = 1 - strata.fraction[touched]
    safe = np.where(n_h > 1, n_h - 1, 1)
    within = np.where(n_h > 1, (squares - sums * sums / np.where(n_h > 0, n_h, 1)) * n_h / safe, 0.0)
    untouched_lonely = 0.0
    grand = np.zeros(columns)
    if strata.lonely_psu == "adjust" and strata.has_lonely:
        lonely = n_h == 1
        grand = sums.sum(axis=0) / strata.total_psus
        within = np.where(lonely, (sums - grand) ** 2, within)
        untouched_lonely = max(strata.lonely_weight - float((keep * lonely[:, 0]).sum()), 0.0)
    result: NDArray[np.float64] = (keep[:, None] * np.maximum(within, 0.0)).sum(axis=0)
    return result + untouched_lonely * grand * grand


def _contrasts(
    items: Sequence[str], indices: Sequence[IndexSpec], present: NDArray[np.bool_]
) -> tuple[NDArray[np.float64], list[int]]:
    """Columns of weights on the K item rates, one per index; members without data are left out. Also how many
    members entered each mean (0: the index has no data in the domain)."""
    position = {code: k for k, code in enumerate(items)}
    vectors: dict[str, NDArray[np.float64] | None] = {
        code: (np.eye(len(items))[k] if present[k] else None) for code, k in position.items()
    }
    columns: list[NDArray[np.float64]] = []
    counts: list[int] = []
    for spec in indices:
        parts = [v for v in (vectors.get(member) for member in spec.members) if v is not None]
        vector = np.mean(parts, axis=0) if parts else None
        vectors[spec.code] = vector
        columns.append(np.zeros(len(items)) if vector is None else vector)
        counts.append(len(parts))
    matrix = np.array(columns).T if columns else np.zeros((len(items), 0))
    return matrix, counts


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
    data, in the order given. ``target`` (a proportion) adds the verdict and its one-sided p-value."""
    count = int(table.domain.max(initial=-1)) + 1 if domains is None else domains
    order = np.argsort(table.domain, kind="stable")
    bounds = np.searchsorted(table.domain[order], np.arange(count + 1))
    if table.profiles is None and indices:
        raise ValueError("indices need the respondents' answer patterns (PsuTable.profiles)")
    pattern_domain = table.profiles.domain if table.profiles is not None else np.zeros(0, dtype=np.intp)
    profile_order = np.argsort(pattern_domain, kind="stable")
    profile_bounds = np.searchsorted(pattern_domain[profile_order], np.arange(count + 1))
    options = Options(level=level, method=method, target=target)
    results: list[list[Estimate]] = []
    for d in range(count):
        rows = order[bounds[d] : bounds[d + 1]]
        profiles = profile_order[profile_bounds[d] : profile_bounds[d + 1]]
        results.append(_one_domain(table, rows, profiles, strata, items=items, indices=indices, options=options))
    return results


@dataclass(frozen=True)
class _Influence:
    psu: NDArray[np.intp]  # (P,) PSUs of the domain
    stratum: NDArray[np.intp]  # (P,)
    z: NDArray[np.float64]  # (P, K + M) linearised values of the items, then the indices
    answered: NDArray[np.float64]  # (K,) Σw·answered per item
    rates: NDArray[np.float64]  # (K,) the item rates
    contrast: NDArray[np.float64]  # (K, M) each index as weights on the item rates
    values: NDArray[np.float64]  # (K + M,) the estimates
    present: NDArray[np.bool_]  # (K + M,) whether each has data in the domain
    members: list[int]


def influence(
    table: PsuTable, rows: NDArray[np.intp], items: Sequence[str], indices: Sequence[IndexSpec]
) -> _Influence:
    answered = table.answered[rows]
    satisfied = table.satisfied[rows]
    x = answered.sum(axis=0)
    y = satisfied.sum(axis=0)
    present = x > 0
    safe = np.where(present, x, 1)
    rates = np.where(present, y / safe, 0.0)
    z_items = np.where(present, (satisfied - rates * answered) / safe, 0.0)
    contrast, members = _contrasts(items, indices, present)
    return _Influence(
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
class _Spread:
    """Per index, over the respondents who answered one of its items: their number, Σw, and the weighted variance
    σ² = Σw·u²/Σw of the per-respondent linearised score u (I + u is what ``svymean`` of a per-respondent score
    would average; for a respondent who answered every item, their own share of satisfied items)."""

    n: NDArray[np.float64]
    sum_w: NDArray[np.float64]
    variance: NDArray[np.float64]


def _index_spread(patterns: Profiles | None, profiles: NDArray[np.intp], found: _Influence) -> _Spread:
    """u_i = Σw·Σ_k c_k (y_ik − R_k·x_ik)/X_k, c the index's weights on the item rates (R: the influence function of
    ``svycontrast`` over ``svyratio``, scaled to a per-respondent score)."""
    if patterns is None:
        empty = np.zeros(found.contrast.shape[1])
        return _Spread(n=empty, sum_w=empty, variance=empty)
    answered = patterns.answered[profiles].astype(np.float64)
    satisfied = patterns.satisfied[profiles].astype(np.float64)
    weight = patterns.weight[profiles]
    count = patterns.respondents[profiles]
    safe = np.where(found.answered > 0, found.answered, 1)
    residual = (satisfied - found.rates * answered) / safe  # (Q, K)
    scores = residual @ found.contrast  # (Q, M) without the Σw factor
    inside = (answered @ (found.contrast != 0)) > 0  # (Q, M) answered an item of the index
    n = count @ inside
    sum_w = weight @ inside
    squares = (weight[:, None] * scores * scores * inside).sum(axis=0)
    variance = np.where(sum_w > 0, squares * sum_w, 0.0)  # Σw·(Σw·d)²/Σw = Σw·Σ w d²
    return _Spread(n=n, sum_w=sum_w, variance=variance)


def _distinct(labels: NDArray[np.intp], inside: NDArray[np.bool_]) -> NDArray[np.int64]:
    """Per column of ``inside`` (rows × columns), how many distinct ``labels`` its rows have."""
    uniques, local = np.unique(labels, return_inverse=True)
    columns = inside.shape[1]
    rows, column = np.nonzero(inside)
    seen = np.zeros(uniques.size * columns, dtype=np.bool_)
    seen[local.reshape(-1)[rows] * columns + column] = True
    return np.asarray(seen.reshape(uniques.size, columns).sum(axis=0), dtype=np.int64)


def _dfs(psu: NDArray[np.intp], stratum: NDArray[np.intp], inside: NDArray[np.bool_]) -> NDArray[np.int64]:
    """Degrees of freedom per column of ``inside``: PSUs minus strata among its rows (all columns in one pass: per
    estimate, two ``np.unique`` calls were a sixth of a national report's time)."""
    return _distinct(psu, inside) - _distinct(stratum, inside)


def _one_domain(
    table: PsuTable,
    rows: NDArray[np.intp],
    profiles: NDArray[np.intp],
    strata: StrataInfo,
    *,
    items: Sequence[str],
    indices: Sequence[IndexSpec],
    options: Options,
) -> list[Estimate]:
    found = influence(table, rows, items, indices)
    variances = stratified_variance(found.stratum, found.z, strata)
    answers = table.answers[rows]
    touched = np.unique(found.stratum)
    census = bool(touched.size) and bool(np.all(strata.fraction[touched] >= 1 - 1e-12))
    inside = np.hstack([answers > 0, (answers @ (found.contrast != 0)) > 0])  # rows with data, per item then index
    dfs = _dfs(found.psu, found.stratum, inside)
    out: list[Estimate] = []
    for k, code in enumerate(items):
        if not found.present[k]:
            continue
        p = snap(float(found.values[k]))
        spread = Moments(n=int(answers[:, k].sum()), sum_w=float(found.answered[k]), variance=p * (1 - p))
        out.append(
            _estimate(
                code,
                "item",
                p,
                float(variances[k]),
                spread=spread,
                df=int(dfs[k]),
                options=options,
                members=1,
                census=census,
            )
        )
    spread_all = _index_spread(table.profiles, profiles, found)
    for m, spec in enumerate(indices):
        column = len(items) + m
        if not found.present[column]:
            continue
        p = snap(float(found.values[column]))
        spread = Moments(
            n=int(spread_all.n[m]), sum_w=float(spread_all.sum_w[m]), variance=float(spread_all.variance[m])
        )
        out.append(
            _estimate(
                spec.code,
                spec.kind,
                p,
                float(variances[column]),
                spread=spread,
                df=int(dfs[column]),
                options=options,
                members=found.members[m],
                census=census,
            )
        )
    return out


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
