"""``sipas summary``: fold the tail into the summary of sufficient statistics, rebuild it, or check it against the
raw tables (assembled into ``sipas`` by :mod:`app.cli`; the summary is :mod:`app.responses.summary`)."""

from __future__ import annotations

import time

import typer
from sqlalchemy.orm import Session

from app.cli_support import friendly_errors, load_settings, run_in_session
from app.responses.summary import Difference, Refreshed, check, rebuild, refresh

summary_cli = typer.Typer(
    help="The summary of sufficient statistics every figure reads (docs/operations.md): refresh, rebuild, check.",
    no_args_is_help=True,
)


def _said(action: str, done: Refreshed, seconds: float) -> str:
    folded = f"{done.responses:,} live responses folded into the summary ({done.marked:,} marked)"
    return f"{action}: {folded} in {seconds:.1f} s"


@summary_cli.command("refresh")
@friendly_errors
def refresh_command() -> None:
    """Fold the responses stored since the last refresh into the summary (the server does it every few seconds)."""
    started = time.perf_counter()
    done = run_in_session(load_settings(), refresh)
    typer.echo(_said("refreshed", done, time.perf_counter() - started))


@summary_cli.command("rebuild")
@friendly_errors
def rebuild_command() -> None:
    """Empty the summary and compute it again from every stored response (after a restore, or a failed check)."""
    started = time.perf_counter()
    done = run_in_session(load_settings(), rebuild)
    typer.echo(_said("rebuilt", done, time.perf_counter() - started))


def _row(difference: Difference) -> str:
    def said(value: tuple[int, float] | None) -> str:
        return "none" if value is None else f"{value[0]:,} responses, Σw {value[1]:,.6g}"

    return f"  cell {difference.key}: summary {said(difference.summary)}, raw {said(difference.raw)}"


@summary_cli.command("check")
@friendly_errors
def check_command() -> None:
    """Compare the summary with the responses it holds, recomputed from the raw tables; exit 1 when they differ."""

    def task(session: Session) -> tuple[int, list[Difference]]:
        return check(session)

    compared, differences = run_in_session(load_settings(), task)
    if not differences:
        typer.echo(f"the summary equals the raw tables ({compared:,} cells compared)")
        return
    typer.echo(f"the summary differs from the raw tables in {len(differences)} cell(s) (first shown):", err=True)
    for difference in differences:
        typer.echo(_row(difference), err=True)
    typer.echo("repair: sipas summary rebuild", err=True)
    raise typer.Exit(1)
