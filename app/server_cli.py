"""The installation's commands: ``serve``, ``migrate``, ``demo``, ``backup``, ``restore`` and ``purge`` (the
retention run from cron); assembled into ``sipas`` by :mod:`app.cli`."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import backup as backups
from app import partitions
from app.audit.service import forget_addresses, record
from app.cli_support import friendly_errors, load_settings, run_in_session
from app.config import Environment
from app.db import refresh_statistics
from app.demo import (
    DEMO_COUNTER,
    DEMO_PASSWORD,
    DEMO_USERNAME,
    database_is_empty,
    demo_counter_code,
    demo_counter_link,
    demo_kiosk_key,
    load_demo,
)
from app.directory.models import Official
from app.errors import SipasError
from app.http_protocol import HTTP_PROTOCOL
from app.logging import logging_config
from app.migrate import migrate as run_migrations
from app.officials.service import delete_ended_sessions
from app.responses.service import local_period
from app.responses.summary import refresh as refresh_summary


@friendly_errors
def migrate() -> None:
    """Apply database migrations and register the forms of survey_forms/."""
    settings = load_settings()
    done = run_migrations(settings)
    typer.echo(f"database at head; {done.forms_added} new form version(s) registered")
    made, moved = done.partitions.created, done.partitions.moved
    if made:
        typer.echo(f"partitions made for {len(made)} month(s): {_month(made[0])} to {_month(made[-1])}")
    for month, count in sorted(moved.items()):
        typer.echo(f"{_month(month)}: {count:,} response(s) moved from the default partition into their own")


def _month(month: int) -> str:
    return f"{month // 100}-{month % 100:02d}"


@friendly_errors
def backup_database(
    file: Annotated[Path, typer.Argument(help="File to write (SQLite copy or pg_dump custom archive)")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite FILE if it exists")] = False,
) -> None:
    """Write a consistent copy of the whole database to FILE (safe while the server runs)."""
    result = backups.backup(load_settings().database_url, file, force=force)
    typer.echo(
        f"{file}: {result.kind} backup, {result.size:,} bytes, {result.responses:,} responses, "
        f"schema revision {result.revision}"
    )


@friendly_errors
def restore_database(
    file: Annotated[Path, typer.Argument(help="A file written by `sipas backup`")],
    force: Annotated[bool, typer.Option("--force", help="Replace a database that already holds data")] = False,
) -> None:
    """Replace the database with a backup (stop the server first)."""
    result = backups.restore(load_settings().database_url, file, force=force)
    typer.echo(
        f"{file}: restored into the {result.kind} database, {result.responses:,} responses, "
        f"schema revision {result.revision}"
    )
    if result.needs_migrate:
        typer.echo(
            f"warning: the backup's schema revision {result.revision} is older than this code's "
            f"{result.head}: run `sipas migrate` before `sipas serve`",
            err=True,
        )


@friendly_errors
def purge(
    addresses_after_days: Annotated[
        int, typer.Option(min=1, help="Blank officials' client addresses in audit events older than this")
    ] = 180,
    sessions_after_days: Annotated[
        int, typer.Option(min=1, help="Delete login sessions that ended longer ago than this")
    ] = 30,
) -> None:
    """Forget officials' old client addresses (run it daily, e.g. from cron); responses are never touched."""
    settings = load_settings()

    def task(session: Session) -> tuple[int, int]:
        now = datetime.now(UTC)
        addresses = forget_addresses(session, before=now - timedelta(days=addresses_after_days))
        sessions = delete_ended_sessions(session, before=now - timedelta(days=sessions_after_days))
        details = {
            "addresses_blanked": addresses,
            "sessions_deleted": sessions,
            "addresses_after_days": addresses_after_days,
            "sessions_after_days": sessions_after_days,
        }
        record(session, action="privacy.purge", actor="cli", details=details)
        session.commit()
        return addresses, sessions

    addresses, sessions = run_in_session(settings, task)
    typer.echo(
        f"blanked the client address of {addresses:,} audit event(s) older than {addresses_after_days} days; "
        f"deleted {sessions:,} login session(s) ended over {sessions_after_days} days ago"
    )


@friendly_errors
def demo(
    if_empty: Annotated[bool, typer.Option("--if-empty", help="Do nothing when the database has agencies")] = False,
    seed: Annotated[int, typer.Option(help="Random seed of the synthetic responses")] = 2026,
) -> None:
    """Load the demo province: agencies, counters, 12 months of responses, targets, a demo official and kiosk."""
    settings = load_settings()

    def task(session: Session) -> None:
        if not database_is_empty(session):
            if if_empty:
                typer.echo("demo: the database already has data; nothing loaded")
                return
            raise SipasError("the database already has agencies; the demo loads only into an empty database")
        summary = load_demo(session, settings, seed=seed)
        session.commit()
        refresh_summary(session)  # fold the demo's responses into the figures' summary at once
        refresh_statistics(session, "responses", "answers", "population_counts", "response_sums")
        session.commit()
        first, last = summary.months[0], summary.months[-1]
        typer.echo(
            f"demo loaded: {summary.agencies} agencies, {summary.counters} counters, {summary.responses} responses "
            f"({first // 100}-{first % 100:02d} to {last // 100}-{last % 100:02d}), "
            f"{summary.population_counts} population counts, {summary.targets} target(s) at 86%"
        )

    run_in_session(settings, task)


@friendly_errors
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on [SIPAS_HOST]")] = None,
    port: Annotated[int | None, typer.Option(help="Port [SIPAS_PORT]")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes [SIPAS_WORKERS]")] = None,
) -> None:
    """Serve the web application and API with uvicorn. The demo official's password and the demo kiosk's key are
    printed only on a start within 10 minutes of `sipas demo` (as in `make run`), never with SIPAS_ENV=production."""
    settings = load_settings()
    host, port, workers = host or settings.host, port or settings.port, workers or settings.workers
    base = f"http://{host}:{port}"
    demo_loaded_at = run_in_session(settings, _demo_loaded_at)
    has_demo = demo_loaded_at is not None
    lines = [
        "",
        "SIPAS survey service",
        f"  API documentation    {base}/docs",
        f"  Health check         {base}/healthz",
        f"  Officials' dashboard {base}/dashboard",
        f"  Kiosk page           {base}/kiosk",
        f"  Front door           {base}/   (type a counter's code, or scan its QR code)",
    ]
    if has_demo:
        demo_link = run_in_session(settings, lambda session: demo_counter_link(session, settings))
        demo_code = run_in_session(settings, demo_counter_code)
        lines.append(f"  Citizen form         {demo_link}   (demo counter: {DEMO_COUNTER[0]} / {DEMO_COUNTER[1]})")
        lines.append(f"  Demo counter's code  {demo_code}   (type it on the front door, or open {base}/q/{demo_code})")
        just_loaded = demo_loaded_at is not None and datetime.now(UTC) - demo_loaded_at <= DEMO_JUST_LOADED
        if just_loaded and settings.env is not Environment.production:
            lines += [
                f"  Demo official        username {DEMO_USERNAME}  password {DEMO_PASSWORD}",
                f"  Demo kiosk key       {demo_kiosk_key(settings)}",
            ]
        else:
            lines.append(f"  Demo official        username {DEMO_USERNAME}  (password printed only just after loading)")
    _today, month = local_period(datetime.now(UTC), settings.zone)
    missing = run_in_session(settings, lambda session: partitions.missing_soon(session.connection(), month))
    if missing:
        lines.append(
            f"  Warning: no month partitions yet for {', '.join(_month(month) for month in missing)}: run "
            "`sipas migrate` (answers of those months go to the default partition until then)"
        )
    typer.echo("\n".join([*lines, ""]))
    os.environ.setdefault("SIPAS_SECRETS_FILE", str(settings.secrets_file.resolve()))
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=logging_config(settings.log_level, settings.log_json),
        # The app reads X-Forwarded-For itself, from SIPAS_TRUSTED_PROXIES only (app/security.py ForwardedClient);
        # uvicorn's own handling would trust 127.0.0.1 and pass on any text.
        proxy_headers=False,
        http=HTTP_PROTOCOL,  # httptools with a bound on a request's head (app/http_protocol.py)
    )


# `sipas serve` prints the demo's password and kiosk key only this soon after `sipas demo` loaded it.
DEMO_JUST_LOADED = timedelta(minutes=10)


def _demo_loaded_at(session: Session) -> datetime | None:
    """When the demo official was created (by `sipas demo`), or None without a demo."""
    return session.scalar(select(Official.created_at).where(Official.username == DEMO_USERNAME))
