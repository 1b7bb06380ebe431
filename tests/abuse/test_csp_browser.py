"""Under the Content-Security-Policy, in a real Chromium: the citizen form (also re-shown with a hostile comment),
the kiosk page and the dashboard run without a single policy violation, and no injected script ever fires."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page, expect
from sqlalchemy.orm import Session

from app.config import Settings
from app.directory.models import Role
from app.directory.service import create_device
from app.links import service as links
from app.officials.service import create_official
from tests.factories import counter_tree

PASSWORD = "correct horse battery"
HOSTILE = '<script>alert(1)</script> "><img src=x onerror=alert(1)>'
# The policy and what the pages run under it do not depend on the database: SQLite only.
layout_only = pytest.mark.parametrize("backend", ["sqlite"])


class Watch:
    def __init__(self, page: Page) -> None:
        self.violations: list[str] = []
        self.dialogs: list[str] = []
        page.on("console", self._console)
        page.on("dialog", self._dialog)

    def _console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.violations.append(message.text)

    def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="vi-VN", service_workers="allow")
    yield context.new_page()
    context.close()


@layout_only
def test_citizen_form_kiosk_and_dashboard_run_without_csp_violations(
    page: Page, live_url: str, session: Session, settings: Settings
) -> None:
    _province, commune, counter = counter_tree(session)
    _device, key = create_device(session, agency=commune, counter=counter, label="tablet")
    create_official(session, username="admin", password=PASSWORD, role=Role.national, agency=None)
    session.commit()
    watch = Watch(page)

    # The citizen form: the show-if rule is inline CSS allowed by its hash, so "reason" appears only when asked.
    page.goto(live_url + "/f/" + links.counter_token(settings, counter))
    reason = page.locator("#q-reason")
    expect(reason).to_be_hidden()
    page.get_by_role("radio", name=re.compile("^1 ")).first.check()
    expect(reason).to_be_visible()
    page.get_by_label(re.compile("Góp ý")).fill(HOSTILE)
    page.get_by_role("button", name="Gửi đánh giá").click()  # without a reason: shown again, comment kept
    expect(page.locator("#errors")).to_be_visible()
    expect(page.get_by_label(re.compile("Góp ý"))).to_have_value(HOSTILE)
    assert page.locator("img[src=x]").count() == 0

    # The kiosk: its script from /kiosk/app.js, its inline sheet allowed by hash.
    page.goto(live_url + "/kiosk")
    page.get_by_label("Khóa thiết bị").fill(key)
    page.get_by_role("button", name="Lưu và bắt đầu").click()
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Cài đặt máy đánh giá")
    expect(page.locator("#survey")).to_be_visible()

    # The dashboard: its stylesheet, its SVG charts.
    page.goto(live_url + "/dashboard/login")
    page.get_by_label(re.compile("Tên đăng nhập")).fill("admin")
    page.get_by_label(re.compile("Mật khẩu")).fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Đăng nhập")).click()
    expect(page).to_have_url(re.compile("/dashboard$"))
    page.goto(live_url + "/dashboard/agencies/HN-X01?from=2000-01-01")
    page.goto(live_url + "/dashboard/counters")
    assert page.evaluate("getComputedStyle(document.body).fontFamily")  # the stylesheet applied

    assert watch.violations == []
    assert watch.dialogs == []


@layout_only
def test_the_api_documentation_renders_without_the_internet_and_without_violations(page: Page, live_url: str) -> None:
    """/docs is what `make run` points a new user to: Swagger UI from this origin, on a closed network too."""
    watch = Watch(page)
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.goto(live_url + "/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("SIPAS survey service")
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/satisfaction").first).to_be_visible()
    assert failed == [] and watch.violations == []
