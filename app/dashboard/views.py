"""What each dashboard page shows, gathered from ``app.reports.satisfaction`` (all arithmetic stays there and in
``app/stats``) and the directory, always through the official's :class:`~app.officials.scope.Scope`.

Each page asks the report layer as few times as it can: the overview once (``group_by=agency`` gives every
agency and, in ``total``, the headline), an agency three times (agency × counter with the headline in ``total``;
elements and items; the monthly trend), each on that agency's subtree only."""

from __future__ import annotations

import time
import unicodedata
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from threading import Lock
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.dashboard.i18n import t
from app.directory.models import Agency, Counter
from app.forms.loader import RegisteredForm
from app.forms.schemas import FormDefinition
from app.officials.scope import Scope
from app.public.i18n import Lang, text
from app.reports.query import Meta
from app.reports.satisfaction import Result, Row, satisfaction
from app.reports.trends import Trend, trends
from app.responses.models import Channel, Response
from app.responses.selection import Filters
from app.stats.estimates import Estimate

Forms = dict[tuple[str, int], RegisteredForm]
SORTS = ("estimate", "low", "name", "ascending")


# --- the filters of every figure page ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Chosen:
    """The period, channel and form an official picked (``None``: all), with what could not be read."""

    date_from: date | None
    date_to: date | None
    channel: Channel | None = None
    form: str | None = None
    errors: tuple[tuple[str, str], ...] = ()  # (message key, offending value)

    def filters(self, agency: str | None = None) -> Filters:
        return Filters(
            agency=agency, date_from=self.date_from, date_to=self.date_to, form=self.form, channel=self.channel
        )

    def query(self) -> dict[str, str]:
        """The filters as the API's query parameters (``from``, ``to``, ``channel``, ``form``)."""
        out = {
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
        }
        if self.channel is not None:
            out["channel"] = self.channel.value
        if self.form:
            out["form"] = self.form
        return out


def last_full_months(today: date, months: int = 12) -> tuple[date, date]:
    """The first and last day of the ``months`` full calendar months before ``today``'s month."""
    end = today.replace(day=1) - timedelta(days=1)
    index = end.year * 12 + end.month - 1 - (months - 1)
    return date(index // 12, index % 12 + 1, 1), end


def read_filters(params: dict[str, str], forms: Forms, today: date) -> Chosen:
    """The filters from a page's query string. Without ``from`` and ``to`` the last 12 full months; given empty,
    no bound (all data). What cannot be read is reported and left out, never guessed."""
    errors: list[tuple[str, str]] = []
    default_from, default_to = last_full_months(today)

    def day(name: str, default: date) -> date | None:
        if name not in params:
            return default
        raw = params[name].strip()
        if not raw:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            errors.append(("bad_date", raw))
            return default

    date_from, date_to = day("from", default_from), day("to", default_to)
    channel = None
    raw_channel = params.get("channel", "").strip()
    if raw_channel:
        try:
            channel = Channel(raw_channel)
        except ValueError:
            errors.append(("bad_filters", f"channel {raw_channel}"))
    form = params.get("form", "").strip() or None
    if form is not None and form not in {key[0] for key in forms}:
        errors.append(("bad_form", form))
        form = None
    return Chosen(date_from, date_to, channel, form, tuple(errors))


def export_url(path: str, chosen: Chosen, fmt: str, *, lang: Lang | None = None, **extra: str) -> str:
    """A download from the JSON API (which accepts the session cookie) with the page's filters, and its language
    (an XLSX's headers, title and words; a CSV keeps the machine columns)."""
    query = {key: value for key, value in {**extra, **chosen.query()}.items() if value}
    return f"/api/v1/{path}?{urlencode({**query, 'format': fmt, **({'lang': lang} if lang else {})})}"


# --- a short-lived cache of figures ----------------------------------------------------------------------------


class FigureCache:
    """Results of the report layer for a few seconds, keyed by everything they depend on that can change while
    an official clicks around: the scope, the question and the newest response id. Sorting a table or switching
    the language then costs nothing; a new response, or the time-to-live passing, recomputes."""

    def __init__(self, ttl_seconds: float = 60, size: int = 64) -> None:
        self.ttl_seconds = ttl_seconds
        self.size = size
        self._items: OrderedDict[tuple[Any, ...], tuple[float, Any]] = OrderedDict()
        self._lock = Lock()

    def get(self, key: tuple[Any, ...]) -> Any | None:
        with self._lock:
            found = self._items.get(key)
            if found is None or time.monotonic() - found[0] > self.ttl_seconds:
                return None
            self._items.move_to_end(key)
            return found[1]

    def put(self, key: tuple[Any, ...], value: Any) -> None:
        with self._lock:
            self._items[key] = (time.monotonic(), value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


@dataclass
class Figures:
    """The report layer for one request, through the cache."""

    session: Session
    scope: Scope
    forms: Forms
    cache: FigureCache | None = None
    _version: int | None = field(default=None, init=False)

    def _key(self, *parts: Any) -> tuple[Any, ...]:
        if self._version is None:
            self._version = self.session.scalar(select(func.max(Response.id))) or 0
        return (self.scope, self._version, *parts)

    def _cached(self, key: tuple[Any, ...], compute: Any) -> Any:
        if self.cache is None:
            return compute()
        found = self.cache.get(key)
        if found is None:
            found = compute()
            self.cache.put(key, found)
        return found

    def satisfaction(self, filters: Filters, group_by: Sequence[str]) -> Result:
        key = self._key("satisfaction", filters, tuple(group_by))
        result: Result = self._cached(
            key, lambda: satisfaction(self.session, self.scope, self.forms, filters, group_by)
        )
        return result

    def trend(self, filters: Filters) -> Trend:
        key = self._key("trend", filters)
        found: Trend = self._cached(key, lambda: trends(self.session, self.scope, self.forms, filters))
        return found


# --- names in the reader's language ----------------------------------------------------------------------------


def agency_name(agency: Agency, lang: Lang) -> str:
    return (agency.name_en or agency.name_vi) if lang == "en" else agency.name_vi


def metric_names(definition: FormDefinition, lang: Lang) -> dict[str, str]:
    """Indicator ("sipas", a component code, "element:CODE", "item:CODE") → its name in the form."""
    names = {f"item:{item.code}": text(item.text, lang) for item in definition.items}
    names.update({f"element:{element.code}": text(element.name, lang) for element in definition.elements})
    names.update({component.code: text(component.name, lang) for component in definition.components})
    if definition.indices is not None:
        names["sipas"] = text(definition.indices.overall_name, lang)
    return names


def definition_of(forms: Forms, meta: Meta) -> FormDefinition:
    form_id, _, version = meta.form.partition("@")
    return forms[(form_id, int(version))].definition


def sort_key(name: str) -> str:
    """Vietnamese alphabetical order, near enough: letters without their tone marks first (đ after d)."""
    plain = unicodedata.normalize("NFD", name.casefold().replace("đ", "d~"))
    return "".join(char for char in plain if not unicodedata.combining(char))


# --- rows of a table and bars of a chart -------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One row of a figure table (and one bar of its chart)."""

    key: str
    label: str
    estimate: Estimate | None  # None: no responses
    href: str | None = None
    code: str = ""
    note: str = ""  # e.g. "component"
    weakest: bool = False


def sort_lines(lines: Sequence[Line], order: str) -> list[Line]:
    """``estimate`` and ``low`` high to low, ``ascending`` low to high, ``name`` A → Z; rows without data last."""
    with_data = [line for line in lines if line.estimate is not None]
    without = sorted((line for line in lines if line.estimate is None), key=lambda line: sort_key(line.label))
    if order == "name":
        with_data.sort(key=lambda line: sort_key(line.label))
    elif order == "low":
        with_data.sort(key=lambda line: (-line.estimate.low if line.estimate else 0, sort_key(line.label)))
    elif order == "ascending":
        with_data.sort(key=lambda line: (line.estimate.estimate if line.estimate else 0, sort_key(line.label)))
    else:
        with_data.sort(key=lambda line: (-line.estimate.estimate if line.estimate else 0, sort_key(line.label)))
    return with_data + without


def weakest(lines: Sequence[Line]) -> Line | None:
    """The lowest estimate, preferring reliable ones (an unreliable low is noise, not a finding)."""
    found = [line for line in lines if line.estimate is not None]
    reliable = [line for line in found if line.estimate is not None and not line.estimate.unreliable]
    pool = reliable or found
    return min(pool, key=lambda line: line.estimate.estimate if line.estimate else 1.0) if pool else None


def mark_weakest(lines: Sequence[Line]) -> list[Line]:
    low = weakest(lines)
    return [replace(line, weakest=True) if low is not None and line.key == low.key else line for line in lines]


def headline_of(rows: Sequence[Row]) -> Estimate | None:
    """The overall index of the whole selection (the report judges it against the chosen agency's target)."""
    return next((row.estimate for row in rows if row.indicator == "sipas"), None)


def unit_mean_of(result: Result) -> Estimate | None:
    """The published convention beside the headline: the plain mean of the agencies' overall indices, when the
    report gives one (grouped by agency, no channel filter) over at least two agencies (one agency's mean is its
    own figure)."""
    found = headline_of(result.unit_mean)
    return found if found is not None and found.members > 1 else None


def uncounted_names(session: Session, meta: Meta | None, lang: Lang) -> list[str]:
    """The agencies whose responses in some months had no population count and took the overall ΣN/Σn weight, by
    name in the reader's language (their code when the directory no longer has them); none when unweighted. They
    are agencies of the selection, so inside the official's scope."""
    if meta is None or not meta.weighted or not meta.agencies_without_population_count:
        return []
    codes = meta.agencies_without_population_count
    found = session.scalars(select(Agency).where(Agency.code.in_(codes)))
    names = {agency.code: agency_name(agency, lang) for agency in found}
    return [names.get(code, code) for code in codes]


# --- pages -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Overview:
    meta: Meta | None
    headline: Estimate | None
    agencies: list[Line]
    target: float | None
    error: str | None = None
    unit_mean: Estimate | None = None  # the plain mean of the agencies' indices (published convention)
    uncounted: list[str] = field(default_factory=list)  # agencies weighted by the overall ΣN/Σn in some months
    # Agencies with agencies below them in scope and no responses of their own: left out of the table (a row of
    # zero under a headline that pools their subtree would contradict it), named under it with a link instead.
    parents_without_own: list[Line] = field(default_factory=list)


def _paths_with_agencies_below(visible: Sequence[Agency]) -> set[str]:
    """The paths ("/1/7/") of the visible agencies' proper ancestors: an agency is in it when a visible agency is
    below it. One pass over the paths (comparing every pair was 11 million comparisons for a national scope)."""
    above: set[str] = set()
    for agency in visible:
        cut = agency.path.rfind("/", 0, len(agency.path) - 1)  # the parent's path ends at the second-last "/"
        while cut > 0:
            above.add(agency.path[: cut + 1])
            cut = agency.path.rfind("/", 0, cut)
    return above


def overview(figures: Figures, root: Agency | None, chosen: Chosen, lang: Lang, order: str, today: date) -> Overview:
    """Every visible agency with its own responses' index, and the scope's headline. The figures are each agency's
    own responses (``group_by=agency``) while the headline pools the whole scope, so an agency with agencies below
    it is labelled as its own responses only, and left out when it has none."""
    session, scope = figures.session, figures.scope
    visible = session.scalars(select(Agency).where(scope.agencies()).order_by(Agency.path)).all()
    result = figures.satisfaction(chosen.filters(), ("agency",))
    by_code = {row.keys.get("agency"): row.estimate for row in result.rows if row.indicator == "sipas"}
    lines: list[Line] = []
    parents_without_own: list[Line] = []
    with_agencies_below = _paths_with_agencies_below(visible)
    for agency in visible:
        name, href = agency_name(agency, lang), f"/dashboard/agencies/{agency.code}"
        own = by_code.get(agency.code)
        if agency.path not in with_agencies_below:
            lines.append(Line(agency.code, name, own, href=href, code=agency.code))
        elif own is None:
            parents_without_own.append(Line(agency.code, name, None, href=href, code=agency.code))
        else:
            label = t("own_responses_label", lang, name=name)
            lines.append(Line(agency.code, label, own, href=href, code=agency.code, note="own"))
    headline = headline_of(result.total)
    targets = [line.estimate.target for line in lines if line.estimate and line.estimate.target is not None]
    target = headline.target if headline and headline.target is not None else (targets[0] if targets else None)
    agencies, uncounted = sort_lines(lines, order), uncounted_names(session, result.meta, lang)
    return Overview(
        result.meta,
        headline,
        agencies,
        target,
        unit_mean=unit_mean_of(result),
        uncounted=uncounted,
        parents_without_own=parents_without_own,
    )


@dataclass(frozen=True)
class AgencyPage:
    agency: Agency
    below: int  # agencies under it, included in its figures
    meta: Meta | None
    headline: Estimate | None
    elements: list[Line]
    items: list[Line]
    counters: list[Line]
    trend: Trend | None
    target: float | None
    uncounted: list[str] = field(default_factory=list)  # agencies weighted by the overall ΣN/Σn in some months


def agency_page(figures: Figures, agency: Agency, chosen: Chosen, lang: Lang, order: str, today: date) -> AgencyPage:
    """One agency (with its subtree): headline, elements, items, counters, monthly trend."""
    session = figures.session
    below = (
        session.scalar(
            select(func.count())
            .select_from(Agency)
            .where(Agency.path.startswith(agency.path, autoescape=True), Agency.id != agency.id)
        )
        or 0
    )
    filters = chosen.filters(agency.code)
    by_counter = figures.satisfaction(filters, ("agency", "counter"))
    metrics = figures.satisfaction(filters, ("element", "item"))
    trend = figures.trend(filters)
    names = metric_names(definition_of(figures.forms, metrics.meta), lang)
    headline = headline_of(by_counter.total)
    elements = [
        Line(
            row.indicator,
            names.get(row.indicator, row.name),
            row.estimate,
            note="" if row.estimate.kind == "element" else "component",
        )
        for row in metrics.rows
        if row.estimate.kind in ("element", "component")
    ]
    elements = mark_weakest([line for line in elements if not line.note]) + [line for line in elements if line.note]
    items = mark_weakest(
        [
            Line(row.indicator, names.get(row.indicator, row.name), row.estimate)
            for row in metrics.rows
            if row.estimate.kind == "item"
        ]
    )
    counters = sort_lines(_counter_lines(session, agency, by_counter.rows, lang, several=below > 0), order)
    target = headline.target if headline else None
    uncounted = uncounted_names(session, metrics.meta, lang)
    return AgencyPage(agency, below, metrics.meta, headline, elements, items, counters, trend, target, uncounted)


def _counter_lines(session: Session, agency: Agency, rows: Sequence[Row], lang: Lang, *, several: bool) -> list[Line]:
    """Counter rows labelled in the reader's language (with their agency when the subtree has several)."""
    found = [
        (owner, counter)
        for owner, counter in session.execute(
            select(Agency, Counter)
            .outerjoin(Counter, Counter.agency_id == Agency.id)
            .where(Agency.path.startswith(agency.path, autoescape=True))
        )
    ]
    owners = {owner.code: owner for owner, _counter in found}
    counters = {(owner.code, counter.code): counter for owner, counter in found if counter is not None}
    lines = []
    for row in rows:
        if row.indicator != "sipas":
            continue
        owner_code, counter_code = row.keys.get("agency") or "", row.keys.get("counter")
        owner = owners.get(owner_code, agency)
        counter = counters.get((owner_code, counter_code or ""))
        name = "–"  # answers not given at a counter (imports, interviews)
        if counter is not None:
            name = (counter.name_en or counter.name_vi) if lang == "en" else counter.name_vi
        label = f"{agency_name(owner, lang)} – {name}" if several or counter is None else name
        lines.append(Line(f"{owner_code}/{counter_code or '-'}", label, row.estimate, code=counter_code or "–"))
    return lines
