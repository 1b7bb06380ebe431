"""Ballot stuffing on the citizen form: a burst of submissions is flagged, not just throttled.

The rate limits (``SIPAS_FORM_RATE_PER_LINK_PER_MINUTE``, ``SIPAS_FORM_RATE_PER_CLIENT_PER_HOUR``) bound how many
answers a script gets in; this decides whether those that did get in may count. Two rules, each over the last 60 s:

- **per link**: more than ``SIPAS_FORM_BURST_PER_LINK_PER_MINUTE`` (10) web answers through one counter's (or
  agency's) link, counted in the database — the same for every worker, and immune to rotating addresses;
- **per browser**: more than ``SIPAS_FORM_BURST_PER_CLIENT_PER_MINUTE`` (3) answers from one browser (its cookie,
  else address and user agent), counted in the worker's memory.

When a rule trips, the new answer is stored flagged and so are the burst's earlier answers that were not flagged
yet, so the first few of a burst do not slip into the figures. Flagged answers are kept, listed for administrators
(``GET /api/v1/responses/flagged``) and left out of every figure. A busy counter at peak (one answer every 20 s:
3 a minute) stays far below 10. Single-use dossier links are left out of both rules: each answers once, and an
agency may send hundreds at the same moment.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.config import Settings
from app.public.models import DossierLink
from app.responses.models import Channel, Response

WINDOW_SECONDS = 60
LINK_REASON = "burst: {n} submissions on this link within 60 s"
CLIENT_REASON = "burst: {n} submissions from one browser within 60 s"


@dataclass(frozen=True)
class Verdict:
    reason: str | None  # None: not a burst
    rule: str | None = None  # "link" or "client"


def _same_link(agency_id: int, counter_id: int | None) -> list[Any]:
    counter = Response.counter_id.is_(None) if counter_id is None else Response.counter_id == counter_id
    return [Response.agency_id == agency_id, counter, Response.channel == Channel.web_qr]


def _window(settings: Settings, agency_id: int, now: datetime) -> tuple[datetime, list[Any]]:
    """The start of the window and its conditions: ``local_date`` lets the (agency, local_date) index work; answers
    through single-use dossier links (sent to many citizens at once, each answerable once) never count."""
    since = now - timedelta(seconds=WINDOW_SECONDS)
    days = sorted({since.astimezone(settings.zone).date(), now.astimezone(settings.zone).date()})
    dossier_answers = select(DossierLink.response_id).where(
        DossierLink.agency_id == agency_id, DossierLink.used_at > since, DossierLink.response_id.is_not(None)
    )
    return since, [Response.local_date.in_(days), Response.received_at > since, Response.id.not_in(dossier_answers)]


def link_count(session: Session, settings: Settings, agency_id: int, counter_id: int | None, now: datetime) -> int:
    """Web answers through this link already received within the window."""
    _since, recent = _window(settings, agency_id, now)
    query = select(func.count()).select_from(Response).where(*_same_link(agency_id, counter_id), *recent)
    return int(session.scalar(query) or 0)


def judge(settings: Settings, *, on_link: int, from_client: int) -> Verdict:
    """``on_link`` and ``from_client``: answers within the window, this one included."""
    if on_link > settings.form_burst_per_link_per_minute:
        return Verdict(LINK_REASON.format(n=on_link), "link")
    if from_client > settings.form_burst_per_client_per_minute:
        return Verdict(CLIENT_REASON.format(n=from_client), "client")
    return Verdict(None)


def flag_earlier(session: Session, settings: Settings, verdict: Verdict, *, agency_id: int, counter_id: int | None,
                 client_submissions: list[str], now: datetime) -> int:  # fmt: skip
    """Flag the burst's earlier answers that are not flagged yet; returns how many were."""
    if verdict.reason is None:
        return 0
    condition: list[Any] = [Response.is_suspected_spam.is_(False)]
    if verdict.rule == "link":
        _since, recent = _window(settings, agency_id, now)
        condition += [*_same_link(agency_id, counter_id), *recent]
    else:
        ids = [uuid.UUID(value) for value in client_submissions]
        condition += [Response.submission_id.in_(ids), Response.channel == Channel.web_qr]
    result = session.execute(
        update(Response).where(*condition).values(is_suspected_spam=True, flag_reason=verdict.reason)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    session.commit()
    return int(getattr(result, "rowcount", 0) or 0)
