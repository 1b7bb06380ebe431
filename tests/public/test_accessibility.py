"""axe-core (WCAG 2.0/2.1 A and AA rules) finds nothing to fix on the citizen pages, in Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser
from sqlalchemy.orm import Session

from app.config import Settings
from app.links import service as links
from tests.factories import counter_tree
from tests.support.browser import axe_violations

# What axe-core reads does not depend on the database: SQLite only.
layout_only = pytest.mark.parametrize("backend", ["sqlite"])


@layout_only
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_form_its_error_state_and_its_sent_state_pass_wcag_aa(
    browser: Browser, live_url: str, settings: Settings, session: Session, lang: str
) -> None:
    counter = counter_tree(session)[2]
    page = browser.new_page(viewport={"width": 360, "height": 740})
    page.goto(f"{live_url}/f/{links.counter_token(settings, counter)}?lang={lang}")
    assert axe_violations(page) == []
    page.locator("button[type=submit]").click()  # nothing answered: errors next to the questions
    page.wait_for_selector("#errors")
    assert axe_violations(page) == []
    page.locator("input[name=overall][value='5']").check()
    page.locator("button[type=submit]").click()
    page.wait_for_url("**/thanks**")
    assert axe_violations(page) == []
    page.go_back()  # the form again, saying it was sent and offering a new one
    page.wait_for_selector(".sent")
    assert axe_violations(page) == []
    page.goto(f"{live_url}/f/not-a-token?lang={lang}")
    assert axe_violations(page) == []
    page.close()
