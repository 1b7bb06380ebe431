"""The counters and kiosks pages without a browser: each counter's activity (answers in the period, in all, the last
one) from one aggregate query whatever the number of counters, quiet counters flagged after N days, search with and
without Vietnamese accents, sorting and paging, a query that cannot be read answered with a 422 page naming the
parameter; the management forms (create, revoke links, deactivate; issue and revoke a kiosk key) through the admin
services, with the session's anti-forgery token, audited, and refused to non-administrators; stale kiosks."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.config import Settings
from app.db import utcnow
from app.directory.models import Agency, AgencyLevel, Counter, Device, Role
from app.directory.service import create_agency, create_counter, create_device, find_device
from app.links import service as links
from app.officials.service import create_official
from app.responses.ingest import Origin, Submission, prepare, store
from app.responses.models import Channel, Response
from tests.factories import PASSWORD, dashboard_login, database_free, registry

SQLITE_ONLY = database_free  # search, sorting and paging happen in Python once the rows are read


@dataclass
class Place:
    province: Agency  # BN "Tỉnh Bắc Ninh Thử"
    ward: Agency  # BN-P01 "Phường Đông Ngàn"
    commune: Agency  # BN-X02 "Xã Đồng Kỵ"
    other: Agency  # HY, another province
    counters: dict[str, Counter]


def _answer(
    settings: Settings,
    session: Session,
    counter: Counter,
    when: datetime,
    *,
    test: bool = False,
    spam: bool = False,
    device: Device | None = None,
) -> None:
    """One counter-quick answer given at ``when`` (as the citizen answered), stored and committed."""
    form = registry(session, settings)[("counter-quick", 1)]
    submission = Submission(uuid.uuid4(), "counter-quick", 1, when, {"overall": 5})
    channel = Channel.kiosk if device else Channel.web_qr
    origin = Origin(
        channel, counter.agency_id, counter_id=counter.id, device_id=device.id if device else None, is_test=test
    )
    store(session, [prepare(settings, form, submission, origin, now=utcnow())])
    if spam:
        newest = session.scalar(select(Response.id).order_by(Response.id.desc()).limit(1))
        session.execute(update(Response).where(Response.id == newest).values(is_suspected_spam=True))
    session.commit()


def _days_ago(settings: Settings, days: int, hour: int = 10) -> datetime:
    """``hour`` o'clock there, ``days`` local days ago; never later than now (today's 10:00 may not have come yet)."""
    local = datetime.combine(datetime.now(settings.zone).date() - timedelta(days=days), time(hour, 0))
    return min(local.replace(tzinfo=settings.zone).astimezone(UTC), utcnow())


@pytest.fixture
def place(session: Session) -> Place:
    province = create_agency(session, code="BN", name_vi="Tỉnh Bắc Ninh Thử", level=AgencyLevel.province)
    ward = create_agency(
        session,
        code="BN-P01",
        name_vi="Phường Đông Ngàn",
        name_en="Dong Ngan Ward",
        level=AgencyLevel.commune,
        parent=province,
    )
    commune = create_agency(session, code="BN-X02", name_vi="Xã Đồng Kỵ", level=AgencyLevel.commune, parent=province)
    other = create_agency(session, code="HY", name_vi="Tỉnh Hưng Yên Thử", level=AgencyLevel.province)
    counters = {
        "BN-P01/Q01": create_counter(session, agency=ward, code="Q01", name_vi="Quầy Hộ tịch", name_en="Civil status"),
        "BN-P01/Q02": create_counter(session, agency=ward, code="Q02", name_vi="Quầy Đất đai", name_en="Land"),
        "BN-X02/Q01": create_counter(session, agency=commune, code="Q01", name_vi="Bộ phận một cửa"),
        "HY/Q01": create_counter(session, agency=other, code="Q01", name_vi="Quầy Hưng Yên"),
    }
    session.commit()
    return Place(province, ward, commune, other, counters)


def _official(session: Session, username: str, role: Role, agency: Agency | None) -> None:
    create_official(session, username=username, password=PASSWORD, role=role, agency=agency)
    session.commit()


def _login(client: TestClient, username: str) -> None:
    response = dashboard_login(client, username, PASSWORD)
    assert response.status_code == 303, response.text


@pytest.fixture
def admin(client: TestClient, session: Session, place: Place) -> TestClient:
    _official(session, "quan.tri", Role.province_admin, place.province)
    _login(client, "quan.tri")
    return client


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert found is not None
    return found.group(1)


def _table(html: str, table_id: str) -> str:
    return html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]


def _rows(html: str, table_id: str = "counters-list") -> dict[str, str]:
    """Row key → the row's HTML, in page order."""
    found = re.findall(r'<tr data-key="([^"]+)"[^>]*>(.*?)</tr>', _table(html, table_id), re.S)
    return dict(found)


def _cells(row_html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row_html, re.S)]


def _events(session: Session, action: str) -> list[AuditEvent]:
    session.expire_all()
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# --- activity -------------------------------------------------------------------------------------------------


def test_each_counter_shows_answers_in_the_period_in_all_and_the_last_one(
    admin: TestClient, session: Session, settings: Settings, place: Place
) -> None:
    civil, land = place.counters["BN-P01/Q01"], place.counters["BN-P01/Q02"]
    for days in (3, 40, 45):
        _answer(settings, session, civil, _days_ago(settings, days))
    _answer(settings, session, civil, _days_ago(settings, 1), test=True)  # a test answer: not counted
    _answer(settings, session, civil, _days_ago(settings, 2), spam=True)  # held as suspected spam: not counted
    _answer(settings, session, land, _days_ago(settings, 30, hour=15))
    _answer(settings, session, place.counters["HY/Q01"], _days_ago(settings, 1))  # another province
    week_ago = (datetime.now(settings.zone) - timedelta(days=7)).date().isoformat()
    today = datetime.now(settings.zone).date().isoformat()

    page = admin.get(f"/dashboard/counters?from={week_ago}&to={today}")
    assert page.status_code == 200
    rows = _rows(page.text)
    assert list(rows) == ["BN-P01/Q02", "BN-P01/Q01", "BN-X02/Q01"]  # by agency, then counter name: Đất đai, Hộ tịch
    name, agency, short_code, in_period, total, last, status, poster = _cells(rows["BN-P01/Q01"])
    assert (name, agency, in_period, total, status) == ("Quầy Hộ tịch Q01", "Phường Đông Ngàn", "1", "3", "Đang dùng")
    assert short_code == civil.short_code
    assert last == _days_ago(settings, 3).astimezone(settings.zone).strftime("%d/%m/%Y %H:%M")  # local time
    assert poster.startswith("PDF")
    land_cells = _cells(rows["BN-P01/Q02"])
    assert land_cells[3:5] == ["0", "1"]
    assert land_cells[5].startswith(_days_ago(settings, 30, hour=15).astimezone(settings.zone).strftime("%d/%m/%Y"))
    assert _cells(rows["BN-X02/Q01"])[3:6] == ["0", "0", "chưa có phiếu"]
    assert "HY/Q01" not in page.text and "Hưng Yên" not in page.text

    # Without bounds, the period is everything; the English page writes dates the ISO way.
    everything = _rows(admin.get("/dashboard/counters?from=&to=&lang=en").text)
    assert _cells(everything["BN-P01/Q01"])[3:5] == ["3", "3"]
    assert _cells(everything["BN-P01/Q01"])[5] == _days_ago(settings, 3).astimezone(settings.zone).strftime(
        "%Y-%m-%d %H:%M"
    )


def test_a_counter_without_answers_for_n_days_is_highlighted(
    admin: TestClient, session: Session, settings: Settings, place: Place
) -> None:
    civil, land, one_stop = (place.counters[key] for key in ("BN-P01/Q01", "BN-P01/Q02", "BN-X02/Q01"))
    _answer(settings, session, civil, _days_ago(settings, 2))
    _answer(settings, session, land, _days_ago(settings, 30))
    # One-stop: created 20 days ago, never answered; a counter made today is not "quiet" yet.
    session.execute(update(Counter).where(Counter.id == one_stop.id).values(created_at=utcnow() - timedelta(days=20)))
    create_counter(session, agency=place.commune, code="Q09", name_vi="Quầy mới")
    session.commit()

    page = admin.get("/dashboard/counters").text
    rows = _rows(page)
    assert 'class="quiet"' in page
    assert "⚠ Không có phiếu trong 30 ngày" in rows["BN-P01/Q02"]
    assert "⚠ Không có phiếu trong 20 ngày" in rows["BN-X02/Q01"]
    assert "quiet-tag" not in rows["BN-P01/Q01"] and "quiet-tag" not in rows["BN-X02/Q09"]
    assert "2 quầy đang dùng không có phiếu trong 14 ngày trở lên" in page
    # The threshold is the page's ?days=; the quiet filter keeps only those counters.
    stricter = _rows(admin.get("/dashboard/counters?days=25").text)
    assert "quiet-tag" in stricter["BN-P01/Q02"] and "quiet-tag" not in stricter["BN-X02/Q01"]
    only = admin.get("/dashboard/counters?quiet=1&days=25&lang=en").text
    assert list(_rows(only)) == ["BN-P01/Q02"]
    assert "No answer for 30 days" in only and "1 of 4 counters match" in only
    # A deactivated counter is not flagged: nobody is meant to answer there.
    session.execute(update(Counter).where(Counter.id == land.id).values(active=False))
    session.commit()
    assert "quiet-tag" not in _rows(admin.get("/dashboard/counters").text)["BN-P01/Q02"]


def test_the_activity_costs_the_same_queries_for_70_counters_as_for_3(
    admin: TestClient, app: FastAPI, session: Session, settings: Settings, place: Place
) -> None:
    @contextmanager
    def counted() -> Iterator[list[str]]:
        statements: list[str] = []

        def note(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
            statements.append(statement)

        engine = app.state.engine
        event.listen(engine, "before_cursor_execute", note)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", note)

    _answer(settings, session, place.counters["BN-P01/Q01"], _days_ago(settings, 3))
    admin.get("/dashboard/counters")  # warm: the first page of a session may look up more
    with counted() as few:
        assert admin.get("/dashboard/counters").status_code == 200
    for n in range(67):
        counter = create_counter(session, agency=place.commune, code=f"K{n:02d}", name_vi=f"Quầy số {n}")
        session.flush()
        if n % 3 == 0:
            _answer(settings, session, counter, _days_ago(settings, n % 20))
    session.commit()
    with counted() as many:
        page = admin.get("/dashboard/counters?sort=last")
    assert page.status_code == 200 and len(_rows(page.text)) == 50  # 70 counters, 50 a page
    assert len(many) == len(few), many
    assert sum("GROUP BY" in statement for statement in many) == 1


# --- search, sort, paging (Python, once the rows are read) ------------------------------------------------------


@SQLITE_ONLY
def test_search_with_and_without_accents_by_code_and_by_typable_code(admin: TestClient, place: Place) -> None:
    def found(text: str) -> list[str]:
        page = admin.get("/dashboard/counters", params={"q": text})
        assert page.status_code == 200
        return list(_rows(page.text)) if 'id="counters-list"' in page.text else []

    assert found("Đồng Kỵ") == found("dong ky") == found("DONG KY") == ["BN-X02/Q01"]
    assert found("dong") == ["BN-P01/Q02", "BN-P01/Q01", "BN-X02/Q01"]  # Đông Ngàn and Đồng Kỵ
    assert found("ho tich") == found("Hộ tịch") == found("civil") == ["BN-P01/Q01"]
    assert found("ngan dat") == ["BN-P01/Q02"]  # every word, in any field
    assert found("BN-X02") == ["BN-X02/Q01"]
    code = place.counters["BN-P01/Q02"].short_code
    assert code is not None
    assert found(code) == found(f"{code[:3].lower()} {code[3:].lower()}") == ["BN-P01/Q02"]
    assert found("Hưng Yên") == []  # outside the scope: not found, not named
    nothing = admin.get("/dashboard/counters?q=zzz").text
    assert "Không có quầy nào khớp" in nothing and "0 trên 3 quầy khớp" in nothing


@SQLITE_ONLY
def test_sorting_by_name_agency_answers_and_last_answer(
    admin: TestClient, session: Session, settings: Settings, place: Place
) -> None:
    civil, land = place.counters["BN-P01/Q01"], place.counters["BN-P01/Q02"]
    for days in (2, 3, 4):
        _answer(settings, session, civil, _days_ago(settings, days))
    _answer(settings, session, land, _days_ago(settings, 30))

    def order(query: str) -> list[str]:
        return list(_rows(admin.get(f"/dashboard/counters?{query}").text))

    assert order("sort=name") == ["BN-X02/Q01", "BN-P01/Q02", "BN-P01/Q01"]  # Bộ phận, Quầy Đất đai, Quầy Hộ tịch
    assert order("sort=name&order=desc") == ["BN-P01/Q01", "BN-P01/Q02", "BN-X02/Q01"]
    assert order("sort=agency&order=desc") == ["BN-X02/Q01", "BN-P01/Q01", "BN-P01/Q02"]
    assert order("sort=total") == ["BN-P01/Q01", "BN-P01/Q02", "BN-X02/Q01"]  # most first
    assert order("sort=last") == ["BN-X02/Q01", "BN-P01/Q02", "BN-P01/Q01"]  # the longest quiet first
    assert order("sort=last&order=desc") == ["BN-P01/Q01", "BN-P01/Q02", "BN-X02/Q01"]
    page = admin.get("/dashboard/counters?sort=last").text
    assert re.search(r'<th scope="col" aria-sort="ascending"><a href="\?[^"]*order=desc[^"]*" data-sort="last">', page)


@SQLITE_ONLY
def test_fifty_counters_a_page(admin: TestClient, session: Session, place: Place) -> None:
    for n in range(67):
        create_counter(session, agency=place.commune, code=f"K{n:02d}", name_vi=f"Quầy {n:02d}")
    session.commit()
    first = admin.get("/dashboard/counters?sort=name").text
    assert len(_rows(first)) == 50 and "đang xem 1–50 (trang 1/2)" in first
    assert 'aria-current="page">1</a>' in first and "page=2" in first
    second = admin.get("/dashboard/counters?sort=name&page=2").text
    assert len(_rows(second)) == 20 and "đang xem 51–70 (trang 2/2)" in second
    assert set(_rows(first)).isdisjoint(_rows(second))
    assert _rows(admin.get("/dashboard/counters?sort=name&page=9").text) == _rows(second)  # past the end: the last


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("page=abc", "Trang: “abc” không phải số trang"),
        ("page=0", "Trang: “0” không phải số trang"),
        ("days=-3", "Số ngày không có phiếu: “-3” phải là số ngày từ 1 đến 3660"),
        ("sort=%3Cb%3E", "Sắp xếp: “&lt;b&gt;” không phải cách sắp xếp"),
        ("order=up", "Chiều sắp xếp: “up” phải là asc hoặc desc"),
        ("from=2026-13-01", "Từ ngày: “2026-13-01” không phải là ngày"),
        ("from=2026-05-01&to=2026-04-01", "Đến ngày: ngày bắt đầu sau ngày kết thúc"),
    ],
)
def test_a_query_that_cannot_be_read_is_a_422_page_naming_the_parameter(
    admin: TestClient, query: str, message: str
) -> None:
    page = admin.get(f"/dashboard/counters?{query}")
    assert page.status_code == 422
    assert message in page.text
    assert len(_rows(page.text)) == 3  # the list with the defaults, under the message


# --- one counter, and what an administrator does to it ----------------------------------------------------------


def test_an_administrator_creates_a_counter_through_the_audited_service(
    admin: TestClient, session: Session, place: Place
) -> None:
    form = admin.get("/dashboard/counters/new")
    assert form.status_code == 200
    assert '<option value="BN-X02" >' in form.text or 'value="BN-X02"' in form.text
    assert 'value="HY"' not in form.text  # another province: not offered
    fields = {"csrf_token": _csrf(form.text), "agency": "BN-X02", "code": "Q03", "name_vi": "Quầy Tư pháp"}
    created = admin.post("/dashboard/counters/new", data=fields, follow_redirects=False)
    assert created.status_code == 303
    assert created.headers["location"] == "/dashboard/counters/BN-X02/Q03?done=created"
    session.expire_all()
    counter = session.scalar(select(Counter).where(Counter.agency_id == place.commune.id, Counter.code == "Q03"))
    assert counter is not None and counter.short_code and counter.name_en is None
    page = admin.get(created.headers["location"]).text
    assert f"Mã nhập của quầy: {counter.short_code}" in page
    assert 'href="/dashboard/counters/BN-X02/Q03/poster.pdf?size=a4"' in page
    [event_] = _events(session, "counter.create")
    assert event_.actor == "quan.tri" and event_.details == {"agency": "BN-X02", "counter": "Q03"}
    assert list(_rows(admin.get("/dashboard/counters?q=tu phap").text)) == ["BN-X02/Q03"]

    # The same code again: 409, said next to the field, nothing created.
    again = admin.post("/dashboard/counters/new", data=fields)
    assert again.status_code == 409 and "cơ quan này đã có quầy mã “Q03”" in again.text
    assert 'aria-invalid="true"' in again.text and 'value="Quầy Tư pháp"' in again.text  # what was typed is kept
    bad = admin.post("/dashboard/counters/new", data={**fields, "code": "Q 04/x", "name_vi": " "})
    assert bad.status_code == 422
    assert "Mã quầy: bắt buộc, tối đa 64 ký tự" in bad.text and "Tên quầy (tiếng Việt): bắt buộc" in bad.text
    elsewhere = admin.post("/dashboard/counters/new", data={**fields, "agency": "HY", "code": "Q05"})
    assert elsewhere.status_code == 422 and "hãy chọn một cơ quan trong phạm vi" in elsewhere.text
    forged = admin.post("/dashboard/counters/new", data={**fields, "code": "Q06", "csrf_token": "0" * 64})
    assert forged.status_code == 403 and "Phiên làm việc không hợp lệ" in forged.text
    assert len(_events(session, "counter.create")) == 1


def test_revoking_links_gives_a_new_typable_code_and_closes_the_old_codes(
    admin: TestClient, session: Session, settings: Settings, place: Place
) -> None:
    counter = place.counters["BN-P01/Q01"]
    old_code, old_url = counter.short_code, links.counter_url(settings, counter)
    page = admin.get("/dashboard/counters/BN-P01/Q01")
    assert page.status_code == 200 and old_code and old_code in page.text
    token = _csrf(page.text)
    unconfirmed = admin.post("/dashboard/counters/BN-P01/Q01/revoke-links", data={"csrf_token": token})
    assert unconfirmed.status_code == 422 and "hãy đánh dấu ô xác nhận" in unconfirmed.text
    assert _events(session, "counter.links_revoke") == []
    revoked = admin.post(
        "/dashboard/counters/BN-P01/Q01/revoke-links",
        data={"csrf_token": token, "confirm": "yes"},
        follow_redirects=False,
    )
    assert revoked.status_code == 303 and revoked.headers["location"].endswith("?done=revoked")
    session.expire_all()
    new_code = session.get(Counter, counter.id).short_code  # type: ignore[union-attr]
    assert new_code and new_code != old_code
    shown = admin.get(revoked.headers["location"]).text
    assert f"Mã nhập mới: {new_code}" in shown and old_code not in shown
    assert admin.get(old_url.removeprefix(settings.base_url)).status_code == 404  # the printed QR code is closed
    [event_] = _events(session, "counter.links_revoke")
    assert event_.actor == "quan.tri" and event_.details["short_code"] == [old_code, new_code]
    assert list(_rows(admin.get(f"/dashboard/counters?q={new_code}").text)) == ["BN-P01/Q01"]


def test_deactivating_and_reactivating_a_counter(admin: TestClient, session: Session, place: Place) -> None:
    token = _csrf(admin.get("/dashboard/counters/BN-X02/Q01").text)
    off = admin.post("/dashboard/counters/BN-X02/Q01/deactivate", data={"csrf_token": token}, follow_redirects=True)
    assert off.status_code == 200 and "Đã ngừng dùng quầy" in off.text
    assert 'data-testid="counter-status">Ngừng dùng<' in off.text and "poster.pdf" not in off.text
    row = _rows(admin.get("/dashboard/counters").text)["BN-X02/Q01"]
    assert 'class=" revoked"' in admin.get("/dashboard/counters").text and "Ngừng dùng" in row
    on = admin.post("/dashboard/counters/BN-X02/Q01/activate", data={"csrf_token": token}, follow_redirects=True)
    assert "Quầy đã dùng lại" in on.text
    changes = [event_.details["changes"] for event_ in _events(session, "counter.update")]
    assert changes == [{"active": [True, False]}, {"active": [False, True]}]


def test_agency_officials_read_their_counters_and_change_nothing(
    client: TestClient, session: Session, place: Place
) -> None:
    _official(session, "can.bo", Role.agency_official, place.ward)
    _login(client, "can.bo")
    page = client.get("/dashboard/counters")
    assert list(_rows(page.text)) == ["BN-P01/Q02", "BN-P01/Q01"]
    assert "Đồng Kỵ" not in page.text and "/dashboard/counters/new" not in page.text
    detail = client.get("/dashboard/counters/BN-P01/Q01").text
    assert "revoke-links" not in detail and "deactivate" not in detail
    assert client.get("/dashboard/counters/BN-X02/Q01").status_code == 404  # a sibling: as if unknown
    token = _csrf(page.text)
    for path, data in (
        ("/dashboard/counters/new", {"agency": "BN-P01", "code": "Q07", "name_vi": "X"}),
        ("/dashboard/counters/BN-P01/Q01/revoke-links", {"confirm": "yes"}),
        ("/dashboard/counters/BN-P01/Q01/deactivate", {}),
        ("/dashboard/devices/new", {"place": "BN-P01"}),
    ):
        refused = client.post(path, data={"csrf_token": token, **data})
        assert refused.status_code == 403, path
    assert client.get("/dashboard/devices").status_code == 403
    assert _events(session, "counter.create") == _events(session, "counter.links_revoke") == []


# --- kiosks ----------------------------------------------------------------------------------------------------


def test_kiosks_show_last_heartbeat_and_a_stale_one_in_words(
    admin: TestClient, session: Session, settings: Settings, place: Place
) -> None:
    now = utcnow()
    fresh, _ = create_device(session, agency=place.ward, counter=place.counters["BN-P01/Q01"], label="Máy quầy 1")
    stale, _ = create_device(session, agency=place.commune, label="Máy xã Đồng Kỵ")
    create_device(session, agency=place.other, label="Máy Hưng Yên")
    fresh.last_seen_at, fresh.queue_length, fresh.held_back = now - timedelta(minutes=5), 2, 0
    stale.last_seen_at, stale.queue_length, stale.held_back = now - timedelta(hours=3), 7, 1
    session.commit()
    _answer(settings, session, place.counters["BN-P01/Q01"], _days_ago(settings, 1), device=fresh)
    _answer(settings, session, place.counters["BN-P01/Q01"], _days_ago(settings, 4), device=fresh)

    page = admin.get("/dashboard/devices")
    assert page.status_code == 200
    rows = _rows(page.text, "devices-list")
    assert list(rows) == [str(fresh.public_id), str(stale.public_id)]  # not the other province's
    assert "stale-tag" not in rows[str(fresh.public_id)]
    assert "⚠ Mất liên lạc (quá 1 giờ)" in rows[str(stale.public_id)]
    assert "1 máy mất liên lạc: không báo về quá 1 giờ." in page.text
    name, place_, prefix, seen, queue, held, answers, last, status = _cells(rows[str(fresh.public_id)])
    assert (name, place_, prefix) == ("Máy quầy 1", "Phường Đông Ngàn – Quầy Hộ tịch", f"{fresh.key_prefix}…")
    assert seen == (now - timedelta(minutes=5)).astimezone(settings.zone).strftime("%d/%m/%Y %H:%M")
    assert (queue, held, answers) == ("2", "0", "2") and status.startswith("Đang dùng")
    assert last == _days_ago(settings, 1).astimezone(settings.zone).strftime("%d/%m/%Y %H:%M")
    assert _cells(rows[str(stale.public_id)])[4:6] == ["7", "⚠ 1"]
    english = admin.get("/dashboard/devices?lang=en").text
    assert "⚠ Stale (over 1 h)" in english


def test_a_kiosk_key_is_shown_once_and_a_kiosk_can_be_revoked(
    admin: TestClient, session: Session, place: Place
) -> None:
    form = admin.get("/dashboard/devices/new")
    assert form.status_code == 200 and 'value="BN-P01/Q02"' in form.text and "HY" not in form.text
    data = {"csrf_token": _csrf(form.text), "place": "BN-P01/Q02", "label": "Máy quầy Đất đai"}
    issued = admin.post("/dashboard/devices/new", data=data)
    assert issued.status_code == 200 and issued.headers["cache-control"] == "no-store"
    key = re.search(r'id="device-key" type="text" readonly value="([^"]+)"', issued.text)
    assert key is not None and "Khóa chỉ hiện MỘT lần" in issued.text
    device = find_device(session, key.group(1))
    assert device is not None and device.label == "Máy quầy Đất đai"
    assert device.counter_id == place.counters["BN-P01/Q02"].id
    listing = admin.get("/dashboard/devices").text
    assert key.group(1) not in listing and f"{device.key_prefix}…" in listing  # never shown again
    [event_] = _events(session, "device.create")
    assert event_.actor == "quan.tri" and event_.details["counter"] == "Q02"

    wrong = admin.post("/dashboard/devices/new", data={**data, "place": "HY/Q01"})
    assert wrong.status_code == 422 and "Đặt tại: hãy chọn" in wrong.text
    token = _csrf(listing)
    assert admin.post(f"/dashboard/devices/{device.public_id}/revoke", data={}).status_code == 403
    revoked = admin.post(
        f"/dashboard/devices/{device.public_id}/revoke", data={"csrf_token": token}, follow_redirects=True
    )
    assert revoked.status_code == 200 and "Đã thu hồi khóa của máy “Máy quầy Đất đai”" in revoked.text
    session.expire_all()
    assert find_device(session, key.group(1)) is None
    assert len(_events(session, "device.revoke")) == 1
    assert admin.post("/dashboard/devices/not-a-uuid/revoke", data={"csrf_token": token}).status_code == 404
    assert admin.post(f"/dashboard/devices/{uuid.uuid4()}/revoke", data={"csrf_token": token}).status_code == 404
