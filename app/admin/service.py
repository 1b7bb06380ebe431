"""Managing the directory over the API: agencies, counters, kiosks and officials, and the audit log, always within
the caller's visible agencies (:mod:`app.officials.scope`).

Every read and write starts from ``scope.agencies()`` / ``scope.agency_ids()`` or ``visible_agency``, so an object
outside the scope raises the same NotFound, with the same message, as one that does not exist. Each write
commits its own work with its audit event. Creation reuses :mod:`app.directory.service` and
:mod:`app.links.service`, which keep the rules (key generation, password hashing, link generations).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, String, and_, cast, or_, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from app.admin.schemas import OfficialIn
from app.audit.models import AuditEvent
from app.audit.service import record
from app.db import utcnow
from app.directory import service as directory
from app.directory.models import Agency, AgencyLevel, Counter, Device, Official, Role
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.links import service as links
from app.officials import passwords
from app.officials.models import OfficialSession
from app.officials.scope import Scope, visible_agency
from app.officials.service import create_official


@dataclass(frozen=True)
class Actor:
    """Who acts, as the audit log records it."""

    username: str
    official_id: int
    client_ip: str | None


def _audit(
    session: Session, actor: Actor, *, action: str, object_type: str, object_id: int, details: dict[str, Any]
) -> None:
    record(
        session,
        action=action,
        actor=actor.username,
        official_id=actor.official_id,
        object_type=object_type,
        object_id=object_id,
        details=details,
        client_ip=actor.client_ip,
    )


@contextmanager
def _unique(session: Session, message: str) -> Iterator[None]:
    """A unique violation (two admins creating the same thing at once) becomes a 409, never a 500."""
    try:
        yield
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(message) from None


def _apply(target: Any, changes: dict[str, Any], *, required: tuple[str, ...]) -> dict[str, list[Any]]:
    """Set the given fields; returns ``{field: [old, new]}`` for those that changed."""
    if not changes:
        raise Invalid(f"nothing to change: send at least one of {', '.join(EDITABLE[type(target)])}")
    for field in required:
        if field in changes and changes[field] is None:
            raise Invalid(f"/{field}: cannot be null")
    changed: dict[str, list[Any]] = {}
    for field, value in changes.items():
        old = getattr(target, field)
        if old != value:
            setattr(target, field, value)
            changed[field] = [old, value]
    return changed


EDITABLE: dict[type, tuple[str, ...]] = {
    Agency: ("name_vi", "name_en", "active", "hotline", "complaint_url", "opening_hours"),
    Counter: ("name_vi", "name_en", "active"),
    Official: ("active", "display_name", "password"),
}


# --- agencies ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgencyNode:
    """An agency as the caller sees it: ``parent_code`` is None for the root(s) of the visible tree, whose
    parents the caller cannot read, and ``depth`` counts from there (0)."""

    agency: Agency
    parent_code: str | None
    depth: int


def _depth(scope: Scope, agency: Agency) -> int:
    base = scope.root_path.count("/") - 2 if scope.root_path else 0
    return agency.path.count("/") - 2 - base


def agency_tree(session: Session, scope: Scope) -> list[AgencyNode]:
    """The visible agencies, parents before children, siblings by code."""
    agencies = session.scalars(select(Agency).where(scope.agencies()).order_by(Agency.code)).all()
    by_id = {agency.id: agency for agency in agencies}
    children: dict[int | None, list[Agency]] = {}
    for agency in agencies:
        children.setdefault(agency.parent_id if agency.parent_id in by_id else None, []).append(agency)
    ordered: list[AgencyNode] = []

    def walk(parent_id: int | None) -> None:
        for agency in children.get(parent_id, []):
            parent = by_id.get(agency.parent_id) if agency.parent_id is not None else None
            ordered.append(AgencyNode(agency, parent.code if parent else None, _depth(scope, agency)))
            walk(agency.id)

    walk(None)
    return ordered


def agency_node(session: Session, scope: Scope, agency: Agency) -> AgencyNode:
    parent = None
    if agency.parent_id is not None and agency.id != scope.root_id:
        parent = session.get(Agency, agency.parent_id)
    return AgencyNode(agency, parent.code if parent else None, _depth(scope, agency))


def agency_by_code(session: Session, scope: Scope, code: str) -> AgencyNode:
    return agency_node(session, scope, visible_agency(session, scope, code))


def add_agency(
    session: Session,
    scope: Scope,
    actor: Actor,
    *,
    code: str,
    name_vi: str,
    name_en: str | None,
    level: AgencyLevel,
    parent_code: str | None,
    offers: dict[str, str | None] | None = None,
) -> Agency:
    """A new agency under a visible parent; only a national administrator may add a root. ``offers`` sets what its
    thank-you page offers (``hotline``, ``complaint_url``, ``opening_hours_vi``, ``opening_hours_en``, checked)."""
    if parent_code is None and scope.root_path is not None:
        raise Forbidden("only a national administrator may create a root agency; name a parent within your scope")
    parent = visible_agency(session, scope, parent_code) if parent_code is not None else None
    message = f"an agency with code {code!r} already exists"
    if session.scalar(select(Agency.id).where(Agency.code == code)) is not None:
        raise Conflict(message)
    with _unique(session, message):
        agency = directory.create_agency(
            session, code=code, name_vi=name_vi, name_en=name_en, level=level, parent=parent
        )
    given = {field: value for field, value in (offers or {}).items() if value is not None}
    for field, value in given.items():
        setattr(agency, field, value)
    _audit(
        session,
        actor,
        action="agency.create",
        object_type="agency",
        object_id=agency.id,
        details={"agency": code, "parent": parent_code, "level": level.value, **given},
    )
    session.commit()
    return agency


def update_agency(session: Session, scope: Scope, actor: Actor, code: str, changes: dict[str, Any]) -> Agency:
    """Rename, deactivate or reactivate a visible agency (an inactive agency's QR codes stop opening), or set or
    clear (None) what its thank-you page offers: ``hotline``, ``complaint_url``, ``opening_hours_vi`` and
    ``opening_hours_en`` (checked)."""
    agency = visible_agency(session, scope, code)
    changed = _apply(agency, changes, required=("name_vi", "active"))
    if changed:
        _audit(
            session,
            actor,
            action="agency.update",
            object_type="agency",
            object_id=agency.id,
            details={"agency": code, "changes": changed},
        )
        session.flush()
    session.commit()
    return agency


# --- counters ---------------------------------------------------------------------------------------------


def counters_of(session: Session, scope: Scope, agency_code: str) -> tuple[Agency, list[Counter]]:
    """A visible agency's own counters (not those of the agencies below it), by code."""
    agency = visible_agency(session, scope, agency_code)
    counters = session.scalars(select(Counter).where(Counter.agency_id == agency.id).order_by(Counter.code)).all()
    return agency, list(counters)


def counter_of(session: Session, scope: Scope, agency_code: str, counter_code: str) -> Counter:
    return directory.get_counter(session, visible_agency(session, scope, agency_code), counter_code)


def add_counter(
    session: Session, scope: Scope, actor: Actor, agency_code: str, *, code: str, name_vi: str, name_en: str | None
) -> Counter:
    agency = visible_agency(session, scope, agency_code)
    message = f"agency {agency.code!r} already has a counter {code!r}"
    if session.scalar(select(Counter.id).where(Counter.agency_id == agency.id, Counter.code == code)) is not None:
        raise Conflict(message)
    with _unique(session, message):
        counter = directory.create_counter(session, agency=agency, code=code, name_vi=name_vi, name_en=name_en)
    _audit(
        session,
        actor,
        action="counter.create",
        object_type="counter",
        object_id=counter.id,
        details={"agency": agency.code, "counter": code},
    )
    session.commit()
    return counter


def update_counter(
    session: Session, scope: Scope, actor: Actor, agency_code: str, counter_code: str, changes: dict[str, Any]
) -> Counter:
    """Rename, deactivate or reactivate a counter. Deactivation stops every channel: its QR codes and dossier links
    open an explanation instead of the form (:func:`app.links.service.resolve`), its unused dossier links are revoked
    for good (they stay revoked if the counter is reactivated), new ones cannot be minted, and kiosks' answers given
    after this moment are refused (``app/kiosk/service.py``, which reads the moment from this audit event)."""
    counter = counter_of(session, scope, agency_code, counter_code)
    changed = _apply(counter, changes, required=("name_vi", "active"))
    if changed:
        _audit(
            session,
            actor,
            action="counter.update",
            object_type="counter",
            object_id=counter.id,
            details={"agency": counter.agency.code, "counter": counter.code, "changes": changed},
        )
        if changed.get("active") == [True, False]:
            links.revoke_counter_dossier_links(
                session,
                counter,
                why="counter.deactivate",
                actor=actor.username,
                official_id=actor.official_id,
                client_ip=actor.client_ip,
            )
        session.flush()
    session.commit()
    return counter


def revoke_counter_links(session: Session, scope: Scope, actor: Actor, agency_code: str, counter_code: str) -> Counter:
    """Bump the counter's link generation: every QR code printed so far stops opening; new ones carry the next."""
    counter = counter_of(session, scope, agency_code, counter_code)
    links.revoke_counter_links(
        session, counter, actor=actor.username, official_id=actor.official_id, client_ip=actor.client_ip
    )
    session.commit()
    return counter


# --- devices ----------------------------------------------------------------------------------------------


def devices(session: Session, scope: Scope) -> list[Device]:
    """The kiosks of the visible agencies, by agency code then creation."""
    rows = session.scalars(
        select(Device)
        .join(Agency, Agency.id == Device.agency_id)
        .where(scope.agencies())
        .options(selectinload(Device.agency), selectinload(Device.counter))
        .order_by(Agency.code, Device.created_at, Device.id)
    ).all()
    return list(rows)


def device_of(session: Session, scope: Scope, public_id: uuid.UUID) -> Device:
    device = session.scalar(
        select(Device).where(Device.public_id == public_id, Device.agency_id.in_(scope.agency_ids()))
    )
    if device is None:
        raise NotFound(f"no device {public_id}")
    return device


def add_device(
    session: Session, scope: Scope, actor: Actor, *, agency_code: str, counter_code: str | None, label: str | None
) -> tuple[Device, str]:
    """Register a kiosk at a visible agency (and one of its counters); returns the device and its key."""
    agency = visible_agency(session, scope, agency_code)
    counter = directory.get_counter(session, agency, counter_code) if counter_code is not None else None
    device, key = directory.create_device(
        session,
        agency=agency,
        counter=counter,
        label=label,
        actor=actor.username,
        official_id=actor.official_id,
        client_ip=actor.client_ip,
    )
    session.commit()
    return device, key


def revoke_device(session: Session, scope: Scope, actor: Actor, public_id: uuid.UUID) -> Device:
    """Stop a device's key at once; revoking a revoked device changes nothing."""
    device = device_of(session, scope, public_id)
    if device.revoked_at is not None:
        session.commit()
        return device
    device = directory.revoke_device(
        session,
        key_prefix=device.key_prefix,
        actor=actor.username,
        official_id=actor.official_id,
        client_ip=actor.client_ip,
    )
    session.commit()
    return device


# --- officials --------------------------------------------------------------------------------------------


def _officials_visible(scope: Scope) -> ColumnElement[bool]:
    """Officials whose agency is visible; national officials (no agency) only to national callers."""
    if scope.root_path is None:
        return true()
    return Official.agency_id.in_(scope.agency_ids())


def officials(session: Session, scope: Scope) -> list[Official]:
    query = select(Official).where(_officials_visible(scope)).options(selectinload(Official.agency))
    return list(session.scalars(query.order_by(Official.username)))


def official_of(session: Session, scope: Scope, username: str) -> Official:
    official = session.scalar(select(Official).where(Official.username == username, _officials_visible(scope)))
    if official is None:
        raise NotFound(f"no official named {username!r}")
    return official


def add_official(session: Session, scope: Scope, actor: Actor, new: OfficialIn) -> Official:
    """A new official: national ones only by a national caller, others for a visible agency."""
    role, agency_code = new.role, new.agency
    if role is Role.national:
        if scope.role is not Role.national:
            raise Forbidden("only a national official may create national officials")
        if agency_code is not None:
            raise Invalid("/agency: a national official has no agency; send null")
        agency = None
    else:
        if agency_code is None:
            raise Invalid(f"/agency: a {role.value} needs the code of the agency at the root of their scope")
        agency = visible_agency(session, scope, agency_code)
    with _unique(session, f"an official named {new.username!r} already exists"):
        official = create_official(
            session,
            username=new.username,
            password=new.password,
            role=role,
            agency=agency,
            display_name=new.display_name,
            actor=actor.username,
            official_id=actor.official_id,
            client_ip=actor.client_ip,
        )
    session.commit()
    return official


def update_official(
    session: Session, scope: Scope, actor: Actor, username: str, changes: dict[str, Any]
) -> tuple[Official, int]:
    """Change a visible official's name or status, or reset the password; returns the official and how many of
    their open sessions were closed (on deactivation or a password reset, so old tokens cannot come back)."""
    official = official_of(session, scope, username)
    changes = dict(changes)
    if "password" in changes and changes["password"] is None:
        raise Invalid("/password: cannot be null")
    password = changes.pop("password", None)
    if changes.get("active") is False and official.id == actor.official_id:
        raise Invalid("/active: you cannot deactivate yourself; ask another administrator")
    if password is not None:
        display_name = changes.get("display_name", official.display_name)
        passwords.check(password, field="/password", username=official.username, display_name=display_name)
    changed: dict[str, Any] = _apply(official, changes, required=("active",)) if changes or password is None else {}
    if password is not None:
        official.password_hash = passwords.hash_password(password)
        official.failed_logins, official.locked_until = 0, None
        changed["password"] = "reset"  # noqa: S105 (a marker in the audit details, not a password)
    if not changed:
        session.commit()
        return official, 0
    closed = 0
    if password is not None or changes.get("active") is False:
        result = session.execute(
            update(OfficialSession)
            .where(OfficialSession.official_id == official.id, OfficialSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        closed = result.rowcount  # type: ignore[attr-defined]
    agency_code = official.agency.code if official.agency else None
    _audit(
        session,
        actor,
        action="official.update",
        object_type="official",
        object_id=official.id,
        details={"username": username, "agency": agency_code, "changes": changed, "sessions_closed": closed},
    )
    session.flush()
    session.commit()
    return official, closed


# --- audit log --------------------------------------------------------------------------------------------


def _audit_visible(scope: Scope) -> ColumnElement[bool]:
    """The events an administrator may read. National: all. Otherwise an event is visible when

    - its official (the one who acted, or tried to log in) belongs to a visible agency, or
    - its object (agency, counter, device or official) is in the scope, or
    - its ``details.agency`` names a visible agency.

    Events with none of these (the command line's imports, failed logins of unknown names) are national only.
    """
    if scope.root_path is None:
        return true()
    visible_ids = scope.agency_ids()
    objects = {
        "agency": select(cast(Agency.id, String)).where(scope.agencies()),
        "counter": select(cast(Counter.id, String)).where(Counter.agency_id.in_(visible_ids)),
        "device": select(cast(Device.id, String)).where(Device.agency_id.in_(visible_ids)),
        "official": select(cast(Official.id, String)).where(Official.agency_id.in_(visible_ids)),
    }
    return or_(
        AuditEvent.official_id.in_(select(Official.id).where(Official.agency_id.in_(visible_ids))),
        *(and_(AuditEvent.object_type == kind, AuditEvent.object_id.in_(ids)) for kind, ids in objects.items()),
        AuditEvent.details["agency"].as_string().in_(select(Agency.code).where(scope.agencies())),
    )


def audit_events(
    session: Session, scope: Scope, *, limit: int, before: int | None = None, action: str | None = None
) -> list[AuditEvent]:
    """Visible events, newest first; ``before`` pages on by id, ``action`` is exact or a prefix ending in ``*``."""
    query = select(AuditEvent).where(_audit_visible(scope))
    if before is not None:
        query = query.where(AuditEvent.id < before)
    if action is not None:
        if action.endswith("*"):
            query = query.where(AuditEvent.action.startswith(action[:-1], autoescape=True))
        else:
            query = query.where(AuditEvent.action == action)
    return list(session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit)))
