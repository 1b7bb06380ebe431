"""Every domain's rates, linearised variances, degrees of freedom and index spreads at once, column by column over
the per-(domain, PSU) sums of ``app/stats/tables.py``: pure numpy. :func:`app.stats.estimates.estimate_domains` makes
the intervals and verdicts from them; the formulas are stated there (``docs/sipas-method.md`` §3). Each domain's sums
are added in the order of its rows, as they would be for the domain alone (``tests/stats/test_properties.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from app.stats.design import DesignError
from app.stats.tables import Profiles, PsuTable, StrataInfo, grouped_sums

if TYPE_CHECKING:
    from app.stats.estimates import IndexSpec


@dataclass(frozen=True)
class Domains:
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


def contrasts(
    items: Sequence[str], indices: Sequence[IndexSpec], present: NDArray[np.bool_], rates: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.float64]]:
    """For every domain at once: (D, K, M) weights of each index on the item rates, (D, M) how
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


def all_domains(
    table: PsuTable, strata: StrataInfo, items: Sequence[str], indices: Sequence[IndexSpec], domains: int
) -> Domains:
    """Rates, variances, degrees of freedom and index spreads of every domain, column by column (no Python per
    domain: a national report has 3,300 domains)."""
    k_items, m_indices = len(items), len(indices)
    domain = table.domain
    x = grouped_sums(domain, domains, table.answered)
    y = grouped_sums(domain, domains, table.satisfied)
    present = x > 0
    safe = np.where(present, x, 1)
    rates = np.where(present, y / safe, 0.0)
    contrast, members, index_values = contrasts(items, indices, present, rates)
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
    variances, census, pair_of_row, pair_domain = stratified_variances(domain, table.stratum, z, strata, domains)
    # a PsuTable has one row per (domain, PSU): each row is one of its domain's PSUs
    psus = _distinct_per_domain(np.arange(rows, dtype=np.intp), domain.astype(np.int64), inside, domains)
    dfs = psus - _distinct_per_domain(pair_of_row, pair_domain, inside, domains)
    spread_n, spread_w, spread = _all_spreads(table.profiles, rates, safe, contrast)
    return Domains(
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


def stratified_variances(
    domain: NDArray[np.intp], stratum: NDArray[np.intp], z: NDArray[np.float64], strata: StrataInfo, domains: int
) -> tuple[NDArray[np.float64], NDArray[np.bool_], NDArray[np.intp], NDArray[np.int64]]:
    """Per domain, the variance of the total of each column of ``z`` (rows: the domain's PSUs; the others are 0):
    Σ_h (1 − f_h)·n_h/(n_h − 1)·Σ_p (z_p − z̄_h)², z̄_h over all n_h PSUs of the stratum in the sample; and whether
    each domain is a census; also each row's (domain, stratum) pair and each pair's domain.

    Only the strata a domain touches are summed: an untouched stratum's PSUs are all 0, so it adds nothing — except
    a lonely PSU under ``lonely_psu="adjust"``, which adds (1 − f_h)·z̄² (z̄ the grand mean over every PSU), counted
    at once from :attr:`StrataInfo.lonely_weight`. So a domain costs what its own PSUs cost, not the sample's strata
    (a national report by commune was quadratic: 3,300 domains × 40,000 strata). Pairs are numbered in (domain,
    stratum) order, so each domain's strata are added in stratum order."""
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
