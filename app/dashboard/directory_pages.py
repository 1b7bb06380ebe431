"""What the counters and kiosks pages show: every counter in the official's scope with its activity (answers in the
chosen period, in all, the last one, and how long it has been quiet), searched, sorted and paged; every kiosk with
its last heartbeat and whether it has gone stale.

Reads only, always through the official's :class:`~app.officials.scope.Scope`; the writes (create, deactivate,
revoke) are :mod:`app.admin.service`'s, which check the scope again and audit. Each page costs a fixed number of
queries whatever the number of counters: the directory rows in one, the activity of all of them in one aggregate
(``GROUP BY counter_id``), never one query per row. Searching, sorting and paging then happen here, in Python:
Vietnamese names must match with and without their tone marks, which neither database does alike without
extensions, and a province has tens of counters, a nation some thousands."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from app.dashboard.views import agency_name, sort_key
from app.directory.models import Agency, Counter, Device
from app.directory.service import normalise_short_code
from app.officials.scope import Scope
from app.public.i18n import Lang
from app.responses.models import Response

PAGE_SIZE = 50
QUIET_DAYS = 14  # a counter with no answer for this many days is highlighted (?days= changes it)
QUIET_DAYS_MAX = 3660
PERIOD_DAYS = 30  # the default period of the "answers in the period" column: the last 30 days, today included
STALE_AFTER = timedelta(hours=1)  # a kiosk whose last heartbeat is older than this is stale
# Sort keys and their natural direction: names A → Z, most answers first, the longest-quiet counter first.
COUNTER_SORTS: dict[str, bool] = {"agency": False, "name": False, "period": True, "total": True, "last": False}
QUERY_DEFAULTS = {"q": "", "page": "1", "days": str(QUIET_DAYS), "quiet": ""}


def fold(text: str) -> str:
    """Lower case without tone marks or other diacritics (đ → d), for matching what people type: "bat trang"
    finds "Xã Bát Tràng"."""
    plain = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    return "".join(char for char in plain if not unicodedata.combining(char))


def days_since(moment: datetime, now: datetime) -> int:
    """Calendar days between ``moment`` and ``now`` in ``now``'s time zone (the service's): an answer given yesterday
    at any hour is 1 day old, whatever the hour now."""
    return max(0, (now.date() - moment.astimezone(now.tzinfo).date()).days)


def counter_name(counter: Counter, lang: Lang) -> str:
    return (counter.name_en or counter.name_vi) if lang == "en" else counter.name_vi


# --- the query string ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CounterQuery:
    """What the official asked the counters page for, with what could not be read: (field, message key, value)."""

    text: str = ""
    sort: str = "agency"
    descending: bool = False
    page: int = 1
    quiet_days: int = QUIET_DAYS
    quiet_only: bool = False
    date_from: date | None = None
    date_to: date | None = None
    errors: tuple[tuple[str, str, str], ...] = ()

    def params(self, **changes: str) -> dict[str, str]:
        """The query string of this view with ``changes``; the period always (absent means the default months,
        empty means no bound), the rest when not the default."""
        values = {
            "q": self.text,
            "sort": self.sort,
            "order": "desc" if self.descending else "asc",
            "page": str(self.page),
            "days": str(self.quiet_days),
            "quiet": "1" if self.quiet_only else "",
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
        } | changes
        return {key: value for key, value in values.items() if value != QUERY_DEFAULTS.get(key)}


def read_counter_query(params: Mapping[str, str], today: date) -> CounterQuery:
    """The counters page's query string. Without ``from`` and ``to``: the last :data:`PERIOD_DAYS` days up to today
    (activity is about now, unlike the figure pages' full months); given empty, no bound. What cannot be read is
    reported (and the default used), never guessed."""
    errors: list[tuple[str, str, str]] = []
    default_from, default_to = today - timedelta(days=PERIOD_DAYS - 1), today

    def day(name: str, default: date) -> date | None:
        if name not in params:
            return default
        raw = params[name].strip()
        if not raw:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            errors.append((name, "counters_bad_date", raw))
            return default

    def whole(name: str, default: int, low: int, high: int, key: str) -> int:
        raw = params.get(name, "").strip()
        if not raw:
            return default
        if raw.isascii() and raw.isdigit() and low <= int(raw) <= high:
            return int(raw)
        errors.append((name, key, raw[:40]))
        return default

    date_from, date_to = day("from", default_from), day("to", default_to)
    if date_from and date_to and date_from > date_to:
        errors.append(("to", "counters_bad_period", f"{date_from.isoformat()} > {date_to.isoformat()}"))
        date_from, date_to = default_from, default_to
    sort = params.get("sort", "").strip() or "agency"
    if sort not in COUNTER_SORTS:
        errors.append(("sort", "counters_bad_sort", sort[:40]))
        sort = "agency"
    order = params.get("order", "").strip()
    if order not in ("", "asc", "desc"):
        errors.append(("order", "counters_bad_order", order[:40]))
        order = ""
    descending = COUNTER_SORTS[sort] if not order else order == "desc"
    page = whole("page", 1, 1, 1_000_000, "counters_bad_page")
    quiet_days = whole("days", QUIET_DAYS, 1, QUIET_DAYS_MAX, "counters_bad_days")
    quiet_only = params.get("quiet", "").strip() in ("1", "on", "true")
    text = " ".join(params.get("q", "").split())[:100]
    return CounterQuery(text, sort, descending, page, quiet_days, quiet_only, date_from, date_to, tuple(errors))


# --- activity --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Activity:
    """Answers given at a counter (or on a kiosk): in the chosen period, in all, and the moment of the last one.

    Counted as the figures count them: test answers and answers held as suspected spam are left out (an answer
    released after review counts again); every channel and form. The moment is when the citizen answered
    (``submitted_at``), not when a kiosk's queue delivered it."""

    in_period: int = 0
    total: int = 0
    last_at: datetime | None = None


NO_ACTIVITY = Activity()


def _counted() -> tuple[ColumnElement[bool], ...]:
    return Response.is_test.is_(False), Response.is_suspected_spam.is_(False)


def _in_period(date_from: date | None, date_to: date | None) -> ColumnElement[bool] | None:
    bounds = [
        *([Response.local_date >= date_from] if date_from else []),
        *([Response.local_date <= date_to] if date_to else []),
    ]
    return and_(*bounds) if bounds else None


def counter_activity(
    session: Session, scope: Scope, *, date_from: date | None, date_to: date | None
) -> dict[int, Activity]:
    """Counter id → its activity, for every counter of the scope that has an answer: one aggregate query."""
    period = _in_period(date_from, date_to)
    in_period = func.count() if period is None else func.sum(case((period, 1), else_=0))
    query = (
        select(Response.counter_id, in_period, func.count(), func.max(Response.submitted_at))
        .where(Response.agency_id.in_(scope.agency_ids()), Response.counter_id.is_not(None), *_counted())
        .group_by(Response.counter_id)
    )
    return {
        int(counter_id): Activity(int(period_n or 0), int(total), last_at)
        for counter_id, period_n, total, last_at in session.execute(query)
    }


def device_activity(session: Session, scope: Scope) -> dict[int, Activity]:
    """Device id → the answers it delivered (all time) and the last one: one aggregate query."""
    query = (
        select(Response.device_id, func.count(), func.max(Response.submitted_at))
        .where(Response.agency_id.in_(scope.agency_ids()), Response.device_id.is_not(None), *_counted())
        .group_by(Response.device_id)
    )
    found = session.execute(query).all()
    return {device_id: Activity(total, total, last_at) for device_id, total, last_at in found if device_id is not None}


# --- the counters page -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CounterRow:
    agency: Agency
    counter: Counter
    agency_name: str
    name: str
    activity: Activity
    quiet_days: int  # calendar days since the last answer, or since the counter was created when it has none
    quiet: bool  # open (counter and agency active) and quiet for at least the page's threshold

    @property
    def open(self) -> bool:
        return self.counter.active and self.agency.active

    @property
    def key(self) -> str:
        return f"{self.agency.code}/{self.counter.code}"


@dataclass(frozen=True)
class CounterListing:
    rows: list[CounterRow]  # this page's
    matched: int  # counters the search (and the quiet filter) kept
    total: int  # counters in scope
    quiet: int  # open counters in scope quiet for the threshold or longer, whatever the search
    page: int
    pages: int
    first: int  # 1-based position of this page's first row (0 when none)
    agencies: list[Agency] = field(default_factory=list)  # every visible agency, by path (the forms' choices)


def _matches(row: CounterRow, words: Sequence[str], short_code: str | None) -> bool:
    if short_code is not None and row.counter.short_code == short_code:
        return True
    agency, counter = row.agency, row.counter
    parts = (agency.name_vi, agency.name_en, agency.code, counter.name_vi, counter.name_en, counter.code)
    haystack = fold(" ".join([*(part or "" for part in parts), counter.short_code or ""]))
    return all(word in haystack for word in words)


def _sorted(rows: list[CounterRow], sort: str, descending: bool) -> list[CounterRow]:
    """Names in Vietnamese alphabetical order; counts and moments with ties by agency, then counter name."""

    def by_agency(row: CounterRow) -> tuple[str, str, str]:
        return sort_key(row.agency_name), sort_key(row.name), row.counter.code

    def by_name(row: CounterRow) -> tuple[str, str, str]:
        return sort_key(row.name), sort_key(row.agency_name), row.counter.code

    if sort == "name":
        return sorted(rows, key=by_name, reverse=descending)
    rows = sorted(rows, key=by_agency, reverse=descending and sort == "agency")
    if sort == "period":
        return sorted(rows, key=lambda row: row.activity.in_period, reverse=descending)  # stable: ties by agency
    if sort == "total":
        return sorted(rows, key=lambda row: row.activity.total, reverse=descending)
    if sort == "last":
        # Ascending: the longest quiet first: never answered (the oldest counter first), then the oldest answer.
        never = sorted((row for row in rows if row.activity.last_at is None), key=lambda row: -row.quiet_days)
        answered = [row for row in rows if row.activity.last_at is not None]
        answered.sort(key=lambda row: row.activity.last_at or row.counter.created_at)
        return answered[::-1] + never[::-1] if descending else never + answered
    return rows


def counter_listing(session: Session, scope: Scope, query: CounterQuery, lang: Lang, now: datetime) -> CounterListing:
    """The counters page: every counter of the scope (inactive ones too) with its activity; two queries. ``now`` is
    in the service's time zone: quiet days are calendar days there."""
    found = session.execute(
        select(Agency, Counter)
        .outerjoin(Counter, Counter.agency_id == Agency.id)
        .where(scope.agencies())
        .order_by(Agency.path, Counter.code)
    ).all()
    activity = counter_activity(session, scope, date_from=query.date_from, date_to=query.date_to)
    agencies: dict[int, Agency] = {}
    rows: list[CounterRow] = []
    for owner, counter in found:
        agencies.setdefault(owner.id, owner)
        if counter is None:
            continue
        done = activity.get(counter.id, NO_ACTIVITY)
        since = done.last_at or counter.created_at
        quiet_days = days_since(since, now)
        open_ = counter.active and owner.active
        rows.append(
            CounterRow(
                owner,
                counter,
                agency_name(owner, lang),
                counter_name(counter, lang),
                done,
                quiet_days,
                open_ and quiet_days >= query.quiet_days,
            )
        )
    quiet = sum(row.quiet for row in rows)
    words = fold(query.text).split()
    short_code = normalise_short_code(query.text) if query.text else None
    kept = [row for row in rows if (not query.quiet_only or row.quiet) and _matches(row, words, short_code)]
    kept = _sorted(kept, query.sort, query.descending)
    pages = max(1, math.ceil(len(kept) / PAGE_SIZE))
    page = min(query.page, pages)
    start = (page - 1) * PAGE_SIZE
    shown = kept[start : start + PAGE_SIZE]
    return CounterListing(
        shown, len(kept), len(rows), quiet, page, pages, start + 1 if shown else 0, list(agencies.values())
    )


@dataclass(frozen=True)
class CounterDetail:
    row: CounterRow
    devices: list[Device]


def counter_detail(
    session: Session, scope: Scope, agency: Agency, counter: Counter, query: CounterQuery, lang: Lang, now: datetime
) -> CounterDetail:
    """One counter of a visible agency (the caller found both through the scope) with its activity and kiosks."""
    period = _in_period(query.date_from, query.date_to)
    in_period = func.count() if period is None else func.sum(case((period, 1), else_=0))
    period_n, total, last_at = session.execute(
        select(in_period, func.count(), func.max(Response.submitted_at)).where(
            Response.counter_id == counter.id, Response.agency_id.in_(scope.agency_ids()), *_counted()
        )
    ).one()
    done = Activity(int(period_n or 0), int(total or 0), last_at)
    quiet_days = days_since(last_at or counter.created_at, now)
    row = CounterRow(
        agency,
        counter,
        agency_name(agency, lang),
        counter_name(counter, lang),
        done,
        quiet_days,
        counter.active and agency.active and quiet_days >= query.quiet_days,
    )
    devices = session.scalars(select(Device).where(Device.counter_id == counter.id).order_by(Device.created_at)).all()
    return CounterDetail(row, list(devices))


# --- the kiosks page -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceRow:
    device: Device
    agency: Agency
    counter: Counter | None
    agency_name: str
    counter_name: str | None
    activity: Activity
    stale: bool  # active, and its last heartbeat is older than STALE_AFTER

    @property
    def name(self) -> str:
        return self.device.label or str(self.device.public_id)[:8]


@dataclass(frozen=True)
class DeviceListing:
    rows: list[DeviceRow]
    stale: int
    places: list[tuple[Agency, list[Counter]]]  # where a new kiosk may go: active agencies and their active counters


def device_listing(session: Session, scope: Scope, lang: Lang, now: datetime) -> DeviceListing:
    """Every kiosk of the scope (revoked ones too, after the others), and the places a new one may go; three
    queries whatever their number."""
    found = session.execute(
        select(Device, Agency, Counter)
        .join(Agency, Agency.id == Device.agency_id)
        .outerjoin(Counter, Counter.id == Device.counter_id)
        .where(scope.agencies())
        .order_by(Agency.path, Device.created_at, Device.id)
    ).all()
    activity = device_activity(session, scope)
    rows = []
    for device, owner, counter in found:
        seen = device.last_seen_at
        stale = device.revoked_at is None and seen is not None and now - seen > STALE_AFTER
        rows.append(
            DeviceRow(
                device,
                owner,
                counter,
                agency_name(owner, lang),
                counter_name(counter, lang) if counter else None,
                activity.get(device.id, NO_ACTIVITY),
                stale,
            )
        )
    rows.sort(key=lambda row: row.device.revoked_at is not None)  # stable: the path order within each group
    return DeviceListing(rows, sum(row.stale for row in rows), kiosk_places(session, scope))


def kiosk_places(session: Session, scope: Scope) -> list[tuple[Agency, list[Counter]]]:
    """The active visible agencies (by path) with their active counters (by code): one query."""
    places: dict[int, tuple[Agency, list[Counter]]] = {}
    for owner, counter in session.execute(
        select(Agency, Counter)
        .outerjoin(Counter, and_(Counter.agency_id == Agency.id, Counter.active.is_(True)))
        .where(scope.agencies(), Agency.active.is_(True))
        .order_by(Agency.path, Counter.code)
    ):
        _agency, counters = places.setdefault(owner.id, (owner, []))
        if counter is not None:
            counters.append(counter)
    return list(places.values())
