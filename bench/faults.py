"""Kiosks under faults: the server is killed (`kill -9`, master and workers) and PostgreSQL is restarted while
simulated kiosks post their queues; afterwards every answer a kiosk was told is stored must be in the database
exactly once.

Each simulated kiosk does what the kiosk page does (app/kiosk/static/app.js): every answer gets a submission id
once and waits in the kiosk's queue; a new answer starts a sync at once; a sync posts the oldest answers (up to
100) to ``POST /api/v1/responses/batch`` with a 30-s timeout and drops an answer from the queue only when its
result is ``stored`` or ``duplicate``; a failed post (refused connection, reset, timeout, 5xx, unreadable reply)
is retried with exponential backoff and full jitter (a random wait in [0, min(60 s, 1 s × 2^attempt))), or
after ``Retry-After``; a 413 halves the batch; a successful batch resets the backoff; and a sync runs every 60 s
whatever happens. A post whose reply was lost is sent again with the same ids, so the server may see an answer
twice: it must store it once.

Runs on a private, throw-away PostgreSQL cluster (fsync on; never the machine's server) and
``uvicorn app.main:create_app --factory --workers 2`` in its own process group on a free loopback port.
The per-kiosk request limit (SIPAS_KIOSK_RATE_PER_MINUTE) is raised, so that 429s do not blur the faults.

Checks, against the database: every acknowledged id stored once (lost = acknowledged ids not stored;
duplicated = ids stored more than once, responses with a doubled or missing answer, rows nobody sent); the
recovery time after each fault (from the fault to the first acknowledgement after the fault showed as a failed
post); retries.
Exit status 1 on any loss or duplicate, 2 when the kiosks could not empty their queues in time.

Usage: .venv/bin/python bench/faults.py [--kiosks 6] [--seconds 60] [--faults kill9@15,pg-fast@30,pg-immediate@45]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx2 as httpx  # noqa: E402

from app.config import Environment, Settings, resolve_secrets  # noqa: E402
from app.db import make_engine, make_session_factory  # noqa: E402
from app.directory.service import create_device  # noqa: E402
from app.migrate import migrate  # noqa: E402
from tests.factories import counter_tree  # noqa: E402
from tests.support.postgres import PrivateCluster, private_cluster  # noqa: E402
from tests.support.services import (  # noqa: E402
    AppServer,
    connect,
    machine,
    terminate_as_interrupt,
)

# The kiosk page's constants (app/kiosk/static/app.js).
BATCH_SIZE = 100
REQUEST_TIMEOUT_S = 30.0
BACKOFF_BASE_S = 1.0
BACKOFF_CAP_S = 60.0
PERIODIC_SYNC_S = 60.0

KIOSK_ZONE = timezone(timedelta(hours=7))
SCALE_ITEMS = ("overall", "access_general", "procedure_general", "civil_servant_general", "result_general")
FAULT_KINDS = ("kill9", "pg-fast", "pg-immediate")


@dataclass(frozen=True)
class Fault:
    kind: str  # kill9 | pg-fast | pg-immediate
    at: float  # seconds after the kiosks start


def parse_faults(value: str) -> list[Fault]:
    faults = []
    for part in filter(None, (p.strip() for p in value.split(","))):
        kind, _, at = part.partition("@")
        if kind not in FAULT_KINDS or not at:
            raise argparse.ArgumentTypeError(f"{part!r}: use KIND@SECONDS with KIND one of {', '.join(FAULT_KINDS)}")
        faults.append(Fault(kind, float(at)))
    return sorted(faults, key=lambda fault: fault.at)


@dataclass
class Options:
    kiosks: int = 6
    seconds: float = 60.0  # how long the kiosks take new answers (at least: see `gap`)
    interval: float = 0.5  # mean seconds between two answers on one kiosk
    faults: list[Fault] = field(default_factory=lambda: parse_faults("kill9@15,pg-fast@30,pg-immediate@45"))
    down: float = 2.0  # seconds the server stays dead after kill -9
    gap: float = 5.0  # at least this long with everything up after a fault, before the next fault or the end
    drain_timeout: float = 90.0  # after the last answer, how long the kiosks get to empty their queues
    workers: int = 2
    request_timeout: float = REQUEST_TIMEOUT_S
    backoff_cap: float = BACKOFF_CAP_S
    seed: int = 2026
    verbose: bool = True
    server_log: Path | None = None  # keep a copy of the server's log here


# --- a simulated kiosk --------------------------------------------------------------------------------------


@dataclass
class Post:
    sent: float  # perf_counter
    done: float
    items: int
    ok: bool
    reason: str = ""  # why it failed
    resent: bool = False  # carried an answer already sent in an earlier post


class Kiosk:
    """One tablet: a queue of answers with fixed ids, a producer (the citizens) and the page's sync loop."""

    def __init__(self, name: str, base_url: str, key: str, options: Options, rng: random.Random) -> None:
        self.name = name
        self.options = options
        self.rng = rng
        self.http = httpx.Client(
            base_url=base_url, timeout=options.request_timeout, headers={"Authorization": f"Bearer {key}"}
        )
        self.lock = threading.Lock()
        self.queue: deque[dict[str, Any]] = deque()
        self.made: dict[str, dict[str, Any]] = {}  # every answer made, by submission id
        self.sent_ids: set[str] = set()
        self.acked: dict[str, tuple[str, float]] = {}  # submission id -> (stored|duplicate, when)
        self.held: dict[str, str] = {}  # conflict / invalid: must not happen here
        self.posts: list[Post] = []
        self.unauthorized = False
        self.attempt = 0
        self.batch_size = BATCH_SIZE
        self.retry_at: float | None = None
        self.wake = threading.Event()
        self.sync_requested = False
        self.producing = threading.Event()
        self.stopping = threading.Event()

    # the citizens
    def answer(self) -> None:
        answers: dict[str, Any] = {code: self.rng.choice((1, 2, 3, 4, 4, 5, 5)) for code in SCALE_ITEMS}
        if answers["overall"] <= 2:
            answers["reason"] = [self.rng.choice(("waiting_time", "attitude", "late_result"))]
        submission: dict[str, Any] = {
            "submission_id": str(uuid.uuid4()),
            "form_id": "counter-quick",
            "form_version": 1,
            "submitted_at": datetime.now(KIOSK_ZONE).isoformat(timespec="seconds"),
            "answers": answers,
        }
        with self.lock:
            self.queue.append(submission)
            self.made[submission["submission_id"]] = submission
            self.sync_requested = True
        self.wake.set()

    def produce(self) -> None:
        while self.producing.is_set() and not self.stopping.is_set():
            self.answer()
            self.stopping.wait(self.rng.expovariate(1 / self.options.interval))

    # the page's sync loop
    def run(self) -> None:
        next_periodic = time.perf_counter() + PERIODIC_SYNC_S
        while not self.stopping.is_set():
            now = time.perf_counter()
            waits = [next_periodic - now] + ([self.retry_at - now] if self.retry_at is not None else [])
            self.wake.wait(timeout=max(0.0, min(waits)))
            self.wake.clear()
            if self.stopping.is_set():
                return
            now = time.perf_counter()
            with self.lock:
                requested, self.sync_requested = self.sync_requested, False
            due = self.retry_at is not None and now >= self.retry_at
            if now >= next_periodic:
                next_periodic, requested = now + PERIODIC_SYNC_S, True
            if requested or due:
                self.retry_at = None  # syncNow() clears the retry timer
                self.sync()

    def sync(self) -> None:
        """syncNow(): drain, and go round again for answers queued meanwhile unless a retry was scheduled."""
        while True:
            self.drain()
            with self.lock:
                again = self.sync_requested and self.retry_at is None
                if again:
                    self.sync_requested = False
            if not again or self.stopping.is_set():
                return

    def retry_later(self, at_least: float = 0.0) -> None:
        ceiling = min(self.options.backoff_cap, BACKOFF_BASE_S * 2**self.attempt)
        self.attempt = min(self.attempt + 1, 20)
        self.retry_at = time.perf_counter() + max(at_least, self.rng.random() * ceiling)

    def drain(self) -> None:
        while not self.unauthorized and not self.stopping.is_set():
            with self.lock:
                batch = list(self.queue)[: self.batch_size]
            if not batch:
                return
            ids = [item["submission_id"] for item in batch]
            resent = any(sid in self.sent_ids for sid in ids)
            self.sent_ids.update(ids)
            sent = time.perf_counter()
            try:
                reply = self.http.post("/api/v1/responses/batch", json={"items": batch})
            except httpx.HTTPError as exc:  # offline, server down, reset, or timed out
                self.posts.append(Post(sent, time.perf_counter(), len(batch), False, type(exc).__name__, resent))
                self.retry_later()
                return
            done = time.perf_counter()
            if reply.status_code == 401:
                self.unauthorized = True
                self.posts.append(Post(sent, done, len(batch), False, "HTTP 401", resent))
                return
            if reply.status_code == 413 and self.batch_size > 1:
                self.batch_size = (self.batch_size + 1) // 2
                self.posts.append(Post(sent, done, len(batch), False, "HTTP 413", resent))
                continue
            if reply.status_code >= 300:
                self.posts.append(Post(sent, done, len(batch), False, f"HTTP {reply.status_code}", resent))
                try:
                    retry_after = float(reply.headers.get("Retry-After", ""))
                except ValueError:
                    retry_after = 0.0
                self.retry_later(retry_after)
                return
            try:
                results = reply.json()["results"]
            except (ValueError, KeyError, TypeError):
                self.posts.append(Post(sent, done, len(batch), False, "unreadable reply", resent))
                self.retry_later()
                return
            self.posts.append(Post(sent, done, len(batch), True, "", resent))
            if not self.settle(batch, results, done):
                self.retry_later()  # an answer we could not match: never spin
                return
            self.attempt = 0

    def settle(self, batch: list[dict[str, Any]], results: list[dict[str, Any]], when: float) -> int:
        settled = set()
        for index, item in enumerate(batch):
            result = results[index] if index < len(results) else None
            sid = item["submission_id"]
            if not result or result.get("submission_id") != sid:
                continue
            if result["status"] in ("stored", "duplicate"):
                self.acked.setdefault(sid, (result["status"], when))
                settled.add(sid)
            elif result["status"] in ("conflict", "invalid"):
                self.held[sid] = f"{result['status']}: {result.get('message', '')}"
                settled.add(sid)
        with self.lock:
            self.queue = deque(item for item in self.queue if item["submission_id"] not in settled)
        return len(settled)

    def pending(self) -> int:
        with self.lock:
            return len(self.queue)


# --- the run ------------------------------------------------------------------------------------------------


@dataclass
class FaultOutcome:
    fault: Fault
    started: float  # perf_counter when the fault was caused
    offset: float = 0.0  # seconds after the kiosks started
    action_seconds: float = 0.0  # how long the fault itself took (kill + down + restart; pg_ctl restart)
    recovery: float | None = None  # fault to the first acknowledgement after it showed (see `run`)
    failed_posts: int = 0  # failed posts between this fault and the next


@dataclass
class Report:
    machine: str
    kiosks: int
    made: int
    acknowledged: int
    acknowledged_duplicate: int  # acknowledged as "duplicate": the server had it already (a reply was lost)
    lost: int
    duplicated: int
    stored_rows: int
    stored_not_acknowledged: int
    not_acknowledged: int  # still queued on a kiosk when the run ended
    held: int  # conflict or invalid: must be 0
    posts: int
    failed_posts: int
    retries: int  # posts that carried an answer already sent before
    failures: dict[str, int]
    faults: list[FaultOutcome]
    elapsed: float
    server_errors_logged: int
    details: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.duplicated == 0

    @property
    def complete(self) -> bool:
        return self.not_acknowledged == 0 and self.held == 0


def say(options: Options, message: str) -> None:
    if options.verbose:
        print(message, flush=True)


@contextmanager
def prepared_database(cluster: PrivateCluster, directory: Path, kiosks: int) -> Iterator[tuple[Settings, list[str]]]:
    """A migrated database with one commune, one counter and ``kiosks`` kiosks on it; (settings, keys)."""
    cluster.server.create_database("sipas_faults")
    settings = resolve_secrets(
        Settings(
            env=Environment.test,
            database_url=cluster.server.url("sipas_faults"),
            secrets_file=directory / "secrets.json",
        )
    )
    migrate(settings)
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            _province, commune, counter = counter_tree(session)
            keys = [
                create_device(session, agency=commune, counter=counter, label=f"fault kiosk {n}")[1]
                for n in range(1, kiosks + 1)
            ]
            session.commit()
    finally:
        engine.dispose()
    yield settings, keys


def cause(fault: Fault, server: AppServer, cluster: PrivateCluster, options: Options) -> None:
    if fault.kind == "kill9":
        server.kill9()
        time.sleep(options.down)
        server.start(timeout=90)
    else:
        cluster.restart(mode=fault.kind.removeprefix("pg-"), timeout=60)


def verify(cluster: PrivateCluster, kiosks: list[Kiosk]) -> tuple[int, int, int, int, list[str]]:
    """(lost, duplicated, stored rows, stored but not acknowledged, details) from the database."""
    with connect(cluster, "sipas_faults") as conn:
        rows = conn.execute(
            "SELECT r.submission_id::text, count(DISTINCT r.id), count(a.item_code), count(DISTINCT a.item_code) "
            "FROM responses r LEFT JOIN answers a ON a.response_id = r.id GROUP BY r.submission_id"
        ).fetchall()
    stored = {str(sid): (int(str(n)), int(str(answers)), int(str(distinct))) for sid, n, answers, distinct in rows}
    made = {sid: item for kiosk in kiosks for sid, item in kiosk.made.items()}
    acked = {sid for kiosk in kiosks for sid in kiosk.acked}
    details: list[str] = []
    lost = [sid for sid in acked if sid not in stored]
    duplicated = 0
    for sid, (count, answers, distinct) in stored.items():
        item = made.get(sid)
        expected = len(item["answers"]) if item else 0
        if item is None:
            duplicated += 1
            details.append(f"{sid}: stored, but no kiosk made it")
        elif count != 1 or answers != expected or distinct != expected:
            duplicated += 1
            details.append(f"{sid}: {count} response rows, {answers} answer rows (expected 1 and {expected})")
    details += [f"{sid}: acknowledged but not stored" for sid in lost[:20]]
    return len(lost), duplicated, len(stored), len([sid for sid in stored if sid not in acked]), details


def drive(
    kiosks: list[Kiosk], server: AppServer, cluster: PrivateCluster, options: Options, threads: list[threading.Thread]
) -> tuple[list[FaultOutcome], float]:
    """Start the kiosks, cause the faults on schedule, stop the answers, wait for the queues; (faults, seconds)."""
    for kiosk in kiosks:
        kiosk.producing.set()
        threads.append(threading.Thread(target=kiosk.run, daemon=True, name=f"{kiosk.name}-sync"))
        threads.append(threading.Thread(target=kiosk.produce, daemon=True, name=f"{kiosk.name}-citizens"))
    outcomes: list[FaultOutcome] = []
    t0 = time.perf_counter()
    for thread in threads:
        thread.start()
    calm_from = float("-inf")  # a fault waits for its time, and for `gap` seconds of calm after the one before
    for fault in options.faults:
        time.sleep(max(0.0, t0 + fault.at - time.perf_counter(), calm_from + options.gap - time.perf_counter()))
        outcome = FaultOutcome(fault, time.perf_counter())
        outcome.offset = outcome.started - t0
        say(options, f"  t={outcome.started - t0:5.1f} s  {fault.kind} …")
        cause(fault, server, cluster, options)
        calm_from = time.perf_counter()
        outcome.action_seconds = calm_from - outcome.started
        say(options, f"  t={calm_from - t0:5.1f} s  {fault.kind} done ({outcome.action_seconds:.1f} s)")
        outcomes.append(outcome)
    # answers keep coming until `seconds`, and for `gap` seconds after the last fault
    time.sleep(max(0.0, t0 + options.seconds - time.perf_counter(), calm_from + options.gap - time.perf_counter()))
    for kiosk in kiosks:
        kiosk.producing.clear()
        kiosk.wake.set()
    say(
        options,
        f"  t={time.perf_counter() - t0:5.1f} s  no more answers; waiting for the queues "
        f"(at most {options.drain_timeout:g} s)",
    )
    deadline = time.perf_counter() + options.drain_timeout
    while time.perf_counter() < deadline and any(k.pending() and not k.unauthorized for k in kiosks):
        time.sleep(0.1)
    elapsed = time.perf_counter() - t0
    say(options, f"  t={elapsed:5.1f} s  queues: {sum(k.pending() for k in kiosks)} left")
    return outcomes, elapsed


def run(options: Options) -> Report:
    """Set up, run the kiosks through the faults, verify; everything started here is stopped before returning."""
    rng = random.Random(options.seed)
    with tempfile.TemporaryDirectory(prefix="sipas-faults-") as name, private_cluster(fsync=True) as cluster:
        directory = Path(name)
        with prepared_database(cluster, directory, options.kiosks) as (settings, keys):
            env = {
                "SIPAS_DATABASE_URL": settings.database_url,
                "SIPAS_SECRETS_FILE": str(settings.secrets_file),
                "SIPAS_ENV": "test",
                "SIPAS_LOG_LEVEL": "WARNING",
                "SIPAS_KIOSK_RATE_PER_MINUTE": "100000000",
            }
            server = AppServer(env=env, workers=options.workers, log=directory / "server.log")
            kiosks: list[Kiosk] = []
            threads: list[threading.Thread] = []
            try:
                server.start(timeout=90)
                about = machine(cluster)
                faults = ", ".join(f"{f.kind}@{f.at:g}s" for f in options.faults) or "none"
                say(options, f"machine: {about}")
                say(
                    options,
                    f"server: uvicorn --workers {options.workers} on {server.base_url}; {options.kiosks} "
                    f"kiosks, an answer every {options.interval:g} s each (mean) for {options.seconds:g} s; "
                    f"faults: {faults}",
                )
                kiosks = [
                    Kiosk(f"kiosk-{n}", server.base_url, key, options, random.Random(rng.random()))
                    for n, key in enumerate(keys, start=1)
                ]
                outcomes, elapsed = drive(kiosks, server, cluster, options, threads)
            finally:
                for kiosk in kiosks:
                    kiosk.stopping.set()
                    kiosk.producing.clear()
                    kiosk.wake.set()
                for thread in threads:
                    thread.join(timeout=options.request_timeout + 5)
                for kiosk in kiosks:
                    kiosk.http.close()
                server.stop()
            lost, duplicated, stored_rows, stored_not_acked, details = verify(cluster, kiosks)
            log = server.log_tail(10**8)
            if options.server_log is not None:
                options.server_log.write_text(log)

    posts = sorted((post for kiosk in kiosks for post in kiosk.posts), key=lambda post: post.sent)
    for index, outcome in enumerate(outcomes):
        until = outcomes[index + 1].started if index + 1 < len(outcomes) else float("inf")
        failed = [post.done for post in posts if not post.ok and outcome.started <= post.sent < until]
        outcome.failed_posts = len(failed)
        # the first acknowledgement after the fault showed (its first failed post); a post that slipped through
        # before the fault took hold does not count as recovery
        showed = min(failed, default=outcome.started)
        after = [post.done for post in posts if post.ok and post.sent >= outcome.started and post.done > showed]
        outcome.recovery = min(after) - outcome.started if after else None
    failures: dict[str, int] = {}
    for post in posts:
        if not post.ok:
            failures[post.reason] = failures.get(post.reason, 0) + 1
    acked = [status for kiosk in kiosks for status, _when in kiosk.acked.values()]
    return Report(
        machine=about,
        kiosks=len(kiosks),
        made=sum(len(k.made) for k in kiosks),
        acknowledged=len(acked),
        acknowledged_duplicate=acked.count("duplicate"),
        lost=lost,
        duplicated=duplicated,
        stored_rows=stored_rows,
        stored_not_acknowledged=stored_not_acked,
        not_acknowledged=sum(k.pending() for k in kiosks),
        held=sum(len(k.held) for k in kiosks),
        posts=len(posts),
        failed_posts=sum(not p.ok for p in posts),
        retries=sum(p.resent for p in posts),
        failures=failures,
        faults=outcomes,
        elapsed=elapsed,
        server_errors_logged=log.count("Traceback"),
        details=details,
    )


def print_report(report: Report, options: Options) -> None:
    print("\n### Kiosks under faults (bench/faults.py)\n")
    print(
        f"{report.machine}; {report.kiosks} kiosks, uvicorn --workers {options.workers}, "
        f"{options.seconds:g} s of answers, {report.elapsed:.0f} s in all.\n"
    )
    print(
        "| fault | at | back after | failed posts | recovery: fault → first ack after the first failure | "
        "of which after it was back |\n|---|---|---|---|---|---|"
    )
    labels = {
        "kill9": f"`kill -9` of uvicorn (master + workers), restarted after {options.down:g} s",
        "pg-fast": "PostgreSQL `pg_ctl restart -m fast`",
        "pg-immediate": "PostgreSQL `pg_ctl restart -m immediate` (crash recovery)",
    }
    for outcome in report.faults:
        recovery = f"{outcome.recovery:.1f} s" if outcome.recovery is not None else "never"
        after = f"{max(0.0, outcome.recovery - outcome.action_seconds):.1f} s" if outcome.recovery is not None else "–"
        print(
            f"| {labels[outcome.fault.kind]} | {outcome.offset:.1f} s | {outcome.action_seconds:.1f} s | "
            f"{outcome.failed_posts} | {recovery} | {after} |"
        )
    print()
    print("| measure | result |")
    print("|---|---|")
    print(f"| answers made by the kiosks | {report.made:,} |")
    print(
        f"| acknowledged (`stored` or `duplicate`) | {report.acknowledged:,} "
        f"(of which `duplicate`: {report.acknowledged_duplicate}) |"
    )
    print(f"| **lost** (acknowledged, not in the database) | **{report.lost}** |")
    print(f"| **duplicated** (stored twice, doubled answers, or unknown rows) | **{report.duplicated}** |")
    print(
        f"| response rows in the database | {report.stored_rows:,} "
        f"(stored but never acknowledged: {report.stored_not_acknowledged}) |"
    )
    print(f"| still queued on a kiosk at the end | {report.not_acknowledged} |")
    print(
        f"| posts / failed / retries (posts re-sending an answer) | {report.posts:,} / {report.failed_posts:,} / "
        f"{report.retries:,} |"
    )
    print(f"| failures by kind | {', '.join(f'{k}: {v}' for k, v in sorted(report.failures.items())) or 'none'} |")
    print(f"| held back (conflict / invalid; must be 0) | {report.held} |")
    print(f"| tracebacks in the server log | {report.server_errors_logged} |")
    for line in report.details[:20]:
        print(f"  {line}")


def main() -> None:
    defaults = Options()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kiosks", type=int, default=defaults.kiosks, help="simulated kiosks (default 6)")
    parser.add_argument("--seconds", type=float, default=defaults.seconds, help="seconds of new answers (60)")
    parser.add_argument(
        "--interval", type=float, default=defaults.interval, help="mean seconds between answers on one kiosk (0.5)"
    )
    parser.add_argument(
        "--faults",
        type=parse_faults,
        default=defaults.faults,
        help="KIND@SECONDS,… with KIND kill9, pg-fast or pg-immediate (default kill9@15,pg-fast@30,pg-immediate@45)",
    )
    parser.add_argument("--down", type=float, default=defaults.down, help="seconds dead after kill -9 (2)")
    parser.add_argument(
        "--gap",
        type=float,
        default=defaults.gap,
        help="seconds of calm after a fault before the next one or the end (5)",
    )
    parser.add_argument(
        "--drain-timeout",
        type=float,
        default=defaults.drain_timeout,
        help="seconds the kiosks get to empty their queues after the last answer (90)",
    )
    parser.add_argument("--workers", type=int, default=defaults.workers, help="uvicorn workers (2)")
    parser.add_argument(
        "--backoff-cap", type=float, default=defaults.backoff_cap, help="longest backoff wait, seconds (the page's: 60)"
    )
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--server-log", type=Path, help="keep a copy of the server's log in this file")
    args = parser.parse_args()
    options = Options(
        kiosks=args.kiosks,
        seconds=args.seconds,
        interval=args.interval,
        faults=args.faults,
        down=args.down,
        gap=args.gap,
        drain_timeout=args.drain_timeout,
        workers=args.workers,
        backoff_cap=args.backoff_cap,
        seed=args.seed,
        server_log=args.server_log,
    )
    with terminate_as_interrupt():
        report = run(options)
    print_report(report, options)
    if not report.ok:
        print("\nFAILED: acknowledged answers were lost or stored twice", file=sys.stderr)
        sys.exit(1)
    if not report.complete:
        print("\nINCOMPLETE: answers still queued or held back at the end", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
