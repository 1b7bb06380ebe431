"""``GET /api/v1/responses/flagged``: the responses left out of every figure as suspected spam, for administrators.

One row per flagged response, newest first: when it arrived, through which channel, agency and counter, and why it
was flagged (a burst on one link or from one browser, the honeypot field, button-mashing on a kiosk). Never the
answers, the dossier hash or the respondent profile. Inside the caller's scope like every official endpoint;
paginated with ``limit`` and ``offset``; ``total`` counts the whole selection.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import func, select

from app.deps import SessionDep
from app.directory.models import Agency, Counter
from app.errors import DB_INT_MAX
from app.officials.deps import AdminDep
from app.reports.satisfaction import Filters, agency_selection
from app.responses.models import Channel, Response

router = APIRouter(prefix="/api/v1", tags=["responses"])


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


class FlaggedPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[FlaggedResponse]


@router.get(
    "/responses/flagged",
    response_model=FlaggedPage,
    summary="Responses flagged as suspected spam (administrators): reason, agency, counter, time; newest first",
    responses={401: {"description": "Not logged in"}, 403: {"description": "Not an administrator"},
               404: {"description": "No such agency in the caller's scope"},
               429: {"description": "Too many requests from this official (see Retry-After)"}},
)  # fmt: skip
def flagged(
    caller: AdminDep,
    session: SessionDep,
    agency: Annotated[str | None, Query(description="An agency code; its subtree unless subtree=false")] = None,
    subtree: bool = True,
    date_from: Annotated[date | None, Query(alias="from", description="First local date (inclusive)")] = None,
    date_to: Annotated[date | None, Query(alias="to", description="Last local date (inclusive)")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=DB_INT_MAX)] = 0,
) -> FlaggedPage:
    filters = Filters(agency=agency, subtree=subtree, date_from=date_from, date_to=date_to)
    filters.check()
    _root, agencies = agency_selection(session, caller.scope, filters)
    conditions = [agencies, Response.is_suspected_spam.is_(True)]
    if date_from:
        conditions.append(Response.local_date >= date_from)
    if date_to:
        conditions.append(Response.local_date <= date_to)
    total = int(session.scalar(select(func.count()).select_from(Response).where(*conditions)) or 0)
    rows = session.execute(
        select(Response.id, Response.received_at, Response.submitted_at, Response.local_date, Response.channel,
               Agency.code, Agency.name_vi, Counter.code, Response.flag_reason)
        .join(Agency, Agency.id == Response.agency_id)
        .outerjoin(Counter, Counter.id == Response.counter_id)
        .where(*conditions)
        .order_by(Response.received_at.desc(), Response.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()  # fmt: skip
    items = [
        FlaggedResponse(id=row[0], received_at=row[1], submitted_at=row[2], local_date=row[3], channel=row[4],
                        agency=row[5], agency_name=row[6], counter=row[7], flag_reason=row[8])
        for row in rows
    ]  # fmt: skip
    return FlaggedPage(total=total, limit=limit, offset=offset, items=items)
