"""Which responses an official asks about: the filters (``Filters``) and the two choices every read of responses
starts from — the agencies (always inside the official's visible set) and the form. Figures (:mod:`app.reports`),
the raw export and the review queue all select through here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from app.directory.models import Agency
from app.errors import Invalid, NotFound
from app.forms.loader import RegisteredForm
from app.officials.scope import Scope, visible_agency
from app.partitions import month_number
from app.responses.models import Answer, Channel, Response
from app.stats.intervals import DEFAULT_METHOD, METHODS, Method

Source = Literal["live", "import"]
SOURCES: tuple[Source, ...] = ("live", "import")


@dataclass(frozen=True)
class Filters:
    """What an official asks about; everything optional."""

    agency: str | None = None  # a code; its subtree unless ``subtree`` is false; default: the official's scope
    subtree: bool = True
    date_from: date | None = None
    date_to: date | None = None
    form: str | None = None  # "id" (all versions) or "id@version"; default: the form most answered in the selection
    channel: Channel | None = None
    procedure_field: str | None = None
    method: Method = DEFAULT_METHOD
    level: float = 0.95
    weighted: bool | None = None  # None: weighted when population counts exist
    source: Source | None = None  # None: the one the selection holds (refused when it holds both)
    # Only responses received at or before this instant (a publication's data cut-off, when it is verified).
    received_until: datetime | None = None

    def check(self) -> None:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise Invalid(f"from: {self.date_from} is after to: {self.date_to}")
        if self.method not in METHODS:
            raise Invalid(f"method: {self.method!r} is not one of {', '.join(METHODS)}")
        if not 0.5 <= self.level < 1:
            raise Invalid(f"level: {self.level} must be at least 0.5 and below 1 (e.g. 0.95)")
        if self.source is not None and self.source not in SOURCES:
            raise Invalid(f"source: {self.source!r} is not one of {', '.join(SOURCES)}")


def period(start: date | None, end: date | None) -> list[ColumnElement[bool]]:
    """The responses of the days ``start``–``end`` (either open), also bounded by the months those days lie in: the
    same rows, and on PostgreSQL the planner then reads only those months' partitions (app/partitions.py)."""
    days = [Response.local_date >= start] if start else []
    days += [Response.local_date <= end] if end else []
    return [*days, *_months_within(Response.local_month, start, end)]


def _months_within(column: Any, start: date | None, end: date | None) -> list[ColumnElement[bool]]:
    """``column`` (a YYYYMM month) within the months of the days ``start``–``end`` (either open)."""
    bounds = [column >= month_number(start)] if start else []
    return bounds + ([column <= month_number(end)] if end else [])


def answers_in_period(period: tuple[date | None, date | None] | None) -> list[ColumnElement[bool]]:
    """How a figure joins a response's answers, given the selection's period: by the response's id and month, and
    within the period's months. The same rows; on PostgreSQL the planner then reads only those months' partitions of
    ``answers`` (it does not carry the responses' month bounds across the join by itself: a province's month from
    the raw tables took 66–91 ms without, 22–27 ms with, at 200,000 responses)."""
    start, end = period or (None, None)
    joined = [Answer.response_id == Response.id, Answer.local_month == Response.local_month]
    return [*joined, *_months_within(Answer.local_month, start, end)]


def agency_selection(session: Session, scope: Scope, filters: Filters) -> tuple[Agency | None, ColumnElement[bool]]:
    """The root agency asked about (None: the whole scope) and the condition on Response.agency_id — always
    inside the official's visible set, computed by ``scope`` — and on received_at when ``received_until`` is set."""
    visible: ColumnElement[bool] = Response.agency_id.in_(scope.agency_ids())
    if filters.received_until is not None:
        visible = and_(visible, Response.received_at <= filters.received_until)
    if filters.agency is None:
        root = session.get(Agency, scope.root_id) if scope.root_id else None
        return root, visible
    root = visible_agency(session, scope, filters.agency)
    if not filters.subtree:
        return root, and_(visible, Response.agency_id == root.id)
    below = select(Agency.id).where(Agency.path.startswith(root.path, autoescape=True))
    return root, and_(visible, Response.agency_id.in_(below))


def choose_form(
    session: Session, forms: dict[tuple[str, int], RegisteredForm], filters: Filters, base: list[ColumnElement[bool]]
) -> tuple[RegisteredForm, list[int]]:
    """The form asked for, else the one with the most responses matching ``base``; and its versions' ids."""
    counts: dict[int, int] = {}
    if not filters.form:
        statement = select(Response.form_version_id, func.count()).where(*base).group_by(Response.form_version_id)
        counts = {version_id: count for version_id, count in session.execute(statement).all()}
    return form_of(forms, filters, counts)


def form_of(
    forms: dict[tuple[str, int], RegisteredForm], filters: Filters, counts: dict[int, int]
) -> tuple[RegisteredForm, list[int]]:
    """The form asked for (``filters.form``: "id" or "id@version"), else the registered form with the most responses
    (``counts``: per form version id), else the first registered; and the ids of the chosen versions."""
    if filters.form:
        text = filters.form.strip()
        form_id, _, version = text.partition("@")
        chosen = [(key, found) for key, found in forms.items() if key[0] == form_id]
        if version:
            if not version.isdigit():
                raise Invalid(f"form: {text!r} is not ID or ID@VERSION")
            chosen = [(key, found) for key, found in chosen if key[1] == int(version)]
        if not chosen:
            raise NotFound(f"form: no form {text!r}")
    else:
        version_ids = {found.form_version_id: key[0] for key, found in forms.items()}
        per_form: dict[str, int] = {}
        for version_id, count in counts.items():
            owner = version_ids.get(version_id)
            if owner is not None:
                per_form[owner] = per_form.get(owner, 0) + count
        form_id = max(sorted(per_form), key=lambda key: per_form[key]) if per_form else min(key[0] for key in forms)
        chosen = [(key, found) for key, found in forms.items() if key[0] == form_id]
    chosen.sort(key=lambda pair: pair[0][1])
    return chosen[-1][1], [found.form_version_id for _key, found in chosen]
