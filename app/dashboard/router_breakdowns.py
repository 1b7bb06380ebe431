"""``/dashboard/breakdowns`` (the official's whole scope) and ``/dashboard/agencies/{code}/breakdowns`` (one agency
with everything below it): the "Phân tích" page — the overall index by procedure field, channel and respondent
profile band, every question's rate, and the hour × weekday heat maps of answers and of the share not satisfied.

The figures are :func:`app.reports.breakdowns.breakdowns` (one selection, the statistics engine, the reliability
rule); this module only labels them in the reader's language and hands them to the template and to
:mod:`app.dashboard.breakdown_charts`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.dashboard import breakdown_charts as charts
from app.dashboard.i18n import t
from app.dashboard.rendering import ViewerDep, lang_of, page_router, render_page
from app.dashboard.views import (
    Chosen,
    FigureCache,
    agency_name,
    definition_of,
    export_url,
    metric_names,
    read_filters,
    sort_key,
)
from app.deps import FormsDep, ReportsSessionDep, SettingsDep
from app.directory.models import Agency, ProcedureField
from app.errors import Invalid
from app.forms.loader import RegisteredForm
from app.officials.scope import Scope, visible_agency
from app.public.i18n import Lang, text
from app.reports.breakdowns import Breakdowns, breakdowns, not_satisfied
from app.reports.query import COVERAGE
from app.reports.satisfaction import Result
from app.responses.models import Channel
from app.responses.models import Response as StoredResponse
from app.responses.selection import Filters
from app.stats.estimates import Estimate

router = page_router()
Forms = dict[tuple[str, int], RegisteredForm]


@router.get("/breakdowns", response_class=HTMLResponse)
def scope_breakdowns(
    request: Request, viewer: ViewerDep, session: ReportsSessionDep, settings: SettingsDep, forms: FormsDep
) -> Response:
    context = breakdowns_context(request, session, forms, viewer.scope, viewer.root, settings.zone, agency=None)
    return render_page(request, viewer, "breakdowns.html", context, nav="breakdowns")


@router.get("/agencies/{code}/breakdowns", response_class=HTMLResponse)
def agency_breakdowns(
    code: str, request: Request, viewer: ViewerDep, session: ReportsSessionDep, settings: SettingsDep, forms: FormsDep
) -> Response:
    agency = visible_agency(session, viewer.scope, code)  # NotFound → the 404 page, as for an unknown code
    context = breakdowns_context(request, session, forms, viewer.scope, viewer.root, settings.zone, agency=agency)
    return render_page(request, viewer, "breakdowns.html", context, nav="breakdowns")


# --- the page's context ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One row of a breakdown table (and one bar)."""

    key: str
    label: str
    estimate: Estimate


@dataclass(frozen=True)
class ProfileSection:
    code: str  # sex, age_band, …
    title: str
    lines: list[Line]
    chart: Any
    exports: dict[str, str]


def breakdowns_context(
    request: Request,
    session: Session,
    forms: Forms,
    scope: Scope,
    root: Agency | None,
    zone: ZoneInfo,
    *,
    agency: Agency | None,
) -> dict[str, Any]:
    """Everything the template shows: the filters, then the figures (or the message saying why there are none)."""
    lang = lang_of(request)
    today = datetime.now(zone).date()
    chosen = read_filters(dict(request.query_params), forms, today)
    subject = agency or root
    name = agency_name(subject, lang) if subject is not None else t("national", lang)
    context: dict[str, Any] = {
        "page_title": t("bd_title", lang, name=name),
        "agency": agency,
        "chosen": chosen,
        "filter_errors": [t(key, lang, value=value, message=value) for key, value in chosen.errors],
        "channels": [(channel.value, t(f"channel_{channel.value}", lang)) for channel in Channel],
        "form_ids": sorted({key[0] for key in forms}),
        "form_title": {key[0]: text(found.definition.title, lang) for key, found in sorted(forms.items())},
        "found": None,
        "error": None,
        "coverage": COVERAGE[lang],
        "weekdays": [(t(f"bd_day_short_{day}", lang), t(f"bd_day_{day}", lang)) for day in charts.DAYS],
    }
    filters = chosen.filters(agency.code if agency is not None else None)
    try:
        found = _cached(request, session, (scope, "breakdowns", filters, zone.key), scope, forms, filters, zone)
    except Invalid as invalid:
        context["error"] = t("bad_filters", lang, message=invalid.message)
        return context
    context |= _figures(session, forms, found, chosen, agency, lang)
    return context


def _cached(
    request: Request,
    session: Session,
    key: tuple[Any, ...],
    scope: Scope,
    forms: Forms,
    filters: Filters,
    zone: ZoneInfo,
) -> Breakdowns:
    """The breakdowns through the dashboard's figure cache (keyed by the newest response too, so a new answer
    recomputes them at once)."""
    cache: FigureCache = request.app.state.dashboard_cache
    newest = session.scalar(select(func.max(StoredResponse.id))) or 0
    full_key = (*key, newest)
    found: Breakdowns | None = cache.get(full_key)
    if found is None:
        found = breakdowns(session, scope, forms, filters, zone=zone)
        cache.put(full_key, found)
    return found


def _overall(result: Result) -> list[tuple[dict[str, str | None], Estimate]]:
    return [(row.keys, row.estimate) for row in result.rows if row.indicator == "sipas"]


def _figures(
    session: Session, forms: Forms, found: Breakdowns, chosen: Chosen, agency: Agency | None, lang: Lang
) -> dict[str, Any]:
    not_stated = t("bd_not_stated", lang)
    unreliable = t("unreliable", lang)
    code = agency.code if agency is not None else ""  # empty: the whole scope

    def exports(group_by: str) -> dict[str, str]:
        return {
            fmt: export_url("satisfaction", chosen, fmt, lang=lang, group_by=group_by, agency=code)
            for fmt in ("csv", "xlsx")
        }

    def chart(chart_id: str, title: str, lines: list[Line]) -> Any:
        bars = [charts.Bar(line.key, line.label, line.estimate) for line in lines]
        return charts.bar_chart(chart_id, title, bars, lang=lang, unreliable_label=unreliable) if bars else None

    # procedure fields: by name, "not stated" last
    fields = {row.code: row for row in session.scalars(select(ProcedureField))}
    field_lines: list[Line] = []
    for keys, estimate in _overall(found.by_field):
        field_code = keys.get("procedure_field")
        label = not_stated
        if field_code is not None:
            field = fields.get(field_code)
            label = ((field.name_en or field.name_vi) if lang == "en" else field.name_vi) if field else field_code
        field_lines.append(Line(field_code or "-", label, estimate))
    field_lines.sort(key=lambda line: (line.key == "-", sort_key(line.label)))

    channel_order = [channel.value for channel in Channel]
    channel_lines = sorted(
        (
            Line(keys.get("channel") or "-", t(f"channel_{keys.get('channel')}", lang), estimate)
            for keys, estimate in _overall(found.by_channel)
        ),
        key=lambda line: channel_order.index(line.key) if line.key in channel_order else len(channel_order),
    )

    definition = definition_of(forms, found.meta)
    names = metric_names(definition, lang)
    item_lines = [
        Line(row.indicator, names.get(row.indicator, row.name), row.estimate)
        for row in found.by_item.rows
        if row.estimate.kind == "item"
    ]

    questions: dict[str, str] = {
        str(item.profile): text(item.text, lang)
        for registered in [definition, *(found_form.definition for found_form in forms.values())]
        for item in registered.items
        if item.profile is not None
    }
    profiles: list[ProfileSection] = []
    for code, result in found.by_profile.items():
        labels = found.profile_labels.get(code, {})
        order = list(labels)
        lines = []
        for keys, estimate in _overall(result):
            band = keys.get(f"profile:{code}")
            label = not_stated if band is None else (text(labels[band], lang) if band in labels else band)
            lines.append(Line(band or "-", label, estimate))
        lines.sort(key=lambda line: (line.key == "-", order.index(line.key) if line.key in order else len(order)))
        title = questions.get(code) or t(f"bd_profile_{code}", lang)
        profiles.append(
            ProfileSection(code, title, lines, chart(f"profile-{code}-chart", title, lines), exports(f"profile:{code}"))
        )
    unstated = [questions.get(code) or t(f"bd_profile_{code}", lang) for code in found.unstated_profiles]

    shares = {
        (int(keys["weekday"] or 0), int(keys["hour"] or 0)): not_satisfied(estimate)
        for keys, estimate in _overall(found.clock)
    }
    counts = found.responses_per_cell
    none_label = t("bd_cell_none", lang)
    answers_map = charts.answers_map("answers-map", counts, lang=lang, none_label=none_label)
    share_map = charts.dissatisfied_map(
        "dissatisfied-map",
        shares,
        counts,
        lang=lang,
        none_label=none_label,
        unreliable_label=t("bd_cell_unreliable", lang),
    )
    share_rows = [
        {"day": t(f"bd_day_{day}", lang), "hour": f"{hour:02d}:00", "estimate": estimate}
        for (day, hour), estimate in sorted(shares.items())
    ]
    total = next((row.estimate for row in found.total if row.indicator == "sipas"), None)
    return {
        "found": found,
        "total": total,
        "field_lines": field_lines,
        "field_chart": chart("fields-chart", t("bd_fields_chart", lang), field_lines),
        "channel_lines": channel_lines,
        "channel_chart": chart("channels-chart", t("bd_channels_chart", lang), channel_lines),
        "item_lines": item_lines,
        "item_chart": chart("items-chart", t("bd_items_chart", lang), item_lines),
        "profiles": profiles,
        "unstated_profiles": unstated,
        "answers_map": answers_map,
        "share_map": share_map,
        "share_rows": share_rows,
        "exports": {
            "fields": exports("procedure_field"),
            "channels": exports("channel"),
            "items": exports("item"),
            "clock": exports("weekday,hour"),
        },
        "filter_query": urlencode(chosen.query()),
    }
