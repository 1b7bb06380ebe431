"""How fast the officials' dashboard answers on the demo province (figures for docs/benchmarks.md).

For each backend: a fresh database (a SQLite file; a PostgreSQL database on the server tests.support.postgres finds
or starts), migrated and filled with the demo (``app.demo.load_demo``; on PostgreSQL followed by ``ANALYZE``, as
autovacuum would do within a minute), then ``uvicorn app.main:create_app --factory`` (one worker) on a free
loopback port. Logged in as the demo official it times, from the client: the first (cold) load of ``/dashboard``
and of a few agency pages, then the median of ``--repeats`` further loads (served from the dashboard's figure
cache), and ``GET /api/v1/satisfaction?group_by=agency`` (the API does not cache: every call recomputes).

Usage: .venv/bin/python bench/dashboard.py [--repeats 5] [--backend sqlite --backend postgresql] [--no-analyze]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx2 as httpx  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

from app.config import Environment, Settings, resolve_secrets  # noqa: E402
from app.db import make_engine, make_session_factory  # noqa: E402
from app.demo import DEMO_PASSWORD, DEMO_USERNAME, PROVINCE_CODE, load_demo  # noqa: E402
from app.migrate import migrate  # noqa: E402
from app.responses.models import Response  # noqa: E402
from tests.support.live import free_port, uvicorn_command  # noqa: E402
from tests.support.postgres import postgres_server, unique_name  # noqa: E402

# The province itself (its page sums the whole province), the busy service centre, a department, a small commune.
AGENCIES = [PROVINCE_CODE, f"{PROVINCE_CODE}-TTPVHCC", f"{PROVINCE_CODE}-STP", f"{PROVINCE_CODE}-X17"]
API = "/api/v1/satisfaction?group_by=agency"


@dataclass
class Timing:
    cold_s: float
    warm_s: list[float] = field(default_factory=list)

    @property
    def warm_median_s(self) -> float:
        return statistics.median(self.warm_s) if self.warm_s else float("nan")


@dataclass
class Run:
    backend: str
    load_s: float
    responses: int
    timings: dict[str, Timing]


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


@contextlib.contextmanager
def database(backend: str, directory: Path) -> Iterator[str]:
    """A new empty database; dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{directory / 'bench.db'}"
        return
    with postgres_server() as server:
        name = unique_name("sipas_bench_dashboard")
        server.create_database(name)
        try:
            yield server.url(name)
        finally:
            server.drop_database(name)


def load(settings: Settings, backend: str, analyze: bool) -> tuple[float, int]:
    """Migrate, load the demo, let PostgreSQL gather planner statistics; (seconds, responses)."""
    started = time.perf_counter()
    migrate(settings)
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            load_demo(session, settings)
            session.commit()
            responses = session.scalar(select(func.count()).select_from(Response)) or 0
        if backend == "postgresql" and analyze:
            with engine.connect() as connection:
                connection.execute(text("ANALYZE"))
                connection.commit()
    finally:
        engine.dispose()
    return time.perf_counter() - started, responses


@contextlib.contextmanager
def server(settings: Settings, secrets_file: Path, log: Path) -> Iterator[str]:
    """``uvicorn --factory`` with one worker on a free loopback port, until /healthz answers."""
    port = free_port()
    env = {
        **os.environ,
        "SIPAS_DATABASE_URL": settings.database_url,
        "SIPAS_SECRETS_FILE": str(secrets_file),
        "SIPAS_ENV": "test",
        "SIPAS_LOG_LEVEL": "WARNING",
    }
    command = uvicorn_command(port)
    with log.open("wb") as handle:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise SystemExit(f"the server exited ({process.returncode}):\n{log.read_text(errors='replace')}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base_url}/healthz", timeout=2.0).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise SystemExit("the server did not answer /healthz within 60 s")
            time.sleep(0.2)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def timed_get(client: httpx.Client, path: str) -> float:
    started = time.perf_counter()
    response = client.get(path)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"GET {path}: {response.status_code} {response.text[:300]}")
    return elapsed


def measure(base_url: str, repeats: int) -> dict[str, Timing]:
    with httpx.Client(base_url=base_url, timeout=600.0) as client:
        form = client.get("/dashboard/login")  # sets the login form's anti-forgery cookie
        token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', form.text)
        data = {"username": DEMO_USERNAME, "password": DEMO_PASSWORD, "csrf_token": token.group(1) if token else ""}
        answer = client.post("/dashboard/login", data=data, follow_redirects=False)
        if answer.status_code != 303 or "sipas_session" not in client.cookies:
            raise SystemExit(f"login failed: {answer.status_code} {answer.text[:300]}")
        paths = ["/dashboard", *(f"/dashboard/agencies/{code}" for code in AGENCIES), API]
        timings = {path: Timing(timed_get(client, path)) for path in paths}
        for _ in range(repeats):
            for path in paths:
                timings[path].warm_s.append(timed_get(client, path))
    return timings


def run(backend: str, repeats: int, analyze: bool) -> Run:
    with tempfile.TemporaryDirectory(prefix="sipas-bench-dashboard-") as name:
        directory = Path(name)
        secrets_file = directory / "secrets.json"
        with database(backend, directory) as url:
            settings = resolve_secrets(Settings(env=Environment.test, database_url=url, secrets_file=secrets_file))
            load_s, responses = load(settings, backend, analyze)
            print(f"{backend}: demo loaded in {load_s:.1f} s ({responses:,} responses)", flush=True)
            with server(settings, secrets_file, directory / "server.log") as base_url:
                timings = measure(base_url, repeats)
    return Run(backend, load_s, responses, timings)


def milliseconds(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def label(path: str) -> str:
    if path == API:
        return f"`GET {API}` (not cached)"
    return f"`{path}`" + (" (whole province)" if path.endswith(f"/{PROVINCE_CODE}") else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5, help="loads after the first, per page (default 5)")
    parser.add_argument(
        "--backend", action="append", choices=["sqlite", "postgresql"], help="repeat for several (default: both)"
    )
    parser.add_argument(
        "--no-analyze",
        action="store_true",
        help="measure PostgreSQL before it has planner statistics (slow plans; minutes)",
    )
    args = parser.parse_args()
    backends = args.backend or ["sqlite", "postgresql"]
    repeats = max(1, args.repeats)
    runs = [run(backend, repeats, not args.no_analyze) for backend in backends]

    cores = os.cpu_count() or 1
    print(f"\n### Dashboard page loads (bench/dashboard.py --repeats {repeats})\n")
    print(
        f"{cores} cores ({cpu_model()}), {platform.platform()}, Python {platform.python_version()}; demo province "
        f"({runs[0].responses:,} responses), one uvicorn worker, timed by the client over loopback; cached = "
        f"median of {repeats} loads after the first.\n"
    )
    header = " | ".join(f"{r.backend} first | {r.backend} cached" for r in runs)
    print(f"| page | {header} |")
    print("|---|" + "---|" * (2 * len(runs)))
    for path in runs[0].timings:
        figures = " | ".join(
            f"{milliseconds(r.timings[path].cold_s)} | {milliseconds(r.timings[path].warm_median_s)}" for r in runs
        )
        print(f"| {label(path)} | {figures} |")
    analyzed = "postgresql" in backends and not args.no_analyze
    print(
        "| demo load (migrate + load_demo"
        + (" + ANALYZE" if analyzed else "")
        + ") | "
        + " | ".join(f"{r.load_s:.1f} s | –" for r in runs)
        + " |"
    )


if __name__ == "__main__":
    main()
