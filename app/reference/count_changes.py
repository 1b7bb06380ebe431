"""The history of population counts: each change as the audit log keeps it, and read back for the figures' meta.

Every write of a count (create, PUT, PATCH, CSV upload) keeps, besides its reason, each count's old and new value
in its audit event (``details["counts"]``, built by :func:`count_records`); :func:`recent_count_changes` reads
them back, so a figure can name the count changes behind it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.reference.fields import PopulationFields

COUNT_ACTIONS = ("population.create", "population.update", "population.delete", "population.upload")


def _count_record(
    fields: PopulationFields, agency_id: int, *, old: int | None, new: int | None, outlier: str | None = None
) -> dict[str, Any]:
    """One count change as the audit log keeps it (``details["counts"]``): one period of one series, ``from`` →
    ``to`` dossiers (None: no count)."""
    entry: dict[str, Any] = {
        "agency": fields.agency,
        "agency_id": agency_id,
        "procedure_field": fields.procedure_field,
        "period_start": str(fields.period_start),
        "period_end": str(fields.period_end),
        "from": old,
        "to": new,
    }
    if outlier is not None:
        entry["confirmed_outlier"] = outlier
    return entry


def count_records(
    before: tuple[PopulationFields, int] | None, after: tuple[PopulationFields, int] | None, outlier: str | None
) -> list[dict[str, Any]]:
    """The count changes from ``before`` to ``after`` (fields, agency id; None: no count): one record when the
    same period of the same series changes its dossiers, else one for the period left and one for the period set."""
    if before is not None and after is not None:
        (old, old_agency), (new, new_agency) = before, after
        same_place = (old_agency, old.procedure_field, old.period_start, old.period_end) == (
            new_agency,
            new.procedure_field,
            new.period_start,
            new.period_end,
        )
        if same_place:
            if old.dossiers_handled == new.dossiers_handled:
                return []
            return [_count_record(new, new_agency, old=old.dossiers_handled, new=new.dossiers_handled, outlier=outlier)]
    records: list[dict[str, Any]] = []
    if before is not None:
        records.append(_count_record(before[0], before[1], old=before[0].dossiers_handled, new=None))
    if after is not None:
        records.append(_count_record(after[0], after[1], old=None, new=after[0].dossiers_handled, outlier=outlier))
    return records


@dataclass(frozen=True)
class CountChange:
    """One change of one population count (see :func:`recent_count_changes`)."""

    agency: str  # agency code, as it was at the change
    procedure_field: str | None  # None: the count of all fields
    period_start: date
    period_end: date
    old: int | None  # dossiers before; None: there was no count for this period (created)
    new: int | None  # dossiers after; None: the count was deleted (or moved to another period or agency)
    by: str  # the official's username
    at: datetime  # when (UTC)
    reason: str
    action: str  # "create", "update", "delete" or "upload"
    confirmed_outlier: str | None = None  # the plausibility warning the official overrode, if any


def recent_count_changes(session: Session, *, agency_ids: Collection[int], since: datetime) -> list[CountChange]:
    """The population count changes of these agencies since ``since`` (timezone-aware), read from the audit log;
    nothing is written and no scope applies (the caller passes the agencies of its figure).

    One :class:`CountChange` per period whose count changed, newest first (within one upload, in file order)::

        CountChange(agency="MA-STP", procedure_field=None, period_start=date(2026, 1, 1),
                    period_end=date(2026, 1, 31), old=512, new=5120, by="hn-admin",
                    at=datetime(2026, 2, 3, 8, 30, tzinfo=UTC), reason="Báo cáo tháng 1 (số 12/BC)",
                    action="update", confirmed_outlier="'5120' is more than 10 times …")

    ``old``/``new`` None: no count before (created) or after (deleted). An update that moves a count to another
    agency, procedure field or period is two changes: the period left (``new`` None) and the one set (``old``
    None). Creates, updates, deletes and uploads are all listed; an upload names each row that changed a count
    (unchanged rows are not listed). Events written before counts were itemised in the log are not listed."""
    wanted = set(agency_ids)
    if not wanted:
        return []
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action.in_(COUNT_ACTIONS), AuditEvent.at >= since)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )
    changes: list[CountChange] = []
    for event in events:
        details = event.details or {}
        for item in details.get("counts", ()):
            if item.get("agency_id") not in wanted:
                continue
            changes.append(
                CountChange(
                    agency=item["agency"],
                    procedure_field=item["procedure_field"],
                    period_start=date.fromisoformat(item["period_start"]),
                    period_end=date.fromisoformat(item["period_end"]),
                    old=item["from"],
                    new=item["to"],
                    by=event.actor,
                    at=event.at,
                    reason=details.get("reason", ""),
                    action=event.action.removeprefix("population."),
                    confirmed_outlier=item.get("confirmed_outlier"),
                )
            )
    return changes
