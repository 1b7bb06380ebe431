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
from typing import NamedTuple

from sqlalchemy import ColumnElement, and_, case, func, select, true
from sqlalchemy.orm import Session

from app.responses.models import Channel, Response


class Count(NamedTuple):
    """The responses of one agency, month, procedure field (None: not stated), form version, source and flags (a
    named tuple: a national tally has 200,000 of them, and a frozen dataclass costs three times as much to make)."""

    agency_id: int
    month: int  # yyyymm
    field_id: int | None
    version_id: int
    imported: bool
    spam: bool
    test: bool
    whole: int  # in the whole month, whatever the dates asked
    selected: int  # within the dates
    last: date | None  # the newest date within the dates


@dataclass(frozen=True)
class Tally:
    counts: tuple[Count, ...]

    def by_version(self) -> dict[int, int]:
        """Responses within the dates per form version, whatever their source and flags (how the form is chosen)."""
        out: dict[int, int] = {}
        for count in self.counts:
            if count.selected:
                out[count.version_id] = out.get(count.version_id, 0) + count.selected
        return out

    def of(self, versions: Iterable[int], *, imported: bool | None = None) -> Tally:
        """The counts of these form versions (and of one source: imported or live)."""
        wanted = set(versions)
        return Tally(
            tuple(
                count
                for count in self.counts
                if count.version_id in wanted and (imported is None or count.imported == imported)
            )
        )

    def unflagged(self, *, with_suspected: bool = False) -> Tally:
        """Without test responses, and without suspected spam unless ``with_suspected``."""
        return Tally(tuple(count for count in self.counts if not count.test and (with_suspected or not count.spam)))

    def selected(self, *, imported: bool | None = None, spam: bool | None = None, test: bool | None = None) -> int:
        """Responses within the dates, of one source and flags (None: either)."""
        return sum(
            count.selected
            for count in self.counts
            if (imported is None or count.imported == imported)
            and (spam is None or count.spam == spam)
            and (test is None or count.test == test)
        )


def take_tally(session: Session, agencies: ColumnElement[bool], start: date | None, end: date | None) -> Tally:
    """The counts of every response of the agencies ``agencies`` selects (every month: a population period may reach
    beyond the dates asked), with ``selected`` and ``last`` within ``start``–``end`` (either open)."""
    bounds = [Response.local_date >= start] if start else []
    if end:
        bounds.append(Response.local_date <= end)
    inside = and_(true(), *bounds)
    imported = case((Response.channel == Channel.import_, True), else_=False)
    keys = (
        Response.agency_id,
        Response.local_month,
        Response.procedure_field_id,
        Response.form_version_id,
        imported,
        Response.is_suspected_spam,
        Response.is_test,
    )
    rows = session.execute(
        select(*keys, func.count(), func.sum(case((inside, 1), else_=0)), func.max(case((inside, Response.local_date))))
        .where(agencies)
        .group_by(*keys)
    ).all()
    return Tally(
        tuple(
            Count(int(a), int(m), f, int(v), bool(i), bool(s), bool(t), int(n), int(k or 0), last)
            for a, m, f, v, i, s, t, n, k, last in rows
        )
    )
