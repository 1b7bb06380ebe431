"""The management API: agencies, counters, kiosks, officials and the audit log, each seen by every kind of caller.

The world: two provinces, HN (communes HN-A and HN-B, each with counter Q01 and a kiosk) and HCM (commune HCM-C
with counter Q01). Officials: ``nat`` (national), ``hn`` (province_admin of HN), ``hcm`` (province_admin of
HCM) and ``a`` (agency_official of HN-A). Outside a caller's scope, everything answers like the unknown.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.config import Settings
from app.directory.models import Agency, AgencyLevel, Device, Official, Role
from app.directory.service import create_agency, create_counter, create_device
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
        error("invalid", "nothing to change: send at least one of name_vi, name_en, active"),
    )
    null = world.call("hn1", "PATCH", "/api/v1/agencies/HN-A", json={"name_vi": None})
    assert (null.status_code, null.json()) == (422, error("invalid", "/name_vi: cannot be null"))
    unknown_field = world.call("hn1", "PATCH", "/api/v1/agencies/HN-A", json={"code": "X"})
    assert unknown_field.status_code == 422
    assert world.call("nat", "PATCH", "/api/v1/agencies/HCM-C", json={"active": False}).status_code == 200


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
    assert without_times([body], "link_url") == [
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
    listed = world.call("hn1", "GET", "/api/v1/agencies/HN-B/counters").json()
    assert [row["code"] for row in listed] == ["Q01", "Q02"]
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
    [event] = audit_rows(world.session, "counter.links_revoke")
    hn = world.session.scalar(select(Official.id).where(Official.username == "hn1"))
    assert (event.actor, event.official_id, event.client_ip) == ("hn1", hn, "testclient")
    assert event.details == {"agency": "HN-A", "counter": "Q01", "generation": 1}
    outside = world.call("hcm", "POST", "/api/v1/agencies/HN-A/counters/Q01/revoke-links")
    assert (outside.status_code, outside.json()) == (404, not_found("no agency with code 'HN-A'"))
    assert world.call("nat", "POST", "/api/v1/agencies/HCM-C/counters/Q01/revoke-links").json()["link_generation"] == 1


def test_counter_poster(world: World) -> None:
    counter = world.call("anh", "GET", "/api/v1/agencies/HN-A/counters").json()[0]
    poster = world.call("anh", "GET", counter["poster_url"], params={"size": "a5"})
    assert poster.status_code == 200
    assert poster.headers["content-type"] == "text/html; charset=utf-8"
    assert counter["link_url"] in poster.text and "Quầy 1" in poster.text and "Xã A" in poster.text
    assert "size: A5" in poster.text
    assert world.call("anh", "GET", counter["poster_url"], params={"size": "a3"}).status_code == 422
    assert world.call("hcm", "GET", counter["poster_url"]).status_code == 404
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
