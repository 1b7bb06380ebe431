"""Properties every estimate and interval of the engine must have, on random small designs (Hypothesis).

A design here has 1–3 strata of 2–4 PSUs with 1–4 respondents each, positive weights, 0/1 outcomes, sometimes a
finite-population correction (with whole strata sampled: a census) and sometimes a domain.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special

from app.stats.design import Design, DomainEstimate, domain_mean, make_design
from app.stats.estimates import IndexSpec, estimate_domains
from app.stats.intervals import METHODS, Interval, interval
from app.stats.tables import Profiles, PsuTable, StrataInfo, table_from_rows

BOUNDED = ("beta", "beta_nchs", "logit", "xlogit", "wilson", "likelihood")
MIRRORED = ("beta", "beta_nchs", "xlogit", "wilson", "likelihood", "mean")
FAST = settings(max_examples=60, deadline=None)


@dataclass(frozen=True)
class Sample:
    weights: np.ndarray
    strata: np.ndarray
    clusters: np.ndarray
    fpc: np.ndarray | None
    y: np.ndarray
    domain: np.ndarray | None

    def design(self, scale: float = 1.0) -> Design:
        return make_design(self.weights * scale, strata=self.strata, clusters=self.clusters, fpc=self.fpc)

    def __repr__(self) -> str:  # a falsifying example that can be pasted into a test
        fpc = None if self.fpc is None else self.fpc.tolist()
        domain = None if self.domain is None else self.domain.tolist()
        return (
            f"Sample(weights={self.weights.tolist()}, strata={self.strata.tolist()}, "
            f"clusters={self.clusters.tolist()}, fpc={fpc}, y={self.y.tolist()}, domain={domain})"
        )


def _clusters(
    draw: st.DrawFn, *, strata_at_most: int, fewest_psus: int, unsampled_at_most: int
) -> tuple[list[int], list[int], list[float]]:
    """Respondents (1–4 per PSU) in 1–``strata_at_most`` strata of ``fewest_psus``–4 PSUs: each one's stratum, PSU
    and its stratum's population of PSUs (up to ``unsampled_at_most`` more than sampled; as many: a census)."""
    strata: list[int] = []
    clusters: list[int] = []
    fpc: list[float] = []
    for stratum in range(draw(st.integers(1, strata_at_most))):
        psus = draw(st.integers(fewest_psus, 4))
        population = psus + draw(st.integers(0, unsampled_at_most))
        for _ in range(psus):
            size = draw(st.integers(1, 4))
            strata += [stratum] * size
            clusters += [len(set(clusters))] * size
            fpc += [float(population)] * size
    return strata, clusters, fpc


@st.composite
def samples(draw: st.DrawFn, *, domains: bool = True) -> Sample:
    with_fpc = draw(st.booleans())
    strata, clusters, fpc = _clusters(draw, strata_at_most=3, fewest_psus=2, unsampled_at_most=6)
    n = len(strata)
    weights = draw(st.lists(st.floats(0.5, 50, allow_nan=False), min_size=n, max_size=n))
    y = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    domain = None
    if domains and draw(st.booleans()):
        mask = draw(st.lists(st.booleans(), min_size=n, max_size=n))
        if any(mask):
            domain = np.array(mask)
    return Sample(
        np.array(weights),
        np.array(strata),
        np.array(clusters),
        np.array(fpc) if with_fpc else None,
        np.array(y, dtype=np.float64),
        domain,
    )


def _bounds(estimate: DomainEstimate, method: str) -> Interval:
    return interval(estimate.estimate, estimate.variance, estimate.df, n=estimate.n, method=method)  # type: ignore[arg-type]


@FAST
@given(samples())
def test_bounds_contain_the_estimate_within_0_and_1(sample: Sample) -> None:
    estimate = domain_mean(sample.design(), sample.y, sample.domain)
    assert 0 <= estimate.estimate <= 1
    for method in BOUNDED:
        bounds = _bounds(estimate, method)
        assert -1e-12 <= bounds.low <= estimate.estimate + 1e-12, (method, bounds)
        assert estimate.estimate - 1e-12 <= bounds.high <= 1 + 1e-12, (method, bounds)


@FAST
@given(samples(), st.floats(1e-3, 1e3))
def test_scaling_every_weight_changes_nothing(sample: Sample, scale: float) -> None:
    first = domain_mean(sample.design(), sample.y, sample.domain)
    scaled = domain_mean(sample.design(scale), sample.y, sample.domain)
    assert scaled.estimate == pytest.approx(first.estimate, rel=1e-9, abs=1e-15)
    assert scaled.se == pytest.approx(first.se, rel=1e-9, abs=1e-15)
    assert (scaled.n, scaled.df) == (first.n, first.df)
    for method in METHODS:
        a, b = _bounds(first, method), _bounds(scaled, method)
        assert (b.low, b.high) == pytest.approx((a.low, a.high), rel=1e-9, abs=1e-12), method
        assert (b.method, b.fallback) == (a.method, a.fallback)


@FAST
@given(st.lists(st.integers(0, 1), min_size=2, max_size=40), st.floats(0.5, 50))
def test_equal_weights_one_respondent_per_psu_is_the_textbook_variance(outcomes: list[int], weight: float) -> None:
    y = np.array(outcomes, dtype=np.float64)
    n = y.size
    estimate = domain_mean(make_design(np.full(n, weight)), y)
    mean = y.mean()
    s2 = np.sum((y - mean) ** 2) / (n - 1)
    assert estimate.estimate == pytest.approx(mean, rel=1e-12, abs=1e-15)
    assert estimate.variance == pytest.approx(s2 / n, rel=1e-9, abs=1e-18)  # with replacement: s²/n
    assert estimate.variance == pytest.approx(mean * (1 - mean) / (n - 1), rel=1e-9, abs=1e-18)  # 0/1: p(1 − p)/(n − 1)
    assert (estimate.n, estimate.df) == (n, n - 1)


@FAST
@given(samples())
def test_the_mirrored_outcome_mirrors_estimate_and_bounds(sample: Sample) -> None:
    design = sample.design()
    first = domain_mean(design, sample.y, sample.domain)
    mirror = domain_mean(design, 1 - sample.y, sample.domain)
    assert mirror.estimate == pytest.approx(1 - first.estimate, abs=1e-12)
    assert mirror.se == pytest.approx(first.se, rel=1e-9, abs=1e-15)
    for method in MIRRORED:
        a, b = _bounds(first, method), _bounds(mirror, method)
        assert b.low == pytest.approx(1 - a.high, abs=1e-9), (method, a, b)
        assert b.high == pytest.approx(1 - a.low, abs=1e-9), (method, a, b)


@settings(max_examples=150, deadline=None)
@given(samples())
def test_no_interval_is_narrower_than_the_data_allow(sample: Sample) -> None:
    # Whenever 0 < p < 1 and the design is not a census, every method's interval has the estimate strictly inside:
    # zero variance from one PSU or from PSUs with equal rates falls back to Korn–Graubard with n_eff = n.
    estimate = domain_mean(sample.design(), sample.y, sample.domain)
    if not 0 < estimate.estimate < 1 or estimate.census:
        return
    for method in METHODS:
        bounds = interval(estimate.estimate, estimate.variance, estimate.df, n=estimate.n, method=method)  # type: ignore[arg-type]
        assert bounds.low < estimate.estimate < bounds.high, (method, bounds, estimate)


def test_equal_rates_in_two_psus_are_not_a_census() -> None:
    # 1 of 2 and 2 of 4 satisfied: the linearised variance is 0, but nothing says every PSU was sampled.
    design = make_design(np.ones(6), clusters=[0, 0, 1, 1, 1, 1])
    estimate = domain_mean(design, [1, 0, 1, 1, 0, 0])
    assert (estimate.estimate, estimate.variance, estimate.census) == (0.5, 0.0, False)
    bounds = interval(estimate.estimate, estimate.variance, estimate.df, n=estimate.n)
    assert bounds.variance_fallback and bounds.low < 0.5 < bounds.high
    # R: qbeta(0.025, 6·0.5·f, 6·0.5·f + 1) with f = (qt(0.975, 5)/qt(0.975, 1))²
    factor = (2.5705818366147395 / 12.706204736174707) ** 2
    assert bounds.low == pytest.approx(float(special.betaincinv(3 * factor, 3 * factor + 1, 0.025)), rel=1e-12)
    census = make_design(np.ones(6), clusters=[0, 0, 1, 1, 1, 1], fpc=np.full(6, 2.0))
    exact = domain_mean(census, [1, 0, 1, 1, 0, 0])
    assert exact.census
    assert interval(0.5, 0.0, 1, n=6, census=True).low == 0.5  # every PSU sampled: the rate is known


def test_asin_is_clamped_to_the_arc_and_keeps_its_estimate_inside() -> None:
    # p 9%, SE 6.8, df 1: R's asin interval is [86.57, 94.61]% (past the arc's ends the sine comes back); clamped,
    # both ends reach the arc's: [0, 100]%
    bounds = interval(0.09, 0.068**2, 1, n=10, method="asin")
    assert (bounds.low, bounds.high) == (0.0, 1.0)
    narrower = interval(0.09, 0.068**2, 4, n=40, method="asin")  # df 4: only the lower end is clamped
    assert narrower.low == 0.0 and 0.09 < narrower.high < 1


ITEMS = ("a", "b", "c")
INDICES = (
    IndexSpec("ab", "element", ("a", "b")),
    IndexSpec("cc", "element", ("c",)),
    IndexSpec("overall", "overall", ("ab", "cc")),
)


@dataclass(frozen=True)
class DomainSample:
    design: Design
    domain: np.ndarray
    answered: np.ndarray
    satisfied: np.ndarray

    def table(self) -> tuple[PsuTable, StrataInfo]:
        return table_from_rows(self.design, self.domain, self.answered, self.satisfied)


@st.composite
def domain_samples(draw: st.DrawFn) -> DomainSample:
    """Respondents in 1–4 strata of 1–4 PSUs (a single PSU is a lonely stratum, adjusted as R's
    ``survey.lonely.psu = "adjust"``), each in one of up to 4 domains or none, answering each of three items or
    not; sometimes a finite-population correction."""
    with_fpc = draw(st.booleans())
    strata, clusters, fpc = _clusters(draw, strata_at_most=4, fewest_psus=1, unsampled_at_most=3)
    n = len(strata)
    weights = np.array(draw(st.lists(st.floats(0.5, 50, allow_nan=False), min_size=n, max_size=n)))
    domain = np.array(draw(st.lists(st.integers(-1, 3), min_size=n, max_size=n)))
    answered = np.array(draw(st.lists(st.tuples(*[st.booleans()] * 3), min_size=n, max_size=n)), dtype=np.float64)
    satisfied = np.array(draw(st.lists(st.tuples(*[st.booleans()] * 3), min_size=n, max_size=n)), dtype=np.float64)
    design = make_design(
        weights,
        strata=np.array(strata),
        clusters=np.array(clusters),
        fpc=np.array(fpc) if with_fpc else None,
        lonely_psu="adjust",
    )
    return DomainSample(design, domain, answered, satisfied)


def _only(table: PsuTable, d: int) -> PsuTable:
    """The rows of domain d alone, as domain 0."""
    rows = table.domain == d
    profiles = table.profiles
    assert profiles is not None
    kept = profiles.domain == d
    return PsuTable(
        domain=np.zeros(int(rows.sum()), dtype=np.intp),
        stratum=table.stratum[rows],
        psu=table.psu[rows],
        answers=table.answers[rows],
        answered=table.answered[rows],
        satisfied=table.satisfied[rows],
        profiles=Profiles(
            domain=np.zeros(int(kept.sum()), dtype=np.intp),
            answered=profiles.answered[kept],
            satisfied=profiles.satisfied[kept],
            respondents=profiles.respondents[kept],
            weight=profiles.weight[kept],
        ),
    )


@FAST
@given(domain_samples(), st.sampled_from([None, 0.8]))
def test_each_domain_is_estimated_as_if_alone(sample: DomainSample, target: float | None) -> None:
    """All domains are estimated at once, column by column; each domain's estimates (rates, variances, intervals,
    degrees of freedom, design effects, flags, verdicts) must be those of the domain estimated alone, with the
    design's strata (as R's ``svyby`` keeps them)."""
    table, strata = sample.table()
    domains = int(table.domain.max(initial=-1)) + 1
    together = estimate_domains(table, strata, ITEMS, INDICES, domains=domains, target=target)
    for d in range(domains):
        (alone,) = estimate_domains(_only(table, d), strata, ITEMS, INDICES, domains=1, target=target)
        assert [e.metric for e in together[d]] == [e.metric for e in alone]
        for one, other in zip(together[d], alone, strict=True):
            for name in ("estimate", "se", "low", "high", "n_eff", "deff"):
                assert getattr(one, name) == pytest.approx(getattr(other, name), rel=1e-12, abs=1e-15, nan_ok=True)
            assert (one.n, one.df, one.flags, one.verdict, one.census, one.members) == (
                other.n,
                other.df,
                other.flags,
                other.verdict,
                other.census,
                other.members,
            )


@FAST
@given(domain_samples())
def test_item_rates_from_psu_sums_equal_the_row_level_estimator(sample: DomainSample) -> None:
    """Each domain's item rate, variance and degrees of freedom from the PSU sums equal :func:`domain_mean`'s, the
    row-level estimator (``svyby(…, svymean)``), including lonely PSUs under "adjust" — in strata the domain
    touches and in strata it does not — and finite-population corrections. (``census`` is the domain's, over the
    strata of all its rows, not the item's: it is not compared.)"""
    table, strata = sample.table()
    domains = int(table.domain.max(initial=-1)) + 1
    found = estimate_domains(table, strata, ITEMS, INDICES, domains=domains)
    for d in range(domains):
        by_metric = {estimate.metric: estimate for estimate in found[d]}
        for k, code in enumerate(ITEMS):
            answered = sample.answered[:, k] > 0
            inside = (sample.domain == d) & answered
            if not inside.any():
                assert code not in by_metric
                continue
            y = np.where(answered, sample.satisfied[:, k], np.nan)
            row_level = domain_mean(sample.design, y, sample.domain == d)
            estimate = by_metric[code]
            assert estimate.estimate == pytest.approx(row_level.estimate, rel=1e-12, abs=1e-15)
            assert estimate.se**2 == pytest.approx(row_level.variance, rel=1e-9, abs=1e-18)
            assert (estimate.df, estimate.n) == (row_level.df, row_level.n)
