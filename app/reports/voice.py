"""The voice of the citizen: why people are dissatisfied (the tally of the reason question), and the counters a
page can filter by. What they wrote is app/reports/comments.py; the moderation of abusive comments,
app/reports/moderation.py.

**Reasons.** A form's reason question is a multiple-choice item asked only after a dissatisfied answer
(``show_if`` on a scale item, every level it lists not satisfied: counter-quick's "Điều gì khiến Ông/Bà chưa hài
lòng?" after an overall 1 or 2). For each option: how many answers chose it, and its share among the respondents who
answered the question — weighted, with strata, PSUs and weights exactly as the satisfaction figures
(:func:`app.reports.selection.figure_selection`: the official's scope, the period, suspected spam and test answers
left out). Each option is a yes/no answer of those respondents, so its share is a ratio estimate like an item rate:
the per-(stratum, PSU) sums go to :func:`app.stats.estimates.estimate_domains` (the same interval method, design
effect, degrees of freedom and NCHS reliability flags; no estimator of its own). Respondents outside the domain (a
counter, a channel) keep their strata and PSUs in the variance, as R's ``svyby`` does. A respondent may choose
several reasons, so the shares add up to more than 100%.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, Text, and_, case, cast, func, literal, select
from sqlalchemy.orm import Session

from app.db import in_one_snapshot
from app.directory.models import Agency, Counter
from app.errors import Invalid, NotFound
from app.forms.loader import RegisteredForm
from app.forms.schemas import FormDefinition, Item, ItemType
from app.forms.schemas import Text as FormText
from app.officials.scope import Scope
from app.reports.query import Meta
from app.reports.selection import figure_selection
from app.reports.sums import SumsQuery, design_parts, selected, strata_columns
from app.responses.models import Answer, Response
from app.responses.selection import Filters, agency_selection
from app.stats.estimates import Estimate, estimate_domains
from app.stats.tables import PsuTable, StrataInfo

Forms = dict[tuple[str, int], RegisteredForm]
PER_PAGE = 50
MAX_PER_PAGE = 200
MAX_QUERY_LENGTH = 200
CHUNK = 2000  # responses whose comments are read in one statement


# --- reasons ---------------------------------------------------------------------------------------------------


def reason_items(definition: FormDefinition) -> list[Item]:
    """The form's reason questions: multiple-choice items shown only after dissatisfied answers of a scale item."""
    found: list[Item] = []
    for item in definition.items:
        if item.type is not ItemType.multiple_choice or item.show_if is None:
            continue
        trigger = definition.items_by_code.get(item.show_if.item)
        if trigger is None or trigger.type is not ItemType.scale:
            continue
        satisfied = definition.satisfied_levels(trigger)
        if satisfied and all(value not in satisfied for value in item.show_if.in_):
            found.append(item)
    return found


@dataclass(frozen=True)
class ReasonShare:
    option: str
    label: FormText
    count: int  # answers that chose it (responses, unweighted)
    estimate: Estimate | None  # its weighted share among those asked; None when nobody answered the question


@dataclass(frozen=True)
class ReasonTally:
    item: str
    question: FormText
    after_item: str  # asked after these answers of this question
    after_question: FormText
    after_levels: tuple[int, ...]
    asked: int  # respondents who answered the reason question (in the domain)
    shares: list[ReasonShare]


@dataclass(frozen=True)
class Reasons:
    meta: Meta
    counter: str | None  # "AGENCY/COUNTER" when the tally is one counter's
    tallies: list[ReasonTally]


def find_counter(session: Session, scope: Scope, filters: Filters, counter: str) -> Counter:
    """A counter named ``AGENCY/CODE`` (or ``CODE`` of the agency asked about) among the agencies the filters select
    inside the official's scope; otherwise the same 404 as for a counter that does not exist."""
    owner_code, _, code = counter.strip().rpartition("/")
    owner_code = owner_code or (filters.agency or "")
    if not owner_code or not code:
        raise Invalid(f"counter: {counter!r} is not AGENCY/CODE (or a CODE with agency=…)")
    root, _inside = agency_selection(session, scope, filters)
    query = (
        select(Counter)
        .join(Agency, Agency.id == Counter.agency_id)
        .where(Agency.code == owner_code, Counter.code == code, scope.agencies())
    )
    if root is not None:
        below = Agency.path.startswith(root.path, autoescape=True) if filters.subtree else Agency.id == root.id
        query = query.where(below)
    found = session.scalar(query)
    if found is None:
        raise NotFound(f"counter: no counter {counter!r} in the agencies asked about")
    return found


def counter_label(session: Session, counter: Counter) -> str:
    """``AGENCY/CODE``: a counter's name in queries and answers (counter codes repeat between agencies)."""
    owner = session.get(Agency, counter.agency_id)
    return f"{owner.code if owner else counter.agency_id}/{counter.code}"


def _stratum_psus(session: Session, query: SumsQuery) -> list[Any]:
    """PSUs per stratum over the whole selection (every response, whether it answered the question or not), as
    :func:`app.reports.sums.fetch_sums` counts them: domains keep the design's strata and PSUs."""
    strata = [column.label(f"s{i}") for i, column in enumerate(strata_columns(query))]
    if query.psu is None:
        psus = func.count(Response.cluster.distinct()) + func.sum(case((Response.cluster.is_(None), 1), else_=0))
        return list(session.execute(selected(query, *strata, psus).group_by(*strata)).all())
    labelled = [column.label(f"p{i}") for i, column in enumerate(query.psu)]
    distinct = selected(query, *strata, *labelled).distinct().subquery()
    columns = [distinct.c[f"s{i}"] for i in range(len(strata))]
    return list(session.execute(select(*columns, func.count()).group_by(*columns)).all())


@dataclass(frozen=True)
class _ChoiceSums:
    table: PsuTable
    strata: StrataInfo
    codes: list[str]  # the options, in the table's column order
    counts: dict[str, int]  # answers that chose each option
    asked: int  # respondents who answered the question


def _choice_sums(
    session: Session, query: SumsQuery, item: str, options: Sequence[str], domain: ColumnElement[bool] | None
) -> _ChoiceSums:
    """Per (stratum, PSU) of the domain: respondents who answered the multiple-choice ``item`` (every option column:
    "answered"), their Σw, and the Σw of those who chose each option ("satisfied") — the sums an item rate is made
    from. The database groups respondents by (stratum, PSU, weighting cell, chosen set); choice sets are few."""
    strata = [column.label(f"s{i}") for i, column in enumerate(strata_columns(query))]
    cell = [query.weight_cell.label("cell")] if query.weight_cell is not None else []
    inside = [case((domain, 1), else_=0).label("d")] if domain is not None else []
    rows: list[Any] = []
    for index, part in enumerate(design_parts(query)):
        psu = [column.label(f"p{i}") for i, column in enumerate(part.psu)]
        per_response = (
            selected(query, *inside, *strata, *psu, *cell, cast(Answer.value_json, Text).label("chosen"))
            .add_columns(query.weight.label("w"))
            .join(Answer, and_(Answer.response_id == Response.id, Answer.item_code == item))
            .where(Answer.value_json.is_not(None), *part.where)
            .subquery("per_response")
        )
        keys = [per_response.c[column.name] for column in (*inside, *strata, *psu, *cell)]
        grouped = select(
            *keys[: len(inside) + len(strata)],
            literal(index),
            *keys[len(inside) + len(strata) :],
            per_response.c.chosen,
            func.count(),
            func.sum(per_response.c.w),
        ).group_by(*keys, per_response.c.chosen)
        rows += session.execute(grouped).all()
    stratum_rows = _stratum_psus(session, query)
    width_s = len(strata)
    strata_index = {tuple(row[:width_s]): i for i, row in enumerate(stratum_rows)}
    psus_per_stratum = np.array([float(row[width_s]) for row in stratum_rows])
    parsed: list[tuple[tuple[Any, ...], tuple[Any, ...], list[str], float, float]] = []
    codes = list(options)
    skip = len(inside)
    psu_end = skip + width_s + 1 + len(design_parts(query)[0].psu)
    for row in rows:
        if inside and row[0] != 1:
            continue
        chosen_text = row[psu_end + len(cell)]
        chosen = json.loads(chosen_text) if isinstance(chosen_text, str) else list(chosen_text or [])
        picked = sorted({str(code) for code in chosen})
        codes += [code for code in picked if code not in codes]  # options of an older version are kept
        count, weight = float(row[-2]), float(row[-1] or 0.0)
        if query.stratum_weights is not None:
            weight *= query.stratum_weights[
                tuple(row[skip : skip + width_s]) + tuple(row[psu_end : psu_end + len(cell)])
            ]
        parsed.append((tuple(row[skip : skip + width_s]), tuple(row[skip:psu_end]), picked, count, weight))
    position = {code: k for k, code in enumerate(codes)}
    pair_index: dict[tuple[Any, ...], int] = {}
    stratum: list[int] = []
    for stratum_key, unit, _picked, _count, _weight in parsed:
        if unit not in pair_index:
            pair_index[unit] = len(pair_index)
            stratum.append(strata_index[stratum_key])
    size, k_items = len(pair_index), len(codes)
    answers = np.zeros((size, k_items))
    answered = np.zeros((size, k_items))
    satisfied = np.zeros((size, k_items))
    counts = dict.fromkeys(codes, 0)
    asked = 0
    for _stratum_key, unit, picked, count, weight in parsed:
        pair = pair_index[unit]
        answers[pair] += count
        answered[pair] += weight
        asked += int(count)
        for code in picked:
            satisfied[pair, position[code]] += weight
            counts[code] += int(count)
    table = PsuTable(
        domain=np.zeros(size, dtype=np.intp),
        stratum=np.array(stratum, dtype=np.intp),
        psu=np.arange(size, dtype=np.intp),
        answers=answers,
        answered=answered,
        satisfied=satisfied,
        profiles=None,
    )
    strata_info = StrataInfo(psus_per_stratum, np.zeros(psus_per_stratum.size), "adjust")
    return _ChoiceSums(table, strata_info, codes, counts, asked)


@in_one_snapshot
def reasons(session: Session, *, scope: Scope, forms: Forms, filters: Filters, counter: str | None = None) -> Reasons:
    """The tally of each reason question of the selection's form: answers and weighted share (with its interval and
    reliability flags) per option, among the respondents who answered the question."""
    figures = figure_selection(session, scope, forms, filters)
    domain_parts: list[ColumnElement[bool]] = [figures.keep] if figures.keep is not None else []
    label = None
    if counter:
        found = find_counter(session, scope, filters, counter)
        domain_parts.append(Response.counter_id == found.id)
        label = counter_label(session, found)
    domain = and_(*domain_parts) if domain_parts else None
    definition = figures.definition
    tallies: list[ReasonTally] = []
    for item in reason_items(definition):
        options = [option.code for option in item.options or []]
        sums = _choice_sums(session, figures.query, item.code, options, domain)
        estimates: dict[str, Estimate] = {}
        if sums.asked:
            found_estimates = estimate_domains(
                sums.table, sums.strata, sums.codes, domains=1, level=filters.level, method=filters.method
            )[0]
            estimates = {estimate.metric: estimate for estimate in found_estimates}
        labels = {option.code: option.label for option in item.options or []}
        shares = [
            ReasonShare(
                code, labels.get(code, FormText(vi=code, en=code)), sums.counts.get(code, 0), estimates.get(code)
            )
            for code in sums.codes
        ]
        assert item.show_if is not None  # a reason item is shown after an answer
        trigger = definition.item(item.show_if.item)
        levels = tuple(int(value) for value in item.show_if.in_)
        tallies.append(ReasonTally(item.code, item.text, trigger.code, trigger.text, levels, sums.asked, shares))
    return Reasons(figures.meta, label, tallies)


@dataclass(frozen=True)
class CounterChoice:
    value: str  # AGENCY/CODE, as the filters take it
    agency_name: FormText
    name: FormText


def counters_below(session: Session, *, scope: Scope, root: Agency | None) -> list[CounterChoice]:
    """The counters of ``root``'s subtree (the whole scope when None) that the official may see, for a filter."""
    query = select(Counter, Agency).join(Agency, Agency.id == Counter.agency_id).where(scope.agencies())
    if root is not None:
        query = query.where(Agency.path.startswith(root.path, autoescape=True))
    rows = session.execute(query.order_by(Agency.path, Counter.code)).all()
    return [
        CounterChoice(
            f"{agency.code}/{counter.code}",
            FormText(vi=agency.name_vi, en=agency.name_en),
            FormText(vi=counter.name_vi, en=counter.name_en),
        )
        for counter, agency in rows
    ]
