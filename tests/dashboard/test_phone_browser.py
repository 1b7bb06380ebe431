"""The dashboard on a 390 px phone and a 1440 px laptop, in Chromium, on the demo province (issue 17): no page scrolls
sideways (``document.documentElement.scrollWidth <= 390``), every chart text shown is at least 11 px on screen and
inside its chart (labels wrap, nothing is cut), the phone gets the narrow chart layout and the laptop the wide one,
the element chart draws no target the table does not have, the footer's method page and the 404 page (with its
navigation) work in both languages, and axe-core finds no WCAG 2.1 AA violation. Screenshots: test-artifacts/
overview-390.png, overview-1440.png, agency-390.png, agency-1440.png, method-390.png, method-1440.png,
not-found-390.png.

Layout does not depend on the database: SQLite only, on a copy of the run's demo (tests/support/demo.py) for the
module."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect

from app.config import Settings
from app.demo import DEMO_PASSWORD, DEMO_USERNAME, PROVINCE_CODE
from app.main import create_app
from tests.conftest import demo_database_url, make_settings
from tests.support.browser import artifact, axe_violations

PHONE: ViewportSize = {"width": 390, "height": 844}
LAPTOP: ViewportSize = {"width": 1440, "height": 900}
TABLET_EDGE: ViewportSize = {"width": 768, "height": 1024}  # the narrowest screen given the wide charts
DEPARTMENT = f"{PROVINCE_CODE}-STP"  # Sở Tư pháp: elements, questions, two counters, twelve months

# Every visible chart text: its font size on screen (the computed size times the viewBox's scale) and how far it
# lies inside its chart's box on each side (negative: cut off).
CHART_TEXTS = """() => {
  const out = [];
  for (const svg of document.querySelectorAll('svg.chart')) {
    const box = svg.getBoundingClientRect();
    if (getComputedStyle(svg).display === 'none' || box.width === 0) continue;
    const viewBox = svg.viewBox && svg.viewBox.baseVal;
    const scale = viewBox && viewBox.width ? box.width / viewBox.width : 1;
    for (const text of svg.querySelectorAll('text')) {
      const r = text.getBoundingClientRect();
      out.push({
        chart: svg.id, text: text.textContent, cls: text.getAttribute('class') || '',
        px: parseFloat(getComputedStyle(text).fontSize) * scale, height: r.height,
        left: r.left - box.left, right: box.right - r.right,
      });
    }
  }
  return out;
}"""
VISIBLE_CHARTS = """() => [...document.querySelectorAll('svg.chart')]
  .filter(svg => getComputedStyle(svg).display !== 'none').map(svg => svg.id)"""


# --- one demo database, on SQLite, for the module -----------------------------------------------------------------


@pytest.fixture(scope="module")
def backend() -> str:
    return "sqlite"


@pytest.fixture(scope="module")
def settings(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Settings]:
    directory = tmp_path_factory.mktemp("phone-demo")
    with contextlib.contextmanager(demo_database_url)(backend, request, directory) as url:
        yield make_settings(url, directory)


@pytest.fixture(scope="module")
def app(settings: Settings) -> Iterator[FastAPI]:
    application = create_app(settings)
    yield application
    application.state.engine.dispose()


@pytest.fixture(scope="module")
def live_url(app: FastAPI) -> Iterator[str]:
    from tests.support.live import serve

    with serve(app) as url:
        yield url


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport=PHONE, locale="vi-VN", is_mobile=True, has_touch=True)
    context.set_default_timeout(30_000)  # the first load of a page computes its figures
    yield context
    context.close()


def log_in(context: BrowserContext, live_url: str) -> Page:
    page = context.new_page()
    page.goto(f"{live_url}/dashboard/login")
    page.get_by_label("Tên đăng nhập").fill(DEMO_USERNAME)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).to_have_url(f"{live_url}/dashboard")
    return page


# --- checks -------------------------------------------------------------------------------------------------------


def page_width(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def chart_text_problems(page: Page) -> list[str]:
    """Chart texts under 11 px on screen or sticking out of their chart (more than half a pixel)."""
    texts: list[dict[str, Any]] = page.evaluate(CHART_TEXTS)
    assert texts, "no chart text is shown"
    problems = []
    for text in texts:
        where = f"{text['chart']} {text['text']!r}"
        if text["px"] < 11 or text["height"] < 11:
            problems.append(f"{where}: {text['px']:.1f} px (box {text['height']:.1f} px high)")
        if text["left"] < -0.5 or text["right"] < -0.5:
            problems.append(f"{where}: cut ({text['left']:.1f} px left, {text['right']:.1f} px right)")
    return problems


def check_fits(page: Page, width: int) -> None:
    assert page_width(page) <= width, page.url
    assert chart_text_problems(page) == [], page.url


# --- the tests ----------------------------------------------------------------------------------------------------

PAGES_FOR_AXE = (
    "/dashboard",
    f"/dashboard/agencies/{DEPARTMENT}",
    "/dashboard/method",
    "/dashboard/method?lang=en",
    "/dashboard/agencies/NO-SUCH?lang=vi",
)


@pytest.mark.slow
def test_on_a_phone_every_page_fits_and_its_charts_reflow(context: BrowserContext, live_url: str) -> None:
    # Without a login: the method page (linked from every footer) in both languages, and the login page.
    page = context.new_page()
    page.goto(f"{live_url}/dashboard/method")
    expect(page.get_by_role("heading", level=1)).to_have_text("Cách tính các con số")
    assert page_width(page) <= 390
    page.screenshot(path=str(artifact("method-390.png")), full_page=True)
    page.goto(f"{live_url}/dashboard/method?lang=en")
    expect(page.get_by_role("heading", level=1)).to_have_text("How the figures are computed")
    expect(page.get_by_test_id("method-coverage")).to_contain_text("not who chooses to answer")
    assert page_width(page) <= 390
    page.goto(f"{live_url}/dashboard/login?lang=vi")
    assert page_width(page) <= 390
    page.close()

    page = log_in(context, live_url)
    for path, shot in (
        ("/dashboard?lang=en", ""),
        (f"/dashboard/agencies/{DEPARTMENT}?lang=en", ""),
        ("/dashboard?lang=vi", "overview"),
        (f"/dashboard/agencies/{DEPARTMENT}", "agency"),
    ):
        page.goto(f"{live_url}{path}")
        check_fits(page, 390)
        visible = page.evaluate(VISIBLE_CHARTS)
        assert visible and all(chart.endswith("-narrow") for chart in visible), visible
        if shot:
            page.screenshot(path=str(artifact(f"{shot}-390.png")), full_page=True)
    # The trend reflows too: its twelve months, a few of them named, the newest last ("2026-11" → "11/26").
    months = [m for m in page.locator("#trend-chart-narrow g.axis text").all_text_contents() if "/" in m]
    newest = page.locator("#trend-table tbody tr").last.get_attribute("data-period") or ""
    assert 3 <= len(months) <= 5 and months[-1] == f"{newest[5:]}/{newest[2:4]}"
    # The province's page: 70 counters labelled "agency – counter", every label whole on a phone.
    page.goto(f"{live_url}/dashboard/agencies/{PROVINCE_CODE}")
    check_fits(page, 390)
    labels = page.locator("#counters-chart-narrow text.label")
    assert labels.count() == page.get_by_test_id("counters-table").locator("tbody tr").count() > 60
    # Tables scroll inside their own captioned region, never the page.
    region = page.locator(".table-wrap").first
    assert region.get_attribute("role") == "region" and region.get_attribute("aria-labelledby")
    assert region.evaluate("el => el.scrollWidth > el.clientWidth")

    # The footer's link, with the navigation kept; the 404 page keeps it too.
    page.goto(f"{live_url}/dashboard")
    page.get_by_test_id("method-link").click()
    expect(page).to_have_url(f"{live_url}/dashboard/method?lang=vi")
    expect(page.get_by_role("navigation", name="Điều hướng chính")).to_be_visible()
    response = page.goto(f"{live_url}/dashboard/agencies/NO-SUCH")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Không tìm thấy")
    expect(page.get_by_role("navigation", name="Điều hướng chính")).to_be_visible()
    expect(page.get_by_test_id("method-link")).to_have_attribute("href", "/dashboard/method?lang=vi")
    assert page_width(page) <= 390
    page.screenshot(path=str(artifact("not-found-390.png")), full_page=True)

    for path in PAGES_FOR_AXE:
        page.goto(f"{live_url}{path}")
        assert axe_violations(page) == [], path


@pytest.mark.slow
def test_on_a_laptop_the_wide_charts_are_readable_and_draw_only_the_tables_targets(
    context: BrowserContext, live_url: str
) -> None:
    page = log_in(context, live_url)
    for viewport in (LAPTOP, TABLET_EDGE):
        page.set_viewport_size(viewport)
        for path, shot in (
            ("/dashboard?lang=en", ""),  # English labels are wider ("Nov 26")
            (f"/dashboard/agencies/{DEPARTMENT}?lang=en", ""),
            ("/dashboard?lang=vi", "overview"),
            (f"/dashboard/agencies/{DEPARTMENT}", "agency"),
        ):
            page.goto(f"{live_url}{path}")
            check_fits(page, viewport["width"])
            visible = page.evaluate(VISIBLE_CHARTS)
            assert visible and not any(chart.endswith("-narrow") for chart in visible), visible
            if viewport is LAPTOP and shot:
                page.screenshot(path=str(artifact(f"{shot}-1440.png")), full_page=True)
    page.set_viewport_size(LAPTOP)
    page.goto(f"{live_url}/dashboard/method")
    page.screenshot(path=str(artifact("method-1440.png")), full_page=True)

    # The demo's only targets are the province's SIPAS 86%: the agencies and counters are judged against it (one
    # dashed line), the elements and questions are not (no line, "Không có mục tiêu", a note saying whose it is).
    page.goto(f"{live_url}/dashboard")
    expect(page.locator("#agencies-chart g.target line")).to_have_count(1)
    expect(page.get_by_test_id("chart-target")).to_have_text("Mục tiêu 86,00%")
    page.goto(f"{live_url}/dashboard/agencies/{DEPARTMENT}")
    for part in ("elements", "items"):
        verdicts = page.get_by_test_id(f"{part}-table").locator("[data-verdict]")
        assert set(verdicts.evaluate_all("els => els.map(el => el.dataset.verdict)")) == {"none"}
        expect(page.locator(f"#{part}-chart g.target")).to_have_count(0)
        expect(page.locator(f"#{part}-chart-narrow g.target")).to_have_count(0)
        expect(page.get_by_test_id(f"{part}-target-note")).to_contain_text("Mục tiêu 86,00% là của chỉ số SIPAS chung")
    expect(page.locator("#counters-chart g.target line")).to_have_count(1)
    # The weakest question's label is whole, in bold, in both layouts (wrapped onto lines, one tspan each).
    weakest = page.get_by_test_id("items-table").locator("tr.weakest th").inner_text().split("▼")[0].split()
    for chart in ("items-chart", "items-chart-narrow"):
        lines = page.locator(f"#{chart} g.weakest text.label tspan").all_text_contents()
        assert " ".join(lines).split() == weakest, (chart, lines)
        assert page.locator(f"#{chart} g.weakest text.label").get_attribute("font-weight") == "700"

    for path in PAGES_FOR_AXE:
        page.goto(f"{live_url}{path}")
        assert axe_violations(page) == [], path
