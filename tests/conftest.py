"""Every database test runs twice: on the embedded SQLite default and on a real PostgreSQL. Each test gets a
fresh, migrated database of its own (cloned from a template migrated once per run), so tests can commit."""

from __future__ import annotations

import shutil
import types
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher, profiles
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.config import Environment, Settings, resolve_secrets
from app.db import make_engine, make_session_factory, utcnow
from app.main import create_app
from app.migrate import migrate
from app.officials import passwords
from tests.factories import Clock
from tests.support.postgres import PostgresServer, postgres_server, unique_name

BACKENDS = ["sqlite", "postgresql"]


def make_settings(database_url: str, directory: Path) -> Settings:
    return resolve_secrets(
        Settings(env=Environment.test, database_url=database_url, secrets_file=directory / "secrets.json")
    )


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashing() -> Iterator[None]:
    """argon2 at its cheapest in tests: the app's parameters are slow on purpose. Each hash carries its own
    parameters, so hashes made either way verify."""
    slow = passwords.use_hasher(PasswordHasher.from_parameters(profiles.CHEAPEST))
    yield
    passwords.use_hasher(slow)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    with postgres_server() as server:
        yield server


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("sqlite-template")
    path = directory / "template.db"
    migrate(make_settings(f"sqlite:///{path}", directory))
    return path


@pytest.fixture(scope="session")
def pg_template(pg_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    name = unique_name("sipas_test_template")
    pg_server.create_database(name)
    try:
        migrate(make_settings(pg_server.url(name), tmp_path_factory.mktemp("pg-template")))
        yield name
    finally:
        pg_server.drop_database(name)


def fresh_database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new migrated database for one test; dropped afterwards."""
    if backend == "sqlite":
        path = tmp_path / "sipas.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    server: PostgresServer = request.getfixturevalue("pg_server")
    name = unique_name()
    server.create_database(name, template=request.getfixturevalue("pg_template"))
    try:
        yield server.url(name)
    finally:
        server.drop_database(name)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from fresh_database_url(backend, request, tmp_path)


@pytest.fixture
def empty_database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all (for migration tests, and where a backup is restored)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    server: PostgresServer = request.getfixturevalue("pg_server")
    name = unique_name()
    server.create_database(name)
    try:
        yield server.url(name)
    finally:
        server.drop_database(name)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path)


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with make_session_factory(engine)() as session:
        yield session


@pytest.fixture
def app(settings: Settings) -> Iterator[FastAPI]:
    application = create_app(settings)
    yield application
    application.state.engine.dispose()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless Chromium for the whole run (pages and contexts are per test)."""
    from playwright.sync_api import expect

    from tests.support.browser import chromium

    # CI shares two cores between Chromium, uvicorn and PostgreSQL: give assertions time before failing.
    expect.set_options(timeout=15_000)
    with chromium() as instance:
        yield instance


@pytest.fixture
def live_url(app: FastAPI) -> Iterator[str]:
    """The app served by uvicorn on a free port, on this test's database."""
    from tests.support.live import free_port, serve

    with serve(app, free_port()) as url:
        yield url


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    found = Clock(utcnow())
    monkeypatch.setattr("app.public.endpoints.utcnow", found.now)
    monkeypatch.setattr("app.ratelimit.time", types.SimpleNamespace(monotonic=found.monotonic))
    yield found
