"""Every database test runs twice: on the embedded SQLite default and on a real PostgreSQL. Each test gets a
fresh, migrated database of its own (cloned from a template migrated once per run), so tests can commit."""

from __future__ import annotations

import shutil
import tempfile
import types
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher, profiles
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.config import Environment, Settings, resolve_secrets
from app.db import make_engine, make_session_factory, utcnow
from app.forms import loader
from app.main import create_app
from app.migrate import migrate
from app.officials import passwords
from tests.factories import Clock
from tests.support.demo import copy_secrets, drop_demo_templates, shared_demo
from tests.support.postgres import (
    PostgresServer,
    postgres_server,
    shared_postgres_server,
    stop_shared_cluster,
    unique_name,
)

BACKENDS = ["sqlite", "postgresql"]


def make_settings(database_url: str, directory: Path) -> Settings:
    return resolve_secrets(
        Settings(
            env=Environment.test,
            database_url=database_url,
            secrets_file=directory / "secrets.json",
            # no background fold: a test decides when responses are folded in (tests/reports/test_summary.py)
            summary_refresh_seconds=0,
            # PostgreSQL: this month's and next month's partitions (and the default): every test database is a copy
            # of the template, and each partition is a few more files to copy (tests/test_partitions.py)
            partition_months_ahead=1,
        )
    )


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashing() -> Iterator[None]:
    """argon2 at its cheapest in tests: the app's parameters are slow on purpose. Each hash carries its own
    parameters, so hashes made either way verify."""
    slow = passwords.use_hasher(PasswordHasher.from_parameters(profiles.CHEAPEST))
    yield
    passwords.use_hasher(slow)


@pytest.fixture(autouse=True, scope="session")
def forms_parsed_once() -> Iterator[None]:
    """Every app start (one or more a test) parses and checks the shipped form files again, about 60 ms: the suite
    parses each file once per content. A file whose bytes differ (the loader's tests write their own) is parsed
    anew, and a refusal is never remembered."""
    parse = loader.parse_form_file
    parsed: dict[tuple[Path, bytes], loader.LoadedForm] = {}

    def parse_once(path: Path) -> loader.LoadedForm:
        try:
            key = (Path(path).resolve(), Path(path).read_bytes())
        except OSError:
            return parse(path)
        if key not in parsed:
            parsed[key] = parse(path)
        return parsed[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(loader, "parse_form_file", parse_once)
        yield


# --- a parallel run (pytest-xdist) ----------------------------------------------------------------------------

SHARED = pytest.StashKey[Path]()  # the controller's directory for what its workers share


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist's controller, before it starts each worker: give it the directory the workers share."""
    config: pytest.Config = node.config
    if SHARED not in config.stash:
        config.stash[SHARED] = Path(tempfile.mkdtemp(prefix="sipas-pytest-"))
    node.workerinput["sipas_shared"] = str(config.stash[SHARED])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist's ``worksteal``, each worker first gets one contiguous share of the collection: put an
    equal part of the tests marked ``slow`` at the head of every share, so that no worker meets several of them
    at the end of the run while the others wait. Every worker computes the same order."""
    workers = int(getattr(config, "workerinput", {}).get("workercount", 1))
    slow = [item for item in items if item.get_closest_marker("slow")]
    if workers < 2 or not slow:
        return
    fast = iter([item for item in items if not item.get_closest_marker("slow")])
    ordered: list[pytest.Item] = []
    for share in range(workers):
        size = (len(items) - len(ordered)) // (workers - share)  # what worksteal sends to the next idle worker
        head = slow[share::workers]
        ordered += head + [item for _, item in zip(range(size - len(head)), fast, strict=False)]
    ordered += list(fast)
    items[:] = ordered


def pytest_unconfigure(config: pytest.Config) -> None:
    """The controller, after its workers have finished: stop the PostgreSQL cluster one of them started."""
    shared = config.stash.get(SHARED, None)
    if shared is not None:
        drop_demo_templates(shared)
        stop_shared_cluster(shared)
        shutil.rmtree(shared, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server(request: pytest.FixtureRequest) -> Iterator[PostgresServer]:
    """One PostgreSQL for the run: in a parallel run the first worker that needs it starts it for all of them
    (each worker's databases are its own: their names carry its process id)."""
    shared = getattr(request.config, "workerinput", {}).get("sipas_shared")
    if shared:
        yield shared_postgres_server(Path(shared))
        return
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
    """A new migrated database for the test; for a test marked ``demo``, a copy of the demo province."""
    demo = request.node.get_closest_marker("demo")
    if demo is not None:
        yield from demo_database_url(backend, request, tmp_path, **demo.kwargs)
        return
    yield from fresh_database_url(backend, request, tmp_path)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "demo(end=None): the test's database is a copy of the demo province, loaded once per run (its twelve months "
        "up to end's month, today's by default)",
    )


@pytest.fixture(scope="session")
def demo_directory(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Where the demo templates are (tests/support/demo.py): in a parallel run, the directory its workers share
    (the controller drops the PostgreSQL ones at the end); else this run's own."""
    shared = getattr(request.config, "workerinput", {}).get("sipas_shared")
    if shared:
        yield Path(shared)
        return
    directory = tmp_path_factory.mktemp("demo")
    yield directory
    drop_demo_templates(directory)


def demo_database_url(
    backend: str, request: pytest.FixtureRequest, directory: Path, end: date | None = None
) -> Iterator[str]:
    """A copy of the demo province's database for one test or module, its secrets file in ``directory``; dropped
    afterwards. The demo itself is loaded once per run, backend and period (tests/support/demo.py)."""
    if backend == "sqlite":
        empty: Path = request.getfixturevalue("sqlite_template")

        def blank_file(folder: Path) -> tuple[str, str]:
            shutil.copyfile(empty, folder / "demo.db")
            return f"sqlite:///{folder / 'demo.db'}", str(folder / "demo.db")

        template = shared_demo(request.getfixturevalue("demo_directory"), backend, end, blank_file)
        copy_secrets(template, directory)
        path = directory / "sipas.db"
        shutil.copyfile(template.database, path)
        yield f"sqlite:///{path}"
        return
    server: PostgresServer = request.getfixturevalue("pg_server")
    migrated: str = request.getfixturevalue("pg_template")

    def blank_database(folder: Path) -> tuple[str, str]:
        name = unique_name("sipas_test_demo")
        server.create_database(name, template=migrated)
        return server.url(name), name

    template = shared_demo(request.getfixturevalue("demo_directory"), backend, end, blank_database, server)
    copy_secrets(template, directory)
    name = unique_name()
    server.create_database(name, template=template.database)
    try:
        yield server.url(name)
    finally:
        server.drop_database(name)


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
    from tests.support.live import serve

    with serve(app) as url:
        yield url


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    found = Clock(utcnow())
    monkeypatch.setattr("app.public.router.utcnow", found.now)
    monkeypatch.setattr("app.ratelimit.time", types.SimpleNamespace(monotonic=found.monotonic))
    yield found
