"""Reading the dashboard without being misled (issue 17), on pages served by the app: the targets a chart draws are
the ones its table judges against; a parent agency's row says it holds its own responses (or is left out, with a
sentence, when it has none); every footer links to the service's own method page, which anyone reads in Vietnamese
and English; error pages keep the navigation. Layout facts that need a browser are in test_phone_browser.py."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.config import Settings
from app.dashboard.views import FigureCache
from app.directory.models import Agency, Role
from app.directory.service import create_counter
from app.officials.service import create_official
from app.reports.query import COVERAGE
from tests.factories import (
    PASSWORD,
    Known,
    add_rows,
    add_target,
    dashboard_login,
    database_free,
    province,
    random_rows,
)

PERIOD = "from=2025-01-01&to=2025-03-31"  # the months of random_rows
NAV = '<nav aria-label="Điều hướng chính" class="site-nav">'


def _log_in(client: TestClient, session: Session, username: str, role: Role, agency: Agency) -> None:
    create_official(session, username=username, password=PASSWORD, role=role, agency=agency)
    session.commit()
    assert dashboard_login(client, username).status_code == 303


def _part(html: str, start: str, end: str) -> str:
    assert start in html, start
    tail = html.split(start, 1)[1]
    assert end in tail, end
    return tail.split(end, 1)[0]


def _chart(html: str, chart_id: str) -> str:
    """The wide SVG of a chart (the narrow one, ``chart_id``-narrow, draws the same marks)."""
    return _part(html, f'<svg xmlns="http://www.w3.org/2000/svg" id="{chart_id}"', "</svg>")


def _rows(html: str, table_id: str) -> dict[str, str]:
    table = _part(html, f'id="{table_id}"', "</table>")
    return dict(re.findall(r'<tr data-key="([^"]+)".*?>(.*?)</tr>', table, flags=re.S))


def _marks(chart: str) -> dict[str, str]:
    """Agency → the x of the dashed target mark on its row (marks sit 5 units above their bar)."""
    bars = re.findall(r'data-key="([^"]+)" data-verdict="[^"]+">.*?<rect class="bar-fill" x="340" y="([\d.]+)"', chart)
    marks = {float(y) + 5: x for x, y in re.findall(r'<line class="row-target" x1="([\d.]+)" y1="([\d.]+)"', chart)}
    return {key: marks[float(y)] for key, y in bars if float(y) in marks}


# --- targets: the chart draws what the table judges ------------------------------------------------------------


@database_free
def test_element_targets_are_drawn_exactly_where_the_table_has_them(
    app: FastAPI, client: TestClient, session: Session, settings: Settings
) -> None:
    world = province(session, settings)  # the province's SIPAS target: 86%, for its subtree
    _log_in(client, session, "an.nguyen", Role.province_admin, world.province)

    html = client.get(f"/dashboard/agencies/TP?{PERIOD}").text
    elements = _rows(html, "elements-table")
    assert len(elements) == 6 and all("Không có mục tiêu" in row for row in elements.values())
    assert 'class="target"' not in _chart(html, "elements-chart") and 'class="target"' not in _chart(
        html, "items-chart"
    )
    assert 'class="target"' not in _chart(html, "elements-chart-narrow")
    note = _part(html, '<p class="note" data-testid="elements-target-note">', "</p>")
    assert "Mục tiêu 86,00% là của chỉ số SIPAS chung" in note
    assert 'data-testid="items-target-note"' in html
    # The counters are judged against the province's SIPAS target: one line at 86% (340 + 0.86 × 480), captioned.
    counters = _chart(html, "counters-chart")
    assert counters.count("stroke-dasharray") == 1 and 'x1="752.8"' in counters
    assert "Thanh bắt đầu từ 0%; trục của mọi biểu đồ thanh là 0–100%. · Mục tiêu 86,00%</figcaption>" in html

    # A target for one element: the chart marks that row only, and the table judges that row only.
    add_target(session, world.province, 80.0, indicator="element:access")
    app.state.dashboard_cache = FigureCache()  # figures are cached for a minute; targets are not in the key
    html = client.get(f"/dashboard/agencies/TP?{PERIOD}&lang=vi").text
    elements = _rows(html, "elements-table")
    assert "Không có mục tiêu" not in elements["element:access"]
    assert re.search(r'data-verdict="(met|not_met|inconclusive|insufficient_data)"', elements["element:access"])
    assert all("Không có mục tiêu" in row for key, row in elements.items() if key != "element:access")
    chart = _chart(html, "elements-chart")
    assert chart.count('class="row-target"') == 1 and 'x1="724"' in chart  # 80%
    access = _part(chart, 'data-key="element:access"', "</g>")
    bar_top = float(_part(access, '<rect class="bar-fill" x="340" y="', '"'))
    mark_top = float(_part(chart, '<line class="row-target" x1="724" y1="', '"'))
    assert mark_top == pytest.approx(bar_top - 5)  # on that row, not another
    assert "mỗi dòng so với mục tiêu của chính nó" in html and 'data-testid="elements-target-note"' not in html


@database_free
def test_the_overview_draws_each_agencys_own_target(client: TestClient, session: Session, settings: Settings) -> None:
    world = province(session, settings)
    add_target(session, world.agencies["TP-B"], 70.0, subtree=False)  # TP-B's own target beats the province's
    _log_in(client, session, "an.nguyen", Role.province_admin, world.province)
    html = client.get(f"/dashboard?{PERIOD}").text
    assert _marks(_chart(html, "agencies-chart")) == {"TP-A": "752.8", "TP-B": "676", "TP-C": "752.8"}  # 86%, 70%
    assert 'data-testid="chart-target">mỗi dòng so với mục tiêu của chính nó' in html
    rows = _rows(html, "agencies-table")
    assert all(re.search(r'data-verdict="(met|not_met|inconclusive|insufficient_data)"', row) for row in rows.values())


# --- the province's own row ------------------------------------------------------------------------------------


@database_free
def test_a_parent_agency_row_holds_its_own_responses_and_says_so(
    client: TestClient, session: Session, settings: Settings
) -> None:
    world = province(session, settings)
    world.counters[("TP", "Q01")] = create_counter(session, agency=world.province, code="Q01", name_vi="Quầy tỉnh")
    session.commit()
    own = [k for k in random_rows() if k.agency == "TP-A" and not k.spam and not k.test][:12]
    add_rows(session, settings, world, [Known("TP", "Q01", k.day, k.channel, k.answers) for k in own])
    _log_in(client, session, "an.nguyen", Role.province_admin, world.province)
    html = client.get(f"/dashboard?{PERIOD}").text
    row = _rows(html, "agencies-table")["TP"]
    assert "Tỉnh Thử Nghiệm (riêng cơ quan này)</a>" in row and "chưa có phiếu" not in row
    assert '<td class="num">12</td>' in row  # its own twelve responses, not the subtree's
    assert 'data-testid="parent-without-own"' not in html
    assert "Tỉnh Thử Nghiệm (this agency alone)" in client.get(f"/dashboard?{PERIOD}&lang=en").text


# --- the method page, the footer, the error pages --------------------------------------------------------------


@database_free
def test_every_footer_links_to_the_method_page_which_anyone_reads_in_both_languages(
    client: TestClient, session: Session, settings: Settings
) -> None:
    method = client.get("/dashboard/method")
    assert method.status_code == 200 and '<html lang="vi">' in method.text
    html = method.text
    assert '<h1 data-testid="method-title">Cách tính các con số</h1>' in html
    for heading in (
        "Chỉ số được tính thế nào",
        "Trọng số",
        "Thiết kế mẫu",
        "Khoảng tin cậy",
        "Quy tắc độ tin cậy và “chưa đủ dữ liệu”",
        "So với mục tiêu",
        "Thay đổi theo tháng và cảnh báo",
        "Điều khoảng tin cậy không tính đến",
    ):
        assert f">{heading}</h2>" in html, heading
    reliability = _part(html, 'data-testid="method-reliability">', "</section>")
    assert "cỡ mẫu hiệu dụng (theo Korn–Graubard) dưới 30;" in reliability
    assert "khoảng tin cậy rộng từ 30 điểm phần trăm trở lên;" in reliability
    assert "khoảng tin cậy rộng hơn 5 điểm và hơn 130% của chính con số." in reliability
    assert "“Chưa đủ dữ liệu” nghĩa là chưa biết" in reliability
    assert "khoảng tin cậy 95%" in html and "Korn–Graubard (phân phối beta)" in html
    assert f'<blockquote data-testid="method-coverage"><p>{COVERAGE["vi"]}</p></blockquote>' in html
    assert "docs/statistics.md" not in html and "README" not in html and NAV not in html  # no one is logged in

    english = client.get("/dashboard/method?lang=en").text
    assert '<html lang="en">' in english and ">How the figures are computed</h1>" in english
    assert "its (Korn–Graubard) effective sample size is below 30;" in english
    assert "“Not enough data” means not known — neither met nor not met." in english
    assert COVERAGE["en"] in english and "Cách tính" not in english

    world = province(session, settings)
    _log_in(client, session, "an.nguyen", Role.province_admin, world.province)
    for path, lang in (
        ("/dashboard?lang=vi", "vi"),
        (f"/dashboard/agencies/TP-A?{PERIOD}", "vi"),
        ("/dashboard/counters?lang=en", "en"),
    ):
        footer = _part(client.get(path).text, '<footer class="site">', "</footer>")
        label = "Cách tính các con số →" if lang == "vi" else "How the figures are computed →"
        assert f'<a href="/dashboard/method?lang={lang}" data-testid="method-link">{label}</a>' in footer, path
        assert "docs/statistics.md" not in footer
    assert NAV in client.get("/dashboard/method?lang=vi").text  # logged in: the navigation too


def test_error_pages_keep_the_navigation_and_the_method_link(
    client: TestClient, session: Session, settings: Settings
) -> None:
    world = province(session, settings)
    unknown = client.get("/dashboard/static/nothing.js")  # nobody logged in: no navigation, no error
    assert unknown.status_code == 404 and NAV not in unknown.text and 'data-testid="method-link"' in unknown.text
    client.cookies.set("sipas_session", "not-a-session")
    assert NAV not in client.get("/dashboard/static/nothing.js").text
    client.cookies.clear()

    _log_in(client, session, "binh", Role.agency_official, world.agencies["TP-A"])
    for path, status in (
        ("/dashboard/agencies/NO-SUCH", 404),
        ("/dashboard/agencies/TP-B", 404),  # outside the scope: the same page
        ("/dashboard/static/nothing.js", 404),
        ("/dashboard/devices", 403),  # for administrators
    ):
        page = client.get(path)
        assert page.status_code == status, path
        assert NAV in page.text and 'href="/dashboard/counters"' in page.text, path
        assert 'data-testid="method-link"' in page.text and "Xã Bình Lư" not in page.text, path
    english = client.get("/dashboard/agencies/NO-SUCH?lang=en")
    assert '<nav aria-label="Main navigation" class="site-nav">' in english.text and "Not found" in english.text
