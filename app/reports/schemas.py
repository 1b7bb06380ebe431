"""The bodies of ``/api/v1/satisfaction``, ``/rankings`` and ``/trends``: figures with their intervals, and what
every answer says of how they were made (``meta``)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

OutputFormat = Literal["json", "csv", "xlsx"]
ESTIMATE_COLUMNS = [
    *("indicator", "metric", "kind", "name", "estimate_pct", "ci_low_pct", "ci_high_pct", "se_pct", "n", "n_eff"),
    *("deff", "deff_reference", "df", "target_pct", "verdict", "p_value_below_target", "flags", "unreliable"),
    *("method", "level"),
]

ROW_EXAMPLE: dict[str, Any] = {
    "agency": "MA-SCT",
    "agency_name": "Sở Công Thương",
    "indicator": "sipas",
    "metric": "sipas",
    "kind": "overall",
    "name": "Chỉ số hài lòng về sự phục vụ hành chính",
    "estimate_pct": 77.49,
    "ci_low_pct": 75.66,
    "ci_high_pct": 79.25,
    "se_pct": 0.91,
    "n": 615,
    "n_eff": 428.3,
    "deff": 1.43,
    "deff_reference": "srswor",
    "df": 103,
    "target_pct": 86.0,
    "verdict": "not_met",
    "p_value_below_target": 1.0,
    "flags": [],
    "unreliable": False,
    "method": "beta",
    "level": 0.95,
}


class MetaOut(BaseModel):
    form: str = Field(description="The form (id@version) whose definitions give the indices")
    date_from: date | None
    date_to: date | None
    agency: str | None = Field(description="The agency asked about (its subtree unless subtree=false)")
    weighted: bool
    method: str
    level: float
    responses: int = Field(description="Responses in the selection (flagged ones excluded)")
    excluded_suspected_spam: int
    excluded_test: int
    responses_without_population_count: int = Field(description="Weighted: responses given the overall ΣN/Σn")
    last_response_date: date | None = Field(
        description="Newest response in the selection; without `to`, the targets in force that day judge the figures"
    )
    source: str = Field(description="live (QR code, kiosk, interview) or import (survey files, their own design)")
    design: str
    agencies_without_population_count: list[str] = Field(
        description="Weighted: agencies with responses in months without a population count (given the overall ΣN/Σn)"
    )
    recent_count_changes: list[dict[str, Any]] = Field(
        description="Weighted: population counts of these agencies and period changed in the last 30 days (agency, "
        "procedure_field, period_start, period_end, old, new, by, at, reason, action, confirmed_outlier)"
    )
    with_suspected_spam_pct: dict[str, float] = Field(
        description="When suspected spam was left out: each total indicator's estimate (%) had it been counted"
    )
    coverage: dict[str, str] = Field(
        description="What the interval does not cover (vi, en): it is sampling error only, not who chooses to answer"
    )


class SatisfactionOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"rows": [ROW_EXAMPLE], "total": []}]})

    meta: MetaOut
    rows: list[dict[str, Any]] = Field(description="One row per group and metric: " + ", ".join(ESTIMATE_COLUMNS))
    total: list[dict[str, Any]] = Field(description="The same metrics for the whole selection")
    total_mean_of_units: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Grouped by agency alone (no channel or field filter): the published convention, the plain mean "
        "of the agencies' values per indicator (each agency counts once), with the interval of that mean",
    )


class DifferenceOut(BaseModel):
    estimate_pct: float
    ci_low_pct: float = Field(description="Unadjusted interval of the difference")
    ci_high_pct: float
    se_pct: float
    df: int
    p_value: float | None = Field(description="Two-sided p-value of 'no difference', before adjustment")
    p_value_adjusted: float | None = Field(
        description="Benjamini–Hochberg p-value over every comparison of this answer; `significant` uses it"
    )
    significant: bool


class RankedOut(BaseModel):
    rank: int | None = Field(description="null: the estimate is unreliable (NCHS rule), so it is listed unranked")
    agency: str
    agency_name: str
    estimate: dict[str, Any]
    previous: dict[str, Any] | None = Field(description="The same index in the previous period of equal length")
    change: DifferenceOut | None = Field(description="This period − the previous one, with its interval")
    distinct_from_next: bool | None = Field(
        description="Whether this agency's index is statistically different from the next one's (null: last)"
    )
    difference_to_next: DifferenceOut | None


class RankingsOut(BaseModel):
    meta: MetaOut
    level: str
    indicator: str
    previous_from: date | None
    previous_to: date | None
    rows: list[RankedOut]


class TrendPointOut(BaseModel):
    period: str
    estimate: dict[str, Any]
    change: DifferenceOut | None
    alerts: list[str] = Field(
        description="significant_drop (below the previous period after the Benjamini–Hochberg adjustment over the "
        "series; only between reliable points), below_target (not_met)"
    )


class TrendOut(BaseModel):
    meta: MetaOut
    period: str
    indicator: str
    points: list[TrendPointOut]
