"""``sipas link`` and ``sipas qr``: the links citizens open, and the QR codes and posters that carry them
(assembled into ``sipas`` by :mod:`app.cli`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from app.cli_support import friendly_errors, load_settings, run_in_session
from app.directory import service as directory
from app.errors import SipasError
from app.forms.service import DEFAULT_COUNTER_FORM, DEFAULT_DOSSIER_FORM, form_registry, latest_form
from app.links import posters
from app.links import service as links

link_cli = typer.Typer(
    help="Links citizens open: counters' QR links and single-use dossier links", no_args_is_help=True
)


@link_cli.command("counter")
@friendly_errors
def link_counter(
    agency: Annotated[str, typer.Option(help="Agency code")],
    counter: Annotated[str, typer.Option(help="Counter code within the agency")],
    form: Annotated[str, typer.Option(help="Form the link opens")] = DEFAULT_COUNTER_FORM,
) -> None:
    """Print a counter's standing link (the address its QR code carries)."""
    settings = load_settings()

    def task(session: Session) -> None:
        desk = directory.get_counter(session, directory.get_agency_by_code(session, agency), counter)
        if latest_form(form_registry(session, settings), form) is None:
            raise SipasError(f"unknown form {form!r}")
        typer.echo(links.counter_url(settings, desk, form))

    run_in_session(settings, task)


@link_cli.command("revoke")
@friendly_errors
def link_revoke(
    agency: Annotated[str, typer.Option(help="Agency code")],
    counter: Annotated[str, typer.Option(help="Counter code within the agency")],
) -> None:
    """Invalidate every QR code printed so far for a counter (print new posters afterwards)."""
    settings = load_settings()

    def task(session: Session) -> None:
        desk = directory.get_counter(session, directory.get_agency_by_code(session, agency), counter)
        old_code = desk.short_code
        links.revoke_counter_links(session, desk)
        session.commit()
        typer.echo(f"links of {agency}/{counter} revoked; the new link is:")
        typer.echo(links.counter_url(settings, desk))
        assert desk.short_code is not None
        replaced = f"replaces {old_code}" if old_code else "the counter had none"
        typer.echo(
            f"the new short code is {desk.short_code} ({replaced}): {links.short_url(settings, desk.short_code)}"
        )

    run_in_session(settings, task)


@link_cli.command("dossier")
@friendly_errors
def link_dossier(
    agency: Annotated[str, typer.Option(help="Agency code")],
    dossier: Annotated[str, typer.Option(help="The dossier code (stored only as a keyed hash)")],
    counter: Annotated[str | None, typer.Option(help="Counter code within the agency")] = None,
    form: Annotated[str, typer.Option(help="Form the link opens")] = DEFAULT_DOSSIER_FORM,
    days: Annotated[int | None, typer.Option(help="Days the link stays valid [SIPAS_DOSSIER_LINK_DAYS]")] = None,
) -> None:
    """Mint a single-use feedback link for one dossier and print it."""
    settings = load_settings()

    def task(session: Session) -> None:
        owner = directory.get_agency_by_code(session, agency)
        desk = directory.get_counter(session, owner, counter) if counter else None
        link, token = links.mint_dossier_link(
            session,
            settings,
            form_registry(session, settings),
            agency=owner,
            counter=desk,
            dossier_code=dossier,
            form_id=form,
            days=days,
            actor="cli",
        )
        typer.echo(links.link_url(settings, token))
        typer.echo(f"single use; valid until {link.expires_at.astimezone(settings.zone):%Y-%m-%d %H:%M}")

    run_in_session(settings, task)


@friendly_errors
def qr_files(
    agency: Annotated[str, typer.Option(help="Agency code: its counters and those of every agency below it")],
    out: Annotated[Path, typer.Option(help="Folder to write into (created if missing)")],
    size: Annotated[posters.PaperSize, typer.Option(help="Paper size of the posters")] = "a4",
    form: Annotated[str, typer.Option(help="Form the codes open")] = DEFAULT_COUNTER_FORM,
) -> None:
    """Write each counter's QR code (PNG and SVG) and one printable poster file for an agency subtree."""
    settings = load_settings()
    warning = links.public_address_warning(settings)
    if warning is not None:
        _shout(warning)

    def task(session: Session) -> None:
        root = directory.get_agency_by_code(session, agency)
        if latest_form(form_registry(session, settings), form) is None:
            raise SipasError(f"unknown form {form!r}")
        written = posters.write_qr_files(session, settings, root, out, size=size, form_id=form)
        for path in written:
            typer.echo(path)
        counters = sum(path.suffix == ".png" for path in written)
        typer.echo(f"{counters} counter(s) of {root.code} and the agencies below it: {len(written)} files in {out}")
        if warning is not None:  # again after the list of files, where the eye ends
            typer.secho(f"WARNING: these codes point to {warning.base_url}; see above.", err=True, fg="red", bold=True)

    run_in_session(settings, task)


def _shout(warning: links.AddressWarning) -> None:
    """The address warning on stderr, framed so it is not lost above a long list of files."""
    rule = "!" * 78
    lines = [
        rule,
        f"WARNING: {warning.reason}.",
        f"The QR codes and short codes point to {warning.base_url},",
        f"{warning.reach}: citizens' phones may not open them."
        if not warning.loopback
        else f"{warning.reach}: citizens' phones cannot open them.",
        "Set SIPAS_PUBLIC_BASE_URL to the address citizens reach",
        "(e.g. https://gopy.example.gov.vn) and run `sipas qr` again before printing.",
        rule,
    ]
    for line in lines:
        typer.secho(line, err=True, fg="red", bold=True)
