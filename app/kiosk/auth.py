"""Device authentication: `Authorization: Bearer <key>` identifies a kiosk, tablet or one-stop software
integration; its agency and counter come from the device record, never from the request body."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session, aliased, joinedload

from app.deps import SessionDep
from app.directory.models import Device
from app.directory.service import DEVICE_KEY_PREFIX_LENGTH, find_device, hash_device_key
from app.errors import TooManyRequests, Unauthorized

bearer = HTTPBearer(auto_error=False, description="The device key printed by `sipas kiosk create`")
MISSING = "missing device key: send 'Authorization: Bearer <key>'"
UNKNOWN = "unknown or revoked device key"


def current_device(
    session: SessionDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Device:
    if credentials is None:
        raise Unauthorized(MISSING)
    device = find_device(session, credentials.credentials)
    if device is None:
        raise Unauthorized(UNKNOWN)
    return device


DeviceDep = Annotated[Device, Depends(current_device)]


@dataclass(frozen=True)
class Kiosk:
    """An authenticated kiosk: its device, with agency and counter loaded, and when the first kiosk at its counter
    (its agency, without a counter) was registered — the floor of the dates it may send
    (:func:`app.kiosk.plausibility.earliest_allowed`)."""

    device: Device
    first_registered_at: datetime


def _kiosk_statement() -> Select[Device, datetime]:
    """The device whose key has this prefix, its agency and counter, and the first registration at its place."""
    other = aliased(Device)
    first = (
        select(func.min(other.created_at))
        .where(other.agency_id == Device.agency_id, other.counter_id.is_not_distinct_from(Device.counter_id))
        .scalar_subquery()
    )
    return (
        select(Device, first)
        .options(joinedload(Device.agency), joinedload(Device.counter))
        .where(Device.key_prefix == bindparam("key_prefix"))
    )


_KIOSK = _kiosk_statement()  # built once: building it (an alias, a subquery) cost more than running it


def find_kiosk(session: Session, key: str) -> Kiosk | None:
    """The active kiosk whose key this is (constant-time comparison of the hashes), or None: one statement for the
    device, its agency and counter, and the first registration at its place (each submission needs all four)."""
    found = session.execute(_KIOSK, {"key_prefix": key[:DEVICE_KEY_PREFIX_LENGTH]}).first()
    if found is None:
        return None
    device, first_registered_at = found
    if device.revoked_at is not None or not hmac.compare_digest(device.key_hash, hash_device_key(key)):
        return None
    return Kiosk(device, first_registered_at)


def current_kiosk(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Kiosk:
    """The authenticated kiosk, within its request rate (SIPAS_KIOSK_RATE_PER_MINUTE). One dependency, so one trip to
    a worker thread, and one statement."""
    if credentials is None:
        raise Unauthorized(MISSING)
    kiosk = find_kiosk(session, credentials.credentials)
    if kiosk is None:
        raise Unauthorized(UNKNOWN)
    wait = request.app.state.kiosk_limiter.retry_after(f"device:{kiosk.device.id}")
    if wait > 0:
        raise TooManyRequests("too many requests from this device; retry later", retry_after_seconds=wait)
    return kiosk


KioskDep = Annotated[Kiosk, Depends(current_kiosk)]
