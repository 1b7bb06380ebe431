"""What the publications API takes and gives."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.stats.intervals import DEFAULT_METHOD, Method


class PublishIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    agency: str | None = Field(
        default=None, max_length=64, description="Code of the subtree's root; default: the caller's whole scope"
    )
    date_from: date = Field(alias="from", description="First day of the period")
    date_to: date = Field(alias="to", description="Last day of the period")
    method: Method = Field(default=DEFAULT_METHOD, description="Interval method")
    level: float = Field(default=0.95, ge=0.5, lt=1, description="Confidence level")
    supersedes: int | None = Field(default=None, ge=1, le=2**31 - 1, description="The publication this one replaces")
    reason: str | None = Field(default=None, max_length=500, description="Why (required with supersedes)")
    public: bool = Field(default=False, description="Show it on the public results page /ket-qua (open data)")


class PublicationSummaryOut(BaseModel):
    id: int
    agency: str | None = Field(description="The subtree's root; null: the whole country")
    period_start: date
    period_end: date
    published_at: datetime
    published_by: str
    public: bool = Field(description="Shown on the public results page /ket-qua")
    draft: bool = Field(description="A schedule's draft, not yet published (nowhere public)")
    data_cutoff: datetime | None = Field(description="The newest received_at among the subtree's responses then")
    code_version: str
    content_hash: str = Field(description="SHA-256 of the content's canonical JSON (keys sorted, no spaces, UTF-8)")
    superseded_by: int | None
    superseded_at: datetime | None
    superseded_reason: str | None


class PublicationOut(PublicationSummaryOut):
    content: dict[str, Any] = Field(
        description="The frozen figures and everything they depend on (docs/publications.md)"
    )


class PublicationPage(BaseModel):
    items: list[PublicationSummaryOut]


class ScheduleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agency: str | None = Field(default=None, max_length=64, description="Code; default: the caller's whole scope")
    every: Literal["month", "quarter"] = Field(description="A draft of every month or every quarter, once it ended")
    public: bool = Field(default=False, description="Its drafts go on /ket-qua when published")


class ScheduleOut(BaseModel):
    id: int
    agency: str | None = Field(description="null: the whole country")
    every: str
    public: bool
    created_by: str
    created_at: datetime
    stopped_at: datetime | None


class SchedulePage(BaseModel):
    items: list[ScheduleOut]
