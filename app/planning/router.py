"""Sample-size planning over HTTP: ``GET /api/v1/plan`` (public, no data read) — see :mod:`app.stats.plan`."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query

from app.errors import Invalid
from app.planning.schemas import PlanOut
from app.planning.service import PlanRequest
from app.stats.plan import COUNTERS, DEFF, LEVEL, MARGIN, MONTHS, POPULATION_MAX, POWER, TARGET, PlanError

router = APIRouter(prefix="/api/v1", tags=["planning"])


Target = Annotated[
    float,
    Query(ge=TARGET[0], le=TARGET[1], allow_inf_nan=False, description="Target rate in %", examples=[86]),
]
Margin = Annotated[
    float,
    Query(
        ge=MARGIN[0],
        lt=MARGIN[1],
        allow_inf_nan=False,
        description="Wanted margin of error, ± percentage points",
        examples=[3],
    ),
]
Deff = Annotated[
    float,
    Query(
        ge=DEFF[0],
        le=DEFF[1],
        allow_inf_nan=False,
        description="Design effect (1 = simple random sample)",
        examples=[1.5],
    ),
]
Population = Annotated[
    int | None,
    Query(ge=1, le=POPULATION_MAX, description="N: dossiers the agency handles in the period", examples=[10000]),
]
Level = Annotated[
    float,
    Query(ge=LEVEL[0], le=LEVEL[1], allow_inf_nan=False, description="Confidence level", examples=[0.95]),
]
Counters = Annotated[
    int | None,
    Query(
        ge=COUNTERS[0],
        le=COUNTERS[1],
        description="Counters answering: plan for the live design (with months)",
        examples=[1],
    ),
]
Months = Annotated[
    int | None,
    Query(ge=MONTHS[0], le=MONTHS[1], description="Months the figure covers (with counters)", examples=[1]),
]
TrueRate = Annotated[
    float | None,
    Query(
        ge=TARGET[0],
        le=TARGET[1],
        allow_inf_nan=False,
        description="A true rate above the target, in %: the chance to show `met` at it",
        examples=[89],
    ),
]
Power = Annotated[
    float | None,
    Query(
        ge=POWER[0],
        le=POWER[1],
        allow_inf_nan=False,
        description="The chance of `met` wanted at true_rate (e.g. 0.8)",
        examples=[0.8],
    ),
]


@router.get(
    "/plan",
    response_model=PlanOut,
    response_model_exclude_unset=True,
    summary="Responses needed to tell a rate from its target",
    responses={422: {"description": "A parameter out of range; the message names it"}},
)
def get_plan(
    *,
    target: Target,
    margin: Margin,
    deff: Deff = 1.0,
    population: Population = None,
    level: Level = 0.95,
    counters: Counters = None,
    months: Months = None,
    true_rate: TrueRate = None,
    power: Power = None,
) -> PlanOut:
    """The responses an agency needs to tell its satisfaction rate from the target with the wanted margin: the
    ministry's rule, a simple random sample, and the sample with the design effect — with `counters` and `months`,
    for the live design's degrees of freedom; with `true_rate` (and `power`), the chance to show `met`. No login
    needed."""
    request = PlanRequest(target, margin, deff, population, level, counters, months, true_rate, power)
    try:
        result = request.run()
    except PlanError as exc:  # relations between parameters (true_rate above target, …); the Query bounds come first
        raise Invalid(f"/query/{exc.parameter}: {exc.reason}") from None
    return PlanOut(**asdict(result))
