"""``/dashboard/manage/counts``: the population counts (dossiers handled) of the scope's agencies, listed a page at
a time, changed or deleted one at a time with a reason, uploaded as a CSV file (every line checked, each problem
shown with its line and column), and a template to fill in. Shared rules: app/dashboard/router_manage.py."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import File, Form, Path, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile as StarletteUpload

from app.config import Settings
from app.dashboard import manage
from app.dashboard import manage_pages as pages
from app.dashboard.i18n import t
from app.dashboard.manage_pages import BASE, COUNT_FIELDS, CountForm, Refused, Text
from app.dashboard.rendering import AdminFormViewerDep, AdminViewerDep, Viewer, lang_of, page_router
from app.dashboard.views import agency_name
from app.db import utcnow
from app.deps import SessionDep, SettingsDep
from app.directory.models import Agency
from app.errors import DB_INT_MAX, Conflict, Invalid
from app.officials.deps import client_ip
from app.reference import counts, uploads
from app.reference.count_changes import recent_count_changes
from app.reference.fields import PopulationEntry
from app.reference.schemas import COUNT_CHANGE, PopulationCountIn

router = page_router()

CountId = Annotated[int, Path(ge=1, le=DB_INT_MAX)]


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
    agency = pages.filter_agency(request, session, viewer)
    return pages.page(
        request, viewer, "manage_counts.html", _counts_context(request, viewer, session, settings, agency)
    )


@router.get("/manage/counts/template.csv")
def counts_template(viewer: AdminViewerDep, session: SessionDep, settings: SettingsDep) -> Response:
    """A file to fill in: the upload's columns, a row per agency of the scope for last month."""
    text = manage.counts_template(manage.agencies_of(session, viewer.scope), pages.today(settings))
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
    viewer: AdminFormViewerDep,
    session: SessionDep,
    settings: SettingsDep,
    reason: Text = "",
    confirm_outlier: Text = "",
    file: Annotated[UploadFile | str | None, File()] = None,  # str: a plain field where a file belongs
) -> Response:
    lang = lang_of(request)
    context = _counts_context(request, viewer, session, settings, None)
    context["values"] = {"reason": reason, "confirm_outlier": confirm_outlier == "true"}
    labels = {"file": t("mg_field_file", lang), "reason": t("mg_field_reason", lang)}
    here = f"{BASE}/counts"
    sent = file if isinstance(file, StarletteUpload) and file.filename else None
    data = sent.file.read() if sent is not None else b""
    filename = sent.filename if sent is not None else None
    if not data:
        refused = Refused([manage.FieldProblem("file", t("mg_err_no_file", lang))], 422)
        return pages.form_again(
            request, viewer, "manage_counts.html", context, refused=refused, labels=labels, here=here
        )
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
            return pages.page(request, viewer, "manage_counts.html", page, status_code=error.status_code, here=here)
        # about the request, not a line of the file (the reason)
        refused = Refused(manage.refusal(error, ("reason", "file")), error.status_code)
        return pages.form_again(
            request, viewer, "manage_counts.html", context, refused=refused, labels=labels, here=here
        )
    ids = [node.agency.id for node in manage.agencies_of(session, viewer.scope)]
    changes = [
        change
        for change in recent_count_changes(session, agency_ids=ids, since=started)
        if change.action == "upload" and change.by == viewer.official.username
    ]
    context = _counts_context(request, viewer, session, settings, None)  # the list as it is now
    context["upload"] = {"summary": summary, "changes": changes, "filename": filename}
    return pages.page(request, viewer, "manage_counts.html", context, here=here)


def _count_values(entry: PopulationEntry) -> dict[str, Any]:
    """A stored count as its form shows it."""
    return {
        "agency": entry.agency,
        "period_start": entry.period_start.isoformat(),
        "period_end": entry.period_end.isoformat(),
        "dossiers_handled": str(entry.dossiers_handled),
        "procedure_field": entry.procedure_field or "",
        "reason": "",
        "confirm_outlier": False,
    }


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
    context = _count_form_context(request, viewer, session, entry, _count_values(entry))
    return pages.page(request, viewer, "manage_count_form.html", context)


@router.post("/manage/counts/{count_id}", response_class=HTMLResponse)
def update_count(
    count_id: CountId,
    request: Request,
    viewer: AdminFormViewerDep,
    session: SessionDep,
    form: Annotated[CountForm, Form()],
) -> Response:
    lang = lang_of(request)
    entry = counts.get_population_count(session, viewer.scope, count_id)
    values = form.sent()
    pages.agency_in_scope(session, viewer, values["agency"])

    def save(body: PopulationCountIn) -> Response:
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

    answer = pages.submit(PopulationCountIn, values, lang, COUNT_FIELDS, save)
    if not isinstance(answer, Refused):
        return answer
    context = _count_form_context(request, viewer, session, entry, values | {"procedure_field": form.procedure_field})
    labels, here = pages.labels(lang, COUNT_FIELDS), f"{BASE}/counts/{count_id}"
    return pages.form_again(
        request, viewer, "manage_count_form.html", context, refused=answer, labels=labels, here=here
    )


@router.post("/manage/counts/{count_id}/delete", response_class=HTMLResponse)
def delete_count(
    count_id: CountId, request: Request, viewer: AdminFormViewerDep, session: SessionDep, reason: Text = ""
) -> Response:
    lang = lang_of(request)
    entry = counts.get_population_count(session, viewer.scope, count_id)
    try:
        counts.delete_population_count(session, viewer.scope, count_id, reason=reason, client_ip=client_ip(request))
    except Invalid as refused_delete:
        problems = [
            manage.FieldProblem("delete_reason", p.message) for p in manage.refusal(refused_delete, ("reason",))
        ]
        context = _count_form_context(request, viewer, session, entry, _count_values(entry))
        context["delete_reason"] = reason
        labels, here = {"delete_reason": t("mg_field_delete_reason", lang)}, f"{BASE}/counts/{count_id}"
        refused = Refused(problems, 422)
        return pages.form_again(
            request, viewer, "manage_count_form.html", context, refused=refused, labels=labels, here=here
        )
    return RedirectResponse(f"{BASE}/counts?done=deleted", 303)


# --- officials ---------------------------------------------------------------------------------------------------
