"""Breakdowns of one selection (the dashboard's "Phân tích" page): the overall index by procedure field, channel,
respondent profile band and local hour × weekday, and the rate of every question — one selection, one design, one
read snapshot and one pass over the responses (:func:`app.reports.satisfaction.grouped_together`: domains of the
whole selection's design, the same engine and reliability rule as every other figure).

The hour × weekday grid adds the number of responses in each cell (a plain count, no estimate) and, for the heat
map of dissatisfaction, the complement of the overall index with the reliability rule applied to the share shown
(:func:`not_satisfied`)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from app.db import in_one_snapshot
from app.forms.loader import RegisteredForm
from app.forms.schemas import PROFILE_FIELDS, Text
from app.officials.scope import Scope
from app.reports.query import Meta
from app.reports.satisfaction import PROFILE_COLUMNS, Result, Row, grouped_together, profile_options
from app.reports.selection import FigureSelection, figure_selection, local_clock
from app.responses.models import Response
from app.responses.selection import Filters
from app.stats.estimates import Estimate
from app.stats.reliability import flags_for

Forms = dict[tuple[str, int], RegisteredForm]


@dataclass(frozen=True)
class Breakdowns:
    meta: Meta
    total: list[Row]  # the overall index of the whole selection
    by_field: Result  # overall index per procedure field (and "not stated")
    by_channel: Result
    by_item: Result  # every question's rate (and the element and component indices)
    by_profile: dict[str, Result]  # profile field → overall index per band, for the fields someone stated
    unstated_profiles: tuple[str, ...]  # profile fields nobody in the selection stated
    clock: Result  # overall index per (weekday, hour)
    responses_per_cell: dict[tuple[int, int], int]  # (weekday 1–7, hour 0–23) → responses
    profile_labels: dict[str, dict[str, Text]] = field(default_factory=dict)  # field → band code → label


@in_one_snapshot
def breakdowns(session: Session, scope: Scope, forms: Forms, filters: Filters, *, zone: ZoneInfo) -> Breakdowns:
    """Every breakdown of the selection ``filters`` describes, in one read snapshot."""
    selected = figure_selection(session, scope, forms, filters)
    stated = stated_profile_fields(session, selected)
    groupings = [
        ["procedure_field"],
        ["channel"],
        ["item"],
        ["weekday", "hour"],
        *([f"profile:{name}"] for name in stated),
    ]
    together = grouped_together(session, forms, selected, filters, groupings, zone=zone)
    by_field, by_channel, by_item, clock, *by_profiles = together.results
    by_profile = dict(zip(stated, by_profiles, strict=True))
    return Breakdowns(
        meta=selected.meta,
        total=by_field.total,
        by_field=by_field,
        by_channel=by_channel,
        by_item=by_item,
        by_profile=by_profile,
        unstated_profiles=tuple(name for name in PROFILE_FIELDS if name not in stated),
        clock=clock,
        responses_per_cell=responses_per_cell(session, selected, filters, zone),
        profile_labels=profile_options(forms, selected.definition),
    )


def _in_selection(selected: FigureSelection) -> list[ColumnElement[Any]]:
    """The selection's conditions and its domain (a channel or procedure-field filter)."""
    conditions: list[ColumnElement[Any]] = list(selected.query.filters)
    if selected.keep is not None:
        conditions.append(selected.keep)
    return conditions


def stated_profile_fields(session: Session, selected: FigureSelection) -> list[str]:
    """The profile fields at least one response of the selection stated, in the order of ``PROFILE_FIELDS``."""
    counts = session.execute(
        select(*(func.count(PROFILE_COLUMNS[name]) for name in PROFILE_FIELDS))
        .select_from(Response)
        .where(*_in_selection(selected))
    ).one()
    return [name for name, count in zip(PROFILE_FIELDS, counts, strict=True) if count]


def responses_per_cell(
    session: Session, selected: FigureSelection, filters: Filters, zone: ZoneInfo
) -> dict[tuple[int, int], int]:
    """Responses of the selection per (ISO weekday, local hour): a count, not an estimate. The hour and weekday are
    labelled in a subquery and grouped outside it (PostgreSQL would not match a GROUP BY expression whose time-zone
    parameter is bound twice)."""
    clock = local_clock(session.get_bind().dialect.name, zone, filters.date_from, filters.date_to)
    cells = (
        select(clock.weekday.label("weekday"), clock.hour.label("hour"))
        .select_from(Response)
        .where(*_in_selection(selected))
        .subquery("cells")
    )
    rows = session.execute(
        select(cells.c.weekday, cells.c.hour, func.count()).group_by(cells.c.weekday, cells.c.hour)
    ).all()
    return {(int(weekday), int(hour)): int(count) for weekday, hour, count in rows}


def not_satisfied(estimate: Estimate) -> Estimate:
    """The share not satisfied, 1 − p, with its interval [1 − high, 1 − low] (the same interval, mirrored) and the
    reliability rule applied to the share shown: n, n_eff, df and the width are those of p, but the NCHS relative
    width rule (wider than 5 points and than 130% of the estimate) is judged on 1 − p — a small dissatisfied share
    with a wide interval is unreliable even where the satisfied share is not. No target, no verdict."""
    share = 1 - estimate.estimate
    flags = flags_for(
        share,
        1 - estimate.high,
        1 - estimate.low,
        n=estimate.n,
        n_eff=estimate.n_eff,
        df=estimate.df,
        fallback="interval_fallback" in estimate.flags,
        variance_fallback="variance_fallback" in estimate.flags,
    )
    return replace(
        estimate,
        estimate=share,
        low=1 - estimate.high,
        high=1 - estimate.low,
        target=None,
        verdict=None,
        p_value_below_target=None,
        flags=flags,
    )
