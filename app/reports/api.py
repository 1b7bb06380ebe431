"""What the figure endpoints share (app/reports/router.py and router_voice.py): the filters every one of them
takes, parsed once (:class:`ReportQuery`), the shape of their rows and ``meta``, and their downloads, audited on
the primary before they are sent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.audit.service import record_download
from app.cells import MEDIA
from app.errors import Invalid
from app.officials.deps import CallerDep, client_ip
from app.replica import lag_of
from app.reports import downloads
from app.reports.output import row as estimate_row
from app.reports.query import Meta
from app.reports.satisfaction import GROUPS, PROFILE_GROUPS, Row
from app.reports.schemas import (
    DifferenceOut,
    MetaOut,
    OutputFormat,
)
from app.responses.models import Channel
from app.responses.selection import Filters, Source
from app.stats.comparisons import Difference
from app.stats.intervals import METHODS, Method

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


def groups_of(values: list[str]) -> list[str]:
    groups = [part.strip() for value in values for part in value.split(",") if part.strip()]
    unknown = [group for group in groups if group not in GROUPS]
    if unknown:
        raise Invalid(f"/query/group_by: {', '.join(map(repr, unknown))} is not one of {', '.join(GROUPS)}")
    return list(dict.fromkeys(groups))


def meta_out(meta: Meta, session: Session) -> MetaOut:
    """``meta`` with the lag of the replica ``session`` read from (0 from the primary)."""
    return MetaOut(**asdict(replace(meta, replica_lag_seconds=lag_of(session))))


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


def difference_out(found: Difference | None) -> DifferenceOut | None:
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


def audit_download(request: Request, caller: CallerDep, primary: Session, *, name: str, fmt: str, rows: int) -> None:
    """A download of ``rows`` rows of figures, recorded in the audit log on the ``primary`` before it is sent."""
    record_download(
        primary,
        actor=caller.official.username,
        official_id=caller.official.id,
        what=name,
        file_format=fmt,
        rows=rows,
        query=str(request.url.query),
        client_ip=client_ip(request),
    )


def download(
    request: Request,
    caller: CallerDep,
    primary: Session,
    session: Session,
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
    (:class:`app.reports.downloads.Table`), with its ``totals``. The file is named with the local date; the download
    is audited on the ``primary`` (figures may come from a replica)."""
    audit_download(request, caller, primary, name=name, fmt=fmt, rows=len(rows))
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
    return downloads.download(session, fmt=fmt, table=table, lang=lang, zone=request.app.state.settings.zone)


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


NOT_FOUND: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not logged in"},
    404: {"description": "No such agency (or not yours)"},
}
# format=csv or format=xlsx: the same rows as a download.
DOWNLOADS: dict[int | str, dict[str, Any]] = {200: {"content": {"text/csv": {}, MEDIA["xlsx"]: {}}}}
