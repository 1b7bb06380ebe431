"""An unknown address under ``/dashboard/`` answers the dashboard's 404 page — its layout, the navigation for a
logged-in official, the way back to the overview — while the API keeps its JSON 404 and the other routing answers
(405, the trailing-slash redirect) are unchanged. Needs the 404 handler of app/main.py to hand ``/dashboard/``
paths to :func:`app.dashboard.rendering.not_found_page`."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.directory.models import Agency, Role
from app.officials.service import create_official
from tests.factories import PASSWORD, dashboard_login, minh_an_tree


def test_an_unknown_dashboard_address_is_the_404_page_in_the_layout(client: TestClient) -> None:
    for method, path in (("GET", "/dashboard/no-such-page"), ("GET", "/dashboard/a/b/c"), ("POST", "/dashboard/x")):
        answer = client.request(method, path, follow_redirects=False)
        assert (answer.status_code, answer.headers["content-type"]) == (404, "text/html; charset=utf-8")
        assert "<h1>Không tìm thấy</h1>" in answer.text
        assert '<a href="/dashboard">← Tổng quan</a>' in answer.text
        assert answer.headers["cache-control"] == "no-store"
    english = client.get("/dashboard/no-such-page?lang=en")
    assert "<h1>Not found</h1>" in english.text and '<a href="/dashboard">← Overview</a>' in english.text


def test_a_logged_in_official_keeps_the_navigation_on_the_404_page(client: TestClient, session: Session) -> None:
    province = minh_an_tree(session)["MA"]
    assert isinstance(province, Agency)
    create_official(session, username="ma-user", password=PASSWORD, role=Role.agency_official, agency=province)
    session.commit()
    assert dashboard_login(client, "ma-user").status_code == 303
    answer = client.get("/dashboard/no-such-page")
    assert answer.status_code == 404
    assert 'aria-label="Điều hướng chính"' in answer.text and "Đăng nhập: ma-user" in answer.text


def test_the_api_and_the_other_routing_answers_are_unchanged(client: TestClient) -> None:
    api = client.get("/api/v1/no-such-thing")
    assert (api.status_code, api.json()["error"]["code"]) == (404, "not_found")
    wrong_method = client.get("/dashboard/logout")
    assert (wrong_method.status_code, wrong_method.json()["error"]["code"]) == (405, "method_not_allowed")
    slash = client.get("/dashboard/counters/", follow_redirects=False)
    assert (slash.status_code, slash.headers["location"]) == (307, "http://testserver/dashboard/counters")
