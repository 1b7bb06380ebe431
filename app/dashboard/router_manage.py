"""``/dashboard/manage``: administrators manage targets, population counts (one at a time or by CSV upload) and
officials in the browser, within their scope — the pages over the same services as the JSON API
(:mod:`app.reference` and :mod:`app.admin.service`), which check every rule, audit each change and commit. This
module has the index and the targets; app/dashboard/router_manage_counts.py and router_manage_officials.py the
others, app/dashboard/manage_pages.py what they share.

Every page needs a province or national administrator (others get the 403 page); every form posts the session's
CSRF token (without it: the 403 page, nothing changes); a row, agency or official outside the scope answers the
404 page of an unknown one. A refused form comes back filled in, with each problem next to its field and listed
at the top; a refused upload lists each problem's line and column."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.dashboard import manage
from app.dashboard import manage_pages as pages
from app.dashboard.i18n import t
from app.dashboard.manage_pages import BASE, TARGET_FIELDS, Refused, TargetForm
from app.dashboard.rendering import AdminFormViewerDep, AdminViewerDep, Viewer, lang_of, page_router
from app.dashboard.views import agency_name
from app.deps import FormsDep, SessionDep, SettingsDep
from app.errors import DB_INT_MAX
from app.officials.deps import client_ip
from app.reference import targets
from app.reference.checks import known_indicators
from app.reference.fields import TargetEntry, TargetFields
from app.reference.schemas import TargetIn

router = page_router()

MAX_TARGETS_LISTED = 1000
MAX_IN_FORCE_AGENCIES = 200  # a nationwide scope: the first agencies, and a filter to see the others
TargetId = Annotated[int, Path(ge=1, le=DB_INT_MAX)]


@router.get("/manage", response_class=HTMLResponse)
def manage_index(request: Request, viewer: AdminViewerDep) -> Response:
    lang = lang_of(request)
    return pages.page(request, viewer, "manage_index.html", {"page_title": t("mg_index_title", lang)})


# --- targets -----------------------------------------------------------------------------------------------------


def _target_form_context(
    request: Request,
    viewer: Viewer,
    session: SessionDep,
    forms: FormsDep,
    values: dict[str, Any],
    target: TargetEntry | None,
) -> dict[str, Any]:
    """The form that creates a target (``target`` None) or changes one."""
    lang = lang_of(request)
    return {
        "page_title": t("mg_target_new_title" if target is None else "mg_target_edit_title", lang),
        "action": f"{BASE}/targets" if target is None else f"{BASE}/targets/{target.id}",
        "target": target,
        "values": values,
        "agency_choices": manage.agency_choices(manage.agencies_of(session, viewer.scope), lang),
        "indicator_groups": manage.indicator_groups(forms, lang),
    }


def _indicators(forms: FormsDep) -> frozenset[str]:
    return known_indicators(registered.definition for registered in forms.values())


@router.get("/manage/targets", response_class=HTMLResponse)
def targets_page(
    request: Request, viewer: AdminViewerDep, session: SessionDep, settings: SettingsDep, forms: FormsDep
) -> Response:
    lang = lang_of(request)
    agency = pages.filter_agency(request, session, viewer)
    nodes = manage.agencies_of(session, viewer.scope)
    stored = targets.list_targets(
        session, viewer.scope, agency=agency.code if agency else None, limit=MAX_TARGETS_LISTED
    )
    names = {node.agency.code: agency_name(node.agency, lang) for node in nodes}
    indicator_names = manage.indicator_names(forms, lang)
    today = pages.today(settings)
    judged = pages.in_subtree(agency, nodes)
    in_force = manage.targets_in_force(
        session, judged[:MAX_IN_FORCE_AGENCIES], {entry.indicator for entry in stored.items}, today, lang
    )
    context = {
        "page_title": t("mg_targets_title", lang),
        "agency": agency,
        "agency_choices": manage.agency_choices(nodes, lang),
        "stored": stored,
        "listed_max": MAX_TARGETS_LISTED,
        "names": names,
        "indicator_names": indicator_names,
        "in_force": in_force,
        "in_force_cut": len(judged) if len(judged) > MAX_IN_FORCE_AGENCIES else None,
        "in_force_max": MAX_IN_FORCE_AGENCIES,
        "today": today,
    }
    return pages.page(request, viewer, "manage_targets.html", context)


@router.get("/manage/targets/new", response_class=HTMLResponse)
def new_target_page(
    request: Request, viewer: AdminViewerDep, session: SessionDep, settings: SettingsDep, forms: FormsDep
) -> Response:
    agency = pages.filter_agency(request, session, viewer)
    year = pages.today(settings).year
    values = {
        "agency": agency.code if agency else (viewer.root.code if viewer.root else ""),
        "indicator": "sipas",
        "period_start": date(year, 1, 1).isoformat(),
        "period_end": date(year, 12, 31).isoformat(),
        "threshold_pct": "",
        "applies_to_subtree": True,
    }
    context = _target_form_context(request, viewer, session, forms, values, None)
    return pages.page(request, viewer, "manage_target_form.html", context)


def _target_form_answer(
    request: Request, viewer: Viewer, session: SessionDep, forms: FormsDep, form: TargetForm, target: TargetEntry | None
) -> Response:
    """Create (``target`` None) or change a target from the form through the service; the form again, with the
    problems, when it refuses."""
    lang = lang_of(request)
    values = form.sent()
    pages.agency_in_scope(session, viewer, values["agency"])

    def save(body: TargetIn) -> Response:
        indicators, address = _indicators(forms), client_ip(request)
        if target is None:
            fields = TargetFields(**body.model_dump())
            saved = targets.create_target(session, viewer.scope, fields, indicators=indicators, client_ip=address)
        else:
            changes = body.model_dump()
            saved = targets.update_target(
                session, viewer.scope, target.id, changes, indicators=indicators, client_ip=address
            )
        done = "created" if target is None else "updated"
        return RedirectResponse(f"{BASE}/targets?done={done}#target-{saved.id}", 303)

    answer = pages.submit(TargetIn, values, lang, TARGET_FIELDS, save)
    if not isinstance(answer, Refused):
        return answer
    context = _target_form_context(request, viewer, session, forms, values, target)
    here = f"{BASE}/targets/new" if target is None else f"{BASE}/targets/{target.id}"
    labels = pages.labels(lang, TARGET_FIELDS)
    return pages.form_again(
        request, viewer, "manage_target_form.html", context, refused=answer, labels=labels, here=here
    )


@router.post("/manage/targets", response_class=HTMLResponse)
def create_target(
    request: Request,
    viewer: AdminFormViewerDep,
    session: SessionDep,
    forms: FormsDep,
    form: Annotated[TargetForm, Form()],
) -> Response:
    return _target_form_answer(request, viewer, session, forms, form, None)


@router.get("/manage/targets/{target_id}", response_class=HTMLResponse)
def edit_target_page(
    target_id: TargetId, request: Request, viewer: AdminViewerDep, session: SessionDep, forms: FormsDep
) -> Response:
    target = targets.get_target(session, viewer.scope, target_id)
    values = {
        "agency": target.agency,
        "indicator": target.indicator,
        "period_start": target.period_start.isoformat(),
        "period_end": target.period_end.isoformat(),
        "threshold_pct": f"{target.threshold_pct:g}",
        "applies_to_subtree": target.applies_to_subtree,
    }
    context = _target_form_context(request, viewer, session, forms, values, target)
    return pages.page(request, viewer, "manage_target_form.html", context)


@router.post("/manage/targets/{target_id}", response_class=HTMLResponse)
def update_target(
    target_id: TargetId,
    request: Request,
    viewer: AdminFormViewerDep,
    session: SessionDep,
    forms: FormsDep,
    form: Annotated[TargetForm, Form()],
) -> Response:
    target = targets.get_target(session, viewer.scope, target_id)
    return _target_form_answer(request, viewer, session, forms, form, target)


@router.post("/manage/targets/{target_id}/delete", response_class=HTMLResponse)
def delete_target(target_id: TargetId, request: Request, viewer: AdminFormViewerDep, session: SessionDep) -> Response:
    targets.delete_target(session, viewer.scope, target_id, client_ip=client_ip(request))
    return RedirectResponse(f"{BASE}/targets?done=deleted", 303)


# --- population counts -------------------------------------------------------------------------------------------
