"""Properties of the one ingestion path, checked on generated sequences rather than hand-picked cases.

Whatever mix of new submissions, identical replays and conflicting replays (same submission_id, other content)
arrives, one at a time through ``ingest`` or in kiosk batches through ``app.kiosk.service.receive`` (what
``POST /api/v1/responses/batch`` calls), in any order: each submission id has exactly one row, holding the
content of the first accepted submission and its answers once; the first is ``stored``, identical replays are
``duplicate`` and different content is ``conflict``. Each Hypothesis example uses submission ids of its own, so
the function-scoped database (SQLite and PostgreSQL) needs no reset between examples.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.config import Settings, decode_key
from app.db import make_session_factory
from app.directory.models import Device
from app.directory.service import create_device
from app.forms.loader import RegisteredForm
from app.kiosk.service import receive
from app.responses import ingest as ingest_module
from app.responses.ingest import Origin, Submission, ingest
from app.responses.models import Answer, Channel, Response
from app.responses.service import content_hash
from app.responses.storage import Record, Writer
from tests.factories import counter_tree, registry

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
SUBMITTED = NOW - timedelta(minutes=30)

# The contents a submission id may arrive with, and the answer rows each must leave:
# item code → (value_int, value_text, value_json).
VARIANTS: list[dict[str, Any]] = [
    {"overall": 5, "access_general": 4},
    {"overall": 4},
    {"overall": 1, "reason": ["attitude", "waiting_time"]},
    {"overall": 5, "comment": "Nhanh gọn"},
]
EXPECTED_ANSWERS: list[dict[str, tuple[int | None, str | None, list[str] | None]]] = [
    {"overall": (5, None, None), "access_general": (4, None, None)},
    {"overall": (4, None, None)},
    {"overall": (1, None, None), "reason": (None, None, ["waiting_time", "attitude"])},
    {"overall": (5, None, None), "comment": (None, "Nhanh gọn", None)},
]
POOL = 5  # submission ids per example: small, so replays and conflicts are frequent

PROPERTY_SETTINGS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# One submission: (which id of the pool, which content).
One = tuple[int, int]
one = st.tuples(st.integers(0, POOL - 1), st.integers(0, len(VARIANTS) - 1))
# A step is either a single submission through ``ingest`` or a kiosk batch (repeats inside a batch allowed).
steps = st.lists(
    st.one_of(
        st.tuples(st.just("ingest"), st.lists(one, min_size=1, max_size=1)),
        st.tuples(st.just("batch"), st.lists(one, min_size=1, max_size=6)),
    ),
    min_size=1,
    max_size=8,
)


@dataclass
class World:
    settings: Settings
    form: RegisteredForm
    forms: dict[tuple[str, int], RegisteredForm]
    agency_id: int
    counter_id: int
    device_id: int


@pytest.fixture
def world(session: Session, settings: Settings) -> World:
    _, commune, counter = counter_tree(session)
    device, _ = create_device(session, agency=commune, counter=counter, label="Kiosk")
    session.commit()
    forms = registry(session, settings)
    return World(settings, forms[("counter-quick", 1)], forms, commune.id, counter.id, device.id)


def _submission(submission_id: uuid.UUID, variant: int) -> Submission:
    return Submission(
        submission_id=submission_id,
        form_id="counter-quick",
        form_version=1,
        submitted_at=SUBMITTED,
        answers=VARIANTS[variant],
    )


def _raw(submission_id: uuid.UUID, variant: int) -> dict[str, Any]:
    """A kiosk item as the API receives it (after JSON decoding)."""
    return {
        "submission_id": str(submission_id),
        "form_id": "counter-quick",
        "form_version": 1,
        "submitted_at": SUBMITTED.isoformat(),
        "answers": VARIANTS[variant],
    }


def _run_step(session: Session, world: World, kind: str, items: list[tuple[uuid.UUID, int]]) -> list[str]:
    """Send one step through the real path; the statuses, in order."""
    if kind == "ingest":
        ((submission_id, variant),) = items
        origin = Origin(channel=Channel.web_qr, agency_id=world.agency_id, counter_id=world.counter_id)
        result = ingest(session, world.settings, world.form, _submission(submission_id, variant), origin, now=NOW)
        return [result.status]
    device = session.get(Device, world.device_id)
    assert device is not None
    results = receive(session, world.settings, world.forms, device, [_raw(sid, v) for sid, v in items], now=NOW)
    return [result.status for result in results]


def _stored(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[str, dict[str, Any]]]:
    """Each stored response of these ids: its content hash and answers (a repeated answer row would fail)."""
    session.expire_all()
    found: dict[uuid.UUID, tuple[str, dict[str, Any]]] = {}
    rows = session.execute(
        select(Response.id, Response.submission_id, Response.content_hash).where(Response.submission_id.in_(ids))
    ).all()
    for response_id, submission_id, hash_ in rows:
        assert submission_id not in found, f"two rows for {submission_id}"
        answers: dict[str, Any] = {}
        for answer in session.scalars(select(Answer).where(Answer.response_id == response_id)):
            assert answer.item_code not in answers, f"answer {answer.item_code} twice"
            answers[answer.item_code] = (answer.value_int, answer.value_text, answer.value_json)
        found[submission_id] = (hash_, answers)
    return found


def _check_end_state(session: Session, world: World, ids: list[uuid.UUID], first: dict[uuid.UUID, int]) -> None:
    key = decode_key(world.settings.dossier_hash_key or "", name="SIPAS_DOSSIER_HASH_KEY")
    stored = _stored(session, ids)
    assert set(stored) == set(first), "exactly the submitted ids have a row, one each"
    for submission_id, variant in first.items():
        hash_, answers = stored[submission_id]
        assert hash_ == content_hash(key, _submission(submission_id, variant).content())
        assert answers == EXPECTED_ANSWERS[variant]


@PROPERTY_SETTINGS
@given(plan=steps)
def test_any_sequence_of_submissions_and_replays_keeps_the_first(
    session: Session, world: World, plan: list[tuple[str, list[One]]]
) -> None:
    ids = [uuid.uuid4() for _ in range(POOL)]  # fresh per example: earlier examples' rows do not interfere
    first: dict[uuid.UUID, int] = {}  # the model: the content first accepted for each id
    for kind, items in plan:
        sent = [(ids[index], variant) for index, variant in items]
        statuses = _run_step(session, world, kind, sent)
        expected = []
        for submission_id, variant in sent:
            if submission_id not in first:
                first[submission_id] = variant
                expected.append("stored")
            else:
                expected.append("duplicate" if first[submission_id] == variant else "conflict")
        assert statuses == expected, (kind, sent)
    _check_end_state(session, world, ids, first)


def _send_retrying(engine: Engine, world: World, kind: str, items: list[tuple[uuid.UUID, int]]) -> list[str]:
    """One client's step in its own session. A deadlock between two overlapping batches is an error the client
    sees (a 500 through the API) and retries, as kiosks do; what matters is what is stored in the end."""
    for _ in range(5):
        with make_session_factory(engine)() as session:
            try:
                return _run_step(session, world, kind, items)
            except OperationalError as exc:
                if "deadlock" not in str(exc):
                    raise
                session.rollback()
    raise AssertionError("still deadlocked after 5 attempts")


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@pytest.mark.slow
@pytest.mark.parametrize("backend", ["postgresql"])  # concurrent writers; SQLite serialises them
@given(plans=st.tuples(steps, steps))
def test_two_clients_at_once_leave_one_row_per_id(
    engine: Engine, world: World, monkeypatch: pytest.MonkeyPatch, plans: tuple[list[tuple[str, list[One]]], ...]
) -> None:
    # Hold each transaction open a moment after its INSERT … ON CONFLICT, so the other client's overlapping
    # inserts really meet uncommitted rows (and wait on them) instead of running one after the other.
    writer_for = ingest_module.writer_for

    def slow_writer(session: Session) -> Writer:
        writer = writer_for(session)
        insert = writer.insert

        def slow_insert(records: Sequence[Record]) -> dict[int, int]:
            inserted = insert(records)
            time.sleep(0.005)
            return inserted

        monkeypatch.setattr(writer, "insert", slow_insert)
        return writer

    monkeypatch.setattr(ingest_module, "writer_for", slow_writer)
    ids = [uuid.uuid4() for _ in range(POOL)]
    outcomes: list[list[tuple[uuid.UUID, int, str]]] = [[], []]
    failures: list[BaseException] = []
    barrier = threading.Barrier(2)

    def client(number: int) -> None:
        try:
            barrier.wait()
            for kind, items in plans[number]:
                sent = [(ids[index], variant) for index, variant in items]
                statuses = _send_retrying(engine, world, kind, sent)
                outcomes[number] += [(sid, v, status) for (sid, v), status in zip(sent, statuses, strict=True)]
        except BaseException as exc:  # reported below, in the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=client, args=(number,)) for number in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    everything = outcomes[0] + outcomes[1]
    winners: dict[uuid.UUID, int] = {}
    for submission_id, variant, status in everything:
        if status == "stored":
            assert submission_id not in winners, f"{submission_id} stored twice"
            winners[submission_id] = variant
    assert set(winners) == {submission_id for submission_id, _, _ in everything}
    for submission_id, variant, status in everything:
        if status != "stored":
            assert status == ("duplicate" if winners[submission_id] == variant else "conflict")
    with make_session_factory(engine)() as session:
        _check_end_state(session, world, ids, winners)
