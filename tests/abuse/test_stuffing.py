"""Ballot stuffing on one counter's link: hundreds of submissions in a minute end throttled (429) and every one that
got in flagged, so the figures of /api/v1/satisfaction do not move; a busy real counter is never flagged. A script
that takes a new client id for every answer (the issue's "fresh cookie" script) gets at most the network budget
counted per hour on a link, and at most the link budget whatever its networks and the workers; an office network
with 30 honest citizens an hour keeps every answer.

The numbers of the simulations are printed (run with ``-s``) and quoted in docs/operations.md."""

from __future__ import annotations

import json
import re
import uuid
from contextlib import ExitStack
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.config import Settings
from app.directory.models import Counter, Role
from app.links import service as links
from app.links.service import mint_dossier_link
from app.main import create_app
from app.responses.models import Response
from tests.factories import Clock, counter_tree, hidden, login, stranger, submit

ATTEMPTS = 300
GENUINE = 12
SATISFIED = {"overall": "5", "access_general": "5"}
ANGRY = {"overall": "1", "reason": "attitude", "access_general": "1"}


def _rows(session: Session) -> list[Response]:
    session.expire_all()
    return list(session.scalars(select(Response).order_by(Response.id)))


def _overall(client: TestClient, headers: dict[str, str], indicator: str = "sipas") -> dict[str, Any]:
    params = {"from": "2000-01-01", **({"group_by": "item"} if indicator.startswith("item:") else {})}
    body = client.get("/api/v1/satisfaction", params=params, headers=headers).json()
    total = {row["indicator"]: row for row in body["total"]}
    meta = body["meta"]
    return {
        "sipas_pct": total[indicator]["estimate_pct"],
        "n": total[indicator]["n"],
        "responses": meta["responses"],
        "excluded_suspected_spam": meta["excluded_suspected_spam"],
    }


def _genuine(app: FastAPI, path: str, clock: Clock) -> None:
    """A busy counter: a citizen every 20 s, each on their own phone."""
    for number in range(GENUINE):
        assert submit(stranger(app, 50_000 + number), path, SATISFIED) == 303
        clock.advance(20)


def _stuff(app: FastAPI, path: str, clock: Clock, *, rotate: bool) -> dict[str, int]:
    statuses: dict[int, int] = {}
    one = TestClient(app, client=("203.0.113.7", 50000))
    for number in range(ATTEMPTS):  # 300 in 60 s
        status = submit(stranger(app, number) if rotate else one, path, ANGRY, new_answer=True)
        statuses[status] = statuses.get(status, 0) + 1
        clock.advance(60 / ATTEMPTS)
    return statuses


def _scenario(
    app: FastAPI, session: Session, settings: Settings, counter: Counter, clock: Clock, *, rotate: bool
) -> dict[str, Any]:
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
        after = _overall(client, headers, "item:overall")
        # What the figures would have been had nothing been flagged (then flagged again).
        flagged_ids = [row.id for row in rows] + caught
        session.execute(update(Response).where(Response.id.in_(flagged_ids)).values(is_suspected_spam=False))
        session.commit()
        unflagged = _overall(client, headers)
        session.execute(update(Response).where(Response.id.in_(flagged_ids)).values(is_suspected_spam=True))
        session.commit()
        listed = client.get("/api/v1/responses/flagged", params={"limit": 500}, headers=headers).json()
    reasons = sorted({row.flag_reason or "" for row in rows})
    return {
        "attempted": ATTEMPTS,
        "accepted": statuses.get(303, 0),
        "throttled": statuses.get(429, 0),
        "other": {k: v for k, v in statuses.items() if k not in (303, 429)},
        "stored": len(rows),
        "flagged": sum(row.is_suspected_spam for row in rows),
        "genuine_caught": len(caught),
        "reasons": reasons,
        "before": before,
        "after": after,
        "if_not_flagged": unflagged,
        "listed": listed["total"],
    }


def _report(name: str, figures: dict[str, Any]) -> None:
    reasons = figures.get("reasons")
    if reasons is not None:
        figures = {**figures, "reasons": {"distinct": len(reasons), "examples": reasons[:1] + reasons[-1:]}}
    print(f"\n{name}: {json.dumps(figures, default=str)}")  # the figures of docs/operations.md, with pytest -s


@pytest.mark.slow
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


@pytest.mark.slow
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
    for number in range(45):  # 15 minutes of peak: every 20 s, each citizen on their phone's own network
        assert submit(stranger(app, 256 * number), path, SATISFIED) == 303
        clock.advance(20)
    for number in range(settings.form_burst_per_link_per_minute - 3):  # a family of 7 right after a queue
        assert submit(stranger(app, 256 * (1000 + number)), path, SATISFIED) == 303
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
        assert submit(repeater, path, SATISFIED, new_answer=True) == 303
        clock.advance(5)
    rows = _rows(session)[1:]
    assert [row.is_suspected_spam for row in rows] == [True] * 4
    assert {row.flag_reason for row in rows} == {"burst: 4 submissions from one browser within 60 s"}


def test_a_forged_x_forwarded_for_is_not_a_new_network(settings: Settings, session: Session, clock: Clock) -> None:
    """The network budget reads the peer address only; uvicorn (``sipas serve``: proxy_headers) takes
    X-Forwarded-For only from a trusted proxy, so a script cannot make each answer come from a new network by
    forging the header (nor, since every GET gives a new client id, by dropping its cookie)."""
    counter = counter_tree(session)[2]
    path = "/f/" + links.counter_token(settings, counter)
    script = TestClient(create_app(settings), client=("203.0.113.9", 4000))
    budget = settings.form_answers_per_network_per_hour
    for number in range(budget + 5):
        script.cookies.clear()  # a new client id each time
        fields = hidden(script.get(path).text)
        sent = script.post(
            path,
            data={**fields, **SATISFIED},
            headers={"X-Forwarded-For": f"192.0.{number}.1"},
            follow_redirects=False,
        )
        assert sent.status_code == 303
        clock.advance(10)
    rows = _rows(session)
    assert [row.is_suspected_spam for row in rows] == [False] * budget + [True] * 5
    assert rows[-1].flag_reason == f"budget: {budget + 5} answers from one network on this link within an hour"


def test_many_dossier_links_answered_in_one_minute_are_not_a_burst(
    settings: Settings, session: Session, clock: Clock
) -> None:
    """An agency may text hundreds of single-use links at once; each answers once, so none is a burst, and they do
    not count towards the counter link's burst either."""
    _province, commune, counter = counter_tree(session)
    app = create_app(settings)
    tokens = []
    for number in range(15):
        _link, token = mint_dossier_link(
            session,
            settings,
            app.state.forms,
            agency=commune,
            counter=counter,
            dossier_code=f"H26-{number:04d}",
            actor="test",
        )
        tokens.append(token)
    session.commit()
    for number, token in enumerate(tokens):
        assert submit(stranger(app, number), f"/f/{token}", {"rating": "3"}) == 303
        clock.advance(2)
    counter_path = "/f/" + links.counter_token(settings, counter)
    assert submit(stranger(app, 99), counter_path, SATISFIED) == 303
    assert [row.is_suspected_spam for row in _rows(session)] == [False] * 16


# --- throw-away browsers: a new client id for every answer -------------------------------------------------------

SCRIPT_PER_MINUTE = 9  # the issue's script: under the burst rule (10 a minute on a link)


def _script(
    apps: list[FastAPI],
    path: str,
    clock: Clock,
    *,
    minutes: int,
    addresses: list[str],
    per_minute: float = SCRIPT_PER_MINUTE,
    own_cookie: bool = False,
) -> dict[str, Any]:
    """``per_minute`` times a minute: a browser never seen before (no cookies) opens the link, gets a new client id
    from the server, takes the page's fields and posts ``overall=5``; with ``own_cookie``, under a ``sipas_client``
    cookie of its own making, as in the issue. Requests go round the addresses, and each address round the workers
    (``apps``)."""
    statuses: dict[int, int] = {}
    sent: list[str] = []
    with ExitStack() as stack:
        browsers = {
            (number, address): stack.enter_context(TestClient(app, client=(address, 40000)))
            for number, app in enumerate(apps)
            for address in addresses
        }
        for turn in range(round(minutes * per_minute)):
            address = addresses[turn % len(addresses)]
            browser = browsers[turn // len(addresses) % len(apps), address]
            browser.cookies.clear()
            fields = hidden(browser.get(path).text)
            if own_cookie:
                browser.cookies.clear()
                browser.cookies.set("sipas_client", uuid.uuid4().hex, domain="testserver.local")
            status = browser.post(path, data={**fields, "overall": "5"}, follow_redirects=False).status_code
            statuses[status] = statuses.get(status, 0) + 1
            sent.append(fields["submission_id"])
            clock.advance(60 / per_minute)
    return {"statuses": statuses, "sent": sent}


def _counted(session: Session, submission_ids: list[str]) -> dict[str, int]:
    wanted = {uuid.UUID(value) for value in submission_ids}
    rows = [row for row in _rows(session) if row.submission_id in wanted]
    return {
        "stored": len(rows),
        "counted": sum(not row.is_suspected_spam for row in rows),
        "flagged": sum(row.is_suspected_spam for row in rows),
    }


def _citizens(
    apps: list[FastAPI], path: str, clock: Clock, *, count: int, every: float, networks: str, first: int = 0
) -> list[str]:
    """``count`` honest citizens, one every ``every`` seconds, each in their own browser, half of them dissatisfied
    (and one in five forgetting the reason at first); ``networks``: "own" (each on their phone's network) or an
    address they all share (an office behind one NAT). Returns their submission ids."""
    ids = []
    for number in range(first, first + count):
        address = f"10.{number // 256 % 256}.{number % 256}.20" if networks == "own" else networks
        browser = TestClient(apps[number % len(apps)], client=(address, 30000 + number))
        answer = {"overall": "4"} if number % 2 else {"overall": "2", "reason": "waiting_time"}
        if number % 5 == 1:
            assert submit(browser, path, {"overall": "2"}) == 422  # the form comes back: reason missing
        page = browser.get(path)
        ids.append(hidden(page.text)["submission_id"])
        sent = browser.post(path, data={**hidden(page.text), **answer}, follow_redirects=False)
        assert sent.headers["location"].endswith("/thanks?lang=vi"), sent.status_code
        clock.advance(every)
    return ids


def test_the_issue_script_with_a_cookie_of_its_own_stores_nothing(
    settings: Settings, session: Session, clock: Clock
) -> None:
    """The repro: 9 a minute for 2 minutes; before, the counter showed 18 answers, 100%, 0 flagged."""
    counter = counter_tree(session)[2]
    path = "/f/" + links.counter_token(settings, counter)
    figures = _script([create_app(settings)], path, clock, minutes=2, addresses=["203.0.113.7"], own_cookie=True)
    _report("issue-script", {"attempted": len(figures["sent"]), **figures["statuses"]})
    assert figures["statuses"] == {400: 18}
    assert _rows(session) == []


@pytest.mark.slow
def test_new_client_ids_at_the_issue_pace_count_nothing(settings: Settings, session: Session, clock: Clock) -> None:
    """The issue's script taking the client id the server gives every GET (they are free), 9 a minute from one
    address for an hour, then ten minutes more. A new id resets nothing that matters: its network passes its budget
    (40) after 4½ minutes and twice that after 9, a flood that flags all it sent within the hour; honest citizens
    before it, on their own networks, and on its network an hour after it stopped, all count."""
    counter = counter_tree(session)[2]
    app = create_app(settings)
    path = "/f/" + links.counter_token(settings, counter)
    with TestClient(app) as client:
        headers = login(client, session, "national", Role.national, None)
        honest = _citizens([app], path, clock, count=6, every=60, networks="own")
        before = _overall(client, headers, "item:overall")
        early = _script([app], path, clock, minutes=5, addresses=["203.0.113.7"])
        after_five_minutes = _counted(session, early["sent"])  # the budget counted, until the flood
        rest = _script([app], path, clock, minutes=55, addresses=["203.0.113.7"])
        sent = early["sent"] + rest["sent"]
        first_hour = {
            "attempted": len(sent),
            303: early["statuses"][303] + rest["statuses"][303],
            **_counted(session, sent),
        }
        more = _script([app], path, clock, minutes=10, addresses=["203.0.113.7"])
        ten_minutes_more = {"attempted": len(more["sent"]), **more["statuses"], **_counted(session, more["sent"])}
        clock.advance(3600)  # the script stopped an hour ago: its network's citizens count again
        honest += _citizens([app], path, clock, count=6, every=60, networks="203.0.113.7", first=6)
        after = _overall(client, headers, "item:overall")
    honest_figures = _counted(session, honest)
    _report(
        "issue-pace-new-ids",
        {
            "after_five_minutes": after_five_minutes,
            "first_hour": first_hour,
            "ten_minutes_more": ten_minutes_more,
            "before": before,
            "after": after,
            "honest": honest_figures,
        },
    )
    assert after_five_minutes == {"stored": 45, "counted": settings.form_answers_per_network_per_hour, "flagged": 5}
    assert first_hour == {"attempted": 540, 303: 540, "stored": 540, "counted": 0, "flagged": 540}  # no 429
    assert ten_minutes_more == {"attempted": 90, 303: 90, "stored": 90, "counted": 0, "flagged": 90}
    assert honest_figures == {"stored": 12, "counted": 12, "flagged": 0}
    assert before["sipas_pct"] == after["sipas_pct"] == 50.0 and after["n"] == 12
    reasons = {row.flag_reason or "" for row in _rows(session) if row.is_suspected_spam}
    flood = settings.form_answers_per_network_per_hour * 2 + 1
    assert f"flood: {flood} answers from one network on this link within an hour" in reasons
    assert all(
        re.fullmatch(r"(budget|flood): \d+ answers from one network on this link within an hour", r) for r in reasons
    )


def test_new_client_ids_get_at_most_the_network_budget_counted_per_hour(
    settings: Settings, session: Session, clock: Clock
) -> None:
    """A patient script on one network, a new client id for each answer, 45 within an hour (one every 80 s): the
    most that counts is the network budget."""
    counter = counter_tree(session)[2]
    path = "/f/" + links.counter_token(settings, counter)
    budget = settings.form_answers_per_network_per_hour
    attack = _script([create_app(settings)], path, clock, minutes=60, addresses=["203.0.113.7"], per_minute=0.75)
    figures = {"attempted": len(attack["sent"]), **attack["statuses"], **_counted(session, attack["sent"])}
    _report("patient-new-ids", figures)
    assert figures == {"attempted": 45, 303: 45, "stored": 45, "counted": budget, "flagged": 45 - budget}
    assert [row.flag_reason for row in _rows(session)][budget:] == [
        f"budget: {n} answers from one network on this link within an hour" for n in range(budget + 1, 46)
    ]


def test_new_client_ids_from_many_networks_and_workers_meet_the_link_budget(
    settings: Settings, session: Session, clock: Clock
) -> None:
    """Network budgets are counted in each worker's memory; the link's is counted in the database. The script
    spread over 4 networks and 2 workers (8 network budgets of 40) still gets at most the link budget counted."""
    counter = counter_tree(session)[2]
    apps = [create_app(settings), create_app(settings)]
    path = "/f/" + links.counter_token(settings, counter)
    addresses = [f"198.51.{network}.7" for network in range(4)]
    attack = _script(apps, path, clock, minutes=20, addresses=addresses)
    figures = {"attempted": len(attack["sent"]), **attack["statuses"], **_counted(session, attack["sent"])}
    _report("many-networks-two-workers", figures)
    assert figures[303] == 180
    assert figures["counted"] == settings.form_answers_per_link_per_hour == 60
    flagged = [row.flag_reason for row in _rows(session) if row.is_suspected_spam]
    assert set(flagged) == {"budget: 61 counted answers on this link within an hour"}


def test_an_office_network_keeps_thirty_honest_citizens_an_hour(
    settings: Settings, session: Session, clock: Clock
) -> None:
    """Many honest citizens behind one NAT: the centre's Wi-Fi (one address), 30 an hour for two hours, each
    answering once in their own browser, a group of 7 after a queue among them; all counted."""
    counter = counter_tree(session)[2]
    apps = [create_app(settings)]
    path = "/f/" + links.counter_token(settings, counter)
    office = "203.0.113.50"
    ids = []
    for hour in range(2):
        ids += _citizens(apps, path, clock, count=7, every=8, networks=office, first=100 * hour)
        ids += _citizens(apps, path, clock, count=23, every=150, networks=office, first=100 * hour + 7)
    figures = _counted(session, ids)
    _report("office-nat", figures)
    assert figures == {"stored": 60, "counted": 60, "flagged": 0}


def test_one_browser_counts_a_few_answers_an_hour(settings: Settings, session: Session, clock: Clock) -> None:
    """A browser that keeps its client id and asks for a new form each time (a phone passed round a family, or a
    script that keeps its cookie), slower than the burst rule: the first few count, the rest are flagged."""
    counter = counter_tree(session)[2]
    path = "/f/" + links.counter_token(settings, counter)
    phone = TestClient(create_app(settings), client=("198.51.100.3", 1000))
    for _ in range(5):
        assert submit(phone, path, SATISFIED, new_answer=True) == 303
        clock.advance(120)
    allowed = settings.form_answers_per_client_per_hour
    rows = _rows(session)
    assert [row.is_suspected_spam for row in rows] == [False] * allowed + [True] * (5 - allowed)
    assert [row.flag_reason for row in rows[allowed:]] == [
        f"budget: {n} answers from one browser within an hour" for n in range(allowed + 1, 6)
    ]
