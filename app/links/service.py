"""Links citizens open: a counter's standing QR link and single-use dossier links."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.audit.service import record
from app.config import Settings, decode_key
from app.db import utcnow
from app.directory import service as directory
from app.directory.models import Agency, Counter
from app.errors import Invalid, NotFound
from app.forms.loader import RegisteredForm
from app.forms.service import DEFAULT_COUNTER_FORM, DEFAULT_DOSSIER_FORM, latest_form
from app.links import tokens
from app.responses.models import DossierLink
from app.responses.service import dossier_hash


class LinkNotFound(NotFound):
    """Tampered, unknown-key, expired or revoked link: shown to citizens as one friendly 404 page."""


ClosedReason = Literal["counter_closed", "link_revoked"]


class LinkClosed(LinkNotFound):
    """A genuine link (its signature checked) that no longer opens the form, for a reason we may tell the citizen:

    - ``counter_closed``: its counter, or the counter's agency, was deactivated: it no longer collects answers;
    - ``link_revoked``: a dossier link revoked (by its minting device, an administrator, or when its counter's links
      were revoked or the counter deactivated), or a QR code whose counter's links were revoked since it was printed.

    A subclass of :class:`LinkNotFound`, so every caller of :func:`resolve` (the form, its POST, the thank-you page,
    posters and QR images) refuses it, stores nothing, and the app's LinkNotFound handler shows a page for it.
    """

    def __init__(self, message: str, *, reason: ClosedReason) -> None:
        super().__init__(message)
        self.reason: ClosedReason = reason


class ShortCodeNotFound(LinkNotFound):
    """A typed code that is no counter's: mistyped, malformed, or replaced when the counter's links were revoked.
    The citizen gets the code page again, with the box to try another."""


@dataclass(frozen=True)
class OpenLink:
    """What a valid link opens: the latest version of its form, at an agency (and counter)."""

    token: str
    form: RegisteredForm
    agency: Agency
    counter: Counter | None
    dossier_link: DossierLink | None = None


def counter_token(settings: Settings, counter: Counter, form_id: str = DEFAULT_COUNTER_FORM) -> str:
    return tokens.sign(
        settings,
        tokens.CounterLink(
            form_id=form_id, agency_id=counter.agency_id, counter_id=counter.id, generation=counter.link_generation
        ),
    )


def link_url(settings: Settings, token: str) -> str:
    return f"{settings.base_url}/f/{token}"


def counter_url(settings: Settings, counter: Counter, form_id: str = DEFAULT_COUNTER_FORM) -> str:
    """The absolute address a counter's QR code and poster carry."""
    return link_url(settings, counter_token(settings, counter, form_id))


def short_address(settings: Settings) -> str:
    """Where a citizen types a counter's code (printed under the QR code)."""
    return f"{settings.base_url}/q"


def short_url(settings: Settings, code: str) -> str:
    """The address a counter's code opens, short enough to type: ``{base}/q/7KX2M9``."""
    return f"{short_address(settings)}/{code}"


def short_code_for(session: Session, counter: Counter, *, actor: str = "cli", official_id: int | None = None) -> str:
    """The counter's code for a poster or QR file; a counter without one (bulk-loaded rows) is given one now, and
    it is committed, with its audit record, before anything is printed with it."""
    code, given = directory.ensure_short_code(session, counter)
    if given:
        record(
            session,
            action="counter.short_code",
            actor=actor,
            official_id=official_id,
            object_type="counter",
            object_id=counter.id,
            details={"agency": counter.agency.code, "counter": counter.code, "short_code": [None, code]},
        )
        session.commit()
    return code


def resolve_short_code(
    session: Session,
    settings: Settings,
    forms: dict[tuple[str, int], RegisteredForm],
    typed: str,
    form_id: str = DEFAULT_COUNTER_FORM,
) -> OpenLink:
    """What a typed counter code opens: the counter's current standing link, checked like a scanned one. Raises
    ShortCodeNotFound for a code that is no counter's, and LinkClosed (as its QR code would) for a deactivated
    counter or agency."""
    counter = directory.find_counter_by_short_code(session, typed)
    if counter is None:
        raise ShortCodeNotFound("no counter has this code")
    return resolve(session, settings, forms, counter_token(settings, counter, form_id))


LOOPBACK_NAMES = ("localhost", "localhost.localdomain")


def is_loopback_host(host: str) -> bool:
    """Whether an address names this machine only: localhost, 127.0.0.0/8, ::1, or the unspecified 0.0.0.0/::."""
    host = host.strip().lower().rstrip(".")
    if host in LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback or address.is_unspecified


@dataclass(frozen=True)
class AddressWarning:
    """Codes printed now would not open on citizens' phones: the public address is unset, or on this machine."""

    base_url: str
    unset: bool
    loopback: bool

    @property
    def reason(self) -> str:
        return "SIPAS_PUBLIC_BASE_URL is not set" if self.unset else "SIPAS_PUBLIC_BASE_URL is a loopback address"

    @property
    def reach(self) -> str:
        """Who can open the codes."""
        return "which only this machine can open" if self.loopback else "this server's own address"

    @property
    def message(self) -> str:
        """One line of ASCII (it also goes into the X-SIPAS-Warning header)."""
        return (
            f"{self.reason}: the QR codes and short codes point to {self.base_url}, {self.reach}. Set "
            "SIPAS_PUBLIC_BASE_URL to the address citizens reach (e.g. https://gopy.example.gov.vn) before printing."
        )


def public_address_warning(settings: Settings) -> AddressWarning | None:
    """A warning when posters and QR codes made now would carry an address phones cannot reach, else None."""
    loopback = is_loopback_host(urlsplit(settings.base_url).hostname or "")
    if settings.public_base_url and not loopback:
        return None
    return AddressWarning(base_url=settings.base_url, unset=not settings.public_base_url, loopback=loopback)


def resolve(session: Session, settings: Settings, forms: dict[tuple[str, int], RegisteredForm], token: str) -> OpenLink:
    """What ``token`` opens. Raises LinkNotFound for a link that is not ours (tampered, unknown key, unknown id:
    one error for every kind, nothing to probe), and its subclass LinkClosed for a genuine link of a deactivated
    counter or agency, or a revoked link. Every page and POST behind a link starts here, so none of them opens the
    form or stores an answer for a closed link."""
    try:
        ref = tokens.verify(settings, token)
    except tokens.InvalidToken:
        raise LinkNotFound("link not valid") from None
    if isinstance(ref, tokens.CounterLink):
        counter = session.get(Counter, ref.counter_id)
        if counter is None or counter.agency_id != ref.agency_id:
            raise LinkNotFound("link not valid")
        if not counter.active or not counter.agency.active:
            raise LinkClosed("this counter no longer collects answers", reason="counter_closed")
        if counter.link_generation != ref.generation:
            raise LinkClosed("this counter's links were revoked since this code was printed", reason="link_revoked")
        form = latest_form(forms, ref.form_id)
        if form is None:
            raise LinkNotFound("form no longer served")
        return OpenLink(token=token, form=form, agency=counter.agency, counter=counter)
    link = session.get(DossierLink, ref.link_id)
    form = latest_form(forms, link.form_id) if link else None
    if link is None or form is None:
        raise LinkNotFound("link revoked")
    agency = session.get(Agency, link.agency_id)
    assert agency is not None
    counter = session.get(Counter, link.counter_id) if link.counter_id else None
    if not agency.active or (counter is not None and not counter.active):
        raise LinkClosed("this counter no longer collects answers", reason="counter_closed")
    if link.revoked_at is not None:
        raise LinkClosed("this dossier link was revoked", reason="link_revoked")
    return OpenLink(token=token, form=form, agency=agency, counter=counter, dossier_link=link)


def revoke_counter_links(
    session: Session,
    counter: Counter,
    *,
    actor: str = "cli",
    official_id: int | None = None,
    client_ip: str | None = None,
) -> None:
    """Invalidate every QR code printed for this counter so far (new codes get the next generation) and its typable
    code (it gets a new one), and revoke the counter's unused dossier links. The caller commits."""
    session.execute(update(Counter).where(Counter.id == counter.id).values(link_generation=Counter.link_generation + 1))
    old_code, new_code = directory.replace_short_code(session, counter)
    details = {
        "agency": counter.agency.code,
        "counter": counter.code,
        "generation": counter.link_generation,
        "short_code": [old_code, new_code],
    }
    record(
        session,
        action="counter.links_revoke",
        actor=actor,
        official_id=official_id,
        client_ip=client_ip,
        object_type="counter",
        object_id=counter.id,
        details=details,
    )
    revoke_counter_dossier_links(
        session, counter, why="counter.links_revoke", actor=actor, official_id=official_id, client_ip=client_ip
    )


def revoke_counter_dossier_links(
    session: Session,
    counter: Counter,
    *,
    why: str,
    actor: str = "cli",
    official_id: int | None = None,
    client_ip: str | None = None,
    now: datetime | None = None,
) -> int:
    """Set ``revoked_at`` on every unused, unexpired, unrevoked dossier link of this counter (they then open an
    explanation, never the form, even if the counter is reactivated); returns how many. The caller commits."""
    now = now or utcnow()
    result = session.execute(
        update(DossierLink)
        .where(
            DossierLink.counter_id == counter.id,
            DossierLink.used_at.is_(None),
            DossierLink.revoked_at.is_(None),
            DossierLink.expires_at > now,
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    count = int(getattr(result, "rowcount", 0) or 0)
    if count:
        record(
            session,
            action="dossier_links.revoke",
            actor=actor,
            official_id=official_id,
            client_ip=client_ip,
            object_type="counter",
            object_id=counter.id,
            details={"agency": counter.agency.code, "counter": counter.code, "count": count, "why": why},
        )
    return count


def revoke_dossier_link(
    session: Session,
    link: DossierLink,
    *,
    actor: str,
    official_id: int | None = None,
    client_ip: str | None = None,
    now: datetime | None = None,
) -> DossierLink:
    """Revoke one dossier link: it opens an explanation, never the form. Revoking twice changes nothing (the first
    time is kept); a link already used keeps its answer. Commits, with its audit event."""
    if link.revoked_at is None:
        link.revoked_at = now or utcnow()
        agency = session.get(Agency, link.agency_id)
        counter = session.get(Counter, link.counter_id) if link.counter_id else None
        details = {
            "agency": agency.code if agency else None,
            "counter": counter.code if counter else None,
            "used": link.used_at is not None,
        }
        record(
            session,
            action="dossier_link.revoke",
            actor=actor,
            official_id=official_id,
            client_ip=client_ip,
            object_type="dossier_link",
            object_id=link.id,
            details=details,
        )
        session.commit()
    return link


def mint_dossier_link(
    session: Session,
    settings: Settings,
    forms: dict[tuple[str, int], RegisteredForm],
    *,
    agency: Agency,
    dossier_code: str,
    counter: Counter | None = None,
    form_id: str = DEFAULT_DOSSIER_FORM,
    days: int | None = None,
    actor: str,
    now: datetime | None = None,
) -> tuple[DossierLink, str]:
    """Create a single-use link for one dossier and commit it; returns the link and its token."""
    code = dossier_code.strip()
    if not code or len(code) > 64:
        raise Invalid("dossier_code: 1 to 64 characters")
    if latest_form(forms, form_id) is None:
        raise Invalid(f"form_id: unknown form {form_id!r}")
    if counter is not None and counter.agency_id != agency.id:
        raise Invalid(f"counter {counter.code!r} does not belong to agency {agency.code!r}")
    if not agency.active:
        raise Invalid(f"agency {agency.code!r} is deactivated: it no longer collects answers")
    if counter is not None and not counter.active:
        raise Invalid(f"counter {counter.code!r} is deactivated: it no longer collects answers")
    lifetime = days if days is not None else settings.dossier_link_days
    if not 1 <= lifetime <= 366:
        raise Invalid("days: between 1 and 366")
    key = decode_key(settings.dossier_hash_key or "", name="SIPAS_DOSSIER_HASH_KEY")
    created = now or utcnow()
    link = DossierLink(
        form_id=form_id,
        agency_id=agency.id,
        counter_id=counter.id if counter else None,
        dossier_hash=dossier_hash(key, code),
        created_by=actor,
        created_at=created,
        expires_at=created + timedelta(days=lifetime),
    )
    session.add(link)
    session.commit()
    token = tokens.sign(settings, tokens.DossierLinkRef(link_id=link.id, expires_at=int(link.expires_at.timestamp())))
    return link, token


def counters_in_subtree(session: Session, agency: Agency) -> list[Counter]:
    """Active counters of an agency and of every agency below it, by agency code then counter code."""
    return list(
        session.scalars(
            select(Counter)
            .join(Agency, Agency.id == Counter.agency_id)
            .where(Agency.path.startswith(agency.path), Counter.active, Agency.active)
            .order_by(Agency.code, Counter.code)
        )
    )
