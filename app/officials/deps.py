"""Who is asking: an official's bearer token (API) or session cookie (dashboard, with CSRF on unsafe methods)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from app.deps import SessionDep, SettingsDep
from app.directory.models import Official
from app.errors import Forbidden, TooManyRequests, Unauthorized
from app.officials.models import OfficialSession
from app.officials.scope import Scope, scope_of
from app.officials.service import csrf_ok, resolve
from app.ratelimit import RateLimiter

COOKIE = "sipas_session"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})

oauth2 = OAuth2PasswordBearer(
    tokenUrl="/api/v1/auth/token", auto_error=False, description="An official's token from POST /api/v1/auth/token"
)


def within_official_rate(request: Request, official: Official) -> None:
    """Raise 429 (with Retry-After) when this official is over SIPAS_OFFICIAL_RATE_PER_MINUTE (API and dashboard
    together; the limiter is made with the app, one per worker)."""
    limiter: RateLimiter = request.app.state.official_limiter
    wait = limiter.retry_after(f"official:{official.id}")
    if wait > 0:
        raise TooManyRequests("too many requests from this official; retry later", retry_after_seconds=wait)


@dataclass(frozen=True)
class Caller:
    official: Official
    opened: OfficialSession
    scope: Scope
    token: str
    via_cookie: bool


async def _caller(
    request: Request, session: SessionDep, settings: SettingsDep, bearer: Annotated[str | None, Depends(oauth2)]
) -> Caller:
    token, via_cookie = bearer, False
    if token is None:
        token, via_cookie = request.cookies.get(COOKIE), True
    if not token:
        raise Unauthorized("log in first: send 'Authorization: Bearer <token>' from POST /api/v1/auth/token")
    found = resolve(session, token)
    if found is None:
        raise Unauthorized("the session has expired or was closed; log in again")
    opened, official = found
    within_official_rate(request, official)
    if via_cookie and request.method in UNSAFE:
        presented = request.headers.get(CSRF_HEADER)
        if presented is None and "form" in request.headers.get("content-type", ""):
            presented = str((await request.form()).get("csrf_token") or "") or None
        if not csrf_ok(settings, token, presented):
            raise Forbidden(f"missing or wrong CSRF token (send the {CSRF_HEADER} header or a csrf_token field)")
    return Caller(official, opened, scope_of(session, official), token, via_cookie)


def _admin(caller: Annotated[Caller, Depends(_caller)]) -> Caller:
    if not caller.scope.is_admin:
        raise Forbidden("this needs an administrator (province_admin or national)")
    return caller


CallerDep = Annotated[Caller, Depends(_caller)]
AdminDep = Annotated[Caller, Depends(_admin)]


# The column that keeps an official's client address (official_sessions.client_ip, audit_events.client_ip).
CLIENT_IP_MAX = 64


def client_ip(request: Request) -> str | None:
    """The client's address as recorded for officials' sessions and audit events: the peer, or behind a trusted
    proxy the address it forwarded (always an IP address: app/security.py ForwardedClient); cut to the column's
    size, so whatever a server puts there can be stored."""
    host = request.client.host if request.client else ""
    return host[:CLIENT_IP_MAX] or None
