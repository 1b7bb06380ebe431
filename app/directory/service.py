"""Agencies, counters and devices: creation, import and listing (officials' accounts: :mod:`app.officials.service`)."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.audit.service import record
from app.db import utcnow
from app.directory.models import Agency, AgencyLevel, Counter, Device
from app.errors import Invalid, NotFound

AGENCY_CSV_COLUMNS = ("code", "name_vi", "name_en", "level", "parent_code")


# --- agencies ---------------------------------------------------------------------------------------------


def get_agency_by_code(session: Session, code: str) -> Agency:
    """The agency with this code, or NotFound naming the code."""
    agency = session.scalar(select(Agency).where(Agency.code == code))
    if agency is None:
        raise NotFound(f"unknown agency {code!r}")
    return agency


def create_agency(
    session: Session,
    *,
    code: str,
    name_vi: str,
    level: AgencyLevel,
    parent: Agency | None = None,
    name_en: str | None = None,
) -> Agency:
    """Add an agency under ``parent`` (or as a root) and give it its materialised path."""
    agency = Agency(code=code, name_vi=name_vi, name_en=name_en, level=level, parent=parent, path="")
    session.add(agency)
    session.flush()
    agency.path = f"{parent.path if parent else '/'}{agency.id}/"
    return agency


def rebuild_paths(session: Session) -> None:
    """Recompute every agency's path from the parent links (after an import that may have moved agencies)."""
    agencies = session.scalars(select(Agency)).all()
    by_id = {agency.id: agency for agency in agencies}

    def path_of(agency: Agency, seen: frozenset[int] = frozenset()) -> str:
        if agency.id in seen:
            raise Invalid(f"agency {agency.code!r}: its parents form a cycle")
        if agency.parent_id is None:
            return f"/{agency.id}/"
        return f"{path_of(by_id[agency.parent_id], seen | {agency.id})}{agency.id}/"

    for agency in agencies:
        agency.path = path_of(agency)


def list_agencies(session: Session) -> list[tuple[Agency, int]]:
    """Every agency with its depth, parents before children, siblings by code."""
    agencies = session.scalars(select(Agency).order_by(Agency.code)).all()
    children: dict[int | None, list[Agency]] = {}
    for agency in agencies:
        children.setdefault(agency.parent_id, []).append(agency)
    ordered: list[tuple[Agency, int]] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for agency in children.get(parent_id, []):
            ordered.append((agency, depth))
            walk(agency.id, depth + 1)

    walk(None, 0)
    return ordered


@dataclass(frozen=True)
class AgencyRow:
    line: int
    code: str
    name_vi: str
    name_en: str | None
    level: AgencyLevel
    parent_code: str | None


@dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int


def parse_agency_csv(text: str, *, source: str) -> list[AgencyRow]:
    """Parse an agency CSV (header: code,name_vi,name_en,level,parent_code); errors name line and column."""
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [column for column in AGENCY_CSV_COLUMNS if column not in header]
    if missing:
        raise Invalid(
            f"{source}, line 1: missing column(s) {', '.join(missing)}; "
            f"expected the header {','.join(AGENCY_CSV_COLUMNS)}"
        )
    rows: list[AgencyRow] = []
    seen: dict[str, int] = {}
    levels = ", ".join(level.value for level in AgencyLevel)
    for record_ in reader:
        line = reader.line_num
        if None in record_:
            raise Invalid(f"{source}, line {line}: more fields than the header has columns")
        values = {key: (value or "").strip() for key, value in record_.items()}
        for column in ("code", "name_vi", "level"):
            if not values[column]:
                raise Invalid(f"{source}, line {line}, column {column}: a value is required")
        code = values["code"]
        if len(code) > 64 or any(ch.isspace() for ch in code):
            raise Invalid(f"{source}, line {line}, column code: {code!r} must be at most 64 characters, no spaces")
        if code in seen:
            raise Invalid(f"{source}, line {line}, column code: {code!r} already appears on line {seen[code]}")
        seen[code] = line
        try:
            level = AgencyLevel(values["level"])
        except ValueError:
            raise Invalid(f"{source}, line {line}, column level: {values['level']!r} is not one of {levels}") from None
        rows.append(
            AgencyRow(
                line=line,
                code=code,
                name_vi=values["name_vi"],
                name_en=values["name_en"] or None,
                level=level,
                parent_code=values["parent_code"] or None,
            )
        )
    if not rows:
        raise Invalid(f"{source}: no agency rows after the header")
    return rows


def import_agencies(session: Session, path: Path, *, actor: str = "cli") -> ImportSummary:
    """Create or update the agencies of a CSV file, all or nothing; parents may come after their children."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise NotFound(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise Invalid(f"{path}: cannot read as UTF-8 text ({exc})") from None
    rows = parse_agency_csv(text, source=str(path))
    existing = {agency.code: agency for agency in session.scalars(select(Agency)).all()}
    in_file = {row.code for row in rows}
    for row in rows:
        if row.parent_code is not None and row.parent_code not in in_file and row.parent_code not in existing:
            raise Invalid(f"{path}, line {row.line}, column parent_code: unknown agency {row.parent_code!r}")
        if row.parent_code == row.code:
            raise Invalid(f"{path}, line {row.line}, column parent_code: an agency cannot be its own parent")
    created = updated = 0
    for row in rows:
        agency = existing.get(row.code)
        if agency is None:
            agency = Agency(code=row.code, path="")
            session.add(agency)
            existing[row.code] = agency
            created += 1
        else:
            updated += 1
        agency.name_vi, agency.name_en, agency.level = row.name_vi, row.name_en, row.level
    session.flush()
    for row in rows:
        parent = existing[row.parent_code] if row.parent_code else None
        existing[row.code].parent_id = parent.id if parent else None
    session.flush()
    try:
        rebuild_paths(session)
    except Invalid as exc:
        raise Invalid(f"{path}: {exc.message}") from None
    record(
        session,
        action="agency.import",
        actor=actor,
        details={"file": path.name, "created": created, "updated": updated},
    )
    return ImportSummary(created=created, updated=updated)


# --- counters ---------------------------------------------------------------------------------------------


def get_counter(session: Session, agency: Agency, code: str) -> Counter:
    counter = session.scalar(select(Counter).where(Counter.agency_id == agency.id, Counter.code == code))
    if counter is None:
        raise NotFound(f"agency {agency.code!r} has no counter {code!r}")
    return counter


def create_counter(session: Session, *, agency: Agency, code: str, name_vi: str, name_en: str | None = None) -> Counter:
    counter = Counter(agency=agency, code=code, name_vi=name_vi, name_en=name_en)
    session.add(counter)
    return counter


# --- devices ----------------------------------------------------------------------------------------------

DEVICE_KEY_PREFIX_LENGTH = 12


def hash_device_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_device(
    session: Session,
    *,
    agency: Agency,
    counter: Counter | None = None,
    label: str | None = None,
    key: str | None = None,
    actor: str = "cli",
    official_id: int | None = None,
    client_ip: str | None = None,
) -> tuple[Device, str]:
    """Register a kiosk; returns the device and its key, which is shown once and stored only as a hash."""
    if counter is not None and counter.agency_id != agency.id:
        raise Invalid(f"counter {counter.code!r} does not belong to agency {agency.code!r}")
    # A fixed first letter: a key (and its prefix) never starts with "-", which a command line reads as an option.
    key = key or "k" + secrets.token_urlsafe(32)
    device = Device(
        agency_id=agency.id,
        counter_id=counter.id if counter else None,
        label=label,
        key_prefix=key[:DEVICE_KEY_PREFIX_LENGTH],
        key_hash=hash_device_key(key),
    )
    session.add(device)
    session.flush()
    record(
        session,
        action="device.create",
        actor=actor,
        official_id=official_id,
        client_ip=client_ip,
        object_type="device",
        object_id=device.id,
        details={"agency": agency.code, "counter": counter.code if counter else None, "label": label},
    )
    return device, key


def find_device(session: Session, key: str) -> Device | None:
    """The active device whose key this is (constant-time comparison of the hashes), or None."""
    device = session.scalar(select(Device).where(Device.key_prefix == key[:DEVICE_KEY_PREFIX_LENGTH]))
    if device is None or device.revoked_at is not None:
        return None
    return device if hmac.compare_digest(device.key_hash, hash_device_key(key)) else None


def revoke_device(
    session: Session,
    *,
    key_prefix: str,
    actor: str = "cli",
    official_id: int | None = None,
    client_ip: str | None = None,
) -> Device:
    device = session.scalar(select(Device).where(Device.key_prefix == key_prefix))
    if device is None:
        raise NotFound(f"no device whose key starts with {key_prefix!r}")
    if device.revoked_at is None:
        session.execute(update(Device).where(Device.id == device.id).values(revoked_at=utcnow()))
        record(
            session,
            action="device.revoke",
            actor=actor,
            official_id=official_id,
            client_ip=client_ip,
            object_type="device",
            object_id=device.id,
            details={"agency": device.agency.code, "label": device.label},
        )
    session.refresh(device)
    return device
