"""Confidence intervals for a proportion estimated from a complex sample: the methods of R's ``svyciprop``.

Every method takes the design-based estimate ``p``, its variance and the design's degrees of freedom (PSUs −
strata of the domain), and uses the t distribution with those df, as ``svyciprop(…, df = degf(design))`` does.

- ``mean``: Wald, p ± t·se.
- ``asin``: Wald on asin(√p), back-transformed (R squares the sine, as here).
- ``xlogit`` / ``logit``: Wald on the logit scale, se/(p(1−p)); ``logit`` is R's ``svyglm`` route, which
  converges to the same number (R stops its iterations ~1e-8 away).
- ``likelihood``: Rao–Scott scaled profile likelihood of the weighted binomial model. R interpolates a spline
  through a coarse profile; the engine solves for the exact roots (differences up to ~1e-4 where df ≥ 3).
- ``beta``: Korn–Graubard — effective n = p(1−p)/var · (t(n−1)/t(df))², then Clopper–Pearson. Where R returns
  NaN (p = 0 or 1, df = 0), the engine applies the NCHS guards instead: at p = 0 or 1 the effective n becomes the
  actual n (the interval then reaches 0 or 1 on one side only), and a domain without degrees of freedom gets [0, 1].
- ``beta_nchs``: Korn–Graubard exactly as the NCHS presentation standards (Parker et al. 2017) use it: the
  effective n is also capped at the actual n.
- ``wilson``: Wilson score interval with the design's effective n and t(df) (the formula of survey ≥ 4.4).

``beta`` is the default: it is the interval NCHS standards build on, keeps its bounds within [0, 1], and behaves
at 0% and 100%, where a Wald interval collapses to a point. When another method cannot give an interval (R's NaN
rows: p = 0 or 1, df ≤ 0), :func:`interval` falls back to ``beta`` and says so (``fallback``).

A linearised variance of zero with 0 < p < 1 means one of two things. With a finite-population correction that
says every PSU of the domain's strata was sampled (``census``), the rate is known exactly and the interval is the
point. Otherwise it is an accident of a small sample — one PSU, or PSUs whose rates happen to be equal (1/2 and
2/4) — not knowledge: the interval is then the NCHS-guarded Korn–Graubard one with effective n = n, and
``variance_fallback`` says so. No interval is ever narrower than the data allow.

``asin`` is clamped to [0, π/2] on the transformed scale before squaring the sine. R does not clamp, so for small
p and a large SE its bounds can wrap around and exclude the estimate (p 9%, SE 6.8, df 1 → [86.6%, 94.6%]);
clamped, they are [0%, 94.6%].
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, get_args

from scipy import special

Method = Literal["beta", "beta_nchs", "logit", "likelihood", "wilson", "xlogit", "asin", "mean"]
METHODS: tuple[str, ...] = get_args(Method)
DEFAULT_METHOD: Method = "beta"


@dataclass(frozen=True)
class Interval:
    low: float
    high: float
    method: str  # the method that produced the bounds (``beta`` after a fallback)
    fallback: bool = False  # the method asked for could not give an interval here (p = 0 or 1, df ≤ 0)
    variance_fallback: bool = False  # zero variance outside a census: effective n = n


def t_quantile(level: float, df: float) -> float:
    """The two-sided critical value qt(1 − (1 − level)/2, df); the normal one for infinite df."""
    upper = 1 - (1 - level) / 2
    return float(special.ndtri(upper)) if math.isinf(df) else float(special.stdtrit(df, upper))


def is_zero_variance(p: float, variance: float) -> bool:
    """A variance that is zero up to rounding: every PSU of every stratum was sampled (a census, with the
    finite-population correction), or all answers agree."""
    return not variance > 1e-20 * max(p * (1 - p), 1e-300)


def interval(
    p: float,
    variance: float,
    df: float,
    *,
    n: int,
    level: float = 0.95,
    method: Method = DEFAULT_METHOD,
    design_rows: int | None = None,
    census: bool = False,
) -> Interval:
    """The ``level`` confidence interval for a proportion ``p`` with design variance ``variance`` and ``df``
    degrees of freedom; ``n`` is the number of rows behind the estimate. ``design_rows`` is how many rows R keeps
    when it subsets the design to the domain: ``n``, except in a post-stratified design, which keeps them all; R's
    Korn–Graubard and likelihood intervals use it. ``census`` says that the finite-population correction covers
    every PSU of the domain's strata, so that a zero variance is knowledge rather than chance."""
    rows = n if design_rows is None else design_rows
    if method not in METHODS:
        raise ValueError(f"unknown interval method {method!r}; use one of {', '.join(METHODS)}")
    if not 0 < level < 1:
        raise ValueError("level must be between 0 and 1")
    accidental_zero = 0 < p < 1 and is_zero_variance(p, variance) and not census
    if method == "beta_nchs":
        low, high = _korn_graubard(p, variance, df, n, level, cap=True)
        return Interval(low, high, "beta_nchs", variance_fallback=accidental_zero)
    if accidental_zero:
        low, high = _korn_graubard(p, 0.0, df, n, level, cap=False)
        return Interval(low, high, "beta", fallback=method != "beta", variance_fallback=True)
    if 0 < p < 1 and is_zero_variance(p, variance):
        return Interval(p, p, method)  # a census: every PSU sampled, the rate is known exactly
    if not df > 0 or not 0 < p < 1:
        low, high = _korn_graubard(p, variance, df, rows, level, cap=False)
        return Interval(low, high, method="beta", fallback=method != "beta")
    if method == "beta":
        return Interval(*_korn_graubard(p, variance, df, rows, level, cap=False), method="beta")
    t = t_quantile(level, df)
    se = math.sqrt(variance)
    if method == "mean":
        return Interval(p - t * se, p + t * se, method)
    if method == "asin":
        centre, half = math.asin(math.sqrt(p)), t * se / (2 * math.sqrt(p * (1 - p)))
        low, high = max(centre - half, 0.0), min(centre + half, math.pi / 2)
        return Interval(math.sin(low) ** 2, math.sin(high) ** 2, method)
    if method in ("xlogit", "logit"):
        centre, half = math.log(p / (1 - p)), t * se / (p * (1 - p))
        return Interval(float(special.expit(centre - half)), float(special.expit(centre + half)), method)
    if method == "wilson":
        n_eff = p * (1 - p) / variance
        denominator = 1 + t * t / n_eff
        middle = p + t * t / (2 * n_eff)
        half = t / (2 * n_eff) * math.sqrt(4 * n_eff * p * (1 - p) + t * t)
        return Interval((middle - half) / denominator, (middle + half) / denominator, method)
    return Interval(*_likelihood(p, variance, df, level, n, rows), method="likelihood")


def korn_graubard_factor(n: int, df: float, level: float) -> float:
    """Korn–Graubard's df adjustment of the effective sample size: (t(n−1)/t(df))² at ``level`` (n ≥ 2, df > 0)."""
    alpha = 1 - level
    return float((special.stdtrit(n - 1, alpha / 2) / special.stdtrit(df, alpha / 2)) ** 2)


def _korn_graubard(p: float, variance: float, df: float, n: int, level: float, *, cap: bool) -> tuple[float, float]:
    alpha = 1 - level
    if not df > 0 or n < 2:
        return 0.0, 1.0  # no degrees of freedom: nothing is known about the rate
    factor = korn_graubard_factor(n, df, level)
    n_eff = n if (p <= 0 or p >= 1 or is_zero_variance(p, variance)) else p * (1 - p) / variance
    n_star = min(n, n_eff * factor) if cap else n_eff * factor
    low = 0.0 if p <= 0 else float(special.betaincinv(n_star * p, n_star * (1 - p) + 1, alpha / 2))
    high = 1.0 if p >= 1 else float(special.betaincinv(n_star * p + 1, n_star * (1 - p), 1 - alpha / 2))
    return low, high


def _likelihood(p: float, variance: float, df: float, level: float, n: int, rows: int) -> tuple[float, float]:
    """R's ``confint(svyglm(y ~ 1, family = quasibinomial), method = "likelihood")``, solved exactly.

    The deviance of the intercept-only model, weights W rescaled to mean 1 over the design's rows, rises by
    2·ΣW·KL(p‖μ). R scales it by the dispersion φ (the design-weighted variance of the Pearson residuals, which
    for a 0/1 outcome is n/(n − 1)) and compares it with t²·λ, λ = var_design/var_model of the logit (a design
    effect). The interval is every μ where 2·ΣW·KL(p‖μ)/φ ≤ t²·λ."""
    from scipy import optimize  # only this method needs a root finder; the others start faster without it

    dispersion = n / (n - 1)
    model_weight = float(rows)  # ΣW over the domain: the weights average 1 over the rows R keeps
    lam = variance * model_weight / (p * (1 - p))
    cutoff = t_quantile(level, df) ** 2 * lam

    def excess(mu: float) -> float:
        kl = p * math.log(p / mu) + (1 - p) * math.log((1 - p) / (1 - mu))
        return 2 * model_weight * kl / dispersion - cutoff

    tiny = 1e-15
    low = optimize.brentq(excess, tiny, p, xtol=1e-15, rtol=1e-15) if excess(tiny) > 0 else 0.0
    high = optimize.brentq(excess, p, 1 - tiny, xtol=1e-15, rtol=1e-15) if excess(1 - tiny) > 0 else 1.0
    return float(low), float(high)
