"""Agencies, counters and devices: creation, import and listing (officials' accounts: :mod:`app.officials.service`)."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.audit.service import record
from app.db import utcnow
from app.directory.models import Agency, AgencyLevel, Counter, Device
from app.errors import Conflict, Invalid, NotFound
from app.urls import is_control, quoted, web_address

AGENCY_CSV_COLUMNS = ("code", "name_vi", "name_en", "level", "parent_code")
# Optional columns, what the thank-you page offers (named like the Agency columns they fill): a file without one
# leaves it as it is, an empty cell clears it. The two opening hours are one value: a file with either sets both.
AGENCY_CSV_OFFER_COLUMNS = ("hotline", "complaint_url", "opening_hours_vi", "opening_hours_en")


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


# --- what an agency offers after an answer (the thank-you page) -------------------------------------------

HOTLINE_MAX_CHARS = 40
HOTLINE_DIGITS = (3, 20)
COMPLAINT_URL_MAX_CHARS = 500
OPENING_HOURS_MAX_CHARS = 255
_HOTLINE = re.compile(r"\+?[0-9 .()-]+")


def clean_hotline(value: str | None) -> str | None:
    """A phone number a person can dial, kept as written ("1900 1234"); None for an empty value. ValueError says
    what is wrong, without the field's name."""
    text = (value or "").strip()
    if not text:
        return None
    if len(text) > HOTLINE_MAX_CHARS:
        raise ValueError(f"must be at most {HOTLINE_MAX_CHARS} characters")
    digits = sum(char in "0123456789" for char in text)
    if not _HOTLINE.fullmatch(text) or not HOTLINE_DIGITS[0] <= digits <= HOTLINE_DIGITS[1]:
        raise ValueError(
            f"{quoted(text)} is not a phone number: {HOTLINE_DIGITS[0]} to {HOTLINE_DIGITS[1]} digits, separated "
            "only by spaces, dots, '-' or parentheses, with an optional leading '+' (e.g. 1900 1234 or 0243 825 6789)"
        )
    return text


def clean_complaint_url(value: str | None) -> str | None:
    """An absolute http(s) address without credentials, where a citizen can complain; None for an empty value.
    ValueError says what is wrong, without the field's name."""
    text = (value or "").strip()
    if not text:
        return None
    if len(text) > COMPLAINT_URL_MAX_CHARS:
        raise ValueError(f"must be at most {COMPLAINT_URL_MAX_CHARS} characters")
    return web_address(text)


def clean_opening_hours(value: str | None) -> str | None:
    """Opening hours as one line of plain text ("Thứ Hai – Thứ Sáu: 7:30–11:30, 13:30–17:00"); None for an empty
    value. ValueError says what is wrong, without the field's name."""
    text = (value or "").strip()
    if not text:
        return None
    if len(text) > OPENING_HOURS_MAX_CHARS:
        raise ValueError(f"must be at most {OPENING_HOURS_MAX_CHARS} characters")
    if any(is_control(char) for char in text):
        raise ValueError("must be one line of plain text, without line breaks, tabs or other control characters")
    return text


CLEAN_OFFER: dict[str, Callable[[str | None], str | None]] = {
    "hotline": clean_hotline,
    "complaint_url": clean_complaint_url,
    "opening_hours_vi": clean_opening_hours,
    "opening_hours_en": clean_opening_hours,
}


@dataclass(frozen=True)
class AgencyOffers:
    """What the thank-you page of an agency's links offers a citizen, each value the agency's own or else its
    nearest ancestor's (a province sets its hotline once for all its communes)."""

    hotline: str | None
    complaint_url: str | None
    # One value: both come from the same agency, so a commune's own hours never mix with its province's English.
    opening_hours_vi: str | None
    opening_hours_en: str | None

    @property
    def complaint_host(self) -> str | None:
        """The site the complaint link leads to, to name it next to the link."""
        return urlsplit(self.complaint_url).hostname if self.complaint_url else None


def _usable_url(value: str | None) -> str | None:
    """A stored complaint address that passes the checks, else None: one written to the database by hand never
    becomes a link to something other than a web page."""
    try:
        return clean_complaint_url(value)
    except ValueError:
        return None


def agency_offers(agency: Agency, *, default_complaint_url: str | None) -> AgencyOffers:
    """What the agency offers after an answer: for each value, the agency's own, else its nearest ancestor's; the
    complaint channel falls back to ``default_complaint_url`` (SIPAS_DEFAULT_COMPLAINT_URL; empty: none)."""
    chain: list[Agency] = []
    node: Agency | None = agency
    while node is not None and node not in chain:  # parent by parent: a few lookups, usually in the session already
        chain.append(node)
        node = node.parent
    hours = next((unit for unit in chain if unit.opening_hours_vi or unit.opening_hours_en), None)
    return AgencyOffers(
        hotline=next((unit.hotline for unit in chain if unit.hotline), None),
        complaint_url=next((url for unit in chain if (url := _usable_url(unit.complaint_url))), None)
        or default_complaint_url
        or None,
        opening_hours_vi=hours.opening_hours_vi if hours else None,
        opening_hours_en=hours.opening_hours_en if hours else None,
    )


# --- agency CSV import --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgencyRow:
    line: int
    code: str
    name_vi: str
    name_en: str | None
    level: AgencyLevel
    parent_code: str | None
    # The offer columns the file has (AGENCY_CSV_OFFER_COLUMNS), cleaned; None clears the value.
    offers: dict[str, str | None]


@dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int


def _row_offers(values: dict[str, str], columns: list[str], *, where: str) -> dict[str, str | None]:
    """The offer columns of one CSV row, cleaned; ``where`` is "FILE, line N" for the errors."""
    offers: dict[str, str | None] = {}
    for column in columns:
        try:
            offers[column] = CLEAN_OFFER[column](values[column])
        except ValueError as exc:
            raise Invalid(f"{where}, column {column}: {exc}") from None
    if "opening_hours_vi" in offers or "opening_hours_en" in offers:
        offers.setdefault("opening_hours_vi", None)
        offers.setdefault("opening_hours_en", None)
        if offers["opening_hours_en"] is not None and offers["opening_hours_vi"] is None:
            raise Invalid(
                f"{where}, column opening_hours_vi: a value is required when opening_hours_en has one "
                "(Vietnamese is what the page shows first)"
            )
    return offers


def parse_agency_csv(text: str, *, source: str) -> list[AgencyRow]:
    """Parse an agency CSV (header: code,name_vi,name_en,level,parent_code, and any of the optional
    AGENCY_CSV_OFFER_COLUMNS); errors name line and column."""
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [column for column in AGENCY_CSV_COLUMNS if column not in header]
    if missing:
        raise Invalid(
            f"{source}, line 1: missing column(s) {', '.join(missing)}; "
            f"expected the header {','.join(AGENCY_CSV_COLUMNS)}"
        )
    offer_columns = [column for column in AGENCY_CSV_OFFER_COLUMNS if column in header]
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
                offers=_row_offers(values, offer_columns, where=f"{source}, line {line}"),
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
        for column, value in row.offers.items():
            setattr(agency, column, value)
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
    """Add a counter to ``agency`` with a new short code of its own (the caller commits)."""
    counter = Counter(agency=agency, code=code, name_vi=name_vi, name_en=name_en, short_code=new_short_code(session))
    session.add(counter)
    return counter


# --- short codes ------------------------------------------------------------------------------------------

# Crockford's base32: digits and capitals without I, L, O and U, so what is printed cannot be misread (I and L
# read as 1, O as 0) and no code spells a word by accident (no U). 32⁶ ≈ 10⁹ codes: a guess at random finds one of
# 10,000 counters once in 100,000 tries, and the public route limits wrong guesses per network address.
SHORT_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
SHORT_CODE_LENGTH = 6
# Fresh draws before giving up; with a billion codes and a few thousand taken, a second draw is already rare.
SHORT_CODE_ATTEMPTS = 20
# What people type for the symbols the alphabet leaves out (Crockford's decoding rules).
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
# Longer input is not a code mistyped but something else pasted: refused before any work.
_TYPED_MAX_CHARS = 40


def new_short_code(session: Session) -> str:
    """A random code that no counter holds (drawn with :mod:`secrets`; a taken one is drawn again)."""
    for _ in range(SHORT_CODE_ATTEMPTS):
        code = "".join(secrets.choice(SHORT_CODE_ALPHABET) for _ in range(SHORT_CODE_LENGTH))
        if session.scalar(select(Counter.id).where(Counter.short_code == code)) is None:
            return code
    raise Conflict(f"no unused short code found in {SHORT_CODE_ATTEMPTS} draws; try again")


def normalise_short_code(typed: str) -> str | None:
    """The code a person typed, in its printed form: case does not matter, O reads as 0, I and L as 1, hyphens and
    spaces are ignored. None when it cannot be a code (a U, another symbol, or not six of them)."""
    if len(typed) > _TYPED_MAX_CHARS or not typed.isascii():  # no "ı" or "ſ" upper-cased into I or S
        return None
    code = "".join(typed.split()).replace("-", "").upper().translate(_READ_AS)
    if len(code) != SHORT_CODE_LENGTH or any(symbol not in SHORT_CODE_ALPHABET for symbol in code):
        return None
    return code


def find_counter_by_short_code(session: Session, typed: str) -> Counter | None:
    """The counter whose current code this is (as typed, see :func:`normalise_short_code`), or None. A deactivated
    counter is found too: its links answer that it no longer collects answers, like its QR code."""
    code = normalise_short_code(typed)
    if code is None:
        return None
    return session.scalar(select(Counter).where(Counter.short_code == code))


def ensure_short_code(session: Session, counter: Counter) -> tuple[str, bool]:
    """The counter's code, and whether it was given one now because it had none (rows bulk-loaded by COPY). Only a
    counter still without a code is updated, so two posters made at once print the same code. The caller commits."""
    given = False
    if counter.short_code is None:
        result = session.execute(
            update(Counter)
            .where(Counter.id == counter.id, Counter.short_code.is_(None))
            .values(short_code=new_short_code(session))
            .execution_options(synchronize_session=False)
        )
        given = bool(getattr(result, "rowcount", 0))
        session.refresh(counter)
    assert counter.short_code is not None
    return counter.short_code, given


def replace_short_code(session: Session, counter: Counter) -> tuple[str | None, str]:
    """Give the counter a new code, so the one printed so far stops opening its form; returns (old, new). The
    caller commits (with the revocation it belongs to)."""
    old = counter.short_code
    session.execute(update(Counter).where(Counter.id == counter.id).values(short_code=new_short_code(session)))
    session.refresh(counter)
    assert counter.short_code is not None
    return old, counter.short_code


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
