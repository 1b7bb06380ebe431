"""``/api/v1/auth``: the OAuth2 password flow for the API, logout, and who am I."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm

from app.config import Environment, Settings
from app.deps import SessionDep, SettingsDep
from app.errors import Invalid
from app.officials.deps import COOKIE, CallerDep, client_ip
from app.officials.models import SessionKind
from app.officials.schemas import MeOut, TokenOut
from app.officials.service import Opened, login, logout
from app.officials.throttle import throttle_of

router = APIRouter(prefix="/api/v1/auth", tags=["officials"])
NOT_LOGGED_IN: dict[int | str, dict[str, Any]] = {401: {"description": "No token, or an expired or closed session"}}


def cookie_secure(settings: Settings, request: Request) -> bool:
    if settings.cookie_secure is not None:
        return settings.cookie_secure
    return settings.env is Environment.production or request.url.scheme == "https"


def set_session_cookie(response: Response, request: Request, settings: Settings, opened: Opened) -> None:
    response.set_cookie(
        COOKIE,
        opened.token,
        max_age=settings.official_session_hours * 3600,
        httponly=True,
        secure=cookie_secure(settings, request),
        samesite="strict",
        path="/",
    )


@router.post(
    "/token",
    response_model=TokenOut,
    responses={
        401: {"description": "wrong username or password (an unknown name answers the same)"},
        429: {
            "description": "too many failed logins for this username from this network, or too many password "
            "checks from this network: retry after Retry-After seconds"
        },
    },
)
def token(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> Any:
    """Log in with username and password (form-encoded, OAuth2 password flow); the bearer token goes in
    ``Authorization: Bearer <token>``. The username is NFKC-normalised and lower-cased. After five failures in a
    row for one username from one network (IPv4 /24, IPv6 /48), that network waits a minute before trying that
    name again, then twice as long after each further failure (at most an hour); other networks are not affected.
    A network gets at most 30 password checks a minute. Unknown names are answered exactly like known ones."""
    if not form.username or not form.password:
        raise Invalid("username and password are required")
    opened = login(
        session,
        settings,
        username=form.username,
        password=form.password,
        kind=SessionKind.api,
        throttle=throttle_of(request.app),
        client_ip=client_ip(request),
    )
    return TokenOut(access_token=opened.token, expires_in=settings.official_session_hours * 3600)


@router.post(
    "/logout",
    status_code=204,
    response_class=Response,
    responses={**NOT_LOGGED_IN, 403: {"description": "A session cookie without its CSRF token"}},
)
def sign_out(request: Request, caller: CallerDep, session: SessionDep) -> Response:
    """Close this session (the token or cookie stops working at once)."""
    logout(session, session.merge(caller.opened), caller.official, client_ip=client_ip(request))
    response = Response(status_code=204)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/me", response_model=MeOut, responses=NOT_LOGGED_IN)
def me(caller: CallerDep) -> Any:
    official = caller.official
    return MeOut(
        username=official.username,
        display_name=official.display_name,
        role=official.role.value,
        agency=official.agency.code if official.agency else None,
        expires_at=caller.opened.expires_at.isoformat(),
    )
