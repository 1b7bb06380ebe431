"""A real PostgreSQL for the tests: the server named by SIPAS_TEST_PG_ADMIN_URL, else one already running on
127.0.0.1:5432 with trust authentication, else a private throw-away cluster started here (as the `postgres`
user when running as root, because PostgreSQL refuses to run as root). Tests only ever create and drop their
own uniquely named databases."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
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
            conn.execute(query)

    def drop_database(self, name: str) -> None:
        with self.admin() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


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


def _bin(name: str) -> str:
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    found = candidates[0] if candidates else shutil.which(name)
    if not found:
        raise RuntimeError(
            f"PostgreSQL's {name} is not installed; `make test` installs it (apt-get install postgresql)"
        )
    return found


@contextlib.contextmanager
def _private_cluster() -> Iterator[PostgresServer]:
    as_root = os.geteuid() == 0
    base = Path(tempfile.mkdtemp(prefix="sipas-pg-"))
    data, sockets = base / "data", base / "sock"
    sockets.mkdir()
    prefix: list[str] = []
    if as_root:
        shutil.chown(base, "postgres")
        shutil.chown(sockets, "postgres")
        base.chmod(0o700)
        prefix = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    subprocess.run(
        [*prefix, _bin("initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"],
        check=True, capture_output=True,
    )  # fmt: skip
    options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
    subprocess.run(
        [*prefix, _bin("pg_ctl"), "-D", str(data), "-o", options, "-l", str(base / "log"), "-w", "start"],
        check=True, capture_output=True,
    )  # fmt: skip
    try:
        yield PostgresServer(host="127.0.0.1", port=port, user="postgres")
    finally:
        subprocess.run([*prefix, _bin("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@contextlib.contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    explicit = os.environ.get("SIPAS_TEST_PG_ADMIN_URL")
    if explicit:
        info = psycopg.conninfo.conninfo_to_dict(explicit)
        yield PostgresServer(
            host=str(info.get("host", "127.0.0.1")),
            port=int(info.get("port", 5432)),
            user=str(info.get("user")),
        )
        return
    if _reachable("127.0.0.1", 5432, "postgres"):
        yield PostgresServer(host="127.0.0.1", port=5432, user="postgres")
        return
    with _private_cluster() as server:
        yield server
