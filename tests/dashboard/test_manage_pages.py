"""The management pages over HTTP (app/dashboard/router_manage*.py), on both databases: every change goes through its
service (app/reference, app/admin) and is audited under the administrator's name; a refusal comes back as the
form with the service's own message next to the field (422, or 409 for a clash), never a 500; an upload is all or
nothing, its problems listed by line and column; the targets in force follow the reports' own rule (own, else the
nearest ancestor's that applies below it); passwords pass the rule of app/officials/passwords.py."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta
from html import unescape
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.config import Settings
from app.directory.models import Agency, AgencyLevel, Official, Role
from app.directory.service import create_agency
from app.errors import Invalid
from app.officials import passwords
from app.officials.deps import COOKIE
from app.officials.service import create_official, csrf_token
from app.reference.models import PopulationCount, Target
from tests.factories import PASSWORD, dashboard_login, minh_an_tree

BASE = "/dashboard/manage"
REASON = "Báo cáo tháng của Sở Nội vụ (số 12/BC-SNV)"
STRONG = "violet kettle harbour sings"
NEWER = "copper meadow lantern drifts"


@pytest.fixture
def agencies(session: Session) -> dict[str, Agency]:
    """Tỉnh Minh An (MA: MA-TTPVHCC, MA-X01, MA-STP) with its administrator ma-admin and an agency official of
    MA-X01 (ma-clerk); Hà Nội (HN) with hn-admin."""
    tree = minh_an_tree(session)
    hanoi = create_agency(session, code="HN", name_vi="Thành phố Hà Nội", level=AgencyLevel.province)
    found = {code: agency for code, agency in tree.items() if isinstance(agency, Agency)} | {"HN": hanoi}
    for username, role, agency in (
        ("ma-admin", Role.province_admin, found["MA"]),
        ("ma-clerk", Role.agency_official, found["MA-X01"]),
        ("hn-admin", Role.province_admin, hanoi),
    ):
        create_official(session, username=username, password=PASSWORD, role=role, agency=agency)
    session.commit()
    return found


def logged_in(app: FastAPI, username: str, password: str = PASSWORD) -> TestClient:
    client = TestClient(app)
    assert dashboard_login(client, username, password).status_code == 303
    return client


def token(client: TestClient, settings: Settings) -> str:
    return csrf_token(settings, client.cookies[COOKIE])


def post(client: TestClient, settings: Settings, path: str, **data: str) -> Any:
    return client.post(path, data={"csrf_token": token(client, settings), **data}, follow_redirects=False)


def upload(client: TestClient, settings: Settings, text: str | bytes, *, reason: str = REASON, **extra: str) -> Any:
    body = text.encode() if isinstance(text, str) else text
    data = {"csrf_token": token(client, settings), "reason": reason, **extra}
    return client.post(f"{BASE}/counts/upload", data=data, files={"file": ("counts.csv", body, "text/csv")})


def problems(html: str) -> list[str]:
    """The problems listed at the top of a refused form, as shown."""
    box = re.search(r'data-testid="problems">(.*?)</div>', html, re.S)
    assert box is not None, html
    return [
        unescape(re.sub(r"<[^>]+>", "", item)).strip() for item in re.findall(r"<li>(.*?)</li>", box.group(1), re.S)
    ]


def rows(html: str, testid: str) -> list[dict[str, str]]:
    """The rows of a table by their data- attributes, with their cells' text."""
    table = re.search(rf'data-testid="{testid}">(.*?)</table>', html, re.S)
    assert table is not None, testid
    found = []
    for attributes, inside in re.findall(r"<tr ([^>]*data-[^>]*)>(.*?)</tr>", table.group(1), re.S):
        row = dict(re.findall(r'data-([a-z]+)="([^"]*)"', attributes))
        row["text"] = " ".join(unescape(re.sub(r"<[^>]+>", " ", inside)).split())
        found.append(row)
    return found


def events(session: Session, action: str) -> list[AuditEvent]:
    session.expire_all()
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


# --- targets -----------------------------------------------------------------------------------------------------


def test_targets_are_added_edited_and_deleted_and_the_agencies_below_inherit_them(
    app: FastAPI, settings: Settings, session: Session, agencies: dict[str, Agency]
) -> None:
    year = datetime.now(settings.zone).year
    client = logged_in(app, "ma-admin")
    whole_year = {"period_start": f"{year}-01-01", "period_end": f"{year}-12-31", "indicator": "sipas"}

    province = post(
        client, settings, f"{BASE}/targets", agency="MA", threshold_pct="86", applies_to_subtree="true", **whole_year
    )
    assert province.status_code == 303
    assert province.headers["location"].startswith(f"{BASE}/targets?done=created#target-")
    commune = post(client, settings, f"{BASE}/targets", agency="MA-X01", threshold_pct="90,5", **whole_year)
    assert commune.status_code == 303  # no applies_to_subtree: this agency only

    page = client.get(f"{BASE}/targets")
    assert page.status_code == 200
    stored = rows(page.text, "targets-table")
    assert [row["key"] for row in stored] == [f"MA/sipas/{year}-01-01", f"MA-X01/sipas/{year}-01-01"]
    assert "86,00%" in stored[0]["text"] and "Cơ quan này và cấp dưới" in stored[0]["text"]
    assert "90,50%" in stored[1]["text"] and "Chỉ cơ quan này" in stored[1]["text"]
    in_force = {row["key"]: row for row in rows(page.text, "in-force-table")}
    assert in_force["MA/sipas"]["source"] == "own"
    assert in_force["MA-X01/sipas"]["source"] == "own" and "90,50%" in in_force["MA-X01/sipas"]["text"]
    assert in_force["MA-STP/sipas"]["source"] == "inherited"
    assert (
        "Kế thừa từ Tỉnh Minh An" in in_force["MA-STP/sipas"]["text"] and "86,00%" in in_force["MA-STP/sipas"]["text"]
    )
    assert set(in_force) == {"MA/sipas", "MA-X01/sipas", "MA-STP/sipas", "MA-TTPVHCC/sipas"}
    assert [event.actor for event in events(session, "target.create")] == ["ma-admin", "ma-admin"]

    # Refusals come back as the form, with the service's words by the field.
    overlap = post(
        client,
        settings,
        f"{BASE}/targets",
        agency="MA",
        threshold_pct="80",
        indicator="sipas",
        period_start=f"{year}-06-01",
        period_end=f"{year + 1}-05-31",
    )
    assert overlap.status_code == 409
    assert "overlaps target" in problems(overlap.text)[0]
    unknown = post(
        client,
        settings,
        f"{BASE}/targets",
        agency="MA",
        threshold_pct="80",
        indicator="sipaz",
        period_start=f"{year + 2}-01-01",
        period_end=f"{year + 2}-12-31",
    )
    assert unknown.status_code == 422
    assert problems(unknown.text)[0].startswith("Chỉ số: 'sipaz' is not an indicator")
    assert "did you mean 'sipas'?" in problems(unknown.text)[0]
    bad_day = post(
        client,
        settings,
        f"{BASE}/targets",
        agency="MA",
        threshold_pct="abc",
        indicator="sipas",
        period_start=f"{year + 2}-02-30",
        period_end=f"{year + 2}-12-31",
    )
    assert bad_day.status_code == 422
    assert problems(bad_day.text) == ["Từ ngày: không phải ngày hợp lệ (YYYY-MM-DD)", "Mục tiêu (%): không phải số"]
    assert 'id="f-period_start" name="period_start" type="date" value="' + f"{year + 2}-02-30" in bad_day.text
    backwards = post(
        client,
        settings,
        f"{BASE}/targets",
        agency="MA",
        threshold_pct="80",
        indicator="sipas",
        period_start=f"{year + 2}-12-31",
        period_end=f"{year + 2}-01-01",
    )
    assert backwards.status_code == 422
    assert problems(backwards.text)[0].startswith("Đến ngày (tính cả ngày này): ")
    assert session.scalar(select(func.count()).select_from(Target)) == 2

    # Edit, then delete: each through the service, each audited.
    target_id = int(province.headers["location"].rsplit("-", 1)[1])
    form = client.get(f"{BASE}/targets/{target_id}")
    assert 'value="86"' in form.text
    edited = post(
        client,
        settings,
        f"{BASE}/targets/{target_id}",
        agency="MA",
        threshold_pct="88",
        applies_to_subtree="true",
        **whole_year,
    )
    assert (edited.status_code, edited.headers["location"]) == (303, f"{BASE}/targets?done=updated#target-{target_id}")
    [update] = events(session, "target.update")
    assert update.actor == "ma-admin"
    assert update.details == {"changed": {"threshold_pct": {"from": 86.0, "to": 88.0}}}
    deleted = post(client, settings, f"{BASE}/targets/{target_id}/delete")
    assert (deleted.status_code, deleted.headers["location"]) == (303, f"{BASE}/targets?done=deleted")
    assert [event.object_id for event in events(session, "target.delete")] == [str(target_id)]
    after = client.get(f"{BASE}/targets?done=deleted")
    assert "Đã xoá." in after.text
    assert {row["key"]: row["source"] for row in rows(after.text, "in-force-table")}["MA-STP/sipas"] == "none"
    assert client.get(f"{BASE}/targets/{target_id}").status_code == 404

    english = client.get(f"{BASE}/targets?lang=en")
    assert "<h1>Targets</h1>" in english.text and "Targets in force on" in english.text


# --- population counts -------------------------------------------------------------------------------------------

GOOD = (
    "agency,period_start,period_end,dossiers_handled,procedure_field\n"
    "MA-X01,2026-01-01,2026-01-31,120,\n"
    "MA-STP,2026-01-01,2026-01-31,95,\n"
    "MA-STP,2026-02-01,2026-02-28,105,\n"
)


def test_an_upload_is_all_or_nothing_lists_each_problem_by_line_and_column_then_shows_what_it_stored(
    app: FastAPI, settings: Settings, session: Session, agencies: dict[str, Agency]
) -> None:
    client = logged_in(app, "ma-admin")
    bad = (
        "agency,period_start,period_end,dossiers_handled,procedure_field\n"
        "MA-X01,2026-01-01,2026-01-31,120,\n"
        "MA-STP,2026-01-01,2026-01-31,-5,\n"
        "HN,2026-01-01,2026-01-31,80,\n"  # another province: the same answer as an unknown code
        "MA-X01,2026-02-01,2026-01-31,50,\n"
        "MA-TTPVHCC,2026-01-01,2026-01-31,70,no-such-field\n"
    )
    refused = upload(client, settings, bad)
    assert refused.status_code == 422
    assert [(row["line"], row["column"]) for row in rows(refused.text, "upload-errors")] == [
        ("3", "dossiers_handled"),
        ("4", "agency"),
        ("5", "period_end"),
        ("6", "procedure_field"),
    ]
    assert "no agency with code &#39;HN&#39;" in refused.text
    assert "Tệp counts.csv bị từ chối, không số nào được lưu: 4 lỗi" in refused.text
    assert session.scalar(select(func.count()).select_from(PopulationCount)) == 0
    assert events(session, "population.upload") == []

    header = upload(client, settings, "agency,start,dossiers_handled\nMA,2026-01-01,5\n")
    assert header.status_code == 422
    [problem] = rows(header.text, "upload-errors")
    assert (problem["line"], problem["column"]) == ("1", "")
    assert "cả dòng" in problem["text"] and "missing column(s) period_start, period_end" in problem["text"]
    latin1 = upload(
        client,
        settings,
        "agency,period_start,period_end,dossiers_handled\nMA-X01,2026-01-01,2026-01-31,5 Đà\n".encode(
            "cp1258", "replace"
        ),
    )
    assert latin1.status_code == 422 and "not UTF-8 text" in latin1.text
    no_file = client.post(f"{BASE}/counts/upload", data={"csrf_token": token(client, settings), "reason": REASON})
    assert no_file.status_code == 422
    assert problems(no_file.text) == ["Tệp CSV: chưa chọn tệp, hoặc tệp rỗng"]
    no_reason = upload(client, settings, GOOD, reason="   ")
    assert no_reason.status_code == 422
    assert problems(no_reason.text) == [
        "Lý do / nguồn số liệu: a reason is required: where the count comes from, or why it changes"
    ]
    assert session.scalar(select(func.count()).select_from(PopulationCount)) == 0

    stored = upload(client, settings, GOOD)
    assert stored.status_code == 200
    assert "Đã lưu tệp: 3 dòng (3 số mới, 0 số cập nhật)" in stored.text
    changes = rows(stored.text, "upload-changes")
    assert [row["key"] for row in changes] == ["MA-X01//2026-01-01", "MA-STP//2026-01-01", "MA-STP//2026-02-01"]
    assert changes[0]["text"] == "Xã An Bình MA-X01 Mọi lĩnh vực 01/01/2026 – 31/01/2026 mới 120"
    assert len(rows(stored.text, "counts-table")) == 3
    [event] = events(session, "population.upload")
    assert (event.actor, event.details["reason"], event.details["created"]) == ("ma-admin", REASON, 3)

    again = upload(client, settings, GOOD)  # the same file: every line matches, nothing changes
    assert "Mọi dòng đều trùng với số đã lưu: không có gì thay đổi." in again.text

    # The export of the stored counts (the API, with the session cookie) uploads back unchanged.
    exported = client.get(f"{BASE}/counts").text
    export_href = unescape(re.search(r'href="([^"]+)" data-testid="export-link"', exported).group(1))  # type: ignore[union-attr]
    export = client.get(export_href)
    assert export.status_code == 200
    assert len(list(csv.reader(io.StringIO(export.text)))) == 4
    assert "Mọi dòng đều trùng" in upload(client, settings, export.text).text

    # The template: the upload's header and a row per agency of the scope for last month, to fill in.
    template = client.get(f"{BASE}/counts/template.csv")
    assert template.status_code == 200 and template.headers["content-type"] == "text/csv; charset=utf-8"
    lines = list(csv.reader(io.StringIO(template.text.removeprefix("\ufeff"))))
    end = datetime.now(settings.zone).date().replace(day=1) - timedelta(days=1)
    start = end.replace(day=1)
    assert lines == [
        ["agency", "period_start", "period_end", "dossiers_handled", "procedure_field"],
        *[[code, start.isoformat(), end.isoformat(), "", ""] for code in ("MA", "MA-STP", "MA-TTPVHCC", "MA-X01")],
    ]
    unfilled = upload(client, settings, template.content)
    assert [(row["line"], row["column"]) for row in rows(unfilled.text, "upload-errors")] == [
        (str(line), "dossiers_handled") for line in range(2, 6)
    ]


def test_one_count_is_edited_or_deleted_with_a_reason_and_an_outlier_needs_confirming(
    app: FastAPI, settings: Settings, session: Session, agencies: dict[str, Agency]
) -> None:
    client = logged_in(app, "ma-admin")
    assert upload(client, settings, GOOD).status_code == 200
    count_id = session.scalars(select(PopulationCount.id).where(PopulationCount.period_start == date(2026, 2, 1))).one()
    fields = {
        "agency": "MA-STP",
        "period_start": "2026-02-01",
        "period_end": "2026-02-28",
        "procedure_field": "",
    }
    form = client.get(f"{BASE}/counts/{count_id}")
    assert form.status_code == 200 and "Đang lưu: 105 hồ sơ từ 01/02/2026 đến 28/02/2026." in form.text

    no_reason = post(client, settings, f"{BASE}/counts/{count_id}", dossiers_handled="110", reason="", **fields)
    assert no_reason.status_code == 422
    assert problems(no_reason.text) == ["Lý do / nguồn số liệu: bắt buộc nhập"]
    outlier = post(client, settings, f"{BASE}/counts/{count_id}", dossiers_handled="5000", reason=REASON, **fields)
    assert outlier.status_code == 422
    [message] = problems(outlier.text)
    assert message.startswith("Số hồ sơ đã giải quyết: '5000' is more than 10 times")
    assert message.endswith("if it is right, confirm it with confirm_outlier true")
    not_number = post(client, settings, f"{BASE}/counts/{count_id}", dossiers_handled="1.250", reason=REASON, **fields)
    assert problems(not_number.text) == ["Số hồ sơ đã giải quyết: phải là số nguyên"]
    session.expire_all()
    assert session.get(PopulationCount, count_id).dossiers_handled == 105  # type: ignore[union-attr]

    confirmed = post(
        client,
        settings,
        f"{BASE}/counts/{count_id}",
        dossiers_handled="5000",
        reason=REASON,
        confirm_outlier="true",
        **fields,
    )
    assert (confirmed.status_code, confirmed.headers["location"]) == (
        303,
        f"{BASE}/counts?done=updated#count-{count_id}",
    )
    [update] = events(session, "population.update")
    assert update.details["reason"] == REASON
    assert update.details["counts"][0]["from"] == 105 and update.details["counts"][0]["to"] == 5000
    assert "is more than 10 times" in update.details["counts"][0]["confirmed_outlier"]

    no_delete_reason = post(client, settings, f"{BASE}/counts/{count_id}/delete", reason=" ")
    assert no_delete_reason.status_code == 422
    assert problems(no_delete_reason.text)[0].startswith("Lý do xoá: a reason is required")
    deleted = post(client, settings, f"{BASE}/counts/{count_id}/delete", reason="Nhập nhầm kỳ")
    assert (deleted.status_code, deleted.headers["location"]) == (303, f"{BASE}/counts?done=deleted")
    assert [event.details["reason"] for event in events(session, "population.delete")] == ["Nhập nhầm kỳ"]
    assert client.get(f"{BASE}/counts/{count_id}").status_code == 404

    # A hundred counts to a page, newest filter kept in the page links.
    for month in range(1, 111):
        first = date(2010, 1, 1) + timedelta(days=31 * month)
        session.add(
            PopulationCount(
                agency_id=agencies["MA-X01"].id,
                period_start=first.replace(day=1),
                period_end=first.replace(day=1) + timedelta(days=27),
                dossiers_handled=50,
            )
        )
    session.commit()
    first_page = client.get(f"{BASE}/counts?agency=MA-X01")
    assert len(rows(first_page.text, "counts-table")) == 100
    assert "Trang 1/2 (111 dòng)" in first_page.text
    assert f'href="{BASE}/counts?agency=MA-X01&amp;page=2" rel="next"' in first_page.text
    second = client.get(f"{BASE}/counts?agency=MA-X01&page=2")
    assert len(rows(second.text, "counts-table")) == 11
    assert client.get(f"{BASE}/counts?page=banana").status_code == 200  # read as the first page


# --- officials ---------------------------------------------------------------------------------------------------


def test_officials_are_created_reset_and_deactivated_through_the_service(
    app: FastAPI, settings: Settings, session: Session, agencies: dict[str, Agency]
) -> None:
    client = logged_in(app, "ma-admin")
    listed = rows(client.get(f"{BASE}/officials").text, "officials-table")
    assert [row["key"] for row in listed] == ["ma-admin", "ma-clerk"]  # not Hà Nội's
    new = {"username": "lan.nguyen", "display_name": "Nguyễn Thị Lan", "role": "agency_official", "agency": "MA-X01"}

    weak = post(client, settings, f"{BASE}/officials", password="password123", **new)
    assert weak.status_code == 422
    with pytest.raises(Invalid) as rule:
        passwords.check("password123", username="lan.nguyen", display_name="Nguyễn Thị Lan")
    assert problems(weak.text) == [f"Mật khẩu ban đầu: {rule.value.message.removeprefix('password: ')}"]
    assert 'value="lan.nguyen"' in weak.text and "password123" not in weak.text
    named = post(client, settings, f"{BASE}/officials", password="lan.nguyen 2026", **new)
    assert "Mật khẩu ban đầu: too easy to guess" in problems(named.text)[0]
    accented = post(client, settings, f"{BASE}/officials", password=STRONG, **(new | {"username": "Lan Nguyễn"}))
    assert accented.status_code == 422
    assert problems(accented.text)[0].startswith("Tên đăng nhập: ")
    assert "for example 'lan.nguyen'" in problems(accented.text)[0]
    national = post(client, settings, f"{BASE}/officials", password=STRONG, **(new | {"role": "national"}))
    assert national.status_code == 403
    assert problems(national.text) == ["only a national official may create national officials"]
    no_agency = post(client, settings, f"{BASE}/officials", password=STRONG, **(new | {"agency": ""}))
    assert no_agency.status_code == 422 and problems(no_agency.text)[0].startswith("Cơ quan: a agency_official needs")
    assert session.scalar(select(Official).where(Official.username == "lan.nguyen")) is None

    created = post(client, settings, f"{BASE}/officials", password=STRONG, **new)
    assert (created.status_code, created.headers["location"]) == (303, f"{BASE}/official/lan.nguyen?done=created")
    [creation] = events(session, "official.create")[-1:]
    assert (creation.actor, creation.details) == (
        "ma-admin",
        {"username": "lan.nguyen", "role": "agency_official", "agency": "MA-X01"},
    )
    taken = post(client, settings, f"{BASE}/officials", password=STRONG, **new)
    assert taken.status_code == 409 and "already exists" in problems(taken.text)[0]
    lan = logged_in(app, "lan.nguyen", STRONG)
    assert lan.get(f"{BASE}").status_code == 403  # an agency official manages nothing
    page = client.get(f"{BASE}/official/lan.nguyen?done=created")
    assert "Đã thêm." in page.text and "Xã An Bình" in page.text

    weak_reset = post(client, settings, f"{BASE}/official/lan.nguyen/password", password="12345678901")
    assert weak_reset.status_code == 422 and problems(weak_reset.text)[0].startswith("Mật khẩu mới: ")
    reset = post(client, settings, f"{BASE}/official/lan.nguyen/password", password=NEWER)
    assert (reset.status_code, reset.headers["location"]) == (303, f"{BASE}/official/lan.nguyen?done=password")
    assert lan.get("/dashboard/counters", follow_redirects=False).status_code == 303  # its session was closed
    assert dashboard_login(TestClient(app), "lan.nguyen", STRONG).status_code == 401
    assert dashboard_login(TestClient(app), "lan.nguyen", NEWER).status_code == 303

    off = post(client, settings, f"{BASE}/official/lan.nguyen/active", active="false")
    assert (off.status_code, off.headers["location"]) == (303, f"{BASE}/official/lan.nguyen?done=deactivated")
    assert dashboard_login(TestClient(app), "lan.nguyen", NEWER).status_code == 401
    assert 'data-testid="reactivate"' in client.get(f"{BASE}/official/lan.nguyen").text
    on = post(client, settings, f"{BASE}/official/lan.nguyen/active", active="true")
    assert on.headers["location"] == f"{BASE}/official/lan.nguyen?done=reactivated"
    assert dashboard_login(TestClient(app), "lan.nguyen", NEWER).status_code == 303
    changes = [event.details["changes"] for event in events(session, "official.update")]
    assert changes == [{"password": "reset"}, {"active": [True, False]}, {"active": [False, True]}]

    myself = post(client, settings, f"{BASE}/official/ma-admin/active", active="false")
    assert myself.status_code == 422
    assert problems(myself.text) == ["you cannot deactivate yourself; ask another administrator"]
    odd = post(client, settings, f"{BASE}/official/lan.nguyen/active", active="maybe")
    assert odd.status_code == 422

    under = rows(client.get(f"{BASE}/officials?agency=MA-X01").text, "officials-table")
    assert [row["key"] for row in under] == ["lan.nguyen", "ma-clerk"]


def test_the_navigation_offers_management_to_administrators_only(app: FastAPI, agencies: dict[str, Agency]) -> None:
    admin = logged_in(app, "ma-admin").get("/dashboard/counters").text
    assert 'href="/dashboard/manage"' in admin and "Quản trị" in admin
    clerk = logged_in(app, "ma-clerk").get("/dashboard/counters").text
    assert 'href="/dashboard/manage"' not in clerk
    index = logged_in(app, "ma-admin").get(f"{BASE}?lang=en")
    assert index.status_code == 200
    assert [row for row in re.findall(r'href="(/dashboard/[a-z/]+)" data-testid="manage-', index.text)] == [
        f"{BASE}/targets",
        f"{BASE}/counts",
        f"{BASE}/officials",
        "/dashboard/counters",
        "/dashboard/devices",
    ]


def test_bad_input_is_a_clear_4xx_never_a_500(
    app: FastAPI, settings: Settings, session: Session, agencies: dict[str, Agency]
) -> None:
    client = logged_in(app, "ma-admin")
    year = datetime.now(settings.zone).year
    target = {"agency": "MA", "indicator": "sipas", "period_start": f"{year}-01-01", "period_end": f"{year}-12-31"}
    for threshold in ("nan", "inf", "-1", "1e400", "8" * 400):
        answer = post(client, settings, f"{BASE}/targets", threshold_pct=threshold, **target)
        assert answer.status_code == 422, threshold
        assert problems(answer.text)[0].startswith("Mục tiêu (%): "), threshold
    assert upload(client, settings, GOOD).status_code == 200
    count_id = session.scalars(select(PopulationCount.id)).first()
    count = {"agency": "MA-X01", "period_start": "2026-01-01", "period_end": "2026-01-31", "reason": REASON}
    for dossiers in ("99999999999999999999999", "9" * 5000, "-3", "12.5"):
        answer = post(client, settings, f"{BASE}/counts/{count_id}", dossiers_handled=dossiers, **count)
        assert answer.status_code == 422, dossiers
    too_long = post(
        client, settings, f"{BASE}/counts/{count_id}", dossiers_handled="130", **(count | {"reason": "x" * 501})
    )
    assert problems(too_long.text) == ["Lý do / nguồn số liệu: quá dài (tối đa 500 ký tự)"]
    new = {"role": "agency_official", "agency": "MA-X01", "password": STRONG}
    assert post(client, settings, f"{BASE}/officials", username="a" * 65, **new).status_code == 422
    assert (
        post(client, settings, f"{BASE}/officials", username="binh", display_name="B" * 256, **new).status_code == 422
    )
    assert post(client, settings, f"{BASE}/officials", username="binh", **(new | {"role": "king"})).status_code == 422
    plain = client.post(
        f"{BASE}/counts/upload", data={"csrf_token": token(client, settings), "reason": REASON, "file": "x"}
    )
    assert plain.status_code == 422 and problems(plain.text) == ["Tệp CSV: chưa chọn tệp, hoặc tệp rỗng"]
    nul = upload(
        client, settings, "agency,period_start,period_end,dossiers_handled\nMA-X01\x00,2026-03-01,2026-03-31,5\n"
    )
    assert 400 <= nul.status_code < 500
    for path in (
        f"{BASE}/counts?page={'9' * 4000}",
        f"{BASE}/counts?page=-4",
    ):
        assert client.get(path).status_code == 200, path
    for path in (
        f"{BASE}/targets/0",
        f"{BASE}/targets/{2**40}",
        f"{BASE}/targets/abc",
        f"{BASE}/counts/{2**40}",
        f"{BASE}/official/nobody-here",
        f"{BASE}/targets?agency=NO-SUCH",
        f"{BASE}/counts?agency=HN",
        f"{BASE}/officials?agency=HN",
    ):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert "Không tìm thấy" in answer.text, path


def test_a_wide_scope_lists_the_targets_in_force_of_its_first_agencies_and_filters_the_rest(
    app: FastAPI, agencies: dict[str, Agency], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("app.dashboard.router_manage.MAX_IN_FORCE_AGENCIES", 2)
    client = logged_in(app, "ma-admin")
    page = client.get(f"{BASE}/targets")
    assert [row["key"] for row in rows(page.text, "in-force-table")] == ["MA/sipas", "MA-STP/sipas"]
    assert "Hiển thị 2 trên 4 cơ quan" in page.text
    narrowed = client.get(f"{BASE}/targets?agency=MA-X01")
    assert [row["key"] for row in rows(narrowed.text, "in-force-table")] == ["MA-X01/sipas"]
    assert 'data-testid="in-force-cut"' not in narrowed.text
