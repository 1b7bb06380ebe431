"""The kiosk-mode page: a tablet at a counter shows a quick form, queues answers offline and sends them in
batches to the kiosk API (docs/kiosk-api.md). The page itself is static; everything it knows comes from the API."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.templating import Jinja2Templates

HERE = Path(__file__).parent
STATIC = HERE / "static"
# The kiosk page includes the citizen pages' stylesheet so both channels look alike.
templates = Jinja2Templates(directory=[HERE / "templates", HERE.parent / "public" / "templates"])
router = APIRouter(include_in_schema=False)
# Always revalidate: the service worker keeps the offline copy, the HTTP cache must never serve a stale app.
REVALIDATE = {"Cache-Control": "no-cache"}


@router.get("/kiosk", response_class=HTMLResponse)
def kiosk_page(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "kiosk.html", {}, headers=REVALIDATE)


@router.get("/kiosk/app.js")
def kiosk_script() -> FileResponse:
    return FileResponse(STATIC / "app.js", media_type="text/javascript; charset=utf-8", headers=REVALIDATE)


@router.get("/kiosk/sw.js")
def kiosk_service_worker() -> FileResponse:
    # The worker lives under /kiosk/ but must control the page /kiosk itself, one level up.
    headers = {**REVALIDATE, "Service-Worker-Allowed": "/kiosk"}
    return FileResponse(STATIC / "sw.js", media_type="text/javascript; charset=utf-8", headers=headers)
