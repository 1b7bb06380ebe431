"""Officials' accounts (creation) and login with throttling (:mod:`app.officials.throttle`), session tokens,
logout and CSRF tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.audit.service import record
from app.config import Settings
from app.db import utcnow
from app.directory.models import Agency, Official, Role
from app.errors import Invalid, Unauthorized
from app.officials import passwords, usernames
from app.officials.models import OfficialSession, SessionKind
from app.officials.throttle import LoginThrottle
from app.officials.usernames import login_name


@dataclass(frozen=True)
class Opened:
    token: str
    expires_at: datetime
    official: Official


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _find(session: Session, typed: str, name: str) -> Official | None:
    """The official a typed name means: the name as typed (names stored before the rules of
    :mod:`app.officials.usernames` may differ from their normal form), else its normal form."""
    if "\x00" in typed:  # no stored name holds NUL (PostgreSQL cannot even compare one)
        return None
    found = session.scalars(select(Official).where(Official.username.in_({typed, name}))).all()
    return next((official for official in found if official.username == typed), found[0] if found else None)


def login(
    session: Session,
    settings: Settings,
    *,
    username: str,
    password: str,
    kind: SessionKind,
    throttle: LoginThrottle,
    client_ip: str | None = None,
    now: datetime | None = None,
) -> Opened:
    """Check the password and open a session. Unknown and inactive names take the same path as a wrong password
    (a dummy argon2 check, the same answers); 429 before any check while the (name, network) pair waits or the
    network has spent its budget. Failures and logins are audited; commits."""
    now = now or utcnow()
    name = login_name(username)
    with throttle.attempt(name, client_ip) as attempt:
        official = _find(session, username, name)
        if official is None or not official.active:
            passwords.verify_dummy(password)
            ok = False
        else:
            ok = passwords.verify(official.password_hash, password)
        if not ok:
            locked_seconds = attempt.failed()
            # A name that is no official's is not kept: it is often a password typed into the wrong field.
            if official is None:
                actor, official_id, reason = "?", None, "unknown user"
            elif not official.active:
                actor, official_id, reason = official.username, None, "inactive"
            else:
                actor, official_id, reason = official.username, official.id, "wrong password"
            record(
                session,
                action="login.failed",
                actor=actor,
                official_id=official_id,
                client_ip=client_ip,
                details={"reason": reason, "locked_seconds": locked_seconds},
            )
            session.commit()
            raise Unauthorized("wrong username or password")
        attempt.succeeded()
    assert official is not None
    if passwords.needs_rehash(official.password_hash):
        official.password_hash = passwords.hash_password(password)
    token = secrets.token_urlsafe(32)
    expires = now + timedelta(hours=settings.official_session_hours)
    session.add(
        OfficialSession(
            token_hash=token_hash(token),
            official_id=official.id,
            kind=kind,
            created_at=now,
            expires_at=expires,
            client_ip=client_ip,
        )
    )
    record(
        session,
        action="login",
        actor=official.username,
        official_id=official.id,
        client_ip=client_ip,
        details={"kind": kind.value},
    )
    session.commit()
    return Opened(token, expires, official)


def resolve(session: Session, token: str, *, now: datetime | None = None) -> tuple[OfficialSession, Official] | None:
    """The open session and its official for a token, or None (unknown, expired, revoked, inactive)."""
    now = now or utcnow()
    found = session.execute(
        select(OfficialSession, Official)
        .join(Official, Official.id == OfficialSession.official_id)
        .where(OfficialSession.token_hash == token_hash(token))
    ).first()
    if found is None:
        return None
    opened, official = found
    if opened.revoked_at is not None or opened.expires_at <= now or not official.active:
        return None
    return opened, official


def logout(session: Session, opened: OfficialSession, official: Official, *, client_ip: str | None = None) -> None:
    opened.revoked_at = utcnow()
    record(session, action="logout", actor=official.username, official_id=official.id, client_ip=client_ip)
    session.commit()


def csrf_token(settings: Settings, token: str) -> str:
    """The CSRF token of a browser session: an HMAC of its session token, so it needs no storage and is useless
    without the cookie it belongs to."""
    key = (settings.session_secret or "").encode()
    return hmac.new(key, b"csrf:" + token.encode(), hashlib.sha256).hexdigest()


def csrf_ok(settings: Settings, token: str, presented: str | None) -> bool:
    # Bytes: compare_digest refuses str holding anything but ASCII, and ``presented`` is whatever was sent.
    return presented is not None and hmac.compare_digest(csrf_token(settings, token).encode(), presented.encode())


def login_nonce() -> str:
    """A new pre-session nonce for the login form's anti-forgery cookie."""
    return secrets.token_urlsafe(32)


def login_csrf_token(settings: Settings, nonce: str) -> str:
    """The login form's anti-forgery token: an HMAC of the nonce in the browser's pre-session cookie (signed
    double submit). A page elsewhere can neither read the cookie nor compute the token, so it cannot log a victim's
    browser into the attacker's account (login CSRF)."""
    key = (settings.session_secret or "").encode()
    return hmac.new(key, b"login-csrf:" + nonce.encode(), hashlib.sha256).hexdigest()


def login_csrf_ok(settings: Settings, nonce: str | None, presented: str | None) -> bool:
    if not nonce or not presented:
        return False
    return hmac.compare_digest(login_csrf_token(settings, nonce).encode(), presented.encode())


def delete_ended_sessions(session: Session, *, before: datetime) -> int:
    """Delete login sessions that ended (expired or were revoked) before ``before``, with their client addresses;
    returns how many."""
    ended = func.coalesce(OfficialSession.revoked_at, OfficialSession.expires_at)
    statement = delete(OfficialSession).where(ended < before, OfficialSession.expires_at < before)
    return int(session.execute(statement, execution_options={"synchronize_session": False}).rowcount or 0)  # type: ignore[attr-defined]


def create_official(
    session: Session,
    *,
    username: str,
    password: str,
    role: Role,
    agency: Agency | None,
    display_name: str | None = None,
    actor: str = "cli",
    official_id: int | None = None,
    client_ip: str | None = None,
) -> Official:
    """Add an official with an argon2 password hash; the national role alone may have no agency. The username
    is normalised and checked by :mod:`app.officials.usernames`, the password by :mod:`app.officials.passwords`
    (Invalid or Conflict saying what is wrong)."""
    username = usernames.normalise(username)
    passwords.check(password, username=username, display_name=display_name)
    if agency is None and role is not Role.national:
        raise Invalid(f"role {role.value!r} needs an agency (--agency CODE)")
    usernames.ensure_available(session, username)
    official = Official(
        username=username,
        password_hash=passwords.hash_password(password),
        role=role,
        agency_id=agency.id if agency else None,
        display_name=display_name,
    )
    session.add(official)
    session.flush()
    record(
        session,
        action="official.create",
        actor=actor,
        official_id=official_id,
        client_ip=client_ip,
        object_type="official",
        object_id=official.id,
        details={"username": username, "role": role.value, "agency": agency.code if agency else None},
    )
    return official
