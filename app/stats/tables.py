"""The sufficient statistics every estimate starts from, and how they are made: pure numpy.

Reports never hold responses in memory. Whoever has the data — the database with one GROUP BY
(``app/reports/sums.py``), or the CSV reader of ``sipas stats`` (:func:`table_from_rows`) — reduces it to a
:class:`PsuTable`: for every domain and every PSU with rows in it, per item the number of answers, Σw·answered and
Σw·satisfied, plus the respondents grouped by answer pattern (:class:`Profiles`, for the design effects of indices).
With the design's strata (:class:`StrataInfo`: PSUs per stratum over the whole sample, sampling fractions) that is
all ``app/stats/estimates.py`` needs, so memory grows with the number of (domain, PSU) pairs, not with responses.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from app.stats.design import Design, DesignError, LonelyPsu, dense_codes


@dataclass(frozen=True)
class StrataInfo:
    """The design over the whole sample: PSUs per stratum (n_h) and sampling fractions (f_h = n_h/N_h, 0 without
    a finite-population correction). Domains keep these, as R's ``svyby`` does."""

    psus: NDArray[np.float64]
    fraction: NDArray[np.float64]
    lonely_psu: LonelyPsu = "fail"

    # Worked out once per design, not once per domain: a national report has ≈ 40,000 strata and 3,300 domains.
    @cached_property
    def total_psus(self) -> float:
        return float(self.psus.sum())

    @cached_property
    def has_lonely(self) -> bool:
        """Whether a stratum of the sample has a single PSU."""
        return bool(np.any(self.psus == 1))

    @cached_property
    def lonely_weight(self) -> float:
        """Σ(1 − f_h) over the strata with a single PSU (what ``lonely_psu="adjust"`` adds per unit of z̄²)."""
        return float(((1 - self.fraction) * (self.psus == 1)).sum())


@dataclass(frozen=True)
class Profiles:
    """Respondents grouped by their answer pattern within each domain: which items they answered and which of those
    satisfied them, how many respondents share the pattern and their Σw. The design effect of an index needs the
    spread of the per-respondent index score, which PSU sums cannot give; patterns can, and there are few of them
    (answers agree far more often than not)."""

    domain: NDArray[np.intp]  # (Q,)
    answered: NDArray[np.bool_]  # (Q, K)
    satisfied: NDArray[np.bool_]  # (Q, K)
    respondents: NDArray[np.float64]  # (Q,)
    weight: NDArray[np.float64]  # (Q,) their Σw


@dataclass(frozen=True)
class PsuTable:
    """Sufficient statistics: one row per (domain, PSU) with rows in the domain; K items in columns."""

    domain: NDArray[np.intp]  # (R,) domain index 0..D-1
    stratum: NDArray[np.intp]  # (R,) stratum index into StrataInfo
    psu: NDArray[np.intp]  # (R,) PSU id, unique across strata
    answers: NDArray[np.float64]  # (R, K) rows that answered item k
    answered: NDArray[np.float64]  # (R, K) Σw over those rows
    satisfied: NDArray[np.float64]  # (R, K) Σw·[satisfied]
    profiles: Profiles | None  # respondents by answer pattern; needed for indices (None: items only)


def grouped_sums(inverse: NDArray[np.intp], size: int, values: NDArray[Any]) -> NDArray[np.float64]:
    """Sums of ``values`` (rows, or rows × columns) by group, each group's rows added in row order (``np.bincount``
    adds as ``np.add.at`` does, several times faster)."""
    if values.ndim == 1:
        return np.bincount(inverse, weights=values, minlength=size).astype(np.float64, copy=False)
    out = np.zeros((size, *values.shape[1:]))
    for k in range(values.shape[1]):
        out[:, k] = np.bincount(inverse, weights=values[:, k], minlength=size)
    return out


def merge_domains(table: PsuTable, mapping: ArrayLike) -> PsuTable:
    """The same sums for coarser domains: ``mapping[d]`` is the new domain of old domain d (−1: dropped). Rows of
    one PSU that fall into the same new domain are added up, e.g. agencies into their province's total."""
    to = np.asarray(mapping, dtype=np.intp)
    new = to[table.domain]
    keep = new >= 0
    # (new domain, PSU) as one integer, in the same order as the pairs (a 1-D sort is several times faster)
    psus = int(table.psu.max(initial=0)) + 1
    unique, inverse = np.unique(new[keep].astype(np.int64) * psus + table.psu[keep], return_inverse=True)
    inverse = inverse.reshape(-1)
    size = unique.shape[0]
    stratum = np.zeros(size, dtype=np.intp)
    stratum[inverse] = table.stratum[keep]
    profiles = None
    if table.profiles is not None:
        old = table.profiles
        profile_domain = to[old.domain]
        inside = profile_domain >= 0
        profiles = Profiles(
            domain=profile_domain[inside],
            answered=old.answered[inside],
            satisfied=old.satisfied[inside],
            respondents=old.respondents[inside],
            weight=old.weight[inside],
        )
    return PsuTable(
        domain=(unique // psus).astype(np.intp),
        stratum=stratum,
        psu=(unique % psus).astype(np.intp),
        answers=grouped_sums(inverse, size, table.answers[keep]),
        answered=grouped_sums(inverse, size, table.answered[keep]),
        satisfied=grouped_sums(inverse, size, table.satisfied[keep]),
        profiles=profiles,
    )


def _patterns(
    domain: NDArray[np.intp], answered: NDArray[np.bool_], satisfied: NDArray[np.bool_], weights: NDArray[np.float64]
) -> Profiles:
    """Rows grouped by (domain, answer pattern): each item 0 unanswered, 1 answered and not satisfied, 2 satisfied.
    The pattern is one base-3 number (the first item its highest digit), so the groups come in the order of
    ``np.unique(axis=0)`` on (domain, states) at the cost of grouping integers."""
    states = answered.astype(np.int8) + (answered & satisfied).astype(np.int8)
    items = states.shape[1]
    domains = int(domain.max(initial=0)) + 1
    if domains * 3**items >= 2**62:  # too many items for one integer: group the rows themselves
        key = np.column_stack([domain.astype(np.int64), states.astype(np.int64)])
        unique, inverse = np.unique(key, axis=0, return_inverse=True)
        inverse, codes, pattern_domain = inverse.reshape(-1), unique[:, 1:], unique[:, 0]
    else:
        number = domain.astype(np.int64)
        for k in range(items):
            number = number * 3 + states[:, k]
        distinct, inverse = dense_codes(number, domains * 3**items)
        codes = np.empty((distinct.size, items), dtype=np.int64)
        rest = distinct
        for k in reversed(range(items)):
            codes[:, k], rest = rest % 3, rest // 3
        pattern_domain = rest
    size = codes.shape[0]
    return Profiles(
        domain=pattern_domain.astype(np.intp),
        answered=codes > 0,
        satisfied=codes == 2,
        respondents=grouped_sums(inverse, size, np.ones(weights.size)),
        weight=grouped_sums(inverse, size, weights),
    )


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
    unique, inverse = dense_codes(key, (int(labels.max(initial=0)) + 1) * n_psus)
    w = design.weights[keep]
    size = unique.size
    psu = (unique % n_psus).astype(np.intp)
    table = PsuTable(
        domain=(unique // n_psus).astype(np.intp),
        stratum=design.psu_stratum[psu],
        psu=psu,
        answers=grouped_sums(inverse, size, a[keep]),
        answered=grouped_sums(inverse, size, a[keep] * w[:, None]),
        satisfied=grouped_sums(inverse, size, s[keep] * w[:, None]),
        profiles=_patterns(labels[keep], a[keep] > 0, s[keep] > 0, w),
    )
    return table, StrataInfo(design.psus_per_stratum, design.sampling_fraction, design.lonely_psu)
