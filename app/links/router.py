"""API for one-stop software: mint a single-use feedback link for a dossier, to print on its receipt, and revoke it.

Minting is limited per device (:data:`MINT_PER_MINUTE`, then 429 with Retry-After) and refused for a deactivated
counter or agency (422). A link is revoked by the device that minted it or by an administrator whose agencies
include the link's agency (``DELETE /api/v1/dossier-links/{id}`` or ``POST …/{id}/revoke``); a revoked link opens an
explanation page, never the form (:func:`app.links.service.resolve`).

QR images and the printable poster of a link (``qr_router``): `/f/{token}/qr.png`, `/f/{token}/qr.svg`,
`/f/{token}/poster`. Each carries the very link it is asked about, so what is printed is what was checked; a bad or
revoked token is the same friendly 404 as the form itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, Response
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.deps import FormsDep, SessionDep, SettingsDep
from app.directory.models import Agency, Device, Official
from app.directory.service import find_device, get_counter
from app.error_responses import BAD_BODY, INVALID_ON_HTML
from app.errors import (
    DB_INT_MAX,
    Forbidden,
    Invalid,
    NotFound,
    TooManyRequests,
    Unauthorized,
)
from app.kiosk.auth import DeviceDep, bearer
from app.links import posters, qr
from app.links import service as links
from app.links.schemas import DossierLinkCreated, DossierLinkRequest, DossierLinkRevoked
from app.officials.deps import within_official_rate
from app.officials.scope import Scope, scope_of
from app.officials.service import resolve as resolve_official
from app.ratelimit import RateLimiter
from app.responses.models import DossierLink

router = APIRouter(prefix="/api/v1", tags=["links"])

# Links one device may mint per minute (in each worker's memory, like the other limits). One-stop software prints
# one link per dossier handed back; 120 a minute is far above a busy reception desk and stops a script minting
# thousands. Beyond it: 429 with Retry-After.
MINT_PER_MINUTE = 120


def mint_limiter() -> RateLimiter:
    """The minting limiter, made with the app (one per app, so tests and workers do not share counts)."""
    return RateLimiter(MINT_PER_MINUTE, 60)


def _mint_limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.dossier_link_limiter
    return limiter


@router.post(
    "/dossier-links",
    status_code=201,
    response_model=DossierLinkCreated,
    summary="Mint a single-use feedback link for one dossier",
    responses={
        **BAD_BODY,
        401: {"description": "Missing or revoked device key"},
        422: {"description": "Invalid request, or the counter (or agency) is deactivated"},
        429: {"description": f"Over {MINT_PER_MINUTE} links a minute from this device (see Retry-After)"},
    },
)
def create_dossier_link(
    request: Request,
    body: DossierLinkRequest,
    device: DeviceDep,
    session: SessionDep,
    settings: SettingsDep,
    forms: FormsDep,
) -> DossierLinkCreated:
    """The link opens the form for this dossier once; a second use shows "already answered" and stores nothing.
    Only the keyed hash of the dossier code is stored."""
    wait = _mint_limiter(request).retry_after(f"device:{device.id}")
    if wait > 0:
        raise TooManyRequests(
            f"over {MINT_PER_MINUTE} links a minute from this device; retry later", retry_after_seconds=wait
        )
    try:
        counter = get_counter(session, device.agency, body.counter) if body.counter else device.counter
    except NotFound as exc:
        raise Invalid(f"/counter: {exc.message}") from None
    link, token = links.mint_dossier_link(
        session,
        settings,
        forms,
        agency=device.agency,
        counter=counter,
        dossier_code=body.dossier_code,
        form_id=body.form_id,
        days=body.days,
        actor=device_actor(device),
    )
    return DossierLinkCreated(id=link.id, url=links.link_url(settings, token), token=token, expires_at=link.expires_at)


def device_actor(device: Device) -> str:
    """How a device is named in ``created_by`` and the audit log."""
    return f"device:{device.key_prefix}"


@dataclass(frozen=True)
class Revoker:
    """Who asks to revoke a link: a device (only the links it minted) or an official (admins, within their scope)."""

    device: Device | None = None
    official: Official | None = None
    scope: Scope | None = None


def revoker(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Revoker:
    """A device key or an official's API token, each within its own rate limit."""
    if credentials is None:
        raise Unauthorized("send 'Authorization: Bearer <device key or official's token>'")
    device = find_device(session, credentials.credentials)
    if device is not None:
        wait = request.app.state.kiosk_limiter.retry_after(f"device:{device.id}")
        if wait > 0:
            raise TooManyRequests("too many requests from this device; retry later", retry_after_seconds=wait)
        return Revoker(device=device)
    found = resolve_official(session, credentials.credentials)
    if found is None:
        raise Unauthorized("unknown or revoked device key, or an official's session that expired or was closed")
    _opened, official = found
    within_official_rate(request, official)
    return Revoker(official=official, scope=scope_of(session, official))


def _revocable(session: Session, who: Revoker, link_id: int) -> DossierLink:
    """The link if ``who`` may revoke it: the device that minted it, or an administrator whose agencies include the
    link's. An official who is not an administrator gets 403 (as on every write of the management API); anyone
    else gets the same 404 as for an unknown id (nothing to probe)."""
    missing = NotFound(f"no dossier link {link_id}")
    if who.scope is not None and not who.scope.is_admin:
        raise Forbidden("this needs an administrator (province_admin or national) or the device that minted the link")
    link = session.get(DossierLink, link_id)
    if link is None:
        raise missing
    if who.device is not None:
        if link.created_by != device_actor(who.device):
            raise missing
        return link
    assert who.scope is not None
    visible = session.scalar(select(Agency.id).where(Agency.id == link.agency_id, who.scope.agencies()))
    if visible is None:
        raise missing
    return link


LinkId = Annotated[int, PathParam(ge=1, le=DB_INT_MAX, description="The id returned when the link was minted")]
REVOKE_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing or unknown device key or official's token"},
    403: {"description": "An official who is not an administrator (province_admin or national)"},
    404: {"description": "Unknown link, or not minted by this device / outside the official's agencies"},
    422: {"description": "Invalid id"},
    429: {"description": "Too many requests (see Retry-After)"},
}


def _revoke(request: Request, link_id: int, who: Revoker, session: Session) -> DossierLinkRevoked:
    link = _revocable(session, who, link_id)
    if who.device is not None:
        links.revoke_dossier_link(session, link, actor=device_actor(who.device))
    else:
        assert who.official is not None
        links.revoke_dossier_link(
            session,
            link,
            actor=who.official.username,
            official_id=who.official.id,
            client_ip=request.client.host if request.client else None,
        )
    assert link.revoked_at is not None
    return DossierLinkRevoked(id=link.id, revoked_at=link.revoked_at, used=link.used_at is not None)


@router.delete(
    "/dossier-links/{link_id}",
    response_model=DossierLinkRevoked,
    summary="Revoke a dossier link: it opens an explanation page, never the form",
    responses=REVOKE_RESPONSES,
)
def delete_dossier_link(
    request: Request, link_id: LinkId, who: Annotated[Revoker, Depends(revoker)], session: SessionDep
) -> DossierLinkRevoked:
    """By the device that minted it, or an administrator of its agency. Revoking twice changes nothing (the first
    time is kept); a link already answered keeps its answer."""
    return _revoke(request, link_id, who, session)


@router.post(
    "/dossier-links/{link_id}/revoke",
    response_model=DossierLinkRevoked,
    summary="Revoke a dossier link (the same as DELETE, for clients that cannot send DELETE)",
    responses=REVOKE_RESPONSES,
)
def revoke_dossier_link(
    request: Request, link_id: LinkId, who: Annotated[Revoker, Depends(revoker)], session: SessionDep
) -> DossierLinkRevoked:
    return _revoke(request, link_id, who, session)


qr_router = APIRouter(tags=["qr"])
# A link's image never changes while the link is valid; a day's caching spares phones and printers a refetch.
IMAGE_CACHE = {"Cache-Control": "public, max-age=86400"}
# A bad, old or revoked token: the citizen's "not found" page (HTML), as for the form itself.
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "Unknown, expired or revoked link: a page in Vietnamese", "content": {"text/html": {}}},
}


@qr_router.get(
    "/f/{token}/qr.png", response_class=Response, responses={200: {"content": {"image/png": {}}}, **NOT_FOUND}
)
def qr_png(token: str, session: SessionDep, settings: SettingsDep, forms: FormsDep) -> Response:
    """The link's QR code as a PNG (10 pixels per module)."""
    link = links.resolve(session, settings, forms, token)
    return Response(qr.qr_png(links.link_url(settings, link.token)), media_type="image/png", headers=IMAGE_CACHE)


@qr_router.get(
    "/f/{token}/qr.svg", response_class=Response, responses={200: {"content": {"image/svg+xml": {}}}, **NOT_FOUND}
)
def qr_svg(token: str, session: SessionDep, settings: SettingsDep, forms: FormsDep) -> Response:
    """The link's QR code as SVG, for printing at any size."""
    link = links.resolve(session, settings, forms, token)
    return Response(qr.qr_svg(links.link_url(settings, link.token)), media_type="image/svg+xml", headers=IMAGE_CACHE)


@qr_router.get("/f/{token}/poster", response_class=HTMLResponse, responses={**NOT_FOUND, **INVALID_ON_HTML})
def poster(
    token: str,
    session: SessionDep,
    settings: SettingsDep,
    forms: FormsDep,
    size: Annotated[posters.PaperSize, Query(description="Paper size")] = "a4",
) -> HTMLResponse:
    """A counter's printable poster; single-use dossier links have none (they go on receipts, not desks). While
    ``SIPAS_PUBLIC_BASE_URL`` is unset or a loopback address, the page shows a warning above the sheets and the
    answer carries it in ``X-SIPAS-Warning``."""
    link = links.resolve(session, settings, forms, token)
    if link.counter is None or link.dossier_link is not None:
        raise NotFound("only a counter's standing link has a poster")
    url = links.link_url(settings, link.token)
    html = posters.render_counter_poster(session, settings, link.counter, url, size=size, actor="web")
    return HTMLResponse(html, headers=posters.warning_headers(settings))
