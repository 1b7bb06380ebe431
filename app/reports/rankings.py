"""Agencies ranked by an index: only reliable estimates are ranked, and every comparison of one answer (neighbours,
changes since the previous period) is adjusted together (Benjamini–Hochberg, ``app/stats/comparisons.py``)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlalchemy import and_, case, literal, select
from sqlalchemy.orm import Session, aliased

from app.db import in_one_snapshot
from app.directory.models import Agency, AgencyLevel
from app.forms.loader import RegisteredForm
from app.officials.scope import Scope
from app.reports.query import Meta
from app.reports.satisfaction import judge, judged_on, metric_code, pick, targets_on
from app.reports.selection import figure_selection
from app.reports.sums import Column, fetch_sums
from app.responses.models import Response
from app.responses.selection import Filters
from app.stats.comparisons import Comparisons, Difference, adjust, honest
from app.stats.estimates import Estimate, estimate_domains


@dataclass(frozen=True)
class Ranked:
    rank: int | None  # None: the estimate is unreliable, so its place is not evidence
    agency: Agency
    estimate: Estimate
    previous: Estimate | None
    change: Difference | None  # this period − the previous one
    distinct_from_next: bool | None  # whether the next agency's index is statistically different (None: last)
    next_difference: Difference | None


@dataclass(frozen=True)
class Rankings:
    meta: Meta
    agency_level: str  # the level ranked, or "children" (of the chosen agency)
    indicator: str
    previous_from: date | None
    previous_to: date | None
    rows: list[Ranked]


def _previous_period(filters: Filters) -> tuple[date, date] | None:
    if filters.date_from is None or filters.date_to is None:
        return None
    days = (filters.date_to - filters.date_from).days + 1
    end = filters.date_from - timedelta(days=1)
    return end - timedelta(days=days - 1), end


@in_one_snapshot
def rankings(
    session: Session,
    scope: Scope,
    forms: dict[tuple[str, int], RegisteredForm],
    filters: Filters,
    *,
    agency_level: AgencyLevel | None = None,
    indicator: str = "sipas",
) -> Rankings:
    """Agencies at a level (default: the children of the chosen agency) ranked by an index, each with its
    interval, whether it is statistically distinguishable from the next one, and its change since the previous
    period of the same length (when both dates are given)."""
    previous = _previous_period(filters)
    selected = figure_selection(session, scope, forms, filters, date_from=previous[0] if previous else None)
    metric = metric_code(selected.measures.items, indicator, selected.measures)
    candidates = select(Agency).where(scope.agencies())
    if selected.root is not None:
        candidates = candidates.where(Agency.path.startswith(selected.root.path, autoescape=True))
    if agency_level is not None:
        candidates = candidates.where(Agency.level == agency_level)
    elif selected.root is not None:
        candidates = candidates.where(Agency.parent_id == selected.root.id)
    else:
        candidates = candidates.where(Agency.parent_id.is_(None))
    ranked_agencies = {agency.id: agency for agency in session.scalars(candidates)}
    own = aliased(Agency)
    unit = aliased(Agency)
    joins = [
        *selected.query.joins,
        (own, own.id == Response.agency_id),
        (unit, and_(unit.id.in_(list(ranked_agencies) or [-1]), own.path.startswith(unit.path))),
    ]
    current: Column = literal(1)
    if previous and filters.date_from is not None:
        start = filters.date_from
        # from the first of a month, by month: the same rows, and a column the summary of sufficient statistics keeps
        since = Response.local_month >= start.year * 100 + start.month if start.day == 1 else None
        current = case((since if since is not None else Response.local_date >= start, 1), else_=0)
    domains: list[tuple[str, Column]] = [
        ("_keep", case((selected.keep, 1), else_=0) if selected.keep is not None else literal(1)),
        ("agency", unit.id),
        ("current", current),
    ]
    query = replace(selected.query, domains=domains, joins=joins)
    sums = fetch_sums(session, query)
    strata = replace(sums.strata, lonely_psu="adjust")
    items, indices = query.items, selected.measures.indices
    results = estimate_domains(
        sums.table, strata, items, indices, domains=len(sums.keys), level=filters.level, method=filters.method
    )
    index = {key: d for d, key in enumerate(sums.keys)}
    on = judged_on(filters, selected.meta)
    targets = targets_on(session, list(ranked_agencies), [indicator], on)
    entries: list[tuple[Agency, Estimate, int, Estimate | None, int | None]] = []
    for agency_id, agency in ranked_agencies.items():
        d = index.get((1, agency_id, 1))
        if d is None:
            continue
        found = pick(results[d], indicator)
        if found is None:
            continue
        p = index.get((1, agency_id, 0))
        before = pick(results[p], indicator) if p is not None else None
        entries.append((agency, judge(found, targets.get((agency_id, indicator))), d, before, p))
    # Only reliable estimates are ranked and compared; the others follow, unranked, in code order.
    reliable = [e for e in entries if not e[1].unreliable]
    reliable.sort(key=lambda entry: (-entry[1].estimate, entry[0].code))
    unranked = sorted((e for e in entries if e[1].unreliable), key=lambda entry: entry[0].code)
    changes: list[Difference | None] = []
    following: list[Difference | None] = []
    comparisons = Comparisons(sums.table, strata, items, indices, level=filters.level)
    for position, (_agency, found, d, before, p) in enumerate(reliable):
        if p is not None and before is not None and not before.unreliable:
            changes.append(_difference(comparisons, a=(d, found), b=(p, before), metric=metric))
        else:
            changes.append(None)
        if position + 1 < len(reliable):
            after = (reliable[position + 1][2], reliable[position + 1][1])
            following.append(_difference(comparisons, a=(d, found), b=after, metric=metric))
        else:
            following.append(None)
    adjusted = adjust([*changes, *following])  # one family: every comparison this answer makes
    rows: list[Ranked] = []
    for position, (agency, found, _d, before, _p) in enumerate(reliable):
        change, nearest = adjusted[position], adjusted[len(reliable) + position]
        rows.append(
            Ranked(
                position + 1, agency, found, before, change, None if nearest is None else nearest.significant, nearest
            )
        )
    for agency, found, _d, before, _p in unranked:
        rows.append(Ranked(None, agency, found, before, None, None, None))
    return Rankings(
        selected.meta,
        agency_level.value if agency_level else "children",
        indicator,
        previous[0] if previous else None,
        previous[1] if previous else None,
        rows,
    )


def _difference(
    comparisons: Comparisons, *, a: tuple[int, Estimate], b: tuple[int, Estimate], metric: str
) -> Difference | None:
    found = comparisons.between(a[0], b[0])
    difference = next((difference for difference in found if difference.metric == metric), None)
    return None if difference is None else honest(difference, a[1], b[1])
