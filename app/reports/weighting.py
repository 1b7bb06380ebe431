"""Weights of live responses from population counts: N/n per agency period, raked to procedure-field counts.

Each response of an agency's counted period stands for N/n dossiers: N handled (the population count), n responses
received in the whole period, whatever dates a report asks about. Where counts by procedure field exist too, the
weights are raked (iterative proportional fitting, :func:`app.stats.weights.rake_to_counts`) so that the responses
of each counted period add up to its total and those of each field to the field's share: a field that handles half
the dossiers but gets a tenth of the answers is no longer under-represented. Months without a total count take the
overall ΣN/Σn of the counted periods, and the answer's ``meta`` names their agencies.

Weights are constant within an (agency, month) stratum, or within an (agency, month, field) cell when raked, so they
are applied to the sums after the GROUP BY (``SumsQuery.stratum_weights``) instead of joined to every row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.reference.models import PopulationCount
from app.reports.tally import Tally
from app.responses.summary import whole_months
from app.stats.weights import rake_to_counts


class Cell(NamedTuple):
    """The responses of one agency, month and procedure field (None: not stated)."""

    agency_id: int
    month: int  # yyyymm
    field_id: int | None
    whole: int  # responses of the cell, whatever the dates asked
    selected: int  # those within the dates
    last: date | None  # the newest selected date


def cells(tally: Tally) -> list[Cell]:
    """The tally's responses per agency, month and procedure field."""
    found: dict[tuple[int, int, int | None], list[Any]] = {}
    for count in tally.counts:
        key = (count.agency_id, count.month, count.field_id)
        cell = found.get(key)
        if cell is None:
            found[key] = [count.whole, count.selected, count.last]
        else:
            cell[0] += count.whole
            cell[1] += count.selected
            if count.last is not None and (cell[2] is None or count.last > cell[2]):
                cell[2] = count.last
    return [Cell(*key, whole, selected, last) for key, (whole, selected, last) in found.items()]


@dataclass(frozen=True)
class Weights:
    """Weights by (agency, month) — or (agency, month, field) when ``by_field`` — and what meta says of them."""

    weights: dict[tuple[Any, ...], float]
    by_field: bool
    uncounted: int  # selected responses in months without a total count (given the overall ΣN/Σn)
    uncounted_agencies: tuple[int, ...]


def _month_range(start: date, end: date) -> tuple[int, int]:
    return start.year * 100 + start.month, end.year * 100 + end.month


def whole_month_weights(session: Session, found: Sequence[Cell]) -> Weights | None:
    """N/n per (agency, month) when every population period of these agencies is whole months (the usual
    monthly, quarterly or yearly counts), raked to the field counts when there are any; None otherwise (the weights
    are then joined row by row in SQL, without field counts)."""
    agencies = {cell.agency_id for cell in found}
    counts = session.execute(
        select(
            PopulationCount.agency_id,
            PopulationCount.procedure_field_id,
            PopulationCount.period_start,
            PopulationCount.period_end,
            PopulationCount.dossiers_handled,
        ).where(PopulationCount.agency_id.in_(agencies))
    ).all()
    if not all(whole_months(start, end) for _a, _f, start, end, _n in counts):
        return None
    by_agency: dict[int, list[int]] = {}
    for i, cell in enumerate(found):
        by_agency.setdefault(cell.agency_id, []).append(i)
    totals = [(a, _month_range(start, end), float(n)) for a, f, start, end, n in counts if f is None]
    fields = [(a, f, _month_range(start, end), float(n)) for a, f, start, end, n in counts if f is not None]
    # Margin 1: each total count's period; only periods with responses count (their N has someone to stand for it).
    period_of: dict[int, int] = {}
    period_totals: list[float] = []
    period_n: list[int] = []
    for agency_id, (first, last), dossiers in totals:
        members = [i for i in by_agency.get(agency_id, ()) if first <= found[i].month <= last]
        n = sum(found[i].whole for i in members)
        if n == 0:
            continue
        for i in members:
            period_of[i] = len(period_totals)
        period_totals.append(dossiers)
        period_n.append(n)
    overall = sum(period_totals) / sum(period_n) if period_totals else 1.0
    # Margin 2: each field count's (agency, period, field), grouped by (agency, period): the field mix.
    field_of: dict[int, int] = {}
    field_totals: list[float] = []
    field_group: list[int] = []
    groups: dict[tuple[int, tuple[int, int]], int] = {}
    for agency_id, field_id, (first, last), dossiers in fields:
        members = [
            i
            for i in by_agency.get(agency_id, ())
            if i in period_of and found[i].field_id == field_id and first <= found[i].month <= last
        ]
        if not members:
            continue
        for i in members:
            field_of[i] = len(field_totals)
        field_group.append(groups.setdefault((agency_id, (first, last)), len(groups)))
        field_totals.append(dossiers)
    by_field = bool(field_totals)
    sizes = np.array([float(c.whole) for c in found])
    weighted = np.full(len(found), np.nan)
    if period_totals:
        rows = np.array(sorted(period_of), dtype=np.intp)
        fitted = rake_to_counts(
            sizes[rows],
            np.array([period_of[i] for i in rows], dtype=np.intp),
            np.array(period_totals),
            np.array([field_of.get(i, -1) for i in rows], dtype=np.intp),
            np.array(field_totals),
            np.array(field_group, dtype=np.intp),
        )
        weighted[rows] = fitted / sizes[rows]
    weights: dict[tuple[Any, ...], float] = {}
    uncounted = 0
    uncounted_agencies: set[int] = set()
    for i, cell in enumerate(found):
        key: tuple[Any, ...] = (cell.agency_id, cell.month, cell.field_id) if by_field else (cell.agency_id, cell.month)
        if i in period_of:
            weights[key] = float(weighted[i])
        else:
            weights[key] = overall
            uncounted += cell.selected
            if cell.selected:
                uncounted_agencies.add(cell.agency_id)
    return Weights(weights, by_field, uncounted, tuple(sorted(uncounted_agencies)))
