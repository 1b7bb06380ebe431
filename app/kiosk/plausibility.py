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
"""

from __future__ import annotations

import uuid
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.config import Settings
from app.directory.models import Device
from app.responses.models import Response

BACKDATE_TOLERANCE = timedelta(hours=1)
RUN_ANSWERS = 30
RUN_GAP = timedelta(seconds=10)
EVEN_ANSWERS = 30
EVEN_JITTER = timedelta(seconds=1)
EVEN_MAX_GAP = timedelta(minutes=10)

MASHING = "less than {seconds:g} s after the previous answer on this kiosk"
RUN = "run: {n} answers on this kiosk each less than 10 s after the previous one"
EVEN = "evenly spaced: {n} answers in a row on this kiosk, their gaps within 1 s of each other"
BEHIND = (
    "back-dated: more than 1 h before this kiosk's heartbeat at {at:%Y-%m-%d %H:%M} UTC, which reported an empty queue"
)
REASON_LENGTH = 255  # the flag_reason column


def earliest_allowed(session: Session, device: Device, now: datetime) -> datetime:
    """The earliest ``submitted_at`` accepted from this kiosk: the first registration of a kiosk at its counter (or
    agency, without a counter), less :data:`BACKDATE_TOLERANCE`; never later than ``now`` less the tolerance."""
    place = Device.counter_id.is_(None) if device.counter_id is None else Device.counter_id == device.counter_id
    first = session.scalar(select(func.min(Device.created_at)).where(Device.agency_id == device.agency_id, place))
    return min(first or device.created_at, now) - BACKDATE_TOLERANCE


def heartbeat_line(device: Device) -> datetime | None:
    """Answers dated before this are behind the kiosk's own word: its last heartbeat said its queue was empty."""
    if device.last_seen_at is None or device.queue_length != 0:
        return None
    return device.last_seen_at - BACKDATE_TOLERANCE


@dataclass(frozen=True)
class _Moment:
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


def _mark(verdicts: PlausibilityFlags, members: list[_Moment], reason: str) -> None:
    if all(member.response_id is not None for member in members):
        return  # judged when it was stored
    for member in members:
        if member.response_id is None:
            if reason not in verdicts.new[member.submission_id]:
                verdicts.new[member.submission_id].append(reason)
        elif not member.flagged:
            verdicts.stored.setdefault(member.response_id, reason)


def _runs(verdicts: PlausibilityFlags, timeline: list[_Moment]) -> None:
    start = 0
    for end in range(1, len(timeline) + 1):
        if end == len(timeline) or timeline[end].at - timeline[end - 1].at >= RUN_GAP:
            if end - start >= RUN_ANSWERS:
                _mark(verdicts, timeline[start:end], RUN.format(n=end - start))
            start = end


def _evenly_spaced(verdicts: PlausibilityFlags, timeline: list[_Moment]) -> None:
    """Windows of EVEN_ANSWERS answers whose gaps are all at most EVEN_MAX_GAP and within EVEN_JITTER of each
    other (sliding minimum and maximum: linear in the timeline); overlapping windows make one sequence."""
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
            _mark(verdicts, members, EVEN.format(n=len(members)))
            start = None


def judge(
    session: Session, settings: Settings, device: Device, new: list[tuple[uuid.UUID, datetime]]
) -> PlausibilityFlags:
    """The sequence rules over this kiosk's timeline (its stored answers around the batch, and the batch)."""
    verdicts = PlausibilityFlags()
    if not new:
        return verdicts
    line = heartbeat_line(device)
    if line is not None:
        assert device.last_seen_at is not None
        for submission_id, at in new:
            if at < line:
                verdicts.new[submission_id].append(BEHIND.format(at=device.last_seen_at))
    gap = timedelta(seconds=settings.kiosk_min_interval_seconds)
    reach = max(RUN_GAP * (RUN_ANSWERS - 1), EVEN_MAX_GAP * (EVEN_ANSWERS - 1), gap)
    earliest = min(at for _, at in new) - reach
    latest = max(at for _, at in new) + reach
    moments: dict[uuid.UUID, _Moment] = {
        row.submission_id: _Moment(row.submitted_at, row.submission_id, row.id, row.is_suspected_spam)
        for row in session.execute(
            select(Response.id, Response.submission_id, Response.submitted_at, Response.is_suspected_spam).where(
                Response.device_id == device.id, Response.submitted_at.between(earliest, latest)
            )
        ).all()
    }
    for submission_id, at in new:
        moments.setdefault(submission_id, _Moment(at, submission_id, None, False))
    timeline = sorted(moments.values(), key=lambda moment: (moment.at, str(moment.submission_id)))
    if gap > timedelta(0):
        mashing = MASHING.format(seconds=settings.kiosk_min_interval_seconds)
        for previous, current in pairwise(timeline):
            if current.response_id is None and current.at - previous.at < gap:
                verdicts.new[current.submission_id].append(mashing)
    _runs(verdicts, timeline)
    _evenly_spaced(verdicts, timeline)
    return verdicts


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
    return flagged
