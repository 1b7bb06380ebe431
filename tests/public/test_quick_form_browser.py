"""The counter's quick form on a 360×740 phone, in a real Chromium: one screen with the optional parts closed, the
reason right under the answer that asks for it, a choice that can be taken back, and the time a person needs to
answer on a slow network and a slow phone (the figures the README states)."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Settings
from app.directory.models import Counter
from app.links import service as links
from app.responses.models import Answer
from tests.factories import counter_tree
from tests.support.browser import PHONE, artifact, axe_violations

VIEWPORT = PHONE["viewport"]
OVERALL = "Nói chung, Ông/Bà hài lòng thế nào với sự phục vụ hôm nay?"
THANKS = "Cảm ơn Ông/Bà!"
# What the page looks like does not depend on the database: one is enough.
layout_only = pytest.mark.parametrize("backend", ["sqlite"])
# A person: reads the question, taps, looks for the button, taps (seconds). The network: a busy 3G cell (Chrome's
# "slow 3G" figures); the phone: a cheap one, four times slower than this machine's core.
READ, FIND_BUTTON = 2.0, 1.0
SLOW_3G = {"offline": False, "latency": 400, "downloadThroughput": 400 * 1024 / 8, "uploadThroughput": 400 * 1024 / 8}
CPU_SLOWDOWN = 4


@pytest.fixture
def counter(session: Session) -> Counter:
    return counter_tree(session)[2]


def _open(context: BrowserContext, live_url: str, settings: Settings, counter: Counter, lang: str = "vi") -> Page:
    page = context.new_page()
    page.goto(f"{live_url}/f/{links.counter_token(settings, counter)}?lang={lang}")
    return page


def _height(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollHeight"))


@layout_only
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_quick_form_is_one_phone_screen_with_its_details_closed(
    phone: BrowserContext, live_url: str, settings: Settings, counter: Counter, lang: str
) -> None:
    page = _open(phone, live_url, settings, counter, lang)
    page.screenshot(path=str(artifact(f"quick-form-360-{lang}.png")), full_page=True)
    assert _height(page) <= 1.2 * VIEWPORT["height"]
    assert page.locator("details.more").get_attribute("open") is None
    assert page.locator("details.more #q-civil_servant_general").is_hidden()
    boxes = [label.bounding_box() for label in page.locator("#q-overall label").all()]
    assert len(boxes) == 5  # five levels in one row, each a real finger's target
    assert all(box is not None and box["height"] >= 44 and box["width"] >= 44 for box in boxes)
    assert len({round(box["y"]) for box in boxes if box}) == 1
    page.locator("details.more summary").tap()
    expect(page.locator("#q-civil_servant_general")).to_be_visible()
    page.screenshot(path=str(artifact(f"quick-form-360-{lang}-details.png")), full_page=True)
    no_scroll = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert no_scroll


@layout_only
def test_the_reason_appears_right_under_a_dissatisfied_answer_with_its_hint(
    phone: BrowserContext, live_url: str, settings: Settings, counter: Counter
) -> None:
    page = _open(phone, live_url, settings, counter)
    reason = page.locator("#q-reason")
    expect(reason).to_be_hidden()
    tapped = page.get_by_role("group", name=OVERALL).get_by_label("2 Không hài lòng", exact=True)
    tapped.tap()
    expect(reason).to_be_visible()
    answer, shown = tapped.bounding_box(), reason.bounding_box()
    assert answer is not None and shown is not None
    gap = shown["y"] - (answer["y"] + answer["height"])
    assert 0 <= gap <= 200
    expect(reason.locator("#h-reason")).to_have_text("Chọn một hoặc nhiều.")
    page.locator("details.more summary").tap()
    page.screenshot(path=str(artifact("quick-form-360-reason.png")), full_page=True)
    assert axe_violations(page) == []  # reason shown, details open: still WCAG 2.1 AA
    page.get_by_role("group", name=OVERALL).get_by_label("4 Hài lòng", exact=True).tap()
    expect(reason).to_be_hidden()


@layout_only
def test_a_320_px_screen_needs_no_sideways_scroll(
    browser: Browser, live_url: str, settings: Settings, counter: Counter
) -> None:
    context = browser.new_context(viewport={"width": 320, "height": 640}, is_mobile=True, has_touch=True)
    page = _open(context, live_url, settings, counter)
    page.get_by_role("group", name=OVERALL).get_by_label("1 Rất không hài lòng", exact=True).tap()
    page.locator("details.more summary").tap()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.screenshot(path=str(artifact("quick-form-320.png")), full_page=True)
    context.close()


@layout_only
def test_an_optional_choice_can_be_taken_back(
    phone: BrowserContext, live_url: str, settings: Settings, session: Session, counter: Counter, backend: str
) -> None:
    page = _open(phone, live_url, settings, counter)
    page.get_by_role("group", name=OVERALL).get_by_label("5 Rất hài lòng", exact=True).tap()
    page.locator("details.more summary").tap()
    field = page.get_by_role("group", name="Lĩnh vực thủ tục")
    field.get_by_label("Đất đai").tap()
    field.get_by_label("Bỏ chọn").tap()
    expect(field.get_by_label("Đất đai")).not_to_be_checked()
    element = page.get_by_role("group", name="Công chức tiếp nhận")
    element.get_by_label("3 Bình thường").tap()
    element.get_by_label("Bỏ chọn").tap()
    page.get_by_role("button", name="Gửi đánh giá").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text(THANKS)
    session.expire_all()
    assert [answer.item_code for answer in session.scalars(select(Answer))] == ["overall"]


def _answer_like_a_person(page: Page, url: str, levels: list[str], reasons: list[str]) -> float:
    started = time.perf_counter()
    page.goto(url)
    overall = page.get_by_role("group", name=OVERALL)
    for level in levels:
        time.sleep(READ)
        overall.get_by_label(level, exact=True).tap()
    for reason in reasons:
        time.sleep(READ / 2)
        page.get_by_role("group", name="Điều gì khiến Ông/Bà chưa hài lòng?").get_by_label(reason).tap()
    time.sleep(FIND_BUTTON)
    page.get_by_role("button", name="Gửi đánh giá").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text(THANKS)
    return time.perf_counter() - started


@pytest.mark.slow
@layout_only
def test_a_person_answers_in_well_under_20_seconds_on_a_slow_phone_and_network(
    phone: BrowserContext, live_url: str, settings: Settings, counter: Counter
) -> None:
    """The README's figures: a satisfied citizen taps one level and sends; a dissatisfied one taps a level, two
    reasons and sends. Time from opening the link to the thank-you page, including the scripted pauses."""
    url = f"{live_url}/f/{links.counter_token(settings, counter)}"
    figures = []
    for levels, reasons in ((["4 Hài lòng"], []), (["2 Không hài lòng"], ["Chờ đợi lâu", "Thái độ công chức"])):
        page = phone.new_page()
        cdp = phone.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", SLOW_3G)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
        seconds = _answer_like_a_person(page, url, levels, reasons)
        pauses = READ * len(levels) + READ / 2 * len(reasons) + FIND_BUTTON
        figures.append((seconds, pauses))
        page.close()
        phone.clear_cookies()  # the next person, on another phone
    print("time to answer (s, of which scripted pauses):", [(round(s, 1), p) for s, p in figures])
    assert all(seconds < 20 for seconds, _ in figures)
