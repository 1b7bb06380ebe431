"""``/dashboard``: the officials' figure pages in the browser — overview of the scope, one agency's drill-down —
and the method page (counters and kiosks: :mod:`app.dashboard.router_directory`). Server-rendered (Jinja2),
Vietnamese first, no script; figures from :mod:`app.dashboard.views`, charts from :mod:`app.dashboard.charts`, the
layout and the logged-in official from :mod:`app.dashboard.rendering`, login and logout in
:mod:`app.dashboard.router_login`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from markupsafe import Markup

from app.dashboard import charts, format, trend_chart
from app.dashboard.i18n import t
from app.dashboard.rendering import HERE, ViewerDep, lang_of, page_router, render_open_page, render_page
from app.dashboard.views import (
    SORTS,
    AgencyPage,
    Chosen,
    FigureCache,
    Figures,
    Line,
    Overview,
    agency_name,
    agency_page,
    export_url,
    overview,
    read_filters,
)
from app.deps import FormsDep, ReportsSessionDep, SessionDep, SettingsDep
from app.errors import Invalid, NotFound
from app.officials.scope import visible_agency
from app.public.i18n import Lang
from app.reports.query import COVERAGE, Meta
from app.responses.models import Channel
from app.stats import reliability

STATIC = HERE / "static"
STATIC_FILES = {"dashboard.css": "text/css; charset=utf-8"}

router = page_router()

Found = TypeVar("Found", Overview, AgencyPage)
Subject = TypeVar("Subject")


def _cache(request: Request) -> FigureCache:
    cache: FigureCache = request.app.state.dashboard_cache  # made with the app (app.main.create_app)
    return cache


def _filter_context(request: Request, chosen: Chosen, forms: FormsDep, lang: Lang) -> dict[str, Any]:
    errors = [t(key, lang, value=value, message=value) for key, value in chosen.errors]
    return {
        "chosen": chosen,
        "filter_errors": errors,
        "channels": [(channel.value, t(f"channel_{channel.value}", lang)) for channel in Channel],
        "form_ids": sorted({key[0] for key in forms}),
        "form_title": {
            key[0]: (found.definition.title.en or found.definition.title.vi)
            if lang == "en"
            else found.definition.title.vi
            for key, found in sorted(forms.items())
        },
    }


def _sort(request: Request) -> str:
    asked = request.query_params.get("sort", "estimate")
    return asked if asked in SORTS else "estimate"


def _sort_links(request: Request, current: str, lang: Lang) -> list[dict[str, Any]]:
    params = [(key, value) for key, value in request.query_params.multi_items() if key not in ("sort", "lang")]
    return [
        {
            "key": key,
            "label": t(f"sort_{key}", lang),
            "current": key == current,
            "href": f"{request.url.path}?{urlencode([*params, ('sort', key)])}",
        }
        for key in SORTS
    ]


def verdict_summary(lines: list[Line], lang: Lang) -> str:
    """How many lines met their target out of those compared with it (met, not met, inconclusive), e.g. "Đạt mục
    tiêu: 1/2; 1 chưa đủ dữ liệu (không tính)": lines with not enough data are named apart and never counted.
    Empty when no line has a target."""
    counts = charts.verdict_counts([line.estimate for line in lines if line.estimate is not None])
    judged = sum(counts[key] for key in charts.JUDGED)
    if not judged and not counts["insufficient_data"]:
        return ""
    text = t("count_met", lang, met=counts["met"], judged=judged)
    if counts["insufficient_data"]:
        text += "; " + t("count_insufficient", lang, n=counts["insufficient_data"])
    return text


def chart_target_note(lines: list[Line], lang: Lang) -> str:
    """What the chart's dashed marks are, as its caption says it: the one target every row was judged against
    ("Mục tiêu 86,00%"), each row's own target when they differ, or nothing when no row has a target — the same
    targets as the table's verdict column, never another."""
    estimates = [line.estimate for line in lines if line.estimate is not None]
    shared = charts.shared_target(estimates)
    if shared is not None:
        return t("target_value", lang, value=format.pct(shared, lang))
    if any(estimate.target is not None for estimate in estimates):
        return t("targets_per_row", lang)
    return ""


def _bar_chart(chart_id: str, title_key: str, lines: list[Line], lang: Lang) -> Markup:
    """A bar chart of the lines that have data (the table beside it lists them all), with their own targets."""
    bars = [charts.Bar(line.key, line.label, line.estimate, line.weakest) for line in lines if line.estimate]
    note = chart_target_note(lines, lang)
    return charts.bar_chart(
        chart_id,
        t(title_key, lang),
        bars,
        lang=lang,
        target_label=note,
        unreliable_label=t("unreliable", lang),
        summary=verdict_summary(lines, lang),
    )


def metric_target_note(lines: list[Line], headline_target: float | None, lang: Lang) -> str:
    """Under the element and question charts when none of their rows has a target of its own but the agency's index
    has one: that target is the index's, which is why the rows read "no target" and no line is drawn."""
    if headline_target is None or any(line.estimate and line.estimate.target is not None for line in lines):
        return ""
    return t("metric_targets_none", lang, value=format.pct(headline_target, lang))


def coverage(meta: Meta | None, lang: Lang) -> str:
    """What the intervals do not cover, in the page's language: the report's sentence (the same one when a page
    has no report, e.g. invalid filters)."""
    sentences = meta.coverage if meta is not None else COVERAGE
    return sentences.get(lang) or COVERAGE[lang]


def _figures(
    request: Request,
    viewer: ViewerDep,
    session: SessionDep,
    settings: SettingsDep,
    forms: FormsDep,
    *,
    report: Callable[[Figures, Subject, Chosen, Lang, str, date], Found],
    subject: Subject,
) -> tuple[Chosen, Found | None, dict[str, Any]]:
    """A figure page's filters and its ``report`` on ``subject`` under them (None when they do not go together,
    e.g. from after to), with what every figure page shows: the filters, the error, the sort links, the coverage."""
    lang = lang_of(request)
    today = datetime.now(settings.zone).date()
    chosen = read_filters(dict(request.query_params), forms, today)
    order = _sort(request)
    figures = Figures(session, viewer.scope, forms, _cache(request))
    error = None
    try:
        found = report(figures, subject, chosen, lang, order, today)
    except Invalid as invalid:
        error, found = t("bad_filters", lang, message=invalid.message), None
    context = _filter_context(request, chosen, forms, lang) | {
        "found": found,
        "error": error,
        "sort_links": _sort_links(request, order, lang),
        "coverage": coverage(found.meta if found is not None else None, lang),
    }
    return chosen, found, context


# --- figures -------------------------------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
def overview_page(
    request: Request, viewer: ViewerDep, session: ReportsSessionDep, settings: SettingsDep, forms: FormsDep
) -> Response:
    lang = lang_of(request)
    chosen, found, context = _figures(request, viewer, session, settings, forms, report=overview, subject=viewer.root)
    context |= {"page_title": t("overview_title", lang), "filter_query": urlencode(chosen.query())}
    if found is not None:
        context["verdict_summary"] = verdict_summary(found.agencies, lang)
        context |= {
            "chart": _bar_chart("agencies-chart", "agencies_chart", found.agencies, lang),
            "chart_target": chart_target_note(found.agencies, lang),
            "without_data": sum(line.estimate is None for line in found.agencies),
            "exports": {
                "csv": export_url("satisfaction", chosen, "csv", lang=lang, group_by="agency"),
                "xlsx": export_url("satisfaction", chosen, "xlsx", lang=lang, group_by="agency"),
                "rankings": export_url("rankings", chosen, "xlsx", lang=lang),
            },
        }
    return render_page(request, viewer, "overview.html", context, nav="overview")


@router.get("/agencies/{code}", response_class=HTMLResponse)
def agency_detail(
    code: str, request: Request, viewer: ViewerDep, session: ReportsSessionDep, settings: SettingsDep, forms: FormsDep
) -> Response:
    agency = visible_agency(session, viewer.scope, code)  # NotFound → the 404 page, as for an unknown code
    lang = lang_of(request)
    chosen, found, context = _figures(request, viewer, session, settings, forms, report=agency_page, subject=agency)
    context |= {"page_title": agency_name(agency, lang), "agency": agency}
    if found is not None:
        points = [trend_chart.Point(p.period, p.estimate, p.alerts) for p in found.trend.points] if found.trend else []
        months = [Line(p.period, p.period, p.estimate) for p in points]
        context |= {
            "elements_chart": _bar_chart("elements-chart", "elements_chart", found.elements, lang),
            "items_chart": _bar_chart("items-chart", "items_chart", found.items, lang),
            "counters_chart": _bar_chart("counters-chart", "counters_chart", found.counters, lang),
            "elements_target": chart_target_note(found.elements, lang),
            "items_target": chart_target_note(found.items, lang),
            "counters_target": chart_target_note(found.counters, lang),
            "trend_target": chart_target_note(months, lang),
            "trend_floor": trend_chart.trend_floor([point.estimate for point in points]),
            "elements_note": metric_target_note(found.elements, found.target, lang),
            "items_note": metric_target_note(found.items, found.target, lang),
            "trend_chart": trend_chart.trend_chart(
                "trend-chart",
                t("trend_chart", lang),
                points,
                lang=lang,
                target_label=chart_target_note(months, lang),
                drop_label=t("alert_significant_drop", lang),
            ),
            "weakest_element": next((line for line in found.elements if line.weakest), None),
            "weakest_item": next((line for line in found.items if line.weakest), None),
            "exports": {
                name: {
                    fmt: export_url(path, chosen, fmt, lang=lang, agency=agency.code, group_by=group)
                    for fmt in ("csv", "xlsx")
                }
                for name, path, group in (
                    ("elements", "satisfaction", "element"),
                    ("items", "satisfaction", "item"),
                    ("counters", "satisfaction", "agency,counter"),
                    ("trend", "trends", ""),  # an empty parameter is left out
                )
            },
        }
    return render_page(request, viewer, "agency.html", context, nav="overview")


@router.get("/method", response_class=HTMLResponse)
def method_page(request: Request) -> Response:
    """How the figures are computed, for officials; no login needed (every footer links here, the 404 page too)."""
    lang = lang_of(request)
    context = {
        "page_title": t("method_title", lang),
        "level": format.pct(0.95, lang, 0),
        "interval_method": "Korn–Graubard",
        "min_effective_n": reliability.MIN_EFFECTIVE_N,
        "max_width_points": format.number(reliability.MAX_CI_WIDTH * 100, lang),
        "relative_from_points": format.number(reliability.RELATIVE_RULE_FROM_WIDTH * 100, lang),
        "relative_pct": format.pct(reliability.RELATIVE_CI_WIDTH, lang, 0),
        "coverage": COVERAGE[lang],
    }
    return render_open_page(request, "method.html", context, nav="method")


# The directory pages (counters, kiosks) are in app/dashboard/router_directory.py.


@router.get("/static/{name}")
def static_file(name: str) -> Response:
    if name not in STATIC_FILES:
        raise NotFound("no such file")
    return FileResponse(STATIC / name, media_type=STATIC_FILES[name], headers={"Cache-Control": "no-cache"})
