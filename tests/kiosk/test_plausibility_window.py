"""The plausibility rules read a bounded timeline (app/kiosk/plausibility.py, issue 18): the batch's own span and at
most 30 stored answers either side, instead of every answer within 4 h 50 min. They flag what the whole timeline
flags, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.config import Settings
from app.directory.models import Device
from app.directory.service import create_device
from app.kiosk import plausibility
from app.kiosk.plausibility import Moment, PlausibilityFlags, Timeline
from app.kiosk.service import receive
from app.responses.models import Response
from tests.factories import counter_tree, registry


@dataclass
class Kiosk:
    device: Device
    key: str


@pytest.fixture
def kiosk(session: Session) -> Kiosk:
    """A kiosk registered two days ago (the rules accept answers from then on)."""
    _, commune, counter = counter_tree(session)
    device, key = create_device(session, agency=commune, counter=counter, label="Kiosk")
    session.flush()
    session.execute(
        update(Device).where(Device.id == device.id).values(created_at=datetime.now(UTC) - timedelta(days=2))
    )
    session.commit()
    return Kiosk(device, key)


def _item(at: datetime) -> dict[str, Any]:
    return {
        "submission_id": str(uuid.uuid4()),
        "form_id": "counter-quick",
        "form_version": 1,
        "submitted_at": at.isoformat(),
        "answers": {"overall": 5, "access_general": 4},
    }


def _whole_timeline(
    session: Session, settings: Settings, device: Device, items: list[dict[str, Any]]
) -> PlausibilityFlags:
    """The rules over every stored answer of the kiosk within their reach of the batch: what ``judge`` read before."""
    new = [(uuid.UUID(item["submission_id"]), datetime.fromisoformat(item["submitted_at"])) for item in items]
    reach = plausibility.reach(settings)
    earliest, latest = min(at for _, at in new) - reach, max(at for _, at in new) + reach
    rows = session.execute(
        select(Response.id, Response.submission_id, Response.submitted_at, Response.is_suspected_spam).where(
            Response.device_id == device.id, Response.submitted_at.between(earliest, latest)
        )
    ).all()
    moments = {
        row.submission_id: Moment(row.submitted_at, row.submission_id, row.id, row.is_suspected_spam) for row in rows
    }
    for submission_id, at in new:
        moments.setdefault(submission_id, Moment(at, submission_id, None, False))
    timeline = Timeline(sorted(moments.values(), key=lambda moment: (moment.at, str(moment.submission_id))))
    return plausibility.judge_timeline(settings, device, new, timeline)


def _counted(reason: str) -> str:
    """A reason without its count: the bounded read may say "at least 31" where the whole timeline says 200."""
    return re.sub(r"(at least )?\d+ answers", "N answers", reason)


def _verdicts(flags: PlausibilityFlags) -> tuple[dict[uuid.UUID, str], dict[int, str]]:
    new = {submission_id: _counted(reason) for submission_id in flags.new if (reason := flags.reason(submission_id))}
    return new, {response_id: _counted(reason) for response_id, reason in flags.stored.items()}


def _mixed_day(end: datetime, rng: random.Random) -> list[datetime]:
    """Eight hours at a counter with every pattern the rules know: people minutes apart, groups of 7 a dozen seconds
    apart, runs of 20–60 answers 3–9 s apart (a script, or a queue that is nearly one), metronome stretches of 15–45
    answers 90 s apart (± 0.4 s), and answers less than 5 s apart."""
    moments: list[datetime] = []
    at = end - timedelta(hours=8)
    while at < end - timedelta(minutes=10):
        pattern = rng.random()
        if pattern < 0.1:
            for _ in range(rng.randint(20, 60)):
                moments.append(at)
                at += timedelta(seconds=rng.uniform(3, 9))
        elif pattern < 0.18:
            for _ in range(rng.randint(15, 45)):
                moments.append(at)
                at += timedelta(seconds=90 + rng.uniform(-0.4, 0.4))
        elif pattern < 0.3:
            for _ in range(7):
                moments.append(at)
                at += timedelta(seconds=rng.uniform(12, 20))
        else:
            moments.append(at)
            at += timedelta(seconds=rng.choice([rng.uniform(1, 4), rng.uniform(30, 600)]))
    return [moment for moment in moments if moment < end]


@pytest.mark.parametrize("seed", [18, 1805])
def test_the_bounded_read_flags_what_the_whole_timeline_flags(
    session: Session, settings: Settings, kiosk: Kiosk, seed: int
) -> None:
    """A mixed day sent as a kiosk would after being offline and then live — batches of 1 to 120, oldest first, with
    some batches out of order — judged both ways before each batch is stored: the same answers flagged, for the same
    rules, and the same stored answers flagged afterwards."""
    rng = random.Random(seed)
    forms = registry(session, settings)
    items = [_item(at) for at in _mixed_day(datetime.now(UTC) - timedelta(minutes=5), rng)]
    batches: list[list[dict[str, Any]]] = []
    while items:
        size = rng.choice([1, 1, 1, 5, 30, 120])
        batches.append(items[:size])
        items = items[size:]
    early = batches[: len(batches) // 3]  # a third of the day arrives out of order
    rng.shuffle(early)
    batches[: len(early)] = early
    flagged_new = flagged_stored = 0
    for batch in batches:
        device = session.get(Device, kiosk.device.id)
        assert device is not None
        new = [(uuid.UUID(item["submission_id"]), datetime.fromisoformat(item["submitted_at"])) for item in batch]
        bounded = _verdicts(plausibility.judge(session, settings, device, new))
        assert bounded == _verdicts(_whole_timeline(session, settings, device, batch))
        flagged_new += len(bounded[0])
        flagged_stored += len(bounded[1])
        results = receive(session, settings, forms, device, batch)
        assert {result.status for result in results} == {"stored"}
    # The day exercised every rule, retroactive flags included.
    flagged = session.scalars(select(Response.flag_reason).where(Response.is_suspected_spam)).all()
    reasons = " ".join(reason or "" for reason in flagged)
    assert all(rule in reasons for rule in ("less than 5 s after", "run:", "evenly spaced:"))
    assert flagged_new > 100 and flagged_stored > 0


def test_a_single_post_after_a_long_run_reads_30_answers_either_side_and_counts_at_least(
    client: TestClient, session: Session, settings: Settings, kiosk: Kiosk
) -> None:
    """200 answers 5.5–8.5 s apart, then one more 6 s later: it reads 31 answers, not 201, and says "at least"."""
    start = datetime.now(UTC) - timedelta(hours=3)
    run = [_item(start + timedelta(seconds=7 * n + 1.5 * (n % 2))) for n in range(200)]
    headers = {"Authorization": f"Bearer {kiosk.key}"}
    assert client.post("/api/v1/responses/batch", json={"items": run}, headers=headers).status_code == 200
    last = datetime.fromisoformat(run[-1]["submitted_at"]) + timedelta(seconds=6)
    one = _item(last)
    new = [(uuid.UUID(one["submission_id"]), last)]
    read = plausibility.read_timeline(
        session, kiosk.device.id, new, reach=plausibility.reach(settings), zone=settings.zone
    )
    assert (len(read.moments), read.cut_before, read.cut_after) == (31, True, False)
    assert client.post("/api/v1/responses", json=one, headers=headers).status_code == 201
    flags = {
        row.submission_id: row.flag_reason
        for row in session.execute(select(Response.submission_id, Response.flag_reason))
    }
    assert flags[uuid.UUID(run[0]["submission_id"])] == (
        "run: 200 answers on this kiosk each less than 10 s after the previous one"
    )
    assert flags[uuid.UUID(one["submission_id"])] == (
        "run: at least 31 answers on this kiosk each less than 10 s after the previous one"
    )
