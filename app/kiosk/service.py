"""Kiosk submissions: parse each item on its own, resolve form and counter from the device, flag
button-mashing, then hand everything to the one ingestion service in a single transaction."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import utcnow
from app.directory.models import Counter, Device
from app.forms.loader import RegisteredForm
from app.kiosk.schemas import FieldProblem, HeartbeatIn, ItemResult, SubmissionIn
from app.responses.ingest import Origin, Prepared, Submission, SubmissionInvalid, prepare, store
from app.responses.models import Channel, Response

submission_adapter = TypeAdapter(SubmissionIn)
MASHING = "less than {seconds:g} s after the previous answer on this kiosk"


def _pointer(prefix: str, loc: tuple[int | str, ...]) -> str:
    return prefix + "".join(f"/{part}" for part in loc)


def _invalid(index: int, submission_id: uuid.UUID | None, problems: list[FieldProblem]) -> ItemResult:
    first = problems[0]
    return ItemResult(index=index, submission_id=submission_id, status="invalid",
                      message=f"{first.pointer}: {first.message}", errors=problems)  # fmt: skip


def _parse(raw: Any, prefix: str) -> SubmissionIn | list[FieldProblem]:
    try:
        return submission_adapter.validate_python(raw)
    except ValidationError as exc:
        return [FieldProblem(pointer=_pointer(prefix, tuple(err["loc"])), message=err["msg"]) for err in exc.errors()]


def _mashed(session: Session, settings: Settings, device: Device, items: list[SubmissionIn]) -> set[uuid.UUID]:
    """Submissions that follow another answer on the same kiosk too closely (stored batch or this one)."""
    gap = timedelta(seconds=settings.kiosk_min_interval_seconds)
    if not items or gap <= timedelta(0):
        return set()
    earliest = min(item.submitted_at for item in items) - gap
    latest = max(item.submitted_at for item in items)
    moments = {
        submission_id: moment
        for submission_id, moment in session.execute(
            select(Response.submission_id, Response.submitted_at).where(
                Response.device_id == device.id, Response.submitted_at.between(earliest, latest)
            )
        ).all()
    }
    for item in items:
        moments.setdefault(item.submission_id, item.submitted_at)
    timeline = sorted(moments.items(), key=lambda pair: (pair[1], str(pair[0])))
    return {current_id for (_, previous), (current_id, current) in pairwise(timeline) if current - previous < gap}


def receive(
    session: Session,
    settings: Settings,
    forms: dict[tuple[str, int], RegisteredForm],
    device: Device,
    raw_items: list[Any],
    *,
    pointer_prefix: str = "/items",
    now: datetime | None = None,
) -> list[ItemResult]:
    """Validate and store a kiosk's submissions; one result per item, in order. Valid items are stored even
    when others are invalid; everything valid is written in one transaction."""
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
    flagged = _mashed(session, settings, device, [item for _, item in parsed])
    named = {item.counter for _, item in parsed if item.counter}
    counters = dict(session.execute(select(Counter.code, Counter.id).where(
        Counter.agency_id == device.agency_id, Counter.code.in_(named)
    )).all()) if named else {}  # fmt: skip
    prepared: list[tuple[int, Prepared]] = []
    for index, item in parsed:
        prefix = f"{pointer_prefix}/{index}" if pointer_prefix else ""
        form = forms.get((item.form_id, item.form_version))
        if form is None:
            problem = FieldProblem(pointer=f"{prefix}/form_version",
                                   message=f"unknown form {item.form_id!r} version {item.form_version}")  # fmt: skip
            results[index] = _invalid(index, item.submission_id, [problem])
            continue
        counter_id = device.counter_id
        if item.counter is not None:
            if item.counter not in counters:
                problem = FieldProblem(pointer=f"{prefix}/counter",
                                       message=f"not a counter of agency {device.agency.code!r}")  # fmt: skip
                results[index] = _invalid(index, item.submission_id, [problem])
                continue
            counter_id = counters[item.counter]
        mashed = item.submission_id in flagged
        origin = Origin(
            channel=Channel.kiosk, agency_id=device.agency_id, counter_id=counter_id, device_id=device.id,
            is_suspected_spam=mashed,
            flag_reason=MASHING.format(seconds=settings.kiosk_min_interval_seconds) if mashed else None,
        )  # fmt: skip
        submission = Submission(
            submission_id=item.submission_id, form_id=item.form_id, form_version=item.form_version,
            submitted_at=item.submitted_at, answers=item.answers, dossier_code=item.dossier_code,
            profile=dict(item.profile), counter=item.counter,
        )  # fmt: skip
        try:
            prepared.append((index, prepare(settings, form, submission, origin, now=now, pointer=prefix)))
        except SubmissionInvalid as invalid:
            problems = [FieldProblem(pointer=error.pointer, message=error.message) for error in invalid.errors]
            results[index] = _invalid(index, item.submission_id, problems)
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
