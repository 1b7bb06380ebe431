"""The officials' dashboard in the browser: login and logout (CSRF), redirects, what each official may see (an
agency outside the scope is a 404 like an unknown one, and its name appears nowhere), figures formatted per
language, unreliable estimates marked, charts with their parts; plus format.py and charts.py on their own."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.config import Settings
from app.dashboard import charts, format, trend_chart
from app.dashboard.views import last_full_months, read_filters, sort_key
from app.db import utcnow
from app.directory.models import Agency, AgencyLevel, Counter, Official, Role
from app.directory.service import create_agency, create_counter, create_device
from app.officials.service import create_official
from app.reference.models import PopulationCount, Target
from app.responses.ingest import Origin, Submission, prepare, store
from app.responses.models import Channel
from app.stats.estimates import Estimate
from tests.factories import ITEMS, dashboard_login, login_form_token, registry

PASSWORD = "correct horse battery"
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
SECRET_NAME = "Xã Kim Lan"  # commune B: an official of commune A must never see it


@dataclass
class World:
    province: Agency  # HN
    commune_a: Agency  # HN-X01 "Xã Bát Tràng": 173 of 200 satisfied on every item → 86,50%
    commune_b: Agency  # HN-X02 "Xã Kim Lan": 30 of 40 → 75,00%
    commune_c: Agency  # HN-X03 "Xã Vân Hà": 3 answers → unreliable
    counters: dict[str, Counter]


def _responses(
    settings: Settings,
    session: Session,
    agency: Agency,
    counters: list[Counter],
    satisfied: int,
    total: int,
    months_back: int = 1,
) -> None:
    """``total`` counter-quick answers spread over the weeks of last month (``months_back`` 2: the month before):
    ``satisfied`` of them 5 on every item, the others 2, so every item, element and index is exactly
    satisfied/total (unweighted)."""
    form = registry(session, settings)[("counter-quick", 1)]
    start, _end = last_full_months(datetime.now(ZONE).date(), months_back)
    prepared = []
    for i in range(total):
        level = 5 if i < satisfied else 2
        moment = datetime(start.year, start.month, 1 + (i * 7) % 28, 9, 30, tzinfo=ZONE)
        counter = counters[i % len(counters)]
        answers: dict[str, object] = dict.fromkeys(ITEMS, level)
        if level == 2:
            answers["reason"] = ["waiting_time"]  # asked after a low overall rating
        submission = Submission(uuid.uuid4(), "counter-quick", 1, moment, answers)
        origin = Origin(Channel.web_qr, agency.id, counter_id=counter.id)
        prepared.append(prepare(settings, form, submission, origin, now=utcnow()))
    store(session, prepared)


@pytest.fixture
def world(session: Session, settings: Settings) -> World:
    province = create_agency(
        session, code="HN", name_vi="Thành phố Hà Nội", name_en="Hanoi", level=AgencyLevel.province
    )
    communes = [
        create_agency(session, code=code, name_vi=name, name_en=english, level=AgencyLevel.commune, parent=province)
        for code, name, english in (
            ("HN-X01", "Xã Bát Tràng", "Bat Trang Commune"),
            ("HN-X02", SECRET_NAME, "Kim Lan Commune"),
            ("HN-X03", "Xã Vân Hà", None),
        )
    ]
    counters = {
        f"{agency.code}/{code}": create_counter(
            session, agency=agency, code=code, name_vi=f"Quầy số {code[-1]}", name_en=f"Counter {code[-1]}"
        )
        for agency in communes
        for code in ("Q01", "Q02")
    }
    session.flush()
    create_device(session, agency=communes[0], counter=counters["HN-X01/Q01"], label="Máy quầy 1 Bát Tràng")
    create_device(session, agency=communes[1], counter=counters["HN-X02/Q01"], label="Máy quầy 1 Kim Lan")
    session.commit()
    a, b, c = communes
    _responses(settings, session, a, [counters["HN-X01/Q01"], counters["HN-X01/Q02"]], 173, 200)
    _responses(settings, session, b, [counters["HN-X02/Q01"], counters["HN-X02/Q02"]], 30, 40)
    _responses(settings, session, c, [counters["HN-X03/Q01"]], 2, 3)
    return World(province, a, b, c, counters)


def _official(session: Session, username: str, role: Role, agency: Agency | None) -> Official:
    official = create_official(session, username=username, password=PASSWORD, role=role, agency=agency)
    session.commit()
    return official


def _login(client: TestClient, username: str) -> None:
    response = dashboard_login(client, username, PASSWORD)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/dashboard"


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert found is not None
    return found.group(1)


def _row_keys(html: str, table_id: str) -> list[str]:
    table = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<tr data-key="([^"]+)"', table)


# --- login, logout, redirects ---------------------------------------------------------------------------------


def test_pages_send_visitors_without_a_session_to_the_login_page(client: TestClient, world: World) -> None:
    for path in ("/dashboard", "/dashboard/agencies/HN-X01?lang=en", "/dashboard/counters", "/dashboard/devices"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/dashboard/login?next=%2Fdashboard")
    client.cookies.set("sipas_session", "not-a-session")
    response = client.get("/dashboard/agencies/HN-X01?lang=en", follow_redirects=False)
    assert response.headers["location"] == "/dashboard/login?next=%2Fdashboard%2Fagencies%2FHN-X01%3Flang%3Den"
    page = client.get(response.headers["location"])
    assert page.status_code == 200
    assert 'name="next" value="/dashboard/agencies/HN-X01?lang=en"' in page.text
    assert "Please log in to see this page." in page.text  # the language asked for was remembered


def test_login_wrong_password_lockout_and_success(client: TestClient, session: Session, world: World) -> None:
    _official(session, "an.nguyen", Role.province_admin, world.province)
    form = client.get("/dashboard/login")
    assert form.status_code == 200
    assert 'autocomplete="current-password"' in form.text and '<label for="username">Tên đăng nhập</label>' in form.text
    wrong = dashboard_login(client, "an.nguyen", "wrong password!")
    assert wrong.status_code == 401
    assert "Sai tên đăng nhập hoặc mật khẩu." in wrong.text and 'value="an.nguyen"' in wrong.text
    client.get("/dashboard/login?lang=en")
    unknown = dashboard_login(client, "nobody", PASSWORD)
    assert unknown.status_code == 401 and "Wrong username or password." in unknown.text
    empty = dashboard_login(client, "", "")
    assert empty.status_code == 422
    # An outside address in "next" is ignored: only pages of the dashboard.
    response = dashboard_login(client, "an.nguyen", PASSWORD, next="https://evil.example/")
    assert response.status_code == 303 and response.headers["location"] == "/dashboard"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("sipas_session=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    # Logged in, the login page goes straight on.
    assert client.get("/dashboard/login", follow_redirects=False).headers["location"] == "/dashboard"
    client.cookies.clear()
    for _ in range(5):
        assert dashboard_login(client, "an.nguyen", "wrong password!").status_code == 401
    locked = dashboard_login(client, "an.nguyen", PASSWORD)
    assert locked.status_code == 429
    assert "Quá nhiều lần đăng nhập sai từ mạng của Ông/Bà" in locked.text
    assert locked.headers["Retry-After"] in {"60", "61"}


def test_login_needs_the_forms_anti_forgery_token(client: TestClient, session: Session, world: World) -> None:
    """Login CSRF: a page elsewhere must not log the browser into an account of its choosing. The form carries an
    HMAC of the nonce in a pre-session cookie; without both, nothing is checked and no session opens."""
    _official(session, "an.nguyen", Role.province_admin, world.province)
    form = client.get("/dashboard/login")
    cookie = form.headers["set-cookie"]
    assert cookie.startswith("sipas_login_csrf=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Path=/dashboard/login" in cookie
    token = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', form.text)
    assert token is not None
    nonce = client.cookies.get("sipas_login_csrf")
    assert nonce and nonce not in form.text  # the page holds the HMAC, never the cookie's nonce
    # The same browser gets the same token on the next visit (two tabs both work).
    assert token.group(0) in client.get("/dashboard/login").text

    before = session.scalar(select(func.count()).select_from(AuditEvent))
    right = {"username": "an.nguyen", "password": PASSWORD}
    foreign = login_form_token(TestClient(client.app))  # valid, but for another browser's cookie
    refused = [
        client.post("/dashboard/login", data=right),  # no token
        client.post("/dashboard/login", data={**right, "csrf_token": "0" * 64}),  # a wrong one
        client.post("/dashboard/login", data={**right, "csrf_token": "ü"}),  # not even hex
        client.post("/dashboard/login", data={**right, "csrf_token": foreign}),  # another browser's
    ]
    client.cookies.delete("sipas_login_csrf")
    refused.append(client.post("/dashboard/login", data={**right, "csrf_token": token.group(1)}))  # no cookie
    for response in refused:
        assert response.status_code == 403
        assert "Phiên làm việc không hợp lệ" in response.text and 'role="alert"' in response.text
        assert "sipas_session" not in response.headers.get("set-cookie", "")
    assert client.cookies.get("sipas_session") is None
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == before  # not even a failed login

    # The re-shown form carries a fresh token for a fresh cookie: it logs in.
    fresh = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', refused[-1].text)
    assert fresh is not None and fresh.group(1) != token.group(1)
    response = client.post("/dashboard/login", data={**right, "csrf_token": fresh.group(1)}, follow_redirects=False)
    assert response.status_code == 303
    assert client.cookies.get("sipas_session")
    assert client.cookies.get("sipas_login_csrf") is None  # spent: the next login gets a new nonce


def test_logout_needs_the_csrf_token(client: TestClient, session: Session, world: World) -> None:
    _official(session, "an.nguyen", Role.province_admin, world.province)
    _login(client, "an.nguyen")
    page = client.get("/dashboard/counters")
    token = _csrf(page.text)
    session_token = client.cookies.get("sipas_session")
    assert session_token
    refused = client.post("/dashboard/logout", data={"csrf_token": "0" * 64})
    assert refused.status_code == 403
    assert "Phiên làm việc không hợp lệ" in refused.text
    assert client.post("/dashboard/logout").status_code == 403
    assert client.get("/dashboard/counters").status_code == 200  # still logged in
    response = client.post("/dashboard/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/login?out=1&lang=vi"
    assert 'sipas_session=""' in response.headers["set-cookie"]
    cookie = client.cookies.get("sipas_session")
    assert cookie is None
    # The closed session no longer opens anything, even if the browser kept the cookie.
    client.cookies.set("sipas_session", session_token)
    assert client.get("/dashboard", follow_redirects=False).status_code == 303


# --- what an official sees -------------------------------------------------------------------------------------


def test_overview_lists_exactly_the_visible_agencies_with_formatted_numbers(
    client: TestClient, session: Session, world: World
) -> None:
    _official(session, "an.nguyen", Role.province_admin, world.province)
    _login(client, "an.nguyen")
    page = client.get("/dashboard")
    assert page.status_code == 200
    html = page.text
    assert page.headers["cache-control"] == "no-store"
    # Sorted by the index, high to low. The city has no responses of its own (the headline pools its communes): no
    # row of zeros under the headline, a sentence saying so instead.
    assert _row_keys(html, "agencies-table") == ["HN-X01", "HN-X02", "HN-X03"]
    assert "Thành phố Hà Nội" in html and 'data-testid="scope-name"' in html
    assert "86,50%" in html and "75,00%" in html and "66,67%" in html
    headline = html.split('data-testid="headline-value">', 1)[1].split("<", 1)[0]
    assert headline == format.pct(205 / 243, "vi") == "84,36%"
    # Commune C's three answers are marked, in the table and in the chart.
    row_c = html.split('<tr data-key="HN-X03"', 1)[1].split("</tr>", 1)[0]
    assert "ít mẫu – chưa tin cậy" in row_c
    assert 'data-key="HN-X03" data-verdict="none"' in html and 'fill="url(#agencies-chart-hatch)"' in html
    assert '<tr data-key="HN"' not in html
    parent = _part(html, '<p class="note" data-testid="parent-without-own" data-key="HN">', "</p>")
    assert parent.startswith(
        "Thành phố Hà Nội không có phiếu của riêng cơ quan mình trong kỳ nên không có dòng trong bảng; chỉ số chung "
        "ở đầu trang gộp phiếu của các cơ quan trực thuộc."
    )
    assert 'href="/dashboard/agencies/HN?from=' in parent and "Xem chi tiết Thành phố Hà Nội →" in parent
    # Exports link to the API with the page's filters.
    start, end = last_full_months(datetime.now(ZONE).date())
    assert f"/api/v1/satisfaction?group_by=agency&amp;from={start}&amp;to={end}&amp;format=xlsx&amp;lang=vi" in html
    assert f'href="/dashboard/agencies/HN?from={start}&amp;to={end}" data-testid="scope-detail"' in html
    # Other sort orders, and English.
    assert _row_keys(client.get("/dashboard?sort=name").text, "agencies-table") == ["HN-X01", "HN-X02", "HN-X03"]
    assert _row_keys(client.get("/dashboard?sort=ascending").text, "agencies-table")[0] == "HN-X03"
    english = client.get("/dashboard?lang=en")
    assert '<html lang="en">' in english.text and "86.50%" in english.text and "Bat Trang Commune" in english.text
    assert "small sample – not reliable" in english.text
    assert f"Period: {start.isoformat()} – {end.isoformat()}" in english.text
    # The choice is remembered.
    assert '<html lang="en">' in client.get("/dashboard/counters").text
    assert '<html lang="vi">' in client.get("/dashboard/counters?lang=vi").text


def test_filters_change_the_selection_and_bad_values_are_reported(
    client: TestClient, session: Session, world: World
) -> None:
    _official(session, "an.nguyen", Role.province_admin, world.province)
    _login(client, "an.nguyen")
    empty = client.get("/dashboard?from=2001-01-01&to=2001-12-31")
    assert empty.status_code == 200 and "Chưa có phiếu trong kỳ này." in empty.text
    assert _row_keys(empty.text, "agencies-table") == ["HN-X01", "HN-X02", "HN-X03"]
    assert 'data-testid="parent-without-own" data-key="HN"' in empty.text
    kiosk_only = client.get("/dashboard?channel=kiosk&from=&to=")
    assert "Toàn bộ số liệu" in kiosk_only.text and "86,50%" not in kiosk_only.text
    wrong = client.get("/dashboard?from=yesterday&form=nope&channel=fax")
    assert wrong.status_code == 200
    assert "Ngày không hợp lệ: yesterday" in wrong.text and "Không có phiếu nope" in wrong.text
    assert "86,50%" in wrong.text  # the default period instead
    backwards = client.get("/dashboard?from=2026-05-01&to=2026-04-01")
    assert backwards.status_code == 200 and "Bộ lọc không hợp lệ" in backwards.text


def test_an_agency_official_sees_only_their_commune(client: TestClient, session: Session, world: World) -> None:
    _official(session, "binh", Role.agency_official, world.commune_a)
    _login(client, "binh")
    overview = client.get("/dashboard")
    assert _row_keys(overview.text, "agencies-table") == ["HN-X01"]
    assert "86,50%" in overview.text
    not_mine = client.get("/dashboard/agencies/HN-X02")
    unknown = client.get("/dashboard/agencies/NO-SUCH")
    assert not_mine.status_code == unknown.status_code == 404
    assert not_mine.text.replace("HN-X02", "NO-SUCH") == unknown.text  # only the language switch repeats the address
    assert client.get("/dashboard/agencies/HN").status_code == 404  # its parent is outside the scope too
    devices = client.get("/dashboard/devices")
    assert devices.status_code == 403 and "quản trị viên" in devices.text
    mine = client.get("/dashboard/agencies/HN-X01")
    assert mine.status_code == 200
    counters = client.get("/dashboard/counters")
    assert _row_keys(counters.text, "counters-list") == ["HN-X01/Q01", "HN-X01/Q02"]
    for page in (overview, not_mine, devices, mine, counters, client.get("/dashboard?lang=en&sort=name")):
        assert SECRET_NAME not in page.text and "Kim Lan" not in page.text
        assert page is not_mine or "HN-X02" not in page.text
    assert 'href="/dashboard/devices"' not in overview.text  # not offered to agency officials


def test_agency_page_shows_elements_items_counters_and_trend(
    client: TestClient, session: Session, world: World
) -> None:
    _official(session, "an.nguyen", Role.province_admin, world.province)
    _login(client, "an.nguyen")
    page = client.get("/dashboard/agencies/HN-X01")
    assert page.status_code == 200
    html = page.text
    assert 'data-testid="agency-name">Xã Bát Tràng' in html
    assert _row_keys(html, "elements-table") == [
        "element:access",
        "element:procedure",
        "element:civil_servant",
        "element:result",
        "element:feedback",
        "service",
    ]
    assert _row_keys(html, "items-table")[0] == "item:overall"
    assert sorted(_row_keys(html, "counters-table")) == ["HN-X01/Q01", "HN-X01/Q02"]
    month = re.findall(r'<tr data-period="([^"]+)"', html)
    start, _end = last_full_months(datetime.now(ZONE).date(), 1)
    assert month == [f"{start:%Y-%m}"]
    assert f'<th scope="row">{start:%m/%Y}</th>' in html
    # Every element is 86,50%: the first in the form's order is the weakest (ties keep the order).
    assert html.count("86,50%") >= 12
    assert "Yếu tố kéo chỉ số xuống nhiều nhất: Tiếp cận dịch vụ (86,50%)." in html
    for chart_id in ("elements-chart", "items-chart", "counters-chart", "trend-chart"):
        assert f'<svg xmlns="http://www.w3.org/2000/svg" id="{chart_id}"' in html
    for name, group in (("elements", "element"), ("items", "item"), ("counters", "agency%2Ccounter")):
        assert f"/api/v1/satisfaction?agency=HN-X01&amp;group_by={group}&amp;from=" in html, name
    assert "/api/v1/trends?agency=HN-X01&amp;from=" in html
    english = client.get("/dashboard/agencies/HN-X01?lang=en")
    assert "Access to services" in english.text and "Counter 1" in english.text
    # The province's page covers its communes.
    province = client.get("/dashboard/agencies/HN?lang=vi")
    assert "Gồm cả 3 cơ quan trực thuộc." in province.text
    assert "Xã Bát Tràng – Quầy số 1" in province.text


def test_counters_and_devices_pages(client: TestClient, session: Session, world: World) -> None:
    _official(session, "an.nguyen", Role.province_admin, world.province)
    _login(client, "an.nguyen")
    counters = client.get("/dashboard/counters")
    assert _row_keys(counters.text, "counters-list") == [
        "HN-X01/Q01",
        "HN-X01/Q02",
        "HN-X02/Q01",
        "HN-X02/Q02",
        "HN-X03/Q01",
        "HN-X03/Q02",
    ]
    # Each row links to its counter's page (which offers the printable poster too) and to its PDF poster.
    assert 'href="/dashboard/counters/HN-X01/Q01/poster.pdf"' in counters.text
    detail = client.get("/dashboard/counters/HN-X01/Q01")
    assert 'href="/api/v1/agencies/HN-X01/counters/Q01/poster"' in detail.text
    devices = client.get("/dashboard/devices")
    assert devices.status_code == 200
    assert "Máy quầy 1 Bát Tràng" in devices.text and "Máy quầy 1 Kim Lan" in devices.text
    assert "chưa bao giờ" in devices.text


def test_static_files_and_unknown_ones(client: TestClient) -> None:
    css = client.get("/dashboard/static/dashboard.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert client.get("/dashboard/static/../pages.py").status_code == 404
    assert client.get("/dashboard/static/nothing.js").status_code == 404


# --- formatting -------------------------------------------------------------------------------------------------


def test_numbers_and_dates_per_language() -> None:
    assert format.pct(0.865, "vi") == "86,50%" and format.pct(0.865, "en") == "86.50%"
    assert (
        format.pct(0.86, "vi", 0) == "86%" and format.pct(None, "vi") == "–" and format.pct(float("nan"), "en") == "–"
    )
    assert format.number(22192, "vi") == "22.192" and format.number(22192, "en") == "22,192"
    assert format.number(1234567.891, "vi", 1) == "1.234.567,9"
    assert format.number(1234567.891, "en", 1) == "1,234,567.9"
    assert format.day(date(2026, 11, 22), "vi") == "22/11/2026" and format.day(date(2026, 11, 22), "en") == "2026-11-22"
    instant = datetime(2026, 11, 22, 2, 5, tzinfo=UTC)
    assert format.moment(instant, "vi", ZONE) == "22/11/2026 09:05"
    assert format.moment(instant, "en", ZONE) == "2026-11-22 09:05"
    assert format.month("2026-10", "vi") == "10/2026" and format.month("2026-10", "en") == "Oct 2026"
    assert format.month("2026-Q4", "vi") == "2026-Q4"
    assert format.points(-0.0123, "vi") == "−1,23 điểm" and format.points(0.05, "en") == "+5.00 pts"


def test_default_period_and_sorting_helpers() -> None:
    assert last_full_months(date(2026, 11, 22)) == (date(2025, 11, 1), date(2026, 10, 31))
    assert last_full_months(date(2026, 1, 5), 1) == (date(2025, 12, 1), date(2025, 12, 31))
    chosen = read_filters({}, {}, date(2026, 11, 22))
    assert (chosen.date_from, chosen.date_to, chosen.errors) == (date(2025, 11, 1), date(2026, 10, 31), ())
    assert read_filters({"from": "", "to": ""}, {}, date(2026, 11, 22)).date_from is None
    names = ["Xã Đông Hưng", "Xã Ấp Bắc", "Xã Dương Minh", "Xã An Lạc"]
    assert sorted(names, key=sort_key) == ["Xã An Lạc", "Xã Ấp Bắc", "Xã Dương Minh", "Xã Đông Hưng"]


# --- charts -----------------------------------------------------------------------------------------------------


def _estimate(
    p: float, low: float, high: float, *, verdict: str | None = None, flags: tuple[str, ...] = ()
) -> Estimate:
    return Estimate(
        metric="sipas",
        kind="overall",
        estimate=p,
        se=0.01,
        low=low,
        high=high,
        n=100,
        n_eff=100.0,
        deff=1.0,
        df=50,
        method="beta",
        level=0.95,
        target=0.86 if verdict else None,
        verdict=verdict,
        flags=flags,
    )  # type: ignore[arg-type]


def test_bar_chart_draws_bars_whiskers_target_and_marks() -> None:
    bars = [
        charts.Bar("A", "Xã A", _estimate(0.9, 0.88, 0.92, verdict="met")),
        charts.Bar("B", "Xã <B> & co", _estimate(0.8, 0.78, 0.82, verdict="not_met"), highlight=True),
        charts.Bar("C", "Xã C", _estimate(0.87, 0.7, 0.97, verdict="inconclusive", flags=("effective_n_below_30",))),
    ]
    svg = str(
        charts.bar_chart(
            "t",
            "Tiêu đề",
            bars,
            lang="vi",
            target_label="Mục tiêu 86,00%",
            unreliable_label="ít mẫu – chưa tin cậy",
        )
    )
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" id="t"') and svg.endswith("</svg>")
    assert svg.count("<svg ") == 2 and '<svg xmlns="http://www.w3.org/2000/svg" id="t-narrow"' in svg
    svg = svg.split("</svg>", 1)[0]  # the wide layout; tests/dashboard/test_charts.py checks both
    assert 'role="img" aria-labelledby="t-title t-desc"' in svg and '<title id="t-title">Tiêu đề</title>' in svg
    assert svg.count('<rect class="bar-fill"') == 3 and svg.count('<path class="whisker"') == 3
    assert svg.count('stroke-dasharray="6 4"') == 1  # the target line
    assert 'class="bar verdict-met" data-key="A"' in svg
    assert 'class="bar verdict-not_met weakest" data-key="B"' in svg and "Xã &lt;B&gt; &amp; co" in svg
    assert 'class="bar verdict-inconclusive unreliable" data-key="C"' in svg
    assert '<pattern id="t-hatch"' in svg and 'fill="url(#t-hatch)"' in svg
    assert "90,00% ✓" in svg and "80,00% ✗" in svg and "87,00% ⚠" in svg
    assert "ít mẫu – chưa tin cậy" in svg and "style=" not in svg and "<script" not in svg
    # The axis runs from 0% to 100%, labelled every 20 points.
    assert ">0%</text>" in svg and ">20%</text>" in svg and ">100%</text>" in svg and ">70%</text>" not in svg


def test_trend_chart_draws_band_line_target_and_alerts() -> None:
    points = [
        trend_chart.Point("2026-08", _estimate(0.9, 0.88, 0.92, verdict="met")),
        trend_chart.Point(
            "2026-09", _estimate(0.8, 0.78, 0.82, verdict="not_met"), ("significant_drop", "below_target")
        ),
        trend_chart.Point("2026-10", _estimate(0.85, 0.6, 0.97, verdict="inconclusive", flags=("no_df",))),
    ]
    svg = str(trend_chart.trend_chart("tr", "Xu hướng", points, lang="en", drop_label="significant drop"))
    svg = svg.split("</svg>", 1)[0]  # the wide layout
    assert svg.count('<polygon class="band"') == 1 and svg.count('<polyline class="line"') == 1
    assert svg.count('class="point ') == 3 and svg.count('stroke-dasharray="6 4"') == 1
    assert svg.count('class="alert significant-drop"') == 1 and 'data-period="2026-09"' in svg
    assert 'class="point verdict-inconclusive unreliable"' in svg and 'fill="#fff"' in svg
    assert ">Aug 26</text>" in svg and ">Oct 26</text>" in svg and "85.00%" in svg
    assert str(trend_chart.trend_chart("e", "Empty", [], lang="vi")).endswith("</svg>")


def test_figures_follow_new_responses(client: TestClient, session: Session, settings: Settings, world: World) -> None:
    """The figure cache is keyed by the newest response: a new answer shows on the next load."""
    _official(session, "an.nguyen", Role.province_admin, world.province)
    _login(client, "an.nguyen")
    assert "86,50%" in client.get("/dashboard").text
    _responses(settings, session, world.commune_a, [world.counters["HN-X01/Q01"]], 0, 1)
    after = client.get("/dashboard").text
    assert "86,50%" not in after and format.pct(173 / 201, "vi") in after


# --- verdicts by the reliability rule, the p-value, the published mean, coverage and weights ----------------------

COVERAGE_VI = (
    "Khoảng tin cậy chỉ tính sai số chọn mẫu theo thiết kế đã nêu, không tính đến việc ai chọn trả lời: người quét "
    "mã QR hay dùng kiosk có thể hài lòng hơn hoặc kém hơn những người không trả lời."
)
COVERAGE_EN = (
    "The interval covers sampling error under the stated design only, not who chooses to answer: people who scan a "
    "QR code or use a kiosk may be more or less satisfied than those who do not answer."
)
INSUFFICIENT_VI = (
    "Con số dựa trên quá ít câu trả lời (cỡ mẫu hiệu dụng dưới 30, không có bậc tự do, hoặc khoảng tin cậy quá rộng) "
    "nên chưa thể so với mục tiêu."
)
INSUFFICIENT_EN = (
    "The figure rests on too few answers (effective sample under 30, no degrees of freedom, or an interval too wide) "
    "to be compared with the target."
)
RED = "#b3261e"  # the colour of "not met"


def _target(session: Session, agency: Agency, threshold_pct: float) -> None:
    """A SIPAS target for the agency and everything below it, in force whatever today is."""
    session.add(
        Target(
            agency_id=agency.id,
            indicator="sipas",
            period_start=date(2000, 1, 1),
            period_end=date(2099, 12, 31),
            threshold_pct=threshold_pct,
            applies_to_subtree=True,
        )
    )
    session.commit()


def _commune(session: Session, world: World, code: str, name: str) -> tuple[Agency, Counter]:
    """Another commune of the province (no English name), with one counter."""
    commune = create_agency(session, code=code, name_vi=name, level=AgencyLevel.commune, parent=world.province)
    session.flush()
    counter = create_counter(session, agency=commune, code="Q01", name_vi="Quầy số 1", name_en="Counter 1")
    session.commit()
    return commune, counter


def _part(html: str, start: str, end: str) -> str:
    """The text from the first ``start`` to the next ``end`` (both must be there)."""
    assert start in html, start
    tail = html.split(start, 1)[1]
    assert end in tail, end
    return tail.split(end, 1)[0]


def _footer(html: str) -> str:
    return _part(html, '<footer class="site">', "</footer>")


def test_a_commune_with_five_answers_has_not_enough_data_never_red(
    client: TestClient, session: Session, settings: Settings, world: World
) -> None:
    _target(session, world.province, 86)
    small, counter = _commune(session, world, "HN-X04", "Xã Đa Tốn")
    _responses(settings, session, small, [counter], 4, 5)  # 80,00%, below the target of 86,00%
    _official(session, "an.nguyen", Role.province_admin, world.province)
    _login(client, "an.nguyen")
    html = client.get("/dashboard").text
    row = _part(html, '<tr data-key="HN-X04"', "</tr>")
    assert "80,00%" in row
    assert (
        '<span class="verdict verdict-insufficient_data" data-verdict="insufficient_data">○ Chưa đủ dữ liệu</span>'
        in row
    )
    assert "ít mẫu – chưa tin cậy" in row and "Chưa đạt" not in row and "not_met" not in row
    bar = _part(html, '<g class="bar verdict-insufficient_data unreliable" data-key="HN-X04"', "</g>")
    assert 'fill="url(#agencies-chart-hatch)" stroke="#6a3d9a"' in bar and ">80,00% ○</text>" in bar
    assert RED not in bar
    # The legend lists the verdict; the count of agencies meeting the target leaves out those without enough data.
    assert '<span class="swatch verdict-insufficient_data" aria-hidden="true"></span>○ Chưa đủ dữ liệu' in html
    assert (
        '<span data-testid="verdict-summary">Đạt mục tiêu: 0/2; 2 chưa đủ dữ liệu (không tính)</span>' in html
    )  # Bát Tràng inconclusive, Kim Lan not met; Vân Hà (3 answers) and Đa Tốn (5) not counted
    assert "Đạt mục tiêu: 0/2; 2 chưa đủ dữ liệu (không tính); Mục tiêu 86,00%</desc>" in html

    page = client.get("/dashboard/agencies/HN-X04").text
    headline = _part(page, 'data-testid="headline"', "</section>")
    assert 'class="headline verdict-insufficient_data unreliable"' in page
    assert "○ Chưa đủ dữ liệu</span></p>" in headline and "80,00%" in headline
    assert f'<p class="explain" data-testid="verdict-explain">{INSUFFICIENT_VI}</p>' in headline
    assert "Giá trị p" not in page and "Xác suất" not in page  # no p-value without a comparison
    # Nothing on the page is drawn or written as "not met": only the legend names it.
    assert page.count("✗ Chưa đạt") == 1 and 'data-verdict="not_met"' not in page and f'fill="{RED}"' not in page
    trend = _part(page, 'id="trend-table"', "</table>")
    start, _end = last_full_months(datetime.now(ZONE).date(), 1)
    month_row = _part(trend, f'<tr data-period="{start:%Y-%m}"', "</tr>")
    assert '<td class="num">–</td>' in month_row and "○ Chưa đủ dữ liệu" in month_row
    assert "alert-tag" not in month_row

    english = client.get("/dashboard/agencies/HN-X04?lang=en").text
    assert "○ Not enough data</span></p>" in english
    assert f'<p class="explain" data-testid="verdict-explain">{INSUFFICIENT_EN}</p>' in english


def test_the_verdict_explains_itself_with_the_one_sided_p_value(
    client: TestClient, session: Session, world: World
) -> None:
    _target(session, world.province, 86)
    _official(session, "an.nguyen", Role.province_admin, world.province)
    _login(client, "an.nguyen")
    kim_lan = client.get("/dashboard/agencies/HN-X02").text  # 30 of 40: 75,00%
    explain = _part(kim_lan, '<p class="explain" data-testid="verdict-explain">', "</p>")
    assert explain == (
        "Cận trên của khoảng tin cậy vẫn dưới mục tiêu. Giá trị p một phía (tỷ lệ thật dưới mục tiêu): 0,989."
    )
    assert "✗ Chưa đạt</span></p>" in kim_lan
    english = client.get("/dashboard/agencies/HN-X02?lang=en").text
    assert (
        "Even the upper bound of the interval is below the target. One-sided p-value (true rate below target): 0.989."
    ) in english
    bat_trang = client.get("/dashboard/agencies/HN-X01?lang=vi").text  # 173 of 200: 86,50%
    assert "? Chưa kết luận được</span></p>" in bat_trang
    assert (
        "Khoảng tin cậy chứa mục tiêu: chưa đủ bằng chứng để kết luận. Giá trị p một phía (tỷ lệ thật dưới mục "
        "tiêu): 0,205."
    ) in bat_trang


def test_p_values_are_written_to_three_decimals() -> None:
    assert format.p_value(0.0123, "vi") == "0,012" and format.p_value(0.0123, "en") == "0.012"
    assert format.p_value(0.5, "vi") == "0,500" and format.p_value(0.975, "en") == "0.975"
    assert format.p_value(0.0004, "vi") == "< 0,001" and format.p_value(0.9996, "en") == "> 0.999"
    assert format.p_value(None, "vi") == "–"


def test_every_figure_page_says_what_its_intervals_do_not_cover(
    client: TestClient, session: Session, world: World
) -> None:
    _official(session, "an.nguyen", Role.province_admin, world.province)
    _login(client, "an.nguyen")
    for path in ("/dashboard", "/dashboard/agencies/HN-X01", "/dashboard?from=2026-05-01&to=2026-04-01"):
        footer = _footer(client.get(path).text)
        assert f'<p data-testid="coverage">{COVERAGE_VI}</p>' in footer, path
        assert COVERAGE_EN not in footer
    for path in ("/dashboard?lang=en", "/dashboard/agencies/HN?lang=en"):
        footer = _footer(client.get(path).text)
        assert f'<p data-testid="coverage">{COVERAGE_EN}</p>' in footer, path
        assert COVERAGE_VI not in footer
    assert 'data-testid="coverage"' not in client.get("/dashboard/counters").text  # no figures there


def test_agencies_weighted_without_a_count_of_dossiers_are_named(
    client: TestClient, session: Session, world: World
) -> None:
    start, end = last_full_months(datetime.now(ZONE).date(), 1)
    for agency, dossiers in ((world.commune_a, 1000), (world.commune_b, 400)):  # none for Xã Vân Hà
        session.add(PopulationCount(agency_id=agency.id, period_start=start, period_end=end, dossiers_handled=dossiers))
    session.commit()
    _official(session, "an.nguyen", Role.province_admin, world.province)
    _login(client, "an.nguyen")
    overview = client.get("/dashboard").text
    assert "Có trọng số theo số hồ sơ đã giải quyết (N/n)." in overview
    assert (
        '<p class="note uncounted" data-testid="uncounted">Chưa có số hồ sơ đã giải quyết cho một số tháng của: '
        "Xã Vân Hà. 3 phiếu của các tháng đó được tính với trọng số chung ΣN/Σn của cả lựa chọn.</p>"
    ) in overview
    # In English too; the commune has no English name, so its Vietnamese one.
    assert (
        "No count of dossiers handled for some months of: Xã Vân Hà. 3 responses of those months were given the "
        "overall weight ΣN/Σn of the selection."
    ) in client.get("/dashboard?lang=en").text
    province = client.get("/dashboard/agencies/HN?lang=vi").text
    assert "Chưa có số hồ sơ đã giải quyết cho một số tháng của: Xã Vân Hà." in province
    counted = client.get("/dashboard/agencies/HN-X01").text
    assert "Có trọng số theo số hồ sơ đã giải quyết (N/n)." in counted and 'data-testid="uncounted"' not in counted
    alone = client.get("/dashboard/agencies/HN-X03").text  # only uncounted answers: not weighted at all
    assert "Không trọng số (chưa có số hồ sơ)." in alone and 'data-testid="uncounted"' not in alone


def test_the_overview_gives_the_plain_mean_of_units_beside_the_pooled_figure(
    client: TestClient, session: Session, world: World
) -> None:
    _official(session, "an.nguyen", Role.province_admin, world.province)
    _login(client, "an.nguyen")
    html = client.get("/dashboard").text
    headline = _part(html, 'data-testid="headline"', "</section>")
    assert 'data-testid="headline-value">84,36%</span>' in headline  # 205 of 243 answers, pooled
    # (86,50% + 75,00% + 66,67%) / 3: each commune counts once, whatever its size.
    # Vân Hà's three answers make the mean's interval wide: it is marked like any other unreliable figure.
    line = _part(headline, '<p class="unit-mean" data-testid="unit-mean">', "</p>")
    assert line == (
        "Trung bình cộng các đơn vị (cách công bố): 76,06% (khoảng tin cậy 95%: 41,71% – 95,67%) "
        '<span class="unreliable-tag" data-testid="unreliable">⚠ ít mẫu – chưa tin cậy</span>'
    )
    english = _part(client.get("/dashboard?lang=en").text, 'data-testid="unit-mean">', " <span")
    assert english == "Plain mean of units (published convention): 76.06% (95% interval: 41.71% – 95.67%)"
    # Not for a channel (the report gives no plain mean of a domain) nor for a single commune (its own figure).
    assert 'data-testid="unit-mean"' not in client.get("/dashboard?channel=web_qr").text
    client.cookies.clear()
    _official(session, "binh", Role.agency_official, world.commune_a)
    _login(client, "binh")
    assert 'data-testid="unit-mean"' not in client.get("/dashboard").text


def test_a_trend_compares_only_months_with_enough_data(
    client: TestClient, session: Session, settings: Settings, world: World
) -> None:
    """A reliable month followed by five answers all dissatisfied: no change, no drop, no "below target"."""
    _target(session, world.province, 86)
    commune, counter = _commune(session, world, "HN-X05", "Xã Đông Dư")
    _responses(settings, session, commune, [counter], 95, 100, months_back=2)
    _responses(settings, session, commune, [counter], 0, 5)
    _official(session, "an.nguyen", Role.province_admin, world.province)
    _login(client, "an.nguyen")
    html = client.get("/dashboard/agencies/HN-X05").text
    before, last = re.findall(r'<tr data-period="([^"]+)"', html)
    rows = {period: _part(html, f'<tr data-period="{period}"', "</tr>") for period in (before, last)}
    assert "95,00%" in rows[before] and "✓ Đạt" in rows[before]
    assert "0,00%" in rows[last] and "○ Chưa đủ dữ liệu" in rows[last] and "ít mẫu – chưa tin cậy" in rows[last]
    for row in rows.values():
        assert '<td class="num">–</td>' in row and "alert-tag" not in row and "điểm" not in row
    assert 'class="alert significant-drop"' not in html and "alert-below_target" not in html
    assert f'class="point verdict-insufficient_data unreliable" data-period="{last}"' in html
    assert (
        "Mỗi tháng chỉ được so với tháng trước khi cả hai tháng đủ dữ liệu; “▼” khi mức giảm vẫn có ý nghĩa sau khi "
        "hiệu chỉnh Benjamini–Hochberg cho mọi so sánh của chuỗi."
    ) in html


def test_charts_draw_not_enough_data_hatched_and_leave_it_out_of_the_count() -> None:
    bars = [
        charts.Bar("A", "Xã A", _estimate(0.9, 0.88, 0.92, verdict="met")),
        charts.Bar("B", "Xã B", _estimate(0.8, 0.78, 0.82, verdict="not_met")),
        charts.Bar("C", "Xã C", _estimate(0.7, 0.3, 0.95, verdict="insufficient_data", flags=("no_df",))),
    ]
    svg = str(charts.bar_chart("t", "Tiêu đề", bars, lang="vi", target_label="Mục tiêu 86,00%"))
    assert '<desc id="t-desc">1 / 2 ✓, 1 ○; Mục tiêu 86,00%</desc>' in svg
    bar = _part(svg, '<g class="bar verdict-insufficient_data unreliable" data-key="C"', "</g>")
    assert 'fill="url(#t-hatch)" stroke="#6a3d9a" stroke-width="2"' in bar and ">70,00% ○</text>" in bar
    assert RED not in bar
    assert charts.verdict_counts([bar.estimate for bar in bars]) == {
        "met": 1,
        "not_met": 1,
        "inconclusive": 0,
        "insufficient_data": 1,
        "none": 0,
    }
    points = [trend_chart.Point("2026-09", _estimate(0.7, 0.3, 0.95, verdict="insufficient_data", flags=("no_df",)))]
    trend = str(trend_chart.trend_chart("tr", "Xu hướng", points, lang="vi"))
    assert '<circle cx="492" cy="' in trend and 'r="5" fill="#fff" stroke="#6a3d9a"' in trend
