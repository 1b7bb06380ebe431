"""The limits an abuser meets: per official (API and dashboard), request body size, batch size, and the admin list of
flagged responses (scoped, paginated)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.config import Settings
from app.directory.models import Role
from app.directory.service import create_agency, create_counter, create_device
from app.links import service as links
from app.main import create_app
from app.officials.service import create_official
from tests.factories import PASSWORD, counter_tree, dashboard_login, login, stranger, submit


def _client(settings: Settings, **changes: Any) -> Iterator[TestClient]:
    with TestClient(create_app(settings.model_copy(update=changes))) as client:
        yield client


def _item() -> dict[str, Any]:
    return {
        "submission_id": str(uuid.uuid4()),
        "form_id": "counter-quick",
        "form_version": 1,
        "submitted_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
        "answers": {"overall": 5, "access_general": 4},
    }


def test_official_api_requests_are_limited_per_official(settings: Settings, session: Session) -> None:
    for client in _client(settings, official_rate_per_minute=3):
        first = login(client, session, "first", Role.national, None)
        second = login(client, session, "second", Role.national, None)
        assert [client.get("/api/v1/auth/me", headers=first).status_code for _ in range(3)] == [200] * 3
        refused = client.get("/api/v1/auth/me", headers=first)
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 61
        error = refused.json()["error"]
        assert error["code"] == "too_many_requests" and "this official" in error["message"]
        assert 0 < error["details"]["retry_after_seconds"] <= 60
        assert client.get("/api/v1/auth/me", headers=second).status_code == 200  # counted per official


def test_dashboard_pages_count_against_the_same_limit(settings: Settings, session: Session) -> None:
    for client in _client(settings, official_rate_per_minute=2):
        create_official(session, username="viewer", password=PASSWORD, role=Role.national, agency=None)
        session.commit()
        logged_in = dashboard_login(client, "viewer", PASSWORD)
        assert logged_in.status_code == 303
        assert [client.get("/dashboard/counters").status_code for _ in range(2)] == [200, 200]
        page = client.get("/dashboard/counters")
        assert page.status_code == 429 and "Retry-After" in page.headers
        assert "Quá nhiều yêu cầu" in page.text and page.headers["content-type"].startswith("text/html")
        assert client.get("/dashboard/static/dashboard.css").status_code == 200  # the stylesheet is not counted


def test_bodies_over_the_limit_are_413_with_a_clear_message(settings: Settings, session: Session) -> None:
    _province, commune, counter = counter_tree(session)
    _device, key = create_device(session, agency=commune, label="Kiosk")
    session.commit()
    for client in _client(settings, max_body_bytes=2_000):
        auth = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        big = json.dumps({"items": [_item() for _ in range(20)]}).encode()
        declared = client.post("/api/v1/responses/batch", content=big, headers=auth)
        chunked = client.post("/api/v1/responses/batch", content=iter([big[:1500], big[1500:]]), headers=auth)
        form = client.post("/f/" + links.counter_token(settings, counter), data={"comment": "x" * 5000})
        for response in (declared, chunked, form):
            assert response.status_code == 413
            assert response.json() == {"error": {"code": "too_large", "message": "request body over 2000 bytes"}}
            assert response.headers["X-Content-Type-Options"] == "nosniff"  # refusals carry the headers too


def test_batches_over_the_limit_are_413_naming_the_count(settings: Settings, session: Session) -> None:
    _province, commune, _counter = counter_tree(session)
    _device, key = create_device(session, agency=commune, label="Kiosk")
    session.commit()
    for client in _client(settings, batch_max_items=2):
        auth = {"Authorization": f"Bearer {key}"}
        ok = client.post("/api/v1/responses/batch", json={"items": [_item(), _item()]}, headers=auth)
        assert ok.status_code == 200 and ok.json()["counts"]["stored"] == 2
        over = client.post("/api/v1/responses/batch", json={"items": [_item() for _ in range(3)]}, headers=auth)
        assert over.status_code == 413
        assert over.json()["error"] == {"code": "too_large", "message": "/items: 3 items; at most 2 per batch"}
        not_a_list = client.post("/api/v1/responses/batch", json={"items": "many"}, headers=auth)
        assert not_a_list.status_code == 422 and not_a_list.json()["error"]["message"].startswith("/items: ")


@pytest.mark.parametrize("who", ["province_admin", "agency_official"])
def test_flagged_responses_are_listed_for_administrators_in_scope(
    settings: Settings, session: Session, who: str
) -> None:
    province, commune, counter = counter_tree(session)
    other = create_agency(session, code="HP", name_vi="Hải Phòng", level=province.level)
    other_counter = create_counter(session, agency=other, code="Q09", name_vi="Quầy 9")
    session.commit()
    app = create_app(settings)
    for number, target in enumerate([counter, counter, counter, other_counter]):
        path = "/f/" + links.counter_token(settings, target)
        assert submit(stranger(app, number), path, {"overall": "5", "website": "http://spam.example"}) == 303
    with TestClient(app) as client:
        role = Role.province_admin if who == "province_admin" else Role.agency_official
        headers = login(client, session, "someone", role, province if role is Role.province_admin else commune)
        first = client.get("/api/v1/responses/flagged", params={"limit": 2}, headers=headers)
        if who == "agency_official":
            assert first.status_code == 403
            return
        assert first.status_code == 200
        body = first.json()
        assert (body["total"], body["limit"], body["offset"], len(body["items"])) == (3, 2, 0, 2)  # not Hải Phòng
        item = body["items"][0]
        assert (item["agency"], item["agency_name"], item["counter"], item["channel"], item["flag_reason"]) == (
            "HN-X01",
            "Xã Bát Tràng",
            "Q01",
            "web_qr",
            "honeypot field filled",
        )
        assert (item["review"], item["reviewed_at"], item["reviewed_by"]) == ("pending", None, None)
        where = {"id", "received_at", "submitted_at", "local_date", "channel", "agency", "agency_name", "counter"}
        assert set(item) == where | {"flag_reason", "review", "reviewed_at", "reviewed_by"}  # never the answers
        rest = client.get("/api/v1/responses/flagged", params={"limit": 2, "offset": 2}, headers=headers).json()
        assert [row["id"] for row in rest["items"]] and rest["items"][0]["id"] not in {r["id"] for r in body["items"]}
        outside = client.get("/api/v1/responses/flagged", params={"agency": "HP"}, headers=headers)
        assert outside.status_code == 404
        huge = client.get("/api/v1/responses/flagged", params={"offset": 2**63}, headers=headers)  # found by fuzzing
        assert huge.status_code == 422
        assert huge.json()["error"]["message"].startswith("/query/offset: ")
