"""``sipas plan``: the sample-size planner of :mod:`app.stats.plan` on the command line, beside its HTTP form in
:mod:`app.planning.router` (assembled into ``sipas`` by :mod:`app.cli`)."""

from __future__ import annotations

import json
import textwrap
from dataclasses import asdict
from typing import Annotated, Literal

import typer

from app.cli_support import friendly_errors
from app.errors import SipasError
from app.planning.service import PlanRequest
from app.stats.plan import DesignPlan, Plan, PlanError

PlanFormat = Literal["text", "json"]


@friendly_errors
def plan_sample(
    *,
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
    request = PlanRequest(target, margin, deff, population, level, counters, months, true_rate, power)
    try:
        result = request.run()
    except PlanError as exc:  # the option as typed: true_rate is --true-rate
        raise SipasError(f"--{exc.parameter.replace('_', '-')}: {exc.reason}") from None
    if format_ == "json":
        typer.echo(json.dumps(asdict(result), indent=2, ensure_ascii=False))
        return
    rule = f"(N = {result.population:,})" if result.population is not None else "(N unknown: the limit 1/e²)"
    fpc = f"(corrected for N = {result.population:,})" if result.population is not None else ""
    rows = [
        ("ministry rule n = N/(1+N·e²):", f"{result.ministry_n:,}", rule),
        ("simple random sample:", f"{result.srs_n:,}", fpc),
        (f"with design effect {result.deff:g}:", f"{result.design_n:,}", _design_note(result)),
    ]
    if isinstance(result, DesignPlan) and result.achieved_power is not None:
        chance = f"{result.achieved_power * 100:.0f}%"
        rows.append((f"chance of met at {result.true_rate_pct:g}%:", chance, f"with {result.design_n:,} responses"))
        if result.power is not None and result.power_n is not None:
            rows.append((f"for {result.power * 100:g}% chance of met:", f"{result.power_n:,}", ""))
    heading = f"target {result.target_pct:g}%, margin ±{result.margin_pct:g} points, {result.level * 100:g}% confidence"
    typer.echo(heading)
    for label, value, note in rows:
        typer.echo(f"{label:<32}{value:>9}   {note}".rstrip())
    typer.echo("\n" + textwrap.fill(result.explanation, width=100))


def _design_note(result: Plan) -> str:
    if not isinstance(result, DesignPlan) or result.counters is None or result.months is None:
        return ""
    counters = f"{result.counters} counter{'' if result.counters == 1 else 's'}"
    months = f"{result.months} month{'' if result.months == 1 else 's'}"
    correction = ", no N correction" if result.population is not None else ""
    return f"(t = {result.t:.4g} on {result.design_df:,} df: {counters} × {months}{correction})"
