"""Ballot stuffing on the citizen form: what may count is decided per answer, and too much is flagged, not just
throttled.

The rate limits (``SIPAS_FORM_RATE_PER_LINK_PER_MINUTE``, ``SIPAS_FORM_RATE_PER_CLIENT_PER_HOUR``) bound how many
answers a script gets in; this decides whether those that did get in may count. A browser is its **client id**: one
the server signed and issued (``app/public/tokens.py``), so a script cannot pick one; but a new id costs one GET, so
the rules that bound a script dropping its cookie never look at client ids.

Bursts, over the last 60 s, flag the new answer **and** the burst's earlier ones (the first few of a burst do not
slip into the figures):

- **per link**: more than ``SIPAS_FORM_BURST_PER_LINK_PER_MINUTE`` (10) web answers through one counter's link,
  counted in the database — the same for every worker, and immune to rotating addresses;
- **per client**: more than ``SIPAS_FORM_BURST_PER_CLIENT_PER_MINUTE`` (3) from one client id (per worker).

Budgets, over the last hour, flag the answers beyond them (those before stay counted), except a flood:

- **per client**: more than ``SIPAS_FORM_ANSWERS_PER_CLIENT_PER_HOUR`` (3) answers from one client id (a citizen
  answers once; a phone passed round a family a few times), in the worker's memory;
- **per network and link**: more than ``SIPAS_FORM_ANSWERS_PER_NETWORK_PER_HOUR`` (40) answers from one network
  (IPv4 /24, IPv6 /56) through one link, whatever their client ids, in the worker's memory. Every stored answer
  counts, flagged or not, so a script that goes on sending keeps its network over the budget. An office or a
  carrier's NAT giving 30 honest citizens an hour at a busy counter stays under it;
- **a flood from one network**: more than ``FLOOD_FACTOR`` (2) times its budget (80) from one network through
  one link within the hour flags every answer it gave there within the hour, like a burst: a script that does not
  hold itself under the budget keeps nothing;
- **per link**: more than ``SIPAS_FORM_ANSWERS_PER_LINK_PER_HOUR`` (60) *counted* (unflagged) web answers through
  one link, in the database: the ceiling whatever the networks and however many workers. Only counted answers
  use it up, so a flood that is flagged anyway does not push honest answers out.

Flagged answers are kept, listed for administrators (``GET /api/v1/responses/flagged``) and left out of every
figure. Single-use dossier links are outside every rule: each answers once, and an agency may send hundreds at the
same moment.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import func, select, tuple_, update
from sqlalchemy.orm import Session

from app import networks
from app.config import Settings
from app.responses.models import Channel, DossierLink, Response, StoredSubmission
from app.responses.summary import unsummarize

WINDOW_SECONDS = 60
HOUR_SECONDS = 3600
IPV6_NETWORK_BITS = 56
FLOOD_FACTOR = 2
LINK_REASON = "burst: {n} submissions on this link within 60 s"
CLIENT_REASON = "burst: {n} submissions from one browser within 60 s"
CLIENT_HOUR_REASON = "budget: {n} answers from one browser within an hour"
NETWORK_REASON = "budget: {n} answers from one network on this link within an hour"
FLOOD_REASON = "flood: {n} answers from one network on this link within an hour"
LINK_HOUR_REASON = "budget: {n} counted answers on this link within an hour"

Rule = Literal["link", "client", "flood", "client_hour", "network", "link_hour"]


@dataclass(frozen=True)
class BurstFlag:
    reason: str | None  # None: the answer may count
    rule: Rule | None = None


@dataclass(frozen=True)
class Counts:
    """Answers within each rule's window, this one included."""

    on_link: int  # web answers through the link within 60 s (database)
    from_client: int  # from the client id within 60 s (worker)
    client_hour: int  # from the client id within the hour (worker)
    network_hour: int  # from the network through the link within the hour (worker)
    link_hour: int  # counted web answers through the link within the hour (database)


def network_of(host: str) -> str:
    """The network a client's answers are counted by: IPv4 /24, IPv6 /56 (``app.networks``)."""
    return networks.network_of(host, ipv6_prefix=IPV6_NETWORK_BITS)


def _same_link(agency_id: int, counter_id: int | None) -> list[Any]:
    counter = Response.counter_id.is_(None) if counter_id is None else Response.counter_id == counter_id
    return [Response.agency_id == agency_id, counter, Response.channel == Channel.web_qr]


def _window(settings: Settings, agency_id: int, now: datetime, seconds: int = WINDOW_SECONDS) -> list[Any]:
    """The window's conditions: ``local_date`` lets the (agency, local_date) index work; answers through
    single-use dossier links (sent to many citizens at once, each answerable once) never count."""
    since = now - timedelta(seconds=seconds)
    days = sorted({since.astimezone(settings.zone).date(), now.astimezone(settings.zone).date()})
    dossier_answers = select(DossierLink.response_id).where(
        DossierLink.agency_id == agency_id, DossierLink.used_at > since, DossierLink.response_id.is_not(None)
    )
    return [Response.local_date.in_(days), Response.received_at > since, Response.id.not_in(dossier_answers)]


def link_count(session: Session, settings: Settings, agency_id: int, counter_id: int | None, now: datetime) -> int:
    """Web answers through this link already received within the last 60 s, flagged or not."""
    recent = _window(settings, agency_id, now)
    query = select(func.count()).select_from(Response).where(*_same_link(agency_id, counter_id), *recent)
    return int(session.scalar(query) or 0)


def link_counted_in_hour(
    session: Session, settings: Settings, agency_id: int, counter_id: int | None, now: datetime
) -> int:
    """Counted (unflagged) web answers through this link already received within the last hour."""
    recent = _window(settings, agency_id, now, HOUR_SECONDS)
    query = (
        select(func.count())
        .select_from(Response)
        .where(*_same_link(agency_id, counter_id), *recent, Response.is_suspected_spam.is_(False))
    )
    return int(session.scalar(query) or 0)


def judge(settings: Settings, counts: Counts) -> BurstFlag:
    """The first rule an answer breaks, those that flag the earlier answers too first."""
    if counts.on_link > settings.form_burst_per_link_per_minute:
        return BurstFlag(LINK_REASON.format(n=counts.on_link), "link")
    if counts.from_client > settings.form_burst_per_client_per_minute:
        return BurstFlag(CLIENT_REASON.format(n=counts.from_client), "client")
    if counts.network_hour > FLOOD_FACTOR * settings.form_answers_per_network_per_hour:
        return BurstFlag(FLOOD_REASON.format(n=counts.network_hour), "flood")
    if counts.client_hour > settings.form_answers_per_client_per_hour:
        return BurstFlag(CLIENT_HOUR_REASON.format(n=counts.client_hour), "client_hour")
    if counts.network_hour > settings.form_answers_per_network_per_hour:
        return BurstFlag(NETWORK_REASON.format(n=counts.network_hour), "network")
    if counts.link_hour > settings.form_answers_per_link_per_hour:
        return BurstFlag(LINK_HOUR_REASON.format(n=counts.link_hour), "link_hour")
    return BurstFlag(None)


def flag_earlier(
    session: Session,
    settings: Settings,
    flag: BurstFlag,
    *,
    agency_id: int,
    counter_id: int | None,
    client_submissions: list[str],
    network_submissions: list[str],
    now: datetime,
) -> int:
    """Flag the earlier answers of a burst or a flood that are not flagged yet; returns how many were. Budgets
    flag only what is beyond them, so nothing earlier. The caller commits (with the answer that judged them)."""
    # An answer an administrator released stays released: a later burst does not flag it again.
    condition: list[Any] = [Response.is_suspected_spam.is_(False), Response.flag_review.is_(None)]
    if flag.rule == "link":
        condition += [*_same_link(agency_id, counter_id), *_window(settings, agency_id, now)]
    elif flag.rule in ("client", "flood"):
        earlier = client_submissions if flag.rule == "client" else network_submissions
        ids = [uuid.UUID(value) for value in earlier]
        # found through ``submissions`` (one index, whatever the month), their partitions named by their months
        known = select(StoredSubmission.id, StoredSubmission.local_month).where(StoredSubmission.submission_id.in_(ids))
        condition += [tuple_(Response.id, Response.local_month).in_(known), Response.channel == Channel.web_qr]
    else:
        return 0
    statement = update(Response).where(*condition).values(is_suspected_spam=True, flag_reason=flag.reason)
    flagged = list(session.scalars(statement.returning(Response.id).execution_options(synchronize_session=False)))
    unsummarize(session, flagged)  # the figures' summary takes the new flags
    return len(flagged)
