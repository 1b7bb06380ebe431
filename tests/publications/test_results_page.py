"""``/ket-qua``, the public results page, on the demo province: it shows only the publications made public, finds an
agency by name with or without diacritics, prints "chưa đủ dữ liệu" where the reliability rule suppresses a figure,
has no script and weighs little, passes axe at phone and desk widths, gives the same rows as CSV, JSON and Parquet,
and does not move when answers arrive or a count is edited after the publication."""

from __future__ import annotations

import io
import re
from collections import OrderedDict
from datetime import UTC, date, datetime
from typing import Any

import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser
from sqlalchemy import func, select, update

from app.config import Settings
from app.db import make_engine, make_session_factory
from app.demo import DEMO_USERNAME, PROVINCE_CODE
from app.directory.models import Agency, Counter
from app.publications import report, router_public
from app.publications.open_data import COLUMNS
from app.ratelimit import RateLimiter
from app.reference.models import PopulationCount
from app.responses.models import Channel, Response
from tests.conftest import BACKENDS
from tests.factories import ITEMS, Known, World, add_rows
from tests.publications.conftest import command
from tests.support.browser import artifact, axe_violations

QUARTER = ("--from", "2026-07-01", "--to", "2026-09-30")
DEPARTMENT = f"{PROVINCE_CODE}-STP"  # Sở Tư pháp
PRIVATE = f"{PROVINCE_CODE}-SXD"  # Sở Xây dựng: published, not public


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def publish(settings: Settings, *args: str) -> int:
    result = command(settings)("publish", "--by", DEMO_USERNAME, *QUARTER, *args)
    assert result.exit_code == 0, result.output
    found = re.match(r"published: (\d+)\t", result.output)
    assert found, result.output
    return int(found.group(1))


def links(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'href="/ket-qua/(\d+)\?lang=vi"', html)]


def later_answers_and_an_edited_count(settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            department = session.scalar(select(Agency).where(Agency.code == DEPARTMENT))
            assert department is not None
            counter = session.scalar(select(Counter).where(Counter.agency_id == department.id, Counter.code == "Q01"))
            assert counter is not None
            world = World(department, {DEPARTMENT: department}, {(DEPARTMENT, "Q01"): counter})
            before = session.scalar(select(func.max(Response.id)))
            late = [Known(DEPARTMENT, "Q01", date(2026, 8, 10), Channel.kiosk, dict.fromkeys(ITEMS, 1))] * 4
            add_rows(session, settings, world, late)
            session.execute(update(Response).where(Response.id > before).values(received_at=datetime.now(UTC)))
            session.execute(
                update(PopulationCount)
                .where(PopulationCount.agency_id == department.id, PopulationCount.period_start == date(2026, 8, 1))
                .values(dossiers_handled=PopulationCount.dossiers_handled * 3)
            )
            session.commit()
    finally:
        engine.dispose()


def test_public_results_list_search_suppression_downloads_and_immutability(
    client: TestClient, settings: Settings
) -> None:
    province = publish(settings, "--public")
    department = publish(settings, "--agency", DEPARTMENT, "--public")
    private = publish(settings, "--agency", PRIVATE)

    page = client.get("/ket-qua")
    assert page.status_code == 200
    assert sorted(links(page.text)) == sorted([province, department])
    assert "<script" not in page.text and len(page.content) < 100_000
    assert re.search(r"style-src 'self' 'sha256-[A-Za-z0-9+/=]+'", page.headers["content-security-policy"])
    assert "2 trên 2 cơ quan" in page.text

    for typed in ("Sở Tư pháp", "so tu phap", "SỞ TƯ PHÁP", "So Tu Phap", f"{DEPARTMENT}".lower()):
        found = client.get("/ket-qua", params={"q": typed})
        assert links(found.text) == [department], typed
    assert links(client.get("/ket-qua", params={"q": "tinh minh an"}).text) == [province]
    nothing = client.get("/ket-qua", params={"q": "Đà Lạt"})
    assert links(nothing.text) == [] and "Không có cơ quan nào khớp với “Đà Lạt”." in nothing.text
    assert client.get("/ket-qua", params={"q": "x" * 101}).status_code == 422

    detail = client.get(f"/ket-qua/{province}")
    assert detail.status_code == 200 and "<script" not in detail.text and len(detail.content) < 100_000
    json_rows = client.get(f"/ket-qua/{province}/figures.json").json()
    units = [row for row in json_rows["rows"] if row["scope"] == "unit" and row["indicator"] == "sipas"]
    weak = [row for row in units if row["unreliable"]]
    assert [row["agency_name"] for row in weak] == ["Xã Quảng Tiến", "Xã Thanh Xuân"]
    for row in weak:  # the page prints "chưa đủ dữ liệu" in the unit's row, and no percentage at all
        [line] = re.findall(rf"<tr><td>{row['agency_name']}</td>.*?</tr>", detail.text)
        assert "chưa đủ dữ liệu" in line and "%" not in line
        assert row["estimate_pct"] is None and row["ci_low_pct"] is None and row["n"] > 0
    assert all(row["estimate_pct"] is not None for row in units if not row["unreliable"])
    assert "Chỉ số SIPAS" in detail.text and "CC BY 4.0" in detail.text

    parquet = client.get(f"/ket-qua/{province}/figures.parquet")
    assert parquet.status_code == 200
    table = pq.read_table(io.BytesIO(parquet.content))
    assert table.column_names == [name for name, _kind in COLUMNS]
    assert table.to_pylist() == json_rows["rows"]
    assert table.schema.metadata[b"licence"].startswith(b"CC BY 4.0")
    csv_lines = client.get(f"/ket-qua/{province}/figures.csv").content.decode("utf-8-sig").splitlines()
    assert csv_lines[0] == ",".join(name for name, _kind in COLUMNS)
    assert len(csv_lines) == 1 + len(json_rows["rows"])
    assert "published_by" not in csv_lines[0] and DEMO_USERNAME not in client.get(f"/ket-qua/{province}").text

    for path in (f"/ket-qua/{private}", f"/ket-qua/{private}/figures.csv", f"/ket-qua/{private}/report.pdf"):
        assert client.get(path).status_code == 404, path
    assert client.get(f"/ket-qua/{province}/figures.xlsx").status_code == 404
    assert client.get("/ket-qua/99999999999").status_code == 422

    listed, shown = page.text, detail.text
    later_answers_and_an_edited_count(settings)
    assert client.get("/ket-qua").text == listed
    assert client.get(f"/ket-qua/{province}").text == shown
    assert client.get(f"/ket-qua/{province}/figures.json").json() == json_rows


@pytest.mark.parametrize("backend", ["sqlite"])  # what axe reads and how it lays out does not depend on the database
def test_public_results_pass_axe_and_fit_phone_and_desk(browser: Browser, live_url: str, settings: Settings) -> None:
    province = publish(settings, "--public")
    publish(settings, "--agency", DEPARTMENT, "--public")
    for width in (360, 390, 1440):
        page = browser.new_page(viewport={"width": width, "height": 800})
        for name, path in (
            ("list", "/ket-qua"),
            ("one", f"/ket-qua/{province}"),
            ("en", f"/ket-qua/{province}?lang=en"),
        ):
            page.goto(live_url + path)
            assert axe_violations(page) == [], (name, width)
            overflow: Any = page.evaluate("document.documentElement.scrollWidth")
            assert overflow <= width, (name, width, overflow)
            page.screenshot(path=str(artifact(f"results-{name}-{width}.png")), full_page=True)
        page.close()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_public_reports_are_kept_and_new_ones_limited(
    client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    province = publish(settings, "--public")
    monkeypatch.setattr(report, "_KEPT", OrderedDict())
    monkeypatch.setattr(router_public, "_RENDERS", RateLimiter(1, 60))  # one new report a minute, for the test
    first = client.get(f"/ket-qua/{province}/report.pdf")
    assert first.status_code == 200 and first.content.startswith(b"%PDF")
    kept = client.get(f"/ket-qua/{province}/report.pdf")  # the same report again: kept, not typeset
    assert kept.status_code == 200 and kept.content == first.content
    refused = client.get(f"/ket-qua/{province}/report.pdf", params={"lang": "en"})  # a new one: over the budget
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert refused.json()["error"]["message"] == "too many printed reports asked for; retry in a minute"
