"""Officials' figures: satisfaction per agency, counter, element, item, month, quarter, channel, procedure field,
respondent profile band, local hour or weekday, with the total of the selection, the published plain mean of units
and the sensitivity to flagged answers. The selection and its design are ``app/reports/selection.py``; all arithmetic
is ``app/stats`` on the sums of ``app/reports/sums.py``.

Every group but ``element`` and ``item`` (which choose the metrics) is a **domain**: its responses are estimated
inside the design of the whole selection (strata and PSUs of all of it, as R's ``svyby`` does), with the same engine
and the same reliability rule. Responses that did not state a procedure field or a profile band form their own
domain, labelled "Không rõ" (not stated), so the rows add up to the selection."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from app.db import in_one_snapshot
from app.directory.models import Agency, Counter, ProcedureField
from app.errors import Invalid
from app.forms.indices import Measures
from app.forms.loader import RegisteredForm
from app.forms.schemas import PROFILE_FIELDS, FormDefinition, Text
from app.officials.scope import Scope
from app.reference.targets import targets_for
from app.reports.query import Meta
from app.reports.selection import (
    FigureSelection,
    LocalClock,
    figure_selection,
    local_clock,
    month_label,
    quarter_label,
    quarter_of,
)
from app.reports.sums import Column, Sums, fetch_sums, fetch_sums_split
from app.responses.models import Channel, Response
from app.responses.selection import Filters
from app.stats.estimates import Estimate, Options, estimate_domains, judged, mean_of_units
from app.stats.tables import PsuTable, StrataInfo, merge_domains

PROFILE_GROUPS = tuple(f"profile:{name}" for name in PROFILE_FIELDS)  # profile:sex, profile:age_band, …
CLOCK_GROUPS = ("hour", "weekday")  # of submitted_at in the reporting time zone
GROUPS = (
    *("agency", "counter", "element", "item", "month", "quarter", "channel", "procedure_field"),
    *CLOCK_GROUPS,
    *PROFILE_GROUPS,
)
DOMAIN_GROUPS = (
    *("agency", "counter", "month", "quarter", "channel", "procedure_field"),
    *PROFILE_GROUPS,
    "weekday",
    "hour",
)
GROUP_BY_HELP = (
    f"Any of {', '.join(GROUPS)} (repeat or comma-separate). element and item choose the metrics; the others are "
    "domains: procedure_field and profile:<field> (the respondent's band: sex, age_band, …) give responses that did "
    "not state one their own row (value null, name 'Không rõ'); hour ('00'–'23') and weekday ('1'–'7', Monday = 1) "
    "are the local time of submission in the service's time zone"
)
PROFILE_COLUMNS: dict[str, Column] = {
    "sex": Response.sex,
    "age_band": Response.age_band,
    "ethnicity": Response.ethnicity,
    "education": Response.education,
    "occupation": Response.occupation,
    "residence": Response.residence,
}
NOT_STATED = Text(vi="Không rõ", en="Not stated")  # the domain of responses without a field or profile band
WEEKDAY_NAMES = {
    1: Text(vi="Thứ Hai", en="Monday"),
    2: Text(vi="Thứ Ba", en="Tuesday"),
    3: Text(vi="Thứ Tư", en="Wednesday"),
    4: Text(vi="Thứ Năm", en="Thursday"),
    5: Text(vi="Thứ Sáu", en="Friday"),
    6: Text(vi="Thứ Bảy", en="Saturday"),
    7: Text(vi="Chủ nhật", en="Sunday"),
}


@dataclass(frozen=True)
class Row:
    # group → value: agency code, counter code, "2026-10", "2026-Q4", channel, procedure-field code, profile band
    # code (None: not stated), hour "00"–"23", weekday "1"–"7" (Monday = 1)
    keys: dict[str, str | None]
    # group → display name in Vietnamese (agencies, counters, procedure fields, profile bands, weekdays; "Không rõ"
    # for a field or band not stated)
    names: dict[str, str | None]
    indicator: str  # "sipas", a component code, "element:<code>", "item:<code>"
    name: str  # the metric's name in the form (Vietnamese)
    estimate: Estimate


@dataclass(frozen=True)
class Result:
    meta: Meta
    rows: list[Row]
    total: list[Row]  # the same metrics for the whole selection (with targets of the chosen agency)
    # Grouped by agency alone: the published convention beside ``total``, the plain mean of the agencies' values.
    unit_mean: list[Row] = field(default_factory=list)


# --- the selection ------------------------------------------------------------------------------------------


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


def _domain_expression(group: str, clock: LocalClock | None) -> Column:
    if group == "agency":
        return Response.agency_id
    if group == "counter":
        return Response.counter_id
    if group == "month":
        return Response.local_month
    if group == "quarter":
        quarter: Column = quarter_of(Response.local_month)
        return quarter
    if group == "procedure_field":
        return Response.procedure_field_id
    if group.startswith("profile:"):
        return PROFILE_COLUMNS[group.removeprefix("profile:")]
    if group in CLOCK_GROUPS:
        if clock is None:
            raise ValueError(f"group {group!r} needs the reporting time zone (satisfaction(…, zone=…))")
        return clock.hour if group == "hour" else clock.weekday
    return Response.channel


def profile_options(forms: dict[tuple[str, int], RegisteredForm], first: FormDefinition) -> dict[str, dict[str, Text]]:
    """Profile field → band code → its label: from the chosen form's profile items, else from any registered form
    that asks the field (a kiosk may store a band its form does not ask), newest versions first."""
    options: dict[str, dict[str, Text]] = {}
    newest = sorted(forms.items(), key=lambda entry: (entry[0][0], -entry[0][1]))
    for definition in [first, *(found.definition for _key, found in newest)]:
        for item in definition.items:
            if item.profile is not None and item.profile not in options and item.options:
                options[item.profile] = {option.code: option.label for option in item.options}
    return options


def _kinds(group_by: Sequence[str]) -> set[str]:
    """Which metrics a grouping asks for: elements (with their components), items, else the overall index."""
    kinds: set[str] = set()
    if "element" in group_by:
        kinds |= {"element", "component"}
    if "item" in group_by:
        kinds.add("item")
    return kinds or {"overall"}


def judge(estimate: Estimate, target: float | None) -> Estimate:
    """The verdict against this row's own target, in percent (``app/stats`` does the judging)."""
    return estimate if target is None else judged(estimate, target / 100)


def targets_on(
    session: Session, agency_ids: Sequence[int], indicators: Sequence[str], on: date
) -> dict[tuple[int, str], float]:
    """Threshold (percent) per (agency, indicator) on a date, as :func:`app.reference.targets.targets_for` finds
    it (the agency's own target, else the nearest ancestor's that applies to its subtree)."""
    found = targets_for(session, agency_ids, indicators, on)
    return {key: float(target.threshold_pct) for key, target in found.items()}


def _labels(
    session: Session,
    group_by: Sequence[str],
    keys: Sequence[tuple[Any, ...]],
    profiles: dict[str, dict[str, Text]] | None = None,
) -> tuple[list[dict[str, str | None]], list[dict[str, str | None]]]:
    def ids(wanted: str) -> set[Any]:
        return {key[i] for key in keys for i, g in enumerate(group_by) if g == wanted and key[i] is not None}

    agencies = {row.id: row for row in session.scalars(select(Agency).where(Agency.id.in_(ids("agency"))))}
    counters = {row.id: row for row in session.scalars(select(Counter).where(Counter.id.in_(ids("counter"))))}
    fields = {
        row.id: row
        for row in session.scalars(select(ProcedureField).where(ProcedureField.id.in_(ids("procedure_field"))))
    }
    values: list[dict[str, str | None]] = []
    names: list[dict[str, str | None]] = []
    for key in keys:
        value: dict[str, str | None] = {}
        name: dict[str, str | None] = {}
        for group, raw in zip(group_by, key, strict=True):
            if raw is None:
                value[group] = None
                if group == "procedure_field" or group.startswith("profile:"):
                    name[group] = NOT_STATED.vi
            elif group == "procedure_field":
                value[group], name[group] = fields[raw].code, fields[raw].name_vi
            elif group.startswith("profile:"):
                band = (profiles or {}).get(group.removeprefix("profile:"), {}).get(str(raw))
                value[group], name[group] = str(raw), band.vi if band is not None else str(raw)
            elif group == "hour":
                value[group] = f"{int(raw):02d}"
            elif group == "weekday":
                value[group], name[group] = str(int(raw)), WEEKDAY_NAMES[int(raw)].vi
            elif group == "agency":
                value[group], name[group] = agencies[raw].code, agencies[raw].name_vi
            elif group == "counter":
                counter = counters[raw]
                value[group], name[group] = counter.code, counter.name_vi
                name["counter_agency"] = str(counter.agency_id)
            elif group == "month":
                value[group] = month_label(int(raw))
            elif group == "quarter":
                value[group] = quarter_label(int(raw))
            else:
                value[group] = str(raw.value if isinstance(raw, Channel) else raw)
        values.append(value)
        names.append(name)
    return values, names


def check_groups(group_by: Sequence[str]) -> None:
    """Refuses a group that is not one of ``GROUPS`` (a 422 naming it)."""
    unknown = [group for group in group_by if group not in GROUPS]
    if unknown:
        raise Invalid(f"group_by: {', '.join(unknown)} not one of {', '.join(GROUPS)}")


def figures_of(
    session: Session,
    scope: Scope,
    forms: dict[tuple[str, int], RegisteredForm],
    filters: Filters,
    group_by: Sequence[str] = (),
    *,
    zone: ZoneInfo | None = None,
) -> Result:
    """Rates and indices per group with intervals, n, n_eff, deff, flags, target verdicts; ``zone`` (the reporting
    time zone) is needed by the ``hour`` and ``weekday`` groups."""
    check_groups(group_by)
    selected = figure_selection(session, scope, forms, filters)
    widened = None
    if selected.meta.excluded_suspected_spam:  # the same selection with them, for the figures' sensitivity
        widened = figure_selection(session, scope, forms, filters, with_suspected=True, tally=selected.tally)
    together = grouped_together(session, forms, selected, filters, [group_by], zone=zone, widened=widened)
    [result], wide = together.results, together.widened
    meta = selected.meta
    if widened is not None and wide is not None and result.total:
        sensitivity = _with_suspected(wide, widened, filters, result.total)
        meta = replace(meta, with_suspected_spam_pct=sensitivity)
    return replace(result, meta=meta)


# The figures in a read snapshot of their own; ``figures_of`` reads in the caller's (a publication reads several).
satisfaction = in_one_snapshot(figures_of)


def grouped(
    session: Session,
    forms: dict[tuple[str, int], RegisteredForm],
    selected: FigureSelection,
    filters: Filters,
    group_by: Sequence[str],
    *,
    zone: ZoneInfo | None = None,
) -> Result:
    """The figures of one grouping of a selection already made; the caller holds the read snapshot. No sensitivity
    to suspected spam here."""
    return grouped_together(session, forms, selected, filters, [group_by], zone=zone).results[0]


@dataclass(frozen=True)
class Together:
    results: list[Result]  # one per grouping, in order
    widened: Sums | None  # the sums of the selection with suspected spam, when asked for


def grouped_together(
    session: Session,
    forms: dict[tuple[str, int], RegisteredForm],
    selected: FigureSelection,
    filters: Filters,
    groupings: Sequence[Sequence[str]],
    *,
    zone: ZoneInfo | None = None,
    widened: FigureSelection | None = None,
) -> Together:
    """Several groupings of one selection from one pass over the responses (the dashboard's breakdowns): the sums
    are fetched once for the crossing of every grouping's domains, then added up into each grouping's domains —
    exact, since the per-PSU sums of a coarser domain are the sums of its parts (``app.stats.tables.merge_domains``,
    as the total of the selection is made). With ``widened`` (the same selection with the suspected spam), its sums
    too, in the same domains: from the same pass over the summary when both designs have the same shape."""
    for group_by in groupings:
        check_groups(group_by)
    crossed = [group for group in DOMAIN_GROUPS if any(group in group_by for group_by in groupings)]
    clock = None
    if zone is not None and any(group in CLOCK_GROUPS for group in crossed):
        clock = local_clock(session.get_bind().dialect.name, zone, filters.date_from, filters.date_to)
    domains: list[tuple[str, Column]] = [(group, _domain_expression(group, clock)) for group in crossed]
    if selected.keep is not None:
        domains.insert(0, ("_keep", case((selected.keep, 1), else_=0)))
    if "counter" in crossed:
        domains.append(("_counter_agency", Response.agency_id))
    query = replace(selected.query, domains=domains)
    wide: Sums | None = None
    split = None
    if widened is not None and _same_shape(selected, widened):
        spam = case((Response.is_suspected_spam.is_(True), 1), else_=0)
        split = fetch_sums_split(session, replace(widened.query, domains=domains), query, spam)
    if split is not None:
        wide, sums = split
    else:
        sums = fetch_sums(session, query)
        if widened is not None:  # the sensitivity needs the total only: no domain but the filters' _keep
            wide = fetch_sums(session, replace(widened.query, domains=domains[:1] if selected.keep is not None else []))
    strata = replace(sums.strata, lonely_psu="adjust")
    names = [name for name, _expression in domains]
    out: list[Result] = []
    for group_by in groupings:
        domain_groups = [group for group in DOMAIN_GROUPS if group in group_by]
        wanted = [name for name in names if name == "_keep" or name in domain_groups]
        if "counter" in domain_groups:
            wanted.append("_counter_agency")
        table, keys = sums.table, sums.keys
        if wanted != names:  # add the crossed domains up into this grouping's
            positions = [names.index(name) for name in wanted]
            projected = [tuple(key[i] for i in positions) for key in sums.keys]
            keys = sorted(set(projected), key=lambda key: tuple((value is None, str(value)) for value in key))
            index = {key: i for i, key in enumerate(keys)}
            table = merge_domains(sums.table, [index[key] for key in projected])
        out.append(
            _result(session, forms, selected, filters, group_by, domain_groups, table, keys, strata, query.items)
        )
    return Together(out, wide)


def _same_shape(selected: FigureSelection, widened: FigureSelection) -> bool:
    """Whether counting the suspected spam leaves the design's shape as it is: the same source, and weighting cells
    (procedure fields) in both or neither."""
    same_cells = (selected.query.weight_cell is None) == (widened.query.weight_cell is None)
    return selected.meta.source == widened.meta.source and same_cells


def _result(
    session: Session,
    forms: dict[tuple[str, int], RegisteredForm],
    selected: FigureSelection,
    filters: Filters,
    group_by: Sequence[str],
    domain_groups: Sequence[str],
    table: PsuTable,
    keys: Sequence[tuple[Any, ...]],
    strata: StrataInfo,
    items: Sequence[str],
) -> Result:
    """Estimates of one grouping's domains from their sums, labelled and judged against their targets."""
    results = estimate_domains(
        table,
        strata,
        items,
        selected.measures.indices,
        domains=len(keys),
        level=filters.level,
        method=filters.method,
    )
    kept: list[tuple[tuple[Any, ...], int | None, list[Estimate]]] = []
    for key, estimates in zip(keys, results, strict=True):
        rest = key
        if selected.keep is not None:
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
        total = _selection_total(table, keys, strata, selected, filters)
    if any(group in CLOCK_GROUPS for group in domain_groups):  # hours in numeric order (the sums sort as text)
        kept.sort(
            key=lambda entry: tuple(
                (value is None, value if isinstance(value, int) else str(value)) for value in entry[0]
            )
        )
    profiles = profile_options(forms, selected.definition) if set(domain_groups) & set(PROFILE_GROUPS) else None
    values, names = _labels(session, domain_groups, [rest for rest, _owner, _estimates in kept], profiles)
    kinds = _kinds(group_by)
    root_id = selected.root.id if selected.root else None
    on = judged_on(filters, selected.meta)
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
                Row(
                    value,
                    name,
                    indicator,
                    selected.names.get(estimate.metric, estimate.metric),
                    judge(estimate, target),
                )
            )
        return out

    rows: list[Row] = []
    for (_rest, owner, estimates), value, name in zip(kept, values, names, strict=True):
        name.pop("counter_agency", None)
        rows += rows_of(estimates, owner if owner is not None else root_id, value, name)
    totals = rows_of(total, root_id, {}, {}) if domain_groups else rows
    unit_mean: list[Row] = []
    if domain_groups == ["agency"] and selected.keep is None:
        target = {row.indicator: row.estimate.target for row in totals}
        for row in totals:
            units = [found.estimate for found in rows if found.indicator == row.indicator]
            options = Options(level=filters.level, method=filters.method, target=target[row.indicator])
            mean = mean_of_units(row.estimate.metric, row.estimate.kind, units, options)
            unit_mean.append(Row({}, {}, row.indicator, row.name, mean))
    return Result(selected.meta, rows, totals, unit_mean)


def _selection_total(
    table: PsuTable, keys: Sequence[tuple[Any, ...]], strata: StrataInfo, selected: FigureSelection, filters: Filters
) -> list[Estimate]:
    """The estimates of the whole selection from its domains' sums: every domain added up into one, but those left
    out by the channel or procedure-field filters (their first key, ``_keep``, is 0)."""
    mapping = [0 if selected.keep is None or key[0] == 1 else -1 for key in keys]
    return estimate_domains(
        merge_domains(table, mapping),
        strata,
        selected.query.items,
        selected.measures.indices,
        domains=1,
        level=filters.level,
        method=filters.method,
    )[0]


def _with_suspected(wide: Sums, widened: FigureSelection, filters: Filters, totals: Sequence[Row]) -> dict[str, float]:
    """The total indicators' estimates with the suspected spam counted: the widened selection's sums (its own design
    and weights) added up into its total."""
    found = _selection_total(wide.table, wide.keys, replace(wide.strata, lonely_psu="adjust"), widened, filters)
    by_indicator = {indicator_of(estimate): estimate.estimate * 100 for estimate in found}
    return {row.indicator: by_indicator[row.indicator] for row in totals if row.indicator in by_indicator}


# --- rankings and trends --------------------------------------------------------------------------------------


def pick(estimates: Sequence[Estimate], indicator: str) -> Estimate | None:
    return next((e for e in estimates if indicator_of(e) == indicator), None)


def metric_code(items: Sequence[str], indicator: str, measures_: Measures) -> str:
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
