"""`sipas serve`'s start-up banner prints the demo official's password and the demo kiosk's key only on a start
just after `sipas demo` loaded them (as `make run` does), never with SIPAS_ENV=production; and it leaves
X-Forwarded-For to the app (SIPAS_TRUSTED_PROXIES), not to uvicorn."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app import cli as cli_module
from app import server_cli
from app.config import Settings
from app.db import utcnow
from app.demo import DEMO_COUNTER, DEMO_PASSWORD, DEMO_USERNAME, demo_kiosk_key
from app.directory.models import AgencyLevel, Counter, Official, Role
from app.directory.service import create_agency, create_counter
from app.officials.service import create_official
from app.partitions import PARTITIONED, month_after, partition_name


@pytest.fixture
def started(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run `sipas serve` (uvicorn.run replaced); returns (its output, uvicorn's keyword arguments)."""
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(server_cli.uvicorn, "run", lambda *args, **kwargs: calls.append(kwargs))

    def serve(**env: str) -> tuple[str, dict[str, Any]]:
        base = {
            "SIPAS_DATABASE_URL": settings.database_url,
            "SIPAS_SECRETS_FILE": str(settings.secrets_file),
            "SIPAS_ENV": "test",
        }
        result = CliRunner().invoke(cli_module.cli, ["serve"], env={**base, **env})
        assert result.exit_code == 0, result.output
        return result.output, calls[-1]

    return serve


def _demo_official(session: Session, *, loaded_ago: timedelta) -> None:
    """The parts of the demo the banner reads: its counter and its official, created ``loaded_ago``."""
    province = create_agency(session, code="MA", name_vi="Tỉnh Minh An", level=AgencyLevel.province)
    centre = create_agency(session, code=DEMO_COUNTER[0], name_vi="Trung tâm", level=AgencyLevel.other, parent=province)
    create_counter(session, agency=centre, code=DEMO_COUNTER[1], name_vi="Quầy 1")
    create_official(session, username=DEMO_USERNAME, password=DEMO_PASSWORD, role=Role.province_admin, agency=province)
    session.execute(update(Official).values(created_at=utcnow() - loaded_ago))
    session.commit()


def test_the_password_is_printed_right_after_loading_only(started: Any, session: Session, settings: Settings) -> None:
    output, uvicorn_options = started()
    assert "Demo official" not in output and DEMO_PASSWORD not in output  # no demo at all
    assert uvicorn_options["proxy_headers"] is False
    assert uvicorn_options["http"] == "app.http_protocol:BoundedHttpToolsProtocol"  # a request's head is bounded
    _demo_official(session, loaded_ago=timedelta(seconds=5))
    output, _ = started()
    assert f"username {DEMO_USERNAME}  password {DEMO_PASSWORD}" in output
    assert demo_kiosk_key(settings) in output
    code = session.scalars(select(Counter.short_code)).one()
    front_door = f"(type it on the front door, or open http://127.0.0.1:8000/q/{code})"
    assert f"Demo counter's code  {code}   {front_door}" in output
    session.execute(update(Official).values(created_at=utcnow() - timedelta(minutes=11)))
    session.commit()
    output, _ = started()
    assert "Citizen form" in output and f"username {DEMO_USERNAME}" in output
    assert DEMO_PASSWORD not in output and demo_kiosk_key(settings) not in output


def test_never_in_production(started: Any, session: Session, settings: Settings) -> None:
    _demo_official(session, loaded_ago=timedelta(seconds=5))
    keys = {
        "SIPAS_TOKEN_KEYS": json.dumps(settings.token_keys),
        "SIPAS_SESSION_SECRET": settings.session_secret or "",
        "SIPAS_DOSSIER_HASH_KEY": settings.dossier_hash_key or "",
    }
    output, _ = started(SIPAS_ENV="production", **keys)
    assert DEMO_PASSWORD not in output and demo_kiosk_key(settings) not in output


def test_a_month_without_partitions_is_warned_about(started: Any, session: Session, settings: Settings) -> None:
    """PostgreSQL: when `sipas migrate` has not made next month's partitions, the banner says so (its answers would
    all go to the default partition). SQLite has no partitions and no warning."""
    output, _ = started()
    assert "no month partitions" not in output
    if session.get_bind().dialect.name != "postgresql":
        return
    now = datetime.now(settings.zone)
    coming = month_after(now.year * 100 + now.month)
    for table in PARTITIONED:
        session.execute(text(f"DROP TABLE {partition_name(table, coming)}"))
    session.commit()
    output, _ = started()
    label = f"{coming // 100}-{coming % 100:02d}"
    assert f"Warning: no month partitions yet for {label}: run `sipas migrate`" in output
