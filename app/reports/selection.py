"""Which responses a figure stands on, and their design: the selection every officials' figure starts from
(``figure_selection``), for live responses or imported survey files, never both.

The design of live data (documented in docs/statistics.md):

- **Selection**: responses of one form (all its versions; indices as its newest version defines them) in the
  period, in the official's visible agencies under the chosen agency, not flagged as suspected spam or test
  (those are counted separately and never enter a figure).
- **Strata**: agency × calendar month — the cells population counts are given for.
- **PSUs**: counter × week of the month (days 1–7, 8–14, 15–21, 22–28, 29–31). Answers given at one counter in
  one week share the staff, the queue and the week's conditions; treating them as a cluster keeps intervals
  honest (never narrower than the evidence) and bounds what the database returns by counter-weeks, not
  responses. A stratum with a single PSU is centred on the grand mean (R's
  ``survey.lonely.psu = "adjust"``): conservative, never dropped.
- **Weights** (``weighted``, default on when population counts exist for the selection): each response of an
  agency's counted period stands for N/n dossiers — N handled (population count), n responses received; responses
  of periods without a count take the overall ΣN/Σn, and how many did is reported.
- **Filters on channel or procedure field** are domains, not cuts of the design: the strata and PSUs of the whole
  selection stay in the variance, as R's ``svyby``/``subset`` do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Float, Integer, and_, case, cast, extract, func, literal, select
from sqlalchemy.orm import Session

from app.directory.models import Agency, ProcedureField
from app.errors import Invalid
from app.forms.indices import Measures, measures
from app.forms.loader import RegisteredForm
from app.forms.schemas import FormDefinition
from app.officials.scope import Scope
from app.reference.count_changes import recent_count_changes
from app.reference.models import PopulationCount
from app.reports.from_summary import LIVE_WEEK
from app.reports.query import IMPORTED_DESIGN, LIVE_DESIGN, Meta
from app.reports.sums import SumsQuery, stored_weight
from app.reports.tally import Tally, take_tally
from app.reports.weighting import cells, whole_month_weights
from app.responses.models import Channel, Response
from app.responses.selection import Filters, Source, agency_selection, form_of, period


@dataclass(frozen=True)
class FigureSelection:
    meta: Meta
    measures: Measures
    definition: FormDefinition
    root: Agency | None
    query: SumsQuery  # design filters, weight, strata, PSUs; no domains yet
    keep: ColumnElement[Any] | None  # the domain condition of channel/procedure-field filters
    tally: Tally  # what the selection's agencies hold (reused by a second selection of the same agencies and dates)
    names: dict[str, str] = field(default_factory=dict)  # metric code → name


def month_label(value: int) -> str:
    return f"{value // 100:04d}-{value % 100:02d}"


def quarter_label(value: int) -> str:
    return f"{value // 10:04d}-Q{value % 10}"


def quarter_of(month_column: Any) -> Any:
    """yyyymm → yyyy·10 + quarter, in portable integer arithmetic."""
    return (month_column // 100) * 10 + (month_column % 100 + 2) // 3


def _names(definition: FormDefinition) -> dict[str, str]:
    names = {item.code: item.text.vi for item in definition.items}
    names.update({element.code: element.name.vi for element in definition.elements})
    names.update({component.code: component.name.vi for component in definition.components})
    if definition.indices is not None:
        names["sipas"] = definition.indices.overall_name.vi
    return names


def figure_selection(
    session: Session,
    scope: Scope,
    forms: dict[tuple[str, int], RegisteredForm],
    filters: Filters,
    *,
    date_from: date | None = None,
    with_suspected: bool = False,
    tally: Tally | None = None,
) -> FigureSelection:
    """The selection and its design; ``date_from`` widens the period backwards (rankings' previous period);
    ``with_suspected`` counts the answers flagged as suspected spam too (the sensitivity of a figure to them);
    ``tally``: the counts of an earlier selection with the same agencies and dates (``FigureSelection.tally``)."""
    filters.check()
    root, agencies = agency_selection(session, scope, filters)
    base: list[ColumnElement[bool]] = [agencies]
    start = date_from or filters.date_from
    dates = period(start, filters.date_to)
    base += dates
    if tally is None:
        tally = take_tally(session, agencies, start, filters.date_to)
    registered, version_ids = form_of(forms, filters, tally.by_version())
    base.append(Response.form_version_id.in_(version_ids))
    of_form = tally.of(version_ids)
    unflagged: tuple[ColumnElement[bool], ...] = (Response.is_test.is_(False),)
    if not with_suspected:
        unflagged = (Response.is_suspected_spam.is_(False), *unflagged)
    counted = of_form.unflagged(with_suspected=with_suspected)
    source = choose_source(filters, counted.selected_count(imported=True), counted.selected_count(imported=False))
    of_source = Response.channel == Channel.import_ if source == "import" else Response.channel != Channel.import_
    base.append(of_source)
    clean = [*base, *unflagged]
    # n of a population cell counts its whole period, whatever the dates asked: a period cut by `from`/`to` keeps
    # the weight N/n of its month instead of spreading the month's N over the few days selected.
    whole_periods = [agencies, Response.form_version_id.in_(version_ids), of_source, *unflagged]
    in_source = tally.of(version_ids, imported=source == "import")
    counts = _Counts(tally, in_source.selected_count(spam=True), in_source.selected_count(spam=False, test=True))

    keep_parts: list[ColumnElement[bool]] = []
    if filters.channel is not None:
        keep_parts.append(Response.channel == filters.channel)
    if filters.procedure_field:
        field_id = session.scalar(select(ProcedureField.id).where(ProcedureField.code == filters.procedure_field))
        if field_id is None:
            raise Invalid(f"procedure_field: no procedure field {filters.procedure_field!r}")
        keep_parts.append(Response.procedure_field_id == field_id)
    keep = and_(*keep_parts) if keep_parts else None
    if source == "import":
        return _imported(session, filters, registered, root, counts=counts, clean=clean, keep=keep)

    found = cells(in_source.unflagged(with_suspected=with_suspected))
    responses, last = found.responses, found.newest
    live = SumsQuery(
        items=[],
        filters=clean,
        stratum=(Response.agency_id, Response.local_month),
        psu=(Response.counter_id, LIVE_WEEK),
        period=(start, filters.date_to),
        period_filters=tuple(dates),
        form_versions=tuple(version_ids),
    )
    agency_ids = found.agencies()
    if filters.weighted is False:
        design = _Design(live, "live", responses, last, agencies=agency_ids)
        return _finish(session, filters, registered, root, counts=counts, keep=keep, design=design)
    shares = whole_month_weights(session, found)
    if shares is not None:  # population periods of whole months: weights by stratum (or field cell), no join
        weighted = filters.weighted if filters.weighted is not None else responses > shares.uncounted
        if weighted and shares.by_field:
            live = replace(live, weight_cell=Response.procedure_field_id)
        design = _Design(
            live,
            "live",
            responses,
            last,
            weighted=weighted,
            stratum_weights=shares.weights if weighted else None,
            uncounted=shares.uncounted,
            uncounted_agencies=shares.uncounted_agencies,
            agencies=agency_ids,
        )
        return _finish(session, filters, registered, root, counts=counts, keep=keep, design=design)
    return _joined(
        session,
        filters,
        registered,
        root,
        counts=counts,
        keep=keep,
        live=live,
        whole_periods=whole_periods,
        agencies=agency_ids,
    )


def _joined(
    session: Session,
    filters: Filters,
    registered: RegisteredForm,
    root: Agency | None,
    *,
    counts: _Counts,
    keep: ColumnElement[Any] | None,
    live: SumsQuery,
    whole_periods: list[ColumnElement[bool]],
    agencies: tuple[int, ...],
) -> FigureSelection:
    """Population periods that cut months: N/n joined to every row in SQL (field counts are not used)."""
    counted = (
        select(
            PopulationCount.agency_id.label("agency_id"),
            PopulationCount.period_start.label("period_start"),
            PopulationCount.period_end.label("period_end"),
            cast(PopulationCount.dossiers_handled, Float).label("population"),
            func.count(Response.id).label("n"),
        )
        .join(
            Response,
            and_(
                Response.agency_id == PopulationCount.agency_id,
                Response.local_date >= PopulationCount.period_start,
                Response.local_date <= PopulationCount.period_end,
            ),
        )
        .where(PopulationCount.procedure_field_id.is_(None), *whole_periods)
        .group_by(
            PopulationCount.id,
            PopulationCount.agency_id,
            PopulationCount.period_start,
            PopulationCount.period_end,
            PopulationCount.dossiers_handled,
        )
    ).subquery("cells")
    in_cell = and_(
        counted.c.agency_id == Response.agency_id,
        Response.local_date >= counted.c.period_start,
        Response.local_date <= counted.c.period_end,
    )
    clean = list(live.filters)
    not_counted = counted.c.n.is_(None)
    totals = session.execute(
        select(func.count(), func.sum(case((not_counted, 1), else_=0)), func.max(Response.local_date))
        .select_from(Response)
        .outerjoin(counted, in_cell)
        .where(*clean)
    ).one()
    responses, uncounted, last = int(totals[0] or 0), int(totals[1] or 0), totals[2]
    weighted = filters.weighted if filters.weighted is not None else responses > uncounted
    uncounted_agencies: tuple[int, ...] = ()
    if weighted:
        overall = select(func.sum(counted.c.population) / func.sum(counted.c.n)).scalar_subquery()
        weight = func.coalesce(counted.c.population / counted.c.n, overall, literal(1.0))
        live = replace(live, weight=weight, joins=[(counted, in_cell)])
        missing = session.scalars(
            select(Response.agency_id).distinct().outerjoin(counted, in_cell).where(*clean, not_counted)
        )
        uncounted_agencies = tuple(sorted(missing))
    design = _Design(
        live,
        "live",
        responses,
        last,
        weighted=weighted,
        uncounted=uncounted,
        uncounted_agencies=uncounted_agencies,
        agencies=agencies,
    )
    return _finish(session, filters, registered, root, counts=counts, keep=keep, design=design)


def choose_source(filters: Filters, imported: int, live: int) -> Source:
    """Live responses (QR, kiosk, interview: the live design) or responses imported from survey files (each with the
    design it was imported with), given how many of each the selection holds. One figure never blends the two
    designs: a selection that holds both must say which it wants (``source``, or a channel)."""
    if filters.channel is not None:
        wanted: Source = "import" if filters.channel == Channel.import_ else "live"
        if filters.source is not None and filters.source != wanted:
            raise Invalid(f"source: {filters.source} responses never have the channel {filters.channel.value}")
        return wanted
    if filters.source is not None:
        return filters.source
    if imported and live:
        raise Invalid(
            f"source: the selection holds {live:,} live responses (QR code, kiosk, interview; the live design) "
            f"and {imported:,} imported from survey files (each with the design it was imported with), and one "
            "figure cannot blend two designs: ask for source=live or source=import"
        )
    return "import" if imported else "live"


def _imported(
    session: Session,
    filters: Filters,
    registered: RegisteredForm,
    root: Agency | None,
    *,
    counts: _Counts,
    clean: list[ColumnElement[bool]],
    keep: ColumnElement[Any] | None,
) -> FigureSelection:
    """Imported survey files keep the design they were imported with (``sipas import --weight --strata --psu``):
    the same numbers as ``sipas stats`` on the file. Population counts do not apply to them."""
    responses, weights, last = session.execute(
        select(func.count(), func.count(Response.weight), func.max(Response.local_date)).where(*clean)
    ).one()
    weighted = filters.weighted if filters.weighted is not None else bool(weights)
    weight = stored_weight() if weighted else literal(1.0, Float)
    query = SumsQuery(items=[], filters=clean, weight=weight)
    return _finish(
        session,
        filters,
        registered,
        root,
        counts=counts,
        keep=keep,
        design=_Design(query, "import", int(responses or 0), last, weighted=weighted),
    )


@dataclass(frozen=True)
class _Counts:
    """The tally the selection was made from, and the flagged responses it leaves out (in its dates, form and
    source): suspected spam, and test responses not also suspected."""

    tally: Tally
    suspected_spam: int
    test: int


@dataclass(frozen=True)
class _Design:
    """What the selection decided about the design: the sums query (its weight, strata and PSUs; items filled in later),
    per-stratum weights, whether it is weighted, and what ``meta`` reports of it."""

    query: SumsQuery
    source: Source
    responses: int
    last: date | None
    weighted: bool = False
    stratum_weights: dict[tuple[Any, ...], float] | None = None
    uncounted: int = 0
    uncounted_agencies: tuple[int, ...] = ()
    agencies: tuple[int, ...] = ()  # live: agencies with responses in the periods (their count changes are listed)


def _finish(
    session: Session,
    filters: Filters,
    registered: RegisteredForm,
    root: Agency | None,
    *,
    counts: _Counts,
    keep: ColumnElement[Any] | None,
    design: _Design,
) -> FigureSelection:
    found = measures(registered.definition)
    definition = registered.definition
    codes = dict(session.execute(select(Agency.id, Agency.code).where(Agency.id.in_(design.uncounted_agencies))).all())
    text = LIVE_DESIGN if design.source == "live" else IMPORTED_DESIGN
    if design.query.weight_cell is not None:
        text += "; weights raked to the procedure-field counts"
    meta = Meta(
        form=f"{definition.id}@{definition.version}",
        date_from=filters.date_from,
        date_to=filters.date_to,
        agency=root.code if root else None,
        weighted=design.weighted,
        method=filters.method,
        level=filters.level,
        responses=design.responses,
        excluded_suspected_spam=counts.suspected_spam,
        excluded_test=counts.test,
        responses_without_population_count=design.uncounted if design.weighted else 0,
        last_response_date=design.last,
        source=design.source,
        design=text,
        agencies_without_population_count=tuple(sorted(codes[i] for i in design.uncounted_agencies))
        if design.weighted
        else (),
    )
    if design.weighted and design.source == "live":  # imported files are weighted by their own design, not counts
        meta = replace(meta, recent_count_changes=_count_changes(session, filters, design.agencies))
    query = replace(design.query, items=found.items, stratum_weights=design.stratum_weights)
    return FigureSelection(meta, found, definition, root, query, keep, counts.tally, _names(definition))


RECENT_CHANGE_DAYS = 30


def _count_changes(session: Session, filters: Filters, agency_ids: Sequence[int]) -> list[dict[str, Any]]:
    """Population count changes of the last RECENT_CHANGE_DAYS days whose period meets the selection's."""
    since = datetime.now(UTC) - timedelta(days=RECENT_CHANGE_DAYS)
    out: list[dict[str, Any]] = []
    for change in recent_count_changes(session, agency_ids=agency_ids, since=since):
        if filters.date_to is not None and change.period_start > filters.date_to:
            continue
        if filters.date_from is not None and change.period_end < filters.date_from:
            continue
        out.append(asdict(change))
    return out


# --- the local clock: hour-of-day and weekday domains ------------------------------------------------------------


@dataclass(frozen=True)
class LocalClock:
    """The local hour (0–23) and ISO weekday (1–7, Monday = 1) of ``Response.submitted_at`` in the reporting time
    zone, as SQL expressions of the session's database."""

    hour: ColumnElement[Any]
    weekday: ColumnElement[Any]


CLOCK_FROM = datetime(1970, 1, 1, tzinfo=UTC)
CLOCK_TO = datetime(2100, 1, 1, tzinfo=UTC)


@cache
def utc_offsets(zone_key: str) -> tuple[tuple[datetime, int], ...]:
    """The zone's UTC offsets from 1970 to 2100: (the UTC instant from which it holds, seconds east of UTC), from
    the same IANA time-zone database as ``zoneinfo``. Sampled daily, each change then found to the second (no zone
    changes its offset twice in a day)."""
    zone = ZoneInfo(zone_key)

    def offset(at: datetime) -> int:
        found = at.astimezone(zone).utcoffset()
        return int(found.total_seconds()) if found is not None else 0

    pieces = [(CLOCK_FROM, offset(CLOCK_FROM))]
    at = CLOCK_FROM
    while at < CLOCK_TO:
        after = at + timedelta(days=1)
        if offset(after) != pieces[-1][1]:
            low, high = at, after  # offset(low) is the old one, offset(high) the new one
            while high - low > timedelta(seconds=1):
                middle = low + timedelta(seconds=(high - low).total_seconds() // 2)
                if offset(middle) == pieces[-1][1]:
                    low = middle
                else:
                    high = middle
            pieces.append((high, offset(high)))
        at = after
    return tuple(pieces)


def _offset_pieces(zone: ZoneInfo, start: date | None, end: date | None) -> list[tuple[datetime, int]]:
    """The offsets in force between two local dates (a day of margin either side; all of them without dates)."""
    pieces = list(utc_offsets(zone.key))
    margin = timedelta(days=2)
    if start is not None:  # (a margin that would leave the calendar stops at its first or last day)
        first = datetime.combine(max(start, date.min + margin) - margin, time(0), tzinfo=UTC)
        before = [index for index, (since, _offset) in enumerate(pieces) if since <= first]
        pieces = pieces[before[-1] :] if before else pieces
    if end is not None:
        last = datetime.combine(min(end, date.max - margin) + margin, time(0), tzinfo=UTC)
        pieces = [pieces[0], *(piece for piece in pieces[1:] if piece[0] <= last)]
    return pieces


def local_clock(dialect: str, zone: ZoneInfo, start: date | None = None, end: date | None = None) -> LocalClock:
    """The local hour and weekday of a response, computed in SQL from its UTC ``submitted_at``.

    PostgreSQL converts with ``submitted_at AT TIME ZONE '<zone>'`` (its own copy of the IANA database). SQLite has
    no time zones: the UTC offsets the zone had during the period (``utc_offsets``, from Python's copy of the same
    database) are written into the statement as a ``CASE`` over ``submitted_at`` that picks the
    ``strftime`` modifier ``'+25200 seconds'`` in force — one constant for Asia/Ho_Chi_Minh (UTC+7 since 1975), a few
    pieces for a zone with summer time. Both give the same hour and weekday for every instant (tested on answers
    either side of local midnight)."""
    if dialect == "postgresql":
        local = func.timezone(zone.key, Response.submitted_at)
        return LocalClock(hour=cast(extract("hour", local), Integer), weekday=cast(extract("isodow", local), Integer))
    pieces = _offset_pieces(zone, start, end)
    modifier: ColumnElement[Any] = literal(f"{pieces[-1][1]:+d} seconds")
    if len(pieces) > 1:
        modifier = case(
            *(
                (Response.submitted_at < following[0], literal(f"{piece[1]:+d} seconds"))
                for piece, following in pairwise(pieces)
            ),
            else_=modifier,
        )
    hour = cast(func.strftime("%H", Response.submitted_at, modifier), Integer)
    sunday_first = cast(func.strftime("%w", Response.submitted_at, modifier), Integer)  # 0 = Sunday
    return LocalClock(hour=hour, weekday=(sunday_first + 6) % 7 + 1)


# --- satisfaction ---------------------------------------------------------------------------------------------
