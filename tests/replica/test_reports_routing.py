"""Where figures are read without a replica: ``SIPAS_REPORTS_DATABASE_URL`` unset or blank reads the primary (no second
engine, ``replica_lag_seconds`` 0); set to a primary it reads there and measures 0; what each replay state means
as a lag (app/replica.py)."""

from __future__ import annotations

import socket
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.config import Environment, Settings, resolve_secrets
from app.directory.models import Role
from app.main import create_app
from app.replica import Replay, dispose_reports_engine, lag_seconds
from tests.factories import counter_tree, live_response, login

ASK = {"agency": "HN", "from": "2025-03-01", "to": "2025-03-31"}


def test_without_a_replica_figures_read_the_primary_and_their_lag_is_zero(
    client: TestClient, session: Session, settings: Settings
) -> None:
    province, commune, counter = counter_tree(session)
    live_response(session, settings, agency=commune, counter=counter, day=date(2025, 3, 10), overall=5)
    headers = login(client, session, "tinh.hn", Role.province_admin, province)

    answer = client.get("/api/v1/satisfaction", params=ASK, headers=headers)

    assert answer.status_code == 200, answer.text
    assert (answer.json()["meta"]["responses"], answer.json()["meta"]["replica_lag_seconds"]) == (1, 0.0)
    assert getattr(client.app.state, "reports_engine", None) is None  # type: ignore[attr-defined]


@pytest.mark.parametrize("backend", ["postgresql"])
def test_reports_pointed_at_a_primary_read_it_and_measure_no_lag(
    session: Session, database_url: str, tmp_path: Path
) -> None:
    settings = resolve_secrets(
        Settings(
            env=Environment.test,
            database_url=database_url,
            reports_database_url=database_url,
            secrets_file=tmp_path / "secrets.json",
        )
    )
    app = create_app(settings)
    try:
        with TestClient(app) as client:
            province, commune, counter = counter_tree(session)
            live_response(session, settings, agency=commune, counter=counter, day=date(2025, 3, 10), overall=5)
            headers = login(client, session, "tinh.hn", Role.province_admin, province)
            answer = client.get("/api/v1/trends", params=ASK, headers=headers)
            assert answer.status_code == 200, answer.text
            assert answer.json()["meta"]["replica_lag_seconds"] == 0.0
            assert app.state.reports_engine.url.render_as_string(hide_password=False) == database_url
    finally:
        dispose_reports_engine(app.state)
        app.state.engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_replica_that_cannot_be_reached_answers_503_not_figures_from_the_primary(
    session: Session, settings: Settings
) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = create_app(
        settings.model_copy(update={"reports_database_url": f"postgresql+psycopg://sipas@127.0.0.1:{port}/sipas"})
    )
    try:
        with TestClient(app) as client:
            province, _commune, _counter = counter_tree(session)
            headers = login(client, session, "tinh.hn", Role.province_admin, province)  # on the primary: works
            answer = client.get("/api/v1/satisfaction", params=ASK, headers=headers)
            assert (answer.status_code, answer.headers["retry-after"]) == (503, "2")
            assert answer.json()["error"]["code"] == "unavailable"
    finally:
        dispose_reports_engine(app.state)
        app.state.engine.dispose()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("  ", None),
        (" postgresql+psycopg://r@replica/sipas ", "postgresql+psycopg://r@replica/sipas"),
    ],
)
def test_the_setting_is_read_from_the_environment_and_blank_means_the_primary(
    monkeypatch: pytest.MonkeyPatch, value: str | None, expected: str | None
) -> None:
    if value is None:
        monkeypatch.delenv("SIPAS_REPORTS_DATABASE_URL", raising=False)
    else:
        monkeypatch.setenv("SIPAS_REPORTS_DATABASE_URL", value)
    assert Settings().reports_database_url == expected


@pytest.mark.parametrize(
    ("replay", "expected"),
    [
        (Replay(in_recovery=False, receiving=False, caught_up=False, since_last_replayed=None), 0.0),  # a primary
        (Replay(in_recovery=True, receiving=True, caught_up=True, since_last_replayed=3600.0), 0.0),  # idle, caught up
        (Replay(in_recovery=True, receiving=True, caught_up=False, since_last_replayed=2.5), 2.5),  # replaying behind
        (Replay(in_recovery=True, receiving=False, caught_up=True, since_last_replayed=75.25), 75.25),  # cut off
        (Replay(in_recovery=True, receiving=True, caught_up=False, since_last_replayed=None), None),  # cannot say
        (Replay(in_recovery=True, receiving=True, caught_up=False, since_last_replayed=-0.002), 0.0),  # clock skew
        (Replay(in_recovery=True, receiving=True, caught_up=False, since_last_replayed=1.23456), 1.235),
    ],
)
def test_what_a_replay_state_means_as_a_lag(replay: Replay, expected: float | None) -> None:
    assert lag_seconds(replay) == expected
