"""``sipas stats``: the analysts' command (registered in app/cli.py)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated, Literal, cast

import typer

from app.errors import Invalid, SipasError
from app.forms.indices import Measures, measures
from app.reports.analysis import StatsRequest, adhoc_measures, analyse
from app.reports.output import row, to_csv, to_json, to_table
from app.stats.intervals import METHODS, Method


def _form_measures(spec: str, satisfied: list[int] | None) -> Measures:
    from app.config import Settings  # only --form needs them: `sipas stats --item` starts faster without
    from app.forms.loader import FormError, load_forms

    form_id, _, version = spec.partition("@")
    try:
        forms = [loaded.definition for loaded in load_forms(Settings().forms_dir) if loaded.definition.id == form_id]
    except FormError as exc:
        raise Invalid(str(exc)) from exc
    if not forms:
        raise Invalid(f"--form: no form {form_id!r} in survey_forms/")
    if version:
        if not version.isdigit() or not any(f.version == int(version) for f in forms):
            known = ", ".join(str(f.version) for f in forms)
            raise Invalid(f"--form: {form_id!r} has no version {version!r} (versions: {known})")
        definition = next(f for f in forms if f.version == int(version))
    else:
        definition = max(forms, key=lambda f: f.version)
    result = measures(definition)
    if satisfied:
        result = replace(result, satisfied={code: frozenset(satisfied) for code in result.items})
    return result


def stats(
    file: Annotated[Path, typer.Argument(help="CSV file (UTF-8), one row per respondent")],
    form: Annotated[str | None, typer.Option(help="ID[@VERSION]: columns named by the form's item codes")] = None,
    item: Annotated[list[str] | None, typer.Option(help="an item column (repeatable); values are scale levels")] = None,
    satisfied_levels: Annotated[str, typer.Option(help="levels that count as satisfied, e.g. 4,5 (or 1)")] = "",
    weight: Annotated[str | None, typer.Option(help="weight column")] = None,
    strata: Annotated[str | None, typer.Option(help="stratum column")] = None,
    psu: Annotated[str | None, typer.Option(help="PSU (cluster) column")] = None,
    fpc: Annotated[str | None, typer.Option(help="population PSUs per stratum, or a sampling fraction ≤ 1")] = None,
    by: Annotated[str, typer.Option(help="domain columns, comma-separated")] = "",
    method: Annotated[str, typer.Option(help=f"interval method: {', '.join(METHODS)}")] = "beta",
    level: Annotated[float, typer.Option(help="confidence level")] = 0.95,
    target: Annotated[float | None, typer.Option(help="target in percent, e.g. 86")] = None,
    output: Annotated[Literal["table", "csv", "json"], typer.Option("--format", help="table, csv or json")] = "table",
) -> None:
    """Weighted satisfaction rates and SIPAS indices with design-based intervals, from a survey file."""
    try:
        typer.echo(_stats(file, form, item or [], satisfied_levels, weight, strata, psu, fpc, by, method, level,
                          target, output), nl=False)  # fmt: skip
    except SipasError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from None


def _stats(file: Path, form: str | None, items: list[str], satisfied_levels: str, weight: str | None,
           strata: str | None, psu: str | None, fpc: str | None, by: str, method: str, level: float,
           target: float | None, output: str) -> str:  # fmt: skip
    if (form is None) == (not items):
        raise Invalid("give either --form ID[@VERSION] or one or more --item COLUMN")
    if method not in METHODS:
        raise Invalid(f"--method: unknown method {method!r}; use one of {', '.join(METHODS)}")
    if not 0 < level < 1:
        raise Invalid("--level: must be between 0 and 1, e.g. 0.95")
    if target is not None and not 0 < target < 100:
        raise Invalid("--target: a percentage between 0 and 100, e.g. 86")
    try:
        levels = [int(part) for part in satisfied_levels.split(",") if part.strip()]
    except ValueError:
        raise Invalid(f"--satisfied-levels: {satisfied_levels!r} is not a list of integers such as 4,5") from None
    chosen = _form_measures(form, levels) if form else adhoc_measures(items, levels or [4, 5])
    by_columns = tuple(part.strip() for part in by.split(",") if part.strip())
    request = StatsRequest(
        measures=chosen, weight=weight, strata=strata, psu=psu, fpc=fpc, by=by_columns, method=cast(Method, method),
        level=level, target=None if target is None else target / 100,
    )  # fmt: skip
    rows = [row(dict(zip(by_columns, result.keys, strict=True)), estimate)
            for result in analyse(file, request) for estimate in result.estimates]  # fmt: skip
    if output == "csv":
        return to_csv(rows, by_columns)
    if output == "json":
        return to_json(rows)
    return to_table(rows, by_columns)
