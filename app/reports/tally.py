"""What a selection's agencies hold, counted once: responses per agency, month, procedure field, form version,
source and flags, each with its number over the whole month and within the period asked, and the newest date
within the period.

A figure decides four things before it sums any answer: the form (the one most answered in the period), the source
(live or imported, never both), the flagged responses it reports (suspected spam, test) and the population weights'
n (per agency, month and field, over the whole month whatever the dates asked). Each was a scan of the selection's
responses of its own; one GROUP BY gives them all, and a figure's sensitivity to suspected spam (the same selection
with other flags) reuses it. Its rows grow with agencies × months × fields, never with responses.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import ColumnElement, Integer, and_, case, cast, extract, func, select, true
from sqlalchemy.orm import Session

from app.reports.fetching import fetch_columns
from app.responses.models import Channel, Response

NO_FIELD = -1  # the procedure field of responses that did not state one
NO_DATE = -1  # the newest date of a group with no response within the dates


@dataclass(frozen=True)
class Tally:
    """The counts, one entry per agency, month, procedure field (``NO_FIELD``: not stated), form version, source and
    flags, as columns (a national tally has 200,000 entries: arrays, so that nothing runs Python per entry)."""

    agency_id: NDArray[np.int64]
    month: NDArray[np.int64]  # yyyymm
    field_id: NDArray[np.int64]
    version_id: NDArray[np.int64]
    imported: NDArray[np.bool_]
    spam: NDArray[np.bool_]
    test: NDArray[np.bool_]
    whole: NDArray[np.int64]  # in the whole month, whatever the dates asked
    selected: NDArray[np.int64]  # within the dates
    last: NDArray[np.int64]  # the newest date within the dates, as yyyymmdd (ordered as the dates; NO_DATE: none)

    def by_version(self) -> dict[int, int]:
        """Responses within the dates per form version, whatever their source and flags (how the form is chosen)."""
        out: dict[int, int] = {}
        for version, selected in zip(self.version_id.tolist(), self.selected.tolist(), strict=True):
            if selected:
                out[version] = out.get(version, 0) + selected
        return out

    def of(self, versions: Iterable[int], *, imported: bool | None = None) -> Tally:
        """The counts of these form versions (and of one source: imported or live)."""
        keep = np.isin(self.version_id, np.fromiter(versions, dtype=np.int64))
        if imported is not None:
            keep &= self.imported == imported
        return self._where(keep)

    def unflagged(self, *, with_suspected: bool = False) -> Tally:
        """Without test responses, and without suspected spam unless ``with_suspected``."""
        return self._where(~self.test if with_suspected else ~self.test & ~self.spam)

    def selected_count(
        self, *, imported: bool | None = None, spam: bool | None = None, test: bool | None = None
    ) -> int:
        """Responses within the dates, of one source and flags (None: either)."""
        keep = np.ones(self.selected.size, dtype=np.bool_)
        for column, wanted in ((self.imported, imported), (self.spam, spam), (self.test, test)):
            if wanted is not None:
                keep &= column == wanted
        return int(self.selected[keep].sum())

    def _where(self, keep: NDArray[np.bool_]) -> Tally:
        return Tally(**{name: getattr(self, name)[keep] for name in _COLUMNS})


_COLUMNS = tuple(Tally.__dataclass_fields__)


def take_tally(session: Session, agencies: ColumnElement[bool], start: date | None, end: date | None) -> Tally:
    """The counts of every response of the agencies ``agencies`` selects (every month: a population period may reach
    beyond the dates asked), with ``selected`` and ``last`` within ``start``–``end`` (either open). Every column is an
    integer in SQL (flags as 0/1, the newest date as yyyymmdd), so that the rows come as columns through
    :func:`fetch_columns` (a national tally has 200,000 rows: as Python tuples they cost more than the statement)."""
    bounds = [Response.local_date >= start] if start else []
    if end:
        bounds.append(Response.local_date <= end)
    inside = and_(true(), *bounds)
    keys = (
        Response.agency_id,
        Response.local_month,
        func.coalesce(Response.procedure_field_id, NO_FIELD),
        Response.form_version_id,
        case((Response.channel == Channel.import_, 1), else_=0),
        case((Response.is_suspected_spam, 1), else_=0),
        case((Response.is_test, 1), else_=0),
    )
    day = Response.local_month * 100 + cast(extract("day", Response.local_date), Integer)
    statement = (
        select(
            *keys,
            func.count(),
            func.sum(case((inside, 1), else_=0)),
            func.coalesce(func.max(case((inside, day))), NO_DATE),
        )
        .where(agencies)
        .group_by(*keys)
    )
    columns = [np.asarray(column, dtype=np.int64) for column in fetch_columns(session.connection(), statement)]
    agency, month, field, version, from_import, spam, test, whole, selected, last = columns
    return Tally(
        agency_id=agency,
        month=month,
        field_id=field,
        version_id=version,
        imported=from_import.astype(np.bool_),
        spam=spam.astype(np.bool_),
        test=test.astype(np.bool_),
        whole=whole,
        selected=selected,
        last=last,
    )
