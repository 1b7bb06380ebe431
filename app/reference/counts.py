"""Population counts: how many dossiers an agency handled in a period (for one procedure field, or all of them),
the N of the weights N/n.

Listing, reading and writing go through the caller's :class:`~app.officials.scope.Scope` and restrict every query
to ``scope.agencies()``: an agency outside the scope answers exactly as one that does not exist. Periods of one
agency and procedure field must not overlap. Every count written passes
:func:`app.reference.checks.check_count` and every change carries a reason; the audit event keeps the reason and
each count's old and new value (:mod:`app.reference.count_changes`). Writes commit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from app.audit.service import record
from app.directory.models import Agency, ProcedureField
from app.errors import Conflict, NotFound
from app.officials.scope import Scope, visible_agency
from app.reference.checks import Counted, SeriesContext, check_count, reason_or_invalid, reason_problem
from app.reference.count_changes import count_records
from app.reference.fields import (
    Page,
    PopulationEntry,
    PopulationFields,
    Problem,
    audit_fields,
    commit,
    describe_series,
    find_agency_id,
    find_procedure_field_id,
    invalid,
)
from app.reference.models import PopulationCount


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
    series = describe_series(fields.agency, fields.procedure_field)
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
    agency_id = find_agency_id(session, scope, fields.agency, problems)
    field_id = find_procedure_field_id(session, fields.procedure_field, problems)
    problems += check_count(session, fields, None).problems
    if (problem := reason_problem(reason)) is not None:
        problems.append(("reason", problem))
    if problems or agency_id is None:
        raise invalid(problems)
    history = _check_population_series(session, fields, agency_id, field_id, own_id=None)
    check = check_count(session, fields, SeriesContext(agency_id, field_id, history), confirm_outlier=confirm_outlier)
    if check.problems:
        raise invalid(check.problems)
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
        **audit_fields(fields),
        "reason": reason.strip(),
        "counts": count_records(None, (fields, agency_id), check.confirmed_outlier),
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
    commit(session)
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
    agency_id = (
        count.agency_id if after.agency == agency_code else find_agency_id(session, scope, after.agency, problems)
    )
    field_id = (
        count.procedure_field_id
        if after.procedure_field == field_code
        else find_procedure_field_id(session, after.procedure_field, problems)
    )
    problems += check_count(session, after, None).problems
    if (problem := reason_problem(reason)) is not None:
        problems.append(("reason", problem))
    if problems or agency_id is None:
        raise invalid(problems)
    history = _check_population_series(session, after, agency_id, field_id, own_id=count.id)
    confirmed: str | None = None
    if after != before:
        context = SeriesContext(agency_id, field_id, history)
        check = check_count(session, after, context, confirm_outlier=confirm_outlier)
        if check.problems:
            raise invalid(check.problems)
        confirmed = check.confirmed_outlier
    old_agency_id = count.agency_id
    count.agency_id, count.procedure_field_id, count.dossiers_handled = agency_id, field_id, after.dossiers_handled
    count.period_start, count.period_end = after.period_start, after.period_end
    old, new = audit_fields(before), audit_fields(after)
    changed = {name: {"from": old[name], "to": new[name]} for name in old if old[name] != new[name]}
    details = {
        "changed": changed,
        "reason": reason.strip(),
        "counts": count_records((before, old_agency_id), (after, agency_id), confirmed),
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
    commit(session)
    return _population_entry(count, after.agency, after.procedure_field)


def delete_population_count(
    session: Session, scope: Scope, count_id: int, *, reason: str, client_ip: str | None = None
) -> None:
    """Remove a visible population count; its values and the ``reason`` (required) are kept in the audit log."""
    count, agency_code, field_code = _visible_count(session, scope, count_id)
    reason = reason_or_invalid(reason)
    fields = PopulationFields(
        agency=agency_code,
        period_start=count.period_start,
        period_end=count.period_end,
        dossiers_handled=count.dossiers_handled,
        procedure_field=field_code,
    )
    details = {**audit_fields(fields), "reason": reason, "counts": count_records((fields, count.agency_id), None, None)}
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
    commit(session)
