"""``/api/v1/satisfaction``, ``/rankings``, ``/trends``, ``/comparisons``: officials' figures as JSON, CSV or XLSX
(the citizens' voice, ``/reasons`` and ``/comments``, is app/reports/router_voice.py).

Thin: parse the query (app/reports/api.py), call :mod:`app.reports.satisfaction`, shape rows with
:func:`app.reports.output.row` (the same columns ``sipas stats`` prints), audit downloads.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request

from app.cells import MEDIA
from app.deps import FormsDep, ReportsSessionDep, SessionDep, SettingsDep
from app.directory.models import AgencyLevel
from app.errors import Invalid
from app.officials.deps import CallerDep
from app.reports import downloads
from app.reports.api import (
    DOWNLOADS,
    KEY_COLUMNS,
    NOT_FOUND,
    AgencyQ,
    ChannelQ,
    FieldQ,
    FormQ,
    FromQ,
    LevelQ,
    MethodQ,
    ReportQueryDep,
    SourceQ,
    SubtreeQ,
    ToQ,
    WeightedQ,
    difference_out,
    download,
    flat,
    groups_of,
    meta_out,
)
from app.reports.comparisons import AGAINST, Against, Comparison, compare_agency
from app.reports.output import row as estimate_row
from app.reports.rankings import Rankings, rankings
from app.reports.satisfaction import GROUP_BY_HELP, Result, satisfaction
from app.reports.schemas import (
    ESTIMATE_COLUMNS,
    ComparedAgencyOut,
    ComparedDifferenceOut,
    ComparisonOut,
    ComparisonRowOut,
    RankedOut,
    RankingsOut,
    SatisfactionOut,
    TrendOut,
    TrendPointOut,
)
from app.reports.trends import Trend, trends
from app.responses.selection import Filters
from app.stats.comparisons import Difference
from app.stats.estimates import Estimate
from app.stats.intervals import METHODS, Method

router = APIRouter(prefix="/api/v1", tags=["satisfaction"])


@router.get(
    "/satisfaction",
    response_model=SatisfactionOut,
    responses={
        200: {"content": {"text/csv": {}, MEDIA["xlsx"]: {}}},
        401: {"description": "Not logged in"},
        404: {"description": "No such agency (or not yours)"},
        422: {"description": "A parameter is wrong; the message names it"},
    },
)
def get_satisfaction(
    *,
    request: Request,
    caller: CallerDep,
    session: ReportsSessionDep,
    primary: SessionDep,
    forms: FormsDep,
    settings: SettingsDep,
    query: ReportQueryDep,
    subtree: SubtreeQ = True,
    group_by: Annotated[list[str], Query(description=GROUP_BY_HELP)] = [],  # noqa: B006
    level: LevelQ = 0.95,
) -> Any:
    """Weighted satisfaction rates and SIPAS indices with design-based intervals, per group. ``element`` and
    ``item`` choose the metrics (element and component indices, items); without them each row is the overall
    index. Flagged responses (suspected spam, test) never count; they are reported in ``meta``."""
    groups = groups_of(group_by)
    filters = query.filters(level=level, subtree=subtree)
    result: Result = satisfaction(session, caller.scope, forms, filters, groups, zone=settings.zone)
    rows = [flat(found) for found in result.rows]
    if query.format != "json":
        keys = [column for group in groups for column in KEY_COLUMNS.get(group, [])]
        return download(
            request,
            caller,
            primary,
            session,
            fmt=query.format,
            name="satisfaction",
            columns=keys + ESTIMATE_COLUMNS,
            rows=rows,
            meta=result.meta,
            lang=query.lang,
            totals=downloads.totals(
                groups, [flat(found) for found in result.total], [flat(found) for found in result.unit_mean]
            ),
            groups=groups,
        )
    return SatisfactionOut(
        meta=meta_out(result.meta, session),
        rows=rows,
        total=[flat(found) for found in result.total],
        total_mean_of_units=[flat(found) for found in result.unit_mean],
    )


@router.get("/rankings", response_model=RankingsOut, responses={**DOWNLOADS, **NOT_FOUND})
def get_rankings(
    *,
    request: Request,
    caller: CallerDep,
    session: ReportsSessionDep,
    primary: SessionDep,
    forms: FormsDep,
    query: ReportQueryDep,
    agency_level: Annotated[
        AgencyLevel | None,
        Query(alias="level", description="Rank agencies of this level; default: the children of the agency"),
    ] = None,
    indicator: Annotated[str, Query(description="sipas, a component code, element:CODE or item:CODE")] = "sipas",
    level: Annotated[float, Query(alias="confidence", ge=0.5, lt=1, description="Confidence level")] = 0.95,
) -> Any:
    """Agencies ranked by an index with intervals; ``distinct_from_next`` says whether the next agency's index is
    statistically different (if not, their order is not evidence); ``change`` compares with the previous period
    of the same length (given ``from`` and ``to``)."""
    # The previous period of the same length must be calendar dates too (not before year 1).
    start, end = query.date_from, query.date_to
    if start is not None and end is not None and (start - date.min) <= (end - start):
        raise Invalid(
            f"/query/from: the period before {start.isoformat()}–{end.isoformat()}, of the same "
            "length, would start before year 1; give a later from or a shorter period"
        )
    filters = query.filters(level=level)
    found: Rankings = rankings(session, caller.scope, forms, filters, agency_level=agency_level, indicator=indicator)
    rows = [
        RankedOut(
            rank=item.rank,
            agency=item.agency.code,
            agency_name=item.agency.name_vi,
            estimate=estimate_row({}, item.estimate) | {"unreliable": item.estimate.unreliable},
            previous=estimate_row({}, item.previous) if item.previous else None,
            change=difference_out(item.change),
            distinct_from_next=item.distinct_from_next,
            difference_to_next=difference_out(item.next_difference),
        )
        for item in found.rows
    ]
    if query.format != "json":
        flat_rows = [
            {
                "rank": r.rank,
                "agency": r.agency,
                "agency_name": r.agency_name,
                **r.estimate,
                "change_pct": r.change.estimate_pct if r.change else None,
                "change_significant": r.change.significant if r.change else None,
                "distinct_from_next": r.distinct_from_next,
            }
            for r in rows
        ]
        columns = [
            "rank",
            "agency",
            "agency_name",
            *ESTIMATE_COLUMNS[4:],
            "change_pct",
            "change_significant",
            "distinct_from_next",
        ]
        return download(
            request,
            caller,
            primary,
            session,
            fmt=query.format,
            name="rankings",
            columns=columns,
            rows=flat_rows,
            meta=found.meta,
            lang=query.lang,
            indicator=found.indicator,
            previous=(found.previous_from, found.previous_to),
        )
    return RankingsOut(
        meta=meta_out(found.meta, session),
        level=found.agency_level,
        indicator=found.indicator,
        previous_from=found.previous_from,
        previous_to=found.previous_to,
        rows=rows,
    )


@router.get("/trends", response_model=TrendOut, responses={**DOWNLOADS, **NOT_FOUND})
def get_trends(
    *,
    request: Request,
    caller: CallerDep,
    session: ReportsSessionDep,
    primary: SessionDep,
    forms: FormsDep,
    query: ReportQueryDep,
    subtree: SubtreeQ = True,
    period: Annotated[Literal["month", "quarter"], Query()] = "month",
    indicator: Annotated[str, Query(description="sipas, a component code, element:CODE or item:CODE")] = "sipas",
    level: LevelQ = 0.95,
) -> Any:
    """A monthly or quarterly series with intervals; alerts when a period is significantly below the previous one
    (the interval of the difference lies below zero) or below its target."""
    filters = query.filters(level=level, subtree=subtree)
    found: Trend = trends(session, caller.scope, forms, filters, period=period, indicator=indicator)
    points = [
        TrendPointOut(
            period=p.period,
            estimate=estimate_row({}, p.estimate) | {"unreliable": p.estimate.unreliable},
            change=difference_out(p.change),
            alerts=list(p.alerts),
        )
        for p in found.points
    ]
    if query.format != "json":
        flat_rows = [
            {
                "period": p.period,
                **p.estimate,
                "change_pct": p.change.estimate_pct if p.change else None,
                "alerts": p.alerts,
            }
            for p in points
        ]
        columns = ["period", *ESTIMATE_COLUMNS[4:], "change_pct", "alerts"]
        return download(
            request,
            caller,
            primary,
            session,
            fmt=query.format,
            name="trends",
            columns=columns,
            rows=flat_rows,
            meta=found.meta,
            lang=query.lang,
            indicator=found.indicator,
            period=found.period,
        )
    return TrendOut(meta=meta_out(found.meta, session), period=found.period, indicator=found.indicator, points=points)


COMPARISON_ERRORS: dict[int | str, dict[str, Any]] = {
    **NOT_FOUND,
    403: {"description": "against=parent when the agency above is outside the caller's scope"},
    422: {"description": "A parameter is wrong (against, a missing from or to, a period over a year); it is named"},
}


@router.get("/comparisons", response_model=ComparisonOut, responses=COMPARISON_ERRORS)
def get_comparisons(
    *,
    caller: CallerDep,
    session: ReportsSessionDep,
    forms: FormsDep,
    against: Annotated[
        str,
        Query(
            description="previous (the period of the same length before), last_year (the same period a year "
            "earlier) or parent (the rest of the parent's subtree in the same period)"
        ),
    ],
    agency: AgencyQ = None,
    date_from: FromQ = None,
    date_to: ToQ = None,
    form: FormQ = None,
    channel: ChannelQ = None,
    procedure_field: FieldQ = None,
    method: MethodQ = "beta",
    weighted: WeightedQ = None,
    source: SourceQ = None,
    level: LevelQ = 0.95,
) -> Any:
    """The agency (with its subtree) in ``from``–``to`` compared with the previous period, the same period a year
    earlier or the rest of its parent's subtree: the SIPAS index and each element with both estimates, the difference
    in points with its interval and the interval adjusted over the rows (Benjamini–Hochberg), and a call (``up``,
    ``down``) only where the adjusted interval excludes 0; unreliable estimates get no call."""
    if against not in AGAINST:
        raise Invalid(f"/query/against: {against!r} is not one of {', '.join(AGAINST)}")
    if method not in METHODS:
        raise Invalid(f"/query/method: {method!r} is not one of {', '.join(METHODS)}")
    chosen: Against = against
    interval: Method = method  # type: ignore[assignment]
    filters = Filters(
        agency=agency,
        date_from=date_from,
        date_to=date_to,
        form=form,
        channel=channel,
        procedure_field=procedure_field,
        method=interval,
        level=level,
        weighted=weighted,
        source=source,
    )
    found: Comparison = compare_agency(session, scope=caller.scope, forms=forms, filters=filters, against=chosen)
    return ComparisonOut(
        meta=meta_out(found.meta, session),
        against=found.against,
        agency=found.agency.code,
        agency_name=found.agency.name_vi,
        date_from=found.date_from,
        date_to=found.date_to,
        other_from=found.other_from,
        other_to=found.other_to,
        parent=ComparedAgencyOut(agency=found.parent.code, agency_name=found.parent.name_vi) if found.parent else None,
        family=found.family,
        significant=found.significant,
        adjusted_level=found.adjusted_level,
        rows=[
            ComparisonRowOut(
                indicator=row.indicator,
                metric=row.metric,
                kind=row.kind,
                name=row.name,
                estimate=_compared(row.estimate),
                other=_compared(row.other),
                difference=_adjusted(row.difference, row.adjusted_low, row.adjusted_high),
                call=row.call,
            )
            for row in found.rows
        ],
        parent_total=[
            {"indicator": indicator, **estimate_row({}, estimate), "unreliable": estimate.unreliable}
            for indicator, estimate in found.parent_total
        ],
    )


def _compared(estimate: Estimate | None) -> dict[str, Any] | None:
    return None if estimate is None else estimate_row({}, estimate) | {"unreliable": estimate.unreliable}


def _adjusted(found: Difference | None, low: float | None, high: float | None) -> ComparedDifferenceOut | None:
    plain = difference_out(found)
    if plain is None or found is None:
        return None
    return ComparedDifferenceOut(
        **plain.model_dump(),
        adjusted_ci_low_pct=None if low is None else low * 100,
        adjusted_ci_high_pct=None if high is None else high * 100,
        variance_fallback=found.variance_fallback,
    )
