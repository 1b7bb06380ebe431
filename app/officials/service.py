"""Login with lockout, session tokens, logout and CSRF tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.audit.service import record
from app.config import Settings
from app.db import utcnow
from app.directory.models import Official
from app.directory.service import password_hasher
from app.errors import TooManyRequests, Unauthorized
from app.officials.models import OfficialSession, SessionKind

# After this many consecutive failures an account is locked, for LOCK_BASE, then twice as long after every
# further failure, at most LOCK_MAX. While locked, no password is checked (no oracle for guessing).
FREE_FAILURES = 5
LOCK_BASE = timedelta(minutes=1)
LOCK_MAX = timedelta(hours=1)
# Verified for unknown usernames so that "no such user" takes as long as "wrong password".
_DUMMY_HASH = password_hasher.hash("not a password of anyone")


@dataclass(frozen=True)
class Opened:
    token: str
    expires_at: datetime
    official: Official


def lock_duration(failures: int) -> timedelta | None:
    if failures < FREE_FAILURES:
        return None
    wait: timedelta = LOCK_BASE * 2 ** min(failures - FREE_FAILURES, 20)
    return min(wait, LOCK_MAX)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _verify(hash_: str, password: str) -> bool:
    try:
        return password_hasher.verify(hash_, password)
    except (VerificationError, InvalidHashError):
        return False


def login(
    session: Session, settings: Settings, *, username: str, password: str, kind: SessionKind,
    client_ip: str | None = None, now: datetime | None = None,
) -> Opened:  # fmt: skip
    """Check the password and open a session; every attempt is audited. Commits."""
    now = now or utcnow()
    official = session.scalar(select(Official).where(Official.username == username))
    if official is None or not official.active:
        _verify(_DUMMY_HASH, password)
        # A name that is no official's is not kept: it is often a password typed into the wrong field.
        actor = "?" if official is None else official.username
        record(session, action="login.failed", actor=actor, client_ip=client_ip,
               details={"reason": "unknown user" if official is None else "inactive"})  # fmt: skip
        session.commit()
        raise Unauthorized("wrong username or password")
    if official.locked_until is not None and official.locked_until > now:
        wait = (official.locked_until - now).total_seconds()
        record(session, action="login.locked", actor=official.username, official_id=official.id,
               client_ip=client_ip)  # fmt: skip
        session.commit()
        raise TooManyRequests(
            f"too many failed logins: this account is locked for {int(wait) + 1} more seconds",
            retry_after_seconds=wait,
        )
    if not _verify(official.password_hash, password):
        official.failed_logins += 1
        duration = lock_duration(official.failed_logins)
        official.locked_until = now + duration if duration else None
        details = {"reason": "wrong password", "failures": official.failed_logins,
                   "locked_seconds": duration.total_seconds() if duration else 0}  # fmt: skip
        record(session, action="login.failed", actor=official.username, official_id=official.id,
               client_ip=client_ip, details=details)  # fmt: skip
        session.commit()
        raise Unauthorized("wrong username or password")
    if password_hasher.check_needs_rehash(official.password_hash):
        official.password_hash = password_hasher.hash(password)
    official.failed_logins = 0
    official.locked_until = None
    token = secrets.token_urlsafe(32)
    expires = now + timedelta(hours=settings.official_session_hours)
    session.add(OfficialSession(token_hash=token_hash(token), official_id=official.id, kind=kind, created_at=now,
                                expires_at=expires, client_ip=client_ip))  # fmt: skip
    record(session, action="login", actor=official.username, official_id=official.id, client_ip=client_ip,
           details={"kind": kind.value})  # fmt: skip
    session.commit()
    return Opened(token, expires, official)


def resolve(session: Session, token: str, *, now: datetime | None = None) -> tuple[OfficialSession, Official] | None:
    """The open session and its official for a token, or None (unknown, expired, revoked, inactive)."""
    now = now or utcnow()
    found = session.execute(
        select(OfficialSession, Official).join(Official, Official.id == OfficialSession.official_id)
        .where(OfficialSession.token_hash == token_hash(token))
    ).first()  # fmt: skip
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
    return presented is not None and hmac.compare_digest(csrf_token(settings, token), presented)


def delete_ended_sessions(session: Session, *, before: datetime) -> int:
    """Delete login sessions that ended (expired or were revoked) before ``before``, with their client addresses;
    returns how many."""
    ended = func.coalesce(OfficialSession.revoked_at, OfficialSession.expires_at)
    statement = delete(OfficialSession).where(ended < before, OfficialSession.expires_at < before)
    return int(session.execute(statement, execution_options={"synchronize_session": False}).rowcount or 0)  # type: ignore[attr-defined]
