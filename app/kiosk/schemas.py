"""The kiosk API's request and response bodies (see docs/kiosk-api.md)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, JsonValue, StringConstraints, field_validator

from app.errors import DB_INT_MAX

ProfileValue = Annotated[str, StringConstraints(min_length=1, max_length=32)]

EXAMPLE: dict[str, JsonValue] = {
    "submission_id": "1b4e28ba-2fa1-4d2b-883f-0016d3cca427",
    "form_id": "counter-quick",
    "form_version": 1,
    "submitted_at": "2026-11-20T09:15:00+07:00",
    "answers": {"overall": 5, "access_general": 4, "civil_servant_general": 5},
}


SUBMITTED_RANGE = (datetime(2000, 1, 1, tzinfo=UTC), datetime(9000, 1, 1, tzinfo=UTC))


class SubmissionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE]})

    submission_id: uuid.UUID = Field(description="Made by the client once per answer; replays reuse it")
    form_id: str = Field(max_length=64)
    form_version: int = Field(ge=1)
    submitted_at: AwareDatetime = Field(description="Device clock, with its UTC offset")

    @field_validator("submitted_at")
    @classmethod
    def _plausible(cls, value: datetime) -> datetime:
        # Far outside any retention window, and far enough from year 1 and 9999 that arithmetic on it (offsets,
        # spam gaps) cannot overflow; the retention and clock-skew rules judge what remains.
        if not SUBMITTED_RANGE[0] <= value <= SUBMITTED_RANGE[1]:
            raise ValueError(f"must be between {SUBMITTED_RANGE[0]:%Y-%m-%d} and {SUBMITTED_RANGE[1]:%Y-%m-%d}")
        return value

    answers: dict[str, Any] = Field(description="Item code → value (level number, option code(s) or text)")
    counter: str | None = Field(default=None, max_length=64, description="A counter of the device's agency")
    dossier_code: str | None = Field(default=None, min_length=1, max_length=64)
    profile: dict[str, ProfileValue] = Field(default_factory=dict)


class BatchIn(BaseModel):
    items: list[Any] = Field(description="Submissions; each is validated and answered on its own")


class FieldProblem(BaseModel):
    pointer: str
    message: str


class Stored(BaseModel):
    status: Literal["stored", "duplicate"]
    submission_id: uuid.UUID
    response_id: int
    received_at: datetime


class ItemResult(BaseModel):
    index: int
    submission_id: uuid.UUID | None
    status: Literal["stored", "duplicate", "conflict", "invalid"]
    response_id: int | None = None
    received_at: datetime | None = None
    message: str | None = None
    errors: list[FieldProblem] | None = None


class BatchOut(BaseModel):
    results: list[ItemResult]
    counts: dict[str, int]


class HeartbeatIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    app_version: str | None = Field(default=None, max_length=64)
    queue_length: int | None = Field(
        default=None,
        ge=0,
        le=DB_INT_MAX,
        description="Answers waiting to be sent; 0 tells the server that nothing older is held (back-dating check)",
    )
    held_back: int | None = Field(default=None, ge=0, le=DB_INT_MAX)


class Name(BaseModel):
    """A name as people read it: Vietnamese always, English when one was given."""

    vi: str
    en: str | None


class HeartbeatOut(BaseModel):
    device: str
    agency: str = Field(description="The agency's code (kept for older kiosks; people see agency_name)")
    agency_name: Name
    counter: str | None = Field(description="The counter's code, or null for a kiosk of the whole agency")
    counter_name: Name | None
    server_time: datetime
    collecting: bool = Field(
        description="False once the device's counter or agency is deactivated: answers given from then on are refused"
    )
