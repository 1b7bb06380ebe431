"""The breakdowns page's pictures: horizontal bars with interval whiskers, and the hour × weekday heat maps.

**Bars** (:func:`bar_chart`) are one server-drawn SVG that reflows to any width: positions are percentages of the
chart's width, text is in pixels, each label sits above its bar (wrapped, never cut). The value axis runs from 0% to
100%, so a bar's length is its rate, two bars compare, and a whisker (the interval, which lies in 0–100%) is never
cut. Unreliable estimates are hatched grey and marked ⚠ (the same rule as everywhere: no verdict colour). No script,
no style attribute (the content security policy forbids them); the table beside each chart holds the same numbers.

**Heat maps** (:func:`answers_map`, :func:`dissatisfied_map`) are HTML tables — rows are local hours, columns
weekdays — whose cells print their value and carry a colour class of a sequential scale with a printed legend, so
they read without colour. A cell whose dissatisfied share fails the reliability rule is hatched, prints ⚠ instead
of a share and says "not enough data" to screen readers."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from app.dashboard.format import number, pct
from app.public.i18n import Lang
from app.stats.estimates import Estimate

BAR_FILL = "#8fb6e3"
BAR_STROKE = "#0b4f9c"
WHISKER = "#1a1a1a"
GRID = "#d5d9df"
TEXT = "#1a1a1a"
TICK_TEXT = "#444"
UNRELIABLE_STROKE = "#767b85"

FONT = 14  # px, every text of a bar chart
TICK_FONT = 13
LINE = 18  # px per label line
BAR = 14  # bar height
GAP = 14  # between rows
TOP = 26  # the tick labels
LEFT = 1.0  # the axis' 0, in percent of the width (a glyph or stroke at exactly 0 would stick out by a pixel)
PLOT = 73.0  # the bars' track: from 1% to 74% of the width; the value is printed from 76%
LABEL_CHARS = 38  # label characters per line: fits a 330 px column at 14 px (the narrowest phone)
TICKS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


@dataclass(frozen=True)
class Bar:
    key: str
    label: str
    estimate: Estimate


def _x(share: float) -> str:
    """A position on the value axis, in percent of the chart's width (0–1 → 1%–74%)."""
    return f"{LEFT + max(0.0, min(1.0, share)) * PLOT:.3f}%"


def _width(share: float) -> str:
    """A bar's length for a rate, in percent of the chart's width."""
    return f"{max(0.0, min(1.0, share)) * PLOT:.3f}%"


def bar_chart(chart_id: str, title: str, bars: Sequence[Bar], *, lang: Lang, unreliable_label: str) -> Markup:
    """Bars from 0% with their interval whiskers; unreliable bars hatched with ⚠ before their value."""
    rows: list[tuple[Bar, list[str], float]] = []
    y = float(TOP)
    for bar in bars:
        lines = textwrap.wrap(bar.label, LABEL_CHARS, break_long_words=True, break_on_hyphens=False) or [""]
        rows.append((bar, lines, y))
        y += len(lines) * LINE + 2 + BAR + GAP
    height = y
    summary = "; ".join(
        f"{bar.label}: {pct(bar.estimate.estimate, lang)} ({pct(bar.estimate.low, lang)}–"
        f"{pct(bar.estimate.high, lang)}){' ⚠ ' + unreliable_label if bar.estimate.unreliable else ''}"
        for bar in bars
    )
    hatch = f"{chart_id}-hatch"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{chart_id}" class="bd-chart" width="100%" height="{height:.0f}" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" data-testid="{chart_id}">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(summary)}</desc>',
        f'<defs><pattern id="{hatch}" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#e4e6ea"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{UNRELIABLE_STROKE}" stroke-width="3"/></pattern></defs>',
    ]
    for tick in TICKS:
        anchor = "start" if tick == 0 else "middle"
        out.append(
            f'<line x1="{_x(tick)}" x2="{_x(tick)}" y1="{TOP - 6}" y2="{height - GAP / 2:.0f}" stroke="{GRID}"/>'
            f'<text x="{_x(tick)}" y="{TOP - 10}" font-size="{TICK_FONT}" fill="{TICK_TEXT}" '
            f'text-anchor="{anchor}">{escape(pct(tick, lang, 0))}</text>'
        )
    for bar, lines, top in rows:
        estimate = bar.estimate
        for index, line in enumerate(lines):
            out.append(
                f'<text x="{LEFT}%" y="{top + (index + 1) * LINE - 5:.0f}" font-size="{FONT}" fill="{TEXT}">'
                f"{escape(line)}</text>"
            )
        bar_top = top + len(lines) * LINE + 2
        middle = bar_top + BAR / 2
        fill = f"url(#{hatch})" if estimate.unreliable else BAR_FILL
        stroke = UNRELIABLE_STROKE if estimate.unreliable else BAR_STROKE
        out.append(
            f'<rect x="{_x(0)}" y="{bar_top:.0f}" width="{_width(estimate.estimate)}" height="{BAR}" fill="{fill}" '
            f'stroke="{stroke}" data-key="{escape(bar.key)}" data-unreliable="{str(estimate.unreliable).lower()}"/>'
        )
        low, high = _x(estimate.low), _x(estimate.high)
        out.append(
            f'<line x1="{low}" x2="{high}" y1="{middle:.1f}" y2="{middle:.1f}" stroke="{WHISKER}" stroke-width="2"/>'
            f'<line x1="{low}" x2="{low}" y1="{bar_top - 2:.0f}" y2="{bar_top + BAR + 2:.0f}" stroke="{WHISKER}" '
            f'stroke-width="2"/>'
            f'<line x1="{high}" x2="{high}" y1="{bar_top - 2:.0f}" y2="{bar_top + BAR + 2:.0f}" stroke="{WHISKER}" '
            f'stroke-width="2"/>'
        )
        value = ("⚠ " if estimate.unreliable else "") + pct(estimate.estimate, lang)
        out.append(
            f'<text x="{LEFT + PLOT + 2:.0f}%" y="{bar_top + BAR - 2:.0f}" font-size="{FONT}" fill="{TEXT}" '
            f'font-weight="600">{escape(value)}</text>'
        )
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 - every text in it is escaped


# --- heat maps ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeatCell:
    text: str  # what the cell prints
    level: int | None  # colour class 0–4 of the scale; None: no colour (no answers)
    hatched: bool = False  # the share fails the reliability rule
    spoken: str = ""  # read by screen readers after the printed text (e.g. "not enough data")


@dataclass(frozen=True)
class HeatRow:
    hour: int
    label: str  # "07:00"
    cells: list[HeatCell]


@dataclass(frozen=True)
class HeatMap:
    map_id: str
    kind: str  # "answers" or "share": the colour scale
    rows: list[HeatRow]
    legend: list[tuple[int, str]]  # (level, the range it stands for)
    hidden_hours: str  # the hours without answers that are left out ("" when none)


DAYS = (1, 2, 3, 4, 5, 6, 7)
SHARE_EDGES = (0.10, 0.20, 0.30, 0.40)  # dissatisfied share: < 10%, 10–20%, 20–30%, 30–40%, ≥ 40%


def shown_hours(hours_with_answers: set[int]) -> list[int]:
    """From the first hour with answers to the last (the hours between stay, even if empty)."""
    if not hours_with_answers:
        return []
    return list(range(min(hours_with_answers), max(hours_with_answers) + 1))


def _hour_ranges(hours: Sequence[int]) -> str:
    """Hours as local time ranges: [0, 1, 2, 20, 21] → "00:00–02:59, 20:00–21:59"."""
    ranges: list[tuple[int, int]] = []
    for hour in sorted(hours):
        if ranges and ranges[-1][1] == hour - 1:
            ranges[-1] = (ranges[-1][0], hour)
        else:
            ranges.append((hour, hour))
    return ", ".join(f"{first:02d}:00–{last:02d}:59" for first, last in ranges)


def count_edges(largest: int) -> list[int]:
    """Upper edges of up to five classes of counts from 1 to ``largest``, equal in width (rounded up)."""
    if largest <= 0:
        return []
    return sorted({math.ceil(largest * k / 5) for k in range(1, 6)})


def answers_map(map_id: str, counts: dict[tuple[int, int], int], *, lang: Lang, none_label: str) -> HeatMap:
    """Responses per (weekday, hour): each cell prints its count; colour classes of equal width up to the
    largest count."""
    hours = shown_hours({hour for (_day, hour), count in counts.items() if count})
    edges = count_edges(max(counts.values(), default=0))
    rows: list[HeatRow] = []
    for hour in hours:
        cells: list[HeatCell] = []
        for day in DAYS:
            count = counts.get((day, hour), 0)
            if not count:
                cells.append(HeatCell("–", None, spoken=none_label))
                continue
            level = next(index for index, edge in enumerate(edges) if count <= edge)
            cells.append(HeatCell(number(count, lang), level + 5 - len(edges)))
        rows.append(HeatRow(hour, f"{hour:02d}:00", cells))
    legend: list[tuple[int, str]] = []
    low = 1
    for index, edge in enumerate(edges):
        text = number(low, lang) if low == edge else f"{number(low, lang)}–{number(edge, lang)}"
        legend.append((index + 5 - len(edges), text))
        low = edge + 1
    hidden = sorted(set(range(24)) - set(hours)) if hours else []
    return HeatMap(map_id, "answers", rows, legend, _hour_ranges(hidden))


def share_level(share: float) -> int:
    return sum(share >= edge for edge in SHARE_EDGES)


def dissatisfied_map(
    map_id: str,
    shares: dict[tuple[int, int], Estimate],
    counts: dict[tuple[int, int], int],
    *,
    lang: Lang,
    none_label: str,
    unreliable_label: str,
) -> HeatMap:
    """The share not satisfied per (weekday, hour) — an estimate (``app.reports.breakdowns.not_satisfied``) per
    cell: reliable cells print it (one decimal) in their colour class; unreliable ones are hatched and print ⚠, no
    share; cells without answers print "–"."""
    hours = shown_hours({hour for (_day, hour), count in counts.items() if count})
    rows: list[HeatRow] = []
    for hour in hours:
        cells: list[HeatCell] = []
        for day in DAYS:
            estimate = shares.get((day, hour))
            if estimate is None:
                cells.append(HeatCell("–", None, spoken=none_label))
            elif estimate.unreliable:
                spoken = f"{unreliable_label} (n = {number(estimate.n, lang)})"
                cells.append(HeatCell("⚠", None, hatched=True, spoken=spoken))
            else:
                cells.append(HeatCell(pct(estimate.estimate, lang, 1), share_level(estimate.estimate)))
        rows.append(HeatRow(hour, f"{hour:02d}:00", cells))
    bounds = [0.0, *SHARE_EDGES]
    legend = [
        (
            index,
            f"{pct(low, lang, 0)}–{pct(bounds[index + 1], lang, 0)}"
            if index + 1 < len(bounds)
            else f"≥ {pct(low, lang, 0)}",
        )
        for index, low in enumerate(bounds)
    ]
    hidden = sorted(set(range(24)) - set(hours)) if hours else []
    return HeatMap(map_id, "share", rows, legend, _hour_ranges(hidden))
