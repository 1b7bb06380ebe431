"""Back-dated kiosk answers: bounds on ``submitted_at`` and flags on implausible sequences (app/kiosk/plausibility.py),
through the HTTP API, on SQLite and PostgreSQL. The honest case is tested as hard as the abusive ones."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.directory.models import Counter, Device
from app.directory.service import create_device, revoke_device
from app.kiosk import plausibility
from app.responses.models import Response
from tests.factories import counter_tree


@pytest.fixture
def now() -> datetime:
    return datetime.now(UTC)


def _item(at: datetime, **changes: Any) -> dict[str, Any]:
    return {
        "submission_id": str(uuid.uuid4()),
        "form_id": "counter-quick",
        "form_version": 1,
        "submitted_at": at.isoformat(),
        "answers": {"overall": 5, "access_general": 4},
        **changes,
    }


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def counter(session: Session) -> Counter:
    return counter_tree(session)[2]


def _kiosk(session: Session, counter: Counter, *, registered_days_ago: float = 60) -> tuple[Device, str]:
    """A kiosk at Q01, registered ``registered_days_ago`` days ago (the rules look at its registration)."""
    device, key = create_device(session, agency=counter.agency, counter=counter, label="Kiosk")
    session.flush()
    registered = datetime.now(UTC) - timedelta(days=registered_days_ago)
    session.execute(update(Device).where(Device.id == device.id).values(created_at=registered))
    session.commit()
    return device, key


def _seen(session: Session, device: Device, *, at: datetime, queue_length: int | None) -> None:
    """The kiosk's last heartbeat, as ``POST /api/v1/kiosk/heartbeat`` records it, at a chosen moment."""
    values = {"last_seen_at": at, "queue_length": queue_length}
    session.execute(update(Device).where(Device.id == device.id).values(**values))
    session.commit()


def _send(client: TestClient, key: str, items: list[dict[str, Any]]) -> list[str]:
    response = client.post("/api/v1/responses/batch", json={"items": items}, headers=_auth(key))
    assert response.status_code == 200, response.text
    return [result["status"] for result in response.json()["results"]]


def _flags(session: Session) -> dict[str, str | None]:
    """Submission id → flag reason (None: counted) of every stored answer."""
    session.expire_all()
    rows = session.execute(select(Response.submission_id, Response.is_suspected_spam, Response.flag_reason)).all()
    return {str(row.submission_id): row.flag_reason if row.is_suspected_spam else None for row in rows}


def test_300_answers_back_dated_30_days_6_s_apart_are_flagged(
    client: TestClient, session: Session, counter: Counter, now: datetime
) -> None:
    """The repro: stored with 0 flagged. The key is two months old, so the dates are within its bounds."""
    _device, key = _kiosk(session, counter)
    start = now - timedelta(days=30)
    items = [_item(start + timedelta(seconds=6 * n)) for n in range(300)]
    assert _send(client, key, items) == ["stored"] * 300
    flags = _flags(session)
    assert all(flags[item["submission_id"]] for item in items)
    assert flags[items[0]["submission_id"]] == (
        "run: 300 answers on this kiosk each less than 10 s after the previous one; "
        "evenly spaced: 300 answers in a row on this kiosk, their gaps within 1 s of each other"
    )


def test_a_new_key_cannot_date_answers_before_any_kiosk_was_registered_at_its_counter(
    client: TestClient, session: Session, counter: Counter, now: datetime
) -> None:
    _device, key = _kiosk(session, counter, registered_days_ago=0)
    response = client.post(
        "/api/v1/responses/batch", json={"items": [_item(now - timedelta(days=30))]}, headers=_auth(key)
    )
    [result] = response.json()["results"]
    assert result["status"] == "invalid"
    [problem] = result["errors"]
    assert problem["pointer"] == "/items/0/submitted_at"
    assert problem["message"].endswith("earlier than any kiosk was registered at this counter (device clock wrong?)")
    # An hour of tolerance for a slow clock.
    assert _send(client, key, [_item(now - timedelta(minutes=50))]) == ["stored"]


def test_a_tablet_given_a_new_key_still_sends_its_older_queue(
    client: TestClient, session: Session, counter: Counter, now: datetime
) -> None:
    """The floor is the first kiosk registered at the counter, not this key: a replaced key keeps its queue."""
    old, _old_key = _kiosk(session, counter, registered_days_ago=20)
    revoke_device(session, key_prefix=old.key_prefix)
    _new, key = _kiosk(session, counter, registered_days_ago=0)
    assert _send(client, key, [_item(now - timedelta(days=3))]) == ["stored"]
    assert _send(client, key, [_item(now - timedelta(days=25))]) == ["invalid"]


def test_answers_dated_before_a_heartbeat_that_reported_an_empty_queue_are_flagged(
    client: TestClient, session: Session, counter: Counter, now: datetime
) -> None:
    device, key = _kiosk(session, counter)
    _seen(session, device, at=now - timedelta(minutes=1), queue_length=0)
    behind = [_item(now - timedelta(hours=5, minutes=7 * n)) for n in range(3)]
    recent = _item(now - timedelta(minutes=40))  # within the hour's tolerance of the heartbeat
    assert _send(client, key, [*behind, recent]) == ["stored"] * 4
    flags = _flags(session)
    assert [flags[item["submission_id"]] for item in behind] == [
        plausibility.BEHIND.format(at=now - timedelta(minutes=1))
    ] * 3
    assert flags[recent["submission_id"]] is None


@pytest.mark.parametrize("queue_length", [7, None])
def test_a_heartbeat_with_a_queue_or_without_a_count_is_no_evidence(
    client: TestClient, session: Session, counter: Counter, now: datetime, queue_length: int | None
) -> None:
    device, key = _kiosk(session, counter)
    _seen(session, device, at=now - timedelta(minutes=1), queue_length=queue_length)
    item = _item(now - timedelta(hours=5))
    assert _send(client, key, [item]) == ["stored"]
    assert _flags(session)[item["submission_id"]] is None


def test_a_run_split_over_batches_is_flagged_back_to_its_first_answer(
    client: TestClient, session: Session, counter: Counter, now: datetime
) -> None:
    """29 answers 6 s apart pass; the 30th flags all 30, except one an administrator already released."""
    _device, key = _kiosk(session, counter)
    start = now - timedelta(hours=2)
    items = [_item(start + timedelta(seconds=7 * n + 1.5 * (n % 2))) for n in range(30)]  # 8.5, 5.5, 8.5 … s
    assert _send(client, key, items[:29]) == ["stored"] * 29
    assert not any(_flags(session).values())
    released = uuid.UUID(items[3]["submission_id"])
    session.execute(update(Response).where(Response.submission_id == released).values(flag_review="released"))
    session.commit()
    assert _send(client, key, items[29:]) == ["stored"]
    flags = _flags(session)
    reason = "run: 30 answers on this kiosk each less than 10 s after the previous one"
    assert {sid: flag for sid, flag in flags.items() if sid != str(released)} == {
        item["submission_id"]: reason for item in items if item["submission_id"] != str(released)
    }
    assert flags[str(released)] is None


@pytest.mark.parametrize(("count", "flagged"), [(29, False), (30, True)])
def test_answers_spaced_like_a_metronome_are_flagged(
    client: TestClient, session: Session, counter: Counter, now: datetime, count: int, flagged: bool
) -> None:
    _device, key = _kiosk(session, counter)
    start = now - timedelta(days=2)
    items = [_item(start + timedelta(seconds=90 * n)) for n in range(count)]
    assert _send(client, key, items) == ["stored"] * count
    reasons = set(_flags(session).values())
    assert reasons == (
        {f"evenly spaced: {count} answers in a row on this kiosk, their gaps within 1 s of each other"}
        if flagged
        else {None}
    )


def _honest_day(end: datetime, rng: random.Random) -> list[datetime]:
    """A day at a counter as people give it: minutes apart, bursts when a queue clears (a group of 7, each person
    12–20 s after the previous), quiet over lunch."""
    moments: list[datetime] = []
    at = end - timedelta(hours=23, minutes=30)
    while at < end - timedelta(minutes=5):
        if rng.random() < 0.08:
            for _ in range(7):
                moments.append(at)
                at += timedelta(seconds=rng.uniform(12, 20))
        else:
            moments.append(at)
            at += timedelta(seconds=rng.uniform(30, 600))
        if 11 <= at.hour < 13:
            at += timedelta(minutes=rng.uniform(0, 30))
    return moments


def test_an_honest_kiosk_offline_for_a_day_syncs_its_queue_without_a_single_flag(
    client: TestClient, session: Session, counter: Counter, now: datetime
) -> None:
    """It beat last with an empty queue a day ago, went offline, collected answers, and now sends them the way
    /kiosk does: 100 at a time, oldest first, with the 60 s heartbeat (queue not empty) landing mid-sync; then its
    queue is empty, and answers come one by one again."""
    device, key = _kiosk(session, counter, registered_days_ago=30)
    went_offline = now - timedelta(hours=24)
    _seen(session, device, at=went_offline, queue_length=0)
    moments = _honest_day(now, random.Random(20261120))
    queue = [_item(moment) for moment in moments]
    assert len(queue) > 200
    while queue:
        batch, queue = queue[:100], queue[100:]
        assert _send(client, key, batch) == ["stored"] * len(batch)
        beat = client.post("/api/v1/kiosk/heartbeat", json={"queue_length": len(queue)}, headers=_auth(key))
        assert beat.status_code == 200
    after = [_item(now + timedelta(seconds=40 * n)) for n in range(3)]  # live again, queue empty at its heartbeat
    for item in after:
        assert _send(client, key, [item]) == ["stored"]
    flags = _flags(session)
    assert len(flags) == len(moments) + 3
    assert {reason for reason in flags.values()} == {None}
