"""Server-side SVG charts of the comparison and rankings pages: differences as a dot with its interval around a 0
line, and agencies ranked as dots with their intervals, the groups the data cannot order shaded and bracketed.

Same rules as ``app/dashboard/charts.py`` (no script, no style attributes, an ``img`` with a title and a summary,
the page's table beside it holds the numbers; each chart drawn wide — a ``viewBox`` — and narrow — percent
positions, pixel text — with the stylesheet showing one), and these of their own:

- **Nothing is clipped.** The difference axis is symmetric around 0 and as wide as the widest interval end of the
  page, rounded up to a whole step (every chart of a page shares it); the rankings axis runs from a multiple of 10
  points below every interval end and the target to 100%, its lowest grid line labelled.
- **Words and glyphs, not colour alone.** A difference is ▲ up (green), ▼ down (red) or ≈ not distinguishable (grey),
  and the same word is in the table; a row without a comparison says why in words where its dot would be.
- **No order where the data give none.** Agencies the engine cannot tell apart from their neighbour share a shaded
  band with a bracket, and their rank is written as the range of places they share ("2–4").

Differences and rates arrive as proportions (0–1)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from app.dashboard.charts import wrap
from app.dashboard.format import number, pct
from app.public.i18n import Lang
from app.stats.estimates import Estimate

CALL_COLOURS = {"up": "#1b7a3d", "down": "#b3261e", "not_distinguishable": "#4a4f57"}
CALL_GLYPHS = {"up": "▲", "down": "▼", "not_distinguishable": "≈", "insufficient_data": "○", "no_data": "–"}
VERDICT_COLOURS = {
    "met": "#1b7a3d",
    "not_met": "#b3261e",
    "inconclusive": "#8a5a00",
    "insufficient_data": "#6a3d9a",
    "none": "#0b4f9c",
}
VERDICT_GLYPHS = {"met": "✓", "not_met": "✗", "inconclusive": "?", "insufficient_data": "○", "none": ""}
TEXT = "#1a1a1a"
MUTED = "#4a4f57"
GRID = "#d5d9df"
ZERO = "#1a1a1a"
TARGET = "#1a1a1a"
GROUP_FILL = "#e3ecf8"
GROUP_EDGE = "#0b4f9c"

# Wide geometry (user units of a 960-wide viewBox).
WIDTH = 960
FONT = 15
LINE = 19
ROW = 34
TOP = 40
BOTTOM = 12
LABEL_RIGHT = 300  # labels end here (right-aligned); the plot starts 24 units later
PLOT_LEFT = 324
PLOT_RIGHT = 790
VALUE_X = 806

# Narrow geometry (pixels; horizontal positions in percent of the width).
N_FONT = 14
N_TICK = 13
N_LINE = 18
N_TOP = 26
N_GAP = 12
N_MARK = 16  # the height of a dot-and-whisker row
N_PLOT_LEFT = 2.0
N_PLOT_RIGHT = 68.0
N_LABEL_PX = 290.0


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _open(chart_id: str, title: str, summary: str, height: float, kind: str, *, narrow: bool) -> list[str]:
    size = f'width="100%" height="{_num(height)}"' if narrow else f'viewBox="0 0 {WIDTH} {_num(height)}"'
    layout = "cmp-narrow" if narrow else "cmp-wide"
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{chart_id}" class="cmp-chart {layout} {kind}" {size} '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" data-testid="{chart_id}">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(summary)}</desc>',
    ]


def _halo(colour: str) -> str:
    """A label's outline in its background's colour, drawn under the letters: grid lines do not run through them."""
    return f'stroke="{colour}" stroke-width="4" stroke-linejoin="round" paint-order="stroke"'


# --- differences ------------------------------------------------------------------------------------------------

STEPS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5)  # tick steps in proportions (1 to 50 points)
MIN_HALF_WIDTH = 0.05


@dataclass(frozen=True)
class DiffAxis:
    half_width: float  # the axis runs from −half_width to +half_width
    step: float


def difference_axis(ends: Sequence[float]) -> DiffAxis:
    """The symmetric axis that holds every interval end given: at least ±5 points, at most ±100, in whole steps of
    1, 2, 5, 10, 20, 25 or 50 points with at most five steps on each side of 0."""
    reach = max([abs(end) for end in ends if math.isfinite(end)] + [MIN_HALF_WIDTH])
    reach = min(reach, 1.0)
    for step in STEPS:
        if reach / step <= 5 + 1e-9:
            return DiffAxis(min(math.ceil(round(reach / step, 9)) * step, 1.0), step)
    return DiffAxis(1.0, 0.5)


@dataclass(frozen=True)
class DiffRow:
    key: str
    label: str
    call: str  # up, down, not_distinguishable, insufficient_data, no_data
    estimate: float | None  # the difference (None: no comparison)
    low: float | None  # the interval drawn (the adjusted one)
    high: float | None
    note: str = ""  # written where the dot would be when there is no comparison


def signed(value: float, lang: Lang) -> str:
    """A difference in points with its sign and no unit: +33,33 / −2,08 / ±0,00."""
    sign = "+" if value > 0 else "−" if value < 0 else "±"
    return f"{sign}{number(abs(value) * 100, lang, 2)}"


def _tick_label(value: float, lang: Lang) -> str:
    if abs(value) < 1e-12:
        return "0"
    sign = "+" if value > 0 else "−"
    return f"{sign}{number(abs(value) * 100, lang, 0)}"


def difference_chart(
    chart_id: str, title: str, rows: Sequence[DiffRow], axis: DiffAxis, *, lang: Lang, summary: str
) -> Markup:
    """One row per metric: the difference as a dot, its (adjusted) interval as a whisker, around the 0 line; the
    value and the call's glyph after the plot. Wide (``chart_id``) and narrow (``chart_id``-narrow)."""
    wide = _difference_wide(chart_id, title, rows, axis, lang=lang, summary=summary)
    narrow = _difference_narrow(f"{chart_id}-narrow", title, rows, axis, lang=lang, summary=summary)
    return Markup(wide + narrow)  # noqa: S704 - both are escaped SVG


def _value_text(row: DiffRow, lang: Lang) -> str:
    glyph = CALL_GLYPHS.get(row.call, "")
    if row.estimate is None:
        return glyph
    return f"{glyph} {signed(row.estimate, lang)}"


def _difference_wide(
    chart_id: str, title: str, rows: Sequence[DiffRow], axis: DiffAxis, *, lang: Lang, summary: str
) -> str:
    def x(value: float) -> float:
        share = (max(-axis.half_width, min(axis.half_width, value)) + axis.half_width) / (2 * axis.half_width)
        return PLOT_LEFT + share * (PLOT_RIGHT - PLOT_LEFT)

    labels = [wrap(row.label, LABEL_RIGHT - 12, FONT) for row in rows]
    heights = [max(ROW, LINE * len(lines) + 12) for lines in labels]
    height = TOP + (sum(heights) if rows else ROW) + BOTTOM
    out = _open(chart_id, title, summary, height, "diff-chart", narrow=False)
    out.append('<g class="axis" aria-hidden="true">')
    ticks = round(axis.half_width / axis.step)
    for i in range(-ticks, ticks + 1):
        value = i * axis.step
        at = _num(x(value))
        colour, width, kind = (ZERO, 2, "zero") if i == 0 else (GRID, 1, "grid")
        out.append(
            f'<line class="{kind}" x1="{at}" y1="{TOP - 8}" x2="{at}" y2="{_num(height - BOTTOM)}" stroke="{colour}" '
            f'stroke-width="{width}"/>'
        )
        out.append(
            f'<text x="{at}" y="{TOP - 14}" text-anchor="middle" font-size="{FONT}" fill="{MUTED}">'
            f"{escape(_tick_label(value, lang))}</text>"
        )
    out.append("</g>")
    top = float(TOP)
    for row, lines, row_height in zip(rows, labels, heights, strict=True):
        middle = top + row_height / 2
        out.append(f'<g class="diff-row call-{row.call}" data-key="{escape(row.key)}" data-call="{row.call}">')
        first = middle + 5 - LINE * (len(lines) - 1) / 2
        spans = "".join(
            f'<tspan x="{LABEL_RIGHT}" y="{_num(first + LINE * i)}">{escape(line)}</tspan>'
            for i, line in enumerate(lines)
        )
        out.append(f'<text class="label" text-anchor="end" font-size="{FONT}" fill="{TEXT}">{spans}</text>')
        colour = CALL_COLOURS.get(row.call, MUTED)
        if row.estimate is not None and row.low is not None and row.high is not None:
            low, high, dot = _num(x(row.low)), _num(x(row.high)), _num(x(row.estimate))
            out.append(
                f'<path class="whisker" d="M{low} {_num(middle)}H{high}M{low} {_num(middle - 8)}V{_num(middle + 8)}'
                f'M{high} {_num(middle - 8)}V{_num(middle + 8)}" stroke="{colour}" stroke-width="2.5" fill="none"/>'
            )
            out.append(f'<circle class="dot" cx="{dot}" cy="{_num(middle)}" r="6" fill="{colour}"/>')
        elif row.note:
            out.append(
                f'<text class="no-comparison" x="{_num(x(0) + 10)}" y="{_num(middle + 5)}" font-size="{FONT}" '
                f'font-style="italic" fill="{MUTED}">{escape(row.note)}</text>'
            )
        out.append(
            f'<text class="value" x="{VALUE_X}" y="{_num(middle + 5)}" font-size="{FONT}" fill="{TEXT}">'
            f"{escape(_value_text(row, lang))}</text>"
        )
        out.append("</g>")
        top += row_height
    out.append("</svg>")
    return "".join(out)


def _difference_narrow(
    chart_id: str, title: str, rows: Sequence[DiffRow], axis: DiffAxis, *, lang: Lang, summary: str
) -> str:
    def x(value: float) -> float:
        share = (max(-axis.half_width, min(axis.half_width, value)) + axis.half_width) / (2 * axis.half_width)
        return N_PLOT_LEFT + share * (N_PLOT_RIGHT - N_PLOT_LEFT)

    labels = [wrap(row.label, N_LABEL_PX, N_FONT) for row in rows]
    heights = [N_LINE * len(lines) + 4 + N_MARK + N_GAP for lines in labels]
    height = N_TOP + (sum(heights) if rows else N_LINE) + 4
    out = _open(chart_id, title, summary, height, "diff-chart", narrow=True)
    out.append('<g class="axis" aria-hidden="true">')
    ticks = round(axis.half_width / axis.step)
    for i in range(-ticks, ticks + 1):
        value = i * axis.step
        at = f"{_num(x(value))}%"
        colour, width, kind = (ZERO, 2, "zero") if i == 0 else (GRID, 1, "grid")
        out.append(
            f'<line class="{kind}" x1="{at}" y1="{N_TOP - 4}" x2="{at}" y2="{_num(height)}" stroke="{colour}" '
            f'stroke-width="{width}"/>'
        )
        if i % 2 == 0 or ticks <= 2:  # every other label on a phone, 0 always among them
            out.append(
                f'<text x="{at}" y="{N_TOP - 8}" text-anchor="middle" font-size="{N_TICK}" fill="{MUTED}">'
                f"{escape(_tick_label(value, lang))}</text>"
            )
    out.append("</g>")
    top = float(N_TOP)
    for row, lines, row_height in zip(rows, labels, heights, strict=True):
        out.append(f'<g class="diff-row call-{row.call}" data-key="{escape(row.key)}" data-call="{row.call}">')
        spans = "".join(
            f'<tspan x="0" y="{_num(top + N_LINE * (i + 1) - 4)}">{escape(line)}</tspan>'
            for i, line in enumerate(lines)
        )
        out.append(f'<text class="label" font-size="{N_FONT}" fill="{TEXT}" {_halo("#fff")}>{spans}</text>')
        middle = top + N_LINE * len(lines) + 4 + N_MARK / 2
        colour = CALL_COLOURS.get(row.call, MUTED)
        if row.estimate is not None and row.low is not None and row.high is not None:
            low, high = f"{_num(x(row.low))}%", f"{_num(x(row.high))}%"
            stroke = f'stroke="{colour}" stroke-width="2.5"'
            out.append(
                f'<g class="whisker"><line x1="{low}" y1="{_num(middle)}" x2="{high}" y2="{_num(middle)}" {stroke}/>'
                f'<line x1="{low}" y1="{_num(middle - 7)}" x2="{low}" y2="{_num(middle + 7)}" {stroke}/>'
                f'<line x1="{high}" y1="{_num(middle - 7)}" x2="{high}" y2="{_num(middle + 7)}" {stroke}/></g>'
            )
            out.append(
                f'<circle class="dot" cx="{_num(x(row.estimate))}%" cy="{_num(middle)}" r="5.5" fill="{colour}"/>'
            )
        elif row.note:
            out.append(
                f'<text class="no-comparison" x="{_num(N_PLOT_LEFT)}%" y="{_num(middle + 5)}" font-size="{N_FONT}" '
                f'font-style="italic" fill="{MUTED}">{escape(row.note)}</text>'
            )
        out.append(
            f'<text class="value" x="100%" y="{_num(middle + 5)}" text-anchor="end" font-size="{N_FONT}" '
            f'fill="{TEXT}">{escape(_value_text(row, lang))}</text>'
        )
        out.append("</g>")
        top += row_height
    out.append("</svg>")
    return "".join(out)


# --- rankings ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RankRow:
    key: str  # agency code
    label: str  # "2–4 · Xã An Hòa"
    estimate: Estimate
    group: int  # 0-based index of its group (agencies not distinguishable from their neighbours share one)
    shared: bool  # the group has two or more agencies: their order is not evidence


def rankings_floor(estimates: Sequence[Estimate]) -> float:
    """Where the rankings axis starts: a multiple of 10 points at least 2 points below every interval end and every
    target, never below 0 (dots, not bars: the axis need not start at 0, and its first grid line is labelled)."""
    lows = [e.low for e in estimates if math.isfinite(e.low)] + [e.target for e in estimates if e.target is not None]
    if not lows:
        return 0.0
    return max(0.0, math.floor(round((min(lows) - 0.02) * 10, 9)) / 10)


def _shared_target(estimates: Sequence[Estimate]) -> float | None:
    targets = {e.target for e in estimates}
    return next(iter(targets)) if len(targets) == 1 else None


def rankings_chart(chart_id: str, title: str, rows: Sequence[RankRow], *, lang: Lang, summary: str) -> Markup:
    """The ranked agencies top to bottom, each a dot at its estimate with its interval; the groups the data cannot
    order shaded and bracketed; each row's target dashed (one line when all share it)."""
    floor = rankings_floor([row.estimate for row in rows])
    wide = _rankings_wide(chart_id, title, rows, floor, lang=lang, summary=summary)
    narrow = _rankings_narrow(f"{chart_id}-narrow", title, rows, floor, lang=lang, summary=summary)
    return Markup(wide + narrow)  # noqa: S704 - both are escaped SVG


def _rank_value(row: RankRow, lang: Lang) -> str:
    verdict = row.estimate.verdict or "none"
    return f"{pct(row.estimate.estimate, lang)} {VERDICT_GLYPHS[verdict]}".rstrip()


def _groups(rows: Sequence[RankRow], tops: Sequence[float], bottoms: Sequence[float]) -> list[tuple[float, float]]:
    """(top, bottom) of every shared group, from its first row's top to its last row's bottom."""
    spans: dict[int, tuple[float, float]] = {}
    for row, top, bottom in zip(rows, tops, bottoms, strict=True):
        if row.shared:
            first = spans.get(row.group, (top, bottom))[0]
            spans[row.group] = (first, bottom)
    return list(spans.values())


def _rankings_wide(
    chart_id: str, title: str, rows: Sequence[RankRow], floor: float, *, lang: Lang, summary: str
) -> str:
    def x(value: float) -> float:
        return PLOT_LEFT + (min(max(value, floor), 1.0) - floor) / (1.0 - floor) * (PLOT_RIGHT - PLOT_LEFT)

    labels = [wrap(row.label, LABEL_RIGHT - 20, FONT) for row in rows]
    heights = [max(ROW, LINE * len(lines) + 12) for lines in labels]
    height = TOP + (sum(heights) if rows else ROW) + BOTTOM
    tops = [TOP + sum(heights[:i]) for i in range(len(rows))]
    bottoms = [top + h for top, h in zip(tops, heights, strict=True)]
    out = _open(chart_id, title, summary, height, "rank-chart", narrow=False)
    for first, last in _groups(rows, tops, bottoms):  # the shaded bands and their brackets, behind everything
        out.append(
            f'<g class="group-band" aria-hidden="true"><rect x="{LABEL_RIGHT + 8}" y="{_num(first + 2)}" '
            f'width="{WIDTH - LABEL_RIGHT - 8}" height="{_num(last - first - 4)}" fill="{GROUP_FILL}"/>'
            f'<path d="M{LABEL_RIGHT + 18} {_num(first + 4)}H{LABEL_RIGHT + 10}V{_num(last - 4)}H{LABEL_RIGHT + 18}" '
            f'stroke="{GROUP_EDGE}" stroke-width="3" fill="none"/></g>'
        )
    out.append('<g class="axis" aria-hidden="true">')
    steps = round((1.0 - floor) / 0.1)
    label_every = 1 if steps <= 6 else 2
    for i in range(steps + 1):
        value = floor + i * 0.1
        at = _num(x(value))
        out.append(
            f'<line x1="{at}" y1="{TOP - 8}" x2="{at}" y2="{_num(height - BOTTOM)}" stroke="{GRID}" stroke-width="1"/>'
        )
        if i % label_every == 0:  # from the axis' start, which is always named
            out.append(
                f'<text x="{at}" y="{TOP - 14}" text-anchor="middle" font-size="{FONT}" fill="{MUTED}">'
                f"{escape(pct(value, lang, 0))}</text>"
            )
    out.append("</g>")
    for row, lines, top, row_height in zip(rows, labels, tops, heights, strict=True):
        middle = top + row_height / 2
        e = row.estimate
        verdict = e.verdict or "none"
        colour = VERDICT_COLOURS[verdict]
        out.append(
            f'<g class="rank-row{" shared" if row.shared else ""}" data-key="{escape(row.key)}" '
            f'data-group="{row.group}">'
        )
        first = middle + 5 - LINE * (len(lines) - 1) / 2
        spans = "".join(
            f'<tspan x="{LABEL_RIGHT}" y="{_num(first + LINE * i)}">{escape(line)}</tspan>'
            for i, line in enumerate(lines)
        )
        out.append(f'<text class="label" text-anchor="end" font-size="{FONT}" fill="{TEXT}">{spans}</text>')
        low, high = _num(x(e.low)), _num(x(e.high))
        out.append(
            f'<path class="whisker" d="M{low} {_num(middle)}H{high}M{low} {_num(middle - 8)}V{_num(middle + 8)}'
            f'M{high} {_num(middle - 8)}V{_num(middle + 8)}" stroke="{TEXT}" stroke-width="2" fill="none"/>'
        )
        out.append(f'<circle class="dot" cx="{_num(x(e.estimate))}" cy="{_num(middle)}" r="6" fill="{colour}"/>')
        out.append(
            f'<text class="value" x="{VALUE_X}" y="{_num(middle + 5)}" font-size="{FONT}" fill="{TEXT}">'
            f"{escape(_rank_value(row, lang))}</text>"
        )
        out.append("</g>")
    out += _rank_targets(rows, tops, bottoms, lambda value: _num(x(value)), TOP - 6, height - BOTTOM)
    out.append("</svg>")
    return "".join(out)


def _rank_targets(
    rows: Sequence[RankRow],
    tops: Sequence[float],
    bottoms: Sequence[float],
    at: Callable[[float], str],
    top: float,
    bottom: float,
) -> list[str]:
    """Dashed targets: one line when every row shares its target, else a mark on each judged row."""
    shared = _shared_target([row.estimate for row in rows])
    dash = f'stroke="{TARGET}" stroke-width="2" stroke-dasharray="6 4"'
    lines: list[str] = []
    if shared is not None:
        lines.append(f'<line x1="{at(shared)}" y1="{_num(top)}" x2="{at(shared)}" y2="{_num(bottom)}" {dash}/>')
    else:
        for row, row_top, row_bottom in zip(rows, tops, bottoms, strict=True):
            if row.estimate.target is not None:
                where = at(row.estimate.target)
                lines.append(
                    f'<line class="row-target" x1="{where}" y1="{_num(row_top + 4)}" x2="{where}" '
                    f'y2="{_num(row_bottom - 4)}" {dash}/>'
                )
    return ['<g class="target" aria-hidden="true">', *lines, "</g>"] if lines else []


def _rankings_narrow(
    chart_id: str, title: str, rows: Sequence[RankRow], floor: float, *, lang: Lang, summary: str
) -> str:
    def x(value: float) -> float:
        return N_PLOT_LEFT + (min(max(value, floor), 1.0) - floor) / (1.0 - floor) * (N_PLOT_RIGHT + 6 - N_PLOT_LEFT)

    labels = [wrap(row.label, N_LABEL_PX - 14, N_FONT) for row in rows]
    heights = [N_LINE * len(lines) + 4 + N_MARK + N_GAP for lines in labels]
    height = N_TOP + (sum(heights) if rows else N_LINE) + 4
    tops = [N_TOP + sum(heights[:i]) for i in range(len(rows))]
    bottoms = [top + h for top, h in zip(tops, heights, strict=True)]
    out = _open(chart_id, title, summary, height, "rank-chart", narrow=True)
    for first, last in _groups(rows, tops, bottoms):
        out.append(
            f'<g class="group-band" aria-hidden="true"><rect x="0" y="{_num(first)}" width="100%" '
            f'height="{_num(last - first - 4)}" fill="{GROUP_FILL}"/>'
            f'<rect x="0" y="{_num(first)}" width="4" height="{_num(last - first - 4)}" fill="{GROUP_EDGE}"/></g>'
        )
    out.append('<g class="axis" aria-hidden="true">')
    steps = round((1.0 - floor) / 0.1)
    label_every = 1 if steps <= 4 else 2
    for i in range(steps + 1):
        value = floor + i * 0.1
        at = f"{_num(x(value))}%"
        out.append(f'<line x1="{at}" y1="{N_TOP - 4}" x2="{at}" y2="{_num(height)}" stroke="{GRID}" stroke-width="1"/>')
        if i % label_every == 0:
            anchor = "start" if i == 0 else "middle"
            out.append(
                f'<text x="{at}" y="{N_TOP - 8}" text-anchor="{anchor}" font-size="{N_TICK}" fill="{MUTED}">'
                f"{escape(pct(value, lang, 0))}</text>"
            )
    out.append("</g>")
    for row, lines, top in zip(rows, labels, tops, strict=True):
        e = row.estimate
        colour = VERDICT_COLOURS[e.verdict or "none"]
        out.append(
            f'<g class="rank-row{" shared" if row.shared else ""}" data-key="{escape(row.key)}" '
            f'data-group="{row.group}">'
        )
        spans = "".join(
            f'<tspan x="10" y="{_num(top + N_LINE * (i + 1) - 4)}">{escape(line)}</tspan>'
            for i, line in enumerate(lines)
        )
        halo = _halo(GROUP_FILL if row.shared else "#fff")
        out.append(f'<text class="label" font-size="{N_FONT}" fill="{TEXT}" {halo}>{spans}</text>')
        middle = top + N_LINE * len(lines) + 4 + N_MARK / 2
        low, high = f"{_num(x(e.low))}%", f"{_num(x(e.high))}%"
        stroke = f'stroke="{TEXT}" stroke-width="2"'
        out.append(
            f'<g class="whisker"><line x1="{low}" y1="{_num(middle)}" x2="{high}" y2="{_num(middle)}" {stroke}/>'
            f'<line x1="{low}" y1="{_num(middle - 7)}" x2="{low}" y2="{_num(middle + 7)}" {stroke}/>'
            f'<line x1="{high}" y1="{_num(middle - 7)}" x2="{high}" y2="{_num(middle + 7)}" {stroke}/></g>'
        )
        out.append(f'<circle class="dot" cx="{_num(x(e.estimate))}%" cy="{_num(middle)}" r="5.5" fill="{colour}"/>')
        out.append(
            f'<text class="value" x="100%" y="{_num(middle + 5)}" text-anchor="end" font-size="{N_FONT}" '
            f'fill="{TEXT}">{escape(_rank_value(row, lang))}</text>'
        )
        out.append("</g>")
    marks_top = [top + N_LINE * len(lines) + 4 for top, lines in zip(tops, labels, strict=True)]
    marks_bottom = [top + N_MARK for top in marks_top]
    out += _rank_targets(
        rows, [t - 4 for t in marks_top], [b + 4 for b in marks_bottom], lambda v: f"{_num(x(v))}%", N_TOP - 4, height
    )
    out.append("</svg>")
    return "".join(out)
