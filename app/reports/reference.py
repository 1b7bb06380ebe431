"""Targets and population counts: the thresholds reports compare against and the dossier counts they weight with.

Every function takes the caller's :class:`~app.officials.scope.Scope` and restricts every query to
``scope.agencies()``: an agency outside the scope answers exactly as one that does not exist. Writes check what the
database would refuse (so a violated constraint is a 409/422 naming the field, never a 500), are written to the
audit log and commit.

Periods of one series — one agency and indicator for targets, one agency and procedure field for population
counts — must not overlap, so that "the target on a date" and "the dossiers of a period" have one answer.
"""

from __future__ import annotations

import csv
import dataclasses
import difflib
import hashlib
import io
import math
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.audit.service import record
from app.directory.models import Agency, ProcedureField
from app.errors import Conflict, Invalid, NotFound
from app.forms.indices import measures
from app.forms.schema import FormDefinition
from app.officials.scope import Scope, visible_agency
from app.reports.models import PopulationCount, Target

TARGET_COLUMNS = ("agency", "indicator", "period_start", "period_end", "threshold_pct", "applies_to_subtree")
POPULATION_COLUMNS = ("agency", "period_start", "period_end", "dossiers_handled", "procedure_field")
OVERALL_INDICATOR = "sipas"
MAX_LISTED_ERRORS = 100
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


def _population_problems(fields: PopulationFields) -> list[Problem]:
    problems: list[Problem] = []
    if (problem := _order_problem(fields.period_start, fields.period_end)) is not None:
        problems.append(("period_end", problem))
    if fields.dossiers_handled < 0:
        problems.append(("dossiers_handled", f"'{fields.dossiers_handled}' must be a whole number ≥ 0"))
    return problems


def _invalid(problems: list[Problem]) -> Invalid:
    """One 422 for the JSON API, fields as JSON pointers like the request validation errors."""
    details = [{"pointer": f"/{field}", "message": message} for field, message in problems]
    return Invalid(f"/{problems[0][0]}: {problems[0][1]}", details=details)


def _agency_id(session: Session, scope: Scope, code: str, problems: list[Problem]) -> int | None:
    try:
        return visible_agency(session, scope, code).id
    except NotFound as exc:
        problems.append(("agency", exc.message))
        return None


def _procedure_field_id(session: Session, code: str | None, problems: list[Problem]) -> int | None:
    if code is None:
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
    return TargetEntry(id=target.id, agency=agency_code, indicator=target.indicator, period_start=target.period_start,
                       period_end=target.period_end, threshold_pct=float(target.threshold_pct),
                       applies_to_subtree=target.applies_to_subtree, created_at=target.created_at)  # fmt: skip


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
    session: Session, scope: Scope, *, agency: str | None = None, indicator: str | None = None,
    on: date | None = None, limit: int | None = None, offset: int = 0,
) -> Page[TargetEntry]:  # fmt: skip
    """The visible agencies' targets (optionally of one agency, one indicator, or in force on a date), by agency
    code, indicator and start."""
    query = _targets_query(session, scope, agency=agency, indicator=indicator, on=on)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    ordered = query.order_by(Agency.code, Target.indicator, Target.period_start).offset(offset).limit(limit)
    return Page([_target_entry(target, code) for target, code in session.execute(ordered)], total)


def _visible_target(session: Session, scope: Scope, target_id: int) -> tuple[Target, str]:
    found = session.execute(
        select(Target, Agency.code).join(Agency, Agency.id == Target.agency_id)
        .where(Target.id == target_id, scope.agencies())
    ).first()  # fmt: skip
    if found is None:
        raise NotFound(f"no target with id {target_id}")
    return found


def get_target(session: Session, scope: Scope, target_id: int) -> TargetEntry:
    """One visible target; a target of an agency outside the scope is NotFound like a missing one."""
    return _target_entry(*_visible_target(session, scope, target_id))


def _audit(fields: TargetFields | PopulationFields) -> dict[str, Any]:
    """The fields as the audit log keeps them (dates as text)."""
    return {**dataclasses.asdict(fields), "period_start": str(fields.period_start),
            "period_end": str(fields.period_end)}  # fmt: skip


def _check_target_series(session: Session, fields: TargetFields, agency_id: int, *, own_id: int | None) -> None:
    """Conflict when another target of the same agency and indicator has the same start or an overlapping period."""
    others = session.scalars(
        select(Target).where(Target.agency_id == agency_id, Target.indicator == fields.indicator)
    ).all()  # fmt: skip
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
    session: Session, scope: Scope, fields: TargetFields, *, indicators: Collection[str],
    client_ip: str | None = None,
) -> TargetEntry:  # fmt: skip
    """Add a target for a visible agency (``indicators``: what :func:`known_indicators` allows)."""
    problems: list[Problem] = []
    agency_id = _agency_id(session, scope, fields.agency, problems)
    problems += _target_problems(fields, indicators)
    if problems or agency_id is None:
        raise _invalid(problems)
    _check_target_series(session, fields, agency_id, own_id=None)
    target = Target(agency_id=agency_id, indicator=fields.indicator, period_start=fields.period_start,
                    period_end=fields.period_end, threshold_pct=fields.threshold_pct,
                    applies_to_subtree=fields.applies_to_subtree)  # fmt: skip
    session.add(target)
    session.flush()
    record(session, action="target.create", actor=scope.username, official_id=scope.official_id,
           object_type="target", object_id=target.id, details=_audit(fields), client_ip=client_ip)  # fmt: skip
    _commit(session)
    return _target_entry(target, fields.agency)


def update_target(
    session: Session, scope: Scope, target_id: int, changes: Mapping[str, Any], *, indicators: Collection[str],
    client_ip: str | None = None,
) -> TargetEntry:  # fmt: skip
    """Change some or all fields of a visible target (``changes``: names of :class:`TargetFields`); the agency
    may move to another visible agency."""
    target, agency_code = _visible_target(session, scope, target_id)
    before = TargetFields(agency=agency_code, indicator=target.indicator, period_start=target.period_start,
                          period_end=target.period_end, threshold_pct=float(target.threshold_pct),
                          applies_to_subtree=target.applies_to_subtree)  # fmt: skip
    after = dataclasses.replace(before, **changes)
    problems: list[Problem] = []
    agency_id = target.agency_id if after.agency == agency_code else _agency_id(session, scope, after.agency, problems)
    problems += _target_problems(after, indicators)
    if problems or agency_id is None:
        raise _invalid(problems)
    _check_target_series(session, after, agency_id, own_id=target.id)
    target.agency_id, target.indicator, target.applies_to_subtree = agency_id, after.indicator, after.applies_to_subtree
    target.period_start, target.period_end, target.threshold_pct = (
        after.period_start, after.period_end, after.threshold_pct
    )  # fmt: skip
    old, new = _audit(before), _audit(after)
    changed = {name: {"from": old[name], "to": new[name]} for name in old if old[name] != new[name]}
    record(session, action="target.update", actor=scope.username, official_id=scope.official_id,
           object_type="target", object_id=target.id, details={"changed": changed}, client_ip=client_ip)  # fmt: skip
    _commit(session)
    return _target_entry(target, after.agency)


def delete_target(session: Session, scope: Scope, target_id: int, *, client_ip: str | None = None) -> None:
    """Remove a visible target (its values are kept in the audit log)."""
    target, agency_code = _visible_target(session, scope, target_id)
    entry = _target_entry(target, agency_code)
    session.delete(target)
    details = {"agency": agency_code, "indicator": entry.indicator, "period_start": str(entry.period_start),
               "period_end": str(entry.period_end), "threshold_pct": entry.threshold_pct,
               "applies_to_subtree": entry.applies_to_subtree}  # fmt: skip
    record(session, action="target.delete", actor=scope.username, official_id=scope.official_id,
           object_type="target", object_id=target_id, details=details, client_ip=client_ip)  # fmt: skip
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
        select(Target).where(Target.agency_id.in_(chain), Target.indicator == indicator,
                             Target.period_start <= on, Target.period_end >= on)
    ).all()  # fmt: skip
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
        select(Target).where(Target.agency_id.in_(everyone), Target.indicator.in_(set(indicators)),
                             Target.period_start <= on, Target.period_end >= on)
    ).all()  # fmt: skip
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


# --- population counts -------------------------------------------------------------------------------------------


def _population_entry(count: PopulationCount, agency_code: str, field_code: str | None) -> PopulationEntry:
    return PopulationEntry(id=count.id, agency=agency_code, procedure_field=field_code,
                           period_start=count.period_start, period_end=count.period_end,
                           dossiers_handled=count.dossiers_handled, created_at=count.created_at)  # fmt: skip


def _population_select() -> Select[PopulationCount, str, str | None]:
    return (
        select(PopulationCount, Agency.code, ProcedureField.code)
        .join(Agency, Agency.id == PopulationCount.agency_id)
        .outerjoin(ProcedureField, ProcedureField.id == PopulationCount.procedure_field_id)
    )


def list_population_counts(
    session: Session, scope: Scope, *, agency: str | None = None, procedure_field: str | None = None,
    on: date | None = None, limit: int | None = None, offset: int = 0,
) -> Page[PopulationEntry]:  # fmt: skip
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
    ordered = query.order_by(Agency.code, PopulationCount.period_start, ProcedureField.code.is_not(None),
                             ProcedureField.code).offset(offset).limit(limit)  # fmt: skip
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
) -> None:
    """Conflict when another count of the same agency and procedure field has the same start or overlaps."""
    same_field = (
        PopulationCount.procedure_field_id.is_(None) if field_id is None
        else PopulationCount.procedure_field_id == field_id
    )  # fmt: skip
    others = session.scalars(select(PopulationCount).where(PopulationCount.agency_id == agency_id, same_field)).all()
    series = _series_name(fields.agency, fields.procedure_field)
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


def create_population_count(
    session: Session, scope: Scope, fields: PopulationFields, *, client_ip: str | None = None
) -> PopulationEntry:
    """Add the dossiers handled by a visible agency in a period (for one procedure field, or all of them)."""
    problems: list[Problem] = []
    agency_id = _agency_id(session, scope, fields.agency, problems)
    field_id = _procedure_field_id(session, fields.procedure_field, problems)
    problems += _population_problems(fields)
    if problems or agency_id is None:
        raise _invalid(problems)
    _check_population_series(session, fields, agency_id, field_id, own_id=None)
    count = PopulationCount(agency_id=agency_id, procedure_field_id=field_id, period_start=fields.period_start,
                            period_end=fields.period_end, dossiers_handled=fields.dossiers_handled)  # fmt: skip
    session.add(count)
    session.flush()
    record(session, action="population.create", actor=scope.username, official_id=scope.official_id,
           object_type="population_count", object_id=count.id, details=_audit(fields),
           client_ip=client_ip)  # fmt: skip
    _commit(session)
    return _population_entry(count, fields.agency, fields.procedure_field)


def update_population_count(
    session: Session, scope: Scope, count_id: int, changes: Mapping[str, Any], *, client_ip: str | None = None
) -> PopulationEntry:
    """Change some or all fields of a visible population count (``changes``: names of :class:`PopulationFields`)."""
    count, agency_code, field_code = _visible_count(session, scope, count_id)
    before = PopulationFields(agency=agency_code, period_start=count.period_start, period_end=count.period_end,
                              dossiers_handled=count.dossiers_handled, procedure_field=field_code)  # fmt: skip
    after = dataclasses.replace(before, **changes)
    problems: list[Problem] = []
    agency_id = count.agency_id if after.agency == agency_code else _agency_id(session, scope, after.agency, problems)
    field_id = (
        count.procedure_field_id if after.procedure_field == field_code
        else _procedure_field_id(session, after.procedure_field, problems)
    )  # fmt: skip
    problems += _population_problems(after)
    if problems or agency_id is None:
        raise _invalid(problems)
    _check_population_series(session, after, agency_id, field_id, own_id=count.id)
    count.agency_id, count.procedure_field_id, count.dossiers_handled = agency_id, field_id, after.dossiers_handled
    count.period_start, count.period_end = after.period_start, after.period_end
    old, new = _audit(before), _audit(after)
    changed = {name: {"from": old[name], "to": new[name]} for name in old if old[name] != new[name]}
    record(session, action="population.update", actor=scope.username, official_id=scope.official_id,
           object_type="population_count", object_id=count.id, details={"changed": changed},
           client_ip=client_ip)  # fmt: skip
    _commit(session)
    return _population_entry(count, after.agency, after.procedure_field)


def delete_population_count(session: Session, scope: Scope, count_id: int, *, client_ip: str | None = None) -> None:
    """Remove a visible population count (its values are kept in the audit log)."""
    count, agency_code, field_code = _visible_count(session, scope, count_id)
    fields = PopulationFields(agency=agency_code, period_start=count.period_start, period_end=count.period_end,
                              dossiers_handled=count.dossiers_handled, procedure_field=field_code)  # fmt: skip
    session.delete(count)
    record(session, action="population.delete", actor=scope.username, official_id=scope.official_id,
           object_type="population_count", object_id=count_id, details=_audit(fields),
           client_ip=client_ip)  # fmt: skip
    _commit(session)


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
                errors.append(UploadError(reader.line_num, None,
                                          f"{len(cells)} fields where the header has {len(header)}"))  # fmt: skip
                continue
            values = dict.fromkeys(optional, "") | {
                name: cell.strip() for name, cell in zip(header, cells, strict=True)
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
    session: Session, scope: Scope, action: str, object_type: str, data: bytes, filename: str | None,
    summary: UploadSummary, client_ip: str | None,
) -> None:  # fmt: skip
    details = {"file": filename, "sha256": hashlib.sha256(data).hexdigest(), **dataclasses.asdict(summary)}
    record(session, action=action, actor=scope.username, official_id=scope.official_id, object_type=object_type,
           details=details, client_ip=client_ip)  # fmt: skip


def _series_errors(
    series: dict[Any, list[_Period]], what: str, describe: Mapping[Any, str]
) -> list[UploadError]:  # fmt: skip
    errors: list[UploadError] = []
    for key, periods in series.items():
        for earlier, later in _overlaps(periods):
            if later.line is None and earlier.line is None:
                continue  # two stored rows: not this file's doing
            at, other = (later, earlier) if later.line is not None else (earlier, later)
            assert at.line is not None
            errors.append(UploadError(at.line, "period_start",
                                      f"the period {_span(at)} overlaps {other.name} ({_span(other)}) of "
                                      f"{describe[key]}; {what} must not overlap"))  # fmt: skip
    return errors


def upload_targets(
    session: Session, scope: Scope, data: bytes, *, indicators: Collection[str], filename: str | None = None,
    client_ip: str | None = None,
) -> UploadSummary:  # fmt: skip
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
            errors.append(UploadError(line, "period_start", f"agency {fields.agency!r}, indicator "
                                      f"{fields.indicator!r}, period_start {fields.period_start} already appears "
                                      f"on line {seen[key]}"))  # fmt: skip
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
            series.setdefault(key[:2], []).append(_Period(target.period_start, target.period_end,
                                                          f"target {target.id}"))  # fmt: skip
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
            session.add(Target(agency_id=key[0], indicator=fields.indicator, period_start=fields.period_start,
                               period_end=fields.period_end, threshold_pct=fields.threshold_pct,
                               applies_to_subtree=fields.applies_to_subtree))  # fmt: skip
            created += 1
        else:
            existing.period_end, existing.threshold_pct = fields.period_end, fields.threshold_pct
            existing.applies_to_subtree = fields.applies_to_subtree
    summary = UploadSummary(rows=len(keyed), created=created, updated=len(keyed) - created)
    _upload_audit(session, scope, "target.upload", "target", data, filename, summary, client_ip)
    _commit(session)
    return summary


def upload_population_counts(
    session: Session, scope: Scope, data: bytes, *, filename: str | None = None, client_ip: str | None = None
) -> UploadSummary:
    """Create or update population counts from a CSV file (header :data:`POPULATION_COLUMNS`; an empty or absent
    ``procedure_field`` means all fields). A row whose agency, period_start and procedure field match a stored
    count updates it. All rows or none: every problem is reported with its line and column."""
    errors: list[UploadError] = []
    parsed: list[tuple[int, PopulationFields]] = []
    for line, values in _read_rows(data, POPULATION_COLUMNS, frozenset({"procedure_field"})):
        row = _RowReader(line, values, errors)
        agency = row.text("agency")
        start, end = row.date("period_start"), row.date("period_end")
        dossiers = row.text("dossiers_handled")
        if dossiers and not (dossiers.isascii() and dossiers.isdigit()):
            row.fail("dossiers_handled", f"{dossiers!r} must be a whole number ≥ 0")
        if start != date.min and end != date.min and (problem := _order_problem(start, end)):
            row.fail("period_end", problem)
        if row.ok:
            parsed.append(
                (line, PopulationFields(agency, start, end, int(dossiers), values["procedure_field"] or None))
            )
    agency_ids = _visible_agency_ids(session, scope, {fields.agency for _, fields in parsed})
    wanted_fields = {fields.procedure_field for _, fields in parsed if fields.procedure_field}
    field_ids = dict(
        session.execute(select(ProcedureField.code, ProcedureField.id).where(ProcedureField.code.in_(wanted_fields)))
        .all()
    )  # fmt: skip
    seen: dict[tuple[int, int | None, date], int] = {}
    keyed: list[tuple[int, PopulationFields, tuple[int, int | None, date]]] = []
    for line, fields in parsed:
        ok = True
        if fields.agency not in agency_ids:
            errors.append(UploadError(line, "agency", f"no agency with code {fields.agency!r}"))
            ok = False
        if fields.procedure_field is not None and fields.procedure_field not in field_ids:
            errors.append(UploadError(line, "procedure_field",
                                      f"no procedure field with code {fields.procedure_field!r}"))  # fmt: skip
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
            series.setdefault(key[:2], []).append(_Period(count.period_start, count.period_end,
                                                          f"population count {count.id}"))  # fmt: skip
    for line, fields, key in keyed:
        series.setdefault(key[:2], []).append(_Period(fields.period_start, fields.period_end, f"line {line}", line))
        describe[key[:2]] = _series_name(fields.agency, fields.procedure_field)
    errors = _series_errors(series, "periods of one agency and procedure field", describe)
    if errors:
        raise _refuse(errors)
    created = 0
    for _line, fields, key in keyed:
        existing_count = stored.get(key)
        if existing_count is None:
            session.add(PopulationCount(agency_id=key[0], procedure_field_id=key[1], period_start=fields.period_start,
                                        period_end=fields.period_end,
                                        dossiers_handled=fields.dossiers_handled))  # fmt: skip
            created += 1
        else:
            existing_count.period_end, existing_count.dossiers_handled = fields.period_end, fields.dossiers_handled
    summary = UploadSummary(rows=len(keyed), created=created, updated=len(keyed) - created)
    _upload_audit(session, scope, "population.upload", "population_count", data, filename, summary, client_ip)
    _commit(session)
    return summary


def _csv_text(columns: tuple[str, ...], rows: Iterable[Iterable[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue()


def targets_csv(targets: Iterable[TargetEntry]) -> str:
    """Targets in the upload's columns, so an exported file uploads again unchanged."""
    return _csv_text(TARGET_COLUMNS, (
        (t.agency, t.indicator, t.period_start, t.period_end, _number(t.threshold_pct),
         "true" if t.applies_to_subtree else "false")
        for t in targets
    ))  # fmt: skip


def population_counts_csv(counts: Iterable[PopulationEntry]) -> str:
    """Population counts in the upload's columns, so an exported file uploads again unchanged."""
    return _csv_text(POPULATION_COLUMNS, (
        (c.agency, c.period_start, c.period_end, c.dossiers_handled, c.procedure_field or "") for c in counts
    ))  # fmt: skip
