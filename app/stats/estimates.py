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
from app.stats.tables import Profiles, PsuTable, StrataInfo, grouped_sums


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
    data, in the order given. ``target`` (a proportion) adds the verdict and its one-sided p-value.

    Every domain's rates, linearised variances, degrees of freedom and index spreads are worked out at once, column
    by column over all rows (:func:`_all_domains`); only the intervals and verdicts are made one estimate at a time.
    Each domain's sums are added in the order of its rows, as :func:`influence` and :func:`stratified_variance` add
    them for one domain (comparisons use those)."""
    count = int(table.domain.max(initial=-1)) + 1 if domains is None else domains
    if table.profiles is None and indices:
        raise ValueError("indices need the respondents' answer patterns (PsuTable.profiles)")
    options = Options(level=level, method=method, target=target)
    found = _all_domains(table, strata, items, indices, count)
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
class _Domains:
    """What the estimates of D domains need, K items then M indices in columns (C = K + M)."""

    values: NDArray[np.float64]  # (D, C) rates, then the indices' means of them
    present: NDArray[np.bool_]  # (D, C) whether each has data in the domain
    variances: NDArray[np.float64]  # (D, C) stratified between-PSU variances of the linearised totals
    dfs: NDArray[np.int64]  # (D, C) PSUs minus strata among the rows with data
    census: NDArray[np.bool_]  # (D,) every PSU of the domain's strata sampled
    answers: NDArray[np.float64]  # (D, K) answers per item
    answered: NDArray[np.float64]  # (D, K) Σw·answered per item
    members: NDArray[np.int64]  # (D, M) members with data in each index's mean
    spread_n: NDArray[np.float64]  # (D, M) respondents who answered a member item (see _all_spreads)
    spread_w: NDArray[np.float64]  # (D, M) their Σw
    spread: NDArray[np.float64]  # (D, M) Σw·σ² of their per-respondent scores


def _all_contrasts(
    items: Sequence[str], indices: Sequence[IndexSpec], present: NDArray[np.bool_], rates: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.float64]]:
    """:func:`_contrasts` for every domain at once: (D, K, M) weights of each index on the item rates, (D, M) how
    many members entered each mean, and (D, M) the indices' values: the plain mean of their members' values, summed
    and divided (seven of eight satisfied in every member is 87.5 %, not 87.50000000000001 %)."""
    domains, k_items = present.shape
    eye = np.eye(k_items)
    vectors: dict[str, tuple[NDArray[np.float64], NDArray[np.bool_], NDArray[np.float64]]] = {
        code: (np.broadcast_to(eye[k], (domains, k_items)), present[:, k], rates[:, k]) for k, code in enumerate(items)
    }
    contrast = np.zeros((domains, k_items, len(indices)))
    members = np.zeros((domains, len(indices)), dtype=np.int64)
    values = np.zeros((domains, len(indices)))
    for m, spec in enumerate(indices):
        total = np.zeros((domains, k_items))
        value = np.zeros(domains)
        count = np.zeros(domains, dtype=np.int64)
        for member in spec.members:
            found = vectors.get(member)
            if found is None:
                continue
            vector, has, member_value = found
            total = total + np.where(has[:, None], vector, 0.0)  # + 0.0 leaves the sum unchanged
            value = value + np.where(has, member_value, 0.0)
            count += has
        divisor = np.maximum(count, 1)
        mean = np.where(count[:, None] > 0, total / divisor[:, None], 0.0)
        values[:, m] = np.where(count > 0, value / divisor, 0.0)
        vectors[spec.code] = (mean, count > 0, values[:, m])
        contrast[:, :, m] = mean
        members[:, m] = count
    return contrast, members, values


def _distinct_per_domain(
    group: NDArray[np.intp], group_domain: NDArray[np.int64], inside: NDArray[np.bool_], domains: int
) -> NDArray[np.int64]:
    """Per domain and column of ``inside`` (rows × columns), how many distinct groups (PSUs, strata) of the domain
    have a row inside: degrees of freedom are PSUs minus strata among the rows with data, per estimate."""
    out = np.zeros((domains, inside.shape[1]), dtype=np.int64)
    for c in range(inside.shape[1]):
        seen = np.zeros(group_domain.size, dtype=np.bool_)
        seen[group[inside[:, c]]] = True
        out[:, c] = np.bincount(group_domain[seen], minlength=domains)
    return out


def _all_domains(
    table: PsuTable, strata: StrataInfo, items: Sequence[str], indices: Sequence[IndexSpec], domains: int
) -> _Domains:
    """Rates, variances, degrees of freedom and index spreads of every domain, column by column (no Python per
    domain: a national report has 3,300 domains)."""
    k_items, m_indices = len(items), len(indices)
    domain = table.domain
    x = grouped_sums(domain, domains, table.answered)
    y = grouped_sums(domain, domains, table.satisfied)
    present = x > 0
    safe = np.where(present, x, 1)
    rates = np.where(present, y / safe, 0.0)
    contrast, members, index_values = _all_contrasts(items, indices, present, rates)
    z_items = np.where(present[domain], (table.satisfied - rates[domain] * table.answered) / safe[domain], 0.0)
    rows = domain.size
    z = np.zeros((rows, k_items + m_indices))
    z[:, :k_items] = z_items
    inside = np.zeros((rows, k_items + m_indices), dtype=np.bool_)
    inside[:, :k_items] = table.answers > 0
    for m in range(m_indices):
        weights = contrast[domain, :, m]
        z[:, k_items + m] = (z_items * weights).sum(axis=1)
        inside[:, k_items + m] = ((table.answers > 0) & (weights != 0)).any(axis=1)
    variances, census, pair_of_row, pair_domain = _all_variances(domain, table.stratum, z, strata, domains)
    psus = int(table.psu.max(initial=0)) + 1
    units, unit_of_row = np.unique(domain.astype(np.int64) * psus + table.psu, return_inverse=True)
    dfs = _distinct_per_domain(unit_of_row.reshape(-1), units // psus, inside, domains) - _distinct_per_domain(
        pair_of_row, pair_domain, inside, domains
    )
    spread_n, spread_w, spread = _all_spreads(table.profiles, rates, safe, contrast)
    return _Domains(
        values=np.hstack([rates, index_values]),
        present=np.hstack([present, members > 0]),
        variances=variances,
        dfs=dfs,
        census=census,
        answers=grouped_sums(domain, domains, table.answers),
        answered=x,
        members=members,
        spread_n=spread_n,
        spread_w=spread_w,
        spread=spread,
    )


def _all_variances(
    domain: NDArray[np.intp], stratum: NDArray[np.intp], z: NDArray[np.float64], strata: StrataInfo, domains: int
) -> tuple[NDArray[np.float64], NDArray[np.bool_], NDArray[np.intp], NDArray[np.int64]]:
    """:func:`stratified_variance` of every domain's columns of ``z``, and whether each domain is a census; also
    each row's (domain, stratum) pair and each pair's domain. Pairs are numbered in (domain, stratum) order, so a
    domain's strata are added in the order :func:`stratified_variance` adds them."""
    columns = z.shape[1]
    if domains and strata.has_lonely and strata.lonely_psu == "fail":
        raise DesignError("a stratum has only one PSU (set lonely_psu to remove, certainty or adjust)")
    count = strata.psus.size
    pairs, pair_of_row = np.unique(domain.astype(np.int64) * count + stratum, return_inverse=True)
    pair_of_row = pair_of_row.reshape(-1)
    pair_domain, pair_stratum = pairs // count, pairs % count
    size = pairs.size
    sums = grouped_sums(pair_of_row, size, z)
    squares = grouped_sums(pair_of_row, size, z * z)
    n_h = strata.psus[pair_stratum][:, None]
    keep = 1 - strata.fraction[pair_stratum]
    safe = np.where(n_h > 1, n_h - 1, 1)
    within = np.where(n_h > 1, (squares - sums * sums / np.where(n_h > 0, n_h, 1)) * n_h / safe, 0.0)
    untouched_lonely = np.zeros(domains)
    grand = np.zeros((domains, columns))
    if strata.lonely_psu == "adjust" and strata.has_lonely:
        lonely = n_h == 1
        grand = grouped_sums(pair_domain, domains, sums) / strata.total_psus
        within = np.where(lonely, (sums - grand[pair_domain]) ** 2, within)
        untouched_lonely = np.maximum(
            strata.lonely_weight - grouped_sums(pair_domain, domains, keep * lonely[:, 0]), 0.0
        )
    variances = grouped_sums(pair_domain, domains, keep[:, None] * np.maximum(within, 0.0))
    variances = variances + untouched_lonely[:, None] * grand * grand
    partial = np.bincount(pair_domain, weights=strata.fraction[pair_stratum] < 1 - 1e-12, minlength=domains)
    touched = np.bincount(pair_domain, minlength=domains)
    return variances, (touched > 0) & (partial == 0), pair_of_row, pair_domain


def _all_spreads(
    patterns: Profiles | None, rates: NDArray[np.float64], safe: NDArray[np.float64], contrast: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Per domain and index, over the respondents who answered one of its items: their number, Σw, and Σw·σ², σ² the
    weighted variance Σw·u²/Σw of the per-respondent linearised score u = Σw·Σ_k c_k (y_k − R_k·x_k)/X_k, c the
    index's weights on the item rates (R: the influence function of ``svycontrast`` over ``svyratio``, scaled to a
    per-respondent score; I + u is what ``svymean`` of a per-respondent score would average — for a respondent who
    answered every item, their own share of satisfied items)."""
    domains, m_indices = rates.shape[0], contrast.shape[2]
    n = np.zeros((domains, m_indices))
    sum_w = np.zeros((domains, m_indices))
    squares = np.zeros((domains, m_indices))
    if patterns is None:
        return n, sum_w, squares
    domain = patterns.domain
    answered = patterns.answered.astype(np.float64)
    satisfied = patterns.satisfied.astype(np.float64)
    residual = (satisfied - rates[domain] * answered) / safe[domain]  # (Q, K)
    for m in range(m_indices):
        weights = contrast[domain, :, m]
        scores = (residual * weights).sum(axis=1)
        inside = (patterns.answered & (weights != 0)).any(axis=1)
        n[:, m] = np.bincount(domain, weights=patterns.respondents * inside, minlength=domains)
        sum_w[:, m] = np.bincount(domain, weights=patterns.weight * inside, minlength=domains)
        squares[:, m] = np.bincount(domain, weights=patterns.weight * scores * scores * inside, minlength=domains)
    return n, sum_w, np.where(sum_w > 0, squares * sum_w, 0.0)


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
