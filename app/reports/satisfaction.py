"""Officials' figures: satisfaction per agency, counter, element, item, month, quarter or channel, with the total of
the selection, the published plain mean of units and the sensitivity to flagged answers. The selection and its design
are ``app/reports/selection.py``; all arithmetic is ``app/stats`` on the sums of ``app/reports/sums.py``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import case, literal, select
from sqlalchemy.orm import Session

from app.db import in_one_snapshot
from app.directory.models import Agency, Counter
from app.errors import Invalid
from app.forms.indices import Measures
from app.forms.loader import RegisteredForm
from app.officials.scope import Scope
from app.reference.targets import targets_for
from app.reports.query import Meta
from app.reports.selection import figure_selection, month_label, quarter_label, quarter_of
from app.reports.sums import Column, fetch_sums
from app.responses.models import Channel, Response
from app.responses.selection import Filters
from app.stats.estimates import Estimate, Options, estimate_domains, judged, mean_of_units
from app.stats.tables import merge_domains

GROUPS = ("agency", "counter", "element", "item", "month", "quarter", "channel")
DOMAIN_GROUPS = ("agency", "counter", "month", "quarter", "channel")


@dataclass(frozen=True)
class Row:
    keys: dict[str, str | None]  # group → value (agency code, counter code, "2026-10", "2026-Q4", channel)
    names: dict[str, str | None]  # group → display name (agency and counter names, in Vietnamese)
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
                value[group] = month_label(int(raw))
            elif group == "quarter":
                value[group] = quarter_label(int(raw))
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
    selected = figure_selection(session, scope, forms, filters)
    domain_groups = [group for group in DOMAIN_GROUPS if group in group_by]
    domains: list[tuple[str, Column]] = [(group, _domain_expression(group)) for group in domain_groups]
    if selected.keep is not None:
        domains.insert(0, ("_keep", case((selected.keep, 1), else_=0)))
    if "counter" in domain_groups:
        domains.append(("_counter_agency", Response.agency_id))
    query = replace(selected.query, domains=domains)
    sums = fetch_sums(session, query)
    strata = replace(sums.strata, lonely_psu="adjust")
    results = estimate_domains(
        sums.table,
        strata,
        query.items,
        selected.measures.indices,
        domains=len(sums.keys),
        level=filters.level,
        method=filters.method,
    )
    kept: list[tuple[tuple[Any, ...], int | None, list[Estimate]]] = []
    for key, estimates in zip(sums.keys, results, strict=True):
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
        mapping = [0 if selected.keep is None or key[0] == 1 else -1 for key in sums.keys]
        merged = merge_domains(sums.table, mapping)
        total = estimate_domains(
            merged,
            strata,
            query.items,
            selected.measures.indices,
            domains=1,
            level=filters.level,
            method=filters.method,
        )[0]
    values, names = _labels(session, domain_groups, [rest for rest, _owner, _estimates in kept])
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
    meta = selected.meta
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
    widened = figure_selection(session, scope, forms, filters, with_suspected=True)
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
