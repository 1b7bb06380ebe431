"""Targets and population counts through the API: CRUD, scope, CSV upload (all or nothing, upsert), export round
trip, audit, and which target applies to an agency on a day (target_for / targets_for)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.directory.models import Agency, AgencyLevel, Role
from app.directory.service import create_agency
from app.reference.models import PopulationCount, Target
from app.reference.targets import target_for, targets_for
from tests.factories import login

TARGET_HEADER = "agency,indicator,period_start,period_end,threshold_pct,applies_to_subtree\n"
COUNT_HEADER = "agency,period_start,period_end,dossiers_handled,procedure_field\n"
REASON = "Báo cáo tháng của Sở (số 12/BC)"
WHY = {"reason": REASON}


@dataclass
class World:
    province: Agency  # HN
    commune: Agency  # HN-X01, below HN
    sibling: Agency  # HN-X02, below HN
    ward: Agency  # HN-X01-T1, below HN-X01
    other: Agency  # DN, another province


def _world(session: Session) -> World:
    hn = create_agency(session, code="HN", name_vi="Thành phố Hà Nội", level=AgencyLevel.province)
    x01 = create_agency(session, code="HN-X01", name_vi="Xã Bát Tràng", level=AgencyLevel.commune, parent=hn)
    x02 = create_agency(session, code="HN-X02", name_vi="Xã Kim Lan", level=AgencyLevel.commune, parent=hn)
    t1 = create_agency(session, code="HN-X01-T1", name_vi="Tổ một cửa", level=AgencyLevel.other, parent=x01)
    dn = create_agency(session, code="DN", name_vi="Thành phố Đà Nẵng", level=AgencyLevel.province)
    session.commit()
    return World(hn, x01, x02, t1, dn)


def _target(
    session: Session, agency: Agency, indicator: str, start: date, end: date, threshold: float, subtree: bool = True
) -> Target:
    target = Target(
        agency_id=agency.id,
        indicator=indicator,
        period_start=start,
        period_end=end,
        threshold_pct=threshold,
        applies_to_subtree=subtree,
    )
    session.add(target)
    session.commit()
    return target


def _actions(session: Session) -> list[str]:
    query = select(AuditEvent.action).where(AuditEvent.action.not_in(["login", "official.create"]))
    return list(session.scalars(query.order_by(AuditEvent.id)))


def _without_created_at(body: dict[str, Any]) -> dict[str, Any]:
    assert isinstance(body.pop("created_at"), str)
    return body


def _upload(
    client: TestClient, path: str, text: str | bytes, headers: dict[str, str], form: dict[str, str] | None = None
) -> Any:
    """POST a CSV file; the form fields ``form`` (default: the reason population counts need)."""
    content = text.encode() if isinstance(text, str) else text
    data = WHY if form is None else form
    return client.post(path, files={"file": ("data.csv", content, "text/csv")}, data=data, headers=headers)


def _count(session: Session, model: type[Target] | type[PopulationCount]) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model)) or 0


# --- targets: CRUD -----------------------------------------------------------------------------------------------


def test_target_crud_with_exact_bodies_and_audit(client: TestClient, session: Session) -> None:
    world = _world(session)
    admin = login(client, session, "hn-admin", Role.province_admin, world.province)
    body = {
        "agency": "HN",
        "indicator": "sipas",
        "period_start": "2026-01-01",
        "period_end": "2026-12-31",
        "threshold_pct": 86,
        "applies_to_subtree": True,
    }
    created = client.post("/api/v1/targets", json=body, headers=admin)
    assert created.status_code == 201, created.text
    target_id = created.json()["id"]
    expected = {"id": target_id, **body, "threshold_pct": 86.0}
    assert _without_created_at(created.json()) == expected
    assert _without_created_at(client.get(f"/api/v1/targets/{target_id}", headers=admin).json()) == expected
    listed = client.get("/api/v1/targets", headers=admin).json()
    assert [_without_created_at(item) for item in listed["items"]] == [expected]
    assert (listed["total"], listed["limit"], listed["offset"]) == (1, 500, 0)

    replaced = client.put(
        f"/api/v1/targets/{target_id}",
        headers=admin,
        json={
            "agency": "HN-X01",
            "indicator": "element:access",
            "period_start": "2026-01-01",
            "period_end": "2026-06-30",
            "threshold_pct": 87.5,
            "applies_to_subtree": False,
        },
    )
    assert replaced.status_code == 200, replaced.text
    assert _without_created_at(replaced.json()) == {
        "id": target_id,
        "agency": "HN-X01",
        "indicator": "element:access",
        "period_start": "2026-01-01",
        "period_end": "2026-06-30",
        "threshold_pct": 87.5,
        "applies_to_subtree": False,
    }
    patched = client.patch(f"/api/v1/targets/{target_id}", json={"threshold_pct": 88.25}, headers=admin)
    assert patched.status_code == 200, patched.text
    assert (patched.json()["threshold_pct"], patched.json()["indicator"]) == (88.25, "element:access")

    assert client.delete(f"/api/v1/targets/{target_id}", headers=admin).status_code == 204
    gone = client.get(f"/api/v1/targets/{target_id}", headers=admin)
    assert gone.status_code == 404
    assert gone.json() == {"error": {"code": "not_found", "message": f"no target with id {target_id}"}}
    assert _count(session, Target) == 0

    assert _actions(session) == ["target.create", "target.update", "target.update", "target.delete"]
    events = session.scalars(select(AuditEvent).where(AuditEvent.action.like("target.%")).order_by(AuditEvent.id))
    create, update, patch, delete = events.all()
    assert (create.actor, create.object_type, create.object_id) == ("hn-admin", "target", str(target_id))
    assert create.details == {**body, "threshold_pct": 86.0}
    assert patch.details == {"changed": {"threshold_pct": {"from": 87.5, "to": 88.25}}}
    assert update.details is not None and set(update.details["changed"]) == {
        "agency",
        "indicator",
        "period_end",
        "threshold_pct",
        "applies_to_subtree",
    }
    assert delete.details is not None and delete.details["threshold_pct"] == 88.25


def test_target_errors_name_the_field(client: TestClient, session: Session) -> None:
    world = _world(session)
    admin = login(client, session, "hn-admin", Role.province_admin, world.province)
    good = {
        "agency": "HN",
        "indicator": "sipas",
        "period_start": "2026-01-01",
        "period_end": "2026-12-31",
        "threshold_pct": 86,
    }

    def post(**changes: Any) -> Any:
        return client.post("/api/v1/targets", json={**good, **changes}, headers=admin)

    order = post(period_end="2025-12-31")
    assert order.status_code == 422
    assert order.json()["error"]["message"] == "/period_end: 2025-12-31 is before period_start 2026-01-01"
    unknown = post(agency="ZZ")
    assert unknown.status_code == 422
    assert unknown.json()["error"]["message"] == "/agency: no agency with code 'ZZ'"
    outside = post(agency="DN")  # another province answers exactly as an unknown code
    assert outside.json()["error"]["message"] == "/agency: no agency with code 'DN'"
    indicator = post(indicator="element:acces")
    assert indicator.status_code == 422
    assert indicator.json()["error"]["message"] == (
        "/indicator: 'element:acces' is not an indicator of the registered forms (use 'sipas', a component code "
        "such as 'service', 'element:<code>' or 'item:<code>'); did you mean 'element:access'?"
    )
    high = post(threshold_pct=120)
    assert high.status_code == 422
    assert high.json()["error"]["details"][0]["pointer"] == "/threshold_pct"
    decimals = post(threshold_pct=86.125)
    assert decimals.json()["error"]["message"] == "/threshold_pct: '86.125' has more than 2 decimals"
    assert _count(session, Target) == 0

    first = post()
    assert first.status_code == 201
    again = post(period_end="2026-06-30")
    assert again.status_code == 409
    assert again.json()["error"] == {
        "code": "conflict",
        "message": f"agency 'HN' already has a target for 'sipas' starting 2026-01-01 (id {first.json()['id']}); "
        "change that one instead",
        "details": {"id": first.json()["id"]},
    }
    overlap = post(period_start="2026-07-01", period_end="2027-06-30")
    assert overlap.status_code == 409
    assert overlap.json()["error"]["message"] == (
        f"the period 2026-07-01 to 2027-06-30 overlaps target {first.json()['id']} (2026-01-01 to 2026-12-31) of "
        "agency 'HN' for 'sipas'; periods of one agency and indicator must not overlap"
    )
    assert post(period_start="2027-01-01", period_end="2027-12-31").status_code == 201  # the next year is fine
    null = client.patch(f"/api/v1/targets/{first.json()['id']}", json={"threshold_pct": None}, headers=admin)
    assert null.status_code == 422
    assert null.json()["error"]["message"] == "/threshold_pct: may not be null"
    assert _count(session, Target) == 2


# --- scope ---------------------------------------------------------------------------------------------------------


def test_agency_official_reads_own_targets_only_and_cannot_change_them(client: TestClient, session: Session) -> None:
    world = _world(session)
    own = _target(session, world.commune, "sipas", date(2026, 1, 1), date(2026, 12, 31), 85)
    below = _target(session, world.ward, "sipas", date(2026, 1, 1), date(2026, 12, 31), 84)
    sibling = _target(session, world.sibling, "sipas", date(2026, 1, 1), date(2026, 12, 31), 80)
    parent = _target(session, world.province, "sipas", date(2026, 1, 1), date(2026, 12, 31), 86)
    official = login(client, session, "x01", Role.agency_official, world.commune)

    listed = client.get("/api/v1/targets", headers=official).json()
    assert [(item["id"], item["agency"]) for item in listed["items"]] == [(own.id, "HN-X01"), (below.id, "HN-X01-T1")]
    assert client.get(f"/api/v1/targets/{own.id}", headers=official).status_code == 200
    for hidden in (sibling.id, parent.id):
        response = client.get(f"/api/v1/targets/{hidden}", headers=official)
        assert response.status_code == 404
        assert response.json() == {"error": {"code": "not_found", "message": f"no target with id {hidden}"}}
    by_sibling = client.get("/api/v1/targets", params={"agency": "HN-X02"}, headers=official)
    by_unknown = client.get("/api/v1/targets", params={"agency": "NOPE"}, headers=official)
    assert by_sibling.status_code == by_unknown.status_code == 404
    assert by_sibling.json()["error"]["message"] == "no agency with code 'HN-X02'"

    forbidden = {"error": {"code": "forbidden", "message": "this needs an administrator (province_admin or national)"}}
    attempts = [
        client.post(
            "/api/v1/targets",
            headers=official,
            json={
                "agency": "HN-X01",
                "indicator": "sipas",
                "period_start": "2027-01-01",
                "period_end": "2027-12-31",
                "threshold_pct": 90,
            },
        ),
        client.patch(f"/api/v1/targets/{own.id}", json={"threshold_pct": 50}, headers=official),
        client.put(
            f"/api/v1/targets/{own.id}",
            headers=official,
            json={
                "agency": "HN-X01",
                "indicator": "sipas",
                "period_start": "2026-01-01",
                "period_end": "2026-12-31",
                "threshold_pct": 50,
            },
        ),
        client.delete(f"/api/v1/targets/{own.id}", headers=official),
        _upload(client, "/api/v1/targets/upload", TARGET_HEADER + "HN-X01,sipas,2027-01-01,2027-12-31,90,\n", official),
        client.delete(f"/api/v1/population-counts/{own.id}", params=WHY, headers=official),
    ]
    assert [(r.status_code, r.json()) for r in attempts] == [(403, forbidden)] * len(attempts)
    assert _count(session, Target) == 4 and _actions(session) == []


def test_province_admin_writes_in_its_subtree_only(client: TestClient, session: Session) -> None:
    world = _world(session)
    elsewhere = _target(session, world.other, "sipas", date(2026, 1, 1), date(2026, 12, 31), 86)
    admin = login(client, session, "hn-admin", Role.province_admin, world.province)
    national = login(client, session, "nat", Role.national, None)

    body = {
        "agency": "HN-X02",
        "indicator": "service",
        "period_start": "2026-01-01",
        "period_end": "2026-12-31",
        "threshold_pct": 85,
    }
    mine = client.post("/api/v1/targets", json=body, headers=admin)
    assert mine.status_code == 201
    moved = client.patch(f"/api/v1/targets/{mine.json()['id']}", json={"agency": "DN"}, headers=admin)
    assert (moved.status_code, moved.json()["error"]["message"]) == (422, "/agency: no agency with code 'DN'")
    missing_id = elsewhere.id + 1000
    for method in ("get", "delete"):
        theirs = client.request(method, f"/api/v1/targets/{elsewhere.id}", headers=admin)
        missing = client.request(method, f"/api/v1/targets/{missing_id}", headers=admin)
        assert theirs.status_code == missing.status_code == 404
    theirs = client.patch(f"/api/v1/targets/{elsewhere.id}", json={"threshold_pct": 1}, headers=admin)
    assert theirs.json() == {"error": {"code": "not_found", "message": f"no target with id {elsewhere.id}"}}
    assert [item["agency"] for item in client.get("/api/v1/targets", headers=admin).json()["items"]] == ["HN-X02"]
    assert [item["agency"] for item in client.get("/api/v1/targets", headers=national).json()["items"]] == [
        "DN",
        "HN-X02",
    ]
    session.refresh(elsewhere)
    assert elsewhere.threshold_pct == 86


def test_list_filters(client: TestClient, session: Session) -> None:
    world = _world(session)
    _target(session, world.province, "sipas", date(2025, 1, 1), date(2025, 12, 31), 85)
    t2026 = _target(session, world.province, "sipas", date(2026, 1, 1), date(2026, 12, 31), 86)
    _target(session, world.province, "service", date(2026, 1, 1), date(2026, 12, 31), 84)
    _target(session, world.commune, "sipas", date(2026, 1, 1), date(2026, 6, 30), 90)
    admin = login(client, session, "hn-admin", Role.province_admin, world.province)

    def ids(**params: str) -> list[tuple[str, str, str]]:
        items = client.get("/api/v1/targets", params=params, headers=admin).json()["items"]
        return [(item["agency"], item["indicator"], item["period_start"]) for item in items]

    assert ids(agency="HN", indicator="sipas") == [("HN", "sipas", "2025-01-01"), ("HN", "sipas", "2026-01-01")]
    assert ids(on="2026-08-01") == [("HN", "service", "2026-01-01"), ("HN", "sipas", "2026-01-01")]
    assert ids(on="2026-06-30", indicator="sipas") == [("HN", "sipas", "2026-01-01"), ("HN-X01", "sipas", "2026-01-01")]
    paged = client.get("/api/v1/targets", params={"limit": 1, "offset": 2}, headers=admin).json()
    assert (paged["total"], [item["id"] for item in paged["items"]]) == (4, [t2026.id])


# --- targets: CSV ------------------------------------------------------------------------------------------------


def test_target_upload_lists_every_error_and_stores_nothing(client: TestClient, session: Session) -> None:
    world = _world(session)
    admin = login(client, session, "hn-admin", Role.province_admin, world.province)
    text = TARGET_HEADER + (
        "HN,sipas,2026-01-01,2026-12-31,86,true\n"
        "HN-X01,sipas,2026-01-01,2026-12-31,120,\n"
        "DN,sipas,2026-01-01,2026-12-31,86,\n"
        "HN,servise,2026-01-01,2025-12-31,abc,maybe\n"
        "\n"
        "HN,sipas,2026-01-01,2026-06-30,80,false\n"
        "HN-X02,item:overall,2026-02-30,,86,\n"
        "HN-X02,sipas,2026-01-01,2026-12-31,86,true,extra\n"
    )
    response = _upload(client, "/api/v1/targets/upload", text, admin)
    assert response.status_code == 422
    # The width of line 9 is checked first: a file with ragged lines is refused before its cells are read.
    assert response.json()["error"] == {
        "code": "invalid",
        "message": "nothing was stored: line 9: 7 fields where the header has 6",
        "details": {"count": 1, "errors": [{"line": 9, "column": None, "message": "7 fields where the header has 6"}]},
    }
    response = _upload(client, "/api/v1/targets/upload", text.rsplit("HN-X02,sipas", 1)[0], admin)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["message"] == (
        "nothing was stored: line 3, column threshold_pct: '120' must be between 0 and 100 (and 8 more)"
    )
    assert [f"line {e['line']}, column {e['column']}: {e['message']}" for e in error["details"]["errors"]] == [
        "line 3, column threshold_pct: '120' must be between 0 and 100",
        "line 4, column agency: no agency with code 'DN'",
        "line 5, column applies_to_subtree: 'maybe' must be true or false",
        "line 5, column indicator: 'servise' is not an indicator of the registered forms (use 'sipas', a component "
        "code such as 'service', 'element:<code>' or 'item:<code>'); did you mean 'service'?",
        "line 5, column period_end: 2025-12-31 is before period_start 2026-01-01",
        "line 5, column threshold_pct: 'abc' is not a number",
        "line 7, column period_start: agency 'HN', indicator 'sipas', period_start 2026-01-01 already appears on "
        "line 2",
        "line 8, column period_end: a value is required",
        "line 8, column period_start: '2026-02-30' is not a date (YYYY-MM-DD)",
    ]
    assert error["details"]["count"] == 9
    assert _count(session, Target) == 0

    header = _upload(client, "/api/v1/targets/upload", "agency,indicator,start,threshold_pct,note\n", admin)
    assert header.json()["error"]["message"] == (
        "nothing was stored: line 1: missing column(s) period_start, period_end; unknown column(s) start, note; "
        "expected the header agency,indicator,period_start,period_end,threshold_pct,applies_to_subtree"
    )
    latin1 = _upload(client, "/api/v1/targets/upload", (TARGET_HEADER + "Hà Nam,sipas\n").encode("latin-1"), admin)
    assert (
        latin1.json()["error"]["message"] == "nothing was stored: line 2: not UTF-8 text (save the file as CSV UTF-8)"
    )
    bad_date = _upload(client, "/api/v1/targets/upload", TARGET_HEADER + "HN,sipas,2026-02-30,2026-12-31,86,\n", admin)
    assert bad_date.json()["error"]["message"] == (
        "nothing was stored: line 2, column period_start: '2026-02-30' is not a date (YYYY-MM-DD)"
    )
    empty = _upload(client, "/api/v1/targets/upload", "", admin)
    assert empty.json()["error"]["message"] == (
        "nothing was stored: line 1: the file is empty; expected the header "
        "agency,indicator,period_start,period_end,threshold_pct,applies_to_subtree"
    )
    assert _count(session, Target) == 0 and _actions(session) == []


def test_target_upload_refuses_overlaps_with_the_file_and_the_database(client: TestClient, session: Session) -> None:
    world = _world(session)
    stored = _target(session, world.province, "sipas", date(2026, 1, 1), date(2026, 12, 31), 86)
    admin = login(client, session, "hn-admin", Role.province_admin, world.province)
    text = TARGET_HEADER + (
        "HN,sipas,2026-07-01,2027-06-30,87,\n"
        "HN-X01,service,2026-01-01,2026-12-31,80,\n"
        "HN-X01,service,2026-12-31,2027-12-31,81,\n"
    )
    response = _upload(client, "/api/v1/targets/upload", text, admin)
    assert [f"line {e['line']}: {e['message']}" for e in response.json()["error"]["details"]["errors"]] == [
        f"line 2: the period 2026-07-01 to 2027-06-30 overlaps target {stored.id} (2026-01-01 to 2026-12-31) of "
        "agency 'HN' for 'sipas'; periods of one agency and indicator must not overlap",
        "line 4: the period 2026-12-31 to 2027-12-31 overlaps line 3 (2026-01-01 to 2026-12-31) of agency 'HN-X01' "
        "for 'service'; periods of one agency and indicator must not overlap",
    ]
    assert _count(session, Target) == 1
    # Moving the stored period's end in the same file (same start: an update) makes room.
    fixed = TARGET_HEADER + "HN,sipas,2026-01-01,2026-06-30,86,\nHN,sipas,2026-07-01,2027-06-30,87,\n"
    assert _upload(client, "/api/v1/targets/upload", fixed, admin).json() == {"rows": 2, "created": 1, "updated": 1}


def test_target_upload_upserts_and_export_round_trips(client: TestClient, session: Session) -> None:
    world = _world(session)
    _target(session, world.other, "sipas", date(2026, 1, 1), date(2026, 12, 31), 70)  # not the admin's
    admin = login(client, session, "hn-admin", Role.province_admin, world.province)
    text = (
        "\ufeff"
        + TARGET_HEADER
        + (
            "HN,sipas,2026-01-01,2026-12-31,86,true\n"
            "HN-X01,element:access,2026-01-01,2026-06-30,82.5,FALSE\n"
            '"HN-X02",item:overall,2026-01-01,2026-12-31,90,\n'
        )
    )
    first = _upload(client, "/api/v1/targets/upload", text, admin)
    assert first.status_code == 200, first.text
    assert first.json() == {"rows": 3, "created": 3, "updated": 0}
    exported = client.get("/api/v1/targets/export.csv", headers=admin)
    assert exported.status_code == 200
    assert exported.headers["content-type"] == "text/csv; charset=utf-8"
    assert exported.headers["content-disposition"] == 'attachment; filename="targets.csv"'
    assert exported.text == TARGET_HEADER + (
        "HN,sipas,2026-01-01,2026-12-31,86,true\n"
        "HN-X01,element:access,2026-01-01,2026-06-30,82.5,false\n"
        "HN-X02,item:overall,2026-01-01,2026-12-31,90,true\n"
    )
    again = _upload(client, "/api/v1/targets/upload", exported.content, admin)
    assert again.json() == {"rows": 3, "created": 0, "updated": 3}
    assert client.get("/api/v1/targets/export.csv", headers=admin).text == exported.text

    changed = TARGET_HEADER + "HN,sipas,2026-01-01,2026-12-31,87,true\nHN,sipas,2027-01-01,2027-12-31,88,\n"
    assert _upload(client, "/api/v1/targets/upload", changed, admin).json() == {"rows": 2, "created": 1, "updated": 1}
    hn = client.get("/api/v1/targets", params={"agency": "HN"}, headers=admin).json()["items"]
    assert [(item["period_start"], item["threshold_pct"]) for item in hn] == [
        ("2026-01-01", 87.0),
        ("2027-01-01", 88.0),
    ]
    assert _count(session, Target) == 5

    uploads = session.scalars(select(AuditEvent).where(AuditEvent.action == "target.upload").order_by(AuditEvent.id))
    details = [event.details for event in uploads]
    assert [(d["rows"], d["created"], d["updated"], d["file"]) for d in details if d] == [
        (3, 3, 0, "data.csv"),
        (3, 0, 3, "data.csv"),
        (2, 1, 1, "data.csv"),
    ]
    assert all(d and len(d["sha256"]) == 64 for d in details)


# --- population counts ---------------------------------------------------------------------------------------------


def test_population_count_crud_and_scope(client: TestClient, session: Session) -> None:
    world = _world(session)
    admin = login(client, session, "hn-admin", Role.province_admin, world.province)
    official = login(client, session, "x02", Role.agency_official, world.sibling)
    body = {
        "agency": "HN-X01",
        "period_start": "2026-01-01",
        "period_end": "2026-01-31",
        "dossiers_handled": 1250,
        "procedure_field": None,
    }

    def post(**changes: Any) -> Any:
        return client.post("/api/v1/population-counts", json={**body, **WHY, **changes}, headers=admin)

    created = post()
    assert created.status_code == 201, created.text
    count_id = created.json()["id"]
    assert _without_created_at(created.json()) == {"id": count_id, **body}
    land = post(procedure_field="land", dossiers_handled=300)
    assert land.status_code == 201 and land.json()["procedure_field"] == "land"
    duplicate = post()
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["message"] == (
        f"agency 'HN-X01' (all procedure fields) already has a population count starting 2026-01-01 (id {count_id}); "
        "change that one instead"
    )
    field = post(procedure_field="moon")
    assert (field.status_code, field.json()["error"]["message"]) == (
        422,
        "/procedure_field: no procedure field with code 'moon'",
    )
    negative = post(dossiers_handled=-1)
    assert negative.status_code == 422
    assert negative.json()["error"]["details"][0]["pointer"] == "/dossiers_handled"

    patch = {"dossiers_handled": 1320, "reason": "  Sở gửi lại số liệu sau rà soát  "}
    patched = client.patch(f"/api/v1/population-counts/{count_id}", json=patch, headers=admin)
    assert patched.json()["dossiers_handled"] == 1320
    to_all = client.patch(
        f"/api/v1/population-counts/{land.json()['id']}", json={"procedure_field": None, **WHY}, headers=admin
    )
    assert to_all.status_code == 409  # would duplicate the count of all fields
    replaced = client.put(
        f"/api/v1/population-counts/{count_id}",
        headers=admin,
        json={**body, **WHY, "period_end": "2026-01-15", "dossiers_handled": 700},
    )
    assert _without_created_at(replaced.json()) == {
        "id": count_id,
        **body,
        "period_end": "2026-01-15",
        "dossiers_handled": 700,
    }

    # A sibling commune's official sees none of it, and the list and the row answer as if it did not exist.
    assert client.get("/api/v1/population-counts", headers=official).json()["items"] == []
    hidden = client.get(f"/api/v1/population-counts/{count_id}", headers=official)
    assert hidden.json() == {"error": {"code": "not_found", "message": f"no population count with id {count_id}"}}
    as_official = client.patch(
        f"/api/v1/population-counts/{count_id}", json={"dossiers_handled": 1, **WHY}, headers=official
    )
    assert as_official.status_code == 403
    listed = client.get("/api/v1/population-counts", params={"agency": "HN-X01"}, headers=admin).json()["items"]
    assert [(item["procedure_field"], item["dossiers_handled"]) for item in listed] == [(None, 700), ("land", 300)]
    only_land = client.get("/api/v1/population-counts", params={"procedure_field": "land"}, headers=admin).json()
    assert [item["dossiers_handled"] for item in only_land["items"]] == [300]

    no_reason = client.delete(f"/api/v1/population-counts/{count_id}", headers=admin)
    assert (no_reason.status_code, no_reason.json()["error"]["message"]) == (422, "/query/reason: Field required")
    gone = client.delete(f"/api/v1/population-counts/{count_id}", params={"reason": "trùng số liệu"}, headers=admin)
    assert gone.status_code == 204
    assert _count(session, PopulationCount) == 1
    assert _actions(session) == [
        "population.create",
        "population.create",
        "population.update",
        "population.update",
        "population.delete",
    ]
    # Each event keeps the reason and every count's old and new value: agency, procedure field and period.
    events = session.scalars(select(AuditEvent).where(AuditEvent.action.like("population.%")).order_by(AuditEvent.id))
    create, _land, patch_event, put_event, delete = [event.details or {} for event in events]
    x01 = world.commune.id
    january = {"agency": "HN-X01", "agency_id": x01, "procedure_field": None, "period_start": "2026-01-01"}
    whole, half = {**january, "period_end": "2026-01-31"}, {**january, "period_end": "2026-01-15"}
    assert create == {**body, "reason": REASON, "counts": [{**whole, "from": None, "to": 1250}]}
    assert patch_event == {
        "changed": {"dossiers_handled": {"from": 1250, "to": 1320}},
        "reason": "Sở gửi lại số liệu sau rà soát",
        "counts": [{**whole, "from": 1250, "to": 1320}],
    }
    # A new period is a count left (the whole of January) and a count set (its first half).
    assert put_event["counts"] == [{**whole, "from": 1320, "to": None}, {**half, "from": None, "to": 700}]
    assert delete["reason"] == "trùng số liệu"
    assert delete["counts"] == [{**half, "from": 700, "to": None}]


def test_population_upload_errors_upsert_and_round_trip(client: TestClient, session: Session) -> None:
    world = _world(session)
    admin = login(client, session, "hn-admin", Role.province_admin, world.province)
    bad = COUNT_HEADER + (
        "HN-X01,2026-01-01,2026-01-31,-3,\n"
        "HN-X01,2026-01-01,2026-01-31,12.5,land\n"
        "HN-X01,2026-02-01,2026-02-28,40,moon\n"
        "DN,2026-01-01,2026-01-31,40,\n"
        "HN-X02,2026-03-01,2026-03-31,99999999999,\n"  # was a 500: more than the integer column holds
        "HN-X02,2026-01-01,2026-01-31,10,\n"
        "HN-X02,2026-01-15,2026-02-14,10,\n"
    )
    response = _upload(client, "/api/v1/population-counts/upload", bad, admin)
    assert response.status_code == 422
    assert [
        f"line {e['line']}, column {e['column']}: {e['message']}" for e in response.json()["error"]["details"]["errors"]
    ] == [
        "line 2, column dossiers_handled: '-3' must be a whole number ≥ 0",
        "line 3, column dossiers_handled: '12.5' must be a whole number ≥ 0",
        "line 4, column procedure_field: no procedure field with code 'moon'",
        "line 5, column agency: no agency with code 'DN'",
        "line 6, column dossiers_handled: '99999999999' is above the ceiling of 10000000 dossiers for a period of "
        "1 month(s) (10000000 a month and agency)",
    ]
    overlap = _upload(
        client,
        "/api/v1/population-counts/upload",
        COUNT_HEADER + bad.splitlines(True)[-2] + bad.splitlines(True)[-1],
        admin,
    )
    assert overlap.json()["error"]["message"] == (
        "nothing was stored: line 3, column period_start: the period 2026-01-15 to 2026-02-14 overlaps line 2 "
        "(2026-01-01 to 2026-01-31) of agency 'HN-X02' (all procedure fields); periods of one agency and procedure "
        "field must not overlap"
    )
    assert _count(session, PopulationCount) == 0

    good = (
        "agency,period_start,period_end,dossiers_handled\n"  # procedure_field may be left out
        "HN-X01,2026-01-01,2026-01-31,120\nHN-X01,2026-02-01,2026-02-28,130\n"
    )
    assert _upload(client, "/api/v1/population-counts/upload", good, admin).json() == {
        "rows": 2,
        "created": 2,
        "updated": 0,
    }
    more = COUNT_HEADER + "HN-X01,2026-01-01,2026-01-31,125,\nHN-X01,2026-01-01,2026-01-31,40,land\n"
    assert _upload(client, "/api/v1/population-counts/upload", more, admin).json() == {
        "rows": 2,
        "created": 1,
        "updated": 1,
    }
    exported = client.get("/api/v1/population-counts/export.csv", headers=admin)
    assert exported.text == COUNT_HEADER + (
        "HN-X01,2026-01-01,2026-01-31,125,\nHN-X01,2026-01-01,2026-01-31,40,land\nHN-X01,2026-02-01,2026-02-28,130,\n"
    )
    assert _upload(client, "/api/v1/population-counts/upload", exported.content, admin).json() == {
        "rows": 3,
        "created": 0,
        "updated": 3,
    }
    assert client.get("/api/v1/population-counts/export.csv", headers=admin).text == exported.text
    assert _actions(session) == ["population.upload"] * 3
    # Each upload keeps its reason and the counts it changed (an unchanged row is no change).
    uploads = session.scalars(select(AuditEvent).where(AuditEvent.action == "population.upload"))
    where = {"agency": "HN-X01", "agency_id": world.commune.id, "procedure_field": None}
    january = {**where, "period_start": "2026-01-01", "period_end": "2026-01-31"}
    february = {**where, "period_start": "2026-02-01", "period_end": "2026-02-28"}
    assert [(event.details or {})["counts"] for event in uploads] == [
        [{**january, "from": None, "to": 120}, {**february, "from": None, "to": 130}],
        [{**january, "from": 120, "to": 125}, {**january, "procedure_field": "land", "from": None, "to": 40}],
        [],
    ]


# --- which target applies ----------------------------------------------------------------------------------------


def test_target_for_inherits_from_the_nearest_ancestor_in_force(session: Session) -> None:
    world = _world(session)
    province_2026 = _target(session, world.province, "sipas", date(2026, 1, 1), date(2026, 12, 31), 86)
    province_2027 = _target(session, world.province, "sipas", date(2027, 1, 1), date(2027, 12, 31), 88)
    commune_h1 = _target(session, world.commune, "sipas", date(2026, 1, 1), date(2026, 6, 30), 90)
    sibling_own = _target(session, world.sibling, "sipas", date(2026, 1, 1), date(2026, 12, 31), 70, subtree=False)
    commune_service = _target(
        session, world.commune, "service", date(2026, 1, 1), date(2026, 12, 31), 80, subtree=False
    )

    cases = [
        (world.ward, "sipas", date(2026, 3, 1), commune_h1),  # the parent is nearer than the grandparent
        (world.ward, "sipas", date(2026, 7, 1), province_2026),  # the parent's period has ended
        (world.ward, "sipas", date(2027, 7, 1), province_2027),  # the period containing the day
        (world.ward, "sipas", date(2025, 12, 31), None),  # nothing in force
        (world.ward, "service", date(2026, 3, 1), None),  # the parent's target is for itself only
        (world.commune, "service", date(2026, 3, 1), commune_service),  # ...but applies to the parent itself
        (world.commune, "sipas", date(2026, 6, 30), commune_h1),  # both ends of a period are included
        (world.sibling, "sipas", date(2026, 3, 1), sibling_own),  # its own target, even if not for its subtree
        (world.province, "sipas", date(2026, 12, 31), province_2026),
        (world.other, "sipas", date(2026, 3, 1), None),  # another province inherits nothing
    ]
    for agency, indicator, on, expected in cases:
        assert target_for(session, agency, indicator, on) is expected, (agency.code, indicator, on)

    agency_ids = [world.province.id, world.commune.id, world.sibling.id, world.ward.id, world.other.id, 999_999]
    resolved = targets_for(session, agency_ids, ["sipas", "service"], date(2026, 3, 1))
    assert {(key[0], key[1]): target.id for key, target in resolved.items()} == {
        (world.province.id, "sipas"): province_2026.id,
        (world.commune.id, "sipas"): commune_h1.id,
        (world.commune.id, "service"): commune_service.id,
        (world.sibling.id, "sipas"): sibling_own.id,
        (world.ward.id, "sipas"): commune_h1.id,
    }
    for agency_id in agency_ids[:5]:
        for indicator in ("sipas", "service"):
            agency = session.get(Agency, agency_id)
            assert agency is not None
            assert resolved.get((agency_id, indicator)) == target_for(session, agency, indicator, date(2026, 3, 1))
    assert targets_for(session, [], ["sipas"], date(2026, 3, 1)) == {}


@pytest.mark.parametrize("path", ["/api/v1/targets", "/api/v1/population-counts", "/api/v1/targets/export.csv"])
def test_reading_needs_alogin(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 401


AT_LEAST_1 = "Input should be greater than or equal to 1"
AT_MOST_INT = "Input should be less than or equal to 2147483647"


@pytest.mark.parametrize(
    ("method", "path", "body", "message"),
    [
        ("GET", f"/api/v1/targets/{-(2**63) - 1}", None, f"/path/target_id: {AT_LEAST_1}"),
        ("PUT", f"/api/v1/targets/{2**63}", "target", f"/path/target_id: {AT_MOST_INT}"),
        ("PATCH", f"/api/v1/population-counts/{-(2**63) - 1}", {}, f"/path/count_id: {AT_LEAST_1}"),
        ("GET", f"/api/v1/population-counts?offset={2**63}", None, f"/query/offset: {AT_MOST_INT}"),
        ("PATCH", "/api/v1/population-counts/1", {"dossiers_handled": 2**63}, f"/dossiers_handled: {AT_MOST_INT}"),
    ],
)
def test_numbers_no_column_holds_are_refused(
    client: TestClient, session: Session, method: str, path: str, body: Any, message: str
) -> None:
    """Found by tests/fuzz: these ids, offsets and counts reached the database and answered 500 (OverflowError on
    SQLite)."""
    world = _world(session)
    headers = login(client, session, "admin", Role.province_admin, world.province)
    target = {
        "agency": "HN-X01",
        "indicator": "sipas",
        "period_start": "2026-01-01",
        "period_end": "2026-12-31",
        "threshold_pct": 86,
    }
    json = target if body == "target" else body
    response = client.request(method, path, headers=headers, json=json)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["message"] == message
