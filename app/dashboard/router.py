"""``/dashboard``: the officials' figure pages in the browser — overview of the scope, one agency's drill-down —
and the directory pages: counters with their posters, kiosks. Server-rendered (Jinja2), Vietnamese first, no
script; figures from :mod:`app.dashboard.views`, charts from :mod:`app.dashboard.charts`, the layout and the
logged-in official from :mod:`app.dashboard.rendering`, login and logout in :mod:`app.dashboard.router_login`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from markupsafe import Markup

from app.dashboard import charts, format
from app.dashboard.i18n import t
from app.dashboard.rendering import HERE, ViewerDep, lang_of, page_router, render_page
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
    counters_in_scope,
    devices_in_scope,
    export_url,
    overview,
    read_filters,
)
from app.deps import FormsDep, SessionDep, SettingsDep
from app.errors import Forbidden, Invalid, NotFound
from app.links.service import counter_url
from app.officials.scope import visible_agency
from app.public.i18n import Lang
from app.reports.query import COVERAGE, Meta
from app.responses.models import Channel

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


def _bar_chart(chart_id: str, title_key: str, lines: list[Line], target: float | None, lang: Lang) -> Markup:
    """A bar chart of the lines that have data (the table beside it lists them all)."""
    bars = [charts.Bar(line.key, line.label, line.estimate, line.weakest) for line in lines if line.estimate]
    target_label = t("target_value", lang, value=format.pct(target, lang)) if target is not None else ""
    return charts.bar_chart(
        chart_id,
        t(title_key, lang),
        bars,
        lang=lang,
        target=target,
        target_label=target_label,
        unreliable_label=t("unreliable", lang),
        summary=verdict_summary(lines, lang),
    )


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
    request: Request, viewer: ViewerDep, session: SessionDep, settings: SettingsDep, forms: FormsDep
) -> Response:
    lang = lang_of(request)
    chosen, found, context = _figures(request, viewer, session, settings, forms, report=overview, subject=viewer.root)
    context |= {"page_title": t("overview_title", lang), "filter_query": urlencode(chosen.query())}
    if found is not None:
        context["verdict_summary"] = verdict_summary(found.agencies, lang)
        context |= {
            "chart": _bar_chart("agencies-chart", "agencies_chart", found.agencies, found.target, lang),
            "without_data": sum(line.estimate is None for line in found.agencies),
            "exports": {
                "csv": export_url("satisfaction", chosen, "csv", group_by="agency"),
                "xlsx": export_url("satisfaction", chosen, "xlsx", group_by="agency"),
                "rankings": export_url("rankings", chosen, "xlsx"),
            },
        }
    return render_page(request, viewer, "overview.html", context, nav="overview")


@router.get("/agencies/{code}", response_class=HTMLResponse)
def agency_detail(
    code: str, request: Request, viewer: ViewerDep, session: SessionDep, settings: SettingsDep, forms: FormsDep
) -> Response:
    agency = visible_agency(session, viewer.scope, code)  # NotFound → the 404 page, as for an unknown code
    lang = lang_of(request)
    chosen, found, context = _figures(request, viewer, session, settings, forms, report=agency_page, subject=agency)
    context |= {"page_title": agency_name(agency, lang), "agency": agency}
    if found is not None:
        points = [charts.Point(p.period, p.estimate, p.alerts) for p in found.trend.points] if found.trend else []
        trend_target = next((p.estimate.target for p in points if p.estimate.target is not None), None)
        context |= {
            "elements_chart": _bar_chart("elements-chart", "elements_chart", found.elements, found.target, lang),
            "items_chart": _bar_chart("items-chart", "items_chart", found.items, found.target, lang),
            "counters_chart": _bar_chart("counters-chart", "counters_chart", found.counters, found.target, lang),
            "trend_chart": charts.trend_chart(
                "trend-chart",
                t("trend_chart", lang),
                points,
                lang=lang,
                target=trend_target,
                target_label=t("target_value", lang, value=format.pct(trend_target, lang)) if trend_target else "",
                drop_label=t("alert_significant_drop", lang),
            ),
            "weakest_element": next((line for line in found.elements if line.weakest), None),
            "weakest_item": next((line for line in found.items if line.weakest), None),
            "exports": {
                name: {fmt: export_url(path, chosen, fmt, agency=agency.code, **extra) for fmt in ("csv", "xlsx")}
                for name, path, extra in (
                    ("elements", "satisfaction", {"group_by": "element"}),
                    ("items", "satisfaction", {"group_by": "item"}),
                    ("counters", "satisfaction", {"group_by": "agency,counter"}),
                    ("trend", "trends", {}),
                )
            },
        }
    return render_page(request, viewer, "agency.html", context, nav="overview")


# --- directory -----------------------------------------------------------------------------------------------


@router.get("/counters", response_class=HTMLResponse)
def counters_page(request: Request, viewer: ViewerDep, session: SessionDep, settings: SettingsDep) -> Response:
    lang = lang_of(request)
    rows = [
        {
            "agency": owner,
            "agency_name": agency_name(owner, lang),
            "counter": counter,
            "name": (counter.name_en or counter.name_vi) if lang == "en" else counter.name_vi,
            "link": counter_url(settings, counter) if counter.active and owner.active else None,
            "poster": f"/api/v1/agencies/{quote(owner.code)}/counters/{quote(counter.code)}/poster"
            if counter.active and owner.active
            else None,
        }
        for owner, counter in counters_in_scope(session, viewer.scope)
    ]
    return render_page(
        request, viewer, "counters.html", {"page_title": t("counters_page_title", lang), "rows": rows}, nav="counters"
    )


@router.get("/devices", response_class=HTMLResponse)
def devices_page(request: Request, viewer: ViewerDep, session: SessionDep) -> Response:
    if not viewer.scope.is_admin:
        raise Forbidden("this needs an administrator")
    lang = lang_of(request)
    rows = [
        {"device": device, "agency": owner, "agency_name": agency_name(owner, lang), "counter": counter}
        for device, owner, counter in devices_in_scope(session, viewer.scope)
    ]
    return render_page(
        request, viewer, "devices.html", {"page_title": t("devices_page_title", lang), "rows": rows}, nav="devices"
    )


@router.get("/static/{name}")
def static_file(name: str) -> Response:
    if name not in STATIC_FILES:
        raise NotFound("no such file")
    return FileResponse(STATIC / name, media_type=STATIC_FILES[name], headers={"Cache-Control": "no-cache"})
