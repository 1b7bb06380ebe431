"""The reasons chart of the citizens' voice page: one bar per reason, its share among the respondents who answered
the reason question, with the interval as a whisker. Server-side SVG, no script, no style attributes.

Rules that keep it honest (as for every chart of the dashboard, see :mod:`app.dashboard.charts`):

- **The axis starts at 0** and ends at the first multiple of 20% at or beyond every drawn interval's upper end
  (100% at most), so a bar's length is its share and **no whisker is cut**; the caption states the range.
- **No share without enough data.** A share that fails the reliability rule (NCHS) gets no bar and no whisker: the
  row says "○ chưa đủ dữ liệu" with its count of answers, as the table does.
- **Labels are never cut**: they sit above their bar, wrapped to fit the narrowest phone.
- **One layout for every width**: positions in percent of the chart's width and text in pixels, so the chart reflows
  from a 320 px phone to a wide screen and its text keeps its size.

The chart is an ``img`` for assistive technology with a title and a summary; the table beside it holds the same
numbers. Shares are proportions (0–1).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from app.dashboard.charts import wrap
from app.dashboard.format import number, pct
from app.public.i18n import Lang
from app.stats.estimates import Estimate

BAR_COLOUR = "#3d7cc9"  # 4.2:1 against white; the black whisker stands out on it
TEXT_COLOUR = "#1a1a1a"
TICK_COLOUR = "#444"
GRID_COLOUR = "#d5d9df"
MUTED_COLOUR = "#444"

FONT = 14
TICK_FONT = 13
LINE = 18
BAR = 16
GAP = 14
TOP = 26
PLOT = 76.0  # the track runs from 0 at the left edge to the axis end at 76% of the width; the value after it
LABEL_PX = 290.0  # labels wrap to fit a 320 px phone's column
STEP = 0.2  # the axis ends on a multiple of 20%


@dataclass(frozen=True)
class ReasonBar:
    key: str  # the option's code
    label: str
    count: int  # answers that chose it
    estimate: Estimate | None  # its share; None when nobody answered the question

    @property
    def drawn(self) -> bool:
        """Whether the share may be drawn: it exists, is finite and passes the reliability rule."""
        found = self.estimate
        return (
            found is not None
            and not found.unreliable
            and all(math.isfinite(value) for value in (found.estimate, found.low, found.high))
        )


def axis_end(bars: Sequence[ReasonBar]) -> float:
    """The first multiple of 20% at or beyond the upper end of every drawn interval (20% at least, 100% at most)."""
    highest = max((bar.estimate.high for bar in bars if bar.drawn and bar.estimate is not None), default=0.0)
    return min(1.0, max(STEP, math.ceil(round(highest / STEP, 9)) * STEP))


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def reasons_chart(
    chart_id: str,
    title: str,
    bars: Sequence[ReasonBar],
    *,
    lang: Lang,
    summary: str,
    not_enough: str,
    answers: str,
) -> Markup:
    """The chart (see the module's rules). ``not_enough`` is the words for an unreliable share ("chưa đủ dữ liệu"),
    ``answers`` a format for its count ("{n} lượt chọn")."""
    end = axis_end(bars)

    def x(share: float) -> str:
        return f"{_num(min(max(share, 0.0), end) / end * PLOT)}%"

    labels = [wrap(bar.label, LABEL_PX, FONT) for bar in bars]
    heights = [LINE * len(lines) + 4 + BAR + GAP for lines in labels]
    height = TOP + (sum(heights) if bars else LINE) + 4
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{chart_id}" class="chart voice-chart" width="100%" '
        f'height="{_num(height)}" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'data-testid="{chart_id}" data-axis-end="{_num(end)}">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(summary)}</desc>',
        '<g class="axis" aria-hidden="true">',
    ]
    ticks = round(end / 0.1)
    label_every = 1 if end <= 0.4 else 2
    for index in range(ticks + 1):
        tick = index * 0.1
        at = x(tick)
        out.append(
            f'<line x1="{at}" y1="{TOP - 4}" x2="{at}" y2="{_num(height)}" stroke="{GRID_COLOUR}" stroke-width="1"/>'
        )
        if index % label_every == 0:
            anchor = "start" if index == 0 else "middle"
            out.append(
                f'<text x="{at}" y="{TOP - 9}" text-anchor="{anchor}" font-size="{TICK_FONT}" '
                f'fill="{TICK_COLOUR}">{escape(pct(tick, lang, 0))}</text>'
            )
    out.append("</g>")
    top = float(TOP)
    for bar, lines, row_height in zip(bars, labels, heights, strict=True):
        found = bar.estimate
        classes = "reason" + ("" if bar.drawn else " unreliable")
        out.append(f'<g class="{classes}" data-key="{escape(bar.key)}">')
        count = answers.format(n=number(bar.count, lang))
        if bar.drawn and found is not None:
            tooltip = f"{bar.label}: {pct(found.estimate, lang)} [{pct(found.low, lang)} – {pct(found.high, lang)}]"
        else:
            tooltip = f"{bar.label}: {count} – {not_enough}"
        out.append(f"<title>{escape(tooltip)}</title>")
        spans = "".join(
            f'<tspan x="0" y="{_num(top + LINE * (i + 1) - 4)}">{escape(line)}</tspan>' for i, line in enumerate(lines)
        )
        out.append(f'<text class="label" font-size="{FONT}" fill="{TEXT_COLOUR}">{spans}</text>')
        bar_top = top + LINE * len(lines) + 4
        middle = bar_top + BAR / 2
        if bar.drawn and found is not None:
            out.append(
                f'<rect class="bar-fill" x="0" y="{_num(bar_top)}" width="{x(found.estimate)}" height="{BAR}" '
                f'fill="{BAR_COLOUR}"/>'
            )
            low, high = x(found.low), x(found.high)
            whisker = f'stroke="{TEXT_COLOUR}" stroke-width="1.5"'
            out.append(
                f'<g class="whisker"><line x1="{low}" y1="{_num(middle)}" x2="{high}" y2="{_num(middle)}" {whisker}/>'
                f'<line x1="{low}" y1="{_num(middle - 7)}" x2="{low}" y2="{_num(middle + 7)}" {whisker}/>'
                f'<line x1="{high}" y1="{_num(middle - 7)}" x2="{high}" y2="{_num(middle + 7)}" {whisker}/></g>'
            )
            out.append(
                f'<text class="value" x="100%" y="{_num(middle + 5)}" text-anchor="end" font-size="{FONT}" '
                f'fill="{TEXT_COLOUR}">{escape(pct(found.estimate, lang))}</text>'
            )
        else:
            out.append(
                f'<text class="value" x="0" y="{_num(middle + 5)}" font-size="{FONT}" fill="{MUTED_COLOUR}" '
                f'font-style="italic">{escape(f"○ {not_enough} · {count}")}</text>'
            )
        out.append("</g>")
        top += row_height
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 - every text is escaped above
