"""The bodies of ``/api/v1/targets`` and ``/api/v1/population-counts``: what a client sends (whole rows for POST
and PUT, only the fields to change for PATCH, and for counts the reason and the outlier confirmation) and what it
gets back (rows, pages of rows, the summary of an upload).
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from app.errors import DB_INT_MAX
from app.reference.checks import MAX_DOSSIERS_PER_MONTH, MAX_REASON_CHARS, OUTLIER_FACTOR

_AGENCY = Field(min_length=1, max_length=64, description="agency code", examples=["HN"])
_INDICATOR = Field(
    min_length=1,
    max_length=64,
    examples=["sipas"],
    description="'sipas' (overall index), a component code ('service'), 'element:<code>' or 'item:<code>'",
)
_THRESHOLD = Field(ge=0, le=100, allow_inf_nan=False, description="the rate to reach, in %", examples=[86])
_SUBTREE = Field(True, description="also applies to every agency below this one (unless it has its own target)")
_DOSSIERS = Field(
    ge=0, le=DB_INT_MAX, description="dossiers handled in the period: N_h of the weights", examples=[1250]
)
_FIELD = Field(min_length=1, max_length=64, description="procedure field code; null: all fields", examples=[None])
REASON_TEXT = (
    "why: where the count comes from, or why it changes (kept in the audit log with the old and new value, and "
    "named in the figures' meta)"
)
REASON_EXAMPLE = "Báo cáo kết quả giải quyết TTHC tháng 1/2026 của Sở (số 12/BC-STP)"
_REASON = Field(min_length=1, max_length=MAX_REASON_CHARS, description=REASON_TEXT, examples=[REASON_EXAMPLE])
CONFIRM_TEXT = (
    f"store a count more than {OUTLIER_FACTOR} times, or less than 1/{OUTLIER_FACTOR} of, the agency's usual "
    "count for a period this long (the median dossiers per day of its other counts); without it such a count is "
    "a 422 that says so. The ceiling "
    f"({MAX_DOSSIERS_PER_MONTH} dossiers a month) and the floor (the responses received) are never waived"
)
_CONFIRM = Field(False, description=CONFIRM_TEXT)

_TARGET_EXAMPLE: dict[str, JsonValue] = {
    "agency": "HN",
    "indicator": "sipas",
    "period_start": "2026-01-01",
    "period_end": "2026-12-31",
    "threshold_pct": 86,
    "applies_to_subtree": True,
}
_COUNT_EXAMPLE: dict[str, JsonValue] = {
    "agency": "HN-X01",
    "period_start": "2026-01-01",
    "period_end": "2026-01-31",
    "dossiers_handled": 1250,
    "procedure_field": None,
}
_PATCH_EXAMPLE: dict[str, JsonValue] = {
    "dossiers_handled": 1320,
    "reason": "Sở gửi lại số liệu tháng 1 sau rà soát (công văn 45/STP)",
}
COUNT_CHANGE: set[str] = {"reason", "confirm_outlier"}  # not count fields: what the change says of itself


class TargetIn(BaseModel):
    """A whole target (POST, PUT)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_TARGET_EXAMPLE]})

    agency: str = _AGENCY
    indicator: str = _INDICATOR
    period_start: date
    period_end: date = Field(description="last day of the period (included)")
    threshold_pct: float = _THRESHOLD
    applies_to_subtree: bool = _SUBTREE


class TargetPatch(BaseModel):
    """Only the fields to change (PATCH)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"threshold_pct": 88}]})

    agency: str | None = Field(None, min_length=1, max_length=64)
    indicator: str | None = Field(None, min_length=1, max_length=64)
    period_start: date | None = None
    period_end: date | None = None
    threshold_pct: float | None = Field(None, ge=0, le=100, allow_inf_nan=False)
    applies_to_subtree: bool | None = None


class TargetOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={"examples": [{"id": 1, **_TARGET_EXAMPLE, "created_at": "2026-01-05T08:30:00Z"}]},
    )

    id: int
    agency: str
    indicator: str
    period_start: date
    period_end: date
    threshold_pct: float
    applies_to_subtree: bool
    created_at: datetime


class TargetPage(BaseModel):
    items: list[TargetOut]
    total: int = Field(description="rows matching the filters, before limit and offset", examples=[1])
    limit: int = Field(examples=[500])
    offset: int = Field(examples=[0])


class PopulationCountIn(BaseModel):
    """A whole population count (POST, PUT), with the reason for the change."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{**_COUNT_EXAMPLE, "reason": REASON_EXAMPLE}]}
    )

    agency: str = _AGENCY
    period_start: date
    period_end: date = Field(description="last day of the period (included)")
    dossiers_handled: int = _DOSSIERS
    procedure_field: str | None = _FIELD
    reason: str = _REASON
    confirm_outlier: bool = _CONFIRM


class PopulationCountPatch(BaseModel):
    """Only the fields to change (PATCH), and always the reason; ``procedure_field: null`` makes it the count of
    all fields."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_PATCH_EXAMPLE]})

    agency: str | None = Field(None, min_length=1, max_length=64)
    period_start: date | None = None
    period_end: date | None = None
    dossiers_handled: int | None = Field(None, ge=0, le=DB_INT_MAX)
    procedure_field: str | None = Field(None, min_length=1, max_length=64)
    reason: str = _REASON
    confirm_outlier: bool = _CONFIRM


class PopulationCountOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={"examples": [{"id": 1, **_COUNT_EXAMPLE, "created_at": "2026-02-02T08:30:00Z"}]},
    )

    id: int
    agency: str
    procedure_field: str | None
    period_start: date
    period_end: date
    dossiers_handled: int
    created_at: datetime


class PopulationCountPage(BaseModel):
    items: list[PopulationCountOut]
    total: int = Field(description="rows matching the filters, before limit and offset", examples=[1])
    limit: int = Field(examples=[500])
    offset: int = Field(examples=[0])


class UploadOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    rows: int = Field(description="data rows in the file", examples=[3])
    created: int = Field(examples=[2])
    updated: int = Field(description="rows that replaced a stored one with the same key", examples=[1])
