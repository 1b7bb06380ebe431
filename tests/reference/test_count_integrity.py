"""Population counts one official cannot use to flip a figure (issue: "Figures that one official can flip"): the
plausibility bounds of app.reference.checks.check_count on create, PUT, PATCH and CSV upload, the reason every
change needs, the old and new value in the audit log, recent_count_changes, and formula-safe CSV exports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.config import Settings
from app.db import utcnow
from app.demo import PROVINCE_CODE
from app.directory.models import Agency, AgencyLevel, Counter, ProcedureField, Role
from app.directory.service import create_agency
from app.errors import DB_INT_MAX
from app.reference.checks import count_ceiling
from app.reference.count_changes import CountChange, recent_count_changes
from app.reference.models import PopulationCount, Target
from app.responses.models import Response
from tests.factories import counter_tree, live_response, login

COUNTS = "/api/v1/population-counts"
HEADER = "agency,period_start,period_end,dossiers_handled,procedure_field\n"
REASON = "Báo cáo tháng của xã (số 7/BC-UBND)"
CEILING_1_MONTH = "is above the ceiling of 10000000 dossiers for a period of 1 month(s) (10000000 a month and agency)"


def _upload(client: TestClient, text: str, headers: dict[str, str], **form: str) -> Any:
    files = {"file": ("counts.csv", text.encode(), "text/csv")}
    return client.post(f"{COUNTS}/upload", files=files, data={"reason": REASON, **form}, headers=headers)


def _lines(response: Any) -> list[str]:
    return [
        f"line {e['line']}, column {e['column']}: {e['message']}" for e in response.json()["error"]["details"]["errors"]
    ]


def _month(month: int) -> tuple[str, str]:
    """The first and last day of a month of 2026, as text."""
    start = date(2026, month, 1)
    end = (start + timedelta(days=31)).replace(day=1) - timedelta(days=1)
    return str(start), str(end)


@dataclass
class Commune:
    admin: dict[str, str]
    agency: Agency
    counter: Counter


def _commune(client: TestClient, session: Session, settings: Settings) -> Commune:
    """HN-X01 (below HN, counter Q01) with 5 responses in January 2026, 2 of them for the procedure field land;
    its province's administrator logged in."""
    province, commune, counter = counter_tree(session)
    for day in range(5, 10):
        field = "land" if day < 7 else None
        day_of = date(2026, 1, day)
        live_response(session, settings, agency=commune, counter=counter, day=day_of, overall=4, procedure_field=field)
    return Commune(login(client, session, "hn-admin", Role.province_admin, province), commune, counter)


def _post(client: TestClient, headers: dict[str, str], month: int, dossiers: int, **extra: Any) -> Any:
    start, end = _month(month)
    body: dict[str, Any] = {"agency": "HN-X01", "period_start": start, "period_end": end, "procedure_field": None}
    body["dossiers_handled"] = dossiers
    return client.post(COUNTS, json={**body, "reason": REASON, **extra}, headers=headers)


# --- the repro: the demo province -------------------------------------------------------------------------


def _province_sipas(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    body = client.get("/api/v1/satisfaction", params={"agency": PROVINCE_CODE}, headers=headers).json()
    [total] = [row for row in body["total"] if row["metric"] == "sipas"]
    return {name: total[name] for name in ("estimate_pct", "ci_low_pct", "ci_high_pct", "verdict")}


@pytest.mark.slow
@pytest.mark.demo(end=date(2026, 12, 4))
def test_a_department_admin_cannot_move_the_province_verdict(client: TestClient, session: Session) -> None:
    """The issue: on the demo (12 months to November 2026) the province's SIPAS is 84.74% [84.45, 85.03], not met
    (target 86%). An administrator of one department (Sở Tư pháp) PATCHed one month's count to 2,147,483,647 and
    the province's figure read met. Now: refused by the ceiling, confirmed or not, through the API and the upload;
    ten times the department's usual count needs confirm_outlier; the figure does not move."""
    national = login(client, session, "national", Role.national, None)
    before = _province_sipas(client, national)
    assert before["verdict"] == "not_met"
    assert (round(before["estimate_pct"], 2), round(before["ci_low_pct"], 2)) == (84.74, 84.45)

    department = session.scalar(select(Agency).where(Agency.code == f"{PROVINCE_CODE}-STP"))
    assert department is not None and department.level is AgencyLevel.department
    admin = login(client, session, "stp-admin", Role.province_admin, department)
    december = session.scalar(
        select(PopulationCount).where(
            PopulationCount.agency_id == department.id, PopulationCount.period_start == date(2025, 12, 1)
        )
    )
    assert december is not None
    usual = december.dossiers_handled
    url = f"{COUNTS}/{december.id}"
    for confirm in (False, True):
        body = {"dossiers_handled": DB_INT_MAX, "reason": "số liệu mới", "confirm_outlier": confirm}
        refused = client.patch(url, json=body, headers=admin)
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["message"] == f"/dossiers_handled: '{DB_INT_MAX}' {CEILING_1_MONTH}"
    # Below the ceiling, ten times the department's usual month is an outlier to confirm.
    outlier = client.patch(url, json={"dossiers_handled": 9_999_999, "reason": "số liệu mới"}, headers=admin)
    assert outlier.status_code == 422
    message = outlier.json()["error"]["message"]
    assert message.startswith(
        "/dossiers_handled: '9999999' is more than 10 times the usual count of agency 'MA-STP' (all procedure fields) "
        "for 31 day(s) (about "
    )
    assert message.endswith(
        "the median per day of its 11 other count(s)); if it is right, confirm it with confirm_outlier true"
    )
    upload = _upload(client, f"{HEADER}MA-STP,2025-12-01,2025-12-31,{DB_INT_MAX},\n", admin, confirm_outlier="true")
    assert upload.status_code == 422
    assert _lines(upload) == [f"line 2, column dossiers_handled: '{DB_INT_MAX}' {CEILING_1_MONTH}"]

    session.refresh(december)
    assert december.dossiers_handled == usual
    assert _province_sipas(client, national) == before
    # What the refused PATCH would have done, written behind the API's back: the province's verdict flips.
    december.dossiers_handled = DB_INT_MAX
    session.commit()
    assert _province_sipas(client, national)["verdict"] == "met"


# --- the bounds ---------------------------------------------------------------------------------------------------


def test_count_ceiling_per_month_never_beyond_the_column() -> None:
    assert count_ceiling(date(2026, 1, 1), date(2026, 1, 31)) == 10_000_000
    assert count_ceiling(date(2026, 1, 15), date(2026, 2, 14)) == 20_000_000  # two calendar months touched
    assert count_ceiling(date(2026, 1, 1), date(2026, 12, 31)) == 120_000_000
    assert count_ceiling(date(2000, 1, 1), date(2030, 12, 31)) == DB_INT_MAX


def test_a_count_below_the_responses_received_is_refused(
    client: TestClient, session: Session, settings: Settings
) -> None:
    """Each response stands for at least one dossier: N below n would weigh a response less than one dossier.
    Counted as the weights count them: test responses and suspected spam are left out."""
    world = _commune(client, session, settings)
    fewer = _post(client, world.admin, 1, 4)
    assert fewer.status_code == 422
    assert fewer.json()["error"] == {
        "code": "invalid",
        "message": "/dossiers_handled: '4' is fewer than the 5 responses agency 'HN-X01' (all procedure fields) "
        "received from 2026-01-01 to 2026-01-31: each response stands for at least one dossier handled",
        "details": [{"pointer": "/dossiers_handled", "message": fewer.json()["error"]["details"][0]["message"]}],
    }
    land = _post(client, world.admin, 1, 1, procedure_field="land")
    assert land.json()["error"]["message"].startswith(
        "/dossiers_handled: '1' is fewer than the 2 responses agency 'HN-X01' (procedure field 'land') received"
    )
    assert _post(client, world.admin, 1, 2, procedure_field="land").status_code == 201
    first = session.scalars(select(Response.id).order_by(Response.id)).first()
    session.execute(update(Response).where(Response.id == first).values(is_suspected_spam=True))
    session.commit()
    assert _post(client, world.admin, 1, 4).status_code == 201  # the flagged response is not counted
    upload = _upload(client, f"{HEADER}HN-X01,2026-01-01,2026-01-31,3,\n", world.admin)
    assert _lines(upload) == [
        "line 2, column dossiers_handled: '3' is fewer than the 4 responses agency 'HN-X01' (all procedure fields) "
        "received from 2026-01-01 to 2026-01-31: each response stands for at least one dossier handled"
    ]


def test_an_outlier_against_the_agency_history_needs_confirmation(
    client: TestClient, session: Session, settings: Settings
) -> None:
    """History: the median dossiers per day of the series' other counts, 10 here; July's usual is 310."""
    world = _commune(client, session, settings)
    for month in range(2, 7):
        start, end = (date.fromisoformat(day) for day in _month(month))
        assert _post(client, world.admin, month, 10 * ((end - start).days + 1)).status_code == 201
    usual = (
        "the usual count of agency 'HN-X01' (all procedure fields) for 31 day(s) (about 310: the median per day of "
        "its 5 other count(s))"
    )
    confirm = "; if it is right, confirm it with confirm_outlier true"
    high = _post(client, world.admin, 7, 3101)
    assert (high.status_code, high.json()["error"]["message"]) == (
        422,
        f"/dossiers_handled: '3101' is more than 10 times {usual}{confirm}",
    )
    low = _post(client, world.admin, 7, 30)
    assert low.json()["error"]["message"] == f"/dossiers_handled: '30' is less than 1/10 of {usual}{confirm}"
    assert _post(client, world.admin, 7, 3100).status_code == 201  # ten times is still plausible
    # Confirmed, with its reason, an outlier is stored and the warning the official overrode is in the log.
    august = _post(client, world.admin, 8, 9000, confirm_outlier=True, reason="Đợt cấp đổi sổ đỏ hàng loạt")
    assert august.status_code == 201, august.text
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "population.create").order_by(AuditEvent.id.desc())
    ).first()
    assert event is not None and event.details is not None
    assert event.details["reason"] == "Đợt cấp đổi sổ đỏ hàng loạt"
    assert event.details["counts"][0]["confirmed_outlier"].startswith("'9000' is more than 10 times the usual count")
    # The ceiling is never waived.
    huge = _post(client, world.admin, 9, 10_000_001, confirm_outlier=True)
    assert huge.json()["error"]["message"] == f"/dossiers_handled: '10000001' {CEILING_1_MONTH}"
    # PATCH and PUT: the history is the series' other counts (not the count's own old value).
    february = session.scalar(select(PopulationCount.id).where(PopulationCount.period_start == date(2026, 2, 1)))
    patched = client.patch(
        f"{COUNTS}/{february}", json={"dossiers_handled": 28_001, "reason": "sửa"}, headers=world.admin
    )
    assert patched.json()["error"]["message"].startswith("/dossiers_handled: '28001' is more than 10 times")
    whole = {"agency": "HN-X01", "period_start": "2026-02-01", "period_end": "2026-02-28", "procedure_field": None}
    confirmed = {**whole, "dossiers_handled": 28_001, "reason": "sửa", "confirm_outlier": True}
    put = client.put(f"{COUNTS}/{february}", headers=world.admin, json=confirmed)
    assert put.status_code == 200, put.text
    # The upload: same checks, one confirmation for the file.
    text = f"{HEADER}HN-X01,2026-10-01,2026-10-31,99000,\nHN-X01,2026-11-01,2026-11-30,300,\n"
    upload = _upload(client, text, world.admin)
    assert _lines(upload) == [
        "line 2, column dossiers_handled: '99000' is more than 10 times the usual count of agency 'HN-X01' (all "
        "procedure fields) for 31 day(s) (about 310: the median per day of its 7 other count(s)); if it is right, "
        "confirm it with confirm_outlier true"
    ]
    assert _upload(client, text, world.admin, confirm_outlier="true").json() == {"rows": 2, "created": 2, "updated": 0}
    # The exported file, with the confirmed outlier as stored, uploads again without confirmation: no change.
    exported = client.get(f"{COUNTS}/export.csv", headers=world.admin).text
    assert _upload(client, exported, world.admin).json() == {"rows": 9, "created": 0, "updated": 9}


def test_an_upload_without_stored_history_is_checked_against_its_other_rows(
    client: TestClient, session: Session, settings: Settings
) -> None:
    world = _commune(client, session, settings)
    rows = [f"HN-X01,{_month(m)[0]},{_month(m)[1]},{5000 if m == 6 else 300},\n" for m in range(1, 13)]
    refused = _upload(client, HEADER + "".join(rows), world.admin)
    [error] = _lines(refused)
    assert error.startswith("line 7, column dossiers_handled: '5000' is more than 10 times the usual count")
    assert "its 11 other count(s)" in error
    assert session.scalars(select(PopulationCount)).all() == []


def test_a_huge_cell_is_a_422_naming_line_and_column(client: TestClient, session: Session, settings: Settings) -> None:
    world = _commune(client, session, settings)
    text = f"{HEADER}HN-X01,2026-02-01,2026-02-28,{'9' * 5000},\nHN-X01,2026-03-01,2026-03-31,99999999999,\n"
    response = _upload(client, text, world.admin)
    assert response.status_code == 422
    assert _lines(response) == [
        f"line 2, column dossiers_handled: '{'9' * 18}…' has more than 18 digits: above the ceiling of 10000000 "
        "dossiers a month and agency",
        f"line 3, column dossiers_handled: '99999999999' {CEILING_1_MONTH}",
    ]


def test_every_change_needs_a_reason(client: TestClient, session: Session, settings: Settings) -> None:
    world = _commune(client, session, settings)
    start, end = _month(2)
    body: dict[str, Any] = {"agency": "HN-X01", "period_start": start, "period_end": end, "procedure_field": None}
    body["dossiers_handled"] = 300

    def message(response: Any) -> tuple[int, str]:
        return response.status_code, response.json()["error"]["message"]

    assert message(client.post(COUNTS, json=body, headers=world.admin)) == (422, "/reason: Field required")
    blank = client.post(COUNTS, json={**body, "reason": "  \n "}, headers=world.admin)
    assert message(blank) == (422, "/reason: a reason is required: where the count comes from, or why it changes")
    # a NUL anywhere in the body is refused before the route, naming the first field that holds one
    nul = client.post(COUNTS, json={**body, "reason": "a\x00b", "procedure_field": "\x00"}, headers=world.admin)
    assert nul.status_code == 422
    assert nul.json()["error"]["details"][0]["message"] == "contains a NUL character"
    assert nul.json()["error"]["details"][0]["pointer"] in ("/procedure_field", "/reason")
    long = client.post(COUNTS, json={**body, "reason": "x" * 501}, headers=world.admin)
    assert message(long) == (422, "/reason: String should have at most 500 characters")
    created = client.post(COUNTS, json={**body, "reason": "x" * 500}, headers=world.admin)
    assert created.status_code == 201
    url = f"{COUNTS}/{created.json()['id']}"
    assert message(client.patch(url, json={"dossiers_handled": 310}, headers=world.admin)) == (
        422,
        "/reason: Field required",
    )
    assert message(client.delete(url, params={"reason": " "}, headers=world.admin)) == (
        422,
        "/reason: a reason is required: where the count comes from, or why it changes",
    )
    files = {"file": ("counts.csv", f"{HEADER}HN-X01,{start},{end},305,\n".encode(), "text/csv")}
    no_reason = client.post(f"{COUNTS}/upload", files=files, headers=world.admin)
    assert message(no_reason) == (422, "/reason: Field required")
    assert session.scalars(select(PopulationCount.dossiers_handled)).all() == [300]


# --- recent count changes -------------------------------------------------------------------------------------------


def test_recent_count_changes_lists_who_changed_what_and_why(
    client: TestClient, session: Session, settings: Settings
) -> None:
    world = _commune(client, session, settings)
    parent = world.agency.parent
    other = create_agency(session, code="HN-X02", name_vi="Xã Kim Lan", level=AgencyLevel.commune, parent=parent)
    session.commit()
    start = utcnow()
    january = _post(client, world.admin, 1, 50).json()["id"]
    _post(client, world.admin, 2, 280)
    client.patch(f"{COUNTS}/{january}", json={"dossiers_handled": 60, "reason": "rà soát lại"}, headers=world.admin)
    rows = ["HN-X01,2026-02-01,2026-02-28,290", "HN-X01,2026-03-01,2026-03-31,300", "HN-X02,2026-01-01,2026-01-31,70"]
    text = HEADER + "".join(f"{row},\n" for row in rows)
    assert _upload(client, text, world.admin).status_code == 200
    client.delete(f"{COUNTS}/{january}", params={"reason": "nhập nhầm"}, headers=world.admin)

    changes = recent_count_changes(session, agency_ids=[world.agency.id], since=start)
    at = [change.at for change in changes]
    assert at == sorted(at, reverse=True) and all(moment >= start for moment in at)
    jan, feb, mar = ((date(2026, m, 1), date.fromisoformat(_month(m)[1])) for m in (1, 2, 3))
    assert [(c.action, (c.period_start, c.period_end), c.old, c.new, c.reason) for c in changes] == [
        ("delete", jan, 60, None, "nhập nhầm"),
        ("upload", feb, 280, 290, REASON),  # in file order within the upload
        ("upload", mar, None, 300, REASON),
        ("update", jan, 50, 60, "rà soát lại"),
        ("create", feb, None, 280, REASON),
        ("create", jan, None, 50, REASON),
    ]
    assert {(c.agency, c.procedure_field, c.by, c.confirmed_outlier) for c in changes} == {
        ("HN-X01", None, "hn-admin", None)
    }
    assert isinstance(changes[0], CountChange) and changes[0].at.tzinfo is not None
    # Only the agencies asked for, and only since the moment given.
    both = recent_count_changes(session, agency_ids=[world.agency.id, other.id], since=start)
    assert [(c.agency, c.new) for c in both if c.agency == "HN-X02"] == [("HN-X02", 70)]
    assert recent_count_changes(session, agency_ids=[other.id], since=start) == [
        c for c in both if c.agency == "HN-X02"
    ]
    assert recent_count_changes(session, agency_ids=[], since=start) == []
    session.execute(
        update(AuditEvent).where(AuditEvent.action == "population.create").values(at=datetime(2020, 1, 1, tzinfo=UTC))
    )
    session.commit()
    since_last_week = recent_count_changes(session, agency_ids=[world.agency.id], since=utcnow() - timedelta(days=7))
    assert [c.action for c in since_last_week] == ["delete", "upload", "upload", "update"]


# --- formula-safe exports --------------------------------------------------------------------------------------------


def test_reference_exports_neutralise_formulas(client: TestClient, session: Session, settings: Settings) -> None:
    """A code that a spreadsheet would run (an agency created as '=2+5', a procedure field '@SUM(1)', an old target
    row's indicator '+cmd') is exported with a leading ', and the exported file still uploads again unchanged."""
    world = _commune(client, session, settings)
    formula = create_agency(
        session, code="=2+5", name_vi="Xã Công Thức", level=AgencyLevel.commune, parent=world.agency.parent
    )
    session.add(ProcedureField(code="@SUM(1)", name_vi="Lĩnh vực lạ"))
    year = {"period_start": date(2026, 1, 1), "period_end": date(2026, 12, 31)}
    session.add(Target(agency_id=formula.id, indicator="+cmd", threshold_pct=86, applies_to_subtree=False, **year))
    session.commit()
    text = f"{HEADER}=2+5,2026-01-01,2026-01-31,40,\n=2+5,2026-01-01,2026-01-31,12,@SUM(1)\n"
    assert _upload(client, text, world.admin).json() == {"rows": 2, "created": 2, "updated": 0}

    counts = client.get(f"{COUNTS}/export.csv", headers=world.admin)
    assert counts.text == HEADER + "'=2+5,2026-01-01,2026-01-31,40,\n'=2+5,2026-01-01,2026-01-31,12,'@SUM(1)\n"
    assert _upload(client, counts.text, world.admin).json() == {"rows": 2, "created": 0, "updated": 2}
    targets = client.get("/api/v1/targets/export.csv", headers=world.admin)
    assert targets.text.splitlines()[1] == "'=2+5,'+cmd,2026-01-01,2026-12-31,86,false"


def test_a_figure_names_the_recent_count_changes_behind_it(
    client: TestClient, session: Session, settings: Settings
) -> None:
    world = _commune(client, session, settings)
    assert _post(client, world.admin, 1, 50).status_code == 201
    params = {"agency": "HN-X01", "from": "2026-01-01", "to": "2026-01-31"}
    meta = client.get("/api/v1/satisfaction", params=params, headers=world.admin).json()["meta"]
    assert meta["weighted"] is True
    [change] = meta["recent_count_changes"]
    assert (change["agency"], change["period_start"], change["old"], change["new"]) == (
        "HN-X01",
        "2026-01-01",
        None,
        50,
    )
    assert (change["by"], change["reason"], change["action"]) == ("hn-admin", REASON, "create")
    later = client.get(
        "/api/v1/satisfaction", params={**params, "from": "2026-02-01", "to": "2026-02-28"}, headers=world.admin
    )
    assert later.json()["meta"]["recent_count_changes"] == []  # another period: not behind this figure
