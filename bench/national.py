"""A national year on PostgreSQL: 34 provinces, ≈ 3,300 communes, ≈ 10,000 counters and 10 M responses / ≈ 63 M
answers of the counter-quick form for 2026, loaded with COPY, then the officials' figures timed cold and warm
(figures for docs/benchmarks.md, "National year").

It starts a private PostgreSQL cluster (tests.support.postgres; private so that it can be restarted for the cold
figures without disturbing anyone), creates and migrates a database (``app.migrate.migrate``, as ``sipas migrate``,
which also registers the forms of survey_forms/ and their procedure fields), and loads:

- the directory with COPY: provinces and communes with their id paths, 1–8 counters per commune by traffic, a kiosk
  at the first counter of the busier communes; monthly population counts for 60% of the communes (the weights' N);
- the responses and their answers (bench/national_data.py: numpy, vectorised, written as CSV by pyarrow) with two
  COPY statements on two connections, fed chunk by chunk while the next chunk is drawn. Foreign keys and triggers
  are not checked during the load (``session_replication_role = replica``; the rows are right by construction),
  and the indexes and the primary and unique keys of ``responses`` and ``answers`` are dropped before and built
  again after it (the definitions the migration made, read from the catalogue) — the usual bulk load;
- an administrator (national role) through the app's own service (``app.officials.service.create_official``);
- the summary of sufficient statistics, when the app has one: ``sipas summary refresh`` folds every response in
  (on a fresh load every response is in its tail, so this is ``rebuild`` without marking 10 M rows unsummarized
  first), then ``VACUUM (ANALYZE)`` (what autovacuum would do: planner statistics, visibility map and hint bits,
  so that the first reader does not rewrite every page).

Then ``uvicorn app.main:create_app --factory --workers 2`` on a loopback port, logged in as the administrator, times
from the client: a province-year ``GET /api/v1/satisfaction?group_by=agency`` (the busiest province), the national
year by province (``GET /api/v1/rankings?level=province``: every province's subtree), the national year by commune
(``satisfaction?group_by=agency`` without an agency), a commune's monthly trend (``GET /api/v1/trends``) and the
dashboard overview page (HTML, 34 provinces). Cold: the first request after PostgreSQL and the app restart and the
database's files are evicted from the OS page cache (``posix_fadvise(DONTNEED)`` after ``fsync``, file by file:
only this database's pages, not the whole machine's cache, which is shared). Warm: p50 and p95 of ``--repeats``
further requests (fewer when an endpoint's repeats exceed ``--budget`` seconds; the number is printed).

:func:`compare_paths` fetches the same answers from the raw answers and from the summary table when the app has a
``SIPAS_FIGURES_SOURCE`` setting (``raw`` / ``summary``), and prints whether they are equal.

Usage: .venv/bin/python bench/national.py [--responses 10000000] [--repeats 10] [--keep] [--timeout 120]
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import platform
import queue
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx2 as httpx  # noqa: E402
import numpy as np  # noqa: E402
import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402

from app import partitions  # noqa: E402
from app.config import Environment, Settings, resolve_secrets  # noqa: E402
from app.db import make_engine, make_session_factory  # noqa: E402
from app.directory.models import Role  # noqa: E402
from app.migrate import migrate  # noqa: E402
from app.officials.service import create_official  # noqa: E402
from bench import national_data as data  # noqa: E402
from tests.support.compare import first_difference  # noqa: E402
from tests.support.postgres import PrivateCluster, start_private_cluster, unique_name  # noqa: E402
from tests.support.services import app_server, cpu_model  # noqa: E402

FORM = "counter-quick"
ADMIN = "bench-national"
YEAR_FROM, YEAR_TO = f"{data.YEAR}-01-01", f"{data.YEAR}-12-31"
AIMS = {"province_year": 0.1, "national_by_province": 1.0, "overview": 1.0}
# A national deployment's PostgreSQL would be tuned; these are modest for a 23 GB machine shared with others.
SERVER_SETTINGS = {
    "shared_buffers": "2GB",
    "effective_cache_size": "8GB",
    "work_mem": "32MB",
    "maintenance_work_mem": "1GB",
    "max_wal_size": "16GB",
    "checkpoint_timeout": "30min",
}
BULK_TABLES = ("submissions", "responses", "answers")
# (what happened, {endpoint: (raw seconds, summary seconds, where the answers first differ or None)})
Comparison = tuple[str, dict[str, tuple[float | None, float | None, str | None]]]
KEYS = ("province_year", "national_by_province", "commune_trend", "overview", "national_by_commune")


def say(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


# --- the database ----------------------------------------------------------------------------------------------


@dataclass
class Database:
    cluster: PrivateCluster
    name: str

    def connect(self) -> psycopg.Connection[tuple[Any, ...]]:
        server = self.cluster.server
        return psycopg.connect(host=server.host, port=server.port, user=server.user, dbname=self.name)

    @property
    def url(self) -> str:
        return self.cluster.server.url(self.name)


@contextlib.contextmanager
def database(keep: bool) -> Iterator[Database]:
    """A private cluster with :data:`SERVER_SETTINGS` and a new database in it; both removed afterwards unless
    ``keep``."""
    cluster = start_private_cluster()
    try:
        cluster.options += "".join(f" -c {name}={value}" for name, value in SERVER_SETTINGS.items())
        cluster.restart()
        name = unique_name("sipas_bench_national")
        cluster.server.create_database(name)
        yield Database(cluster, name)
    finally:
        if keep:
            say(f"kept: cluster {cluster.base} (port {cluster.port}), database {name}; stop it with pg_ctl -D data")
        else:
            cluster.discard()


def evict_from_page_cache(db: Database) -> int:
    """Flush and drop this database's files from the OS page cache (``posix_fadvise(DONTNEED)``): no root, and the
    rest of the machine's cache is left alone. Returns the bytes of files evicted."""
    with db.connect() as connection:
        row = connection.execute("SELECT oid FROM pg_database WHERE datname = current_database()").fetchone()
    assert row is not None
    total = 0
    for path in (db.cluster.data / "base" / str(row[0])).iterdir():
        with contextlib.suppress(OSError):
            descriptor = os.open(path, os.O_RDONLY)
            try:
                os.fsync(descriptor)
                os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
                total += os.fstat(descriptor).st_size
            finally:
                os.close(descriptor)
    return total


def resident_bytes(db: Database) -> int | None:
    """Bytes of this database's files in the page cache (util-linux ``fincore``), None without it."""
    fincore = shutil.which("fincore")
    if fincore is None:
        return None
    with db.connect() as connection:
        row = connection.execute("SELECT oid FROM pg_database WHERE datname = current_database()").fetchone()
    assert row is not None
    files = [str(path) for path in (db.cluster.data / "base" / str(row[0])).iterdir()]
    done = subprocess.run(
        [fincore, "--bytes", "--noheadings", "--output", "RES", *files], capture_output=True, text=True, check=False
    )
    return sum(int(line) for line in done.stdout.split() if line.isdigit())


# --- the load --------------------------------------------------------------------------------------------------


@dataclass
class Loaded:
    responses: int = 0
    answers: int = 0
    phases: dict[str, float] = field(default_factory=dict)
    province_code: str = ""
    province_responses: int = 0
    commune_code: str = ""
    commune_responses: int = 0
    agencies: int = 0
    counters: int = 0
    devices: int = 0
    population_counts: int = 0
    summary_note: str = ""
    summary_rows: int = 0  # rows of the summary table after the fold (0: not folded)
    psus: int = 0  # PSUs (agency × month × counter × week) in the summary
    psu_floor_s: float = 0.0  # PostgreSQL's time to group every summary row into its PSU (best of 3)
    province_floor_s: float = 0.0  # the same for the busiest province's rows

    @property
    def total_s(self) -> float:
        return sum(self.phases.values())


def copy_rows(
    connection: psycopg.Connection[tuple[Any, ...]], table: str, columns: list[str], rows: list[tuple[Any, ...]]
) -> None:
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(name) for name in columns)
    )
    with connection.cursor().copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def drop_bulk_indexes(connection: psycopg.Connection[tuple[Any, ...]]) -> list[str]:
    """Drop the primary and unique keys (but those foreign keys point to) and the indexes of :data:`BULK_TABLES`;
    the statements that make them again. A partitioned table's are dropped and made again on the parent, which
    does it for every partition."""
    again: list[str] = []
    for table in BULK_TABLES:
        # Keys that foreign keys point to stay (responses' primary key: ids arrive in order, cheap to maintain).
        constraints = connection.execute(
            "SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
            "WHERE c.conrelid = %s::regclass AND c.contype IN ('p', 'u') AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = c.conindid)",
            (table,),
        ).fetchall()
        kept = connection.execute(
            "SELECT c.conname FROM pg_constraint c WHERE c.conrelid = %s::regclass AND c.contype IN ('p', 'u')",
            (table,),
        ).fetchall()
        owned = {str(row[0]) for row in kept}
        indexes = connection.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = %s", (table,)
        ).fetchall()
        for name, definition in constraints:
            connection.execute(
                sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(sql.Identifier(table), sql.Identifier(name))
            )
            again.append(
                sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} ")
                .format(sql.Identifier(table), sql.Identifier(name))
                .as_string(connection)
                + definition
            )
        for name, definition in indexes:
            if name in owned:
                continue
            connection.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
            again.append(definition.replace(" ON ONLY ", " ON "))  # a partitioned table's, as pg_dump writes it
    return again


class CopyStream:
    """One ``COPY … FROM STDIN (FORMAT csv)`` on its own connection, fed from a queue by a thread: the database
    parses one chunk while the next is drawn."""

    def __init__(self, db: Database, table: str, columns: tuple[str, ...]) -> None:
        self.connection = db.connect()
        self.connection.execute("SET session_replication_role = replica")
        self.statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(
            sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(name) for name in columns)
        )
        self.chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            with self.connection.cursor().copy(self.statement) as copy:
                while (chunk := self.chunks.get()) is not None:
                    copy.write(chunk)
            self.connection.commit()
        except BaseException as error:  # reported by finish()
            self.error = error
            while self.chunks.get() is not None:  # let the producer finish
                pass

    def put(self, chunk: bytes) -> None:
        self.chunks.put(chunk)

    def finish(self) -> None:
        self.chunks.put(None)
        self.thread.join()
        self.connection.close()
        if self.error is not None:
            raise self.error


def load(
    db: Database, settings: Settings, responses: int, chunk_size: int, seed: int, password: str, *, fold: bool
) -> Loaded:
    loaded = Loaded()
    started = time.perf_counter()
    migrate(settings)
    engine = make_engine(settings.database_url)
    try:  # the year's months in partitions of their own (migrate made this month's and those ahead)
        with engine.begin() as connection:
            partitions.create_months(connection, [data.YEAR * 100 + number for number in range(1, 13)])
    finally:
        engine.dispose()
    loaded.phases["migrate"] = time.perf_counter() - started

    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    directory = data.build_directory(rng)
    last = data.last_day(datetime.now(settings.zone).date())
    now = datetime.now(UTC)
    with db.connect() as connection:
        row = connection.execute(
            "SELECT id FROM form_versions WHERE form_id = %s ORDER BY version DESC LIMIT 1", (FORM,)
        ).fetchone()
        if row is None:
            raise SystemExit(f"form {FORM!r} is not registered after the migration")
        form_version_id = int(row[0])
        fields = {str(code): int(id_) for id_, code in connection.execute("SELECT id, code FROM procedure_fields")}
        connection.execute("SET session_replication_role = replica")
        copy_rows(
            connection,
            "agencies",
            ["id", "code", "name_vi", "level", "parent_id", "path", "active", "created_at"],
            [(*agency, now) for agency in data.agency_rows(directory)],
        )
        copy_rows(
            connection,
            "counters",
            ["id", "agency_id", "code", "name_vi", "active", "link_generation", "created_at"],
            [(*counter, now) for counter in data.counter_rows(directory)],
        )
        copy_rows(
            connection,
            "devices",
            ["id", "public_id", "agency_id", "counter_id", "label", "key_prefix", "key_hash", "created_at"],
            [(*device, now) for device in data.device_rows(directory, rng)],
        )
        populations = data.population_rows(directory, responses, last, rng)
        copy_rows(
            connection,
            "population_counts",
            ["agency_id", "period_start", "period_end", "dossiers_handled", "created_at"],
            [(*count, now) for count in populations],
        )
        for table in ("agencies", "counters", "devices"):
            connection.execute(
                sql.SQL("SELECT setval(pg_get_serial_sequence({}, 'id'), (SELECT max(id) FROM {}))").format(
                    sql.Literal(table), sql.Identifier(table)
                )
            )
        rebuild = drop_bulk_indexes(connection)
        connection.commit()
    loaded.agencies, loaded.counters = directory.agencies, len(directory.counter_ids)
    loaded.devices, loaded.population_counts = directory.devices, len(populations)
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            create_official(session, username=ADMIN, password=password, role=Role.national, agency=None, actor="bench")
            session.commit()
    finally:
        engine.dispose()
    loaded.phases["directory"] = time.perf_counter() - started

    started = time.perf_counter()
    generator = data.Generator(
        directory, form_version_id=form_version_id, procedure_field_ids=fields, last=last, seed=seed
    )
    streams = {
        "submissions": CopyStream(db, "submissions", data.SUBMISSION_COLUMNS),
        "responses": CopyStream(db, "responses", data.RESPONSE_COLUMNS),
        "answers": CopyStream(db, "answers", data.ANSWER_COLUMNS),
    }
    try:
        for first in range(0, responses, chunk_size):
            chunk = generator.chunk(first + 1, min(chunk_size, responses - first))
            streams["submissions"].put(chunk.submissions_csv)
            streams["responses"].put(chunk.responses_csv)
            streams["answers"].put(chunk.answers_csv)
            loaded.responses += chunk.responses
            loaded.answers += chunk.answers
            if first // chunk_size % 10 == 9:
                rate = loaded.responses / (time.perf_counter() - started)
                say(f"  {loaded.responses:,} responses, {loaded.answers:,} answers ({rate:,.0f} responses/s)")
    finally:
        for stream in streams.values():
            stream.finish()
    loaded.phases["copy"] = time.perf_counter() - started

    started = time.perf_counter()
    with db.connect() as connection:
        connection.autocommit = True
        connection.execute("SET maintenance_work_mem = '1GB'")
        for statement in rebuild:
            connection.execute(statement.encode())  # the catalogue's own DDL
        connection.execute(
            "SELECT setval(pg_get_serial_sequence('submissions', 'id'), (SELECT max(id) FROM submissions))"
        )
    loaded.phases["indexes"] = time.perf_counter() - started

    if fold:
        started = time.perf_counter()
        loaded.summary_note = fold_summary(settings)
        loaded.phases["summary"] = time.perf_counter() - started
    else:
        loaded.summary_note = "summary not folded (--no-summary): figures read from the raw answers"

    # After the summary, which marks every response it folds in (an UPDATE of each row).
    started = time.perf_counter()
    with db.connect() as connection:
        connection.autocommit = True
        connection.execute("VACUUM (ANALYZE)")
    loaded.phases["vacuum_analyze"] = time.perf_counter() - started

    with db.connect() as connection:
        if fold:
            counted = connection.execute("SELECT count(*) FROM response_sums").fetchone()
            loaded.summary_rows = int(counted[0]) if counted else 0
        province = connection.execute(
            "SELECT p.code, count(*) FROM responses r JOIN agencies c ON c.id = r.agency_id "
            "JOIN agencies p ON p.id = c.parent_id GROUP BY p.code ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()
        commune = connection.execute(
            "SELECT a.code, count(*) FROM responses r JOIN agencies a ON a.id = r.agency_id "
            "GROUP BY a.code ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()
    assert province is not None and commune is not None
    loaded.province_code, loaded.province_responses = str(province[0]), int(province[1])
    loaded.commune_code, loaded.commune_responses = str(commune[0]), int(commune[1])
    if fold:
        with db.connect() as connection:
            measure_floor(connection, loaded)
    return loaded


PSU_GROUPS = (
    "SELECT count(*) FROM (SELECT 1 FROM response_sums {where} GROUP BY agency_id, local_month, week, counter_id) s"
)


def measure_floor(connection: psycopg.Connection[tuple[Any, ...]], loaded: Loaded) -> None:
    """The least an exact figure reads: design-based variances need a sum per PSU, so a figure groups its summary
    rows into PSUs at least. Timed in PostgreSQL alone (no row leaves the server), for the whole year and for the
    busiest province: a floor under the national and province-year requests, whatever is built above it."""

    def best(statement: str, *params: Any) -> tuple[float, int]:
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            found = connection.execute(statement, params).fetchone()
            runs.append(time.perf_counter() - started)
        return min(runs), int(found[0]) if found else 0

    loaded.psu_floor_s, loaded.psus = best(PSU_GROUPS.format(where=""))
    within = "WHERE agency_id IN (SELECT c.id FROM agencies c JOIN agencies p ON p.id = c.parent_id WHERE p.code = %s)"
    loaded.province_floor_s, _psus = best(PSU_GROUPS.format(where=within), loaded.province_code)


def sipas_command() -> list[str]:
    return [sys.executable, "-c", "from app.cli import main; main()"]


def app_env(settings: Settings, secrets_file: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    return {
        **os.environ,
        "SIPAS_DATABASE_URL": settings.database_url,
        "SIPAS_SECRETS_FILE": str(secrets_file),
        "SIPAS_ENV": "test",
        "SIPAS_LOG_LEVEL": "WARNING",
        **(extra or {}),
    }


def fold_summary(settings: Settings) -> str:
    """Fold every response into the summary table when the app has one: ``sipas summary refresh`` (on a fresh
    load every response is in the tail, so it does what ``rebuild`` does without first marking 10 M rows
    unsummarized), else ``rebuild``; what happened, in words."""
    assert settings.secrets_file is not None
    env = app_env(settings, Path(settings.secrets_file))
    probe = subprocess.run(
        [*sipas_command(), "summary", "--help"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if probe.returncode != 0 or "rebuild" not in probe.stdout:
        return "no summary table: `sipas summary` does not exist, skipped"
    command = "refresh" if "refresh" in probe.stdout else "rebuild"
    done = subprocess.run(
        [*sipas_command(), "summary", command], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"sipas summary {command} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return f"`sipas summary {command}` folded every response into the summary: {done.stdout.strip()}"


# --- the measurements ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    key: str
    label: str
    path: str
    aim_s: float | None = None
    is_json: bool = True


def endpoints(loaded: Loaded) -> list[Endpoint]:
    year = f"from={YEAR_FROM}&to={YEAR_TO}"
    return [
        Endpoint(
            "province_year",
            f"province-year, `satisfaction?group_by=agency&agency={loaded.province_code}` "
            f"({loaded.province_responses:,} responses)",
            f"/api/v1/satisfaction?group_by=agency&agency={loaded.province_code}&{year}",
            AIMS["province_year"],
        ),
        Endpoint(
            "national_by_province",
            "national year by province, `rankings?level=province`",
            f"/api/v1/rankings?level=province&{year}",
            AIMS["national_by_province"],
        ),
        Endpoint(
            "commune_trend",
            f"commune monthly trend, `trends?agency={loaded.commune_code}` ({loaded.commune_responses:,} responses)",
            f"/api/v1/trends?agency={loaded.commune_code}&period=month&{year}",
        ),
        Endpoint("overview", "dashboard overview page (HTML)", f"/dashboard?{year}", AIMS["overview"], is_json=False),
        Endpoint(
            "national_by_commune",
            "national year by commune, `satisfaction?group_by=agency`",
            f"/api/v1/satisfaction?group_by=agency&{year}",
        ),
    ]


@dataclass
class Timing:
    cold_s: float | None = None  # None: timed out
    warm_s: list[float] = field(default_factory=list)
    timeouts: int = 0
    cold_timeout: bool = False
    answer: Any = None

    def percentile(self, fraction: float) -> float | None:
        if not self.warm_s:
            return None
        ordered = sorted(self.warm_s)
        rank = max(1, min(len(ordered), math.ceil(fraction * len(ordered))))
        return ordered[rank - 1]


@contextlib.contextmanager
def logged_in(base_url: str, password: str, timeout: float) -> Iterator[httpx.Client]:
    """A client with the administrator's dashboard session (the API accepts its cookie too)."""
    with httpx.Client(base_url=base_url, timeout=timeout) as client:
        form = client.get("/dashboard/login")
        token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', form.text)
        fields = {"username": ADMIN, "password": password, "csrf_token": token.group(1) if token else ""}
        answer = client.post("/dashboard/login", data=fields, follow_redirects=False)
        if answer.status_code != 303 or "sipas_session" not in client.cookies:
            raise SystemExit(f"login failed: {answer.status_code} {answer.text[:300]}")
        yield client


def timed_get(client: httpx.Client, endpoint: Endpoint) -> tuple[float | None, Any]:
    """Seconds (None on a timeout) and the answer (JSON, or the page's length)."""
    started = time.perf_counter()
    try:
        response = client.get(endpoint.path)
    except httpx.TimeoutException:
        return None, None
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"GET {endpoint.path}: {response.status_code} {response.text[:300]}")
    return elapsed, response.json() if endpoint.is_json else len(response.content)


def measure(
    db: Database,
    env: dict[str, str],
    log: Path,
    loaded: Loaded,
    *,
    password: str,
    repeats: int,
    budget_s: float,
    timeout_s: float,
    cold: bool,
    only: list[str],
) -> dict[str, Timing]:
    """Each endpoint cold (restart PostgreSQL, evict the database's files, restart the app: the first request), then
    ``repeats`` warm requests within ``budget_s``."""
    timings: dict[str, Timing] = {}
    for endpoint in endpoints(loaded):
        if only and endpoint.key not in only:
            continue
        timing = timings[endpoint.key] = Timing()
        if cold:
            db.cluster.restart()
            evict_from_page_cache(db)
        with app_server(env, 2, log, timeout=120) as server, logged_in(server.base_url, password, timeout_s) as client:
            first, timing.answer = timed_get(client, endpoint)
            timing.cold_s, timing.cold_timeout = first, first is None
            spent = first or timeout_s
            for _ in range(repeats):
                if spent > budget_s or first is None:  # a cold timeout: the warm ones would time out too
                    break
                elapsed, answer = timed_get(client, endpoint)
                if elapsed is None:
                    timing.timeouts += 1
                    spent += timeout_s
                    continue
                timing.warm_s.append(elapsed)
                timing.answer = timing.answer if timing.answer is not None else answer
                spent += elapsed
        say(f"  {endpoint.key}: cold {seconds(timing.cold_s)}, warm p50 {seconds(timing.percentile(0.5))}")
    return timings


def figures_source_setting() -> bool:
    """Whether the app has the ``SIPAS_FIGURES_SOURCE`` setting (``raw`` / ``summary``)."""
    return "figures_source" in Settings.model_fields


def agreement(raw: Any, summary: Any) -> str | None:
    """None when the answers are equal to the last bit; else where they first differ, and whether within 1e-9."""
    if raw is None or summary is None:
        return "not compared: " + " and ".join(
            f"{name} timed out" for name, answer in (("raw", raw), ("summary", summary)) if answer is None
        )
    beyond = first_difference(raw, summary, 1e-9, skip={"meta"})
    if beyond is not None:
        return f"DIFFERENT beyond 1e-9: {beyond}"
    exact = first_difference(raw, summary, 0.0, skip={"meta"})
    return None if exact is None else f"equal within 1e-9 relative, not to the last bit (first: {exact})"


def compare_paths(
    env: dict[str, str], log: Path, loaded: Loaded, *, password: str, timeout_s: float, keys: list[str]
) -> Comparison:
    """The JSON answers of every endpoint from the raw answers and from the summary (``SIPAS_FIGURES_SOURCE``),
    one request each (the server is fresh, the database warm); (note, {endpoint: (raw s, summary s, equal)}).
    Equal means equal JSON but ``meta`` (which says where the figures came from), numbers to the last bit or within
    1e-9 relative (:func:`agreement` says which)."""
    if not figures_source_setting():
        return "summary path not available (the app has no SIPAS_FIGURES_SOURCE setting yet)", {}
    answers: dict[str, dict[str, tuple[float | None, Any]]] = {}
    for source in ("raw", "summary"):
        answers[source] = {}
        with (
            app_server({**env, "SIPAS_FIGURES_SOURCE": source}, 2, log, timeout=120) as server,
            logged_in(server.base_url, password, timeout_s) as client,
        ):
            for endpoint in endpoints(loaded):
                if endpoint.is_json and endpoint.key in keys:
                    answers[source][endpoint.key] = timed_get(client, endpoint)
    compared = {
        key: (raw[0], answers["summary"][key][0], agreement(raw[1], answers["summary"][key][1]))
        for key, raw in answers["raw"].items()
    }
    notes = [difference or "" for _, _, difference in compared.values()]
    if all(not note for note in notes):
        return "raw and summary answers equal to the last bit", compared
    if any(note.startswith("DIFFERENT") for note in notes):
        return "raw and summary answers DIFFER", compared
    return "raw and summary answers equal within 1e-9 relative (floating-point sums in another order)", compared


# --- the report ------------------------------------------------------------------------------------------------


def seconds(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value * 1000:,.0f} ms" if value < 10 else f"{value:,.1f} s"


def report(
    args: argparse.Namespace,
    loaded: Loaded,
    timings: dict[str, Timing],
    evicted_note: str,
    comparison: Comparison,
) -> None:
    cores = os.cpu_count() or 1
    print(f"\n### National year (bench/national.py --responses {args.responses:,})\n")
    print(
        f"{date.today().isoformat()}, {cores} cores ({cpu_model()}), {platform.platform()}, Python "
        f"{platform.python_version()}, PostgreSQL {args.server_version} (private cluster, fsync off, "
        + ", ".join(f"{name}={value}" for name, value in SERVER_SETTINGS.items())
        + "); uvicorn, 2 workers; timed by the client over loopback. The machine is shared with other work.\n"
    )
    print(
        f"Data: {loaded.agencies:,} agencies (34 provinces, communes below), {loaded.counters:,} counters, "
        f"{loaded.devices:,} kiosks, {loaded.population_counts:,} monthly population counts, {loaded.responses:,} "
        f"responses, {loaded.answers:,} answers ({loaded.answers / max(loaded.responses, 1):.2f} per response).\n"
    )
    print(
        "Load: "
        + ", ".join(f"{name} {value:,.1f} s" for name, value in loaded.phases.items())
        + f"; total {loaded.total_s:,.1f} s ({loaded.responses / max(loaded.phases['copy'], 1e-9):,.0f} responses/s "
        f"in COPY). {loaded.summary_note}.\n"
    )
    print(f"Cold: {evicted_note}\n")
    print("| request | cold | warm p50 | warm p95 | runs | aim |")
    print("|---|---|---|---|---|---|")
    missed: list[str] = []
    for endpoint in endpoints(loaded):
        if endpoint.key not in timings:
            continue
        timing = timings[endpoint.key]
        cold = "timeout" if timing.cold_timeout else seconds(timing.cold_s)
        p50 = timing.percentile(0.5)
        aim = ""
        if endpoint.aim_s is not None:
            met = p50 is not None and p50 < endpoint.aim_s
            aim = f"< {seconds(endpoint.aim_s)}: " + ("met" if met else "NOT met")
            if not met:
                missed.append(endpoint.key)
        runs = f"{len(timing.warm_s)}" + (f" (+{timing.timeouts} timeouts)" if timing.timeouts else "")
        print(f"| {endpoint.label} | {cold} | {seconds(p50)} | {seconds(timing.percentile(0.95))} | {runs} | {aim} |")
    if missed and loaded.summary_rows:
        print(
            f"\nAims not met ({', '.join(missed)}), and why: the summary holds {loaded.summary_rows:,} rows for "
            f"{loaded.responses:,} responses ({loaded.summary_rows / max(loaded.responses, 1):.2f} a response). Its "
            "cells are keyed by answer pattern, so at this density a figure reads about one summary row per response: "
            "the COPY of those rows, their assembly and the tally's scan of the responses grow with the country. "
            f"No exact design-based figure can read less than one sum per PSU: the sample has {loaded.psus:,} PSUs "
            f"(counter × week, {loaded.psus / max(loaded.responses, 1):.2f} a response), and PostgreSQL alone takes "
            f"{seconds(loaded.psu_floor_s)} to group the year's summary rows into them "
            f"({seconds(loaded.province_floor_s)} for {loaded.province_code}), before any row leaves the server. "
            "Where each request's time goes: docs/benchmarks.md, National year."
        )
    note, compared = comparison
    print(f"\nFigures, raw vs summary path: {note}.")
    for key, (raw_s, summary_s, difference) in compared.items():
        print(f"- {key}: raw {seconds(raw_s)}, summary {seconds(summary_s)}, " + (difference or "equal"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--responses", type=int, default=10_000_000, help="responses to load (default 10 M)")
    parser.add_argument("--chunk", type=int, default=250_000, help="responses drawn and copied at a time")
    parser.add_argument("--repeats", type=int, default=10, help="warm requests per endpoint (default 10)")
    parser.add_argument("--budget", type=float, default=300.0, help="seconds of warm requests per endpoint at most")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per request before it counts as timeout")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-cold", action="store_true", help="skip the restarts before each endpoint")
    parser.add_argument("--only", action="append", help="measure only this endpoint (repeatable): " + ", ".join(KEYS))
    parser.add_argument(
        "--no-summary",
        action="store_true",
        help="do not fold the summary; time the raw path (SIPAS_FIGURES_SOURCE=raw)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the cluster and database afterwards")
    args = parser.parse_args()
    # A plain `kill` (or `timeout`) still stops the app server and removes the cluster.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    password = secrets.token_urlsafe(24)
    with tempfile.TemporaryDirectory(prefix="sipas-bench-national-") as name, database(args.keep) as db:
        directory = Path(name)
        secrets_file = directory / "secrets.json"
        settings = resolve_secrets(Settings(env=Environment.test, database_url=db.url, secrets_file=secrets_file))
        args.server_version = db.cluster.version()
        say(f"loading {args.responses:,} responses into {db.name} (cluster {db.cluster.base})")
        loaded = load(db, settings, args.responses, args.chunk, args.seed, password, fold=not args.no_summary)
        say("loaded: " + ", ".join(f"{key} {value:,.1f} s" for key, value in loaded.phases.items()))
        # The server gives up a statement the client has given up on (libpq reads PGOPTIONS).
        timeout_ms = int(args.timeout * 1000) + 5000
        # The server folds nothing in the background while it is timed (the load folded everything, or nothing).
        extra = {"PGOPTIONS": f"-c statement_timeout={timeout_ms}", "SIPAS_SUMMARY_REFRESH_SECONDS": "0"}
        if args.no_summary and figures_source_setting():
            extra["SIPAS_FIGURES_SOURCE"] = "raw"
        env = app_env(settings, secrets_file, extra)
        log = Path(tempfile.gettempdir()) / f"{db.name}-server.log"
        evicted_note = "not measured (--no-cold)"
        if not args.no_cold:
            db.cluster.restart()
            size = evict_from_page_cache(db)
            resident = resident_bytes(db)
            evicted_note = (
                f"before each endpoint PostgreSQL was restarted (`pg_ctl restart -m fast`), the app restarted, and "
                f"the database's files ({size / 2**30:,.1f} GiB) evicted from the OS page cache with "
                f"posix_fadvise(DONTNEED) after fsync ("
                + (f"{resident / 2**20:,.0f} MiB still resident after eviction" if resident is not None else "")
                + "); the machine-wide cache is not dropped (others share the machine)."
            )
        timings = measure(
            db,
            env,
            log,
            loaded,
            password=password,
            repeats=args.repeats,
            budget_s=args.budget,
            timeout_s=args.timeout,
            cold=not args.no_cold,
            only=args.only or [],
        )
        # Endpoints that answered within the timeout (raw would time out again where the default path did).
        answered = [key for key, timing in timings.items() if timing.answer is not None]
        comparison: Comparison = (
            "not compared (--no-summary: the figures above are the raw path's)",
            {},
        )
        if not args.no_summary:
            comparison = compare_paths(env, log, loaded, password=password, timeout_s=args.timeout, keys=answered)
        report(args, loaded, timings, evicted_note, comparison)
        if args.keep:
            say(f"server log: {log}; password of {ADMIN}: {password}")


if __name__ == "__main__":
    main()
