"""``/dashboard/agencies/{code}/compare`` and ``/dashboard/rankings``: one agency against the previous period, the
same period a year earlier and the rest of its parent's subtree; the agencies of a scope ranked with their
intervals, the groups the data cannot order drawn as groups.

Every number comes from the report layer — :func:`app.reports.comparisons.compare_agency` and
:func:`app.reports.rankings.rankings` — and every call (up, down, not distinguishable, not enough data; a rank or a
range of places) from the statistics engine's rules; this module only lays them out. Charts are
:mod:`app.dashboard.compare_charts`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.dashboard import compare_charts, format
from app.dashboard.i18n import t
from app.dashboard.rendering import ViewerDep, lang_of, page_router, render_page
from app.dashboard.views import (
    Chosen,
    FigureCache,
    agency_name,
    definition_of,
    last_full_months,
    metric_names,
    read_filters,
)
from app.deps import FormsDep, ReportsSessionDep, SettingsDep
from app.directory.models import Agency, AgencyLevel
from app.errors import Forbidden, Invalid
from app.officials.scope import Scope, visible_agency
from app.public.i18n import Lang
from app.reports.comparisons import AGAINST, Against, Comparison, ComparisonRow, compare_agency
from app.reports.query import COVERAGE, Meta
from app.reports.rankings import Rankings, rankings
from app.responses.models import Channel
from app.responses.models import Response as Answered
from app.stats.estimates import Estimate

router = page_router()

COMPARE_MONTHS = 3  # the default period of the comparison page: the last three full months
Value = TypeVar("Value")


# --- what both pages share ------------------------------------------------------------------------------------


def _cached(
    request: Request, session: Session, scope: Scope, key: tuple[Any, ...], compute: Callable[[], Value]
) -> Value:
    """A page's figures for a minute, through the dashboard's cache (app.main makes it), keyed by the scope, the
    question and the newest response: a new answer recomputes. Only plain values are kept (never database rows)."""
    cache: FigureCache = request.app.state.dashboard_cache
    version = session.scalar(select(func.max(Answered.id))) or 0
    full = (scope, version, *key)
    found = cache.get(full)
    if found is None:
        found = compute()
        cache.put(full, found)
    return found


def _filter_context(chosen: Chosen, forms: FormsDep, lang: Lang) -> dict[str, Any]:
    return {
        "chosen": chosen,
        "filter_errors": [t(key, lang, value=value, message=value) for key, value in chosen.errors],
        "channels": [(channel.value, t(f"channel_{channel.value}", lang)) for channel in Channel],
        "form_ids": sorted({key[0] for key in forms}),
        "form_title": {
            key[0]: _title(found.definition.title.vi, found.definition.title.en, lang) for key, found in forms.items()
        },
    }


def _title(vi: str, en: str | None, lang: Lang) -> str:
    return (en or vi) if lang == "en" else vi


def _coverage(meta: Meta | None, lang: Lang) -> str:
    sentences = meta.coverage if meta is not None else COVERAGE
    return sentences.get(lang) or COVERAGE[lang]


def _today(settings: SettingsDep) -> date:
    return datetime.now(settings.zone).date()


# --- the comparison page --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One metric of one comparison, as the table and the chart show it."""

    key: str  # "sipas", "element:access"
    label: str
    now: Estimate | None
    other: Estimate | None
    difference: float | None  # in proportions
    low: float | None  # the difference's own interval
    high: float | None
    adjusted_low: float | None  # adjusted for the family: what the call and the chart use
    adjusted_high: float | None
    p_value_adjusted: float | None
    call: str


@dataclass(frozen=True)
class Section:
    """One comparison (previous, last_year, parent): its words, its rows, or why it could not be made."""

    against: str
    title: str
    other_label: str  # the other side's column heading
    periods: str  # which periods are compared
    lines: list[Line] = field(default_factory=list)
    message: str = ""  # why there is no comparison (no dates, no parent, a parent outside the scope, …)
    family_note: str = ""
    parent_note: str = ""
    meta: Meta | None = None


def _line(row: ComparisonRow, label: str) -> Line:
    d = row.difference
    return Line(
        key=row.indicator,
        label=label,
        now=row.estimate,
        other=row.other,
        difference=d.estimate if d else None,
        low=d.low if d else None,
        high=d.high if d else None,
        adjusted_low=row.adjusted_low,
        adjusted_high=row.adjusted_high,
        p_value_adjusted=d.p_adjusted if d else None,
        call=row.call,
    )


def _span(start: date | None, end: date | None, lang: Lang) -> str:
    if start is None and end is None:
        return t("period_all", lang)
    return f"{format.day(start, lang)} – {format.day(end, lang)}"


def _section(found: Comparison, agency: Agency, forms: FormsDep, lang: Lang) -> Section:
    names = metric_names(definition_of(forms, found.meta), lang)
    lines = [_line(row, names.get(row.indicator, row.name)) for row in found.rows]
    now = _span(found.date_from, found.date_to, lang)
    parent = agency_name(found.parent, lang) if found.parent is not None else ""
    if found.against == "parent":
        other_label = t("cmp_side_rest", lang, parent=parent)
        periods = t("cmp_periods_parent", lang, now=now, name=agency_name(agency, lang), parent=parent)
    else:
        other_label = t(f"cmp_side_{found.against}", lang)
        periods = t("cmp_periods", lang, now=now, other=_span(found.other_from, found.other_to, lang))
    family_note = (
        t(
            "cmp_family",
            lang,
            m=found.family,
            r=found.significant,
            level=format.pct(found.adjusted_level, lang, 1),
            base=format.pct(found.meta.level, lang, 0),
        )
        if found.family and found.adjusted_level is not None
        else t("cmp_no_family", lang)
    )
    parent_note = ""
    if found.against == "parent":
        whole = next((e for indicator, e in found.parent_total if indicator == "sipas"), None)
        parent_note = t("cmp_parent_note", lang, parent=parent, name=agency_name(agency, lang))
        if whole is not None:
            parent_note += " " + t(
                "cmp_parent_whole",
                lang,
                parent=parent,
                value=format.pct(whole.estimate, lang),
                low=format.pct(whole.low, lang),
                high=format.pct(whole.high, lang),
            )
    return Section(
        found.against,
        t(f"cmp_against_{found.against}", lang),
        other_label,
        periods,
        lines,
        family_note=family_note,
        parent_note=parent_note,
        meta=found.meta,
    )


def _sections(
    session: Session, scope: Scope, forms: FormsDep, agency: Agency, chosen: Chosen, lang: Lang
) -> list[Section]:
    """The three comparisons; one that cannot be made (no dates, no parent, a parent outside the scope, filters that
    do not go together) says why in its place."""
    out: list[Section] = []
    for against in AGAINST:
        try:
            found = compare_agency(
                session, scope=scope, forms=forms, filters=chosen.filters(agency.code), against=against
            )
        except Invalid as invalid:
            why = _why(invalid, against, agency, chosen, lang)
            out.append(Section(against, t(f"cmp_against_{against}", lang), "", "", message=why))
            continue
        except Forbidden:
            why = t("cmp_parent_outside", lang)
            out.append(Section(against, t(f"cmp_against_{against}", lang), "", "", message=why))
            continue
        out.append(_section(found, agency, forms, lang))
    return out


def _why(invalid: Invalid, against: Against, agency: Agency, chosen: Chosen, lang: Lang) -> str:
    """The reason a comparison was refused, in the page's language where it is one the page can explain."""
    if against != "parent" and (chosen.date_from is None or chosen.date_to is None):
        return t("cmp_need_period", lang)
    if against == "parent" and agency.parent_id is None:
        return t("cmp_no_parent", lang, name=agency_name(agency, lang))
    if against == "last_year" and "longer than a year" in invalid.message:
        return t("cmp_too_long", lang)
    return t("bad_filters", lang, message=invalid.message)


def _note(call: str, lang: Lang) -> str:
    return t("cmp_chart_no_data", lang) if call == "no_data" else t("cmp_chart_insufficient", lang)


def _charts(sections: list[Section], lang: Lang) -> tuple[dict[str, Markup], compare_charts.DiffAxis]:
    """Each comparison's chart, all on one axis wide enough for every adjusted interval of the page."""
    ends = [
        end
        for section in sections
        for line in section.lines
        for end in (line.adjusted_low, line.adjusted_high)
        if end is not None
    ]
    axis = compare_charts.difference_axis(ends)
    charts: dict[str, Markup] = {}
    for section in sections:
        if not section.lines:
            continue
        rows = [
            compare_charts.DiffRow(
                line.key,
                line.label,
                line.call,
                line.difference if line.adjusted_low is not None else None,
                line.adjusted_low,
                line.adjusted_high,
                note="" if line.adjusted_low is not None else _note(line.call, lang),
            )
            for line in section.lines
        ]
        calls = {call: sum(1 for line in section.lines if line.call == call) for call in compare_charts.CALL_GLYPHS}
        summary = "; ".join(f"{t('call_' + call, lang)}: {count}" for call, count in calls.items() if count)
        charts[section.against] = compare_charts.difference_chart(
            f"compare-{section.against.replace('_', '-')}-chart",
            f"{section.title} – {t('cmp_chart', lang)}",
            rows,
            axis,
            lang=lang,
            summary=summary,
        )
    return charts, axis


def _compare_chosen(request: Request, forms: FormsDep, today: date) -> Chosen:
    """The page's filters; without ``from`` and ``to`` the last three full months (a quarter compares with the
    quarter before and with the same quarter a year earlier)."""
    params = dict(request.query_params)
    if "from" not in params and "to" not in params:
        start, end = last_full_months(today, COMPARE_MONTHS)
        params |= {"from": start.isoformat(), "to": end.isoformat()}
    return read_filters(params, forms, today)


@router.get("/agencies/{code}/compare", response_class=HTMLResponse)
def compare_page(
    code: str, request: Request, viewer: ViewerDep, session: ReportsSessionDep, settings: SettingsDep, forms: FormsDep
) -> Response:
    agency = visible_agency(session, viewer.scope, code)  # NotFound → the 404 page, as for an unknown code
    lang = lang_of(request)
    chosen = _compare_chosen(request, forms, _today(settings))
    sections = _cached(
        request,
        session,
        viewer.scope,
        ("compare", agency.code, chosen, lang),
        lambda: _sections(session, viewer.scope, forms, agency, chosen, lang),
    )
    charts, axis = _charts(sections, lang)
    has_children = session.scalar(select(func.count()).select_from(Agency).where(Agency.parent_id == agency.id)) or 0
    meta = next((section.meta for section in sections if section.meta is not None), None)
    context = _filter_context(chosen, forms, lang) | {
        "page_title": t("cmp_title", lang, name=agency_name(agency, lang)),
        "agency": agency,
        "agency_label": agency_name(agency, lang),
        "sections": sections,
        "charts": charts,
        "axis_note": t("cmp_axis_note", lang, span=format.number(axis.half_width * 100, lang)),
        "rankings_href": f"/dashboard/rankings?agency={agency.code}" if has_children else None,
        "coverage": _coverage(meta, lang),
        "call_glyph": compare_charts.CALL_GLYPHS,
        "signed": lambda value: compare_charts.signed(value, lang),
    }
    return render_page(request, viewer, "compare.html", context, nav="compare")


# --- the rankings page ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Placed:
    """One ranked agency: its place (a number, or the range of places its group shares), its group."""

    code: str
    name: str
    place: str  # "1", or "2–4" for a group the data cannot order
    estimate: Estimate
    group: int  # 0-based, over every group (an agency distinct from both neighbours is a group of one)
    shared: bool  # in a group of two or more
    band: int = 0  # 1-based number of its shared group (0: alone)
    size: int = 1  # agencies in its group


@dataclass(frozen=True)
class RankingView:
    meta: Meta | None
    indicator_name: str
    scope_label: str
    placed: list[Placed]
    unranked: list[tuple[str, str, Estimate]]  # (code, name, estimate): unreliable, listed without a place
    groups: int  # groups of two or more agencies the data cannot order
    target: float | None


def place_groups(distinct_from_next: Sequence[bool | None]) -> list[tuple[int, int, int]]:
    """For agencies in rank order, each one's (group, first place, last place): a group is a run of neighbours whose
    comparison did not distinguish them (``distinct_from_next`` False, or no comparison); its members share the
    range of places, since their order within it is not evidence."""
    groups: list[list[int]] = []
    for position, _distinct in enumerate(distinct_from_next):
        if position == 0 or distinct_from_next[position - 1] is True:
            groups.append([position])
        else:
            groups[-1].append(position)
    out: list[tuple[int, int, int]] = [(0, 0, 0)] * len(distinct_from_next)
    for index, members in enumerate(groups):
        for position in members:
            out[position] = (index, members[0] + 1, members[-1] + 1)
    return out


def _ranking_view(found: Rankings, forms: FormsDep, scope_label: str, lang: Lang) -> RankingView:
    names = metric_names(definition_of(forms, found.meta), lang)
    ranked = [row for row in found.rows if row.rank is not None]
    placed: list[Placed] = []
    groups = place_groups([row.distinct_from_next for row in ranked])
    bands: dict[int, int] = {}
    for row, (group, first, last) in zip(ranked, groups, strict=True):
        shared = first != last
        if shared:
            bands.setdefault(group, len(bands) + 1)
        placed.append(
            Placed(
                row.agency.code,
                agency_name(row.agency, lang),
                str(first) if not shared else f"{first}–{last}",
                row.estimate,
                group,
                shared,
                bands.get(group, 0),
                last - first + 1,
            )
        )
    unranked = [
        (row.agency.code, agency_name(row.agency, lang), row.estimate) for row in found.rows if row.rank is None
    ]
    targets = {row.estimate.target for row in found.rows}
    shared_groups = len({p.group for p in placed if p.shared})
    return RankingView(
        found.meta,
        names.get(found.indicator, found.indicator),
        scope_label,
        placed,
        unranked,
        shared_groups,
        next(iter(targets)) if len(targets) == 1 else None,
    )


LEVELS = [level.value for level in AgencyLevel]


@router.get("/rankings", response_class=HTMLResponse)
def rankings_page(
    request: Request, viewer: ViewerDep, session: ReportsSessionDep, settings: SettingsDep, forms: FormsDep
) -> Response:
    lang = lang_of(request)
    today = _today(settings)
    chosen = read_filters(dict(request.query_params), forms, today)
    code = request.query_params.get("agency", "").strip() or None
    root = visible_agency(session, viewer.scope, code) if code else viewer.root
    asked_level = request.query_params.get("level", "").strip()
    level = AgencyLevel(asked_level) if asked_level in LEVELS else None
    errors = list(chosen.errors)
    if asked_level and level is None:
        errors.append(("bad_filters", f"level {asked_level}"))
        chosen = replace(chosen, errors=tuple(errors))
    scope_label = agency_name(root, lang) if root is not None else t("national", lang)
    error = None
    view: RankingView | None = None
    start, end = chosen.date_from, chosen.date_to
    try:
        if start is not None and end is not None and start <= end and (start - date.min) <= (end - start):
            raise Invalid(t("rank_too_early", lang))  # the previous period of the same length, for the changes
        view = _cached(
            request,
            session,
            viewer.scope,
            ("rankings", root.code if root else None, level, chosen, lang),
            lambda: _ranking_view(
                rankings(
                    session,
                    viewer.scope,
                    forms,
                    chosen.filters(root.code if root else None),
                    agency_level=level,
                ),
                forms,
                scope_label,
                lang,
            ),
        )
    except Invalid as invalid:
        error = t("bad_filters", lang, message=invalid.message)
    chart = None
    if view is not None and view.placed:
        rows = [
            compare_charts.RankRow(p.code, f"{p.place} · {p.name}", p.estimate, p.group, p.shared) for p in view.placed
        ]
        summary = t("rank_summary", lang, ranked=len(view.placed), groups=view.groups, unranked=len(view.unranked))
        chart = compare_charts.rankings_chart(
            "rankings-chart", t("rank_chart", lang, indicator=view.indicator_name), rows, lang=lang, summary=summary
        )
    floor = compare_charts.rankings_floor([p.estimate for p in view.placed]) if view and view.placed else 0.0
    parents = session.scalars(
        select(Agency)
        .where(viewer.scope.agencies(), Agency.id.in_(select(Agency.parent_id).where(Agency.parent_id.is_not(None))))
        .order_by(Agency.path)
    ).all()
    context = _filter_context(chosen, forms, lang) | {
        "page_title": t("rank_title", lang),
        "view": view,
        "error": error,
        "chart": chart,
        "axis_note": t("rank_axis_note", lang, start=format.pct(floor, lang, 0)),
        "root": root,
        "parents": [(agency.code, agency_name(agency, lang)) for agency in parents],
        "levels": [(value, t(f"rank_level_{value}", lang)) for value in LEVELS],
        "level": level.value if level else "",
        "coverage": _coverage(view.meta if view else None, lang),
    }
    return render_page(request, viewer, "rankings.html", context, nav="rankings")
