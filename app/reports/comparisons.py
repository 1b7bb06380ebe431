"""One agency's figures compared: this period against the previous period of the same length, against the same
period a year earlier, and against the rest of its parent's subtree — the SIPAS index and each element's rate, each
difference with its interval, the rows of one comparison adjusted together, and a call only where the data allow.

Built on the figure selection (``app/reports/selection.py``), the sums (``app/reports/sums.py``) and the engine's
comparisons (``app/stats/comparisons.py``): both sides are two domains of one ``GROUP BY``, so the design, the
weights and the estimator are those of every other figure; nothing here estimates anything of its own.

- **Which differences may be called.** A row compares two estimates only when both pass the reliability rule
  (``app/stats/reliability.py``); otherwise it gets no difference and no call (``insufficient_data``), as trends
  and rankings do. The rows that compare (the SIPAS index and the elements) are one family: their p-values are
  adjusted together with Benjamini–Hochberg (``app/stats/multiplicity.py``, the engine's rule for every answer
  that makes several comparisons), and a difference is ``up`` or ``down`` only when it is significant after the
  adjustment, else ``not_distinguishable``.
- **Adjusted intervals.** Beside each difference's own interval, the interval adjusted for the family: the
  false-coverage-rate interval that goes with Benjamini–Hochberg (Benjamini & Yekutieli 2005, JASA 100:71–81), at
  level 1 − R·α/m for m comparisons of which R are significant (R at least 1). It excludes 0 exactly when the
  adjusted p-value calls the difference, so the interval drawn and the word written never disagree.
- **Against the parent, the rest of its subtree.** The agency is part of its parent: the parent's figure contains
  the agency's own answers. The engine could difference the two overlapping domains (their shared PSUs would count
  once, with their covariance), but for a rate A − P = (1 − s)·(A − Rest), s the agency's share of the parent's
  weighted answers, so that difference shrinks the real gap by the agency's own weight (by half for one of two
  children) and is 0 by construction when the agency holds all of the parent's answers. The comparison is
  therefore the agency against the **rest** of the parent's subtree (the parent's own answers and its other
  agencies'): two independent samples — strata are agency × month and PSUs counter × week, each inside one agency —
  whose difference is the gap the agency can act on. The parent's own figure over its whole subtree is reported
  beside it (``parent_total``), for reference, never compared.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Literal

from sqlalchemy import ColumnElement, and_, case, literal, or_, select
from sqlalchemy.orm import Session

from app.db import in_one_snapshot
from app.directory.models import Agency
from app.errors import Forbidden, Invalid
from app.forms.loader import RegisteredForm
from app.officials.scope import Scope, visible_agency
from app.reports.query import Meta
from app.reports.satisfaction import indicator_of
from app.reports.selection import FigureSelection, figure_selection
from app.reports.sums import Column, fetch_sums
from app.responses.models import Response
from app.responses.selection import Filters
from app.responses.summary import whole_months
from app.stats.comparisons import Difference, adjust, compare, honest
from app.stats.estimates import Estimate, estimate_domains
from app.stats.intervals import t_quantile
from app.stats.tables import merge_domains

Against = Literal["previous", "last_year", "parent"]
AGAINST: tuple[Against, ...] = ("previous", "last_year", "parent")
Call = Literal["up", "down", "not_distinguishable", "insufficient_data", "no_data"]
COMPARED_KINDS = ("overall", "element")  # the SIPAS index and each element's rate


@dataclass(frozen=True)
class ComparisonRow:
    indicator: str  # "sipas" or "element:<code>"
    metric: str
    kind: str  # "overall" or "element"
    name: str  # the metric's name in the form (Vietnamese)
    estimate: Estimate | None  # the agency in the period (None: no answers)
    other: Estimate | None  # the other side: the earlier period, or the rest of the parent's subtree
    difference: Difference | None  # estimate − other (None: a side is missing or unreliable); p adjusted (BH)
    adjusted_low: float | None  # the family's false-coverage-rate interval (None without a p-value)
    adjusted_high: float | None
    call: Call


@dataclass(frozen=True)
class Comparison:
    meta: Meta  # of the selection read: both sides
    against: Against
    agency: Agency
    date_from: date | None  # the period compared
    date_to: date | None
    other_from: date | None  # the other period (the same as the period against the parent)
    other_to: date | None
    parent: Agency | None  # against the parent: whose subtree's rest is the other side
    family: int  # comparisons adjusted together (rows with a difference and a p-value)
    significant: int  # of which called up or down
    adjusted_level: float | None  # the level of the adjusted intervals (None: no comparison)
    rows: list[ComparisonRow]
    parent_total: list[tuple[str, Estimate]]  # against the parent: (indicator, the parent's whole-subtree figure)


def _month_start(year: int, month: int) -> date:
    index = year * 12 + month - 1
    return date(index // 12, index % 12 + 1, 1)


def _month_end(year: int, month: int) -> date:
    following = _month_start(year, month + 1)
    return following - timedelta(days=1)


def previous_period(start: date, end: date) -> tuple[date, date]:
    """The period of the same length just before: the same number of whole calendar months when the period is whole
    months (January–March 2026 → October–December 2025), else the same number of days."""
    if whole_months(start, end):
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        first = _month_start(start.year, start.month - months)
        return first, start - timedelta(days=1)
    days = (end - start).days + 1
    last = start - timedelta(days=1)
    return last - timedelta(days=days - 1), last


def _year_before(day: date) -> date:
    if day.month == 2 and day.day == 29:
        return date(day.year - 1, 2, 28)
    return day.replace(year=day.year - 1)


def year_earlier(start: date, end: date) -> tuple[date, date]:
    """The same period a year earlier: whole months shift by twelve months (February ends on its own last day),
    other periods keep their calendar days (29 February becomes the 28th)."""
    if whole_months(start, end):
        return _month_start(start.year - 1, start.month), _month_end(end.year - 1, end.month)
    return _year_before(start), _year_before(end)


def other_period(against: Against, start: date | None, end: date | None) -> tuple[date, date]:
    """The period a period comparison reads beside ``from``–``to``; refused (422, naming the parameter) without both
    dates, before year 1, or when the two periods would overlap."""
    if start is None or end is None:
        missing = "from" if start is None else "to"
        what = "the previous period" if against == "previous" else "the same period a year earlier"
        raise Invalid(f"{missing}: comparing with {what} needs both from and to (the period compared)")
    if start > end:
        raise Invalid(f"from: {start} is after to: {end}")
    try:
        first, last = previous_period(start, end) if against == "previous" else year_earlier(start, end)
    except (ValueError, OverflowError):
        raise Invalid(
            f"from: the period compared with {start.isoformat()}–{end.isoformat()} would start before year 1"
        ) from None
    if last >= start:
        raise Invalid(
            f"to: {start.isoformat()}–{end.isoformat()} is longer than a year, so it overlaps the same period a year "
            "earlier; compare at most twelve months"
        )
    return first, last


def _agency(session: Session, scope: Scope, code: str | None) -> Agency:
    if code is not None:
        return visible_agency(session, scope, code)
    root = session.get(Agency, scope.root_id) if scope.root_id is not None and scope.root_id > 0 else None
    if root is None:
        raise Invalid("agency: choose the agency to compare (its code)")
    return root


def _visible_parent(session: Session, scope: Scope, agency: Agency) -> Agency:
    parent = session.get(Agency, agency.parent_id) if agency.parent_id is not None else None
    if parent is None:
        raise Invalid(f"against: {agency.code} has no parent agency to compare with")
    visible = session.scalar(select(Agency.id).where(Agency.id == parent.id, scope.agencies()))
    if visible is None:  # its name and code are not the caller's to see
        raise Forbidden(f"against: the agency above {agency.code} is outside your scope, so its figures are not shown")
    return parent


@in_one_snapshot
def compare_agency(
    session: Session,
    *,
    scope: Scope,
    forms: dict[tuple[str, int], RegisteredForm],
    filters: Filters,
    against: Against,
) -> Comparison:
    """The agency of ``filters`` (with its subtree) in ``from``–``to`` against the previous period, the same period a
    year earlier or the rest of its parent's subtree: the SIPAS index and each element, with the differences, their
    intervals (raw and adjusted for the family) and the calls."""
    if against not in AGAINST:
        raise Invalid(f"against: {against!r} is not one of {', '.join(AGAINST)}")
    filters.check()
    agency = _agency(session, scope, filters.agency)
    parent: Agency | None = None
    other_from: date | None
    other_to: date | None
    if against == "parent":
        parent = _visible_parent(session, scope, agency)
        other_from, other_to = filters.date_from, filters.date_to
        selected = figure_selection(session, scope, forms, replace(filters, agency=parent.code, subtree=True))
        inside = Response.agency_id.in_(select(Agency.id).where(Agency.path.startswith(agency.path, autoescape=True)))
        side: Column = case((inside, 1), else_=0)
        windows: ColumnElement[bool] | None = None
    else:
        other_from, other_to = other_period(against, filters.date_from, filters.date_to)
        assert filters.date_from is not None and filters.date_to is not None  # other_period refuses them missing
        scoped = replace(filters, agency=agency.code, subtree=True)
        selected = figure_selection(session, scope, forms, scoped, date_from=other_from)
        side = case((Response.local_date >= filters.date_from, 1), else_=0)
        # the months between a year-earlier period and this one are not read
        windows = or_(
            and_(Response.local_date >= filters.date_from, Response.local_date <= filters.date_to),
            and_(Response.local_date >= other_from, Response.local_date <= other_to),
        )
    found = _rows(selected, side, windows, session, filters)
    meta = replace(selected.meta, agency=agency.code, date_from=filters.date_from, date_to=filters.date_to)
    return Comparison(
        meta,
        against,
        agency,
        filters.date_from,
        filters.date_to,
        other_from,
        other_to,
        parent,
        found.family,
        found.significant,
        found.level,
        found.rows,
        found.parent_total,
    )


@dataclass(frozen=True)
class _Found:
    rows: list[ComparisonRow]
    parent_total: list[tuple[str, Estimate]]
    family: int
    significant: int
    level: float | None


def _adjusted_level(level: float, family: int, significant: int) -> float:
    """Benjamini–Yekutieli's false-coverage-rate level for the intervals of a Benjamini–Hochberg family:
    1 − R·α/m, with R at least 1 (for R = 0 every interval at 1 − α/m contains 0, as no p-value is ≤ α/m)."""
    return 1 - max(significant, 1) * (1 - level) / family


def _rows(
    selected: FigureSelection,
    side: Column,
    windows: ColumnElement[bool] | None,
    session: Session,
    filters: Filters,
) -> _Found:
    keep: Column = case((selected.keep, 1), else_=0) if selected.keep is not None else literal(1)
    query = replace(selected.query, domains=[("_keep", keep), ("side", side)])
    if windows is not None:
        query = replace(query, filters=[*query.filters, windows])
    sums = fetch_sums(session, query)
    strata = replace(sums.strata, lonely_psu="adjust")
    items, indices = query.items, selected.measures.indices
    results = estimate_domains(
        sums.table, strata, items, indices, domains=len(sums.keys), level=filters.level, method=filters.method
    )
    index = {(int(key[0]), int(key[1])): d for d, key in enumerate(sums.keys)}
    mine, theirs = index.get((1, 1)), index.get((1, 0))
    wanted = [spec for spec in indices if spec.kind in COMPARED_KINDS]
    wanted.sort(key=lambda spec: COMPARED_KINDS.index(spec.kind))  # the SIPAS index first, then the elements

    def found(d: int | None, code: str) -> Estimate | None:
        return next((e for e in results[d] if e.metric == code), None) if d is not None else None

    differences = (
        {d.metric: d for d in compare(sums.table, strata, items, indices, mine, theirs, level=filters.level)}
        if mine is not None and theirs is not None
        else {}
    )
    sides: list[tuple[Estimate | None, Estimate | None]] = []
    raw: list[Difference | None] = []
    for spec in wanted:
        a, b = found(mine, spec.code), found(theirs, spec.code)
        sides.append((a, b))
        difference = differences.get(spec.code)
        if a is None or b is None or a.unreliable or b.unreliable or difference is None:
            raw.append(None)  # no comparison: a side is missing or fails the reliability rule
        else:
            raw.append(honest(difference, a, b))
    adjusted = adjust(raw)
    tested = [d for d in adjusted if d is not None and d.p_value is not None]
    significant = sum(1 for d in tested if d.significant)
    level = _adjusted_level(filters.level, len(tested), significant) if tested else None
    rows: list[ComparisonRow] = []
    for spec, (a, b), difference in zip(wanted, sides, adjusted, strict=True):
        low = high = None
        if difference is not None and difference.p_value is not None and level is not None:
            half = t_quantile(level, difference.df) * difference.se
            low, high = difference.estimate - half, difference.estimate + half
        rows.append(
            ComparisonRow(
                indicator="sipas" if spec.kind == "overall" else f"element:{spec.code}",
                metric=spec.code,
                kind=spec.kind,
                name=selected.names.get(spec.code, spec.code),
                estimate=a,
                other=b,
                difference=difference,
                adjusted_low=low,
                adjusted_high=high,
                call=_call(a, b, difference),
            )
        )
    parent_total: list[tuple[str, Estimate]] = []
    if windows is None:  # against the parent: its figure over the whole subtree, from the same sums
        mapping = [0 if key[0] == 1 else -1 for key in sums.keys]
        if any(value == 0 for value in mapping):
            merged = merge_domains(sums.table, mapping)
            whole = estimate_domains(
                merged, strata, items, indices, domains=1, level=filters.level, method=filters.method
            )[0]
            codes = {spec.code for spec in wanted}
            parent_total = [(indicator_of(e), e) for e in whole if e.metric in codes]
    return _Found(rows, parent_total, len(tested), significant, level)


def _call(a: Estimate | None, b: Estimate | None, difference: Difference | None) -> Call:
    if a is None or b is None:
        return "no_data"
    if difference is None:
        return "insufficient_data"
    if not difference.significant or difference.p_value is None:
        return "not_distinguishable"
    return "up" if difference.estimate > 0 else "down"
