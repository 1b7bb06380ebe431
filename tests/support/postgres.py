"""A real PostgreSQL for the tests: the server named by SIPAS_TEST_PG_ADMIN_URL, else one already running on
127.0.0.1:5432 with trust authentication, else a private throw-away cluster started here (as the `postgres`
user when running as root, because PostgreSQL refuses to run as root). Tests only ever create and drop their
own uniquely named databases. A parallel run (pytest-xdist) has one server for all its workers: the first worker
that needs one picks or starts it under a file lock (:func:`shared_postgres_server`)."""

from __future__ import annotations

import contextlib
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psycopg
from filelock import FileLock
from psycopg import sql


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str

    def url(self, database: str, driver: str = "postgresql+psycopg") -> str:
        return f"{driver}://{self.user}@{self.host}:{self.port}/{database}"

    def admin(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            dbname="postgres",
            autocommit=True,
            connect_timeout=5,
        )

    def create_database(self, name: str, template: str | None = None) -> None:
        with self.admin() as conn:
            query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
            if template:
                query = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template))
                if _copy_files(conn):
                    query += sql.SQL(" STRATEGY FILE_COPY")
            conn.execute(query)

    def drop_database(self, name: str) -> None:
        with self.admin() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _copy_files(conn: psycopg.Connection[tuple[object, ...]]) -> bool:
    """Whether to copy a template's files (two checkpoints) instead of writing each of its blocks to the WAL (the
    default since PostgreSQL 15): three times faster for the tests' small databases when nothing is flushed to
    disk (fsync off, as in the private cluster); on a server that flushes, the checkpoints would cost more."""
    if conn.info.server_version < 150000:
        return False
    row = conn.execute("SHOW fsync").fetchone()
    return row is not None and row[0] == "off"


def unique_name(prefix: str = "sipas_test") -> str:
    return f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"


def _reachable(host: str, port: int, user: str) -> bool:
    try:
        psycopg.connect(host=host, port=port, user=user, dbname="postgres", connect_timeout=3).close()
    except psycopg.Error:
        return False
    return True


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def postgres_binary(name: str) -> str | None:
    """The newest installed PostgreSQL's ``name`` (initdb, pg_ctl), or None."""
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    return candidates[0] if candidates else shutil.which(name)


def cluster_unavailable() -> str | None:
    """Why a private cluster cannot be started here (None when it can)."""
    for name in ("initdb", "pg_ctl", "postgres"):
        if postgres_binary(name) is None:
            return f"PostgreSQL's {name} is not installed (`make test` installs it: apt-get install postgresql)"
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            return "running as root needs runuser to start PostgreSQL as the postgres user"
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root needs a `postgres` user to start PostgreSQL (PostgreSQL refuses root)"
    return None


@dataclass
class PrivateCluster:
    """A PostgreSQL cluster in a temporary directory, listening on 127.0.0.1:<free port> only."""

    base: Path
    port: int
    options: str
    prefix: list[str] = field(default_factory=list)

    @property
    def data(self) -> Path:
        return self.base / "data"

    @property
    def log(self) -> Path:
        return self.base / "log"

    @property
    def server(self) -> PostgresServer:
        return PostgresServer(host="127.0.0.1", port=self.port, user="postgres")

    def pg_ctl(self, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[bytes]:
        pg_ctl = postgres_binary("pg_ctl")
        assert pg_ctl is not None
        return subprocess.run(
            [*self.prefix, pg_ctl, "-D", str(self.data), *args], capture_output=True, timeout=timeout, check=False
        )

    def start(self, timeout: float = 60.0) -> None:
        done = self.pg_ctl(
            "-o", self.options, "-l", str(self.log), "-w", "-t", str(int(timeout)), "start", timeout=timeout + 10
        )
        if done.returncode != 0:
            raise RuntimeError(f"pg_ctl start failed: {done.stderr.decode(errors='replace')}\n{self.log_tail()}")

    def restart(self, mode: str = "fast", timeout: float = 60.0) -> None:
        """``pg_ctl restart -m fast|immediate``: every connection is cut; returns once it accepts connections."""
        done = self.pg_ctl(
            "-o",
            self.options,
            "-l",
            str(self.log),
            "-m",
            mode,
            "-w",
            "-t",
            str(int(timeout)),
            "restart",
            timeout=timeout + 10,
        )
        if done.returncode != 0:
            raise RuntimeError(f"pg_ctl restart failed: {done.stderr.decode(errors='replace')}\n{self.log_tail()}")

    def stop(self, mode: str = "immediate", timeout: float = 30.0) -> None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.pg_ctl("-m", mode, "-w", "-t", str(int(timeout)), "stop", timeout=timeout + 10)
        pid = self.postmaster_pid()
        if pid is not None:  # it did not stop: kill it
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)

    def postmaster_pid(self) -> int | None:
        """The running postmaster's process id (its backends share its process group), else None."""
        with contextlib.suppress(OSError, ValueError, IndexError):
            pid = int((self.data / "postmaster.pid").read_text().splitlines()[0])
            if Path(f"/proc/{pid}/comm").read_text().strip() in ("postgres", "postmaster"):
                return pid
        return None

    def version(self) -> str:
        with self.server.admin() as conn:
            row = conn.execute("SHOW server_version").fetchone()
        return str(row[0]).split()[0] if row else "?"

    def setting(self, name: str) -> str:
        with self.server.admin() as conn:
            row = conn.execute("SELECT current_setting(%s)", (name,)).fetchone()
        return str(row[0]) if row else "?"

    def discard(self) -> None:
        """Stop the cluster and delete its directory."""
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)

    def log_tail(self, chars: int = 2000) -> str:
        with contextlib.suppress(OSError):
            return self.log.read_text(errors="replace")[-chars:]
        return ""


def cluster_directory(name: str) -> tuple[Path, Path, list[str]]:
    """A new temporary directory for a cluster, its socket directory, and the command prefix its server runs with:
    as the ``postgres`` user when running as root (PostgreSQL refuses root), who then owns both directories."""
    base = Path(tempfile.mkdtemp(prefix=name))
    sockets = base / "sock"
    sockets.mkdir()
    if os.geteuid() != 0:
        return base, sockets, []
    for path in (base, sockets):
        shutil.chown(path, "postgres")
    base.chmod(0o700)
    return base, sockets, ["runuser", "-u", "postgres", "--"]


def start_private_cluster(*, fsync: bool = False, max_connections: int = 100) -> PrivateCluster:
    """Start a throw-away cluster (as the ``postgres`` user when running as root); ``discard`` it after. Without
    ``fsync`` nothing is flushed to disk (test data: a crash loses nothing anyone needs)."""
    reason = cluster_unavailable()
    if reason:
        raise RuntimeError(reason)
    initdb = postgres_binary("initdb")
    assert initdb is not None
    base, sockets, prefix = cluster_directory("sipas-pg-")
    sync = "on" if fsync else "off"
    options = (
        f"-p {{port}} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync={sync} -c full_page_writes={sync} "
        f"-c synchronous_commit={sync} -c max_connections={max_connections}"
        # a streaming replica can be started from it (tests/support/replica.py); initdb's pg_hba.conf already lets
        # 127.0.0.1 replicate with trust
        " -c wal_level=replica -c max_wal_senders=10"
    )
    cluster = PrivateCluster(base=base, port=0, options="", prefix=prefix)
    try:
        subprocess.run(
            [*prefix, initdb, "-D", str(cluster.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"],
            check=True,
            capture_output=True,
            timeout=120,
        )
        for _attempt in range(3):  # a free port can be taken by someone else before PostgreSQL binds it
            cluster.port = _free_port()
            cluster.options = options.format(port=cluster.port)
            try:
                cluster.start()
                break
            except RuntimeError:
                if "could not bind" not in cluster.log_tail() and "in use" not in cluster.log_tail():
                    raise
        else:
            raise RuntimeError(f"PostgreSQL did not start:\n{cluster.log_tail()}")
    except BaseException:
        cluster.discard()
        raise
    return cluster


@contextlib.contextmanager
def private_cluster(*, fsync: bool = False, max_connections: int = 100) -> Iterator[PrivateCluster]:
    """A cluster of :func:`start_private_cluster`, stopped and deleted after."""
    cluster = start_private_cluster(fsync=fsync, max_connections=max_connections)
    try:
        yield cluster
    finally:
        cluster.discard()


def existing_server() -> PostgresServer | None:
    """The server named by SIPAS_TEST_PG_ADMIN_URL, else one running on 127.0.0.1:5432 with trust authentication,
    else None."""
    explicit = os.environ.get("SIPAS_TEST_PG_ADMIN_URL")
    if explicit:
        info = psycopg.conninfo.conninfo_to_dict(explicit)
        return PostgresServer(
            host=str(info.get("host", "127.0.0.1")),
            port=int(info.get("port", 5432)),
            user=str(info.get("user")),
        )
    if _reachable("127.0.0.1", 5432, "postgres"):
        return PostgresServer(host="127.0.0.1", port=5432, user="postgres")
    return None


@contextlib.contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    found = existing_server()
    if found is not None:
        yield found
        return
    with private_cluster() as cluster:
        yield cluster.server


# --- one server for the workers of a parallel run (pytest-xdist) -----------------------------------------------

SHARED_MAX_CONNECTIONS = 300  # every worker's engines, live servers and admin connections at once


def shared_postgres_server(directory: Path) -> PostgresServer:
    """The one server of a parallel run. ``directory`` is shared by the workers: the first one that needs a server
    takes the lock, finds one (:func:`existing_server`) or starts a private cluster, and writes down where it is;
    the others read that. The cluster outlives the worker that started it: :func:`stop_shared_cluster` (the run's
    controller, at its end) stops it."""
    state = directory / "postgres.json"
    with FileLock(directory / "postgres.lock"):
        if state.exists():
            return PostgresServer(**json.loads(state.read_text())["server"])
        server = existing_server()
        cluster = None
        if server is None:
            cluster = start_private_cluster(max_connections=SHARED_MAX_CONNECTIONS)
            server = cluster.server
        started: dict[str, object] | None = None
        if cluster is not None:
            started = {"base": str(cluster.base), "port": cluster.port, "options": cluster.options}
            started["prefix"] = cluster.prefix
        state.write_text(json.dumps({"server": asdict(server), "cluster": started}))
        return server


def stop_shared_cluster(directory: Path) -> None:
    """Stop and delete the cluster a worker started for the run (nothing when it used a server already running)."""
    state = directory / "postgres.json"
    with FileLock(directory / "postgres.lock"):
        if not state.exists():
            return
        found = json.loads(state.read_text())["cluster"]
        if found is not None:
            PrivateCluster(
                base=Path(found["base"]), port=found["port"], options=found["options"], prefix=found["prefix"]
            ).discard()
        state.unlink()
