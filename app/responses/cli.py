"""``sipas import``: survey files (paper, phone, household) as responses of the import channel (assembled into
``sipas`` by :mod:`app.cli`; the rules are in :mod:`app.responses.importer`)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from app.cli_support import friendly_errors, load_settings, run_in_session
from app.forms.service import form_registry
from app.responses.importer import DEFAULT_BATCH_SIZE, MAX_BATCH_SIZE, CsvImport, ImportOptions, ImportReport


@friendly_errors
def import_responses(
    *,
    file: Annotated[Path, typer.Argument(help="CSV file (UTF-8), one response per line, answers in item-code columns")],
    form: Annotated[str, typer.Option(help="The form version the file answers, as ID@VERSION (e.g. sipas-2023@1)")],
    agency_column: Annotated[str, typer.Option(help="Column with the agency code of each line")],
    counter_column: Annotated[str | None, typer.Option(help="Column with a counter code within that agency")] = None,
    date_column: Annotated[
        str | None, typer.Option(help="Column with an ISO date (local noon) or date-time with offset")
    ] = None,
    date: Annotated[str | None, typer.Option(help="One date (YYYY-MM-DD) for every line instead")] = None,
    id_column: Annotated[str | None, typer.Option(help="Column with a respondent id (UUID or any text)")] = None,
    weight: Annotated[str | None, typer.Option(help="Column with the survey weight (a number ≥ 0)")] = None,
    strata: Annotated[str | None, typer.Option(help="Column with the stratum label")] = None,
    psu: Annotated[str | None, typer.Option(help="Column with the cluster (PSU) label")] = None,
    skip_invalid: Annotated[bool, typer.Option(help="Import the valid lines and report the others")] = False,
    batch_size: Annotated[
        int, typer.Option(min=1, max=MAX_BATCH_SIZE, help="Lines checked and staged at a time (memory)")
    ] = DEFAULT_BATCH_SIZE,
    progress: Annotated[
        bool | None,
        typer.Option("--progress/--no-progress", help="Lines/s and time left on stderr (default: on a terminal)"),
    ] = None,
) -> None:
    """Import a survey file (paper, phone, household) as responses of the import channel: all lines or none."""
    settings = load_settings()
    options = ImportOptions(
        form=form,
        agency_column=agency_column,
        counter_column=counter_column,
        date_column=date_column,
        date=date,
        id_column=id_column,
        weight_column=weight,
        strata_column=strata,
        psu_column=psu,
        skip_invalid=skip_invalid,
        batch_size=batch_size,
    )

    def task(session: Session) -> ImportReport:
        job = CsvImport(session, settings, form_registry(session, settings), file, options)
        for warning in job.warnings:
            typer.echo(f"warning: {warning}", err=True)
        meter = ProgressMeter(job.line_count - 1, show=sys.stderr.isatty() if progress is None else progress)
        try:
            return job.run(meter)
        finally:
            meter.close()

    report = run_in_session(settings, task)
    for message in report.messages:
        typer.echo(message, err=True)
    if report.problems > len(report.messages):
        typer.echo(f"… and {report.problems - len(report.messages):,} more problem(s)", err=True)
    if not report.committed:
        typer.echo(
            f"error: {file}: {report.bad_lines:,} bad line(s) of {report.rows:,}; nothing imported "
            "(fix them, or import the other lines with --skip-invalid)",
            err=True,
        )
        raise typer.Exit(2)
    repeated = f", {report.repeated:,} repeated in the file" if report.repeated else ""
    skipped = f"; skipped {report.bad_lines:,} bad line(s)" if report.bad_lines else ""
    typer.echo(
        f"imported {report.imported:,} response{'' if report.imported == 1 else 's'} ({report.new:,} new, "
        f"{report.already:,} already imported{repeated}) "
        f"in {report.seconds:.1f} s{skipped}"
    )


class ProgressMeter:
    """Lines/s and the time left of a long import, on one stderr line rewritten at most twice a second."""

    def __init__(self, lines: int, *, show: bool) -> None:
        self.lines = max(lines, 1)
        self.show = show
        self.started = time.perf_counter()
        self.last_shown = 0.0
        self.shown = False

    def __call__(self, phase: str, rows: int) -> None:
        now = time.perf_counter()
        if not self.show or (now - self.last_shown < 0.5 and phase == "checking"):
            return
        self.last_shown = now
        elapsed = now - self.started
        rate = rows / max(elapsed, 1e-9)
        if phase == "checking":
            left = max(self.lines - rows, 0) / max(rate, 1e-9)
            text = f"checking: {rows:,} of ~{self.lines:,} lines, {rate:,.0f} lines/s, about {left:,.0f} s left"
        else:
            text = f"storing {rows:,} lines (checked at {rate:,.0f} lines/s)…"
        typer.echo(f"\r{text}   ", err=True, nl=False)
        self.shown = True

    def close(self) -> None:
        if self.shown:
            typer.echo("", err=True)
