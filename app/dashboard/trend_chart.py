"""The monthly trend chart: a line of the rates with their interval band, the targets the months were judged
against, and the months' alerts. Same rules as the bar charts of ``app/dashboard/charts.py`` (no script, no style
attributes, an ``img`` with a title and a summary, a wide and a narrow layout, verdicts told by colour and glyph);
its value axis starts where :func:`trend_floor` says, low enough to hold every interval and target."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from app.dashboard.charts import (
    AXIS_END,
    AXIS_START,
    BAND_COLOUR,
    COLOURS,
    FONT,
    GRID_COLOUR,
    GRID_STEP,
    LINE_COLOUR,
    NARROW_FONT,
    NARROW_INDENT,
    NARROW_TICK_FONT,
    TARGET_COLOUR,
    TICK_COLOUR,
    WIDTH,
    num,
    shared_target,
    svg_open,
    ticks,
    verdict_key,
)
from app.dashboard.format import month_short, pct
from app.public.i18n import Lang
from app.stats.estimates import Estimate


@dataclass(frozen=True)
class Point:
    period: str  # "2026-10"
    estimate: Estimate
    alerts: tuple[str, ...] = ()


TREND_HEIGHT = 300
TREND_LEFT = 64
TREND_RIGHT = 40  # half the widest month label ("Nov 26") fits after the last month
TREND_TOP = 20
TREND_BOTTOM = 44
TREND_MONTH_WIDTH = 56  # room one month label needs (labels are thinned to fit)

# Narrow trend geometry (pixels; horizontal positions in percent).
NARROW_TREND_HEIGHT = 250
NARROW_TREND_TOP = 16
NARROW_TREND_BOTTOM = 30
NARROW_TREND_LEFT = 16.0  # % of the width kept for the axis labels, written above their grid lines
NARROW_TREND_RIGHT = 91.0  # the last month's label (centred on it) stays inside a 320 px phone's column
NARROW_MONTH_LABELS = 5  # at most, so that "10/26" fits between them on a 320 px phone


def trend_floor(estimates: Sequence[Estimate]) -> float:
    """Where the trend's vertical axis starts: below every interval end and every target, at a multiple of 10
    points (2 points of margin), never below 0 — a line, not bars, so it need not start at 0 (its lowest grid line
    is labelled), but its band is never cut. The axis always ends at 100%."""
    lows = [e.low for e in estimates if math.isfinite(e.low)]
    lows += [e.target for e in estimates if e.target is not None]
    if not lows:
        return AXIS_START
    return max(AXIS_START, math.floor(round((min(lows) - 0.02) * 10, 9)) / 10)


def _trend_ticks(floor: float) -> tuple[list[float], float]:
    """Grid lines and the step between labelled ones: every 5 points on a short axis, else every 10 (labels every
    20 on a long one)."""
    span = AXIS_END - floor
    step = 0.05 if span <= 0.3 + 1e-9 else GRID_STEP
    label_step = step if span / step <= 6 + 1e-9 else step * 2
    return ticks(floor, AXIS_END, step), label_step


def _labelled(index: int, count: int, every: int) -> bool:
    """Month labels counted back from the newest, so the last month is always named."""
    return (count - 1 - index) % every == 0


def trend_chart(
    chart_id: str,
    title: str,
    points: Sequence[Point],
    *,
    lang: Lang,
    target_label: str = "",
    drop_label: str = "",
) -> Markup:
    """The series as a line through its estimates over its interval band, the months' targets dashed (one line when
    every month has the same; a dash at each judged month when they differ), a red ▼ above each period that fell
    significantly, hollow points where the estimate is unreliable — wide (``chart_id``) and narrow
    (``chart_id``-narrow), on the same axis. ``target_label`` says what the dashes are, for screen readers."""
    estimates = [point.estimate for point in points]
    floor = trend_floor(estimates)
    first = points[0].period if points else ""
    last = points[-1].period if points else ""
    summary = f"{month_short(first, lang)} – {month_short(last, lang)}; {pct(floor, lang, 0)} – 100%" + (
        f"; {target_label}" if target_label else ""
    )
    wide = _trend_wide(chart_id, title, summary, points, floor, lang=lang, drop_label=drop_label)
    narrow = _trend_narrow(f"{chart_id}-narrow", title, summary, points, floor, lang=lang, drop_label=drop_label)
    return Markup(wide + narrow)  # noqa: S704 - both are escaped SVG


def _trend_targets(
    points: Sequence[Point],
    start: Callable[[int], str],
    end: Callable[[int], str],
    left: float | str,
    right: float | str,
    y: Callable[[float], float],
) -> list[str]:
    """The months' targets, dashed: one line from ``left`` to ``right`` when every month has the same target, else a
    dash across each judged month (from ``start(i)`` to ``end(i)``), none for months without a target."""
    estimates = [point.estimate for point in points]
    shared = shared_target(estimates)
    dash = f'stroke="{TARGET_COLOUR}" stroke-width="2" stroke-dasharray="6 4"'
    lines: list[str] = []
    if shared is not None:
        at = num(y(shared))
        lines.append(f'<line x1="{left}" y1="{at}" x2="{right}" y2="{at}" {dash}/>')
    else:
        for index, estimate in enumerate(estimates):
            if estimate.target is not None:
                at = num(y(estimate.target))
                lines.append(
                    f'<line class="month-target" x1="{start(index)}" y1="{at}" x2="{end(index)}" y2="{at}" {dash}/>'
                )
    return ['<g class="target" aria-hidden="true">', *lines, "</g>"] if lines else []


def _point_parts(point: Point, lang: Lang) -> tuple[str, str, str]:
    """(classes, fill, tooltip) of one month's point."""
    estimate = point.estimate
    verdict = verdict_key(estimate)
    fill = "#fff" if estimate.unreliable else COLOURS[verdict]
    classes = f"point verdict-{verdict}" + (" unreliable" if estimate.unreliable else "")
    tooltip = (
        f"{month_short(point.period, lang)}: {pct(estimate.estimate, lang)} "
        f"[{pct(estimate.low, lang)} – {pct(estimate.high, lang)}]"
    )
    return classes, fill, tooltip


def _trend_wide(
    chart_id: str,
    title: str,
    summary: str,
    points: Sequence[Point],
    floor: float,
    *,
    lang: Lang,
    drop_label: str,
) -> str:
    bottom = TREND_HEIGHT - TREND_BOTTOM
    span = WIDTH - TREND_LEFT - TREND_RIGHT

    def x(index: int) -> float:
        if len(points) <= 1:
            return TREND_LEFT + span / 2
        return TREND_LEFT + span * index / (len(points) - 1)

    def y(share: float) -> float:
        return bottom - (min(max(share, floor), AXIS_END) - floor) / (AXIS_END - floor) * (bottom - TREND_TOP)

    out = svg_open(chart_id, title, summary, TREND_HEIGHT, "trend-chart", narrow=False)
    out.append('<g class="axis" aria-hidden="true">')
    ticks, label_step = _trend_ticks(floor)
    for tick in ticks:
        out.append(
            f'<line x1="{TREND_LEFT}" y1="{num(y(tick))}" x2="{WIDTH - TREND_RIGHT}" y2="{num(y(tick))}" '
            f'stroke="{GRID_COLOUR}" stroke-width="1"/>'
        )
        if abs((tick - floor) / label_step - round((tick - floor) / label_step)) < 1e-9:
            out.append(
                f'<text x="{TREND_LEFT - 8}" y="{num(y(tick) + 5)}" text-anchor="end" font-size="{FONT}" '
                f'fill="{TICK_COLOUR}">{escape(pct(tick, lang, 0))}</text>'
            )
    every = max(1, math.ceil(len(points) * TREND_MONTH_WIDTH / span))
    for index, point in enumerate(points):
        if _labelled(index, len(points), every):
            out.append(
                f'<text x="{num(x(index))}" y="{bottom + 26}" text-anchor="middle" font-size="{FONT}" '
                f'fill="{TICK_COLOUR}">{escape(month_short(point.period, lang))}</text>'
            )
    out.append("</g>")
    if points:
        upper = " ".join(f"{num(x(i))},{num(y(p.estimate.high))}" for i, p in enumerate(points))
        lower = " ".join(f"{num(x(i))},{num(y(p.estimate.low))}" for i, p in reversed(list(enumerate(points))))
        out.append(f'<polygon class="band" points="{upper} {lower}" fill="{BAND_COLOUR}" fill-opacity="0.8"/>')
        line = " ".join(f"{num(x(i))},{num(y(p.estimate.estimate))}" for i, p in enumerate(points))
        out.append(f'<polyline class="line" points="{line}" fill="none" stroke="{LINE_COLOUR}" stroke-width="2.5"/>')
    half = span / max(len(points) - 1, 1) / 2
    out += _trend_targets(
        points, lambda i: num(x(i) - half), lambda i: num(x(i) + half), TREND_LEFT, WIDTH - TREND_RIGHT, y
    )
    for index, point in enumerate(points):
        classes, fill, tooltip = _point_parts(point, lang)
        cx, cy = num(x(index)), num(y(point.estimate.estimate))
        out.append(
            f'<g class="{classes}" data-period="{escape(point.period)}"><title>{escape(tooltip)}</title>'
            f'<circle cx="{cx}" cy="{cy}" r="5" fill="{fill}" stroke="{COLOURS[verdict_key(point.estimate)]}" '
            'stroke-width="2"/></g>'
        )
        if "significant_drop" in point.alerts:
            top = y(point.estimate.high) - 8
            out.append(
                f'<g class="alert significant-drop" data-period="{escape(point.period)}">'
                f"<title>{escape(drop_label)}</title>"
                f'<path d="M{num(x(index) - 7)} {num(top - 12)}H{num(x(index) + 7)}L{cx} {num(top)}Z" '
                f'fill="{COLOURS["not_met"]}"/></g>'
            )
    out.append("</svg>")
    return "".join(out)


def _trend_narrow(
    chart_id: str,
    title: str,
    summary: str,
    points: Sequence[Point],
    floor: float,
    *,
    lang: Lang,
    drop_label: str,
) -> str:
    """The trend for phones: each month's interval as a pale bar behind its point, the points joined by a line."""
    bottom = NARROW_TREND_HEIGHT - NARROW_TREND_BOTTOM
    span = NARROW_TREND_RIGHT - NARROW_TREND_LEFT
    spacing = span / max(len(points) - 1, 1)
    band = min(spacing * 0.6, 6.0)

    def x(index: int) -> float:
        if len(points) <= 1:
            return NARROW_TREND_LEFT + span / 2
        return NARROW_TREND_LEFT + spacing * index

    def y(share: float) -> float:
        return bottom - (min(max(share, floor), AXIS_END) - floor) / (AXIS_END - floor) * (bottom - NARROW_TREND_TOP)

    out = svg_open(chart_id, title, summary, NARROW_TREND_HEIGHT, "trend-chart", narrow=True)
    out.append('<g class="axis" aria-hidden="true">')
    ticks, label_step = _trend_ticks(floor)
    for tick in ticks:
        at = num(y(tick))
        out.append(f'<line x1="0" y1="{at}" x2="100%" y2="{at}" stroke="{GRID_COLOUR}" stroke-width="1"/>')
        if abs((tick - floor) / label_step - round((tick - floor) / label_step)) < 1e-9:
            out.append(
                f'<text x="{NARROW_INDENT}" y="{num(y(tick) - 3)}" font-size="{NARROW_TICK_FONT}" '
                f'fill="{TICK_COLOUR}">{escape(pct(tick, lang, 0))}</text>'
            )
    every = max(1, math.ceil(len(points) / NARROW_MONTH_LABELS))
    for index, point in enumerate(points):
        if _labelled(index, len(points), every):
            out.append(
                f'<text x="{num(x(index))}%" y="{bottom + 20}" text-anchor="middle" font-size="{NARROW_TICK_FONT}" '
                f'fill="{TICK_COLOUR}">{escape(month_short(point.period, lang))}</text>'
            )
    out.append("</g>")
    for index, point in enumerate(points):
        low, high = y(point.estimate.low), y(point.estimate.high)
        out.append(
            f'<rect class="band" x="{num(x(index) - band / 2)}%" y="{num(high)}" width="{num(band)}%" '
            f'height="{num(max(low - high, 1.0))}" fill="{BAND_COLOUR}"/>'
        )
    for index in range(1, len(points)):
        out.append(
            f'<line class="line" x1="{num(x(index - 1))}%" y1="{num(y(points[index - 1].estimate.estimate))}" '
            f'x2="{num(x(index))}%" y2="{num(y(points[index].estimate.estimate))}" stroke="{LINE_COLOUR}" '
            'stroke-width="2.5"/>'
        )
    out += _trend_targets(
        points,
        lambda i: f"{num(x(i) - spacing / 2)}%",
        lambda i: f"{num(x(i) + spacing / 2)}%",
        f"{num(NARROW_TREND_LEFT - band)}%",
        "100%",
        y,
    )
    for index, point in enumerate(points):
        classes, fill, tooltip = _point_parts(point, lang)
        out.append(
            f'<g class="{classes}" data-period="{escape(point.period)}"><title>{escape(tooltip)}</title>'
            f'<circle cx="{num(x(index))}%" cy="{num(y(point.estimate.estimate))}" r="5" fill="{fill}" '
            f'stroke="{COLOURS[verdict_key(point.estimate)]}" stroke-width="2"/></g>'
        )
        if "significant_drop" in point.alerts:
            out.append(
                f'<g class="alert significant-drop" data-period="{escape(point.period)}">'
                f"<title>{escape(drop_label)}</title>"
                f'<text x="{num(x(index))}%" y="{num(y(point.estimate.high) - 4)}" text-anchor="middle" '
                f'font-size="{NARROW_FONT}" fill="{COLOURS["not_met"]}">▼</text></g>'
            )
    out.append("</svg>")
    return "".join(out)
