"""The front door (`/`): what the service is, the QR code to scan, a box for a counter's code, links for staff; in
Vietnamese and English, without a script, on a 320 px phone and a desktop, WCAG 2.1 AA in Chromium."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, BrowserContext, expect
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.config import Settings
from app.directory.models import Counter
from app.links import service as links
from tests.factories import counter_tree, database_free
from tests.support.browser import PHONE, artifact, axe_violations

CODE = "70X1M9"
BOX = (
    '<input type="text" id="code" name="code" value="" required maxlength="40" inputmode="text" '
    'autocapitalize="characters" autocomplete="off" spellcheck="false" aria-describedby="code-hint">'
)
# Typing a code in the browser: the code's lookup runs on both databases in test_short_codes.py; SQLite only here.
layout_only = pytest.mark.parametrize("backend", ["sqlite"])


@pytest.fixture
def counter(session: Session) -> Counter:
    counter = counter_tree(session)[2]
    session.execute(update(Counter).where(Counter.id == counter.id).values(short_code=CODE))
    session.commit()
    session.refresh(counter)
    return counter


@pytest.fixture
def phone(browser: Browser) -> Iterator[BrowserContext]:
    """The shared phone with scripts off: the front door must work without them."""
    context = browser.new_context(**PHONE, locale="vi-VN", java_script_enabled=False)
    context.set_default_timeout(5000)
    yield context
    context.close()


# --- the page over HTTP -----------------------------------------------------------------------------------


@database_free
def test_the_front_door_in_vietnamese(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.text.startswith('<!doctype html>\n<html lang="vi">')
    assert "<title>Đánh giá sự phục vụ của cơ quan hành chính</title>" in page.text
    assert "<h1>Ông/Bà vừa làm thủ tục tại bộ phận một cửa? Hãy cho chúng tôi biết</h1>" in page.text
    assert (
        '<p class="intro">Trang này thu ý kiến của người dân và doanh nghiệp về sự phục vụ của cơ quan hành chính nhà '
        "nước, để cơ quan phục vụ tốt hơn. Chưa đến 1 phút, không cần đăng nhập.</p>"
    ) in page.text
    assert '<h2 id="scan-title">Quét mã QR tại quầy</h2>' in page.text
    assert '<form class="code-box" method="get" action="/q" aria-labelledby="code-title">' in page.text
    assert '<label for="code">Mã quầy</label>' in page.text
    assert BOX in page.text
    assert '<button type="submit">Mở phiếu đánh giá</button>' in page.text
    assert 'name="lang"' not in page.text  # Vietnamese is the default: nothing to pass on
    assert '<li><a href="/dashboard">Trang số liệu đánh giá (đăng nhập)</a></li>' in page.text
    assert '<li><a href="/kiosk">Cài đặt máy đánh giá (kiosk) tại quầy</a></li>' in page.text
    assert '<a class="lang" href="?lang=en" hreflang="en" lang="en">English</a>' in page.text


@database_free
def test_the_front_door_in_english(client: TestClient) -> None:
    page = client.get("/?lang=en")
    assert page.status_code == 200
    assert page.text.startswith('<!doctype html>\n<html lang="en">')
    assert "<h1>Just been served at a one-stop counter? Tell us how it went</h1>" in page.text
    assert '<h2 id="scan-title">Scan the QR code at your counter</h2>' in page.text
    assert '<label for="code">Counter code</label>' in page.text
    assert '<input type="hidden" name="lang" value="en">' in page.text
    assert '<button type="submit">Open the form</button>' in page.text
    assert '<li><a href="/dashboard">Officials&#39; dashboard (log in)</a></li>' in page.text
    assert '<li><a href="/kiosk">Set up a feedback kiosk at a counter</a></li>' in page.text
    assert '<a class="lang" href="?lang=vi" hreflang="vi" lang="vi">Tiếng Việt</a>' in page.text
    assert client.get("/?lang=fr").text.startswith('<!doctype html>\n<html lang="vi">')  # unknown: the default


@database_free
def test_the_front_door_is_small_scriptless_and_its_links_lead_somewhere(client: TestClient) -> None:
    page = client.get("/")
    assert len(page.content) < 50_000
    assert "<script" not in page.text
    assert "'unsafe-inline'" not in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    dashboard = client.get("/dashboard", follow_redirects=False)
    assert (dashboard.status_code, dashboard.headers["location"]) == (303, "/dashboard/login?next=%2Fdashboard")
    assert client.get("/kiosk").status_code == 200


# --- in Chromium ------------------------------------------------------------------------------------------


@database_free
def test_screenshots_at_360_and_1440_and_nothing_wider_than_320(browser: Browser, live_url: str) -> None:
    for width, height in ((360, 740), (1440, 900), (320, 640)):
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto(f"{live_url}/")
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Ông/Bà vừa làm thủ tục tại bộ phận một cửa? Hãy cho chúng tôi biết"
        )
        if width != 320:
            page.screenshot(path=str(artifact(f"front-door-{width}.png")), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        for target in (
            page.get_by_role("textbox", name="Mã quầy"),
            page.get_by_role("button", name="Mở phiếu đánh giá"),
        ):
            box = target.bounding_box()
            assert box is not None and box["height"] >= 44 and box["x"] >= 0 and box["x"] + box["width"] <= width
        page.close()


@pytest.mark.parametrize("lang", ["vi", "en"])
@database_free
def test_the_front_door_and_the_not_found_page_pass_wcag_aa(browser: Browser, live_url: str, lang: str) -> None:
    page = browser.new_page(viewport={"width": 360, "height": 740})
    page.goto(f"{live_url}/?lang={lang}")
    assert axe_violations(page) == []
    response = page.goto(f"{live_url}/q/ZZZZZZ?lang={lang}")
    assert response is not None and response.status == 404
    if lang == "vi":
        page.screenshot(path=str(artifact("code-not-found-360.png")), full_page=True)
    assert axe_violations(page) == []
    page.close()


@layout_only
def test_a_code_typed_on_the_front_door_opens_the_counters_form(
    phone: BrowserContext, live_url: str, settings: Settings, counter: Counter
) -> None:
    page = phone.new_page()
    page.goto(f"{live_url}/")
    page.get_by_role("textbox", name="Mã quầy").fill(
        "7ox-lm9"
    )  # lower case, O for 0, l for 1, a hyphen: all read as CODE
    page.get_by_role("button", name="Mở phiếu đánh giá").tap()
    page.wait_for_url(f"{live_url}/f/{links.counter_token(settings, counter)}")
    expect(page.locator("input[name=submission_id]")).to_have_count(1)
    expect(page.get_by_text("Xã Bát Tràng").first).to_be_visible()


@layout_only
def test_a_wrong_code_shows_the_box_again_and_the_right_one_then_opens_the_form_in_english(
    phone: BrowserContext, live_url: str, settings: Settings, counter: Counter
) -> None:
    page = phone.new_page()
    page.goto(f"{live_url}/?lang=en")
    page.get_by_role("textbox", name="Counter code").fill("70X1M8")
    page.get_by_role("button", name="Open the form").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Counter code not found")
    expect(page.get_by_role("textbox", name="Counter code")).to_have_value("70X1M8")
    page.get_by_role("textbox", name="Counter code").fill(CODE)
    page.get_by_role("button", name="Open the form").tap()
    page.wait_for_url(f"{live_url}/f/{links.counter_token(settings, counter)}?lang=en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
