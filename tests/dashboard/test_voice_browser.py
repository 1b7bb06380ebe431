"""The citizens' voice page in a real Chromium, as a province administrator uses it: the reasons tally with its
intervals (and "chưa đủ dữ liệu" where the base is too small), a comment with a phone number and a name shown masked,
found by a search without diacritics, hidden as abusive and gone from the feed and the CSV; a phone (390 px: no
sideways scroll) and a wide screen (1440 px) photographed; axe-core (WCAG 2.1 A and AA) clean in Vietnamese and
English. SQLite only: nothing here depends on the database (the API tests run both)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy.orm import Session

from app.config import Settings
from app.dashboard.views import last_full_months
from app.directory.models import Role
from app.officials.service import create_official
from app.responses.ingest import Origin, Submission, prepare, store
from app.responses.models import Channel
from tests.factories import PASSWORD, World, make_tree, registry
from tests.support.browser import artifact, axe_violations

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])

OPTIONS = ["waiting_time", "unclear_guidance", "extra_documents", "late_result", "attitude", "facilities", "other"]
PHONE_COMMENT = "Gọi tôi 0912 345 678, tôi là Nguyễn Văn An. Nhân viên nói năng xúc phạm người dân."
PHONE_MASKED = "Gọi tôi [số điện thoại], tôi là [tên]. Nhân viên nói năng xúc phạm người dân."
SLOW_COMMENT = "Hồ sơ đất đai giải quyết chậm, hẹn ba lần vẫn chưa xong."
VI_PERCENT = re.compile(r"^\d{1,3},\d{2}%$")


def seed(session: Session, settings: Settings) -> World:
    """Tỉnh Thử Nghiệm: about 230 answers in the last two full months, a third of them dissatisfied with one to three
    reasons each; sixty short comments, the one with a phone number and a name, and the one about a slow dossier."""
    world = make_tree(session)
    form = registry(session, settings)[("counter-quick", 1)]
    _start, end = last_full_months(datetime.now(settings.zone).date())
    months = [end.replace(day=1), (end.replace(day=1) - timedelta(days=1)).replace(day=1)]
    rng = np.random.default_rng(11)
    weights = np.array([6, 3, 2, 2, 2, 1, 1], dtype=float)
    prepared = []
    count = 0
    for first in months:
        for agency, counters, answers in (("TP-A", ("Q01", "Q02"), 70), ("TP-B", ("Q01",), 45)):
            for _ in range(answers):
                count += 1
                day = first + timedelta(days=int(rng.choice([2, 9, 16, 23])))
                values: dict[str, Any] = {"overall": int(rng.choice([1, 2, 3, 4, 5], p=[0.15, 0.2, 0.1, 0.3, 0.25]))}
                if values["overall"] <= 2:
                    size = int(rng.integers(1, 4))
                    values["reason"] = sorted(rng.choice(OPTIONS, size=size, replace=False, p=weights / weights.sum()))
                if count % 4 == 0:
                    values["comment"] = f"Góp ý số {count}: cần thêm ghế chờ."
                prepared.append(_prepared(settings, form, world, agency, str(rng.choice(counters)), day, values, count))
    latest = months[0] + timedelta(days=25)
    extra = [
        ("TP-B", "Q01", {"overall": 2, "reason": ["late_result", "waiting_time"], "comment": SLOW_COMMENT}),
        ("TP-A", "Q01", {"overall": 1, "reason": ["attitude"], "comment": PHONE_COMMENT}),  # the newest
    ]
    for number, (agency, counter, values) in enumerate(extra):
        prepared.append(_prepared(settings, form, world, agency, counter, latest, values, 1000 + number))
    store(session, prepared)
    create_official(session, username="tp-admin", password=PASSWORD, role=Role.province_admin, agency=world.province)
    session.commit()
    return world


def _prepared(
    settings: Settings, form: Any, world: World, agency: str, counter: str, day: date, values: dict[str, Any], n: int
) -> Any:
    submitted = datetime.combine(day, time(8, 0), tzinfo=settings.zone).astimezone(UTC) + timedelta(minutes=n)
    submission = Submission(uuid.uuid4(), "counter-quick", 1, submitted, values)
    origin = Origin(
        channel=Channel.web_qr,
        agency_id=world.agencies[agency].id,
        counter_id=world.counters[(agency, counter)].id,
    )
    return prepare(settings, form, submission, origin, now=submitted + timedelta(minutes=1))


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="vi-VN", accept_downloads=True)
    context.set_default_timeout(30_000)
    yield context
    context.close()


def log_in(context: BrowserContext, live_url: str, path: str) -> Page:
    page = context.new_page()
    page.goto(f"{live_url}{path}")
    expect(page).to_have_url(re.compile(r"/dashboard/login\?next="))
    page.get_by_label("Tên đăng nhập").fill("tp-admin")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).to_have_url(f"{live_url}{path}")
    return page


@pytest.mark.slow
def test_reasons_and_masked_comments_search_hide_and_export(
    context: BrowserContext, live_url: str, session: Session, settings: Settings
) -> None:
    seed(session, settings)
    page = log_in(context, live_url, "/dashboard/agencies/TP")
    page.get_by_test_id("voice-link").click()
    expect(page).to_have_url(re.compile(r"/dashboard/agencies/TP/voice"))
    expect(page.get_by_test_id("voice-title")).to_contain_text("Tiếng nói người dân: Tỉnh Thử Nghiệm")
    expect(page.get_by_test_id("nav-voice")).to_have_attribute("aria-current", "page")

    # The reasons: one bar with its whisker per reliable share, the rest "chưa đủ dữ liệu" with their count.
    table = page.get_by_test_id("reasons-chart-table")
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(len(OPTIONS))
    waiting = table.locator('tr[data-key="waiting_time"] td')
    expect(waiting.nth(1).locator(".value")).to_have_text(VI_PERCENT)
    low, high = (part.strip() for part in waiting.nth(1).locator(".ci").inner_text().split("–"))
    assert VI_PERCENT.match(low) and VI_PERCENT.match(high)
    reliable = table.locator("tbody tr:not(.unreliable)")
    assert 1 <= reliable.count() < len(OPTIONS)
    chart = page.get_by_test_id("reasons-chart")
    expect(chart.locator("g.reason:not(.unreliable) g.whisker")).to_have_count(reliable.count())
    expect(chart.locator("g.reason.unreliable rect")).to_have_count(0)  # no share drawn without enough data
    expect(table.locator("tr.unreliable").first).to_contain_text("○ chưa đủ dữ liệu")
    assert float(chart.get_attribute("data-axis-end") or 0) >= 0.2
    expect(page.get_by_test_id("reasons-base")).to_contain_text("người trả lời câu này")

    # The comment with a phone number and a name, masked; the raw text is nowhere in the page.
    comments = page.get_by_test_id("comment-text")
    expect(comments.first).to_have_text(PHONE_MASKED)
    # the number as written: "0912" alone also turns up in random CSRF tokens, one page in a few hundred
    assert "0912 345 678" not in page.content() and "Nguyễn Văn An" not in page.content()
    expect(page.get_by_test_id("paging")).to_contain_text("Trang 1/2")

    for width, name in ((390, "voice-390.png"), (1440, "voice-1440.png")):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(artifact(name)), full_page=True)
    page.set_viewport_size({"width": 1440, "height": 900})
    assert axe_violations(page) == []

    # Search without diacritics: "cham" finds "chậm".
    page.get_by_test_id("voice-search").fill("cham")
    page.get_by_test_id("voice-search-submit").click()
    expect(page).to_have_url(re.compile(r"[?&]q=cham(&|#|$)"))  # the new page, not the one before it
    expect(page.get_by_test_id("comments-count")).to_contain_text("1 góp ý")
    expect(comments).to_have_count(1)
    expect(comments.first).to_have_text(SLOW_COMMENT)

    # Hide the abusive one as the administrator: it leaves the feed, is listed among the hidden, not in the CSV.
    page.get_by_test_id("voice-search").fill("xuc pham")
    page.get_by_test_id("voice-search-submit").click()
    # The page before also shows one comment: wait for the new one, or the hide below may act on the old page.
    expect(page).to_have_url(re.compile(r"[?&]q=xuc\+pham(&|#|$)"))
    expect(comments).to_have_count(1)
    expect(comments.first).to_have_text(PHONE_MASKED)
    item = page.locator("li.comment").first
    item.get_by_text("Ẩn góp ý này").click()
    item.get_by_label("Lý do (ghi vào nhật ký)").fill("Lời lẽ xúc phạm cán bộ")
    item.get_by_role("button", name="Ẩn", exact=True).click()
    expect(page.get_by_test_id("voice-moderated")).to_contain_text("Đã ẩn góp ý")
    expect(page.get_by_test_id("no-comments")).to_be_visible()
    page.get_by_test_id("voice-search").fill("")
    page.get_by_test_id("voice-search-submit").click()
    expect(page).to_have_url(re.compile(r"[?&]q=(&|#|$)"))
    expect(comments.first).not_to_have_text(PHONE_MASKED)
    expect(page.get_by_test_id("hidden-link")).to_contain_text("Xem 1 góp ý đã ẩn")
    export = page.get_by_test_id("comments-download").get_attribute("href") or ""
    csv_text = page.request.get(f"{live_url}{export}").text()
    assert "xúc phạm" not in csv_text and "0912" not in csv_text and "chậm" in csv_text
    page.get_by_test_id("hidden-link").click()
    expect(comments).to_have_count(1)
    expect(comments.first).to_have_text(PHONE_MASKED)
    expect(page.locator("li.comment .note").first).to_contain_text("Lời lẽ xúc phạm cán bộ")
    assert axe_violations(page) == []

    # In English: the masks in English, the same checks.
    page.goto(f"{live_url}/dashboard/agencies/TP/voice?lang=en")
    expect(page.get_by_test_id("voice-title")).to_contain_text("Citizens' voice")
    expect(page.get_by_test_id("reasons-chart-table").locator("tr.unreliable").first).to_contain_text("not enough data")
    page.set_viewport_size({"width": 390, "height": 900})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert axe_violations(page) == []
