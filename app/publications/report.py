"""A publication as a printable report: HTML from its frozen content only, typeset as PDF by WeasyPrint.

Nothing is read from the live tables but the previous publication of the same agency (itself frozen), so the same
publication gives the same report whenever it is printed. The charts are the dashboard's own SVG (wide layout) drawn
from the stored rows; a row the reliability rule calls unreliable is printed "chưa đủ dữ liệu", never as a number;
the hash and the data cut-off are in every page's footer. Vietnamese by default, English on request.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.dashboard.charts import Bar, bar_chart
from app.dashboard.format import day, number, pct
from app.dashboard.trend_chart import Point, trend_chart
from app.links.pdf import html_to_pdf
from app.public.i18n import Lang
from app.publications.models import Publication
from app.publications.service import headline as sipas_row
from app.publications.words import say
from app.reports.downloads import DESIGNS, METHOD_NAMES
from app.reports.output import VERDICTS, estimate_of
from app.stats.estimates import Estimate

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(["html"])
)
GROUPS = ("met", "not_met", "inconclusive", "insufficient_data", "none")
KEPT = 16  # reports kept in memory per worker (≈ 80 KB each)
_KEPT: OrderedDict[str, bytes] = OrderedDict()
_KEPT_LOCK = threading.Lock()


@dataclass(frozen=True)
class Line:
    """A row of a printed table: the unit or measure, and its figure as printed (or "not enough data")."""

    label: str
    rate: str
    interval: str
    n: str
    verdict: str
    unreliable: bool


def _previous(session: Session, publication: Publication) -> Publication | None:
    """The latest publication in force of the same agency whose period ended before this one began."""
    return session.scalar(
        select(Publication)
        .where(
            Publication.agency_id.is_(None)
            if publication.agency_id is None
            else Publication.agency_id == publication.agency_id,
            Publication.period_end < publication.period_start,
            Publication.superseded_by_id.is_(None),
            Publication.draft.is_(False),
        )
        .order_by(Publication.period_end.desc(), Publication.id.desc())
        .limit(1)
    )


def _line(label: str, row: dict[str, Any], lang: Lang) -> Line:
    estimate = estimate_of(row)
    if row.get("unreliable"):
        rate = interval = say("not_enough", lang)
    else:
        rate = pct(estimate.estimate, lang)
        interval = f"{pct(estimate.low, lang)} – {pct(estimate.high, lang)}"
    verdict = VERDICTS[row.get("verdict") or ""][lang]
    return Line(label, rate, interval, number(row["n"], lang), verdict, bool(row.get("unreliable")))


def _changes(content: dict[str, Any], previous: Publication | None, lang: Lang) -> list[str]:
    """The headline and each element against the previous publication: "clear" only when the intervals part."""
    if previous is None:
        return []
    before = {
        row["indicator"]: row for row in previous.content["detail"]["total"] + previous.content["overall"]["total"]
    }
    out = []
    for row in [*content["overall"]["total"], *content["detail"]["total"]]:
        if row["indicator"] != "sipas" and not row["indicator"].startswith("element:"):
            continue
        old = before.get(row["indicator"])
        if old is None or old.get("unreliable") or row.get("unreliable"):
            continue
        values = {
            "name": row["name"],
            "before": pct(old["estimate_pct"] / 100, lang),
            "now": pct(row["estimate_pct"] / 100, lang),
        }
        if row["ci_low_pct"] > old["ci_high_pct"]:
            out.append(say("change_up", lang, **values))
        elif row["ci_high_pct"] < old["ci_low_pct"]:
            out.append(say("change_down", lang, **values))
        else:
            out.append(say("change_none", lang, **values))
    return out


def _bars(rows: list[dict[str, Any]], label: str) -> list[Bar]:
    return [
        Bar(key=str(row.get("agency") or row["metric"]), label=str(row[label]), estimate=estimate_of(row))
        for row in rows
    ]


def _target(estimates: list[Estimate], lang: Lang) -> str:
    targets = {estimate.target for estimate in estimates if estimate.target is not None}
    return say("target_line", lang, target=pct(targets.pop(), lang)) if len(targets) == 1 else ""


def report_html(session: Session, publication: Publication, lang: Lang) -> str:
    """The report of ``publication`` as one self-contained HTML document (fonts from the system, no address)."""
    content = publication.content
    context = {
        "lang": lang,
        "say": lambda key, **values: say(key, lang, **values),
        **_cover(publication, lang),
        **_summary(session, publication, lang),
        **_charts(content, lang),
        **_tables(content, lang),
        **_methods(publication, lang),
    }
    return TEMPLATES.get_template("report.html").render(context)


def _name(row: dict[str, Any]) -> str:
    return str(row.get("agency_name") or row.get("agency"))


def _share(row: dict[str, Any], column: str, lang: Lang) -> str:
    return pct(row[column] / 100, lang)


def _cutoff(content: dict[str, Any], lang: Lang) -> str:
    cutoff = content["data_cutoff"]
    if cutoff is None:
        return "–"
    moment = datetime.fromisoformat(cutoff)
    return moment.strftime("%H:%M %d/%m/%Y UTC") if lang == "vi" else moment.strftime("%Y-%m-%d %H:%M UTC")


def _cover(publication: Publication, lang: Lang) -> dict[str, Any]:
    """The cover: agency, period, the headline SIPAS with its interval and its verdict in words."""
    content = publication.content
    period = content["period"]
    start, end = date.fromisoformat(period["from"]), date.fromisoformat(period["to"])
    headline = sipas_row(content)
    interval = None
    if headline is not None and not headline.get("unreliable"):
        level = pct(content["method"]["level"], lang, 0)
        low, high = _share(headline, "ci_low_pct", lang), _share(headline, "ci_high_pct", lang)
        interval = say("interval", lang, level=level, low=low, high=high)
    verdict = (headline or {}).get("verdict") or "none"
    target = (headline or {}).get("target_pct")
    successor = None
    if publication.superseded_by_id is not None and publication.superseded_at is not None:
        when = day(publication.superseded_at.date(), lang)
        reason = publication.superseded_reason or ""
        successor = say("superseded", lang, id=publication.superseded_by_id, day=when, reason=reason)
    if publication.draft:
        successor = say("draft_banner", lang)
    published = day(publication.published_at.date(), lang)
    return {
        "agency_name": content["agency"]["name"] if content["agency"] else say("national", lang),
        "period": say("period", lang, start=day(start, lang), end=day(end, lang)),
        "headline": None if headline is None else _line("", headline, lang),
        "headline_interval": interval,
        "verdict_sentence": say(
            f"verdict_sentence_{verdict}", lang, target=pct(target / 100, lang) if target is not None else ""
        ),
        "based_on": say("based_on", lang, n=number(content["meta"]["responses"], lang)),
        "published": say("published", lang, day=published, who=publication.published_by, cutoff=_cutoff(content, lang)),
        "successor": successor,
        "hash": publication.content_hash,
        "footer": say("footer", lang, hash=publication.content_hash, cutoff=_cutoff(content, lang)),
    }


def _summary(session: Session, publication: Publication, lang: Lang) -> dict[str, Any]:
    """Units by verdict, the best and worst element, and the changes since the previous publication."""
    content = publication.content
    by_verdict: dict[str, list[str]] = {group: [] for group in GROUPS}
    for row in content["overall"]["rows"]:
        by_verdict[row.get("verdict") or "none"].append(_name(row))
    elements = [row for row in content["detail"]["total"] if row["kind"] == "element" and not row.get("unreliable")]
    best = max(elements, key=lambda row: row["estimate_pct"], default=None)
    worst = min(elements, key=lambda row: row["estimate_pct"], default=None)
    previous = _previous(session, publication)
    since = None
    if previous is not None:
        since = say("since", lang, start=day(previous.period_start, lang), end=day(previous.period_end, lang))
    return {
        "groups": [(group, by_verdict[group]) for group in GROUPS],
        "best": None
        if best is None
        else say("elements_best", lang, name=best["name"], value=_share(best, "estimate_pct", lang)),
        "worst": None
        if worst is None or worst is best
        else say("elements_worst", lang, name=worst["name"], value=_share(worst, "estimate_pct", lang)),
        "previous": since,
        "changes": _changes(content, previous, lang),
    }


def _charts(content: dict[str, Any], lang: Lang) -> dict[str, Any]:
    """The dashboard's charts of the stored rows. An unreliable row is named below its chart, never drawn as a
    number."""
    agencies = [row for row in content["overall"]["rows"] if not row.get("unreliable")]
    agencies.sort(key=lambda row: -row["estimate_pct"])
    elements = [row for row in content["detail"]["total"] if row["kind"] == "element" and not row.get("unreliable")]
    months = content.get("trend", {}).get("rows", [])
    points = [Point(period=str(row["month"]), estimate=estimate_of(row)) for row in months]
    return {
        "agency_chart": _chart("agencies", say("chart_agencies", lang), _bars(agencies, "agency_name"), lang),
        "agencies_left_out": [_name(row) for row in content["overall"]["rows"] if row.get("unreliable")],
        "element_chart": _chart("elements", say("chart_elements", lang), _bars(elements, "name"), lang),
        "trend": _trend(points, lang),
    }


def _tables(content: dict[str, Any], lang: Lang) -> dict[str, Any]:
    agencies = sorted(
        content["overall"]["rows"],
        key=lambda row: math.inf if row.get("unreliable") else -row["estimate_pct"],
    )
    totals = content["detail"]["total"]
    return {
        "agency_lines": [_line(_name(row), row, lang) for row in agencies],
        "element_lines": [_line(str(row["name"]), row, lang) for row in totals if row["kind"] == "element"],
        "item_lines": [_line(str(row["name"]), row, lang) for row in totals if row["kind"] == "item"],
    }


def _methods(publication: Publication, lang: Lang) -> dict[str, Any]:
    content = publication.content
    meta, method = content["meta"], content["method"]["interval"]
    return {
        "design": DESIGNS.get(meta["design"], {}).get(lang, meta["design"]),
        "weighted": meta["weighted"],
        "method_name": METHOD_NAMES.get(method, method),
        "level": pct(content["method"]["level"], lang, 0),
        "coverage": meta["coverage"][lang],
        "counts": len(content.get("population_counts", [])),
        "form": meta["form"],
        "code_version": content["code_version"],
        "id": publication.id,
    }


def _chart(chart_id: str, title: str, bars: list[Bar], lang: Lang) -> Markup | None:
    if not bars:
        return None
    return bar_chart(chart_id, title, bars, lang=lang, target_label=_target([bar.estimate for bar in bars], lang))


def _trend(points: list[Point], lang: Lang) -> Markup | None:
    if not points:
        return None
    target = _target([point.estimate for point in points], lang)
    return trend_chart("trend", say("chart_trend", lang), points, lang=lang, target_label=target)


def report_pdf(
    session: Session, publication: Publication, lang: Lang, *, may_render: Callable[[], None] | None = None
) -> bytes:
    """The report as PDF. Typesetting costs 1.5–2.5 s of a core, so the last :data:`KEPT` files are kept by the
    hash of their HTML (the same HTML gives the same PDF); ``may_render`` is called before typesetting anything new
    (the public page's budget: it raises to refuse)."""
    html = report_html(session, publication, lang)
    key = hashlib.sha256(html.encode()).hexdigest()
    with _KEPT_LOCK:
        if key in _KEPT:
            _KEPT.move_to_end(key)
            return _KEPT[key]
    if may_render is not None:
        may_render()
    pdf = html_to_pdf(html)
    with _KEPT_LOCK:
        _KEPT[key] = pdf
        while len(_KEPT) > KEPT:
            _KEPT.popitem(last=False)
    return pdf
