"""``sipas forms``: the form definitions of survey_forms/ (assembled into ``sipas`` by :mod:`app.cli`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from app.cli_support import friendly_errors
from app.config import Settings
from app.forms.loader import load_forms
from app.forms.schemas import FormDefinition

forms_cli = typer.Typer(help="Form definitions (survey_forms/)", no_args_is_help=True)


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
