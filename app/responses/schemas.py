"""What the review queue of flagged responses reads and answers (``/api/v1/responses/flagged…``)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.responses.models import Channel

# Response ids are BIGINT on PostgreSQL (INTEGER, also 64-bit, on SQLite).
RESPONSE_ID_MAX = 2**63 - 1
MAX_BULK = 500  # ids in one bulk decision: one page of the listing at most


class ReviewState(StrEnum):
    """Where a flagged response is in the queue: ``pending`` (flagged, no decision yet: left out of the figures),
    ``confirmed`` (an administrator kept it out), ``released`` (an administrator let it count again)."""

    pending = "pending"
    confirmed = "confirmed"
    released = "released"


class ReviewFilter(StrEnum):
    pending = "pending"
    confirmed = "confirmed"
    released = "released"
    all = "all"


class Decision(StrEnum):
    release = "release"
    confirm = "confirm"


ReasonText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=500),
    Field(description="Why (kept in the audit log with the decision)", examples=["a real citizen: see the logbook"]),
]
Overrule = Annotated[
    bool,
    Field(
        description="Set true to replace a decision already made the other way (without it: 409); ignored otherwise",
    ),
]
ResponseId = Annotated[int, Field(ge=1, le=RESPONSE_ID_MAX)]


class FlaggedResponse(BaseModel):
    id: int
    received_at: datetime
    submitted_at: datetime
    local_date: date
    channel: Channel
    agency: str
    agency_name: str
    counter: str | None
    flag_reason: str | None
    review: ReviewState
    reviewed_at: datetime | None = Field(description="When the decision was made (null while pending)")
    reviewed_by: str | None = Field(description="The administrator who made it (username; null while pending)")


class FlaggedPage(BaseModel):
    total: int
    limit: int
    offset: int
    review: ReviewFilter
    items: list[FlaggedResponse]


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reason": "a real citizen"}]})

    reason: ReasonText
    overrule: Overrule = False


class BulkReviewIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"ids": [812, 813], "decision": "confirm", "reason": "script, one minute"}]},
    )

    ids: Annotated[
        list[ResponseId],
        Field(
            min_length=1,
            max_length=MAX_BULK,
            description="Flagged responses in the caller's scope (a repeated id counts once)",
        ),
    ]
    decision: Decision
    reason: ReasonText
    overrule: Overrule = False


class ReviewOut(BaseModel):
    decision: Decision
    changed: bool = Field(description="False when the response already had this decision (nothing was written)")
    item: FlaggedResponse


class BulkReviewOut(BaseModel):
    decision: Decision
    changed: int = Field(description="Responses whose state changed (one audit event each)")
    unchanged: int = Field(description="Responses that already had this decision")
    items: list[FlaggedResponse] = Field(description="Every response asked about, in the order given, as it is now")
