"""``/dashboard``: the officials' pages in the browser — login, overview of the scope, one agency's drill-down,
counters with their posters, kiosks. Server-rendered (Jinja2), Vietnamese first (``?lang=en`` switches and is
remembered in a cookie), no script; figures from :mod:`app.dashboard.views`, charts from
:mod:`app.dashboard.charts`.

Pages answer like pages: a visitor without a valid session is sent to the login page (303), an agency outside the
scope gets the same 404 page as one that does not exist, a page for administrators gets a 403 page."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from app.config import Settings
from app.dashboard import charts, format
from app.dashboard.i18n import t
from app.dashboard.views import (
    SORTS,
    Chosen,
    FigureCache,
    Figures,
    Line,
    agency_name,
    agency_page,
    counters_in_scope,
    devices_in_scope,
    export_url,
    overview,
    read_filters,
)
from app.deps import FormsDep, SessionDep, SettingsDep
from app.directory.models import Agency, Official
from app.errors import Forbidden, Invalid, NotFound, TooManyRequests, Unauthorized
from app.officials.deps import COOKIE, client_ip, within_official_rate
from app.officials.endpoints import cookie_secure, set_session_cookie
from app.officials.models import OfficialSession, SessionKind
from app.officials.scope import Scope, scope_of, visible_agency
from app.officials.service import (
    csrf_ok,
    csrf_token,
    login,
    login_csrf_ok,
    login_csrf_token,
    login_nonce,
    logout,
    resolve,
)
from app.officials.throttle import throttle_of
from app.public.i18n import Lang, pick_lang
from app.public.links import counter_url
from app.reports.query import COVERAGE, Meta
from app.responses.models import Channel

HERE = Path(__file__).parent
STATIC = HERE / "static"
STATIC_FILES = {"dashboard.css": "text/css; charset=utf-8"}
LANG_COOKIE = "sipas_lang"
templates = Jinja2Templates(directory=HERE / "templates")
NO_STORE = {"Cache-Control": "no-store"}


class LoginRequired(Exception):
    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def lang_of(request: Request) -> Lang:
    """``?lang=`` first, then the remembered choice, else Vietnamese."""
    return pick_lang(request.query_params.get("lang") or request.cookies.get(LANG_COOKIE))


def _remember_lang(request: Request, response: Response) -> None:
    asked = request.query_params.get("lang")
    if asked in ("vi", "en") and request.cookies.get(LANG_COOKIE) != asked:
        response.set_cookie(LANG_COOKIE, asked, max_age=365 * 86400, samesite="lax", path="/dashboard")


class PageRoute(APIRoute):
    """Errors of a page become pages: login redirect, 404, 403, 422 — never the API's JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                response = await handler(request)
            except LoginRequired as missing:
                response = RedirectResponse(f"/dashboard/login?{urlencode({'next': missing.next_path})}", 303)
            except (NotFound, RequestValidationError):
                response = message_page(request, "not_found", 404)
            except Forbidden:
                response = message_page(request, "forbidden", 403)
            except TooManyRequests as busy:
                response = message_page(request, "slow_down", 429)
                response.headers.update(busy.headers)
            _remember_lang(request, response)
            return response

        return handle


router = APIRouter(prefix="/dashboard", include_in_schema=False, route_class=PageRoute)


def message_page(request: Request, kind: str, status_code: int, body_key: str | None = None) -> HTMLResponse:
    """A short page (not found, not allowed) with the layout but no figures; never echoes what was asked for."""
    lang = lang_of(request)
    context = base_context(request, lang, None)
    context |= {"heading": t(f"{kind}_title", lang), "body": t(body_key or f"{kind}_body", lang)}
    return templates.TemplateResponse(request, "message.html", context, status_code=status_code, headers=NO_STORE)


# --- who is looking ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    official: Official
    opened: OfficialSession
    scope: Scope
    root: Agency | None  # the top of the scope; None: nationwide
    token: str
    csrf: str


def _viewer(request: Request, session: SessionDep, settings: SettingsDep) -> Viewer:
    """The logged-in official of the session cookie, or a redirect to the login page that comes back here."""
    token = request.cookies.get(COOKIE)
    found = resolve(session, token) if token else None
    if token is None or found is None:
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(here)
    opened, official = found
    within_official_rate(request, official)
    scope = scope_of(session, official)
    root = session.get(Agency, scope.root_id) if scope.root_id is not None and scope.root_id > 0 else None
    return Viewer(official, opened, scope, root, token, csrf_token(settings, token))


ViewerDep = Annotated[Viewer, Depends(_viewer)]


def _cache(request: Request) -> FigureCache:
    cache: FigureCache | None = getattr(request.app.state, "dashboard_cache", None)
    if cache is None:
        cache = request.app.state.dashboard_cache = FigureCache()
    return cache


def _today(settings: Settings) -> date:
    return datetime.now(settings.zone).date()


# --- rendering -----------------------------------------------------------------------------------------------


def _switch_href(request: Request, other: Lang) -> str:
    params = [(key, value) for key, value in request.query_params.multi_items() if key != "lang"]
    return f"{request.url.path}?{urlencode([*params, ('lang', other)])}"


def base_context(request: Request, lang: Lang, viewer: Viewer | None, nav: str = "") -> dict[str, Any]:
    """What the layout needs: language, switch, who is signed in, the scope, navigation."""
    other: Lang = "en" if lang == "vi" else "vi"
    settings: Settings = request.app.state.settings
    scope_name = ""
    if viewer is not None:
        scope_name = agency_name(viewer.root, lang) if viewer.root else t("national", lang)
    return {
        "lang": lang,
        "other_lang": other,
        "switch_href": _switch_href(request, other),
        "viewer": viewer,
        "scope_name": scope_name,
        "nav": nav,
        "t": lambda key, **values: t(key, lang, **values),
        "pct": lambda share, digits=2: format.pct(share, lang, digits),
        "num": lambda value, digits=0: format.number(value, lang, digits),
        "day": lambda value: format.day(value, lang),
        "moment": lambda value: format.moment(value, lang, settings.zone),
        "month": lambda label: format.month(label, lang),
        "points": lambda value: format.points(value, lang),
        "verdict_key": charts.verdict_key,
    }


def _page(
    request: Request, viewer: Viewer, name: str, context: dict[str, Any], nav: str = "", status_code: int = 200
) -> HTMLResponse:
    lang = lang_of(request)
    figures = {"p_value": lambda value: format.p_value(value, lang)}
    full = base_context(request, lang, viewer, nav) | figures | context
    return templates.TemplateResponse(request, name, full, status_code=status_code, headers=NO_STORE)


def _filter_context(request: Request, chosen: Chosen, forms: FormsDep, lang: Lang) -> dict[str, Any]:
    errors = [t(key, lang, value=value, message=value) for key, value in chosen.errors]
    return {
        "chosen": chosen,
        "filter_errors": errors,
        "channels": [(channel.value, t(f"channel_{channel.value}", lang)) for channel in Channel],
        "form_ids": sorted({key[0] for key in forms}),
        "form_title": {
            key[0]: (found.definition.title.en or found.definition.title.vi)
            if lang == "en"
            else found.definition.title.vi
            for key, found in sorted(forms.items())
        },
    }


def _sort(request: Request) -> str:
    asked = request.query_params.get("sort", "estimate")
    return asked if asked in SORTS else "estimate"


def _sort_links(request: Request, current: str, lang: Lang) -> list[dict[str, Any]]:
    params = [(key, value) for key, value in request.query_params.multi_items() if key not in ("sort", "lang")]
    return [
        {
            "key": key,
            "label": t(f"sort_{key}", lang),
            "current": key == current,
            "href": f"{request.url.path}?{urlencode([*params, ('sort', key)])}",
        }
        for key in SORTS
    ]


def verdict_summary(lines: list[Line], lang: Lang) -> str:
    """How many lines met their target out of those compared with it (met, not met, inconclusive), e.g. "Đạt mục
    tiêu: 1/2; 1 chưa đủ dữ liệu (không tính)": lines with not enough data are named apart and never counted.
    Empty when no line has a target."""
    counts = charts.verdict_counts([line.estimate for line in lines if line.estimate is not None])
    judged = sum(counts[key] for key in charts.JUDGED)
    if not judged and not counts["insufficient_data"]:
        return ""
    text = t("count_met", lang, met=counts["met"], judged=judged)
    if counts["insufficient_data"]:
        text += "; " + t("count_insufficient", lang, n=counts["insufficient_data"])
    return text


def _bar_chart(chart_id: str, title_key: str, lines: list[Line], target: float | None, lang: Lang) -> Markup:
    """A bar chart of the lines that have data (the table beside it lists them all)."""
    bars = [charts.Bar(line.key, line.label, line.estimate, line.weakest) for line in lines if line.estimate]
    target_label = t("target_value", lang, value=format.pct(target, lang)) if target is not None else ""
    return charts.bar_chart(
        chart_id,
        t(title_key, lang),
        bars,
        lang=lang,
        target=target,
        target_label=target_label,
        unreliable_label=t("unreliable", lang),
        summary=verdict_summary(lines, lang),
    )


def coverage(meta: Meta | None, lang: Lang) -> str:
    """What the intervals do not cover, in the page's language: the report's sentence (the same one when a page
    has no report, e.g. invalid filters)."""
    sentences = meta.coverage if meta is not None else COVERAGE
    return sentences.get(lang) or COVERAGE[lang]


# --- login and logout ----------------------------------------------------------------------------------------


def _safe_next(value: str | None) -> str:
    """Only back into the dashboard (no open redirect)."""
    if value and value.startswith("/dashboard") and not value.startswith("//") and "\\" not in value:
        return value
    return "/dashboard"


LOGIN_CSRF_COOKIE = "sipas_login_csrf"


def _login_page(
    request: Request,
    settings: Settings,
    next_path: str,
    status_code: int = 200,
    error: str | None = None,
    username: str = "",
    notice: str | None = None,
    *,
    fresh_nonce: bool = False,
) -> HTMLResponse:
    """The login form with its anti-forgery token: an HMAC of the nonce in the browser's pre-session cookie, which
    is set here when the browser has none (or ``fresh_nonce``)."""
    lang = lang_of(request)
    nonce = None if fresh_nonce else request.cookies.get(LOGIN_CSRF_COOKIE)
    new_nonce = nonce is None
    nonce = nonce or login_nonce()
    context = base_context(request, lang, None) | {
        "next_path": next_path,
        "error": error,
        "username": username,
        "notice": notice,
        "login_csrf": login_csrf_token(settings, nonce),
    }
    page = templates.TemplateResponse(request, "login.html", context, status_code=status_code, headers=NO_STORE)
    if new_nonce:
        page.set_cookie(
            LOGIN_CSRF_COOKIE,
            nonce,
            httponly=True,
            secure=cookie_secure(settings, request),
            samesite="strict",
            path="/dashboard/login",
        )
    return page


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    next_path = _safe_next(request.query_params.get("next"))
    token = request.cookies.get(COOKIE)
    if token and resolve(session, token) is not None:
        return RedirectResponse(next_path, 303)
    lang = lang_of(request)
    notice = None
    if request.query_params.get("out"):
        notice = t("logged_out", lang)
    elif request.query_params.get("next"):
        notice = t("login_needed", lang)
    return _login_page(request, settings, next_path, notice=notice)


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/dashboard",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    lang = lang_of(request)
    next_path = _safe_next(next)
    if not login_csrf_ok(settings, request.cookies.get(LOGIN_CSRF_COOKIE), csrf_token):
        # Not from this site's own form (or its cookie was lost): no password is checked; a fresh form is shown.
        return _login_page(request, settings, next_path, 403, t("csrf_body", lang), username, fresh_nonce=True)
    if not username.strip() or not password:
        return _login_page(request, settings, next_path, 422, t("login_missing", lang), username)
    try:
        opened = login(
            session,
            settings,
            username=username.strip(),
            password=password,
            kind=SessionKind.browser,
            throttle=throttle_of(request.app),
            client_ip=client_ip(request),
        )
    except Unauthorized:
        return _login_page(request, settings, next_path, 401, t("login_wrong", lang), username)
    except TooManyRequests as locked:
        seconds = int(float((locked.details or {}).get("retry_after_seconds", 60))) + 1
        page = _login_page(request, settings, next_path, 429, t("login_locked", lang, seconds=seconds), username)
        page.headers.update(locked.headers)
        return page
    response = RedirectResponse(next_path, 303)
    set_session_cookie(response, request, settings, opened)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/dashboard/login")  # the next login gets a new nonce
    return response


@router.post("/logout")
def logout_submit(
    request: Request,
    viewer: ViewerDep,
    session: SessionDep,
    settings: SettingsDep,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    if not csrf_ok(settings, viewer.token, csrf_token or None):
        return message_page(request, "forbidden", 403, "csrf_body")
    logout(session, session.merge(viewer.opened), viewer.official, client_ip=client_ip(request))
    response = RedirectResponse(f"/dashboard/login?out=1&lang={lang_of(request)}", 303)
    response.delete_cookie(COOKIE, path="/")
    return response


# --- figures -------------------------------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
def overview_page(
    request: Request, viewer: ViewerDep, session: SessionDep, settings: SettingsDep, forms: FormsDep
) -> Response:
    lang = lang_of(request)
    today = _today(settings)
    chosen = read_filters(dict(request.query_params), forms, today)
    order = _sort(request)
    figures = Figures(session, viewer.scope, forms, _cache(request))
    error = None
    try:
        found = overview(figures, viewer.root, chosen, lang, order, today)
    except Invalid as invalid:  # e.g. from after to
        error, found = t("bad_filters", lang, message=invalid.message), None
    context: dict[str, Any] = _filter_context(request, chosen, forms, lang) | {
        "page_title": t("overview_title", lang),
        "found": found,
        "error": error,
        "sort_links": _sort_links(request, order, lang),
        "filter_query": urlencode(chosen.query()),
    }
    context["coverage"] = coverage(found.meta if found is not None else None, lang)
    if found is not None:
        context["verdict_summary"] = verdict_summary(found.agencies, lang)
        context |= {
            "chart": _bar_chart("agencies-chart", "agencies_chart", found.agencies, found.target, lang),
            "without_data": sum(line.estimate is None for line in found.agencies),
            "exports": {
                "csv": export_url("satisfaction", chosen, "csv", group_by="agency"),
                "xlsx": export_url("satisfaction", chosen, "xlsx", group_by="agency"),
                "rankings": export_url("rankings", chosen, "xlsx"),
            },
        }
    return _page(request, viewer, "overview.html", context, nav="overview")


@router.get("/agencies/{code}", response_class=HTMLResponse)
def agency_detail(
    code: str, request: Request, viewer: ViewerDep, session: SessionDep, settings: SettingsDep, forms: FormsDep
) -> Response:
    agency = visible_agency(session, viewer.scope, code)  # NotFound → the 404 page, as for an unknown code
    lang = lang_of(request)
    today = _today(settings)
    chosen = read_filters(dict(request.query_params), forms, today)
    order = _sort(request)
    figures = Figures(session, viewer.scope, forms, _cache(request))
    error = None
    try:
        found = agency_page(figures, agency, chosen, lang, order, today)
    except Invalid as invalid:
        error, found = t("bad_filters", lang, message=invalid.message), None
    context: dict[str, Any] = _filter_context(request, chosen, forms, lang) | {
        "page_title": agency_name(agency, lang),
        "agency": agency,
        "found": found,
        "error": error,
        "sort_links": _sort_links(request, order, lang),
    }
    context["coverage"] = coverage(found.meta if found is not None else None, lang)
    if found is not None:
        points = [charts.Point(p.period, p.estimate, p.alerts) for p in found.trend.points] if found.trend else []
        trend_target = next((p.estimate.target for p in points if p.estimate.target is not None), None)
        context |= {
            "elements_chart": _bar_chart("elements-chart", "elements_chart", found.elements, found.target, lang),
            "items_chart": _bar_chart("items-chart", "items_chart", found.items, found.target, lang),
            "counters_chart": _bar_chart("counters-chart", "counters_chart", found.counters, found.target, lang),
            "trend_chart": charts.trend_chart(
                "trend-chart",
                t("trend_chart", lang),
                points,
                lang=lang,
                target=trend_target,
                target_label=t("target_value", lang, value=format.pct(trend_target, lang)) if trend_target else "",
                drop_label=t("alert_significant_drop", lang),
            ),
            "weakest_element": next((line for line in found.elements if line.weakest), None),
            "weakest_item": next((line for line in found.items if line.weakest), None),
            "exports": {
                name: {fmt: export_url(path, chosen, fmt, agency=agency.code, **extra) for fmt in ("csv", "xlsx")}
                for name, path, extra in (
                    ("elements", "satisfaction", {"group_by": "element"}),
                    ("items", "satisfaction", {"group_by": "item"}),
                    ("counters", "satisfaction", {"group_by": "agency,counter"}),
                    ("trend", "trends", {}),
                )
            },
        }
    return _page(request, viewer, "agency.html", context, nav="overview")


# --- directory -----------------------------------------------------------------------------------------------


@router.get("/counters", response_class=HTMLResponse)
def counters_page(request: Request, viewer: ViewerDep, session: SessionDep, settings: SettingsDep) -> Response:
    lang = lang_of(request)
    rows = [
        {
            "agency": owner,
            "agency_name": agency_name(owner, lang),
            "counter": counter,
            "name": (counter.name_en or counter.name_vi) if lang == "en" else counter.name_vi,
            "link": counter_url(settings, counter) if counter.active and owner.active else None,
            "poster": f"/api/v1/agencies/{quote(owner.code)}/counters/{quote(counter.code)}/poster"
            if counter.active and owner.active
            else None,
        }
        for owner, counter in counters_in_scope(session, viewer.scope)
    ]
    return _page(
        request, viewer, "counters.html", {"page_title": t("counters_page_title", lang), "rows": rows}, nav="counters"
    )


@router.get("/devices", response_class=HTMLResponse)
def devices_page(request: Request, viewer: ViewerDep, session: SessionDep) -> Response:
    if not viewer.scope.is_admin:
        raise Forbidden("this needs an administrator")
    lang = lang_of(request)
    rows = [
        {"device": device, "agency": owner, "agency_name": agency_name(owner, lang), "counter": counter}
        for device, owner, counter in devices_in_scope(session, viewer.scope)
    ]
    return _page(
        request, viewer, "devices.html", {"page_title": t("devices_page_title", lang), "rows": rows}, nav="devices"
    )


@router.get("/static/{name}")
def static_file(name: str) -> Response:
    if name not in STATIC_FILES:
        raise NotFound("no such file")
    return FileResponse(STATIC / name, media_type=STATIC_FILES[name], headers={"Cache-Control": "no-cache"})
