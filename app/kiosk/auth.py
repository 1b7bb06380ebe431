"""Device authentication: `Authorization: Bearer <key>` identifies a kiosk, tablet or one-stop software
integration; its agency and counter come from the device record, never from the request body."""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
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
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def current_device(session: SessionDep, credentials: Credentials) -> Device:
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


T = TypeVar("T")


def current_kiosk(request: Request, session: Session, credentials: HTTPAuthorizationCredentials | None) -> Kiosk:
    """The authenticated kiosk, within its request rate (SIPAS_KIOSK_RATE_PER_MINUTE). One statement; called by
    :func:`kiosk_session` in its worker thread."""
    if credentials is None:
        raise Unauthorized(MISSING)
    kiosk = find_kiosk(session, credentials.credentials)
    if kiosk is None:
        raise Unauthorized(UNKNOWN)
    wait = request.app.state.kiosk_limiter.retry_after(f"device:{kiosk.device.id}")
    if wait > 0:
        raise TooManyRequests("too many requests from this device; retry later", retry_after_seconds=wait)
    return kiosk


@dataclass
class KioskSession:
    """The authenticated kiosk and the session it was read with, open until :func:`as_kiosk` (or the dependency's
    exit) closes it."""

    session: Session
    kiosk: Kiosk
    closed: bool = False


async def kiosk_session(request: Request, credentials: Credentials) -> AsyncIterator[KioskSession]:
    """The kiosk routes' dependency: a session and :func:`current_kiosk` in one trip to a worker thread, before the
    body is looked at (a revoked kiosk's queue gets 401, never a 422 that would tell it to drop an answer). As two
    sync dependencies (the session and the kiosk) these were three trips and the route a fourth, each a wake-up of a
    thread and of the event loop; with :func:`as_kiosk` they are two."""

    def open_session() -> KioskSession:
        session: Session = request.app.state.session_factory()
        try:
            return KioskSession(session, current_kiosk(request, session, credentials))
        except BaseException:
            session.close()
            raise

    opened = await run_in_threadpool(open_session)
    try:
        yield opened
    finally:
        if not opened.closed:  # the route did not run (an invalid body) or failed before its work
            await run_in_threadpool(opened.session.close)


async def as_kiosk(opened: KioskSession, work: Callable[[Session, Kiosk], T]) -> T:
    """``work(session, kiosk)`` in one trip to a worker thread (``work`` commits), then the session is closed."""

    def run() -> T:
        try:
            return work(opened.session, opened.kiosk)
        finally:
            opened.session.close()
            opened.closed = True

    return await run_in_threadpool(run)


KioskSessionDep = Annotated[KioskSession, Depends(kiosk_session)]
