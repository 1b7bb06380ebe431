"""``/dashboard/login`` and ``/dashboard/logout``: officials sign in and out of the dashboard in the browser (a
session cookie; the login form carries its own anti-forgery token before any session exists)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.config import Settings
from app.dashboard.i18n import t
from app.dashboard.rendering import NO_STORE, FormViewerDep, base_context, lang_of, page_router, templates
from app.deps import SessionDep, SettingsDep
from app.errors import TooManyRequests, Unauthorized
from app.officials.deps import COOKIE, client_ip
from app.officials.models import SessionKind
from app.officials.router import cookie_secure, set_session_cookie
from app.officials.service import login, login_csrf_ok, login_csrf_token, login_nonce, logout, resolve
from app.officials.throttle import throttle_of

router = page_router()


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
    *,
    status_code: int = 200,
    error: str | None = None,
    username: str = "",
    notice: str | None = None,
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
    *,
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
        return _login_page(
            request,
            settings,
            next_path,
            status_code=403,
            error=t("csrf_body", lang),
            username=username,
            fresh_nonce=True,
        )
    if not username.strip() or not password:
        return _login_page(
            request, settings, next_path, status_code=422, error=t("login_missing", lang), username=username
        )
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
        return _login_page(
            request, settings, next_path, status_code=401, error=t("login_wrong", lang), username=username
        )
    except TooManyRequests as locked:
        seconds = int(float((locked.details or {}).get("retry_after_seconds", 60))) + 1
        page = _login_page(
            request,
            settings,
            next_path,
            status_code=429,
            error=t("login_locked", lang, seconds=seconds),
            username=username,
        )
        page.headers.update(locked.headers)
        return page
    response = RedirectResponse(next_path, 303)
    set_session_cookie(response, request, settings, opened)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/dashboard/login")  # the next login gets a new nonce
    return response


@router.post("/logout")
def logout_submit(request: Request, viewer: FormViewerDep, session: SessionDep) -> Response:
    logout(session, session.merge(viewer.opened), viewer.official, client_ip=client_ip(request))
    response = RedirectResponse(f"/dashboard/login?out=1&lang={lang_of(request)}", 303)
    response.delete_cookie(COOKIE, path="/")
    return response
