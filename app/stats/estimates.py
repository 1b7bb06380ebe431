"""Item rates and SIPAS indices for many domains at once, from per-(domain, PSU) sums: pure numpy/scipy.

Reports never hold responses in memory. Whoever has the data — the database with one GROUP BY, or the CSV reader
of ``sipas stats`` — reduces it to a :class:`PsuTable`: for every domain and every PSU with rows in it, per item the
number of answers, Σw·answered and Σw·satisfied, plus the respondents and their Σw. Everything below needs only
those sums and the design's strata (PSUs per stratum over the whole sample, sampling fractions), so memory grows with
the number of (domain, PSU) pairs, not with responses.

Arithmetic (``../shared/SIPAS.md`` §4): an item rate is the ratio R_k = Σw·satisfied / Σw·answered — a missing
answer is missing, not dissatisfied. An index (element, component, overall) is the plain mean of its members' rates;
members nobody in the domain answered are left out of that domain's mean. Variances are Taylor-linearised: the
influence of PSU p on R_k is z_pk = (Y_pk − R_k·X_pk)/X_k, an index's is the same mean of its members' z, and the
variance of a sum of z over PSUs is the stratified between-PSU variance with the finite-population correction — R's
``svyratio(…, covmat = TRUE)`` followed by ``svycontrast`` (checked against ``tests/stats/oracle``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from app.stats.design import Design, DesignError, LonelyPsu, snap
from app.stats.intervals import DEFAULT_METHOD, Method, interval, is_zero_variance

Verdict = Literal["met", "not_met", "inconclusive"]


@dataclass(frozen=True)
class StrataInfo:
    """The design over the whole sample: PSUs per stratum (n_h) and sampling fractions (f_h = n_h/N_h, 0 without
    a finite-population correction). Domains keep these, as R's ``svyby`` does."""

    psus: NDArray[np.float64]
    fraction: NDArray[np.float64]
    lonely_psu: LonelyPsu = "fail"

    @property
    def total_psus(self) -> float:
        return float(self.psus.sum())


@dataclass(frozen=True)
class PsuTable:
    """Sufficient statistics: one row per (domain, PSU) with rows in the domain; K items in columns."""

    domain: NDArray[np.intp]  # (R,) domain index 0..D-1
    stratum: NDArray[np.intp]  # (R,) stratum index into StrataInfo
    psu: NDArray[np.intp]  # (R,) PSU id, unique across strata
    answers: NDArray[np.float64]  # (R, K) rows that answered item k
    answered: NDArray[np.float64]  # (R, K) Σw over those rows
    satisfied: NDArray[np.float64]  # (R, K) Σw·[satisfied]
    respondents: NDArray[np.float64]  # (R,) respondents in the domain and PSU
    weight: NDArray[np.float64]  # (R,) their Σw


@dataclass(frozen=True)
class IndexSpec:
    """An index: the mean of its members, item codes or codes of indices listed before it."""

    code: str
    kind: str  # "element", "component", "overall", "index"
    members: tuple[str, ...]


@dataclass(frozen=True)
class Estimate:
    """A rate with everything a report needs beside it. Rates are proportions (0–1)."""

    metric: str
    kind: str  # "item" or an IndexSpec kind
    estimate: float
    se: float
    low: float
    high: float
    n: int  # answers (items) or respondents (indices)
    n_eff: float  # p(1 − p)/var; n at 0% and 100%
    deff: float
    df: int
    method: str
    level: float
    target: float | None = None
    verdict: Verdict | None = None
    p_reach_target: float | None = None
    flags: tuple[str, ...] = field(default_factory=tuple)
    members: int = 1  # items (or indices) that entered the mean

    @property
    def unreliable(self) -> bool:
        return bool(set(self.flags) & UNRELIABLE)


# NCHS data presentation standards for proportions (Parker et al. 2017, Vital Health Stat 2(175)): suppress when the
# Korn–Graubard effective sample size is below 30, the interval is 30 points wide or more, or it is wider than 5 points
# and 130% of the estimate; review when df < 8. The engine flags, the report decides.
UNRELIABLE = frozenset({"effective_n_below_30", "ci_width_30_or_more", "relative_ci_width_above_130", "no_df"})


def flags_for(
    p: float, low: float, high: float, n: int, variance: float, df: int, *, fallback: bool
) -> tuple[str, ...]:
    result: list[str] = []
    if df <= 0:
        result.append("no_df")
    else:
        factor = (special.stdtrit(n - 1, 0.025) / special.stdtrit(df, 0.025)) ** 2 if n > 1 else 0.0
        plain = n if (p <= 0 or p >= 1 or is_zero_variance(p, variance)) else p * (1 - p) / variance
        if min(n, plain * factor) < 30:
            result.append("effective_n_below_30")
        if df < 8:
            result.append("df_below_8")
    width = high - low
    if width >= 0.30:
        result.append("ci_width_30_or_more")
    elif width > 0.05 and p > 0 and width / p > 1.30:
        result.append("relative_ci_width_above_130")
    if fallback:
        result.append("interval_fallback")
    return tuple(result)


def verdict_for(low: float, high: float, target: float) -> Verdict:
    """``met`` when the whole interval is at or above the target, ``not_met`` when it is below, else
    ``inconclusive``."""
    if low >= target:
        return "met"
    if high < target:
        return "not_met"
    return "inconclusive"


def probability_of_reaching(p: float, se: float, df: int, target: float) -> float | None:
    """P(true rate ≥ target) under the t approximation with the design's df: 1 − F_t((target − p)/se). A census
    (zero variance, 0 < p < 1) gives 0 or 1; at 0% or 100%, or without degrees of freedom, it is unknown (None)."""
    if df <= 0 or not 0 < p < 1:
        return None
    if not se > 0:
        return 1.0 if p >= target else 0.0
    return float(special.stdtr(df, (p - target) / se))


def stratified_variance(
    stratum: NDArray[np.intp], scores: NDArray[np.float64], strata: StrataInfo
) -> NDArray[np.float64]:
    """Variance of the total of ``scores`` (P PSUs × M columns, only PSUs of the domain; the others are 0):
    Σ_h (1 − f_h)·n_h/(n_h − 1)·Σ_p (z_p − z̄_h)², z̄_h over all n_h PSUs of the stratum in the sample."""
    n_strata = strata.psus.size
    columns = scores.shape[1]
    sums = np.zeros((n_strata, columns))
    squares = np.zeros((n_strata, columns))
    np.add.at(sums, stratum, scores)
    np.add.at(squares, stratum, scores * scores)
    n_h = strata.psus[:, None]
    lonely = (strata.psus == 1)[:, None]
    if np.any(lonely) and strata.lonely_psu == "fail":
        raise DesignError("a stratum has only one PSU (set lonely_psu to remove, certainty or adjust)")
    safe = np.where(n_h > 1, n_h - 1, 1)
    within = np.where(n_h > 1, (squares - sums * sums / np.where(n_h > 0, n_h, 1)) * n_h / safe, 0.0)
    if strata.lonely_psu == "adjust" and np.any(lonely):
        grand = sums.sum(axis=0) / strata.total_psus
        within = np.where(lonely, (sums - grand) ** 2, within)
    result: NDArray[np.float64] = ((1 - strata.fraction)[:, None] * np.maximum(within, 0.0)).sum(axis=0)
    return result


def _contrasts(items: Sequence[str], indices: Sequence[IndexSpec], present: NDArray[np.bool_]) -> tuple[
    NDArray[np.float64], list[int]
]:  # fmt: skip
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
    data, in the order given. ``target`` (a proportion) adds the verdict and P(reach target)."""
    count = int(table.domain.max(initial=-1)) + 1 if domains is None else domains
    order = np.argsort(table.domain, kind="stable")
    bounds = np.searchsorted(table.domain[order], np.arange(count + 1))
    results: list[list[Estimate]] = []
    for d in range(count):
        rows = order[bounds[d] : bounds[d + 1]]
        results.append(_one_domain(table, rows, strata, items, indices, level, method, target))
    return results


def merge_domains(table: PsuTable, mapping: ArrayLike) -> PsuTable:
    """The same sums for coarser domains: ``mapping[d]`` is the new domain of old domain d (−1: dropped). Rows of
    one PSU that fall into the same new domain are added up, e.g. agencies into their province's total."""
    new = np.asarray(mapping, dtype=np.intp)[table.domain]
    keep = new >= 0
    key = np.stack([new[keep], table.psu[keep]], axis=1)
    unique, inverse = np.unique(key, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)

    def grouped(values: NDArray[np.float64]) -> NDArray[np.float64]:
        out = np.zeros((unique.shape[0], *values.shape[1:]))
        np.add.at(out, inverse, values[keep])
        return out

    stratum = np.zeros(unique.shape[0], dtype=np.intp)
    stratum[inverse] = table.stratum[keep]
    return PsuTable(
        domain=unique[:, 0].astype(np.intp), stratum=stratum, psu=unique[:, 1].astype(np.intp),
        answers=grouped(table.answers), answered=grouped(table.answered), satisfied=grouped(table.satisfied),
        respondents=grouped(table.respondents), weight=grouped(table.weight),
    )  # fmt: skip


@dataclass(frozen=True)
class _Influence:
    psu: NDArray[np.intp]  # (P,) PSUs of the domain
    stratum: NDArray[np.intp]  # (P,)
    z: NDArray[np.float64]  # (P, K + M) linearised values of the items, then the indices
    answered: NDArray[np.float64]  # (K,) Σw·answered per item
    values: NDArray[np.float64]  # (K + M,) the estimates
    present: NDArray[np.bool_]  # (K + M,) whether each has data in the domain
    members: list[int]


def _influence(
    table: PsuTable, rows: NDArray[np.intp], items: Sequence[str], indices: Sequence[IndexSpec]
) -> _Influence:
    answered = table.answered[rows]
    satisfied = table.satisfied[rows]
    x = answered.sum(axis=0)
    y = satisfied.sum(axis=0)
    present = x > 0
    rates = np.where(present, y / np.where(present, x, 1), 0.0)
    z_items = np.where(present, (satisfied - rates * answered) / np.where(present, x, 1), 0.0)
    contrast, members = _contrasts(items, indices, present)
    return _Influence(
        psu=table.psu[rows], stratum=table.stratum[rows], z=np.hstack([z_items, z_items @ contrast]), answered=x,
        values=np.concatenate([rates, rates @ contrast]), present=np.concatenate([present, np.array(members) > 0]),
        members=members,
    )  # fmt: skip


def _one_domain(
    table: PsuTable,
    rows: NDArray[np.intp],
    strata: StrataInfo,
    items: Sequence[str],
    indices: Sequence[IndexSpec],
    level: float,
    method: Method,
    target: float | None,
) -> list[Estimate]:
    found = _influence(table, rows, items, indices)
    variances = stratified_variance(found.stratum, found.z, strata)
    answers = table.answers[rows]
    out: list[Estimate] = []
    for k, code in enumerate(items):
        if not found.present[k]:
            continue
        inside = answers[:, k] > 0
        df = np.unique(found.psu[inside]).size - np.unique(found.stratum[inside]).size
        n = int(answers[:, k].sum())
        weight = float(found.answered[k])
        out.append(_estimate(code, "item", found.values[k], variances[k], n, weight, df, level, method, target, 1))
    respondents = table.respondents[rows]
    inside = respondents > 0
    df_all = np.unique(found.psu[inside]).size - np.unique(found.stratum[inside]).size
    n_all = int(respondents.sum())
    weight_all = float(table.weight[rows].sum())
    for m, spec in enumerate(indices):
        column = len(items) + m
        if not found.present[column]:
            continue
        out.append(_estimate(spec.code, spec.kind, found.values[column], variances[column], n_all, weight_all, df_all,
                             level, method, target, found.members[m]))  # fmt: skip
    return out


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

    @property
    def significant(self) -> bool:
        """The interval excludes 0: the two rates are statistically distinguishable at this level."""
        return self.low > 0 or self.high < 0


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
    """Differences A − B (two agencies, or two periods of one agency) for every metric both domains have. The
    variance is that of z_A − z_B summed per PSU, so PSUs and strata the two domains share count once, with their
    covariance (R: ``svyby(…, covmat = TRUE)`` then ``svycontrast``)."""
    first = _influence(table, np.flatnonzero(table.domain == a), items, indices)
    second = _influence(table, np.flatnonzero(table.domain == b), items, indices)
    psu = np.concatenate([first.psu, second.psu])
    labels, position = np.unique(psu, return_inverse=True)
    stratum = np.zeros(labels.size, dtype=np.intp)
    stratum[position] = np.concatenate([first.stratum, second.stratum])
    z = np.zeros((labels.size, first.z.shape[1]))
    np.add.at(z, position, np.vstack([first.z, -second.z]))
    variances = stratified_variance(stratum, z, strata)
    df = labels.size - np.unique(stratum).size
    codes = [*items, *(spec.code for spec in indices)]
    out: list[Difference] = []
    for j, code in enumerate(codes):
        if not (first.present[j] and second.present[j]):
            continue
        difference = float(first.values[j] - second.values[j])
        se = math.sqrt(float(variances[j]))
        t = float(special.stdtrit(df, 1 - (1 - level) / 2)) if df > 0 else math.nan
        p_value = float(2 * special.stdtr(df, -abs(difference) / se)) if df > 0 and se > 0 else None
        low, high = (difference - t * se, difference + t * se) if df > 0 else (-1.0, 1.0)
        out.append(Difference(code, difference, se, low, high, int(df), p_value, level))
    return out


def _estimate(
    metric: str,
    kind: str,
    raw: float,
    variance: float,
    n: int,
    sum_w: float,
    df: int,
    level: float,
    method: Method,
    target: float | None,
    members: int,
) -> Estimate:
    p = snap(float(raw))
    variance = float(variance)
    bounds = interval(p, variance, df, n=n, level=level, method=method)
    srs = p * (1 - p) / (n - 1) * (sum_w - n) / sum_w if n > 1 and sum_w > 0 else float("nan")
    deff = variance / srs if srs > 0 else float("nan")
    n_eff = p * (1 - p) / variance if variance > 0 and 0 < p < 1 else float(n)
    se = math.sqrt(variance)
    return Estimate(
        metric=metric, kind=kind, estimate=p, se=se, low=bounds.low, high=bounds.high, n=n, n_eff=n_eff, deff=deff,
        df=int(df), method=bounds.method, level=level, target=target,
        verdict=verdict_for(bounds.low, bounds.high, target) if target is not None else None,
        p_reach_target=probability_of_reaching(p, se, int(df), target) if target is not None else None,
        flags=flags_for(p, bounds.low, bounds.high, n, variance, int(df), fallback=bounds.fallback), members=members,
    )  # fmt: skip


def table_from_rows(
    design: Design,
    domain: ArrayLike,
    answered: ArrayLike,
    satisfied: ArrayLike,
) -> tuple[PsuTable, StrataInfo]:
    """Reduce row-level data (N rows × K items; ``answered`` and ``satisfied`` 0/1) in domains 0..D-1 (−1: in none)
    to the sums :func:`estimate_domains` needs — what the database's GROUP BY returns."""
    if design.calibrated:
        raise DesignError("post-stratified designs are estimated row by row (design.domain_mean)")
    labels = np.asarray(domain, dtype=np.intp)
    a = np.asarray(answered, dtype=np.float64)
    s = np.asarray(satisfied, dtype=np.float64) * a
    keep = labels >= 0
    any_answer = a.any(axis=1) & keep
    keep &= any_answer & (design.weights > 0)
    n_psus = design.psu_stratum.size
    key = labels[keep].astype(np.int64) * n_psus + design.psus[keep]
    unique, inverse = np.unique(key, return_inverse=True)
    w = design.weights[keep]

    def grouped(values: NDArray[np.float64]) -> NDArray[np.float64]:
        out = np.zeros((unique.size, *values.shape[1:]))
        np.add.at(out, inverse, values)
        return out

    psu = (unique % n_psus).astype(np.intp)
    table = PsuTable(
        domain=(unique // n_psus).astype(np.intp), stratum=design.psu_stratum[psu], psu=psu,
        answers=grouped(a[keep]), answered=grouped(a[keep] * w[:, None]), satisfied=grouped(s[keep] * w[:, None]),
        respondents=grouped(np.ones(w.size)), weight=grouped(w),
    )  # fmt: skip
    return table, StrataInfo(design.psus_per_stratum, design.sampling_fraction, design.lonely_psu)
