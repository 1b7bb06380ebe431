"""``sipas agency``, ``sipas kiosk`` and ``sipas official``: the directory from the command line (assembled into
``sipas`` by :mod:`app.cli`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from app.cli_support import friendly_errors, load_settings, run_in_session
from app.directory import service as directory
from app.directory.models import Role
from app.errors import Invalid
from app.officials import passwords, usernames
from app.officials import service as officials

agency_cli = typer.Typer(help="Agencies (the administrative hierarchy)", no_args_is_help=True)
kiosk_cli = typer.Typer(help="Kiosk and tablet devices", no_args_is_help=True)
official_cli = typer.Typer(help="Officials who read the figures", no_args_is_help=True)


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

    run_in_session(load_settings(), task)


@agency_cli.command("list")
@friendly_errors
def agency_list() -> None:
    """One agency per line: code, name, level, parent code (tab-separated; parents before children)."""

    def task(session: Session) -> None:
        for agency, _depth in directory.list_agencies(session):
            parent = agency.parent.code if agency.parent else ""
            typer.echo(f"{agency.code}\t{agency.name_vi}\t{agency.level.value}\t{parent}")

    run_in_session(load_settings(), task)


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

    run_in_session(load_settings(), task)


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

    run_in_session(load_settings(), task)


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
        official = officials.create_official(
            session, username=name, password=password, role=role, agency=scope, display_name=display_name
        )
        session.commit()
        typer.echo(f"official {official.username} created ({role.value}{', ' + scope.code if scope else ''})")

    run_in_session(load_settings(), task)
