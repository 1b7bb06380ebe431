"""How long the demo load takes and how large the SQLite file gets (figures for docs/benchmarks.md).

Usage: .venv/bin/python bench/demo_load.py [--seed N]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from app.config import Environment, Settings, resolve_secrets
from app.db import make_engine, make_session_factory
from app.demo import load_demo
from app.migrate import migrate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "bench.db"
        settings = resolve_secrets(
            Settings(env=Environment.test, database_url=f"sqlite:///{path}", secrets_file=Path(directory) / "s.json")
        )
        started = time.perf_counter()
        migrate(settings)
        migrated = time.perf_counter()
        engine = make_engine(settings.database_url)
        with make_session_factory(engine)() as session:
            summary = load_demo(session, settings, seed=args.seed)
            session.commit()
        loaded = time.perf_counter()
        engine.dispose()
        size_mb = sum(p.stat().st_size for p in Path(directory).glob("bench.db*")) / 1e6
        print(f"migrate: {migrated - started:.2f} s")
        print(f"demo load: {loaded - migrated:.2f} s for {summary.responses} responses, {summary.answers} answers")
        print(f"rate: {summary.responses / (loaded - migrated):.0f} responses/s")
        print(f"sqlite file: {size_mb:.1f} MB")


if __name__ == "__main__":
    main()
