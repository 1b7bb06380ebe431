"""``/api/v1/agencies``, ``/devices``, ``/officials``, ``/audit``: the directory read by officials and managed by
administrators, always within the caller's visible agencies (logic in :mod:`app.admin.service`, bodies in
:mod:`app.admin.schemas`)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from app.admin import service as admin
from app.admin.schemas import (
    AgencyIn,
    AgencyOut,
    AgencyPatch,
    AuditEventOut,
    AuditPage,
    CounterIn,
    CounterOut,
    CounterPatch,
    DeviceCreated,
    DeviceIn,
    DeviceOut,
    OfficialIn,
    OfficialOut,
    OfficialPatch,
    OpeningHours,
    OpeningHoursOut,
)
from app.config import Settings
from app.deps import SessionDep, SettingsDep
from app.directory.models import Counter, Device, Official
from app.error_responses import BAD_BODY, INVALID_ON_HTML
from app.errors import DB_INT_MAX, Conflict
from app.links import posters
from app.links import service as links
from app.officials.deps import AdminDep, Caller, CallerDep, client_ip

router = APIRouter(prefix="/api/v1", tags=["management"])

READ_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not logged in"},
    404: {"description": "Unknown, or outside the caller's agencies (the same answer)"},
}
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **READ_ERRORS,
    **BAD_BODY,
    403: {"description": "Not an administrator, or not allowed at this level"},
    409: {"description": "The code or username is taken"},
    422: {"description": "Invalid: the message names the field"},
}
ADMIN_READ_ERRORS: dict[int | str, dict[str, Any]] = {401: READ_ERRORS[401], 403: WRITE_ERRORS[403]}


def _actor(caller: Caller, request: Request) -> admin.Actor:
    return admin.Actor(caller.official.username, caller.official.id, client_ip(request))


# --- agencies ---------------------------------------------------------------------------------------------


def _agency_out(node: admin.AgencyNode) -> AgencyOut:
    agency = node.agency
    return AgencyOut(
        code=agency.code,
        name_vi=agency.name_vi,
        name_en=agency.name_en,
        level=agency.level,
        parent=node.parent_code,
        depth=node.depth,
        active=agency.active,
        hotline=agency.hotline,
        complaint_url=agency.complaint_url,
        opening_hours=(
            OpeningHoursOut(vi=agency.opening_hours_vi, en=agency.opening_hours_en)
            if agency.opening_hours_vi is not None or agency.opening_hours_en is not None
            else None
        ),
        created_at=agency.created_at,
    )


def _opening_hours(hours: OpeningHours | None) -> dict[str, str | None]:
    """The body's opening hours as the agency's two columns: one value, so both are set (null clears them)."""
    return {"opening_hours_vi": hours.vi if hours else None, "opening_hours_en": hours.en if hours else None}


@router.get(
    "/agencies", response_model=list[AgencyOut], summary="The visible agency tree", responses={401: READ_ERRORS[401]}
)
def list_agencies(caller: CallerDep, session: SessionDep) -> list[AgencyOut]:
    """The caller's agency and everything below it (everything for national officials), parents before
    children, siblings by code."""
    return [_agency_out(node) for node in admin.agency_tree(session, caller.scope)]


@router.get("/agencies/{code}", response_model=AgencyOut, responses=READ_ERRORS)
def get_agency(code: str, caller: CallerDep, session: SessionDep) -> AgencyOut:
    return _agency_out(admin.agency_by_code(session, caller.scope, code))


@router.post("/agencies", status_code=201, response_model=AgencyOut, responses=WRITE_ERRORS)
def create_agency(body: AgencyIn, caller: AdminDep, session: SessionDep, request: Request) -> AgencyOut:
    """Add an agency under a visible parent. A province administrator cannot add a root or anything outside
    its subtree (the parent answers 404 there)."""
    agency = admin.add_agency(
        session,
        caller.scope,
        _actor(caller, request),
        code=body.code,
        name_vi=body.name_vi,
        name_en=body.name_en,
        level=body.level,
        parent_code=body.parent,
        offers={"hotline": body.hotline, "complaint_url": body.complaint_url, **_opening_hours(body.opening_hours)},
    )
    return _agency_out(admin.agency_node(session, caller.scope, agency))


@router.patch("/agencies/{code}", response_model=AgencyOut, responses=WRITE_ERRORS)
def update_agency(code: str, body: AgencyPatch, caller: AdminDep, session: SessionDep, request: Request) -> AgencyOut:
    """Rename an agency, deactivate it (its QR codes stop opening) or reactivate it, or set what its thank-you page
    offers; a null or empty `hotline`, `complaint_url` or `opening_hours` clears it (the page then shows the nearest
    ancestor's), and `opening_hours` replaces both languages."""
    changes = body.model_dump(exclude_unset=True, exclude={"opening_hours"})
    if "opening_hours" in body.model_fields_set:
        changes.update(_opening_hours(body.opening_hours))
    agency = admin.update_agency(session, caller.scope, _actor(caller, request), code, changes)
    return _agency_out(admin.agency_node(session, caller.scope, agency))


# --- counters ---------------------------------------------------------------------------------------------


def _counter_out(settings: Settings, counter: Counter) -> CounterOut:
    agency_code = counter.agency.code
    return CounterOut(
        agency=agency_code,
        code=counter.code,
        name_vi=counter.name_vi,
        name_en=counter.name_en,
        active=counter.active,
        link_generation=counter.link_generation,
        link_url=links.counter_url(settings, counter),
        short_code=counter.short_code,
        short_url=links.short_url(settings, counter.short_code) if counter.short_code else None,
        poster_url=f"/api/v1/agencies/{agency_code}/counters/{counter.code}/poster",
        created_at=counter.created_at,
    )


@router.get("/agencies/{code}/counters", response_model=list[CounterOut], responses=READ_ERRORS)
def list_counters(code: str, caller: CallerDep, session: SessionDep, settings: SettingsDep) -> list[CounterOut]:
    """The agency's own counters (not those of agencies below it), by code, inactive ones included."""
    _agency, counters = admin.counters_of(session, caller.scope, code)
    return [_counter_out(settings, counter) for counter in counters]


@router.post("/agencies/{code}/counters", status_code=201, response_model=CounterOut, responses=WRITE_ERRORS)
def create_counter(
    code: str, body: CounterIn, caller: AdminDep, session: SessionDep, settings: SettingsDep, request: Request
) -> CounterOut:
    counter = admin.add_counter(
        session, caller.scope, _actor(caller, request), code, code=body.code, name_vi=body.name_vi, name_en=body.name_en
    )
    return _counter_out(settings, counter)


@router.patch("/agencies/{code}/counters/{counter}", response_model=CounterOut, responses=WRITE_ERRORS)
def update_counter(
    *,
    code: str,
    counter: str,
    body: CounterPatch,
    caller: AdminDep,
    session: SessionDep,
    settings: SettingsDep,
    request: Request,
) -> CounterOut:
    """Rename a counter, or deactivate it (its QR codes stop opening) or reactivate it."""
    changes = body.model_dump(exclude_unset=True)
    updated = admin.update_counter(session, caller.scope, _actor(caller, request), code, counter, changes)
    return _counter_out(settings, updated)


@router.post("/agencies/{code}/counters/{counter}/revoke-links", response_model=CounterOut, responses=WRITE_ERRORS)
def revoke_counter_links(
    code: str, counter: str, caller: AdminDep, session: SessionDep, settings: SettingsDep, request: Request
) -> CounterOut:
    """Every QR code, short code and poster printed for this counter so far stops opening at once; the answer
    carries the new link and the new short code to print."""
    revoked = admin.revoke_counter_links(session, caller.scope, _actor(caller, request), code, counter)
    return _counter_out(settings, revoked)


@router.get(
    "/agencies/{code}/counters/{counter}/poster",
    response_class=HTMLResponse,
    responses={
        **READ_ERRORS,
        **INVALID_ON_HTML,
        409: {"description": "The counter or its agency is inactive: its code would not open"},
    },
)
def counter_poster(
    code: str,
    counter: str,
    caller: CallerDep,
    session: SessionDep,
    settings: SettingsDep,
    size: Annotated[posters.PaperSize, Query(description="Paper size")] = "a4",
) -> HTMLResponse:
    """The counter's printable poster: one page, the agency path (from the top of the caller's agencies) and the
    counter in Vietnamese and English, its current QR code large and its short code under it. While
    ``SIPAS_PUBLIC_BASE_URL`` is unset or a loopback address, the page shows a warning above the sheet and the answer
    carries it in ``X-SIPAS-Warning``."""
    found = admin.counter_of(session, caller.scope, code, counter)
    if not (found.active and found.agency.active):
        raise Conflict(
            f"counter {found.code!r} of agency {found.agency.code!r} is inactive: its QR code would not "
            "open; reactivate it first"
        )
    url = links.counter_url(settings, found)
    html = posters.render_counter_poster(
        session, settings, found, url, size=size, actor=caller.official.username, within=caller.scope.root_path
    )
    return HTMLResponse(html, headers=posters.warning_headers(settings))


# --- devices ----------------------------------------------------------------------------------------------


def _device_fields(device: Device) -> dict[str, Any]:
    return {
        "id": device.public_id,
        "label": device.label,
        "agency": device.agency.code,
        "counter": device.counter.code if device.counter else None,
        "created_at": device.created_at,
        "revoked_at": device.revoked_at,
        "last_seen_at": device.last_seen_at,
        "app_version": device.app_version,
        "queue_length": device.queue_length,
        "held_back": device.held_back,
    }


@router.get("/devices", response_model=list[DeviceOut], responses=ADMIN_READ_ERRORS)
def list_devices(caller: AdminDep, session: SessionDep) -> list[DeviceOut]:
    """The kiosks of the visible agencies with their last heartbeat, revoked ones included."""
    return [DeviceOut(**_device_fields(device)) for device in admin.devices(session, caller.scope)]


@router.post("/devices", status_code=201, response_model=DeviceCreated, responses=WRITE_ERRORS)
def create_device(body: DeviceIn, caller: AdminDep, session: SessionDep, request: Request) -> DeviceCreated:
    """Register a kiosk; the answer carries its key, once (only a hash is stored)."""
    device, key = admin.add_device(
        session,
        caller.scope,
        _actor(caller, request),
        agency_code=body.agency,
        counter_code=body.counter,
        label=body.label,
    )
    return DeviceCreated(**_device_fields(device), key=key)


@router.post("/devices/{device_id}/revoke", response_model=DeviceOut, responses=WRITE_ERRORS)
def revoke_device(device_id: uuid.UUID, caller: AdminDep, session: SessionDep, request: Request) -> DeviceOut:
    """The device's key stops working at once; revoking again changes nothing."""
    device = admin.revoke_device(session, caller.scope, _actor(caller, request), device_id)
    return DeviceOut(**_device_fields(device))


# --- officials --------------------------------------------------------------------------------------------


def _official_out(official: Official) -> OfficialOut:
    return OfficialOut(
        username=official.username,
        display_name=official.display_name,
        role=official.role,
        agency=official.agency.code if official.agency else None,
        active=official.active,
        locked_until=official.locked_until,
        created_at=official.created_at,
    )


@router.get("/officials", response_model=list[OfficialOut], responses=ADMIN_READ_ERRORS)
def list_officials(caller: AdminDep, session: SessionDep) -> list[OfficialOut]:
    """Officials whose agency is visible, by username; national officials appear to national callers only."""
    return [_official_out(official) for official in admin.officials(session, caller.scope)]


@router.post("/officials", status_code=201, response_model=OfficialOut, responses=WRITE_ERRORS)
def create_official(body: OfficialIn, caller: AdminDep, session: SessionDep, request: Request) -> OfficialOut:
    """A province administrator may create province administrators and agency officials for agencies of its
    subtree; only a national official may create national officials."""
    official = admin.add_official(session, caller.scope, _actor(caller, request), body)
    return _official_out(official)


@router.patch("/officials/{username}", response_model=OfficialOut, responses=WRITE_ERRORS)
def update_official(
    username: str, body: OfficialPatch, caller: AdminDep, session: SessionDep, request: Request
) -> OfficialOut:
    """Deactivate or reactivate an official, change the display name, or reset the password (which also unlocks
    the account). Deactivation and a password reset close the official's open sessions."""
    changes = body.model_dump(exclude_unset=True)
    official, _closed = admin.update_official(session, caller.scope, _actor(caller, request), username, changes)
    return _official_out(official)


# --- audit log --------------------------------------------------------------------------------------------


@router.get("/audit", response_model=AuditPage, responses=ADMIN_READ_ERRORS)
def audit_log(
    caller: AdminDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500, description="Events per page")] = 100,
    before: Annotated[int | None, Query(ge=1, le=DB_INT_MAX, description="Only events older than this id")] = None,
    action: Annotated[
        str | None,
        Query(
            max_length=64,
            description="An action ('device.revoke') or a prefix ending in '*' ('device.*')",
            examples=["device.*"],
        ),
    ] = None,
) -> AuditPage:
    """The audit log, newest first. National officials see every event; a province administrator sees the events
    of officials of its agencies, and the events about its agencies, counters, kiosks and officials."""
    events = admin.audit_events(session, caller.scope, limit=limit, before=before, action=action)
    next_before = events[-1].id if len(events) == limit else None
    return AuditPage(
        events=[AuditEventOut.model_validate(event, from_attributes=True) for event in events], next_before=next_before
    )
