"""``/api/v1/responses/…``: what administrators do with stored responses — download them raw (``export``) and
review the ones flagged as suspected spam (``flagged…``). The rules live in :mod:`app.responses.export` and
:mod:`app.responses.review`.

The review queue (``/api/v1/responses/flagged…``) of responses flagged as suspected spam, for administrators.

``GET /api/v1/responses/flagged`` lists them, newest first: when each arrived, through which channel, agency and
counter, why it was flagged (a burst on one link or from one browser, the honeypot field, button-mashing on a
kiosk) and its review state (``pending``, ``confirmed``, ``released``; who decided and when). Never the answers,
the dossier hash or the respondent profile. ``review`` picks the state (default ``pending``; ``all``); paginated
with ``limit`` and ``offset``; ``total`` counts the whole selection.

``POST /api/v1/responses/flagged/{id}/release`` lets a flagged answer count again; ``…/confirm`` keeps it out;
``POST /api/v1/responses/flagged/review`` makes one decision for many, all or nothing. Each needs a ``reason``; the
same decision twice changes nothing; replacing a decision made the other way needs ``"overrule": true`` (else 409).
Everything stays inside the caller's scope: another agency's response answers 404 exactly like an unknown id. The
rules live in :mod:`app.responses.review`, which also commits.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import StreamingResponse

from app.audit.service import record_download
from app.cells import MEDIA
from app.deps import FormsDep, SessionDep
from app.error_responses import BAD_BODY
from app.errors import DB_INT_MAX
from app.officials.deps import AdminDep, client_ip
from app.responses import export, review
from app.responses.export import ExportFormat
from app.responses.models import Channel
from app.responses.schemas import (
    RESPONSE_ID_MAX,
    BulkReviewIn,
    BulkReviewOut,
    Decision,
    FlaggedPage,
    ReviewFilter,
    ReviewIn,
    ReviewOut,
)
from app.responses.selection import Filters

router = APIRouter(prefix="/api/v1", tags=["responses"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not logged in"},
    403: {"description": "Not an administrator"},
    429: {"description": "Too many requests from this official (see Retry-After)"},
}
_DECISION_ERRORS: dict[int | str, dict[str, Any]] = {
    **_ERRORS,
    **BAD_BODY,
    404: {"description": "No flagged response with this id in the caller's scope (nothing was changed)"},
    409: {"description": "Already decided the other way (send overrule: true), or changed meanwhile; unchanged"},
    422: {"description": "Invalid body: the message names the field (the reason is required)"},
}

ResponseIdPath = Annotated[int, Path(ge=1, le=RESPONSE_ID_MAX, description="The flagged response's id")]


@router.get(
    "/responses/export",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/csv": {}, MEDIA["xlsx"]: {}}, "description": "One row per response"},
        401: {"description": "Not logged in"},
        403: {"description": "Administrators only"},
        404: {"description": "No such agency (or not yours)"},
        422: {"description": "A parameter is wrong; the message names it"},
    },
)
def export_responses(
    *,
    request: Request,
    caller: AdminDep,
    session: SessionDep,
    forms: FormsDep,
    agency: Annotated[str | None, Query(description="Agency code; default: the whole scope")] = None,
    subtree: Annotated[bool, Query(description="Include the agencies below it")] = True,
    date_from: Annotated[date | None, Query(alias="from", description="First day (local date), inclusive")] = None,
    date_to: Annotated[date | None, Query(alias="to", description="Last day (local date), inclusive")] = None,
    form: Annotated[str | None, Query(description="ID or ID@VERSION; default: the form most answered")] = None,
    channel: Annotated[Channel | None, Query(description="Only responses of this channel")] = None,
    format: Annotated[ExportFormat, Query(description="csv or xlsx")] = "csv",
) -> StreamingResponse:
    """Raw responses, one row each, with their answers as columns (item codes), channel, agency and counter codes,
    local date and flags — no personal data: no ids, dossier hashes, profile fields or free-text answers.
    Administrators only; audited."""
    filters = Filters(agency=agency, subtree=subtree, date_from=date_from, date_to=date_to, form=form, channel=channel)
    selection = export.Selection(session, caller.scope, forms, filters)
    record_download(
        session,
        actor=caller.official.username,
        official_id=caller.official.id,
        what="responses",
        file_format=format,
        rows=selection.count(session),
        query=str(request.url.query),
        client_ip=client_ip(request),
    )
    filename = f"sipas-responses-{date.today().isoformat()}.{format}"
    return StreamingResponse(
        export.stream(request.app.state.session_factory, selection, format),
        media_type=MEDIA[format],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    "/responses/flagged",
    response_model=FlaggedPage,
    summary="The review queue of responses flagged as suspected spam (administrators); newest first",
    responses={**_ERRORS, 404: {"description": "No such agency in the caller's scope"}},
)
def flagged(
    *,
    caller: AdminDep,
    session: SessionDep,
    review_state: Annotated[
        ReviewFilter,
        Query(alias="review", description="pending (default: no decision yet), confirmed, released or all"),
    ] = ReviewFilter.pending,
    agency: Annotated[str | None, Query(description="An agency code; its subtree unless subtree=false")] = None,
    subtree: bool = True,
    date_from: Annotated[date | None, Query(alias="from", description="First local date (inclusive)")] = None,
    date_to: Annotated[date | None, Query(alias="to", description="Last local date (inclusive)")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=DB_INT_MAX)] = 0,
) -> FlaggedPage:
    filters = Filters(agency=agency, subtree=subtree, date_from=date_from, date_to=date_to)
    return review.flagged_page(session, caller.scope, filters, review_state, limit=limit, offset=offset)


def _one(
    session: SessionDep, caller: AdminDep, request: Request, response_id: int, decision: Decision, body: ReviewIn
) -> ReviewOut:
    done = review.decide(
        session,
        caller.scope,
        [response_id],
        decision,
        reason=body.reason,
        overrule=body.overrule,
        client_ip=client_ip(request),
    )
    return ReviewOut(decision=decision, changed=bool(done.changed), item=done.items[0])


@router.post(
    "/responses/flagged/{response_id}/release",
    response_model=ReviewOut,
    summary="Release a flagged response: it counts in every figure again (administrators; reason required)",
    responses=_DECISION_ERRORS,
)
def release(
    response_id: ResponseIdPath, body: ReviewIn, caller: AdminDep, session: SessionDep, request: Request
) -> ReviewOut:
    return _one(session, caller, request, response_id, Decision.release, body)


@router.post(
    "/responses/flagged/{response_id}/confirm",
    response_model=ReviewOut,
    summary="Confirm a flagged response: it stays out of every figure (administrators; reason required)",
    responses=_DECISION_ERRORS,
)
def confirm(
    response_id: ResponseIdPath, body: ReviewIn, caller: AdminDep, session: SessionDep, request: Request
) -> ReviewOut:
    return _one(session, caller, request, response_id, Decision.confirm, body)


@router.post(
    "/responses/flagged/review",
    response_model=BulkReviewOut,
    summary="One decision (release or confirm) for many flagged responses, all or nothing (administrators)",
    responses=_DECISION_ERRORS,
)
def review_many(body: BulkReviewIn, caller: AdminDep, session: SessionDep, request: Request) -> BulkReviewOut:
    done = review.decide(
        session,
        caller.scope,
        body.ids,
        body.decision,
        reason=body.reason,
        overrule=body.overrule,
        client_ip=client_ip(request),
    )
    return BulkReviewOut(
        decision=body.decision,
        changed=len(done.changed),
        unchanged=len(done.items) - len(done.changed),
        items=done.items,
    )
