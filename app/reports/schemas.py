"""The bodies of ``/api/v1/satisfaction``, ``/rankings`` and ``/trends``: figures with their intervals, and what
every answer says of how they were made (``meta``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

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
    replica_lag_seconds: float | None = Field(
        default=0.0,
        description="How many seconds of the primary's changes the figures may miss when read from a streaming "
        "replica (SIPAS_REPORTS_DATABASE_URL): 0 from the primary or a caught-up replica; null when the replica "
        "cannot say (behind, and no transaction replayed since it started)",
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


# --- /api/v1/comparisons (app/reports/comparisons.py) --------------------------------------------------------


class ComparedDifferenceOut(DifferenceOut):
    adjusted_ci_low_pct: float | None = Field(
        description="The interval adjusted for the comparison's rows together (Benjamini–Yekutieli's false-coverage "
        "interval at `adjusted_level`): it excludes 0 exactly when `significant`"
    )
    adjusted_ci_high_pct: float | None
    variance_fallback: bool = Field(
        description="The linearised variance was zero by chance: each side's p(1 − p)/n_eff was used instead"
    )


class ComparisonRowOut(BaseModel):
    indicator: str = Field(description="sipas, or element:CODE")
    metric: str
    kind: str = Field(description="overall or element")
    name: str
    estimate: dict[str, Any] | None = Field(description="The agency in the period (null: no answers)")
    other: dict[str, Any] | None = Field(
        description="The other side: the previous period, the same period a year earlier, or the rest of the "
        "parent's subtree (null: no answers)"
    )
    difference: ComparedDifferenceOut | None = Field(
        description="estimate − other in percentage points; null when a side has no answers or is unreliable"
    )
    call: Literal["up", "down", "not_distinguishable", "insufficient_data", "no_data"] = Field(
        description="up / down only when the adjusted interval excludes 0; not_distinguishable otherwise; "
        "insufficient_data when a side fails the reliability rule; no_data when a side has no answers"
    )


class ComparedAgencyOut(BaseModel):
    agency: str
    agency_name: str


class ComparisonOut(BaseModel):
    meta: MetaOut = Field(description="Of the selection read for both sides")
    against: Literal["previous", "last_year", "parent"]
    agency: str
    agency_name: str
    date_from: date | None
    date_to: date | None
    other_from: date | None = Field(description="The other side's period (the same period against the parent)")
    other_to: date | None
    parent: ComparedAgencyOut | None = Field(description="against=parent: the agency whose subtree's rest is compared")
    family: int = Field(description="Comparisons adjusted together (Benjamini–Hochberg): rows with a difference")
    significant: int = Field(description="Of which called up or down")
    adjusted_level: float | None = Field(
        description="Level of the adjusted intervals: 1 − max(significant, 1)·α/family"
    )
    rows: list[ComparisonRowOut]
    parent_total: list[dict[str, Any]] = Field(
        description="against=parent: the parent's own figures over its whole subtree, agency included (for "
        "reference; not what is compared)"
    )


# --- the voice of the citizen: reasons, comments, moderation (issue 17) ---------------------------------------


class ReasonOptionOut(BaseModel):
    option: str = Field(description="The option's code in the form")
    label: str = Field(description="Its label (Vietnamese)")
    label_en: str | None
    count: int = Field(description="Answers that chose it (responses, unweighted)")
    share_pct: float | None = Field(
        description="Its weighted share among the respondents who answered the question (%); null when nobody did. "
        "Several reasons may be chosen, so shares add up to more than 100%"
    )
    ci_low_pct: float | None
    ci_high_pct: float | None
    se_pct: float | None
    n_eff: float | None
    deff: float | None
    df: int | None
    flags: list[str]
    unreliable: bool = Field(
        description="The share fails the NCHS reliability rule (as every figure): show the count and 'not enough "
        "data', not the share"
    )
    method: str | None
    level: float | None


class ReasonQuestionOut(BaseModel):
    item: str = Field(description="The reason question's code")
    question: str
    question_en: str | None
    asked_after_item: str = Field(description="It is asked after these answers of this question")
    asked_after_levels: list[int]
    asked: int = Field(description="Respondents who answered it (the base of the shares)")
    options: list[ReasonOptionOut]


class ReasonsOut(BaseModel):
    meta: MetaOut
    counter: str | None = Field(description="AGENCY/COUNTER when the tally is one counter's (a domain of the design)")
    questions: list[ReasonQuestionOut] = Field(description="Each reason question of the form (none: it asks none)")


class CommentOut(BaseModel):
    response_id: int
    submitted_at: datetime
    local_date: date
    agency: str
    agency_name: str
    counter: str | None
    counter_name: str | None
    channel: str
    answer: int | None = Field(description="The answer to the form's lead question (`lead`), e.g. the overall rating")
    text: str = Field(description="The comment with personal data masked: [số điện thoại], [email], [mã số], [tên]")
    hidden: bool
    moderated_by: str | None = Field(description="Who hid (or showed again) the comment last")
    moderated_at: datetime | None
    moderation_reason: str | None


class CommentChoiceOut(BaseModel):
    code: str
    name: str
    levels: list[int]


class CommentsOut(BaseModel):
    form: str = Field(description="The form (id@version) whose questions `element` and `answer` refer to")
    lead: CommentChoiceOut | None = Field(description="The question each comment's `answer` is of")
    choices: list[CommentChoiceOut] = Field(description="What `element` accepts, with its answer levels")
    counter: str | None
    total: int = Field(description="Comments matching every filter (all pages)")
    hidden_total: int = Field(description="Comments of the selection hidden by administrators (not in `total`)")
    page: int
    per_page: int
    pages: int
    items: list[CommentOut] = Field(description="Newest first")


class CommentModerationIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reason": "lời lẽ xúc phạm"}]})

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)] = Field(
        description="Why (kept with the decision and in the audit log)"
    )


class CommentModerationOut(BaseModel):
    response_id: int
    hidden: bool
    changed: bool = Field(description="False when the comment already was in this state (nothing was written)")
    reason: str | None
    changed_by: str | None
    changed_at: datetime | None
