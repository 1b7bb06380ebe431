"""The moderation of citizens' comments (app/reports/comments.py): an administrator hides a comment in their
scope from the feed and its export (and shows it again), with a reason; the comment is kept, the decision is in
``comment_moderation`` and the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.service import record
from app.db import utcnow
from app.errors import Invalid, NotFound
from app.forms.loader import RegisteredForm
from app.officials.scope import Scope
from app.reports.comments import comment_codes, has_comment
from app.responses.models import CommentModeration, Response

Forms = dict[tuple[str, int], RegisteredForm]


@dataclass(frozen=True)
class Moderated:
    response_id: int
    hidden: bool
    changed: bool  # False when the comment already was in that state (nothing written)
    reason: str | None
    changed_by: str | None
    changed_at: datetime | None


def moderate(
    session: Session,
    *,
    scope: Scope,
    forms: Forms,
    response_id: int,
    hide: bool,
    reason: str,
    client_ip: str | None = None,
) -> Moderated:
    """Hide a comment in the caller's scope from the feed and its export (``hide``), or show it again, with a
    reason; audited (``comment.hide`` / ``comment.show``) and committed. A response outside the scope, unknown or
    without a comment answers the same 404. The same decision twice writes nothing."""
    reason = reason.strip()
    if not reason:
        raise Invalid("/reason: say why (it is kept in the audit log)")
    try:
        found = session.execute(
            select(Response.id)
            .where(
                Response.id == response_id,
                Response.agency_id.in_(scope.agency_ids()),
                has_comment(comment_codes(forms)),
            )
            .with_for_update(of=Response)
        ).first()
        if found is None:
            raise NotFound(f"no comment with response id {response_id}")
        current = session.get(CommentModeration, response_id)
        was_hidden = bool(current is not None and current.hidden)
        if was_hidden == hide:
            session.rollback()
            return Moderated(
                response_id,
                was_hidden,
                False,
                current.reason if current else None,
                current.changed_by if current else None,
                current.changed_at if current else None,
            )
        now = utcnow()
        if current is None:
            current = CommentModeration(response_id=response_id, hidden=hide, reason=reason)
            session.add(current)
        current.hidden, current.reason, current.changed_by, current.changed_at = hide, reason, scope.username, now
        record(
            session,
            action="comment.hide" if hide else "comment.show",
            actor=scope.username,
            official_id=scope.official_id,
            object_type="response",
            object_id=response_id,
            details={
                "from": "hidden" if was_hidden else "visible",
                "to": "hidden" if hide else "visible",
                "reason": reason,
            },
            client_ip=client_ip,
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return Moderated(response_id, hide, True, reason, scope.username, now)
