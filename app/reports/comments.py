"""The voice of the citizen: what people wrote (app/reports/voice.py has why they are dissatisfied).

**Comments.** The answers to the form's ``comment`` items, newest first, 50 a page, filtered by period, counter,
and the answer to an element or question (e.g. the overall answer 1–2); suspected spam, test responses and hidden
comments never appear. Every text leaves this module masked (:func:`app.responses.masking.mask`): the raw text never
reaches the dashboard, the API or a download. The search (``q``) folds both sides (:func:`app.responses.masking.fold`:
no diacritics, đ → d, case-folded) and runs over the *masked* text in Python — so that a search for a phone number
or a name cannot reveal which comment held it, which a stored normalised column of the raw text would — on the
comments the other filters leave (a few per cent of the responses; measured in docs/dashboard.md).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.orm import Session

from app.db import in_one_snapshot
from app.directory.models import Agency, Counter
from app.errors import Forbidden, Invalid
from app.forms.loader import RegisteredForm
from app.forms.schemas import FormDefinition, Item, ItemType
from app.forms.schemas import Text as FormText
from app.officials.scope import Scope
from app.reports.voice import counter_label, find_counter
from app.responses.masking import Lang, fold, mask
from app.responses.models import Answer, Channel, CommentModeration, Response
from app.responses.selection import Filters, agency_selection, choose_form, period

Forms = dict[tuple[str, int], RegisteredForm]
PER_PAGE = 50
MAX_PER_PAGE = 200
MAX_QUERY_LENGTH = 200
CHUNK = 2000  # responses whose comments are read in one statement


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


def comment_codes(forms: Forms, version_ids: Sequence[int] | None = None) -> list[str]:
    """The codes of the comment items of these form versions (of every form when None)."""
    codes = {
        item.code
        for found in forms.values()
        if version_ids is None or found.form_version_id in version_ids
        for item in found.definition.items
        if item.type is ItemType.comment
    }
    return sorted(codes)


def has_comment(codes: Sequence[str]) -> ColumnElement[bool]:
    """The response has a non-empty answer to one of the comment items ``codes``."""
    return exists().where(
        Answer.response_id == Response.id,
        Answer.item_code.in_(codes or [""]),
        Answer.value_text.is_not(None),
        Answer.value_text != "",
    )


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
    base += period(filters.date_from, filters.date_to)
    registered, version_ids = choose_form(session, forms, filters, base)
    definition = registered.definition
    codes = comment_codes(forms, version_ids)
    conditions = [
        *base,
        Response.form_version_id.in_(version_ids),
        Response.is_suspected_spam.is_(False),
        Response.is_test.is_(False),
        has_comment(codes),
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
