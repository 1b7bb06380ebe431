"""The body of ``GET /api/v1/plan``: a sample-size plan and how it was reached."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

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
# GET /api/v1/plan?target=86&margin=3&counters=1&months=1&true_rate=89&power=0.8
LIVE_EXAMPLE: dict[str, Any] = {
    "target_pct": 86.0,
    "margin_pct": 3.0,
    "deff": 1.0,
    "population": None,
    "level": 0.95,
    "z": 1.959963984540054,
    "ministry_n": 1112,
    "srs_n": 514,
    "design_n": 1032,
    "explanation": (
        "To tell a rate near 86% within ±3 points with 95% confidence, a simple random sample needs 514 responses "
        "(z²·p(1−p)/e², z = 1.96). Live figures from 1 counter over 1 month have 5 counter-weeks in 1 stratum "
        "(agency × month), so 4 degrees of freedom: their intervals use t = 2.776, and with the design effect 1 the "
        "margin needs 1,032 responses (t²·deff·p(1−p)/e², without a finite-population correction: the live figures "
        "have none). The ministry rule 1/e² (its limit for a large N) gives 1,112: it assumes a 50% rate and z = 2, "
        "and ignores the design. If the true rate is 89%, 1,032 responses show `met` (the Korn–Graubard lower bound "
        "at or above 86%) with probability 55%; a chance of 80% needs 1,857 responses."
    ),
    "counters": 1,
    "months": 1,
    "psus": 5,
    "design_df": 4,
    "t": 2.7764451051977934,
    "true_rate_pct": 89.0,
    "power": 0.8,
    "power_n": 1857,
    "achieved_power": 0.5548750792184433,
}


class PlanOut(BaseModel):
    """The plan; the fields from ``counters`` on are there only when ``counters``/``months`` or ``true_rate`` were
    given (without them the answer is the same as before they existed)."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE, LIVE_EXAMPLE]})

    target_pct: float = Field(description="The target rate (%)")
    margin_pct: float = Field(description="The wanted margin of error (± percentage points)")
    deff: float = Field(description="The design effect assumed")
    population: int | None = Field(description="N, the dossiers the sample stands for; null = a large population")
    level: float = Field(description="Confidence level")
    z: float = Field(description="Normal critical value of the level")
    ministry_n: int = Field(description="The ministry rule N/(1+N·e²), e = margin; 1/e² without N")
    srs_n: int = Field(description="Simple random sample: z²·p(1−p)/e², p = target, finite-population corrected")
    design_n: int = Field(
        description="srs before the correction × deff, then finite-population corrected; for the live design "
        "(counters, months) t²·deff·p(1−p)/e² with t on design_df, uncorrected (live figures have no correction)"
    )
    explanation: str
    counters: int | None = Field(None, description="Counters answering (the live design's PSUs are counter-weeks)")
    months: int | None = Field(None, description="Months the figure covers (the live design's strata)")
    psus: int | None = Field(None, description="Counter-weeks: 5 per counter and month")
    design_df: int | None = Field(None, description="months × (5 × counters − 1); null = infinite (no design)")
    t: float | None = Field(None, description="The critical value design_n uses: t on design_df, or z")
    true_rate_pct: float | None = Field(None, description="The true rate the power is for (%)")
    power: float | None = Field(None, description="The chance of `met` asked for")
    power_n: int | None = Field(None, description="Responses for that chance of `met` at the true rate")
    achieved_power: float | None = Field(
        None, description="P(`met`: Korn–Graubard lower bound ≥ target | true rate) with design_n responses"
    )
