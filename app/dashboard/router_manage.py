"""``/dashboard/manage``: administrators manage targets, population counts (one at a time or by CSV upload) and
officials in the browser, within their scope — the pages over the same services as the JSON API
(:mod:`app.reference` and :mod:`app.admin.service`), which check every rule, audit each change and commit.

Every page needs a province or national administrator (others get the 403 page); every form posts the session's
CSRF token (without it: the 403 page, nothing changes); a row, agency or official outside the scope answers the
404 page of an unknown one. A refused form comes back filled in, with each problem next to its field and listed
at the top; a refused upload lists each problem's line and column."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import Depends, File, Form, Path, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile as StarletteUpload

from app.admin import service as admin
from app.admin.schemas import OfficialIn, OfficialPatch
from app.config import Settings
from app.dashboard import manage
from app.dashboard.i18n import t
from app.dashboard.rendering import Viewer, ViewerDep, lang_of, message_page, page_router, render_page
from app.dashboard.views import agency_name
from app.db import utcnow
from app.deps import FormsDep, SessionDep, SettingsDep
from app.directory.models import Agency, Official, Role
from app.errors import DB_INT_MAX, Conflict, Forbidden, Invalid
from app.officials.deps import client_ip
from app.officials.scope import visible_agency
from app.officials.service import csrf_ok
from app.public.i18n import Lang
from app.reference import counts, targets, uploads
from app.reference.checks import known_indicators
from app.reference.count_changes import recent_count_changes
from app.reference.fields import PopulationEntry, TargetEntry, TargetFields
from app.reference.schemas import COUNT_CHANGE, PopulationCountIn, TargetIn

router = page_router()

BASE = "/dashboard/manage"
TARGET_FIELDS = ("agency", "indicator", "period_start", "period_end", "threshold_pct", "applies_to_subtree")
COUNT_FIELDS = ("agency", "period_start", "period_end", "dossiers_handled", "procedure_field", "reason")
OFFICIAL_FIELDS = ("username", "display_name", "role", "agency", "password")
DONE = frozenset({"created", "updated", "deleted", "password", "deactivated", "reactivated"})
MAX_TARGETS_LISTED = 1000
MAX_IN_FORCE_AGENCIES = 200  # a nationwide scope: the first agencies, and a filter to see the others

TargetId = Annotated[int, Path(ge=1, le=DB_INT_MAX)]
CountId = Annotated[int, Path(ge=1, le=DB_INT_MAX)]
Text = Annotated[str, Form()]


def admin_viewer(viewer: ViewerDep) -> Viewer:
    """The logged-in official, if an administrator; others get the 403 page."""
    if not viewer.scope.is_admin:
        raise Forbidden("this needs an administrator")
    return viewer


AdminViewerDep = Annotated[Viewer, Depends(admin_viewer)]


def _csrf_refused(request: Request, settings: Settings, viewer: Viewer, presented: str) -> Response | None:
    """The 403 page when a form does not carry the session's CSRF token (a page elsewhere posting it), else None."""
    if csrf_ok(settings, viewer.token, presented or None):
        return None
    return message_page(request, "forbidden", 403, "csrf_body")


def _actor(viewer: Viewer, request: Request) -> admin.Actor:
    return admin.Actor(viewer.official.username, viewer.official.id, client_ip(request))


def _today(settings: Settings) -> date:
    return datetime.now(settings.zone).date()


def _page(
    request: Request,
    viewer: Viewer,
    name: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
    here: str | None = None,
) -> HTMLResponse:
    """A management page; ``here`` is the page to reload in the other language when this one answers a form (the
    form's own address takes no GET)."""
    lang = lang_of(request)
    done = request.query_params.get("done")
    base: dict[str, Any] = {"done": t(f"mg_done_{done}", lang) if done in DONE else None, "problems": [], "errors": {}}
    if here is not None:
        base["switch_href"] = f"{here}?{urlencode({'lang': 'en' if lang == 'vi' else 'vi'})}"
    return render_page(request, viewer, name, base | context, nav="manage", status_code=status_code)


def _problems(problems: list[manage.FieldProblem], labels: dict[str, str]) -> dict[str, Any]:
    """The page's view of a form's problems: the list at the top (with the field's label) and each by field."""
    errors: dict[str, list[str]] = {}
    for problem in problems:
        if problem.field is not None:
            errors.setdefault(problem.field, []).append(problem.message)
    listed = [{"field": p.field, "label": labels.get(p.field or "", ""), "message": p.message} for p in problems]
    return {"problems": listed, "errors": errors}


def _status(problems: list[manage.FieldProblem], error: Exception | None = None) -> int:
    if isinstance(error, Conflict | Forbidden | Invalid):
        return error.status_code
    return 422 if problems else 200


def _labels(lang: Lang, fields: tuple[str, ...]) -> dict[str, str]:
    return {field: t(f"mg_field_{field}", lang) for field in fields}


def _filter_agency(request: Request, session: SessionDep, viewer: Viewer) -> Agency | None:
    """The agency of ``?agency=``, within the scope (else the 404 page), or None."""
    code = request.query_params.get("agency")
    return visible_agency(session, viewer.scope, code) if code else None


def _in_subtree(agency: Agency | None, nodes: list[admin.AgencyNode]) -> list[admin.AgencyNode]:
    if agency is None:
        return nodes
    return [node for node in nodes if node.agency.path.startswith(agency.path)]


# --- the index ---------------------------------------------------------------------------------------------------


@router.get("/manage", response_class=HTMLResponse)
def manage_index(request: Request, viewer: AdminViewerDep) -> Response:
    lang = lang_of(request)
    return _page(request, viewer, "manage_index.html", {"page_title": t("mg_index_title", lang)})


# --- targets -----------------------------------------------------------------------------------------------------


def _target_form_context(
    request: Request, viewer: Viewer, session: SessionDep, forms: FormsDep, values: dict[str, Any]
) -> dict[str, Any]:
    lang = lang_of(request)
    return {
        "values": values,
        "agency_choices": manage.agency_choices(manage.agencies_of(session, viewer.scope), lang),
        "indicator_groups": manage.indicator_groups(forms, lang),
    }


def _target_values(
    agency: str, indicator: str, period_start: str, period_end: str, threshold_pct: str, applies_to_subtree: str
) -> dict[str, Any]:
    """What the form sent, as the API's TargetIn reads it (a decimal comma is a decimal point)."""
    return {
        "agency": agency.strip(),
        "indicator": indicator.strip(),
        "period_start": period_start.strip(),
        "period_end": period_end.strip(),
        "threshold_pct": threshold_pct.strip().replace(",", "."),
        "applies_to_subtree": applies_to_subtree == "true",
    }


def _indicators(forms: FormsDep) -> frozenset[str]:
    return known_indicators(registered.definition for registered in forms.values())


@router.get("/manage/targets", response_class=HTMLResponse)
def targets_page(
    request: Request, viewer: AdminViewerDep, session: SessionDep, settings: SettingsDep, forms: FormsDep
) -> Response:
    lang = lang_of(request)
    agency = _filter_agency(request, session, viewer)
    nodes = manage.agencies_of(session, viewer.scope)
    stored = targets.list_targets(
        session, viewer.scope, agency=agency.code if agency else None, limit=MAX_TARGETS_LISTED
    )
    names = {node.agency.code: agency_name(node.agency, lang) for node in nodes}
    indicator_names = manage.indicator_names(forms, lang)
    today = _today(settings)
    judged = _in_subtree(agency, nodes)
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
    return _page(request, viewer, "manage_targets.html", context)


@router.get("/manage/targets/new", response_class=HTMLResponse)
def new_target_page(
    request: Request, viewer: AdminViewerDep, session: SessionDep, settings: SettingsDep, forms: FormsDep
) -> Response:
    lang = lang_of(request)
    agency = _filter_agency(request, session, viewer)
    year = _today(settings).year
    values = {
        "agency": agency.code if agency else (viewer.root.code if viewer.root else ""),
        "indicator": "sipas",
        "period_start": date(year, 1, 1).isoformat(),
        "period_end": date(year, 12, 31).isoformat(),
        "threshold_pct": "",
        "applies_to_subtree": True,
    }
    context = _target_form_context(request, viewer, session, forms, values) | {
        "page_title": t("mg_target_new_title", lang),
        "action": f"{BASE}/targets",
        "target": None,
    }
    return _page(request, viewer, "manage_target_form.html", context)


def _target_form_answer(
    request: Request,
    viewer: Viewer,
    session: SessionDep,
    forms: FormsDep,
    values: dict[str, Any],
    *,
    target: TargetEntry | None,
) -> Response:
    """Create (``target`` None) or change a target from the form's values through the service; the form again,
    with the problems, when it refuses."""
    lang = lang_of(request)
    if values["agency"]:
        visible_agency(session, viewer.scope, values["agency"])  # outside the scope: the 404 page, like unknown
    body, problems = manage.parsed(TargetIn, values, lang)
    error: Exception | None = None
    if body is not None:
        try:
            if target is None:
                saved = targets.create_target(
                    session,
                    viewer.scope,
                    TargetFields(**body.model_dump()),
                    indicators=_indicators(forms),
                    client_ip=client_ip(request),
                )
            else:
                saved = targets.update_target(
                    session,
                    viewer.scope,
                    target.id,
                    body.model_dump(),
                    indicators=_indicators(forms),
                    client_ip=client_ip(request),
                )
            done = "created" if target is None else "updated"
            return RedirectResponse(f"{BASE}/targets?done={done}#target-{saved.id}", 303)
        except (Invalid, Conflict) as refused:
            error, problems = refused, manage.refusal(refused, TARGET_FIELDS)
    title = "mg_target_new_title" if target is None else "mg_target_edit_title"
    context = _target_form_context(request, viewer, session, forms, values) | {
        "page_title": t(title, lang),
        "action": f"{BASE}/targets" if target is None else f"{BASE}/targets/{target.id}",
        "target": target,
        **_problems(problems, _labels(lang, TARGET_FIELDS)),
    }
    here = f"{BASE}/targets/new" if target is None else f"{BASE}/targets/{target.id}"
    return _page(request, viewer, "manage_target_form.html", context, status_code=_status(problems, error), here=here)


@router.post("/manage/targets", response_class=HTMLResponse)
def create_target(
    *,
    request: Request,
    viewer: AdminViewerDep,
    session: SessionDep,
    settings: SettingsDep,
    forms: FormsDep,
    csrf_token: Text = "",
    agency: Text = "",
    indicator: Text = "",
    period_start: Text = "",
    period_end: Text = "",
    threshold_pct: Text = "",
    applies_to_subtree: Text = "",
) -> Response:
    if (refused := _csrf_refused(request, settings, viewer, csrf_token)) is not None:
        return refused
    values = _target_values(agency, indicator, period_start, period_end, threshold_pct, applies_to_subtree)
    return _target_form_answer(request, viewer, session, forms, values, target=None)


@router.get("/manage/targets/{target_id}", response_class=HTMLResponse)
def edit_target_page(
    target_id: TargetId, request: Request, viewer: AdminViewerDep, session: SessionDep, forms: FormsDep
) -> Response:
    lang = lang_of(request)
    target = targets.get_target(session, viewer.scope, target_id)
    values = {
        "agency": target.agency,
        "indicator": target.indicator,
        "period_start": target.period_start.isoformat(),
        "period_end": target.period_end.isoformat(),
        "threshold_pct": f"{target.threshold_pct:g}",
        "applies_to_subtree": target.applies_to_subtree,
    }
    context = _target_form_context(request, viewer, session, forms, values) | {
        "page_title": t("mg_target_edit_title", lang),
        "action": f"{BASE}/targets/{target.id}",
        "target": target,
    }
    return _page(request, viewer, "manage_target_form.html", context)


@router.post("/manage/targets/{target_id}", response_class=HTMLResponse)
def update_target(
    *,
    target_id: TargetId,
    request: Request,
    viewer: AdminViewerDep,
    session: SessionDep,
    settings: SettingsDep,
    forms: FormsDep,
    csrf_token: Text = "",
    agency: Text = "",
    indicator: Text = "",
    period_start: Text = "",
    period_end: Text = "",
    threshold_pct: Text = "",
    applies_to_subtree: Text = "",
) -> Response:
    if (refused := _csrf_refused(request, settings, viewer, csrf_token)) is not None:
        return refused
    target = targets.get_target(session, viewer.scope, target_id)
    values = _target_values(agency, indicator, period_start, period_end, threshold_pct, applies_to_subtree)
    return _target_form_answer(request, viewer, session, forms, values, target=target)


@router.post("/manage/targets/{target_id}/delete", response_class=HTMLResponse)
def delete_target(
    *,
    target_id: TargetId,
    request: Request,
    viewer: AdminViewerDep,
    session: SessionDep,
    settings: SettingsDep,
    csrf_token: Text = "",
) -> Response:
    if (refused := _csrf_refused(request, settings, viewer, csrf_token)) is not None:
        return refused
    targets.delete_target(session, viewer.scope, target_id, client_ip=client_ip(request))
    return RedirectResponse(f"{BASE}/targets?done=deleted", 303)


# --- population counts -------------------------------------------------------------------------------------------


def _counts_context(
    request: Request, viewer: Viewer, session: SessionDep, settings: Settings, agency: Agency | None
) -> dict[str, Any]:
    """The list of counts (a page of them) and the upload form, as the counts page and an upload's answer show
    them."""
    lang = lang_of(request)
    try:
        page = min(max(int(request.query_params.get("page", "1")), 1), DB_INT_MAX // manage.PAGE_SIZE)
    except ValueError:
        page = 1
    nodes = manage.agencies_of(session, viewer.scope)
    listed = counts.list_population_counts(
        session,
        viewer.scope,
        agency=agency.code if agency else None,
        limit=manage.PAGE_SIZE,
        offset=(page - 1) * manage.PAGE_SIZE,
    )
    pages = manage.page_count(listed.total)
    keep = [("agency", agency.code)] if agency else []
    export = "/api/v1/population-counts/export.csv" + (f"?{urlencode(keep)}" if keep else "")
    return {
        "page_title": t("mg_counts_title", lang),
        "agency": agency,
        "agency_choices": manage.agency_choices(nodes, lang),
        "names": {node.agency.code: agency_name(node.agency, lang) for node in nodes},
        "field_names": {choice.value: choice.label for choice in manage.procedure_fields(session, lang)},
        "listed": listed,
        "page": page,
        "pages": pages,
        "page_href": lambda number: f"{BASE}/counts?{urlencode([*keep, ('page', number)])}",
        "export_href": export,
        "max_upload_kb": settings.max_body_bytes // 1000,
        "upload": None,
        "refusal": None,
        "values": {"reason": "", "confirm_outlier": False},
    }


@router.get("/manage/counts", response_class=HTMLResponse)
def counts_page(request: Request, viewer: AdminViewerDep, session: SessionDep, settings: SettingsDep) -> Response:
    agency = _filter_agency(request, session, viewer)
    return _page(request, viewer, "manage_counts.html", _counts_context(request, viewer, session, settings, agency))


@router.get("/manage/counts/template.csv")
def counts_template(viewer: AdminViewerDep, session: SessionDep, settings: SettingsDep) -> Response:
    """A file to fill in: the upload's columns, a row per agency of the scope for last month."""
    text = manage.counts_template(manage.agencies_of(session, viewer.scope), _today(settings))
    return Response(
        "\ufeff" + text,  # a BOM, so that a spreadsheet opens the Vietnamese text as UTF-8 (the upload accepts it)
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="population-counts-template.csv"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/manage/counts/upload", response_class=HTMLResponse)
def upload_counts(
    *,
    request: Request,
    viewer: AdminViewerDep,
    session: SessionDep,
    settings: SettingsDep,
    csrf_token: Text = "",
    reason: Text = "",
    confirm_outlier: Text = "",
    file: Annotated[UploadFile | str | None, File()] = None,  # str: a plain field where a file belongs
) -> Response:
    if (refused := _csrf_refused(request, settings, viewer, csrf_token)) is not None:
        return refused
    lang = lang_of(request)
    context = _counts_context(request, viewer, session, settings, None)
    context["values"] = {"reason": reason, "confirm_outlier": confirm_outlier == "true"}
    labels = {"file": t("mg_field_file", lang), "reason": t("mg_field_reason", lang)}
    sent = file if isinstance(file, StarletteUpload) and file.filename else None
    data = sent.file.read() if sent is not None else b""
    filename = sent.filename if sent is not None else None
    if not data:
        problems = [manage.FieldProblem("file", t("mg_err_no_file", lang))]
        page = context | _problems(problems, labels)
        return _page(request, viewer, "manage_counts.html", page, status_code=422, here=f"{BASE}/counts")
    started = utcnow()
    try:
        summary = uploads.upload_population_counts(
            session,
            viewer.scope,
            data,
            reason=reason,
            confirm_outlier=confirm_outlier == "true",
            filename=filename,
            client_ip=client_ip(request),
        )
    except (Invalid, Conflict) as error:
        found = manage.upload_refusal(error)
        if found.rows:
            page = context | {"refusal": found, "filename": filename}
        else:  # about the request, not a line of the file (the reason)
            page = context | _problems(manage.refusal(error, ("reason", "file")), labels)
        return _page(request, viewer, "manage_counts.html", page, status_code=error.status_code, here=f"{BASE}/counts")
    ids = [node.agency.id for node in manage.agencies_of(session, viewer.scope)]
    changes = [
        change
        for change in recent_count_changes(session, agency_ids=ids, since=started)
        if change.action == "upload" and change.by == viewer.official.username
    ]
    context = _counts_context(request, viewer, session, settings, None)  # the list as it is now
    context["upload"] = {"summary": summary, "changes": changes, "filename": filename}
    return _page(request, viewer, "manage_counts.html", context, here=f"{BASE}/counts")


def _count_form_context(
    request: Request, viewer: Viewer, session: SessionDep, entry: PopulationEntry, values: dict[str, Any]
) -> dict[str, Any]:
    lang = lang_of(request)
    return {
        "page_title": t("mg_count_edit_title", lang),
        "entry": entry,
        "values": values,
        "agency_choices": manage.agency_choices(manage.agencies_of(session, viewer.scope), lang),
        "field_choices": manage.procedure_fields(session, lang),
        "delete_reason": "",
    }


@router.get("/manage/counts/{count_id}", response_class=HTMLResponse)
def edit_count_page(count_id: CountId, request: Request, viewer: AdminViewerDep, session: SessionDep) -> Response:
    entry = counts.get_population_count(session, viewer.scope, count_id)
    values = {
        "agency": entry.agency,
        "period_start": entry.period_start.isoformat(),
        "period_end": entry.period_end.isoformat(),
        "dossiers_handled": str(entry.dossiers_handled),
        "procedure_field": entry.procedure_field or "",
        "reason": "",
        "confirm_outlier": False,
    }
    return _page(
        request, viewer, "manage_count_form.html", _count_form_context(request, viewer, session, entry, values)
    )


@router.post("/manage/counts/{count_id}", response_class=HTMLResponse)
def update_count(
    *,
    count_id: CountId,
    request: Request,
    viewer: AdminViewerDep,
    session: SessionDep,
    settings: SettingsDep,
    csrf_token: Text = "",
    agency: Text = "",
    period_start: Text = "",
    period_end: Text = "",
    dossiers_handled: Text = "",
    procedure_field: Text = "",
    reason: Text = "",
    confirm_outlier: Text = "",
) -> Response:
    if (refused := _csrf_refused(request, settings, viewer, csrf_token)) is not None:
        return refused
    lang = lang_of(request)
    entry = counts.get_population_count(session, viewer.scope, count_id)
    values: dict[str, Any] = {
        "agency": agency.strip(),
        "period_start": period_start.strip(),
        "period_end": period_end.strip(),
        "dossiers_handled": dossiers_handled.strip(),
        "procedure_field": procedure_field.strip() or None,
        "reason": reason,
        "confirm_outlier": confirm_outlier == "true",
    }
    if values["agency"]:
        visible_agency(session, viewer.scope, values["agency"])  # outside the scope: the 404 page, like unknown
    body, problems = manage.parsed(PopulationCountIn, values, lang)
    error: Exception | None = None
    if body is not None:
        try:
            counts.update_population_count(
                session,
                viewer.scope,
                count_id,
                body.model_dump(exclude=COUNT_CHANGE),
                reason=body.reason,
                confirm_outlier=body.confirm_outlier,
                client_ip=client_ip(request),
            )
            return RedirectResponse(f"{BASE}/counts?done=updated#count-{count_id}", 303)
        except (Invalid, Conflict) as refused_change:
            error, problems = refused_change, manage.refusal(refused_change, COUNT_FIELDS)
    context = _count_form_context(request, viewer, session, entry, values | {"procedure_field": procedure_field})
    context |= _problems(problems, _labels(lang, COUNT_FIELDS))
    status = _status(problems, error)
    return _page(
        request, viewer, "manage_count_form.html", context, status_code=status, here=f"{BASE}/counts/{count_id}"
    )


@router.post("/manage/counts/{count_id}/delete", response_class=HTMLResponse)
def delete_count(
    *,
    count_id: CountId,
    request: Request,
    viewer: AdminViewerDep,
    session: SessionDep,
    settings: SettingsDep,
    csrf_token: Text = "",
    reason: Text = "",
) -> Response:
    if (refused := _csrf_refused(request, settings, viewer, csrf_token)) is not None:
        return refused
    lang = lang_of(request)
    entry = counts.get_population_count(session, viewer.scope, count_id)
    try:
        counts.delete_population_count(session, viewer.scope, count_id, reason=reason, client_ip=client_ip(request))
    except Invalid as refused_delete:
        values = {
            "agency": entry.agency,
            "period_start": entry.period_start.isoformat(),
            "period_end": entry.period_end.isoformat(),
            "dossiers_handled": str(entry.dossiers_handled),
            "procedure_field": entry.procedure_field or "",
            "reason": "",
            "confirm_outlier": False,
        }
        problems = [
            manage.FieldProblem("delete_reason", p.message) for p in manage.refusal(refused_delete, ("reason",))
        ]
        context = _count_form_context(request, viewer, session, entry, values) | {"delete_reason": reason}
        context |= _problems(problems, {"delete_reason": t("mg_field_delete_reason", lang)})
        here = f"{BASE}/counts/{count_id}"
        return _page(request, viewer, "manage_count_form.html", context, status_code=422, here=here)
    return RedirectResponse(f"{BASE}/counts?done=deleted", 303)


# --- officials ---------------------------------------------------------------------------------------------------


def _official_href(official: Official) -> str:
    """An official's page: ``/manage/official/NAME`` (singular), as ``/manage/officials/new`` could be a name."""
    return f"{BASE}/official/{quote(official.username, safe='')}"


@router.get("/manage/officials", response_class=HTMLResponse)
def officials_page(request: Request, viewer: AdminViewerDep, session: SessionDep) -> Response:
    lang = lang_of(request)
    agency = _filter_agency(request, session, viewer)
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
    return _page(request, viewer, "manage_officials.html", context)


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
    agency = _filter_agency(request, session, viewer)
    values = {
        "username": "",
        "display_name": "",
        "role": Role.agency_official.value,
        "agency": agency.code if agency else "",
    }
    return _page(request, viewer, "manage_official_form.html", _official_form_context(request, viewer, session, values))


@router.post("/manage/officials", response_class=HTMLResponse)
def create_official(
    *,
    request: Request,
    viewer: AdminViewerDep,
    session: SessionDep,
    settings: SettingsDep,
    csrf_token: Text = "",
    username: Text = "",
    display_name: Text = "",
    role: Text = "",
    agency: Text = "",
    password: Text = "",
) -> Response:
    if (refused := _csrf_refused(request, settings, viewer, csrf_token)) is not None:
        return refused
    lang = lang_of(request)
    shown = {"username": username, "display_name": display_name, "role": role, "agency": agency.strip()}
    sent = {
        "username": username.strip(),
        "display_name": display_name.strip() or None,
        "role": role,
        "agency": None if role == Role.national.value else (agency.strip() or None),
        "password": password,
    }
    body, problems = manage.parsed(OfficialIn, sent, lang)
    error: Exception | None = None
    if body is not None:
        try:
            official = admin.add_official(
                session,
                viewer.scope,
                _actor(viewer, request),
                username=body.username,
                password=body.password,
                role=body.role,
                agency_code=body.agency,
                display_name=body.display_name,
            )
            return RedirectResponse(f"{_official_href(official)}?done=created", 303)
        except (Invalid, Conflict, Forbidden) as refused_official:
            error, problems = refused_official, manage.refusal(refused_official, OFFICIAL_FIELDS)
    context = _official_form_context(request, viewer, session, shown)
    context |= _problems(problems, _labels(lang, OFFICIAL_FIELDS))
    status = _status(problems, error)
    return _page(
        request, viewer, "manage_official_form.html", context, status_code=status, here=f"{BASE}/officials/new"
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
        **_problems(
            [manage.FieldProblem(None if p.field == "active" else p.field, p.message) for p in problems or []],
            {"password": t("mg_field_new_password", lang)},
        ),
    }
    here = _official_href(official) if request.method == "POST" else None
    return _page(request, viewer, "manage_official.html", context, status_code=status_code, here=here)


@router.get("/manage/official/{username}", response_class=HTMLResponse)
def official_page(username: str, request: Request, viewer: AdminViewerDep, session: SessionDep) -> Response:
    return _official_page(request, viewer, admin.official_of(session, viewer.scope, username))


def _change_official(
    request: Request, viewer: Viewer, session: SessionDep, username: str, changes: dict[str, Any], done: str
) -> Response:
    lang = lang_of(request)
    official = admin.official_of(session, viewer.scope, username)
    body, problems = manage.parsed(OfficialPatch, changes, lang)
    if body is not None:
        try:
            admin.update_official(
                session, viewer.scope, _actor(viewer, request), username, body.model_dump(exclude_unset=True)
            )
            return RedirectResponse(f"{_official_href(official)}?done={done}", 303)
        except (Invalid, Conflict) as refused:
            session.rollback()
            problems = manage.refusal(refused, ("password", "active"))
            official = admin.official_of(session, viewer.scope, username)
    return _official_page(request, viewer, official, problems=problems, status_code=422)


@router.post("/manage/official/{username}/password", response_class=HTMLResponse)
def reset_password(
    *,
    username: str,
    request: Request,
    viewer: AdminViewerDep,
    session: SessionDep,
    settings: SettingsDep,
    csrf_token: Text = "",
    password: Text = "",
) -> Response:
    if (refused := _csrf_refused(request, settings, viewer, csrf_token)) is not None:
        return refused
    return _change_official(request, viewer, session, username, {"password": password}, "password")


@router.post("/manage/official/{username}/active", response_class=HTMLResponse)
def set_active(
    *,
    username: str,
    request: Request,
    viewer: AdminViewerDep,
    session: SessionDep,
    settings: SettingsDep,
    csrf_token: Text = "",
    active: Text = "",
) -> Response:
    if (refused := _csrf_refused(request, settings, viewer, csrf_token)) is not None:
        return refused
    if active not in ("true", "false"):
        lang = lang_of(request)
        official = admin.official_of(session, viewer.scope, username)
        problems = [manage.FieldProblem("active", t("mg_err_choice", lang, limit=""))]
        return _official_page(request, viewer, official, problems=problems, status_code=422)
    done = "reactivated" if active == "true" else "deactivated"
    return _change_official(request, viewer, session, username, {"active": active == "true"}, done)
