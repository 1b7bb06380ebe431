"""The comparison and rankings pages, in Chromium, as a province official would use them: a seeded province whose
commune TP-A rose clearly in every element but feedback handling (February–March 2025 against December–January and
against February–March 2024), five reliable communes of which two cannot be told apart, and one commune with too few
answers to be ranked. Also: the pages' words and refusals without a browser, and the pure helpers (the groups of
places, the difference axis).

Pages laid out the same on both databases, so SQLite only (the figures themselves are tested on both databases in
``tests/reports/test_comparisons_api.py``). Screenshots: test-artifacts/compare-390.png, compare-1440.png,
rankings-390.png, rankings-1440.png."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, ViewportSize, expect
from sqlalchemy.orm import Session

from app.config import Settings
from app.dashboard.compare_charts import difference_axis
from app.dashboard.router_compare import place_groups
from app.directory.models import AgencyLevel, Role
from app.directory.service import create_agency, create_counter
from app.officials.service import create_official
from app.responses.models import Channel
from tests.factories import ELEMENTS, PASSWORD, Known, World, add_rows, dashboard_login, make_tree
from tests.support.browser import artifact, axe_violations

# The pages lay out the same on both databases: SQLite only.
sqlite_only = pytest.mark.parametrize("backend", ["sqlite"])

PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1440, "height": 900}
PERIOD = "from=2025-02-01&to=2025-03-31"
WEEK_DAYS = (3, 10, 17, 24)
NOW = (202502, 202503)
BEFORE = (202412, 202501, 202402, 202403)  # the previous period and the same period a year earlier

# Satisfied answers out of six in each of the eight counter-weeks of a month (two counters × four weeks).
HIGH = [5, 6, 5, 4, 5, 6, 4, 5]  # 83.3%
CLOSE = [5, 5, 5, 4, 5, 5, 4, 5]  # 79.2%: not distinguishable from HIGH
HALF = [3, 4, 2, 3, 3, 4, 2, 3]  # 50%
LOW = [1, 2, 2, 1, 2, 2, 1, 1]  # 25%
FEEDBACK_NOW = [4, 5, 4, 3, 4, 5, 3, 4]
FEEDBACK_BEFORE = [4, 4, 3, 4, 5, 3, 4, 4]


def _month(agency: str, month: int, rest: list[int], feedback: list[int] | None = None) -> list[Known]:
    rows: list[Known] = []
    for c, counter in enumerate(("Q01", "Q02")):
        for w, day in enumerate(WEEK_DAYS):
            j = c * len(WEEK_DAYS) + w
            for k in range(6):
                answers = {
                    f"{e}_general": 4 if k < (feedback if e == "feedback" and feedback else rest)[j] else 3
                    for e in ELEMENTS
                }
                answers["overall"] = answers["access_general"]
                rows.append(Known(agency, counter, date(month // 100, month % 100, day), Channel.web_qr, answers))
    return rows


def seed(session: Session, settings: Settings) -> World:
    """Province TP: TP-A (high, rising), TP-D (close to TP-A), TP-B (half), TP-E (low), TP-C (three answers)."""
    world = make_tree(session)
    for code, name in (("TP-D", "Phường Đông Hòa"), ("TP-E", "Xã Eo Gió")):
        world.agencies[code] = create_agency(
            session, code=code, name_vi=name, level=AgencyLevel.commune, parent=world.province
        )
    for code in ("TP-B", "TP-D", "TP-E"):
        for counter in ("Q01", "Q02"):
            if (code, counter) not in world.counters:
                world.counters[(code, counter)] = create_counter(
                    session, agency=world.agencies[code], code=counter, name_vi=f"Quầy {counter}"
                )
    session.commit()
    rows: list[Known] = []
    for month in NOW:
        rows += _month("TP-A", month, HIGH, FEEDBACK_NOW)
        rows += _month("TP-D", month, CLOSE)
        rows += _month("TP-B", month, HALF)
        rows += _month("TP-E", month, LOW)
    for month in BEFORE:
        rows += _month("TP-A", month, HALF, FEEDBACK_BEFORE)
    rows += [
        Known("TP-C", "Q01", date(2025, 2, day), Channel.web_qr, {"overall": 4, "access_general": 4})
        for day in WEEK_DAYS[:3]
    ]
    add_rows(session, settings, world, rows)
    create_official(session, username="tinh", password=PASSWORD, role=Role.province_admin, agency=world.province)
    create_official(
        session, username="xa-an-hoa", password=PASSWORD, role=Role.agency_official, agency=world.agencies["TP-A"]
    )
    session.commit()
    return world


def log_in(browser: Browser, live_url: str, path: str) -> Page:
    page = browser.new_page(viewport=DESKTOP, locale="vi-VN")
    page.set_default_timeout(30_000)
    page.goto(f"{live_url}{path}")
    expect(page).to_have_url(re.compile(r"/dashboard/login\?next="))
    page.get_by_label("Tên đăng nhập").fill("tinh")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).to_have_url(f"{live_url}{path}")
    return page


def check_layout(page: Page, name: str) -> None:
    """axe clean and no page-wide scroll at 390 px, photographed at 1440 and 390 px."""
    page.set_viewport_size(DESKTOP)
    assert axe_violations(page) == []
    page.screenshot(path=str(artifact(f"{name}-1440.png")), full_page=True)
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert axe_violations(page) == []
    page.screenshot(path=str(artifact(f"{name}-390.png")), full_page=True)
    page.set_viewport_size(DESKTOP)


@pytest.mark.slow
@sqlite_only
def test_a_province_official_compares_a_commune_and_ranks_the_province(
    browser: Browser, live_url: str, session: Session, settings: Settings
) -> None:
    seed(session, settings)
    page = log_in(browser, live_url, f"/dashboard/agencies/TP-A/compare?{PERIOD}")
    expect(page.get_by_test_id("compare-title")).to_have_text("So sánh: Xã An Hòa TP-A")

    # against the previous period: up in four elements and the index, feedback not distinguishable
    table = page.get_by_test_id("compare-previous-table")
    expect(table.locator("tbody tr")).to_have_count(6)
    sipas = table.locator('tr[data-key="sipas"]')
    expect(sipas).to_have_attribute("data-call", "up")
    expect(sipas.locator("td").nth(0)).to_contain_text("80,00%")  # (4 × 80 + 64)/5 of 96
    expect(sipas.locator("td").nth(1)).to_contain_text("52,92%")
    expect(sipas.locator("td").nth(2)).to_have_text("+27,08 điểm")
    expect(sipas).to_contain_text("▲ Tăng")
    feedback = table.locator('tr[data-key="element:feedback"]')
    expect(feedback).to_have_attribute("data-call", "not_distinguishable")
    expect(feedback).to_contain_text("≈ Không phân biệt được")
    adjusted = feedback.locator("td").nth(4).inner_text()
    low, high = (float(v.replace("−", "-").replace(",", ".")) for v in adjusted.split(" đến "))
    assert low < 0 < high  # the adjusted interval holds 0, so no call
    expect(page.get_by_test_id("compare-previous-periods")).to_have_text(
        "Kỳ này: 01/02/2025 – 31/03/2025; kỳ so sánh: 01/12/2024 – 31/01/2025."
    )
    expect(page.get_by_test_id("compare-previous-family")).to_contain_text("6 so sánh trong bảng")
    # the chart: a dot and a whisker per compared row, around a 0 line, nothing cut at the axis
    chart = page.locator("#compare-previous-chart")
    expect(chart.locator("g.diff-row")).to_have_count(6)
    expect(chart.locator("circle.dot")).to_have_count(6)
    expect(chart.locator("line.zero")).to_have_count(1)
    plot = chart.locator("line.grid").evaluate_all("lines => lines.map(l => Number(l.getAttribute('x1')))")
    ends = chart.locator("path.whisker").evaluate_all(
        "paths => paths.flatMap(p => [...p.getAttribute('d').matchAll(/M([0-9.]+) /g)].map(m => Number(m[1])))"
    )
    assert min(plot) <= min(ends) and max(ends) <= max(plot)

    # a year earlier: up; against the parent: the rest of the province, the province's own figure for reference
    expect(page.get_by_test_id("compare-last_year-table").locator('tr[data-key="sipas"]')).to_have_attribute(
        "data-call", "up"
    )
    expect(page.get_by_test_id("compare-last_year-periods")).to_contain_text("01/02/2024 – 31/03/2024")
    parent = page.get_by_test_id("compare-parent-table")
    expect(parent.locator("thead")).to_contain_text("Phần còn lại của Tỉnh Thử Nghiệm")
    expect(page.get_by_test_id("compare-parent-note")).to_contain_text("Để tham khảo: chỉ số chung của Tỉnh Thử Nghiệm")
    expect(page.get_by_test_id("coverage")).to_contain_text("Khoảng tin cậy chỉ tính sai số chọn mẫu")
    check_layout(page, "compare")

    # English
    page.goto(f"{live_url}/dashboard/agencies/TP-A/compare?{PERIOD}&lang=en")
    expect(page.get_by_test_id("compare-title")).to_have_text("Comparisons: Xã An Hòa TP-A")
    expect(page.get_by_test_id("compare-previous-table").locator('tr[data-key="sipas"]')).to_contain_text("▲ Up")
    expect(page.get_by_test_id("compare-previous-table").locator('tr[data-key="sipas"] td').nth(2)).to_have_text(
        "+27.08 pts"
    )
    assert axe_violations(page) == []

    # the rankings page, from the navigation
    page.goto(f"{live_url}/dashboard/rankings?{PERIOD}&lang=vi")
    expect(page.get_by_test_id("nav-rankings")).to_have_attribute("aria-current", "page")
    ranked = page.get_by_test_id("rankings-table").locator("tbody tr")
    expect(ranked).to_have_count(4)
    places = {row.get_attribute("data-key"): row.get_attribute("data-place") for row in ranked.all()}
    assert places == {"TP-A": "1–2", "TP-D": "1–2", "TP-B": "3", "TP-E": "4"}  # no order between A and D
    expect(page.get_by_test_id("rankings-table").locator('tr[data-key="TP-A"]')).to_contain_text(
        "Nhóm 1: 2 cơ quan không phân biệt được"
    )
    expect(page.get_by_test_id("rank-groups")).to_have_text(
        "1 nhóm cơ quan không phân biệt được với nhau: trong mỗi nhóm, các cơ quan chung khoảng hạng."
    )
    chart = page.locator("#rankings-chart")
    expect(chart.locator("g.group-band")).to_have_count(1)  # the group drawn, shaded and bracketed
    expect(chart.locator("g.rank-row.shared")).to_have_count(2)
    expect(chart.locator("g.rank-row")).to_have_count(4)
    expect(chart.locator("g.target line")).to_have_count(0)  # no target was set: none drawn
    unranked = page.get_by_test_id("unranked-table").locator("tbody tr")
    expect(unranked).to_have_count(1)
    expect(unranked).to_have_attribute("data-key", "TP-C")
    expect(unranked).to_contain_text("ít mẫu – chưa tin cậy")
    check_layout(page, "rankings")
    page.close()


def test_groups_of_places_and_the_difference_axis() -> None:
    assert place_groups([True, False, False, True, None]) == [(0, 1, 1), (1, 2, 4), (1, 2, 4), (1, 2, 4), (2, 5, 5)]
    assert place_groups([None]) == [(0, 1, 1)]
    assert place_groups([]) == []
    assert place_groups([False, None, True, None]) == [(0, 1, 3), (0, 1, 3), (0, 1, 3), (1, 4, 4)]
    axis = difference_axis([0.2421, 0.4246, -0.03])
    assert (axis.half_width, axis.step) == (pytest.approx(0.5), 0.1)
    assert (difference_axis([]).half_width, difference_axis([]).step) == (pytest.approx(0.05), 0.01)  # at least ±5
    assert difference_axis([0.031]).half_width == pytest.approx(0.05)
    assert difference_axis([0.072]).half_width == pytest.approx(0.08)
    assert difference_axis([-0.97]).half_width == 1.0
    for ends in ([0.0012], [0.13, -0.27], [0.6], [0.999]):
        axis = difference_axis(ends)
        assert axis.half_width >= max(abs(e) for e in ends)
        assert round(axis.half_width / axis.step) <= 5


def _client_login(client: TestClient, username: str) -> None:
    assert dashboard_login(client, username).status_code == 303


@sqlite_only
def test_pages_say_what_they_cannot_compare(client: TestClient, session: Session, settings: Settings) -> None:
    seed(session, settings)
    _client_login(client, "tinh")
    # the province has no parent; all data (no dates) cannot be compared with a previous period
    page = client.get("/dashboard/agencies/TP/compare?from=&to=")
    assert page.status_code == 200
    assert "Hãy chọn cả ngày bắt đầu và ngày kết thúc" in page.text
    assert "Tỉnh Thử Nghiệm không có cơ quan cấp trên để so sánh." in page.text
    # more than a year against last year
    page = client.get("/dashboard/agencies/TP-A/compare?from=2024-01-01&to=2025-03-31")
    assert "Kỳ đã chọn dài hơn một năm" in page.text
    # an unknown agency is the 404 page; a bad date is named
    assert client.get("/dashboard/agencies/TP-Z/compare").status_code == 404
    page = client.get("/dashboard/agencies/TP-A/compare?from=2025-13-01&to=2025-03-31")
    assert page.status_code == 200
    assert "2025-13-01" in page.text
    page = client.get("/dashboard/rankings?level=planet")
    assert page.status_code == 200
    assert "level planet" in page.text
    page = client.get("/dashboard/rankings?from=0001-01-01&to=2025-03-31")
    assert page.status_code == 200
    assert "trước năm 1" in page.text
    assert client.get("/dashboard/rankings?agency=TP-Z").status_code == 404


@sqlite_only
def test_a_commune_official_sees_no_parent_figures(client: TestClient, session: Session, settings: Settings) -> None:
    seed(session, settings)
    _client_login(client, "xa-an-hoa")
    page = client.get(f"/dashboard/agencies/TP-A/compare?{PERIOD}")
    assert page.status_code == 200
    assert "Cơ quan cấp trên nằm ngoài phạm vi của Ông/Bà" in page.text
    assert "Tỉnh Thử Nghiệm" not in page.text
    assert 'data-call="up"' in page.text
    assert client.get(f"/dashboard/agencies/TP-B/compare?{PERIOD}").status_code == 404
    rankings: Any = client.get(f"/dashboard/rankings?{PERIOD}")
    assert rankings.status_code == 200
    assert "Tỉnh Thử Nghiệm" not in rankings.text
