"""The review queue of flagged responses: an administrator releases a flagged answer (it counts again) or confirms
the flag (it stays out), so that flagging cannot be used to delete honest answers unseen.

States (derived from ``is_suspected_spam`` and ``flag_review``; test responses, ``is_test``, are never in the queue):

- ``pending``: flagged, no decision yet (``flag_review`` null) — left out of every figure;
- ``confirmed``: ``flag_review = 'confirmed'`` — stays out (``is_suspected_spam`` true);
- ``released``: ``flag_review = 'released'`` and ``is_suspected_spam`` false — counts in every figure again. Should a
  later burst flag a released answer again (``is_suspected_spam`` true once more), it is ``pending`` again.

Rules of a decision (``release`` or ``confirm``, with a required reason):

- pending → the decision: applied, one audit event (``response.flag_release`` / ``response.flag_confirm``) with the
  old and new state and the reason;
- the same decision again: nothing is written (idempotent), ``changed`` is false;
- the other decision than the one already made: ``Conflict`` (409) unless ``overrule`` is true, then applied and
  audited like any other;
- a response outside the caller's scope, unknown, never flagged or a test response: ``NotFound`` (404), the same
  answer for each.

A bulk decision is all or nothing: every id is checked (scope, queue, conflicts) before anything is written. The
functions here own the transaction: they commit, or roll back and raise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session

from app.audit.service import record
from app.db import utcnow
from app.directory.models import Agency, Counter
from app.errors import Conflict, NotFound
from app.officials.scope import Scope
from app.responses.models import Response
from app.responses.schemas import Decision, FlaggedPage, FlaggedResponse, ReviewFilter, ReviewState
from app.responses.selection import Filters, agency_selection
from app.responses.summary import unsummarize

# What a decision writes: (is_suspected_spam, flag_review), and the state it leads to.
_OUTCOME: dict[Decision, tuple[bool, ReviewState]] = {
    Decision.release: (False, ReviewState.released),
    Decision.confirm: (True, ReviewState.confirmed),
}


def state_of(suspected: bool, review: str | None) -> ReviewState | None:
    """The queue state of a response; None when it is not in the queue (never flagged)."""
    if review == ReviewState.confirmed:
        return ReviewState.confirmed
    if suspected:
        return ReviewState.pending
    if review == ReviewState.released:
        return ReviewState.released
    return None


def state_condition(review: ReviewFilter) -> ColumnElement[bool]:
    """The SQL form of :func:`state_of` (the test flag left out)."""
    confirmed = Response.flag_review == ReviewState.confirmed.value
    not_confirmed = or_(Response.flag_review.is_(None), Response.flag_review != ReviewState.confirmed.value)
    conditions = {
        ReviewFilter.pending: and_(Response.is_suspected_spam.is_(True), not_confirmed),
        ReviewFilter.confirmed: confirmed,
        ReviewFilter.released: and_(
            Response.flag_review == ReviewState.released.value, Response.is_suspected_spam.is_(False)
        ),
        ReviewFilter.all: or_(Response.is_suspected_spam.is_(True), Response.flag_review.is_not(None)),
    }
    return and_(Response.is_test.is_(False), conditions[review])


def _items(
    session: Session, conditions: Sequence[ColumnElement[bool]], *, limit: int | None = None, offset: int = 0
) -> list[FlaggedResponse]:
    query = (
        select(
            Response.id,
            Response.received_at,
            Response.submitted_at,
            Response.local_date,
            Response.channel,
            Agency.code,
            Agency.name_vi,
            Counter.code,
            Response.flag_reason,
            Response.is_suspected_spam,
            Response.flag_review,
            Response.flag_reviewed_at,
            Response.flag_reviewed_by,
        )
        .join(Agency, Agency.id == Response.agency_id)
        .outerjoin(Counter, Counter.id == Response.counter_id)
        .where(*conditions)
        .order_by(Response.received_at.desc(), Response.id.desc())
        .limit(limit)
        .offset(offset)
    )
    items = []
    for row in session.execute(query):
        state = state_of(row[9], row[10])
        if state is None:  # not reachable through the conditions callers pass; kept out all the same
            continue
        pending = state is ReviewState.pending
        items.append(
            FlaggedResponse(
                id=row[0],
                received_at=row[1],
                submitted_at=row[2],
                local_date=row[3],
                channel=row[4],
                agency=row[5],
                agency_name=row[6],
                counter=row[7],
                flag_reason=row[8],
                review=state,
                reviewed_at=None if pending else row[11],
                reviewed_by=None if pending else row[12],
            )
        )
    return items


def flagged_page(
    session: Session, scope: Scope, filters: Filters, review: ReviewFilter, *, limit: int, offset: int
) -> FlaggedPage:
    """The queue inside the caller's scope (and the agency and dates asked for), newest first; ``total`` counts the
    whole selection."""
    filters.check()
    _root, agencies = agency_selection(session, scope, filters)
    conditions = [agencies, state_condition(review)]
    if filters.date_from:
        conditions.append(Response.local_date >= filters.date_from)
    if filters.date_to:
        conditions.append(Response.local_date <= filters.date_to)
    total = int(session.scalar(select(func.count()).select_from(Response).where(*conditions)) or 0)
    items = _items(session, conditions, limit=limit, offset=offset)
    return FlaggedPage(total=total, limit=limit, offset=offset, review=review, items=items)


@dataclass(frozen=True)
class Reviewed:
    """The outcome of a decision: which responses changed state, and every response asked about as it is now."""

    decision: Decision
    changed: list[int]
    items: list[FlaggedResponse]


def _ids_text(ids: Sequence[int]) -> str:
    shown = ", ".join(str(number) for number in ids[:20])
    more = f" and {len(ids) - 20} more" if len(ids) > 20 else ""
    return f"id {shown}" if len(ids) == 1 else f"ids {shown}{more}"


def decide(
    session: Session,
    scope: Scope,
    ids: Sequence[int],
    decision: Decision,
    *,
    reason: str,
    overrule: bool = False,
    client_ip: str | None = None,
) -> Reviewed:
    """Release or confirm flagged responses in the caller's scope, all or nothing (see the module's rules)."""
    wanted = list(dict.fromkeys(ids))
    try:
        changed = _apply(session, scope, wanted, decision, reason=reason, overrule=overrule, client_ip=client_ip)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    by_id = {item.id: item for item in _items(session, [Response.id.in_(wanted)])}
    return Reviewed(decision, changed, [by_id[number] for number in wanted])


@dataclass(frozen=True)
class _Current:
    id: int
    suspected: bool
    review: str | None
    reviewed_by: str | None
    flag_reason: str | None
    state: ReviewState


def _current(session: Session, scope: Scope, wanted: list[int]) -> dict[int, _Current]:
    """The responses asked about that are in the caller's queue, locked until the end of the transaction (PostgreSQL;
    SQLite has one writer at a time, and the updates check the state they read)."""
    rows = session.execute(
        select(
            Response.id,
            Response.is_suspected_spam,
            Response.flag_review,
            Response.flag_reviewed_by,
            Response.flag_reason,
        )
        .where(Response.id.in_(wanted), Response.agency_id.in_(scope.agency_ids()), Response.is_test.is_(False))
        .with_for_update(of=Response)
    ).all()
    found: dict[int, _Current] = {}
    for number, suspected, review, reviewed_by, flag_reason in rows:
        state = state_of(suspected, review)
        if state is not None:
            found[number] = _Current(number, suspected, review, reviewed_by, flag_reason, state)
    return found


def _apply(
    session: Session,
    scope: Scope,
    wanted: list[int],
    decision: Decision,
    *,
    reason: str,
    overrule: bool,
    client_ip: str | None,
) -> list[int]:
    suspected, target = _OUTCOME[decision]
    found = _current(session, scope, wanted)
    missing = [number for number in wanted if number not in found]
    if missing:
        raise NotFound(
            f"nothing was changed: no flagged response with {_ids_text(missing)}",
            details={"missing": missing} if len(wanted) > 1 else None,
        )
    rows = [found[number] for number in wanted]
    decided = [row for row in rows if row.state not in (ReviewState.pending, target)]
    if decided and not overrule:
        first = decided[0]
        others = f" (and {len(decided) - 1} more decided otherwise)" if len(decided) > 1 else ""
        raise Conflict(
            f"nothing was changed: response {first.id} was already {first.state.value} by {first.reviewed_by}"
            f'{others}; send "overrule": true to {decision.value} it anyway',
            details={"decided": [{"id": row.id, "review": row.state.value} for row in decided]},
        )
    now = utcnow()
    changed = [row for row in rows if row.state is not target]
    for row in changed:
        same_review = Response.flag_review.is_(None) if row.review is None else Response.flag_review == row.review
        result = session.execute(
            update(Response)
            .where(Response.id == row.id, Response.is_suspected_spam.is_(row.suspected), same_review)
            .values(
                is_suspected_spam=suspected,
                flag_review=target.value,
                flag_reviewed_at=now,
                flag_reviewed_by=scope.username,
            )
            .execution_options(synchronize_session=False)
        )
        if int(getattr(result, "rowcount", 0) or 0) != 1:
            raise Conflict(
                f"nothing was changed: response {row.id} changed while this decision was being made; reload the "
                "queue and try again"
            )
        details: dict[str, Any] = {
            "from": row.state.value,
            "to": target.value,
            "reason": reason,
            "flag_reason": row.flag_reason,
        }
        if row.state is not ReviewState.pending:
            details["overruled"] = {"review": row.state.value, "by": row.reviewed_by}
        record(
            session,
            action=f"response.flag_{decision.value}",
            actor=scope.username,
            official_id=scope.official_id,
            object_type="response",
            object_id=row.id,
            details=details,
            client_ip=client_ip,
        )
    unsummarize(session, [row.id for row in changed])  # the figures' summary takes the new flags
    return [row.id for row in changed]
