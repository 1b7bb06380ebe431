"""Appending to the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent


def record(
    session: Session,
    *,
    action: str,
    actor: str,
    official_id: int | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    details: dict[str, Any] | None = None,
    client_ip: str | None = None,
) -> AuditEvent:
    """Add an audit event to the session; it is committed with the change it describes."""
    event = AuditEvent(
        action=action,
        actor=actor,
        official_id=official_id,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        details=details,
        client_ip=client_ip,
    )
    session.add(event)
    return event


def record_download(
    session: Session,
    *,
    actor: str,
    official_id: int,
    what: str,
    file_format: str,
    rows: int,
    query: str,
    client_ip: str | None,
) -> None:
    """Audit a download (figures, raw responses) and commit: a download is recorded before it is sent."""
    record(
        session,
        action="export",
        actor=actor,
        official_id=official_id,
        object_type=what,
        details={"format": file_format, "rows": rows, "query": query},
        client_ip=client_ip,
    )
    session.commit()


def forget_addresses(session: Session, *, before: datetime) -> int:
    """Blank the client address of events older than ``before`` (the events themselves stay); returns how many."""
    statement = (
        update(AuditEvent).where(AuditEvent.at < before, AuditEvent.client_ip.is_not(None)).values(client_ip=None)
    )
    return int(session.execute(statement, execution_options={"synchronize_session": False}).rowcount or 0)  # type: ignore[attr-defined]
