"""Sample-size planning: the responses an agency needs to tell its rate from the target with the wanted margin.

Three answers side by side, all rounded up:

- ``ministry_n``: the rule of the ministry's training material (``../shared/SIPAS.md`` §5), n = N/(1 + N·e²)
  (Yamane's formula). It assumes a 50% rate and z = 2 and ignores the design; without a population N it is
  the rule's limit 1/e².
- ``srs_n``: a simple random sample, n₀ = z²·p(1 − p)/e² with p the target rate; with a population N, the
  finite-population correction n₀/(1 + (n₀ − 1)/N).
- ``design_n``: the same for the real design: n₀ times the design effect (clustering by counter-day, unequal
  weights), then the finite-population correction.

Reference: Cochran W.G. (1977) *Sampling Techniques*, §4.4; Kish L. (1965) *Survey Sampling*, §8.2.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real

from scipy import stats


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


# The inputs a plan accepts (the API's parameters declare the same): beyond them the arithmetic stops meaning
# anything (a sample of 1 at a 0.001% target) or overflows (a design effect of 1e308).
TARGET = (0.01, 99.99)  # %
MARGIN = (0.01, 50.0)  # percentage points, the upper end excluded
DEFF = (0.01, 100.0)
LEVEL = (0.5, 0.9999)
POPULATION_MAX = 2**31 - 1


def plan(
    target_pct: float, margin_pct: float, deff: float = 1.0, population: int | None = None, level: float = 0.95
) -> Plan:
    """The responses needed to estimate a rate near ``target_pct`` % within ± ``margin_pct`` points at confidence
    ``level``, for a design with design effect ``deff``, from a population of ``population`` (None: large)."""
    target = _number("target_pct", target_pct)
    margin = _number("margin_pct", margin_pct)
    effect = _number("deff", deff)
    confidence = _number("level", level)
    if not TARGET[0] <= target <= TARGET[1]:
        raise PlanError("target_pct", f"must be a percentage from {TARGET[0]:g} to {TARGET[1]:g}, not {target_pct:g}")
    if not MARGIN[0] <= margin < MARGIN[1]:
        raise PlanError("margin_pct", f"must be at least {MARGIN[0]:g} and under {MARGIN[1]:g} percentage points, "
                                      f"not {margin_pct:g}")  # fmt: skip
    if not DEFF[0] <= effect <= DEFF[1]:
        raise PlanError("deff", f"must be a design effect from {DEFF[0]:g} to {DEFF[1]:g}, not {deff:g}")
    if not LEVEL[0] <= confidence <= LEVEL[1]:
        raise PlanError("level", f"must be a confidence level from {LEVEL[0]:g} to {LEVEL[1]:g} (0.95 for 95%), "
                                 f"not {level:g}")  # fmt: skip
    size = _population(population)

    p, e = target / 100, margin / 100
    z = float(stats.norm.ppf(1 - (1 - confidence) / 2))
    n0 = z * z * p * (1 - p) / (e * e)
    ministry = _ceil(1 / (e * e) if size is None else size / (1 + size * e * e))
    srs = _ceil(_fpc(n0, size))
    design = _ceil(_fpc(n0 * effect, size))
    return Plan(
        target_pct=target, margin_pct=margin, deff=effect, population=size, level=confidence, z=z,
        ministry_n=ministry, srs_n=srs, design_n=design,
        explanation=_explain(target, margin, effect, size, confidence, z, ministry, srs, design),
    )  # fmt: skip


def _fpc(n: float, population: int | None) -> float:
    return n if population is None else n / (1 + (n - 1) / population)


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


def _population(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise PlanError("population", f"must be a whole number from 1 to {POPULATION_MAX:,}, not {value!r}")
    if isinstance(value, Integral):
        number = int(value)
    elif isinstance(value, Real) and math.isfinite(float(value)) and float(value).is_integer():
        number = int(float(value))
    else:
        raise PlanError("population", f"must be a whole number from 1 to {POPULATION_MAX:,}, not {value!r}")
    if not 1 <= number <= POPULATION_MAX:
        raise PlanError("population", f"must be a whole number from 1 to {POPULATION_MAX:,}, not {value!r}")
    return number


def _explain(
    target: float, margin: float, deff: float, population: int | None, level: float, z: float, ministry: int,
    srs: int, design: int,
) -> str:  # fmt: skip
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
