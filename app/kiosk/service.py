"""Kiosk submissions: check each item on its own (NUL characters, the form, the counter and whether it still
collects answers, the plausible time), flag implausible sequences (:mod:`app.kiosk.plausibility`), then hand
everything to the one ingestion service in a single transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.config import Settings
from app.db import utcnow
from app.directory.models import Counter, Device
from app.forms.loader import RegisteredForm
from app.kiosk import plausibility
from app.kiosk.schemas import FieldProblem, HeartbeatIn, ItemResult, SubmissionIn
from app.limits import NUL_MESSAGE, nul_pointers
from app.responses.ingest import Origin, Prepared, Submission, SubmissionInvalid, prepare, store
from app.responses.models import Channel

submission_adapter = TypeAdapter(SubmissionIn)


def _pointer(prefix: str, loc: tuple[int | str, ...]) -> str:
    return prefix + "".join(f"/{part}" for part in loc)


def _invalid(index: int, submission_id: uuid.UUID | None, problems: list[FieldProblem]) -> ItemResult:
    first = problems[0]
    return ItemResult(
        index=index,
        submission_id=submission_id,
        status="invalid",
        message=f"{first.pointer}: {first.message}",
        errors=problems,
    )


def nul_problems(raw: Any, prefix: str) -> list[FieldProblem]:
    """Every string or member name holding a NUL character, by JSON pointer. PostgreSQL cannot store NUL in text:
    such an item used to fail its whole batch (a 500 the kiosk retried for ever); now it alone is ``invalid``. (The
    app refuses NULs everywhere else before routing, ``app.limits.NulRefusal``, and leaves a batch's ``/items`` to
    this.)"""
    if isinstance(raw, BaseModel):
        raw = raw.model_dump()
    return [FieldProblem(pointer=pointer, message=NUL_MESSAGE) for pointer in nul_pointers(raw, prefix)]


def _parse(raw: Any, prefix: str) -> SubmissionIn | list[FieldProblem]:
    nul = nul_problems(raw, prefix)
    if nul:
        return nul
    try:
        return submission_adapter.validate_python(raw)
    except ValidationError as exc:
        return [FieldProblem(pointer=_pointer(prefix, tuple(err["loc"])), message=err["msg"]) for err in exc.errors()]


@dataclass(frozen=True)
class Closed:
    """A counter or agency that no longer collects answers, since ``since`` (None: unknown, so since always)."""

    what: str
    since: datetime | None

    def refuses(self, submitted_at: datetime) -> bool:
        return self.since is None or submitted_at > self.since

    def message(self) -> str:
        if self.since is None:
            return f"{self.what} is deactivated: it no longer collects answers"
        return (
            f"{self.what} stopped collecting answers at {self.since:%Y-%m-%dT%H:%M:%SZ}; only answers given "
            "before then are accepted"
        )


def deactivated_at(session: Session, kind: str, object_id: int) -> datetime | None:
    """When an agency or counter was last deactivated, from the audit log that every deactivation writes
    (``{kind}.update`` with ``changes.active`` ``[true, false]``); None when no such event is found."""
    events = session.execute(
        select(AuditEvent.at, AuditEvent.details)
        .where(
            AuditEvent.action == f"{kind}.update",
            AuditEvent.object_type == kind,
            AuditEvent.object_id == str(object_id),
        )
        .order_by(AuditEvent.id.desc())
        .limit(100)
    ).all()
    for event in events:
        details: Any = event.details
        changes = details.get("changes") if isinstance(details, dict) else None
        if isinstance(changes, dict) and changes.get("active") == [True, False]:
            moment: datetime = event.at
            return moment
    return None


class _Places:
    """The counters a batch names and whether each still collects answers (looked up once per batch)."""

    def __init__(self, session: Session, device: Device, named: set[str]) -> None:
        self.session, self.device = session, device
        self.counters: dict[str, Counter] = {}
        if named:  # most items name no counter (the device's own): no statement to build
            query = select(Counter).where(Counter.agency_id == device.agency_id, Counter.code.in_(named))
            self.counters = {counter.code: counter for counter in session.scalars(query)}
        self._closed: dict[tuple[str, int], Closed | None] = {}

    def _judge(self, kind: str, object_id: int, active: bool, what: str) -> Closed | None:
        if (kind, object_id) not in self._closed:
            closed = None if active else Closed(what, deactivated_at(self.session, kind, object_id))
            self._closed[(kind, object_id)] = closed
        return self._closed[(kind, object_id)]

    def closed(self, counter: Counter | None) -> Closed | None:
        """The agency's or the counter's closure (the earlier one when both are closed)."""
        agency = self.device.agency
        found = [
            self._judge("agency", agency.id, agency.active, f"agency {agency.code!r}"),
            None
            if counter is None
            else self._judge("counter", counter.id, counter.active, f"counter {counter.code!r}"),
        ]
        closures = [closure for closure in found if closure is not None]
        for closure in closures:
            if closure.since is None:
                return closure
        dated = [(closure.since, closure) for closure in closures if closure.since is not None]
        return min(dated, key=lambda pair: pair[0])[1] if dated else None


def receive(
    session: Session,
    settings: Settings,
    forms: dict[tuple[str, int], RegisteredForm],
    device: Device,
    raw_items: list[Any],
    *,
    pointer_prefix: str = "/items",
    now: datetime | None = None,
    first_registered_at: datetime | None = None,
) -> list[ItemResult]:
    """Validate and store a kiosk's submissions; one result per item, in order. Valid items are stored even
    when others are invalid; everything valid is written in one transaction. ``first_registered_at``: as
    :class:`app.kiosk.auth.Kiosk` read it with the device (looked up here when not given)."""
    now = now or utcnow()
    results: dict[int, ItemResult] = {}
    parsed: list[tuple[int, SubmissionIn]] = []
    for index, raw in enumerate(raw_items):
        prefix = f"{pointer_prefix}/{index}" if pointer_prefix else ""
        item = _parse(raw, prefix)
        if isinstance(item, list):
            submission_id = raw.get("submission_id") if isinstance(raw, dict) else None
            results[index] = _invalid(index, _as_uuid(submission_id), item)
        else:
            parsed.append((index, item))
    places = _Places(session, device, {item.counter for _, item in parsed if item.counter})
    if parsed and first_registered_at is None:
        first_registered_at = plausibility.first_registration(session, device)
    earliest = plausibility.earliest_allowed(first_registered_at or now, now)
    prepared: list[tuple[int, Prepared]] = []
    for index, item in parsed:
        prefix = f"{pointer_prefix}/{index}" if pointer_prefix else ""
        problem = _place_and_time(settings, forms, device, places, item, prefix=prefix, earliest=earliest)
        if isinstance(problem, FieldProblem):
            results[index] = _invalid(index, item.submission_id, [problem])
            continue
        form, counter_id = problem
        origin = Origin(channel=Channel.kiosk, agency_id=device.agency_id, counter_id=counter_id, device_id=device.id)
        submission = Submission(
            submission_id=item.submission_id,
            form_id=item.form_id,
            form_version=item.form_version,
            submitted_at=item.submitted_at,
            answers=item.answers,
            dossier_code=item.dossier_code,
            profile=dict(item.profile),
            counter=item.counter,
        )
        try:
            prepared.append((index, prepare(settings, form, submission, origin, now=now, pointer=prefix)))
        except SubmissionInvalid as invalid:
            problems = [FieldProblem(pointer=error.pointer, message=error.message) for error in invalid.errors]
            results[index] = _invalid(index, item.submission_id, problems)
    moments = [(ready.submission.submission_id, ready.submission.submitted_at) for _, ready in prepared]
    verdicts = plausibility.judge(session, settings, device, moments)
    for _, ready in prepared:
        reason = verdicts.reason(ready.submission.submission_id)
        if reason is not None:
            ready.row.update(is_suspected_spam=True, flag_reason=reason)
    if prepared:
        plausibility.flag_stored(session, verdicts)  # committed with the batch
    outcomes = store(session, [ready for _, ready in prepared])
    for (index, ready), outcome in zip(prepared, outcomes, strict=True):
        status = outcome.status
        assert status in ("stored", "duplicate", "conflict")  # already_answered is for dossier links only
        results[index] = ItemResult(
            index=index,
            submission_id=ready.submission.submission_id,
            status=status,
            response_id=outcome.response_id,
            received_at=outcome.received_at,
            message=outcome.message,
        )
    return [results[index] for index in range(len(raw_items))]


def _place_and_time(
    settings: Settings,
    forms: dict[tuple[str, int], RegisteredForm],
    device: Device,
    places: _Places,
    item: SubmissionIn,
    *,
    prefix: str,
    earliest: datetime,
) -> tuple[RegisteredForm, int | None] | FieldProblem:
    """The item's form and counter id, or the first problem with its form, counter, closure or time."""
    form = forms.get((item.form_id, item.form_version))
    if form is None:
        return FieldProblem(
            pointer=f"{prefix}/form_version", message=f"unknown form {item.form_id!r} version {item.form_version}"
        )
    counter = device.counter
    if item.counter is not None:
        if item.counter not in places.counters:
            return FieldProblem(pointer=f"{prefix}/counter", message=f"not a counter of agency {device.agency.code!r}")
        counter = places.counters[item.counter]
    closed = places.closed(counter)
    if closed is not None and closed.refuses(item.submitted_at):
        return FieldProblem(pointer=f"{prefix}/counter", message=closed.message())
    if item.submitted_at < earliest:
        place = "counter" if device.counter_id is not None else "agency"
        return FieldProblem(
            pointer=f"{prefix}/submitted_at",
            message=f"is before {earliest:%Y-%m-%dT%H:%M:%SZ}: earlier than any kiosk was registered at this {place} "
            "(device clock wrong?)",
        )
    return form, counter.id if counter is not None else None


def _as_uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value is not None else None
    except ValueError:
        return None


def heartbeat(session: Session, device: Device, body: HeartbeatIn, *, now: datetime | None = None) -> None:
    """Record that the kiosk is alive, its app version, its queue and what it holds back."""
    session.execute(
        update(Device)
        .where(Device.id == device.id)
        .values(
            last_seen_at=now or utcnow(),
            app_version=body.app_version,
            queue_length=body.queue_length,
            held_back=body.held_back,
        )
    )
    session.commit()
