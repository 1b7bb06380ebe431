"""``sipas stats``: the analysts' command (registered in app/cli.py)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated, Literal, cast

import typer

from app.errors import Invalid, SipasError
from app.forms.indices import Measures, measures
from app.reports.analysis import DEFAULT_LEVELS, DEFAULT_SATISFIED, StatsRequest, adhoc_measures, analyse
from app.reports.output import row, to_csv, to_json, to_table
from app.stats.design import LonelyPsu
from app.stats.intervals import METHODS, Method


def _form_measures(spec: str) -> Measures:
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
    return measures(definition)


def _integers(text: str, option: str, example: str) -> tuple[int, ...] | None:
    """A comma-separated list of distinct integers in the order given; None for an empty option."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts:
        return None
    try:
        values = tuple(int(part) for part in parts)
    except ValueError:
        raise Invalid(f"{option}: {text!r} is not a list of integers such as {example}") from None
    repeated = next((value for value in values if values.count(value) > 1), None)
    if repeated is not None:
        raise Invalid(f"{option}: {repeated} is given twice")
    return values


def _join(values: tuple[int, ...] | list[int]) -> str:
    return ", ".join(map(str, values))


def _scale(
    chosen: Measures, *, levels: tuple[int, ...] | None, satisfied: tuple[int, ...] | None, form: bool
) -> Measures:
    """``--levels`` and ``--satisfied-levels`` over every item's scale; the satisfied levels must be levels."""
    scales = {code: levels or chosen.levels[code] for code in chosen.items}
    wanted = {code: frozenset(satisfied) if satisfied else chosen.satisfied[code] for code in chosen.items}
    for code in chosen.items:
        outside = [value for value in sorted(wanted[code]) if value not in scales[code]]
        if not outside:
            continue
        scale = _join(scales[code])
        if satisfied is None:  # the form's or the default satisfied levels, on the scale --levels gave
            whose = f"the form's satisfied levels of {code!r}" if form else "the default satisfied levels"
            raise Invalid(
                f"--levels: {whose} ({_join(sorted(wanted[code]))}) are not all levels of the scale ({scale}); "
                "give --satisfied-levels too"
            )
        if levels is not None:
            raise Invalid(f"--satisfied-levels: {outside[0]} is not one of --levels ({scale})")
        of = f" of {code!r}" if form else ""
        raise Invalid(
            f"--satisfied-levels: {outside[0]} is not a level of the scale{of} ({scale}); --levels gives the scale"
        )
    return replace(chosen, levels=scales, satisfied=wanted)


def stats(
    *,
    file: Annotated[Path, typer.Argument(help="CSV file (UTF-8), or Parquet file (.parquet), one row per respondent")],
    form: Annotated[
        str | None,
        typer.Option(help="a form ID, or ID@VERSION (default: the newest): columns named by the form's item codes"),
    ] = None,
    item: Annotated[
        list[str] | None, typer.Option(help="an item column (repeatable); its cells are levels of the scale")
    ] = None,
    levels: Annotated[
        str,
        typer.Option(
            help="the scale's levels, comma-separated, e.g. 1,2,3,4,5 or 0,1 (default: the form's scale; 1,2,3,4,5 "
            "for --item); any other answer is an error naming its line and column"
        ),
    ] = "",
    satisfied_levels: Annotated[
        str,
        typer.Option(
            help="levels that count as satisfied, some of --levels, e.g. 4,5 (default: the form's; 4,5 for --item)"
        ),
    ] = "",
    weight: Annotated[str | None, typer.Option(help="weight column")] = None,
    strata: Annotated[str | None, typer.Option(help="stratum column")] = None,
    psu: Annotated[str | None, typer.Option(help="PSU (cluster) column")] = None,
    fpc: Annotated[str | None, typer.Option(help="population PSUs per stratum, or a sampling fraction ≤ 1")] = None,
    lonely_psu: Annotated[
        LonelyPsu,
        typer.Option(
            help="a stratum with a single PSU, as R's options(survey.lonely.psu=...): fail refuses it; remove and "
            "certainty add no variance for it; adjust centres it at the grand mean"
        ),
    ] = "fail",
    by: Annotated[str, typer.Option(help="domain columns, comma-separated")] = "",
    method: Annotated[str, typer.Option(help=f"interval method: {', '.join(METHODS)}")] = "beta",
    level: Annotated[float, typer.Option(help="confidence level")] = 0.95,
    target: Annotated[float | None, typer.Option(help="target in percent, e.g. 86")] = None,
    output: Annotated[Literal["table", "csv", "json"], typer.Option("--format", help="table, csv or json")] = "table",
) -> None:
    """Weighted satisfaction rates and SIPAS indices with design-based intervals, from a survey file."""
    try:
        request = _request(
            form=form,
            items=item or [],
            levels=levels,
            satisfied_levels=satisfied_levels,
            weight=weight,
            strata=strata,
            psu=psu,
            fpc=fpc,
            lonely_psu=lonely_psu,
            by=by,
            method=method,
            level=level,
            target=target,
        )
        rows = [
            row(dict(zip(request.by, result.keys, strict=True)), estimate)
            for result in analyse(file, request)
            for estimate in result.estimates
        ]
    except SipasError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from None
    if output == "csv":
        typer.echo(to_csv(rows, request.by), nl=False)
    elif output == "json":
        typer.echo(to_json(rows), nl=False)
    else:
        typer.echo(to_table(rows, request.by), nl=False)


def _request(
    *,
    form: str | None,
    items: list[str],
    levels: str,
    satisfied_levels: str,
    weight: str | None,
    strata: str | None,
    psu: str | None,
    fpc: str | None,
    lonely_psu: LonelyPsu,
    by: str,
    method: str,
    level: float,
    target: float | None,
) -> StatsRequest:
    """The options checked and turned into a :class:`StatsRequest`."""
    if (form is None) == (not items):
        raise Invalid("give either --form ID[@VERSION] or one or more --item COLUMN")
    if method not in METHODS:
        raise Invalid(f"--method: unknown method {method!r}; use one of {', '.join(METHODS)}")
    if not 0 < level < 1:
        raise Invalid("--level: must be between 0 and 1, e.g. 0.95")
    if target is not None and not 0 < target < 100:
        raise Invalid("--target: a percentage between 0 and 100, e.g. 86")
    scale = _integers(levels, "--levels", "1,2,3,4,5")
    if scale is not None and len(scale) < 2:
        raise Invalid(f"--levels: a scale has at least two levels (got {levels.strip()!r})")
    satisfied = _integers(satisfied_levels, "--satisfied-levels", "4,5")
    base = _form_measures(form) if form else adhoc_measures(items, DEFAULT_SATISFIED, DEFAULT_LEVELS)
    return StatsRequest(
        measures=_scale(base, levels=scale, satisfied=satisfied, form=form is not None),
        weight=weight,
        strata=strata,
        psu=psu,
        fpc=fpc,
        lonely_psu=lonely_psu,
        by=tuple(part.strip() for part in by.split(",") if part.strip()),
        method=cast(Method, method),
        level=level,
        target=None if target is None else target / 100,
        require_items=not form,
        default_levels=not form and scale is None,
    )
