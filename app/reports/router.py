"""``/api/v1/satisfaction``, ``/rankings``, ``/trends``: officials' figures as JSON, CSV or XLSX.

Thin: parse the query, call :mod:`app.reports.satisfaction`, shape rows with :func:`app.reports.output.row` (the
same columns ``sipas stats`` prints), audit downloads.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from app.audit.service import record_download
from app.cells import MEDIA
from app.deps import FormsDep, SessionDep
from app.directory.models import AgencyLevel
from app.errors import Invalid
from app.officials.deps import CallerDep, client_ip
from app.reports import downloads
from app.reports.output import row as estimate_row
from app.reports.query import COVERAGE, Meta
from app.reports.rankings import Rankings, rankings
from app.reports.satisfaction import GROUPS, Result, Row, satisfaction
from app.reports.schemas import (
    ESTIMATE_COLUMNS,
    DifferenceOut,
    MetaOut,
    OutputFormat,
    RankedOut,
    RankingsOut,
    SatisfactionOut,
    TrendOut,
    TrendPointOut,
)
from app.reports.trends import Trend, trends
from app.responses.models import Channel
from app.responses.selection import Filters, Source
from app.stats.comparisons import Difference
from app.stats.intervals import METHODS, Method

router = APIRouter(prefix="/api/v1", tags=["satisfaction"])

KEY_COLUMNS = {
    "agency": ["agency", "agency_name"],
    "counter": ["counter", "counter_name"],
    "month": ["month"],
    "quarter": ["quarter"],
    "channel": ["channel"],
}


def _groups(values: list[str]) -> list[str]:
    groups = [part.strip() for value in values for part in value.split(",") if part.strip()]
    unknown = [group for group in groups if group not in GROUPS]
    if unknown:
        raise Invalid(f"/query/group_by: {', '.join(map(repr, unknown))} is not one of {', '.join(GROUPS)}")
    return list(dict.fromkeys(groups))


def _meta(meta: Meta) -> MetaOut:
    return MetaOut(**asdict(meta))


def flat(found: Row) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for group, value in found.keys.items():
        out[group] = value
        if group in found.names:
            out[f"{group}_name"] = found.names[group]
    out.update(estimate_row({}, found.estimate))
    out["indicator"] = found.indicator
    out["name"] = found.name
    out["unreliable"] = found.estimate.unreliable
    return out


def _difference(found: Difference | None) -> DifferenceOut | None:
    if found is None:
        return None
    return DifferenceOut(
        estimate_pct=found.estimate * 100,
        ci_low_pct=found.low * 100,
        ci_high_pct=found.high * 100,
        se_pct=found.se * 100,
        df=found.df,
        p_value=found.p_value,
        p_value_adjusted=found.p_adjusted,
        significant=found.significant,
    )


def _download(
    request: Request,
    caller: CallerDep,
    session: SessionDep,
    *,
    fmt: Literal["csv", "xlsx"],
    name: str,
    columns: list[str],
    rows: list[dict[str, Any]],
) -> Response:
    record_download(
        session,
        actor=caller.official.username,
        official_id=caller.official.id,
        what=name,
        file_format=fmt,
        rows=len(rows),
        query=str(request.url.query),
        client_ip=client_ip(request),
    )
    notes = [COVERAGE["vi"], COVERAGE["en"]]
    return downloads.download(fmt, columns, rows, filename=f"sipas-{name}-{date.today().isoformat()}", notes=notes)


# The filters every figure endpoint takes.
AgencyQ = Annotated[
    str | None, Query(description="Agency code; default: the whole scope of the official", examples=["MA"])
]
SubtreeQ = Annotated[bool, Query(description="Include the agencies below it")]
FromQ = Annotated[date | None, Query(alias="from", description="First day (local date), inclusive")]
ToQ = Annotated[date | None, Query(alias="to", description="Last day (local date), inclusive")]
FormQ = Annotated[
    str | None,
    Query(description="ID or ID@VERSION; default: the form most answered in the selection", examples=["counter-quick"]),
]
ChannelQ = Annotated[Channel | None, Query(description="Only responses of this channel (a domain of the design)")]
FieldQ = Annotated[str | None, Query(description="Only this procedure field (code)")]
MethodQ = Annotated[str, Query(description=f"Interval method: {', '.join(METHODS)}")]
LevelQ = Annotated[float, Query(ge=0.5, lt=1, description="Confidence level")]
WeightedQ = Annotated[bool | None, Query(description="Weight by population counts (default: when they exist)")]
FormatQ = Annotated[OutputFormat, Query(description="json, or a csv / xlsx download of the rows")]
SourceQ = Annotated[
    Source | None,
    Query(
        description="live (QR, kiosk, interview: the live design) or import (survey "
        "files, each with its own design); required when the selection "
        "holds both"
    ),
]


@dataclass(frozen=True)
class ReportQuery:
    """What every figure endpoint is asked, parsed once (a dependency): the selection, the interval method, the
    weighting, the source and the output format. Each endpoint adds its own (``subtree``, the confidence level)."""

    agency: str | None
    date_from: date | None
    date_to: date | None
    form: str | None
    channel: Channel | None
    procedure_field: str | None
    method: Method
    weighted: bool | None
    format: OutputFormat
    source: Source | None

    def filters(self, *, level: float, subtree: bool = True) -> Filters:
        """The filters of this query at a confidence ``level``."""
        return Filters(
            agency=self.agency,
            subtree=subtree,
            date_from=self.date_from,
            date_to=self.date_to,
            form=self.form,
            channel=self.channel,
            procedure_field=self.procedure_field,
            method=self.method,
            level=level,
            weighted=self.weighted,
            source=self.source,
        )


def report_query(
    *,
    agency: AgencyQ = None,
    date_from: FromQ = None,
    date_to: ToQ = None,
    form: FormQ = None,
    channel: ChannelQ = None,
    procedure_field: FieldQ = None,
    method: MethodQ = "beta",
    weighted: WeightedQ = None,
    format: FormatQ = "json",
    source: SourceQ = None,
) -> ReportQuery:
    if method not in METHODS:
        raise Invalid(f"/query/method: {method!r} is not one of {', '.join(METHODS)}")
    chosen: Method = method  # type: ignore[assignment]
    return ReportQuery(agency, date_from, date_to, form, channel, procedure_field, chosen, weighted, format, source)


ReportQueryDep = Annotated[ReportQuery, Depends(report_query)]


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
    session: SessionDep,
    forms: FormsDep,
    query: ReportQueryDep,
    subtree: SubtreeQ = True,
    group_by: Annotated[list[str], Query(description=f"Any of {', '.join(GROUPS)} (repeat or comma-separate)")] = [],  # noqa: B006
    level: LevelQ = 0.95,
) -> Any:
    """Weighted satisfaction rates and SIPAS indices with design-based intervals, per group. ``element`` and
    ``item`` choose the metrics (element and component indices, items); without them each row is the overall
    index. Flagged responses (suspected spam, test) never count; they are reported in ``meta``."""
    groups = _groups(group_by)
    result: Result = satisfaction(session, caller.scope, forms, query.filters(level=level, subtree=subtree), groups)
    rows = [flat(found) for found in result.rows]
    if query.format != "json":
        keys = [column for group in groups for column in KEY_COLUMNS.get(group, [])]
        return _download(
            request, caller, session, fmt=query.format, name="satisfaction", columns=keys + ESTIMATE_COLUMNS, rows=rows
        )
    return SatisfactionOut(
        meta=_meta(result.meta),
        rows=rows,
        total=[flat(found) for found in result.total],
        total_mean_of_units=[flat(found) for found in result.unit_mean],
    )


NOT_FOUND: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not logged in"},
    404: {"description": "No such agency (or not yours)"},
}
# format=csv or format=xlsx: the same rows as a download.
DOWNLOADS: dict[int | str, dict[str, Any]] = {200: {"content": {"text/csv": {}, MEDIA["xlsx"]: {}}}}


@router.get("/rankings", response_model=RankingsOut, responses={**DOWNLOADS, **NOT_FOUND})
def get_rankings(
    *,
    request: Request,
    caller: CallerDep,
    session: SessionDep,
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
            change=_difference(item.change),
            distinct_from_next=item.distinct_from_next,
            difference_to_next=_difference(item.next_difference),
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
        return _download(request, caller, session, fmt=query.format, name="rankings", columns=columns, rows=flat_rows)
    return RankingsOut(
        meta=_meta(found.meta),
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
    session: SessionDep,
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
            change=_difference(p.change),
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
        return _download(request, caller, session, fmt=query.format, name="trends", columns=columns, rows=flat_rows)
    return TrendOut(meta=_meta(found.meta), period=found.period, indicator=found.indicator, points=points)
