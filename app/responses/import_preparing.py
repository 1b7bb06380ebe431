"""Preparing one line of ``sipas import`` at a time: the line becomes a ``Submission`` and its ``Origin`` (the
import channel), validated by ``prepare`` like those of every channel; problems are collected with their column.

The import checks whole columns at once (``import_checking``); this line-by-line path names the problems of the
lines found wrong there (and has the last word on them), and is the reference the tests compare the columns with.

Submission ids come from an id column (a UUID as is, any other text as a UUID5 of form and text) or from the
file's SHA-256 and the line number, so importing the same file twice stores nothing new.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from app.config import Settings
from app.forms.loader import RegisteredForm
from app.forms.schemas import PROFILE_FIELDS
from app.responses.import_reading import ISO_DATE, Layout, answer, label, parse_when, quote, weight
from app.responses.ingest import (
    FieldError,
    Origin,
    Prepared,
    Submission,
    SubmissionInvalid,
    check_time,
    prepare,
)
from app.responses.models import Channel
from app.responses.storage import RESPONSES, remembering

# Submission ids made from an id column's text (or from the file's hash and a line number) live in this space.
IMPORT_NAMESPACE = uuid.UUID("6b1f4c9e-3d0a-5e27-9c55-2f8a41d7b3e0")
_CANONICAL_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_T = TypeVar("_T")
PROFILE_LIMITS = {name: int(getattr(RESPONSES.c[name].type, "length", 0) or 0) for name in PROFILE_FIELDS}


def time_problem(settings: Settings, moment: datetime, text: str, now: datetime) -> str | None:
    """Why a submission time cannot be accepted (check_time's verdict), or None."""
    try:
        check_time(settings, moment, now)
    except SubmissionInvalid as invalid:
        if ISO_DATE.fullmatch(text.strip()) and moment.date() == now.astimezone(settings.zone).date():
            return (
                f"{text.strip()} stands for 12:00 local time, which is still to come; give the time "
                f"(e.g. {text.strip()}T09:00+07:00) or import after noon"
            )
        return invalid.errors[0].message.replace(" (device clock wrong?)", "")
    return None


def line_id_hash(digest: str) -> Any:
    """SHA-1 of the common prefix of ``uuid5(IMPORT_NAMESPACE, f"{digest}:{line}")``: add the line and take 16
    bytes (and the version bits) for a line's submission id, without hashing the prefix again for every line."""
    return hashlib.sha1(IMPORT_NAMESPACE.bytes + f"{digest}:".encode(), usedforsecurity=False)


@dataclass
class Line:
    line: int
    problems: list[str] = field(default_factory=list)
    prepared: Prepared | None = None


class LinePreparer:
    """Turns a data line's fields into a prepared submission, or the problems that keep it out."""

    def __init__(
        self,
        settings: Settings,
        form: RegisteredForm,
        layout: Layout,
        *,
        now: datetime,
        digest: str,
        fixed_date: datetime | None,
        agencies: dict[str, int],
        counters: dict[tuple[int, str], int],
    ) -> None:
        self.settings = settings
        self.form = form
        self.layout = layout
        self.now = now
        self.fixed_date = fixed_date
        self.agencies = agencies
        self.counters = counters
        self.digest = digest
        self._date_column = layout.names[layout.date] if layout.date is not None else "--date"
        self._date = remembering(self._when)  # a survey file has few distinct dates
        self._line_ids = line_id_hash(digest)

    def prepare(self, line: int, fields: list[str]) -> Line:
        result = Line(line)
        layout = self.layout
        problems = result.problems
        if len(fields) != len(layout.names):
            problems.append(f"has {len(fields)} field(s); the header has {len(layout.names)} columns")
            return result
        names = layout.names

        agency_code = fields[layout.agency].strip()
        agency_id = self.agencies.get(agency_code)
        if not agency_code:
            problems.append(f'column "{names[layout.agency]}": an agency code is required')
        elif agency_id is None:
            problems.append(f'column "{names[layout.agency]}": unknown agency {quote(agency_code)}')
        counter_code: str | None = None
        counter_id: int | None = None
        if layout.counter is not None:
            counter_code = fields[layout.counter].strip() or None
            if counter_code is not None and agency_id is not None:
                counter_id = self.counters.get((agency_id, counter_code))
                if counter_id is None:
                    problems.append(
                        f'column "{names[layout.counter]}": agency {quote(agency_code)} has no counter '
                        f"{quote(counter_code)}"
                    )

        submitted_at = self.fixed_date
        if layout.date is not None:
            submitted_at, problem = self._date(fields[layout.date].strip())
            if problem:
                problems.append(problem)

        if layout.id is not None:
            text = fields[layout.id].strip()
            if not text:
                problems.append(f'column "{names[layout.id]}": an id is required')
                submission_id = self._line_id(line)
            elif self.is_uuid(text):
                submission_id = uuid.UUID(text)
            else:
                submission_id = uuid.uuid5(IMPORT_NAMESPACE, f"{self.form.definition.id}:{text}")
        else:
            submission_id = self._line_id(line)

        line_weight = self._cell(fields, layout.weight, weight, problems)
        stratum = self._cell(fields, layout.strata, lambda cell, column: label(cell, column, "a stratum"), problems)
        cluster = self._cell(fields, layout.psu, lambda cell, column: label(cell, column, "a cluster (PSU)"), problems)

        answers: dict[str, Any] = {}
        for index, item in layout.answers:
            value = answer(item, fields[index])
            if value is not None:
                answers[item.code] = value
        profile: dict[str, str] = {}
        for index, name in layout.profile:
            value = fields[index].strip()
            limit = PROFILE_LIMITS[name]
            if value and len(value) > limit:
                problems.append(f'column "{name}": is {len(value)} characters long; at most {limit} are allowed')
            elif value:
                profile[name] = value

        definition = self.form.definition
        submission = Submission(
            submission_id=submission_id,
            form_id=definition.id,
            form_version=definition.version,
            submitted_at=submitted_at or self.now,
            answers=answers,
            profile=profile,
            counter=counter_code,
        )
        origin = Origin(
            channel=Channel.import_,
            agency_id=agency_id or 0,
            counter_id=counter_id,
            weight=line_weight,
            stratum=stratum,
            cluster=cluster,
        )
        try:
            prepared = prepare(self.settings, self.form, submission, origin, now=self.now)
        except SubmissionInvalid as invalid:  # the time was checked above, so these are the answers' problems
            problems.extend(self._describe(error, fields) for error in invalid.errors)
        else:
            if not problems:
                result.prepared = prepared
        return result

    def _cell(
        self,
        fields: list[str],
        index: int | None,
        parse: Callable[[str, str], tuple[_T | None, str | None]],
        problems: list[str],
    ) -> _T | None:
        """The value of an optional column's cell (None without the column); its problem goes to ``problems``."""
        if index is None:
            return None
        value, problem = parse(fields[index], self.layout.names[index])
        if problem:
            problems.append(problem)
        return value

    def submission_time(self, text: str) -> tuple[datetime | None, str | None]:
        """A date cell's submission time (stripped text), or the problem with it; remembered."""
        return self._date(text)  # type: ignore[no-any-return]

    @staticmethod
    def is_uuid(text: str) -> bool:
        """An id cell written as a UUID (kept as it is); any other text becomes a UUID5."""
        return _CANONICAL_UUID.fullmatch(text) is not None

    def _when(self, text: str) -> tuple[datetime | None, str | None]:
        """A date cell's submission time, or the problem with it."""
        column = self._date_column
        if not text:
            return None, f'column "{column}": a date is required'
        try:
            moment = parse_when(text, self.settings)
        except ValueError:
            return None, (
                f'column "{column}": {quote(text)} is not an ISO date (2026-03-14) or date-time with offset '
                "(2026-03-14T09:30:00+07:00)"
            )
        problem = time_problem(self.settings, moment, text, self.now)
        if problem:
            return None, f'column "{column}": {problem} (got {quote(text)})'
        return moment, None

    def _line_id(self, line: int) -> uuid.UUID:
        digest = self._line_ids.copy()
        digest.update(str(line).encode())
        return uuid.UUID(bytes=digest.digest()[:16], version=5)

    def _column_name(self, pointer: str) -> str:
        if pointer.startswith("/answers/"):
            return pointer.removeprefix("/answers/")
        if pointer.startswith("/profile/"):
            return pointer.removeprefix("/profile/")
        if pointer == "/submitted_at":
            return self._date_column
        return pointer

    def _describe(self, error: FieldError, fields: list[str]) -> str:
        column = self._column_name(error.pointer)
        message = error.message
        if error.kind == "invalid" and column in self.layout.names:
            cell = fields[self.layout.names.index(column)].strip()
            if cell:
                message += f" (got {quote(cell)})"
        return f'column "{column}": {message}'
