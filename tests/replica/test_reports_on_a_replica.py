"""Officials' figures read from a real streaming replica (``SIPAS_REPORTS_DATABASE_URL``), made with pg_basebackup
from the tests' PostgreSQL: a response written on the primary reaches the figures once the replica has replayed it,
not before (its replay paused: the figures miss it and ``meta`` says how far behind they are); logins, CSRF checks and
the audit of a download stay on the primary; the replica refuses a write."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.config import Environment, Settings, resolve_secrets
from app.dashboard.i18n import t
from app.directory.models import Agency, Role
from app.main import create_app
from app.replica import dispose_reports_engine, reports_session_factory
from app.responses.models import Response
from tests.factories import PASSWORD, counter_tree, dashboard_login, live_response, login
from tests.support.replica import Replica

pytestmark = pytest.mark.parametrize("backend", ["postgresql"])  # a streaming replica is PostgreSQL's

DAY = date(2025, 3, 10)
ASK = {"agency": "HN", "from": "2025-03-01", "to": "2025-03-31"}


@pytest.fixture
def settings(database_url: str, tmp_path: Path, replica: Replica) -> Settings:
    """The test's database on the primary; figures from the same database on the replica (once it has it)."""
    replica.wait_replayed()
    reports = replica.url(str(make_url(database_url).database))
    return resolve_secrets(
        Settings(
            env=Environment.test,
            database_url=database_url,
            reports_database_url=reports,
            secrets_file=tmp_path / "secrets.json",
        )
    )


@pytest.fixture
def app(settings: Settings) -> Iterator[FastAPI]:
    application = create_app(settings)
    yield application
    dispose_reports_engine(application.state)
    application.state.engine.dispose()


def _figures(client: TestClient, headers: dict[str, str]) -> dict[str, object]:
    answer = client.get("/api/v1/satisfaction", params=ASK, headers=headers)
    assert answer.status_code == 200, answer.text
    meta: dict[str, object] = answer.json()["meta"]
    return meta


def test_a_response_reaches_the_figures_when_the_replica_has_replayed_it_and_meta_shows_the_lag(
    client: TestClient, session: Session, settings: Settings, replica: Replica
) -> None:
    province, commune, counter = counter_tree(session)
    for overall in (5, 5, 2):
        live_response(session, settings, agency=commune, counter=counter, day=DAY, overall=overall)
    headers = login(client, session, "tinh.hn", Role.province_admin, province)
    replica.wait_replayed()
    assert _figures(client, headers)["responses"] == 3
    assert _figures(client, headers)["replica_lag_seconds"] == 0.0

    replica.pause_replay()
    try:
        live_response(session, settings, agency=commune, counter=counter, day=DAY, overall=4)
        later = login(client, session, "tinh.hn.2", Role.province_admin, province)  # a login the replica has not seen
        replica.wait_received()
        assert session.scalar(select(func.count()).select_from(Response)) == 4  # on the primary
        behind = _figures(client, headers)
        assert behind["responses"] == 3  # the replica's: it has received the fourth, not replayed it
        lag = behind["replica_lag_seconds"]
        assert isinstance(lag, float) and lag > 0
        assert _figures(client, later)["responses"] == 3  # the token was checked on the primary
    finally:
        replica.resume_replay()

    replica.wait_replayed()
    caught_up = _figures(client, headers)
    assert (caught_up["responses"], caught_up["replica_lag_seconds"]) == (4, 0.0)


def test_the_dashboard_footer_says_how_far_behind_the_figures_are_only_while_they_are(
    client: TestClient, session: Session, settings: Settings, replica: Replica
) -> None:
    province, commune, counter = counter_tree(session)
    live_response(session, settings, agency=commune, counter=counter, day=DAY, overall=5)
    login(client, session, "tinh.hn", Role.province_admin, province)
    assert dashboard_login(client, "tinh.hn", PASSWORD).status_code == 303  # the session is the primary's
    replica.wait_replayed()
    assert 'data-testid="replica-lag"' not in client.get("/dashboard", params=ASK | {"lang": "en"}).text

    replica.pause_replay()
    try:
        live_response(session, settings, agency=commune, counter=counter, day=DAY, overall=1)
        replica.wait_received()
        page = client.get("/dashboard", params=ASK | {"lang": "en"})
    finally:
        replica.resume_replay()
    assert page.status_code == 200
    found = re.search(r'<p data-testid="replica-lag">([^<]*)</p>', page.text)
    assert found is not None, page.text[-2000:]
    seconds = re.search(r"about (\d+) s", found.group(1))
    assert seconds is not None and int(seconds.group(1)) >= 1
    assert found.group(1) == t("replica_lag", "en", seconds=int(seconds.group(1)))

    replica.wait_replayed()
    assert 'data-testid="replica-lag"' not in client.get("/dashboard", params=ASK | {"lang": "en"}).text


def test_a_download_is_audited_on_the_primary_while_its_figures_come_from_the_replica(
    client: TestClient, session: Session, settings: Settings, replica: Replica
) -> None:
    province, commune, counter = counter_tree(session)
    live_response(session, settings, agency=commune, counter=counter, day=DAY, overall=5)
    headers = login(client, session, "tinh.hn", Role.province_admin, province)
    replica.wait_replayed()

    answer = client.get("/api/v1/satisfaction", params=ASK | {"format": "csv"}, headers=headers)

    assert answer.status_code == 200, answer.text
    exports = session.scalars(select(AuditEvent.object_type).where(AuditEvent.action == "export")).all()
    assert exports == ["satisfaction"]


def test_the_reports_engine_is_refused_a_write_by_the_replica(app: FastAPI, session: Session, replica: Replica) -> None:
    """The routing is real: what the reports session reads is a server that refuses writes, the primary does not."""
    counter_tree(session)
    replica.wait_replayed()
    factory = reports_session_factory(app.state)
    assert factory is not None
    rename = update(Agency).where(Agency.code == "HN").values(name_vi="Hà Nội")

    with factory() as reports, pytest.raises(DBAPIError) as refused:
        assert reports.scalar(select(func.pg_is_in_recovery())) is True
        reports.execute(rename)

    assert isinstance(refused.value.orig, psycopg.errors.ReadOnlySqlTransaction)
    assert "cannot execute UPDATE in a read-only transaction" in str(refused.value.orig)
    session.execute(rename)
    session.commit()
    assert session.scalar(select(Agency.name_vi).where(Agency.code == "HN")) == "Hà Nội"
