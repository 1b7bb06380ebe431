"""The management API: agencies, counters, kiosks, officials and the audit log, each seen by every kind of caller.

The world: two provinces, HN (communes HN-A and HN-B, each with counter Q01 and a kiosk) and HCM (commune HCM-C
with counter Q01). Officials: ``nat`` (national), ``hn`` (province_admin of HN), ``hcm`` (province_admin of
HCM) and ``a`` (agency_official of HN-A). Outside a caller's scope, everything answers like the unknown.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.config import Settings
from app.directory.models import Agency, AgencyLevel, Counter, Device, Official, Role
from app.directory.service import create_agency, create_counter, create_device, import_agencies
from app.errors import Invalid
from app.officials.service import create_official
from tests.factories import PASSWORD, log_in_as

LOGIN_FIRST = "log in first: send 'Authorization: Bearer <token>' from POST /api/v1/auth/token"
NEED_LOGIN = {"error": {"code": "unauthorized", "message": LOGIN_FIRST}}
NEED_ADMIN = {"error": {"code": "forbidden", "message": "this needs an administrator (province_admin or national)"}}


def not_found(message: str) -> dict[str, Any]:
    return {"error": {"code": "not_found", "message": message}}


def error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


@dataclass
class World:
    client: TestClient
    session: Session
    settings: Settings
    headers: dict[str, dict[str, str]]
    devices: dict[str, Device]

    def call(self, who: str, method: str, path: str, **kwargs: Any) -> Any:
        return self.client.request(method, path, headers=self.headers[who], **kwargs)


@pytest.fixture
def world(client: TestClient, session: Session, settings: Settings) -> World:
    hn = create_agency(session, code="HN", name_vi="Thành phố Hà Nội", name_en="Hanoi", level=AgencyLevel.province)
    a = create_agency(session, code="HN-A", name_vi="Xã A", level=AgencyLevel.commune, parent=hn)
    b = create_agency(session, code="HN-B", name_vi="Xã B", level=AgencyLevel.commune, parent=hn)
    hcm = create_agency(session, code="HCM", name_vi="TP Hồ Chí Minh", level=AgencyLevel.province)
    c = create_agency(session, code="HCM-C", name_vi="Phường C", level=AgencyLevel.commune, parent=hcm)
    counters = {
        agency.code: create_counter(session, agency=agency, code="Q01", name_vi="Quầy 1") for agency in (a, b, c)
    }
    session.flush()
    devices = {
        code: create_device(session, agency=agency, counter=counters[code], label=f"kiosk {code}")[0]
        for code, agency in (("HN-A", a), ("HN-B", b))
    }
    for username, role, agency in (
        ("nat", Role.national, None),
        ("hn1", Role.province_admin, hn),
        ("hcm", Role.province_admin, hcm),
        ("anh", Role.agency_official, a),
    ):
        create_official(session, username=username, password=PASSWORD, role=role, agency=agency)
    session.commit()
    headers = {"anon": {}, **{name: log_in_as(client, name) for name in ("nat", "hn1", "hcm", "anh")}}
    return World(client, session, settings, headers, devices)


def audit_rows(session: Session, action: str) -> list[AuditEvent]:
    session.expire_all()
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def agency_row(code: str, name_vi: str, level: str, parent: str | None, depth: int, **extra: Any) -> dict[str, Any]:
    return {
        "code": code,
        "name_vi": name_vi,
        "name_en": extra.get("name_en"),
        "level": level,
        "parent": parent,
        "depth": depth,
        "active": extra.get("active", True),
        "hotline": extra.get("hotline"),
        "complaint_url": extra.get("complaint_url"),
        "opening_hours": extra.get("opening_hours"),
    }


def without_times(rows: list[dict[str, Any]], *keys: str) -> list[dict[str, Any]]:
    return [{key: value for key, value in row.items() if key not in {"created_at", *keys}} for row in rows]


# --- every endpoint, anonymous and agency official ---------------------------------------------------------

DEVICE = "00000000-0000-4000-8000-000000000000"
EVERY_ENDPOINT: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/api/v1/agencies", None),
    ("GET", "/api/v1/agencies/HN-A", None),
    ("POST", "/api/v1/agencies", {"code": "HN-A2", "name_vi": "Xã A2", "level": "commune", "parent": "HN-A"}),
    ("PATCH", "/api/v1/agencies/HN-A", {"name_en": "Commune A"}),
    ("GET", "/api/v1/agencies/HN-A/counters", None),
    ("POST", "/api/v1/agencies/HN-A/counters", {"code": "Q02", "name_vi": "Quầy 2"}),
    ("PATCH", "/api/v1/agencies/HN-A/counters/Q01", {"name_en": "Counter 1"}),
    ("POST", "/api/v1/agencies/HN-A/counters/Q01/revoke-links", None),
    ("GET", "/api/v1/agencies/HN-A/counters/Q01/poster", None),
    ("GET", "/api/v1/devices", None),
    ("POST", "/api/v1/devices", {"agency": "HN-A", "counter": "Q01"}),
    ("POST", f"/api/v1/devices/{DEVICE}/revoke", None),
    ("GET", "/api/v1/officials", None),
    (
        "POST",
        "/api/v1/officials",
        {"username": "xuan", "password": PASSWORD, "role": "agency_official", "agency": "HN-A"},
    ),
    ("PATCH", "/api/v1/officials/anh", {"display_name": "A"}),
    ("GET", "/api/v1/audit", None),
]
READS_FOR_ANY_OFFICIAL = {
    "/api/v1/agencies",
    "/api/v1/agencies/HN-A",
    "/api/v1/agencies/HN-A/counters",
    "/api/v1/agencies/HN-A/counters/Q01/poster",
}


def test_anonymous_gets_401_from_every_endpoint(world: World) -> None:
    for method, path, body in EVERY_ENDPOINT:
        response = world.call("anon", method, path, json=body)
        assert (response.status_code, response.json()) == (401, NEED_LOGIN), (method, path)


def test_agency_official_reads_its_agency_and_may_write_nothing(world: World) -> None:
    before = world.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()))
    for method, path, body in EVERY_ENDPOINT:
        response = world.call("anh", method, path, json=body)
        if method == "GET" and path in READS_FOR_ANY_OFFICIAL:
            assert response.status_code == 200, (method, path)
        else:
            assert (response.status_code, response.json()) == (403, NEED_ADMIN), (method, path)
    # Nothing was written (the only events are none: reads are not audited).
    assert world.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc())) == before


def test_agency_official_sees_nothing_of_its_sibling(world: World) -> None:
    agencies = world.call("anh", "GET", "/api/v1/agencies").json()
    assert without_times(agencies) == [agency_row("HN-A", "Xã A", "commune", None, 0)]
    for code in ("HN-B", "HN", "HCM-C", "NOPE"):
        response = world.call("anh", "GET", f"/api/v1/agencies/{code}")
        assert (response.status_code, response.json()) == (404, not_found(f"no agency with code {code!r}"))
        for path in (f"/api/v1/agencies/{code}/counters", f"/api/v1/agencies/{code}/counters/Q01/poster"):
            response = world.call("anh", "GET", path)
            assert (response.status_code, response.json()) == (404, not_found(f"no agency with code {code!r}"))
    counters = world.call("anh", "GET", "/api/v1/agencies/HN-A/counters").json()
    assert [(row["agency"], row["code"]) for row in counters] == [("HN-A", "Q01")]


# --- agencies ---------------------------------------------------------------------------------------------


def test_agency_trees_by_role(world: World) -> None:
    national = world.call("nat", "GET", "/api/v1/agencies")
    assert national.status_code == 200
    assert without_times(national.json()) == [
        agency_row("HCM", "TP Hồ Chí Minh", "province", None, 0),
        agency_row("HCM-C", "Phường C", "commune", "HCM", 1),
        agency_row("HN", "Thành phố Hà Nội", "province", None, 0, name_en="Hanoi"),
        agency_row("HN-A", "Xã A", "commune", "HN", 1),
        agency_row("HN-B", "Xã B", "commune", "HN", 1),
    ]
    province = world.call("hn1", "GET", "/api/v1/agencies").json()
    assert without_times(province) == [
        agency_row("HN", "Thành phố Hà Nội", "province", None, 0, name_en="Hanoi"),
        agency_row("HN-A", "Xã A", "commune", "HN", 1),
        agency_row("HN-B", "Xã B", "commune", "HN", 1),
    ]
    one = world.call("hn1", "GET", "/api/v1/agencies/HN-B")
    assert (one.status_code, without_times([one.json()])) == (200, [agency_row("HN-B", "Xã B", "commune", "HN", 1)])
    # Its own parent is outside the agency official's scope: shown as a root of what it sees.
    own = world.call("anh", "GET", "/api/v1/agencies/HN-A").json()
    assert (own["parent"], own["depth"]) == (None, 0)
    outside = world.call("hn1", "GET", "/api/v1/agencies/HCM-C")
    assert (outside.status_code, outside.json()) == (404, not_found("no agency with code 'HCM-C'"))


def test_create_agency(world: World) -> None:
    body = {"code": "HN-A-1", "name_vi": "Thôn 1", "name_en": "Hamlet 1", "level": "other", "parent": "HN-A"}
    created = world.call("hn1", "POST", "/api/v1/agencies", json=body)
    assert created.status_code == 201
    assert without_times([created.json()]) == [agency_row("HN-A-1", "Thôn 1", "other", "HN-A", 2, name_en="Hamlet 1")]
    path = world.session.scalar(select(Agency.path).where(Agency.code == "HN-A-1"))
    parent_path = world.session.scalar(select(Agency.path).where(Agency.code == "HN-A"))
    assert path is not None and parent_path is not None and path.startswith(parent_path)
    [event] = audit_rows(world.session, "agency.create")
    hn = world.session.scalar(select(Official).where(Official.username == "hn1"))
    assert hn is not None
    assert (event.actor, event.official_id, event.client_ip) == ("hn1", hn.id, "testclient")
    assert event.details == {"agency": "HN-A-1", "parent": "HN-A", "level": "other"}
    # A province admin can add neither a root nor anything under another province.
    root = world.call("hn1", "POST", "/api/v1/agencies", json={**body, "code": "DN", "parent": None})
    assert (root.status_code, root.json()) == (
        403,
        error("forbidden", "only a national administrator may create a root agency; name a parent within your scope"),
    )
    other = world.call("hn1", "POST", "/api/v1/agencies", json={**body, "code": "HCM-X", "parent": "HCM"})
    assert (other.status_code, other.json()) == (404, not_found("no agency with code 'HCM'"))
    # Codes are unique across the country; a taken code is a 409, never a 500.
    taken = world.call("hn1", "POST", "/api/v1/agencies", json={**body, "code": "HCM-C"})
    assert (taken.status_code, taken.json()) == (409, error("conflict", "an agency with code 'HCM-C' already exists"))
    spaced = world.call("hn1", "POST", "/api/v1/agencies", json={**body, "code": "HN A"})
    assert spaced.status_code == 422
    assert spaced.json()["error"]["message"] == "/code: String should match pattern '^\\w[\\w.-]*$'"
    national = world.call("nat", "POST", "/api/v1/agencies", json={**body, "code": "DN", "parent": None})
    assert national.status_code == 201
    assert (national.json()["parent"], national.json()["depth"]) == (None, 0)
    assert len(audit_rows(world.session, "agency.create")) == 2


def test_update_agency(world: World) -> None:
    counter = world.call("hn1", "GET", "/api/v1/agencies/HN-A/counters").json()[0]
    qr_path = counter["link_url"].removeprefix(world.settings.base_url)
    assert world.client.get(qr_path).status_code == 200
    response = world.call("hn1", "PATCH", "/api/v1/agencies/HN-A", json={"name_en": "Commune A", "active": False})
    assert response.status_code == 200
    assert without_times([response.json()]) == [
        agency_row("HN-A", "Xã A", "commune", "HN", 1, name_en="Commune A", active=False)
    ]
    assert world.client.get(qr_path).status_code == 404  # an inactive agency's codes stop opening
    [event] = audit_rows(world.session, "agency.update")
    assert event.details == {"agency": "HN-A", "changes": {"name_en": [None, "Commune A"], "active": [True, False]}}
    # The same values again: 200, nothing recorded.
    assert world.call("hn1", "PATCH", "/api/v1/agencies/HN-A", json={"active": False}).status_code == 200
    assert len(audit_rows(world.session, "agency.update")) == 1
    outside = world.call("hn1", "PATCH", "/api/v1/agencies/HCM-C", json={"active": False})
    assert (outside.status_code, outside.json()) == (404, not_found("no agency with code 'HCM-C'"))
    empty = world.call("hn1", "PATCH", "/api/v1/agencies/HN-A", json={})
    assert (empty.status_code, empty.json()) == (
        422,
        error(
            "invalid",
            "nothing to change: send at least one of name_vi, name_en, active, hotline, complaint_url, opening_hours",
        ),
    )
    null = world.call("hn1", "PATCH", "/api/v1/agencies/HN-A", json={"name_vi": None})
    assert (null.status_code, null.json()) == (422, error("invalid", "/name_vi: cannot be null"))
    unknown_field = world.call("hn1", "PATCH", "/api/v1/agencies/HN-A", json={"code": "X"})
    assert unknown_field.status_code == 422
    assert world.call("nat", "PATCH", "/api/v1/agencies/HCM-C", json={"active": False}).status_code == 200


# --- what an agency offers on its thank-you page (hotline, complaint channel, opening hours) ----------------

HOURS = {"vi": "Thứ Hai – Thứ Sáu: 7:30–11:30, 13:30–17:00", "en": "Monday to Friday 7:30–11:30 and 13:30–17:00"}
NOT_A_PHONE = (
    "is not a phone number: 3 to 20 digits, separated only by spaces, dots, '-' or parentheses, with an optional "
    "leading '+' (e.g. 1900 1234 or 0243 825 6789)"
)
NOT_AN_ADDRESS = (
    "is not an absolute https:// (or http://) address, "
    "e.g. https://dichvucong.gov.vn/p/home/dvc-phan-anh-kien-nghi.html"
)
ONE_LINE = "must be one line of plain text, without line breaks, tabs or other control characters"


def test_agency_offers_are_set_returned_cleared_and_audited(world: World) -> None:
    body = {
        "code": "HN-C",
        "name_vi": "Xã C",
        "level": "commune",
        "parent": "HN",
        "hotline": " (024) 3825.6789 ",
        "complaint_url": "https://dichvucong.hanoi.gov.vn/pakn",
        "opening_hours": {"vi": HOURS["vi"]},
    }
    created = world.call("hn1", "POST", "/api/v1/agencies", json=body)
    assert created.status_code == 201
    expected = agency_row(
        "HN-C",
        "Xã C",
        "commune",
        "HN",
        1,
        hotline="(024) 3825.6789",
        complaint_url="https://dichvucong.hanoi.gov.vn/pakn",
        opening_hours={"vi": HOURS["vi"], "en": None},
    )
    assert without_times([created.json()]) == [expected]
    assert without_times([world.call("anh", "GET", "/api/v1/agencies/HN-A").json()]) == [
        agency_row("HN-A", "Xã A", "commune", None, 0)
    ]
    [event] = audit_rows(world.session, "agency.create")
    assert event.details == {
        "agency": "HN-C",
        "parent": "HN",
        "level": "commune",
        "hotline": "(024) 3825.6789",
        "complaint_url": "https://dichvucong.hanoi.gov.vn/pakn",
        "opening_hours_vi": HOURS["vi"],
    }

    # The province sets its hotline and hours once; its communes inherit them (tests/public/test_thanks_page.py).
    patched = world.call("hn1", "PATCH", "/api/v1/agencies/HN", json={"hotline": "1900 1234", "opening_hours": HOURS})
    assert patched.status_code == 200
    assert without_times([patched.json()]) == [
        agency_row(
            "HN", "Thành phố Hà Nội", "province", None, 0, name_en="Hanoi", hotline="1900 1234", opening_hours=HOURS
        )
    ]
    assert world.call("anh", "GET", "/api/v1/agencies/HN-A").json()["hotline"] is None  # its own: none
    # Opening hours are one value: sending them replaces both languages.
    vietnamese_only = world.call("hn1", "PATCH", "/api/v1/agencies/HN", json={"opening_hours": {"vi": "7:30–17:00"}})
    assert vietnamese_only.json()["opening_hours"] == {"vi": "7:30–17:00", "en": None}
    # Null or empty clears.
    cleared = world.call("nat", "PATCH", "/api/v1/agencies/HN", json={"hotline": "", "opening_hours": None})
    assert cleared.status_code == 200
    offered = (cleared.json()["hotline"], cleared.json()["complaint_url"], cleared.json()["opening_hours"])
    assert offered == (None, None, None)
    own_channel = world.call("hn1", "PATCH", "/api/v1/agencies/HN-C", json={"complaint_url": None})
    assert (own_channel.status_code, own_channel.json()["complaint_url"]) == (200, None)
    assert [event.details for event in audit_rows(world.session, "agency.update")] == [
        {
            "agency": "HN",
            "changes": {
                "hotline": [None, "1900 1234"],
                "opening_hours_vi": [None, HOURS["vi"]],
                "opening_hours_en": [None, HOURS["en"]],
            },
        },
        {
            "agency": "HN",
            "changes": {"opening_hours_vi": [HOURS["vi"], "7:30–17:00"], "opening_hours_en": [HOURS["en"], None]},
        },
        {"agency": "HN", "changes": {"hotline": ["1900 1234", None], "opening_hours_vi": ["7:30–17:00", None]}},
        {"agency": "HN-C", "changes": {"complaint_url": ["https://dichvucong.hanoi.gov.vn/pakn", None]}},
    ]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"hotline": "12"}, f"/hotline: '12' {NOT_A_PHONE}"),
        ({"hotline": "1900-CALL-NOW"}, f"/hotline: '1900-CALL-NOW' {NOT_A_PHONE}"),
        ({"hotline": "024 + 3825 6789"}, f"/hotline: '024 + 3825 6789' {NOT_A_PHONE}"),
        ({"hotline": "1" * 21}, f"/hotline: '{'1' * 21}' {NOT_A_PHONE}"),
        ({"hotline": "1" * 41}, "/hotline: String should have at most 40 characters"),
        ({"complaint_url": "dichvucong.gov.vn/pakn"}, f"/complaint_url: 'dichvucong.gov.vn/pakn' {NOT_AN_ADDRESS}"),
        ({"complaint_url": "javascript:alert(1)"}, f"/complaint_url: 'javascript:alert(1)' {NOT_AN_ADDRESS}"),
        ({"complaint_url": "https://"}, f"/complaint_url: 'https://' {NOT_AN_ADDRESS}"),
        (
            {"complaint_url": "https://an:secret@dichvucong.gov.vn/"},
            "/complaint_url: must not carry a user name or password (user:password@host)",
        ),
        (
            {"complaint_url": "https://dichvucong.gov.vn/phan anh"},
            "/complaint_url: must be one address, without spaces or control characters",
        ),
        (
            {"complaint_url": "https://dichvucong.gov.vn/" + "a" * 475},
            "/complaint_url: String should have at most 500 characters",
        ),
        ({"opening_hours": {"vi": "7:30–11:30\n13:30–17:00"}}, f"/opening_hours/vi: {ONE_LINE}"),
        ({"opening_hours": {"vi": "Thứ Hai", "en": "Monday\t7:30"}}, f"/opening_hours/en: {ONE_LINE}"),
        ({"opening_hours": {"vi": "x" * 256}}, "/opening_hours/vi: String should have at most 255 characters"),
        (
            {"opening_hours": {"en": "Monday to Friday"}},
            "/opening_hours: vi is required when en is given (Vietnamese is what the page shows first)",
        ),
        ({"opening_hours": {"fr": "Lundi"}}, "/opening_hours/fr: Extra inputs are not permitted"),
        (
            {"opening_hours": "7:30–17:00"},
            "/opening_hours: Input should be a valid dictionary or object to extract fields from",
        ),
    ],
)
def test_agency_offers_refuse_what_a_citizen_could_not_use(world: World, fields: dict[str, Any], message: str) -> None:
    before = without_times(world.call("nat", "GET", "/api/v1/agencies").json())
    new = {"code": "HN-C", "name_vi": "Xã C", "level": "commune", "parent": "HN", **fields}
    for method, path, body in (("POST", "/api/v1/agencies", new), ("PATCH", "/api/v1/agencies/HN", fields)):
        response = world.call("hn1", method, path, json=body)
        assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid"), method
        assert response.json()["error"]["message"] == message, method
    assert without_times(world.call("nat", "GET", "/api/v1/agencies").json()) == before
    assert audit_rows(world.session, "agency.create") == audit_rows(world.session, "agency.update") == []


IMPORT_HEADER = "code,name_vi,name_en,level,parent_code"


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "agencies.csv"
    path.write_text(text, encoding="utf-8")
    return path


def _offers(world: World, code: str) -> tuple[str | None, str | None, str | None, str | None]:
    world.session.expire_all()
    agency = world.session.scalars(select(Agency).where(Agency.code == code)).one()
    return agency.hotline, agency.complaint_url, agency.opening_hours_vi, agency.opening_hours_en


def test_agency_csv_import_sets_keeps_and_clears_the_offers(world: World, tmp_path: Path) -> None:
    full = _csv(
        tmp_path,
        f"{IMPORT_HEADER},hotline,complaint_url,opening_hours_vi,opening_hours_en\n"
        f'HN,Thành phố Hà Nội,Hanoi,province,,1900 1234,,"{HOURS["vi"]}",{HOURS["en"]}\n'
        "HN-A,Xã A,,commune,HN,,https://dichvucong.hanoi.gov.vn/pakn,,\n",
    )
    import_agencies(world.session, full)
    world.session.commit()
    assert _offers(world, "HN") == ("1900 1234", None, HOURS["vi"], HOURS["en"])
    assert _offers(world, "HN-A") == (None, "https://dichvucong.hanoi.gov.vn/pakn", None, None)
    # A file without the columns leaves the values alone; one with an opening-hours column sets both languages.
    import_agencies(world.session, _csv(tmp_path, f"{IMPORT_HEADER}\nHN,Thành phố Hà Nội,Hanoi,province,\n"))
    assert _offers(world, "HN") == ("1900 1234", None, HOURS["vi"], HOURS["en"])
    import_agencies(
        world.session,
        _csv(tmp_path, f"{IMPORT_HEADER},hotline,opening_hours_vi\nHN,Thành phố Hà Nội,,province,,,8:00\n"),
    )
    assert _offers(world, "HN") == (None, None, "8:00", None)


@pytest.mark.parametrize(
    ("columns", "row", "message"),
    [
        ("hotline", "CALL US", f"line 3, column hotline: 'CALL US' {NOT_A_PHONE}"),
        ("complaint_url", "ftp://x.vn/a", f"line 3, column complaint_url: 'ftp://x.vn/a' {NOT_AN_ADDRESS}"),
        ("opening_hours_vi", "7:30\t17:00", f"line 3, column opening_hours_vi: {ONE_LINE}"),
        (
            "opening_hours_vi,opening_hours_en",
            ",Mon-Fri",
            "line 3, column opening_hours_vi: a value is required when opening_hours_en has one (Vietnamese is what "
            "the page shows first)",
        ),
    ],
)
def test_agency_csv_import_names_line_and_column_of_a_bad_offer(
    world: World, tmp_path: Path, columns: str, row: str, message: str
) -> None:
    filler = "," * columns.count(",")
    path = _csv(
        tmp_path,
        f"{IMPORT_HEADER},{columns}\nHN,Thành phố Hà Nội,Hanoi,province,,{filler}\nHN-A,Xã A,,commune,HN,{row}\n",
    )
    with pytest.raises(Invalid) as refused:
        import_agencies(world.session, path)
    assert refused.value.message == f"{path}, {message}"
    world.session.rollback()
    assert _offers(world, "HN") == _offers(world, "HN-A") == (None, None, None, None)  # all rows or none


# --- counters ---------------------------------------------------------------------------------------------


def test_counters_list_create_update(world: World) -> None:
    created = world.call(
        "hn1",
        "POST",
        "/api/v1/agencies/HN-B/counters",
        json={"code": "Q02", "name_vi": "Quầy 2", "name_en": "Counter 2"},
    )
    assert created.status_code == 201
    body = created.json()
    assert body["link_url"].startswith(f"{world.settings.base_url}/f/")
    # A code of its own to type: six symbols of Crockford's base32, and the address that opens it.
    assert re.fullmatch("[0-9A-HJKMNP-TV-Z]{6}", body["short_code"])
    assert body["short_url"] == f"http://127.0.0.1:8000/q/{body['short_code']}"
    assert without_times([body], "link_url", "short_code", "short_url") == [
        {
            "agency": "HN-B",
            "code": "Q02",
            "name_vi": "Quầy 2",
            "name_en": "Counter 2",
            "active": True,
            "link_generation": 0,
            "poster_url": "/api/v1/agencies/HN-B/counters/Q02/poster",
        }
    ]
    assert world.client.get(body["link_url"].removeprefix(world.settings.base_url)).status_code == 200
    typed = world.client.get(f"/q/{body['short_code'].lower()}", follow_redirects=False)
    assert (typed.status_code, typed.headers["location"]) == (
        303,
        body["link_url"].removeprefix(world.settings.base_url),
    )
    listed = world.call("hn1", "GET", "/api/v1/agencies/HN-B/counters").json()
    assert [row["code"] for row in listed] == ["Q01", "Q02"]
    assert listed[1]["short_code"] == body["short_code"]
    assert listed[0]["short_code"] != body["short_code"]
    [event] = audit_rows(world.session, "counter.create")
    assert (event.actor, event.object_type, event.details) == ("hn1", "counter", {"agency": "HN-B", "counter": "Q02"})
    again = world.call("hn1", "POST", "/api/v1/agencies/HN-B/counters", json={"code": "Q02", "name_vi": "Quầy 2"})
    assert (again.status_code, again.json()) == (409, error("conflict", "agency 'HN-B' already has a counter 'Q02'"))
    outside = world.call("hn1", "POST", "/api/v1/agencies/HCM-C/counters", json={"code": "Q02", "name_vi": "Quầy 2"})
    assert (outside.status_code, outside.json()) == (404, not_found("no agency with code 'HCM-C'"))
    assert world.call("hn1", "GET", "/api/v1/agencies/HCM-C/counters").status_code == 404
    assert world.call("nat", "GET", "/api/v1/agencies/HCM-C/counters").status_code == 200

    patched = world.call("hn1", "PATCH", "/api/v1/agencies/HN-B/counters/Q02", json={"active": False})
    assert (patched.status_code, patched.json()["active"]) == (200, False)
    assert world.client.get(body["link_url"].removeprefix(world.settings.base_url)).status_code == 404
    [event] = audit_rows(world.session, "counter.update")
    assert event.details == {"agency": "HN-B", "counter": "Q02", "changes": {"active": [True, False]}}
    missing = world.call("hn1", "PATCH", "/api/v1/agencies/HN-B/counters/Q09", json={"active": False})
    assert (missing.status_code, missing.json()) == (404, not_found("agency 'HN-B' has no counter 'Q09'"))
    outside = world.call("hn1", "PATCH", "/api/v1/agencies/HCM-C/counters/Q01", json={"active": False})
    assert (outside.status_code, outside.json()) == (404, not_found("no agency with code 'HCM-C'"))


def test_revoke_links_stops_every_printed_code(world: World) -> None:
    old = world.call("hn1", "GET", "/api/v1/agencies/HN-A/counters").json()[0]
    old_path = old["link_url"].removeprefix(world.settings.base_url)
    assert world.client.get(old_path).status_code == 200
    response = world.call("hn1", "POST", "/api/v1/agencies/HN-A/counters/Q01/revoke-links")
    assert response.status_code == 200
    new = response.json()
    assert (old["link_generation"], new["link_generation"]) == (0, 1)
    assert new["link_url"] != old["link_url"]
    assert world.client.get(old_path).status_code == 404
    assert world.client.get(f"{old_path}/poster").status_code == 404
    assert world.client.get(new["link_url"].removeprefix(world.settings.base_url)).status_code == 200
    # The typed code is replaced too: the old one is no counter's any more, the new one opens the new link.
    assert new["short_code"] != old["short_code"]
    assert new["short_url"] == f"http://127.0.0.1:8000/q/{new['short_code']}"
    assert world.client.get(f"/q/{old['short_code']}", follow_redirects=False).status_code == 404
    typed = world.client.get(f"/q/{new['short_code']}", follow_redirects=False)
    assert typed.headers["location"] == new["link_url"].removeprefix(world.settings.base_url)
    [event] = audit_rows(world.session, "counter.links_revoke")
    hn = world.session.scalar(select(Official.id).where(Official.username == "hn1"))
    assert (event.actor, event.official_id, event.client_ip) == ("hn1", hn, "testclient")
    assert event.details == {
        "agency": "HN-A",
        "counter": "Q01",
        "generation": 1,
        "short_code": [old["short_code"], new["short_code"]],
    }
    outside = world.call("hcm", "POST", "/api/v1/agencies/HN-A/counters/Q01/revoke-links")
    assert (outside.status_code, outside.json()) == (404, not_found("no agency with code 'HN-A'"))
    assert world.call("nat", "POST", "/api/v1/agencies/HCM-C/counters/Q01/revoke-links").json()["link_generation"] == 1


def test_counter_poster(world: World) -> None:
    counter = world.call("anh", "GET", "/api/v1/agencies/HN-A/counters").json()[0]
    poster = world.call("anh", "GET", counter["poster_url"], params={"size": "a5"})
    assert poster.status_code == 200
    assert poster.headers["content-type"] == "text/html; charset=utf-8"
    assert counter["link_url"] in poster.text and "Quầy 1" in poster.text
    # The agency path from the top of what the caller sees: an agency official is not shown the province's name.
    assert '<h1 class="agency">Xã A</h1>' in poster.text and "Hà Nội" not in poster.text
    by_admin = world.call("hn1", "GET", counter["poster_url"])
    assert '<h1 class="agency"><span class="parents">Thành phố Hà Nội ›</span> Xã A</h1>' in by_admin.text
    assert '<p class="agency-en" lang="en">' not in poster.text  # Xã A has no English name
    assert f'<p class="url">{counter["short_url"]}</p>' in poster.text
    assert "size: A5" in poster.text
    assert poster.headers["x-sipas-warning"].startswith("SIPAS_PUBLIC_BASE_URL is not set: the QR codes and short")
    assert world.call("anh", "GET", counter["poster_url"], params={"size": "a3"}).status_code == 422
    assert world.call("hcm", "GET", counter["poster_url"]).status_code == 404
    # A counter bulk-loaded without a code (COPY) is given one by its first poster; the listing then shows it.
    world.session.execute(update(Counter).values(short_code=None).where(Counter.code == "Q01"))
    world.session.commit()
    assert world.call("anh", "GET", "/api/v1/agencies/HN-A/counters").json()[0]["short_url"] is None
    first = world.call("anh", "GET", counter["poster_url"])
    [listed] = world.call("anh", "GET", "/api/v1/agencies/HN-A/counters").json()
    assert re.fullmatch("[0-9A-HJKMNP-TV-Z]{6}", listed["short_code"])
    assert f'<p class="url">{listed["short_url"]}</p>' in first.text
    [event] = audit_rows(world.session, "counter.short_code")
    assert (event.actor, event.details) == (
        "anh",
        {"agency": "HN-A", "counter": "Q01", "short_code": [None, listed["short_code"]]},
    )
    world.call("hn1", "PATCH", "/api/v1/agencies/HN-A/counters/Q01", json={"active": False})
    inactive = world.call("hn1", "GET", counter["poster_url"])
    assert (inactive.status_code, inactive.json()) == (
        409,
        error(
            "conflict", "counter 'Q01' of agency 'HN-A' is inactive: its QR code would not open; reactivate it first"
        ),
    )


# --- devices ----------------------------------------------------------------------------------------------

DEVICE_FIELDS = {
    "id",
    "label",
    "agency",
    "counter",
    "created_at",
    "revoked_at",
    "last_seen_at",
    "app_version",
    "queue_length",
    "held_back",
}


def heartbeat(world: World, key: str) -> Any:
    return world.client.post(
        "/api/v1/kiosk/heartbeat",
        headers={"Authorization": f"Bearer {key}"},
        json={"app_version": "1.4.2", "queue_length": 3, "held_back": 1},
    )


def test_device_key_is_shown_once_works_and_dies_on_revoke(world: World) -> None:
    created = world.call("hn1", "POST", "/api/v1/devices", json={"agency": "HN-A", "counter": "Q01", "label": "K2"})
    assert created.status_code == 201
    body = created.json()
    key = body.pop("key")
    assert set(body) == DEVICE_FIELDS
    assert (body["label"], body["agency"], body["counter"], body["revoked_at"]) == ("K2", "HN-A", "Q01", None)
    beat = heartbeat(world, key)
    assert (beat.status_code, beat.json()["agency"], beat.json()["counter"]) == (200, "HN-A", "Q01")
    listed = {row["id"]: row for row in world.call("hn1", "GET", "/api/v1/devices").json()}
    assert set(listed[body["id"]]) == DEVICE_FIELDS  # never the key, its prefix or its hash
    assert key not in world.call("hn1", "GET", "/api/v1/devices").text
    assert (listed[body["id"]]["app_version"], listed[body["id"]]["queue_length"], listed[body["id"]]["held_back"]) == (
        "1.4.2",
        3,
        1,
    )
    assert listed[body["id"]]["last_seen_at"] is not None

    outside = world.call("hcm", "POST", f"/api/v1/devices/{body['id']}/revoke")
    assert (outside.status_code, outside.json()) == (404, not_found(f"no device {body['id']}"))
    unknown = world.call("hn1", "POST", f"/api/v1/devices/{DEVICE}/revoke")
    assert (unknown.status_code, unknown.json()) == (404, not_found(f"no device {DEVICE}"))
    assert heartbeat(world, key).status_code == 200

    revoked = world.call("hn1", "POST", f"/api/v1/devices/{body['id']}/revoke")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    dead = heartbeat(world, key)
    assert (dead.status_code, dead.json()) == (401, error("unauthorized", "unknown or revoked device key"))
    again = world.call("hn1", "POST", f"/api/v1/devices/{body['id']}/revoke")
    assert (again.status_code, again.json()["revoked_at"]) == (200, revoked.json()["revoked_at"])

    hn = world.session.scalar(select(Official.id).where(Official.username == "hn1"))
    device_id = world.session.scalar(select(Device.id).where(Device.public_id == uuid.UUID(body["id"])))
    [create] = [e for e in audit_rows(world.session, "device.create") if e.object_id == str(device_id)]
    assert (create.actor, create.official_id, create.client_ip) == ("hn1", hn, "testclient")
    assert create.details == {"agency": "HN-A", "counter": "Q01", "label": "K2"}
    [revoke] = audit_rows(world.session, "device.revoke")  # once: the second revoke changed nothing
    assert (revoke.actor, revoke.official_id, revoke.object_id) == ("hn1", hn, str(device_id))
    assert revoke.details == {"agency": "HN-A", "label": "K2"}


def test_create_device_only_in_scope(world: World) -> None:
    outside = world.call("hn1", "POST", "/api/v1/devices", json={"agency": "HCM-C"})
    assert (outside.status_code, outside.json()) == (404, not_found("no agency with code 'HCM-C'"))
    no_counter = world.call("hn1", "POST", "/api/v1/devices", json={"agency": "HN-A", "counter": "Q09"})
    assert (no_counter.status_code, no_counter.json()) == (404, not_found("agency 'HN-A' has no counter 'Q09'"))
    bare = world.call("nat", "POST", "/api/v1/devices", json={"agency": "HCM-C"})
    assert bare.status_code == 201 and (bare.json()["counter"], bare.json()["label"]) == (None, None)


def test_device_lists_by_scope(world: World) -> None:
    def labels(who: str) -> list[str]:
        response = world.call(who, "GET", "/api/v1/devices")
        assert response.status_code == 200
        return [row["label"] for row in response.json()]

    world.call("nat", "POST", "/api/v1/devices", json={"agency": "HCM-C", "label": "kiosk HCM-C"})
    assert labels("nat") == ["kiosk HCM-C", "kiosk HN-A", "kiosk HN-B"]
    assert labels("hn1") == ["kiosk HN-A", "kiosk HN-B"]
    assert labels("hcm") == ["kiosk HCM-C"]
    sibling = world.call("hcm", "POST", f"/api/v1/devices/{world.devices['HN-B'].public_id}/revoke")
    assert sibling.status_code == 404


# --- officials --------------------------------------------------------------------------------------------

OFFICIAL_FIELDS = {"username", "display_name", "role", "agency", "active", "locked_until", "created_at"}


def test_official_lists_by_scope(world: World) -> None:
    def rows(who: str) -> list[tuple[str, str, str | None]]:
        response = world.call(who, "GET", "/api/v1/officials")
        assert response.status_code == 200
        assert all(set(row) == OFFICIAL_FIELDS for row in response.json())
        return [(row["username"], row["role"], row["agency"]) for row in response.json()]

    assert rows("nat") == [
        ("anh", "agency_official", "HN-A"),
        ("hcm", "province_admin", "HCM"),
        ("hn1", "province_admin", "HN"),
        ("nat", "national", None),
    ]
    assert rows("hn1") == [("anh", "agency_official", "HN-A"), ("hn1", "province_admin", "HN")]
    assert rows("hcm") == [("hcm", "province_admin", "HCM")]
    assert "password" not in world.call("nat", "GET", "/api/v1/officials").text


def test_create_official(world: World) -> None:
    body = {
        "username": "bao",
        "password": "another long one",
        "role": "agency_official",
        "agency": "HN-B",
        "display_name": "Cán bộ B",
    }
    created = world.call("hn1", "POST", "/api/v1/officials", json=body)
    assert created.status_code == 201
    assert without_times([created.json()]) == [
        {
            "username": "bao",
            "display_name": "Cán bộ B",
            "role": "agency_official",
            "agency": "HN-B",
            "active": True,
            "locked_until": None,
        }
    ]
    b_headers = log_in_as(world.client, "bao", "another long one")
    assert [row["code"] for row in world.client.get("/api/v1/agencies", headers=b_headers).json()] == ["HN-B"]
    [event] = [e for e in audit_rows(world.session, "official.create") if e.actor == "hn1"]
    hn = world.session.scalar(select(Official.id).where(Official.username == "hn1"))
    assert (event.official_id, event.client_ip) == (hn, "testclient")
    assert event.details == {"username": "bao", "role": "agency_official", "agency": "HN-B"}

    admin = world.call("hn1", "POST", "/api/v1/officials", json={**body, "username": "hn2", "role": "province_admin"})
    assert admin.status_code == 201
    national = world.call(
        "hn1", "POST", "/api/v1/officials", json={**body, "username": "nat2", "role": "national", "agency": None}
    )
    assert (national.status_code, national.json()) == (
        403,
        error("forbidden", "only a national official may create national officials"),
    )
    outside = world.call("hn1", "POST", "/api/v1/officials", json={**body, "username": "cuong", "agency": "HCM-C"})
    assert (outside.status_code, outside.json()) == (404, not_found("no agency with code 'HCM-C'"))
    taken = world.call("hn1", "POST", "/api/v1/officials", json={**body, "username": "hcm"})
    assert (taken.status_code, taken.json()) == (409, error("conflict", "an official named 'hcm' already exists"))
    short = world.call("hn1", "POST", "/api/v1/officials", json={**body, "username": "cuong", "password": "short"})
    assert (short.status_code, short.json()) == (422, error("invalid", "password: at least 10 characters"))
    no_agency = world.call("hn1", "POST", "/api/v1/officials", json={**body, "username": "cuong", "agency": None})
    assert (no_agency.status_code, no_agency.json()) == (
        422,
        error("invalid", "/agency: a agency_official needs the code of the agency at the root of their scope"),
    )
    national_with_agency = world.call(
        "nat", "POST", "/api/v1/officials", json={**body, "username": "nat2", "role": "national"}
    )
    assert (national_with_agency.status_code, national_with_agency.json()) == (
        422,
        error("invalid", "/agency: a national official has no agency; send null"),
    )
    by_national = world.call(
        "nat", "POST", "/api/v1/officials", json={**body, "username": "nat2", "role": "national", "agency": None}
    )
    assert (by_national.status_code, by_national.json()["agency"]) == (201, None)


def test_update_official(world: World) -> None:
    a_headers = world.headers["anh"]
    off = world.call("hn1", "PATCH", "/api/v1/officials/anh", json={"active": False, "display_name": "Cán bộ A"})
    assert off.status_code == 200
    assert without_times([off.json()]) == [
        {
            "username": "anh",
            "display_name": "Cán bộ A",
            "role": "agency_official",
            "agency": "HN-A",
            "active": False,
            "locked_until": None,
        }
    ]
    assert world.client.get("/api/v1/agencies", headers=a_headers).status_code == 401
    world.call("hn1", "PATCH", "/api/v1/officials/anh", json={"active": True})
    # Deactivation closed the sessions: the old token does not come back with the account.
    assert world.client.get("/api/v1/agencies", headers=a_headers).status_code == 401

    # A password reset also unlocks the account and closes its sessions.
    new_headers = log_in_as(world.client, "anh")
    world.session.execute(update(Official).where(Official.username == "anh").values(failed_logins=7))
    world.session.commit()
    reset = world.call("hn1", "PATCH", "/api/v1/officials/anh", json={"password": "a fresh passphrase"})
    assert reset.status_code == 200 and "password" not in reset.text
    assert world.client.get("/api/v1/agencies", headers=new_headers).status_code == 401
    assert world.client.post("/api/v1/auth/token", data={"username": "anh", "password": PASSWORD}).status_code == 401
    log_in_as(world.client, "anh", "a fresh passphrase")
    events = audit_rows(world.session, "official.update")
    assert [e.details["changes"] for e in events if e.details] == [
        {"active": [True, False], "display_name": [None, "Cán bộ A"]},
        {"active": [False, True]},
        {"password": "reset"},
    ]
    assert [e.details["sessions_closed"] for e in events if e.details] == [1, 0, 1]
    assert "a fresh passphrase" not in str([e.details for e in events])

    for username in ("hcm", "nat", "nobody"):
        response = world.call("hn1", "PATCH", f"/api/v1/officials/{username}", json={"display_name": "X"})
        assert (response.status_code, response.json()) == (404, not_found(f"no official named {username!r}"))
    self_off = world.call("hn1", "PATCH", "/api/v1/officials/hn1", json={"active": False})
    assert (self_off.status_code, self_off.json()) == (
        422,
        error("invalid", "/active: you cannot deactivate yourself; ask another administrator"),
    )
    short = world.call("hn1", "PATCH", "/api/v1/officials/anh", json={"password": "short"})
    assert (short.status_code, short.json()) == (422, error("invalid", "/password: at least 10 characters"))
    empty = world.call("hn1", "PATCH", "/api/v1/officials/anh", json={})
    assert (empty.status_code, empty.json()) == (
        422,
        error("invalid", "nothing to change: send at least one of active, display_name, password"),
    )
    assert world.call("nat", "PATCH", "/api/v1/officials/hcm", json={"display_name": "HCM"}).status_code == 200


# --- audit log --------------------------------------------------------------------------------------------


def test_audit_log_scope_order_paging_and_filter(world: World) -> None:
    world.call("hn1", "POST", "/api/v1/agencies/HN-A/counters/Q01/revoke-links")
    world.call("hcm", "POST", "/api/v1/agencies/HCM-C/counters/Q01/revoke-links")
    world.call("nat", "PATCH", "/api/v1/agencies/HN-B", json={"name_en": "Commune B"})  # about HN: hn sees it
    world.call("nat", "PATCH", "/api/v1/agencies/HCM", json={"name_en": "Ho Chi Minh City"})
    world.call("hn1", "POST", f"/api/v1/devices/{world.devices['HN-B'].public_id}/revoke")

    def events(who: str, **params: Any) -> list[tuple[str, str]]:
        response = world.call(who, "GET", "/api/v1/audit", params=params)
        assert response.status_code == 200
        return [(event["actor"], event["action"]) for event in response.json()["events"]]

    assert events("hn1") == [
        ("hn1", "device.revoke"),
        ("nat", "agency.update"),
        ("hn1", "counter.links_revoke"),
        ("anh", "login"),
        ("hn1", "login"),
        ("cli", "official.create"),  # the official a, of HN-A
        ("cli", "official.create"),  # hn itself
        ("cli", "device.create"),  # the kiosks of HN-B and HN-A
        ("cli", "device.create"),
    ]
    assert events("hcm") == [
        ("nat", "agency.update"),
        ("hcm", "counter.links_revoke"),
        ("hcm", "login"),
        ("cli", "official.create"),
    ]
    everything = events("nat")
    assert len(everything) == 5 + 4 + 4 + 2  # actions, logins, officials created, kiosks created
    assert events("nat", action="agency.update") == [("nat", "agency.update"), ("nat", "agency.update")]
    assert events("hn1", action="device.*") == [
        ("hn1", "device.revoke"),
        ("cli", "device.create"),
        ("cli", "device.create"),
    ]

    first = world.call("hn1", "GET", "/api/v1/audit", params={"limit": 4}).json()
    assert [event["action"] for event in first["events"]] == [
        "device.revoke",
        "agency.update",
        "counter.links_revoke",
        "login",
    ]
    assert first["next_before"] == first["events"][-1]["id"]
    ids = [event["id"] for event in first["events"]]
    assert ids == sorted(ids, reverse=True)
    rest = world.call("hn1", "GET", "/api/v1/audit", params={"limit": 100, "before": first["next_before"]}).json()
    assert len(rest["events"]) == 5 and rest["next_before"] is None
    assert all(event["id"] < first["next_before"] for event in rest["events"])
    revoke = first["events"][0]
    assert (revoke["object_type"], revoke["client_ip"]) == ("device", "testclient")
    assert revoke["details"] == {"agency": "HN-B", "label": "kiosk HN-B"}
    bad = world.call("hn1", "GET", "/api/v1/audit", params={"limit": 0})
    assert bad.status_code == 422
