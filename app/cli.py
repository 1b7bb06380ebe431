"""`sipas`: the one command-line entry point (serve, migrate, demo, agencies, kiosks, officials)."""

from __future__ import annotations

import functools
import json
import os
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Literal, ParamSpec, TypeVar

import typer
import uvicorn
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session

from app import backup as backups
from app.audit.service import forget_addresses, record
from app.config import Environment, Settings, SettingsError, resolve_secrets
from app.db import make_engine, make_session_factory, refresh_statistics, session_scope
from app.demo import (
    DEMO_COUNTER,
    DEMO_PASSWORD,
    DEMO_USERNAME,
    database_is_empty,
    demo_counter_link,
    demo_kiosk_key,
    load_demo,
)
from app.directory import service as directory
from app.directory.models import Official, Role
from app.errors import Invalid, SipasError
from app.forms.loader import FormError, RegisteredForm, check_registered, load_forms
from app.forms.schema import FormDefinition
from app.logging import logging_config
from app.migrate import migrate as run_migrations
from app.officials import passwords, usernames
from app.officials.service import delete_ended_sessions
from app.public import links, posters
from app.reports.cli import stats as stats_command
from app.responses.importer import MAX_BATCH_SIZE, CsvImport, ImportOptions, ImportReport
from app.stats import plan as planning

cli = typer.Typer(help="SIPAS survey service", no_args_is_help=True, pretty_exceptions_enable=False)
agency_cli = typer.Typer(help="Agencies (the administrative hierarchy)", no_args_is_help=True)
kiosk_cli = typer.Typer(help="Kiosk and tablet devices", no_args_is_help=True)
official_cli = typer.Typer(help="Officials who read the figures", no_args_is_help=True)
link_cli = typer.Typer(
    help="Links citizens open: counters' QR links and single-use dossier links", no_args_is_help=True
)
forms_cli = typer.Typer(help="Form definitions (survey_forms/)", no_args_is_help=True)
cli.add_typer(agency_cli, name="agency")
cli.add_typer(link_cli, name="link")
cli.add_typer(forms_cli, name="forms")
cli.add_typer(kiosk_cli, name="kiosk")
cli.add_typer(official_cli, name="official")
cli.command("stats")(stats_command)

P = ParamSpec("P")
R = TypeVar("R")


def friendly_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Print expected errors as one line on stderr and exit 2, instead of a traceback."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except SipasError as exc:
            typer.echo(f"error: {exc.message}", err=True)
        except (FormError, SettingsError) as exc:
            typer.echo(f"error: {exc}", err=True)
        except ValidationError as exc:  # the settings read from the environment
            for problem in exc.errors():
                name = "SIPAS_" + "_".join(str(part) for part in problem["loc"]).upper()
                typer.echo(f"error: {name}: {problem['msg']}", err=True)
        except ArgumentError as exc:
            typer.echo(f"error: SIPAS_DATABASE_URL: not a usable database URL ({exc})", err=True)
        except OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            typer.echo(f"error: cannot use the database at SIPAS_DATABASE_URL: {reason}", err=True)
        raise typer.Exit(2)

    return wrapper


def _settings() -> Settings:
    return resolve_secrets(Settings())


def _run(settings: Settings, task: Callable[[Session], R]) -> R:
    """Run ``task`` in one session; it commits its own work, anything else is rolled back."""
    engine = make_engine(settings.database_url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            return task(session)
    finally:
        engine.dispose()


@cli.command()
@friendly_errors
def migrate() -> None:
    """Apply database migrations and register the forms of survey_forms/."""
    settings = _settings()
    added = run_migrations(settings)
    typer.echo(f"database at head; {added} new form version(s) registered")


@cli.command("backup")
@friendly_errors
def backup_database(
    file: Annotated[Path, typer.Argument(help="File to write (SQLite copy or pg_dump custom archive)")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite FILE if it exists")] = False,
) -> None:
    """Write a consistent copy of the whole database to FILE (safe while the server runs)."""
    result = backups.backup(_settings().database_url, file, force=force)
    typer.echo(
        f"{file}: {result.kind} backup, {result.size:,} bytes, {result.responses:,} responses, "
        f"schema revision {result.revision}"
    )


@cli.command("restore")
@friendly_errors
def restore_database(
    file: Annotated[Path, typer.Argument(help="A file written by `sipas backup`")],
    force: Annotated[bool, typer.Option("--force", help="Replace a database that already holds data")] = False,
) -> None:
    """Replace the database with a backup (stop the server first)."""
    result = backups.restore(_settings().database_url, file, force=force)
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


@cli.command()
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
    settings = _settings()

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

    addresses, sessions = _run(settings, task)
    typer.echo(
        f"blanked the client address of {addresses:,} audit event(s) older than {addresses_after_days} days; "
        f"deleted {sessions:,} login session(s) ended over {sessions_after_days} days ago"
    )


@cli.command()
@friendly_errors
def demo(
    if_empty: Annotated[bool, typer.Option("--if-empty", help="Do nothing when the database has agencies")] = False,
    seed: Annotated[int, typer.Option(help="Random seed of the synthetic responses")] = 2026,
) -> None:
    """Load the demo province: agencies, counters, 12 months of responses, targets, a demo official and kiosk."""
    settings = _settings()

    def task(session: Session) -> None:
        if not database_is_empty(session):
            if if_empty:
                typer.echo("demo: the database already has data; nothing loaded")
                return
            raise SipasError("the database already has agencies; the demo loads only into an empty database")
        summary = load_demo(session, settings, seed=seed)
        session.commit()
        refresh_statistics(session, "responses", "answers", "population_counts")
        session.commit()
        first, last = summary.months[0], summary.months[-1]
        typer.echo(
            f"demo loaded: {summary.agencies} agencies, {summary.counters} counters, {summary.responses} responses "
            f"({first // 100}-{first % 100:02d} to {last // 100}-{last % 100:02d}), "
            f"{summary.population_counts} population counts, {summary.targets} target(s) at 86%"
        )

    _run(settings, task)


@cli.command("import")
@friendly_errors
def import_responses(
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
    batch_size: Annotated[int, typer.Option(min=1, max=MAX_BATCH_SIZE, help="Responses per insert")] = 2000,
) -> None:
    """Import a survey file (paper, phone, household) as responses of the import channel: all lines or none."""
    settings = _settings()
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
        job = CsvImport(session, settings, _registry(session, settings), file, options)
        for warning in job.warnings:
            typer.echo(f"warning: {warning}", err=True)
        show = sys.stderr.isatty() and job.line_count > 5000
        current, since, last_call, last_shown = "", time.perf_counter(), time.perf_counter(), 0.0

        def progress(phase: str, rows: int) -> None:
            nonlocal current, since, last_call, last_shown
            now = time.perf_counter()
            if phase != current:  # the phase began when the previous one ended
                current, since = phase, last_call
            last_call = now
            if not show or now - last_shown < 0.5:
                return
            last_shown = now
            rate = rows / max(now - since, 1e-9)
            typer.echo(
                f"\r{phase}: {rows:,} of ~{job.line_count - 1:,} lines ({rate:,.0f} rows/s)   ", err=True, nl=False
            )

        try:
            return job.run(progress)
        finally:
            if show:
                typer.echo("", err=True)

    report = _run(settings, task)
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


@cli.command()
@friendly_errors
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on [SIPAS_HOST]")] = None,
    port: Annotated[int | None, typer.Option(help="Port [SIPAS_PORT]")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes [SIPAS_WORKERS]")] = None,
) -> None:
    """Serve the web application and API with uvicorn. The demo official's password and the demo kiosk's key are
    printed only on a start within 10 minutes of `sipas demo` (as in `make run`), never with SIPAS_ENV=production."""
    settings = _settings()
    host, port, workers = host or settings.host, port or settings.port, workers or settings.workers
    base = f"http://{host}:{port}"
    demo_loaded_at = _run(settings, _demo_loaded_at)
    has_demo = demo_loaded_at is not None
    lines = [
        "",
        "SIPAS survey service",
        f"  API documentation    {base}/docs",
        f"  Health check         {base}/healthz",
        f"  Officials' dashboard {base}/dashboard",
        f"  Kiosk page           {base}/kiosk",
    ]
    if has_demo:
        demo_link = _run(settings, lambda session: demo_counter_link(session, settings))
        lines.append(f"  Citizen form         {demo_link}   (demo counter: {DEMO_COUNTER[0]} / {DEMO_COUNTER[1]})")
        just_loaded = demo_loaded_at is not None and datetime.now(UTC) - demo_loaded_at <= DEMO_JUST_LOADED
        if just_loaded and settings.env is not Environment.production:
            lines += [
                f"  Demo official        username {DEMO_USERNAME}  password {DEMO_PASSWORD}",
                f"  Demo kiosk key       {demo_kiosk_key(settings)}",
            ]
        else:
            lines.append(f"  Demo official        username {DEMO_USERNAME}  (password printed only just after loading)")
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
    )


# `sipas serve` prints the demo's password and kiosk key only this soon after `sipas demo` loaded it.
DEMO_JUST_LOADED = timedelta(minutes=10)


def _demo_loaded_at(session: Session) -> datetime | None:
    """When the demo official was created (by `sipas demo`), or None without a demo."""
    return session.scalar(select(Official.created_at).where(Official.username == DEMO_USERNAME))


@agency_cli.command("import")
@friendly_errors
def agency_import(
    file: Annotated[Path, typer.Argument(help="CSV with columns code,name_vi,name_en,level,parent_code")],
) -> None:
    """Create or update agencies from a CSV file (all rows or none)."""

    def task(session: Session) -> None:
        summary = directory.import_agencies(session, file)
        session.commit()
        typer.echo(f"{file}: {summary.created} agencies created, {summary.updated} updated")

    _run(_settings(), task)


@agency_cli.command("list")
@friendly_errors
def agency_list() -> None:
    """One agency per line: code, name, level, parent code (tab-separated; parents before children)."""

    def task(session: Session) -> None:
        for agency, _depth in directory.list_agencies(session):
            parent = agency.parent.code if agency.parent else ""
            typer.echo(f"{agency.code}\t{agency.name_vi}\t{agency.level.value}\t{parent}")

    _run(_settings(), task)


@kiosk_cli.command("create")
@friendly_errors
def kiosk_create(
    agency: Annotated[str, typer.Option(help="Code of the agency the kiosk serves")],
    counter: Annotated[str | None, typer.Option(help="Code of the counter within that agency")] = None,
    label: Annotated[str | None, typer.Option(help="A name to recognise the device by")] = None,
) -> None:
    """Register a kiosk and print its key once (only a hash is stored)."""

    def task(session: Session) -> None:
        owner = directory.get_agency_by_code(session, agency)
        desk = directory.get_counter(session, owner, counter) if counter else None
        device, key = directory.create_device(session, agency=owner, counter=desk, label=label)
        session.commit()
        typer.echo(f"kiosk {device.key_prefix} created for {owner.code}{'/' + desk.code if desk else ''}")
        typer.echo("key (shown once; store it on the device now):")
        typer.echo(key)

    _run(_settings(), task)


@kiosk_cli.command("revoke")
@friendly_errors
def kiosk_revoke(
    key_prefix: Annotated[str, typer.Argument(help="The first 12 characters of the key")],
) -> None:
    """Revoke a kiosk: its key stops working at once."""

    def task(session: Session) -> None:
        device = directory.revoke_device(session, key_prefix=key_prefix)
        session.commit()
        typer.echo(f"kiosk {device.key_prefix} revoked")

    _run(_settings(), task)


@official_cli.command("create")
@friendly_errors
def official_create(
    username: Annotated[str, typer.Option(help="Login name")],
    role: Annotated[Role, typer.Option(help="national, province_admin or agency_official")],
    agency: Annotated[str | None, typer.Option(help="Code of the agency whose subtree the official sees")] = None,
    display_name: Annotated[str | None, typer.Option(help="Full name")] = None,
) -> None:
    """Add an official; the password comes from SIPAS_PASSWORD or a prompt (asked again until it is strong
    enough). The username is NFKC-normalised and lower-cased: 3 to 64 of a-z, 0-9, '.', '_', '-'."""
    name = usernames.normalise(username)
    password = os.environ.get("SIPAS_PASSWORD")
    while not password:
        typed = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        try:
            passwords.check(typed, username=name, display_name=display_name)
        except Invalid as weak:
            typer.echo(f"error: {weak.message}", err=True)
        else:
            password = typed

    def task(session: Session) -> None:
        scope = directory.get_agency_by_code(session, agency) if agency else None
        official = directory.create_official(
            session, username=name, password=password, role=role, agency=scope, display_name=display_name
        )
        session.commit()
        typer.echo(f"official {official.username} created ({role.value}{', ' + scope.code if scope else ''})")

    _run(_settings(), task)


def _registry(session: Session, settings: Settings) -> dict[tuple[str, int], RegisteredForm]:
    return check_registered(session, load_forms(settings.forms_dir))


@link_cli.command("counter")
@friendly_errors
def link_counter(
    agency: Annotated[str, typer.Option(help="Agency code")],
    counter: Annotated[str, typer.Option(help="Counter code within the agency")],
    form: Annotated[str, typer.Option(help="Form the link opens")] = links.DEFAULT_COUNTER_FORM,
) -> None:
    """Print a counter's standing link (the address its QR code carries)."""
    settings = _settings()

    def task(session: Session) -> None:
        desk = directory.get_counter(session, directory.get_agency_by_code(session, agency), counter)
        if links.latest_form(_registry(session, settings), form) is None:
            raise SipasError(f"unknown form {form!r}")
        typer.echo(links.counter_url(settings, desk, form))

    _run(settings, task)


@link_cli.command("revoke")
@friendly_errors
def link_revoke(
    agency: Annotated[str, typer.Option(help="Agency code")],
    counter: Annotated[str, typer.Option(help="Counter code within the agency")],
) -> None:
    """Invalidate every QR code printed so far for a counter (print new posters afterwards)."""
    settings = _settings()

    def task(session: Session) -> None:
        desk = directory.get_counter(session, directory.get_agency_by_code(session, agency), counter)
        links.revoke_counter_links(session, desk)
        session.commit()
        typer.echo(f"links of {agency}/{counter} revoked; the new link is:")
        typer.echo(links.counter_url(settings, desk))

    _run(settings, task)


@link_cli.command("dossier")
@friendly_errors
def link_dossier(
    agency: Annotated[str, typer.Option(help="Agency code")],
    dossier: Annotated[str, typer.Option(help="The dossier code (stored only as a keyed hash)")],
    counter: Annotated[str | None, typer.Option(help="Counter code within the agency")] = None,
    form: Annotated[str, typer.Option(help="Form the link opens")] = links.DEFAULT_DOSSIER_FORM,
    days: Annotated[int | None, typer.Option(help="Days the link stays valid [SIPAS_DOSSIER_LINK_DAYS]")] = None,
) -> None:
    """Mint a single-use feedback link for one dossier and print it."""
    settings = _settings()

    def task(session: Session) -> None:
        owner = directory.get_agency_by_code(session, agency)
        desk = directory.get_counter(session, owner, counter) if counter else None
        link, token = links.mint_dossier_link(
            session,
            settings,
            _registry(session, settings),
            agency=owner,
            counter=desk,
            dossier_code=dossier,
            form_id=form,
            days=days,
            actor="cli",
        )
        session.commit()
        typer.echo(links.link_url(settings, token))
        typer.echo(f"single use; valid until {link.expires_at.astimezone(settings.zone):%Y-%m-%d %H:%M}")

    _run(settings, task)


@forms_cli.command("schema")
def forms_schema() -> None:
    """Print the JSON Schema of the form language (saved as survey_forms/form.schema.json for editors)."""
    typer.echo(form_json_schema(), nl=False)


@forms_cli.command("check")
@friendly_errors
def forms_check(
    directory_: Annotated[Path | None, typer.Argument(metavar="DIR", help="Default: SIPAS_FORMS_DIR")] = None,
) -> None:
    """Validate every form file without touching the database."""
    forms = load_forms(directory_ or Settings().forms_dir)
    for form in forms:
        items = len(form.definition.items)
        typer.echo(f"{form.path}: {form.definition.id} version {form.definition.version}, {items} items, ok")


def form_json_schema() -> str:
    return json.dumps(FormDefinition.model_json_schema(by_alias=True), indent=2, ensure_ascii=False) + "\n"


@cli.command("qr")
@friendly_errors
def qr_files(
    agency: Annotated[str, typer.Option(help="Agency code: its counters and those of every agency below it")],
    out: Annotated[Path, typer.Option(help="Folder to write into (created if missing)")],
    size: Annotated[posters.PaperSize, typer.Option(help="Paper size of the posters")] = "a4",
    form: Annotated[str, typer.Option(help="Form the codes open")] = links.DEFAULT_COUNTER_FORM,
) -> None:
    """Write each counter's QR code (PNG and SVG) and one printable poster file for an agency subtree."""
    settings = _settings()
    if not settings.public_base_url:
        typer.echo(f"warning: SIPAS_PUBLIC_BASE_URL is not set; the codes point to {settings.base_url}", err=True)

    def task(session: Session) -> None:
        root = directory.get_agency_by_code(session, agency)
        if links.latest_form(_registry(session, settings), form) is None:
            raise SipasError(f"unknown form {form!r}")
        written = posters.write_qr_files(session, settings, root, out, size=size, form_id=form)
        for path in written:
            typer.echo(path)
        counters = sum(path.suffix == ".png" for path in written)
        typer.echo(f"{counters} counter(s) of {root.code} and the agencies below it: {len(written)} files in {out}")

    _run(settings, task)


PlanFormat = Literal["text", "json"]
PLAN_OPTIONS = {
    "target_pct": "--target",
    "margin_pct": "--margin",
    "deff": "--deff",
    "population": "--population",
    "level": "--level",
    "counters": "--counters",
    "months": "--months",
    "true_rate_pct": "--true-rate",
    "power": "--power",
}


@cli.command("plan")
@friendly_errors
def plan_sample(
    target: Annotated[float, typer.Option(help="Target rate in % (e.g. 86)")],
    margin: Annotated[float, typer.Option(help="Wanted margin of error, ± percentage points (e.g. 3)")],
    deff: Annotated[float, typer.Option(help="Design effect of the survey (1 = simple random sample)")] = 1.0,
    population: Annotated[int | None, typer.Option(help="N: dossiers the agency handles in the period")] = None,
    level: Annotated[float, typer.Option(help="Confidence level")] = 0.95,
    counters: Annotated[int | None, typer.Option(help="Counters answering: plan for the live design")] = None,
    months: Annotated[int | None, typer.Option(help="Months the figure covers (with --counters)")] = None,
    true_rate: Annotated[float | None, typer.Option(help="A true rate above the target, in %: chance of met")] = None,
    power: Annotated[float | None, typer.Option(help="Chance of met wanted at --true-rate (e.g. 0.8)")] = None,
    format_: Annotated[PlanFormat, typer.Option("--format", help="text or json")] = "text",
) -> None:
    """Responses an agency needs to tell its rate from the target with the wanted margin; with --counters and
    --months, for the live design's degrees of freedom; with --true-rate (and --power), the chance to show met."""
    try:
        result = planning.plan(
            target,
            margin,
            deff=deff,
            population=population,
            level=level,
            counters=counters,
            months=months,
            true_rate_pct=true_rate,
            power=power,
        )
    except planning.PlanError as exc:
        raise SipasError(f"{PLAN_OPTIONS.get(exc.parameter, exc.parameter)}: {exc.reason}") from None
    if format_ == "json":
        typer.echo(json.dumps(asdict(result), indent=2, ensure_ascii=False))
        return
    rule = f"(N = {result.population:,})" if result.population is not None else "(N unknown: the limit 1/e²)"
    fpc = f"(corrected for N = {result.population:,})" if result.population is not None else ""
    rows = [
        ("ministry rule n = N/(1+N·e²):", f"{result.ministry_n:,}", rule),
        ("simple random sample:", f"{result.srs_n:,}", fpc),
        (f"with design effect {result.deff:g}:", f"{result.design_n:,}", _plan_design_note(result)),
    ]
    if isinstance(result, planning.DesignPlan) and result.achieved_power is not None:
        chance = f"{result.achieved_power * 100:.0f}%"
        rows.append((f"chance of met at {result.true_rate_pct:g}%:", chance, f"with {result.design_n:,} responses"))
        if result.power is not None and result.power_n is not None:
            rows.append((f"for {result.power * 100:g}% chance of met:", f"{result.power_n:,}", ""))
    heading = f"target {result.target_pct:g}%, margin ±{result.margin_pct:g} points, {result.level * 100:g}% confidence"
    typer.echo(heading)
    for label, value, note in rows:
        typer.echo(f"{label:<32}{value:>9}   {note}".rstrip())
    typer.echo("\n" + textwrap.fill(result.explanation, width=100))


def _plan_design_note(result: planning.Plan) -> str:
    if not isinstance(result, planning.DesignPlan) or result.counters is None or result.months is None:
        return ""
    counters = f"{result.counters} counter{'' if result.counters == 1 else 's'}"
    months = f"{result.months} month{'' if result.months == 1 else 's'}"
    correction = ", no N correction" if result.population is not None else ""
    return f"(t = {result.t:.4g} on {result.design_df:,} df: {counters} × {months}{correction})"


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
