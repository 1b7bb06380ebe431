"""The checks of what a client writes: the fields of a target (indicator, period, threshold) and the plausibility
of a population count.

A population count is the N of the weights N/n, so one count can move a province's figure: every count written
(create, PUT, PATCH, CSV row) passes :func:`check_count` — a ceiling, no fewer dossiers than responses, and no
outlier against the agency's own history unless confirmed — and every change carries a reason
(:func:`reason_problem`). Problems are ``(field, message)``; the JSON API answers them with one 422
(:func:`app.reference.fields.invalid`), the CSV uploads with their line and column.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from statistics import median

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.errors import DB_INT_MAX
from app.forms.indices import measures
from app.forms.schemas import FormDefinition
from app.reference.fields import PopulationFields, Problem, TargetFields, describe_series, invalid
from app.responses.models import Channel, Response

OVERALL_INDICATOR = "sipas"
# Plausibility of population counts (check_count): an absolute ceiling per agency and calendar month, far above any
# one-stop shop (a province's busiest centre handles tens of thousands a month); the factor by which a count may
# differ from the agency's usual dossiers per day (its other counts' median) without confirm_outlier; the length of
# the reason each change needs. A CSV cell of more than MAX_COUNT_DIGITS digits is refused before it is read.
MAX_DOSSIERS_PER_MONTH = 10_000_000
OUTLIER_FACTOR = 10
MAX_REASON_CHARS = 500
MAX_COUNT_DIGITS = 18


# --- indicators and the fields of a target ----------------------------------------------------------------


def known_indicators(definitions: Iterable[FormDefinition]) -> frozenset[str]:
    """Every indicator the forms can report: ``sipas`` (the overall index), component codes (``service``),
    ``element:<code>`` and ``item:<code>`` (scale items with satisfied levels)."""
    known = {OVERALL_INDICATOR}
    for definition in definitions:
        measured = measures(definition)
        known.update(f"item:{code}" for code in measured.items)
        for spec in measured.indices:
            if spec.kind == "element":
                known.add(f"element:{spec.code}")
            elif spec.kind == "component":
                known.add(spec.code)
    return frozenset(known)


def indicator_problem(indicator: str, known: Collection[str]) -> str | None:
    """Why ``indicator`` is none of ``known`` (with the closest one as a hint), or None."""
    if indicator in known:
        return None
    close = difflib.get_close_matches(indicator, sorted(known), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return (
        f"{indicator!r} is not an indicator of the registered forms (use 'sipas', a component code such as "
        f"'service', 'element:<code>' or 'item:<code>'){hint}"
    )


def _shown(value: float) -> str:
    """A number as the client sent it (86.125 stays 86.125, 120.0 is 120)."""
    text = repr(float(value))
    return text.removesuffix(".0")


def threshold_problem(value: float, shown: str) -> str | None:
    """Why a threshold (``shown`` as the client wrote it) is no percentage with at most 2 decimals, or None."""
    if not math.isfinite(value) or not 0 <= value <= 100:
        return f"{shown!r} must be between 0 and 100"
    if round(value, 2) != value:
        return f"{shown!r} has more than 2 decimals"
    return None


def order_problem(start: date, end: date) -> str | None:
    """Why a period ends before it starts, or None (the problem of the field ``period_end``)."""
    return None if end >= start else f"{end} is before period_start {start}"


def target_problems(fields: TargetFields, indicators: Collection[str]) -> list[Problem]:
    """The problems of a target's own fields (its agency is looked up apart)."""
    problems: list[Problem] = []
    if (problem := indicator_problem(fields.indicator, indicators)) is not None:
        problems.append(("indicator", problem))
    if (problem := order_problem(fields.period_start, fields.period_end)) is not None:
        problems.append(("period_end", problem))
    if (problem := threshold_problem(fields.threshold_pct, _shown(fields.threshold_pct))) is not None:
        problems.append(("threshold_pct", problem))
    return problems


# --- population counts: plausibility ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Counted:
    """One count of a series as the plausibility checks see it: its period and its dossiers."""

    period_start: date
    period_end: date
    dossiers_handled: int


@dataclass(frozen=True)
class SeriesContext:
    """Where a count goes (agency and procedure field ids) and the series' other counts, its history."""

    agency_id: int
    field_id: int | None
    history: Sequence[Counted]


@dataclass(frozen=True)
class CountCheck:
    """What :func:`check_count` found: the problems that refuse the count (field, message), and the outlier
    message that ``confirm_outlier`` let through (kept in the audit log)."""

    problems: list[Problem]
    confirmed_outlier: str | None = None


def _days(start: date, end: date) -> int:
    return (end - start).days + 1


def _months(start: date, end: date) -> int:
    """The calendar months a period touches (a part of a month counts as a whole one)."""
    return (end.year - start.year) * 12 + end.month - start.month + 1


def count_ceiling(start: date, end: date) -> int:
    """The most dossiers a count of this period may have: :data:`MAX_DOSSIERS_PER_MONTH` for each calendar month
    the period touches, and never more than the integer column holds."""
    return min(DB_INT_MAX, MAX_DOSSIERS_PER_MONTH * _months(start, end))


def _ceiling_problem(shown: str, start: date, end: date) -> str:
    months = _months(start, end)
    return (
        f"'{shown}' is above the ceiling of {count_ceiling(start, end)} dossiers for a period of {months} month(s) "
        f"({MAX_DOSSIERS_PER_MONTH} a month and agency)"
    )


def reason_problem(reason: str) -> str | None:
    """The reason every change of a population count needs: not blank, at most :data:`MAX_REASON_CHARS`."""
    text = reason.strip()
    if not text:
        return "a reason is required: where the count comes from, or why it changes"
    if "\x00" in text:
        return "must not contain NUL characters"
    if len(text) > MAX_REASON_CHARS:
        return f"at most {MAX_REASON_CHARS} characters ({len(text)} given)"
    return None


def _responses_received(session: Session, *, agency_id: int, field_id: int | None, start: date, end: date) -> int:
    """The responses the weights count in a period: live channels, not test, not flagged as suspected spam."""
    query = (
        select(func.count())
        .select_from(Response)
        .where(
            Response.agency_id == agency_id,
            Response.local_date >= start,
            Response.local_date <= end,
            Response.channel != Channel.import_,
            Response.is_test.is_(False),
            Response.is_suspected_spam.is_(False),
        )
    )
    if field_id is not None:
        query = query.where(Response.procedure_field_id == field_id)
    return session.scalar(query) or 0


def _about(value: float) -> str:
    return f"{value:.0f}" if value >= 10 else f"{value:.2g}"


def _outlier(fields: PopulationFields, history: Sequence[Counted]) -> str | None:
    """Why a count is far from its series' history (more than :data:`OUTLIER_FACTOR` times the usual count for a
    period this long, or less than its tenth), or None; no history, no check."""
    if not history:
        return None
    per_day = median(count.dossiers_handled / _days(count.period_start, count.period_end) for count in history)
    days = _days(fields.period_start, fields.period_end)
    usual = per_day * days
    shown = fields.dossiers_handled
    of = (
        f"the usual count of {describe_series(fields.agency, fields.procedure_field)} for {days} day(s) (about "
        f"{_about(usual)}: the median per day of its {len(history)} other count(s))"
    )
    if shown > OUTLIER_FACTOR * max(usual, 1.0):
        return f"'{shown}' is more than {OUTLIER_FACTOR} times {of}"
    if shown * OUTLIER_FACTOR < usual:
        return f"'{shown}' is less than 1/{OUTLIER_FACTOR} of {of}"
    return None


def check_count(
    session: Session, fields: PopulationFields, series: SeriesContext | None, *, confirm_outlier: bool = False
) -> CountCheck:
    """The one plausibility check of a population count, for the JSON API (create, PUT, PATCH) and the CSV upload.

    Always (``series`` None: only these, no query): the period ends on or after its start; ``dossiers_handled``
    is ≥ 0 and at most :func:`count_ceiling`. With the ``series`` (where the count goes and its other counts):

    - refused when below the responses the agency received in the period (of that procedure field, if any;
      counted as the weights count them): each response stands for at least one dossier, a weight N/n below 1
      would be no count at all;
    - refused unless ``confirm_outlier`` when more than :data:`OUTLIER_FACTOR` times, or less than a tenth of,
      the usual count for a period this long: the median dossiers per day of the series' other counts × its days.
      A series without other counts has no history to compare with (the ceiling still holds).

    Problems are ``(field, message)``, the message showing the value as ``'n'``."""
    problems: list[Problem] = []
    start, end, dossiers = fields.period_start, fields.period_end, fields.dossiers_handled
    if (problem := order_problem(start, end)) is not None:
        problems.append(("period_end", problem))
    if dossiers < 0:
        problems.append(("dossiers_handled", f"'{dossiers}' must be a whole number ≥ 0"))
    elif problem is None and dossiers > count_ceiling(start, end):
        problems.append(("dossiers_handled", _ceiling_problem(str(dossiers), start, end)))
    if problems or series is None:
        return CountCheck(problems)
    received = _responses_received(session, agency_id=series.agency_id, field_id=series.field_id, start=start, end=end)
    if dossiers < received:
        series_name = describe_series(fields.agency, fields.procedure_field)
        message = (
            f"'{dossiers}' is fewer than the {received} responses {series_name} received from {start} to {end}: "
            "each response stands for at least one dossier handled"
        )
        return CountCheck([("dossiers_handled", message)])
    outlier = _outlier(fields, series.history)
    if outlier is None:
        return CountCheck([])
    if confirm_outlier:
        return CountCheck([], confirmed_outlier=outlier)
    return CountCheck([("dossiers_handled", f"{outlier}; if it is right, confirm it with confirm_outlier true")])


def reason_or_invalid(reason: str) -> str:
    """The reason of a change, stripped; a 422 when :func:`reason_problem` finds one."""
    if (problem := reason_problem(reason)) is not None:
        raise invalid([("reason", problem)])
    return reason.strip()
