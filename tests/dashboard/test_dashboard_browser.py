"""The officials' dashboard on the demo province, in a real Chromium: log in through the form, read the overview
(every agency with its interval and verdict, Vietnamese numbers), drill into an agency, narrow the period, download
a table as XLSX and find the page's numbers in it, an agency official confined to their commune, log out; pages
photographed on a laptop and a tablet, and checked with axe-core (WCAG 2.x A and AA).

Each backend's demo database (a copy of the run's demo template, tests/support/demo.py) is shared by this module's
tests (the module overrides the per-test ``backend``, ``settings``, ``engine``, ``app`` and ``live_url`` fixtures);
no test here changes a figure."""

from __future__ import annotations

import contextlib
import itertools
import re
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from fastapi import FastAPI
from openpyxl import load_workbook
from playwright.sync_api import Browser, BrowserContext, Locator, Page, ViewportSize, expect
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.config import Settings
from app.dashboard import format
from app.dashboard.views import last_full_months
from app.db import make_engine
from app.demo import DEMO_PASSWORD, DEMO_USERNAME, PROVINCE_CODE
from app.directory.models import Agency, AgencyLevel, Role
from app.main import create_app
from app.officials.service import create_official
from app.reports.query import COVERAGE
from app.responses.models import Response
from tests.conftest import BACKENDS, demo_database_url, make_settings
from tests.support.browser import artifact

LAPTOP: ViewportSize = {"width": 1366, "height": 768}
TABLET: ViewportSize = {"width": 820, "height": 1180}
WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
VI_PERCENT = re.compile(r"^\d{1,3},\d{2}%$")
DEPARTMENT = f"{PROVINCE_CODE}-STP"  # Sở Tư pháp: a leaf agency with a few hundred answers a year
COMMUNE_PASSWORD = "commune official 2026"
XLSX_HEADER = [
    *("indicator", "metric", "kind", "name", "estimate_pct", "ci_low_pct", "ci_high_pct", "se_pct", "n", "n_eff"),
    *("deff", "deff_reference", "df", "target_pct", "verdict", "p_value_below_target", "flags", "unreliable"),
    *("method", "level"),
]


# --- one demo database per backend, shared by the module ---------------------------------------------------------


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def settings(
    backend: str,
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Settings]:
    directory = tmp_path_factory.mktemp(f"dashboard-demo-{backend}")
    with contextlib.contextmanager(demo_database_url)(backend, request, directory) as url:
        yield make_settings(url, directory)


@pytest.fixture(scope="module")
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def app(settings: Settings) -> Iterator[FastAPI]:
    application = create_app(settings)
    yield application
    application.state.engine.dispose()


@pytest.fixture(scope="module")
def live_url(app: FastAPI) -> Iterator[str]:
    """One server for the module, so its figure cache is shared as an official's clicks would share it."""
    from tests.support.live import free_port, serve

    with serve(app, free_port()) as url:
        yield url


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport=LAPTOP, locale="vi-VN", accept_downloads=True)
    # The first (uncached) load of a page computes its figures: give a loaded 2-core machine time.
    context.set_default_timeout(30_000)
    yield context
    context.close()


# --- helpers -----------------------------------------------------------------------------------------------------


def log_in(context: BrowserContext, live_url: str, username: str, password: str, path: str = "/dashboard") -> Page:
    """Open a page, get sent to the login form, fill it in, and come back to the page."""
    page = context.new_page()
    page.goto(f"{live_url}{path}")
    expect(page).to_have_url(re.compile(r"/dashboard/login\?next="))
    expect(page.get_by_test_id("login-notice")).to_have_text("Vui lòng đăng nhập để xem trang này.")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).to_have_url(f"{live_url}{path}")
    return page


def violations(page: Page) -> list[str]:
    results = Axe().run(page, options=WCAG_AA)
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)" for v in results.response["violations"]]


def photograph(page: Page, name: str) -> None:
    """The page at laptop and tablet size, saved under test-artifacts/."""
    for device, viewport in (("laptop", LAPTOP), ("tablet", TABLET)):
        page.set_viewport_size(viewport)
        page.screenshot(path=str(artifact(f"{name}-{device}.png")), full_page=True)
    page.set_viewport_size(LAPTOP)


def cells(row: Locator) -> list[str]:
    return [text.strip() for text in row.locator("td").all_inner_texts()]


def vi_pct(value_pct: float) -> str:
    return format.pct(value_pct / 100, "vi")


def agencies_with_responses(session: Session, date_from: date, date_to: date) -> set[str]:
    query = (
        select(Agency.code)
        .join(Response, Response.agency_id == Agency.id)
        .where(Response.local_date.between(date_from, date_to))
        .distinct()
    )
    return set(session.scalars(query))


def responses_between(session: Session, date_from: date, date_to: date) -> int:
    query = select(func.count()).select_from(Response).where(Response.local_date.between(date_from, date_to))
    return session.scalar(query) or 0


def today(settings: Settings) -> date:
    return datetime.now(settings.zone).date()


# --- the tests ---------------------------------------------------------------------------------------------------


def test_overview_shows_every_agency_with_its_interval_and_verdict(
    context: BrowserContext, live_url: str, settings: Settings, session: Session, backend: str
) -> None:
    page = log_in(context, live_url, DEMO_USERNAME, DEMO_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Tỉnh Minh An (dữ liệu mẫu)")
    expect(page.get_by_test_id("headline-value")).to_have_text(VI_PERCENT)
    expect(page.get_by_test_id("headline")).to_contain_text("Mục tiêu 86,00%")

    names = {code: name for code, name in session.execute(select(Agency.code, Agency.name_vi))}
    all_codes = set(names)
    with_data = agencies_with_responses(session, *last_full_months(today(settings)))
    assert PROVINCE_CODE in all_codes - with_data  # the province has no counter of its own
    rows = page.get_by_test_id("agencies-table").locator("tbody tr")
    expect(rows).to_have_count(len(all_codes) - 1)  # every agency but the province (no responses of its own)
    bars = page.get_by_test_id("agencies-chart").locator("g.bar")
    expect(bars).to_have_count(len(with_data))
    assert {bar.get_attribute("data-key") for bar in bars.all()} == with_data
    assert page.locator("#agencies-chart path.whisker").count() == len(with_data)
    for code in with_data:
        row = page.get_by_test_id("agencies-table").locator(f'tr[data-key="{code}"]')
        estimate, low, high = cells(row)[1:4]
        assert all(VI_PERCENT.match(value) for value in (estimate, low, high)), (code, estimate, low, high)
        verdict = row.locator("[data-verdict]").get_attribute("data-verdict")
        if "unreliable" in (row.get_attribute("class") or ""):  # too few answers to compare with the target
            assert verdict == "insufficient_data", code
            expect(row).to_contain_text("○ Chưa đủ dữ liệu")
        else:
            assert verdict in ("met", "not_met", "inconclusive"), code
        title = page.locator(f'#agencies-chart g.bar[data-key="{code}"] title').text_content() or ""
        assert title.startswith(f"{names[code]}: {estimate} [{low} – {high}]"), title
    # The province has no answers of its own: no row of zeros under the headline that pools its subtree, no bar,
    # a sentence saying so with a link to its page.
    expect(page.get_by_test_id("agencies-table").locator(f'tr[data-key="{PROVINCE_CODE}"]')).to_have_count(0)
    parent = page.locator(f'[data-testid="parent-without-own"][data-key="{PROVINCE_CODE}"]')
    expect(parent).to_contain_text(f"{names[PROVINCE_CODE]} không có phiếu của riêng cơ quan mình trong kỳ")
    expect(parent.get_by_role("link")).to_have_attribute("href", re.compile(rf"^/dashboard/agencies/{PROVINCE_CODE}\?"))

    photograph(page, f"dashboard-overview-{backend}")
    assert violations(page) == []


def test_drill_into_an_agency_find_its_weakest_question_and_download_the_table(
    context: BrowserContext, live_url: str, session: Session, backend: str, tmp_path: Path
) -> None:
    department = session.scalars(select(Agency).where(Agency.code == DEPARTMENT)).one()
    page = log_in(context, live_url, DEMO_USERNAME, DEMO_PASSWORD)
    page.get_by_test_id("agencies-table").get_by_role("link", name=department.name_vi, exact=True).click()
    expect(page).to_have_url(f"{live_url}/dashboard/agencies/{DEPARTMENT}")
    expect(page.get_by_test_id("agency-name")).to_contain_text(department.name_vi)
    expect(page.get_by_test_id("headline-value")).to_have_text(VI_PERCENT)
    for part in (
        "elements-table",
        "items-table",
        "counters-table",
        "trend-table",
        "elements-chart",
        "items-chart",
        "counters-chart",
        "trend-chart",
    ):
        expect(page.get_by_test_id(part)).to_be_visible()
    expect(page.get_by_test_id("elements-table").locator("tbody tr")).to_have_count(6)  # 5 elements + 1 component
    expect(page.get_by_test_id("counters-table").locator("tbody tr")).to_have_count(2)
    expect(page.get_by_test_id("trend-table").locator("tbody tr")).to_have_count(12)

    # The weakest question: named at the top, marked in the table and the chart, and truly the lowest reliable one.
    items = page.get_by_test_id("items-table").locator("tbody tr")
    weakest = page.get_by_test_id("items-table").locator("tr.weakest")
    expect(weakest).to_have_count(1)
    weakest_key = weakest.get_attribute("data-key")
    weakest_name = weakest.locator("th").inner_text().replace("▼ Thấp nhất", "").strip()
    weakest_value = cells(weakest)[0]
    expect(page.get_by_test_id("weakest")).to_contain_text(f"Câu hỏi thấp nhất: {weakest_name} ({weakest_value}).")
    expect(page.locator(f'#items-chart g.bar.weakest[data-key="{weakest_key}"]')).to_have_count(1)
    reliable = [row for row in items.all() if "unreliable" not in (row.get_attribute("class") or "")]
    lowest = min(float(row.locator("td[data-value]").first.get_attribute("data-value") or 1) for row in reliable)
    assert float(weakest.locator("td[data-value]").first.get_attribute("data-value") or 0) == lowest

    # The XLSX of the question table holds the page's numbers (the page rounds to two decimals).
    link = page.get_by_test_id("items-download-xlsx")
    assert f"agency={DEPARTMENT}" in (link.get_attribute("href") or "")
    with page.expect_download() as event:
        link.click()
    download = event.value
    assert download.suggested_filename.startswith("sipas-satisfaction-")
    assert download.suggested_filename.endswith(".xlsx")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    # The machine columns are the second sheet (the first is for people: tests/reports/test_exports_for_people.py).
    sheet = load_workbook(saved, read_only=True)["Dữ liệu đầy đủ"]
    table: list[list[Any]] = [list(row) for row in sheet.iter_rows(values_only=True)]
    header, *rest = table
    assert header == XLSX_HEADER
    rows = list(itertools.takewhile(any, rest))  # the table ends at a blank row; what the intervals miss follows
    assert [[cell for cell in row if cell is not None] for row in rest[len(rows) :]] == [
        *([], [COVERAGE["vi"]], [COVERAGE["en"]])
    ]
    from_file: dict[Any, dict[str, Any]] = {
        row[0]: dict(zip(header, row, strict=True)) for row in rows if row[2] == "item"
    }
    shown = {row.get_attribute("data-key"): cells(row) for row in items.all()}
    assert set(from_file) == set(shown) and len(shown) > 5
    for key, row in from_file.items():
        estimate, low, high, n = shown[key][:4]
        assert (vi_pct(row["estimate_pct"]), vi_pct(row["ci_low_pct"]), vi_pct(row["ci_high_pct"])) == (
            estimate,
            low,
            high,
        ), key
        assert format.number(row["n"], "vi") == n, key
    assert from_file[weakest_key]["unreliable"] is False  # a boolean cell, no longer the text 'false'

    photograph(page, f"dashboard-agency-{backend}")
    assert violations(page) == []


def test_a_shorter_period_changes_the_figures_and_the_address(
    context: BrowserContext, live_url: str, settings: Settings, session: Session
) -> None:
    page = log_in(context, live_url, DEMO_USERNAME, DEMO_PASSWORD)
    year_from, year_to = last_full_months(today(settings))
    headline = page.get_by_test_id("headline")
    expect(headline).to_contain_text(f"Kỳ số liệu: {year_from:%d/%m/%Y} – {year_to:%d/%m/%Y}")
    year_count = format.number(responses_between(session, year_from, year_to), "vi")
    expect(headline).to_contain_text(f"{year_count} phiếu hợp lệ")
    year_value = page.get_by_test_id("headline-value").inner_text()

    quarter_from, quarter_to = last_full_months(today(settings), 3)
    page.get_by_label("Từ ngày").fill(quarter_from.isoformat())
    page.get_by_label("Đến ngày").fill(quarter_to.isoformat())
    page.get_by_test_id("filters").get_by_role("button", name="Xem").click()
    expect(page).to_have_url(re.compile(rf"[?&]from={quarter_from.isoformat()}&to={quarter_to.isoformat()}"))
    expect(headline).to_contain_text(f"Kỳ số liệu: {quarter_from:%d/%m/%Y} – {quarter_to:%d/%m/%Y}")
    quarter_count = format.number(responses_between(session, quarter_from, quarter_to), "vi")
    assert quarter_count != year_count
    expect(headline).to_contain_text(f"{quarter_count} phiếu hợp lệ")
    expect(page.get_by_test_id("headline-value")).to_have_text(VI_PERCENT)
    assert page.get_by_test_id("headline-value").inner_text() != year_value
    with_data = agencies_with_responses(session, quarter_from, quarter_to)
    expect(page.get_by_test_id("agencies-chart").locator("g.bar")).to_have_count(len(with_data))
    # The downloads and the agency links keep the period.
    expect(page.get_by_test_id("agencies-download-xlsx")).to_have_attribute(
        "href", re.compile(rf"from={quarter_from.isoformat()}&to={quarter_to.isoformat()}&format=xlsx")
    )


def test_an_agency_official_sees_only_their_commune(context: BrowserContext, live_url: str, session: Session) -> None:
    communes = session.scalars(select(Agency).where(Agency.level == AgencyLevel.commune).order_by(Agency.code)).all()
    own, other = communes[0], communes[1]
    create_official(
        session,
        username="commune-official",
        password=COMMUNE_PASSWORD,
        role=Role.agency_official,
        agency=own,
        actor="test",
    )
    session.commit()

    page = log_in(context, live_url, "commune-official", COMMUNE_PASSWORD)
    expect(page.get_by_test_id("scope-name")).to_contain_text(own.name_vi)
    rows = page.get_by_test_id("agencies-table").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-key", own.code)
    page.get_by_test_id("scope-detail").click()
    expect(page.get_by_test_id("agency-name")).to_contain_text(own.name_vi)

    response = page.goto(f"{live_url}/dashboard/agencies/{other.code}")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Không tìm thấy")
    expect(page.locator("main")).to_contain_text("nằm ngoài phạm vi của Ông/Bà")
    assert other.name_vi not in page.content()
    response = page.goto(f"{live_url}/dashboard/agencies/{PROVINCE_CODE}")
    assert response is not None and response.status == 404


def test_logout_ends_the_session(context: BrowserContext, live_url: str) -> None:
    page = log_in(context, live_url, DEMO_USERNAME, DEMO_PASSWORD, path="/dashboard/counters")
    page.get_by_test_id("logout").click()
    expect(page).to_have_url(re.compile(r"/dashboard/login\?out=1"))
    expect(page.get_by_test_id("login-notice")).to_have_text("Đã đăng xuất.")
    # Only the language and the login form's new anti-forgery nonce (no session) are left.
    assert not [cookie for cookie in context.cookies() if cookie["name"] not in {"sipas_lang", "sipas_login_csrf"}]
    page.goto(f"{live_url}/dashboard")
    expect(page).to_have_url(re.compile(r"/dashboard/login\?next=%2Fdashboard$"))
