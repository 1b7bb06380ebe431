"""What ``sipas plan`` and ``GET /api/v1/plan`` share: the nine parameters of a plan under the names both give
them (``true_rate``, written ``--true-rate`` on the command line), one call of :func:`app.stats.plan.plan`, and the
parameter at fault named the same way."""

from __future__ import annotations

from dataclasses import dataclass

from app.stats.plan import Plan, PlanError, plan

# app.stats.plan names the percentages by their unit; the command and the API do not.
_NAMES = {"target_pct": "target", "margin_pct": "margin", "true_rate_pct": "true_rate"}


@dataclass(frozen=True)
class PlanRequest:
    """A plan's parameters, in the order the command and the API both declare them."""

    target: float
    margin: float
    deff: float = 1.0
    population: int | None = None
    level: float = 0.95
    counters: int | None = None
    months: int | None = None
    true_rate: float | None = None
    power: float | None = None

    def run(self) -> Plan:
        """The plan; a :class:`PlanError` names its parameter as this request does (``true_rate``, not
        ``true_rate_pct``)."""
        try:
            return plan(
                self.target,
                self.margin,
                deff=self.deff,
                population=self.population,
                level=self.level,
                counters=self.counters,
                months=self.months,
                true_rate_pct=self.true_rate,
                power=self.power,
            )
        except PlanError as exc:
            raise PlanError(_NAMES.get(exc.parameter, exc.parameter), exc.reason) from None
