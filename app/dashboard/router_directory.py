"""``/dashboard/counters`` and ``/dashboard/devices``: the counters in scope with their activity (search, sort,
paging, the quiet ones highlighted), each counter's page, their posters as PDF (one counter, or a whole subtree in
one file), and for administrators the management forms — create, deactivate, revoke links; issue a kiosk key (shown
once), revoke it.

Every form is a POST carrying the session's anti-forgery token; the writes go through :mod:`app.admin.service`,
which checks the scope and audits. A write redirects (303) to the page that shows its result, except issuing a
kiosk key, whose answer is the only place the key is ever shown. What the pages show is gathered in
:mod:`app.dashboard.directory_pages`; posters are :mod:`app.links.posters`' HTML typeset by :mod:`app.links.pdf`."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote, urlencode

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from app.admin import service as admin
from app.admin.schemas import CounterIn
from app.config import Settings
from app.dashboard.directory_pages import (
    COUNTER_SORTS,
    PAGE_SIZE,
    STALE_AFTER,
    CounterQuery,
    counter_detail,
    counter_listing,
    counter_name,
    device_listing,
    kiosk_places,
    read_counter_query,
)
from app.dashboard.i18n import t
from app.dashboard.rendering import (
    NO_STORE,
    AdminFormViewerDep,
    AdminViewerDep,
    Viewer,
    ViewerDep,
    lang_of,
    page_router,
    render_page,
)
from app.dashboard.views import agency_name
from app.db import utcnow
from app.deps import SessionDep, SettingsDep
from app.directory.models import Agency, Counter
from app.errors import Conflict, Invalid, NotFound
from app.links import pdf, posters
from app.links import service as links
from app.officials.deps import client_ip
from app.officials.scope import visible_agency
from app.public.i18n import Lang

router = page_router()

SIZES: tuple[posters.PaperSize, ...] = ("a4", "a5")
SAFE_FILE_CHARS = re.compile(r"[^A-Za-z0-9._-]")
DONE = ("created", "revoked", "deactivated", "activated")
Text = Annotated[str, Form()]


def _render(
    request: Request, viewer: Viewer, name: str, context: dict[str, Any], nav: str, status_code: int = 200
) -> HTMLResponse:
    """A page of this module, with agency and counter names in the reader's language at hand."""
    lang = lang_of(request)
    labels = {
        "agency_label": lambda agency: agency_name(agency, lang),
        "counter_label": lambda counter: counter_name(counter, lang),
    }
    return render_page(request, viewer, name, labels | context, nav=nav, status_code=status_code)


def _actor(viewer: Viewer, request: Request) -> admin.Actor:
    return admin.Actor(viewer.official.username, viewer.official.id, client_ip(request))


def _today(settings: Settings) -> date:
    return datetime.now(settings.zone).date()


def _query_errors(query: CounterQuery, lang: Lang) -> list[dict[str, str]]:
    return [
        {"field": name, "message": t(key, lang, value=value, field=t(f"counters_field_{name}", lang))}
        for name, key, value in query.errors
    ]


def _counter_path(agency_code: str, counter_code: str) -> str:
    return f"/dashboard/counters/{quote(agency_code, safe='')}/{quote(counter_code, safe='')}"


def _paper_size(request: Request) -> posters.PaperSize | None:
    """The ``size`` asked for (A4 when none), or None when it is not one of :data:`SIZES`."""
    asked = request.query_params.get("size", "").strip().lower() or "a4"
    return next((size for size in SIZES if size == asked), None)


def _bad_size(request: Request, viewer: Viewer) -> HTMLResponse:
    lang = lang_of(request)
    return _bad_request(request, viewer, t("posters_bad_size", lang, value=request.query_params.get("size", "")[:20]))


def _file_part(code: str) -> str:
    return SAFE_FILE_CHARS.sub("_", code)[:64] or "_"


def _posters_pdf(
    request: Request,
    viewer: Viewer,
    session: SessionDep,
    settings: Settings,
    counters: list[Counter],
    size: posters.PaperSize,
    title: str,
    stem: str,
) -> Response:
    """The counters' posters as one PDF download, ``{stem}-{size}.pdf``; a page saying so when this server cannot
    make PDF files (503)."""
    try:
        content = pdf.posters_pdf(
            session,
            settings,
            counters,
            size=size,
            title=title,
            actor=viewer.official.username,
            official_id=viewer.official.id,
            within=viewer.scope.root_path,
        )
    except pdf.PdfUnavailable:
        return _bad_request(request, viewer, t("posters_pdf_unavailable", lang_of(request)), 503)
    headers = {
        "Content-Disposition": f'attachment; filename="{stem}-{size}.pdf"',
        **NO_STORE,
        **posters.warning_headers(settings),
    }
    return Response(content, media_type="application/pdf", headers=headers)


# --- the counters page -----------------------------------------------------------------------------------------


def _sort_columns(query: CounterQuery, lang: Lang) -> dict[str, dict[str, str]]:
    """Each sortable column's link (the current one flips its direction) and its ``aria-sort``."""
    columns = {}
    for key, natural in COUNTER_SORTS.items():
        current = query.sort == key
        descending = not query.descending if current else natural
        href = "?" + urlencode(query.params(sort=key, order="desc" if descending else "asc", page="1"))
        state = ("descending" if query.descending else "ascending") if current else "none"
        columns[key] = {"href": href, "aria_sort": state, "label": t(f"counters_sort_{key}", lang)}
    return columns


def _counters_context(
    request: Request, viewer: Viewer, session: SessionDep, settings: Settings, query: CounterQuery
) -> dict[str, Any]:
    lang = lang_of(request)
    listing = counter_listing(session, viewer.scope, query, lang, datetime.now(settings.zone))
    pages = [
        {"number": number, "href": "?" + urlencode(query.params(page=str(number))), "current": number == listing.page}
        for number in range(1, listing.pages + 1)
    ]
    default_agency = viewer.root.code if viewer.root else (listing.agencies[0].code if listing.agencies else "")
    return {
        "page_title": t("counters_page_title", lang),
        "query": query,
        "listing": listing,
        "columns": _sort_columns(query, lang),
        "pages": pages if listing.pages > 1 else [],
        "page_size": PAGE_SIZE,
        "quiet_href": "?" + urlencode(query.params(quiet="1", page="1")),
        "all_href": "?" + urlencode(query.params(quiet="", page="1")),
        "query_errors": _query_errors(query, lang),
        "counter_path": _counter_path,
        "warning": links.public_address_warning(settings),
        "default_agency": default_agency,
        "sizes": SIZES,
    }


@router.get("/counters", response_class=HTMLResponse)
def counters_page(request: Request, viewer: ViewerDep, session: SessionDep, settings: SettingsDep) -> Response:
    """Every counter in scope with its activity; a query that cannot be read answers 422 with the page (defaults
    used) saying which parameter is wrong."""
    query = read_counter_query(request.query_params, _today(settings))
    context = _counters_context(request, viewer, session, settings, query)
    status = 422 if query.errors else 200
    return _render(request, viewer, "counters.html", context, "counters", status)


# --- one counter -----------------------------------------------------------------------------------------------


def _find_counter(session: SessionDep, viewer: Viewer, agency_code: str, counter_code: str) -> tuple[Agency, Counter]:
    """A counter of a visible agency; outside the scope the same 404 as an unknown one."""
    counter = admin.counter_of(session, viewer.scope, agency_code, counter_code)
    return counter.agency, counter


def _counter_page(
    request: Request,
    viewer: Viewer,
    session: SessionDep,
    settings: Settings,
    agency: Agency,
    counter: Counter,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    lang = lang_of(request)
    query = read_counter_query(request.query_params, _today(settings))
    found = counter_detail(session, viewer.scope, agency, counter, query, lang, datetime.now(settings.zone))
    done = request.query_params.get("done", "")
    context = {
        "page_title": f"{found.row.name} – {found.row.agency_name}",
        "row": found.row,
        "devices": found.devices,
        "query": query,
        "done": done if done in DONE else "",
        "error": error,
        "path": _counter_path(agency.code, counter.code),
        "short_url": links.short_url(settings, counter.short_code) if counter.short_code else "",
        "warning": links.public_address_warning(settings),
        "sizes": SIZES,
    }
    return _render(request, viewer, "counter.html", context, "counters", status_code)


@router.get("/counters/posters.pdf")
def subtree_posters(request: Request, viewer: ViewerDep, session: SessionDep, settings: SettingsDep) -> Response:
    """Every active counter's poster of an agency and the agencies below it, one sheet each, as one PDF
    (``?agency=CODE&size=a4|a5``; without an agency, the official's whole scope)."""
    lang = lang_of(request)
    size = _paper_size(request)
    code = request.query_params.get("agency", "").strip() or (viewer.root.code if viewer.root else "")
    if size is None:
        return _bad_size(request, viewer)
    if not code:
        return _bad_request(request, viewer, t("posters_agency_needed", lang))
    agency = visible_agency(session, viewer.scope, code)
    counters = links.counters_in_subtree(session, agency)
    name = agency_name(agency, lang)
    if not counters:
        return _bad_request(request, viewer, t("posters_none", lang, name=name))
    if len(counters) > pdf.MAX_POSTERS:
        message = t("posters_too_many", lang, name=name, n=len(counters), most=pdf.MAX_POSTERS)
        return _bad_request(request, viewer, message)
    title = f"Mã QR đánh giá — {agency.name_vi}"
    return _posters_pdf(request, viewer, session, settings, counters, size, title, f"posters-{_file_part(agency.code)}")


def _bad_request(request: Request, viewer: Viewer, message: str, status_code: int = 422) -> HTMLResponse:
    """A page that says what is wrong with the request, with the way back to the counters."""
    lang = lang_of(request)
    context = {"page_title": t("counters_request_problem", lang), "message": message}
    return _render(request, viewer, "counters_problem.html", context, "counters", status_code)


def _new_page(
    request: Request,
    viewer: Viewer,
    session: SessionDep,
    kind: Literal["counter", "device"],
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The form that creates a counter or registers a kiosk, with the places of the scope to choose from; filled in
    as sent, each problem by its field, when refused."""
    lang = lang_of(request)
    context = {
        "page_title": t(f"{kind}_new_title", lang),
        "places": kiosk_places(session, viewer.scope),
        "values": values,
        "errors": errors or {},
    }
    return _render(request, viewer, f"{kind}_new.html", context, f"{kind}s", status_code)


@router.get("/counters/new", response_class=HTMLResponse)
def new_counter_form(request: Request, viewer: AdminViewerDep, session: SessionDep) -> Response:
    """The form that creates a counter (administrators)."""
    chosen = request.query_params.get("agency", "") or (viewer.root.code if viewer.root else "")
    values = {"agency": chosen, "code": "", "name_vi": "", "name_en": ""}
    return _new_page(request, viewer, session, "counter", values)


COUNTER_FIELD_KEYS = {
    "code": "counter_new_bad_code",
    "name_vi": "counter_new_bad_name_vi",
    "name_en": "counter_new_bad_name_en",
}


@router.post("/counters/new", response_class=HTMLResponse)
def create_counter(
    *,
    request: Request,
    viewer: AdminFormViewerDep,
    session: SessionDep,
    agency: Text = "",
    code: Text = "",
    name_vi: Text = "",
    name_en: Text = "",
) -> Response:
    """Create a counter at a visible agency (it gets its typable code at once), then show its page."""
    lang = lang_of(request)
    values = {"agency": agency.strip(), "code": code.strip(), "name_vi": name_vi.strip(), "name_en": name_en.strip()}
    errors: dict[str, str] = {}
    if not values["agency"]:
        errors["agency"] = t("counter_new_bad_agency", lang)
    try:
        body = CounterIn(code=values["code"], name_vi=values["name_vi"], name_en=values["name_en"] or None)
    except ValidationError as invalid:
        for problem in invalid.errors():
            name = str(problem["loc"][0]) if problem["loc"] else "code"
            errors.setdefault(name, t(COUNTER_FIELD_KEYS.get(name, "counter_new_bad_code"), lang))
    if errors:
        return _new_page(request, viewer, session, "counter", values, errors, 422)
    try:
        counter = admin.add_counter(
            session,
            viewer.scope,
            _actor(viewer, request),
            values["agency"],
            code=body.code,
            name_vi=body.name_vi,
            name_en=body.name_en,
        )
    except NotFound:
        errors["agency"] = t("counter_new_bad_agency", lang)
        return _new_page(request, viewer, session, "counter", values, errors, 422)
    except Conflict:
        errors["code"] = t("counter_new_taken", lang, code=values["code"])
        return _new_page(request, viewer, session, "counter", values, errors, 409)
    return RedirectResponse(f"{_counter_path(values['agency'], counter.code)}?done=created", 303)


@router.get("/counters/{agency_code}/{counter_code}", response_class=HTMLResponse)
def counter_page(
    agency_code: str, counter_code: str, request: Request, viewer: ViewerDep, session: SessionDep, settings: SettingsDep
) -> Response:
    """One counter: its codes, activity, posters, kiosks, and (administrators) what can be done to it."""
    agency, counter = _find_counter(session, viewer, agency_code, counter_code)
    return _counter_page(request, viewer, session, settings, agency, counter)


@router.get("/counters/{agency_code}/{counter_code}/poster.pdf")
def counter_poster_pdf(
    agency_code: str, counter_code: str, request: Request, viewer: ViewerDep, session: SessionDep, settings: SettingsDep
) -> Response:
    """One counter's poster as a PDF (``?size=a4|a5``)."""
    agency, counter = _find_counter(session, viewer, agency_code, counter_code)
    size = _paper_size(request)
    if size is None:
        return _bad_size(request, viewer)
    if not (counter.active and agency.active):
        return _bad_request(request, viewer, t("poster_closed", lang_of(request)), 409)
    title = f"{counter.name_vi} — {agency.name_vi}"
    stem = f"poster-{_file_part(agency.code)}-{_file_part(counter.code)}"
    return _posters_pdf(request, viewer, session, settings, [counter], size, title, stem)


@router.post("/counters/{agency_code}/{counter_code}/revoke-links", response_class=HTMLResponse)
def revoke_counter_links(
    *,
    agency_code: str,
    counter_code: str,
    request: Request,
    viewer: AdminFormViewerDep,
    session: SessionDep,
    settings: SettingsDep,
    confirm: Text = "",
) -> Response:
    """Every QR code and typable code printed for this counter stops opening; it gets a new typable code."""
    agency, counter = _find_counter(session, viewer, agency_code, counter_code)
    if confirm != "yes":
        error = t("revoke_confirm_missing", lang_of(request))
        return _counter_page(request, viewer, session, settings, agency, counter, error=error, status_code=422)
    admin.revoke_counter_links(session, viewer.scope, _actor(viewer, request), agency.code, counter.code)
    return RedirectResponse(f"{_counter_path(agency.code, counter.code)}?done=revoked", 303)


@router.post("/counters/{agency_code}/{counter_code}/deactivate", response_class=HTMLResponse)
@router.post("/counters/{agency_code}/{counter_code}/activate", response_class=HTMLResponse)
def set_counter_active(
    agency_code: str,
    counter_code: str,
    request: Request,
    viewer: AdminFormViewerDep,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """``…/deactivate``: the counter stops collecting answers on every channel (its QR codes open an explanation);
    ``…/activate``: it collects answers again (its current codes open the form)."""
    active = request.url.path.endswith("/activate")
    agency, counter = _find_counter(session, viewer, agency_code, counter_code)
    try:
        admin.update_counter(
            session, viewer.scope, _actor(viewer, request), agency.code, counter.code, {"active": active}
        )
    except Invalid as invalid:  # nothing the form can send today; kept as a page, never a 500
        return _counter_page(
            request, viewer, session, settings, agency, counter, error=invalid.message, status_code=422
        )
    done = "activated" if active else "deactivated"
    return RedirectResponse(f"{_counter_path(agency.code, counter.code)}?done={done}", 303)


# --- kiosks ----------------------------------------------------------------------------------------------------


@router.get("/devices", response_class=HTMLResponse)
def devices_page(request: Request, viewer: AdminViewerDep, session: SessionDep) -> Response:
    """The kiosks in scope (administrators): last heartbeat (stale after an hour), queue, answers held back."""
    lang = lang_of(request)
    listing = device_listing(session, viewer.scope, lang, utcnow())
    revoked = request.query_params.get("revoked", "")
    context = {
        "page_title": t("devices_page_title", lang),
        "listing": listing,
        "stale_hours": int(STALE_AFTER.total_seconds() // 3600),
        "revoked_row": next((row for row in listing.rows if str(row.device.public_id) == revoked), None),
    }
    return _render(request, viewer, "devices.html", context, "devices")


@router.get("/devices/new", response_class=HTMLResponse)
def new_device_form(request: Request, viewer: AdminViewerDep, session: SessionDep) -> Response:
    """The form that issues a kiosk key (administrators)."""
    values = {"place": request.query_params.get("place", ""), "label": ""}
    return _new_page(request, viewer, session, "device", values)


@router.post("/devices/new", response_class=HTMLResponse)
def create_device(
    *, request: Request, viewer: AdminFormViewerDep, session: SessionDep, place: Text = "", label: Text = ""
) -> Response:
    """Register a kiosk at an agency (and one of its counters). The answer is the only time its key is shown: it
    is not stored (only its hash is), so this page is not a redirect, and is never cached."""
    lang = lang_of(request)
    values = {"place": place.strip(), "label": " ".join(label.split())}
    agency_code, _, counter_code = values["place"].partition("/")
    errors: dict[str, str] = {}
    if not agency_code:
        errors["place"] = t("device_new_bad_place", lang)
    if len(values["label"]) > 255:
        errors["label"] = t("device_new_bad_label", lang)
    if errors:
        return _new_page(request, viewer, session, "device", values, errors, 422)
    try:
        device, key = admin.add_device(
            session,
            viewer.scope,
            _actor(viewer, request),
            agency_code=agency_code,
            counter_code=counter_code or None,
            label=values["label"] or None,
        )
    except (NotFound, Invalid):
        errors["place"] = t("device_new_bad_place", lang)
        return _new_page(request, viewer, session, "device", values, errors, 422)
    counter = device.counter
    context = {
        "page_title": t("device_key_title", lang),
        "device": device,
        "key": key,
        "agency_name": agency_name(device.agency, lang),
        "counter_name": counter_name(counter, lang) if counter else None,
    }
    return _render(request, viewer, "device_key.html", context, "devices")


@router.post("/devices/{device_id}/revoke", response_class=HTMLResponse)
def revoke_device(device_id: str, request: Request, viewer: AdminFormViewerDep, session: SessionDep) -> Response:
    """The kiosk's key stops working at once (revoking twice changes nothing)."""
    try:
        public_id = uuid.UUID(device_id)
    except ValueError:
        raise NotFound("no such device") from None
    device = admin.revoke_device(session, viewer.scope, _actor(viewer, request), public_id)
    return RedirectResponse(f"/dashboard/devices?{urlencode({'revoked': str(device.public_id)})}", 303)
