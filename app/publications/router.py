"""``/api/v1/publications``: an administrator publishes a period's figures; officials read what was published.

Thin: the body and query are checked here, :mod:`app.publications.service` computes, freezes and commits. There is
no PUT, PATCH or DELETE: a publication is superseded by a later one, never changed.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response

from app.deps import FormsDep, SessionDep
from app.error_responses import BAD_BODY
from app.officials.deps import AdminDep, CallerDep, client_ip
from app.public.i18n import Lang
from app.publications import schedules, service
from app.publications.models import Publication, PublicationSchedule
from app.publications.report import report_pdf
from app.publications.schemas import (
    PublicationOut,
    PublicationPage,
    PublishIn,
    ScheduleIn,
    ScheduleOut,
    SchedulePage,
)

router = APIRouter(prefix="/api/v1/publications", tags=["publications"])
schedules_router = APIRouter(prefix="/api/v1/publication-schedules", tags=["publications"])

_READ_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not logged in"},
    404: {"description": "No such publication or agency (or not yours)"},
}
_WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **_READ_ERRORS,
    **BAD_BODY,
    403: {"description": "needs an administrator (province_admin or national)"},
    409: {"description": "the publication to supersede is already superseded"},
}


def _summary(publication: Publication) -> dict[str, Any]:
    agency = publication.content.get("agency")
    return {
        "id": publication.id,
        "agency": agency["code"] if agency else None,
        "period_start": publication.period_start,
        "period_end": publication.period_end,
        "published_at": publication.published_at,
        "published_by": publication.published_by,
        "public": publication.public,
        "draft": publication.draft,
        "data_cutoff": publication.data_cutoff,
        "code_version": publication.code_version,
        "content_hash": publication.content_hash,
        "superseded_by": publication.superseded_by_id,
        "superseded_at": publication.superseded_at,
        "superseded_reason": publication.superseded_reason,
    }


@router.post("", status_code=201, response_model=PublicationOut, responses=_WRITE_ERRORS)
def publish(body: PublishIn, caller: AdminDep, session: SessionDep, forms: FormsDep, request: Request) -> Any:
    """Compute a period's figures for the caller's subtree (or ``agency``'s) and freeze them: every agency's overall
    index and its elements, components and items with intervals and verdicts, the method, design, weighting and
    population counts used, the form, the data cut-off and the code version, with the SHA-256 of it all. With
    ``supersedes`` (and a ``reason``) the new publication replaces an earlier one of the same agency; with ``public``
    it is shown on the public results page ``/ket-qua``."""
    found = service.publish(
        session,
        caller.scope,
        forms,
        service.PublishRequest(
            agency=body.agency,
            date_from=body.date_from,
            date_to=body.date_to,
            method=body.method,
            level=body.level,
            supersedes=body.supersedes,
            reason=body.reason,
            public=body.public,
        ),
        client_ip=client_ip(request),
    )
    return {**_summary(found), "content": found.content}


@router.get("", response_model=PublicationPage, responses=_READ_ERRORS)
def list_publications(
    caller: CallerDep,
    session: SessionDep,
    agency: Annotated[str | None, Query(max_length=64, description="Only this agency's own publications")] = None,
) -> Any:
    """The publications the caller may see, newest first (superseded ones too, marked)."""
    return {"items": [_summary(found) for found in service.list_publications(session, caller.scope, agency)]}


@router.get("/{publication_id}", response_model=PublicationOut, responses=_READ_ERRORS)
def get_publication(
    publication_id: Annotated[int, Path(ge=1, le=2**31 - 1)], caller: CallerDep, session: SessionDep
) -> Any:
    found = service.get_publication(session, caller.scope, publication_id)
    return {**_summary(found), "content": found.content}


@router.get(
    "/{publication_id}/report.pdf",
    response_class=Response,
    responses={**_READ_ERRORS, 200: {"content": {"application/pdf": {}}}, 503: {"description": "no PDF engine here"}},
)
def get_report(
    publication_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    caller: CallerDep,
    session: SessionDep,
    lang: Annotated[Lang, Query(description="vi (default) or en")] = "vi",
) -> Response:
    """The publication as a printable report (A4 PDF): cover with the headline and its verdict in words, a summary,
    the charts, the tables, the methods and a signature block; the hash and data cut-off in every page's footer.
    Drawn from the frozen content only, so it is the same whenever it is downloaded."""
    found = service.get_publication(session, caller.scope, publication_id)
    content = report_pdf(session, found, lang)
    name = f"sipas-publication-{found.id}-{lang}.pdf"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
    return Response(content, media_type="application/pdf", headers=headers)


@router.post("/{publication_id}/publish", response_model=PublicationOut, responses=_WRITE_ERRORS)
def publish_draft(
    publication_id: Annotated[int, Path(ge=1, le=2**31 - 1)], caller: AdminDep, session: SessionDep, request: Request
) -> Any:
    """Publish a schedule's draft as it is (its figures and data cut-off): from now on it is frozen, with the hash
    of its final document. 409 when it is not a draft (or another administrator just published it)."""
    found = service.publish_draft(session, caller.scope, publication_id, client_ip=client_ip(request))
    return {**_summary(found), "content": found.content}


def _schedule(session: SessionDep, found: PublicationSchedule) -> dict[str, Any]:
    return {
        "id": found.id,
        "agency": schedules.agency_code(session, found),
        "every": found.every,
        "public": found.public,
        "created_by": schedules.author_name(session, found),
        "created_at": found.created_at,
        "stopped_at": found.stopped_at,
    }


@schedules_router.post("", status_code=201, response_model=ScheduleOut, responses=_WRITE_ERRORS)
def create_schedule(body: ScheduleIn, caller: AdminDep, session: SessionDep, request: Request) -> Any:
    """Order a draft of every month or quarter of an agency's subtree, generated by ``sipas publish --due`` once the
    period has ended; an administrator publishes each draft, or not. 409 when one already runs for it."""
    found = schedules.create_schedule(
        session, caller.scope, agency=body.agency, every=body.every, public=body.public, client_ip=client_ip(request)
    )
    return _schedule(session, found)


@schedules_router.get("", response_model=SchedulePage, responses=_READ_ERRORS)
def list_schedules(caller: CallerDep, session: SessionDep) -> Any:
    return {"items": [_schedule(session, found) for found in schedules.list_schedules(session, caller.scope)]}


@schedules_router.post("/{schedule_id}/stop", response_model=ScheduleOut, responses=_WRITE_ERRORS)
def stop_schedule(
    schedule_id: Annotated[int, Path(ge=1, le=2**31 - 1)], caller: AdminDep, session: SessionDep, request: Request
) -> Any:
    """Stop a schedule (drafts already made stay); a stopped schedule is kept, with when it stopped."""
    found = schedules.stop_schedule(session, caller.scope, schedule_id, client_ip=client_ip(request))
    return _schedule(session, found)
