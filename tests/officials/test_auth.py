"""Login (OAuth2 password flow), lockout with growing waits, logout, and the audit trail of it all."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.db import utcnow
from app.directory.models import Official, Role
from app.directory.service import create_official
from app.officials.service import lock_duration
from tests.factories import counter_tree

PASSWORD = "correct horse battery"


def _official(session: Session) -> Official:
    province, _commune, _counter = counter_tree(session)
    official = create_official(session, username="an", password=PASSWORD, role=Role.province_admin, agency=province)
    session.commit()
    return official


def _token(client: TestClient, password: str = PASSWORD) -> object:
    return client.post("/api/v1/auth/token", data={"username": "an", "password": password})


def test_token_me_logout(client: TestClient, session: Session) -> None:
    _official(session)
    response = _token(client)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 12 * 3600
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    me = client.get("/api/v1/auth/me", headers=headers)
    assert me.status_code == 200
    assert (me.json()["username"], me.json()["role"], me.json()["agency"]) == ("an", "province_admin", "HN")
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    after = client.get("/api/v1/auth/me", headers=headers)
    assert after.status_code == 401
    assert after.json()["error"]["message"] == "the session has expired or was closed; log in again"
    actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["login", "logout"]


def test_wrong_password_and_unknown_user_answer_alike(client: TestClient, session: Session) -> None:
    _official(session)
    wrong = _token(client, "wrong password!")
    unknown = client.post("/api/v1/auth/token", data={"username": "nobody", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    expected = {"error": {"code": "unauthorized", "message": "wrong username or password"}}
    assert wrong.json() == unknown.json() == expected
    missing = client.get("/api/v1/auth/me")
    assert missing.status_code == 401


def test_an_unknown_username_is_not_kept_in_the_audit_log(client: TestClient, session: Session) -> None:
    _official(session)
    typed = "correct horse battery"  # someone typed the password into the username field
    assert client.post("/api/v1/auth/token", data={"username": typed, "password": "x"}).status_code == 401
    assert _token(client, "wrong password!").status_code == 401
    session.expire_all()
    failed = select(AuditEvent).where(AuditEvent.action == "login.failed").order_by(AuditEvent.id)
    events = session.scalars(failed).all()
    assert [(e.actor, e.details["reason"]) for e in events] == [("?", "unknown user"), ("an", "wrong password")]
    assert not any(typed in repr((e.actor, e.object_id, e.details)) for e in events)


def test_lockout_after_five_failures_then_growing_waits(client: TestClient, session: Session) -> None:
    official = _official(session)
    for _ in range(4):
        assert _token(client, "wrong password!").status_code == 401
    assert _token(client, "wrong password!").status_code == 401  # the fifth failure locks
    locked = _token(client)  # even the right password is refused while locked
    assert locked.status_code == 429
    assert locked.headers["Retry-After"] in {"60", "61"}
    assert "locked" in locked.json()["error"]["message"]
    session.refresh(official)
    assert official.failed_logins == 5
    # When the lock has passed, the right password works and resets the count.
    official.locked_until = utcnow() - timedelta(seconds=1)
    session.commit()
    assert _token(client).status_code == 200
    session.refresh(official)
    assert (official.failed_logins, official.locked_until) == (0, None)
    assert [lock_duration(n) for n in (4, 5, 6, 7, 12, 30)] == [
        None, timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4), timedelta(hours=1), timedelta(hours=1)
    ]  # fmt: skip


def test_kiosk_key_is_not_an_official_token(client: TestClient, session: Session) -> None:
    _official(session)
    response = client.get("/api/v1/auth/me", headers={"Authorization": "Bearer sk_not_an_official_token"})
    assert response.status_code == 401
