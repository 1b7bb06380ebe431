"""The one ingestion path: every channel (QR form, kiosk, import, interview) stores responses through here.

``validate`` checks a submission against the form version it answers and returns every problem with a JSON
pointer; ``prepare`` turns a valid one into the rows to write. ``store`` writes them exactly once through the
database's ``Writer`` (``app.responses.storage``: ``INSERT … ON CONFLICT (submission_id) DO NOTHING``), so
concurrent replays produce one row on SQLite and PostgreSQL alike; a replay with identical content is a
``duplicate`` (with the original ``received_at``), a replay with other content a ``conflict`` that changes nothing.
``sipas import`` uses the same ``prepare``, ``Writer`` and judgement of what is stored, with a spill file between
checking every line and storing any (``app.responses.importer``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.config import Settings, decode_key
from app.db import utcnow
from app.directory.models import ProcedureField
from app.errors import Invalid
from app.forms.loader import RegisteredForm
from app.forms.schemas import PROFILE_FIELDS, FormDefinition, Item, ItemType
from app.responses.models import Channel, DossierLink, Response
from app.responses.service import AnswerValue, answer_rows, content_hash, dossier_hash, local_period
from app.responses.storage import differences, stored_versions, writer_for


@dataclass(frozen=True)
class FieldError:
    pointer: str
    message: str
    # required, not_asked, unknown_item, too_long or invalid: lets a page say it in the reader's language.
    kind: str = "invalid"


class SubmissionInvalid(Invalid):
    """A submission that breaks its form's rules; ``errors`` lists each problem with its JSON pointer."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(
            f"{first.pointer}: {first.message}{more}",
            details=[{"pointer": error.pointer, "message": error.message} for error in errors],
        )


@dataclass(frozen=True)
class Submission:
    """What a client sends; everything the server decides (agency, channel, flags) is in ``Origin``."""

    submission_id: uuid.UUID
    form_id: str
    form_version: int
    submitted_at: datetime
    answers: dict[str, Any]
    dossier_code: str | None = None
    profile: dict[str, str] = field(default_factory=dict)
    counter: str | None = None

    def content(self) -> dict[str, Any]:
        """What the client sent, canonically: an identical replay has the same content hash."""
        return {
            "submission_id": str(self.submission_id),
            "form_id": self.form_id,
            "form_version": self.form_version,
            "submitted_at": self.submitted_at.isoformat(),
            "answers": self.answers,
            "dossier_code": self.dossier_code,
            "profile": dict(sorted(self.profile.items())),
            "counter": self.counter,
        }


@dataclass(frozen=True)
class Origin:
    channel: Channel
    agency_id: int
    counter_id: int | None = None
    device_id: int | None = None
    dossier_link_id: int | None = None
    is_suspected_spam: bool = False
    is_test: bool = False
    flag_reason: str | None = None
    weight: float | None = None
    stratum: str | None = None
    cluster: str | None = None


@dataclass(frozen=True)
class IngestResult:
    status: Literal["stored", "duplicate", "conflict", "already_answered"]
    response_id: int | None
    received_at: datetime | None
    message: str | None = None


@dataclass
class _Validated:
    answers: dict[str, AnswerValue] = field(default_factory=dict)
    profile: dict[str, str] = field(default_factory=dict)
    procedure_field: str | None = None
    dossier_code: str | None = None


def _is_asked(item: Item, answers: dict[str, AnswerValue]) -> bool:
    if item.show_if is None:
        return True
    return answers.get(item.show_if.item) in item.show_if.in_


def prune_unasked(definition: FormDefinition, answers: dict[str, Any]) -> dict[str, Any]:
    """Drop answers to questions the respondent was not asked (a page without JavaScript shows every question,
    so a citizen may tick a "reason" although satisfied); API clients get an error for these instead."""
    kept: dict[str, Any] = {}
    for item in definition.items:
        if item.code in answers and _is_asked(item, kept):
            kept[item.code] = answers[item.code]
    return kept


def _check_value(definition: FormDefinition, item: Item, raw: Any) -> tuple[AnswerValue | None, str | None]:
    """The normalised answer (None when blank) or an error message."""
    if item.type is ItemType.scale:
        assert item.scale is not None
        levels = definition.scale_levels[item.scale]
        value = raw
        if isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
            value = int(raw.strip())
        if isinstance(raw, str) and not raw.strip():
            return None, None
        if isinstance(value, bool) or not isinstance(value, int) or value not in levels:
            return None, f"must be one of the levels {levels}"
        return value, None
    codes = [option.code for option in item.options or []]
    if item.type is ItemType.single_choice:
        if isinstance(raw, str) and not raw.strip():
            return None, None
        if not isinstance(raw, str) or raw not in codes:
            return None, f"must be one of {codes}"
        return raw, None
    if item.type is ItemType.multiple_choice:
        if not isinstance(raw, list) or not all(isinstance(code, str) for code in raw):
            return None, "must be a list of option codes"
        unknown = [code for code in raw if code not in codes]
        if unknown:
            return None, f"unknown options {unknown}; allowed: {codes}"
        if len(set(raw)) != len(raw):
            return None, "an option is listed twice"
        return (sorted(raw, key=codes.index) or None), None
    if not isinstance(raw, str):
        return None, "must be text"
    text = raw.strip()
    if "\x00" in text:
        return None, "must not contain NUL characters"
    limit = item.length_limit
    if limit is not None and len(text) > limit:
        return None, f"is {len(text)} characters long; at most {limit} are allowed"
    return (text or None), None


def validate(definition: FormDefinition, answers: dict[str, Any], *, pointer: str = "/answers") -> _Validated:
    """Check answers against the form: known items, allowed values, length, skip rules, required items."""
    errors: list[FieldError] = []
    known = definition.items_by_code
    for code in answers:
        if code not in known:
            errors.append(FieldError(f"{pointer}/{code}", "unknown item for this form version", "unknown_item"))
    values: dict[str, AnswerValue] = {}
    for item in definition.items:
        if item.code not in answers or answers[item.code] is None:
            continue
        value, problem = _check_value(definition, item, answers[item.code])
        if problem:
            kind = "too_long" if "characters long" in problem else "invalid"
            errors.append(FieldError(f"{pointer}/{item.code}", problem, kind))
        elif value is not None:
            values[item.code] = value
    for item in definition.items:
        asked = _is_asked(item, values)
        if not asked and item.code in values:
            assert item.show_if is not None
            errors.append(
                FieldError(
                    f"{pointer}/{item.code}",
                    f"not asked: answered only when {item.show_if.item!r} is one of {item.show_if.in_}",
                    "not_asked",
                )
            )
        if (
            asked
            and item.required
            and item.code not in values
            and not any(error.pointer == f"{pointer}/{item.code}" for error in errors)
        ):
            errors.append(FieldError(f"{pointer}/{item.code}", "an answer is required", "required"))
    if errors:
        raise SubmissionInvalid(errors)
    result = _Validated()
    for code, value in values.items():
        item = definition.item(code)
        if item.profile is not None:
            result.profile[item.profile] = str(value)
        elif item.role == "procedure_field":
            result.procedure_field = str(value)
        elif item.role == "dossier_code":
            result.dossier_code = str(value)
        else:
            result.answers[code] = value
    return result


def check_time(settings: Settings, submitted_at: datetime, now: datetime, *, pointer: str = "/submitted_at") -> None:
    if submitted_at.tzinfo is None:
        raise SubmissionInvalid([FieldError(pointer, "needs a time zone offset (e.g. +07:00 or Z)")])
    if submitted_at - now > timedelta(seconds=settings.clock_skew_seconds):
        raise SubmissionInvalid(
            [
                FieldError(
                    pointer,
                    f"is in the future by more than {settings.clock_skew_seconds} seconds (device clock wrong?)",
                )
            ]
        )
    if now - submitted_at > timedelta(days=settings.retention_days):
        raise SubmissionInvalid([FieldError(pointer, f"is older than the {settings.retention_days}-day window")])


@dataclass(frozen=True)
class Prepared:
    """A validated submission as the rows to store."""

    submission: Submission
    row: dict[str, Any]
    answers: list[dict[str, Any]]
    procedure_field: str | None
    content_hash: str


def prepare(
    settings: Settings,
    form: RegisteredForm,
    submission: Submission,
    origin: Origin,
    *,
    now: datetime,
    pointer: str = "",
) -> Prepared:
    """Validate a submission against its form version and turn it into rows; raises SubmissionInvalid with
    pointers prefixed by ``pointer`` (e.g. ``/items/3``)."""
    definition = form.definition
    if (submission.form_id, submission.form_version) != (definition.id, definition.version):
        raise SubmissionInvalid([FieldError(f"{pointer}/form_version", "does not match the form being answered")])
    check_time(settings, submission.submitted_at, now, pointer=f"{pointer}/submitted_at")
    checked = validate(definition, submission.answers, pointer=f"{pointer}/answers")
    unknown_profile = sorted(set(submission.profile) - set(PROFILE_FIELDS))
    if unknown_profile:
        raise SubmissionInvalid(
            [
                FieldError(
                    f"{pointer}/profile/{unknown_profile[0]}", f"unknown profile field; allowed: {list(PROFILE_FIELDS)}"
                )
            ]
        )
    profile = {**submission.profile, **checked.profile}
    for name, value in sorted(profile.items()):
        limit = getattr(Response.__table__.c[name].type, "length", None)  # the column's width
        if limit is not None and len(value) > limit:
            raise SubmissionInvalid([FieldError(f"{pointer}/profile/{name}", f"at most {limit} characters")])
    dossier_code = checked.dossier_code or submission.dossier_code
    key = decode_key(settings.dossier_hash_key or "", name="SIPAS_DOSSIER_HASH_KEY")
    local_date, local_month = local_period(submission.submitted_at, settings.zone)
    row: dict[str, Any] = {
        "submission_id": submission.submission_id,
        "form_version_id": form.form_version_id,
        "agency_id": origin.agency_id,
        "counter_id": origin.counter_id,
        "device_id": origin.device_id,
        "procedure_field_id": None,
        "channel": origin.channel,
        "submitted_at": submission.submitted_at,
        "received_at": now,
        "local_date": local_date,
        "local_month": local_month,
        "weight": origin.weight,
        "stratum": origin.stratum,
        "cluster": origin.cluster,
        "is_suspected_spam": origin.is_suspected_spam,
        "is_test": origin.is_test,
        "flag_reason": origin.flag_reason,
        "dossier_hash": dossier_hash(key, dossier_code) if dossier_code else None,
        "content_hash": content_hash(key, submission.content()),
        **{name: profile.get(name) for name in PROFILE_FIELDS},
    }
    return Prepared(
        submission=submission,
        row=row,
        answers=answer_rows(definition, checked.answers),
        procedure_field=checked.procedure_field,
        content_hash=row["content_hash"],
    )


def stored_rows(prepared: Prepared, procedure_fields: dict[str, int]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The ``responses`` row and the ``answers`` rows (without ``response_id``) stored for a prepared submission,
    given the procedure fields' ids by code."""
    row = {**prepared.row, "procedure_field_id": procedure_fields.get(prepared.procedure_field or "")}
    return row, prepared.answers


def judge_stored(stored: dict[str, Any], row: dict[str, Any]) -> tuple[Literal["duplicate", "conflict"], str | None]:
    """A submission whose id is stored already: the same submission again (``duplicate``), or a ``conflict`` with
    the message to give. Another agency's submission is a conflict that tells nothing about it."""
    found = differences(stored, row)
    if "agency_id" in found:
        return "conflict", CONFLICT_ELSEWHERE_MESSAGE
    return ("conflict", CONFLICT_MESSAGE) if found else ("duplicate", None)


def store(session: Session, prepared: list[Prepared], *, commit: bool = True) -> list[IngestResult]:
    """Store prepared submissions in one transaction, each exactly once; results in the same order.

    The database decides what is new (the unique submission id); whatever it skipped is judged against the
    stored row (``judge_stored``): identical → ``duplicate`` with the original time, different → ``conflict``.
    A row stored for another agency is always a bare ``conflict`` (no response id, no time): nothing about
    another agency's submission is told, not even whether the content matches."""
    if not prepared:
        return []
    codes = {item.procedure_field for item in prepared if item.procedure_field}
    field_ids = (
        dict(
            session.execute(select(ProcedureField.code, ProcedureField.id).where(ProcedureField.code.in_(codes))).all()
        )
        if codes
        else {}
    )
    firsts: dict[uuid.UUID, int] = {}  # a submission id repeated in the batch: the first copy is the one stored
    for index, item in enumerate(prepared):
        firsts.setdefault(item.submission.submission_id, index)
    writer = writer_for(session)
    records = [writer.record(index, *stored_rows(prepared[index], field_ids)) for index in firsts.values()]
    inserted = writer.insert(records)
    existing = stored_versions(session, [key for key, index in firsts.items() if index not in inserted])
    if commit:
        session.commit()
    results: list[IngestResult] = []
    for index, item in enumerate(prepared):
        first = firsts[item.submission.submission_id]
        if first == index and index in inserted:
            results.append(IngestResult("stored", inserted[index], item.row["received_at"]))
            continue
        if first in inserted:  # repeated inside this very batch: judged against the copy stored a moment ago
            stored = {**prepared[first].row, "id": inserted[first]}
        else:
            stored = existing[item.submission.submission_id]
        status, message = judge_stored(stored, item.row)
        if message == CONFLICT_ELSEWHERE_MESSAGE:
            results.append(IngestResult(status, None, None, message))
        else:
            results.append(IngestResult(status, stored["id"], stored["received_at"], message))
    return results


CONFLICT_MESSAGE = "this submission_id was already stored with different content; nothing was changed"
CONFLICT_ELSEWHERE_MESSAGE = "this submission_id is already taken; nothing was stored (make a new one)"


def ingest(
    session: Session,
    settings: Settings,
    form: RegisteredForm,
    submission: Submission,
    origin: Origin,
    *,
    now: datetime | None = None,
    commit: bool = True,
) -> IngestResult:
    """Validate and store one submission exactly once, and commit (``commit=False``: the caller commits, with
    what else belongs to the same answer). Raises SubmissionInvalid.

    A response through a single-use dossier link also claims the link in the same transaction: if another
    response claimed it first, nothing is stored (``already_answered``)."""
    prepared = prepare(settings, form, submission, origin, now=now or utcnow())
    if origin.dossier_link_id is not None:
        link = session.get(DossierLink, origin.dossier_link_id)
        assert link is not None
        prepared.row["dossier_hash"] = link.dossier_hash
    result = store(session, [prepared], commit=False)[0]
    if result.status == "stored" and origin.dossier_link_id is not None:
        claimed = session.execute(
            update(DossierLink)
            .where(
                DossierLink.id == origin.dossier_link_id,
                DossierLink.used_at.is_(None),
                DossierLink.revoked_at.is_(None),
            )
            .values(used_at=prepared.row["received_at"], response_id=result.response_id)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            session.rollback()
            return IngestResult("already_answered", None, None, "this link has already been used")
    if commit:
        session.commit()
    return result
