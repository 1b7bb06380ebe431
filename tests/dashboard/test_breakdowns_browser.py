"""The breakdowns page ("Phân tích") in Chromium, as the demo province official: reached from the navigation and from
an agency's page; the procedure-field table (every field of the demo and "Không rõ", the numbers of the report layer)
and bar chart (bars from 0, whiskers inside the chart); the hour × weekday heat maps, where a handful of answers
seeded on Saturday evenings and around Sunday midnight make cells that fail the reliability rule — hatched, ⚠, no
share — beside reliable office-hour cells that print their share; the page at 390 px without sideways scrolling and
at 1440 px, in Vietnamese and English, with axe-core finding no WCAG 2.1 AA violation; an agency outside the
official's scope is the 404 page. Screenshots: test-artifacts/breakdowns-390.png, breakdowns-1440.png,
breakdowns-agency-390.png, breakdowns-en-1440.png.

Layout does not depend on the database: SQLite only, on a copy of the run's demo (tests/support/demo.py) for the
module."""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Settings
from app.dashboard.views import last_full_months
from app.db import make_engine, make_session_factory
from app.demo import DEMO_FORM, DEMO_PASSWORD, DEMO_USERNAME, PROVINCE_CODE
from app.directory.models import Agency, Counter, ProcedureField, Role
from app.forms.loader import check_registered, load_forms
from app.main import create_app
from app.officials.service import create_official
from app.responses.ingest import Origin, Submission, prepare, store
from app.responses.models import Channel
from tests.conftest import demo_database_url, make_settings
from tests.support.browser import artifact, axe_violations

PHONE: ViewportSize = {"width": 390, "height": 844}
LAPTOP: ViewportSize = {"width": 1440, "height": 900}
DEPARTMENT = f"{PROVINCE_CODE}-STP"
COMMUNE_USER = "xa-official"
COMMUNE_PASSWORD = "commune official 2026"
PERCENT_VI = re.compile(r"^\d{1,3},\d%$")


def _seed_odd_hours(session: Session, settings: Settings) -> int:
    """A few answers outside office hours in the last full month (the demo answers only on weekdays 07:30–17:00):
    three on Saturday evenings at 20:xx, two either side of Sunday midnight — too few for a reliable share."""
    forms = check_registered(session, load_forms(settings.forms_dir))
    form = max((found for key, found in forms.items() if key[0] == DEMO_FORM), key=lambda f: f.definition.version)
    agency = session.scalar(select(Agency).where(Agency.code == DEPARTMENT))
    assert agency is not None
    counter = session.scalar(select(Counter).where(Counter.agency_id == agency.id))
    assert counter is not None
    first, last = last_full_months(datetime.now(settings.zone).date())
    saturday = first + timedelta(days=(5 - first.weekday()) % 7)
    sunday = saturday + timedelta(days=1)
    instants = [
        datetime.combine(saturday + timedelta(days=7 * k), datetime.min.time(), settings.zone) for k in range(3)
    ]
    instants = [at.replace(hour=20, minute=10 + k) for k, at in enumerate(instants)]
    midnight = datetime(sunday.year, sunday.month, sunday.day, 23, 59, 30, tzinfo=settings.zone)
    instants += [midnight, midnight + timedelta(minutes=1)]  # Sunday 23:59 and Monday 00:00 local
    assert all(first <= at.date() <= last for at in instants)
    prepared = []
    for number, local in enumerate(instants):
        submitted = local.astimezone(UTC)
        answers = {"overall": 2, "reason": ["waiting_time"], "access_general": 2 + number % 3, "result_general": 4}
        submission = Submission(uuid.uuid4(), DEMO_FORM, form.definition.version, submitted, answers)
        origin = Origin(channel=Channel.web_qr, agency_id=agency.id, counter_id=counter.id)
        prepared.append(prepare(settings, form, submission, origin, now=submitted + timedelta(minutes=1)))
    store(session, prepared, commit=False)
    return len(prepared)


@pytest.fixture(scope="module")
def backend() -> str:
    return "sqlite"


@pytest.fixture(scope="module")
def settings(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Settings]:
    directory = tmp_path_factory.mktemp("breakdowns-demo")
    with contextlib.contextmanager(demo_database_url)(backend, request, directory) as url:
        demo_settings = make_settings(url, directory)
        engine = make_engine(url)
        with make_session_factory(engine)() as session:
            _seed_odd_hours(session, demo_settings)
            commune = session.scalar(select(Agency).where(Agency.code == f"{PROVINCE_CODE}-X17"))
            create_official(
                session, username=COMMUNE_USER, password=COMMUNE_PASSWORD, role=Role.agency_official, agency=commune
            )
            session.commit()
        engine.dispose()
        yield demo_settings


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


@pytest.fixture(scope="module")
def field_names(settings: Settings) -> dict[str, str]:
    engine = make_engine(settings.database_url)
    with make_session_factory(engine)() as session:
        names = {field.code: field.name_vi for field in session.scalars(select(ProcedureField))}
    engine.dispose()
    return names


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport=LAPTOP, locale="vi-VN")
    context.set_default_timeout(30_000)  # the first load of a page computes its figures
    yield context
    context.close()


def log_in(context: BrowserContext, live_url: str, username: str, password: str) -> Page:
    page = context.new_page()
    page.goto(f"{live_url}/dashboard/login")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).to_have_url(f"{live_url}/dashboard")
    return page


def page_width(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


# Every chart text and bar of the breakdown charts: how far inside its chart it lies (negative: cut off).
CHART_BOXES = """() => {
  const out = [];
  for (const svg of document.querySelectorAll('svg.bd-chart')) {
    const box = svg.getBoundingClientRect();
    for (const el of svg.querySelectorAll('text, rect, line')) {
      if (el.closest('pattern')) continue;
      const r = el.getBoundingClientRect();
      out.push({chart: svg.id, tag: el.tagName, text: el.textContent, left: r.left - box.left,
                right: box.right - r.right, px: el.tagName === 'text' ? parseFloat(getComputedStyle(el).fontSize) : 0});
    }
  }
  return out;
}"""


def chart_problems(page: Page) -> list[str]:
    found = page.evaluate(CHART_BOXES)
    assert found, "no breakdown chart"
    problems = []
    for item in found:
        if item["left"] < -0.5 or item["right"] < -0.5:
            problems.append(f"{item['chart']} {item['tag']} {item['text']!r}: {item['left']:.1f}/{item['right']:.1f}")
        if item["tag"] == "text" and item["px"] < 11:
            problems.append(f"{item['chart']} {item['text']!r}: {item['px']} px")
    return problems


@pytest.mark.slow
def test_the_province_official_reads_the_breakdowns(
    context: BrowserContext, live_url: str, field_names: dict[str, str]
) -> None:
    page = log_in(context, live_url, DEMO_USERNAME, DEMO_PASSWORD)
    page.get_by_test_id("nav-breakdowns").click()
    expect(page).to_have_url(f"{live_url}/dashboard/breakdowns")
    expect(page.get_by_test_id("breakdowns-title")).to_have_text(re.compile(r"^Phân tích: Tỉnh Minh An"))
    expect(page.get_by_test_id("nav-breakdowns")).to_have_attribute("aria-current", "page")

    # The field table: every procedure field of the demo, then "Không rõ" (the 30% who did not say), whole numbers
    fields = page.get_by_test_id("fields-table")
    keys = fields.locator("tbody tr").evaluate_all("rows => rows.map(r => r.dataset.key)")
    assert keys[-1] == "-" and set(keys[:-1]) == set(field_names)
    labels = fields.locator("tbody th").all_inner_texts()
    assert labels[-1] == "Không rõ (không trả lời)" and set(labels[:-1]) == set(field_names.values())
    for row in fields.locator("tbody tr").all():
        cells = [text.strip() for text in row.locator("td").all_inner_texts()]
        assert re.fullmatch(r"\d{1,3},\d{2}%", cells[0]) and int(cells[3].replace(".", "")) > 100, cells
    # bars from 0 (where the axis' "0%" stands) with their whiskers, every mark inside its chart
    bars = page.locator("#fields-chart rect[data-key]")
    assert bars.count() == len(keys)
    zero = page.locator("#fields-chart text", has_text=re.compile(r"^0%$")).get_attribute("x")
    assert {bars.nth(i).get_attribute("x") for i in range(bars.count())} == {zero}
    assert chart_problems(page) == []

    # Heat maps: the answers map counts every response; office hours only, plus the seeded evening and midnight
    answers = page.get_by_test_id("answers-map")
    hours = answers.locator("tbody tr").evaluate_all("rows => rows.map(r => Number(r.dataset.hour))")
    assert hours[0] == 0 and hours[-1] == 23  # Monday 00:00 and Sunday 23:59 stretch the rows to the whole day
    saturday_evening = answers.locator("tbody tr[data-hour='20'] td[data-day='6']")
    expect(saturday_evening).to_have_text("3")
    share = page.get_by_test_id("dissatisfied-map")
    hatched = share.locator("td.hatched")
    assert hatched.count() >= 3  # Saturday 20:00, Sunday 23:00, Monday 00:00 at least
    for cell in hatched.all():
        assert cell.inner_text().startswith("⚠") and "%" not in cell.inner_text()
        assert "chưa đủ dữ liệu" in (cell.text_content() or "")
    expect(share.locator("tbody tr[data-hour='20'] td[data-day='6']")).to_have_class(re.compile("hatched"))
    printed = [text.strip() for text in share.locator("td[class*='heat-']").all_inner_texts()]
    assert printed and all(PERCENT_VI.fullmatch(text) for text in printed), printed[:5]
    expect(page.get_by_test_id("dissatisfied-map-legend")).to_contain_text("≥ 40%")
    expect(page.get_by_test_id("dissatisfied-map-legend")).to_contain_text("chưa đủ dữ liệu")
    # the full table behind the map: intervals of reliable cells, none for unreliable ones
    page.locator(".heat-details summary").click()
    row = page.get_by_test_id("share-table").locator("tbody tr.unreliable").first
    expect(row.locator("td").first).to_have_text("–")

    # profile: the demo's kiosks store sex for 40% of answers; the other characteristics are named as not asked
    expect(page.get_by_test_id("profile-sex-table").locator("tbody th")).to_have_text(
        ["Nam", "Nữ", "Không rõ (không trả lời)"]
    )
    expect(page.get_by_test_id("unstated-profiles")).to_contain_text("Độ tuổi")
    expect(page.get_by_test_id("coverage")).to_contain_text("Khoảng tin cậy chỉ tính sai số chọn mẫu")

    assert page_width(page) <= 1440
    assert axe_violations(page) == []
    page.screenshot(path=str(artifact("breakdowns-1440.png")), full_page=True)

    page.set_viewport_size(PHONE)
    page.reload()
    assert page_width(page) <= 390
    assert chart_problems(page) == []
    region = page.locator(".heat-wrap").first
    assert region.get_attribute("role") == "region" and region.get_attribute("tabindex") == "0"
    assert axe_violations(page) == []
    page.screenshot(path=str(artifact("breakdowns-390.png")), full_page=True)

    # what cannot be shown is said: filters that do not go together, a date that is not one, a period without
    # answers, an agency that does not exist
    page.goto(f"{live_url}/dashboard/breakdowns?from=2026-05-01&to=2026-01-01")
    expect(page.get_by_test_id("error")).to_contain_text("from")
    page.goto(f"{live_url}/dashboard/breakdowns?from=yesterday")
    expect(page.get_by_test_id("filter-errors")).to_contain_text("yesterday")
    expect(page.get_by_test_id("fields-table")).to_be_visible()  # the default period is used instead
    page.goto(f"{live_url}/dashboard/breakdowns?from=2000-01-01&to=2000-01-31")
    expect(page.get_by_test_id("breakdowns-meta")).to_contain_text("0 phiếu hợp lệ")
    expect(page.locator("#fields")).to_contain_text("Chưa có phiếu trong kỳ này.")
    expect(page.locator("#clock")).to_contain_text("Chưa có phiếu trong kỳ này.")
    assert page.locator("table.heat").count() == 0
    response = page.goto(f"{live_url}/dashboard/agencies/NO-SUCH/breakdowns")
    assert response is not None and response.status == 404


@pytest.mark.slow
def test_an_agencys_breakdowns_in_english_and_on_a_phone(
    browser: Browser, context: BrowserContext, live_url: str
) -> None:
    page = log_in(context, live_url, DEMO_USERNAME, DEMO_PASSWORD)
    page.goto(f"{live_url}/dashboard/agencies/{DEPARTMENT}")
    page.get_by_test_id("breakdowns-link").click()
    expect(page).to_have_url(f"{live_url}/dashboard/agencies/{DEPARTMENT}/breakdowns")
    expect(page.get_by_test_id("breakdowns-title")).to_contain_text("Phân tích: Sở Tư pháp")
    # a department with a few hundred answers a year: some figures are too uncertain and say so, in the tables,
    # the charts (hatched) and the heat map (no share)
    assert page.locator("tr.unreliable").count() > 0
    assert (
        page.locator("svg.bd-chart rect[data-unreliable='true']").count()
        == page.locator("table[data-testid$='-table']:not(#share-table) tbody tr.unreliable").count()
    )
    assert page.get_by_test_id("dissatisfied-map").locator("td.hatched").count() > 0
    page.set_viewport_size(PHONE)
    page.reload()
    assert page_width(page) <= 390
    assert chart_problems(page) == []
    assert axe_violations(page) == []
    page.screenshot(path=str(artifact("breakdowns-agency-390.png")), full_page=True)

    page.set_viewport_size(LAPTOP)
    page.goto(f"{live_url}/dashboard/breakdowns?lang=en")
    expect(page.get_by_test_id("breakdowns-title")).to_have_text(re.compile(r"^Breakdowns: Minh An Province"))
    expect(page.get_by_role("heading", name="By procedure field")).to_be_visible()
    expect(page.get_by_test_id("answers-map").locator("thead th").nth(7)).to_contain_text("Sun")
    expect(page.get_by_test_id("profile-sex-table").locator("tbody th").last).to_have_text("Not stated")
    printed = page.get_by_test_id("dissatisfied-map").locator("td[class*='heat-']").first.inner_text()
    assert re.fullmatch(r"\d{1,3}\.\d%", printed.strip()), printed
    assert axe_violations(page) == []
    page.screenshot(path=str(artifact("breakdowns-en-1440.png")), full_page=True)

    # a commune official: their own commune only; a sibling's page is the same 404 as an unknown agency
    commune = browser.new_context(viewport=PHONE, locale="vi-VN")
    commune.set_default_timeout(30_000)
    page = log_in(commune, live_url, COMMUNE_USER, COMMUNE_PASSWORD)
    page.get_by_test_id("nav-breakdowns").click()
    expect(page.get_by_test_id("breakdowns-title")).to_have_text(re.compile(r"^Phân tích: "))
    sibling = page.goto(f"{live_url}/dashboard/agencies/{DEPARTMENT}/breakdowns")
    assert sibling is not None and sibling.status == 404
    unknown = page.goto(f"{live_url}/dashboard/agencies/NO-SUCH/breakdowns")
    assert unknown is not None and unknown.status == 404
    assert page.content().count(DEPARTMENT) == 0
    commune.close()
