"""Ballot stuffing on one counter's link: hundreds of submissions in a minute end throttled (429) and every one that
got in flagged, so the figures of /api/v1/satisfaction do not move; a busy real counter is never flagged.

The numbers of the two simulations are printed (run with ``-s``) and quoted in the README."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.config import Settings
from app.directory.models import Counter, Role
from app.main import create_app
from app.public import links
from app.public.links import mint_dossier_link
from app.responses.models import Response
from tests.abuse.conftest import Clock, hidden, stranger, submit
from tests.factories import counter_tree, login

ATTEMPTS = 300
GENUINE = 12
SATISFIED = {"overall": "5", "access_general": "5"}
ANGRY = {"overall": "1", "reason": "attitude", "access_general": "1"}


def _rows(session: Session) -> list[Response]:
    session.expire_all()
    return list(session.scalars(select(Response).order_by(Response.id)))


def _overall(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    body = client.get("/api/v1/satisfaction", params={"from": "2000-01-01"}, headers=headers).json()
    total = {row["indicator"]: row for row in body["total"]}
    meta = body["meta"]
    return {"sipas_pct": total["sipas"]["estimate_pct"], "n": total["sipas"]["n"], "responses": meta["responses"],
            "excluded_suspected_spam": meta["excluded_suspected_spam"]}  # fmt: skip


def _genuine(app: FastAPI, path: str, clock: Clock) -> None:
    """A busy counter: a citizen every 20 s, each on their own phone."""
    for number in range(GENUINE):
        assert submit(stranger(app, 50_000 + number), path, SATISFIED) == 303
        clock.advance(20)


def _stuff(app: FastAPI, path: str, clock: Clock, *, rotate: bool) -> dict[str, int]:
    statuses: dict[int, int] = {}
    one = TestClient(app, client=("203.0.113.7", 50000))
    for number in range(ATTEMPTS):  # 300 in 60 s
        status = submit(stranger(app, number) if rotate else one, path, ANGRY)
        statuses[status] = statuses.get(status, 0) + 1
        clock.advance(60 / ATTEMPTS)
    return statuses


def _scenario(app: FastAPI, session: Session, settings: Settings, counter: Counter, clock: Clock,
              *, rotate: bool) -> dict[str, Any]:  # fmt: skip
    path = "/f/" + links.counter_token(settings, counter)
    with TestClient(app) as client:
        headers = login(client, session, "national", Role.national, None)
        _genuine(app, path, clock)
        assert not any(row.is_suspected_spam for row in _rows(session)), "a busy real counter was flagged"
        before = _overall(client, headers)
        statuses = _stuff(app, path, clock, rotate=rotate)
        everything = _rows(session)
        rows = everything[GENUINE:]
        # The burst's minute also holds the last real answers before it: flagged with it (kept, listed for review).
        caught = [row.id for row in everything[:GENUINE] if row.is_suspected_spam]
        after = _overall(client, headers)
        # What the figures would have been had nothing been flagged (then flagged again).
        flagged_ids = [row.id for row in rows] + caught
        session.execute(update(Response).where(Response.id.in_(flagged_ids)).values(is_suspected_spam=False))
        session.commit()
        unflagged = _overall(client, headers)
        session.execute(update(Response).where(Response.id.in_(flagged_ids)).values(is_suspected_spam=True))
        session.commit()
        listed = client.get("/api/v1/responses/flagged", params={"limit": 500}, headers=headers).json()
    reasons = sorted({row.flag_reason or "" for row in rows})
    return {"attempted": ATTEMPTS, "accepted": statuses.get(303, 0), "throttled": statuses.get(429, 0),
            "other": {k: v for k, v in statuses.items() if k not in (303, 429)}, "stored": len(rows),
            "flagged": sum(row.is_suspected_spam for row in rows), "genuine_caught": len(caught), "reasons": reasons,
            "before": before, "after": after, "if_not_flagged": unflagged, "listed": listed["total"]}  # fmt: skip


def _report(name: str, figures: dict[str, Any]) -> None:
    reasons = figures["reasons"]
    figures = {**figures, "reasons": {"distinct": len(reasons), "examples": reasons[:1] + reasons[-1:]}}
    print(f"\n{name}: {json.dumps(figures, default=str)}")  # the README's figures, with pytest -s


def test_one_client_stuffing_is_throttled_flagged_and_moves_nothing(
    settings: Settings, session: Session, clock: Clock
) -> None:
    counter = counter_tree(session)[2]
    figures = _scenario(create_app(settings), session, settings, counter, clock, rotate=False)
    _report("one-client", figures)
    assert figures["accepted"] == settings.form_rate_per_client_per_hour == 20
    assert figures["throttled"] == ATTEMPTS - 20 and not figures["other"]
    assert figures["stored"] == figures["flagged"] == 20
    assert figures["listed"] == 20 + figures["genuine_caught"] and figures["genuine_caught"] <= 3
    assert all(reason.startswith("burst: ") and "within 60 s" in reason for reason in figures["reasons"])
    assert figures["after"]["sipas_pct"] == figures["before"]["sipas_pct"] == 100.0
    assert figures["after"]["excluded_suspected_spam"] == figures["listed"]
    assert figures["after"]["responses"] == GENUINE - figures["genuine_caught"]
    assert figures["if_not_flagged"]["sipas_pct"] < 50


def test_rotating_addresses_is_throttled_per_link_and_flagged(
    settings: Settings, session: Session, clock: Clock
) -> None:
    counter = counter_tree(session)[2]
    figures = _scenario(create_app(settings), session, settings, counter, clock, rotate=True)
    _report("rotating-addresses", figures)
    assert figures["accepted"] == settings.form_rate_per_link_per_minute == 60
    assert figures["throttled"] == ATTEMPTS - 60 and not figures["other"]
    assert figures["stored"] == figures["flagged"] == 60
    assert figures["listed"] == 60 + figures["genuine_caught"] and figures["genuine_caught"] <= 3
    assert figures["reasons"][0].startswith("burst: ") and all("on this link" in r for r in figures["reasons"])
    assert figures["after"]["sipas_pct"] == figures["before"]["sipas_pct"] == 100.0
    assert figures["after"]["excluded_suspected_spam"] == figures["listed"]
    assert figures["if_not_flagged"]["sipas_pct"] < 20


def test_busy_counter_and_a_group_at_once_are_not_flagged(settings: Settings, session: Session, clock: Clock) -> None:
    counter = counter_tree(session)[2]
    app = create_app(settings)
    path = "/f/" + links.counter_token(settings, counter)
    for number in range(45):  # 15 minutes of peak: every 20 s
        assert submit(stranger(app, number), path, SATISFIED) == 303
        clock.advance(20)
    for number in range(settings.form_burst_per_link_per_minute - 3):  # a family of 7 right after a queue
        assert submit(stranger(app, 1000 + number), path, SATISFIED) == 303
        clock.advance(1)
    assert [row.is_suspected_spam for row in _rows(session)] == [False] * 52


def test_a_citizen_correcting_mistakes_is_not_flagged_but_one_browser_four_times_is(
    settings: Settings, session: Session, clock: Clock
) -> None:
    counter = counter_tree(session)[2]
    app = create_app(settings)
    path = "/f/" + links.counter_token(settings, counter)
    citizen = TestClient(app, client=("198.51.100.1", 1000))
    assert [submit(citizen, path, {"overall": "1"}) for _ in range(3)] == [422] * 3  # forgot the reason
    assert submit(citizen, path, ANGRY) == 303
    assert [row.is_suspected_spam for row in _rows(session)] == [False]
    clock.advance(61)
    repeater = TestClient(app, client=("198.51.100.2", 1000))
    for _ in range(4):
        assert submit(repeater, path, SATISFIED) == 303
        clock.advance(5)
    rows = _rows(session)[1:]
    assert [row.is_suspected_spam for row in rows] == [True] * 4
    assert {row.flag_reason for row in rows} == {"burst: 4 submissions from one browser within 60 s"}


def test_a_forged_x_forwarded_for_is_not_a_new_client(settings: Settings, session: Session, clock: Clock) -> None:
    """Without its cookie a browser is its address and user agent. The app reads the peer address only; uvicorn
    (``sipas serve``: proxy_headers) takes X-Forwarded-For only from a trusted proxy (FORWARDED_ALLOW_IPS, default
    127.0.0.1), so a script cannot become a new client by forging the header."""
    counter = counter_tree(session)[2]
    path = "/f/" + links.counter_token(settings, counter)
    script = TestClient(create_app(settings), client=("203.0.113.9", 4000))
    statuses = []
    for number in range(22):
        fields = hidden(script.get(path).text)
        script.cookies.clear()  # never send the cookie the form set
        sent = script.post(path, data={**fields, **SATISFIED}, headers={"X-Forwarded-For": f"192.0.2.{number}"},
                           follow_redirects=False)  # fmt: skip
        statuses.append(sent.status_code)
        clock.advance(10)
    assert statuses == [303] * 20 + [429] * 2


def test_many_dossier_links_answered_in_one_minute_are_not_a_burst(
    settings: Settings, session: Session, clock: Clock
) -> None:
    """An agency may text hundreds of single-use links at once; each answers once, so none is a burst, and they do
    not count towards the counter link's burst either."""
    _province, commune, counter = counter_tree(session)
    app = create_app(settings)
    tokens = []
    for number in range(15):
        _link, token = mint_dossier_link(session, settings, app.state.forms, agency=commune, counter=counter,
                                         dossier_code=f"H26-{number:04d}", actor="test")  # fmt: skip
        tokens.append(token)
    session.commit()
    for number, token in enumerate(tokens):
        assert submit(stranger(app, number), f"/f/{token}", {"rating": "3"}) == 303
        clock.advance(2)
    counter_path = "/f/" + links.counter_token(settings, counter)
    assert submit(stranger(app, 99), counter_path, SATISFIED) == 303
    assert [row.is_suspected_spam for row in _rows(session)] == [False] * 16
