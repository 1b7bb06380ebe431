"""What every ``/dashboard`` page shares: the templates and the layout's context, the language (``?lang=en``
switches and is remembered in a cookie), the logged-in official looking at the page, and errors answered as pages.

Pages answer like pages: a visitor without a valid session is sent to the login page (303), an agency outside the
scope gets the same 404 page as one that does not exist, a page for administrators gets a 403 page."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.config import Settings
from app.dashboard import charts, format
from app.dashboard.i18n import t
from app.dashboard.views import agency_name
from app.deps import SessionDep, SettingsDep
from app.directory.models import Agency, Official
from app.errors import Forbidden, NotFound, TooManyRequests
from app.officials.deps import COOKIE, within_official_rate
from app.officials.models import OfficialSession
from app.officials.scope import Scope, scope_of
from app.officials.service import csrf_ok, csrf_token, resolve
from app.public.i18n import Lang, pick_lang

HERE = Path(__file__).parent
LANG_COOKIE = "sipas_lang"
templates = Jinja2Templates(directory=HERE / "templates")
NO_STORE = {"Cache-Control": "no-store"}


class LoginRequired(Exception):
    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class CsrfRefused(Forbidden):
    """A form that does not carry the session's anti-forgery token (a page elsewhere posting it): the 403 page that
    says so, and nothing changes."""


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
                response = not_found_page(request)
            except CsrfRefused:
                response = message_page(request, "forbidden", 403, "csrf_body")
            except Forbidden:
                response = message_page(request, "forbidden", 403)
            except TooManyRequests as busy:
                response = message_page(request, "slow_down", 429)
                response.headers.update(busy.headers)
            _remember_lang(request, response)
            return response

        return handle


def page_router() -> APIRouter:
    """A router of dashboard pages: under ``/dashboard``, outside the API's documentation, errors as pages."""
    return APIRouter(prefix="/dashboard", include_in_schema=False, route_class=PageRoute)


def message_page(request: Request, kind: str, status_code: int, body_key: str | None = None) -> HTMLResponse:
    """A short page (not found, not allowed) with the layout — and the navigation when an official is logged in —
    but no figures; never echoes what was asked for."""
    lang = lang_of(request)
    context = base_context(request, lang, peek_viewer(request))
    context |= {"heading": t(f"{kind}_title", lang), "body": t(body_key or f"{kind}_body", lang)}
    return templates.TemplateResponse(request, "message.html", context, status_code=status_code, headers=NO_STORE)


def not_found_page(request: Request) -> HTMLResponse:
    """The 404 page, with the layout and the way back to the overview: for an unknown page or one outside the scope,
    and (through the application's 404 handler) for any unknown address under ``/dashboard/``."""
    return message_page(request, "not_found", 404)


# --- who is looking ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    official: Official
    opened: OfficialSession
    scope: Scope
    root: Agency | None  # the top of the scope; None: nationwide
    token: str
    csrf: str


def current_viewer(request: Request, session: SessionDep, settings: SettingsDep) -> Viewer:
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


ViewerDep = Annotated[Viewer, Depends(current_viewer)]


def admin_viewer(viewer: ViewerDep) -> Viewer:
    """The logged-in official, if an administrator; others get the 403 page."""
    if not viewer.scope.is_admin:
        raise Forbidden("this needs an administrator")
    return viewer


AdminViewerDep = Annotated[Viewer, Depends(admin_viewer)]


async def _check_form_token(request: Request, viewer: Viewer, settings: Settings) -> Viewer:
    form = await request.form()  # parsed once: the route's own form fields are read from the same parse
    presented = form.get("csrf_token")
    if not isinstance(presented, str) or not csrf_ok(settings, viewer.token, presented or None):
        raise CsrfRefused("the form does not carry this session's anti-forgery token")
    return viewer


async def form_viewer(request: Request, viewer: ViewerDep, settings: SettingsDep) -> Viewer:
    """The logged-in official posting a form with the session's anti-forgery token (``csrf_token``); else the 403
    page, before anything is read or changed."""
    return await _check_form_token(request, viewer, settings)


async def admin_form_viewer(request: Request, viewer: AdminViewerDep, settings: SettingsDep) -> Viewer:
    """An administrator posting a form with the session's anti-forgery token: the 403 page for anyone else, then
    for a form without the token."""
    return await _check_form_token(request, viewer, settings)


FormViewerDep = Annotated[Viewer, Depends(form_viewer)]
AdminFormViewerDep = Annotated[Viewer, Depends(admin_form_viewer)]


def peek_viewer(request: Request) -> Viewer | None:
    """The logged-in official, if any, for pages anyone may see (the method page, the error pages), so that their
    layout keeps the navigation: no redirect, no rate counting, and None when the database cannot say."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    settings: Settings = request.app.state.settings
    session: Session = request.app.state.session_factory()
    try:
        found = resolve(session, token)
        if found is None:
            return None
        opened, official = found
        scope = scope_of(session, official)
        root = session.get(Agency, scope.root_id) if scope.root_id is not None and scope.root_id > 0 else None
        return Viewer(official, opened, scope, root, token, csrf_token(settings, token))
    except SQLAlchemyError:
        return None
    finally:
        session.close()


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


def render_open_page(request: Request, name: str, context: dict[str, Any], nav: str = "") -> HTMLResponse:
    """A page anyone may read (no login needed), with the navigation when an official is logged in."""
    full = base_context(request, lang_of(request), peek_viewer(request), nav) | context
    return templates.TemplateResponse(request, name, full, headers=NO_STORE)


def render_page(
    request: Request, viewer: Viewer, name: str, context: dict[str, Any], nav: str = "", status_code: int = 200
) -> HTMLResponse:
    """A page of a logged-in official: the layout's context, the figures' formatters, then the page's own."""
    lang = lang_of(request)
    figures = {"p_value": lambda value: format.p_value(value, lang)}
    full = base_context(request, lang, viewer, nav) | figures | context
    return templates.TemplateResponse(request, name, full, status_code=status_code, headers=NO_STORE)
