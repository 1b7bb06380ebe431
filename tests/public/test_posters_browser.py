"""Posters printed by the real Chromium: one sheet per counter at the chosen paper size, codes that scan."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser
from sqlalchemy.orm import Session

from app.config import Settings
from app.directory.service import create_counter
from app.links import posters
from app.links import service as links
from tests.factories import Tree, agency_in, counter_in, decode, minh_an_tree
from tests.support.browser import artifact

# A PDF page object is "/Type /Page"; the page tree is "/Type /Pages".
PDF_PAGE = re.compile(rb"/Type\s*/Page(?!s)")
PDF_MEDIA_BOX = re.compile(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]")
# ISO 216 sheets in PostScript points (1/72 inch); Chromium rounds them to whole CSS pixels (0.75 pt).
PAPER_POINTS = {"a4": (595.28, 841.89), "a5": (419.53, 595.28)}
CSS_PIXEL_POINTS = 0.75
SUBTREE = ("MA-TTPVHCC/Q01", "MA-TTPVHCC/Q02", "MA-X01/Q01")
PUBLIC_BASE_URL = "https://gopy.minhan.gov.vn"
# What Chromium prints does not depend on the database (tests/public/test_qr.py reads the posters' data from both):
# SQLite only.
layout_only = pytest.mark.parametrize("backend", ["sqlite"])


@pytest.fixture
def tree(session: Session) -> Tree:
    return minh_an_tree(session)


def _print(browser: Browser, html: str, pdf: Path, screenshot: Path) -> bytes:
    page = browser.new_page()
    try:
        page.set_content(html)
        page.pdf(path=str(pdf), prefer_css_page_size=True)
        page.screenshot(path=str(screenshot), full_page=True)
    finally:
        page.close()
    return pdf.read_bytes()


@pytest.mark.parametrize("size", ["a4", "a5"])
@layout_only
def test_one_sheet_per_counter_at_the_chosen_size(
    browser: Browser,
    session: Session,
    settings: Settings,
    tree: Tree,
    backend: str,
    size: posters.PaperSize,
    tmp_path: Path,
) -> None:
    settings = settings.model_copy(update={"public_base_url": PUBLIC_BASE_URL})  # as printed for real: no warning
    posters.write_qr_files(session, settings, agency_in(tree, "MA"), tmp_path / "files", size=size)
    html = (tmp_path / "files" / f"posters-{size}.html").read_text(encoding="utf-8")
    screenshot = artifact(f"posters-{size}-{backend}.png")
    pdf = _print(browser, html, artifact(f"posters-{size}-{backend}.pdf"), screenshot)
    assert len(PDF_PAGE.findall(pdf)) == 3
    boxes = [(float(width), float(height)) for width, height in PDF_MEDIA_BOX.findall(pdf)]
    assert boxes == [pytest.approx(PAPER_POINTS[size], abs=CSS_PIXEL_POINTS)] * 3
    # The codes on screen, read back by a real decoder: every counter's link, and nothing else.
    expected = sorted(links.counter_url(settings, counter_in(tree, key)) for key in SUBTREE)
    assert sorted(decode(screenshot, tmp_path)) == expected


@layout_only
def test_the_sheet_names_the_province_and_prints_the_short_code_under_the_qr_code(
    browser: Browser, session: Session, settings: Settings, tree: Tree, backend: str, tmp_path: Path
) -> None:
    counter = counter_in(tree, "MA-TTPVHCC/Q01")
    settings = settings.model_copy(update={"public_base_url": PUBLIC_BASE_URL})
    html = posters.render_counter_poster(session, settings, counter, links.counter_url(settings, counter), size="a4")
    page = browser.new_page()
    try:
        page.set_content(html)
        heading = page.get_by_role("heading", level=1)
        assert heading.inner_text().split("\n") == [
            "Tỉnh Minh An ›",
            "Trung tâm Phục vụ hành chính công tỉnh Minh An",
        ]
        code, qr_code = page.locator(".short-code"), page.locator(".qr svg")
        assert code.inner_text().replace("\n", "") == counter.short_code
        assert page.locator(".short-where").inner_text() == (
            f"hoặc nhập mã này tại {PUBLIC_BASE_URL}/q\nor type the code at {PUBLIC_BASE_URL}/q"
        )
        assert page.locator(".url").inner_text() == f"{PUBLIC_BASE_URL}/q/{counter.short_code}"
        code_box, qr_box = code.bounding_box(), qr_code.bounding_box()
        assert code_box is not None and qr_box is not None
        assert 0 <= code_box["y"] - (qr_box["y"] + qr_box["height"]) <= 40  # right under the QR code
        assert code_box["height"] >= 40  # large: 2.6 × 14 pt, read from a step away
        assert page.locator(".warning").count() == 0
        page.screenshot(path=str(artifact(f"poster-a4-{backend}.png")), full_page=True)
    finally:
        page.close()


@layout_only
def test_a_poster_made_with_the_loopback_address_shows_a_warning_on_screen_only(
    browser: Browser, session: Session, settings: Settings, tree: Tree, backend: str, tmp_path: Path
) -> None:
    counter = counter_in(tree, "MA-X01/Q01")
    html = posters.render_counter_poster(session, settings, counter, links.counter_url(settings, counter), size="a5")
    screenshot = artifact(f"poster-warning-a5-{backend}.png")
    page = browser.new_page()
    try:
        page.set_content(html)
        warning = page.get_by_role("alert")
        assert warning.is_visible()
        assert warning.get_by_role("heading").inner_text() == (
            "Cảnh báo: chưa nên in áp phích này · Warning: do not print these posters yet"
        )
        page.emulate_media(media="print")
        assert not warning.is_visible()
        page.emulate_media(media="screen")
    finally:
        page.close()
    pdf = _print(browser, html, artifact(f"poster-warning-a5-{backend}.pdf"), screenshot)
    assert len(PDF_PAGE.findall(pdf)) == 1  # the banner is not printed: the sheet is still one page
    assert decode(screenshot, tmp_path) == [links.counter_url(settings, counter)]


@layout_only
def test_very_long_names_still_fit_one_sheet_with_a_code_that_scans(
    browser: Browser, session: Session, settings: Settings, backend: str, tmp_path: Path
) -> None:
    commune = agency_in(minh_an_tree(session), "MA-X01")
    commune.name_vi = (
        "Ủy ban nhân dân xã Nguyễn Văn Trỗi huyện Bình Chánh thành phố Hồ Chí Minh — "
        "Bộ phận tiếp nhận và trả kết quả giải quyết thủ tục hành chính"
    )
    commune.name_en = (
        "People's Committee of Nguyen Van Troi Commune, Binh Chanh District, Ho Chi Minh City — "
        "One-stop reception and result delivery unit"
    )
    counter = create_counter(
        session,
        agency=commune,
        code="Q12",
        name_en="Counter 12 — Land, construction, natural resources, environment",
        name_vi="Quầy tiếp nhận hồ sơ lĩnh vực đất đai, xây dựng, tài nguyên và môi trường số 12",
    )
    session.commit()
    html = posters.render_counter_poster(session, settings, counter, links.counter_url(settings, counter), size="a5")
    screenshot = artifact(f"poster-long-names-a5-{backend}.png")
    pdf = _print(browser, html, artifact(f"poster-long-names-a5-{backend}.pdf"), screenshot)
    assert len(PDF_PAGE.findall(pdf)) == 1
    assert decode(screenshot, tmp_path) == [links.counter_url(settings, counter)]
