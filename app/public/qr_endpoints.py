"""QR images and the printable poster of a link: `/f/{token}/qr.png`, `/f/{token}/qr.svg`, `/f/{token}/poster`.

Each carries the very link it is asked about, so what is printed is what was checked. A bad or revoked token is
the same friendly 404 as the form itself.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from app.deps import FormsDep, SessionDep, SettingsDep
from app.errors import INVALID_ON_HTML, NotFound
from app.public import links, posters, qr

router = APIRouter(tags=["qr"])
# A link's image never changes while the link is valid; a day's caching spares phones and printers a refetch.
IMAGE_CACHE = {"Cache-Control": "public, max-age=86400"}
# A bad, old or revoked token: the citizen's "not found" page (HTML), as for the form itself.
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "Unknown, expired or revoked link: a page in Vietnamese", "content": {"text/html": {}}},
}


@router.get("/f/{token}/qr.png", response_class=Response, responses={200: {"content": {"image/png": {}}}, **NOT_FOUND})
def qr_png(token: str, session: SessionDep, settings: SettingsDep, forms: FormsDep) -> Response:
    """The link's QR code as a PNG (10 pixels per module)."""
    link = links.resolve(session, settings, forms, token)
    return Response(qr.qr_png(links.link_url(settings, link.token)), media_type="image/png", headers=IMAGE_CACHE)


@router.get(
    "/f/{token}/qr.svg", response_class=Response, responses={200: {"content": {"image/svg+xml": {}}}, **NOT_FOUND}
)
def qr_svg(token: str, session: SessionDep, settings: SettingsDep, forms: FormsDep) -> Response:
    """The link's QR code as SVG, for printing at any size."""
    link = links.resolve(session, settings, forms, token)
    return Response(qr.qr_svg(links.link_url(settings, link.token)), media_type="image/svg+xml", headers=IMAGE_CACHE)


@router.get("/f/{token}/poster", response_class=HTMLResponse, responses={**NOT_FOUND, **INVALID_ON_HTML})
def poster(
    token: str,
    session: SessionDep,
    settings: SettingsDep,
    forms: FormsDep,
    size: Annotated[posters.PaperSize, Query(description="Paper size")] = "a4",
) -> HTMLResponse:
    """A counter's printable poster; single-use dossier links have none (they go on receipts, not desks)."""
    link = links.resolve(session, settings, forms, token)
    if link.counter is None or link.dossier_link is not None:
        raise NotFound("only a counter's standing link has a poster")
    return HTMLResponse(posters.render_counter_poster(link.counter, links.link_url(settings, link.token), size=size))
