"""Downloads for people (issue 17): the XLSX of ``/satisfaction``, ``/rankings`` and ``/trends`` in Vietnamese (English
with ``lang=en``) with a title block, numbers shown rounded by their cell format (full values in the second sheet),
verdicts and booleans in words, the total rows, fitted column widths, a frozen and filtered header; the CSV's machine
columns unchanged; file names with the local date; the dashboard's download links with the page's language."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from openpyxl.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.orm import Session

from app.config import Settings
from app.dashboard.views import Chosen, export_url
from app.directory.models import Role
from app.reports import downloads
from app.reports.query import COVERAGE
from tests.factories import INJECTION, add_rows, add_target, database_free, login, make_tree, province, random_rows

LONG_NAME = "Trung tâm Phục vụ hành chính công Xã Bình Lư"
# 2026-12-04 18:30 UTC is 01:30 on 5 December in Asia/Ho_Chi_Minh (UTC+7).
LATE_EVENING_UTC = datetime(2026, 12, 4, 18, 30, tzinfo=UTC)
PERIOD = {"from": "2025-01-01", "to": "2025-03-31"}

VI_HEADERS = [
    "Mã cơ quan",
    "Cơ quan",
    "Chỉ số",
    "Mức độ hài lòng (%)",
    "KTC 95%: cận dưới (%)",
    "KTC 95%: cận trên (%)",
    "Sai số chuẩn (điểm %)",
    "Số phiếu",
    "Cỡ mẫu hiệu dụng",
    "Hệ số thiết kế",
    "Mục tiêu (%)",
    "So với mục tiêu",
    "p một phía (dưới mục tiêu)",
    "Ghi chú độ tin cậy",
    "Ít mẫu – chưa tin cậy",
]
EN_HEADERS = [
    "Agency code",
    "Agency",
    "Indicator",
    "Satisfaction (%)",
    "95% CI: lower (%)",
    "95% CI: upper (%)",
    "Standard error (points)",
    "Responses",
    "Effective sample size",
    "Design effect",
    "Target (%)",
    "Against the target",
    "One-sided p (below target)",
    "Reliability notes",
    "Small sample – not reliable",
]
ESTIMATE = [
    *("estimate_pct", "ci_low_pct", "ci_high_pct", "se_pct", "n", "n_eff", "deff", "deff_reference", "df"),
    *("target_pct", "verdict", "p_value_below_target", "flags", "unreliable", "method", "level"),
]
# What scripts read: the CSV's header, as it was before the XLSX became for people.
CSV_COLUMNS = {
    "satisfaction": ["agency", "agency_name", "indicator", "metric", "kind", "name", *ESTIMATE],
    "rankings": ["rank", "agency", "agency_name", *ESTIMATE, "change_pct", "change_significant", "distinct_from_next"],
    "trends": ["period", *ESTIMATE, "change_pct", "alerts"],
}
FULL_SHEET = {"vi": "Dữ liệu đầy đủ", "en": "Full precision"}


@pytest.fixture
def late_evening(monkeypatch: pytest.MonkeyPatch) -> datetime:
    """The clock of the downloads: a UTC evening that is already the next day in Việt Nam."""
    monkeypatch.setattr(downloads, "utcnow", lambda: LATE_EVENING_UTC)
    return LATE_EVENING_UTC


def _book(response: Any) -> Workbook:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return load_workbook(io.BytesIO(response.content))


def _values(sheet: Worksheet) -> list[list[Any]]:
    """Each row's values without the empty cells at its end."""
    out = []
    for row in sheet.iter_rows(values_only=True):
        values = list(row)
        while values and values[-1] is None:
            values.pop()
        out.append(values)
    return out


def _header_row(sheet: Worksheet) -> int:
    """The table's header: the first row after the blank one that ends the title block."""
    return next(row for row in range(2, sheet.max_row + 1) if sheet.cell(row, 1).value is None) + 1


def test_the_xlsx_speaks_vietnamese_and_english_with_title_totals_and_full_values(
    client: TestClient, session: Session, settings: Settings, late_evening: datetime
) -> None:
    world = province(session, settings)
    add_target(session, world.agencies["TP-A"], 50.0, subtree=False)  # TP-A's own target, which it meets
    world.agencies["TP-B"].name_vi = LONG_NAME
    session.commit()
    headers = login(client, session, "admin", Role.province_admin, world.province)
    params = {"group_by": "agency", **PERIOD}
    answer = client.get("/api/v1/satisfaction", params=params, headers=headers).json()
    by_code = {row["agency"]: row for row in answer["rows"]}
    assert {code: row["verdict"] for code, row in by_code.items()} == {
        "TP-A": "met",
        "TP-B": "not_met",
        "TP-C": "insufficient_data",
    }
    meta, [pooled], [unit_mean] = answer["meta"], answer["total"], answer["total_mean_of_units"]

    response = client.get("/api/v1/satisfaction", params={**params, "format": "xlsx"}, headers=headers)
    assert response.headers["content-disposition"] == 'attachment; filename="sipas-satisfaction-TP-2026-12-05.xlsx"'
    book = _book(response)
    assert book.sheetnames == ["Số liệu", "Dữ liệu đầy đủ"]
    sheet = book["Số liệu"]
    rows = _values(sheet)
    assert rows[0] == ["Mức độ hài lòng về sự phục vụ hành chính theo cơ quan"]
    assert sheet["A1"].font.bold
    spam, test = meta["excluded_suspected_spam"], meta["excluded_test"]
    block = [
        ["Cơ quan", "TP – Tỉnh Thử Nghiệm"],
        ["Kỳ báo cáo", "01/01/2025 – 31/03/2025"],
        ["Số phiếu", f"{meta['responses']} phiếu được tính (không tính {spam} phiếu nghi spam và {test} phiếu thử)"],
        ["Phương pháp", rows[4][1]],
        ["Thiếu số hồ sơ", "TP-A, TP-B, TP-C: có tháng chưa có số hồ sơ tiếp nhận, được gán trọng số chung ΣN/Σn"],
        ["Lưu ý", COVERAGE["vi"]],
        ["Ngày xuất", "05/12/2026"],
    ]
    assert meta["agencies_without_population_count"] == ["TP-A", "TP-B", "TP-C"]
    assert rows[1:9] == [*block, []]
    method = rows[4][1]
    assert method.startswith("Khoảng tin cậy (KTC) 95% theo phương pháp Korn–Graubard, tính theo thiết kế mẫu, có ")
    assert "tầng: cơ quan × tháng" in method and "biểu mẫu counter-quick@1" in method

    top = _header_row(sheet)
    assert top == 10 and rows[top - 1] == VI_HEADERS
    assert all(sheet.cell(top, column).font.bold for column in range(1, len(VI_HEADERS) + 1))
    assert sheet.freeze_panes == f"A{top + 1}"
    assert sheet.auto_filter.ref == f"A{top}:O{top + 3}"  # the three agencies; the totals stay out of the filter
    table = {row[0]: row for row in rows[top : top + 3]}
    assert list(table) == ["TP-A", "TP-B", "TP-C"]
    assert table["TP-B"][1] == LONG_NAME and table["TP-C"][1] == "'" + INJECTION  # diacritics kept, formula not run
    for code, words in (("TP-A", "Đạt"), ("TP-B", "Chưa đạt"), ("TP-C", "Chưa đủ dữ liệu")):
        assert table[code][11] == words
        assert table[code][14] == ("Có" if by_code[code]["unreliable"] else "Không")
    assert table["TP-C"][12] is None  # no p-value where the reliability rule withholds the verdict
    assert table["TP-C"][13] == "cỡ mẫu hiệu dụng dưới 30"
    estimate = sheet.cell(top + 1, 4)
    assert estimate.data_type == "n" and estimate.number_format == "0.00"  # a number, shown as 84.06
    assert estimate.value == pytest.approx(by_code["TP-A"]["estimate_pct"], rel=1e-15)
    assert [sheet.cell(top + 1, column).number_format for column in (5, 6, 7, 8, 11)] == [
        *("0.00", "0.00", "0.00", "#,##0", "0.00")
    ]
    assert sheet.cell(top + 1, 13).number_format == '[<0.001]"<0.001";0.000'

    # The totals: the pooled estimate of the whole selection and the published mean of the agencies, labelled.
    pooled_row, mean_row = rows[top + 3], rows[top + 4]
    assert pooled_row[0] == "Toàn bộ lựa chọn (ước lượng gộp)" and pooled_row[1] is None
    assert pooled_row[3] == pytest.approx(pooled["estimate_pct"], rel=1e-15)
    assert pooled_row[7] == pooled["n"] == meta["responses"]
    assert mean_row[0] == "Trung bình cộng các cơ quan (cách công bố)"
    assert mean_row[3] == pytest.approx(unit_mean["estimate_pct"], rel=1e-15)
    assert pooled_row[11] == {"met": "Đạt", "not_met": "Chưa đạt", "inconclusive": "Chưa kết luận được"}.get(
        pooled["verdict"]
    )
    assert sheet.cell(top + 5, 1).font.bold and sheet.cell(top + 6, 1).value is None

    widths = {letter: sheet.column_dimensions[letter].width for letter in "ABCDHL"}
    assert widths["B"] >= len(LONG_NAME) > 13  # openpyxl's default width is 13
    assert widths["C"] >= len("Chỉ số hài lòng (phiếu nhanh tại quầy)")
    assert widths["D"] >= len("Mức độ hài lòng (%)") and widths["L"] >= len("Chưa đủ dữ liệu")
    assert widths["A"] < len("Toàn bộ lựa chọn (ước lượng gộp)")  # the label overflows into the empty B

    # The second sheet: the CSV's machine columns, full-precision numbers, real booleans.
    full = book["Dữ liệu đầy đủ"]
    machine = _values(full)
    assert machine[0] == CSV_COLUMNS["satisfaction"] and full.freeze_panes == "A2"
    machine_rows = {row[0]: dict(zip(machine[0], row, strict=False)) for row in machine[1:4]}
    for code, row in by_code.items():
        for column in ("estimate_pct", "ci_low_pct", "ci_high_pct", "se_pct", "n_eff", "deff"):
            assert machine_rows[code][column] == pytest.approx(row[column], rel=1e-15)  # 16 significant digits
        assert machine_rows[code]["verdict"] == row["verdict"]
        assert machine_rows[code]["unreliable"] is row["unreliable"]
    assert machine_rows["TP-C"]["agency_name"] == "'" + INJECTION
    assert machine[4:] == [[], [COVERAGE["vi"]], [COVERAGE["en"]]]

    # In English: the same figures, every word translated.
    english = _book(
        client.get("/api/v1/satisfaction", params={**params, "format": "xlsx", "lang": "en"}, headers=headers)
    )
    assert english.sheetnames == ["Figures", "Full precision"]
    sheet = english["Figures"]
    rows = _values(sheet)
    assert rows[0] == ["Satisfaction with public administrative services by agency"]
    assert [row[0] for row in rows[1:8]] == [
        *("Agency", "Period", "Responses", "Method", "No population count", "Note", "Exported on")
    ]
    assert rows[1][1] == "TP – Tỉnh Thử Nghiệm" and rows[2][1] == "2025-01-01 – 2025-03-31"
    assert (
        rows[3][1]
        == f"{meta['responses']} responses counted ({spam} suspected spam and {test} test responses left out)"
    )
    assert rows[4][1].startswith("95% confidence intervals (CI) by the Korn–Graubard method, design-based, weighted")
    assert rows[6][1] == COVERAGE["en"] and rows[7][1] == "2026-12-05"
    assert rows[9] == EN_HEADERS
    table = {row[0]: row for row in rows[10:13]}
    assert [table[code][11] for code in ("TP-A", "TP-B", "TP-C")] == ["Met", "Not met", "Not enough data"]
    assert table["TP-C"][13:15] == ["effective sample size below 30", "Yes"] and table["TP-A"][14] == "No"
    assert rows[13][0] == "Whole selection (pooled estimate)"
    assert rows[14][0] == "Plain mean of the agencies (published convention)"
    assert _values(english["Full precision"])[0] == CSV_COLUMNS["satisfaction"]


@database_free
def test_verdict_words_without_a_target_and_no_total_when_the_rows_are_the_whole_selection(
    client: TestClient, session: Session, settings: Settings
) -> None:
    world = make_tree(session)
    add_rows(session, settings, world, random_rows())
    session.commit()
    headers = login(client, session, "admin", Role.province_admin, world.province)
    rows = _values(_book(client.get("/api/v1/satisfaction", params={"format": "xlsx"}, headers=headers))["Số liệu"])
    assert rows[0] == ["Mức độ hài lòng về sự phục vụ hành chính"]
    top = rows.index(VI_HEADERS[2:])  # no group: no key columns
    [overall] = rows[top + 1 :]  # the one row is the whole selection: no total under it
    assert overall[8:11] == [None, "Không có mục tiêu", None]  # no target: no verdict, no p-value
    english = _book(client.get("/api/v1/satisfaction", params={"format": "xlsx", "lang": "en"}, headers=headers))
    assert _values(english["Figures"])[-1][9] == "No target"
    # Grouped by element alone, the rows are metrics of the whole selection too.
    by_element = client.get("/api/v1/satisfaction", params={"format": "xlsx", "group_by": "element"}, headers=headers)
    rows = _values(_book(by_element)["Số liệu"])
    assert rows[0] == ["Mức độ hài lòng về sự phục vụ hành chính theo yếu tố"]
    assert not any(str(row[0]).startswith("Toàn bộ lựa chọn") for row in rows if row)


@database_free
def test_rankings_and_trends_for_people(client: TestClient, session: Session, settings: Settings) -> None:
    world = province(session, settings)
    headers = login(client, session, "admin", Role.province_admin, world.province)
    answer = client.get("/api/v1/rankings", params=PERIOD, headers=headers).json()
    ranks = {row["agency"]: (row["rank"], row["distinct_from_next"]) for row in answer["rows"]}
    assert ranks == {"TP-A": (1, True), "TP-B": (2, None), "TP-C": (None, None)}
    sheet = _book(client.get("/api/v1/rankings", params={**PERIOD, "format": "xlsx"}, headers=headers))["Số liệu"]
    rows = _values(sheet)
    assert rows[0] == ["Xếp hạng các cơ quan theo SIPAS"]
    assert rows[2] == ["Kỳ báo cáo", "01/01/2025 – 31/03/2025"]
    assert rows[3] == ["Kỳ so sánh", "03/10/2024 – 31/12/2024"]  # the previous period of the same length
    top = _header_row(sheet)
    assert rows[top - 1][:3] == ["Hạng", "Mã cơ quan", "Cơ quan"]
    assert rows[top - 1][-3:] == [
        *("Thay đổi so với kỳ trước (điểm %)", "Thay đổi có ý nghĩa thống kê", "Khác biệt có ý nghĩa với hạng sau")
    ]
    first, second, unranked = rows[top : top + 3]
    assert first[:2] == [1, "TP-A"] and first[-1] == "Có" and sheet.cell(top + 1, 1).number_format == "0"
    assert second[:2] == [2, "TP-B"] and len(second) < len(first)  # the last ranked has no next to differ from
    assert unranked[:2] == ["Không xếp hạng (ít mẫu)", "TP-C"] and unranked[11] == "Chưa đủ dữ liệu"
    assert len(rows) == top + 3  # no total: a ranking has none
    assert sheet.freeze_panes == f"A{top + 1}"

    trend = client.get("/api/v1/trends", params={"agency": "TP-A", "format": "xlsx", "lang": "en"}, headers=headers)
    assert trend.headers["content-disposition"].startswith('attachment; filename="sipas-trends-TP-A-')
    sheet = _book(trend)["Figures"]
    rows = _values(sheet)
    assert rows[0] == ["SIPAS by month"] and rows[1] == ["Agency", "TP-A – Xã An Hòa"]
    top = _header_row(sheet)
    assert rows[top - 1][0] == "Period" and rows[top - 1][-2:] == ["Change from the previous period (points)", "Alerts"]
    assert [row[0] for row in rows[top:]] == ["2025-01", "2025-02", "2025-03"]
    assert {row[9] for row in rows[top:]} == {"Not enough data"}  # too few answers a month for a verdict


@database_free
def test_the_csv_keeps_its_machine_columns_in_any_language(
    client: TestClient, session: Session, settings: Settings
) -> None:
    world = province(session, settings)
    headers = login(client, session, "admin", Role.province_admin, world.province)
    for path, params in (
        ("/api/v1/satisfaction", {"group_by": "agency"}),
        ("/api/v1/rankings", {}),
        ("/api/v1/trends", {"agency": "TP-A"}),
    ):
        name = path.rsplit("/", 1)[1]
        vietnamese = client.get(path, params={**params, "format": "csv"}, headers=headers)
        english = client.get(path, params={**params, "format": "csv", "lang": "en"}, headers=headers)
        assert vietnamese.content == english.content
        lines = list(csv.reader(io.StringIO(vietnamese.content.decode("utf-8-sig"))))
        assert lines[0] == CSV_COLUMNS[name]
        table = [dict(zip(lines[0], line, strict=True)) for line in lines[1 : lines.index([])]]
        assert {row["unreliable"] for row in table} <= {"true", "false"}
        assert {row["verdict"] for row in table} <= {"met", "not_met", "inconclusive", "insufficient_data", ""}
        if name == "rankings":
            assert {row["distinct_from_next"] for row in table} <= {"true", "false", ""}
        json_rows = client.get(path, params=params, headers=headers).json()
        first = json_rows["rows"][0] if name != "trends" else json_rows["points"][0]
        estimate = first if name == "satisfaction" else first["estimate"]
        assert float(table[0]["estimate_pct"]) == estimate["estimate_pct"]  # full precision (repr), exactly
    satisfaction = client.get("/api/v1/satisfaction", params={"group_by": "agency", "format": "csv"}, headers=headers)
    assert f"TP-C,'{INJECTION}," in satisfaction.content.decode("utf-8-sig")


@database_free
def test_file_names_use_the_local_date(
    client: TestClient, session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = province(session, settings)
    headers = login(client, session, "admin", Role.province_admin, world.province)
    for now, day in (
        (LATE_EVENING_UTC, "2026-12-05"),  # 01:30 on 5 December in Việt Nam, still 4 December in UTC
        (datetime(2026, 12, 4, 16, 59, tzinfo=UTC), "2026-12-04"),  # 23:59 local
        (datetime(2026, 12, 4, 17, 0, tzinfo=UTC), "2026-12-05"),  # local midnight
    ):
        monkeypatch.setattr(downloads, "utcnow", lambda now=now: now)
        for fmt in ("csv", "xlsx"):
            response = client.get("/api/v1/satisfaction", params={"agency": "TP-A", "format": fmt}, headers=headers)
            disposition = f'attachment; filename="sipas-satisfaction-TP-A-{day}.{fmt}"'
            assert response.headers["content-disposition"] == disposition
        rows = _values(_book(response)["Số liệu"])
        assert ["Ngày xuất", date.fromisoformat(day).strftime("%d/%m/%Y")] in rows


@database_free
def test_a_language_other_than_vi_or_en_is_422_naming_it(
    client: TestClient, session: Session, settings: Settings
) -> None:
    world = province(session, settings)
    headers = login(client, session, "admin", Role.province_admin, world.province)
    for path in ("/api/v1/satisfaction", "/api/v1/rankings", "/api/v1/trends"):
        response = client.get(path, params={"format": "xlsx", "lang": "fr"}, headers=headers)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["message"].startswith("/query/lang: ")


def test_file_names_keep_only_safe_characters() -> None:
    assert downloads.filename("satisfaction", "MA", date(2026, 12, 5)) == "sipas-satisfaction-MA-2026-12-05"
    assert downloads.filename("rankings", None, date(2026, 12, 5)) == "sipas-rankings-2026-12-05"
    assert downloads.filename("trends", 'M"A/1 é', date(2026, 1, 2)) == "sipas-trends-M_A_1__-2026-01-02"


def test_the_dashboard_links_carry_the_page_language() -> None:
    chosen = Chosen(date(2026, 1, 1), date(2026, 6, 30))
    url = export_url("satisfaction", chosen, "xlsx", lang="en", group_by="agency")
    assert url == "/api/v1/satisfaction?group_by=agency&from=2026-01-01&to=2026-06-30&format=xlsx&lang=en"
    assert export_url("rankings", chosen, "csv").endswith("&format=csv")  # no language asked: the API's default, vi
