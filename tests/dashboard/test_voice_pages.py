"""The citizens' voice pages without a browser: who sees what, the moderation forms' refusals (CSRF, reason,
administrators only, scope) and bad filters answered as pages with a 4xx. SQLite only: the pages' SQL is the API's
(tests/reports/test_voice.py runs it on both databases)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.config import Settings
from app.directory.models import Role
from app.officials.service import create_official
from app.responses.models import Channel, CommentModeration
from tests.factories import PASSWORD, Known, World, add_rows, dashboard_login, make_tree

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])

ALL = {"from": "", "to": ""}  # every date: the rows are from 2025


@pytest.fixture
def world(session: Session, settings: Settings) -> World:
    world = make_tree(session)
    rows = [
        Known("TP-A", "Q01", date(2025, 3, 3), Channel.web_qr, {"overall": 2}, comment="Gọi 0912 345 678, chờ lâu quá"),
        Known("TP-B", "Q01", date(2025, 3, 4), Channel.web_qr, {"overall": 5}, comment="Cán bộ nhiệt tình"),
    ]
    add_rows(session, settings, world, rows)
    for username, role, agency in (
        ("tp-admin", Role.province_admin, world.province),
        ("a-admin", Role.province_admin, world.agencies["TP-A"]),
        ("a-staff", Role.agency_official, world.agencies["TP-A"]),
    ):
        create_official(session, username=username, password=PASSWORD, role=role, agency=agency)
    session.commit()
    return world


def csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def comment_id(page: str, text: str) -> int:
    found = re.search(
        r'data-response="(\d+)">\s*<p class="comment-meta">[^\n]*\n\s*<p class="comment-text"[^>]*>' + re.escape(text),
        page,
    )
    assert found is not None, page
    return int(found.group(1))


def test_the_scope_page_masks_and_links(client: TestClient, world: World) -> None:
    assert dashboard_login(client, "tp-admin").status_code == 303
    page = client.get("/dashboard/voice", params=ALL)
    assert page.status_code == 200
    # the number's own spelling ("0912" alone also turns up in random CSRF tokens, one page in a few hundred)
    assert "Gọi [số điện thoại], chờ lâu quá" in page.text and "0912 345 678" not in page.text
    assert 'data-testid="nav-voice"' in page.text and 'aria-current="page" data-testid="nav-voice"' in page.text
    agency = client.get("/dashboard/agencies/TP-A", params=ALL)
    assert 'href="/dashboard/agencies/TP-A/voice?' in agency.text
    assert client.get("/dashboard/agencies/TP-Z/voice").status_code == 404


def test_an_agency_official_sees_their_commune_and_no_moderation(client: TestClient, world: World) -> None:
    dashboard_login(client, "a-staff")
    page = client.get("/dashboard/agencies/TP-A/voice", params=ALL)
    assert page.status_code == 200 and "chờ lâu quá" in page.text
    assert "Cán bộ nhiệt tình" not in page.text and "hide-form" not in page.text and "hidden-link" not in page.text
    assert client.get("/dashboard/agencies/TP-B/voice").status_code == 404
    assert client.get("/dashboard/agencies/TP/voice").status_code == 404
    target = comment_id(page.text, "Gọi [số điện thoại]")
    refused = client.post(
        f"/dashboard/comments/{target}/hide",
        data={"csrf_token": csrf(page.text), "reason": "x"},
        follow_redirects=False,
    )
    assert refused.status_code == 403 and "quản trị viên" in refused.text


def test_hide_and_show_through_the_forms(client: TestClient, session: Session, world: World) -> None:
    dashboard_login(client, "tp-admin")
    page = client.get("/dashboard/agencies/TP/voice", params={**ALL, "q": "cho lau"})
    token = csrf(page.text)
    target = comment_id(page.text, "Gọi [số điện thoại]")
    back = "/dashboard/agencies/TP/voice?from=&to=&q=cho+lau"

    forged = client.post(f"/dashboard/comments/{target}/hide", data={"csrf_token": "nope", "reason": "x", "back": back})
    assert forged.status_code == 403
    empty = client.post(f"/dashboard/comments/{target}/hide", data={"csrf_token": token, "reason": "  ", "back": back})
    assert empty.status_code == 422 and "Cần ghi lý do" in empty.text
    assert session.scalars(select(CommentModeration)).all() == []

    done = client.post(
        f"/dashboard/comments/{target}/hide",
        data={"csrf_token": token, "reason": "xúc phạm", "back": back},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == f"{back}&moderated=hidden#comments"
    after = client.get(done.headers["location"].split("#")[0])
    assert "Đã ẩn góp ý" in after.text and "chờ lâu quá" not in after.text
    hidden = client.get("/dashboard/agencies/TP/voice", params={**ALL, "hidden": "1"})
    assert "chờ lâu quá" in hidden.text and "Hiện lại góp ý này" in hidden.text and "xúc phạm" in hidden.text

    # An open redirect is refused: back goes to a voice page only.
    shown = client.post(
        f"/dashboard/comments/{target}/show",
        data={"csrf_token": token, "reason": "đã xem lại", "back": "https://evil.example/dashboard/voice"},
        follow_redirects=False,
    )
    assert shown.headers["location"] == "/dashboard/voice?moderated=shown#comments"
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("comment.%"))).all()
    assert actions == ["comment.hide", "comment.show"]
    assert client.post("/dashboard/comments/999999/hide", data={"csrf_token": token, "reason": "x"}).status_code == 404


def test_a_province_admin_elsewhere_cannot_hide_it(client: TestClient, world: World) -> None:
    dashboard_login(client, "tp-admin")
    target = comment_id(client.get("/dashboard/voice", params=ALL).text, "Cán bộ nhiệt tình")  # TP-B's
    client.cookies.clear()
    dashboard_login(client, "a-admin")
    token = csrf(client.get("/dashboard/voice", params=ALL).text)
    outside = client.post(f"/dashboard/comments/{target}/hide", data={"csrf_token": token, "reason": "x"})
    assert outside.status_code == 404


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        ({"answer": "9"}, 422, "answer"),
        ({"element": "nope", "answer": "1"}, 422, "element"),
        ({"counter": "TP-A/Q09"}, 404, "counter"),
        ({"page": "abc"}, 422, "Số trang"),
        ({"from": "2025-03-10", "to": "2025-03-01"}, 422, "from"),
    ],
)
def test_bad_filters_are_pages_that_say_so(
    client: TestClient, world: World, params: dict[str, str], status: int, words: str
) -> None:
    dashboard_login(client, "tp-admin")
    page = client.get("/dashboard/agencies/TP/voice", params=params)
    assert page.status_code == status
    assert 'data-testid="voice-errors"' in page.text and words in page.text
