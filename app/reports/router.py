"""``/api/v1/satisfaction``, ``/rankings``, ``/trends``: officials' figures as JSON, CSV or XLSX.

Thin: parse the query, call :mod:`app.reports.satisfaction`, shape rows with :func:`app.reports.output.row` (the
same columns ``sipas stats`` prints), audit downloads.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from app.audit.service import record_download
from app.cells import MEDIA
from app.deps import FormsDep, SessionDep, SettingsDep, get_settings_dep
from app.directory.models import AgencyLevel
from app.errors import Invalid
from app.officials.deps import AdminDep, CallerDep, client_ip
from app.reports import downloads, schemas, voice
from app.reports.comparisons import AGAINST, Against, Comparison, compare_agency
from app.reports.output import row as estimate_row
from app.reports.query import Meta
from app.reports.rankings import Rankings, rankings
from app.reports.satisfaction import GROUP_BY_HELP, GROUPS, PROFILE_GROUPS, Result, Row, satisfaction
from app.reports.schemas import (
    ESTIMATE_COLUMNS,
    ComparedAgencyOut,
    ComparedDifferenceOut,
    ComparisonOut,
    ComparisonRowOut,
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
from app.stats.estimates import Estimate
from app.stats.intervals import METHODS, Method

router = APIRouter(prefix="/api/v1", tags=["satisfaction"])

KEY_COLUMNS = {
    "agency": ["agency", "agency_name"],
    "counter": ["counter", "counter_name"],
    "month": ["month"],
    "quarter": ["quarter"],
    "channel": ["channel"],
    "procedure_field": ["procedure_field", "procedure_field_name"],
    "hour": ["hour"],
    "weekday": ["weekday", "weekday_name"],
    **{group: [group, f"{group}_name"] for group in PROFILE_GROUPS},
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
    meta: Meta | None = None,
    lang: downloads.Lang = "vi",
    totals: Sequence[downloads.Total] = (),
    groups: Sequence[str] = (),
    indicator: str | None = None,
    period: str | None = None,
    previous: tuple[date | None, date | None] | None = None,
) -> Response:
    """CSV: the machine columns; XLSX: for people in ``lang``, titled from ``meta`` and what the figure is
    (:class:`app.reports.downloads.Table`), with its ``totals``. The file is named with the local date."""
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
    table = downloads.Table(
        name=name,
        columns=columns,
        rows=rows,
        meta=meta,
        groups=groups,
        indicator=indicator,
        period=period,
        previous=previous,
        totals=totals,
    )
    return downloads.download(session, fmt=fmt, table=table, lang=lang, zone=get_settings_dep(request).zone)


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
LangQ = Annotated[
    downloads.Lang,
    Query(
        description="XLSX download: headers, title and words in Vietnamese (vi) or English (en); CSV keeps the "
        "machine columns"
    ),
]
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
    lang: downloads.Lang = "vi"  # of an XLSX download's words (CSV keeps the machine columns)

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
    lang: LangQ = "vi",
) -> ReportQuery:
    if method not in METHODS:
        raise Invalid(f"/query/method: {method!r} is not one of {', '.join(METHODS)}")
    chosen: Method = method  # type: ignore[assignment]
    return ReportQuery(
        agency, date_from, date_to, form, channel, procedure_field, chosen, weighted, format, source, lang
    )


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
    settings: SettingsDep,
    query: ReportQueryDep,
    subtree: SubtreeQ = True,
    group_by: Annotated[list[str], Query(description=GROUP_BY_HELP)] = [],  # noqa: B006
    level: LevelQ = 0.95,
) -> Any:
    """Weighted satisfaction rates and SIPAS indices with design-based intervals, per group. ``element`` and
    ``item`` choose the metrics (element and component indices, items); without them each row is the overall
    index. Flagged responses (suspected spam, test) never count; they are reported in ``meta``."""
    groups = _groups(group_by)
    filters = query.filters(level=level, subtree=subtree)
    result: Result = satisfaction(session, caller.scope, forms, filters, groups, zone=settings.zone)
    rows = [flat(found) for found in result.rows]
    if query.format != "json":
        keys = [column for group in groups for column in KEY_COLUMNS.get(group, [])]
        return _download(
            request,
            caller,
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
        return _download(
            request,
            caller,
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
        return _download(
            request,
            caller,
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
    return TrendOut(meta=_meta(found.meta), period=found.period, indicator=found.indicator, points=points)


COMPARISON_ERRORS: dict[int | str, dict[str, Any]] = {
    **NOT_FOUND,
    403: {"description": "against=parent when the agency above is outside the caller's scope"},
    422: {"description": "A parameter is wrong (against, a missing from or to, a period over a year); it is named"},
}


@router.get("/comparisons", response_model=ComparisonOut, responses=COMPARISON_ERRORS)
def get_comparisons(
    *,
    caller: CallerDep,
    session: SessionDep,
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
        meta=_meta(found.meta),
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
    plain = _difference(found)
    if plain is None or found is None:
        return None
    return ComparedDifferenceOut(
        **plain.model_dump(),
        adjusted_ci_low_pct=None if low is None else low * 100,
        adjusted_ci_high_pct=None if high is None else high * 100,
        variance_fallback=found.variance_fallback,
    )


# --- the voice of the citizen: reasons, comments, their moderation (app/reports/voice.py) --------------------------

CounterQ = Annotated[
    str | None,
    Query(max_length=200, description="One counter: AGENCY/CODE, or CODE of `agency`", examples=["MA-X01/Q01"]),
]
VOICE_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not logged in"},
    404: {"description": "No such agency, form or counter (or not yours)"},
    422: {"description": "A parameter is wrong; the message names it"},
}
CSV_DOWNLOAD: dict[int | str, dict[str, Any]] = {200: {"content": {"text/csv": {}}}}
MASKED_NOTE = {
    "vi": "Thông tin cá nhân trong góp ý (số điện thoại, email, mã số, tên) đã được che.",
    "en": "Personal data in the comments (phone numbers, e-mail addresses, ID numbers, names) is masked.",
}


def _csv(
    request: Request,
    caller: CallerDep,
    session: SessionDep,
    settings: SettingsDep,
    *,
    name: str,
    columns: list[str],
    rows: list[dict[str, Any]],
    notes: Sequence[str],
) -> Response:
    """A CSV download (machine columns), audited before it is sent; named with the local date."""
    record_download(
        session,
        actor=caller.official.username,
        official_id=caller.official.id,
        what=name,
        file_format="csv",
        rows=len(rows),
        query=str(request.url.query),
        client_ip=client_ip(request),
    )
    filename = f"sipas-{name}-{datetime.now(settings.zone).date().isoformat()}.csv"
    return Response(
        downloads.to_csv(columns, rows, notes),
        media_type=MEDIA["csv"],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _reason_option(share: voice.ReasonShare) -> schemas.ReasonOptionOut:
    found = share.estimate
    return schemas.ReasonOptionOut(
        option=share.option,
        label=share.label.vi,
        label_en=share.label.en,
        count=share.count,
        share_pct=found.estimate * 100 if found else None,
        ci_low_pct=found.low * 100 if found else None,
        ci_high_pct=found.high * 100 if found else None,
        se_pct=found.se * 100 if found else None,
        n_eff=found.n_eff if found and math.isfinite(found.n_eff) else None,
        deff=found.deff if found and math.isfinite(found.deff) else None,
        df=found.df if found else None,
        flags=list(found.flags) if found else [],
        unreliable=found.unreliable if found else True,
        method=found.method if found else None,
        level=found.level if found else None,
    )


@router.get("/reasons", response_model=schemas.ReasonsOut, responses={**CSV_DOWNLOAD, **VOICE_ERRORS}, tags=["voice"])
def get_reasons(
    *,
    request: Request,
    caller: CallerDep,
    session: SessionDep,
    settings: SettingsDep,
    forms: FormsDep,
    agency: AgencyQ = None,
    subtree: SubtreeQ = True,
    date_from: FromQ = None,
    date_to: ToQ = None,
    form: FormQ = None,
    channel: ChannelQ = None,
    procedure_field: FieldQ = None,
    counter: CounterQ = None,
    method: MethodQ = "beta",
    level: LevelQ = 0.95,
    weighted: WeightedQ = None,
    source: SourceQ = None,
    format: Annotated[Literal["json", "csv"], Query(description="json, or a csv download of the options")] = "json",
) -> Any:
    """Why citizens are dissatisfied: for each option of the form's reason question (asked after a dissatisfied
    answer), the answers that chose it and its weighted share among those who answered the question, with the
    interval and reliability flags of every figure (same design, weights and rule). Several reasons may be chosen:
    shares add up to more than 100%."""
    if method not in METHODS:
        raise Invalid(f"/query/method: {method!r} is not one of {', '.join(METHODS)}")
    filters = Filters(
        agency=agency,
        subtree=subtree,
        date_from=date_from,
        date_to=date_to,
        form=form,
        channel=channel,
        procedure_field=procedure_field,
        method=method,  # type: ignore[arg-type]
        level=level,
        weighted=weighted,
        source=source,
    )
    found = voice.reasons(session, scope=caller.scope, forms=forms, filters=filters, counter=counter)
    questions = [
        schemas.ReasonQuestionOut(
            item=tally.item,
            question=tally.question.vi,
            question_en=tally.question.en,
            asked_after_item=tally.after_item,
            asked_after_levels=list(tally.after_levels),
            asked=tally.asked,
            options=[_reason_option(share) for share in tally.shares],
        )
        for tally in found.tallies
    ]
    if format == "csv":
        rows = [
            {"item": question.item, "asked": question.asked, **option.model_dump()}
            for question in questions
            for option in question.options
        ]
        columns = ["item", "asked", *schemas.ReasonOptionOut.model_fields]
        notes = [found.meta.coverage["vi"], found.meta.coverage["en"]]
        return _csv(request, caller, session, settings, name="reasons", columns=columns, rows=rows, notes=notes)
    return schemas.ReasonsOut(meta=_meta(found.meta), counter=found.counter, questions=questions)


def _comment(entry: voice.CommentEntry) -> schemas.CommentOut:
    return schemas.CommentOut(
        response_id=entry.response_id,
        submitted_at=entry.submitted_at,
        local_date=entry.local_date,
        agency=entry.agency,
        agency_name=entry.agency_name.vi,
        counter=entry.counter,
        counter_name=entry.counter_name.vi if entry.counter_name else None,
        channel=entry.channel.value,
        answer=entry.lead_answer,
        text=entry.text,
        hidden=entry.hidden,
        moderated_by=entry.moderated_by,
        moderated_at=entry.moderated_at,
        moderation_reason=entry.moderation_reason,
    )


def _choice(choice: voice.Choice) -> schemas.CommentChoiceOut:
    return schemas.CommentChoiceOut(code=choice.code, name=choice.name.vi, levels=[value for value, _ in choice.levels])


COMMENT_COLUMNS = [
    *("response_id", "local_date", "submitted_at", "agency", "agency_name", "counter", "counter_name", "channel"),
    *("answer", "text"),
]


@router.get(
    "/comments",
    response_model=schemas.CommentsOut,
    responses={**CSV_DOWNLOAD, **VOICE_ERRORS, 403: {"description": "hidden=true: administrators only"}},
    tags=["voice"],
)
def get_comments(
    *,
    request: Request,
    caller: CallerDep,
    session: SessionDep,
    settings: SettingsDep,
    forms: FormsDep,
    agency: AgencyQ = None,
    subtree: SubtreeQ = True,
    date_from: FromQ = None,
    date_to: ToQ = None,
    form: FormQ = None,
    channel: ChannelQ = None,
    counter: CounterQ = None,
    element: Annotated[
        str | None,
        Query(max_length=64, description="An element code or a scale question's code (default: the lead question)"),
    ] = None,
    answer: Annotated[
        str | None, Query(max_length=64, description="Answer levels to that question: 1,2 or 1-2", examples=["1-2"])
    ] = None,
    q: Annotated[
        str | None,
        Query(max_length=voice.MAX_QUERY_LENGTH, description="Words to find, with or without diacritics (cham ~ chậm)"),
    ] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=voice.MAX_PER_PAGE)] = voice.PER_PAGE,
    hidden: Annotated[bool, Query(description="The hidden comments instead (administrators)")] = False,
    lang: Annotated[downloads.Lang, Query(description="The masks' language: [số điện thoại] or [phone number]")] = "vi",
    format: Annotated[
        Literal["json", "csv"], Query(description="json (one page), or csv: every matching comment")
    ] = "json",
) -> Any:
    """Citizens' comments, newest first, with personal data masked (phone numbers, e-mail addresses, ID and dossier
    numbers, names after "tôi là"/"tên tôi là"): the raw text is never sent. Suspected spam, test responses and
    comments hidden by an administrator are left out."""
    asked = voice.CommentFilters(
        selection=Filters(
            agency=agency, subtree=subtree, date_from=date_from, date_to=date_to, form=form, channel=channel
        ),
        counter=counter,
        element=element,
        answer=answer,
        q=q,
        page=page,
        per_page=per_page,
        hidden=hidden,
    )
    if format == "csv":
        entries = voice.all_comments(session, scope=caller.scope, forms=forms, asked=asked, lang=lang)
        rows = [_comment(entry).model_dump() for entry in entries]
        notes = [MASKED_NOTE[lang]]
        return _csv(
            request, caller, session, settings, name="comments", columns=COMMENT_COLUMNS, rows=rows, notes=notes
        )
    found = voice.comments(
        session, scope=caller.scope, forms=forms, asked=asked, lang=lang, hidden_allowed=caller.scope.is_admin
    )
    return schemas.CommentsOut(
        form=found.form,
        lead=_choice(found.lead) if found.lead else None,
        choices=[_choice(choice) for choice in found.choices],
        counter=found.counter,
        total=found.total,
        hidden_total=found.hidden_total,
        page=found.page,
        per_page=found.per_page,
        pages=found.pages,
        items=[_comment(entry) for entry in found.items],
    )


ResponseIdPath = Annotated[int, Path(ge=1, le=2**63 - 1, description="The comment's response id")]
MODERATION_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "The body could not be read (not UTF-8 JSON)"},
    401: {"description": "Not logged in"},
    403: {"description": "Not an administrator"},
    404: {"description": "No comment with this response id in the caller's scope (nothing was changed)"},
    422: {"description": "Invalid body: the message names the field (the reason is required)"},
}


def _moderated(found: voice.Moderated) -> schemas.CommentModerationOut:
    return schemas.CommentModerationOut(**asdict(found))


@router.post(
    "/comments/{response_id}/hide",
    response_model=schemas.CommentModerationOut,
    responses=MODERATION_ERRORS,
    summary="Hide an abusive comment from the feed and its export (administrators; reason required; audited)",
    tags=["voice"],
)
def hide_comment(
    response_id: ResponseIdPath,
    body: schemas.CommentModerationIn,
    caller: AdminDep,
    session: SessionDep,
    forms: FormsDep,
    request: Request,
) -> schemas.CommentModerationOut:
    found = voice.moderate(
        session,
        scope=caller.scope,
        forms=forms,
        response_id=response_id,
        hide=True,
        reason=body.reason,
        client_ip=client_ip(request),
    )
    return _moderated(found)


@router.post(
    "/comments/{response_id}/show",
    response_model=schemas.CommentModerationOut,
    responses=MODERATION_ERRORS,
    summary="Show a hidden comment again (administrators; reason required; audited)",
    tags=["voice"],
)
def show_comment(
    response_id: ResponseIdPath,
    body: schemas.CommentModerationIn,
    caller: AdminDep,
    session: SessionDep,
    forms: FormsDep,
    request: Request,
) -> schemas.CommentModerationOut:
    found = voice.moderate(
        session,
        scope=caller.scope,
        forms=forms,
        response_id=response_id,
        hide=False,
        reason=body.reason,
        client_ip=client_ip(request),
    )
    return _moderated(found)
