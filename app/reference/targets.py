"""Targets: the thresholds reports compare against (e.g. SIPAS ≥ 86%), kept per agency, indicator and period.

Listing, reading and writing go through the caller's :class:`~app.officials.scope.Scope` and restrict every query
to ``scope.agencies()``: an agency outside the scope answers exactly as one that does not exist. Writes check what
the database would refuse (so a violated constraint is a 409/422 naming the field, never a 500), are written to
the audit log and commit. Periods of one agency and indicator must not overlap.

:func:`target_for` and :func:`targets_for` find the target that applies to an agency on a day — its own, else the
nearest ancestor's that applies to its subtree — for the reports' verdicts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Mapping
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from app.audit.service import record
from app.directory.models import Agency
from app.errors import Conflict, NotFound
from app.officials.scope import Scope, visible_agency
from app.reference.checks import target_problems
from app.reference.fields import (
    Page,
    Problem,
    TargetEntry,
    TargetFields,
    audit_fields,
    commit,
    find_agency_id,
    invalid,
)
from app.reference.models import Target


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


def create_target(
    session: Session,
    scope: Scope,
    fields: TargetFields,
    *,
    indicators: Collection[str],
    client_ip: str | None = None,
) -> TargetEntry:
    """Add a target for a visible agency (``indicators``: what :func:`app.reference.checks.known_indicators` allows)."""
    problems: list[Problem] = []
    agency_id = find_agency_id(session, scope, fields.agency, problems)
    problems += target_problems(fields, indicators)
    if problems or agency_id is None:
        raise invalid(problems)
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
        details=audit_fields(fields),
        client_ip=client_ip,
    )
    commit(session)
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
    agency_id = (
        target.agency_id if after.agency == agency_code else find_agency_id(session, scope, after.agency, problems)
    )
    problems += target_problems(after, indicators)
    if problems or agency_id is None:
        raise invalid(problems)
    _check_target_series(session, after, agency_id, own_id=target.id)
    target.agency_id, target.indicator, target.applies_to_subtree = agency_id, after.indicator, after.applies_to_subtree
    target.period_start, target.period_end, target.threshold_pct = (
        after.period_start,
        after.period_end,
        after.threshold_pct,
    )
    old, new = audit_fields(before), audit_fields(after)
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
    commit(session)
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
    commit(session)


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
