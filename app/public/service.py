"""Taking a citizen's answer: whether it may count (a burst on its link, from its browser or its network,
:mod:`app.public.burst`), then storing it and flagging the earlier answers of a burst in one transaction, so an
answer is never stored without the flags it brings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.config import Settings
from app.links.service import OpenLink
from app.links.tokens import ClientId
from app.public import burst
from app.ratelimit import RecentlySeen
from app.responses.ingest import IngestResult, Origin, Submission, ingest


def link_key(link: OpenLink) -> str:
    """What a link opens, whatever the spelling of its token (an old key's token and a new one open the same
    counter): the per-link limits and budgets count per counter, or per dossier link."""
    if link.dossier_link is not None:
        return f"dossier:{link.dossier_link.id}"
    return f"counter:{link.counter.id}" if link.counter is not None else f"agency:{link.agency.id}"


@dataclass(frozen=True)
class Judged:
    flag: burst.BurstFlag
    keys: tuple[str, ...]  # the trackers an answer stored now is recorded in
    client_minute: list[str]  # the client's earlier answers within 60 s (flagged with a burst of its own)
    network_hour: list[str]  # the network's earlier answers through the link within the hour (flagged with a flood)


def judge(
    session: Session,
    settings: Settings,
    seen: RecentlySeen,
    link: OpenLink,
    *,
    client: ClientId,
    host: str,
    submission_id: str,
    now: datetime,
) -> Judged:
    """Whether an answer about to be stored may count (:mod:`app.public.burst`), from the answers already counted
    on its link and the browser's and network's recent answers in this worker."""
    if link.dossier_link is not None:  # single-use: cannot be stuffed
        return Judged(burst.BurstFlag(None), (), [], [])
    network = burst.network_of(host)
    client_key, network_key = f"client:{client.value}", f"network:{network}|{link_key(link)}"

    def earlier(key: str, within: float | None = None) -> list[str]:
        return [value for value in seen.recent(key, within=within) if value != submission_id]

    agency_id, counter_id = link.agency.id, link.counter.id if link.counter else None
    client_minute, network_hour = earlier(client_key, burst.WINDOW_SECONDS), earlier(network_key)
    counts = burst.Counts(
        on_link=burst.link_count(session, settings, agency_id, counter_id, now) + 1,
        from_client=len(client_minute) + 1,
        client_hour=len(earlier(client_key)) + 1,
        network_hour=len(network_hour) + 1,
        link_hour=burst.link_counted_in_hour(session, settings, agency_id, counter_id, now) + 1,
    )
    return Judged(burst.judge(settings, counts), (client_key, network_key), client_minute, network_hour)


def take(
    session: Session,
    settings: Settings,
    *,
    seen: RecentlySeen,
    link: OpenLink,
    submission: Submission,
    origin: Origin,
    judged: Judged,
    now: datetime,
) -> IngestResult:
    """Store the answer exactly once and, when it is new, flag the earlier answers its burst judged — then commit
    both. Raises :class:`app.responses.ingest.SubmissionInvalid` (nothing stored)."""
    result = ingest(session, settings, link.form, submission, origin, now=now, commit=False)
    if result.status == "stored":
        burst.flag_earlier(
            session,
            settings,
            judged.flag,
            agency_id=link.agency.id,
            counter_id=link.counter.id if link.counter else None,
            client_submissions=judged.client_minute,
            network_submissions=judged.network_hour,
            now=now,
        )
    session.commit()
    if result.status == "stored":
        for key in judged.keys:
            seen.add(key, str(submission.submission_id))
    return result
