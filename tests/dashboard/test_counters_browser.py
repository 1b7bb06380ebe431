"""The counters and kiosks pages in a real Chromium, as a province administrator does the job: find a counter by
typing its name without accents, sort by the last answer and see the counter that has been quiet for 30 days
highlighted, create a counter, revoke its links and read its new typable code, download the province's posters as one
PDF and find every counter's name in it; on the kiosks page see the stale kiosk in red and in words, issue a key that
is shown once. Each page: axe-core (WCAG 2.1 AA) finds nothing, and at 390 px the page does not scroll sideways.

Nothing here depends on the database (the SQL is tested on both in test_counters_pages.py): SQLite only."""

from __future__ import annotations

import re
import subprocess
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import utcnow
from app.directory.models import Agency, AgencyLevel, Counter, Device, Role
from app.directory.service import create_agency, create_counter, create_device
from app.officials.service import create_official
from app.responses.ingest import Origin, Submission, prepare, store
from app.responses.models import Channel
from tests.factories import PASSWORD, database_free, registry
from tests.support.browser import artifact, axe_violations

pytestmark = database_free

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
COMMUNES = (
    ("HD-X01", "Xã Đồng Kỵ", ("Quầy Hộ tịch", "Quầy Đất đai")),
    ("HD-P02", "Phường Nguyễn Trãi", ("Bộ phận một cửa", "Quầy Tư pháp – Hộ tịch")),
    ("HD-X03", "Xã Thượng Đạt", ("Quầy số 1",)),
    ("HD-X04", "Xã Ngũ Hùng", ("Quầy Lao động – Thương binh", "Quầy Văn hóa")),
)


def _answer(
    settings: Settings, session: Session, counter: Counter, days_ago: int, device: Device | None = None
) -> None:
    form = registry(session, settings)[("counter-quick", 1)]
    day = datetime.now(settings.zone).date() - timedelta(days=days_ago)
    when = min(datetime.combine(day, time(9, 40), tzinfo=settings.zone).astimezone(UTC), utcnow())  # not yet 9:40?
    origin = Origin(
        Channel.kiosk if device else Channel.web_qr,
        counter.agency_id,
        counter_id=counter.id,
        device_id=device.id if device else None,
    )
    store(
        session,
        [
            prepare(
                settings, form, Submission(uuid.uuid4(), "counter-quick", 1, when, {"overall": 4}), origin, now=utcnow()
            )
        ],
    )
    session.commit()


@pytest.fixture
def province(session: Session, settings: Settings) -> Agency:
    """Tỉnh Hải Dương Thử: four communes, seven counters answered at different times, a quiet one, two kiosks."""
    top = create_agency(session, code="HD", name_vi="Tỉnh Hải Dương Thử", level=AgencyLevel.province)
    counters: list[Counter] = []
    for code, name, counter_names in COMMUNES:
        commune = create_agency(session, code=code, name_vi=name, level=AgencyLevel.commune, parent=top)
        for n, counter_name in enumerate(counter_names, start=1):
            counters.append(create_counter(session, agency=commune, code=f"Q{n:02d}", name_vi=counter_name))
    session.flush()
    session.execute(update(Counter).values(created_at=utcnow() - timedelta(days=200)))
    session.commit()
    for index, counter in enumerate(counters):
        if counter.name_vi == "Quầy Đất đai":
            _answer(settings, session, counter, 30)  # then nothing for 30 days: its QR code may be gone
            continue
        if counter.name_vi == "Quầy Văn hóa":
            continue  # never answered in 200 days
        for days in range(1 + index % 3, 12, 2 + index % 4):
            _answer(settings, session, counter, days)
    fresh, _ = create_device(session, agency=counters[0].agency, counter=counters[0], label="Kiosk Đồng Kỵ 1")
    stale, _ = create_device(session, agency=counters[2].agency, counter=counters[2], label="Kiosk Nguyễn Trãi")
    fresh.last_seen_at, fresh.queue_length, fresh.held_back, fresh.app_version = utcnow(), 0, 0, "1.4.2"
    stale.last_seen_at, stale.queue_length, stale.held_back, stale.app_version = (
        utcnow() - timedelta(hours=5),
        12,
        2,
        "1.4.1",
    )
    create_official(session, username="admin.hd", password=PASSWORD, role=Role.province_admin, agency=top)
    session.commit()
    _answer(settings, session, counters[0], 0, device=fresh)
    return top


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport=DESKTOP, locale="vi-VN", accept_downloads=True)
    context.set_default_timeout(30_000)
    yield context
    context.close()


def _log_in(context: BrowserContext, live_url: str, path: str) -> Page:
    page = context.new_page()
    page.goto(f"{live_url}{path}")
    page.get_by_label("Tên đăng nhập").fill("admin.hd")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).to_have_url(f"{live_url}{path}")
    return page


WIDEST = """[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 392)
  .slice(0, 8).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""


def _checked(page: Page, name: str) -> None:
    """axe finds nothing; at 390 px nothing scrolls sideways; photographed at 390 and 1440 px."""
    assert axe_violations(page) == [], page.url
    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(WIDEST)
    assert width <= PHONE["width"], (page.url, width, wide)
    assert axe_violations(page) == [], page.url
    page.screenshot(path=str(artifact(f"{name}-390.png")), full_page=True)
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=str(artifact(f"{name}-1440.png")), full_page=True)


def _rows(page: Page) -> list[str]:
    return [str(row.get_attribute("data-key")) for row in page.locator("#counters-list tbody tr").all()]


@pytest.mark.slow
def test_a_province_administrator_manages_counters_and_their_posters(
    context: BrowserContext, live_url: str, session: Session, province: Agency, tmp_path: Path
) -> None:
    page = _log_in(context, live_url, "/dashboard/counters")
    expect(page.locator("#counters-list tbody tr")).to_have_count(7)
    quiet = page.locator('tr[data-key="HD-X01/Q02"]')
    expect(quiet).to_have_class(re.compile(r"\bquiet\b"))
    expect(quiet.get_by_test_id("quiet-tag")).to_have_text("⚠ Không có phiếu trong 30 ngày")
    assert quiet.locator("th").evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(253, 241, 239)"
    expect(page.locator('tr[data-key="HD-X04/Q02"]').get_by_test_id("quiet-tag")).to_have_text(
        "⚠ Không có phiếu trong 200 ngày"
    )
    expect(page.get_by_test_id("quiet-summary")).to_contain_text("2 quầy đang dùng không có phiếu trong 14 ngày")
    _checked(page, "counters")

    # Typed without accents, a name is found all the same.
    # Each search, and the clearing, waits for its own page: the rows are read at once, and the old page has the
    # same search box and sort links (which keep its search), so acting on it would search or sort the wrong list.
    page.get_by_label("Tìm quầy").fill("dong ky dat dai")
    page.get_by_role("button", name="Xem", exact=True).click()
    expect(page).to_have_url(re.compile(r"[?&]q=dong\+ky\+dat\+dai(&|$)"))
    assert _rows(page) == ["HD-X01/Q02"]
    page.get_by_label("Tìm quầy").fill("tu phap")
    page.get_by_role("button", name="Xem", exact=True).click()
    expect(page).to_have_url(re.compile(r"[?&]q=tu\+phap(&|$)"))
    assert _rows(page) == ["HD-P02/Q02"]
    page.get_by_role("link", name="Xóa bộ lọc").click()
    expect(page).to_have_url(f"{live_url}/dashboard/counters")

    # Sorted by the last answer: the longest quiet first, the counter quiet for 30 days right after the one never
    # answered; clicked again, the newest first.
    page.get_by_role("link", name="Phiếu gần nhất").click()
    expect(page).to_have_url(re.compile(r"sort=last"))
    assert _rows(page)[:2] == ["HD-X04/Q02", "HD-X01/Q02"]
    expect(page.locator('th[aria-sort="ascending"]')).to_contain_text("Phiếu gần nhất")
    page.get_by_role("link", name=re.compile("Phiếu gần nhất")).click()
    expect(page).to_have_url(re.compile(r"sort=last&order=desc"))  # the old page is sorted by it too, ascending
    assert _rows(page)[0] == "HD-X01/Q01" and _rows(page)[-2:] == ["HD-X01/Q02", "HD-X04/Q02"]

    # A new counter, then its links revoked: the page shows the new typable code.
    page.get_by_test_id("new-counter").click()
    # The list has a "Cơ quan" select too (the posters'): choose the agency on the new counter's form, not on it.
    expect(page).to_have_url(f"{live_url}/dashboard/counters/new")
    page.get_by_label("Cơ quan").select_option("HD-X03")
    page.get_by_label("Mã quầy").fill("Q02")
    page.get_by_label("Tên quầy (tiếng Việt)").fill("Quầy Một cửa điện tử")
    page.get_by_label("Tên quầy (tiếng Anh, không bắt buộc)").fill("E-service counter")
    page.get_by_test_id("counter-create").click()
    expect(page).to_have_url(f"{live_url}/dashboard/counters/HD-X03/Q02?done=created")
    first_code = page.get_by_test_id("counter-short-code").inner_text()
    expect(page.get_by_test_id("done")).to_contain_text(f"Mã nhập của quầy: {first_code}")
    _checked(page, "counters-created")
    page.get_by_label("Tôi hiểu các áp phích đã in của quầy sẽ không dùng được nữa.").check()
    page.get_by_test_id("revoke-button").click()
    expect(page).to_have_url(re.compile(r"done=revoked"))
    new_code = page.get_by_test_id("counter-short-code").inner_text()
    assert re.fullmatch(r"[0-9A-Z]{6}", new_code) and new_code != first_code
    expect(page.get_by_test_id("done")).to_contain_text(f"Mã nhập mới: {new_code}")
    session.expire_all()
    stored = session.scalar(select(Counter).where(Counter.code == "Q02", Counter.name_vi == "Quầy Một cửa điện tử"))
    assert stored is not None and stored.short_code == new_code

    # The whole province's posters in one PDF, every counter named with its accents.
    page.goto(f"{live_url}/dashboard/counters")
    page.get_by_label("Cơ quan", exact=True).select_option("HD")
    page.get_by_label("A5").check()
    with page.expect_download() as download:
        page.get_by_test_id("posters-download").click()
    assert download.value.suggested_filename == "posters-HD-a5.pdf"
    pdf = artifact("counters-posters-HD-a5.pdf")
    download.value.save_as(pdf)
    text = " ".join(
        subprocess.run(["/usr/bin/pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout.split()
    )
    names = [name for _code, _name, counter_names in COMMUNES for name in counter_names] + ["Quầy Một cửa điện tử"]
    assert [name for name in names if name not in text] == []
    assert "Xã Thượng Đạt" in text and "Phường Nguyễn Trãi" in text

    # English: the same page, the same checks.
    page.goto(f"{live_url}/dashboard/counters?lang=en&sort=last")
    expect(page.locator('tr[data-key="HD-X01/Q02"]').get_by_test_id("quiet-tag")).to_have_text(
        "⚠ No answer for 30 days"
    )
    _checked(page, "counters-en")
    page.goto(f"{live_url}/dashboard/counters/new?lang=vi")
    page.get_by_label("Mã quầy").fill("Q 1/2")
    page.get_by_label("Tên quầy (tiếng Việt)").fill("Quầy thử")
    page.get_by_test_id("counter-create").click()
    expect(page.get_by_test_id("form-errors")).to_contain_text("Mã quầy: bắt buộc")
    _checked(page, "counters-new-error")


@pytest.mark.slow
def test_the_kiosks_page_shows_a_stale_kiosk_and_a_key_shown_once(
    context: BrowserContext, live_url: str, session: Session, province: Agency
) -> None:
    page = _log_in(context, live_url, "/dashboard/devices")
    stale = page.locator("#devices-list tbody tr", has_text="Kiosk Nguyễn Trãi")
    expect(stale).to_have_class(re.compile(r"\bstale\b"))
    tag = stale.get_by_test_id("stale-tag")
    expect(tag).to_have_text("⚠ Mất liên lạc (quá 1 giờ)")  # in words, not colour alone
    assert tag.evaluate("e => getComputedStyle(e).color") == "rgb(140, 29, 23)"
    fresh = page.locator("#devices-list tbody tr", has_text="Kiosk Đồng Kỵ 1")
    expect(fresh.get_by_test_id("stale-tag")).to_have_count(0)
    expect(page.get_by_test_id("stale-summary")).to_contain_text("1 máy mất liên lạc")
    _checked(page, "kiosks")

    page.get_by_test_id("new-device").click()
    expect(page).to_have_url(f"{live_url}/dashboard/devices/new")  # else axe and the photos may take the list again
    _checked(page, "kiosks-new")
    page.get_by_label("Đặt tại").select_option("HD-X04/Q01")
    page.get_by_label("Tên máy (không bắt buộc)").fill("Kiosk Ngũ Hùng")
    page.get_by_test_id("device-create").click()
    key = page.get_by_test_id("device-key").input_value()
    assert len(key) >= 40
    expect(page.get_by_test_id("key-warning")).to_contain_text("Khóa chỉ hiện MỘT lần")
    _checked(page, "kiosks-key")
    page.get_by_test_id("back-to-devices").click()
    expect(page.locator("#devices-list tbody tr", has_text="Kiosk Ngũ Hùng")).to_have_count(1)
    assert key not in page.content() and key[:12] in page.content()  # the prefix only, never the key again

    row = page.locator("#devices-list tbody tr", has_text="Kiosk Ngũ Hùng")
    row.get_by_test_id("revoke-device").click()
    expect(page.get_by_test_id("done")).to_contain_text("Đã thu hồi khóa của máy “Kiosk Ngũ Hùng”")
    expect(page.locator("#devices-list tbody tr", has_text="Kiosk Ngũ Hùng")).to_contain_text("Đã thu hồi")

    page.goto(f"{live_url}/dashboard/devices?lang=en")
    expect(
        page.locator("#devices-list tbody tr", has_text="Kiosk Nguyễn Trãi").get_by_test_id("stale-tag")
    ).to_have_text("⚠ Stale (over 1 h)")
    _checked(page, "kiosks-en")
