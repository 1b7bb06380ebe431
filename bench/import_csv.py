"""`sipas import` of a large survey file: lines/s into a fresh SQLite and a fresh PostgreSQL database.

Writes a synthetic `counter-quick` file (200,000 lines, or 1,000,000 with --million): 20 communes with two
counters each, dates over the two years before today (older than the live retention window, as historic files
are), weights, strata and PSUs, a reason whenever the overall answer is 1 or 2, and empty cells for unanswered
items. Then, for each database, runs the real command in a subprocess — `python -m app.cli import …` — timing
the first import, and a second import of the same file (everything "already imported").

PostgreSQL comes from tests.support.postgres (SIPAS_TEST_PG_ADMIN_URL, a server on 127.0.0.1:5432, or a
throw-away cluster with fsync off). Only the benchmark's own databases and temporary files are touched.

Usage: .venv/bin/python bench/import_csv.py [--rows N | --million] [--batch-size B] [--no-postgres | --no-sqlite]
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import random
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack, nullcontext
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from app.config import Environment, Settings, resolve_secrets  # noqa: E402
from app.db import make_engine, make_session_factory  # noqa: E402
from app.directory.models import AgencyLevel  # noqa: E402
from app.directory.service import create_agency, create_counter  # noqa: E402
from app.migrate import migrate  # noqa: E402
from app.responses.models import Answer, Response  # noqa: E402
from tests.support.postgres import postgres_server, unique_name  # noqa: E402

COMMUNES = 20
ELEMENT_ITEMS = ["access_general", "procedure_general", "civil_servant_general", "result_general", "feedback_general"]
FIELDS = ["civil_status", "land", "construction", "business", "social_insurance", "justice", "other"]
REASONS = ["waiting_time", "unclear_guidance", "extra_documents", "late_result", "attitude", "facilities", "other"]
HEADER = [
    "agency",
    "counter",
    "date",
    "overall",
    *ELEMENT_ITEMS,
    "procedure_field",
    "reason",
    "comment",
    "weight",
    "stratum",
    "psu",
    "interviewer",
]
SUMMARY = re.compile(r"imported ([\d,]+) responses? \(([\d,]+) new, ([\d,]+) already imported")


def write_survey(path: Path, rows: int, seed: int = 2026) -> int:
    """A synthetic survey file; returns the number of answers it holds (for the check afterwards)."""
    rng = random.Random(seed)
    first_day = date.today() - timedelta(days=2 * 365)
    answers = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for line in range(rows):
            commune = rng.randrange(COMMUNES)
            overall = rng.choices([1, 2, 3, 4, 5], weights=[3, 7, 15, 45, 30])[0]
            levels = [
                "" if rng.random() < 0.08 else str(rng.choices([1, 2, 3, 4, 5], [2, 5, 13, 50, 30])[0])
                for _ in ELEMENT_ITEMS
            ]
            reason = ";".join(sorted(rng.sample(REASONS, rng.randint(1, 2)))) if overall <= 2 else ""
            comment = "Cán bộ hướng dẫn nhiệt tình, chu đáo." if rng.random() < 0.03 else ""
            field = rng.choice(FIELDS) if rng.random() < 0.7 else ""
            answers += 1 + sum(bool(level) for level in levels) + bool(reason) + bool(comment)
            day = first_day + timedelta(days=rng.randrange(700))
            writer.writerow(
                [
                    f"BM-X{commune + 1:02d}",
                    f"Q0{rng.randint(1, 2)}",
                    day.isoformat(),
                    overall,
                    *levels,
                    field,
                    reason,
                    comment,
                    f"{rng.uniform(0.5, 3.0):.4f}",
                    "urban" if commune < 5 else "rural",
                    f"BM-X{commune + 1:02d}-{line % 12:02d}",
                    f"ĐTV {rng.randrange(40):02d}",
                ]
            )
    return answers


def prepare_database(url: str, directory: Path) -> Settings:
    settings = resolve_secrets(
        Settings(env=Environment.test, database_url=url, secrets_file=directory / "secrets.json")
    )
    migrate(settings)
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        province = create_agency(session, code="BM", name_vi="Tỉnh Bình Minh (bench)", level=AgencyLevel.province)
        for number in range(1, COMMUNES + 1):
            commune = create_agency(
                session, code=f"BM-X{number:02d}", name_vi=f"Xã {number}", level=AgencyLevel.commune, parent=province
            )
            for counter in (1, 2):
                create_counter(session, agency=commune, code=f"Q0{counter}", name_vi=f"Quầy {counter}")
        session.commit()
    engine.dispose()
    return settings


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class ServerCpu:
    """CPU seconds of the PostgreSQL backends serving one database while a command runs (sampled from /proc
    every 0.1 s, so at most that much of a backend's last moment is missed): with the command's own CPU, a figure
    that other work on a busy machine inflates far less than the wall clock."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.seconds: dict[int, float] = {}
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> ServerCpu:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

    @property
    def total(self) -> float:
        return sum(self.seconds.values())

    def _sample(self) -> None:
        engine = make_engine(self.url)
        ticks = os.sysconf("SC_CLK_TCK")
        with engine.connect() as connection:
            database = connection.exec_driver_sql("SELECT current_database()").scalar_one()
            while not self._done.wait(0.1):
                pids = connection.exec_driver_sql(
                    "SELECT pid FROM pg_stat_activity WHERE datname = %(db)s AND pid <> pg_backend_pid()",
                    {"db": database},
                ).scalars()
                for pid in pids:
                    try:
                        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                    except OSError:
                        continue
                    self.seconds[pid] = (int(fields[11]) + int(fields[12])) / ticks
                connection.rollback()
        engine.dispose()


def run_import(settings: Settings, survey: Path, batch_size: int | None) -> tuple[float, float, float, str]:
    """Wall-clock and CPU seconds of one `sipas import` (the command's own, and on PostgreSQL its server
    backend's: fairer figures than the wall clock on a machine busy with other work) and its summary line."""
    env = {
        **os.environ,
        "SIPAS_DATABASE_URL": settings.database_url,
        "SIPAS_SECRETS_FILE": str(settings.secrets_file),
        "SIPAS_ENV": "test",
    }
    command = [
        sys.executable,
        "-m",
        "app.cli",
        "import",
        str(survey),
        "--form",
        "counter-quick@1",
        "--agency-column",
        "agency",
        "--counter-column",
        "counter",
        "--date-column",
        "date",
        "--weight",
        "weight",
        "--strata",
        "stratum",
        "--psu",
        "psu",
        *(("--batch-size", str(batch_size)) if batch_size else ()),
    ]
    postgres = settings.database_url.startswith("postgresql")
    with ServerCpu(settings.database_url) if postgres else nullcontext() as server:
        started, cpu = time.perf_counter(), _children_cpu()
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        seconds, cpu = time.perf_counter() - started, _children_cpu() - cpu
    if done.returncode != 0:
        raise SystemExit(f"sipas import failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return seconds, cpu, server.total if server is not None else 0.0, done.stdout.strip()


def count_rows(url: str) -> tuple[int, int]:
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        responses = int(session.scalar(select(func.count()).select_from(Response)) or 0)
        answers = int(session.scalar(select(func.count()).select_from(Answer)) or 0)
    engine.dispose()
    return responses, answers


def measure(name: str, url: str, directory: Path, survey: Path, rows: int, answers: int, batch_size: int | None) -> str:
    settings = prepare_database(url, directory)
    first, first_cpu, first_server, summary = run_import(settings, survey, batch_size)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the largest child so far (Linux: KiB)
    cpu_total = first_cpu + first_server
    print(
        f"  {name}: first import {first:.1f} s → {rows / first:,.0f} lines/s (CPU of the command {first_cpu:.1f} s"
        f"{f', of its server backend {first_server:.1f} s' if first_server else ''}: {rows / cpu_total:,.0f} lines "
        f"per CPU-second) [{summary}]; peak memory of the import processes so far {peak_mb:,.0f} MB"
    )
    again, again_cpu, again_server, summary_again = run_import(settings, survey, batch_size)
    print(
        f"  {name}: same file again {again:.1f} s → {rows / again:,.0f} lines/s (CPU {again_cpu:.1f} s"
        f"{f' + server {again_server:.1f} s' if again_server else ''}) [{summary_again}]"
    )
    stored, stored_answers = count_rows(url)
    parsed = SUMMARY.search(summary_again)
    verified = stored == rows and stored_answers == answers and parsed is not None and parsed.group(2) == "0"
    print(
        f"  {name}: {stored:,} responses and {stored_answers:,} answers in the database — "
        f"{'OK' if verified else 'MISMATCH'}"
    )
    return (
        f"| {name} | {rows:,} | {first:.1f} s | {rows / first:,.0f} lines/s | {first_cpu:.1f} s + {first_server:.1f} s "
        f"({rows / cpu_total:,.0f} lines/CPU-s) | {again:.1f} s "
        f"({rows / again:,.0f} lines/s) | {peak_mb:,.0f} MB |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000, help="lines in the synthetic file (default 200,000)")
    parser.add_argument("--million", action="store_true", help="1,000,000 lines")
    parser.add_argument("--batch-size", type=int, help="--batch-size of sipas import (default: the command's)")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    args = parser.parse_args()
    rows = 1_000_000 if args.million else args.rows

    with ExitStack() as stack:
        directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sipas-import-bench-")))
        survey = directory / "survey.csv"
        started = time.perf_counter()
        answers = write_survey(survey, rows)
        print(
            f"machine: {os.cpu_count()} cores, Python {platform.python_version()}; file: {rows:,} lines, "
            f"{answers:,} answers, {survey.stat().st_size / 1e6:.1f} MB, written in "
            f"{time.perf_counter() - started:.1f} s"
        )
        table = [
            "| Database | Lines | First import | Rate | CPU: command + server | Same file again | Peak memory so far |",
            "|---|---|---|---|---|---|---|",
        ]
        if not args.no_sqlite:
            sqlite_dir = directory / "sqlite"
            sqlite_dir.mkdir()
            table.append(
                measure(
                    "SQLite", f"sqlite:///{sqlite_dir / 'bench.db'}", sqlite_dir, survey, rows, answers, args.batch_size
                )
            )
        if not args.no_postgres:
            try:
                server = stack.enter_context(postgres_server())
            except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
                print(f"  PostgreSQL: not available ({exc})")
            else:
                database = unique_name("sipas_bench_import")
                server.create_database(database)
                stack.callback(server.drop_database, database)
                pg_dir = directory / "pg"
                pg_dir.mkdir()
                table.append(
                    measure("PostgreSQL", server.url(database), pg_dir, survey, rows, answers, args.batch_size)
                )
        print("\n### sipas import (bench/import_csv.py)\n")
        print("\n".join(table))


if __name__ == "__main__":
    main()
