"""One ingestion path: validation with JSON pointers, exactly-once storage, replays and conflicts."""

from __future__ import annotations

import hashlib
import hmac
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.config import Settings, decode_key
from app.db import make_session_factory
from app.directory.models import ProcedureField
from app.responses.ingest import Origin, Submission, SubmissionInvalid, ingest, prune_unasked, validate
from app.responses.models import Answer, Channel, Response
from app.responses.service import canonical_json, dossier_hash
from tests.factories import counter_tree, registry

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
GOOD = {
    "overall": 5,
    "access_general": 4,
    "civil_servant_general": 3,
    "procedure_field": "land",
    "comment": "  Nhanh gọn  ",
    "dossier_code": "000.00.12.H26-261120-0001",
    "reason": None,
}


def _submission(answers: dict[str, object], submission_id: uuid.UUID | None = None) -> Submission:
    return Submission(
        submission_id=submission_id or uuid.uuid4(),
        form_id="counter-quick",
        form_version=1,
        submitted_at=NOW - timedelta(minutes=1),
        answers=answers,
    )


@pytest.fixture
def quick(session: Session, settings: Settings):  # type: ignore[no-untyped-def]
    return registry(session, settings)[("counter-quick", 1)]


def _errors(quick, answers):  # type: ignore[no-untyped-def]
    with pytest.raises(SubmissionInvalid) as caught:
        validate(quick.definition, answers)
    return {error.pointer: error.message for error in caught.value.errors}


def test_a_valid_submission_is_stored_with_its_answers(session: Session, settings: Settings, quick) -> None:
    _, commune, counter = counter_tree(session)
    origin = Origin(channel=Channel.web_qr, agency_id=commune.id, counter_id=counter.id)
    result = ingest(session, settings, quick, _submission(GOOD), origin, now=NOW)
    assert result.status == "stored" and result.received_at == NOW
    session.expire_all()
    response = session.get(Response, result.response_id)
    assert response is not None
    assert (response.agency_id, response.counter_id, response.channel) == (commune.id, counter.id, Channel.web_qr)
    assert response.local_month == 202611
    field = session.scalar(select(ProcedureField.code).where(ProcedureField.id == response.procedure_field_id))
    assert field == "land"
    key = decode_key(settings.dossier_hash_key or "", name="key")
    assert response.dossier_hash == dossier_hash(key, "000.00.12.H26-261120-0001")
    answers = {a.item_code: (a.value_int, a.value_text, a.satisfied) for a in response.answers}
    # The dossier code and procedure field live on the response, not among the answers.
    assert answers == {
        "overall": (5, None, 1),
        "access_general": (4, None, 1),
        "civil_servant_general": (3, None, 0),
        "comment": (None, "Nhanh gọn", None),
    }


def test_identical_replay_is_a_duplicate_with_the_original_time(session: Session, settings: Settings, quick) -> None:
    _, commune, counter = counter_tree(session)
    origin = Origin(channel=Channel.kiosk, agency_id=commune.id, counter_id=counter.id)
    submission = _submission(GOOD)
    first = ingest(session, settings, quick, submission, origin, now=NOW)
    again = ingest(session, settings, quick, submission, origin, now=NOW + timedelta(hours=3))
    assert again.status == "duplicate"
    assert (again.response_id, again.received_at) == (first.response_id, NOW)
    assert session.scalar(select(func.count()).select_from(Response)) == 1


def test_same_id_different_content_is_a_conflict_that_changes_nothing(
    session: Session, settings: Settings, quick
) -> None:
    _, commune, _ = counter_tree(session)
    origin = Origin(channel=Channel.kiosk, agency_id=commune.id)
    submission_id = uuid.uuid4()
    ingest(session, settings, quick, _submission({"overall": 5}, submission_id), origin, now=NOW)
    result = ingest(
        session, settings, quick, _submission({"overall": 1, "reason": ["attitude"]}, submission_id), origin, now=NOW
    )
    assert result.status == "conflict"
    assert "different content" in (result.message or "")
    session.expire_all()
    assert session.scalars(select(Answer.value_int)).all() == [5]


def test_validation_names_each_field_and_why(quick) -> None:
    errors = _errors(
        quick,
        {
            "overall": 7,
            "access_general": "x",
            "colour": "blue",
            "reason": ["bribe"],
            "procedure_field": "moon",
            "comment": "a" * 501,
        },
    )
    assert errors == {
        "/answers/colour": "unknown item for this form version",
        "/answers/overall": "must be one of the levels [1, 2, 3, 4, 5]",
        "/answers/access_general": "must be one of the levels [1, 2, 3, 4, 5]",
        "/answers/reason": "unknown options ['bribe']; allowed: ['waiting_time', 'unclear_guidance', "
        "'extra_documents', 'late_result', 'attitude', 'facilities', 'other']",
        "/answers/procedure_field": "must be one of ['civil_status', 'land', 'construction', 'business', "
        "'social_insurance', 'justice', 'other']",
        "/answers/comment": "is 501 characters long; at most 500 are allowed",
    }


def test_skip_rules_and_required_items(quick) -> None:
    assert _errors(quick, {}) == {"/answers/overall": "an answer is required"}
    # "reason" is asked, and required, only when dissatisfied.
    assert _errors(quick, {"overall": 2}) == {"/answers/reason": "an answer is required"}
    assert _errors(quick, {"overall": 4, "reason": ["attitude"]}) == {
        "/answers/reason": "not asked: answered only when 'overall' is one of [1, 2]"
    }
    assert validate(quick.definition, {"overall": 1, "reason": ["attitude", "waiting_time"]}).answers == {
        "overall": 1,
        "reason": ["waiting_time", "attitude"],
    }
    assert prune_unasked(quick.definition, {"overall": 4, "reason": ["attitude"]}) == {"overall": 4}


def test_booleans_and_nul_characters_are_refused(quick) -> None:
    assert _errors(quick, {"overall": True}) == {"/answers/overall": "must be one of the levels [1, 2, 3, 4, 5]"}
    assert _errors(quick, {"overall": 5, "comment": "a\x00b"}) == {
        "/answers/comment": "must not contain NUL characters"
    }


@pytest.mark.parametrize(
    ("shift", "message"),
    [
        (timedelta(minutes=11), "is in the future by more than 600 seconds (device clock wrong?)"),
        (-timedelta(days=401), "is older than the 400-day window"),
    ],
)
def test_submission_time_must_be_plausible(session: Session, settings: Settings, quick, shift, message) -> None:
    _, commune, _ = counter_tree(session)
    submission = Submission(uuid.uuid4(), "counter-quick", 1, NOW + shift, {"overall": 5})
    with pytest.raises(SubmissionInvalid) as caught:
        ingest(session, settings, quick, submission, Origin(channel=Channel.kiosk, agency_id=commune.id), now=NOW)
    assert caught.value.details == [{"pointer": "/submitted_at", "message": message}]
    assert session.scalar(select(func.count()).select_from(Response)) == 0


def test_concurrent_replays_store_exactly_one_row(engine: Engine, settings: Settings, quick) -> None:
    factory = make_session_factory(engine)
    with factory() as session:
        _, commune, _ = counter_tree(session)
        agency_id = commune.id
    submission = _submission({"overall": 4})
    results: list[str] = []
    barrier = threading.Barrier(8)

    def send() -> None:
        with factory() as own:
            barrier.wait()
            results.append(
                ingest(
                    own, settings, quick, submission, Origin(channel=Channel.kiosk, agency_id=agency_id), now=NOW
                ).status
            )

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["duplicate"] * 7 + ["stored"]
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(Response)) == 1
        assert session.scalar(select(func.count()).select_from(Answer)) == 1


def test_the_stored_content_hash_is_keyed_so_it_does_not_give_the_dossier_code_back(
    session: Session, settings: Settings, quick
) -> None:
    """The content holds the dossier code; an unkeyed hash of it would let anyone with the database find the code
    by trying the few thousand codes of a day."""
    _, commune, _ = counter_tree(session)
    submission = _submission({"overall": 4, "dossier_code": "000.00.12.H26-261120-4711"})
    result = ingest(session, settings, quick, submission, Origin(channel=Channel.kiosk, agency_id=commune.id), now=NOW)
    stored = session.scalar(select(Response.content_hash).where(Response.id == result.response_id))
    plain = hashlib.sha256(canonical_json(submission.content()).encode()).hexdigest()
    key = decode_key(settings.dossier_hash_key or "", name="key")
    assert stored == hmac.new(key, plain.encode(), hashlib.sha256).hexdigest()
    assert stored != plain
