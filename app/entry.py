"""The ``sipas`` executable. ``sipas stats`` starts without importing the server, database, demo and import
modules: analysts run it many times on large files, and those imports alone took longer than reading a million
rows. pyarrow, which reads the file, is imported when the file is read (``sipas stats --help`` does without it).
Every other command goes through :mod:`app.cli`, which also lists ``stats`` in ``sipas --help``."""

from __future__ import annotations

import sys


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "stats":
        import typer

        from app.reports.cli import stats

        sys.argv = [f"{sys.argv[0]} stats", *sys.argv[2:]]
        typer.run(stats)
        return
    from app.cli import main as everything

    everything()
