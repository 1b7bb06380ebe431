"""Design-based estimation for a stratified, clustered, weighted sample: pure numpy, no web or database.

A domain (one agency, element, month …) is estimated as R's ``svyby`` does: the rows outside the domain stay in
the design with zero contribution, so every stratum keeps all the PSUs it has in the whole sample. Analysing a
filtered data set as if it were the sample gives different, wrong standard errors.

Reference: Lumley T. (2010) *Complex Surveys: A Guide to Analysis Using R*, ch. 2–3; R package ``survey``
(``svydesign``, ``svymean``, ``svyby``, ``svytotal``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from app.stats.weights import poststratification_weights

LonelyPsu = Literal["fail", "remove", "certainty", "adjust"]


class DesignError(ValueError):
    """The design cannot support the requested estimate (e.g. a stratum with a single PSU under ``fail``)."""


@dataclass(frozen=True)
class Design:
    """Row-level design information; build it with :func:`make_design`."""

    weights: NDArray[np.float64]
    strata: NDArray[np.intp]  # stratum index per row
    psus: NDArray[np.intp]  # PSU index per row, unique across strata (nested)
    psu_stratum: NDArray[np.intp]  # stratum index per PSU
    psus_per_stratum: NDArray[np.float64]  # n_h over the whole sample
    sampling_fraction: NDArray[np.float64]  # f_h = n_h / N_h (0 without a finite-population correction)
    lonely_psu: LonelyPsu = "fail"
    post_cells: NDArray[np.intp] | None = None  # post-stratum per row, after :func:`poststratify`

    @property
    def rows(self) -> int:
        return int(self.weights.size)

    @property
    def calibrated(self) -> bool:
        """Post-stratified: domains keep every row of the sample (R's calibrated designs do)."""
        return self.post_cells is not None


def make_design(
    weights: ArrayLike,
    *,
    strata: ArrayLike | None = None,
    clusters: ArrayLike | None = None,
    fpc: ArrayLike | None = None,
    lonely_psu: LonelyPsu = "fail",
) -> Design:
    """A one-stage design: ``svydesign(ids=~clusters, strata=~strata, weights=~weights, fpc=~fpc, nest=TRUE)``.

    ``clusters`` defaults to one PSU per row; ``strata`` to a single stratum. ``fpc`` is, per row, the number of
    PSUs in the stratum's population (N_h), giving the correction (1 − n_h/N_h); values ≤ 1 are read as the
    sampling fraction itself, as R does. ``lonely_psu`` follows R's ``options(survey.lonely.psu=…)``: a stratum
    with one PSU makes the variance fail, contributes nothing (``remove``, ``certainty``) or is centred at the
    grand mean (``adjust``)."""
    w = np.asarray(weights, dtype=np.float64)
    n = w.size
    if np.any(~np.isfinite(w)) or np.any(w < 0):
        raise DesignError("weights must be finite and non-negative")
    stratum_labels = np.zeros(n, dtype=np.intp) if strata is None else _codes(strata, n, "strata")
    cluster_labels = np.arange(n, dtype=np.intp) if clusters is None else _codes(clusters, n, "clusters")
    # Nest clusters within strata: the pair (stratum, cluster) identifies a PSU.
    clusters_size = int(cluster_labels.max(initial=0)) + 1
    pairs = stratum_labels.astype(np.int64) * clusters_size + cluster_labels
    _, psus = dense_codes(pairs, (int(stratum_labels.max(initial=0)) + 1) * clusters_size)
    psu_stratum = np.zeros(int(psus.max(initial=-1)) + 1, dtype=np.intp)
    psu_stratum[psus] = stratum_labels
    n_strata = int(stratum_labels.max(initial=-1)) + 1
    psus_per_stratum = np.bincount(psu_stratum, minlength=n_strata).astype(np.float64)
    fraction = np.zeros(n_strata)
    if fpc is not None:
        population = np.asarray(fpc, dtype=np.float64)
        if population.shape != (n,):
            raise DesignError("fpc needs one value per row")
        per_stratum = np.zeros(n_strata)
        per_stratum[stratum_labels] = population
        fraction = np.where(per_stratum <= 1, per_stratum, psus_per_stratum / np.where(per_stratum > 0, per_stratum, 1))
        if np.any(fraction > 1 + 1e-12):
            raise DesignError("fpc is smaller than the number of sampled PSUs in a stratum")
    return Design(w, stratum_labels, psus, psu_stratum, psus_per_stratum, fraction, lonely_psu)


def poststratify(design: Design, cells: ArrayLike, population: Mapping[Any, float]) -> Design:
    """``postStratify(design, ~cells, population)``: scale the weights so that each post-stratum's weights add up
    to its known population count (e.g. dossiers an agency handled in a month), with the checks of
    :func:`app.stats.weights.poststratification_weights`. The variance then removes the post-stratum means of the
    linearised values (R's ``svyrecvar``), which is what makes it smaller."""
    labels = np.asarray(cells)
    if labels.shape != (design.rows,):
        raise DesignError("post-strata need one value per row")
    try:
        weights = poststratification_weights(labels, population, base=design.weights)
    except ValueError as exc:
        raise DesignError(str(exc)) from exc
    _, codes = np.unique(labels, return_inverse=True)
    return replace(design, weights=weights, post_cells=codes.astype(np.intp))


def _codes(values: ArrayLike, n: int, name: str) -> NDArray[np.intp]:
    array = np.asarray(values)
    if array.shape != (n,):
        raise DesignError(f"{name} needs one value per row")
    if array.dtype.kind in "iu" and n and array.min() >= 0:  # codes already (sipas stats): count, do not sort
        return dense_codes(array.astype(np.int64, copy=False), int(array.max()) + 1)[1]
    _, codes = np.unique(array, return_inverse=True)
    return codes.reshape(-1).astype(np.intp)


def dense_codes(values: NDArray[np.int64], size: int) -> tuple[NDArray[np.int64], NDArray[np.intp]]:
    """``np.unique(values, return_inverse=True)`` for integers in [0, size): the distinct values, ascending, and
    each value's index among them. When the range is not much larger than the data, a count per possible value
    replaces the sort (ten times faster on ten million rows); the result is the same."""
    if size <= max(4 * values.size, 1 << 16):
        used = np.bincount(values, minlength=size) > 0
        return np.flatnonzero(used).astype(np.int64), (np.cumsum(used) - 1)[values].astype(np.intp, copy=False)
    distinct, inverse = np.unique(values, return_inverse=True)
    return distinct.astype(np.int64, copy=False), inverse.reshape(-1).astype(np.intp, copy=False)


def total_variance(design: Design, scores: NDArray[np.float64]) -> float:
    """Variance of the estimated total of linearised ``scores`` (one per row): between-PSU variance within each
    stratum, with n_h/(n_h − 1) and the finite-population correction (1 − f_h). In a post-stratified design the
    post-stratum means of scores/weight are removed first."""
    if design.post_cells is not None:
        cell_scores = np.bincount(design.post_cells, weights=scores)
        cell_weights = np.bincount(design.post_cells, weights=design.weights)
        scores = scores - design.weights * (cell_scores / cell_weights)[design.post_cells]
    psu_totals = np.bincount(design.psus, weights=scores, minlength=design.psu_stratum.size)
    n_strata = design.psus_per_stratum.size
    stratum_sums = np.bincount(design.psu_stratum, weights=psu_totals, minlength=n_strata)
    n_h = design.psus_per_stratum
    lonely = n_h == 1
    if np.any(lonely) and design.lonely_psu == "fail":
        raise DesignError("a stratum has only one PSU (set lonely_psu to remove, certainty or adjust)")
    centre = np.where(n_h > 0, stratum_sums / np.where(n_h > 0, n_h, 1), 0.0)
    if design.lonely_psu == "adjust":
        grand = psu_totals.sum() / max(psu_totals.size, 1)
        centre = np.where(lonely, grand, centre)
    deviations = psu_totals - centre[design.psu_stratum]
    squares = np.bincount(design.psu_stratum, weights=deviations**2, minlength=n_strata)
    factor = np.where(n_h > 1, n_h / np.where(n_h > 1, n_h - 1, 1), 1.0 if design.lonely_psu == "adjust" else 0.0)
    return float(np.sum((1 - design.sampling_fraction) * factor * squares))


def snap(p: float) -> float:
    """A rate that differs from 0 or 1 only by rounding (everyone satisfied: Σw·y/Σw = 1 − 2e-16) is 0 or 1."""
    return 1.0 if abs(1 - p) < 1e-12 else 0.0 if abs(p) < 1e-12 else p


@dataclass(frozen=True)
class DomainEstimate:
    """A weighted mean (a proportion for 0/1 outcomes) in a domain, with what a report needs beside it."""

    estimate: float
    variance: float
    se: float
    n: int  # rows in the domain
    df: int  # PSUs with rows in the domain − strata with rows in the domain
    sum_w: float
    deff: float  # against simple random sampling without replacement, N = Σw of the domain
    deff_replace: float  # against sampling with replacement
    total: float
    total_se: float
    census: bool = (
        False  # every stratum with rows in the domain had all its PSUs sampled (fpc): a zero variance is exact
    )

    @property
    def n_eff(self) -> float:
        """Effective sample size p(1 − p)/var (for proportions)."""
        return self.estimate * (1 - self.estimate) / self.variance if self.variance > 0 else float("nan")


def domain_mean(design: Design, y: ArrayLike, domain: ArrayLike | None = None) -> DomainEstimate:
    """``svyby(~y, ~domain, design, svymean, deff=TRUE)`` for one domain, and ``svytotal`` beside it.

    Estimate p = Σ w d y / Σ w d. Taylor linearisation of the ratio: z_i = w_i d_i (y_i − p) / Σ w d, whose
    total's variance (:func:`total_variance`) is var(p). Rows with a missing ``y`` (NaN) are outside the domain."""
    values = np.asarray(y, dtype=np.float64)
    inside = np.ones(design.rows, dtype=bool) if domain is None else np.asarray(domain, dtype=bool).copy()
    inside &= ~np.isnan(values)
    values = np.where(inside, values, 0.0)
    w = np.where(inside, design.weights, 0.0)
    sum_w = float(w.sum())
    n = int(np.count_nonzero(inside & (design.weights > 0)))
    if sum_w <= 0:
        raise DesignError("the domain is empty")
    estimate = snap(float(np.dot(w, values) / sum_w))
    variance = total_variance(design, w * (values - estimate) / sum_w)
    total = float(np.dot(w, values))
    total_var = total_variance(design, w * values)
    domain_psus = np.unique(design.psus[inside]).size
    touched = np.unique(design.strata[inside])
    domain_strata = touched.size
    census = bool(touched.size) and bool(np.all(design.sampling_fraction[touched] >= 1 - 1e-12))
    spread = float(np.dot(w, (values - estimate) ** 2) / sum_w) * n / (n - 1) if n > 1 else float("nan")
    srs_replace = spread / n
    srs = srs_replace * (sum_w - n) / sum_w
    return DomainEstimate(
        estimate=estimate,
        variance=variance,
        se=float(np.sqrt(variance)),
        n=n,
        df=domain_psus - domain_strata,
        sum_w=sum_w,
        deff=variance / srs if srs > 0 else float("nan"),
        deff_replace=variance / srs_replace if srs_replace > 0 else float("nan"),
        total=total,
        total_se=float(np.sqrt(total_var)),
        census=census,
    )
