"""Kiosk ingestion on PostgreSQL: batch throughput, single-post latency at a fixed rate, and COPY as the ceiling
(figures for docs/benchmarks.md).

Starts its own PostgreSQL database (tests.support.postgres) and `uvicorn app.main:create_app --factory` on a free
loopback port, sends traffic only to 127.0.0.1, then stops the server and drops the database.

Usage: .venv/bin/python bench/ingest.py [--seconds N] [--rate R] [--kiosks K] [--workers W] [--single-only]

The single posts come from K kiosks in turn (default 200, each then posts once a second: still many times what a
counter sees, where one answer takes a citizen half a minute). ``--kiosks 1`` sends them all from the batch phase's
kiosk, whose plausibility rules then read back every answer of each second (200 at 200/s).
"""

from __future__ import annotations

import argparse
import hashlib
import http.client as http_client
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx2 as httpx  # noqa: E402
import psycopg  # noqa: E402

from app.config import Environment, Settings, resolve_secrets  # noqa: E402
from app.db import make_engine, make_session_factory  # noqa: E402
from app.directory.service import create_device  # noqa: E402
from app.migrate import migrate  # noqa: E402
from tests.factories import counter_tree  # noqa: E402
from tests.support.live import uvicorn_command  # noqa: E402
from tests.support.postgres import PostgresServer, postgres_server, unique_name  # noqa: E402

ANSWERS = {"overall": 4, "access_general": 5, "procedure_general": 4, "civil_servant_general": 5, "result_general": 4}
BATCH_ITEMS = 1_000
BATCH_CLIENTS = 3
LATENCY_CLIENTS = 32
REQUEST_TIMEOUT = 30.0
WARMUP_SECONDS = 3.0  # single posts before the measured run: new connections and pools, not steady state
KIOSK_ZONE = timezone(timedelta(hours=7))  # the kiosks' clock offset (Asia/Ho_Chi_Minh)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def submission() -> dict[str, Any]:
    """A valid counter-quick answer with a fresh id, submitted now by a kiosk clock at +07:00."""
    return {
        "submission_id": str(uuid.uuid4()),
        "form_id": "counter-quick",
        "form_version": 1,
        "submitted_at": datetime.now(KIOSK_ZONE).isoformat(timespec="seconds"),
        "answers": ANSWERS,
    }


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def process_tree_cpu(root: int) -> float:
    """CPU seconds (user + system) used so far by ``root`` and its children, living or exited (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        pid, ppid = int(stat.parent.name), int(fields[1])
        if pid == root or ppid == root:
            total += (int(fields[11]) + int(fields[12])) / tick
        if pid == root:  # and its children that have exited (PostgreSQL backends come and go)
            total += (int(fields[13]) + int(fields[14])) / tick
    return total


@dataclass
class CpuMeter:
    """Cores used during a phase by this (client) process, the server processes and PostgreSQL (its postmaster and
    backends). On a shared machine the cores busy vary with the neighbours; the CPU per request does much less."""

    server_pid: int
    postgres_pid: int
    started: float = 0.0
    wall: float = 0.0
    client: float = 0.0
    server: float = 0.0
    postgres: float = 0.0

    def __enter__(self) -> CpuMeter:
        self.started, self.client, self.server, self.postgres = (
            time.perf_counter(),
            time.process_time(),
            process_tree_cpu(self.server_pid),
            process_tree_cpu(self.postgres_pid),
        )
        return self

    def __exit__(self, *_exc: object) -> None:
        self.wall = time.perf_counter() - self.started
        self.client = (time.process_time() - self.client) / self.wall
        self.server = (process_tree_cpu(self.server_pid) - self.server) / self.wall
        self.postgres = (process_tree_cpu(self.postgres_pid) - self.postgres) / self.wall

    def __str__(self) -> str:
        return f"cores busy: server {self.server:.2f}, PostgreSQL {self.postgres:.2f}, this client {self.client:.2f}"

    def per(self, count: int, what: str) -> str:
        """CPU milliseconds per ``what`` (of ``count`` done during the phase), server and PostgreSQL."""
        if not count:
            return f"CPU per {what}: n/a"
        server, postgres = (cores * self.wall * 1000 / count for cores in (self.server, self.postgres))
        return f"CPU per {what}: server {server:.2f} ms, PostgreSQL {postgres:.2f} ms"


def postmaster_pid(server: PostgresServer, database: str) -> int:
    """The PostgreSQL server's main process (the parent of every backend)."""
    with psycopg.connect(host=server.host, port=server.port, user=server.user, dbname=database) as conn:
        backend = conn.execute("SELECT pg_backend_pid()").fetchone()
    assert backend is not None
    return int(Path(f"/proc/{backend[0]}/stat").read_text().rsplit(")", 1)[1].split()[1])


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of sorted ``values``."""
    if not values:
        return float("nan")
    rank = max(1, min(len(values), round(fraction * len(values) + 0.5)))
    return values[rank - 1]


# --- set-up -----------------------------------------------------------------------------------------------


@dataclass
class Service:
    base_url: str
    key: str
    single_keys: list[str]
    process: subprocess.Popen[bytes]
    log: Path


def start_server(
    settings: Settings, secrets_file: Path, workers: int, log: Path
) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {
        **os.environ,
        "SIPAS_DATABASE_URL": settings.database_url,
        "SIPAS_SECRETS_FILE": str(secrets_file),
        "SIPAS_ENV": "test",
        "SIPAS_LOG_LEVEL": "WARNING",
        "SIPAS_KIOSK_RATE_PER_MINUTE": "100000000",
        "SIPAS_KIOSK_MIN_INTERVAL_SECONDS": "0",
        "SIPAS_BATCH_MAX_ITEMS": str(BATCH_ITEMS),
        "SIPAS_MAX_BODY_BYTES": "10000000",
    }
    command = uvicorn_command(port, workers=workers)
    handle = log.open("wb")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
    return process, port


def wait_healthy(base_url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited ({process.returncode}):\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the server did not answer /healthz within {timeout:.0f} s")


def check_endpoints(base_url: str) -> None:
    paths = httpx.get(f"{base_url}/openapi.json", timeout=10.0).json().get("paths", {})
    missing = [path for path in ("/api/v1/responses", "/api/v1/responses/batch") if path not in paths]
    if missing:
        raise SystemExit(f"the app has no {', '.join(missing)} yet (app/kiosk/endpoints.py)")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


# --- phase 1: batch throughput ----------------------------------------------------------------------------


@dataclass
class BatchFigures:
    stored: int = 0
    other: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    batches: int = 0
    batch_seconds: list[float] = field(default_factory=list)
    elapsed: float = 0.0


def batch_phase(service: Service, seconds: float, clients: int) -> BatchFigures:
    figures = BatchFigures()
    lock = threading.Lock()
    started = time.perf_counter()
    deadline = started + seconds
    headers = {"Authorization": f"Bearer {service.key}", "Content-Type": "application/json"}

    def client() -> None:
        with httpx.Client(base_url=service.base_url, headers=headers, timeout=REQUEST_TIMEOUT) as http:
            while time.perf_counter() < deadline:
                body = json.dumps({"items": [submission() for _ in range(BATCH_ITEMS)]}).encode()
                sent = time.perf_counter()
                try:
                    reply = http.post("/api/v1/responses/batch", content=body)
                except httpx.HTTPError as exc:
                    with lock:
                        figures.errors[type(exc).__name__] = figures.errors.get(type(exc).__name__, 0) + 1
                    continue
                took = time.perf_counter() - sent
                with lock:
                    figures.batch_seconds.append(took)
                    if reply.status_code != 200:
                        name = f"HTTP {reply.status_code}"
                        figures.errors[name] = figures.errors.get(name, 0) + 1
                        if figures.errors[name] == 1:
                            print(f"  batch: {name}: {reply.text[:300]}", file=sys.stderr)
                        continue
                    figures.batches += 1
                    for result in reply.json()["results"]:
                        if result["status"] == "stored":
                            figures.stored += 1
                        else:
                            figures.other[result["status"]] = figures.other.get(result["status"], 0) + 1

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + REQUEST_TIMEOUT + 10)
    figures.elapsed = time.perf_counter() - started
    return figures


# --- phase 2: single posts at a constant rate (open loop) -------------------------------------------------


@dataclass
class LatencyFigures:
    latencies_ms: list[float] = field(default_factory=list)
    # (seconds after the start the request was due, latency in ms), to see warm-up and drift
    timeline: list[tuple[float, float]] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    scheduled: int = 0
    not_sent: int = 0
    elapsed: float = 0.0


class Poster:
    """One keep-alive HTTP/1.1 connection (http.client): a fraction of httpx's CPU per request, which matters
    when the load generator shares the server's cores. Reconnects after an error."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.conn: http_client.HTTPConnection | None = None

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        if self.conn is None:
            self.conn = http_client.HTTPConnection(self.host, self.port, timeout=REQUEST_TIMEOUT)
        try:
            self.conn.request("POST", path, body=body, headers=headers)
            reply = self.conn.getresponse()
            text = reply.read().decode(errors="replace")
        except BaseException:
            self.close()
            raise
        if reply.will_close:
            self.close()
        return reply.status, text

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def __enter__(self) -> Poster:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def latency_phase(service: Service, seconds: float, rate: float, clients: int) -> LatencyFigures:
    """Request i is due at t0 + i/rate whatever happened before (open loop). A free client thread takes the next
    due request; when every thread is busy the request waits, and its latency counts from the time it was due,
    so queueing delay is measured rather than hidden (no coordinated omission)."""
    figures = LatencyFigures()
    total = int(seconds * rate)
    figures.scheduled = total
    lock = threading.Lock()
    next_index = [0]
    headers = [{"Authorization": f"Bearer {key}", "Content-Type": "application/json"} for key in service.single_keys]
    t0 = time.perf_counter() + 0.5
    give_up = t0 + seconds + 15.0  # hard stop: requests not yet sent by then are counted, not sent

    def client() -> None:
        with Poster(service.base_url) as http:
            while True:
                with lock:
                    index = next_index[0]
                    if index >= total:
                        return
                    next_index[0] += 1
                due = t0 + index / rate
                now = time.perf_counter()
                if now > give_up:
                    with lock:
                        figures.not_sent += total - index
                        next_index[0] = total
                    return
                if due > now:
                    time.sleep(due - now)
                body = json.dumps(submission()).encode()
                try:
                    code, text = http.post("/api/v1/responses", body, headers[index % len(headers)])
                    status: str | None = None if code == 201 else f"HTTP {code}"
                except (OSError, http_client.HTTPException) as exc:
                    text, status = "", type(exc).__name__
                latency = (time.perf_counter() - due) * 1000
                with lock:
                    if status is None:
                        figures.latencies_ms.append(latency)
                        figures.timeline.append((due - t0, latency))
                    else:
                        figures.errors[status] = figures.errors.get(status, 0) + 1
                        if figures.errors[status] == 1:
                            print(f"  single: {status}: {text[:300]}", file=sys.stderr)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=give_up - time.perf_counter() + REQUEST_TIMEOUT + 5)
    figures.elapsed = time.perf_counter() - t0
    figures.latencies_ms.sort()
    return figures


# --- phase 3: COPY straight into PostgreSQL ---------------------------------------------------------------


RESPONSE_COLUMNS = (
    "id",
    "submission_id",
    "form_version_id",
    "agency_id",
    "counter_id",
    "device_id",
    "channel",
    "submitted_at",
    "received_at",
    "local_date",
    "local_month",
    "is_suspected_spam",
    "is_test",
    "content_hash",
)
ANSWER_COLUMNS = ("response_id", "item_code", "local_month", "value_int", "satisfied")


def copy_phase(server: PostgresServer, database: str, rows: int, ids: dict[str, int]) -> float:
    """Seconds to write ``rows`` responses (their submission ids and answers) with COPY in one transaction, ids
    included: the same rows in the same tables as the API writes."""
    started = time.perf_counter()
    with psycopg.connect(host=server.host, port=server.port, user=server.user, dbname=database) as conn:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT nextval(pg_get_serial_sequence('submissions', 'id')) FROM generate_series(1, %s)", (rows,)
            )
            response_ids = [row[0] for row in cur.fetchall()]
            submission_ids = [uuid.uuid4() for _ in response_ids]
            now = datetime.now(UTC)
            local = now.astimezone(KIOSK_ZONE)
            local_date, local_month = local.date(), local.year * 100 + local.month
            with cur.copy("COPY submissions (id, submission_id, local_month) FROM STDIN") as copy:
                for response_id, sid in zip(response_ids, submission_ids, strict=True):
                    copy.write_row((response_id, sid, local_month))
            with cur.copy(f"COPY responses ({', '.join(RESPONSE_COLUMNS)}) FROM STDIN") as copy:
                for response_id, sid in zip(response_ids, submission_ids, strict=True):
                    digest = hashlib.sha256(f"{sid}{ANSWERS}".encode()).hexdigest()
                    copy.write_row(
                        (
                            response_id,
                            sid,
                            ids["form_version"],
                            ids["agency"],
                            ids["counter"],
                            ids["device"],
                            "kiosk",
                            now,
                            now,
                            local_date,
                            local_month,
                            False,
                            True,
                            digest,
                        )
                    )
            with cur.copy(f"COPY answers ({', '.join(ANSWER_COLUMNS)}) FROM STDIN") as copy:
                for response_id in response_ids:
                    for code, value in ANSWERS.items():
                        copy.write_row((response_id, code, local_month, value, int(value >= 4)))
        conn.commit()
    return time.perf_counter() - started


def count_rows(server: PostgresServer, database: str, device_id: int) -> tuple[int, int]:
    with psycopg.connect(host=server.host, port=server.port, user=server.user, dbname=database) as conn:
        responses = conn.execute("SELECT count(*) FROM responses WHERE device_id = %s", (device_id,)).fetchone()
        answers = conn.execute(
            "SELECT count(*) FROM answers a JOIN responses r ON r.id = a.response_id WHERE r.device_id = %s",
            (device_id,),
        ).fetchone()
    assert responses is not None and answers is not None
    return int(responses[0]), int(answers[0])


# --- main -------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0, help="duration of each load phase (default 20)")
    parser.add_argument("--rate", type=float, default=200.0, help="single posts per second (default 200)")
    parser.add_argument(
        "--kiosks", type=int, default=200, help="kiosks the single posts come from, in turn (default 200)"
    )
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="uvicorn workers (default: cores)")
    parser.add_argument(
        "--single-only", action="store_true", help="only the single posts, on a kiosk with no history (profiling)"
    )
    args = parser.parse_args()

    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as directory, postgres_server() as server:
        database = unique_name("sipas_bench")
        server.create_database(database)
        process: subprocess.Popen[bytes] | None = None
        try:
            secrets_file = Path(directory) / "secrets.json"
            settings = resolve_secrets(
                Settings(env=Environment.test, database_url=server.url(database), secrets_file=secrets_file)
            )
            migrate(settings)
            engine = make_engine(settings.database_url)
            with make_session_factory(engine)() as session:
                _province, commune, counter = counter_tree(session)
                device, key = create_device(session, agency=commune, counter=counter, label="bench")
                # the single posts' kiosks: fresh ones beside the batch kiosk, or the batch kiosk itself
                single_keys = [key]
                if args.kiosks > 1:
                    single_keys = [
                        create_device(session, agency=commune, counter=counter, label=f"bench {number}")[1]
                        for number in range(1, args.kiosks + 1)
                    ]
                session.commit()
                ids = {"agency": commune.id, "counter": counter.id, "device": device.id}
            engine.dispose()
            with psycopg.connect(host=server.host, port=server.port, user=server.user, dbname=database) as conn:
                found = conn.execute(
                    "SELECT v.id FROM form_versions v WHERE v.form_id = 'counter-quick' AND v.version = 1"
                ).fetchone()
                assert found is not None, "counter-quick v1 is not registered"
                ids["form_version"] = int(found[0])
                pg_version = str(conn.execute("SHOW server_version").fetchone()[0]).split()[0]  # type: ignore[index]
                fsync = str(conn.execute("SHOW fsync").fetchone()[0])  # type: ignore[index]
                sync_commit = str(conn.execute("SHOW synchronous_commit").fetchone()[0])  # type: ignore[index]

            log = Path(directory) / "server.log"
            process, port = start_server(settings, secrets_file, args.workers, log)
            base_url = f"http://127.0.0.1:{port}"
            service = Service(base_url=base_url, key=key, single_keys=single_keys, process=process, log=log)
            wait_healthy(base_url, process, log)
            check_endpoints(base_url)
            print(
                f"machine: {cores} cores ({cpu_model()}), Python "
                f"{platform.python_version()}, PostgreSQL {pg_version} on {server.host}:{server.port} "
                f"(fsync={fsync}, synchronous_commit={sync_commit}), uvicorn workers: {args.workers}"
            )

            print(
                f"\n[1] batch throughput: {BATCH_CLIENTS} clients x {BATCH_ITEMS}-item batches for {args.seconds:.0f} s"
            )
            postgres_pid = postmaster_pid(server, database)
            with CpuMeter(process.pid, postgres_pid) as batch_cpu:
                batch = batch_phase(service, 0 if args.single_only else args.seconds, BATCH_CLIENTS)
            batch_rate = batch.stored / batch.elapsed if batch.elapsed else 0.0
            in_db, answers_in_db = count_rows(server, database, ids["device"])
            median_batch = statistics.median(batch.batch_seconds) if batch.batch_seconds else float("nan")
            print(f"  {batch.batches} batches in {batch.elapsed:.1f} s, median {median_batch * 1000:.0f} ms per batch")
            print(
                f"  stored: {batch.stored} → {batch_rate:.0f} responses/s ({batch_rate * len(ANSWERS):.0f} answers/s)"
            )
            print(f"  {batch_cpu}; {batch_cpu.per(batch.stored, 'response')}")
            if batch.other or batch.errors:
                print(f"  other results: {batch.other}; request errors: {batch.errors}")
            verified = in_db == batch.stored and answers_in_db == batch.stored * len(ANSWERS)
            print(
                f"  check: {in_db} response rows, {answers_in_db} answer rows in PostgreSQL — "
                f"{'OK' if verified else 'MISMATCH'} (acknowledged stored: {batch.stored})"
            )

            print(
                f"\n[2] single posts: open loop at {args.rate:.0f}/s for {args.seconds:.0f} s from "
                f"{len(single_keys)} kiosk(s), {LATENCY_CLIENTS} client threads, latency from the scheduled send time"
            )
            warmup = latency_phase(service, WARMUP_SECONDS, args.rate, LATENCY_CLIENTS)
            warm = warmup.latencies_ms
            print(
                f"  warm-up ({WARMUP_SECONDS:.0f} s, not counted): p50 {percentile(warm, 0.5):.1f} ms, "
                f"max {max(warm, default=float('nan')):.1f} ms, errors: {warmup.errors or 'none'}"
            )
            with CpuMeter(process.pid, postgres_pid) as single_cpu:
                single = latency_phase(service, args.seconds, args.rate, LATENCY_CLIENTS)
            lat = single.latencies_ms
            completed = len(lat) + sum(single.errors.values())
            achieved = completed / single.elapsed if single.elapsed else 0.0
            p50, p95, p99 = (percentile(lat, f) for f in (0.50, 0.95, 0.99))
            worst = lat[-1] if lat else float("nan")
            print(
                f"  scheduled {single.scheduled}, answered {completed} ({len(lat)} × 201), "
                f"not sent {single.not_sent}, achieved {achieved:.0f}/s"
            )
            print(f"  latency ms: p50 {p50:.1f}, p95 {p95:.1f}, p99 {p99:.1f}, max {worst:.1f}")
            print(f"  errors: {single.errors or 'none'}; {single_cpu}; {single_cpu.per(completed, 'post')}")
            windows: dict[int, list[float]] = {}
            for due, latency in single.timeline:
                windows.setdefault(int(due // 5), []).append(latency)
            print(
                "  p99 ms per 5-s window: "
                + ", ".join(f"{percentile(sorted(values), 0.99):.0f}" for _, values in sorted(windows.items()))
            )

            rows = batch.stored
            print(f"\n[3] reference: {rows} responses (+{rows * len(ANSWERS)} answers) by COPY, one transaction")
            copy_rate = 0.0
            if rows:
                copy_seconds = copy_phase(server, database, rows, ids)
                copy_rate = rows / copy_seconds
                print(
                    f"  {copy_seconds:.2f} s → {copy_rate:.0f} responses/s; API batch / COPY = "
                    f"{batch_rate / copy_rate:.2f}"
                )

            server_log = log.read_text(errors="replace")
            if "Traceback" in server_log or "ERROR" in server_log:
                print(f"\nserver log (tail):\n{server_log[-2000:]}")

            ratio = f"{batch_rate / copy_rate:.2f}" if copy_rate else "n/a"
            error_total = sum(single.errors.values()) + single.not_sent
            print("\n### Kiosk ingestion on PostgreSQL (bench/ingest.py)\n")
            print(
                f"{cores} cores, PostgreSQL {pg_version} (fsync={fsync}) on the same machine, "
                f"{args.workers} uvicorn workers, {args.seconds:.0f} s per phase, loopback.\n"
            )
            print("| Measure | Result |")
            print("|---|---|")
            print(
                f"| Batch API, {BATCH_ITEMS}-item batches, {BATCH_CLIENTS} clients | {batch_rate:,.0f} responses/s "
                f"({median_batch * 1000:,.0f} ms per batch, median) |"
            )
            print(f"| COPY straight into PostgreSQL (ceiling) | {copy_rate:,.0f} responses/s (API/COPY = {ratio}) |")
            print(
                f"| Single `POST /api/v1/responses` at {args.rate:.0f}/s (open loop), {len(single_keys)} kiosk(s) | "
                f"p50 {p50:.0f} ms, "
                f"p95 {p95:.0f} ms, p99 {p99:.0f} ms, max {worst:.0f} ms; {achieved:.0f}/s achieved, "
                f"{error_total} errors |"
            )
            print(f"| Rows verified in the database after the batch phase | {'yes' if verified else 'NO'} |")
        finally:
            if process is not None:
                stop_server(process)
            server.drop_database(database)


if __name__ == "__main__":
    main()
