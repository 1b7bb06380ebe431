"""QR codes of counters' links: images read back by a real decoder (zbarimg), the HTTP endpoints, `sipas qr`."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from xml.etree import ElementTree

import png
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from typer.testing import Result

from app.audit.models import AuditEvent
from app.config import Settings
from app.directory.models import Agency, AgencyLevel, Counter
from app.directory.service import create_agency, create_counter
from app.errors import Invalid
from app.links import posters, qr
from app.links import service as links
from app.links.router import qr_router
from app.main import create_app
from tests.factories import Tree, agency_in, counter_in, decode, minh_an_tree, registry, sipas_cli

SVG = "{http://www.w3.org/2000/svg}"
URL = "https://gopy.minhan.gov.vn/f/k1.Y3xjb3VudGVyLXF1aWNrfDJ8M3ww.q8tHf2ZxYH1m0Vb4y2Lk9A"
PUBLIC_BASE_URL = "https://gopy.minhan.gov.vn"


# --- images -----------------------------------------------------------------------------------------------


def test_png_decodes_to_exactly_the_link(tmp_path: Path) -> None:
    image = qr.qr_png(URL)
    assert decode(image, tmp_path) == [URL]
    width, height, _rows, _info = png.Reader(bytes=image).read()
    assert (width, height) == (450, 450)  # version 5: 37 modules + 2 × 4 quiet zone, 10 pixels each


def test_png_box_size_sets_pixels_per_module(tmp_path: Path) -> None:
    image = qr.qr_png(URL, box_size=4)
    assert png.Reader(bytes=image).read()[:2] == (180, 180)
    assert decode(image, tmp_path) == [URL]


def test_svg_file_is_xml_with_a_viewbox_of_one_unit_per_module() -> None:
    text = qr.qr_svg(URL)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<svg ')
    root = ElementTree.fromstring(text.encode())
    assert root.tag == f"{SVG}svg"
    assert (root.get("viewBox"), root.get("width"), root.get("height")) == ("0 0 45 45", "45mm", "45mm")
    assert [child.tag for child in root] == [f"{SVG}rect", f"{SVG}path"]
    assert root.find(f"{SVG}path").get("fill") == "#000000"  # type: ignore[union-attr]


def test_inline_svg_has_no_xml_declaration_and_no_id() -> None:
    inline = qr.qr_svg(URL, inline=True)
    assert inline.startswith("<svg ")
    assert "<?xml" not in inline and " id=" not in inline
    assert ElementTree.fromstring(inline).get("viewBox") == "0 0 45 45"
    standalone = qr.qr_svg(URL).removeprefix('<?xml version="1.0" encoding="UTF-8"?>\n')
    assert standalone.replace(' id="qr-path"', "") == inline


# --- HTTP -------------------------------------------------------------------------------------------------


@pytest.fixture
def qr_client(app: FastAPI) -> Iterator[TestClient]:
    if not any(getattr(route, "path", None) == "/f/{token}/qr.png" for route in app.routes):
        app.include_router(qr_router)
    with TestClient(app) as client:
        yield client


@pytest.fixture
def tree(session: Session) -> Tree:
    return minh_an_tree(session)


@pytest.fixture
def counter(tree: Tree) -> Counter:
    return counter_in(tree, "MA-TTPVHCC/Q01")


def test_png_endpoint_serves_the_links_code(
    qr_client: TestClient, settings: Settings, counter: Counter, tmp_path: Path
) -> None:
    token = links.counter_token(settings, counter)
    response = qr_client.get(f"/f/{token}/qr.png")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.headers["cache-control"] == "public, max-age=86400"
    assert decode(response.content, tmp_path) == [f"http://127.0.0.1:8000/f/{token}"]
    assert decode(response.content, tmp_path) == [links.counter_url(settings, counter)]


def test_svg_endpoint_serves_the_links_code(qr_client: TestClient, settings: Settings, counter: Counter) -> None:
    token = links.counter_token(settings, counter)
    response = qr_client.get(f"/f/{token}/qr.svg")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    assert response.headers["cache-control"] == "public, max-age=86400"
    assert response.text == qr.qr_svg(links.counter_url(settings, counter))
    assert ElementTree.fromstring(response.content).get("viewBox") is not None


def test_poster_endpoint_serves_one_counters_page(qr_client: TestClient, settings: Settings, counter: Counter) -> None:
    token = links.counter_token(settings, counter)
    a4 = qr_client.get(f"/f/{token}/poster")
    assert a4.status_code == 200
    assert a4.headers["content-type"] == "text/html; charset=utf-8"
    assert "@page { size: A4 portrait; margin: 15mm; }" in a4.text
    assert a4.text.count('<section class="poster">') == 1
    # The whole agency path, province first, in both languages; then the counter.
    assert (
        '<h1 class="agency"><span class="parents">Tỉnh Minh An ›</span> '
        "Trung tâm Phục vụ hành chính công tỉnh Minh An</h1>"
    ) in a4.text
    assert (
        '<p class="agency-en" lang="en">Minh An Province › Minh An Public Administration Service Centre</p>'
    ) in a4.text
    assert '<h2 class="counter">Quầy số 1 — Đất đai<span class="en" lang="en">Counter 1 — Land</span></h2>' in a4.text
    # Under the code: the counter's short code, large, and where to type it; the address to type is the short one.
    code = counter.short_code
    assert code is not None
    assert f'<p class="short-code"><span>{code[:3]}</span><span>{code[3:]}</span></p>' in a4.text
    assert (
        '<p class="short-where">hoặc nhập mã này tại <b>http://127.0.0.1:8000/q</b>'
        '<span class="en" lang="en">or type the code at <b>http://127.0.0.1:8000/q</b></span></p>'
    ) in a4.text
    assert f'<p class="url">http://127.0.0.1:8000/q/{code}</p>' in a4.text
    assert token not in a4.text.split("</svg>", 1)[1]  # the long link is in the QR code only
    a5 = qr_client.get(f"/f/{token}/poster?size=a5")
    assert "@page { size: A5 portrait; margin: 10mm; }" in a5.text
    assert qr_client.get(f"/f/{token}/poster?size=a3").status_code == 422


def test_poster_warns_while_the_codes_point_to_this_machine(
    qr_client: TestClient, settings: Settings, counter: Counter
) -> None:
    poster = qr_client.get(f"/f/{links.counter_token(settings, counter)}/poster")
    assert poster.status_code == 200
    assert poster.headers["x-sipas-warning"] == (
        "SIPAS_PUBLIC_BASE_URL is not set: the QR codes and short codes point to http://127.0.0.1:8000, which only "
        "this machine can open. Set SIPAS_PUBLIC_BASE_URL to the address citizens reach (e.g. "
        "https://gopy.example.gov.vn) before printing."
    )
    assert '<div class="warning" role="alert">' in poster.text
    assert (
        "<p>Mã QR và mã quầy trỏ tới <code>http://127.0.0.1:8000</code>, địa chỉ chỉ mở được trên chính máy này. "
        "Hãy đặt <code>SIPAS_PUBLIC_BASE_URL</code> là địa chỉ người dân truy cập được, rồi tạo lại áp phích.</p>"
    ) in poster.text
    assert "@media print { .warning { display: none; } }" in poster.text  # on screen, never on the printed sheet


def test_poster_with_a_public_address_has_no_warning(
    session: Session, settings: Settings, counter: Counter, tmp_path: Path
) -> None:
    public = settings.model_copy(update={"public_base_url": PUBLIC_BASE_URL})
    app = create_app(public)
    with TestClient(app) as client:
        poster = client.get(f"/f/{links.counter_token(public, counter)}/poster")
    app.state.engine.dispose()
    assert poster.status_code == 200
    assert "x-sipas-warning" not in poster.headers
    assert 'class="warning"' not in poster.text
    assert f'<p class="url">{PUBLIC_BASE_URL}/q/{counter.short_code}</p>' in poster.text


@pytest.mark.parametrize(
    ("public_base_url", "host", "expected"),
    [
        (None, "127.0.0.1", (True, True)),
        (None, "0.0.0.0", (True, True)),
        (None, "10.0.0.5", (True, False)),
        ("http://localhost:8000", "127.0.0.1", (False, True)),
        ("http://app.localhost", "127.0.0.1", (False, True)),
        ("http://127.0.1.1:8000/", "127.0.0.1", (False, True)),
        ("http://[::1]:8000", "127.0.0.1", (False, True)),
        ("http://[::ffff:127.0.0.1]:8000", "127.0.0.1", (False, True)),
        ("https://gopy.minhan.gov.vn", "127.0.0.1", None),
        ("http://192.168.1.20:8000", "127.0.0.1", None),
    ],
)
def test_which_public_addresses_are_warned_about(
    public_base_url: str | None, host: str, expected: tuple[bool, bool] | None
) -> None:
    warning = links.public_address_warning(Settings(public_base_url=public_base_url, host=host))
    assert (None if warning is None else (warning.unset, warning.loopback)) == expected


def test_a_counter_without_a_code_gets_one_with_its_first_poster(
    qr_client: TestClient, settings: Settings, session: Session, counter: Counter
) -> None:
    # As a bulk load by COPY leaves it.
    session.execute(update(Counter).where(Counter.id == counter.id).values(short_code=None))
    session.commit()
    first = qr_client.get(f"/f/{links.counter_token(settings, counter)}/poster")
    session.refresh(counter)
    code = counter.short_code
    assert code is not None and re.fullmatch("[0-9A-HJKMNP-TV-Z]{6}", code)
    assert f'<p class="url">http://127.0.0.1:8000/q/{code}</p>' in first.text
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "counter.short_code")).all()
    assert (event.actor, event.details) == (
        "web",
        {"agency": "MA-TTPVHCC", "counter": "Q01", "short_code": [None, code]},
    )
    second = qr_client.get(f"/f/{links.counter_token(settings, counter)}/poster")
    assert f'<p class="url">http://127.0.0.1:8000/q/{code}</p>' in second.text  # the same code, not another
    assert len(session.scalars(select(AuditEvent).where(AuditEvent.action == "counter.short_code")).all()) == 1


def _tampered(token: str) -> str:
    # Change a character inside the signature (the last one carries padding bits that decoding may ignore).
    position = len(token) - 5
    return token[:position] + ("A" if token[position] != "A" else "B") + token[position + 1 :]


@pytest.mark.parametrize("suffix", ["qr.png", "qr.svg", "poster"])
def test_bad_or_revoked_links_get_the_friendly_404(
    qr_client: TestClient, settings: Settings, session: Session, counter: Counter, suffix: str
) -> None:
    token = links.counter_token(settings, counter)
    tampered = qr_client.get(f"/f/{_tampered(token)}/{suffix}")
    assert tampered.status_code == 404
    assert "Không tìm thấy phiếu đánh giá" in tampered.text
    links.revoke_counter_links(session, counter)
    session.commit()
    revoked = qr_client.get(f"/f/{token}/{suffix}")
    assert revoked.status_code == 404
    assert "Không tìm thấy phiếu đánh giá" in revoked.text


def test_dossier_links_have_codes_but_no_poster(
    qr_client: TestClient, settings: Settings, session: Session, counter: Counter, tmp_path: Path
) -> None:
    _link, token = links.mint_dossier_link(
        session,
        settings,
        registry(session, settings),
        agency=counter.agency,
        counter=counter,
        dossier_code="H26-0001",
        actor="test",
    )
    session.commit()
    image = qr_client.get(f"/f/{token}/qr.png")
    assert image.status_code == 200
    assert decode(image.content, tmp_path) == [f"http://127.0.0.1:8000/f/{token}"]
    poster = qr_client.get(f"/f/{token}/poster")
    assert poster.status_code == 404
    assert poster.json() == {"error": {"code": "not_found", "message": "only a counter's standing link has a poster"}}


# --- posters and files ------------------------------------------------------------------------------------


def _posters_file(session: Session, settings: Settings, agency: Agency, size: posters.PaperSize, out: Path) -> str:
    """The posters file ``sipas qr`` writes for an agency subtree."""
    posters.write_qr_files(session, settings, agency, out, size=size)
    return (out / f"posters-{size}.html").read_text(encoding="utf-8")


def test_posters_cover_the_active_counters_of_the_subtree_in_order(
    session: Session, settings: Settings, tree: Tree, tmp_path: Path
) -> None:
    html = _posters_file(session, settings, agency_in(tree, "MA"), "a4", tmp_path)
    keys = ("MA-TTPVHCC/Q01", "MA-TTPVHCC/Q02", "MA-X01/Q01")
    urls = [links.short_url(settings, counter_in(tree, key).short_code or "") for key in keys]
    positions = [html.index(f'<p class="url">{url}</p>') for url in urls]
    assert positions == sorted(positions)
    # Each sheet names the province above its own agency.
    assert html.count('<span class="parents">Tỉnh Minh An ›</span>') == 3
    assert '<h1 class="agency"><span class="parents">Tỉnh Minh An ›</span> Xã An Bình</h1>' in html
    assert html.count('<section class="poster">') == 3
    assert html.count("<svg ") == 3
    assert "Quầy cũ" not in html
    assert "<title>Mã QR đánh giá — Tỉnh Minh An</title>" in html


def test_names_are_escaped(session: Session, settings: Settings, tree: Tree, tmp_path: Path) -> None:
    counter = counter_in(tree, "MA-X01/Q01")
    counter.name_vi = "Quầy <b>1</b> & 2"
    session.commit()
    html = _posters_file(session, settings, agency_in(tree, "MA-X01"), "a5", tmp_path)
    assert "Quầy &lt;b&gt;1&lt;/b&gt; &amp; 2" in html


def test_an_agency_without_counters_has_nothing_to_print(
    session: Session, settings: Settings, tree: Tree, tmp_path: Path
) -> None:
    with pytest.raises(Invalid) as raised:
        _posters_file(session, settings, agency_in(tree, "MA-STP"), "a4", tmp_path)
    assert raised.value.message == "agency 'MA-STP' and the agencies below it have no active counters: nothing to print"


def test_codes_that_are_not_file_names_are_refused_before_writing(
    session: Session, settings: Settings, tree: Tree, tmp_path: Path
) -> None:
    create_counter(session, agency=agency_in(tree, "MA-X01"), code="../Q02", name_vi="Quầy 2")
    session.commit()
    out = tmp_path / "out"
    with pytest.raises(Invalid) as raised:
        posters.write_qr_files(session, settings, agency_in(tree, "MA"), out, size="a4")
    assert raised.value.message == (
        "counter '../Q02' of agency 'MA-X01': the code '../Q02' cannot be used in a file name "
        "(letters, digits, '.', '-' and '_' only)"
    )
    assert not out.exists()


def test_two_counters_with_the_same_file_name_are_refused(
    session: Session, settings: Settings, tree: Tree, tmp_path: Path
) -> None:
    # "MA-X01" + "_" + "A_Q01" and "MA-X01_A" + "_" + "Q01" are both MA-X01_A_Q01.
    commune = agency_in(tree, "MA-X01")
    create_counter(session, agency=commune, code="A_Q01", name_vi="Quầy A1")
    hamlet = create_agency(session, code="MA-X01_A", name_vi="Thôn A", level=AgencyLevel.other, parent=commune)
    create_counter(session, agency=hamlet, code="Q01", name_vi="Quầy thôn A")
    session.commit()
    out = tmp_path / "out"
    with pytest.raises(Invalid) as raised:
        posters.write_qr_files(session, settings, commune, out, size="a4")
    assert raised.value.message == "two counters would both be written to MA-X01_A_Q01.png; rename one of them"
    assert not out.exists()


# --- sipas qr ---------------------------------------------------------------------------------------------


@pytest.fixture
def run(settings: Settings) -> Callable[..., Result]:
    return sipas_cli(settings, SIPAS_PUBLIC_BASE_URL=PUBLIC_BASE_URL)


def test_sipas_qr_writes_codes_and_posters_for_the_subtree(run, settings: Settings, tree: Tree, tmp_path: Path) -> None:
    out = tmp_path / "posters"
    result = run("qr", "--agency", "MA", "--out", str(out), "--size", "a5")
    assert result.exit_code == 0, result.output
    names = [
        "MA-TTPVHCC_Q01.png",
        "MA-TTPVHCC_Q01.svg",
        "MA-TTPVHCC_Q02.png",
        "MA-TTPVHCC_Q02.svg",
        "MA-X01_Q01.png",
        "MA-X01_Q01.svg",
        "posters-a5.html",
    ]
    assert result.output.splitlines() == [
        *(str(out / name) for name in names),
        f"3 counter(s) of MA and the agencies below it: 7 files in {out}",
    ]
    assert sorted(path.name for path in out.iterdir()) == names
    html = (out / "posters-a5.html").read_text(encoding="utf-8")
    assert "@page { size: A5 portrait; margin: 10mm; }" in html
    for key in ("MA-TTPVHCC/Q01", "MA-TTPVHCC/Q02", "MA-X01/Q01"):
        counter = counter_in(tree, key)
        url = f"{PUBLIC_BASE_URL}/f/{links.counter_token(settings, counter)}"
        stem = f"{counter.agency.code}_{counter.code}"
        assert decode(out / f"{stem}.png", tmp_path) == [url]
        assert ElementTree.parse(out / f"{stem}.svg").getroot().get("viewBox") == "0 0 45 45"
        assert f'<p class="url">{PUBLIC_BASE_URL}/q/{counter.short_code}</p>' in html
    assert result.stderr == ""  # a public address: nothing to warn about
    assert 'class="warning"' not in html


def test_sipas_qr_on_a_child_agency_and_the_default_size(run, tree: Tree, tmp_path: Path) -> None:
    out = tmp_path / "x01"
    result = run("qr", "--agency", "MA-X01", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert sorted(path.name for path in out.iterdir()) == ["MA-X01_Q01.png", "MA-X01_Q01.svg", "posters-a4.html"]
    assert result.output.splitlines()[-1] == f"1 counter(s) of MA-X01 and the agencies below it: 3 files in {out}"


def test_sipas_qr_warns_when_the_public_address_is_not_set(run, tree: Tree, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("qr", "--agency", "MA-X01", "--out", str(out), SIPAS_PUBLIC_BASE_URL="")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        "!" * 78,
        "WARNING: SIPAS_PUBLIC_BASE_URL is not set.",
        "The QR codes and short codes point to http://127.0.0.1:8000,",
        "which only this machine can open: citizens' phones cannot open them.",
        "Set SIPAS_PUBLIC_BASE_URL to the address citizens reach",
        "(e.g. https://gopy.example.gov.vn) and run `sipas qr` again before printing.",
        "!" * 78,
        "WARNING: these codes point to http://127.0.0.1:8000; see above.",
    ]
    assert result.stdout.splitlines()[-1] == f"1 counter(s) of MA-X01 and the agencies below it: 3 files in {out}"
    assert "Mã QR và mã quầy trỏ tới <code>http://127.0.0.1:8000</code>" in (out / "posters-a4.html").read_text()


def test_sipas_qr_warns_about_a_loopback_public_address(run, tree: Tree, tmp_path: Path) -> None:
    result = run("qr", "--agency", "MA-X01", "--out", str(tmp_path), SIPAS_PUBLIC_BASE_URL="http://localhost:8000")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[1:4] == [
        "WARNING: SIPAS_PUBLIC_BASE_URL is a loopback address.",
        "The QR codes and short codes point to http://localhost:8000,",
        "which only this machine can open: citizens' phones cannot open them.",
    ]


def test_sipas_qr_into_a_file_says_so(run, tree: Tree, tmp_path: Path) -> None:
    out = tmp_path / "taken"
    out.write_text("not a folder", encoding="utf-8")
    result = run("qr", "--agency", "MA-X01", "--out", str(out))
    assert (result.exit_code, result.output.strip()) == (2, f"error: {out}: cannot write there (File exists)")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--agency", "NOPE"], "error: unknown agency 'NOPE'"),
        (
            ["--agency", "MA-STP"],
            "error: agency 'MA-STP' and the agencies below it have no active counters: nothing to print",
        ),
        (["--agency", "MA", "--form", "nope"], "error: unknown form 'nope'"),
    ],
)
def test_sipas_qr_errors_write_nothing(run, tree: Tree, tmp_path: Path, args: list[str], message: str) -> None:
    out = tmp_path / "out"
    result = run("qr", *args, "--out", str(out))
    assert (result.exit_code, result.output.strip()) == (2, message)
    assert not out.exists()
