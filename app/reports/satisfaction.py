"""Officials' figures from live data: satisfaction per agency, counter, element, item, month, quarter or channel;
rankings; trends. All arithmetic is ``app/stats`` on the sums of ``app/reports/sums.py`` — nothing is computed twice.

The design of live data (documented in the README):

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
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, Float, Integer, and_, case, cast, extract, func, literal, select
from sqlalchemy.orm import Session, aliased

from app.db import in_one_snapshot
from app.directory.models import Agency, AgencyLevel, Counter, ProcedureField
from app.errors import Invalid, NotFound
from app.forms.indices import Measures, measures
from app.forms.loader import RegisteredForm
from app.forms.schema import FormDefinition
from app.officials.scope import Scope, visible_agency
from app.reports.models import PopulationCount
from app.reports.reference import recent_count_changes, targets_for
from app.reports.sums import Column, SumsQuery, fetch_sums, stored_weight
from app.reports.weighting import cells, whole_month_weights
from app.responses.models import Channel, Response
from app.stats.comparisons import Difference, adjust, compare, honest, series_changes
from app.stats.estimates import Estimate, Options, estimate_domains, judged, mean_of_units, merge_domains
from app.stats.intervals import DEFAULT_METHOD, METHODS, Method

GROUPS = ("agency", "counter", "element", "item", "month", "quarter", "channel")
Source = Literal["live", "import"]
SOURCES: tuple[Source, ...] = ("live", "import")
DOMAIN_GROUPS = ("agency", "counter", "month", "quarter", "channel")
Period = Literal["month", "quarter"]


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

    def check(self) -> None:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise Invalid(f"from: {self.date_from} is after to: {self.date_to}")
        if self.method not in METHODS:
            raise Invalid(f"method: {self.method!r} is not one of {', '.join(METHODS)}")
        if not 0.5 <= self.level < 1:
            raise Invalid(f"level: {self.level} must be at least 0.5 and below 1 (e.g. 0.95)")
        if self.source is not None and self.source not in SOURCES:
            raise Invalid(f"source: {self.source!r} is not one of {', '.join(SOURCES)}")


@dataclass(frozen=True)
class Row:
    keys: dict[str, str | None]  # group → value (agency code, counter code, "2026-10", "2026-Q4", channel)
    names: dict[str, str | None]  # group → display name (agency and counter names, in Vietnamese)
    indicator: str  # "sipas", a component code, "element:<code>", "item:<code>"
    name: str  # the metric's name in the form (Vietnamese)
    estimate: Estimate


LIVE_DESIGN = (
    "strata: agency × month; PSUs: counter × week of the month; weights N/n per agency period when weighted; "
    "channel and procedure-field filters are domains"
)
IMPORTED_DESIGN = (
    "the design each survey file was imported with: its weights (1 when none), strata (within each agency; the "
    "agency when none) and clusters (each response its own PSU when none); a stratum with one PSU is centred on the "
    "grand mean"
)
# What no interval can cover, said beside every figure (the answer's meta, the dashboard, every export).
COVERAGE = {
    "vi": "Khoảng tin cậy chỉ tính sai số chọn mẫu theo thiết kế đã nêu, không tính đến việc ai chọn trả lời: người "
    "quét mã QR hay dùng kiosk có thể hài lòng hơn hoặc kém hơn những người không trả lời.",
    "en": "The interval covers sampling error under the stated design only, not who chooses to answer: people who "
    "scan a QR code or use a kiosk may be more or less satisfied than those who do not answer.",
}


@dataclass(frozen=True)
class Meta:
    form: str  # "id@version" whose definitions give the indices
    date_from: date | None
    date_to: date | None
    agency: str | None
    weighted: bool
    method: str
    level: float
    responses: int  # in the selection, not flagged
    excluded_suspected_spam: int
    excluded_test: int
    responses_without_population_count: int  # weighted only: given the overall ΣN/Σn
    last_response_date: date | None  # the newest local date in the selection: targets in force then judge it
    source: Source = "live"
    design: str = LIVE_DESIGN
    agencies_without_population_count: tuple[str, ...] = ()  # weighted: agencies given the overall ΣN/Σn
    # With suspected spam left out: each total indicator's estimate (percent) had they been counted, design and
    # weights recomputed with them — what the flags change, so that flagging cannot silently move a figure.
    with_suspected_spam_pct: dict[str, float] = field(default_factory=dict)
    # Weighted: population counts of the selection's agencies and period changed in the last 30 days (who, when,
    # old → new, why) — a figure that moved because a count was edited says so.
    recent_count_changes: list[dict[str, Any]] = field(default_factory=list)
    coverage: dict[str, str] = field(default_factory=lambda: dict(COVERAGE))


@dataclass(frozen=True)
class Result:
    meta: Meta
    rows: list[Row]
    total: list[Row]  # the same metrics for the whole selection (with targets of the chosen agency)
    # Grouped by agency alone: the published convention beside ``total``, the plain mean of the agencies' values.
    unit_mean: list[Row] = field(default_factory=list)


# --- the selection ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    meta: Meta
    measures: Measures
    definition: FormDefinition
    root: Agency | None
    query: SumsQuery  # design filters, weight, strata, PSUs; no domains yet
    keep: ColumnElement[Any] | None  # the domain condition of channel/procedure-field filters
    names: dict[str, str] = field(default_factory=dict)  # metric code → name


def _month_label(value: int) -> str:
    return f"{value // 100:04d}-{value % 100:02d}"


def _quarter_label(value: int) -> str:
    return f"{value // 10:04d}-Q{value % 10}"


def week_of_month(date_column: Any) -> Any:
    """0 for days 1–7, 1 for 8–14, … 4 for 29–31 (SQLAlchemy renders ``extract`` for each database)."""
    return (cast(extract("day", date_column), Integer) - 1) // 7


def quarter_of(month_column: Any) -> Any:
    """yyyymm → yyyy·10 + quarter, in portable integer arithmetic."""
    return (month_column // 100) * 10 + (month_column % 100 + 2) // 3


def agency_selection(session: Session, scope: Scope, filters: Filters) -> tuple[Agency | None, ColumnElement[bool]]:
    """The root agency asked about (None: the whole scope) and the condition on Response.agency_id — always
    inside the official's visible set, computed by ``scope``."""
    visible = Response.agency_id.in_(scope.agency_ids())
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
        counts: dict[str, int] = {}
        for version_id, count in session.execute(
            select(Response.form_version_id, func.count()).where(*base).group_by(Response.form_version_id)
        ).all():
            owner = version_ids.get(version_id)
            if owner is not None:
                counts[owner] = counts.get(owner, 0) + count
        form_id = max(sorted(counts), key=lambda key: counts[key]) if counts else min(key[0] for key in forms)
        chosen = [(key, found) for key, found in forms.items() if key[0] == form_id]
    chosen.sort(key=lambda pair: pair[0][1])
    return chosen[-1][1], [found.form_version_id for _key, found in chosen]


def _names(definition: FormDefinition) -> dict[str, str]:
    names = {item.code: item.text.vi for item in definition.items}
    names.update({element.code: element.name.vi for element in definition.elements})
    names.update({component.code: component.name.vi for component in definition.components})
    if definition.indices is not None:
        names["sipas"] = definition.indices.overall_name.vi
    return names


def plan(
    session: Session,
    scope: Scope,
    forms: dict[tuple[str, int], RegisteredForm],
    filters: Filters,
    *,
    date_from: date | None = None,
    with_suspected: bool = False,
) -> _Plan:
    """The selection and its design; ``date_from`` widens the period backwards (rankings' previous period);
    ``with_suspected`` counts the answers flagged as suspected spam too (the sensitivity of a figure to them)."""
    filters.check()
    root, agencies = agency_selection(session, scope, filters)
    base: list[ColumnElement[bool]] = [agencies]
    start = date_from or filters.date_from
    if start:
        base.append(Response.local_date >= start)
    if filters.date_to:
        base.append(Response.local_date <= filters.date_to)
    registered, version_ids = choose_form(session, forms, filters, base)
    base.append(Response.form_version_id.in_(version_ids))
    unflagged: tuple[ColumnElement[bool], ...] = (Response.is_test.is_(False),)
    if not with_suspected:
        unflagged = (Response.is_suspected_spam.is_(False), *unflagged)
    source = choose_source(session, filters, [*base, *unflagged])
    of_source = Response.channel == Channel.import_ if source == "import" else Response.channel != Channel.import_
    base.append(of_source)
    clean = [*base, *unflagged]
    # n of a population cell counts its whole period, whatever the dates asked: a period cut by `from`/`to` keeps
    # the weight N/n of its month instead of spreading the month's N over the few days selected.
    whole_periods = [agencies, Response.form_version_id.in_(version_ids), of_source, *unflagged]

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
        return _imported(session, filters, registered, root, base, clean, keep)

    found = cells(session, whole_periods, start, filters.date_to)
    responses = sum(cell.selected for cell in found)
    last = max((cell.last for cell in found if cell.last is not None), default=None)
    live = SumsQuery(
        items=[],
        filters=clean,
        stratum=(Response.agency_id, Response.local_month),
        psu=(Response.counter_id, week_of_month(Response.local_date)),
    )
    if filters.weighted is False:
        return _finish(
            session, filters, registered, root, base, keep, _Design(live, None, False, responses, 0, last, "live", ())
        )
    shares = whole_month_weights(session, found)
    if shares is not None:  # population periods of whole months: weights by stratum (or field cell), no join
        weighted = filters.weighted if filters.weighted is not None else responses > shares.uncounted
        if weighted and shares.by_field:
            live = replace(live, weight_cell=Response.procedure_field_id)
        design = _Design(
            live,
            shares.weights if weighted else None,
            weighted,
            responses,
            shares.uncounted,
            last,
            "live",
            shares.uncounted_agencies,
        )
        return _finish(session, filters, registered, root, base, keep, design)
    return _joined(session, filters, registered, root, base, keep, live, whole_periods)


def _joined(
    session: Session,
    filters: Filters,
    registered: RegisteredForm,
    root: Agency | None,
    base: list[ColumnElement[bool]],
    keep: ColumnElement[Any] | None,
    live: SumsQuery,
    whole_periods: list[ColumnElement[bool]],
) -> _Plan:
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
    design = _Design(live, None, weighted, responses, uncounted, last, "live", uncounted_agencies)
    return _finish(session, filters, registered, root, base, keep, design)


def choose_source(session: Session, filters: Filters, conditions: Sequence[ColumnElement[bool]]) -> Source:
    """Live responses (QR, kiosk, interview: the live design) or responses imported from survey files (each with the
    design it was imported with). One figure never blends the two designs: a selection that holds both must say
    which it wants (``source``, or a channel)."""
    if filters.channel is not None:
        wanted: Source = "import" if filters.channel == Channel.import_ else "live"
        if filters.source is not None and filters.source != wanted:
            raise Invalid(f"source: {filters.source} responses never have the channel {filters.channel.value}")
        return wanted
    if filters.source is not None:
        return filters.source
    imported, live = session.execute(
        select(
            func.sum(case((Response.channel == Channel.import_, 1), else_=0)),
            func.sum(case((Response.channel != Channel.import_, 1), else_=0)),
        ).where(*conditions)
    ).one()
    if imported and live:
        raise Invalid(
            f"source: the selection holds {int(live):,} live responses (QR code, kiosk, interview; the live design) "
            f"and {int(imported):,} imported from survey files (each with the design it was imported with), and one "
            "figure cannot blend two designs: ask for source=live or source=import"
        )
    return "import" if imported else "live"


def _imported(
    session: Session,
    filters: Filters,
    registered: RegisteredForm,
    root: Agency | None,
    base: list[ColumnElement[bool]],
    clean: list[ColumnElement[bool]],
    keep: ColumnElement[Any] | None,
) -> _Plan:
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
        base,
        keep,
        _Design(query, None, weighted, int(responses or 0), 0, last, "import", ()),
    )


@dataclass(frozen=True)
class _Design:
    """What a plan decided about the design: the sums query (its weight, strata and PSUs; items filled in later),
    per-stratum weights, whether it is weighted, and what ``meta`` reports of it."""

    query: SumsQuery
    stratum_weights: dict[tuple[Any, ...], float] | None
    weighted: bool
    responses: int
    uncounted: int
    last: date | None
    source: Source
    uncounted_agencies: tuple[int, ...]


def _finish(
    session: Session,
    filters: Filters,
    registered: RegisteredForm,
    root: Agency | None,
    base: list[ColumnElement[bool]],
    keep: ColumnElement[Any] | None,
    design: _Design,
) -> _Plan:
    flagged = session.execute(
        select(
            func.sum(case((Response.is_suspected_spam.is_(True), 1), else_=0)),
            func.sum(case((and_(Response.is_test.is_(True), Response.is_suspected_spam.is_(False)), 1), else_=0)),
        ).where(*base)
    ).one()
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
        excluded_suspected_spam=int(flagged[0] or 0),
        excluded_test=int(flagged[1] or 0),
        responses_without_population_count=design.uncounted if design.weighted else 0,
        last_response_date=design.last,
        source=design.source,
        design=text,
        agencies_without_population_count=tuple(sorted(codes[i] for i in design.uncounted_agencies))
        if design.weighted
        else (),
    )
    if design.weighted:
        meta = replace(meta, recent_count_changes=_count_changes(session, filters, base))
    query = replace(design.query, items=found.items, stratum_weights=design.stratum_weights)
    return _Plan(meta, found, definition, root, query, keep, _names(definition))


RECENT_CHANGE_DAYS = 30


def _count_changes(session: Session, filters: Filters, base: list[ColumnElement[bool]]) -> list[dict[str, Any]]:
    """Population count changes of the last RECENT_CHANGE_DAYS days whose period meets the selection's."""
    agency_ids = set(session.scalars(select(Response.agency_id).distinct().where(*base)))
    since = datetime.now(UTC) - timedelta(days=RECENT_CHANGE_DAYS)
    out: list[dict[str, Any]] = []
    for change in recent_count_changes(session, agency_ids=agency_ids, since=since):
        if filters.date_to is not None and change.period_start > filters.date_to:
            continue
        if filters.date_from is not None and change.period_end < filters.date_from:
            continue
        out.append(asdict(change))
    return out


# --- satisfaction ---------------------------------------------------------------------------------------------


def judged_on(filters: Filters, meta: Meta) -> date:
    """The day whose targets judge a result: ``to``, else the newest response's date, else today."""
    return filters.date_to or meta.last_response_date or date.today()


def indicator_of(estimate: Estimate) -> str:
    """The target indicator an estimate is judged against."""
    if estimate.kind == "overall":
        return "sipas"
    if estimate.kind in ("element", "item"):
        return f"{estimate.kind}:{estimate.metric}"
    return estimate.metric


def _domain_expression(group: str) -> Column:
    if group == "agency":
        return Response.agency_id
    if group == "counter":
        return Response.counter_id
    if group == "month":
        return Response.local_month
    if group == "quarter":
        quarter: Column = quarter_of(Response.local_month)
        return quarter
    return Response.channel


def _kinds(group_by: Sequence[str]) -> set[str]:
    """Which metrics a grouping asks for: elements (with their components), items, else the overall index."""
    kinds: set[str] = set()
    if "element" in group_by:
        kinds |= {"element", "component"}
    if "item" in group_by:
        kinds.add("item")
    return kinds or {"overall"}


def _judge(estimate: Estimate, target: float | None) -> Estimate:
    """The verdict against this row's own target, in percent (``app/stats`` does the judging)."""
    return estimate if target is None else judged(estimate, target / 100)


def targets_on(
    session: Session, agency_ids: Sequence[int], indicators: Sequence[str], on: date
) -> dict[tuple[int, str], float]:
    """Threshold (percent) per (agency, indicator) on a date, as :func:`app.reports.reference.targets_for` finds
    it (the agency's own target, else the nearest ancestor's that applies to its subtree)."""
    found = targets_for(session, agency_ids, indicators, on)
    return {key: float(target.threshold_pct) for key, target in found.items()}


def _labels(
    session: Session, group_by: Sequence[str], keys: Sequence[tuple[Any, ...]]
) -> tuple[list[dict[str, str | None]], list[dict[str, str | None]]]:
    agency_ids = {key[i] for key in keys for i, g in enumerate(group_by) if g == "agency" and key[i] is not None}
    counter_ids = {key[i] for key in keys for i, g in enumerate(group_by) if g == "counter" and key[i] is not None}
    agencies = {row.id: row for row in session.scalars(select(Agency).where(Agency.id.in_(agency_ids)))}
    counters = {row.id: row for row in session.scalars(select(Counter).where(Counter.id.in_(counter_ids)))}
    values: list[dict[str, str | None]] = []
    names: list[dict[str, str | None]] = []
    for key in keys:
        value: dict[str, str | None] = {}
        name: dict[str, str | None] = {}
        for group, raw in zip(group_by, key, strict=True):
            if raw is None:
                value[group] = None
            elif group == "agency":
                value[group], name[group] = agencies[raw].code, agencies[raw].name_vi
            elif group == "counter":
                counter = counters[raw]
                value[group], name[group] = counter.code, counter.name_vi
                name["counter_agency"] = str(counter.agency_id)
            elif group == "month":
                value[group] = _month_label(int(raw))
            elif group == "quarter":
                value[group] = _quarter_label(int(raw))
            else:
                value[group] = str(raw.value if isinstance(raw, Channel) else raw)
        values.append(value)
        names.append(name)
    return values, names


@in_one_snapshot
def satisfaction(
    session: Session,
    scope: Scope,
    forms: dict[tuple[str, int], RegisteredForm],
    filters: Filters,
    group_by: Sequence[str] = (),
) -> Result:
    """Rates and indices per group with intervals, n, n_eff, deff, flags, target verdicts."""
    unknown = [group for group in group_by if group not in GROUPS]
    if unknown:
        raise Invalid(f"group_by: {', '.join(unknown)} not one of {', '.join(GROUPS)}")
    plan_ = plan(session, scope, forms, filters)
    domain_groups = [group for group in DOMAIN_GROUPS if group in group_by]
    domains: list[tuple[str, Column]] = [(group, _domain_expression(group)) for group in domain_groups]
    if plan_.keep is not None:
        domains.insert(0, ("_keep", case((plan_.keep, 1), else_=0)))
    if "counter" in domain_groups:
        domains.append(("_counter_agency", Response.agency_id))
    query = replace(plan_.query, domains=domains)
    sums = fetch_sums(session, query)
    strata = replace(sums.strata, lonely_psu="adjust")
    results = estimate_domains(
        sums.table,
        strata,
        query.items,
        plan_.measures.indices,
        domains=len(sums.keys),
        level=filters.level,
        method=filters.method,
    )
    kept: list[tuple[tuple[Any, ...], int | None, list[Estimate]]] = []
    for key, estimates in zip(sums.keys, results, strict=True):
        rest = key
        if plan_.keep is not None:
            if key[0] != 1:
                continue
            rest = key[1:]
        owner: int | None = None
        if "counter" in domain_groups:
            owner, rest = rest[-1], rest[:-1]
        elif "agency" in domain_groups:
            owner = rest[domain_groups.index("agency")]
        kept.append((rest, owner, estimates))
    total: list[Estimate] = []
    if domain_groups:  # the whole selection too, from the same sums (no second query)
        mapping = [0 if plan_.keep is None or key[0] == 1 else -1 for key in sums.keys]
        merged = merge_domains(sums.table, mapping)
        total = estimate_domains(
            merged, strata, query.items, plan_.measures.indices, domains=1, level=filters.level, method=filters.method
        )[0]
    values, names = _labels(session, domain_groups, [rest for rest, _owner, _estimates in kept])
    kinds = _kinds(group_by)
    root_id = plan_.root.id if plan_.root else None
    on = judged_on(filters, plan_.meta)
    indicators = sorted({indicator_of(e) for _rest, _owner, found in kept for e in found if e.kind in kinds})
    owners = {owner if owner is not None else root_id for _rest, owner, _found in kept} | {root_id}  # total: root
    targets = targets_on(session, [owner for owner in owners if owner is not None], indicators, on)

    def rows_of(
        estimates: list[Estimate], judge_by: int | None, value: dict[str, str | None], name: dict[str, str | None]
    ) -> list[Row]:
        out: list[Row] = []
        for estimate in estimates:
            if estimate.kind not in kinds:
                continue
            indicator = indicator_of(estimate)
            target = targets.get((judge_by, indicator)) if judge_by is not None else None
            out.append(
                Row(value, name, indicator, plan_.names.get(estimate.metric, estimate.metric), _judge(estimate, target))
            )
        return out

    rows: list[Row] = []
    for (_rest, owner, estimates), value, name in zip(kept, values, names, strict=True):
        name.pop("counter_agency", None)
        rows += rows_of(estimates, owner if owner is not None else root_id, value, name)
    totals = rows_of(total, root_id, {}, {}) if domain_groups else rows
    unit_mean: list[Row] = []
    if domain_groups == ["agency"] and plan_.keep is None:
        target = {row.indicator: row.estimate.target for row in totals}
        for row in totals:
            units = [found.estimate for found in rows if found.indicator == row.indicator]
            options = Options(level=filters.level, method=filters.method, target=target[row.indicator])
            mean = mean_of_units(row.estimate.metric, row.estimate.kind, units, options)
            unit_mean.append(Row({}, {}, row.indicator, row.name, mean))
    meta = plan_.meta
    if meta.excluded_suspected_spam and totals:
        meta = replace(meta, with_suspected_spam_pct=_with_suspected(session, scope, forms, filters, totals))
    return Result(meta, rows, totals, unit_mean)


def _with_suspected(
    session: Session,
    scope: Scope,
    forms: dict[tuple[str, int], RegisteredForm],
    filters: Filters,
    totals: Sequence[Row],
) -> dict[str, float]:
    """The total indicators' estimates with the suspected spam counted (a second selection, design and weights)."""
    widened = plan(session, scope, forms, filters, with_suspected=True)
    whole = case((widened.keep, 1), else_=0) if widened.keep is not None else literal(1)
    query = replace(widened.query, domains=[("_keep", whole)])
    sums = fetch_sums(session, query)
    strata = replace(sums.strata, lonely_psu="adjust")
    results = estimate_domains(
        sums.table,
        strata,
        query.items,
        widened.measures.indices,
        domains=len(sums.keys),
        level=filters.level,
        method=filters.method,
    )
    found = next((estimates for key, estimates in zip(sums.keys, results, strict=True) if key[0] == 1), [])
    by_indicator = {indicator_of(estimate): estimate.estimate * 100 for estimate in found}
    return {row.indicator: by_indicator[row.indicator] for row in totals if row.indicator in by_indicator}


# --- rankings and trends --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ranked:
    rank: int | None  # None: the estimate is unreliable, so its place is not evidence
    agency: Agency
    estimate: Estimate
    previous: Estimate | None
    change: Difference | None  # this period − the previous one
    distinct_from_next: bool | None  # whether the next agency's index is statistically different (None: last)
    next_difference: Difference | None


@dataclass(frozen=True)
class Rankings:
    meta: Meta
    level: str
    indicator: str
    previous_from: date | None
    previous_to: date | None
    rows: list[Ranked]


def _previous_period(filters: Filters) -> tuple[date, date] | None:
    if filters.date_from is None or filters.date_to is None:
        return None
    days = (filters.date_to - filters.date_from).days + 1
    end = filters.date_from - timedelta(days=1)
    return end - timedelta(days=days - 1), end


def _pick(estimates: Sequence[Estimate], indicator: str) -> Estimate | None:
    return next((e for e in estimates if indicator_of(e) == indicator), None)


def _metric_index(items: Sequence[str], indicator: str, measures_: Measures) -> str:
    """The metric code of an indicator ("sipas" → the overall index's code)."""
    if indicator == "sipas":
        overall = [spec.code for spec in measures_.indices if spec.kind == "overall"]
        if not overall:
            raise Invalid("indicator: this form defines no overall SIPAS index")
        return overall[0]
    code = indicator.split(":", 1)[-1]
    if code not in items and code not in {spec.code for spec in measures_.indices}:
        raise Invalid(f"indicator: {indicator!r} is not measured by this form")
    return code


@in_one_snapshot
def rankings(
    session: Session,
    scope: Scope,
    forms: dict[tuple[str, int], RegisteredForm],
    filters: Filters,
    *,
    level: AgencyLevel | None = None,
    indicator: str = "sipas",
) -> Rankings:
    """Agencies at a level (default: the children of the chosen agency) ranked by an index, each with its
    interval, whether it is statistically distinguishable from the next one, and its change since the previous
    period of the same length (when both dates are given)."""
    previous = _previous_period(filters)
    plan_ = plan(session, scope, forms, filters, date_from=previous[0] if previous else None)
    metric = _metric_index(plan_.measures.items, indicator, plan_.measures)
    candidates = select(Agency).where(scope.agencies())
    if plan_.root is not None:
        candidates = candidates.where(Agency.path.startswith(plan_.root.path, autoescape=True))
    if level is not None:
        candidates = candidates.where(Agency.level == level)
    elif plan_.root is not None:
        candidates = candidates.where(Agency.parent_id == plan_.root.id)
    else:
        candidates = candidates.where(Agency.parent_id.is_(None))
    ranked_agencies = {agency.id: agency for agency in session.scalars(candidates)}
    own = aliased(Agency)
    unit = aliased(Agency)
    joins = [
        *plan_.query.joins,
        (own, own.id == Response.agency_id),
        (unit, and_(unit.id.in_(list(ranked_agencies) or [-1]), own.path.startswith(unit.path))),
    ]
    current = case((Response.local_date >= filters.date_from, 1), else_=0) if previous else literal(1)
    domains: list[tuple[str, Column]] = [
        ("_keep", case((plan_.keep, 1), else_=0) if plan_.keep is not None else literal(1)),
        ("agency", unit.id),
        ("current", current),
    ]
    query = replace(plan_.query, domains=domains, joins=joins)
    sums = fetch_sums(session, query)
    strata = replace(sums.strata, lonely_psu="adjust")
    items, indices = query.items, plan_.measures.indices
    results = estimate_domains(
        sums.table, strata, items, indices, domains=len(sums.keys), level=filters.level, method=filters.method
    )
    index = {key: d for d, key in enumerate(sums.keys)}
    on = judged_on(filters, plan_.meta)
    targets = targets_on(session, list(ranked_agencies), [indicator], on)
    entries: list[tuple[Agency, Estimate, int, Estimate | None, int | None]] = []
    for agency_id, agency in ranked_agencies.items():
        d = index.get((1, agency_id, 1))
        if d is None:
            continue
        found = _pick(results[d], indicator)
        if found is None:
            continue
        p = index.get((1, agency_id, 0))
        before = _pick(results[p], indicator) if p is not None else None
        entries.append((agency, _judge(found, targets.get((agency_id, indicator))), d, before, p))
    # Only reliable estimates are ranked and compared; the others follow, unranked, in code order.
    reliable = [e for e in entries if not e[1].unreliable]
    reliable.sort(key=lambda entry: (-entry[1].estimate, entry[0].code))
    unranked = sorted((e for e in entries if e[1].unreliable), key=lambda entry: entry[0].code)
    changes: list[Difference | None] = []
    following: list[Difference | None] = []
    for position, (_agency, found, d, before, p) in enumerate(reliable):
        if p is not None and before is not None and not before.unreliable:
            changes.append(_difference(sums, strata, items, indices, (d, found), (p, before), metric, filters.level))
        else:
            changes.append(None)
        if position + 1 < len(reliable):
            after = (reliable[position + 1][2], reliable[position + 1][1])
            following.append(_difference(sums, strata, items, indices, (d, found), after, metric, filters.level))
        else:
            following.append(None)
    adjusted = adjust([*changes, *following])  # one family: every comparison this answer makes
    rows: list[Ranked] = []
    for position, (agency, found, _d, before, _p) in enumerate(reliable):
        change, nearest = adjusted[position], adjusted[len(reliable) + position]
        rows.append(
            Ranked(
                position + 1, agency, found, before, change, None if nearest is None else nearest.significant, nearest
            )
        )
    for agency, found, _d, before, _p in unranked:
        rows.append(Ranked(None, agency, found, before, None, None, None))
    return Rankings(
        plan_.meta,
        level.value if level else "children",
        indicator,
        previous[0] if previous else None,
        previous[1] if previous else None,
        rows,
    )


def _difference(
    sums: Any,
    strata: Any,
    items: Sequence[str],
    indices: Any,
    a: tuple[int, Estimate],
    b: tuple[int, Estimate],
    metric: str,
    level: float,
) -> Difference | None:
    found = compare(sums.table, strata, items, indices, a[0], b[0], level=level)
    difference = next((difference for difference in found if difference.metric == metric), None)
    return None if difference is None else honest(difference, a[1], b[1])


@dataclass(frozen=True)
class TrendPoint:
    period: str
    estimate: Estimate
    change: Difference | None  # this period − the previous one
    alerts: tuple[str, ...]  # "significant_drop", "below_target"


@dataclass(frozen=True)
class Trend:
    meta: Meta
    period: Period
    indicator: str
    points: list[TrendPoint]


@in_one_snapshot
def trends(
    session: Session,
    scope: Scope,
    forms: dict[tuple[str, int], RegisteredForm],
    filters: Filters,
    *,
    period: Period = "month",
    indicator: str = "sipas",
) -> Trend:
    """A monthly or quarterly series of one indicator with intervals; an alert when a period is significantly
    below the previous one (the interval of the difference lies below 0) or below target (``not_met``)."""
    if period not in ("month", "quarter"):
        raise Invalid(f"period: {period!r} must be month or quarter")
    plan_ = plan(session, scope, forms, filters)
    _metric_index(plan_.measures.items, indicator, plan_.measures)  # refuses an indicator the form does not measure
    key = Response.local_month if period == "month" else quarter_of(Response.local_month)
    domains: list[tuple[str, Column]] = [
        ("_keep", case((plan_.keep, 1), else_=0) if plan_.keep is not None else literal(1)),
        (period, key),
    ]
    query = replace(plan_.query, domains=domains)
    sums = fetch_sums(session, query)
    strata = replace(sums.strata, lonely_psu="adjust")
    items, indices = query.items, plan_.measures.indices
    results = estimate_domains(
        sums.table, strata, items, indices, domains=len(sums.keys), level=filters.level, method=filters.method
    )
    ordered = sorted((int(k[1]), d) for d, k in enumerate(sums.keys) if k[0] == 1 and k[1] is not None)
    root_id = plan_.root.id if plan_.root else None
    targets = targets_on(session, [root_id] if root_id else [], [indicator], judged_on(filters, plan_.meta))
    target = targets.get((root_id, indicator)) if root_id else None
    series: list[tuple[int, Estimate, str]] = []
    for value, d in ordered:
        found = _pick(results[d], indicator)
        if found is not None:
            label = _month_label(value) if period == "month" else _quarter_label(value)
            series.append((d, _judge(found, target), label))
    steps = series_changes(
        sums.table, strata, items, indices, [(d, found) for d, found, _label in series], level=filters.level
    )
    points = [
        TrendPoint(label, found, step.change, step.alerts)
        for (_d, found, label), step in zip(series, steps, strict=True)
    ]
    return Trend(plan_.meta, period, indicator, points)
