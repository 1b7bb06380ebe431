"""A monthly or quarterly series of one indicator with intervals, changes between reliable neighbours and alerts."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from sqlalchemy import case, literal
from sqlalchemy.orm import Session

from app.db import in_one_snapshot
from app.errors import Invalid
from app.forms.loader import RegisteredForm
from app.officials.scope import Scope
from app.reports.query import Meta
from app.reports.satisfaction import judge, judged_on, metric_code, pick, targets_on
from app.reports.selection import figure_selection, month_label, quarter_label, quarter_of
from app.reports.sums import Column, fetch_sums
from app.responses.models import Response
from app.responses.selection import Filters
from app.stats.comparisons import Difference, series_changes
from app.stats.estimates import Estimate, estimate_domains

Period = Literal["month", "quarter"]


@dataclass(frozen=True)
class TrendPoint:
    period: str
    estimate: Estimate
    change: Difference | None  # this period − the previous one
    alerts: tuple[str, ...]  # "significant_drop", "below_target"


@dataclass(frozen=True)
class Trend:
    meta: Meta
    period: Period
    indicator: str
    points: list[TrendPoint]


@in_one_snapshot
def trends(
    session: Session,
    scope: Scope,
    forms: dict[tuple[str, int], RegisteredForm],
    filters: Filters,
    *,
    period: Period = "month",
    indicator: str = "sipas",
) -> Trend:
    """A monthly or quarterly series of one indicator with intervals; an alert when a period is significantly
    below the previous one (the interval of the difference lies below 0) or below target (``not_met``)."""
    if period not in ("month", "quarter"):
        raise Invalid(f"period: {period!r} must be month or quarter")
    selected = figure_selection(session, scope, forms, filters)
    metric_code(selected.measures.items, indicator, selected.measures)  # refuses an indicator the form does not measure
    key = Response.local_month if period == "month" else quarter_of(Response.local_month)
    domains: list[tuple[str, Column]] = [
        ("_keep", case((selected.keep, 1), else_=0) if selected.keep is not None else literal(1)),
        (period, key),
    ]
    query = replace(selected.query, domains=domains)
    sums = fetch_sums(session, query)
    strata = replace(sums.strata, lonely_psu="adjust")
    items, indices = query.items, selected.measures.indices
    results = estimate_domains(
        sums.table, strata, items, indices, domains=len(sums.keys), level=filters.level, method=filters.method
    )
    ordered = sorted((int(k[1]), d) for d, k in enumerate(sums.keys) if k[0] == 1 and k[1] is not None)
    root_id = selected.root.id if selected.root else None
    targets = targets_on(session, [root_id] if root_id else [], [indicator], judged_on(filters, selected.meta))
    target = targets.get((root_id, indicator)) if root_id else None
    series: list[tuple[int, Estimate, str]] = []
    for value, d in ordered:
        found = pick(results[d], indicator)
        if found is not None:
            label = month_label(value) if period == "month" else quarter_label(value)
            series.append((d, judge(found, target), label))
    steps = series_changes(
        sums.table, strata, items, indices, [(d, found) for d, found, _label in series], level=filters.level
    )
    points = [
        TrendPoint(label, found, step.change, step.alerts)
        for (_d, found, label), step in zip(series, steps, strict=True)
    ]
    return Trend(selected.meta, period, indicator, points)
