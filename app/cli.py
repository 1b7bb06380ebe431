"""`sipas`: the one command-line entry point. Each domain keeps its commands in its own ``cli.py`` (their shared
helpers in :mod:`app.cli_support`); this module only assembles them, in the order ``sipas --help`` lists them."""

from __future__ import annotations

import typer

from app.admin.cli import agency_cli, kiosk_cli, official_cli
from app.forms.cli import forms_cli
from app.links.cli import link_cli, qr_files
from app.planning.cli import plan_sample
from app.publications.cli import publication_cli, publish
from app.reports.cli import stats
from app.responses.cli import import_responses
from app.responses.summary_cli import summary_cli
from app.server_cli import backup_database, demo, migrate, purge, restore_database, serve

cli = typer.Typer(help="SIPAS survey service", no_args_is_help=True, pretty_exceptions_enable=False)
cli.command("stats")(stats)
cli.command("migrate")(migrate)
cli.command("backup")(backup_database)
cli.command("restore")(restore_database)
cli.command("purge")(purge)
cli.command("demo")(demo)
cli.command("import")(import_responses)
cli.command("serve")(serve)
cli.command("qr")(qr_files)
cli.command("plan")(plan_sample)
cli.command("publish")(publish)
cli.add_typer(agency_cli, name="agency")
cli.add_typer(link_cli, name="link")
cli.add_typer(forms_cli, name="forms")
cli.add_typer(kiosk_cli, name="kiosk")
cli.add_typer(official_cli, name="official")
cli.add_typer(summary_cli, name="summary")
cli.add_typer(publication_cli, name="publication")


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
