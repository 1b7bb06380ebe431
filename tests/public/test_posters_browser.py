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
def test_one_sheet_per_counter_at_the_chosen_size(
    browser: Browser,
    session: Session,
    settings: Settings,
    tree: Tree,
    backend: str,
    size: posters.PaperSize,
    tmp_path: Path,
) -> None:
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
    html = posters.render_counter_poster(counter, links.counter_url(settings, counter), size="a5")
    screenshot = artifact(f"poster-long-names-a5-{backend}.png")
    pdf = _print(browser, html, artifact(f"poster-long-names-a5-{backend}.pdf"), screenshot)
    assert len(PDF_PAGE.findall(pdf)) == 1
    assert decode(screenshot, tmp_path) == [links.counter_url(settings, counter)]
