"""Design-based estimates at scale: SQL pushdown on PostgreSQL, `sipas stats` on a CSV file, and R's survey package
on the same synthetic data (figures for docs/benchmarks.md).

Synthetic survey: 50 agencies (the strata) × 20 items (the elements) = 1,000 domains; 2,000 PSUs (40 per agency)
with weights varying by PSU; satisfaction about 85 %, varying by agency, item and PSU. Every respondent answers the
20 items, so ``--rows`` answer rows are ``--rows / 20`` respondents.

  (a) ``fetch_sums`` + ``estimate_domains`` (``tests.factories.estimate_from_database``) on PostgreSQL (private
  cluster, rows loaded with COPY), its SQL part (``fetch_sums``) timed separately, cold and warm;
  (c) the bare GROUP BY over ``answers ⨝ responses`` as the reference;
  (b) the whole ``sipas stats wide.csv ... --by agency`` process;
  (d) the whole ``Rscript`` job: read.csv, svydesign, svyby(svyciprop, method = "beta") on the long file, and the
      largest difference between its estimates and intervals and the CLI's;
  (e) a file that is hard on a reader: the long file with every weight distinct (raked or calibrated weights are),
      ``--distinct-rows`` rows (default 1 and 10 million), as CSV and as Parquet: the whole ``sipas stats`` process
      on each, beside the whole ``Rscript`` job on the CSV (up to ``--r-max-rows``; R needs ≈ 6 GB per million rows).

Usage: .venv/bin/python bench/stats.py [--rows 1000000] [--skip-r] [--skip-db] [--skip-wide]
       [--distinct-rows 1000000,10000000] [--r-max-rows 1000000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.csv as pa_csv  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
from numpy.typing import NDArray

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from app.config import Environment, Settings, resolve_secrets  # noqa: E402
from app.db import make_engine, make_session_factory  # noqa: E402
from app.migrate import migrate  # noqa: E402
from app.reports.sums import SumsQuery, fetch_sums  # noqa: E402
from app.responses.models import Response  # noqa: E402
from tests.factories import counter_tree, estimate_from_database  # noqa: E402
from tests.support.postgres import PostgresServer, postgres_server, unique_name  # noqa: E402

AGENCIES = 50
ITEMS = 20
PSUS_PER_AGENCY = 40
PSUS = AGENCIES * PSUS_PER_AGENCY
SEED = 20240601
CHUNK = 200_000  # respondents per COPY chunk


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


# --- synthetic data ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Survey:
    psu: NDArray[np.intp]  # per respondent, 0..PSUS-1; agency = psu // PSUS_PER_AGENCY
    weight: NDArray[np.float64]  # per respondent (constant within a PSU)
    scores: NDArray[np.int64]  # respondents × ITEMS, levels 1..5

    @property
    def respondents(self) -> int:
        return int(self.psu.size)

    @property
    def agency(self) -> NDArray[np.intp]:
        return self.psu // PSUS_PER_AGENCY


def agency_label(a: int) -> str:
    return f"A{a + 1:02d}"


def psu_label(p: int) -> str:
    return f"P{p + 1:04d}"


ITEM_CODES = [f"E{k + 1:02d}" for k in range(ITEMS)]


def make_survey(rows: int) -> Survey:
    rng = np.random.default_rng(SEED)
    respondents = max(rows // ITEMS, PSUS * 2)
    psu = np.sort(rng.integers(0, PSUS, respondents))
    psu[:PSUS] = np.arange(PSUS)  # every PSU has at least one respondent
    psu = np.sort(psu)
    psu_weight = rng.uniform(0.5, 3.0, PSUS)
    agency_rate = rng.uniform(0.75, 0.95, AGENCIES)
    item_shift = rng.uniform(-0.04, 0.04, ITEMS)
    psu_shift = rng.normal(0.0, 0.04, PSUS)
    rate = agency_rate[psu // PSUS_PER_AGENCY][:, None] + item_shift[None, :] + psu_shift[psu][:, None]
    satisfied = rng.random((respondents, ITEMS)) < np.clip(rate, 0.02, 0.99)
    scores = np.where(satisfied, rng.integers(4, 6, satisfied.shape), rng.integers(1, 4, satisfied.shape))
    return Survey(psu=psu, weight=psu_weight[psu], scores=scores)


def write_wide(survey: Survey, path: Path) -> None:
    """One row per respondent: agency, psu, weight, E01..E20."""
    agencies = [agency_label(a) for a in range(AGENCIES)]
    psus = [psu_label(p) for p in range(PSUS)]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["agency", "psu", "weight", *ITEM_CODES])
        for p, w, scores in zip(survey.psu.tolist(), survey.weight.tolist(), survey.scores.tolist(), strict=True):
            writer.writerow([agencies[p // PSUS_PER_AGENCY], psus[p], repr(w), *scores])


def write_long(survey: Survey, path: Path) -> None:
    """One row per answer: agency, psu, weight, element, satisfied (0/1)."""
    agencies = [agency_label(a) for a in range(AGENCIES)]
    psus = [psu_label(p) for p in range(PSUS)]
    satisfied = (survey.scores >= 4).astype(np.int64).tolist()
    with path.open("w") as handle:
        handle.write("agency,psu,weight,element,satisfied\n")
        for p, w, marks in zip(survey.psu.tolist(), survey.weight.tolist(), satisfied, strict=True):
            head = f"{agencies[p // PSUS_PER_AGENCY]},{psus[p]},{w!r},"
            handle.write("".join(f"{head}{code},{mark}\n" for code, mark in zip(ITEM_CODES, marks, strict=True)))


def write_distinct(survey: Survey, path: Path) -> int:
    """The long file (agency, psu, weight, element, satisfied) with each answer row's weight multiplied by its own
    factor in [0.8, 1.25): every weight distinct. Written by pyarrow (shortest round-trip doubles); also as Parquet
    beside it. Returns the number of distinct weights."""
    rng = np.random.default_rng(SEED + 1)
    weight = (survey.weight[:, None] * rng.uniform(0.8, 1.25, (survey.respondents, ITEMS))).ravel()
    table = pa.table(
        {
            "agency": pa.DictionaryArray.from_arrays(
                np.repeat(survey.agency, ITEMS).astype(np.int32), [agency_label(a) for a in range(AGENCIES)]
            ),
            "psu": pa.DictionaryArray.from_arrays(
                np.repeat(survey.psu, ITEMS).astype(np.int32), [psu_label(p) for p in range(PSUS)]
            ),
            "weight": weight,
            "element": pa.DictionaryArray.from_arrays(
                np.tile(np.arange(ITEMS, dtype=np.int32), survey.respondents), ITEM_CODES
            ),
            "satisfied": (survey.scores >= 4).astype(np.int8).ravel(),
        }
    )
    with path.open("wb") as handle:
        handle.write(b"agency,psu,weight,element,satisfied\n")
        pa_csv.write_csv(table, handle, pa_csv.WriteOptions(include_header=False, quoting_style="none"))
    pq.write_table(table, path.with_suffix(".parquet"))
    return int(np.unique(weight).size)


# --- (a), (c): PostgreSQL ---------------------------------------------------------------------------------


RESPONSE_COLUMNS = (
    "id",
    "submission_id",
    "form_version_id",
    "agency_id",
    "channel",
    "submitted_at",
    "received_at",
    "local_date",
    "local_month",
    "weight",
    "stratum",
    "cluster",
    "is_suspected_spam",
    "is_test",
    "content_hash",
)
ANSWER_COLUMNS = ("response_id", "item_code", "local_month", "value_int", "satisfied")
REFERENCE_SQL = """
SELECT r.stratum, r.cluster, a.item_code, count(*), sum(r.weight), sum(r.weight * a.satisfied)
FROM answers a JOIN responses r ON r.id = a.response_id
WHERE a.satisfied IS NOT NULL
GROUP BY r.stratum, r.cluster, a.item_code
"""


def response_chunks(survey: Survey, form_version: int, agency: int) -> Iterator[str]:
    now = datetime.now(UTC).isoformat()
    today = date.today()
    month = today.year * 100 + today.month
    tail = f"\t{today.isoformat()}\t{month}"
    agencies = [agency_label(a) for a in range(AGENCIES)]
    psus = [psu_label(p) for p in range(PSUS)]
    head = f"\t{form_version}\t{agency}\timport\t{now}\t{now}{tail}"
    hash_ = "0" * 64
    psu, weight = survey.psu.tolist(), survey.weight.tolist()
    for start in range(0, survey.respondents, CHUNK):
        lines = []
        for i in range(start, min(start + CHUNK, survey.respondents)):
            p = psu[i]
            lines.append(
                f"{i + 1}\t{uuid.UUID(int=i + 1)}{head}\t{weight[i]!r}\t{agencies[p // PSUS_PER_AGENCY]}\t"
                f"{psus[p]}\tf\tf\t{hash_}\n"
            )
        yield "".join(lines)


def answer_chunks(survey: Survey) -> Iterator[str]:
    today = date.today()
    month = today.year * 100 + today.month
    for start in range(0, survey.respondents, CHUNK):
        block = survey.scores[start : start + CHUNK].tolist()
        lines = []
        for offset, scores in enumerate(block):
            rid = start + offset + 1
            for code, value in zip(ITEM_CODES, scores, strict=True):
                lines.append(f"{rid}\t{code}\t{month}\t{value}\t{1 if value >= 4 else 0}\n")
        yield "".join(lines)


def load(server: PostgresServer, database: str, survey: Survey, form_version: int, agency: int) -> float:
    """Seconds to COPY the responses and answers in one transaction (foreign-key triggers off: the rows are
    consistent by construction), then VACUUM ANALYZE."""
    started = time.perf_counter()
    with psycopg.connect(host=server.host, port=server.port, user=server.user, dbname=database) as conn:
        with conn.cursor() as cur:
            cur.execute("SET session_replication_role = replica")
            with cur.copy(f"COPY responses ({', '.join(RESPONSE_COLUMNS)}) FROM STDIN") as copy:
                for text in response_chunks(survey, form_version, agency):
                    copy.write(text)
            with cur.copy(f"COPY answers ({', '.join(ANSWER_COLUMNS)}) FROM STDIN") as copy:
                for text in answer_chunks(survey):
                    copy.write(text)
            cur.execute(
                "INSERT INTO submissions (id, submission_id, local_month)"
                " SELECT id, submission_id, local_month FROM responses"
            )
            cur.execute("SELECT setval(pg_get_serial_sequence('submissions', 'id'), %s)", (survey.respondents,))
        conn.commit()
    with psycopg.connect(host=server.host, port=server.port, user=server.user, dbname=database, autocommit=True) as c:
        c.execute("VACUUM ANALYZE responses")
        c.execute("VACUUM ANALYZE answers")
    return time.perf_counter() - started


@dataclass
class DbFigures:
    load: float = 0.0
    estimate: list[float] | None = None
    sql: list[float] | None = None
    reference: list[float] | None = None
    reference_rows: int = 0
    results: dict[tuple[str, str], tuple[float, float, float]] | None = None  # (agency, item) → est, low, high (%)
    pg_version: str = ""
    parallel: str = ""


def run_db(survey: Survey, repeats: int) -> DbFigures:
    figures = DbFigures(estimate=[], sql=[], reference=[])
    with tempfile.TemporaryDirectory() as directory, postgres_server() as server:
        database = unique_name("sipas_bench_stats")
        server.create_database(database)
        try:
            settings = resolve_secrets(
                Settings(
                    env=Environment.test,
                    database_url=server.url(database),
                    secrets_file=Path(directory) / "secrets.json",
                )
            )
            migrate(settings)
            engine = make_engine(settings.database_url)
            factory = make_session_factory(engine)
            with factory() as session:
                _province, commune, _counter = counter_tree(session)
                agency_id = commune.id
            with psycopg.connect(host=server.host, port=server.port, user=server.user, dbname=database) as conn:
                found = conn.execute("SELECT min(id) FROM form_versions").fetchone()
                assert found is not None and found[0] is not None, "no form version registered"
                form_version = int(found[0])
                figures.pg_version = str(conn.execute("SHOW server_version").fetchone()[0]).split()[0]  # type: ignore[index]
                figures.parallel = str(conn.execute("SHOW max_parallel_workers_per_gather").fetchone()[0])  # type: ignore[index]
            figures.load = load(server, database, survey, form_version, agency_id)
            print(
                f"  loaded {survey.respondents:,} responses + {survey.respondents * ITEMS:,} answers with COPY "
                f"and VACUUM ANALYZE in {figures.load:.1f} s"
            )

            query = SumsQuery(items=ITEM_CODES, domains=[("agency", Response.stratum)])
            for run in range(repeats):
                with factory() as session:
                    started = time.perf_counter()
                    results = estimate_from_database(session, query, indices=[])
                    figures.estimate.append(time.perf_counter() - started)
                with factory() as session:
                    started = time.perf_counter()
                    fetch_sums(session, query)
                    figures.sql.append(time.perf_counter() - started)
                with psycopg.connect(host=server.host, port=server.port, user=server.user, dbname=database) as conn:
                    started = time.perf_counter()
                    figures.reference_rows = len(conn.execute(REFERENCE_SQL).fetchall())
                    figures.reference.append(time.perf_counter() - started)
                print(
                    f"  run {run + 1}: estimate() {figures.estimate[-1]:.2f} s, fetch_sums() "
                    f"{figures.sql[-1]:.2f} s, reference GROUP BY {figures.reference[-1]:.2f} s "
                    f"({figures.reference_rows:,} rows)"
                )
            figures.results = {
                (str(key[0]), found_estimate.metric): (
                    found_estimate.estimate * 100,
                    found_estimate.low * 100,
                    found_estimate.high * 100,
                )
                for key, estimates in results
                for found_estimate in estimates
            }
            engine.dispose()
        finally:
            server.drop_database(database)
    return figures


# --- (b), (d): processes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Process:
    seconds: float
    max_rss_mb: float
    stdout: str
    cpu_seconds: float = 0.0  # user + system, all threads: less sensitive to other jobs than the wall time


def run_process(command: list[str], stdout: Path) -> Process:
    """Wall time and peak RSS (os.wait4 rusage of this one child) of a whole process."""
    started = time.perf_counter()
    with stdout.open("wb") as out:
        child = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.PIPE)
        assert child.stderr is not None
        errors = child.stderr.read()
        _pid, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if child.returncode != 0:
        raise SystemExit(f"{command[0]} exited {child.returncode}:\n{errors.decode(errors='replace')[-3000:]}")
    scale = 1024 if sys.platform != "darwin" else 1024 * 1024  # ru_maxrss: KiB on Linux, bytes on macOS
    return Process(seconds, usage.ru_maxrss / scale, stdout.read_text(), usage.ru_utime + usage.ru_stime)


R_SCRIPT = r"""
suppressPackageStartupMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
t0 <- proc.time()[["elapsed"]]
d <- read.csv(args[1])
t1 <- proc.time()[["elapsed"]]
des <- svydesign(ids = ~psu, strata = ~agency, weights = ~weight, nest = TRUE, data = d)
t2 <- proc.time()[["elapsed"]]
res <- svyby(~satisfied, ~agency + element, des, svyciprop, method = "beta", vartype = c("se", "ci"))
t3 <- proc.time()[["elapsed"]]
out <- data.frame(agency = res$agency, element = res$element, estimate = 100 * res$satisfied,
                  low = 100 * res$ci_l, high = 100 * res$ci_u)
write.csv(out, args[2], row.names = FALSE)
cat(sprintf("read.csv %.2f s, svydesign %.2f s, svyby %.2f s, R %s, survey %s\n", t1 - t0, t2 - t1, t3 - t2,
            getRversion(), packageVersion("survey")))
"""


def read_cli(text: str) -> dict[tuple[str, str], tuple[float, float, float]]:
    rows = csv.DictReader(text.splitlines())
    return {
        (row["agency"], row["metric"]): (
            float(row["estimate_pct"]),
            float(row["ci_low_pct"]),
            float(row["ci_high_pct"]),
        )
        for row in rows
    }


def read_cli_long(text: str) -> dict[tuple[str, str], tuple[float, float, float]]:
    return {
        (row["agency"], row["element"]): (
            float(row["estimate_pct"]),
            float(row["ci_low_pct"]),
            float(row["ci_high_pct"]),
        )
        for row in csv.DictReader(text.splitlines())
    }


def read_r(path: Path) -> dict[tuple[str, str], tuple[float, float, float]]:
    with path.open() as handle:
        return {
            (row["agency"], row["element"]): (float(row["estimate"]), float(row["low"]), float(row["high"]))
            for row in csv.DictReader(handle)
        }


def compare(
    left: dict[tuple[str, str], tuple[float, float, float]], right: dict[tuple[str, str], tuple[float, float, float]]
) -> tuple[int, float, float]:
    """Domains in common, max |Δ estimate| and max |Δ CI bound| (percentage points)."""
    common = sorted(set(left) & set(right))
    if not common:
        return 0, float("nan"), float("nan")
    a = np.array([left[key] for key in common])
    b = np.array([right[key] for key in common])
    return len(common), float(np.abs(a[:, 0] - b[:, 0]).max()), float(np.abs(a[:, 1:] - b[:, 1:]).max())


# --- main -------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="answer rows (default 1,000,000)")
    parser.add_argument("--skip-r", action="store_true", help="do not run R")
    parser.add_argument("--skip-db", action="store_true", help="do not run the PostgreSQL path")
    parser.add_argument("--repeats", type=int, default=2, help="runs of the database queries (default 2)")
    parser.add_argument("--skip-wide", action="store_true", help="skip (a)-(d): only the distinct-weights files")
    parser.add_argument(
        "--distinct-rows",
        default="1000000,10000000",
        help="rows of the distinct-weights files, comma-separated; empty to skip (e)",
    )
    parser.add_argument("--r-max-rows", type=int, default=1_000_000, help="largest distinct file R reads")
    parser.add_argument("--keep", type=Path, help="write the CSV files here and keep them")
    args = parser.parse_args()
    if args.skip_wide:
        cores = os.cpu_count() or 1
        print(f"machine: {cores} cores ({cpu_model()}), {platform.platform()}, Python {platform.python_version()}")
        run_distinct(args)
        return

    cores = os.cpu_count() or 1
    print(f"machine: {cores} cores ({cpu_model()}), {platform.platform()}, Python {platform.python_version()}")
    started = time.perf_counter()
    survey = make_survey(args.rows)
    rows = survey.respondents * ITEMS
    print(
        f"data: {rows:,} answers = {survey.respondents:,} respondents × {ITEMS} items; {AGENCIES} agencies × "
        f"{ITEMS} items = {AGENCIES * ITEMS} domains; {PSUS} PSUs; generated in "
        f"{time.perf_counter() - started:.1f} s"
    )

    directory = args.keep or Path(tempfile.mkdtemp(prefix="sipas-bench-stats-"))
    directory.mkdir(parents=True, exist_ok=True)
    try:
        wide, long = directory / "wide.csv", directory / "long.csv"
        started = time.perf_counter()
        write_wide(survey, wide)
        write_long(survey, long)
        print(
            f"files: {wide} ({wide.stat().st_size / 1e6:.1f} MB), {long} ({long.stat().st_size / 1e6:.1f} MB), "
            f"written in {time.perf_counter() - started:.1f} s"
        )

        db: DbFigures | None = None
        if not args.skip_db:
            print("\n[a, c] PostgreSQL: estimate(), fetch_sums() and the bare GROUP BY")
            db = run_db(survey, max(1, args.repeats))

        print("\n[b] sipas stats on the wide file (whole process)")
        command = [str(ROOT / ".venv" / "bin" / "sipas"), "stats", str(wide)]
        for code in ITEM_CODES:
            command += ["--item", code]
        command += ["--weight", "weight", "--strata", "agency", "--psu", "psu", "--by", "agency", "--format", "csv"]
        cli = run_process(command, directory / "cli.csv")
        cli_results = read_cli(cli.stdout)
        print(
            f"  {cli.seconds:.2f} s, peak RSS {cli.max_rss_mb:.0f} MB, {len(cli_results)} rows "
            f"(per agency × item, and the index)"
        )
        print(f"  command: {' '.join(command[:3])} --item E01 … --item E20 {' '.join(command[3 + 2 * ITEMS :])}")

        r: Process | None = None
        r_check = (0, float("nan"), float("nan"))
        if not args.skip_r and shutil.which("Rscript"):
            print("\n[d] R survey on the long file (whole Rscript process)")
            script = directory / "bench.R"
            script.write_text(R_SCRIPT)
            r = run_process(["Rscript", str(script), str(long), str(directory / "r.csv")], directory / "r.out")
            print(f"  {r.seconds:.2f} s, peak RSS {r.max_rss_mb:.0f} MB; {r.stdout.strip()}")
            r_check = compare(cli_results, read_r(directory / "r.csv"))
            print(
                f"  CLI vs R: {r_check[0]} domains, max |Δ estimate| {r_check[1]:.2e} pp, "
                f"max |Δ CI bound| {r_check[2]:.2e} pp"
            )
        db_check = compare(cli_results, db.results) if db and db.results else (0, float("nan"), float("nan"))
        if db:
            print(
                f"  CLI vs database: {db_check[0]} domains, max |Δ estimate| {db_check[1]:.2e} pp, "
                f"max |Δ CI bound| {db_check[2]:.2e} pp"
            )

        print(f"\n### Estimates at scale (bench/stats.py --rows {args.rows})\n")
        print(
            f"{cores} cores ({cpu_model()}), {platform.platform()}; {rows:,} answers, {survey.respondents:,} "
            f"respondents, {AGENCIES * ITEMS} domains, {PSUS} PSUs"
            + (f"; PostgreSQL {db.pg_version} (max_parallel_workers_per_gather={db.parallel})" if db else "")
            + ".\n"
        )
        print("| Path | Time | Answers/s |")
        print("|---|---|---|")
        if db and db.estimate and db.sql and db.reference:
            print(f"| COPY load + VACUUM ANALYZE (set-up) | {db.load:.2f} s | {rows / db.load:,.0f} |")
            for label, values in (
                ("(a) `estimate()` (SQL + numpy)", db.estimate),
                ("(a) of which `fetch_sums()`", db.sql),
                ("(c) bare GROUP BY", db.reference),
            ):
                print(f"| {label}, cold / warm | {values[0]:.2f} s / {values[-1]:.2f} s | {rows / values[-1]:,.0f} |")
        print(
            f"| (b) `sipas stats` whole process (peak RSS {cli.max_rss_mb:.0f} MB) | {cli.seconds:.2f} s | "
            f"{rows / cli.seconds:,.0f} |"
        )
        if r:
            print(
                f"| (d) Rscript whole job (peak RSS {r.max_rss_mb:.0f} MB) | {r.seconds:.2f} s | "
                f"{rows / r.seconds:,.0f} |"
            )
        print()
        if db and db.estimate and db.sql and db.reference:
            print(
                f"(a)/(c), warm: {db.estimate[-1] / db.reference[-1]:.2f}; fetch_sums/(c): "
                f"{db.sql[-1] / db.reference[-1]:.2f}"
            )
        if r:
            print(f"(d)/(b): {r.seconds / cli.seconds:.1f}")
            print(
                f"CLI vs R over {r_check[0]} agency × item domains: max |Δ estimate| {r_check[1]:.2e} pp, "
                f"max |Δ CI bound| {r_check[2]:.2e} pp"
            )
        if db:
            print(
                f"CLI vs database over {db_check[0]} domains: max |Δ estimate| {db_check[1]:.2e} pp, "
                f"max |Δ CI bound| {db_check[2]:.2e} pp"
            )
    finally:
        if args.keep is None:
            shutil.rmtree(directory, ignore_errors=True)
    run_distinct(args)


def distinct_command(path: Path) -> list[str]:
    return [
        *(str(ROOT / ".venv" / "bin" / "sipas"), "stats", str(path), "--item", "satisfied", "--levels", "0,1"),
        *("--satisfied-levels", "1", "--weight", "weight", "--strata", "agency", "--psu", "psu"),
        *("--by", "agency,element", "--format", "csv"),
    ]


def run_distinct(args: argparse.Namespace) -> None:
    """(e): whole processes on the distinct-weights files; the best of two runs of ``sipas stats`` (the machine is
    shared), one of R."""
    sizes = [int(part) for part in args.distinct_rows.split(",") if part.strip()]
    if not sizes:
        return
    r_found = not args.skip_r and shutil.which("Rscript") is not None
    if not args.skip_r and not r_found:
        print("\n[e] R: no Rscript on this machine, R's column is left empty (apt-get install r-cran-survey)")
    lines = []
    for rows in sizes:
        directory = (args.keep or Path(tempfile.mkdtemp(prefix="sipas-bench-distinct-"))) / f"distinct-{rows}"
        directory.mkdir(parents=True, exist_ok=True)
        try:
            started = time.perf_counter()
            survey = make_survey(rows)
            path = directory / "distinct.csv"
            distinct = write_distinct(survey, path)
            answers = survey.respondents * ITEMS
            sizes_mb = [source.stat().st_size / 1e6 for source in (path, path.with_suffix(".parquet"))]
            print(
                f"\n[e] distinct weights: {answers:,} rows, {distinct:,} distinct weights; {path} "
                f"({sizes_mb[0]:.0f} MB) and .parquet ({sizes_mb[1]:.0f} MB) written in "
                f"{time.perf_counter() - started:.1f} s"
            )
            timings = {}
            for kind, source in (("CSV", path), ("Parquet", path.with_suffix(".parquet"))):
                runs = [run_process(distinct_command(source), directory / f"cli-{kind}.csv") for _ in range(2)]
                best = min(runs, key=lambda run: run.seconds)
                timings[kind] = best
                print(
                    f"  sipas stats on {kind}: {' / '.join(f'{run.seconds:.2f}' for run in runs)} s (CPU "
                    f"{' / '.join(f'{run.cpu_seconds:.2f}' for run in runs)} s), peak RSS {best.max_rss_mb:.0f} MB"
                )
            same = timings["CSV"].stdout == timings["Parquet"].stdout
            print(f"  CSV and Parquet outputs identical: {same}")
            r_text = "not run"
            if r_found and answers <= args.r_max_rows:
                script = directory / "bench.R"
                script.write_text(R_SCRIPT)
                r = run_process(["Rscript", str(script), str(path), str(directory / "r.csv")], directory / "r.out")
                check = compare(read_cli_long(timings["CSV"].stdout), read_r(directory / "r.csv"))
                r_text = f"{r.seconds:.2f} s, CPU {r.cpu_seconds:.2f} s ({r.max_rss_mb / 1024:.1f} GB)"
                print(f"  Rscript: {r.seconds:.2f} s, peak RSS {r.max_rss_mb:.0f} MB; {r.stdout.strip()}")
                print(
                    f"  CLI vs R: {check[0]} domains, max |Δ estimate| {check[1]:.2e} pp, max |Δ CI bound| "
                    f"{check[2]:.2e} pp"
                )
            elif r_found:
                r_text = f"not run (> --r-max-rows {args.r_max_rows:,})"
            cells = [
                f"{run.seconds:.2f} s, CPU {run.cpu_seconds:.2f} s ({run.max_rss_mb:.0f} MB)"
                for run in (timings["CSV"], timings["Parquet"])
            ]
            lines.append(f"| {answers:,} rows, {distinct:,} distinct weights | {cells[0]} | {cells[1]} | {r_text} |")
        finally:
            if args.keep is None:
                shutil.rmtree(directory.parent, ignore_errors=True)
    print("\n### sipas stats on distinct weights (bench/stats.py, whole processes, best of 2)\n")
    print("| File | `sipas stats` CSV | `sipas stats` Parquet | Rscript (read.csv, svydesign, svyby) |")
    print("|---|---|---|---|")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
