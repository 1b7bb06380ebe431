"""Scheduled drafts: an administrator orders a draft of every month or quarter of a subtree; ``sipas publish --due``
(from cron or a systemd timer, docs/publications.md) generates the drafts of the periods that have ended, and an
administrator publishes each as it is, or not.

``--due`` is idempotent: a period that already has a publication or a draft of the schedule's agency gets nothing
new, so running it every hour or twice at once is safe (on PostgreSQL a session lock makes two runs take turns).
A draft is computed in the scope of the administrator who made the schedule; a schedule whose author is no longer
active makes nothing, and says so.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.service import record
from app.db import utcnow
from app.directory.models import Agency, Official
from app.errors import Conflict, Invalid, NotFound
from app.forms.loader import RegisteredForm
from app.officials.scope import Scope, scope_of
from app.publications.models import Publication, PublicationSchedule
from app.publications.service import PublishRequest, publish, root_of

EVERY = ("month", "quarter")
LOCK_KEY = 7_201_813  # pg_advisory_lock key of ``due`` (the summary's is 7_201_812)


def last_period(every: str, today: date) -> tuple[date, date]:
    """The last whole month or quarter that ended before ``today``."""
    first_month = today.month if every == "month" else 3 * ((today.month - 1) // 3) + 1
    year, month = (today.year, first_month - (1 if every == "month" else 3))
    if month < 1:
        year, month = year - 1, month + 12
    months = 1 if every == "month" else 3
    last_month = month + months - 1
    return date(year, month, 1), date(year, last_month, calendar.monthrange(year, last_month)[1])


def create_schedule(
    session: Session, scope: Scope, *, agency: str | None, every: str, public: bool, client_ip: str | None = None
) -> PublicationSchedule:
    if every not in EVERY:
        raise Invalid(f"every: {every!r} is not one of {', '.join(EVERY)}")
    root = root_of(session, scope, agency)
    agency_id = root.id if root else None
    running = session.scalar(
        select(PublicationSchedule.id).where(
            PublicationSchedule.agency_id.is_(None)
            if agency_id is None
            else PublicationSchedule.agency_id == agency_id,
            PublicationSchedule.every == every,
            PublicationSchedule.stopped_at.is_(None),
        )
    )
    if running is not None:
        raise Conflict(f"every: schedule {running} already drafts every {every} of this agency")
    schedule = PublicationSchedule(agency_id=agency_id, every=every, public=public, created_by_id=scope.official_id)
    session.add(schedule)
    session.flush()
    record(
        session,
        action="publication.schedule",
        actor=scope.username,
        official_id=scope.official_id,
        object_type="publication_schedule",
        object_id=schedule.id,
        details={"agency": root.code if root else None, "every": every, "public": public},
        client_ip=client_ip,
    )
    session.commit()
    return schedule


def list_schedules(session: Session, scope: Scope) -> list[PublicationSchedule]:
    statement = select(PublicationSchedule).order_by(PublicationSchedule.id)
    if scope.root_id is not None:
        statement = statement.where(PublicationSchedule.agency_id.in_(scope.agency_ids()))
    return list(session.scalars(statement))


def stop_schedule(
    session: Session, scope: Scope, schedule_id: int, *, client_ip: str | None = None
) -> PublicationSchedule:
    found = next((s for s in list_schedules(session, scope) if s.id == schedule_id), None)
    if found is None:
        raise NotFound(f"no publication schedule {schedule_id}")
    if found.stopped_at is None:
        found.stopped_at = utcnow()
        record(
            session,
            action="publication.schedule_stop",
            actor=scope.username,
            official_id=scope.official_id,
            object_type="publication_schedule",
            object_id=found.id,
            client_ip=client_ip,
        )
        session.commit()
    return found


@dataclass(frozen=True)
class Due:
    schedule_id: int
    agency: str  # code, or "national"
    period: tuple[date, date]
    outcome: str  # "drafted N", "already there: N", "no responses", "author inactive"


def due(session: Session, forms: dict[tuple[str, int], RegisteredForm], today: date) -> list[Due]:
    """Generate the drafts of every running schedule's last ended period that has none yet."""
    postgresql = session.get_bind().dialect.name == "postgresql"
    if postgresql:  # a session lock: each draft commits on its own, and two runs must not both draft one period
        session.execute(select(func.pg_advisory_lock(LOCK_KEY)))
    try:
        running = session.scalars(
            select(PublicationSchedule).where(PublicationSchedule.stopped_at.is_(None)).order_by(PublicationSchedule.id)
        ).all()
        return [_due_one(session, forms, schedule, today) for schedule in running]
    finally:
        if postgresql:
            session.rollback()
            session.execute(select(func.pg_advisory_unlock(LOCK_KEY)))
            session.commit()


def _due_one(
    session: Session, forms: dict[tuple[str, int], RegisteredForm], schedule: PublicationSchedule, today: date
) -> Due:
    start, end = last_period(schedule.every, today)
    agency = session.get(Agency, schedule.agency_id) if schedule.agency_id is not None else None
    code = agency.code if agency else "national"
    there = session.scalar(
        select(Publication.id).where(
            Publication.agency_id.is_(None) if agency is None else Publication.agency_id == agency.id,
            Publication.period_start == start,
            Publication.period_end == end,
        )
    )
    if there is not None:
        return Due(schedule.id, code, (start, end), f"already there: {there}")
    author = session.get(Official, schedule.created_by_id)
    if author is None or not author.active:
        return Due(schedule.id, code, (start, end), "author inactive")
    request = PublishRequest(
        agency=agency.code if agency else None, date_from=start, date_to=end, public=schedule.public, draft=True
    )
    try:
        drafted = publish(session, scope_of(session, author), forms, request)
    except Invalid as problem:
        session.rollback()
        return Due(schedule.id, code, (start, end), f"not drafted: {problem.message}")
    return Due(schedule.id, code, (start, end), f"drafted {drafted.id}")


def agency_code(session: Session, schedule: PublicationSchedule) -> str | None:
    agency = session.get(Agency, schedule.agency_id) if schedule.agency_id is not None else None
    return agency.code if agency else None


def author_name(session: Session, schedule: PublicationSchedule) -> str:
    author = session.get(Official, schedule.created_by_id)
    return author.username if author else "?"
