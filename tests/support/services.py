"""Real services as separate processes, for the load and fault benches (bench/load.py, bench/faults.py) and the
reliability test: a private, throw-away PostgreSQL cluster that can be restarted, and ``uvicorn app.main:create_app
--factory`` with its workers in a process group of their own, so that ``kill -9`` takes the whole server down.

Nothing here touches a PostgreSQL server it did not start (never the machine's server on 127.0.0.1:5432). Every
wait has a timeout, and both context managers clean up (stop, kill, remove their directories) whatever happens.
"""

from __future__ import annotations

import contextlib
import os
import platform
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import httpx2 as httpx
import psycopg

from tests.support.live import free_port, uvicorn_command
from tests.support.postgres import PrivateCluster

ROOT = Path(__file__).resolve().parents[2]


# --- the app server -----------------------------------------------------------------------------------------


def _group_alive(pgid: int) -> bool:
    """Whether any process of the group is still running (zombies waiting for a parent to reap them are not)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                return True
    return False


def _cpu_seconds(select: Callable[[int, int, int], bool], root: int) -> float:
    """CPU seconds (user + system) used so far by the live processes ``select(pid, ppid, pgid)`` picks, plus the
    children ``root`` has already reaped (so a process that exits does not take its time with it). Linux /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            pid = int(stat.parent.name)
            if select(pid, int(fields[1]), int(fields[2])):
                total += (int(fields[11]) + int(fields[12])) / tick
            if pid == root:
                total += (int(fields[13]) + int(fields[14])) / tick
    return total


def group_cpu_seconds(pgid: int) -> float:
    """CPU seconds used so far by the processes of a process group (led by ``pgid``)."""
    return _cpu_seconds(lambda _pid, _ppid, group: group == pgid, pgid)


def cluster_cpu_seconds(cluster: PrivateCluster) -> float:
    """CPU seconds used so far by the cluster's postmaster and its children (each backend is a process)."""
    pid = cluster.postmaster_pid()
    return tree_cpu_seconds(pid) if pid is not None else 0.0


def tree_cpu_seconds(root: int) -> float:
    """CPU seconds used so far by a process and its children."""
    return _cpu_seconds(lambda pid, ppid, _group: root in (pid, ppid), root)


def machine_busy_seconds() -> float:
    """CPU seconds every process on the machine has used since boot (/proc/stat: all but idle and iowait)."""
    with contextlib.suppress(OSError, IndexError, ValueError):
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        return (sum(values[:8]) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")
    return 0.0


@dataclass
class AppServer:
    """``uvicorn app.main:create_app --factory --workers N`` on a fixed loopback port, in its own session (process
    group), so that ``kill9`` kills the master and every worker at once and ``start`` can bring it back."""

    env: dict[str, str]
    workers: int
    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> float:
        """Start and wait until /healthz answers; returns the seconds it took."""
        started = time.perf_counter()
        command = uvicorn_command(self.port, workers=self.workers)
        with self.log.open("ab") as handle:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env={**os.environ, **self.env},
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.wait_healthy(timeout)
        return time.perf_counter() - started

    def wait_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"the server exited:\n{self.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base_url}/healthz", timeout=2.0).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"the server did not answer /healthz within {timeout:.0f} s:\n{self.log_tail()}")

    def kill9(self, timeout: float = 15.0) -> None:
        """SIGKILL to the whole process group (master and workers), then wait until none of them runs."""
        if self.process is None:
            return
        pgid = self.process.pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=timeout)
        deadline = time.monotonic() + timeout
        while _group_alive(pgid) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.process = None

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM to the group (graceful), SIGKILL after ``timeout``."""
        if self.process is None:
            return
        pgid = self.process.pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=timeout)
        if _group_alive(pgid):
            self.kill9()
        self.process = None

    def cpu_seconds(self) -> float:
        return group_cpu_seconds(self.process.pid) if self.process is not None else 0.0

    def log_tail(self, chars: int = 3000) -> str:
        with contextlib.suppress(OSError):
            return self.log.read_text(errors="replace")[-chars:]
        return ""


@contextlib.contextmanager
def app_server(env: dict[str, str], workers: int, log: Path, timeout: float = 60.0) -> Iterator[AppServer]:
    server = AppServer(env=env, workers=workers, log=log)
    try:
        server.start(timeout)
        yield server
    finally:
        server.stop()


# --- odds and ends ------------------------------------------------------------------------------------------


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def machine(cluster: PrivateCluster) -> str:
    return (
        f"{os.cpu_count()} cores ({cpu_model()}), {platform.platform()}, Python {platform.python_version()}, "
        f"PostgreSQL {cluster.version()} (private cluster on 127.0.0.1:{cluster.port}, "
        f"fsync={cluster.setting('fsync')}, synchronous_commit={cluster.setting('synchronous_commit')})"
    )


def connect(cluster: PrivateCluster, database: str) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(host="127.0.0.1", port=cluster.port, user="postgres", dbname=database, connect_timeout=10)


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (and SIGHUP) raise KeyboardInterrupt in the main thread, so `finally` clean-up runs as on Ctrl-C."""

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
