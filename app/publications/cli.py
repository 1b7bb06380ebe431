"""``sipas publish`` and ``sipas publication``: publish a period's figures from the shell, and read them back
(assembled into ``sipas`` by :mod:`app.cli`; the service is :mod:`app.publications.service`)."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.cli_support import friendly_errors, load_settings, run_in_session
from app.directory.models import Official, Role
from app.errors import Forbidden, Invalid, NotFound
from app.forms.loader import check_registered, load_forms
from app.officials.scope import Scope, scope_of
from app.publications import schedules, service
from app.publications.models import Publication
from app.publications.report import report_pdf
from app.publications.verify import Verification, verify
from app.stats.intervals import DEFAULT_METHOD, METHODS, Method

publication_cli = typer.Typer(
    help="Published figures: list them, show one (docs/publications.md).", no_args_is_help=True
)


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid(f"{option}: {text!r} is not a date such as 2026-09-30") from None


def _scope(session: Session, username: str) -> Scope:
    official = session.scalar(select(Official).where(Official.username == username))
    if official is None or not official.active:
        raise NotFound(f"--by: no active official {username!r}")
    scope = scope_of(session, official)
    if not scope.is_admin:
        raise Forbidden(f"--by: {username!r} is not an administrator (province_admin or national)")
    return scope


def _line(found: Publication) -> str:
    agency = found.content.get("agency")
    state = f"superseded by {found.superseded_by_id}" if found.superseded_by_id else "in force"
    state = "draft" if found.draft else state
    state += ", public" if found.public else ""
    return (
        f"{found.id}\t{agency['code'] if agency else 'national'}\t{found.period_start}…{found.period_end}\t"
        f"{found.published_at:%Y-%m-%d %H:%M} UTC by {found.published_by}\t{state}\tsha256 {found.content_hash}"
    )


@friendly_errors
def publish(
    by: Annotated[str | None, typer.Option("--by", help="The administrator publishing (their scope applies)")] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="First day of the period, e.g. 2026-07-01")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last day of the period, e.g. 2026-09-30")] = None,
    agency: Annotated[str | None, typer.Option(help="Root of the subtree (default: the administrator's scope)")] = None,
    method: Annotated[str, typer.Option(help=f"Interval method: {', '.join(METHODS)}")] = DEFAULT_METHOD,
    level: Annotated[float, typer.Option(help="Confidence level")] = 0.95,
    supersedes: Annotated[int | None, typer.Option(help="The publication this one replaces")] = None,
    reason: Annotated[str | None, typer.Option(help="Why it is replaced (with --supersedes)")] = None,
    public: Annotated[bool, typer.Option("--public", help="Show it on the public results page /ket-qua")] = False,
    due: Annotated[bool, typer.Option("--due", help="Instead: draft every scheduled period that has ended")] = False,
    today: Annotated[str | None, typer.Option(help="With --due: the day to count from (default: today)")] = None,
) -> None:
    """Compute a period's figures and freeze them as a publication; prints its id and SHA-256. With --due (from
    cron or a systemd timer): the drafts of the schedules' periods that have ended, each once."""
    if due:
        _due(_day(today, "--today") if today else None)
        return
    missing = [name for name, value in (("--by", by), ("--from", date_from), ("--to", date_to)) if not value]
    if missing:
        raise Invalid(f"{', '.join(missing)}: needed to publish (or --due to draft the scheduled periods)")
    assert by is not None and date_from is not None and date_to is not None
    if method not in METHODS:
        raise Invalid(f"--method: {method!r} is not one of {', '.join(METHODS)}")
    chosen: Method = method  # type: ignore[assignment]
    if not 0.5 <= level < 1:
        raise Invalid(f"--level: {level} must be at least 0.5 and below 1 (e.g. 0.95)")
    request = service.PublishRequest(
        agency=agency,
        date_from=_day(date_from, "--from"),
        date_to=_day(date_to, "--to"),
        method=chosen,
        level=level,
        supersedes=supersedes,
        reason=reason,
        public=public,
    )
    settings = load_settings()
    loaded = load_forms(settings.forms_dir)

    def task(session: Session) -> str:
        scope = _scope(session, by)
        forms = check_registered(session, loaded)
        return _line(service.publish(session, scope, forms, request))

    typer.echo(f"published: {run_in_session(settings, task)}")


def _due(today: date | None) -> None:
    settings = load_settings()
    loaded = load_forms(settings.forms_dir)
    day = today or datetime.now(settings.zone).date()

    def task(session: Session) -> list[schedules.Due]:
        return schedules.due(session, check_registered(session, loaded), day)

    found = run_in_session(settings, task)
    for line in found:
        start, end = line.period
        typer.echo(f"schedule {line.schedule_id}\t{line.agency}\t{start}…{end}\t{line.outcome}")
    if not found:
        typer.echo("no schedule runs")


@publication_cli.command("schedule")
@friendly_errors
def schedule_command(
    by: Annotated[str, typer.Option("--by", help="The administrator ordering the drafts (their scope applies)")],
    every: Annotated[str, typer.Option(help="month or quarter")],
    agency: Annotated[str | None, typer.Option(help="Root of the subtree (default: the administrator's scope)")] = None,
    public: Annotated[bool, typer.Option("--public", help="Its drafts go on /ket-qua when published")] = False,
) -> None:
    """Order a draft of every month or quarter (made by `sipas publish --due` once the period has ended)."""

    def task(session: Session) -> str:
        found = schedules.create_schedule(session, _scope(session, by), agency=agency, every=every, public=public)
        return f"schedule {found.id}: a draft of every {found.every} of {agency or 'the whole scope'}"

    typer.echo(run_in_session(load_settings(), task))


@publication_cli.command("publish-draft")
@friendly_errors
def publish_draft_command(
    publication_id: Annotated[int, typer.Argument(help="The draft's id")],
    by: Annotated[str, typer.Option("--by", help="The administrator publishing it")],
) -> None:
    """Publish a schedule's draft as it is; prints it as `sipas publish` does."""

    def task(session: Session) -> str:
        return _line(service.publish_draft(session, _scope(session, by), publication_id))

    typer.echo(f"published: {run_in_session(load_settings(), task)}")


# Whoever runs `sipas` has the database itself: reading from the shell sees every publication.
OPERATOR = Scope(0, "cli", Role.national, None, None)


@publication_cli.command("list")
@friendly_errors
def list_command(
    agency: Annotated[str | None, typer.Option(help="Only this agency's own publications")] = None,
) -> None:
    """Every publication, newest first: id, agency, period, when and by whom, whether superseded, hash."""

    def task(session: Session) -> list[str]:
        return [_line(found) for found in service.list_publications(session, OPERATOR, agency)]

    for line in run_in_session(load_settings(), task):
        typer.echo(line)


@publication_cli.command("show")
@friendly_errors
def show_command(publication_id: Annotated[int, typer.Argument(help="The publication's id")]) -> None:
    """One publication as JSON: what the API's GET returns (the frozen content with its hash)."""

    def task(session: Session) -> dict[str, Any]:
        found = service.get_publication(session, OPERATOR, publication_id)
        return {
            "id": found.id,
            "content_hash": found.content_hash,
            "superseded_by": found.superseded_by_id,
            "superseded_at": found.superseded_at.isoformat() if found.superseded_at else None,
            "superseded_reason": found.superseded_reason,
            "content": found.content,
        }

    typer.echo(json.dumps(run_in_session(load_settings(), task), ensure_ascii=False, indent=2))


def _said(found: Verification) -> list[str]:
    lines = [
        f"publication {found.publication_id}: "
        + ("stored document intact" if found.intact else "STORED DOCUMENT ALTERED: its hash no longer matches")
        + f"; {found.rows_compared:,} rows recomputed as of the cut-off: "
        + ("EQUAL" if found.equal else f"{len(found.differences)} DIFFER")
    ]
    lines += [f"  {d.where} {d.field}: published {d.published!r}, now {d.now!r}" for d in found.differences]
    lines += [f"  renamed since: {d.where} {d.field}: {d.published!r} → {d.now!r}" for d in found.renamed]
    lines += [f"  could not put back: {what}" for what in found.missing]
    if not found.equal and found.changes_since:
        said = ", ".join(f"{count} × {action}" for action, count in sorted(found.changes_since.items()))
        lines.append(f"  changed since publication, which can move these figures: {said}")
    elif not found.equal:
        lines.append("  no audited change since publication explains it (responses stored late? a code change?)")
    return lines


@publication_cli.command("verify")
@friendly_errors
def verify_command(publication_id: Annotated[int, typer.Argument(help="The publication's id")]) -> None:
    """Recompute a publication from the database as of its data cut-off, with the population counts and targets it
    froze, and compare: exit 0 when its stored document is intact and every figure is equal, 1 otherwise."""
    settings = load_settings()
    loaded = load_forms(settings.forms_dir)

    def task(session: Session) -> Verification:
        found = service.get_publication(session, OPERATOR, publication_id)
        return verify(session, check_registered(session, loaded), found)

    found = run_in_session(settings, task)
    for line in _said(found):
        typer.echo(line)
    if not found.ok:
        raise typer.Exit(1)


@publication_cli.command("pdf")
@friendly_errors
def pdf_command(
    publication_id: Annotated[int, typer.Argument(help="The publication's id")],
    out: Annotated[Path, typer.Option("--out", help="The PDF file to write")],
    lang: Annotated[str, typer.Option(help="vi or en")] = "vi",
) -> None:
    """Write a publication's printable report (A4 PDF, the same file as the API's report.pdf)."""
    if lang not in ("vi", "en"):
        raise Invalid(f"--lang: {lang!r} is not vi or en")

    def task(session: Session) -> bytes:
        found = service.get_publication(session, OPERATOR, publication_id)
        return report_pdf(session, found, "vi" if lang == "vi" else "en")

    content = run_in_session(load_settings(), task)
    try:
        out.write_bytes(content)
    except OSError as exc:
        raise Invalid(f"--out: cannot write {out}: {exc.strerror}") from None
    typer.echo(f"wrote {out} ({len(content):,} bytes)")
