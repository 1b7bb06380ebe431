"""A streaming replica for the tests that ask for one (``replica``): one per test session — per worker in a parallel
run — started by the first of them and stopped once no test queued after it needs it. The tests that use it run
first in a worker's share, together.

Its primary is a cluster of its own, not the run's shared PostgreSQL: other workers write there all the time, so a
replica of it is never quite caught up, and a test could not tell "the replica has replayed everything" from "the
replica is a fraction of a second behind someone else's test" (a shared primary made ``replica_lag_seconds`` read
0.295 instead of 0 in CI). Here the only writer is the test itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.migrate import migrate
from tests.conftest import make_settings
from tests.support.postgres import PostgresServer, PrivateCluster, start_private_cluster, unique_name
from tests.support.replica import Replica, replica_unavailable, start_replica


class Replicas:
    """The session's replica of the tests' PostgreSQL, started on first use."""

    def __init__(self, primary: PostgresServer) -> None:
        self.primary = primary
        self.running: Replica | None = None

    def get(self) -> Replica:
        if self.running is None:
            self.running = start_replica(self.primary)
        return self.running

    def stop(self) -> None:
        if self.running is not None:
            self.running.discard()
            self.running = None


REPLICAS = pytest.StashKey[Replicas]()


@pytest.fixture(scope="session")
def replica_primary() -> Iterator[PrivateCluster]:
    reason = replica_unavailable()
    if reason:
        pytest.skip(f"needs a replica started with pg_basebackup: {reason}")
    cluster = start_private_cluster()
    try:
        yield cluster
    finally:
        cluster.discard()


@pytest.fixture(scope="session")
def pg_server(replica_primary: PrivateCluster) -> PostgresServer:
    """For the tests here, the replicated primary: their databases are made on it."""
    return replica_primary.server


@pytest.fixture(scope="session")
def pg_template(pg_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The migrated template of the tests' databases, on the replicated primary (an override: cached apart from the
    run's template on the shared server)."""
    name = unique_name("sipas_test_template")
    pg_server.create_database(name)
    try:
        migrate(make_settings(pg_server.url(name), tmp_path_factory.mktemp("pg-replica-template")))
        yield name
    finally:
        pg_server.drop_database(name)


@pytest.fixture(scope="session")
def replicas(pg_server: PostgresServer, request: pytest.FixtureRequest) -> Iterator[Replicas]:
    found = Replicas(pg_server)
    request.config.stash[REPLICAS] = found
    try:
        yield found
    finally:
        found.stop()


@pytest.fixture
def replica(replicas: Replicas) -> Replica:
    return replicas.get()


def _uses_replica(item: pytest.Item | None) -> bool:
    return item is not None and "replica" in getattr(item, "fixturenames", ())


def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """After the last test of a run of replica tests: stop the replica (a later one would start it again)."""
    if _uses_replica(item) and not _uses_replica(nextitem):
        found = item.config.stash.get(REPLICAS, None)
        if found is not None:
            found.stop()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """After tests/conftest.py has ordered the run (its ``slow`` tests at the head of every worker's share): the
    replica's tests first, together, so that one worker starts one replica for all of them, at the start."""
    here = Path(__file__).parent
    together = [item for item in items if _uses_replica(item) and item.path.is_relative_to(here)]
    if together:
        items[:] = together + [item for item in items if item not in together]
