"""``/api/v1/satisfaction``, ``/rankings``, ``/trends``: officials' figures as JSON, CSV or XLSX.

Thin: parse the query, call :mod:`app.reports.satisfaction`, shape rows with :func:`app.reports.output.row` (the
same columns ``sipas stats`` prints), audit downloads.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from app.audit.service import record
from app.deps import FormsDep, SessionDep
from app.directory.models import AgencyLevel
from app.errors import Invalid
from app.officials.deps import CallerDep, client_ip
from app.reports import exports
from app.reports.output import row as estimate_row
from app.reports.query import COVERAGE, Filters, Meta, Source
from app.reports.rankings import Rankings, rankings
from app.reports.satisfaction import GROUPS, Result, Row, satisfaction
from app.reports.trends import Trend, trends
from app.responses.models import Channel
from app.stats.comparisons import Difference
from app.stats.intervals import METHODS, Method

router = APIRouter(prefix="/api/v1", tags=["satisfaction"])

OutputFormat = Literal["json", "csv", "xlsx"]
ESTIMATE_COLUMNS = [
    *("indicator", "metric", "kind", "name", "estimate_pct", "ci_low_pct", "ci_high_pct", "se_pct", "n", "n_eff"),
    *("deff", "deff_reference", "df", "target_pct", "verdict", "p_value_below_target", "flags", "unreliable"),
    *("method", "level"),
]
KEY_COLUMNS = {
    "agency": ["agency", "agency_name"],
    "counter": ["counter", "counter_name"],
    "month": ["month"],
    "quarter": ["quarter"],
    "channel": ["channel"],
}

ROW_EXAMPLE: dict[str, Any] = {
    "agency": "MA-SCT",
    "agency_name": "Sở Công Thương",
    "indicator": "sipas",
    "metric": "sipas",
    "kind": "overall",
    "name": "Chỉ số hài lòng về sự phục vụ hành chính",
    "estimate_pct": 77.49,
    "ci_low_pct": 75.66,
    "ci_high_pct": 79.25,
    "se_pct": 0.91,
    "n": 615,
    "n_eff": 428.3,
    "deff": 1.43,
    "deff_reference": "srswor",
    "df": 103,
    "target_pct": 86.0,
    "verdict": "not_met",
    "p_value_below_target": 1.0,
    "flags": [],
    "unreliable": False,
    "method": "beta",
    "level": 0.95,
}


class MetaOut(BaseModel):
    form: str = Field(description="The form (id@version) whose definitions give the indices")
    date_from: date | None
    date_to: date | None
    agency: str | None = Field(description="The agency asked about (its subtree unless subtree=false)")
    weighted: bool
    method: str
    level: float
    responses: int = Field(description="Responses in the selection (flagged ones excluded)")
    excluded_suspected_spam: int
    excluded_test: int
    responses_without_population_count: int = Field(description="Weighted: responses given the overall ΣN/Σn")
    last_response_date: date | None = Field(
        description="Newest response in the selection; without `to`, the targets in force that day judge the figures"
    )
    source: str = Field(description="live (QR code, kiosk, interview) or import (survey files, their own design)")
    design: str
    agencies_without_population_count: list[str] = Field(
        description="Weighted: agencies with responses in months without a population count (given the overall ΣN/Σn)"
    )
    recent_count_changes: list[dict[str, Any]] = Field(
        description="Weighted: population counts of these agencies and period changed in the last 30 days (agency, "
        "procedure_field, period_start, period_end, old, new, by, at, reason, action, confirmed_outlier)"
    )
    with_suspected_spam_pct: dict[str, float] = Field(
        description="When suspected spam was left out: each total indicator's estimate (%) had it been counted"
    )
    coverage: dict[str, str] = Field(
        description="What the interval does not cover (vi, en): it is sampling error only, not who chooses to answer"
    )


class SatisfactionOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"rows": [ROW_EXAMPLE], "total": []}]})

    meta: MetaOut
    rows: list[dict[str, Any]] = Field(description="One row per group and metric: " + ", ".join(ESTIMATE_COLUMNS))
    total: list[dict[str, Any]] = Field(description="The same metrics for the whole selection")
    total_mean_of_units: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Grouped by agency alone (no channel or field filter): the published convention, the plain mean "
        "of the agencies' values per indicator (each agency counts once), with the interval of that mean",
    )


class DifferenceOut(BaseModel):
    estimate_pct: float
    ci_low_pct: float = Field(description="Unadjusted interval of the difference")
    ci_high_pct: float
    se_pct: float
    df: int
    p_value: float | None = Field(description="Two-sided p-value of 'no difference', before adjustment")
    p_value_adjusted: float | None = Field(
        description="Benjamini–Hochberg p-value over every comparison of this answer; `significant` uses it"
    )
    significant: bool


class RankedOut(BaseModel):
    rank: int | None = Field(description="null: the estimate is unreliable (NCHS rule), so it is listed unranked")
    agency: str
    agency_name: str
    estimate: dict[str, Any]
    previous: dict[str, Any] | None = Field(description="The same index in the previous period of equal length")
    change: DifferenceOut | None = Field(description="This period − the previous one, with its interval")
    distinct_from_next: bool | None = Field(
        description="Whether this agency's index is statistically different from the next one's (null: last)"
    )
    difference_to_next: DifferenceOut | None


class RankingsOut(BaseModel):
    meta: MetaOut
    level: str
    indicator: str
    previous_from: date | None
    previous_to: date | None
    rows: list[RankedOut]


class TrendPointOut(BaseModel):
    period: str
    estimate: dict[str, Any]
    change: DifferenceOut | None
    alerts: list[str] = Field(
        description="significant_drop (below the previous period after the Benjamini–Hochberg adjustment over the "
        "series; only between reliable points), below_target (not_met)"
    )


class TrendOut(BaseModel):
    meta: MetaOut
    period: str
    indicator: str
    points: list[TrendPointOut]


def _filters(
    agency: str | None,
    subtree: bool,
    date_from: date | None,
    date_to: date | None,
    form: str | None,
    channel: Channel | None,
    procedure_field: str | None,
    method: str,
    level: float,
    weighted: bool | None,
    source: Source | None = None,
) -> Filters:
    if method not in METHODS:
        raise Invalid(f"/query/method: {method!r} is not one of {', '.join(METHODS)}")
    chosen: Method = method  # type: ignore[assignment]
    return Filters(
        agency=agency,
        subtree=subtree,
        date_from=date_from,
        date_to=date_to,
        form=form,
        channel=channel,
        procedure_field=procedure_field,
        method=chosen,
        level=level,
        weighted=weighted,
        source=source,
    )


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
    fmt: Literal["csv", "xlsx"],
    name: str,
    columns: list[str],
    rows: list[dict[str, Any]],
) -> Response:
    record(
        session,
        action="export",
        actor=caller.official.username,
        official_id=caller.official.id,
        object_type=name,
        details={"format": fmt, "rows": len(rows), "query": str(request.url.query)},
        client_ip=client_ip(request),
    )
    session.commit()
    notes = [COVERAGE["vi"], COVERAGE["en"]]
    return exports.download(fmt, columns, rows, filename=f"sipas-{name}-{date.today().isoformat()}", notes=notes)


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


@router.get(
    "/satisfaction",
    response_model=SatisfactionOut,
    responses={
        200: {"content": {"text/csv": {}, exports.MEDIA["xlsx"]: {}}},
        401: {"description": "Not logged in"},
        404: {"description": "No such agency (or not yours)"},
        422: {"description": "A parameter is wrong; the message names it"},
    },
)
def get_satisfaction(
    request: Request,
    caller: CallerDep,
    session: SessionDep,
    forms: FormsDep,
    agency: AgencyQ = None,
    subtree: SubtreeQ = True,
    date_from: FromQ = None,
    date_to: ToQ = None,
    form: FormQ = None,
    channel: ChannelQ = None,
    procedure_field: FieldQ = None,
    group_by: Annotated[list[str], Query(description=f"Any of {', '.join(GROUPS)} (repeat or comma-separate)")] = [],  # noqa: B006
    method: MethodQ = "beta",
    level: LevelQ = 0.95,
    weighted: WeightedQ = None,
    format: FormatQ = "json",
    source: SourceQ = None,
) -> Any:
    """Weighted satisfaction rates and SIPAS indices with design-based intervals, per group. ``element`` and
    ``item`` choose the metrics (element and component indices, items); without them each row is the overall
    index. Flagged responses (suspected spam, test) never count; they are reported in ``meta``."""
    groups = _groups(group_by)
    filters = _filters(
        agency, subtree, date_from, date_to, form, channel, procedure_field, method, level, weighted, source
    )
    result: Result = satisfaction(session, caller.scope, forms, filters, groups)
    rows = [flat(found) for found in result.rows]
    if format != "json":
        keys = [column for group in groups for column in KEY_COLUMNS.get(group, [])]
        return _download(request, caller, session, format, "satisfaction", keys + ESTIMATE_COLUMNS, rows)
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
DOWNLOADS: dict[int | str, dict[str, Any]] = {200: {"content": {"text/csv": {}, exports.MEDIA["xlsx"]: {}}}}


@router.get("/rankings", response_model=RankingsOut, responses={**DOWNLOADS, **NOT_FOUND})
def get_rankings(
    request: Request,
    caller: CallerDep,
    session: SessionDep,
    forms: FormsDep,
    agency: AgencyQ = None,
    level: Annotated[
        AgencyLevel | None, Query(description="Rank agencies of this level; default: the children of the agency")
    ] = None,
    indicator: Annotated[str, Query(description="sipas, a component code, element:CODE or item:CODE")] = "sipas",
    date_from: FromQ = None,
    date_to: ToQ = None,
    form: FormQ = None,
    channel: ChannelQ = None,
    procedure_field: FieldQ = None,
    method: MethodQ = "beta",
    level_ci: Annotated[float, Query(alias="confidence", ge=0.5, lt=1, description="Confidence level")] = 0.95,
    weighted: WeightedQ = None,
    format: FormatQ = "json",
    source: SourceQ = None,
) -> Any:
    """Agencies ranked by an index with intervals; ``distinct_from_next`` says whether the next agency's index is
    statistically different (if not, their order is not evidence); ``change`` compares with the previous period
    of the same length (given ``from`` and ``to``)."""
    # The previous period of the same length must be calendar dates too (not before year 1).
    if date_from is not None and date_to is not None and (date_from - date.min) <= (date_to - date_from):
        raise Invalid(
            f"/query/from: the period before {date_from.isoformat()}–{date_to.isoformat()}, of the same "
            "length, would start before year 1; give a later from or a shorter period"
        )
    filters = _filters(
        agency, True, date_from, date_to, form, channel, procedure_field, method, level_ci, weighted, source
    )
    found: Rankings = rankings(session, caller.scope, forms, filters, level=level, indicator=indicator)
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
    if format != "json":
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
        return _download(request, caller, session, format, "rankings", columns, flat_rows)
    return RankingsOut(
        meta=_meta(found.meta),
        level=found.level,
        indicator=found.indicator,
        previous_from=found.previous_from,
        previous_to=found.previous_to,
        rows=rows,
    )


@router.get("/trends", response_model=TrendOut, responses={**DOWNLOADS, **NOT_FOUND})
def get_trends(
    request: Request,
    caller: CallerDep,
    session: SessionDep,
    forms: FormsDep,
    agency: AgencyQ = None,
    subtree: SubtreeQ = True,
    period: Annotated[Literal["month", "quarter"], Query()] = "month",
    indicator: Annotated[str, Query(description="sipas, a component code, element:CODE or item:CODE")] = "sipas",
    date_from: FromQ = None,
    date_to: ToQ = None,
    form: FormQ = None,
    channel: ChannelQ = None,
    procedure_field: FieldQ = None,
    method: MethodQ = "beta",
    level: LevelQ = 0.95,
    weighted: WeightedQ = None,
    format: FormatQ = "json",
    source: SourceQ = None,
) -> Any:
    """A monthly or quarterly series with intervals; alerts when a period is significantly below the previous one
    (the interval of the difference lies below zero) or below its target."""
    filters = _filters(
        agency, subtree, date_from, date_to, form, channel, procedure_field, method, level, weighted, source
    )
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
    if format != "json":
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
        return _download(request, caller, session, format, "trends", columns, flat_rows)
    return TrendOut(meta=_meta(found.meta), period=found.period, indicator=found.indicator, points=points)
