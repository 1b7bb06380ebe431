"""What clients set and get for targets and population counts, and what every write of them shares.

The records (:class:`TargetFields`/:class:`TargetEntry`, :class:`PopulationFields`/:class:`PopulationEntry`, a
:class:`Page` of entries); the lookups of an agency (within the caller's scope) and a procedure field by code that
collect a problem instead of raising; the one 422 of the JSON API (:func:`invalid`); the fields as the audit log
keeps them; the commit that turns a concurrent writer's unique violation into a 409; and the overlap of periods,
since periods of one series — one agency and indicator for targets, one agency and procedure field for population
counts — must not overlap, so that "the target on a date" and "the dossiers of a period" have one answer.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.directory.models import ProcedureField
from app.errors import Conflict, Invalid, NotFound
from app.officials.scope import Scope, visible_agency

T = TypeVar("T")
Problem = tuple[str, str]  # (field or column, message)


# --- records ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetFields:
    """What a client sets on a target (the agency by its code)."""

    agency: str
    indicator: str
    period_start: date
    period_end: date
    threshold_pct: float
    applies_to_subtree: bool = True


@dataclass(frozen=True)
class TargetEntry:
    id: int
    agency: str
    indicator: str
    period_start: date
    period_end: date
    threshold_pct: float
    applies_to_subtree: bool
    created_at: datetime


@dataclass(frozen=True)
class PopulationFields:
    """What a client sets on a population count (agency and procedure field by their codes; no field: all)."""

    agency: str
    period_start: date
    period_end: date
    dossiers_handled: int
    procedure_field: str | None = None


@dataclass(frozen=True)
class PopulationEntry:
    id: int
    agency: str
    procedure_field: str | None
    period_start: date
    period_end: date
    dossiers_handled: int
    created_at: datetime


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int


# --- lookups and answers shared by every write --------------------------------------------------------------------


def invalid(problems: list[Problem]) -> Invalid:
    """One 422 for the JSON API, fields as JSON pointers like the request validation errors."""
    details = [{"pointer": f"/{field}", "message": message} for field, message in problems]
    return Invalid(f"/{problems[0][0]}: {problems[0][1]}", details=details)


def find_agency_id(session: Session, scope: Scope, code: str, problems: list[Problem]) -> int | None:
    """The id of the visible agency with this code, or None with the problem added to ``problems``."""
    if "\x00" in code:  # no code has one, and PostgreSQL refuses it in a query
        problems.append(("agency", f"no agency with code {code!r}"))
        return None
    try:
        return visible_agency(session, scope, code).id
    except NotFound as exc:
        problems.append(("agency", exc.message))
        return None


def find_procedure_field_id(session: Session, code: str | None, problems: list[Problem]) -> int | None:
    """The id of the procedure field with this code (None: all fields), or None with the problem added."""
    if code is None:
        return None
    if "\x00" in code:  # no code has one, and PostgreSQL refuses it in a query
        problems.append(("procedure_field", f"no procedure field with code {code!r}"))
        return None
    field_id = session.scalar(select(ProcedureField.id).where(ProcedureField.code == code))
    if field_id is None:
        problems.append(("procedure_field", f"no procedure field with code {code!r}"))
    return field_id


def describe_series(agency: str, procedure_field: str | None) -> str:
    """How messages name the series of population counts of one agency and procedure field."""
    fields = f"procedure field {procedure_field!r}" if procedure_field else "all procedure fields"
    return f"agency {agency!r} ({fields})"


def audit_fields(fields: TargetFields | PopulationFields) -> dict[str, Any]:
    """The fields as the audit log keeps them (dates as text)."""
    return {
        **dataclasses.asdict(fields),
        "period_start": str(fields.period_start),
        "period_end": str(fields.period_end),
    }


def commit(session: Session) -> None:
    """Commit; a unique constraint that a concurrent writer hit first becomes a 409, not a 500."""
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict("another change to the same rows was saved at the same time; reload and try again") from None


# --- periods of one series must not overlap -------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    name: str  # "target 5", "line 3": how a message names where it comes from
    line: int | None = None  # the upload line, None for a stored row


def overlaps(periods: list[Period]) -> list[tuple[Period, Period]]:
    """Pairs (earlier, later) of overlapping periods, each later period reported once (against the earlier one
    reaching furthest); sorted by start, an overlap is a start on or before the furthest end so far."""
    pairs: list[tuple[Period, Period]] = []
    furthest: Period | None = None
    for period in sorted(periods, key=lambda p: (p.start, p.end)):
        if furthest is not None and period.start <= furthest.end:
            pairs.append((furthest, period))
        if furthest is None or period.end > furthest.end:
            furthest = period
    return pairs


def span(period: Period) -> str:
    return f"{period.start} to {period.end}"
