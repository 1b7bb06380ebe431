from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.db import make_engine, make_session_factory
from app.planning import service as planning  # where GET /api/v1/plan calls plan()
from tests.factories import database_free


def test_healthz_answers_200_when_the_database_is_reachable(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@database_free
def test_healthz_answers_503_when_the_database_goes_away(app: FastAPI) -> None:
    # The database disappears after start-up: nothing listens on port 1.
    lost = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/gone", connect_args={"connect_timeout": 2})
    app.state.session_factory = make_session_factory(lost)
    with TestClient(app) as client:
        response = client.get("/healthz")
    lost.dispose()
    assert response.status_code == 503
    assert response.json()["error"] == {
        "code": "unavailable",
        "message": "database unreachable",
        "details": {"error": "OperationalError"},
    }


@database_free
def test_openapi_documents_the_health_check(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/healthz" in spec["paths"]
    assert client.get("/docs").status_code == 200


@database_free
def test_unknown_path_is_a_json_404(client: TestClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404


@database_free
def test_routing_errors_have_the_same_shape_as_every_other_error(client: TestClient) -> None:
    missing = client.get("/api/v1/no-such-thing")
    assert (missing.status_code, missing.json()) == (404, {"error": {"code": "not_found", "message": "Not Found"}})
    wrong = client.delete("/healthz")
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (405, "method_not_allowed")


@database_free
def test_a_database_lost_mid_request_is_a_503_to_retry(app: FastAPI) -> None:
    """Requests running when PostgreSQL restarts fail inside the app: kiosks retry a 503 with Retry-After."""
    lost = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/gone", connect_args={"connect_timeout": 2})
    app.state.session_factory = make_session_factory(lost)
    with TestClient(app) as client:
        response = client.post("/api/v1/auth/token", data={"username": "lan", "password": "correct horse battery"})
    lost.dispose()
    assert (response.status_code, response.headers["retry-after"]) == (503, "2")
    assert response.json() == {
        "error": {"code": "unavailable", "message": "the database is unavailable; retry in a moment"}
    }


@database_free
def test_an_unexpected_error_is_a_logged_json_500_with_the_security_headers(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(planning, "plan", broken)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/v1/plan", params={"target": 86, "margin": 3})
    assert response.status_code == 500
    assert response.json() == {"error": {"code": "internal", "message": "internal error; it has been logged"}}
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"].startswith("default-src 'self'; script-src 'self';")
    assert any(record.message == "unhandled error" for record in caplog.records)


def test_a_started_app_has_frozen_what_start_up_made(client: TestClient) -> None:
    """Full collections walked every start-up object each time a figure's rows made one (+70 ms every other request on
    the demo): after start-up they are frozen, once per process (not per app: the tests build many)."""
    import gc

    assert client.get("/healthz").status_code == 200
    assert gc.get_freeze_count() > 0
