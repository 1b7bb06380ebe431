"""The review queue of flagged responses: a burst must not delete an honest answer unseen.

The suppression reproduced through the citizen form (one genuine answer, then 10 rapid ones on the same link: the
genuine one is flagged with them), listed as pending, released by an administrator, counted again by
``/api/v1/satisfaction``; another province's administrator neither sees nor releases it. Then the rules: states and
filters, idempotence, 409 without ``overrule``, audit events, required reason, bulk all or nothing, ids outside the
queue answering like unknown ones, and a decision racing another."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.config import Settings
from app.db import utcnow
from app.directory.models import Agency, AgencyLevel, Counter, Role
from app.directory.service import create_agency, create_counter
from app.links import service as links
from app.main import create_app
from app.responses import review
from app.responses.ingest import Origin, Submission, prepare, store
from app.responses.models import Channel, Response
from app.responses.schemas import ReviewState
from tests.factories import Clock, counter_tree, login, registry, stranger, submit

SATISFIED = {"overall": "5", "access_general": "5"}
ANGRY = {"overall": "1", "reason": "attitude", "access_general": "1"}
FLAGGED = "/api/v1/responses/flagged"


def _other_province(session: Session) -> tuple[Agency, Counter]:
    other = create_agency(session, code="HP", name_vi="Hải Phòng", level=AgencyLevel.province)
    counter = create_counter(session, agency=other, code="Q09", name_vi="Quầy 9")
    session.commit()
    return other, counter


def _rows(session: Session) -> list[Response]:
    session.expire_all()
    return list(session.scalars(select(Response).order_by(Response.id)))


def _figures(client: TestClient, headers: dict[str, str]) -> tuple[int, float, int]:
    body = client.get("/api/v1/satisfaction", params={"from": "2000-01-01"}, headers=headers).json()
    sipas = next(row for row in body["total"] if row["indicator"] == "sipas")
    return sipas["n"], sipas["estimate_pct"], body["meta"]["excluded_suspected_spam"]


def _events(session: Session, action: str) -> list[AuditEvent]:
    session.expire_all()
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def _masked(text: str, number: int) -> str:
    return text.replace(str(number), "<id>")


def test_a_genuine_answer_caught_in_a_burst_is_released_and_counts_again(
    settings: Settings, session: Session, clock: Clock
) -> None:
    province, _commune, counter = counter_tree(session)
    other, _other_counter = _other_province(session)
    app = create_app(settings)
    path = "/f/" + links.counter_token(settings, counter)
    serial = itertools.count()
    # Two earlier real answers, minutes before: one satisfied, one not.
    for answers in (SATISFIED, ANGRY):
        assert submit(stranger(app, next(serial)), path, answers) == 303
        clock.advance(120)
    # The genuine answer, then 10 answers within 60 s from anyone (new addresses, no cookies).
    assert submit(stranger(app, next(serial)), path, SATISFIED) == 303
    for _ in range(10):
        clock.advance(4)
        assert submit(stranger(app, next(serial)), path, ANGRY) == 303
    rows = _rows(session)
    genuine = rows[2]
    assert [row.is_suspected_spam for row in rows] == [False, False] + [True] * 11
    assert genuine.flag_reason == "burst: 11 submissions on this link within 60 s"  # the suppression
    with TestClient(app) as client:
        admin = login(client, session, "hn-admin", Role.province_admin, province)
        stranger_admin = login(client, session, "hp-admin", Role.province_admin, other)
        assert _figures(client, admin) == (2, 50.0, 11)  # the genuine answer is left out

        pending = client.get(FLAGGED, params={"review": "pending"}, headers=admin).json()
        assert pending["total"] == 11 and pending["review"] == "pending"
        listed = {item["id"]: item for item in pending["items"]}
        assert listed[genuine.id]["review"] == "pending" and listed[genuine.id]["reviewed_by"] is None
        assert client.get(FLAGGED, headers=admin).json()["total"] == 11  # pending is the default

        # Another province's administrator neither sees nor releases it: the same 404 as an unknown id.
        theirs = client.get(FLAGGED, params={"review": "all"}, headers=stranger_admin).json()
        assert theirs["total"] == 0 and theirs["items"] == []
        assert client.get(FLAGGED, params={"agency": "HN-X01"}, headers=stranger_admin).status_code == 404
        refused = client.post(f"{FLAGGED}/{genuine.id}/release", json={"reason": "mine"}, headers=stranger_admin)
        unknown = client.post(f"{FLAGGED}/987654321/release", json={"reason": "mine"}, headers=stranger_admin)
        assert refused.status_code == unknown.status_code == 404
        assert _masked(refused.text, genuine.id) == _masked(unknown.text, 987654321)
        bulk = {"ids": [genuine.id], "decision": "release", "reason": "mine"}
        assert client.post(f"{FLAGGED}/review", json=bulk, headers=stranger_admin).status_code == 404
        assert not _rows(session)[2].flag_review

        released = client.post(f"{FLAGGED}/{genuine.id}/release", json={"reason": "a real citizen"}, headers=admin)
        assert released.status_code == 200, released.text
        body = released.json()
        assert (body["decision"], body["changed"]) == ("release", True)
        assert (body["item"]["id"], body["item"]["review"], body["item"]["reviewed_by"]) == (
            genuine.id,
            "released",
            "hn-admin",
        )
        assert body["item"]["reviewed_at"] is not None
        # Counted again in the figures: n 2 → 3, 50% → 66.7%, 11 → 10 left out.
        n, pct, excluded = _figures(client, admin)
        assert (n, round(pct, 1), excluded) == (3, 66.7, 10)
        assert client.get(FLAGGED, headers=admin).json()["total"] == 10
        done = client.get(FLAGGED, params={"review": "released"}, headers=admin).json()
        assert [item["id"] for item in done["items"]] == [genuine.id]
    row = _rows(session)[2]
    assert (row.is_suspected_spam, row.flag_review, row.flag_reviewed_by) == (False, "released", "hn-admin")
    assert row.flag_reason == "burst: 11 submissions on this link within 60 s"  # kept: why it was flagged
    [event] = _events(session, "response.flag_release")
    assert (event.actor, event.object_type, event.object_id) == ("hn-admin", "response", str(genuine.id))
    assert event.details == {
        "from": "pending",
        "to": "released",
        "reason": "a real citizen",
        "flag_reason": "burst: 11 submissions on this link within 60 s",
    }


def _flag(
    session: Session,
    settings: Settings,
    agency: Agency,
    count: int = 1,
    *,
    spam: bool = True,
    test: bool = False,
) -> list[int]:
    """Stored counter-quick responses of ``agency`` (flagged by the honeypot unless ``spam`` is false); their ids."""
    form = registry(session, settings)[("counter-quick", 1)]
    submitted = datetime.combine(date(2025, 3, 10), time(10, 0), tzinfo=settings.zone).astimezone(UTC)
    origin = Origin(
        channel=Channel.web_qr,
        agency_id=agency.id,
        is_suspected_spam=spam,
        is_test=test,
        flag_reason="honeypot field filled" if spam else None,
    )
    prepared = [
        prepare(
            settings,
            form,
            Submission(uuid.uuid4(), "counter-quick", 1, submitted + timedelta(seconds=n), {"overall": 5}),
            origin,
            now=submitted + timedelta(minutes=1),
        )
        for n in range(count)
    ]
    results = store(session, prepared)
    return [result.response_id for result in results if result.response_id is not None]


@pytest.fixture
def queue(settings: Settings, session: Session) -> Iterator[tuple[TestClient, dict[str, str], list[int], Agency]]:
    """An administrator of HN, four pending flagged responses of its commune; one of Hải Phòng."""
    province, commune, _counter = counter_tree(session)
    other, _other_counter = _other_province(session)
    ids = _flag(session, settings, commune, 4)
    _flag(session, settings, other)
    with TestClient(create_app(settings)) as client:
        yield client, login(client, session, "reviewer", Role.province_admin, province), ids, other


Queue = tuple[TestClient, dict[str, str], list[int], Agency]


def _post(client: TestClient, headers: dict[str, str], path: str, body: dict[str, Any]) -> Any:
    return client.post(FLAGGED + path, json=body, headers=headers)


def test_the_listing_filters_by_review_state(queue: Queue, session: Session, settings: Settings) -> None:
    client, admin, ids, _other = queue
    commune = session.scalar(select(Agency).where(Agency.code == "HN-X01"))
    assert commune is not None
    _flag(session, settings, commune, spam=True, test=True)  # a test response: not part of the queue
    _flag(session, settings, commune, spam=False)  # never flagged
    assert _post(client, admin, f"/{ids[0]}/release", {"reason": "real"}).status_code == 200
    assert _post(client, admin, f"/{ids[1]}/confirm", {"reason": "script"}).status_code == 200

    def listed(state: str) -> dict[int, dict[str, Any]]:
        page = client.get(FLAGGED, params={"review": state}, headers=admin).json()
        assert page["total"] == len(page["items"]) and page["review"] == state
        return {item["id"]: item for item in page["items"]}

    assert set(listed("pending")) == set(ids[2:])
    assert set(listed("released")) == {ids[0]}
    assert set(listed("confirmed")) == {ids[1]}
    everything = listed("all")
    assert set(everything) == set(ids)
    assert {everything[i]["review"] for i in ids} == {"pending", "released", "confirmed"}
    confirmed = everything[ids[1]]
    assert confirmed["reviewed_by"] == "reviewer"
    assert abs(datetime.fromisoformat(confirmed["reviewed_at"]) - utcnow()) < timedelta(minutes=1)
    assert everything[ids[2]]["reviewed_at"] is None and everything[ids[2]]["reviewed_by"] is None
    # Paging and the period filter still apply.
    page = client.get(FLAGGED, params={"review": "all", "limit": 3, "offset": 3}, headers=admin).json()
    assert (page["total"], len(page["items"])) == (4, 1)
    assert client.get(FLAGGED, params={"review": "all", "from": "2025-03-11"}, headers=admin).json()["total"] == 0
    wrong = client.get(FLAGGED, params={"review": "maybe"}, headers=admin)
    assert wrong.status_code == 422 and wrong.json()["error"]["message"].startswith("/query/review: ")
    # A released answer that a later burst flags again is back in the queue as pending.
    session.execute(update(Response).where(Response.id == ids[0]).values(is_suspected_spam=True))
    session.commit()
    assert ids[0] in listed("pending") and ids[0] not in listed("released")
    assert _post(client, admin, f"/{ids[0]}/release", {"reason": "still real"}).json()["changed"] is True


def test_the_same_decision_twice_changes_nothing_and_the_other_one_needs_overrule(
    queue: Queue, session: Session
) -> None:
    client, admin, ids, _other = queue
    target = ids[0]
    first = _post(client, admin, f"/{target}/confirm", {"reason": "script"})
    assert first.status_code == 200 and first.json()["changed"] is True
    again = _post(client, admin, f"/{target}/confirm", {"reason": "script, surely"})
    assert again.status_code == 200 and again.json()["changed"] is False
    assert again.json()["item"]["review"] == "confirmed"
    assert len(_events(session, "response.flag_confirm")) == 1  # nothing written the second time

    refused = _post(client, admin, f"/{target}/release", {"reason": "changed my mind"})
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "conflict"
    assert error["message"] == (
        f'nothing was changed: response {target} was already confirmed by reviewer; send "overrule": true to '
        "release it anyway"
    )
    assert error["details"] == {"decided": [{"id": target, "review": "confirmed"}]}
    assert _rows(session)[0].flag_review == "confirmed"

    overruled = _post(client, admin, f"/{target}/release", {"reason": "the citizen called", "overrule": True})
    assert overruled.status_code == 200 and overruled.json()["item"]["review"] == "released"
    row = _rows(session)[0]
    assert (row.is_suspected_spam, row.flag_review) == (False, "released")
    [event] = _events(session, "response.flag_release")
    assert event.details == {
        "from": "confirmed",
        "to": "released",
        "reason": "the citizen called",
        "flag_reason": "honeypot field filled",
        "overruled": {"review": "confirmed", "by": "reviewer"},
    }
    # And back, again only with overrule.
    assert _post(client, admin, f"/{target}/confirm", {"reason": "no"}).status_code == 409
    back = _post(client, admin, f"/{target}/confirm", {"reason": "no after all", "overrule": True})
    assert back.status_code == 200 and _rows(session)[0].is_suspected_spam is True
    # overrule on a pending response is simply a decision.
    assert _post(client, admin, f"/{ids[1]}/release", {"reason": "real", "overrule": True}).status_code == 200


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({}, "/reason"),
        ({"reason": "   "}, "/reason"),
        ({"reason": "x" * 501}, "/reason"),
        ({"reason": "ok", "note": "?"}, "/note"),
        ({"reason": "ok", "overrule": "perhaps"}, "/overrule"),
    ],
)
def test_a_decision_needs_a_reason(queue: Queue, session: Session, body: dict[str, Any], pointer: str) -> None:
    client, admin, ids, _other = queue
    answer = _post(client, admin, f"/{ids[0]}/release", body)
    assert answer.status_code == 422 and answer.json()["error"]["message"].startswith(f"{pointer}: ")
    assert _rows(session)[0].flag_review is None


def test_only_responses_in_the_queue_and_in_scope_can_be_decided(
    queue: Queue, session: Session, settings: Settings
) -> None:
    client, admin, ids, other = queue
    commune = session.scalar(select(Agency).where(Agency.code == "HN-X01"))
    assert commune is not None
    [test_row] = _flag(session, settings, commune, spam=True, test=True)
    [clean] = _flag(session, settings, commune, spam=False)
    [foreign] = session.scalars(select(Response.id).where(Response.agency_id == other.id)).all()
    unknown = 2**40
    answers = {
        number: _post(client, admin, f"/{number}/confirm", {"reason": "?"})
        for number in (test_row, clean, foreign, unknown)
    }
    for number, answer in answers.items():
        assert answer.status_code == 404
        assert answer.json() == {
            "error": {"code": "not_found", "message": f"nothing was changed: no flagged response with id {number}"}
        }
    too_big = _post(client, admin, f"/{2**63}/confirm", {"reason": "?"})
    assert too_big.status_code == 422 and too_big.json()["error"]["message"].startswith("/path/response_id: ")
    assert session.scalar(select(func.count()).select_from(Response).where(Response.flag_review.is_not(None))) == 0
    official = login(client, session, "clerk", Role.agency_official, commune)
    assert _post(client, official, f"/{ids[0]}/release", {"reason": "?"}).status_code == 403


def test_a_bulk_decision_is_all_or_nothing(queue: Queue, session: Session) -> None:
    client, admin, ids, other = queue
    [foreign] = session.scalars(select(Response.id).where(Response.agency_id == other.id)).all()

    def unreviewed() -> int:
        session.expire_all()
        return int(
            session.scalar(select(func.count()).select_from(Response).where(Response.flag_review.is_(None))) or 0
        )

    outside = _post(client, admin, "/review", {"ids": [*ids, foreign], "decision": "confirm", "reason": "scripts"})
    assert outside.status_code == 404
    assert outside.json()["error"] == {
        "code": "not_found",
        "details": {"missing": [foreign]},
        "message": f"nothing was changed: no flagged response with id {foreign}",
    }
    assert unreviewed() == 5

    assert _post(client, admin, f"/{ids[3]}/release", {"reason": "real"}).status_code == 200
    clash = _post(client, admin, "/review", {"ids": ids, "decision": "confirm", "reason": "scripts"})
    assert clash.status_code == 409
    assert clash.json()["error"]["details"] == {"decided": [{"id": ids[3], "review": "released"}]}
    assert unreviewed() == 4  # the first three are still pending

    done = _post(client, admin, "/review", {"ids": [ids[0], ids[1], ids[0]], "decision": "confirm", "reason": "s"})
    assert done.status_code == 200
    body = done.json()
    assert (body["decision"], body["changed"], body["unchanged"]) == ("confirm", 2, 0)
    assert [item["id"] for item in body["items"]] == [ids[0], ids[1]]  # a repeated id counts once
    assert {item["review"] for item in body["items"]} == {"confirmed"}
    mixed = _post(client, admin, "/review", {"ids": ids[:3], "decision": "confirm", "reason": "s"})
    assert (mixed.json()["changed"], mixed.json()["unchanged"]) == (1, 2)
    assert len(_events(session, "response.flag_confirm")) == 3  # one per response that changed

    for wrong, pointer in (
        ({"ids": [], "decision": "confirm", "reason": "s"}, "/ids"),
        ({"ids": list(range(1, 502)), "decision": "confirm", "reason": "s"}, "/ids"),
        ({"ids": [ids[2]], "decision": "delete", "reason": "s"}, "/decision"),
        ({"ids": [ids[2]], "decision": "confirm"}, "/reason"),
    ):
        answer = _post(client, admin, "/review", wrong)
        assert answer.status_code == 422 and answer.json()["error"]["message"].startswith(f"{pointer}: "), answer.text


def test_a_response_changed_meanwhile_is_a_conflict_and_nothing_is_written(
    queue: Queue, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two administrators at once: the second decision was read as pending, but the first one has been saved since
    (simulated by the state this decision reads being stale). Its update checks the state and gives up."""
    client, admin, ids, _other = queue
    assert _post(client, admin, f"/{ids[1]}/confirm", {"reason": "script"}).status_code == 200
    real_current = review._current

    def stale(session: Session, scope: Any, wanted: list[int]) -> dict[int, Any]:
        found = real_current(session, scope, wanted)
        return {
            number: review._Current(row.id, True, None, None, row.flag_reason, ReviewState.pending)
            for number, row in found.items()
        }

    monkeypatch.setattr(review, "_current", stale)
    answer = _post(client, admin, "/review", {"ids": [ids[0], ids[1]], "decision": "release", "reason": "real"})
    assert answer.status_code == 409
    assert answer.json()["error"]["message"] == (
        f"nothing was changed: response {ids[1]} changed while this decision was being made; reload the queue and "
        "try again"
    )
    rows = _rows(session)
    assert (rows[0].flag_review, rows[0].is_suspected_spam) == (None, True)  # the first one rolled back too
    assert (rows[1].flag_review, rows[1].is_suspected_spam) == ("confirmed", True)
    assert _events(session, "response.flag_release") == []
