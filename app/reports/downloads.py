"""Result tables as downloads: CSV for programs (UTF-8 with BOM, so Excel reads Vietnamese) and XLSX for people.

- **CSV** keeps the machine columns, unchanged: snake_case headers, full precision (``repr``), codes (``met``,
  ``insufficient_data``), booleans ``true``/``false``; scripts depend on them. Notes follow the table — a blank
  row, then one sentence a row: what the intervals do not cover (``app.reports.query.COVERAGE``, vi and en). A
  program that reads the table stops at the blank row.
- **XLSX** is for people, in Vietnamese (English with ``lang=en``): a title block (the report, the agency with its
  name, the period, the responses counted, the method and the coverage sentence of the answer's ``meta``, the local
  date of the export), then the table with headers in words, numbers as numbers shown rounded by the cell's format
  (``0.00`` for percentages; the cell keeps the full value), verdicts, flags, alerts and channels in words, booleans
  as Có/Không, the total rows of the figure (the pooled estimate of the whole selection, and the published plain
  mean of the agencies, each labelled — never a sum of rates), column widths fitted to the content, the header row
  frozen and an autofilter. A second sheet, "Dữ liệu đầy đủ" ("Full precision"), holds the CSV's machine columns
  with full-precision numbers and real booleans.

Both are safe against spreadsheet formula injection (OWASP "CSV injection"): every text cell goes through
:func:`app.cells.neutral`, so a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
shown as text instead of run. Numbers stay numbers. File names carry the local date (the settings' time zone).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, tzinfo
from typing import Any, Literal

import numpy as np
from fastapi.responses import Response
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.cells import MEDIA, neutral
from app.db import utcnow
from app.directory.models import Agency
from app.reports.output import MACHINE_ONLY, NUMBER_FORMATS, header, percent_label, words
from app.reports.output import Lang as Lang  # the routes' lang parameter
from app.reports.query import COVERAGE, IMPORTED_DESIGN, LIVE_DESIGN, Meta

Format = Literal["csv", "xlsx"]
TotalKind = Literal["pooled", "unit_mean"]

SHEETS: dict[Lang, tuple[str, str]] = {"vi": ("Số liệu", "Dữ liệu đầy đủ"), "en": ("Figures", "Full precision")}
MIN_WIDTH, MAX_WIDTH = 8, 60
BOLD = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")


@dataclass(frozen=True)
class Total:
    """A row for the whole selection, below the table: ``pooled`` (the estimate the API gives in ``total``) or
    ``unit_mean`` (``total_mean_of_units``, the published plain mean of the agencies)."""

    kind: TotalKind
    row: dict[str, Any]


@dataclass(frozen=True)
class Table:
    """A figure as a download: its rows in machine columns, and what the XLSX says about them."""

    name: str  # satisfaction, rankings, trends: the file name's, and the title's
    columns: Sequence[str]
    rows: Sequence[dict[str, Any]]
    meta: Meta | None = None
    groups: Sequence[str] = ()  # satisfaction: its group_by
    indicator: str | None = None  # rankings, trends
    period: str | None = None  # trends: month or quarter
    previous: tuple[date | None, date | None] | None = None  # rankings: the period the change is measured from
    totals: Sequence[Total] = ()


METRIC_GROUPS = frozenset({"element", "item"})  # they choose the metrics; every other group is a domain


def totals(groups: Sequence[str], pooled: Sequence[dict[str, Any]], unit_mean: Sequence[dict[str, Any]]) -> list[Total]:
    """The rows under a satisfaction table: the pooled estimate of the whole selection (the answer's ``total``)
    and the published plain mean of the agencies (``total_mean_of_units``) — only when the rows are domains (an
    agency, a month, …); grouped by metrics alone, the rows are already the whole selection."""
    if all(group in METRIC_GROUPS for group in groups):
        return []
    return [*(Total("pooled", row) for row in pooled), *(Total("unit_mean", row) for row in unit_mean)]


# --- CSV: the machine columns ----------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """numpy scalars as Python values, so that a numpy boolean is written ``true``/``false`` like any other."""
    return value.item() if isinstance(value, np.generic) else value


def to_csv(columns: Sequence[str], rows: Sequence[dict[str, Any]], notes: Sequence[str] = ()) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        cells = (neutral(_plain(row.get(name))) for name in columns)
        writer.writerow(["" if cell is None else repr(cell) if isinstance(cell, float) else cell for cell in cells])
    if notes:
        writer.writerow([])
        writer.writerows([neutral(note)] for note in notes)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# --- XLSX: the same figures for people -------------------------------------------------------------------------

TITLES: dict[str, dict[Lang, str]] = {
    "satisfaction": {
        "vi": "Mức độ hài lòng về sự phục vụ hành chính",
        "en": "Satisfaction with public administrative services",
    },
    "rankings": {"vi": "Xếp hạng các cơ quan theo {indicator}", "en": "Agencies ranked by {indicator}"},
    "trends": {"vi": "Diễn biến {indicator} theo {period}", "en": "{indicator} by {period}"},
}
GROUP_WORDS: dict[str, dict[Lang, str]] = {
    "agency": {"vi": "cơ quan", "en": "agency"},
    "counter": {"vi": "quầy", "en": "counter"},
    "element": {"vi": "yếu tố", "en": "element"},
    "item": {"vi": "câu hỏi", "en": "question"},
    "month": {"vi": "tháng", "en": "month"},
    "quarter": {"vi": "quý", "en": "quarter"},
    "channel": {"vi": "kênh", "en": "channel"},
    "procedure_field": {"vi": "lĩnh vực thủ tục", "en": "procedure field"},
    "hour": {"vi": "giờ trong ngày", "en": "hour of the day"},
    "weekday": {"vi": "ngày trong tuần", "en": "day of the week"},
}
PROFILE_WORDS: dict[Lang, str] = {"vi": "người trả lời ({field})", "en": "respondent's {field}"}
LABELS: dict[str, dict[Lang, str]] = {
    "by": {"vi": " theo ", "en": " by "},
    "agency": {"vi": "Cơ quan", "en": "Agency"},
    "whole_scope": {"vi": "Toàn bộ phạm vi được xem", "en": "Everything visible to you"},
    "period": {"vi": "Kỳ báo cáo", "en": "Period"},
    "previous": {"vi": "Kỳ so sánh", "en": "Compared with"},
    "all_data": {"vi": "Toàn bộ dữ liệu", "en": "All data"},
    "from": {"vi": "từ {day}", "en": "from {day}"},
    "to": {"vi": "đến {day}", "en": "to {day}"},
    "newest": {"vi": "phiếu mới nhất ngày {day}", "en": "newest response on {day}"},
    "responses": {"vi": "Số phiếu", "en": "Responses"},
    "responses_text": {
        "vi": "{n} phiếu được tính (không tính {spam} phiếu nghi spam và {test} phiếu thử)",
        "en": "{n} responses counted ({spam} suspected spam and {test} test responses left out)",
    },
    "method": {"vi": "Phương pháp", "en": "Method"},
    "uncounted": {"vi": "Thiếu số hồ sơ", "en": "No population count"},
    "uncounted_text": {
        "vi": "{agencies}: có tháng chưa có số hồ sơ tiếp nhận, được gán trọng số chung ΣN/Σn",
        "en": "{agencies}: months without a population count, given the overall weight ΣN/Σn",
    },
    "coverage": {"vi": "Lưu ý", "en": "Note"},
    "exported": {"vi": "Ngày xuất", "en": "Exported on"},
    "pooled": {"vi": "Toàn bộ lựa chọn (ước lượng gộp)", "en": "Whole selection (pooled estimate)"},
    "unit_mean": {
        "vi": "Trung bình cộng các cơ quan (cách công bố)",
        "en": "Plain mean of the agencies (published convention)",
    },
}
METHOD_NAMES = {
    "beta": "Korn–Graubard",
    "beta_nchs": "Korn–Graubard (NCHS)",
    "logit": "logit",
    "xlogit": "xlogit",
    "likelihood": "Rao–Scott likelihood",
    "wilson": "Wilson",
    "asin": "arcsine",
    "mean": "Wald",
}
METHOD_SENTENCE: dict[Lang, str] = {
    "vi": "Khoảng tin cậy (KTC) {level} theo phương pháp {method}, tính theo thiết kế mẫu{weights}; thiết kế: "
    "{design}; biểu mẫu {form}. Phiếu nghi spam và phiếu thử không được tính; một ước lượng ít mẫu (theo quy tắc "
    "độ tin cậy NCHS) không được kết luận so với mục tiêu.",
    "en": "{level} confidence intervals (CI) by the {method} method, design-based{weights}; design: {design}; "
    "form {form}. Suspected spam and test responses are not counted; an estimate with too small a sample (the NCHS "
    "reliability rule) is not judged against its target.",
}
WEIGHTS: dict[bool, dict[Lang, str]] = {
    True: {
        "vi": ", có trọng số N/n (số hồ sơ tiếp nhận / số phiếu) theo cơ quan và tháng",
        "en": ", weighted N/n (dossiers handled / responses) per agency and month",
    },
    False: {"vi": ", không trọng số", "en": ", unweighted"},
}
DESIGNS: dict[str, dict[Lang, str]] = {
    LIVE_DESIGN: {
        "vi": "tầng: cơ quan × tháng; đơn vị mẫu bậc một: quầy × tuần trong tháng; lọc theo kênh và lĩnh vực thủ "
        "tục là miền con, không cắt thiết kế",
        "en": LIVE_DESIGN,
    },
    IMPORTED_DESIGN: {
        "vi": "thiết kế nhập kèm từng tệp khảo sát: trọng số (1 nếu không có), tầng (trong từng cơ quan; cơ quan "
        "nếu không có) và cụm (mỗi phiếu một cụm nếu không có); tầng chỉ có một cụm được quy về trung bình chung",
        "en": IMPORTED_DESIGN,
    },
}


def _day(value: date, lang: Lang) -> str:
    return value.strftime("%d/%m/%Y") if lang == "vi" else value.isoformat()


def _count(value: int, lang: Lang) -> str:
    return f"{value:,}".replace(",", "." if lang == "vi" else ",")


def _span(start: date | None, end: date | None, lang: Lang) -> str:
    if start is not None and end is not None:
        return f"{_day(start, lang)} – {_day(end, lang)}"
    if start is not None:
        return LABELS["from"][lang].format(day=_day(start, lang))
    if end is not None:
        return LABELS["to"][lang].format(day=_day(end, lang))
    return LABELS["all_data"][lang]


def _indicator(code: str | None) -> str:
    return "SIPAS" if code in (None, "sipas") else str(code)


def _group_words(group: str, lang: Lang) -> str:
    if group.startswith("profile:"):
        return PROFILE_WORDS[lang].format(field=group.removeprefix("profile:"))
    return GROUP_WORDS.get(group, {}).get(lang, group)


def title(table: Table, lang: Lang) -> str:
    """The report's name: what is measured and how it is broken down."""
    if table.name not in TITLES:
        return table.name
    period = GROUP_WORDS.get(table.period or "month", {}).get(lang, table.period or "")
    text = TITLES[table.name][lang].format(indicator=_indicator(table.indicator), period=period)
    if table.groups:
        text += LABELS["by"][lang] + ", ".join(_group_words(group, lang) for group in table.groups)
    return text


def method_sentence(meta: Meta, lang: Lang) -> str:
    """How the figures were made, from the answer's ``meta``: interval level and method, weights, design, form."""
    return METHOD_SENTENCE[lang].format(
        level=percent_label(meta.level, lang),
        method=METHOD_NAMES.get(meta.method, meta.method),
        weights=WEIGHTS[meta.weighted][lang] if meta.source == "live" else "",
        design=DESIGNS.get(meta.design, {}).get(lang, meta.design),
        form=meta.form,
    )


def title_block(table: Table, lang: Lang, *, agency: str | None, today: date) -> list[tuple[str, str]]:
    """(label, text) lines under the title: agency, period, responses, method, what the intervals do not cover."""
    meta = table.meta
    lines = [(LABELS["agency"][lang], agency or LABELS["whole_scope"][lang])]
    if meta is not None:
        period = _span(meta.date_from, meta.date_to, lang)
        if meta.date_to is None and meta.last_response_date is not None:
            period += "; " + LABELS["newest"][lang].format(day=_day(meta.last_response_date, lang))
        lines.append((LABELS["period"][lang], period))
    if table.previous is not None and table.previous != (None, None):
        lines.append((LABELS["previous"][lang], _span(*table.previous, lang)))
    if meta is not None:
        counts = {"n": meta.responses, "spam": meta.excluded_suspected_spam, "test": meta.excluded_test}
        text = LABELS["responses_text"][lang].format(**{key: _count(value, lang) for key, value in counts.items()})
        lines.append((LABELS["responses"][lang], text))
        lines.append((LABELS["method"][lang], method_sentence(meta, lang)))
        if meta.agencies_without_population_count:
            agencies = ", ".join(meta.agencies_without_population_count)
            lines.append((LABELS["uncounted"][lang], LABELS["uncounted_text"][lang].format(agencies=agencies)))
    coverage = (meta.coverage if meta is not None else COVERAGE).get(lang) or COVERAGE[lang]
    lines.append((LABELS["coverage"][lang], coverage))
    lines.append((LABELS["exported"][lang], _day(today, lang)))
    return lines


def _shown(value: Any, number_format: str | None) -> str:
    """Roughly the text a spreadsheet shows for a cell, to fit the column's width."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if number_format == "#,##0":
            return f"{value:,.0f}"
        if number_format and "0.000" in number_format:
            return f"{value:.3f}"
        if number_format and "0.00" in number_format:
            return f"{value:+.2f}" if number_format.startswith("+") else f"{value:.2f}"
        if number_format == "0":
            return f"{value:.0f}"
        return repr(value)
    return str(value)


def _table(
    sheet: Worksheet,
    start: int,
    headers: Sequence[str],
    body: Sequence[Sequence[Any]],
    formats: Sequence[str | None],
    *,
    after: Sequence[Sequence[Any]] = (),
    widths_from: Sequence[Sequence[Any]] = (),
) -> None:
    """``headers`` on row ``start`` (bold, frozen, filtered), ``body`` below, then ``after`` (bold: the totals,
    outside the filter); columns as wide as what they show (and ``widths_from``: the title block's labels)."""
    for column, text in enumerate(headers, start=1):
        cell = sheet.cell(row=start, column=column, value=text)
        cell.font, cell.fill = BOLD, HEADER_FILL
    for offset, line in enumerate([*body, *after], start=1):
        for column, (value, number_format) in enumerate(zip(line, formats, strict=True), start=1):
            cell = sheet.cell(row=start + offset, column=column, value=value)
            if number_format and isinstance(value, int | float) and not isinstance(value, bool):
                cell.number_format = number_format
            if offset > len(body):
                cell.font = BOLD
    last = get_column_letter(max(len(headers), 1))
    sheet.freeze_panes = f"A{start + 1}"
    sheet.auto_filter.ref = f"A{start}:{last}{start + len(body)}"
    # A total's label overflows into the empty cell beside it (the agency's name under its code) rather than
    # widening a column of codes.
    measured = [*body, *(line for line in after if len(line) < 2 or line[1] is not None)]
    for column, text in enumerate(headers):
        shown = [_shown(line[column], formats[column]) for line in (measured if column == 0 else [*body, *after])]
        extra = [str(line[column]) for line in widths_from if column < len(line) and line[column] is not None]
        width = max(len(value) for value in [text, *shown, *extra]) + 2
        sheet.column_dimensions[get_column_letter(column + 1)].width = min(max(width, MIN_WIDTH), MAX_WIDTH)


def _people_row(columns: Sequence[str], row: dict[str, Any], lang: Lang) -> list[Any]:
    return [neutral(words(column, _plain(row.get(column)), lang)) for column in columns]


def _machine_value(value: Any) -> Any:
    value = _plain(value)
    return value if isinstance(value, bool) else neutral(value)


def _notes(meta: Meta | None) -> list[str]:
    """What the intervals do not cover, in Vietnamese then English: the notes after a machine table."""
    coverage = meta.coverage if meta is not None else COVERAGE
    return [coverage.get("vi") or COVERAGE["vi"], coverage.get("en") or COVERAGE["en"]]


def to_xlsx(table: Table, *, lang: Lang = "vi", agency: str | None = None, today: date) -> bytes:
    """The XLSX for people (first sheet) with the machine columns in full precision (second sheet); ``agency`` is
    the title block's "code – name" of the agency asked about, ``today`` the local date of the export."""
    book = Workbook()
    people = book.active
    assert people is not None  # a new workbook has its sheet
    people_name, full_name = SHEETS[lang]
    people.title = people_name
    people.cell(row=1, column=1, value=neutral(title(table, lang))).font = Font(bold=True, size=14)
    block = title_block(table, lang, agency=agency, today=today)
    for offset, (label, text) in enumerate(block, start=2):
        people.cell(row=offset, column=1, value=neutral(label)).font = BOLD
        people.cell(row=offset, column=2, value=neutral(text))
    start = len(block) + 3  # a blank row between the title block and the table
    columns = [column for column in table.columns if column not in MACHINE_ONLY]
    level = table.meta.level if table.meta is not None else next((r.get("level") for r in table.rows), None)
    totals = []
    for total in table.totals:
        line = _people_row(columns, total.row, lang)
        line[0] = LABELS[total.kind][lang]
        totals.append(line)
    _table(
        people,
        start,
        [header(column, lang, level) for column in columns],
        [_people_row(columns, row, lang) for row in table.rows],
        [NUMBER_FORMATS.get(column) for column in columns],
        after=totals,
        widths_from=[[label] for label, _ in block],
    )
    full = book.create_sheet(title=full_name)
    machine = [[_machine_value(row.get(column)) for column in table.columns] for row in table.rows]
    _table(full, 1, list(table.columns), machine, [None] * len(table.columns))
    full.append([])
    for note in _notes(table.meta):
        full.append([neutral(note)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- the HTTP answer -------------------------------------------------------------------------------------------


def filename(name: str, agency: str | None, day: date) -> str:
    """``sipas-satisfaction-MA-2026-12-05``: the report, the agency asked about (safe characters only), the local
    date of the export."""
    parts = ["sipas", name]
    if agency:
        parts.append(re.sub(r"[^A-Za-z0-9._-]", "_", agency))
    return "-".join([*parts, day.isoformat()])


def agency_label(session: Session, *, code: str | None, lang: Lang) -> str | None:
    """``"MA – Tỉnh Minh An"`` for the title block (the English name when asked and known); None: no agency."""
    if code is None:
        return None
    agency = session.scalar(select(Agency).where(Agency.code == code))
    if agency is None:
        return code
    name = (agency.name_en or agency.name_vi) if lang == "en" else agency.name_vi
    return f"{code} – {name}"


def download(session: Session, *, fmt: Format, table: Table, lang: Lang = "vi", zone: tzinfo) -> Response:
    """The table as a CSV or XLSX attachment named with the local date in ``zone``."""
    today = utcnow().astimezone(zone).date()
    code = table.meta.agency if table.meta is not None else None
    if fmt == "csv":
        body = to_csv(table.columns, table.rows, _notes(table.meta))
    else:
        body = to_xlsx(table, lang=lang, agency=agency_label(session, code=code, lang=lang), today=today)
    disposition = {"Content-Disposition": f'attachment; filename="{filename(table.name, code, today)}.{fmt}"'}
    return Response(body, media_type=MEDIA[fmt], headers=disposition)
