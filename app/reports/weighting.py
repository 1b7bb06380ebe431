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

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.partitions import month_number
from app.reference.models import PopulationCount
from app.reports.numbering import labels
from app.reports.tally import NO_DATE, NO_FIELD, Tally
from app.responses.summary import whole_months
from app.stats.weights import rake_to_counts


@dataclass(frozen=True)
class Cells:
    """The responses per agency, month and procedure field (``NO_FIELD``: not stated), as columns in the order the
    tally first shows each cell."""

    agency_id: NDArray[np.int64]
    month: NDArray[np.int64]  # yyyymm
    field_id: NDArray[np.int64]
    whole: NDArray[np.int64]  # responses of the cell, whatever the dates asked
    selected: NDArray[np.int64]  # those within the dates
    last: NDArray[np.int64]  # the newest selected date as yyyymmdd (NO_DATE: none)

    @property
    def responses(self) -> int:
        """Responses within the dates."""
        return int(self.selected.sum())

    @property
    def newest(self) -> date | None:
        """The newest date within the dates."""
        newest = int(self.last.max(initial=NO_DATE))
        return None if newest == NO_DATE else date(newest // 10000, newest // 100 % 100, newest % 100)

    def agencies(self) -> tuple[int, ...]:
        return tuple(int(agency) for agency in np.unique(self.agency_id))


def cells(tally: Tally) -> Cells:
    """The tally's responses per agency, month and procedure field."""
    cell, head = labels([tally.agency_id, tally.month, tally.field_id], tally.agency_id.size)
    size = head.size
    last = np.full(size, NO_DATE, dtype=np.int64)
    np.maximum.at(last, cell, tally.last)
    return Cells(
        agency_id=tally.agency_id[head],
        month=tally.month[head],
        field_id=tally.field_id[head],
        whole=np.bincount(cell, weights=tally.whole, minlength=size).astype(np.int64),
        selected=np.bincount(cell, weights=tally.selected, minlength=size).astype(np.int64),
        last=last,
    )


@dataclass(frozen=True)
class Weights:
    """Weights by (agency, month) — or (agency, month, field) when ``by_field`` — and what meta says of them."""

    weights: dict[tuple[Any, ...], float]
    by_field: bool
    uncounted: int  # selected responses in months without a total count (given the overall ΣN/Σn)
    uncounted_agencies: tuple[int, ...]


def whole_month_weights(session: Session, found: Cells) -> Weights | None:
    """N/n per (agency, month) when every population period of these agencies is whole months (the usual
    monthly, quarterly or yearly counts), raked to the field counts when there are any; None otherwise (the weights
    are then joined row by row in SQL, without field counts). Column by column: a national selection has 200,000
    cells and 24,000 counts."""
    agencies = np.unique(found.agency_id)
    counts = session.execute(
        select(
            PopulationCount.agency_id,
            PopulationCount.procedure_field_id,
            PopulationCount.period_start,
            PopulationCount.period_end,
            PopulationCount.dossiers_handled,
        ).where(PopulationCount.agency_id.in_(agencies.tolist()))
    ).all()
    if not all(whole_months(start, end) for _a, _f, start, end, _n in counts):
        return None
    size = found.agency_id.size
    keys = _CellKeys(found)
    totals = [(a, month_number(start), month_number(end), float(n)) for a, f, start, end, n in counts if f is None]
    fields = [
        (a, f, month_number(start), month_number(end), float(n)) for a, f, start, end, n in counts if f is not None
    ]
    # Margin 1: each total count's period; only periods with responses count (their N has someone to stand for it).
    # A cell in two counted periods (overlapping counts) belongs to the later one, as the counts are listed.
    period_of = np.full(size, -1, dtype=np.intp)
    period_totals: list[float] = []
    period_n: list[int] = []
    if totals:
        agency, first, last, dossiers = (np.array(column) for column in zip(*totals, strict=True))
        low, high = keys.by_month.slices(keys.agency_code(agency), first, last)
        members = keys.by_month.sums(found.whole, low, high)
        for k in np.flatnonzero(members > 0).tolist():
            period_of[keys.by_month.order[low[k] : high[k]]] = len(period_totals)
            period_totals.append(float(dossiers[k]))
            period_n.append(int(members[k]))
    in_period = period_of >= 0
    overall = sum(period_totals) / sum(period_n) if period_totals else 1.0
    # Margin 2: each field count's (agency, period, field), grouped by (agency, period): the field mix. Only cells
    # in a counted period take part.
    field_of = np.full(size, -1, dtype=np.intp)
    field_totals: list[float] = []
    field_group: list[int] = []
    groups: dict[tuple[int, int, int], int] = {}
    if fields:
        agency, field, first, last, dossiers = (np.array(column) for column in zip(*fields, strict=True))
        low, high = keys.by_field.slices(keys.cell_code(agency, field), first, last)
        members = keys.by_field.sums(in_period.astype(np.int64), low, high)
        for k in np.flatnonzero(members > 0).tolist():
            rows = keys.by_field.order[low[k] : high[k]]
            field_of[rows[in_period[rows]]] = len(field_totals)
            group = (int(agency[k]), int(first[k]), int(last[k]))
            field_group.append(groups.setdefault(group, len(groups)))
            field_totals.append(float(dossiers[k]))
    by_field = bool(field_totals)
    sizes = found.whole.astype(np.float64)
    weighted = np.full(size, np.nan)
    if period_totals:
        rows = np.flatnonzero(in_period)
        fitted = rake_to_counts(
            sizes[rows],
            period_of[rows],
            np.array(period_totals),
            field_of[rows],
            np.array(field_totals),
            np.array(field_group, dtype=np.intp),
        )
        weighted[rows] = fitted / sizes[rows]
    weighted[~in_period] = overall
    cell_keys: list[tuple[Any, ...]]
    if by_field:
        named = [None if f == NO_FIELD else f for f in found.field_id.tolist()]
        cell_keys = list(zip(found.agency_id.tolist(), found.month.tolist(), named, strict=True))
    else:
        cell_keys = list(zip(found.agency_id.tolist(), found.month.tolist(), strict=True))
    weights = dict(zip(cell_keys, weighted.tolist(), strict=True))  # one weight per key: the last cell's, as before
    outside = ~in_period
    uncounted_agencies = np.unique(found.agency_id[outside & (found.selected > 0)])
    return Weights(
        weights, by_field, int(found.selected[outside].sum()), tuple(int(a) for a in uncounted_agencies.tolist())
    )


class _Sorted:
    """Cells sorted by one whole-number key and then the month, so that one key's cells between two months are a
    slice of the order."""

    def __init__(self, key: NDArray[np.int64], month: NDArray[np.int64]) -> None:
        self.order = np.lexsort((month, key))
        self._flat = key[self.order] * _MONTHS + month[self.order]

    def slices(
        self, key: NDArray[np.int64], first: NDArray[np.int64], last: NDArray[np.int64]
    ) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
        """[low, high) in the order, per query; empty where the key is -1 (none of the cells has it)."""
        low = np.searchsorted(self._flat, key * _MONTHS + first, side="left")
        high = np.searchsorted(self._flat, key * _MONTHS + last, side="right")
        return low, np.where(key >= 0, high, low)

    def sums(self, values: NDArray[np.int64], low: NDArray[np.intp], high: NDArray[np.intp]) -> NDArray[np.int64]:
        """Σ values over each slice."""
        running = np.concatenate([[0], np.cumsum(values[self.order])])
        return np.asarray(running[high] - running[low], dtype=np.int64)


_MONTHS = 1 << 20  # yyyymm < 2^20: a month fits under a key


class _CellKeys:
    """The cells' agencies and fields numbered densely, and the cells sorted by agency and by (agency, field)."""

    def __init__(self, found: Cells) -> None:
        self._agencies = np.unique(found.agency_id)
        self._fields = np.unique(found.field_id)
        self.fields = max(self._fields.size, 1)
        agency = np.searchsorted(self._agencies, found.agency_id).astype(np.int64)
        field = np.searchsorted(self._fields, found.field_id).astype(np.int64)
        self.by_month = _Sorted(agency, found.month)
        self.by_field = _Sorted(agency * self.fields + field, found.month)

    def agency_code(self, agency: NDArray[Any]) -> NDArray[np.int64]:
        """The number of each agency (-1: no cell has it)."""
        return _code(self._agencies, agency)

    def cell_code(self, agency: NDArray[Any], field: NDArray[Any]) -> NDArray[np.int64]:
        """The number of each (agency, field) (-1: no cell has the agency or the field)."""
        agency_code, field_code = _code(self._agencies, agency), _code(self._fields, field)
        return np.where((agency_code < 0) | (field_code < 0), -1, agency_code * self.fields + field_code)


def _code(known: NDArray[np.int64], values: NDArray[Any]) -> NDArray[np.int64]:
    """Each value's place among ``known`` (sorted), -1 where it is not there."""
    values = np.asarray(values, dtype=np.int64)
    if known.size == 0:
        return np.full(values.size, -1, dtype=np.int64)
    place = np.minimum(np.searchsorted(known, values), known.size - 1)
    return np.where(known[place] == values, place, -1).astype(np.int64)
