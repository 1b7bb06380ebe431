"""``/dashboard/manage/officials``: the scope's officials listed, added, their password reset, deactivated and
reactivated (never one's own account). Shared rules: app/dashboard/router_manage.py."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.admin import service as admin
from app.admin.schemas import OfficialIn, OfficialPatch
from app.dashboard import manage
from app.dashboard import manage_pages as pages
from app.dashboard.i18n import t
from app.dashboard.manage_pages import BASE, OFFICIAL_FIELDS, OfficialForm, Refused, Text
from app.dashboard.rendering import AdminFormViewerDep, AdminViewerDep, Viewer, lang_of, page_router
from app.dashboard.views import agency_name
from app.deps import SessionDep
from app.directory.models import Official, Role
from app.errors import Conflict, Forbidden, Invalid

router = page_router()


def _official_href(official: Official) -> str:
    """An official's page: ``/manage/official/NAME`` (singular), as ``/manage/officials/new`` could be a name."""
    return f"{BASE}/official/{quote(official.username, safe='')}"


@router.get("/manage/officials", response_class=HTMLResponse)
def officials_page(request: Request, viewer: AdminViewerDep, session: SessionDep) -> Response:
    lang = lang_of(request)
    agency = pages.filter_agency(request, session, viewer)
    nodes = manage.agencies_of(session, viewer.scope)
    listed = [
        official
        for official in admin.officials(session, viewer.scope)
        if agency is None or (official.agency is not None and official.agency.path.startswith(agency.path))
    ]
    context = {
        "page_title": t("mg_officials_title", lang),
        "agency": agency,
        "agency_choices": manage.agency_choices(nodes, lang),
        "officials": listed,
        "href": _official_href,
        "name_of": lambda found: agency_name(found, lang) if found is not None else t("national", lang),
    }
    return pages.page(request, viewer, "manage_officials.html", context)


def _official_form_context(
    request: Request, viewer: Viewer, session: SessionDep, values: dict[str, Any]
) -> dict[str, Any]:
    lang = lang_of(request)
    return {
        "page_title": t("mg_official_new_title", lang),
        "values": values,
        "agency_choices": manage.agency_choices(manage.agencies_of(session, viewer.scope), lang),
        "role_choices": manage.role_choices(viewer.scope, lang),
    }


@router.get("/manage/officials/new", response_class=HTMLResponse)
def new_official_page(request: Request, viewer: AdminViewerDep, session: SessionDep) -> Response:
    agency = pages.filter_agency(request, session, viewer)
    values = {
        "username": "",
        "display_name": "",
        "role": Role.agency_official.value,
        "agency": agency.code if agency else "",
    }
    return pages.page(
        request, viewer, "manage_official_form.html", _official_form_context(request, viewer, session, values)
    )


@router.post("/manage/officials", response_class=HTMLResponse)
def create_official(
    request: Request, viewer: AdminFormViewerDep, session: SessionDep, form: Annotated[OfficialForm, Form()]
) -> Response:
    lang = lang_of(request)

    def save(body: OfficialIn) -> Response:
        official = admin.add_official(session, viewer.scope, pages.actor(viewer, request), body)
        return RedirectResponse(f"{_official_href(official)}?done=created", 303)

    refusals = (Invalid, Conflict, Forbidden)  # Forbidden: a role or agency beyond the administrator's own
    answer = pages.submit(OfficialIn, form.sent(), lang, OFFICIAL_FIELDS, save, refusals)
    if not isinstance(answer, Refused):
        return answer
    context = _official_form_context(request, viewer, session, form.shown())
    labels, here = pages.labels(lang, OFFICIAL_FIELDS), f"{BASE}/officials/new"
    return pages.form_again(
        request, viewer, "manage_official_form.html", context, refused=answer, labels=labels, here=here
    )


def _official_page(
    request: Request,
    viewer: Viewer,
    official: Official,
    *,
    problems: list[manage.FieldProblem] | None = None,
    status_code: int = 200,
) -> Response:
    lang = lang_of(request)
    context = {
        "page_title": t("mg_official_title", lang, username=official.username),
        "official": official,
        "href": _official_href(official),
        "agency_label": agency_name(official.agency, lang) if official.agency else t("national", lang),
        "is_self": official.id == viewer.official.id,
        # The status has no field to point at: its problems are the page's (listed at the top).
        **pages.problems_view(
            [manage.FieldProblem(None if p.field == "active" else p.field, p.message) for p in problems or []],
            {"password": t("mg_field_new_password", lang)},
        ),
    }
    here = _official_href(official) if request.method == "POST" else None
    return pages.page(request, viewer, "manage_official.html", context, status_code=status_code, here=here)


@router.get("/manage/official/{username}", response_class=HTMLResponse)
def official_page(username: str, request: Request, viewer: AdminViewerDep, session: SessionDep) -> Response:
    return _official_page(request, viewer, admin.official_of(session, viewer.scope, username))


def _change_official(
    request: Request, viewer: Viewer, session: SessionDep, username: str, changes: dict[str, Any], done: str
) -> Response:
    lang = lang_of(request)
    official = admin.official_of(session, viewer.scope, username)

    def save(body: OfficialPatch) -> Response:
        admin.update_official(
            session, viewer.scope, pages.actor(viewer, request), username, body.model_dump(exclude_unset=True)
        )
        return RedirectResponse(f"{_official_href(official)}?done={done}", 303)

    answer = pages.submit(OfficialPatch, changes, lang, ("password", "active"), save)
    if not isinstance(answer, Refused):
        return answer
    session.rollback()
    official = admin.official_of(session, viewer.scope, username)
    return _official_page(request, viewer, official, problems=answer.problems, status_code=422)


@router.post("/manage/official/{username}/password", response_class=HTMLResponse)
def reset_password(
    username: str, request: Request, viewer: AdminFormViewerDep, session: SessionDep, password: Text = ""
) -> Response:
    return _change_official(request, viewer, session, username, {"password": password}, "password")


@router.post("/manage/official/{username}/active", response_class=HTMLResponse)
def set_active(
    username: str, request: Request, viewer: AdminFormViewerDep, session: SessionDep, active: Text = ""
) -> Response:
    if active not in ("true", "false"):
        lang = lang_of(request)
        official = admin.official_of(session, viewer.scope, username)
        problems = [manage.FieldProblem("active", t("mg_err_choice", lang, limit=""))]
        return _official_page(request, viewer, official, problems=problems, status_code=422)
    done = "reactivated" if active == "true" else "deactivated"
    return _change_official(request, viewer, session, username, {"active": active == "true"}, done)
