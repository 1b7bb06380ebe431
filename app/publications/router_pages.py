"""``/dashboard/publications``: the publications of the official's scope, each with its printed report (and its public
page when public); administrators publish a period from the same page (the button the issue asks for), optionally
public, optionally superseding an earlier publication with a reason.

It renders inside the dashboard's layout (its ``base.html``, navigation and session rules: ``app.dashboard.rendering``)
with a template of its own; the dashboard draws nothing of publications, so this package sits above it."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from app.dashboard import manage
from app.dashboard.rendering import (
    HERE as DASHBOARD_TEMPLATES,
)
from app.dashboard.rendering import (
    NO_STORE,
    AdminFormViewerDep,
    Viewer,
    ViewerDep,
    base_context,
    lang_of,
    page_router,
)
from app.deps import FormsDep, SessionDep
from app.errors import Invalid, SipasError
from app.officials.deps import client_ip
from app.publications import schedules, service
from app.publications.words import say

router = page_router()
_ENVIRONMENT = Environment(
    loader=ChoiceLoader(
        [FileSystemLoader(FilePath(__file__).parent / "templates"), FileSystemLoader(DASHBOARD_TEMPLATES / "templates")]
    ),
    autoescape=select_autoescape(["html"]),
)
templates = Jinja2Templates(env=_ENVIRONMENT)
PAGE = "/dashboard/publications"


def _render(
    request: Request, viewer: Viewer, session: SessionDep, extra: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    lang = lang_of(request)
    published = service.list_publications(session, viewer.scope)
    context = base_context(request, lang, viewer, "publications") | {
        "say": lambda key, **values: say(key, lang, **values),
        "publications": published,
        "in_force": [found for found in published if found.superseded_by_id is None and not found.draft],
        "schedules": [
            {
                "id": found.id,
                "agency": schedules.agency_code(session, found),
                "every": found.every,
                "public": found.public,
                "stopped_at": found.stopped_at,
            }
            for found in schedules.list_schedules(session, viewer.scope)
        ],
        "agency_choices": manage.agency_choices(manage.agencies_of(session, viewer.scope), lang)
        if viewer.scope.is_admin
        else [],
        "values": {"agency": "", "from": "", "to": "", "public": False, "supersedes": "", "reason": ""},
        "problem": None,
        "done": request.query_params.get("done"),
        "scheduled": request.query_params.get("scheduled") == "1",
    }
    return templates.TemplateResponse(
        request, "dashboard_publications.html", context | extra, status_code=status_code, headers=NO_STORE
    )


@router.get("/publications", response_class=HTMLResponse)
def publications_page(request: Request, viewer: ViewerDep, session: SessionDep) -> Response:
    return _render(request, viewer, session, {})


@router.post("/publications", response_class=HTMLResponse)
def publish_from_page(
    request: Request,
    viewer: AdminFormViewerDep,
    session: SessionDep,
    forms: FormsDep,
    date_from: Annotated[str, Form(alias="from")] = "",
    date_to: Annotated[str, Form(alias="to")] = "",
    agency: Annotated[str, Form()] = "",
    public: Annotated[str, Form()] = "",
    supersedes: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Publish from the form; its problems come back on the page with what was typed (422), never a 500."""
    values = {
        "agency": agency,
        "from": date_from,
        "to": date_to,
        "public": bool(public),
        "supersedes": supersedes,
        "reason": reason,
    }
    try:
        request_ = service.PublishRequest(
            agency=agency or None,
            date_from=_day(date_from, "from"),
            date_to=_day(date_to, "to"),
            public=bool(public),
            supersedes=int(supersedes) if supersedes.isdigit() else None,
            reason=reason if supersedes else None,
        )
        found = service.publish(session, viewer.scope, forms, request_, client_ip=client_ip(request))
    except SipasError as problem:
        session.rollback()
        status = problem.status_code if 400 <= problem.status_code < 500 else 422
        return _render(request, viewer, session, {"values": values, "problem": problem.message}, status)
    return RedirectResponse(f"{PAGE}?done={found.id}", status_code=303)


def _day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid(f"{name}: {text!r} is not a date such as 2026-09-30") from None


def _done(request: Request, viewer: Viewer, session: SessionDep, change: Callable[[], object], then: str) -> Response:
    """Make ``change`` and go to ``then``; its refusal comes back on the page (4xx), never a 500."""
    try:
        change()
    except SipasError as problem:
        session.rollback()
        return _render(request, viewer, session, {"problem": problem.message}, problem.status_code)
    return RedirectResponse(then, status_code=303)


IdP = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.post("/publications/{publication_id}/publish", response_class=HTMLResponse)
def publish_draft_from_page(
    request: Request, publication_id: IdP, viewer: AdminFormViewerDep, session: SessionDep
) -> Response:
    """Publish a schedule's draft as it is."""
    ip = client_ip(request)
    change = functools.partial(service.publish_draft, session, viewer.scope, publication_id, client_ip=ip)
    return _done(request, viewer, session, change, f"{PAGE}?done={publication_id}")


@router.post("/publications/schedules", response_class=HTMLResponse)
def schedule_from_page(
    request: Request,
    viewer: AdminFormViewerDep,
    session: SessionDep,
    every: Annotated[str, Form()] = "",
    agency: Annotated[str, Form()] = "",
    public: Annotated[str, Form()] = "",
) -> Response:
    """Order a draft of every month or quarter."""
    change = functools.partial(
        schedules.create_schedule,
        session,
        viewer.scope,
        agency=agency or None,
        every=every,
        public=bool(public),
        client_ip=client_ip(request),
    )
    return _done(request, viewer, session, change, f"{PAGE}?scheduled=1")


@router.post("/publications/schedules/{schedule_id}/stop", response_class=HTMLResponse)
def stop_from_page(request: Request, schedule_id: IdP, viewer: AdminFormViewerDep, session: SessionDep) -> Response:
    ip = client_ip(request)
    change = functools.partial(schedules.stop_schedule, session, viewer.scope, schedule_id, client_ip=ip)
    return _done(request, viewer, session, change, PAGE)
