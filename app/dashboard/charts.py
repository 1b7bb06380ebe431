"""Server-side SVG charts: horizontal bars with interval whiskers and a target line, and a monthly line with its
interval band. No script, no style attributes (a strict Content-Security-Policy allows presentation attributes);
each chart is an ``img`` for assistive technology, with its title and a summary, and the page puts the same numbers
in a table beside it — the table is the accessible form of the chart, the SVG only draws it.

Verdicts are told by colour *and* a glyph (✓ met, ✗ not met, ? inconclusive, ○ not enough data); unreliable
estimates are hatched grey with "⚠" — with a target their verdict is "not enough data" (○, violet outline, never the
red of "not met"), and no summary counts them as met or not met. Rates are proportions (0–1)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from app.dashboard.format import month_short, pct
from app.public.i18n import Lang
from app.stats.estimates import Estimate

COLOURS = {
    "met": "#1b7a3d",
    "not_met": "#b3261e",
    "inconclusive": "#8a5a00",
    "insufficient_data": "#6a3d9a",
    "none": "#0b4f9c",
}
GLYPHS = {"met": "✓", "not_met": "✗", "inconclusive": "?", "insufficient_data": "○", "none": ""}
JUDGED = ("met", "not_met", "inconclusive")  # the verdicts that compare an estimate with its target
UNRELIABLE_COLOUR = "#767b85"
TARGET_COLOUR = "#1a1a1a"
BAND_COLOUR = "#c9dcf2"
LINE_COLOUR = "#0b4f9c"

# Bar chart geometry (user units of the viewBox; the SVG scales to its container).
WIDTH = 960
LABEL_WIDTH = 330
VALUE_WIDTH = 120
ROW_HEIGHT = 30
BAR_HEIGHT = 16
TOP = 34
BOTTOM = 10
LABEL_CHARS = 46


@dataclass(frozen=True)
class Bar:
    key: str  # agency, counter or metric code (ids and test hooks)
    label: str
    estimate: Estimate
    highlight: bool = False  # the weakest of its kind


@dataclass(frozen=True)
class Point:
    period: str  # "2026-10"
    estimate: Estimate
    alerts: tuple[str, ...] = ()


def verdict_key(estimate: Estimate) -> str:
    """met, not_met, inconclusive, insufficient_data (unreliable, so not compared), or none (no target)."""
    return estimate.verdict or "none"


def verdict_counts(estimates: Sequence[Estimate]) -> dict[str, int]:
    """How many estimates have each verdict key, every key present (0 when none)."""
    found = Counter(verdict_key(estimate) for estimate in estimates)
    return {key: found[key] for key in COLOURS}


def summary_of(estimates: Sequence[Estimate]) -> str:
    """For screen readers: met / judged ✓, judged counting only met, not met and inconclusive, then ", n ○" for
    the estimates with not enough data, which are never counted as met or not met."""
    counts = verdict_counts(estimates)
    judged = sum(counts[key] for key in JUDGED)
    text = f"{counts['met']} / {judged} ✓"
    if counts["insufficient_data"]:
        text += f", {counts['insufficient_data']} ○"
    return text


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _clip(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def axis_floor(estimates: Sequence[Estimate], target: float | None) -> float:
    """Where the value axis starts: 5 points below the lowest bound (or target) shown, rounded down to a multiple
    of 10, never below 0 — bars of rates that all lie between 75% and 95% would otherwise look alike. An unreliable
    estimate counts with its point, not its (often 0–100%) interval, whose whisker is then cut at the axis."""
    lows = [e.estimate if e.unreliable else e.low for e in estimates if math.isfinite(e.low)]
    if target is not None:
        lows.append(target)
    if not lows:
        return 0.0
    return max(0.0, math.floor((min(lows) - 0.05) * 10) / 10)


def _ticks(floor: float) -> list[float]:
    step = 0.05 if 1 - floor <= 0.3 + 1e-9 else 0.1
    count = round((1 - floor) / step)
    return [floor + step * i for i in range(count + 1)]


def _hatch(pattern_id: str) -> str:
    return (
        f'<defs><pattern id="{pattern_id}" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#e4e6ea"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{UNRELIABLE_COLOUR}" stroke-width="3"/></pattern></defs>'
    )


def _open(chart_id: str, title: str, summary: str, height: float, css_class: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{chart_id}" class="chart {css_class}" '
        f'viewBox="0 0 {WIDTH} {_num(height)}" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'data-testid="{chart_id}">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(summary)}</desc>',
    ]


def bar_chart(
    chart_id: str,
    title: str,
    bars: Sequence[Bar],
    *,
    lang: Lang,
    target: float | None = None,
    target_label: str = "",
    unreliable_label: str = "",
    summary: str = "",
) -> Markup:
    """One row per bar: the bar from the axis start to the estimate, the interval as a whisker, the value with the
    verdict glyph; a dashed vertical line at the target. ``summary`` (for screen readers) defaults to
    :func:`summary_of` the bars."""
    height = TOP + ROW_HEIGHT * max(len(bars), 1) + BOTTOM
    floor = axis_floor([bar.estimate for bar in bars], target)
    left, right = LABEL_WIDTH, WIDTH - VALUE_WIDTH

    def x(share: float) -> float:
        return left + (min(max(share, floor), 1.0) - floor) / (1 - floor) * (right - left)

    hatch = f"{chart_id}-hatch"
    summary = (summary or summary_of([bar.estimate for bar in bars])) + (
        f"; {target_label}" if target is not None else ""
    )
    out = _open(chart_id, title, summary, height, "bar-chart")
    out.append(_hatch(hatch))
    out.append('<g class="axis" aria-hidden="true">')
    for tick in _ticks(floor):
        out.append(
            f'<line x1="{_num(x(tick))}" y1="{TOP - 6}" x2="{_num(x(tick))}" y2="{_num(height - BOTTOM)}" '
            f'stroke="#d5d9df" stroke-width="1"/>'
        )
        out.append(
            f'<text x="{_num(x(tick))}" y="{TOP - 12}" text-anchor="middle" font-size="12" fill="#444">'
            f"{escape(pct(tick, lang, 0))}</text>"
        )
    out.append("</g>")
    for row, bar in enumerate(bars):
        estimate = bar.estimate
        verdict = verdict_key(estimate)
        unreliable = estimate.unreliable
        middle = TOP + ROW_HEIGHT * row + ROW_HEIGHT / 2
        classes = (
            f"bar verdict-{verdict}" + (" unreliable" if unreliable else "") + (" weakest" if bar.highlight else "")
        )
        fill = f"url(#{hatch})" if unreliable else COLOURS[verdict]
        value = pct(estimate.estimate, lang)
        glyph = "⚠" if unreliable and verdict != "insufficient_data" else GLYPHS[verdict]
        tooltip = f"{bar.label}: {value} [{pct(estimate.low, lang)} – {pct(estimate.high, lang)}]"
        if unreliable:
            tooltip += f" – {unreliable_label}"
        out.append(f'<g class="{classes}" data-key="{escape(bar.key)}" data-verdict="{verdict}">')
        out.append(f"<title>{escape(tooltip)}</title>")
        weight = ' font-weight="700"' if bar.highlight else ""
        out.append(
            f'<text x="{left - 8}" y="{_num(middle + 4)}" text-anchor="end" font-size="13" fill="#1a1a1a"'
            f"{weight}>{escape(_clip(bar.label))}</text>"
        )
        top = middle - BAR_HEIGHT / 2
        width = max(x(estimate.estimate) - left, 0.0)
        stroke = ""
        if verdict == "insufficient_data":
            stroke = f' stroke="{COLOURS[verdict]}" stroke-width="2"'
        elif unreliable:
            stroke = f' stroke="{UNRELIABLE_COLOUR}" stroke-width="1"'
        out.append(
            f'<rect class="bar-fill" x="{left}" y="{_num(top)}" width="{_num(width)}" height="{BAR_HEIGHT}" '
            f'fill="{fill}"{stroke}/>'
        )
        low, high = x(estimate.low), x(estimate.high)
        out.append(
            f'<path class="whisker" d="M{_num(low)} {_num(middle)}H{_num(high)}M{_num(low)} {_num(middle - 6)}'
            f'V{_num(middle + 6)}M{_num(high)} {_num(middle - 6)}V{_num(middle + 6)}" stroke="#1a1a1a" '
            'stroke-width="1.5" fill="none"/>'
        )
        out.append(
            f'<text class="value" x="{right + 8}" y="{_num(middle + 4)}" font-size="13" fill="#1a1a1a"'
            f"{weight}>{escape(value)} {glyph}</text>"
        )
        out.append("</g>")
    if target is not None:
        tx = _num(x(target))
        out.append(
            f'<g class="target" aria-hidden="true"><line x1="{tx}" y1="{TOP - 4}" x2="{tx}" '
            f'y2="{_num(height - BOTTOM + 4)}" stroke="{TARGET_COLOUR}" stroke-width="2" '
            f'stroke-dasharray="6 4"/></g>'
        )
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 - every text and attribute value above is escaped


# Trend chart geometry.
TREND_HEIGHT = 300
TREND_LEFT = 60
TREND_RIGHT = 20
TREND_TOP = 20
TREND_BOTTOM = 40


def trend_chart(
    chart_id: str,
    title: str,
    points: Sequence[Point],
    *,
    lang: Lang,
    target: float | None = None,
    target_label: str = "",
    drop_label: str = "",
) -> Markup:
    """The series as a line through its estimates over a band from lower to upper bounds, a dashed target line, a
    red ▼ above each period that fell significantly, hollow points where the estimate is unreliable."""
    estimates = [point.estimate for point in points]
    floor = axis_floor(estimates, target)
    bottom = TREND_HEIGHT - TREND_BOTTOM
    span = WIDTH - TREND_LEFT - TREND_RIGHT

    def x(index: int) -> float:
        if len(points) <= 1:
            return TREND_LEFT + span / 2
        return TREND_LEFT + span * index / (len(points) - 1)

    def y(share: float) -> float:
        return bottom - (min(max(share, floor), 1.0) - floor) / (1 - floor) * (bottom - TREND_TOP)

    first = points[0].period if points else ""
    last = points[-1].period if points else ""
    summary = f"{month_short(first, lang)} – {month_short(last, lang)}" + (f"; {target_label}" if target else "")
    out = _open(chart_id, title, summary, TREND_HEIGHT, "trend-chart")
    out.append('<g class="axis" aria-hidden="true">')
    for tick in _ticks(floor):
        out.append(
            f'<line x1="{TREND_LEFT}" y1="{_num(y(tick))}" x2="{WIDTH - TREND_RIGHT}" y2="{_num(y(tick))}" '
            f'stroke="#d5d9df" stroke-width="1"/>'
        )
        out.append(
            f'<text x="{TREND_LEFT - 8}" y="{_num(y(tick) + 4)}" text-anchor="end" font-size="12" '
            f'fill="#444">{escape(pct(tick, lang, 0))}</text>'
        )
    for index, point in enumerate(points):
        out.append(
            f'<text x="{_num(x(index))}" y="{bottom + 22}" text-anchor="middle" font-size="12" fill="#444">'
            f"{escape(month_short(point.period, lang))}</text>"
        )
    out.append("</g>")
    if points:
        upper = " ".join(f"{_num(x(i))},{_num(y(p.estimate.high))}" for i, p in enumerate(points))
        lower = " ".join(f"{_num(x(i))},{_num(y(p.estimate.low))}" for i, p in reversed(list(enumerate(points))))
        out.append(f'<polygon class="band" points="{upper} {lower}" fill="{BAND_COLOUR}" fill-opacity="0.8"/>')
        line = " ".join(f"{_num(x(i))},{_num(y(p.estimate.estimate))}" for i, p in enumerate(points))
        out.append(f'<polyline class="line" points="{line}" fill="none" stroke="{LINE_COLOUR}" stroke-width="2.5"/>')
    if target is not None:
        ty = _num(y(target))
        out.append(
            f'<g class="target" aria-hidden="true"><line x1="{TREND_LEFT}" y1="{ty}" x2="{WIDTH - TREND_RIGHT}" '
            f'y2="{ty}" stroke="{TARGET_COLOUR}" stroke-width="2" stroke-dasharray="6 4"/></g>'
        )
    for index, point in enumerate(points):
        estimate = point.estimate
        verdict = verdict_key(estimate)
        cx, cy = _num(x(index)), _num(y(estimate.estimate))
        fill = "#fff" if estimate.unreliable else COLOURS[verdict]
        classes = f"point verdict-{verdict}" + (" unreliable" if estimate.unreliable else "")
        tooltip = (
            f"{month_short(point.period, lang)}: {pct(estimate.estimate, lang)} "
            f"[{pct(estimate.low, lang)} – {pct(estimate.high, lang)}]"
        )
        out.append(
            f'<g class="{classes}" data-period="{escape(point.period)}"><title>{escape(tooltip)}</title>'
            f'<circle cx="{cx}" cy="{cy}" r="5" fill="{fill}" stroke="{COLOURS[verdict]}" stroke-width="2"/>'
            "</g>"
        )
        if "significant_drop" in point.alerts:
            top = y(estimate.high) - 8
            out.append(
                f'<g class="alert significant-drop" data-period="{escape(point.period)}">'
                f"<title>{escape(drop_label)}</title>"
                f'<path d="M{_num(x(index) - 7)} {_num(top - 12)}H{_num(x(index) + 7)}L{cx} {_num(top)}Z" '
                f'fill="{COLOURS["not_met"]}"/></g>'
            )
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 - every text and attribute value above is escaped
