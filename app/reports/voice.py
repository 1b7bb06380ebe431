"""The voice of the citizen: why people are dissatisfied (the tally of the reason question) and what they wrote
(the comments feed, personal data masked, searchable with or without diacritics), and the moderation of abusive
comments.

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

**Comments.** The answers to the form's ``comment`` items, newest first, 50 a page, filtered by period, counter,
and the answer to an element or question (e.g. the overall answer 1–2); suspected spam, test responses and hidden
comments never appear. Every text leaves this module masked (:func:`app.responses.masking.mask`): the raw text never
reaches the dashboard, the API or a download. The search (``q``) folds both sides (:func:`app.responses.masking.fold`:
no diacritics, đ → d, case-folded) and runs over the *masked* text in Python — so that a search for a phone number
or a name cannot reveal which comment held it, which a stored normalised column of the raw text would — on the
comments the other filters leave (a few per cent of the responses; measured in docs/dashboard.md).

**Moderation.** An administrator hides a comment in their scope from the feed and its export (and shows it again),
with a reason; the comment is kept, the decision is in ``comment_moderation`` and the audit log.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, Text, and_, case, cast, exists, func, literal, select
from sqlalchemy.orm import Session

from app.audit.service import record
from app.db import in_one_snapshot, utcnow
from app.directory.models import Agency, Counter
from app.errors import Forbidden, Invalid, NotFound
from app.forms.loader import RegisteredForm
from app.forms.schemas import FormDefinition, Item, ItemType
from app.forms.schemas import Text as FormText
from app.officials.scope import Scope
from app.reports.query import Meta
from app.reports.selection import figure_selection
from app.reports.sums import SumsQuery, _parts, _select, _strata
from app.responses.masking import Lang, fold, mask
from app.responses.models import Answer, Channel, CommentModeration, Response
from app.responses.selection import Filters, agency_selection, choose_form
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
    strata = [column.label(f"s{i}") for i, column in enumerate(_strata(query))]
    if query.psu is None:
        psus = func.count(Response.cluster.distinct()) + func.sum(case((Response.cluster.is_(None), 1), else_=0))
        return list(session.execute(_select(query, *strata, psus).group_by(*strata)).all())
    labelled = [column.label(f"p{i}") for i, column in enumerate(query.psu)]
    distinct = _select(query, *strata, *labelled).distinct().subquery()
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
    strata = [column.label(f"s{i}") for i, column in enumerate(_strata(query))]
    cell = [query.weight_cell.label("cell")] if query.weight_cell is not None else []
    inside = [case((domain, 1), else_=0).label("d")] if domain is not None else []
    rows: list[Any] = []
    for index, part in enumerate(_parts(query)):
        psu = [column.label(f"p{i}") for i, column in enumerate(part.psu)]
        per_response = (
            _select(query, *inside, *strata, *psu, *cell, cast(Answer.value_json, Text).label("chosen"))
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
    psu_end = skip + width_s + 1 + len(_parts(query)[0].psu)
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
    selected = figure_selection(session, scope, forms, filters)
    domain_parts: list[ColumnElement[bool]] = [selected.keep] if selected.keep is not None else []
    label = None
    if counter:
        found = find_counter(session, scope, filters, counter)
        domain_parts.append(Response.counter_id == found.id)
        label = counter_label(session, found)
    domain = and_(*domain_parts) if domain_parts else None
    definition = selected.definition
    tallies: list[ReasonTally] = []
    for item in reason_items(definition):
        options = [option.code for option in item.options or []]
        sums = _choice_sums(session, selected.query, item.code, options, domain)
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
    return Reasons(selected.meta, label, tallies)


# --- comments --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CommentFilters:
    """What the comments feed is asked: the selection (agency, period, form, channel), then the feed's own."""

    selection: Filters
    counter: str | None = None  # AGENCY/CODE, or CODE of the agency asked about
    element: str | None = None  # an element code or a scale item code (default with ``answer``: the lead question)
    answer: str | None = None  # answer levels: "1,2", "1-2", "4"
    q: str | None = None  # words to find (folded: with or without diacritics)
    page: int = 1
    per_page: int = PER_PAGE
    hidden: bool = False  # the hidden comments instead (administrators)


@dataclass(frozen=True)
class Choice:
    """A question or an element the feed can be filtered by (its answer levels)."""

    code: str
    name: FormText
    levels: tuple[tuple[int, FormText], ...]


@dataclass(frozen=True)
class CommentEntry:
    response_id: int
    submitted_at: datetime
    local_date: date
    agency: str
    agency_name: FormText
    counter: str | None
    counter_name: FormText | None
    channel: Channel
    lead_answer: int | None  # the answer to the form's lead question
    lead_label: FormText | None  # that answer's level label
    text: str  # masked
    hidden: bool
    moderated_by: str | None
    moderated_at: datetime | None
    moderation_reason: str | None


@dataclass(frozen=True)
class CommentPage:
    form: str  # id@version whose definition names the questions
    lead: Choice | None  # the lead question (each comment shows its answer)
    choices: list[Choice]  # what element/answer can filter by
    total: int
    hidden_total: int  # comments of the selection that administrators have hidden
    page: int
    per_page: int
    counter: str | None
    items: list[CommentEntry]

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def lead_item(definition: FormDefinition) -> Item | None:
    """The question a comment is shown with: the form's first required scale item (counter-quick: the overall
    rating), else its first scale item."""
    scales = [item for item in definition.items if item.type is ItemType.scale and definition.satisfied_levels(item)]
    required = [item for item in scales if item.required]
    chosen = required or scales
    return chosen[0] if chosen else None


def _levels(definition: FormDefinition, item: Item) -> tuple[tuple[int, FormText], ...]:
    scale = definition.scales[item.scale] if item.scale else None
    return tuple((level.value, level.label) for level in scale.levels) if scale else ()


def choices(definition: FormDefinition) -> list[Choice]:
    """The scale questions outside every element (e.g. the overall rating), then the elements."""
    out = [
        Choice(item.code, item.text, _levels(definition, item))
        for item in definition.items
        if item.type is ItemType.scale and item.element is None and definition.satisfied_levels(item)
    ]
    for element in definition.elements:
        members = [item for item in definition.items if item.element == element.code and item.scale]
        levels: dict[int, FormText] = {}
        for member in members:
            for value, text in _levels(definition, member):
                levels.setdefault(value, text)
        out.append(Choice(element.code, element.name, tuple(sorted(levels.items()))))
    return out


def parse_levels(text: str) -> tuple[int, ...]:
    """ "1,2", "1-2" or "4" → the answer levels; Invalid names what cannot be read."""
    levels: set[int] = set()
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        low, dash, high = part.partition("-")
        if not low.isdigit() or (dash and not high.isdigit()):
            raise Invalid(f"answer: {text!r} is not answer levels such as 1,2 or 1-2")
        first, last = int(low), int(high) if dash else int(low)
        if first > last or last - first > 100:
            raise Invalid(f"answer: {part!r} is not a range of answer levels such as 1-2")
        levels.update(range(first, last + 1))
    if not levels:
        raise Invalid(f"answer: {text!r} is not answer levels such as 1,2 or 1-2")
    return tuple(sorted(levels))


def _answer_condition(
    definition: FormDefinition, element: str | None, answer: str | None
) -> ColumnElement[bool] | None:
    """Responses that answered ``element`` (an element: any of its questions; or a scale question; default: the lead
    question) at one of the ``answer`` levels; None without ``answer`` (``element`` is still checked)."""
    if element is None and answer is None:
        return None
    lead = lead_item(definition)
    code = element or (lead.code if lead else None)
    known = {choice.code: choice for choice in choices(definition)}
    item = definition.items_by_code.get(code or "")
    if code is None or (code not in known and (item is None or item.type is not ItemType.scale)):
        raise Invalid(f"element: {code!r} is neither an element nor a scale question of form {definition.id}")
    if answer is None:
        return None
    if item is not None and item.type is ItemType.scale:
        items, allowed = [item.code], {value for value, _text in _levels(definition, item)}
    else:
        items = [member.code for member in definition.items if member.element == code and member.scale]
        allowed = {value for value, _text in known[code].levels}
    levels = parse_levels(answer)
    unknown = [level for level in levels if level not in allowed]
    if unknown:
        raise Invalid(f"answer: {unknown} are not answer levels of {code!r} ({', '.join(map(str, sorted(allowed)))})")
    return exists().where(Answer.response_id == Response.id, Answer.item_code.in_(items), Answer.value_int.in_(levels))


def _comment_codes(forms: Forms, version_ids: Sequence[int]) -> list[str]:
    codes = {
        item.code
        for found in forms.values()
        if found.form_version_id in version_ids
        for item in found.definition.items
        if item.type is ItemType.comment
    }
    return sorted(codes)


@dataclass(frozen=True)
class _Feed:
    definition: FormDefinition
    conditions: list[ColumnElement[bool]]  # everything but the moderation state
    codes: list[str]  # comment item codes
    counter: str | None


def _feed(session: Session, scope: Scope, forms: Forms, asked: CommentFilters) -> _Feed:
    filters = asked.selection
    filters.check()
    _root, agencies = agency_selection(session, scope, filters)
    base: list[ColumnElement[bool]] = [agencies]
    if filters.date_from:
        base.append(Response.local_date >= filters.date_from)
    if filters.date_to:
        base.append(Response.local_date <= filters.date_to)
    registered, version_ids = choose_form(session, forms, filters, base)
    definition = registered.definition
    codes = _comment_codes(forms, version_ids)
    conditions = [
        *base,
        Response.form_version_id.in_(version_ids),
        Response.is_suspected_spam.is_(False),
        Response.is_test.is_(False),
        exists().where(
            Answer.response_id == Response.id,
            Answer.item_code.in_(codes or [""]),
            Answer.value_text.is_not(None),
            Answer.value_text != "",
        ),
    ]
    if filters.channel is not None:
        conditions.append(Response.channel == filters.channel)
    label = None
    if asked.counter:
        found = find_counter(session, scope, filters, asked.counter)
        conditions.append(Response.counter_id == found.id)
        label = counter_label(session, found)
    answered = _answer_condition(definition, asked.element, asked.answer)
    if answered is not None:
        conditions.append(answered)
    return _Feed(definition, conditions, codes, label)


def _hidden(hidden: bool) -> ColumnElement[bool]:
    moderated = exists().where(CommentModeration.response_id == Response.id, CommentModeration.hidden.is_(True))
    return moderated if hidden else ~moderated


def _texts(session: Session, codes: Sequence[str], ids: Sequence[int]) -> dict[int, str]:
    """The comments of these responses (several comment items joined by a blank line), raw."""
    found: dict[int, list[str]] = {}
    for chunk in range(0, len(ids), CHUNK):
        rows = session.execute(
            select(Answer.response_id, Answer.value_text)
            .where(Answer.response_id.in_(ids[chunk : chunk + CHUNK]), Answer.item_code.in_(codes or [""]))
            .order_by(Answer.response_id, Answer.item_code)
        )
        for response_id, value in rows:
            if value:
                found.setdefault(response_id, []).append(value)
    return {response_id: "\n\n".join(parts) for response_id, parts in found.items()}


def _ordered_ids(conditions: Sequence[ColumnElement[bool]]) -> Any:
    return select(Response.id).where(*conditions).order_by(Response.submitted_at.desc(), Response.id.desc())


def _masked_texts(
    session: Session, feed: _Feed, conditions: Sequence[ColumnElement[bool]], lang: Lang
) -> Iterator[tuple[int, str]]:
    """(id, masked text) of every comment of the selection, newest first, read a few thousand at a time."""
    ids = list(session.scalars(_ordered_ids(conditions)))
    for chunk in range(0, len(ids), CHUNK):
        part = ids[chunk : chunk + CHUNK]
        texts = _texts(session, feed.codes, part)
        for response_id in part:
            yield response_id, mask(texts.get(response_id, ""), lang)


def _matching(
    session: Session, feed: _Feed, conditions: Sequence[ColumnElement[bool]], query: str, lang: Lang
) -> list[tuple[int, str]]:
    """(id, masked text) of the comments whose masked text holds every word of ``query``, both folded."""
    words = fold(query).split()
    return [
        (number, text)
        for number, text in _masked_texts(session, feed, conditions, lang)
        if all(word in fold(text) for word in words)
    ]


def _entries(
    session: Session, feed: _Feed, ids: Sequence[int], masked: dict[int, str], lang: Lang
) -> list[CommentEntry]:
    if not ids:
        return []
    lead = lead_item(feed.definition)
    lead_answers: dict[int, int] = {}
    if lead is not None:
        answered = session.execute(
            select(Answer.response_id, Answer.value_int).where(
                Answer.response_id.in_(ids), Answer.item_code == lead.code, Answer.value_int.is_not(None)
            )
        )
        lead_answers = {number: int(value) for number, value in answered if value is not None}
    levels = dict(_levels(feed.definition, lead)) if lead is not None else {}
    missing = [number for number in ids if number not in masked]
    raw = _texts(session, feed.codes, missing)
    masked = {**masked, **{number: mask(text, lang) for number, text in raw.items()}}
    rows = session.execute(
        select(
            Response.id,
            Response.submitted_at,
            Response.local_date,
            Response.channel,
            Agency.code,
            Agency.name_vi,
            Agency.name_en,
            Counter.code,
            Counter.name_vi,
            Counter.name_en,
            CommentModeration.hidden,
            CommentModeration.changed_by,
            CommentModeration.changed_at,
            CommentModeration.reason,
        )
        .join(Agency, Agency.id == Response.agency_id)
        .outerjoin(Counter, Counter.id == Response.counter_id)
        .outerjoin(CommentModeration, CommentModeration.response_id == Response.id)
        .where(Response.id.in_(ids))
    ).all()
    by_id: dict[int, Any] = {row[0]: row for row in rows}
    out: list[CommentEntry] = []
    for number in ids:
        row = by_id[number]
        answer = lead_answers.get(number)
        out.append(
            CommentEntry(
                response_id=number,
                submitted_at=row[1],
                local_date=row[2],
                channel=row[3],
                agency=row[4],
                agency_name=FormText(vi=row[5], en=row[6]),
                counter=row[7],
                counter_name=FormText(vi=row[8], en=row[9]) if row[7] is not None else None,
                lead_answer=answer,
                lead_label=levels.get(answer) if answer is not None else None,
                text=masked.get(number, ""),
                hidden=bool(row[10]),
                moderated_by=row[11],
                moderated_at=row[12],
                moderation_reason=row[13],
            )
        )
    return out


@in_one_snapshot
def comments(
    session: Session,
    *,
    scope: Scope,
    forms: Forms,
    asked: CommentFilters,
    lang: Lang = "vi",
    hidden_allowed: bool = False,
) -> CommentPage:
    """One page of the comments feed, newest first, every text masked in ``lang``; ``asked.hidden`` (administrators:
    ``hidden_allowed``) lists the hidden comments instead."""
    if asked.hidden and not hidden_allowed:
        raise Forbidden("hidden: only administrators see hidden comments")
    if asked.page < 1 or not 1 <= asked.per_page <= MAX_PER_PAGE:
        raise Invalid(f"page: pages start at 1 and hold 1 to {MAX_PER_PAGE} comments")
    query = (asked.q or "").strip()
    if len(query) > MAX_QUERY_LENGTH:
        raise Invalid(f"q: at most {MAX_QUERY_LENGTH} characters")
    feed = _feed(session, scope, forms, asked)
    conditions = [*feed.conditions, _hidden(asked.hidden)]
    first = (asked.page - 1) * asked.per_page
    masked: dict[int, str] = {}
    if query and fold(query):
        found = _matching(session, feed, conditions, query, lang)
        total = len(found)
        page_rows = found[first : first + asked.per_page]
        ids = [number for number, _text in page_rows]
        masked = dict(page_rows)
    else:
        total = int(session.scalar(select(func.count()).select_from(Response).where(*conditions)) or 0)
        ids = list(session.scalars(_ordered_ids(conditions).limit(asked.per_page).offset(first)))
    hidden_total = int(
        session.scalar(select(func.count()).select_from(Response).where(*feed.conditions, _hidden(True))) or 0
    )
    definition = feed.definition
    lead = lead_item(definition)
    return CommentPage(
        form=f"{definition.id}@{definition.version}",
        lead=Choice(lead.code, lead.text, _levels(definition, lead)) if lead is not None else None,
        choices=choices(definition),
        total=total,
        hidden_total=hidden_total,
        page=asked.page,
        per_page=asked.per_page,
        counter=feed.counter,
        items=_entries(session, feed, ids, masked, lang),
    )


@in_one_snapshot
def all_comments(
    session: Session, *, scope: Scope, forms: Forms, asked: CommentFilters, lang: Lang = "vi"
) -> list[CommentEntry]:
    """Every comment of the feed's selection (visible ones only), newest first, masked: what a download holds."""
    feed = _feed(session, scope, forms, replace(asked, hidden=False))
    conditions = [*feed.conditions, _hidden(False)]
    query = (asked.q or "").strip()
    if len(query) > MAX_QUERY_LENGTH:
        raise Invalid(f"q: at most {MAX_QUERY_LENGTH} characters")
    if query and fold(query):
        found = _matching(session, feed, conditions, query, lang)
    else:
        found = list(_masked_texts(session, feed, conditions, lang))
    entries: list[CommentEntry] = []
    for chunk in range(0, len(found), CHUNK):
        part = found[chunk : chunk + CHUNK]
        entries += _entries(session, feed, [number for number, _ in part], dict(part), lang)
    return entries


# --- moderation ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Moderated:
    response_id: int
    hidden: bool
    changed: bool  # False when the comment already was in that state (nothing written)
    reason: str | None
    changed_by: str | None
    changed_at: datetime | None


def moderate(
    session: Session,
    *,
    scope: Scope,
    forms: Forms,
    response_id: int,
    hide: bool,
    reason: str,
    client_ip: str | None = None,
) -> Moderated:
    """Hide a comment in the caller's scope from the feed and its export (``hide``), or show it again, with a
    reason; audited (``comment.hide`` / ``comment.show``) and committed. A response outside the scope, unknown or
    without a comment answers the same 404. The same decision twice writes nothing."""
    reason = reason.strip()
    if not reason:
        raise Invalid("/reason: say why (it is kept in the audit log)")
    codes = sorted(
        {item.code for found in forms.values() for item in found.definition.items if item.type is ItemType.comment}
    )
    try:
        found = session.execute(
            select(Response.id)
            .where(
                Response.id == response_id,
                Response.agency_id.in_(scope.agency_ids()),
                exists().where(
                    Answer.response_id == Response.id,
                    Answer.item_code.in_(codes or [""]),
                    Answer.value_text.is_not(None),
                    Answer.value_text != "",
                ),
            )
            .with_for_update(of=Response)
        ).first()
        if found is None:
            raise NotFound(f"no comment with response id {response_id}")
        current = session.get(CommentModeration, response_id)
        was_hidden = bool(current is not None and current.hidden)
        if was_hidden == hide:
            session.rollback()
            return Moderated(
                response_id,
                was_hidden,
                False,
                current.reason if current else None,
                current.changed_by if current else None,
                current.changed_at if current else None,
            )
        now = utcnow()
        if current is None:
            current = CommentModeration(response_id=response_id, hidden=hide, reason=reason)
            session.add(current)
        current.hidden, current.reason, current.changed_by, current.changed_at = hide, reason, scope.username, now
        record(
            session,
            action="comment.hide" if hide else "comment.show",
            actor=scope.username,
            official_id=scope.official_id,
            object_type="response",
            object_id=response_id,
            details={
                "from": "hidden" if was_hidden else "visible",
                "to": "hidden" if hide else "visible",
                "reason": reason,
            },
            client_ip=client_ip,
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return Moderated(response_id, hide, True, reason, scope.username, now)


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
