"""Is a kiosk's answer plausible where and when it says it was given?

A kiosk's clock is the only witness of when an answer was given (``submitted_at``), so a stolen or copied device key
could otherwise post hundreds of answers dated into last month. Two kinds of rule, all numbers in this module:

**Bounds (the item is ``invalid``).** ``submitted_at`` must be

- no later than the server's clock plus ``SIPAS_CLOCK_SKEW_SECONDS`` (600; checked by the ingestion service), and
- no earlier than :data:`BACKDATE_TOLERANCE` (1 h, for a slow device clock) before the first registration of a kiosk
  at the same counter (the same agency, for a kiosk without a counter). The earliest one, not this key's: a tablet
  that gets a new key keeps its queue, and the answers it holds from before were given at that counter.

**Implausible sequences (stored, flagged as suspected spam with a ``flag_reason``, left out of the figures).**
The kiosk's timeline is its stored answers and this batch's together, ordered by ``submitted_at``:

- *button-mashing*: less than ``SIPAS_KIOSK_MIN_INTERVAL_SECONDS`` (5) after the previous answer;
- *run*: :data:`RUN_ANSWERS` (30) or more answers in a row, each less than :data:`RUN_GAP` (10 s) after the
  previous one: at one tablet a person needs longer than that to walk up, answer and leave (the thank-you screen
  alone shows for 3 s), so five minutes of it is a script;
- *evenly spaced*: :data:`EVEN_ANSWERS` (30) or more answers in a row whose gaps (each at most
  :data:`EVEN_MAX_GAP`, 10 min) differ by no more than :data:`EVEN_JITTER` (1 s): people are not a metronome;
- *behind the heartbeat*: an answer dated more than :data:`BACKDATE_TOLERANCE` (1 h) before the kiosk's last
  heartbeat, when that heartbeat reported an empty queue (``queue_length`` 0): the kiosk itself said then that it
  held nothing older. A heartbeat sent during a sync reports the queue still waiting, so a kiosk that was offline
  for a day and sends its queue in several batches is never behind its heartbeat; one that reports no queue length
  (``null``) gives no evidence either way.

A run or evenly spaced sequence flags every answer in it, including those stored by earlier batches that were not
flagged yet and not released by an administrator, so a script cannot slip in 29 answers per batch.

An honest kiosk offline for a day — answers minutes apart, a group now and then a dozen seconds apart — meets none of
these (tested: ``tests/kiosk/test_plausibility.py``). One key per tablet: a key shared by two tablets makes one's
queue look back-dated against the other's heartbeat.

**What is read** (issue 18): the kiosk's stored answers from the batch's first ``submitted_at`` to its last, and at
most :data:`NEIGHBOURS` (30) stored answers either side, none further than the rules reach (4 h 50 min: 29 gaps of
10 min); one statement through ``ix_responses_device_id_submitted_at``. That is all the rules need: a window of 30
answers holding a new one lies within 29 answers of it, and a longer run or sequence of stored answers beyond those
was judged, and flagged, when it was stored (tested against the whole timeline:
``tests/kiosk/test_plausibility_window.py``). A single post reads about 60 rows however long the kiosk's history; it
used to read every answer within 4 h 50 min, ≈ 400 ms of CPU per post once a kiosk held 45,000. A run or sequence
that reaches the end of what was read is counted "at least" (``run: at least 31 answers …``).
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import CompoundSelect, Select, and_, bindparam, func, literal, select, union_all, update
from sqlalchemy.orm import Session

from app.config import Settings
from app.directory.models import Device
from app.responses.models import Response
from app.responses.service import local_period
from app.responses.summary import unsummarize

BACKDATE_TOLERANCE = timedelta(hours=1)
RUN_ANSWERS = 30
RUN_GAP = timedelta(seconds=10)
EVEN_ANSWERS = 30
EVEN_JITTER = timedelta(seconds=1)
EVEN_MAX_GAP = timedelta(minutes=10)
# Stored answers read either side of a batch: every window of the rules that holds a new answer lies within them.
NEIGHBOURS = max(RUN_ANSWERS, EVEN_ANSWERS)

MASHING = "less than {seconds:g} s after the previous answer on this kiosk"
# ``n``: the number of answers, or "at least …" when the run or sequence reaches the end of the timeline read.
RUN = "run: {n} answers on this kiosk each less than 10 s after the previous one"
EVEN = "evenly spaced: {n} answers in a row on this kiosk, their gaps within 1 s of each other"
BEHIND = (
    "back-dated: more than 1 h before this kiosk's heartbeat at {at:%Y-%m-%d %H:%M} UTC, which reported an empty queue"
)
REASON_LENGTH = 255  # the flag_reason column


def first_registration(session: Session, device: Device) -> datetime:
    """When the first kiosk at this kiosk's counter (or agency, without a counter) was registered, revoked ones
    included (:func:`app.kiosk.auth.find_kiosk` reads it with the device)."""
    place = Device.counter_id.is_(None) if device.counter_id is None else Device.counter_id == device.counter_id
    first = session.scalar(select(func.min(Device.created_at)).where(Device.agency_id == device.agency_id, place))
    return first or device.created_at


def earliest_allowed(first_registered_at: datetime, now: datetime) -> datetime:
    """The earliest ``submitted_at`` accepted from a kiosk: the first registration of a kiosk at its counter (or
    agency, without a counter), less :data:`BACKDATE_TOLERANCE`; never later than ``now`` less the tolerance."""
    return min(first_registered_at, now) - BACKDATE_TOLERANCE


def heartbeat_line(device: Device) -> datetime | None:
    """Answers dated before this are behind the kiosk's own word: its last heartbeat said its queue was empty."""
    if device.last_seen_at is None or device.queue_length != 0:
        return None
    return device.last_seen_at - BACKDATE_TOLERANCE


class Moment(NamedTuple):
    """An answer on a kiosk's timeline (a tuple: a batch reads thousands)."""

    at: datetime
    submission_id: uuid.UUID
    response_id: int | None  # stored already (flag it retroactively) or new (None)
    flagged: bool


@dataclass
class PlausibilityFlags:
    """Reasons per new submission, and stored responses to flag now (id → reason)."""

    new: dict[uuid.UUID, list[str]] = field(default_factory=lambda: defaultdict(list))
    stored: dict[int, str] = field(default_factory=dict)

    def reason(self, submission_id: uuid.UUID) -> str | None:
        reasons = self.new.get(submission_id)
        return "; ".join(reasons)[:REASON_LENGTH] if reasons else None


def _mark(verdicts: PlausibilityFlags, members: list[Moment], reason: str) -> None:
    if all(member.response_id is not None for member in members):
        return  # judged when it was stored
    for member in members:
        if member.response_id is None:
            if reason not in verdicts.new[member.submission_id]:
                verdicts.new[member.submission_id].append(reason)
        elif not member.flagged:
            verdicts.stored.setdefault(member.response_id, reason)


@dataclass(frozen=True)
class Timeline:
    """The moments read, in order; ``cut_before`` / ``cut_after``: more stored answers may lie beyond the first / last
    one (the read stopped at :data:`NEIGHBOURS`)."""

    moments: list[Moment]
    cut_before: bool = False
    cut_after: bool = False

    def count(self, start: int, end: int) -> str:
        """How many answers ``moments[start:end]`` is, "at least" when it reaches a cut end."""
        cut = (start == 0 and self.cut_before) or (end == len(self.moments) and self.cut_after)
        return f"at least {end - start}" if cut else str(end - start)


def _runs(verdicts: PlausibilityFlags, read: Timeline) -> None:
    timeline = read.moments
    start = 0
    for end in range(1, len(timeline) + 1):
        if end == len(timeline) or timeline[end].at - timeline[end - 1].at >= RUN_GAP:
            if end - start >= RUN_ANSWERS:
                _mark(verdicts, timeline[start:end], RUN.format(n=read.count(start, end)))
            start = end


def _evenly_spaced(verdicts: PlausibilityFlags, read: Timeline) -> None:
    """Windows of EVEN_ANSWERS answers whose gaps are all at most EVEN_MAX_GAP and within EVEN_JITTER of each
    other (sliding minimum and maximum: linear in the timeline); overlapping windows make one sequence."""
    timeline = read.moments
    gaps = [current.at - previous.at for previous, current in pairwise(timeline)]
    width = EVEN_ANSWERS - 1
    even = [False] * len(gaps)  # gap i lies in an evenly spaced window
    smallest: deque[int] = deque()  # indices of gaps in the window, their gaps increasing
    largest: deque[int] = deque()  # … decreasing
    marked = 0
    for index, gap in enumerate(gaps):
        while smallest and gaps[smallest[-1]] >= gap:
            smallest.pop()
        smallest.append(index)
        while largest and gaps[largest[-1]] <= gap:
            largest.pop()
        largest.append(index)
        first = index - width + 1
        if smallest[0] < first:
            smallest.popleft()
        if largest[0] < first:
            largest.popleft()
        top, bottom = gaps[largest[0]], gaps[smallest[0]]
        if first >= 0 and top <= EVEN_MAX_GAP and top - bottom <= EVEN_JITTER:
            for inside in range(max(first, marked), index + 1):
                even[inside] = True
            marked = index + 1
    start: int | None = None
    for index in range(len(gaps) + 1):
        if index < len(gaps) and even[index]:
            start = index if start is None else start
        elif start is not None:
            members = timeline[start : index + 1]
            _mark(verdicts, members, EVEN.format(n=read.count(start, index + 1)))
            start = None


def reach(settings: Settings) -> timedelta:
    """How far from an answer the rules look: 29 gaps of 10 min (evenly spaced), or the minimum interval."""
    gap = timedelta(seconds=settings.kiosk_min_interval_seconds)
    return max(RUN_GAP * (RUN_ANSWERS - 1), EVEN_MAX_GAP * (EVEN_ANSWERS - 1), gap)


def judge(
    session: Session, settings: Settings, device: Device, new: list[tuple[uuid.UUID, datetime]]
) -> PlausibilityFlags:
    """The rules over this kiosk's timeline: its stored answers around the batch (:func:`read_timeline`), and the
    batch."""
    if not new:
        return PlausibilityFlags()
    read = read_timeline(session, device.id, new, reach=reach(settings), zone=settings.zone)
    return judge_timeline(settings, device, new, read)


def judge_timeline(
    settings: Settings, device: Device, new: list[tuple[uuid.UUID, datetime]], read: Timeline
) -> PlausibilityFlags:
    """The rules over a timeline that holds the batch ``new`` (its answers have no ``response_id``)."""
    verdicts = PlausibilityFlags()
    line = heartbeat_line(device)
    if line is not None:
        assert device.last_seen_at is not None
        for submission_id, at in new:
            if at < line:
                verdicts.new[submission_id].append(BEHIND.format(at=device.last_seen_at))
    if settings.kiosk_min_interval_seconds > 0:
        gap = timedelta(seconds=settings.kiosk_min_interval_seconds)
        mashing = MASHING.format(seconds=settings.kiosk_min_interval_seconds)
        for previous, current in pairwise(read.moments):
            if current.response_id is None and current.at - previous.at < gap:
                verdicts.new[current.submission_id].append(mashing)
    _runs(verdicts, read)
    _evenly_spaced(verdicts, read)
    return verdicts


def _timeline_statement() -> CompoundSelect[int, uuid.UUID, datetime, bool, int]:
    """The read of :func:`read_timeline`, built once. Plain bounds on ``submitted_at``, so that
    ``ix_responses_device_id_submitted_at`` gives each part in order and the database stops after 30 rows: the answers
    at the batch's first and last second are all read (the kiosk page sends whole seconds), and those before and after
    them up to :data:`NEIGHBOURS` each (which 30 of several at one second does not matter: the rules look at times)."""
    at = Response.submitted_at
    first_at, last_at = bindparam("first_at", type_=at.type), bindparam("last_at", type_=at.type)
    # The months the reach spans: on PostgreSQL the planner then reads those months' partitions only, not every
    # month's (planning each part over every partition cost more than the read itself).
    months = Response.local_month.between(bindparam("first_month"), bindparam("last_month"))
    mine = and_(Response.device_id == bindparam("device_id"), months)

    def part(number: int) -> Select[int, uuid.UUID, datetime, bool, int]:
        return select(
            Response.id, Response.submission_id, at, Response.is_suspected_spam, literal(number).label("part")
        )

    before = (
        part(-1)
        .where(mine, at < first_at, at >= bindparam("floor", type_=at.type))
        .order_by(at.desc())
        .limit(NEIGHBOURS)
        .subquery()
    )
    within = part(0).where(mine, at.between(first_at, last_at)).subquery()
    after = (
        part(1)
        .where(mine, at > last_at, at <= bindparam("ceiling", type_=at.type))
        .order_by(at)
        .limit(NEIGHBOURS)
        .subquery()
    )
    return union_all(*(select(table) for table in (before, within, after)))


_TIMELINE = _timeline_statement()


def read_timeline(
    session: Session, device_id: int, new: list[tuple[uuid.UUID, datetime]], *, reach: timedelta, zone: ZoneInfo
) -> Timeline:
    """The kiosk's stored answers from the batch's first ``submitted_at`` to its last and up to :data:`NEIGHBOURS`
    either side (none further than ``reach``), with the batch's own, in order of time, then submission id. One
    statement."""
    first_at, last_at = min(at for _, at in new), max(at for _, at in new)
    rows = session.execute(
        _TIMELINE,
        {
            "device_id": device_id,
            "first_at": first_at,
            "last_at": last_at,
            "floor": first_at - reach,
            "ceiling": last_at + reach,
            "first_month": local_period(first_at - reach, zone)[1],
            "last_month": local_period(last_at + reach, zone)[1],
        },
    ).all()
    moments = {sid: Moment(at, sid, response_id, flagged) for response_id, sid, at, flagged, _part in rows}
    for submission_id, at in new:
        moments.setdefault(submission_id, Moment(at, submission_id, None, False))
    parts = Counter(row.part for row in rows)
    return Timeline(
        # UUIDs compare as 128-bit numbers: the order of their text, as the database orders them (compared as
        # ints: UUID's own comparison is Python code, an eighth of a batch's server CPU)
        sorted(moments.values(), key=lambda moment: (moment.at, moment.submission_id.int)),
        cut_before=parts[-1] == NEIGHBOURS,
        cut_after=parts[1] == NEIGHBOURS,
    )


def flag_stored(session: Session, verdicts: PlausibilityFlags) -> int:
    """Flag the stored answers a new run or evenly spaced sequence takes in (never one an administrator released:
    ``flag_review`` set). The caller commits; returns how many were flagged."""
    by_reason: dict[str, list[int]] = defaultdict(list)
    for response_id, reason in verdicts.stored.items():
        by_reason[reason].append(response_id)
    flagged = 0
    for reason, ids in by_reason.items():
        result = session.execute(
            update(Response)
            .where(Response.id.in_(ids), Response.is_suspected_spam.is_(False), Response.flag_review.is_(None))
            .values(is_suspected_spam=True, flag_reason=reason[:REASON_LENGTH])
            .execution_options(synchronize_session=False)
        )
        flagged += int(getattr(result, "rowcount", 0) or 0)
    unsummarize(session, [number for ids in by_reason.values() for number in ids])  # the summary takes the flags
    return flagged
