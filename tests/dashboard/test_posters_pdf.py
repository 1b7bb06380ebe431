"""Posters as PDF from the dashboard, typeset on the server by WeasyPrint from the poster HTML: a whole subtree in one
file (one page per active counter, every name with its Vietnamese letters, each page's QR code scanning to that
counter's current link) and one counter's poster; what cannot be printed is a page saying why.

The PDF does not depend on the database (the counters are read by the existing link services), so these run on
SQLite only; the text is read back with poppler's ``pdftotext``, the pages drawn with ``pdftoppm`` and the codes
decoded with ``zbarimg``."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.config import Settings
from app.directory.models import Role
from app.directory.service import create_counter
from app.links import pdf
from app.links import service as links
from app.officials.service import create_official
from tests.factories import PASSWORD, Tree, agency_in, counter_in, database_free, decode, minh_an_tree
from tests.support.browser import artifact

pytestmark = database_free

PDFTOTEXT, PDFTOPPM, PDFINFO = "/usr/bin/pdftotext", "/usr/bin/pdftoppm", "/usr/bin/pdfinfo"
# ISO 216 sheets in PostScript points (1/72 inch).
PAPER_POINTS = {"a4": (595.28, 841.89), "a5": (419.53, 595.28)}
# Names with the letters a font without Vietnamese would lose: ầ, ộ, ữ, ặ, ỹ, đ, ơ, ư.
EXTRA = ("Quầy Độc lập – Hữu nghị", "Quầy Đặc biệt Mỹ Đức", "Quầy Thương binh – Liệt sĩ")
PUBLIC_BASE_URL = "https://gopy.minhan.gov.vn"


@pytest.fixture
def tree(session: Session) -> Tree:
    found = minh_an_tree(session)
    commune = agency_in(found, "MA-X01")
    for n, name in enumerate(EXTRA, start=2):
        found[f"MA-X01/Q0{n}"] = create_counter(session, agency=commune, code=f"Q0{n}", name_vi=name)
    session.commit()
    return found


def _log_in(client: TestClient, session: Session, username: str, role: Role, agency_code: str, tree: Tree) -> None:
    create_official(session, username=username, password=PASSWORD, role=role, agency=agency_in(tree, agency_code))
    session.commit()
    page = client.get("/dashboard/login")
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text)
    assert token is not None
    data = {"username": username, "password": PASSWORD, "csrf_token": token.group(1)}
    assert client.post("/dashboard/login", data=data, follow_redirects=False).status_code == 303


def _text(pdf: Path) -> str:
    return subprocess.run([PDFTOTEXT, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def _info(pdf: Path) -> dict[str, str]:
    out = subprocess.run([PDFINFO, str(pdf)], capture_output=True, text=True, check=True).stdout
    return {key.strip(): value.strip() for key, _, value in (line.partition(":") for line in out.splitlines())}


def _page_codes(pdf: Path, tmp_path: Path) -> list[list[str]]:
    """The QR codes zbarimg reads on each page, drawn at 100 dpi."""
    subprocess.run([PDFTOPPM, "-r", "100", "-png", str(pdf), str(tmp_path / "page")], check=True)
    return [decode(page, tmp_path) for page in sorted(tmp_path.glob("page-*.png"))]


@pytest.mark.slow
def test_a_subtree_in_one_pdf_names_every_counter_and_every_code_scans(
    client: TestClient,
    session: Session,
    settings: Settings,
    tree: Tree,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    size = "a4"  # A5: the one-counter test below
    monkeypatch.setattr(settings, "public_base_url", PUBLIC_BASE_URL)  # as printed for real (the app's settings)
    _log_in(client, session, "in.an", Role.province_admin, "MA", tree)
    answer = client.get(f"/dashboard/counters/posters.pdf?agency=MA&size={size}")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"] == f'attachment; filename="posters-MA-{size}.pdf"'
    assert "x-sipas-warning" not in answer.headers
    pdf = artifact(f"posters-subtree-{size}.pdf")
    pdf.write_bytes(answer.content)

    active = [key for key in tree if "/" in key and counter_in(tree, key).active]
    assert len(active) == 6  # Q09 of the centre is inactive: no poster
    info = _info(pdf)
    assert info["Pages"] == str(len(active))
    width, height = (float(value) for value in re.findall(r"[\d.]+", info["Page size"])[:2])
    assert (width, height) == pytest.approx(PAPER_POINTS[size], abs=0.5)
    text = _text(pdf)
    for key in active:
        counter = counter_in(tree, key)
        assert counter.name_vi in " ".join(text.split()), counter.name_vi  # with its diacritics, on one line or two
    assert "Quầy cũ" not in text
    assert "Trung tâm Phục vụ hành chính công tỉnh Minh An" in " ".join(text.split())
    session.expire_all()
    codes = _page_codes(pdf, tmp_path)
    expected = sorted(links.counter_url(settings, counter_in(tree, key)) for key in active)
    assert sorted(code for page in codes for code in page) == expected
    assert all(len(page) == 1 for page in codes)  # one code a sheet
    for key in active:  # and each sheet prints its counter's typable code under the QR code
        code = counter_in(tree, key).short_code
        assert code is not None and f"{code[:3]} {code[3:]}" in text


@pytest.mark.slow
def test_one_counter_poster_and_a_commune_official_sees_no_name_above_their_scope(
    client: TestClient, session: Session, settings: Settings, tree: Tree, tmp_path: Path
) -> None:
    _log_in(client, session, "xa.an.binh", Role.agency_official, "MA-X01", tree)
    answer = client.get("/dashboard/counters/MA-X01/Q03/poster.pdf?size=a5")
    assert answer.status_code == 200
    assert answer.headers["content-disposition"] == 'attachment; filename="poster-MA-X01-Q03-a5.pdf"'
    assert answer.headers["x-sipas-warning"].startswith("SIPAS_PUBLIC_BASE_URL is not set")  # codes to localhost
    pdf = tmp_path / "one.pdf"
    pdf.write_bytes(answer.content)
    text = " ".join(_text(pdf).split())
    info = _info(pdf)
    assert info["Pages"] == "1"
    width, height = (float(value) for value in re.findall(r"[\d.]+", info["Page size"])[:2])
    assert (width, height) == pytest.approx(PAPER_POINTS["a5"], abs=0.5)
    assert "Quầy Đặc biệt Mỹ Đức" in text and "Xã An Bình" in text
    assert "Tỉnh Minh An" not in text  # above the official's scope: not named
    assert _page_codes(pdf, tmp_path) == [[links.counter_url(settings, counter_in(tree, "MA-X01/Q03"))]]
    subtree = client.get("/dashboard/counters/posters.pdf")  # no agency: the official's own subtree
    assert subtree.status_code == 200 and subtree.headers["content-disposition"].endswith('"posters-MA-X01-a4.pdf"')
    assert client.get("/dashboard/counters/posters.pdf?agency=MA").status_code == 404  # above: as if unknown
    assert client.get("/dashboard/counters/MA-TTPVHCC/Q01/poster.pdf").status_code == 404


def test_what_cannot_be_printed_is_a_page_saying_why(client: TestClient, session: Session, tree: Tree) -> None:
    _log_in(client, session, "in.an", Role.province_admin, "MA", tree)
    bad_size = client.get("/dashboard/counters/posters.pdf?agency=MA&size=letter")
    assert bad_size.status_code == 422 and "“letter” không dùng được; chọn a4 hoặc a5" in bad_size.text
    nothing = client.get("/dashboard/counters/posters.pdf?agency=MA-STP&size=a4&lang=en")
    assert nothing.status_code == 422
    assert "Department of Justice and the agencies below it have no active counter" in nothing.text
    inactive = client.get("/dashboard/counters/MA-TTPVHCC/Q09/poster.pdf?lang=vi")
    assert inactive.status_code == 409 and "Quầy hoặc cơ quan đã ngừng dùng" in inactive.text
    assert client.get("/dashboard/counters/posters.pdf?agency=NOWHERE").status_code == 404
    assert client.get("/dashboard/counters/MA/Q99/poster.pdf").status_code == 404
    for answer in (bad_size, nothing, inactive):
        assert answer.headers["content-type"].startswith("text/html")


def test_a_server_without_pango_says_so_and_serves_the_rest(
    client: TestClient, session: Session, tree: Tree, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing() -> object:
        raise pdf.PdfUnavailable("no pango here")

    monkeypatch.setattr(pdf, "_weasyprint", missing)
    _log_in(client, session, "in.an", Role.province_admin, "MA", tree)
    answer = client.get("/dashboard/counters/posters.pdf?agency=MA")
    assert answer.status_code == 503 and "thiếu thư viện pango" in answer.text
    assert client.get("/dashboard/counters/MA-X01/Q01/poster.pdf").status_code == 503
    assert client.get("/dashboard/counters").status_code == 200
    assert client.get("/api/v1/agencies/MA-X01/counters/Q01/poster").status_code == 200  # the HTML poster still
