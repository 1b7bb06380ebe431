"""``/dashboard/publications``: an administrator publishes from the dashboard (the form keeps what was typed and says
what is wrong), every official reads the list of their scope, and the page passes axe at phone and desk widths."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser
from sqlalchemy import select

from app.config import Settings
from app.db import make_engine, make_session_factory
from app.demo import DEMO_PASSWORD, DEMO_USERNAME, PROVINCE_CODE
from app.directory.models import Agency, Role
from app.officials.service import create_official
from app.publications.models import Publication
from tests.factories import PASSWORD, dashboard_login
from tests.publications.conftest import command
from tests.support.browser import artifact, axe_violations

PAGE = "/dashboard/publications"


@pytest.fixture(params=["sqlite"])  # a page over the service tested on both databases (test_publications_api.py)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def stored(settings: Settings) -> list[tuple[int, str | None, bool]]:
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            rows = session.execute(select(Publication.id, Publication.superseded_reason, Publication.public)).all()
            return [(row[0], row[1], row[2]) for row in rows]
    finally:
        engine.dispose()


def csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert found, html[:500]
    return found.group(1)


def test_an_administrator_publishes_from_the_dashboard_and_an_official_reads(
    client: TestClient, settings: Settings
) -> None:
    assert dashboard_login(client, DEMO_USERNAME, DEMO_PASSWORD).status_code == 303
    page = client.get(PAGE)
    assert page.status_code == 200
    assert "Chưa có kỳ công bố nào." in page.text and 'data-testid="publish-form"' in page.text
    token = csrf(page.text)

    assert client.post(PAGE, data={"from": "2026-07-01", "to": "2026-09-30"}).status_code == 403  # no token
    wrong = client.post(PAGE, data={"csrf_token": token, "from": "2026-09-30", "to": "2026-07-01", "reason": "x"})
    assert wrong.status_code == 422
    assert "Chưa công bố được: to: 2026-07-01 is before from: 2026-09-30" in wrong.text
    assert 'value="2026-09-30"' in wrong.text  # what was typed stays
    bad_day = client.post(PAGE, data={"csrf_token": token, "from": "2026-02-30", "to": "2026-09-30"})
    assert bad_day.status_code == 422 and "from: &#39;2026-02-30&#39; is not a date" in bad_day.text
    empty = client.post(PAGE, data={"csrf_token": token, "from": "2020-01-01", "to": "2020-03-31"})
    assert empty.status_code == 422 and "nothing to publish" in empty.text
    assert stored(settings) == []

    done = client.post(
        PAGE,
        data={"csrf_token": token, "agency": PROVINCE_CODE, "from": "2026-07-01", "to": "2026-09-30", "public": "1"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    [(first, _reason, public)] = stored(settings)
    assert done.headers["location"] == f"{PAGE}?done={first}" and public is True
    listed = client.get(done.headers["location"])
    assert f"Đã công bố kỳ số {first}." in listed.text
    assert f'href="/api/v1/publications/{first}/report.pdf?lang=vi"' in listed.text
    assert f'href="/ket-qua/{first}?lang=vi"' in listed.text

    again = client.post(
        PAGE,
        data={
            "csrf_token": token,
            "from": "2026-07-01",
            "to": "2026-09-30",
            "supersedes": str(first),
            "reason": "CV 45",
        },
        follow_redirects=False,
    )
    assert again.status_code == 303
    assert stored(settings) == [(first, "CV 45", True), (first + 1, None, False)]
    twice = client.post(
        PAGE,
        data={"csrf_token": token, "from": "2026-07-01", "to": "2026-09-30", "supersedes": str(first), "reason": "x"},
    )
    assert twice.status_code == 409 and f"publication {first} is already superseded by {first + 1}" in twice.text

    ordered = client.post(
        f"{PAGE}/schedules", data={"csrf_token": token, "every": "month", "agency": "MA-STP"}, follow_redirects=False
    )
    assert ordered.status_code == 303 and ordered.headers["location"] == f"{PAGE}?scheduled=1"
    due = command(settings)("publish", "--due", "--today", "2026-10-05")
    drafted = re.search(r"drafted (\d+)", due.output)
    assert drafted, due.output
    draft = int(drafted.group(1))
    shown = client.get(PAGE).text
    assert f'data-testid="publish-draft-{draft}"' in shown and "bản nháp" in shown
    released = client.post(f"{PAGE}/{draft}/publish", data={"csrf_token": token}, follow_redirects=False)
    assert released.status_code == 303 and released.headers["location"] == f"{PAGE}?done={draft}"
    assert client.post(f"{PAGE}/{draft}/publish", data={"csrf_token": token}).status_code == 409
    assert len(stored(settings)) == 3

    engine = make_engine(settings.database_url)  # an agency official of the province: reads, cannot publish
    try:
        with make_session_factory(engine)() as session:
            province = session.scalar(select(Agency).where(Agency.code == PROVINCE_CODE))
            create_official(
                session, username="ma-reader", password=PASSWORD, role=Role.agency_official, agency=province
            )
            session.commit()
    finally:
        engine.dispose()
    reader = TestClient(client.app)
    assert dashboard_login(reader, "ma-reader").status_code == 303
    read = reader.get(PAGE)
    assert read.status_code == 200 and f'data-id="{first + 1}"' in read.text and "publish-form" not in read.text
    refused = reader.post(PAGE, data={"csrf_token": csrf(read.text), "from": "2026-07-01", "to": "2026-09-30"})
    assert refused.status_code == 403
    assert len(stored(settings)) == 3


def test_the_publications_page_passes_axe_on_phone_and_desk(browser: Browser, live_url: str) -> None:
    for width in (360, 390, 1440):
        page = browser.new_page(viewport={"width": width, "height": 800})
        page.goto(f"{live_url}/dashboard/login")
        page.fill("input[name=username]", DEMO_USERNAME)
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/dashboard")
        page.goto(f"{live_url}{PAGE}")
        if width == 1440:
            page.fill("#pb-from", "2026-07-01")
            page.fill("#pb-to", "2026-09-30")
            page.check("#pb-public")
            page.click("form[data-testid=publish-form] button[type=submit]")
            page.wait_for_url("**done=**")
        assert axe_violations(page) == [], width
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(artifact(f"dashboard-publications-{width}.png")), full_page=True)
        page.close()
