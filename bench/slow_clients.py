"""Slow clients against the real server: do ordinary requests keep their latency while 50 clients trickle bodies?

Each slow client does what the availability report described: ``POST /api/v1/auth/token`` with ``Content-Length:
100000`` and one byte every 2 s, reconnecting at once whenever the server answers or closes (a persistent
attacker keeps 50 going). Meanwhile ordinary requests arrive open loop at ``--rate`` per second: kiosk batches of
5 answers (50 %), ``GET /api/v1/forms/counter-quick`` (25 %) and an official's ``GET /api/v1/agencies`` (25 %);
their latency counts from the intended send time, so waiting for a place is charged, and an error's latency is
the time until it came (a 503 after waiting for a place counts its wait).

The server is ``uvicorn app.main:create_app --factory --workers 1`` (one worker: the report was about a whole
worker) on a private, throw-away PostgreSQL cluster, with default settings except the per-kiosk and per-official
request limits (one generator plays every kiosk and official). Each code tree gets a fresh database, migrated
and seeded by that tree's own code, and is measured twice: without slow clients, then with them.
``--before REV`` measures the code of a git revision as well (extracted with ``git archive``; or a directory
holding a copy of the code), e.g. the commit before the fix, for the comparison.

Usage: .venv/bin/python bench/slow_clients.py [--before REV] [--slow-clients 50] [--rate 20] [--seconds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx2 as httpx  # noqa: E402

from tests.support.live import free_port, uvicorn_command  # noqa: E402
from tests.support.postgres import PrivateCluster, private_cluster  # noqa: E402
from tests.support.services import machine, terminate_as_interrupt  # noqa: E402

PASSWORD = "Bench-slow-clients-2026!"  # a throw-away official in a throw-away database
RAISED_LIMITS = {"SIPAS_KIOSK_RATE_PER_MINUTE": "100000000", "SIPAS_OFFICIAL_RATE_PER_MINUTE": "100000000"}
SLOW_HEAD = (
    b"POST /api/v1/auth/token HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n"
)

# Run inside the code tree under test (its own models and migrations): a fresh database with a province, a
# commune with a counter, ten kiosks and an administrator; prints the kiosk keys as JSON.
SEED = """
import json
from app.config import Settings, resolve_secrets
from app.db import make_engine, make_session_factory
from app.directory.models import AgencyLevel, Role
from app.directory.service import create_agency, create_counter, create_device
from app.officials.service import create_official
from app.migrate import migrate

settings = resolve_secrets(Settings())
migrate(settings)
engine = make_engine(settings.database_url)
with make_session_factory(engine)() as session:
    province = create_agency(session, code="BN", name_vi="Tỉnh Bench", level=AgencyLevel.province)
    commune = create_agency(session, code="BN-X01", name_vi="Xã Bench", level=AgencyLevel.commune, parent=province)
    counter = create_counter(session, agency=commune, code="Q01", name_vi="Quầy 1")
    session.flush()
    keys = [create_device(session, agency=commune, counter=counter, label=f"bench {n}")[1] for n in range(10)]
    create_official(session, username="bench.admin", password=PASSWORD, role=Role.province_admin, agency=province)
    session.commit()
engine.dispose()
print(json.dumps(keys))
"""


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of sorted ``values``."""
    if not values:
        return float("nan")
    rank = max(1, min(len(values), round(fraction * len(values) + 0.5)))
    return values[rank - 1]


# --- the server under test ----------------------------------------------------------------------------------


@dataclass
class Server:
    tree: Path
    env: dict[str, str]
    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def seed(self) -> list[str]:
        code = SEED.replace("PASSWORD", repr(PASSWORD))
        done = subprocess.run(
            [sys.executable, "-c", code],
            cwd=self.tree,
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"seeding the database with {self.tree} failed:\n{done.stderr[-3000:]}")
        return list(json.loads(done.stdout.strip().splitlines()[-1]))

    def start(self) -> None:
        command = uvicorn_command(self.port)
        with self.log.open("ab") as handle:
            self.process = subprocess.Popen(
                command,
                cwd=self.tree,
                env={**os.environ, **self.env},
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the server exited:\n{self.log.read_text(errors='replace')[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base_url}/healthz", timeout=2.0).status_code == 200:
                    return
            time.sleep(0.1)
        raise SystemExit("the server did not answer /healthz within 60 s")

    def stop(self) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, 15)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait(timeout=15)
            self.process = None


@contextlib.contextmanager
def running(server: Server) -> Iterator[Server]:
    try:
        server.start()
        yield server
    finally:
        server.stop()


# --- slow clients -------------------------------------------------------------------------------------------


@dataclass
class SlowStats:
    connections: int = 0
    answers: dict[str, int] = field(default_factory=dict)  # first line of each answer (408, 503, …) or "closed"
    held_seconds: list[float] = field(default_factory=list)  # how long each connection lasted


async def slow_client(port: int, interval: float, stats: SlowStats, stop: asyncio.Event) -> None:
    """Trickle one byte every ``interval`` seconds of a declared 100 kB body; reconnect when the server ends it."""
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.5)
            continue
        stats.connections += 1
        opened = time.monotonic()
        writer.write(SLOW_HEAD)
        answer = asyncio.create_task(reader.readline())
        try:
            while not stop.is_set() and not answer.done():
                writer.write(b"u")
                await writer.drain()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(answer), timeout=interval)
        except OSError:
            pass
        if answer.done() and not answer.cancelled() and answer.exception() is None:
            line = answer.result().decode("latin-1").strip()
            kind = " ".join(line.split(" ")[1:2]) or "closed"
            stats.answers[kind] = stats.answers.get(kind, 0) + 1
            stats.held_seconds.append(time.monotonic() - opened)
        else:
            answer.cancel()
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


# --- ordinary requests --------------------------------------------------------------------------------------


@dataclass
class Outcome:
    kind: str
    latency_ms: float
    error: str | None


class Ordinary:
    def __init__(self, base_url: str, kiosk_keys: list[str], official_token: str, timeout: float) -> None:
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
        self.http = httpx.AsyncClient(base_url=base_url, timeout=timeout, limits=limits)
        self.keys = kiosk_keys
        self.official = {"Authorization": f"Bearer {official_token}"}
        self.rng = random.Random(2026)

    async def kiosk(self) -> int:
        items = [
            {
                "submission_id": str(uuid.uuid4()),
                "form_id": "counter-quick",
                "form_version": 1,
                "submitted_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "answers": {"overall": self.rng.choice((3, 4, 5))},
            }
            for _ in range(5)
        ]
        reply = await self.http.post(
            "/api/v1/responses/batch",
            json={"items": items},
            headers={"Authorization": f"Bearer {self.rng.choice(self.keys)}"},
        )
        return reply.status_code

    async def form(self) -> int:
        return (await self.http.get("/api/v1/forms/counter-quick")).status_code

    async def agencies(self) -> int:
        return (await self.http.get("/api/v1/agencies", headers=self.official)).status_code

    async def send(self, kind: str, due: float) -> Outcome:
        calls = {"kiosk": self.kiosk, "form": self.form, "official": self.agencies}
        error: str | None
        try:
            status = await calls[kind]()
            error = None if status == 200 else f"HTTP {status}"
        except httpx.TimeoutException:
            error = "timeout"
        except httpx.HTTPError as exc:
            error = type(exc).__name__
        return Outcome(kind, (time.perf_counter() - due) * 1000, error)

    async def run(self, rate: float, seconds: float) -> list[Outcome]:
        kinds, weights = ["kiosk", "form", "official"], [50, 25, 25]
        pick = random.Random(7)
        t0 = time.perf_counter() + 0.05
        tasks = []
        for index in range(int(rate * seconds)):
            due = t0 + index / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(self.send(pick.choices(kinds, weights)[0], due)))
        return list(await asyncio.gather(*tasks))

    async def close(self) -> None:
        await self.http.aclose()


@dataclass
class Phase:
    code: str
    slow_clients: int
    outcomes: list[Outcome]
    slow: SlowStats | None

    def line(self) -> str:
        every = sorted(o.latency_ms for o in self.outcomes)  # a 503 after waiting 5 s counts its 5 s
        errors: dict[str, int] = {}
        for outcome in self.outcomes:
            if outcome.error is not None:
                errors[outcome.error] = errors.get(outcome.error, 0) + 1
        shown = ", ".join(f"{count} {kind}" for kind, count in sorted(errors.items())) or "0"
        slow = "–"
        if self.slow is not None:
            answers = ", ".join(f"{count} × {kind}" for kind, count in sorted(self.slow.answers.items())) or "none yet"
            held = ""
            if self.slow.held_seconds:
                held = f"; each held a connection {percentile(sorted(self.slow.held_seconds), 0.5):.1f} s (median)"
            slow = f"{self.slow.connections} connections, answered: {answers}{held}"
        figures = " | ".join(f"{percentile(every, q):,.0f}" for q in (0.5, 0.95, 0.99, 1.0))
        return f"| {self.code} | {self.slow_clients} | {len(self.outcomes)} | {shown} | {figures} | {slow} |"


TABLE = (
    "| code | slow clients | ordinary requests | errors | p50 ms | p95 ms | p99 ms | max ms "
    "| slow clients: what they got |\n"
    "|---|---|---|---|---|---|---|---|---|"
)


async def measure(
    code: str,
    server: Server,
    keys: list[str],
    token: str,
    args: argparse.Namespace,
    slow_clients: int,
    seconds: float,
) -> Phase:
    ordinary = Ordinary(server.base_url, keys, token, args.timeout)
    stop, stats = asyncio.Event(), SlowStats()
    slow = [asyncio.create_task(slow_client(server.port, args.interval, stats, stop)) for _ in range(slow_clients)]
    try:
        if slow:
            await asyncio.sleep(args.settle)  # every slow client connected and trickling
        outcomes = await ordinary.run(args.rate, seconds)
    finally:
        stop.set()
        await asyncio.gather(*slow, return_exceptions=True)
        await ordinary.close()
    return Phase(code, slow_clients, outcomes, stats if slow else None)


def log_in(base_url: str) -> str:
    reply = httpx.post(
        f"{base_url}/api/v1/auth/token", data={"username": "bench.admin", "password": PASSWORD}, timeout=30.0
    )
    if reply.status_code != 200:
        raise SystemExit(f"log-in failed: {reply.status_code} {reply.text[:300]}")
    return str(reply.json()["access_token"])


def bench_tree(
    number: int, label: str, tree: Path, cluster: PrivateCluster, directory: Path, args: argparse.Namespace
) -> list[Phase]:
    database = f"sipas_slow_{number}"
    cluster.server.create_database(database)
    env = {
        "SIPAS_DATABASE_URL": cluster.server.url(database),
        "SIPAS_SECRETS_FILE": str(directory / "secrets.json"),
        "SIPAS_ENV": "test",
        "SIPAS_LOG_LEVEL": "WARNING",
        **RAISED_LIMITS,
    }
    server = Server(tree=tree, env=env, log=directory / f"server-{number}.log")
    keys = server.seed()
    phases = []
    with running(server):
        token = log_in(server.base_url)
        asyncio.run(measure(label, server, keys, token, args, 0, args.warmup))  # not reported
        for clients in (0, args.slow_clients):
            phase = asyncio.run(measure(label, server, keys, token, args, clients, args.seconds))
            print(phase.line(), flush=True)
            phases.append(phase)
    log = server.log.read_text(errors="replace")
    if "Traceback" in log:
        print(f"    server log of {label} (tail):\n{log[-2000:]}")
    return phases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--before",
        help="also measure this git revision's code (e.g. the commit before the fix), or the code in this directory",
    )
    parser.add_argument("--slow-clients", type=int, default=50, help="slow clients at once (default 50)")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between their bytes (default 2)")
    parser.add_argument("--rate", type=float, default=20.0, help="ordinary requests per second (default 20)")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each measurement (default 30)")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of ordinary requests first (5)")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds the slow clients start before (3)")
    parser.add_argument("--timeout", type=float, default=10.0, help="ordinary requests' timeout (default 10)")
    args = parser.parse_args()
    started = time.monotonic()
    with (
        terminate_as_interrupt(),
        tempfile.TemporaryDirectory(prefix="sipas-slow-") as temp,
        private_cluster() as cluster,
    ):
        directory = Path(temp)
        trees = [("this code", ROOT)]
        if args.before and Path(args.before).is_dir():
            trees.append((f"before ({args.before})", Path(args.before)))
        elif args.before:
            before = directory / "before"
            before.mkdir()
            archive = subprocess.run(["git", "archive", args.before], cwd=ROOT, capture_output=True, check=True)
            subprocess.run(["tar", "-x", "-C", str(before)], input=archive.stdout, check=True)
            trees.append((f"before ({args.before})", before))
        print(f"machine: {machine(cluster)}")
        print(
            f"server: uvicorn app.main:create_app --factory --workers 1; default settings, raised for the bench: "
            f"{', '.join(f'{k}={v}' for k, v in RAISED_LIMITS.items())}"
        )
        print(
            f"ordinary requests: {args.rate:g}/s for {args.seconds:g} s, open loop (kiosk batches of 5 answers 50 %, "
            f"GET /api/v1/forms/counter-quick 25 %, an official's GET /api/v1/agencies 25 %), timeout "
            f"{args.timeout:g} s; slow clients: POST /api/v1/auth/token, Content-Length: 100000, one byte every "
            f"{args.interval:g} s, reconnecting when cut off\n"
        )
        print(TABLE, flush=True)
        for number, (label, tree) in enumerate(trees):
            bench_tree(number, label, tree, cluster, directory, args)
    print(f"\nwhole run {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
