"""Sample-size planning: the responses an agency needs to tell its rate from the target with the wanted margin.

Three answers side by side, all rounded up:

- ``ministry_n``: the rule of the ministry's training material (``docs/sipas-method.md`` §4), n = N/(1 + N·e²)
  (Yamane's formula). It assumes a 50% rate and z = 2 and ignores the design; without a population N it is
  the rule's limit 1/e².
- ``srs_n``: a simple random sample, n₀ = z²·p(1 − p)/e² with p the target rate; with a population N, the
  finite-population correction n₀/(1 + (n₀ − 1)/N).
- ``design_n``: the same for the real design: n₀ times the design effect (clustering by counter-day, unequal
  weights), then the finite-population correction.

**The live design** (``counters`` and ``months``; :func:`design_plan`). Live figures are estimated with strata =
agency × calendar month and PSUs = counter × week of the month (days 1–7, 8–14, 15–21, 22–28, 29–31), and their
intervals use t on the design's degrees of freedom, PSUs with answers − strata. The plan counts 5 week-PSUs per
counter and month — the short 29–31 bin is a PSU, as every month but a 28-day February has a day 29 — so
df = months·(5·counters − 1), at least 4, whatever the number of responses. ``design_n`` is then
t²·deff·p(1 − p)/e², t the ``level`` quantile of t(df): the n whose half-width t·√(deff·p(1 − p)/n) is ``margin``.
There is always such an n (t ≤ 2.78 at 95% with df ≥ 4). The live engine applies no finite-population
correction, so neither does this ``design_n``; ``ministry_n`` and ``srs_n`` keep theirs.

**Power** (``true_rate_pct``, ``power``): the chance that officials see ``met`` — the Korn–Graubard lower bound at
or above the target — when the true rate is X > target. The estimate is taken as p̂ ~ N(X, deff·X(1 − X)/n), and
the engine's variance estimate as deff·p̂(1 − p̂)/n times χ²(df)/df (exactly 1 when df is infinite); ``met`` is
decided by :func:`app.stats.intervals.interval` itself (``beta``), so the bound is the engine's, not a Wald one.
The average over 48 χ² quantiles is :func:`met_power`. Treating the variance as known and the bound as
p̂ − t·se, Φ((X − target)/se − t), overstates the power against a simulation of the live design: 0.62 for 0.56 at
df 4 and a true rate of 89%, 0.93 for 0.80 at 90% (the Korn–Graubard bound sits below the Wald one, and a
variance estimated on 4 df is noisy); this computation is within 2 points of the simulation
(``tests/stats/test_plan.py``).

Reference: Cochran W.G. (1977) *Sampling Techniques*, §4.4; Kish L. (1965) *Survey Sampling*, §8.2; Korn E.L.,
Graubard B.I. (1998) *Confidence intervals for proportions with small expected number of positive counts estimated
from survey data*, Survey Methodology 24.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from scipy import optimize, stats

from app.stats.intervals import interval, t_quantile


class PlanError(ValueError):
    """An input :func:`plan` cannot use; ``parameter`` names it (``target_pct``, ``margin_pct``, …)."""

    def __init__(self, parameter: str, reason: str) -> None:
        super().__init__(f"{parameter} {reason}")
        self.parameter = parameter
        self.reason = reason


@dataclass(frozen=True)
class Plan:
    target_pct: float  # the target rate, e.g. 86 (%)
    margin_pct: float  # the wanted half-width of the interval, in percentage points
    deff: float
    population: int | None  # N: dossiers (or people) the sample stands for; None = large
    level: float
    z: float  # the normal critical value of the level (1.959964 at 95%)
    ministry_n: int
    srs_n: int
    design_n: int
    explanation: str


@dataclass(frozen=True)
class DesignPlan(Plan):
    """A plan that answers for the live design (``counters``, ``months``) or a power question (``true_rate_pct``)."""

    counters: int | None  # counters (service points) answering; None: the design's df taken as infinite
    months: int | None
    psus: int | None  # counter-weeks: 5 per counter and month
    design_df: int | None  # months·(5·counters − 1); None: infinite
    t: float  # the critical value design_n uses: t on design_df, z when it is infinite
    true_rate_pct: float | None  # the rate the agency really has, above the target
    power: float | None  # the chance of `met` asked for
    power_n: int | None  # responses for P(met | true rate) ≥ power
    achieved_power: float | None  # P(met | true rate) with design_n responses


# The inputs a plan accepts (the API's parameters declare the same): beyond them the arithmetic stops meaning
# anything (a sample of 1 at a 0.001% target) or overflows (a design effect of 1e308).
TARGET = (0.01, 99.99)  # %, the target and the true rate
MARGIN = (0.01, 50.0)  # percentage points, the upper end excluded
DEFF = (0.01, 100.0)
LEVEL = (0.5, 0.9999)
POPULATION_MAX = 2**31 - 1
COUNTERS = (1, 1000)  # counters of one agency
MONTHS = (1, 120)  # ten years of monthly strata
POWER = (0.5, 0.9999)

WEEKS = 5  # PSUs per counter and month: days 1–7, 8–14, 15–21, 22–28, 29–31
NODES = 48  # χ²(df) quantiles averaged over by met_power


def plan(
    target_pct: float,
    margin_pct: float,
    deff: float = 1.0,
    population: int | None = None,
    level: float = 0.95,
    *,
    counters: int | None = None,
    months: int | None = None,
    true_rate_pct: float | None = None,
    power: float | None = None,
) -> Plan:
    """The responses needed to estimate a rate near ``target_pct`` % within ± ``margin_pct`` points at confidence
    ``level``, for a design with design effect ``deff``, from a population of ``population`` (None: large).

    With ``counters``, ``months``, ``true_rate_pct`` or ``power`` the answer is :func:`design_plan`'s; without
    them it is the plain :class:`Plan`, as before."""
    if counters is None and months is None and true_rate_pct is None and power is None:
        return _plain(target_pct, margin_pct, deff, population, level)
    return design_plan(
        target_pct,
        margin_pct,
        deff,
        population,
        level,
        counters=counters,
        months=months,
        true_rate_pct=true_rate_pct,
        power=power,
    )


def design_plan(
    target_pct: float,
    margin_pct: float,
    deff: float = 1.0,
    population: int | None = None,
    level: float = 0.95,
    *,
    counters: int | None = None,
    months: int | None = None,
    true_rate_pct: float | None = None,
    power: float | None = None,
) -> DesignPlan:
    """:func:`plan` for the live design of ``counters`` counters over ``months`` months (both or neither; neither:
    infinite df, as :func:`plan`), and, given ``true_rate_pct`` (above the target), the chance of ``met`` with
    ``design_n`` responses and, given ``power``, the responses that reach it."""
    base = _plain(target_pct, margin_pct, deff, population, level)
    live = _live(counters, months)
    true_rate = _true_rate(true_rate_pct, base.target_pct)
    wanted = _power(power, true_rate)
    p, e = base.target_pct / 100, base.margin_pct / 100
    if live is None:
        df, t, design, psus, size = math.inf, base.z, base.design_n, None, base.population
    else:
        df = live[1] * (WEEKS * live[0] - 1)
        t = t_quantile(base.level, df)
        design, psus, size = _ceil(t * t * base.deff * p * (1 - p) / (e * e)), WEEKS * live[0] * live[1], None
    achieved = power_n = None
    if true_rate is not None:
        x = true_rate / 100
        achieved = met_power(_unfpc(design, size), x, p, base.deff, df, base.level)
        if wanted is not None:
            power_n = _ceil(_fpc(_responses_for(wanted, x, p, base.deff, df, base.level), size))
    result = DesignPlan(
        target_pct=base.target_pct,
        margin_pct=base.margin_pct,
        deff=base.deff,
        population=base.population,
        level=base.level,
        z=base.z,
        ministry_n=base.ministry_n,
        srs_n=base.srs_n,
        design_n=design,
        explanation="",
        counters=None if live is None else live[0],
        months=None if live is None else live[1],
        psus=psus,
        design_df=None if live is None else int(df),
        t=t,
        true_rate_pct=true_rate,
        power=wanted,
        power_n=power_n,
        achieved_power=achieved,
    )
    return _with_explanation(result, base.explanation)


def met_power(
    n: float, true_rate: float, target: float, deff: float = 1.0, df: float = math.inf, level: float = 0.95
) -> float:
    """P(``met``): the chance that the Korn–Graubard lower bound of ``n`` responses is at or above ``target`` when
    the true rate is ``true_rate`` (both fractions), for design effect ``deff`` and ``df`` degrees of freedom.

    p̂ ~ N(X, deff·X(1 − X)/n); the variance the engine estimates is deff·p̂(1 − p̂)/n·W, W ~ χ²(df)/df. For each
    W the bound is increasing in p̂ (its effective n, n/(deff·W)·(t(n−1)/t(df))², does not depend on p̂), so
    ``met`` is p̂ ≥ the p̂ whose bound is the target; the chance is averaged over ``NODES`` quantiles of W."""
    if math.isinf(n):
        return 1.0  # a census
    rows = max(2, math.ceil(n))
    thresholds = np.array(
        [_met_threshold(n, rows, target=target, deff=deff, df=df, level=level, w=w) for w in _chi2_nodes(df)]
    )
    spread = math.sqrt(deff * true_rate * (1 - true_rate) / n)
    return float(np.mean(stats.norm.sf((thresholds - true_rate) / spread)))


def _met_threshold(n: float, rows: int, *, target: float, deff: float, df: float, level: float, w: float) -> float:
    """The estimate whose Korn–Graubard lower bound is ``target``, the variance being deff·p(1 − p)/n·w."""

    def gap(p: float) -> float:
        return interval(p, deff * p * (1 - p) / n * w, df, n=rows, level=level, method="beta").low - target

    top = 1 - 1e-12
    if gap(top) < 0:
        return 1.0  # only an estimate of 100% could show it
    return float(optimize.brentq(gap, target, top, xtol=1e-12))


@functools.lru_cache(maxsize=256)
def _chi2_nodes(df: float) -> tuple[float, ...]:
    if math.isinf(df):
        return (1.0,)
    quantiles = (np.arange(NODES) + 0.5) / NODES
    return tuple(float(w) for w in stats.chi2.ppf(quantiles, df) / df)


def _responses_for(goal: float, x: float, target: float, deff: float, df: float, level: float) -> int:
    """The fewest responses (before any finite-population correction) with met_power ≥ ``goal``."""

    def reaches(n: float) -> bool:
        return met_power(n, x, target, deff, df, level) >= goal

    # Start from the normal approximation n = deff·X(1−X)·((t + z_power)/(X − target))², then bracket and bisect.
    guess = deff * x * (1 - x) * ((t_quantile(level, df) + float(stats.norm.ppf(goal))) / (x - target)) ** 2
    low, high = max(2.0, guess / 2), max(2.0, guess * 2)
    while not reaches(high):
        if high > 1e18:  # not reached within the inputs' bounds; kept so that no input can loop for ever
            raise PlanError("true_rate_pct", "is too close to the target for any number of responses to show `met`")
        low, high = high, high * 4
    while low > 2 and reaches(low):
        low, high = max(2.0, low / 4), low
    if reaches(low):
        return 2
    root = optimize.brentq(lambda n: met_power(n, x, target, deff, df, level) - goal, low, high, xtol=0.25, rtol=1e-9)
    n = math.ceil(float(root))
    while not reaches(n):
        n += 1
    while n > 2 and reaches(n - 1):
        n -= 1
    return n


def _with_explanation(result: DesignPlan, plain: str) -> DesignPlan:
    parts = [plain] if result.design_df is None else [_explain_live(result)]
    if result.true_rate_pct is not None and result.achieved_power is not None:
        parts.append(_explain_power(result))
    return dataclasses.replace(result, explanation=" ".join(parts))


def _plain(target_pct: float, margin_pct: float, deff: float, population: int | None, level: float) -> Plan:
    target = _number("target_pct", target_pct)
    margin = _number("margin_pct", margin_pct)
    effect = _number("deff", deff)
    confidence = _number("level", level)
    if not TARGET[0] <= target <= TARGET[1]:
        raise PlanError("target_pct", f"must be a percentage from {TARGET[0]:g} to {TARGET[1]:g}, not {target_pct:g}")
    if not MARGIN[0] <= margin < MARGIN[1]:
        bounds = f"at least {MARGIN[0]:g} and under {MARGIN[1]:g} percentage points"
        raise PlanError("margin_pct", f"must be {bounds}, not {margin_pct:g}")
    if not DEFF[0] <= effect <= DEFF[1]:
        raise PlanError("deff", f"must be a design effect from {DEFF[0]:g} to {DEFF[1]:g}, not {deff:g}")
    if not LEVEL[0] <= confidence <= LEVEL[1]:
        bounds = f"from {LEVEL[0]:g} to {LEVEL[1]:g} (0.95 for 95%)"
        raise PlanError("level", f"must be a confidence level {bounds}, not {level:g}")
    size = None if population is None else _whole("population", population, 1, POPULATION_MAX)

    p, e = target / 100, margin / 100
    z = float(stats.norm.ppf(1 - (1 - confidence) / 2))
    n0 = z * z * p * (1 - p) / (e * e)
    ministry = _ceil(1 / (e * e) if size is None else size / (1 + size * e * e))
    srs = _ceil(_fpc(n0, size))
    design = _ceil(_fpc(n0 * effect, size))
    return Plan(
        target_pct=target,
        margin_pct=margin,
        deff=effect,
        population=size,
        level=confidence,
        z=z,
        ministry_n=ministry,
        srs_n=srs,
        design_n=design,
        explanation=_explain(
            target=target,
            margin=margin,
            deff=effect,
            population=size,
            level=confidence,
            z=z,
            ministry=ministry,
            srs=srs,
            design=design,
        ),
    )


def _live(counters: object, months: object) -> tuple[int, int] | None:
    how = "the live design's df is months × (5 × counters − 1)"
    if counters is None and months is None:
        return None
    if months is None:
        raise PlanError("months", f"must be given with the number of counters: {how}")
    if counters is None:
        raise PlanError("counters", f"must be given with the number of months: {how}")
    return _whole("counters", counters, *COUNTERS), _whole("months", months, *MONTHS)


def _true_rate(value: object, target: float) -> float | None:
    if value is None:
        return None
    rate = _number("true_rate_pct", value)
    if not TARGET[0] <= rate <= TARGET[1]:
        raise PlanError("true_rate_pct", f"must be a percentage from {TARGET[0]:g} to {TARGET[1]:g}, not {rate:g}")
    if rate <= target:
        raise PlanError(
            "true_rate_pct",
            f"must be above the target of {target:g}%, not {rate:g}: at or below the target `met` cannot be shown "
            f"(there it is a wrong verdict, which the confidence level keeps rare whatever the sample)",
        )
    return rate


def _power(value: object, true_rate: float | None) -> float | None:
    if value is None:
        return None
    wanted = _number("power", value)
    if not POWER[0] <= wanted <= POWER[1]:
        raise PlanError(
            "power", f"must be a probability from {POWER[0]:g} to {POWER[1]:g} (0.8 for 80%), not {wanted:g}"
        )
    if true_rate is None:
        raise PlanError("true_rate_pct", "must be given with a power: the chance of `met` depends on the true rate")
    return wanted


def _fpc(n: float, population: int | None) -> float:
    return n if population is None else n / (1 + (n - 1) / population)


def _unfpc(n: int, population: int | None) -> float:
    """The responses without a finite-population correction that have the variance of ``n`` from ``population``."""
    if population is None:
        return float(n)
    return math.inf if n >= population else n * (population - 1) / (population - n)


def _ceil(x: float) -> int:
    """Round up, except a value that is a whole number but for floating-point noise (400.00000000000006)."""
    nearest = round(x)
    return int(nearest) if abs(x - nearest) <= 1e-9 * max(1.0, abs(x)) else math.ceil(x)


def _number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise PlanError(name, f"must be a number, not {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise PlanError(name, f"must be a finite number, not {value!r}")
    return number


def _whole(name: str, value: object, low: int, high: int) -> int:
    message = f"must be a whole number from {low:,} to {high:,}, not {value!r}"
    if isinstance(value, bool):
        raise PlanError(name, message)
    if isinstance(value, Integral):
        number = int(value)
    elif isinstance(value, Real) and math.isfinite(float(value)) and float(value).is_integer():
        number = int(float(value))
    else:
        raise PlanError(name, message)
    if not low <= number <= high:
        raise PlanError(name, message)
    return number


def _explain(
    *,
    target: float,
    margin: float,
    deff: float,
    population: int | None,
    level: float,
    z: float,
    ministry: int,
    srs: int,
    design: int,
) -> str:
    fpc = f", corrected for a population of {population:,}" if population is not None else ""
    text = (
        f"To tell a rate near {target:g}% within ±{margin:g} points with {level * 100:g}% confidence, a simple "
        f"random sample needs {srs:,} responses (z²·p(1−p)/e², z = {z:.4g}{fpc})"
    )
    if deff != 1:
        text += f"; the design effect {deff:g} makes it {design:,}"
    rule = "N/(1+N·e²)" if population is not None else "1/e² (its limit for a large N)"
    return text + (
        f". The ministry rule {rule} gives {ministry:,}: it assumes a 50% rate and z = 2, and ignores the design."
    )


def _explain_live(plan: DesignPlan) -> str:
    assert plan.counters is not None and plan.months is not None and plan.psus is not None
    fpc = f", corrected for a population of {plan.population:,}" if plan.population is not None else ""
    counters, months = _count(plan.counters, "counter", "counters"), _count(plan.months, "month", "months")
    text = (
        f"To tell a rate near {plan.target_pct:g}% within ±{plan.margin_pct:g} points with {plan.level * 100:g}% "
        f"confidence, a simple random sample needs {plan.srs_n:,} responses (z²·p(1−p)/e², z = {plan.z:.4g}{fpc}). "
        f"Live figures from {counters} over {months} have {plan.psus:,} counter-weeks in "
        f"{_count(plan.months, 'stratum', 'strata')} (agency × month), so {plan.design_df:,} degrees of freedom: "
        f"their intervals use t = {plan.t:.4g}, and with the design effect {plan.deff:g} the margin needs "
        f"{plan.design_n:,} responses (t²·deff·p(1−p)/e², without a finite-population correction: the live "
        f"figures have none)."
    )
    if plan.design_n < plan.psus:
        text += " That is fewer than the counter-weeks: weeks without answers leave fewer degrees of freedom."
    if plan.population is not None and plan.design_n > plan.population:
        text += (
            f" That is more responses than the population of {plan.population:,}: the margin is out of reach "
            f"in {months}; plan over more months, or for a wider margin."
        )
    rule = "N/(1+N·e²)" if plan.population is not None else "1/e² (its limit for a large N)"
    return text + (
        f" The ministry rule {rule} gives {plan.ministry_n:,}: it assumes a 50% rate and z = 2, and ignores the design."
    )


def _explain_power(plan: DesignPlan) -> str:
    assert plan.achieved_power is not None
    text = (
        f"If the true rate is {plan.true_rate_pct:g}%, {plan.design_n:,} responses show `met` (the Korn–Graubard "
        f"lower bound at or above {plan.target_pct:g}%) with probability {plan.achieved_power * 100:.0f}%"
    )
    if plan.power is not None and plan.power_n is not None:
        text += f"; a chance of {plan.power * 100:g}% needs {plan.power_n:,} responses"
    return text + "."


def _count(number: int, one: str, many: str) -> str:
    return f"{number:,} {one if number == 1 else many}"
