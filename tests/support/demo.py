"""The demo province for the tests that read it, loaded once per run, backend and period instead of once per test
(6–12 s each on an idle machine, a minute under a loaded one's CI). The first process that needs it loads it, under
a file lock in a directory that a parallel run's workers share, into a template: a SQLite file, a PostgreSQL
database. Every test or module then gets a copy of its own (a file copy; ``CREATE DATABASE … TEMPLATE``, under a
second), with the secrets file the demo was loaded with (the demo kiosk's key derives from its session secret).

A test may pin the demo's period (``end``: its twelve months run up to the month of that day); by default they run
up to this month, as ``sipas demo`` loads them. ``tests/test_cli.py`` checks ``sipas demo`` itself."""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import psycopg
from filelock import FileLock
from sqlalchemy import text

from app.config import Environment, Settings, resolve_secrets
from app.db import make_engine, make_session_factory
from app.demo import load_demo
from tests.support.postgres import PostgresServer


@dataclass(frozen=True)
class DemoTemplate:
    backend: str
    database: str  # SQLite: the file's path; PostgreSQL: the template database's name
    secrets: str  # the secrets file it was loaded with
    server: dict[str, Any] | None = None  # PostgreSQL: where the template lives (to drop it at the end)


def demo_month(end: date | None) -> date:
    """The first day of the month the demo's twelve months run up to (excluded): ``end``'s, else today's there."""
    today = end or datetime.now(Settings(env=Environment.test).zone).date()
    return today.replace(day=1)


def shared_demo(
    directory: Path,
    backend: str,
    end: date | None,
    blank: Callable[[Path], tuple[str, str]],
    server: PostgresServer | None = None,
) -> DemoTemplate:
    """The demo template of ``backend`` for ``end``'s period, loaded here if no process of the run has yet.
    ``blank(folder)`` makes a new migrated, empty database and returns its URL and its file path or name; ``server``
    is PostgreSQL's."""
    month = demo_month(end)
    key = f"demo-{backend}-{month:%Y-%m}"
    state = directory / f"{key}.json"
    with FileLock(directory / f"{key}.lock"):
        if state.exists():
            return DemoTemplate(**json.loads(state.read_text()))
        folder = directory / key
        folder.mkdir(exist_ok=True)
        url, database = blank(folder)
        secrets = folder / "secrets.json"
        _load(url, secrets, month)
        where = asdict(server) if server is not None else None
        template = DemoTemplate(backend=backend, database=database, secrets=str(secrets), server=where)
        state.write_text(json.dumps(asdict(template)))
        return template


def _load(url: str, secrets: Path, month: date) -> None:
    """``load_demo`` for the twelve months before ``month``, then planner statistics for every table: what autovacuum
    does within a minute of a bulk load (without them PostgreSQL may pick nested loops for the weighted reports: a
    dashboard overview once took 100 s instead of 0.5 s)."""
    settings = resolve_secrets(Settings(env=Environment.test, database_url=url, secrets_file=secrets))
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        load_demo(session, settings, end=month)
        session.commit()
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execute(text("ANALYZE"))
            connection.commit()
    engine.dispose()


def copy_secrets(template: DemoTemplate, directory: Path) -> None:
    """The secrets the demo was loaded with, as ``directory``/secrets.json (where ``make_settings`` looks)."""
    shutil.copyfile(template.secrets, directory / "secrets.json")


def drop_demo_templates(directory: Path) -> None:
    """At the end of the run: drop the PostgreSQL demo templates (SQLite's go with ``directory``)."""
    for state in directory.glob("demo-*.json"):
        template = DemoTemplate(**json.loads(state.read_text()))
        if template.server is not None:
            with contextlib.suppress(psycopg.OperationalError):  # the run's own cluster may be gone already
                PostgresServer(**template.server).drop_database(template.database)
        state.unlink()
