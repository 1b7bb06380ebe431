"""Login (OAuth2 password flow), throttling per (username, client network) with growing waits, the same answers
and the same work for unknown names, the per-network budget of password checks, logout, and the audit trail."""

from __future__ import annotations

from typing import Any

import pytest
from argon2 import PasswordHasher, profiles
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.directory.models import Official, Role
from app.errors import TooManyRequests
from app.officials import passwords
from app.officials.service import create_official
from app.officials.throttle import CHECKS_PER_NETWORK_PER_MINUTE, FREE_FAILURES, LoginThrottle, lock_seconds, network
from tests.factories import counter_tree

PASSWORD = "correct horse battery"
WRONG = "wrong password!"
ATTACKER = "198.51.100.7"


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 10_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class CountingHasher(PasswordHasher):
    """argon2 at its cheapest, counting verifications (the expensive step a login may or may not take)."""

    def __init__(self) -> None:
        cheapest = profiles.CHEAPEST
        super().__init__(
            time_cost=cheapest.time_cost,
            memory_cost=cheapest.memory_cost,
            parallelism=cheapest.parallelism,
            hash_len=cheapest.hash_len,
            salt_len=cheapest.salt_len,
            type=cheapest.type,
        )
        self.verified = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.verified += 1
        return super().verify(hash, password)


@pytest.fixture
def clock(app: FastAPI) -> Clock:
    clock = Clock()
    app.state.login_throttle = LoginThrottle(clock=clock)
    return clock


@pytest.fixture
def hasher() -> Any:
    counting = CountingHasher()
    previous = passwords.use_hasher(counting)
    yield counting
    passwords.use_hasher(previous)


def _official(session: Session, username: str = "an.nguyen") -> Official:
    province, _commune, _counter = counter_tree(session)
    official = create_official(session, username=username, password=PASSWORD, role=Role.province_admin, agency=province)
    session.commit()
    return official


def _token(client: TestClient, password: str = PASSWORD, username: str = "an.nguyen") -> Any:
    return client.post("/api/v1/auth/token", data={"username": username, "password": password})


def _from(app: FastAPI, address: str) -> TestClient:
    """A client whose requests come from ``address``."""
    return TestClient(app, client=(address, 50000))


def _answer(response: Any) -> tuple[int, Any, dict[str, str]]:
    """What a client can see of an answer (the date aside)."""
    headers = {key: value for key, value in response.headers.items() if key not in {"date"}}
    return response.status_code, response.json(), headers


def test_token_me_logout(client: TestClient, session: Session) -> None:
    _official(session)
    response = _token(client)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 12 * 3600
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    me = client.get("/api/v1/auth/me", headers=headers)
    assert me.status_code == 200
    assert (me.json()["username"], me.json()["role"], me.json()["agency"]) == ("an.nguyen", "province_admin", "HN")
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    after = client.get("/api/v1/auth/me", headers=headers)
    assert after.status_code == 401
    assert after.json()["error"]["message"] == "the session has expired or was closed; log in again"
    actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["login", "logout"]


def test_the_typed_name_is_normalised(client: TestClient, session: Session) -> None:
    _official(session)
    for typed in ("AN.Nguyen", " an.nguyen ", "ａｎ．ｎｇｕｙｅｎ"):  # letter case, spaces around, full-width forms
        assert _token(client, username=typed).status_code == 200, typed
    # One name however it is spelt: failures in different spellings add up.
    for typed in ("AN.NGUYEN", "an.nguyen", "Ａｎ.nguyen", "an.Nguyen", "an.nguyen "):
        assert _token(client, WRONG, typed).status_code == 401
    assert _token(client).status_code == 429


def test_wrong_password_and_unknown_user_answer_alike(client: TestClient, session: Session, clock: Clock) -> None:
    _official(session)
    wrong = _token(client, WRONG)
    unknown = _token(client, PASSWORD, "nobody")
    inactive_official = _official_inactive(session)
    inactive = _token(client, PASSWORD, inactive_official)
    expected = {"error": {"code": "unauthorized", "message": "wrong username or password"}}
    assert _answer(wrong) == _answer(unknown) == _answer(inactive)
    assert (wrong.status_code, wrong.json()) == (401, expected)
    # ... and so do they once throttled: same status, message, Retry-After and details.
    for _ in range(FREE_FAILURES - 1):
        _token(client, WRONG)
        _token(client, PASSWORD, "nobody")
    known, stranger = _token(client, WRONG), _token(client, PASSWORD, "nobody")
    assert _answer(known) == _answer(stranger)
    assert known.status_code == 429 and known.headers["Retry-After"] == "61"
    assert known.json()["error"]["message"] == (
        "too many failed logins for this username from your network; retry in 61 seconds"
    )
    assert client.get("/api/v1/auth/me").status_code == 401


def _official_inactive(session: Session) -> str:
    official = create_official(session, username="old.timer", password=PASSWORD, role=Role.national, agency=None)
    official.active = False
    session.commit()
    return official.username


def test_unknown_names_cost_the_same_argon2_work(
    client: TestClient, session: Session, clock: Clock, hasher: CountingHasher
) -> None:
    _official(session)
    _official_inactive(session)
    for username, password in (("an.nguyen", WRONG), ("nobody", PASSWORD), ("old.timer", PASSWORD)):
        before = hasher.verified
        assert _token(client, password, username).status_code == 401
        assert hasher.verified == before + 1, username  # one argon2 check each: no timing tells them apart
    # The dummy hash has the parameters real hashes get: the same cost.
    dummy = passwords._dummy
    assert dummy is not None and dummy[0] is hasher and not hasher.check_needs_rehash(dummy[1])
    assert PasswordHasher().check_needs_rehash(dummy[1])  # (the suite's cheap parameters, not the app's)
    # A throttled attempt checks no password at all, known name or not.
    for _ in range(FREE_FAILURES):
        _token(client, WRONG)
        _token(client, PASSWORD, "nobody")
    before = hasher.verified
    assert _token(client).status_code == _token(client, PASSWORD, "nobody").status_code == 429
    assert hasher.verified == before


def test_an_unknown_username_is_not_kept_in_the_audit_log(client: TestClient, session: Session) -> None:
    _official(session)
    typed = "correct horse battery"  # someone typed the password into the username field
    assert client.post("/api/v1/auth/token", data={"username": typed, "password": "x"}).status_code == 401
    assert _token(client, WRONG).status_code == 401
    session.expire_all()
    failed = select(AuditEvent).where(AuditEvent.action == "login.failed").order_by(AuditEvent.id)
    events = session.scalars(failed).all()
    assert [(e.actor, e.details["reason"]) for e in events] == [("?", "unknown user"), ("an.nguyen", "wrong password")]
    assert not any(typed in repr((e.actor, e.object_id, e.details)) for e in events)


def test_five_failures_then_growing_waits(client: TestClient, session: Session, clock: Clock) -> None:
    official = _official(session)
    for _ in range(FREE_FAILURES - 1):
        assert _token(client, WRONG).status_code == 401
    assert _token(client, WRONG).status_code == 401  # the fifth failure starts a wait
    waiting = _token(client)  # even the right password is refused while it lasts
    assert waiting.status_code == 429 and waiting.headers["Retry-After"] == "61"
    clock.advance(59)
    assert _token(client).headers["Retry-After"] == "2"
    clock.advance(1)
    assert _token(client, WRONG).status_code == 401  # the sixth failure: two minutes
    assert _token(client).headers["Retry-After"] == "121"
    clock.advance(120)
    assert _token(client, WRONG).status_code == 401  # the seventh: four
    assert _token(client).headers["Retry-After"] == "241"
    clock.advance(240)
    # When the wait has passed, the right password works and clears the count.
    assert _token(client).status_code == 200
    for _ in range(FREE_FAILURES - 1):
        assert _token(client, WRONG).status_code == 401
    assert _token(client).status_code == 200
    # The lock is audited with the failure that started it; the account's columns are no longer used.
    session.expire_all()
    waits = session.scalars(
        select(AuditEvent.details).where(AuditEvent.action == "login.failed").order_by(AuditEvent.id)
    ).all()
    assert [details["locked_seconds"] for details in waits][:7] == [0, 0, 0, 0, 60, 120, 240]
    session.refresh(official)
    assert (official.failed_logins, official.locked_until) == (0, None)
    assert [lock_seconds(n) for n in (0, 4, 5, 6, 7, 10, 11, 12, 30, 10**6)] == [
        0,
        0,
        60,
        120,
        240,
        1920,
        3600,
        3600,
        3600,
        3600,
    ]


def test_an_attacker_never_locks_out_an_official_on_another_network(
    app: FastAPI, client: TestClient, session: Session, clock: Clock
) -> None:
    _official(session)
    attacker = _from(app, ATTACKER)
    neighbour = _from(app, "198.51.100.200")  # the same /24
    official = _from(app, "203.0.113.5")
    for hour in range(6):
        for _ in range(FREE_FAILURES + 3):
            attacker.post("/api/v1/auth/token", data={"username": "an.nguyen", "password": WRONG})
        assert _token(attacker).status_code == 429
        assert _token(neighbour).status_code == 429  # one network: the same count
        assert _token(official).status_code == 200, hour  # from elsewhere: never locked out
        clock.advance(3600)
    # IPv6: the network is the /48.
    v6 = _from(app, "2001:db8:1:2::5")
    for _ in range(FREE_FAILURES):
        v6.post("/api/v1/auth/token", data={"username": "an.nguyen", "password": WRONG})
    assert _token(_from(app, "2001:db8:1:ffff::9")).status_code == 429
    assert _token(_from(app, "2001:db8:2::9")).status_code == 200


def test_each_network_has_a_budget_of_password_checks(
    app: FastAPI, client: TestClient, session: Session, clock: Clock, hasher: CountingHasher
) -> None:
    _official(session)
    attacker = _from(app, ATTACKER)
    # A different name each time: no name reaches its five failures, but the network's checks run out.
    for n in range(CHECKS_PER_NETWORK_PER_MINUTE):
        answer = attacker.post("/api/v1/auth/token", data={"username": f"guess{n}", "password": WRONG})
        assert answer.status_code == 401
    before = hasher.verified
    over = attacker.post("/api/v1/auth/token", data={"username": "guess-more", "password": WRONG})
    assert over.status_code == 429 and over.headers["Retry-After"] == "61"
    assert over.json()["error"]["message"] == "too many login attempts from your network; retry in 61 seconds"
    assert _token(attacker).status_code == 429  # the right password too: nothing is checked
    assert hasher.verified == before
    assert _token(_from(app, "203.0.113.5")).status_code == 200  # other networks have their own
    clock.advance(60)
    assert _token(attacker).status_code == 200


def test_parallel_guesses_get_no_more_tries_than_a_sequence() -> None:
    throttle = LoginThrottle(clock=Clock())
    with throttle.attempt("an", ATTACKER) as first:
        first.failed()
    open_attempts = [throttle.attempt("an", ATTACKER) for _ in range(FREE_FAILURES - 1)]
    decided = [attempt.__enter__() for attempt in open_attempts]  # four in flight: all four tries left
    with pytest.raises(TooManyRequests, match="retry in 1 seconds"), throttle.attempt("an", ATTACKER):
        pass
    for attempt, context in zip(decided, open_attempts, strict=True):
        attempt.failed()
        context.__exit__(None, None, None)
    with pytest.raises(TooManyRequests, match="retry in 61 seconds"), throttle.attempt("an", ATTACKER):
        pass
    # An attempt that ends in an error (the database was down) is neither a failure nor a success.
    with pytest.raises(RuntimeError), throttle.attempt("binh", ATTACKER):
        raise RuntimeError("database unavailable")
    for _ in range(FREE_FAILURES - 1):
        with throttle.attempt("binh", ATTACKER) as attempt:
            attempt.failed()
    with throttle.attempt("binh", ATTACKER) as attempt:
        attempt.succeeded()


def test_memory_is_bounded_and_waits_are_kept_longest() -> None:
    clock = Clock()
    throttle = LoginThrottle(clock=clock, max_keys=10)
    for _ in range(FREE_FAILURES):
        with throttle.attempt("an", ATTACKER) as attempt:
            attempt.failed()
    for n in range(50):
        clock.advance(0.25)
        with throttle.attempt(f"name{n}", f"203.0.{n}.1") as attempt:
            attempt.failed()
    assert len(throttle._records) <= 10
    with pytest.raises(TooManyRequests, match="retry in 48 seconds"), throttle.attempt("an", ATTACKER):
        pass  # the name that waits was kept; idle ones were forgotten


def test_refused_attempts_cost_no_memory() -> None:
    throttle = LoginThrottle(clock=Clock())
    for n in range(CHECKS_PER_NETWORK_PER_MINUTE):
        with throttle.attempt(f"name{n}", ATTACKER) as attempt:
            attempt.failed()
    for n in range(1000):
        with pytest.raises(TooManyRequests, match="from your network"), throttle.attempt(f"more{n}", ATTACKER):
            pass
    assert len(throttle._records) == CHECKS_PER_NETWORK_PER_MINUTE


def test_networks() -> None:
    assert network("198.51.100.7") == "198.51.100.0/24"
    assert network("::ffff:198.51.100.7") == "198.51.100.0/24"
    assert network("2001:db8:1:2::5") == "2001:db8:1::/48"
    assert network("testclient") == "testclient"
    assert network(None) == "?"


def test_kiosk_key_is_not_an_official_token(client: TestClient, session: Session) -> None:
    _official(session)
    response = client.get("/api/v1/auth/me", headers={"Authorization": "Bearer sk_not_an_official_token"})
    assert response.status_code == 401
