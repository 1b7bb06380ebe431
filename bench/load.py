"""Open-loop load on the real server: a mix of citizen form posts, kiosk batches and officials' queries at a fixed
rate, stepped up until the server stops keeping up (figures for docs/benchmarks.md).

Starts a private, throw-away PostgreSQL cluster (never the machine's server), loads the demo province (so the
officials' queries aggregate about 22,000 responses), registers kiosks, then runs
``uvicorn app.main:create_app --factory --workers 2`` on a free loopback port and sends traffic only to 127.0.0.1.

Open loop: request i of a step is due at t0 + i/rate whatever happened to the requests before it, and its latency
is measured from that intended send time, so a server (or a client) that falls behind is charged for the wait
(no coordinated omission). Each step lasts ``--step-seconds``; a step is *held* when it achieved at least 95% of
its rate (successful replies within the step's own time), with no errors, and the p99 latency of the citizen and
kiosk posts stayed under ``--p99-ms`` (200; ``--held-on all``: of every request, the officials' queries, which take
about 0.5 s each on 2 cores, included). Stepping stops at the first step that is
clearly overloaded (errors above 5% or p99 above 5 s) or when the time budget (``--budget``) would be exceeded.

The citizen form's per-link and per-client limits and burst flagging (SIPAS_FORM_RATE_*, SIPAS_FORM_BURST_*), the
per-kiosk and per-official request limits (SIPAS_KIOSK_RATE_PER_MINUTE, SIPAS_OFFICIAL_RATE_PER_MINUTE) are raised
for the server under test (and printed), since one load generator plays every citizen, kiosk and official from one
address. The client keeps at most 200 connections open; beyond that, requests wait in the client, and the wait
counts in their latency like any other.

Usage: .venv/bin/python bench/load.py [--rates 10,20,40,80,160] [--step-seconds 20] [--workers 2] [--budget 300]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx2 as httpx  # noqa: E402
from sqlalchemy import select, text  # noqa: E402

from app.config import Environment, Settings, resolve_secrets  # noqa: E402
from app.db import make_engine, make_session_factory  # noqa: E402
from app.demo import DEMO_PASSWORD, DEMO_USERNAME, load_demo  # noqa: E402
from app.directory.models import Counter  # noqa: E402
from app.directory.service import create_device  # noqa: E402
from app.links.service import counter_token  # noqa: E402
from app.links.tokens import issue_client  # noqa: E402
from app.migrate import migrate  # noqa: E402
from app.public.form_page import csrf_token  # noqa: E402
from tests.support.postgres import PrivateCluster, private_cluster  # noqa: E402
from tests.support.services import (  # noqa: E402
    AppServer,
    cluster_cpu_seconds,
    connect,
    machine,
    machine_busy_seconds,
    terminate_as_interrupt,
)

KIOSK_ZONE = timezone(timedelta(hours=7))
ANSWER_ITEMS = ("overall", "access_general", "procedure_general", "civil_servant_general", "result_general")
# One generator plays every citizen, kiosk and official from one address, so the per-client limits (and burst
# flagging, where the app has it) would treat it as one abusive client: raised for the server under test.
RAISED_LIMITS = {
    "SIPAS_FORM_RATE_PER_LINK_PER_MINUTE": "100000000",
    "SIPAS_FORM_RATE_PER_CLIENT_PER_HOUR": "100000000",
    "SIPAS_FORM_BURST_PER_LINK_PER_MINUTE": "100000000",
    "SIPAS_FORM_BURST_PER_CLIENT_PER_MINUTE": "100000000",
    "SIPAS_KIOSK_RATE_PER_MINUTE": "100000000",
    "SIPAS_OFFICIAL_RATE_PER_MINUTE": "100000000",
}
SATISFACTION = "/api/v1/satisfaction?group_by=agency"
DATABASE = "sipas_load"
KINDS = ("citizen", "kiosk", "official")
HELD_SHARE = 0.95  # a held step achieved at least this share of its rate
OVERLOADED_ERRORS = 0.05
OVERLOADED_P99_MS = 5000.0


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of sorted ``values``."""
    if not values:
        return float("nan")
    rank = max(1, min(len(values), round(fraction * len(values) + 0.5)))
    return values[rank - 1]


# --- set-up -------------------------------------------------------------------------------------------------


@dataclass
class Target:
    """What the load needs to know about the server under test."""

    base_url: str
    settings: Settings
    link_tokens: list[str]
    kiosk_keys: list[str]
    official_token: str = ""


def seed(settings: Settings, kiosks: int) -> tuple[list[str], list[str], int]:
    """Migrate, load the demo, register ``kiosks`` kiosks on demo counters; (link tokens, kiosk keys, responses)."""
    migrate(settings)
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            summary = load_demo(session, settings)
            session.commit()
            counters = list(session.scalars(select(Counter).order_by(Counter.id)))[: max(1, kiosks)]
            keys = [
                create_device(session, agency=counter.agency, counter=counter, label=f"load {n}")[1]
                for n, counter in enumerate(counters, start=1)
            ]
            session.commit()
            tokens = [counter_token(settings, counter) for counter in counters]
        with engine.connect() as connection:  # planner statistics, as autovacuum would gather within a minute
            connection.execute(text("ANALYZE"))
            connection.commit()
    finally:
        engine.dispose()
    return tokens, keys, summary.responses


def log_in(base_url: str) -> str:
    reply = httpx.post(
        f"{base_url}/api/v1/auth/token", data={"username": DEMO_USERNAME, "password": DEMO_PASSWORD}, timeout=30.0
    )
    if reply.status_code != 200:
        raise SystemExit(f"log-in as {DEMO_USERNAME} failed: {reply.status_code} {reply.text[:300]}")
    return str(reply.json()["access_token"])


# --- the requests -------------------------------------------------------------------------------------------


def answers(rng: random.Random) -> dict[str, Any]:
    """A valid counter-quick answer (an overall 1 or 2 must say why: the form's skip rule)."""
    chosen: dict[str, Any] = {code: rng.choice((1, 2, 3, 4, 4, 5, 5)) for code in ANSWER_ITEMS}
    if chosen["overall"] <= 2:
        chosen["reason"] = ["waiting_time"]
    return chosen


def kiosk_item(rng: random.Random) -> dict[str, Any]:
    return {
        "submission_id": str(uuid.uuid4()),
        "form_id": "counter-quick",
        "form_version": 1,
        "submitted_at": datetime.now(KIOSK_ZONE).isoformat(timespec="seconds"),
        "answers": answers(rng),
    }


@dataclass
class Outcome:
    kind: str
    due: float  # intended send time (perf_counter)
    latency_ms: float
    error: str | None


class Load:
    """Clients for the three kinds of request; ``send`` makes one request and returns its outcome."""

    def __init__(self, target: Target, batch_items: int, timeout: float) -> None:
        self.target = target
        self.batch_items = batch_items
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
        self.http = httpx.AsyncClient(base_url=target.base_url, timeout=timeout, limits=limits)
        self.rng = random.Random(2026)

    async def close(self) -> None:
        await self.http.aclose()

    async def citizen(self) -> str | None:
        token = self.rng.choice(self.target.link_tokens)
        submission_id = str(uuid.uuid4())
        now = time.time()
        client, cookie = issue_client(self.target.settings, now=now)  # as the form page's GET would give
        csrf = csrf_token(self.target.settings, token, submission_id, client, int(now))
        fields = {k: v if isinstance(v, list) else str(v) for k, v in answers(self.rng).items()}
        form = {"submission_id": submission_id, "csrf": csrf, "lang": "vi", "website": "", **fields}
        reply = await self.http.post(f"/f/{token}", data=form, cookies={"sipas_client": cookie}, follow_redirects=False)
        return None if reply.status_code == 303 else f"citizen HTTP {reply.status_code}"

    async def kiosk(self) -> str | None:
        key = self.rng.choice(self.target.kiosk_keys)
        body = {"items": [kiosk_item(self.rng) for _ in range(self.batch_items)]}
        reply = await self.http.post("/api/v1/responses/batch", json=body, headers={"Authorization": f"Bearer {key}"})
        if reply.status_code != 200:
            return f"kiosk HTTP {reply.status_code}"
        counts = reply.json().get("counts", {})
        return None if counts.get("stored") == self.batch_items else f"kiosk results {counts}"

    async def official(self) -> str | None:
        headers = {"Authorization": f"Bearer {self.target.official_token}"}
        reply = await self.http.get(SATISFACTION, headers=headers)
        return None if reply.status_code == 200 else f"official HTTP {reply.status_code}"

    async def send(self, kind: str, due: float) -> Outcome:
        calls: dict[str, Callable[[], Any]] = {"citizen": self.citizen, "kiosk": self.kiosk, "official": self.official}
        try:
            error = await calls[kind]()
        except httpx.TimeoutException:
            error = f"{kind} timeout"
        except httpx.HTTPError as exc:
            error = f"{kind} {type(exc).__name__}"
        return Outcome(kind, due, (time.perf_counter() - due) * 1000, error)


# --- one step -----------------------------------------------------------------------------------------------


@dataclass
class Step:
    rate: float
    seconds: float
    outcomes: list[Outcome] = field(default_factory=list)
    not_finished: int = 0  # still running when the step's drain deadline passed (counted as errors)
    t0: float = 0.0
    server_cores: float = 0.0
    postgres_cores: float = 0.0
    client_cores: float = 0.0
    machine_cores: float = 0.0  # every process on the machine: other jobs are the rest
    stuck_connections: int = 0  # most connections seen idle in a transaction for over 1 s

    @property
    def sent(self) -> int:
        return len(self.outcomes) + self.not_finished

    @property
    def errors(self) -> int:
        return sum(o.error is not None for o in self.outcomes) + self.not_finished

    @property
    def achieved(self) -> float:
        """Successful replies received within the step's own time, per second."""
        ok = sum(o.error is None and o.due + o.latency_ms / 1000 <= self.t0 + self.seconds for o in self.outcomes)
        return ok / self.seconds

    def latencies(self, kinds: tuple[str, ...] = KINDS) -> list[float]:
        return sorted(o.latency_ms for o in self.outcomes if o.error is None and o.kind in kinds)

    def error_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for o in self.outcomes:
            if o.error is not None:
                counts[o.error] = counts.get(o.error, 0) + 1
        if self.not_finished:
            counts["unfinished at step end"] = self.not_finished
        return counts

    def held(self, p99_ms: float, kinds: tuple[str, ...]) -> bool:
        return self.errors == 0 and self.achieved >= HELD_SHARE * self.rate and self.p(0.99, kinds) < p99_ms

    def overloaded(self) -> bool:
        return self.errors > OVERLOADED_ERRORS * max(1, self.sent) or self.p(0.99) > OVERLOADED_P99_MS

    def p(self, fraction: float, kinds: tuple[str, ...] = KINDS) -> float:
        return percentile(self.latencies(kinds), fraction)


class Stuck:
    """Samples, once a second, how many of the server's database connections sit idle inside a transaction for more
    than a second: connections taken by requests that are waiting for something else (a thread) instead of
    working. The maximum of a step is reported."""

    QUERY = (
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
        "AND state = 'idle in transaction' AND now() - state_change > interval '1 second'"
    )

    def __init__(self, cluster: PrivateCluster) -> None:
        self.conn = connect(cluster, DATABASE)
        self.conn.autocommit = True
        self.peak = 0

    def sample(self) -> int:
        row = self.conn.execute(self.QUERY).fetchone()
        return int(str(row[0])) if row else 0

    async def watch(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            with contextlib.suppress(Exception):  # a diagnostic: never let it fail the bench
                self.peak = max(self.peak, await asyncio.to_thread(self.sample))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=1.0)

    def close(self) -> None:
        self.conn.close()


async def run_step(
    load: Load,
    rate: float,
    seconds: float,
    mix: list[tuple[str, float]],
    server: AppServer,
    cluster: PrivateCluster,
    drain: float,
) -> Step:
    """Send ``rate * seconds`` requests, request i at t0 + i/rate, each in its own task (never waiting for the
    ones before it); then wait at most ``drain`` seconds for the last replies."""
    step = Step(rate=rate, seconds=seconds)
    total = max(1, int(rate * seconds))
    kinds, weights = [k for k, _ in mix], [w for _, w in mix]
    pick = random.Random(int(rate * 1000))

    def cluster_cpu() -> float:
        return cluster_cpu_seconds(cluster)

    stuck, stop = Stuck(cluster), asyncio.Event()
    watcher = asyncio.create_task(stuck.watch(stop))
    cpu0 = (time.process_time(), server.cpu_seconds(), cluster_cpu(), machine_busy_seconds())
    t0 = step.t0 = time.perf_counter() + 0.1
    tasks: list[asyncio.Task[Outcome]] = []
    for index in range(total):
        due = t0 + index / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        kind = pick.choices(kinds, weights)[0]
        tasks.append(asyncio.create_task(load.send(kind, due)))
    done, pending = await asyncio.wait(tasks, timeout=drain)
    for task in pending:
        task.cancel()
    step.not_finished = len(pending)
    step.outcomes = [task.result() for task in done]
    wall = time.perf_counter() - t0
    step.client_cores = (time.process_time() - cpu0[0]) / wall
    step.server_cores = (server.cpu_seconds() - cpu0[1]) / wall
    step.postgres_cores = (cluster_cpu() - cpu0[2]) / wall
    step.machine_cores = (machine_busy_seconds() - cpu0[3]) / wall
    stop.set()
    await asyncio.wait([watcher], timeout=5)
    stuck.close()
    step.stuck_connections = stuck.peak
    if pending:
        await asyncio.wait(pending, timeout=5)
    return step


# --- report -------------------------------------------------------------------------------------------------


def ms(value: float) -> str:
    return "–" if value != value else f"{value:,.0f}"  # NaN: no successful request of that kind


def step_line(step: Step, p99_ms: float, held_on: tuple[str, ...]) -> str:
    error_rate = step.errors / max(1, step.sent) * 100
    per_kind = " · ".join(ms(step.p(0.99, (kind,))) for kind in KINDS)
    return (
        f"| {step.rate:g} | {step.achieved:,.1f} | {step.sent:,} | {step.errors:,} ({error_rate:.1f}%) | "
        f"{ms(step.p(0.50))} | {ms(step.p(0.95))} | {ms(step.p(0.99))} | {ms(step.p(1.0))} | {per_kind} | "
        f"{step.server_cores:.2f} · {step.postgres_cores:.2f} · {step.client_cores:.2f} · "
        f"{step.machine_cores - step.server_cores - step.postgres_cores - step.client_cores:.2f} | "
        f"{step.stuck_connections} | "
        f"{'yes' if step.held(p99_ms, held_on) else 'no'} |"
    )


TABLE_HEADER = (
    "| rate/s | achieved/s | sent | errors | p50 ms | p95 ms | p99 ms | max ms | p99 ms citizen · kiosk · official "
    "| cores busy: server · PostgreSQL · client · other jobs | connections idle in a transaction > 1 s | held |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|"
)


def held_kinds(args: argparse.Namespace) -> tuple[str, ...]:
    return KINDS if args.held_on == "all" else ("citizen", "kiosk")


def parse_mix(value: str) -> list[tuple[str, float]]:
    mix = []
    for part in value.split(","):
        kind, _, weight = part.partition("=")
        if kind.strip() not in KINDS:
            raise argparse.ArgumentTypeError(f"unknown kind {kind!r} (use {', '.join(KINDS)})")
        mix.append((kind.strip(), float(weight)))
    return mix


async def run_steps(
    args: argparse.Namespace, target: Target, server: AppServer, cluster: PrivateCluster, deadline: float
) -> tuple[Step, list[Step]]:
    load = Load(target, args.batch_items, args.timeout)
    steps: list[Step] = []
    try:
        rates = [float(r) for r in args.rates.split(",")]
        warm = await run_step(load, rates[0], args.warmup, args.mix, server, cluster, args.timeout + 2)
        print(
            f"warm-up ({args.warmup:g} s at {rates[0]:g}/s, not counted): p99 {ms(warm.p(0.99))} ms, "
            f"errors {warm.error_counts() or 'none'}",
            flush=True,
        )
        print(TABLE_HEADER, flush=True)
        for rate in rates:
            if time.monotonic() + args.step_seconds + args.timeout + 5 > deadline:
                print(f"(stopped before {rate:g}/s: the time budget of {args.budget:g} s would be exceeded)")
                break
            step = await run_step(load, rate, args.step_seconds, args.mix, server, cluster, args.timeout + 2)
            steps.append(step)
            print(step_line(step, args.p99_ms, held_kinds(args)), flush=True)
            if step.errors:
                print(f"    errors: {step.error_counts()}", flush=True)
            if step.overloaded():
                print(
                    f"(stopped: {rate:g}/s is overloaded — errors above {OVERLOADED_ERRORS:.0%} or p99 above "
                    f"{OVERLOADED_P99_MS / 1000:g} s)"
                )
                break
            await asyncio.sleep(args.pause)
    finally:
        await load.close()
    return warm, steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", default="10,20,40,80,160,320", help="requests/s of the steps (default %(default)s)")
    parser.add_argument("--step-seconds", type=float, default=20.0, help="length of each step (default 20)")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds at the first rate, not counted (5)")
    parser.add_argument("--pause", type=float, default=2.0, help="seconds between steps (default 2)")
    parser.add_argument(
        "--mix",
        type=parse_mix,
        default=parse_mix("citizen=60,kiosk=35,official=5"),
        help="shares of the kinds of request (default citizen=60,kiosk=35,official=5)",
    )
    parser.add_argument("--batch-items", type=int, default=10, help="answers per kiosk batch (default 10)")
    parser.add_argument("--kiosks", type=int, default=20, help="kiosks (and counter links) used (default 20)")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers (default 2)")
    parser.add_argument("--timeout", type=float, default=10.0, help="per-request timeout in seconds (default 10)")
    parser.add_argument("--p99-ms", type=float, default=200.0, help="p99 a held step stays under (default 200)")
    parser.add_argument(
        "--held-on",
        choices=["ingest", "all"],
        default="ingest",
        help="requests whose p99 decides whether a step held: citizen and kiosk posts (default; "
        "one officials' query alone takes about 0.5 s on 2 cores) or all",
    )
    parser.add_argument(
        "--fsync", action="store_true", help="run PostgreSQL with fsync on (default off, as the other benches)"
    )
    parser.add_argument("--server-log", type=Path, help="keep a copy of the server's log in this file")
    parser.add_argument("--budget", type=float, default=300.0, help="whole run, seconds, set-up included (300)")
    args = parser.parse_args()
    deadline = time.monotonic() + args.budget

    with (
        terminate_as_interrupt(),
        tempfile.TemporaryDirectory(prefix="sipas-load-") as directory,
        private_cluster(fsync=args.fsync) as cluster,
    ):
        started = time.perf_counter()
        cluster.server.create_database(DATABASE)
        secrets_file = Path(directory) / "secrets.json"
        settings = resolve_secrets(
            Settings(env=Environment.test, database_url=cluster.server.url(DATABASE), secrets_file=secrets_file)
        )
        tokens, keys, responses = seed(settings, args.kiosks)
        print(f"machine: {machine(cluster)}")
        print(
            f"demo province loaded: {responses:,} responses, {len(keys)} kiosks and counter links "
            f"({time.perf_counter() - started:.0f} s)"
        )
        env = {
            "SIPAS_DATABASE_URL": settings.database_url,
            "SIPAS_SECRETS_FILE": str(secrets_file),
            "SIPAS_ENV": "test",
            "SIPAS_LOG_LEVEL": "WARNING",
            **RAISED_LIMITS,
        }
        server = AppServer(env=env, workers=args.workers, log=Path(directory) / "server.log")
        try:
            server.start()
            target = Target(server.base_url, settings, tokens, keys, log_in(server.base_url))
            mix = ", ".join(f"{kind} {weight:g}" for kind, weight in args.mix)
            print(f"server: uvicorn app.main:create_app --factory --workers {args.workers} on {server.base_url}")
            print(
                "raised for the bench (one client plays every citizen and kiosk): "
                + ", ".join(f"{k}={v}" for k, v in RAISED_LIMITS.items())
            )
            print(
                f"mix (weights): {mix}; kiosk batches of {args.batch_items} answers; official: GET {SATISFACTION} "
                f"(demo official, whole province, 12 months)"
            )
            print(
                f"open loop, {args.step_seconds:g} s per step, latency from the intended send time, "
                f"timeout {args.timeout:g} s; held = ≥{HELD_SHARE:.0%} of the rate achieved, 0 errors, "
                f"p99 of {' + '.join(held_kinds(args))} requests < {args.p99_ms:g} ms\n",
                flush=True,
            )
            warm, steps = asyncio.run(run_steps(args, target, server, cluster, deadline))
        finally:
            server.stop()
        log = server.log_tail(10**8)
        if args.server_log is not None:
            args.server_log.write_text(log)
        if (
            "Traceback" in log
            or "ERROR" in log
            or any("HTTP 5" in error for step in [warm, *steps] for error in step.error_counts())
        ):
            print(f"\nserver log (tail):\n{log[-3000:]}")

    kinds = held_kinds(args)
    rule = f"0 errors, ≥{HELD_SHARE:.0%} of the rate achieved, p99 of {' + '.join(kinds)} requests < {args.p99_ms:g} ms"
    best = max((step.rate for step in steps if step.held(args.p99_ms, kinds)), default=None)
    print()
    print(f"highest rate held ({rule}): " + (f"{best:g} req/s" if best is not None else "none"))
    if kinds != KINDS:
        best_all = max((step.rate for step in steps if step.held(args.p99_ms, KINDS)), default=None)
        print(
            "the same rule on every request, officials' queries included: "
            + (f"{best_all:g} req/s" if best_all is not None else "none")
        )
    print(f"whole run {time.monotonic() - (deadline - args.budget):.0f} s")


if __name__ == "__main__":
    main()
