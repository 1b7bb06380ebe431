"""A streaming replica of the tests' PostgreSQL, made the way an operator makes one (docs/operations.md):
``pg_basebackup -X stream -R`` (a copy of the primary's data directory with ``standby.signal`` and
``primary_conninfo``), started on another free port as the same OS user as the primary's private cluster (the
``postgres`` user when running as root). Everything the primary commits, every test database it creates, reaches the
replica by streaming; the replica refuses every write."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass

from tests.support.postgres import (
    PostgresServer,
    PrivateCluster,
    _free_port,
    cluster_directory,
    cluster_unavailable,
    postgres_binary,
)

# A hot standby refuses to start with less of these than its primary has.
MATCHED_SETTINGS = (
    "max_connections",
    "max_worker_processes",
    "max_wal_senders",
    "max_prepared_transactions",
    "max_locks_per_transaction",
)


def replica_unavailable() -> str | None:
    """Why a replica cannot be made here (None when it can)."""
    if postgres_binary("pg_basebackup") is None:
        return "PostgreSQL's pg_basebackup is not installed (`make test` installs it: apt-get install postgresql)"
    return cluster_unavailable()


@dataclass
class Replica:
    """A running replica of ``primary``; ``discard`` it after."""

    primary: PostgresServer
    cluster: PrivateCluster

    @property
    def server(self) -> PostgresServer:
        return PostgresServer(host="127.0.0.1", port=self.cluster.port, user=self.primary.user)

    def url(self, database: str) -> str:
        return self.server.url(database)

    def _primary_lsn(self) -> str:
        """Where the primary's WAL ends now, once flushed: its private cluster commits without waiting for the
        flush (synchronous_commit=off), and a walsender sends only flushed WAL. A transaction that writes WAL (a
        message no one reads) and commits with synchronous_commit=on flushes every record before its own."""
        with self.primary.admin() as conn:
            conn.execute("SET synchronous_commit = on")
            conn.execute("SELECT pg_logical_emit_message(true, 'sipas-tests', 'flush')")
            row = conn.execute("SELECT pg_current_wal_flush_lsn()::text").fetchone()
        assert row is not None
        return str(row[0])

    def _wait(self, function: str, timeout: float) -> float:
        """Wait until the replica's ``function`` (an LSN) reaches the primary's current one; the seconds waited."""
        target, start = self._primary_lsn(), time.monotonic()
        with self.server.admin() as conn:
            while True:
                row = conn.execute(f"SELECT {function}() >= %s::pg_lsn", (target,)).fetchone()
                if row is not None and row[0]:
                    return time.monotonic() - start
                if time.monotonic() - start > timeout:
                    raise TimeoutError(f"the replica's {function} did not reach {target} in {timeout:.0f} s")
                time.sleep(0.02)

    def wait_replayed(self, timeout: float = 30.0) -> float:
        """Until everything the primary has written so far is replayed here (visible to queries)."""
        return self._wait("pg_last_wal_replay_lsn", timeout)

    def wait_received(self, timeout: float = 30.0) -> float:
        """Until everything the primary has written so far has been received here (replayed or not)."""
        return self._wait("pg_last_wal_receive_lsn", timeout)

    def pause_replay(self) -> None:
        """Stop applying the WAL received (the replica keeps receiving it): a lag that lasts."""
        with self.server.admin() as conn:
            conn.execute("SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        with self.server.admin() as conn:
            conn.execute("SELECT pg_wal_replay_resume()")

    def discard(self) -> None:
        self.cluster.discard()


def _primary_settings(primary: PostgresServer) -> dict[str, str]:
    with primary.admin() as conn:
        rows = conn.execute(
            "SELECT name, setting FROM pg_settings WHERE name = ANY(%s)", (list(MATCHED_SETTINGS),)
        ).fetchall()
    return {str(name): str(setting) for name, setting in rows}


def start_replica(primary: PostgresServer, timeout: float = 120.0) -> Replica:
    """``pg_basebackup`` of ``primary`` into a temporary directory, started as a hot standby streaming from it."""
    reason = replica_unavailable()
    if reason:
        raise RuntimeError(reason)
    basebackup = postgres_binary("pg_basebackup")
    assert basebackup is not None
    base, sockets, prefix = cluster_directory("sipas-replica-")
    matched = " ".join(f"-c {name}={value}" for name, value in _primary_settings(primary).items())
    options = (
        f"-p {{port}} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off "
        f"-c hot_standby=on {matched}"
    )
    cluster = PrivateCluster(base=base, port=0, options="", prefix=prefix)
    try:
        done = subprocess.run(
            [
                *prefix,
                basebackup,
                *("-h", primary.host, "-p", str(primary.port), "-U", primary.user),
                *("-D", str(cluster.data), "-X", "stream", "-R", "-c", "fast", "--no-sync"),
            ],
            capture_output=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"pg_basebackup from {primary.host}:{primary.port} failed (the primary needs wal_level=replica, "
                "max_wal_senders > 0 and a `host replication` line for 127.0.0.1 in pg_hba.conf): "
                + done.stderr.decode(errors="replace")
            )
        for _attempt in range(3):  # a free port can be taken by someone else before PostgreSQL binds it
            cluster.port = _free_port()
            cluster.options = options.format(port=cluster.port)
            try:
                cluster.start(timeout=timeout)
                break
            except RuntimeError:
                if "could not bind" not in cluster.log_tail() and "in use" not in cluster.log_tail():
                    raise
        else:
            raise RuntimeError(f"the replica did not start:\n{cluster.log_tail()}")
        replica = Replica(primary=primary, cluster=cluster)
        with replica.server.admin() as conn:
            row = conn.execute("SELECT pg_is_in_recovery()").fetchone()
        if row is None or not row[0]:
            raise RuntimeError(f"the copy started as a primary, not a replica:\n{cluster.log_tail()}")
    except BaseException:
        cluster.discard()
        raise
    return replica
