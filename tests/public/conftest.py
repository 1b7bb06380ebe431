"""What the citizen-page tests share: a phone to open the pages on."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext

from tests.support.browser import PHONE


@pytest.fixture
def phone(browser: Browser) -> Iterator[BrowserContext]:
    """A 360×740 touch phone in Vietnamese, in the run's Chromium."""
    context = browser.new_context(**PHONE, locale="vi-VN")
    context.set_default_timeout(10_000)
    yield context
    context.close()
