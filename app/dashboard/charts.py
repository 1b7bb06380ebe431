"""Server-side SVG charts: horizontal bars with interval whiskers and target marks, and what every chart of the
dashboard draws with (``app/dashboard/trend_chart.py`` draws the monthly line with its interval band). No script, no
style attributes (a strict Content-Security-Policy allows presentation attributes); each chart is an ``img`` for
assistive technology, with its title and a summary, and the page puts the same numbers in a table beside it — the
table is the accessible form of the chart, the SVG only draws it.

Rules that keep a chart from misleading (see docs/dashboard.md, "Charts that do not mislead"):

- **Bars start at 0.** Every bar chart's value axis runs from 0% to 100% — the same scale on every chart of every
  page — so a bar's length is its rate and two bars' lengths compare. Rates and their interval ends are proportions
  (0–1), so no whisker is ever cut at the axis.
- **Targets are the rows' own.** A bar shows the target its estimate was judged against (``Estimate.target``, as the
  report resolved it), nothing else: one dashed line across the chart when every bar has the same target, a dashed
  mark on each judged row when targets differ, none when no row has one — so the chart and the table's verdict
  column always agree.
- **Labels are never cut.** Long labels wrap onto several lines (the row grows); nothing is truncated.
- **Two layouts.** Each chart is drawn twice: a wide one (``viewBox`` 960 wide, labels beside the bars, text 15 units,
  so ≥ 11.4 px on screen from a 728 px wide column) and a narrow one for phones (no ``viewBox``: positions in
  percent of the width and text in pixels, so it reflows to any width and its text keeps its size; labels above the
  bars). The stylesheet shows one of them (``.chart-wide`` from 48rem, ``.chart-narrow`` below).

Verdicts are told by colour *and* a glyph (✓ met, ✗ not met, ? inconclusive, ○ not enough data); unreliable
estimates are hatched grey with "⚠" — with a target their verdict is "not enough data" (○, violet outline, never the
red of "not met"), and no summary counts them as met or not met. Rates are proportions (0–1)."""

from __future__ import annotations

import math
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from app.dashboard.format import pct
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
GRID_COLOUR = "#d5d9df"
TEXT_COLOUR = "#1a1a1a"
TICK_COLOUR = "#444"

# The value axis of every bar chart: 0% to 100%, a grid line every 10 points, a label every 20.
AXIS_START = 0.0
AXIS_END = 1.0
GRID_STEP = 0.1
LABEL_STEP = 0.2

# Wide bar chart geometry (user units of the viewBox; the SVG scales to its container, at most 960 px).
WIDTH = 960
LABEL_WIDTH = 340  # the label column; labels end 10 units before the plot
VALUE_WIDTH = 140  # the value and glyph after the plot
FONT = 15  # every text of a wide chart: × 728/960 = 11.4 px at the narrowest column it is shown in
LINE_HEIGHT = 19
ROW_HEIGHT = 34  # at least; a row grows with its label's lines
BAR_HEIGHT = 18
TOP = 36
BOTTOM = 10

# Narrow bar chart geometry (pixels; horizontal positions in percent of the chart's width).
NARROW_FONT = 14
NARROW_TICK_FONT = 13
NARROW_LINE = 18
NARROW_BAR = 14
NARROW_GAP = 12  # between rows
NARROW_TOP = 24
NARROW_PLOT = 74.0  # the bars' track: 0% to 74% of the width; the value is written at the right edge
NARROW_LABEL_PX = 290.0  # labels wrap to fit the narrowest phone column (320 px screen)
NARROW_INDENT = 2  # labels start 2 px in: a glyph's side bearing (the T of "Trung tâm") would be cut at 0


@dataclass(frozen=True)
class Bar:
    key: str  # agency, counter or metric code (ids and test hooks)
    label: str
    estimate: Estimate
    highlight: bool = False  # the weakest of its kind


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


def shared_target(estimates: Sequence[Estimate]) -> float | None:
    """The one target every estimate was judged against, or None (some have none, or targets differ)."""
    targets = {estimate.target for estimate in estimates}
    if len(targets) != 1:
        return None
    return next(iter(targets))


def num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


# --- text widths and wrapping ------------------------------------------------------------------------------------

_NARROW_CHARS = set("iljtfrI.,;:'!|()[] ·-")
_WIDE_CHARS = set("mwMW@%")


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """A generous estimate of a text's rendered width (Vietnamese in common sans-serif fonts, DejaVu Sans being the
    widest): wrapping on it leaves room rather than overflowing."""
    em = 0.0
    for char in unicodedata.normalize("NFC", text):
        if unicodedata.combining(char):
            continue
        if char in _NARROW_CHARS:
            em += 0.36
        elif char in _WIDE_CHARS:
            em += 0.95
        elif char.isupper() or char.isdigit():
            em += 0.7
        else:
            em += 0.62
    return em * size * (1.08 if bold else 1.0)


def wrap(text: str, width: float, size: float, *, bold: bool = False) -> list[str]:
    """``text`` in lines no wider than ``width`` (by :func:`text_width`), broken between words; a word wider than a
    line is broken inside. Nothing is dropped: every character but the spaces between lines is kept, in order."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if text_width(candidate, size, bold=bold) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        while text_width(word, size, bold=bold) > width and len(word) > 1:
            cut = len(word) - 1
            while cut > 1 and text_width(word[:cut], size, bold=bold) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        line = word
    if line or not lines:
        lines.append(line)
    return lines


# --- shared parts ------------------------------------------------------------------------------------------------


def _hatch(pattern_id: str) -> str:
    return (
        f'<defs><pattern id="{pattern_id}" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#e4e6ea"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{UNRELIABLE_COLOUR}" stroke-width="3"/></pattern></defs>'
    )


def svg_open(chart_id: str, title: str, summary: str, height: float, css_class: str, *, narrow: bool) -> list[str]:
    """The ``svg`` element: the wide layout scales with a viewBox; the narrow one is as wide as its container and
    as high as its rows, its text in pixels."""
    size = f'width="100%" height="{num(height)}"' if narrow else f'viewBox="0 0 {WIDTH} {num(height)}"'
    layout = "chart-narrow" if narrow else "chart-wide"
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{chart_id}" class="chart {layout} {css_class}" {size} '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" data-testid="{chart_id}">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(summary)}</desc>',
    ]


def ticks(start: float, end: float, step: float) -> list[float]:
    count = round((end - start) / step)
    return [start + step * i for i in range(count + 1)]


def _is_label_tick(tick: float) -> bool:
    return abs(tick / LABEL_STEP - round(tick / LABEL_STEP)) < 1e-9


def _share(value: float) -> float:
    """A proportion on the axis; rates and interval ends are proportions, so this never moves a finite one."""
    return min(max(value, AXIS_START), AXIS_END)


def _bar_parts(bar: Bar, lang: Lang, unreliable_label: str, hatch: str) -> tuple[str, str, str, str, str]:
    """(classes, fill, stroke attributes, the written value with its glyph, tooltip) of one bar."""
    estimate = bar.estimate
    verdict = verdict_key(estimate)
    unreliable = estimate.unreliable
    classes = f"bar verdict-{verdict}" + (" unreliable" if unreliable else "") + (" weakest" if bar.highlight else "")
    fill = f"url(#{hatch})" if unreliable else COLOURS[verdict]
    stroke = ""
    if verdict == "insufficient_data":
        stroke = f' stroke="{COLOURS[verdict]}" stroke-width="2"'
    elif unreliable:
        stroke = f' stroke="{UNRELIABLE_COLOUR}" stroke-width="1"'
    value = pct(estimate.estimate, lang)
    glyph = "⚠" if unreliable and verdict != "insufficient_data" else GLYPHS[verdict]
    tooltip = f"{bar.label}: {value} [{pct(estimate.low, lang)} – {pct(estimate.high, lang)}]"
    if unreliable:
        tooltip += f" – {unreliable_label}"
    return classes, fill, stroke, f"{value} {glyph}".rstrip(), tooltip


def _finite(estimate: Estimate) -> bool:
    return all(math.isfinite(value) for value in (estimate.estimate, estimate.low, estimate.high))


# --- bar charts --------------------------------------------------------------------------------------------------


def bar_chart(
    chart_id: str,
    title: str,
    bars: Sequence[Bar],
    *,
    lang: Lang,
    target_label: str = "",
    unreliable_label: str = "",
    summary: str = "",
) -> Markup:
    """One row per bar: the bar from 0 to the estimate, the interval as a whisker, the value with the verdict glyph,
    the row's own target as a dashed mark (see the module's rules) — in the wide layout (``chart_id``) and the
    narrow one (``chart_id``-narrow). ``summary`` (for screen readers) defaults to :func:`summary_of` the bars;
    ``target_label`` (what the dashed marks are, e.g. "Mục tiêu 86,00%") is added to it. The targets drawn are the
    bars' own (``Estimate.target``): there is no chart-wide target to pass."""
    summary = (summary or summary_of([bar.estimate for bar in bars])) + (f"; {target_label}" if target_label else "")
    wide = bar_chart_wide(chart_id, title, bars, lang=lang, unreliable_label=unreliable_label, summary=summary)
    narrow = bar_chart_narrow(
        f"{chart_id}-narrow", title, bars, lang=lang, unreliable_label=unreliable_label, summary=summary
    )
    return Markup(wide + narrow)  # noqa: S704 - both are escaped SVG


def _target_marks(
    rows: Sequence[tuple[Estimate, float, float]], position: Callable[[float], str], top: float, bottom: float
) -> list[str]:
    """Dashed target marks: one line from ``top`` to ``bottom`` when every row shares its target, else a mark over
    each judged row's bar, none for rows without a target. ``rows``: (estimate, bar top, bar bottom)."""
    shared = shared_target([estimate for estimate, _top, _bottom in rows])
    dash = f'stroke="{TARGET_COLOUR}" stroke-width="2" stroke-dasharray="6 4"'
    lines: list[str] = []
    if shared is not None:
        at = position(shared)
        lines.append(f'<line x1="{at}" y1="{num(top)}" x2="{at}" y2="{num(bottom)}" {dash}/>')
    else:
        for estimate, row_top, row_bottom in rows:
            if estimate.target is not None:
                at = position(estimate.target)
                lines.append(
                    f'<line class="row-target" x1="{at}" y1="{num(row_top - 5)}" x2="{at}" '
                    f'y2="{num(row_bottom + 5)}" {dash}/>'
                )
    return ['<g class="target" aria-hidden="true">', *lines, "</g>"] if lines else []


def bar_chart_wide(
    chart_id: str, title: str, bars: Sequence[Bar], *, lang: Lang, unreliable_label: str = "", summary: str = ""
) -> str:
    """The wide layout: labels (wrapped, right-aligned) beside the bars, the axis on top, values after the plot."""
    left, right = LABEL_WIDTH, WIDTH - VALUE_WIDTH

    def x(share: float) -> float:
        return left + (_share(share) - AXIS_START) / (AXIS_END - AXIS_START) * (right - left)

    labels = [wrap(bar.label, LABEL_WIDTH - 20, FONT, bold=bar.highlight) for bar in bars]
    heights = [max(ROW_HEIGHT, LINE_HEIGHT * len(lines) + 12) for lines in labels]
    height = TOP + (sum(heights) if bars else ROW_HEIGHT) + BOTTOM
    hatch = f"{chart_id}-hatch"
    out = svg_open(
        chart_id, title, summary or summary_of([bar.estimate for bar in bars]), height, "bar-chart", narrow=False
    )
    out.append(_hatch(hatch))
    out.append('<g class="axis" aria-hidden="true">')
    for tick in ticks(AXIS_START, AXIS_END, GRID_STEP):
        at = num(x(tick))
        out.append(
            f'<line x1="{at}" y1="{TOP - 6}" x2="{at}" y2="{num(height - BOTTOM)}" stroke="{GRID_COLOUR}" '
            'stroke-width="1"/>'
        )
        if _is_label_tick(tick):
            out.append(
                f'<text x="{at}" y="{TOP - 13}" text-anchor="middle" font-size="{FONT}" fill="{TICK_COLOUR}">'
                f"{escape(pct(tick, lang, 0))}</text>"
            )
    out.append("</g>")
    rows: list[tuple[Estimate, float, float]] = []
    top = float(TOP)
    for bar, lines, row_height in zip(bars, labels, heights, strict=True):
        estimate = bar.estimate
        middle = top + row_height / 2
        classes, fill, stroke, value, tooltip = _bar_parts(bar, lang, unreliable_label, hatch)
        weight = ' font-weight="700"' if bar.highlight else ""
        out.append(f'<g class="{classes}" data-key="{escape(bar.key)}" data-verdict="{verdict_key(estimate)}">')
        out.append(f"<title>{escape(tooltip)}</title>")
        first = middle + 5 - LINE_HEIGHT * (len(lines) - 1) / 2
        spans = "".join(
            f'<tspan x="{left - 10}" y="{num(first + LINE_HEIGHT * i)}">{escape(line)}</tspan>'
            for i, line in enumerate(lines)
        )
        out.append(
            f'<text class="label" text-anchor="end" font-size="{FONT}" fill="{TEXT_COLOUR}"{weight}>{spans}</text>'
        )
        bar_top = middle - BAR_HEIGHT / 2
        if _finite(estimate):
            out.append(
                f'<rect class="bar-fill" x="{left}" y="{num(bar_top)}" width="{num(x(estimate.estimate) - left)}" '
                f'height="{BAR_HEIGHT}" fill="{fill}"{stroke}/>'
            )
            low, high = num(x(estimate.low)), num(x(estimate.high))
            out.append(
                f'<path class="whisker" d="M{low} {num(middle)}H{high}M{low} {num(middle - 7)}V{num(middle + 7)}'
                f'M{high} {num(middle - 7)}V{num(middle + 7)}" stroke="{TEXT_COLOUR}" stroke-width="1.5" '
                'fill="none"/>'
            )
        out.append(
            f'<text class="value" x="{right + 10}" y="{num(middle + 5)}" font-size="{FONT}" fill="{TEXT_COLOUR}"'
            f"{weight}>{escape(value)}</text>"
        )
        out.append("</g>")
        rows.append((estimate, bar_top, bar_top + BAR_HEIGHT))
        top += row_height
    out += _target_marks(rows, lambda share: num(x(share)), TOP - 4, height - BOTTOM + 4)
    out.append("</svg>")
    return "".join(out)


def bar_chart_narrow(
    chart_id: str, title: str, bars: Sequence[Bar], *, lang: Lang, unreliable_label: str = "", summary: str = ""
) -> str:
    """The narrow layout for phones: each row is its label (wrapped to the narrowest phone) over its bar, whose
    track runs from 0 at the left edge to 100% at 74% of the width, the value at the right edge."""

    def x(share: float) -> str:
        return f"{num((_share(share) - AXIS_START) / (AXIS_END - AXIS_START) * NARROW_PLOT)}%"

    labels = [wrap(bar.label, NARROW_LABEL_PX, NARROW_FONT, bold=bar.highlight) for bar in bars]
    heights = [NARROW_LINE * len(lines) + 4 + NARROW_BAR + NARROW_GAP for lines in labels]
    height = NARROW_TOP + (sum(heights) if bars else NARROW_LINE) + 4
    hatch = f"{chart_id}-hatch"
    out = svg_open(
        chart_id, title, summary or summary_of([bar.estimate for bar in bars]), height, "bar-chart", narrow=True
    )
    out.append(_hatch(hatch))
    out.append('<g class="axis" aria-hidden="true">')
    for tick in ticks(AXIS_START, AXIS_END, GRID_STEP):
        at = x(tick)
        out.append(
            f'<line x1="{at}" y1="{NARROW_TOP - 4}" x2="{at}" y2="{num(height)}" stroke="{GRID_COLOUR}" '
            'stroke-width="1"/>'
        )
        if _is_label_tick(tick):  # 0, 20, … 100%, as in the wide layout
            anchor = "start" if tick == AXIS_START else "middle"
            out.append(
                f'<text x="{at}" y="{NARROW_TOP - 8}" text-anchor="{anchor}" font-size="{NARROW_TICK_FONT}" '
                f'fill="{TICK_COLOUR}">{escape(pct(tick, lang, 0))}</text>'
            )
    out.append("</g>")
    rows: list[tuple[Estimate, float, float]] = []
    top = float(NARROW_TOP)
    for bar, lines, row_height in zip(bars, labels, heights, strict=True):
        estimate = bar.estimate
        classes, fill, stroke, value, tooltip = _bar_parts(bar, lang, unreliable_label, hatch)
        weight = ' font-weight="700"' if bar.highlight else ""
        out.append(f'<g class="{classes}" data-key="{escape(bar.key)}" data-verdict="{verdict_key(estimate)}">')
        out.append(f"<title>{escape(tooltip)}</title>")
        spans = "".join(
            f'<tspan x="{NARROW_INDENT}" y="{num(top + NARROW_LINE * (i + 1) - 4)}">{escape(line)}</tspan>'
            for i, line in enumerate(lines)
        )
        out.append(f'<text class="label" font-size="{NARROW_FONT}" fill="{TEXT_COLOUR}"{weight}>{spans}</text>')
        bar_top = top + NARROW_LINE * len(lines) + 4
        middle = bar_top + NARROW_BAR / 2
        if _finite(estimate):
            out.append(
                f'<rect class="bar-fill" x="0" y="{num(bar_top)}" width="{x(estimate.estimate)}" '
                f'height="{NARROW_BAR}" fill="{fill}"{stroke}/>'
            )
            low, high = x(estimate.low), x(estimate.high)
            whisker = f'stroke="{TEXT_COLOUR}" stroke-width="1.5"'
            out.append(
                f'<g class="whisker"><line x1="{low}" y1="{num(middle)}" x2="{high}" y2="{num(middle)}" {whisker}/>'
                f'<line x1="{low}" y1="{num(middle - 6)}" x2="{low}" y2="{num(middle + 6)}" {whisker}/>'
                f'<line x1="{high}" y1="{num(middle - 6)}" x2="{high}" y2="{num(middle + 6)}" {whisker}/></g>'
            )
        out.append(
            f'<text class="value" x="100%" y="{num(middle + 5)}" text-anchor="end" font-size="{NARROW_FONT}" '
            f'fill="{TEXT_COLOUR}"{weight}>{escape(value)}</text>'
        )
        out.append("</g>")
        rows.append((estimate, bar_top, bar_top + NARROW_BAR))
        top += row_height
    out += _target_marks(rows, x, NARROW_TOP - 4, height)
    out.append("</svg>")
    return "".join(out)


# --- the monthly trend -------------------------------------------------------------------------------------------

# Wide trend geometry (viewBox units).
