"""Charts that do not mislead (issue 17), checked on the SVG the server sends: every bar starts at 0 on the same
0–100% axis, no whisker is cut, the targets drawn are the rows' own (so the chart and the table agree), labels are
wrapped and never truncated, the narrow (phone) layout keeps its text at pixel sizes, and the trend's axis takes in
every interval. No database: these are the chart functions and the router's captions on their own."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from app.dashboard import charts, trend_chart
from app.dashboard.router import chart_target_note, metric_target_note
from app.dashboard.views import Line
from app.stats.estimates import Estimate

PLOT_LEFT = charts.LABEL_WIDTH  # 340: where 0% is in the wide layout
PLOT_RIGHT = charts.WIDTH - charts.VALUE_WIDTH  # 820: where 100% is
LONG_LABEL = (
    "Việc tiếp nhận, xử lý góp ý, phản ánh, kiến nghị của người dân và tổ chức về thủ tục hành chính tại bộ phận "
    "một cửa cấp xã sau khi sáp nhập"
)


def _estimate(
    p: float,
    low: float,
    high: float,
    *,
    target: float | None = None,
    verdict: str | None = None,
    flags: tuple[str, ...] = (),
    metric: str = "sipas",
    kind: str = "overall",
) -> Estimate:
    return Estimate(
        metric=metric,
        kind=kind,
        estimate=p,
        se=0.01,
        low=low,
        high=high,
        n=100,
        n_eff=100.0,
        deff=1.0,
        df=50,
        method="beta",
        level=0.95,
        target=target,
        verdict=verdict,  # type: ignore[arg-type]
        flags=flags,
    )


def _layouts(markup: object) -> tuple[str, str]:
    """(wide, narrow) SVG of a chart."""
    svg = str(markup)
    assert svg.count("<svg ") == 2 and svg.endswith("</svg>")
    wide, narrow, _rest = svg.split("</svg>")
    return wide + "</svg>", narrow + "</svg>"


def _group(svg: str, key: str) -> str:
    found = re.search(
        rf'<g class="bar[^"]*" data-key="{re.escape(key)}".*?</g>(?=<g class="bar|<g class="target|</svg>)', svg
    )
    assert found is not None, key
    return found.group(0)


def _whisker_ends(group: str) -> tuple[float, float]:
    """The wide layout's whisker: M<low> <y>H<high>…"""
    found = re.search(r'class="whisker" d="M([\d.]+) [\d.]+H([\d.]+)', group)
    assert found is not None
    return float(found.group(1)), float(found.group(2))


def _ticks(svg: str) -> list[tuple[float, str]]:
    axis = svg.split('<g class="axis" aria-hidden="true">', 1)[1].split("</g>", 1)[0]
    return [(float(x), label) for x, label in re.findall(r'<text x="([\d.]+)"[^>]*>([^<]+)</text>', axis)]


def _first(pattern: str, text: str) -> str:
    found = re.search(pattern, text)
    assert found is not None, pattern
    return found.group(1)


def _font_sizes(svg: str) -> list[float]:
    return [float(size) for size in re.findall(r'font-size="([\d.]+)"', svg)]


# --- the value axis ---------------------------------------------------------------------------------------------


def test_every_bar_starts_at_zero_on_one_zero_to_hundred_axis() -> None:
    bars = [
        charts.Bar("A", "Xã A", _estimate(0.95, 0.93, 0.97)),
        charts.Bar("B", "Xã B", _estimate(0.5, 0.45, 0.55)),
    ]
    wide, narrow = _layouts(charts.bar_chart("c", "Tiêu đề", bars, lang="vi"))
    assert _ticks(wide) == [
        (340.0, "0%"),
        (436.0, "20%"),
        (532.0, "40%"),
        (628.0, "60%"),
        (724.0, "80%"),
        (820.0, "100%"),
    ]
    assert wide.count('<line x1="') >= 11  # a grid line every 10 points
    # Each bar is drawn from the 0% line: its length is its rate (480 units for 100%).
    assert '<rect class="bar-fill" x="340" y="' in _group(wide, "A") and 'width="456"' in _group(wide, "A")
    assert 'width="240"' in _group(wide, "B")  # 50%: half the whole axis, not of an axis cut at 40 or 50%
    # The narrow layout: 0% at the left edge, 100% at 74% of the width, labelled every 20 points too.
    assert [label for _x, label in re.findall(r'<text x="([\d.]+%)"[^>]*>([^<]+)</text>', narrow.split("</g>")[0])] == [
        "0%",
        "20%",
        "40%",
        "60%",
        "80%",
        "100%",
    ]
    assert '<rect class="bar-fill" x="0" y="' in _group(narrow, "B") and 'width="37%"' in _group(narrow, "B")


def test_two_charts_of_a_page_share_the_same_scale_whatever_their_data() -> None:
    high = [charts.Bar("A", "A", _estimate(0.97, 0.95, 0.99))]
    low = [charts.Bar("B", "B", _estimate(0.42, 0.3, 0.55)), charts.Bar("C", "C", _estimate(0.61, 0.5, 0.7))]
    one, _narrow_one = _layouts(charts.bar_chart("one", "1", high, lang="en"))
    two, _narrow_two = _layouts(charts.bar_chart("two", "2", low, lang="en"))
    assert _ticks(one) == _ticks(two)


def test_no_whisker_is_cut_the_axis_reaches_every_interval_end() -> None:
    bars = [
        charts.Bar("top", "Near the top", _estimate(0.99, 0.962, 0.996)),
        charts.Bar("wide", "Unreliable, wide", _estimate(0.5, 0.004, 0.96, flags=("ci_width_30_or_more",))),
        charts.Bar("edge", "Census at 100%", _estimate(1.0, 1.0, 1.0)),
    ]
    wide, narrow = _layouts(charts.bar_chart("c", "Tiêu đề", bars, lang="en"))
    axis_end = max(x for x, _label in _ticks(wide))
    assert axis_end == PLOT_RIGHT and _ticks(wide)[-1][1] == "100%"
    low, high = _whisker_ends(_group(wide, "top"))
    assert high == pytest.approx(PLOT_LEFT + 0.996 * 480) == pytest.approx(818.08)  # the axis reaches 99.6%
    assert PLOT_LEFT <= low < high <= axis_end
    low, high = _whisker_ends(_group(wide, "wide"))
    assert low == pytest.approx(PLOT_LEFT + 0.004 * 480) and high == pytest.approx(PLOT_LEFT + 0.96 * 480)
    assert _whisker_ends(_group(wide, "edge")) == (PLOT_RIGHT, PLOT_RIGHT)
    # The narrow layout too: 99.6% of the 74% track.
    assert 'x2="73.7%"' in _group(narrow, "top") and 'x1="0.3%"' in _group(narrow, "wide")


# --- targets: the rows' own, as in the table --------------------------------------------------------------------


def _elements(targets: list[float | None]) -> list[Line]:
    lines = []
    for i, target in enumerate(targets):
        verdict = None if target is None else ("met" if target <= 0.88 else "inconclusive")
        estimate = _estimate(0.9, 0.88, 0.92, target=target, verdict=verdict, metric=f"e{i}", kind="element")
        lines.append(Line(f"element:e{i}", f"Yếu tố {i}", estimate))
    return lines


def _bars(lines: list[Line]) -> list[charts.Bar]:
    return [charts.Bar(line.key, line.label, line.estimate) for line in lines if line.estimate is not None]


def test_elements_without_targets_of_their_own_get_no_target_line_even_when_the_index_has_one() -> None:
    """The demo's case: the agency's SIPAS target is 86%, no element has a target, the table says "no target" for
    every element — so the element chart draws no target line, and the note says whose target 86% is."""
    lines = _elements([None, None, None])
    wide, narrow = _layouts(charts.bar_chart("elements", "Yếu tố", _bars(lines), lang="vi"))
    assert 'class="target"' not in wide and 'class="target"' not in narrow
    assert "stroke-dasharray" not in wide + narrow
    assert all(charts.verdict_key(line.estimate) == "none" for line in lines if line.estimate)  # the table's column
    assert chart_target_note(lines, "vi") == ""
    assert metric_target_note(lines, 0.86, "vi").startswith("Chưa đặt mục tiêu riêng cho các dòng này")
    assert "Mục tiêu 86,00% là của chỉ số SIPAS chung" in metric_target_note(lines, 0.86, "vi")
    assert "The 86.00% target is the overall SIPAS index's" in metric_target_note(lines, 0.86, "en")
    assert metric_target_note(lines, None, "vi") == ""


def test_a_target_shared_by_every_row_is_one_line_at_its_value() -> None:
    lines = _elements([0.86, 0.86])
    wide, narrow = _layouts(charts.bar_chart("elements", "Yếu tố", _bars(lines), lang="vi"))
    target = wide.split('<g class="target" aria-hidden="true">', 1)[1].split("</g>", 1)[0]
    assert target.count("<line ") == 1 and 'x1="752.8" ' in target and 'x2="752.8" ' in target  # 340 + 0.86 × 480
    assert narrow.count('stroke-dasharray="6 4"') == 1 and 'x1="63.64%"' in narrow  # 0.86 × 74%
    assert chart_target_note(lines, "vi") == "Mục tiêu 86,00%"
    assert metric_target_note(lines, 0.86, "vi") == ""


def test_rows_with_different_targets_each_get_their_own_mark_and_rows_without_none() -> None:
    lines = _elements([0.86, 0.9, None])
    wide, narrow = _layouts(charts.bar_chart("elements", "Yếu tố", _bars(lines), lang="en"))
    marks = re.findall(r'<line class="row-target" x1="([\d.]+)" y1="([\d.]+)"', wide)
    assert [float(x) for x, _y in marks] == [pytest.approx(752.8), pytest.approx(772.0)]
    # Each mark sits on its own row (rows are 34 units from y = 36; the bar is 18 high, the mark 5 more each side).
    assert [float(y) for _x, y in marks] == [pytest.approx(36 + 17 - 9 - 5), pytest.approx(36 + 34 + 17 - 9 - 5)]
    assert narrow.count('class="row-target"') == 2
    assert chart_target_note(lines, "en") == "each row against its own target (a dashed mark on each row)"


def test_the_drawn_target_is_the_one_each_row_was_judged_against() -> None:
    """Whatever the page's headline target, a bar's mark is at its own estimate's target (the report resolved it:
    own target, else the nearest ancestor's for the subtree) — the value the table's verdict compared."""
    judged = _estimate(0.84, 0.8, 0.88, target=0.8, verdict="met")
    other = replace(judged, target=0.9, verdict="not_met", high=0.89)
    wide, _narrow = _layouts(
        charts.bar_chart("c", "C", [charts.Bar("a", "A", judged), charts.Bar("b", "B", other)], lang="vi")
    )
    assert 'x1="724"' in wide and 'x1="772"' in wide  # 80% and 90%: nowhere else


# --- labels -----------------------------------------------------------------------------------------------------


def test_labels_wrap_and_are_never_truncated() -> None:
    bars = [
        charts.Bar("long", LONG_LABEL, _estimate(0.8357, 0.79, 0.87), highlight=True),
        charts.Bar("short", "Tiếp cận dịch vụ", _estimate(0.9, 0.88, 0.92)),
    ]
    wide, narrow = _layouts(charts.bar_chart("items", "Câu hỏi", bars, lang="vi"))
    assert "…" not in wide + narrow
    for svg, budget in ((wide, charts.LABEL_WIDTH - 20), (narrow, charts.NARROW_LABEL_PX)):
        group = _group(svg, "long")
        lines = re.findall(r"<tspan[^>]*>([^<]*)</tspan>", group)
        assert len(lines) >= 3 and " ".join(lines) == LONG_LABEL  # every word, in order
        size = charts.FONT if svg is wide else charts.NARROW_FONT
        assert all(charts.text_width(line, size, bold=True) <= budget for line in lines)
    # The wide label is right-aligned 10 units before the plot, so a line of at most 320 units starts at x ≥ 10.
    assert 'text-anchor="end" font-size="15" fill="#1a1a1a" font-weight="700"><tspan x="330"' in wide
    # The long row grows to hold its lines; the short one keeps the usual height.
    long_lines = len(re.findall(r"<tspan", _group(wide, "long")))
    height = float(_first(r'viewBox="0 0 960 ([\d.]+)"', wide))
    assert height == charts.TOP + (charts.LINE_HEIGHT * long_lines + 12) + charts.ROW_HEIGHT + charts.BOTTOM


def test_wrap_keeps_every_character_and_breaks_a_word_longer_than_a_line() -> None:
    assert charts.wrap("", 100, 15) == [""]
    assert charts.wrap("Xã A", 500, 15) == ["Xã A"]
    code = "MA-TTPVHCC-" * 6
    lines = charts.wrap(f"Trung tâm {code}", 120, 15)
    assert "".join(lines).replace(" ", "") == f"Trung tâm {code}".replace(" ", "")
    assert all(charts.text_width(line, 15) <= 120 for line in lines)


# --- text sizes: ≥ 11 px on screen ------------------------------------------------------------------------------


def test_text_sizes_stay_readable_in_both_layouts() -> None:
    bars = [charts.Bar("a", LONG_LABEL, _estimate(0.9, 0.88, 0.92, target=0.86, verdict="met"))]
    points = [trend_chart.Point(f"2026-{m:02d}", _estimate(0.85, 0.8, 0.9)) for m in range(1, 13)]
    for markup in (
        charts.bar_chart("c", "C", bars, lang="vi"),
        trend_chart.trend_chart("t", "T", points, lang="vi"),
    ):
        wide, narrow = _layouts(markup)
        # The wide layout scales: shown from a 728 px column (48rem screen), 960 units → ≥ 0.758 px a unit.
        assert min(_font_sizes(wide)) * 728 / charts.WIDTH >= 11
        # The narrow layout has no viewBox: its sizes are pixels.
        assert "viewBox" not in narrow and 'width="100%"' in narrow
        assert min(_font_sizes(narrow)) >= 13


# --- the trend --------------------------------------------------------------------------------------------------


def test_the_trend_axis_takes_in_every_interval_and_target() -> None:
    reliable = _estimate(0.88, 0.84, 0.92, target=0.86, verdict="inconclusive")
    unreliable = _estimate(0.7, 0.31, 0.95, target=0.86, verdict="insufficient_data", flags=("no_df",))
    assert trend_chart.trend_floor([reliable]) == pytest.approx(0.8)  # below 84% and 86%
    assert trend_chart.trend_floor([reliable, unreliable]) == pytest.approx(0.2)  # 31% − 2 points, down to 20%
    assert trend_chart.trend_floor([_estimate(0.95, 0.93, 0.97, target=0.5, verdict="met")]) == pytest.approx(0.4)
    assert trend_chart.trend_floor([_estimate(0.1, 0.01, 0.2)]) == 0.0
    points = [trend_chart.Point("2026-09", reliable), trend_chart.Point("2026-10", unreliable)]
    wide, narrow = _layouts(trend_chart.trend_chart("t", "T", points, lang="vi", target_label="Mục tiêu 86,00%"))
    labels = [label for _x, label in re.findall(r'<text x="([\d.]+)" y="[\d.]+" text-anchor="end"[^>]*>([^<]+)<', wide)]
    assert labels[0] == "20%" and labels[-1] == "100%"  # the lowest grid line is labelled
    # The band's lowest point (31%) is above the axis' bottom (y = 256), not clamped onto it.
    band = _first(r'<polygon class="band" points="([^"]+)"', wide)
    ys = [float(pair.split(",")[1]) for pair in band.split()]
    assert max(ys) < trend_chart.TREND_HEIGHT - trend_chart.TREND_BOTTOM and min(ys) > trend_chart.TREND_TOP
    assert "; 20% – 100%; Mục tiêu 86,00%</desc>" in wide
    assert narrow.count('<rect class="band"') == 2 and narrow.count('<line class="line"') == 1


def test_trend_targets_that_change_are_drawn_month_by_month() -> None:
    points = [
        trend_chart.Point("2025-12", _estimate(0.9, 0.88, 0.92, target=0.85, verdict="met")),
        trend_chart.Point("2026-01", _estimate(0.9, 0.88, 0.92, target=0.88, verdict="inconclusive")),
        trend_chart.Point("2026-02", _estimate(0.9, 0.88, 0.92)),
    ]
    wide, narrow = _layouts(trend_chart.trend_chart("t", "T", points, lang="en"))
    assert wide.count('class="month-target"') == 2 and narrow.count('class="month-target"') == 2
    months = [Line(p.period, p.period, p.estimate) for p in points]
    assert chart_target_note(months, "en") == "each row against its own target (a dashed mark on each row)"
    same = [trend_chart.Point(p.period, replace(p.estimate, target=0.86)) for p in points]
    wide, _narrow = _layouts(trend_chart.trend_chart("t", "T", same, lang="en"))
    assert wide.count('class="month-target"') == 0 and wide.count('stroke-dasharray="6 4"') == 1


def test_month_labels_are_thinned_to_fit_and_the_newest_is_always_named() -> None:
    points = [
        trend_chart.Point(f"{2025 + (m - 1) // 12}-{(m - 1) % 12 + 1:02d}", _estimate(0.85, 0.8, 0.9))
        for m in range(1, 25)
    ]
    wide, narrow = _layouts(trend_chart.trend_chart("t", "T", points, lang="vi"))
    wide_months = re.findall(r">(\d\d/\d\d)</text>", wide)
    narrow_months = re.findall(r">(\d\d/\d\d)</text>", narrow)
    assert wide_months[-1] == narrow_months[-1] == "12/26"
    assert len(narrow_months) <= trend_chart.NARROW_MONTH_LABELS and len(wide_months) <= 24
    span = charts.WIDTH - trend_chart.TREND_LEFT - trend_chart.TREND_RIGHT
    assert span / len(wide_months) >= trend_chart.TREND_MONTH_WIDTH * 0.9
