"""Kiosk API: single and batch submissions, heartbeat, and form definitions as JSON (docs/kiosk-api.md).

The kiosk-mode page (``page_router``, not in the API document): a tablet at a counter shows a quick form, queues
answers offline and sends them in batches to this API. The page is static; everything it knows comes from the API.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from app.db import utcnow
from app.deps import FormsDep, SettingsDep
from app.error_responses import BAD_BODY
from app.errors import Conflict, Invalid, NotFound, TooLarge, UnsupportedMediaType
from app.forms.service import latest_form
from app.kiosk import service
from app.kiosk.auth import Kiosk, KioskSessionDep, as_kiosk
from app.kiosk.schemas import BatchIn, BatchOut, HeartbeatIn, HeartbeatOut, ItemResult, Name, Stored, SubmissionIn

router = APIRouter(prefix="/api/v1", tags=["kiosk"])


async def require_json(request: Request) -> None:
    # async: a check of a header needs no worker thread (each sync dependency is a trip to one).
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise UnsupportedMediaType(f"send JSON with 'Content-Type: application/json' (got {content_type or 'none'!r})")


AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    **BAD_BODY,
    401: {"description": "Missing, unknown or revoked device key"},
    413: {"description": "Body or batch too large"},
    415: {"description": "Not JSON"},
    429: {"description": "Too many requests from this device (see Retry-After)"},
}


@router.post(
    "/responses",
    status_code=201,
    response_model=Stored,
    dependencies=[Depends(require_json)],
    summary="Submit one response",
    responses={
        200: {"description": "Identical replay: already stored (original received_at)", "model": Stored},
        409: {"description": "Same submission_id, different content; nothing changed"},
        422: {"description": "Invalid: details list each field as a JSON pointer"},
        **AUTH_ERRORS,
    },
)
async def submit_one(body: SubmissionIn, opened: KioskSessionDep, settings: SettingsDep, forms: FormsDep) -> Any:
    def work(session: Session, kiosk: Kiosk) -> ItemResult:
        first = kiosk.first_registered_at
        return service.receive(
            session, settings, forms, kiosk.device, [body], pointer_prefix="", first_registered_at=first
        )[0]

    result = await as_kiosk(opened, work)
    if result.status == "invalid":
        raise Invalid(result.message or "invalid", details=[e.model_dump() for e in result.errors or []])
    if result.status == "conflict":
        raise Conflict(result.message or "conflict", details={"submission_id": str(body.submission_id)})
    assert result.status in ("stored", "duplicate") and result.response_id and result.received_at
    stored = Stored(
        status=result.status,
        submission_id=body.submission_id,
        response_id=result.response_id,
        received_at=result.received_at,
    )
    if result.status == "duplicate":
        return JSONResponse(stored.model_dump(mode="json"), status_code=200)
    return stored


@router.post(
    "/responses/batch",
    response_model=BatchOut,
    dependencies=[Depends(require_json)],
    summary="Submit up to SIPAS_BATCH_MAX_ITEMS responses; one result per item, in order",
    responses={**AUTH_ERRORS},
)
async def submit_batch(body: BatchIn, opened: KioskSessionDep, settings: SettingsDep, forms: FormsDep) -> BatchOut:
    def work(session: Session, kiosk: Kiosk) -> list[ItemResult]:
        if len(body.items) > settings.batch_max_items:
            raise TooLarge(f"/items: {len(body.items)} items; at most {settings.batch_max_items} per batch")
        return service.receive(
            session, settings, forms, kiosk.device, body.items, first_registered_at=kiosk.first_registered_at
        )

    results = await as_kiosk(opened, work)
    counts = {status: 0 for status in ("stored", "duplicate", "conflict", "invalid")}
    for result in results:
        counts[result.status] += 1
    return BatchOut(results=results, counts=counts)


@router.post(
    "/kiosk/heartbeat",
    response_model=HeartbeatOut,
    dependencies=[Depends(require_json)],
    summary="Report that the kiosk is alive, its version, queue and held-back answers",
    responses={**AUTH_ERRORS},
)
async def heartbeat(body: HeartbeatIn, opened: KioskSessionDep) -> HeartbeatOut:
    def work(session: Session, kiosk: Kiosk) -> HeartbeatOut:
        now = utcnow()
        device = kiosk.device
        service.heartbeat(session, device, body, now=now)
        agency, counter = device.agency, device.counter
        return HeartbeatOut(
            device=device.key_prefix,
            agency=agency.code,
            agency_name=Name(vi=agency.name_vi, en=agency.name_en),
            counter=counter.code if counter else None,
            counter_name=Name(vi=counter.name_vi, en=counter.name_en) if counter else None,
            server_time=now,
            collecting=agency.active and (counter is None or counter.active),
        )

    return await as_kiosk(opened, work)


@router.get("/forms/{form_id}", summary="The newest version of a form, as JSON", responses={404: {}})
def form_latest(form_id: str, forms: FormsDep) -> dict[str, Any]:
    form = latest_form(forms, form_id)
    if form is None:
        raise NotFound(f"unknown form {form_id!r}")
    return form.definition.model_dump(mode="json", by_alias=True, exclude_none=True)


@router.get("/forms/{form_id}/{version}", summary="One version of a form, as JSON", responses={404: {}})
def form_version(form_id: str, version: int, forms: FormsDep) -> dict[str, Any]:
    form = forms.get((form_id, version))
    if form is None:
        raise NotFound(f"unknown form {form_id!r} version {version}")
    return form.definition.model_dump(mode="json", by_alias=True, exclude_none=True)


HERE = Path(__file__).parent
STATIC = HERE / "static"
# The kiosk page includes the citizen pages' stylesheet so both channels look alike.
templates = Jinja2Templates(directory=[HERE / "templates", HERE.parent / "public" / "templates"])
page_router = APIRouter(include_in_schema=False)
# Always revalidate: the service worker keeps the offline copy, the HTTP cache must never serve a stale app.
REVALIDATE = {"Cache-Control": "no-cache"}


@page_router.get("/kiosk", response_class=HTMLResponse)
def kiosk_page(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "kiosk.html", {}, headers=REVALIDATE)


@page_router.get("/kiosk/app.js")
def kiosk_script() -> FileResponse:
    return FileResponse(STATIC / "app.js", media_type="text/javascript; charset=utf-8", headers=REVALIDATE)


@page_router.get("/kiosk/sw.js")
def kiosk_service_worker() -> FileResponse:
    # The worker lives under /kiosk/ but must control the page /kiosk itself, one level up.
    headers = {**REVALIDATE, "Service-Worker-Allowed": "/kiosk"}
    return FileResponse(STATIC / "sw.js", media_type="text/javascript; charset=utf-8", headers=headers)
