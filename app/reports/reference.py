"""Targets and population counts: the thresholds reports compare against and the dossier counts they weight with.

Every function takes the caller's :class:`~app.officials.scope.Scope` and restricts every query to
``scope.agencies()``: an agency outside the scope answers exactly as one that does not exist. Writes check what the
database would refuse (so a violated constraint is a 409/422 naming the field, never a 500), are written to the
audit log and commit.

Periods of one series — one agency and indicator for targets, one agency and procedure field for population
counts — must not overlap, so that "the target on a date" and "the dossiers of a period" have one answer.

A population count is the N of the weights N/n, so one count can move a province's figure: every count written
(create, PUT, PATCH, CSV row) passes :func:`check_count` — a ceiling, no fewer dossiers than responses, and no
outlier against the agency's own history unless confirmed — and every change carries a reason. The audit event
keeps the reason and each count's old and new value (``details["counts"]``), which :func:`recent_count_changes`
reads back for the figures' meta.
"""

from __future__ import annotations

import csv
import dataclasses
import difflib
import hashlib
import io
import math
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from statistics import median
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.audit.service import record
from app.directory.models import Agency, ProcedureField
from app.errors import DB_INT_MAX, Conflict, Invalid, NotFound
from app.forms.indices import measures
from app.forms.schema import FormDefinition
from app.officials.scope import Scope, visible_agency
from app.reports.exports import DANGEROUS_START, neutral
from app.reports.models import PopulationCount, Target
from app.responses.models import Channel, Response

TARGET_COLUMNS = ("agency", "indicator", "period_start", "period_end", "threshold_pct", "applies_to_subtree")
POPULATION_COLUMNS = ("agency", "period_start", "period_end", "dossiers_handled", "procedure_field")
OVERALL_INDICATOR = "sipas"
MAX_LISTED_ERRORS = 100
# Plausibility of population counts (check_count): an absolute ceiling per agency and calendar month, far above any
# one-stop shop (a province's busiest centre handles tens of thousands a month); the factor by which a count may
# differ from the agency's usual dossiers per day (its other counts' median) without confirm_outlier; the length of
# the reason each change needs. A CSV cell of more than MAX_COUNT_DIGITS digits is refused before it is read.
MAX_DOSSIERS_PER_MONTH = 10_000_000
OUTLIER_FACTOR = 10
MAX_REASON_CHARS = 500
MAX_COUNT_DIGITS = 18
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})

T = TypeVar("T")


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


@dataclass(frozen=True)
class UploadSummary:
    rows: int
    created: int
    updated: int


# --- indicators --------------------------------------------------------------------------------------------------


def known_indicators(definitions: Iterable[FormDefinition]) -> frozenset[str]:
    """Every indicator the forms can report: ``sipas`` (the overall index), component codes (``service``),
    ``element:<code>`` and ``item:<code>`` (scale items with satisfied levels)."""
    known = {OVERALL_INDICATOR}
    for definition in definitions:
        measured = measures(definition)
        known.update(f"item:{code}" for code in measured.items)
        for spec in measured.indices:
            if spec.kind == "element":
                known.add(f"element:{spec.code}")
            elif spec.kind == "component":
                known.add(spec.code)
    return frozenset(known)


def _indicator_problem(indicator: str, known: Collection[str]) -> str | None:
    if indicator in known:
        return None
    close = difflib.get_close_matches(indicator, sorted(known), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return (
        f"{indicator!r} is not an indicator of the registered forms (use 'sipas', a component code such as "
        f"'service', 'element:<code>' or 'item:<code>'){hint}"
    )


# --- field checks shared by the JSON API and the CSV uploads ------------------------------------------------------

Problem = tuple[str, str]  # (field or column, message)


def _number(value: float) -> str:
    """A stored percentage as written in files: at most 2 decimals, no trailing zeros (86, 82.5, 86.25)."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _shown(value: float) -> str:
    """A number as the client sent it (86.125 stays 86.125, 120.0 is 120)."""
    text = repr(float(value))
    return text.removesuffix(".0")


def _threshold_problem(value: float, shown: str) -> str | None:
    if not math.isfinite(value) or not 0 <= value <= 100:
        return f"{shown!r} must be between 0 and 100"
    if round(value, 2) != value:
        return f"{shown!r} has more than 2 decimals"
    return None


def _order_problem(start: date, end: date) -> str | None:
    return None if end >= start else f"{end} is before period_start {start}"


def _target_problems(fields: TargetFields, indicators: Collection[str]) -> list[Problem]:
    problems: list[Problem] = []
    if (problem := _indicator_problem(fields.indicator, indicators)) is not None:
        problems.append(("indicator", problem))
    if (problem := _order_problem(fields.period_start, fields.period_end)) is not None:
        problems.append(("period_end", problem))
    if (problem := _threshold_problem(fields.threshold_pct, _shown(fields.threshold_pct))) is not None:
        problems.append(("threshold_pct", problem))
    return problems


def _invalid(problems: list[Problem]) -> Invalid:
    """One 422 for the JSON API, fields as JSON pointers like the request validation errors."""
    details = [{"pointer": f"/{field}", "message": message} for field, message in problems]
    return Invalid(f"/{problems[0][0]}: {problems[0][1]}", details=details)


def _agency_id(session: Session, scope: Scope, code: str, problems: list[Problem]) -> int | None:
    if "\x00" in code:  # no code has one, and PostgreSQL refuses it in a query
        problems.append(("agency", f"no agency with code {code!r}"))
        return None
    try:
        return visible_agency(session, scope, code).id
    except NotFound as exc:
        problems.append(("agency", exc.message))
        return None


def _procedure_field_id(session: Session, code: str | None, problems: list[Problem]) -> int | None:
    if code is None:
        return None
    if "\x00" in code:  # no code has one, and PostgreSQL refuses it in a query
        problems.append(("procedure_field", f"no procedure field with code {code!r}"))
        return None
    field_id = session.scalar(select(ProcedureField.id).where(ProcedureField.code == code))
    if field_id is None:
        problems.append(("procedure_field", f"no procedure field with code {code!r}"))
    return field_id


# --- periods of one series must not overlap -------------------------------------------------------------------


@dataclass(frozen=True)
class _Period:
    start: date
    end: date
    name: str  # "target 5", "line 3": how a message names where it comes from
    line: int | None = None  # the upload line, None for a stored row


def _overlaps(periods: list[_Period]) -> list[tuple[_Period, _Period]]:
    """Pairs (earlier, later) of overlapping periods, each later period reported once (against the earlier one
    reaching furthest); sorted by start, an overlap is a start on or before the furthest end so far."""
    pairs: list[tuple[_Period, _Period]] = []
    furthest: _Period | None = None
    for period in sorted(periods, key=lambda p: (p.start, p.end)):
        if furthest is not None and period.start <= furthest.end:
            pairs.append((furthest, period))
        if furthest is None or period.end > furthest.end:
            furthest = period
    return pairs


def _span(period: _Period) -> str:
    return f"{period.start} to {period.end}"


# --- targets -----------------------------------------------------------------------------------------------------


def _target_entry(target: Target, agency_code: str) -> TargetEntry:
    return TargetEntry(
        id=target.id,
        agency=agency_code,
        indicator=target.indicator,
        period_start=target.period_start,
        period_end=target.period_end,
        threshold_pct=float(target.threshold_pct),
        applies_to_subtree=target.applies_to_subtree,
        created_at=target.created_at,
    )


def _targets_query(
    session: Session, scope: Scope, *, agency: str | None, indicator: str | None, on: date | None
) -> Select[Target, str]:
    query = select(Target, Agency.code).join(Agency, Agency.id == Target.agency_id).where(scope.agencies())
    if agency is not None:
        query = query.where(Target.agency_id == visible_agency(session, scope, agency).id)
    if indicator is not None:
        query = query.where(Target.indicator == indicator)
    if on is not None:
        query = query.where(Target.period_start <= on, Target.period_end >= on)
    return query


def list_targets(
    session: Session,
    scope: Scope,
    *,
    agency: str | None = None,
    indicator: str | None = None,
    on: date | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> Page[TargetEntry]:
    """The visible agencies' targets (optionally of one agency, one indicator, or in force on a date), by agency
    code, indicator and start."""
    query = _targets_query(session, scope, agency=agency, indicator=indicator, on=on)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    ordered = query.order_by(Agency.code, Target.indicator, Target.period_start).offset(offset).limit(limit)
    return Page([_target_entry(target, code) for target, code in session.execute(ordered)], total)


def _visible_target(session: Session, scope: Scope, target_id: int) -> tuple[Target, str]:
    found = session.execute(
        select(Target, Agency.code)
        .join(Agency, Agency.id == Target.agency_id)
        .where(Target.id == target_id, scope.agencies())
    ).first()
    if found is None:
        raise NotFound(f"no target with id {target_id}")
    return found


def get_target(session: Session, scope: Scope, target_id: int) -> TargetEntry:
    """One visible target; a target of an agency outside the scope is NotFound like a missing one."""
    return _target_entry(*_visible_target(session, scope, target_id))


def _audit(fields: TargetFields | PopulationFields) -> dict[str, Any]:
    """The fields as the audit log keeps them (dates as text)."""
    return {
        **dataclasses.asdict(fields),
        "period_start": str(fields.period_start),
        "period_end": str(fields.period_end),
    }


def _check_target_series(session: Session, fields: TargetFields, agency_id: int, *, own_id: int | None) -> None:
    """Conflict when another target of the same agency and indicator has the same start or an overlapping period."""
    others = session.scalars(
        select(Target).where(Target.agency_id == agency_id, Target.indicator == fields.indicator)
    ).all()
    for other in others:
        if other.id == own_id:
            continue
        if other.period_start == fields.period_start:
            raise Conflict(
                f"agency {fields.agency!r} already has a target for {fields.indicator!r} starting "
                f"{fields.period_start} (id {other.id}); change that one instead",
                details={"id": other.id},
            )
        if other.period_start <= fields.period_end and fields.period_start <= other.period_end:
            raise Conflict(
                f"the period {fields.period_start} to {fields.period_end} overlaps target {other.id} "
                f"({other.period_start} to {other.period_end}) of agency {fields.agency!r} for {fields.indicator!r}; "
                "periods of one agency and indicator must not overlap",
                details={"id": other.id},
            )


def _commit(session: Session) -> None:
    """Commit; a unique constraint that a concurrent writer hit first becomes a 409, not a 500."""
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict("another change to the same rows was saved at the same time; reload and try again") from None


def create_target(
    session: Session,
    scope: Scope,
    fields: TargetFields,
    *,
    indicators: Collection[str],
    client_ip: str | None = None,
) -> TargetEntry:
    """Add a target for a visible agency (``indicators``: what :func:`known_indicators` allows)."""
    problems: list[Problem] = []
    agency_id = _agency_id(session, scope, fields.agency, problems)
    problems += _target_problems(fields, indicators)
    if problems or agency_id is None:
        raise _invalid(problems)
    _check_target_series(session, fields, agency_id, own_id=None)
    target = Target(
        agency_id=agency_id,
        indicator=fields.indicator,
        period_start=fields.period_start,
        period_end=fields.period_end,
        threshold_pct=fields.threshold_pct,
        applies_to_subtree=fields.applies_to_subtree,
    )
    session.add(target)
    session.flush()
    record(
        session,
        action="target.create",
        actor=scope.username,
        official_id=scope.official_id,
        object_type="target",
        object_id=target.id,
        details=_audit(fields),
        client_ip=client_ip,
    )
    _commit(session)
    return _target_entry(target, fields.agency)


def update_target(
    session: Session,
    scope: Scope,
    target_id: int,
    changes: Mapping[str, Any],
    *,
    indicators: Collection[str],
    client_ip: str | None = None,
) -> TargetEntry:
    """Change some or all fields of a visible target (``changes``: names of :class:`TargetFields`); the agency
    may move to another visible agency."""
    target, agency_code = _visible_target(session, scope, target_id)
    before = TargetFields(
        agency=agency_code,
        indicator=target.indicator,
        period_start=target.period_start,
        period_end=target.period_end,
        threshold_pct=float(target.threshold_pct),
        applies_to_subtree=target.applies_to_subtree,
    )
    after = dataclasses.replace(before, **changes)
    problems: list[Problem] = []
    agency_id = target.agency_id if after.agency == agency_code else _agency_id(session, scope, after.agency, problems)
    problems += _target_problems(after, indicators)
    if problems or agency_id is None:
        raise _invalid(problems)
    _check_target_series(session, after, agency_id, own_id=target.id)
    target.agency_id, target.indicator, target.applies_to_subtree = agency_id, after.indicator, after.applies_to_subtree
    target.period_start, target.period_end, target.threshold_pct = (
        after.period_start,
        after.period_end,
        after.threshold_pct,
    )
    old, new = _audit(before), _audit(after)
    changed = {name: {"from": old[name], "to": new[name]} for name in old if old[name] != new[name]}
    record(
        session,
        action="target.update",
        actor=scope.username,
        official_id=scope.official_id,
        object_type="target",
        object_id=target.id,
        details={"changed": changed},
        client_ip=client_ip,
    )
    _commit(session)
    return _target_entry(target, after.agency)


def delete_target(session: Session, scope: Scope, target_id: int, *, client_ip: str | None = None) -> None:
    """Remove a visible target (its values are kept in the audit log)."""
    target, agency_code = _visible_target(session, scope, target_id)
    entry = _target_entry(target, agency_code)
    session.delete(target)
    details = {
        "agency": agency_code,
        "indicator": entry.indicator,
        "period_start": str(entry.period_start),
        "period_end": str(entry.period_end),
        "threshold_pct": entry.threshold_pct,
        "applies_to_subtree": entry.applies_to_subtree,
    }
    record(
        session,
        action="target.delete",
        actor=scope.username,
        official_id=scope.official_id,
        object_type="target",
        object_id=target_id,
        details=details,
        client_ip=client_ip,
    )
    _commit(session)


def _chain(agency_path: str) -> list[int]:
    """The ids of an agency's chain, root first: "/1/7/42/" → [1, 7, 42]."""
    return [int(part) for part in agency_path.strip("/").split("/") if part]


def _applying(candidates: Iterable[Target], chain: list[int], indicator: str, on: date) -> Target | None:
    """The candidate of the nearest agency in ``chain`` (the agency itself last) that applies on ``on``."""
    depth = {agency_id: position for position, agency_id in enumerate(chain)}
    own = chain[-1]
    best: Target | None = None
    for target in candidates:
        if target.indicator != indicator or target.agency_id not in depth:
            continue
        if not target.period_start <= on <= target.period_end:
            continue
        if target.agency_id != own and not target.applies_to_subtree:
            continue
        key = (depth[target.agency_id], target.period_start)
        if best is None or key > (depth[best.agency_id], best.period_start):
            best = target
    return best


def target_for(session: Session, agency: Agency, indicator: str, on: date) -> Target | None:
    """The target that applies to ``agency`` for ``indicator`` on the day ``on``, or None.

    The agency's own target comes first; otherwise the nearest ancestor's (parent, then grandparent, … along
    ``Agency.path``) whose ``applies_to_subtree`` is true. Only targets whose period contains ``on`` (both ends
    included) count; should two periods of one agency overlap (the API refuses that, older rows may), the later
    start wins. One query. Not restricted to a scope: a target set on a province applies to its communes even
    for an official who sees only the commune — the caller decides which agencies it reports on.
    """
    chain = _chain(agency.path) or [agency.id]
    candidates = session.scalars(
        select(Target).where(
            Target.agency_id.in_(chain),
            Target.indicator == indicator,
            Target.period_start <= on,
            Target.period_end >= on,
        )
    ).all()
    return _applying(candidates, chain, indicator, on)


def targets_for(
    session: Session, agency_ids: Collection[int], indicators: Collection[str], on: date
) -> dict[tuple[int, str], Target]:
    """:func:`target_for` for many agencies and indicators in two queries (the agencies' paths, then every
    target of their chains in force on ``on``): ``{(agency_id, indicator): target}``, with no key where no
    target applies (use ``.get``). Unknown agency ids are left out. Same rules and caveats as :func:`target_for`."""
    if not agency_ids or not indicators:
        return {}
    paths = session.execute(select(Agency.id, Agency.path).where(Agency.id.in_(set(agency_ids)))).all()
    chains = {agency_id: _chain(path) or [agency_id] for agency_id, path in paths}
    everyone = {ancestor for chain in chains.values() for ancestor in chain}
    candidates = session.scalars(
        select(Target).where(
            Target.agency_id.in_(everyone),
            Target.indicator.in_(set(indicators)),
            Target.period_start <= on,
            Target.period_end >= on,
        )
    ).all()
    by_agency: dict[int, list[Target]] = {}
    for target in candidates:
        by_agency.setdefault(target.agency_id, []).append(target)
    found: dict[tuple[int, str], Target] = {}
    for agency_id, chain in chains.items():
        mine = [target for ancestor in chain for target in by_agency.get(ancestor, [])]
        for indicator in indicators:
            applying = _applying(mine, chain, indicator, on)
            if applying is not None:
                found[(agency_id, indicator)] = applying
    return found


# --- population counts: plausibility ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Counted:
    """One count of a series as the plausibility checks see it: its period and its dossiers."""

    period_start: date
    period_end: date
    dossiers_handled: int


@dataclass(frozen=True)
class SeriesContext:
    """Where a count goes (agency and procedure field ids) and the series' other counts, its history."""

    agency_id: int
    field_id: int | None
    history: Sequence[Counted]


@dataclass(frozen=True)
class CountCheck:
    """What :func:`check_count` found: the problems that refuse the count (field, message), and the outlier
    message that ``confirm_outlier`` let through (kept in the audit log)."""

    problems: list[Problem]
    confirmed_outlier: str | None = None


def _days(start: date, end: date) -> int:
    return (end - start).days + 1


def _months(start: date, end: date) -> int:
    """The calendar months a period touches (a part of a month counts as a whole one)."""
    return (end.year - start.year) * 12 + end.month - start.month + 1


def count_ceiling(start: date, end: date) -> int:
    """The most dossiers a count of this period may have: :data:`MAX_DOSSIERS_PER_MONTH` for each calendar month
    the period touches, and never more than the integer column holds."""
    return min(DB_INT_MAX, MAX_DOSSIERS_PER_MONTH * _months(start, end))


def _ceiling_problem(shown: str, start: date, end: date) -> str:
    months = _months(start, end)
    return (
        f"'{shown}' is above the ceiling of {count_ceiling(start, end)} dossiers for a period of {months} month(s) "
        f"({MAX_DOSSIERS_PER_MONTH} a month and agency)"
    )


def reason_problem(reason: str) -> str | None:
    """The reason every change of a population count needs: not blank, at most :data:`MAX_REASON_CHARS`."""
    text = reason.strip()
    if not text:
        return "a reason is required: where the count comes from, or why it changes"
    if "\x00" in text:
        return "must not contain NUL characters"
    if len(text) > MAX_REASON_CHARS:
        return f"at most {MAX_REASON_CHARS} characters ({len(text)} given)"
    return None


def _responses_received(session: Session, agency_id: int, field_id: int | None, start: date, end: date) -> int:
    """The responses the weights count in a period: live channels, not test, not flagged as suspected spam."""
    query = (
        select(func.count())
        .select_from(Response)
        .where(
            Response.agency_id == agency_id,
            Response.local_date >= start,
            Response.local_date <= end,
            Response.channel != Channel.import_,
            Response.is_test.is_(False),
            Response.is_suspected_spam.is_(False),
        )
    )
    if field_id is not None:
        query = query.where(Response.procedure_field_id == field_id)
    return session.scalar(query) or 0


def _about(value: float) -> str:
    return f"{value:.0f}" if value >= 10 else f"{value:.2g}"


def _outlier(fields: PopulationFields, history: Sequence[Counted]) -> str | None:
    """Why a count is far from its series' history (more than :data:`OUTLIER_FACTOR` times the usual count for a
    period this long, or less than its tenth), or None; no history, no check."""
    if not history:
        return None
    per_day = median(count.dossiers_handled / _days(count.period_start, count.period_end) for count in history)
    days = _days(fields.period_start, fields.period_end)
    usual = per_day * days
    shown = fields.dossiers_handled
    of = (
        f"the usual count of {_series_name(fields.agency, fields.procedure_field)} for {days} day(s) (about "
        f"{_about(usual)}: the median per day of its {len(history)} other count(s))"
    )
    if shown > OUTLIER_FACTOR * max(usual, 1.0):
        return f"'{shown}' is more than {OUTLIER_FACTOR} times {of}"
    if shown * OUTLIER_FACTOR < usual:
        return f"'{shown}' is less than 1/{OUTLIER_FACTOR} of {of}"
    return None


def check_count(
    session: Session, fields: PopulationFields, series: SeriesContext | None, *, confirm_outlier: bool = False
) -> CountCheck:
    """The one plausibility check of a population count, for the JSON API (create, PUT, PATCH) and the CSV upload.

    Always (``series`` None: only these, no query): the period ends on or after its start; ``dossiers_handled``
    is ≥ 0 and at most :func:`count_ceiling`. With the ``series`` (where the count goes and its other counts):

    - refused when below the responses the agency received in the period (of that procedure field, if any;
      counted as the weights count them): each response stands for at least one dossier, a weight N/n below 1
      would be no count at all;
    - refused unless ``confirm_outlier`` when more than :data:`OUTLIER_FACTOR` times, or less than a tenth of,
      the usual count for a period this long: the median dossiers per day of the series' other counts × its days.
      A series without other counts has no history to compare with (the ceiling still holds).

    Problems are ``(field, message)``, the message showing the value as ``'n'``."""
    problems: list[Problem] = []
    start, end, dossiers = fields.period_start, fields.period_end, fields.dossiers_handled
    if (problem := _order_problem(start, end)) is not None:
        problems.append(("period_end", problem))
    if dossiers < 0:
        problems.append(("dossiers_handled", f"'{dossiers}' must be a whole number ≥ 0"))
    elif problem is None and dossiers > count_ceiling(start, end):
        problems.append(("dossiers_handled", _ceiling_problem(str(dossiers), start, end)))
    if problems or series is None:
        return CountCheck(problems)
    received = _responses_received(session, series.agency_id, series.field_id, start, end)
    if dossiers < received:
        series_name = _series_name(fields.agency, fields.procedure_field)
        message = (
            f"'{dossiers}' is fewer than the {received} responses {series_name} received from {start} to {end}: "
            "each response stands for at least one dossier handled"
        )
        return CountCheck([("dossiers_handled", message)])
    outlier = _outlier(fields, series.history)
    if outlier is None:
        return CountCheck([])
    if confirm_outlier:
        return CountCheck([], confirmed_outlier=outlier)
    return CountCheck([("dossiers_handled", f"{outlier}; if it is right, confirm it with confirm_outlier true")])


# --- population counts -------------------------------------------------------------------------------------------


def _population_entry(count: PopulationCount, agency_code: str, field_code: str | None) -> PopulationEntry:
    return PopulationEntry(
        id=count.id,
        agency=agency_code,
        procedure_field=field_code,
        period_start=count.period_start,
        period_end=count.period_end,
        dossiers_handled=count.dossiers_handled,
        created_at=count.created_at,
    )


def _population_select() -> Select[PopulationCount, str, str | None]:
    return (
        select(PopulationCount, Agency.code, ProcedureField.code)
        .join(Agency, Agency.id == PopulationCount.agency_id)
        .outerjoin(ProcedureField, ProcedureField.id == PopulationCount.procedure_field_id)
    )


def list_population_counts(
    session: Session,
    scope: Scope,
    *,
    agency: str | None = None,
    procedure_field: str | None = None,
    on: date | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> Page[PopulationEntry]:
    """The visible agencies' population counts (optionally of one agency, one procedure field, or whose period
    contains a date), by agency code, start and procedure field (totals first)."""
    query = _population_select().where(scope.agencies())
    if agency is not None:
        query = query.where(PopulationCount.agency_id == visible_agency(session, scope, agency).id)
    if procedure_field is not None:
        field_id = session.scalar(select(ProcedureField.id).where(ProcedureField.code == procedure_field))
        if field_id is None:
            raise NotFound(f"no procedure field with code {procedure_field!r}")
        query = query.where(PopulationCount.procedure_field_id == field_id)
    if on is not None:
        query = query.where(PopulationCount.period_start <= on, PopulationCount.period_end >= on)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    ordered = (
        query.order_by(Agency.code, PopulationCount.period_start, ProcedureField.code.is_not(None), ProcedureField.code)
        .offset(offset)
        .limit(limit)
    )
    rows = session.execute(ordered)
    return Page([_population_entry(count, code, field) for count, code, field in rows], total)


def _visible_count(session: Session, scope: Scope, count_id: int) -> tuple[PopulationCount, str, str | None]:
    found = session.execute(_population_select().where(PopulationCount.id == count_id, scope.agencies()))
    row = found.first()
    if row is None:
        raise NotFound(f"no population count with id {count_id}")
    return row


def get_population_count(session: Session, scope: Scope, count_id: int) -> PopulationEntry:
    """One visible population count; one of an agency outside the scope is NotFound like a missing one."""
    return _population_entry(*_visible_count(session, scope, count_id))


def _series_name(agency: str, procedure_field: str | None) -> str:
    fields = f"procedure field {procedure_field!r}" if procedure_field else "all procedure fields"
    return f"agency {agency!r} ({fields})"


def _check_population_series(
    session: Session, fields: PopulationFields, agency_id: int, field_id: int | None, *, own_id: int | None
) -> list[Counted]:
    """Conflict when another count of the same agency and procedure field has the same start or overlaps;
    otherwise the series' other counts (its history for :func:`check_count`)."""
    same_field = (
        PopulationCount.procedure_field_id.is_(None)
        if field_id is None
        else PopulationCount.procedure_field_id == field_id
    )
    others = session.scalars(select(PopulationCount).where(PopulationCount.agency_id == agency_id, same_field)).all()
    series = _series_name(fields.agency, fields.procedure_field)
    history: list[Counted] = []
    for other in others:
        if other.id == own_id:
            continue
        if other.period_start == fields.period_start:
            raise Conflict(
                f"{series} already has a population count starting {fields.period_start} (id {other.id}); "
                "change that one instead",
                details={"id": other.id},
            )
        if other.period_start <= fields.period_end and fields.period_start <= other.period_end:
            raise Conflict(
                f"the period {fields.period_start} to {fields.period_end} overlaps population count {other.id} "
                f"({other.period_start} to {other.period_end}) of {series}; periods of one agency and procedure "
                "field must not overlap",
                details={"id": other.id},
            )
        history.append(Counted(other.period_start, other.period_end, other.dossiers_handled))
    return history


def _count_record(
    fields: PopulationFields, agency_id: int, old: int | None, new: int | None, outlier: str | None = None
) -> dict[str, Any]:
    """One count change as the audit log keeps it (``details["counts"]``): one period of one series, ``from`` →
    ``to`` dossiers (None: no count)."""
    entry: dict[str, Any] = {
        "agency": fields.agency,
        "agency_id": agency_id,
        "procedure_field": fields.procedure_field,
        "period_start": str(fields.period_start),
        "period_end": str(fields.period_end),
        "from": old,
        "to": new,
    }
    if outlier is not None:
        entry["confirmed_outlier"] = outlier
    return entry


def _count_records(
    before: tuple[PopulationFields, int] | None, after: tuple[PopulationFields, int] | None, outlier: str | None
) -> list[dict[str, Any]]:
    """The count changes from ``before`` to ``after`` (fields, agency id; None: no count): one record when the
    same period of the same series changes its dossiers, else one for the period left and one for the period set."""
    if before is not None and after is not None:
        (old, old_agency), (new, new_agency) = before, after
        same_place = (old_agency, old.procedure_field, old.period_start, old.period_end) == (
            new_agency,
            new.procedure_field,
            new.period_start,
            new.period_end,
        )
        if same_place:
            if old.dossiers_handled == new.dossiers_handled:
                return []
            return [_count_record(new, new_agency, old.dossiers_handled, new.dossiers_handled, outlier)]
    records: list[dict[str, Any]] = []
    if before is not None:
        records.append(_count_record(before[0], before[1], before[0].dossiers_handled, None))
    if after is not None:
        records.append(_count_record(after[0], after[1], None, after[0].dossiers_handled, outlier))
    return records


def _reason_or_invalid(reason: str) -> str:
    if (problem := reason_problem(reason)) is not None:
        raise _invalid([("reason", problem)])
    return reason.strip()


def create_population_count(
    session: Session,
    scope: Scope,
    fields: PopulationFields,
    *,
    reason: str,
    confirm_outlier: bool = False,
    client_ip: str | None = None,
) -> PopulationEntry:
    """Add the dossiers handled by a visible agency in a period (for one procedure field, or all of them), if
    :func:`check_count` finds it plausible; ``reason`` (required) goes to the audit log."""
    problems: list[Problem] = []
    agency_id = _agency_id(session, scope, fields.agency, problems)
    field_id = _procedure_field_id(session, fields.procedure_field, problems)
    problems += check_count(session, fields, None).problems
    if (problem := reason_problem(reason)) is not None:
        problems.append(("reason", problem))
    if problems or agency_id is None:
        raise _invalid(problems)
    history = _check_population_series(session, fields, agency_id, field_id, own_id=None)
    check = check_count(session, fields, SeriesContext(agency_id, field_id, history), confirm_outlier=confirm_outlier)
    if check.problems:
        raise _invalid(check.problems)
    count = PopulationCount(
        agency_id=agency_id,
        procedure_field_id=field_id,
        period_start=fields.period_start,
        period_end=fields.period_end,
        dossiers_handled=fields.dossiers_handled,
    )
    session.add(count)
    session.flush()
    details = {
        **_audit(fields),
        "reason": reason.strip(),
        "counts": _count_records(None, (fields, agency_id), check.confirmed_outlier),
    }
    record(
        session,
        action="population.create",
        actor=scope.username,
        official_id=scope.official_id,
        object_type="population_count",
        object_id=count.id,
        details=details,
        client_ip=client_ip,
    )
    _commit(session)
    return _population_entry(count, fields.agency, fields.procedure_field)


def update_population_count(
    session: Session,
    scope: Scope,
    count_id: int,
    changes: Mapping[str, Any],
    *,
    reason: str,
    confirm_outlier: bool = False,
    client_ip: str | None = None,
) -> PopulationEntry:
    """Change some or all fields of a visible population count (``changes``: names of :class:`PopulationFields`),
    if :func:`check_count` finds the result plausible (a change to nothing is not checked); ``reason``
    (required) goes to the audit log with the old and new values."""
    count, agency_code, field_code = _visible_count(session, scope, count_id)
    before = PopulationFields(
        agency=agency_code,
        period_start=count.period_start,
        period_end=count.period_end,
        dossiers_handled=count.dossiers_handled,
        procedure_field=field_code,
    )
    after = dataclasses.replace(before, **changes)
    problems: list[Problem] = []
    agency_id = count.agency_id if after.agency == agency_code else _agency_id(session, scope, after.agency, problems)
    field_id = (
        count.procedure_field_id
        if after.procedure_field == field_code
        else _procedure_field_id(session, after.procedure_field, problems)
    )
    problems += check_count(session, after, None).problems
    if (problem := reason_problem(reason)) is not None:
        problems.append(("reason", problem))
    if problems or agency_id is None:
        raise _invalid(problems)
    history = _check_population_series(session, after, agency_id, field_id, own_id=count.id)
    confirmed: str | None = None
    if after != before:
        context = SeriesContext(agency_id, field_id, history)
        check = check_count(session, after, context, confirm_outlier=confirm_outlier)
        if check.problems:
            raise _invalid(check.problems)
        confirmed = check.confirmed_outlier
    old_agency_id = count.agency_id
    count.agency_id, count.procedure_field_id, count.dossiers_handled = agency_id, field_id, after.dossiers_handled
    count.period_start, count.period_end = after.period_start, after.period_end
    old, new = _audit(before), _audit(after)
    changed = {name: {"from": old[name], "to": new[name]} for name in old if old[name] != new[name]}
    details = {
        "changed": changed,
        "reason": reason.strip(),
        "counts": _count_records((before, old_agency_id), (after, agency_id), confirmed),
    }
    record(
        session,
        action="population.update",
        actor=scope.username,
        official_id=scope.official_id,
        object_type="population_count",
        object_id=count.id,
        details=details,
        client_ip=client_ip,
    )
    _commit(session)
    return _population_entry(count, after.agency, after.procedure_field)


def delete_population_count(
    session: Session, scope: Scope, count_id: int, *, reason: str, client_ip: str | None = None
) -> None:
    """Remove a visible population count; its values and the ``reason`` (required) are kept in the audit log."""
    count, agency_code, field_code = _visible_count(session, scope, count_id)
    reason = _reason_or_invalid(reason)
    fields = PopulationFields(
        agency=agency_code,
        period_start=count.period_start,
        period_end=count.period_end,
        dossiers_handled=count.dossiers_handled,
        procedure_field=field_code,
    )
    details = {**_audit(fields), "reason": reason, "counts": _count_records((fields, count.agency_id), None, None)}
    session.delete(count)
    record(
        session,
        action="population.delete",
        actor=scope.username,
        official_id=scope.official_id,
        object_type="population_count",
        object_id=count_id,
        details=details,
        client_ip=client_ip,
    )
    _commit(session)


# --- population counts: recent changes, from the audit log -----------------------------------------------------


@dataclass(frozen=True)
class CountChange:
    """One change of one population count (see :func:`recent_count_changes`)."""

    agency: str  # agency code, as it was at the change
    procedure_field: str | None  # None: the count of all fields
    period_start: date
    period_end: date
    old: int | None  # dossiers before; None: there was no count for this period (created)
    new: int | None  # dossiers after; None: the count was deleted (or moved to another period or agency)
    by: str  # the official's username
    at: datetime  # when (UTC)
    reason: str
    action: str  # "create", "update", "delete" or "upload"
    confirmed_outlier: str | None = None  # the plausibility warning the official overrode, if any


COUNT_ACTIONS = ("population.create", "population.update", "population.delete", "population.upload")


def recent_count_changes(session: Session, *, agency_ids: Collection[int], since: datetime) -> list[CountChange]:
    """The population count changes of these agencies since ``since`` (timezone-aware), read from the audit log;
    nothing is written and no scope applies (the caller passes the agencies of its figure).

    One :class:`CountChange` per period whose count changed, newest first (within one upload, in file order)::

        CountChange(agency="MA-STP", procedure_field=None, period_start=date(2026, 1, 1),
                    period_end=date(2026, 1, 31), old=512, new=5120, by="hn-admin",
                    at=datetime(2026, 2, 3, 8, 30, tzinfo=UTC), reason="Báo cáo tháng 1 (số 12/BC)",
                    action="update", confirmed_outlier="'5120' is more than 10 times …")

    ``old``/``new`` None: no count before (created) or after (deleted). An update that moves a count to another
    agency, procedure field or period is two changes: the period left (``new`` None) and the one set (``old``
    None). Creates, updates, deletes and uploads are all listed; an upload names each row that changed a count
    (unchanged rows are not listed). Events written before counts were itemised in the log are not listed."""
    wanted = set(agency_ids)
    if not wanted:
        return []
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action.in_(COUNT_ACTIONS), AuditEvent.at >= since)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )
    changes: list[CountChange] = []
    for event in events:
        details = event.details or {}
        for item in details.get("counts", ()):
            if item.get("agency_id") not in wanted:
                continue
            changes.append(
                CountChange(
                    agency=item["agency"],
                    procedure_field=item["procedure_field"],
                    period_start=date.fromisoformat(item["period_start"]),
                    period_end=date.fromisoformat(item["period_end"]),
                    old=item["from"],
                    new=item["to"],
                    by=event.actor,
                    at=event.at,
                    reason=details.get("reason", ""),
                    action=event.action.removeprefix("population."),
                    confirmed_outlier=item.get("confirmed_outlier"),
                )
            )
    return changes


# --- CSV: upload (all rows or none, upsert) and export (same columns) ---------------------------------------------


@dataclass(frozen=True)
class UploadError:
    line: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}, column {self.column}" if self.column else f"line {self.line}"
        return f"{where}: {self.message}"


def _refuse(errors: list[UploadError]) -> Invalid:
    """The 422 of a refused upload: every error (the first 100) with its line and column; nothing was stored."""
    errors = sorted(errors, key=lambda error: (error.line, error.column or ""))
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    details = [{"line": e.line, "column": e.column, "message": e.message} for e in errors[:MAX_LISTED_ERRORS]]
    return Invalid(f"nothing was stored: {errors[0]}{more}", details={"errors": details, "count": len(errors)})


def _read_rows(data: bytes, columns: tuple[str, ...], optional: frozenset[str]) -> list[tuple[int, dict[str, str]]]:
    """The data rows of a UTF-8 CSV file (a BOM is allowed, blank lines are skipped, the header is line 1) with
    their line numbers; cells stripped, optional columns that are absent read as empty."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _refuse([UploadError(line, None, "not UTF-8 text (save the file as CSV UTF-8)")]) from None
    expected = f"expected the header {','.join(columns)}"
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip() for name in next(reader, [])]
        if not any(header):
            raise _refuse([UploadError(1, None, f"the file is empty; {expected}")])
        missing = [name for name in columns if name not in header and name not in optional]
        unknown = [name for name in header if name not in columns]
        repeated = sorted({name for name in header if header.count(name) > 1})
        if missing or unknown or repeated:
            problems = [f"missing column(s) {', '.join(missing)}"] if missing else []
            problems += [f"unknown column(s) {', '.join(unknown)}"] if unknown else []
            problems += [f"repeated column(s) {', '.join(repeated)}"] if repeated else []
            raise _refuse([UploadError(1, None, f"{'; '.join(problems)}; {expected}")])
        rows: list[tuple[int, dict[str, str]]] = []
        errors: list[UploadError] = []
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(header):
                errors.append(
                    UploadError(reader.line_num, None, f"{len(cells)} fields where the header has {len(header)}")
                )
                continue
            values = dict.fromkeys(optional, "") | {
                name: _unneutral(cell.strip()) for name, cell in zip(header, cells, strict=True)
            }
            rows.append((reader.line_num, values))
    except csv.Error as exc:
        raise _refuse([UploadError(reader.line_num, None, f"not a readable CSV line ({exc})")]) from None
    if errors:
        raise _refuse(errors)
    return rows


class _RowReader:
    """Typed cells of one upload line; each problem is kept with the line and column."""

    def __init__(self, line: int, values: dict[str, str], errors: list[UploadError]) -> None:
        self.line, self.values, self.errors = line, values, errors
        self.ok = True

    def fail(self, column: str, message: str) -> None:
        self.errors.append(UploadError(self.line, column, message))
        self.ok = False

    def text(self, column: str) -> str:
        value = self.values[column]
        if not value:
            self.fail(column, "a value is required")
        return value

    def date(self, column: str) -> date:
        value = self.text(column)
        if value:
            try:
                if _DATE.match(value):
                    return date.fromisoformat(value)
            except ValueError:
                pass
            self.fail(column, f"{value!r} is not a date (YYYY-MM-DD)")
        return date.min

    def number(self, column: str) -> float:
        value = self.text(column)
        if value:
            try:
                return float(value)
            except ValueError:
                self.fail(column, f"{value!r} is not a number")
        return math.nan

    def flag(self, column: str, default: bool) -> bool:
        value = self.values[column].lower()
        if not value:
            return default
        if value in _TRUE | _FALSE:
            return value in _TRUE
        self.fail(column, f"{self.values[column]!r} must be true or false")
        return default


def _visible_agency_ids(session: Session, scope: Scope, codes: set[str]) -> dict[str, int]:
    query = select(Agency.code, Agency.id).where(Agency.code.in_(codes), scope.agencies())
    return dict(session.execute(query).all())


def _upload_audit(
    session: Session,
    scope: Scope,
    action: str,
    object_type: str,
    data: bytes,
    filename: str | None,
    summary: UploadSummary,
    client_ip: str | None,
    extra: Mapping[str, Any] | None = None,
) -> None:
    details = {"file": filename, "sha256": hashlib.sha256(data).hexdigest(), **dataclasses.asdict(summary)}
    details.update(extra or {})
    record(
        session,
        action=action,
        actor=scope.username,
        official_id=scope.official_id,
        object_type=object_type,
        details=details,
        client_ip=client_ip,
    )


def _series_errors(series: dict[Any, list[_Period]], what: str, describe: Mapping[Any, str]) -> list[UploadError]:
    errors: list[UploadError] = []
    for key, periods in series.items():
        for earlier, later in _overlaps(periods):
            if later.line is None and earlier.line is None:
                continue  # two stored rows: not this file's doing
            at, other = (later, earlier) if later.line is not None else (earlier, later)
            assert at.line is not None
            errors.append(
                UploadError(
                    at.line,
                    "period_start",
                    f"the period {_span(at)} overlaps {other.name} ({_span(other)}) of "
                    f"{describe[key]}; {what} must not overlap",
                )
            )
    return errors


def upload_targets(
    session: Session,
    scope: Scope,
    data: bytes,
    *,
    indicators: Collection[str],
    filename: str | None = None,
    client_ip: str | None = None,
) -> UploadSummary:
    """Create or update targets from a CSV file (header :data:`TARGET_COLUMNS`; ``applies_to_subtree`` may be
    empty or absent: true). A row whose agency, indicator and period_start match a stored target updates it.
    All rows or none: every problem is reported with its line and column."""
    errors: list[UploadError] = []
    parsed: list[tuple[int, TargetFields]] = []
    for line, values in _read_rows(data, TARGET_COLUMNS, frozenset({"applies_to_subtree"})):
        row = _RowReader(line, values, errors)
        agency, indicator = row.text("agency"), row.text("indicator")
        start, end = row.date("period_start"), row.date("period_end")
        threshold, subtree = row.number("threshold_pct"), row.flag("applies_to_subtree", True)
        if indicator and (problem := _indicator_problem(indicator, indicators)):
            row.fail("indicator", problem)
        if start != date.min and end != date.min and (problem := _order_problem(start, end)):
            row.fail("period_end", problem)
        if not math.isnan(threshold) and (problem := _threshold_problem(threshold, values["threshold_pct"])):
            row.fail("threshold_pct", problem)
        if row.ok:
            parsed.append((line, TargetFields(agency, indicator, start, end, threshold, subtree)))
    agency_ids = _visible_agency_ids(session, scope, {fields.agency for _, fields in parsed})
    seen: dict[tuple[int, str, date], int] = {}
    keyed: list[tuple[int, TargetFields, tuple[int, str, date]]] = []
    for line, fields in parsed:
        if fields.agency not in agency_ids:
            errors.append(UploadError(line, "agency", f"no agency with code {fields.agency!r}"))
            continue
        key = (agency_ids[fields.agency], fields.indicator, fields.period_start)
        if key in seen:
            errors.append(
                UploadError(
                    line,
                    "period_start",
                    f"agency {fields.agency!r}, indicator "
                    f"{fields.indicator!r}, period_start {fields.period_start} already appears "
                    f"on line {seen[key]}",
                )
            )
            continue
        seen[key] = line
        keyed.append((line, fields, key))
    if errors:
        raise _refuse(errors)
    stored = {
        (target.agency_id, target.indicator, target.period_start): target
        for target in session.scalars(select(Target).where(Target.agency_id.in_(set(agency_ids.values()))))
    }
    series: dict[tuple[int, str], list[_Period]] = {}
    describe: dict[tuple[int, str], str] = {}
    for key, target in stored.items():
        if key not in seen:
            series.setdefault(key[:2], []).append(
                _Period(target.period_start, target.period_end, f"target {target.id}")
            )
    for line, fields, key in keyed:
        series.setdefault(key[:2], []).append(_Period(fields.period_start, fields.period_end, f"line {line}", line))
        describe[key[:2]] = f"agency {fields.agency!r} for {fields.indicator!r}"
    errors = _series_errors(series, "periods of one agency and indicator", describe)
    if errors:
        raise _refuse(errors)
    created = 0
    for _line, fields, key in keyed:
        existing = stored.get(key)
        if existing is None:
            session.add(
                Target(
                    agency_id=key[0],
                    indicator=fields.indicator,
                    period_start=fields.period_start,
                    period_end=fields.period_end,
                    threshold_pct=fields.threshold_pct,
                    applies_to_subtree=fields.applies_to_subtree,
                )
            )
            created += 1
        else:
            existing.period_end, existing.threshold_pct = fields.period_end, fields.threshold_pct
            existing.applies_to_subtree = fields.applies_to_subtree
    summary = UploadSummary(rows=len(keyed), created=created, updated=len(keyed) - created)
    _upload_audit(session, scope, "target.upload", "target", data, filename, summary, client_ip)
    _commit(session)
    return summary


_Key = tuple[int, int | None, date]  # a stored count's key: agency id, procedure field id, period start


def _checked_rows(
    session: Session,
    keyed: list[tuple[int, PopulationFields, _Key]],
    stored: Mapping[_Key, PopulationCount],
    *,
    confirm_outlier: bool,
) -> list[dict[str, Any]]:
    """:func:`check_count` for each upload row that changes a count, against its series as stored before the
    file (or, where nothing of the series is stored, the file's other rows of it); the audit records of the
    changes, or the upload's 422 listing every refused row. A row equal to the stored one is no change."""
    stored_series: dict[tuple[int, int | None], list[tuple[_Key, Counted]]] = {}
    for key, count in stored.items():
        counted = Counted(count.period_start, count.period_end, count.dossiers_handled)
        stored_series.setdefault(key[:2], []).append((key, counted))
    file_series: dict[tuple[int, int | None], list[tuple[int, Counted]]] = {}
    for line, fields, key in keyed:
        counted = Counted(fields.period_start, fields.period_end, fields.dossiers_handled)
        file_series.setdefault(key[:2], []).append((line, counted))
    errors: list[UploadError] = []
    records: list[dict[str, Any]] = []
    for line, fields, key in keyed:
        existing = stored.get(key)
        before = None
        if existing is not None:
            old = dataclasses.replace(
                fields, period_end=existing.period_end, dossiers_handled=existing.dossiers_handled
            )
            if old == fields:
                continue
            before = (old, key[0])
        history = [counted for other, counted in stored_series.get(key[:2], []) if other != key] or [
            counted for other_line, counted in file_series[key[:2]] if other_line != line
        ]
        check = check_count(session, fields, SeriesContext(key[0], key[1], history), confirm_outlier=confirm_outlier)
        errors += [UploadError(line, column, message) for column, message in check.problems]
        records += _count_records(before, (fields, key[0]), check.confirmed_outlier)
    if errors:
        raise _refuse(errors)
    return records


def upload_population_counts(
    session: Session,
    scope: Scope,
    data: bytes,
    *,
    reason: str,
    confirm_outlier: bool = False,
    filename: str | None = None,
    client_ip: str | None = None,
) -> UploadSummary:
    """Create or update population counts from a CSV file (header :data:`POPULATION_COLUMNS`; an empty or absent
    ``procedure_field`` means all fields). A row whose agency, period_start and procedure field match a stored
    count updates it. All rows or none: every problem is reported with its line and column.

    Each row that changes a count passes :func:`check_count`; its history is the series' other counts as stored
    before the upload (for a series with none stored, the file's other rows of that series). ``confirm_outlier``
    confirms every outlier of the file; ``reason`` (required) goes to the audit log with each change."""
    reason = _reason_or_invalid(reason)
    errors: list[UploadError] = []
    parsed: list[tuple[int, PopulationFields]] = []
    for line, values in _read_rows(data, POPULATION_COLUMNS, frozenset({"procedure_field"})):
        row = _RowReader(line, values, errors)
        agency = row.text("agency")
        start, end = row.date("period_start"), row.date("period_end")
        dossiers = row.text("dossiers_handled")
        if dossiers and not (dossiers.isascii() and dossiers.isdigit()):
            row.fail("dossiers_handled", f"{dossiers!r} must be a whole number ≥ 0")
        elif len(dossiers.lstrip("0")) > MAX_COUNT_DIGITS:
            message = (
                f"'{dossiers[:MAX_COUNT_DIGITS]}…' has more than {MAX_COUNT_DIGITS} digits: above the ceiling of "
                f"{MAX_DOSSIERS_PER_MONTH} dossiers a month and agency"
            )
            row.fail("dossiers_handled", message)
        if row.ok:
            fields = PopulationFields(agency, start, end, int(dossiers), values["procedure_field"] or None)
            for column, problem in check_count(session, fields, None).problems:
                row.fail(column, problem)
            if row.ok:
                parsed.append((line, fields))
    agency_ids = _visible_agency_ids(session, scope, {fields.agency for _, fields in parsed})
    wanted_fields = {fields.procedure_field for _, fields in parsed if fields.procedure_field}
    field_ids = dict(
        session.execute(
            select(ProcedureField.code, ProcedureField.id).where(ProcedureField.code.in_(wanted_fields))
        ).all()
    )
    seen: dict[_Key, int] = {}
    keyed: list[tuple[int, PopulationFields, _Key]] = []
    for line, fields in parsed:
        ok = True
        if fields.agency not in agency_ids:
            errors.append(UploadError(line, "agency", f"no agency with code {fields.agency!r}"))
            ok = False
        if fields.procedure_field is not None and fields.procedure_field not in field_ids:
            message = f"no procedure field with code {fields.procedure_field!r}"
            errors.append(UploadError(line, "procedure_field", message))
            ok = False
        if not ok:
            continue
        field_id = field_ids[fields.procedure_field] if fields.procedure_field is not None else None
        key = (agency_ids[fields.agency], field_id, fields.period_start)
        if key in seen:
            series_name = _series_name(fields.agency, fields.procedure_field)
            message = f"{series_name}, period_start {fields.period_start} already appears on line {seen[key]}"
            errors.append(UploadError(line, "period_start", message))
            continue
        seen[key] = line
        keyed.append((line, fields, key))
    if errors:
        raise _refuse(errors)
    query = select(PopulationCount).where(PopulationCount.agency_id.in_(set(agency_ids.values())))
    stored = {
        (count.agency_id, count.procedure_field_id, count.period_start): count for count in session.scalars(query)
    }
    series: dict[tuple[int, int | None], list[_Period]] = {}
    describe: dict[tuple[int, int | None], str] = {}
    for key, count in stored.items():
        if key not in seen:
            name = f"population count {count.id}"
            series.setdefault(key[:2], []).append(_Period(count.period_start, count.period_end, name))
    for line, fields, key in keyed:
        series.setdefault(key[:2], []).append(_Period(fields.period_start, fields.period_end, f"line {line}", line))
        describe[key[:2]] = _series_name(fields.agency, fields.procedure_field)
    errors = _series_errors(series, "periods of one agency and procedure field", describe)
    if errors:
        raise _refuse(errors)
    records = _checked_rows(session, keyed, stored, confirm_outlier=confirm_outlier)
    created = 0
    for _line, fields, key in keyed:
        existing_count = stored.get(key)
        if existing_count is None:
            session.add(
                PopulationCount(
                    agency_id=key[0],
                    procedure_field_id=key[1],
                    period_start=fields.period_start,
                    period_end=fields.period_end,
                    dossiers_handled=fields.dossiers_handled,
                )
            )
            created += 1
        else:
            existing_count.period_end, existing_count.dossiers_handled = fields.period_end, fields.dossiers_handled
    summary = UploadSummary(rows=len(keyed), created=created, updated=len(keyed) - created)
    extra = {"reason": reason, "counts": records}
    _upload_audit(session, scope, "population.upload", "population_count", data, filename, summary, client_ip, extra)
    _commit(session)
    return summary


def _unneutral(cell: str) -> str:
    """A cell as it was before an export neutralised it (``'=x`` → ``=x``), so an exported file uploads again
    unchanged; a value that really starts with ``'`` and then ``=``, ``+``, ``-``, ``@`` is no code or count."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(DANGEROUS_START) else cell


def _csv_text(columns: tuple[str, ...], rows: Iterable[Iterable[object]]) -> str:
    """A CSV file of these rows, every cell through :func:`app.reports.exports.neutral`: a cell that a spreadsheet
    would run as a formula (``=``, ``+``, ``-``, ``@``, …) is prefixed with ``'``, as in every download."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([neutral(cell) for cell in row] for row in rows)
    return out.getvalue()


def targets_csv(targets: Iterable[TargetEntry]) -> str:
    """Targets in the upload's columns, so an exported file uploads again unchanged."""
    return _csv_text(
        TARGET_COLUMNS,
        (
            (t.agency, t.indicator, t.period_start, t.period_end, _number(t.threshold_pct), t.applies_to_subtree)
            for t in targets
        ),
    )


def population_counts_csv(counts: Iterable[PopulationEntry]) -> str:
    """Population counts in the upload's columns, so an exported file uploads again unchanged."""
    return _csv_text(
        POPULATION_COLUMNS,
        ((c.agency, c.period_start, c.period_end, c.dossiers_handled, c.procedure_field) for c in counts),
    )
