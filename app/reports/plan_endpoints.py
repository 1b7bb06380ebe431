"""Sample-size planning over HTTP: ``GET /api/v1/plan`` (public, no data read) — see :mod:`app.stats.plan`."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from app.errors import Invalid
from app.stats.plan import DEFF, LEVEL, MARGIN, POPULATION_MAX, TARGET, PlanError, plan

router = APIRouter(prefix="/api/v1", tags=["planning"])

EXAMPLE: dict[str, Any] = {
    "target_pct": 86.0,
    "margin_pct": 3.0,
    "deff": 1.5,
    "population": 10000,
    "level": 0.95,
    "z": 1.959963984540054,
    "ministry_n": 1000,
    "srs_n": 489,
    "design_n": 716,
    "explanation": (
        "To tell a rate near 86% within ±3 points with 95% confidence, a simple random sample needs 489 responses "
        "(z²·p(1−p)/e², z = 1.96, corrected for a population of 10,000); the design effect 1.5 makes it 716. The "
        "ministry rule N/(1+N·e²) gives 1,000: it assumes a 50% rate and z = 2, and ignores the design."
    ),
}
PARAMETERS = {"target_pct": "target", "margin_pct": "margin"}


class PlanOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE]})

    target_pct: float = Field(description="The target rate (%)")
    margin_pct: float = Field(description="The wanted margin of error (± percentage points)")
    deff: float = Field(description="The design effect assumed")
    population: int | None = Field(description="N, the dossiers the sample stands for; null = a large population")
    level: float = Field(description="Confidence level")
    z: float = Field(description="Normal critical value of the level")
    ministry_n: int = Field(description="The ministry rule N/(1+N·e²), e = margin; 1/e² without N")
    srs_n: int = Field(description="Simple random sample: z²·p(1−p)/e², p = target, finite-population corrected")
    design_n: int = Field(description="srs before the correction × deff, then finite-population corrected")
    explanation: str


@router.get(
    "/plan",
    response_model=PlanOut,
    summary="Responses needed to tell a rate from its target",
    responses={422: {"description": "A parameter out of range; the message names it"}},
)
def get_plan(
    target: Annotated[float, Query(ge=TARGET[0], le=TARGET[1], allow_inf_nan=False, description="Target rate in %",
                                   examples=[86])],
    margin: Annotated[float, Query(ge=MARGIN[0], lt=MARGIN[1], allow_inf_nan=False,
                                   description="Wanted margin of error, ± percentage points", examples=[3])],
    deff: Annotated[float, Query(ge=DEFF[0], le=DEFF[1], allow_inf_nan=False,
                                 description="Design effect (1 = simple random sample)",
                                 examples=[1.5])] = 1.0,
    population: Annotated[int | None, Query(ge=1, le=POPULATION_MAX,
                                            description="N: dossiers the agency handles in the period",
                                            examples=[10000])] = None,
    level: Annotated[float, Query(ge=LEVEL[0], le=LEVEL[1], allow_inf_nan=False, description="Confidence level",
                                  examples=[0.95])] = 0.95,
) -> PlanOut:  # fmt: skip
    """The responses an agency needs to tell its satisfaction rate from the target with the wanted margin: the
    ministry's rule, a simple random sample, and the sample with the design effect. No login needed."""
    try:
        result = plan(target, margin, deff=deff, population=population, level=level)
    except PlanError as exc:  # the Query constraints catch these first; kept for safety
        name = PARAMETERS.get(exc.parameter, exc.parameter)
        raise Invalid(f"/query/{name}: {exc.reason}") from None
    return PlanOut(**asdict(result))
