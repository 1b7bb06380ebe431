"""When an estimate may be judged: the reliability rule that governs verdicts, comparisons and alerts.

Written once, here; the API, the dashboard, exports and ``sipas stats`` all apply it through
:func:`app.stats.estimates.judged` and :func:`reliable`.

The rule follows the NCHS data presentation standards for proportions (Parker J.D. et al. 2017, *National Center
for Health Statistics Data Presentation Standards for Proportions*, Vital Health Stat 2(175)). An estimate is
**unreliable** when any of these holds:

- ``no_df``: the design has no degrees of freedom in the domain (all its answers come from one PSU — one counter in
  one week — so nothing is known about the variation between PSUs);
- ``effective_n_below_30``: the Korn–Graubard effective sample size, n_eff·(t(n−1)/t(df))² capped at n, is below 30
  (n_eff = p(1−p)/var for an item, the variance of the per-respondent linearised score over var for an index);
- ``ci_width_30_or_more``: the interval is 30 percentage points wide or more;
- ``relative_ci_width_above_130``: the interval is wider than 5 points and than 130% of the estimate.

``df_below_8`` (fewer than 8 degrees of freedom) asks for review and does not by itself make an estimate
unreliable, as in the standard. ``interval_fallback`` and ``variance_fallback`` say which interval was used.

An unreliable estimate gets the verdict ``insufficient_data`` instead of ``met`` / ``not_met`` / ``inconclusive``, is
not ranked, and is never compared (rankings' ``distinct_from_next``, period-over-period changes and alerts).
"""

from __future__ import annotations

import math
from typing import Literal

from app.stats.intervals import Method, interval, korn_graubard_factor

Verdict = Literal["met", "not_met", "inconclusive", "insufficient_data"]

MIN_EFFECTIVE_N = 30
MAX_CI_WIDTH = 0.30
RELATIVE_CI_WIDTH = 1.30
RELATIVE_RULE_FROM_WIDTH = 0.05
REVIEW_DF = 8

UNRELIABLE = frozenset({"effective_n_below_30", "ci_width_30_or_more", "relative_ci_width_above_130", "no_df"})


def korn_graubard_effective_n(n: int, n_eff: float, df: int) -> float:
    """The NCHS effective sample size: n_eff·(t(n−1)/t(df))² at the 95% level, capped at n (0 without df)."""
    if df <= 0 or n <= 1:
        return 0.0
    return float(min(n, n_eff * korn_graubard_factor(n, df, 0.95)))


def flags_for(
    p: float, low: float, high: float, *, n: int, n_eff: float, df: int, fallback: bool, variance_fallback: bool
) -> tuple[str, ...]:
    """The NCHS flags of an estimate ``p`` with interval [``low``, ``high``] from ``n`` answers (or respondents)."""
    result: list[str] = []
    if df <= 0:
        result.append("no_df")
    else:
        if korn_graubard_effective_n(n, n_eff, df) < MIN_EFFECTIVE_N:
            result.append("effective_n_below_30")
        if df < REVIEW_DF:
            result.append("df_below_8")
    width = high - low
    if width >= MAX_CI_WIDTH:
        result.append("ci_width_30_or_more")
    elif width > RELATIVE_RULE_FROM_WIDTH and p > 0 and width / p > RELATIVE_CI_WIDTH:
        result.append("relative_ci_width_above_130")
    if fallback:
        result.append("interval_fallback")
    if variance_fallback:
        result.append("variance_fallback")
    return tuple(result)


def reliable(flags: tuple[str, ...] | frozenset[str]) -> bool:
    """Whether an estimate with these flags may carry a verdict, a rank or a comparison."""
    return not (set(flags) & UNRELIABLE)


def verdict_for(low: float, high: float, target: float, *, is_reliable: bool = True) -> Verdict:
    """``met`` when the whole interval is at or above the target, ``not_met`` when it is below, else
    ``inconclusive``; ``insufficient_data`` for an unreliable estimate, whatever its interval."""
    if not is_reliable:
        return "insufficient_data"
    if low >= target:
        return "met"
    if high < target:
        return "not_met"
    return "inconclusive"


def p_value_below_target(
    p: float,
    variance: float,
    df: int,
    target: float,
    *,
    n: int,
    method: Method,
    census: bool = False,
) -> float:
    """The one-sided p-value of the hypothesis "the true rate is below the target", by inverting the same interval
    the verdict uses: for p ≥ target, the α at which the lower bound of the (1 − 2α) interval equals the target;
    for p < target, 1 − β where β is that α for the upper bound. Small values are evidence that the target is met.

    At level L, ``met`` ⇔ p-value ≤ (1 − L)/2 and ``not_met`` ⇔ p-value ≥ 1 − (1 − L)/2 (exactly, up to the root
    finder's 1e-12 on the level), so the number can never contradict the verdict: an ``inconclusive`` estimate has
    a p-value between 0.025 and 0.975 at the 95% level. (It replaces the former "P(true rate ≥ target)" of a
    flat-prior t approximation, which said 0.9965 for an inconclusive verdict.)"""

    def bound(level: float, upper: bool) -> float:
        found = interval(p, variance, df, n=n, level=level, method=method, census=census)
        return found.high if upper else found.low

    upper = p < target
    if p == target:
        return 0.5
    # Korn–Graubard's factor (t(n−1)/t(df))² is 0/0 at the 0% level: start from a 1% interval, so p-values are
    # resolved from 0 to 0.495 and from 0.505 to 1 (0.5 between), which covers every verdict's threshold.
    narrow, wide = 0.01, 1 - 1e-12

    def excess(level: float) -> float:
        value = bound(level, upper) - target
        return -value if upper else value

    if excess(narrow) <= 0:
        alpha = 0.5  # even the narrowest interval reaches the target (an interval that never shrinks to p)
    elif excess(wide) >= 0:
        alpha = (1 - wide) / 2
    else:
        from scipy import optimize  # here: only a verdict's p-value needs a root finder (`sipas stats` starts faster)

        level = optimize.brentq(excess, narrow, wide, xtol=1e-12, rtol=1e-12)
        alpha = (1 - level) / 2
    value = 1 - alpha if upper else alpha
    return float(min(max(value, 0.0), 1.0)) if math.isfinite(value) else 0.5
