"""The sums of the live design read from the summary of sufficient statistics (``ResponseSum``) and its tail.

``app.reports.sums.fetch_sums`` asks :func:`summary_rows` first. It serves a query of the live design (strata agency ×
month, PSUs counter × week, the stored weight, population weights applied per stratum after the GROUP BY) whose
filters, domains and joins use only columns the summary keeps (agency, month, counter, form version, channel,
procedure field, flags): each expression is rewritten onto the summary's columns, and an expression on anything else
(the hour of day, a respondent's profile, a date inside a month) makes it answer ``None``, so the caller reads every
answer instead. It returns rows of the shape the raw statement returns, so both paths share the assembly and give the
same sums:

- months the period covers whole: the summary's rows, plus responses of those months not yet folded in (the tail);
- months the period cuts (its first and last, when they do not start or end with the month): raw rows, per response.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import ColumnElement, Integer, and_, func, select, true, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnClause
from sqlalchemy.sql.visitors import replacement_traverse

from app.reports.fetching import fetch_columns, joined
from app.reports.numbering import Values, as_columns, kept, labels, value
from app.responses.models import RESPONSE_KEY, Answer, Response, ResponseSum, SummaryPlace
from app.responses.selection import answers_in_period
from app.responses.summary import (
    CHUNK,
    CHUNKS,
    code_columns,
    ends_month,
    in_tail,
    pattern_columns,
    read_places,
    week_of_month,
)

if TYPE_CHECKING:
    from app.reports.sums import SumsQuery

# The PSU column of the live design besides the counter: the week of the month (app.reports.selection uses it).
LIVE_WEEK: ColumnElement[Any] = week_of_month(Response.local_date)


class _NotServable(Exception):
    """An expression uses a column the summary does not keep."""


def _on_summary(expression: Any) -> Any:
    """``expression`` over ``responses`` rewritten onto ``response_sums``."""
    columns = ResponseSum.__table__.c
    direct: dict[str, ColumnElement[Any]] = {
        name: columns[name]
        for name in ("agency_id", "local_month", "form_version_id", "channel", "is_suspected_spam", "is_test")
    }
    # typed, so that the summary's rows can be read as integers (app/reports/fetching.py)
    direct |= {name: func.nullif(columns[name], 0, type_=Integer) for name in ("counter_id", "procedure_field_id")}

    def replace(element: Any, **_options: Any) -> Any:
        if element is LIVE_WEEK:
            return columns["week"]
        table = getattr(element, "table", None) if isinstance(element, ColumnClause) else None
        if table is None or table.name != Response.__tablename__:
            return None
        found = direct.get(element.key)
        if found is None:
            raise _NotServable(element.key)
        return found

    if hasattr(expression, "__clause_element__"):  # an ORM attribute such as Response.agency_id
        expression = expression.__clause_element__()
    options: dict[str, Any] = {}
    return replacement_traverse(expression, options, replace)


def _months(period: tuple[date | None, date | None]) -> tuple[list[ColumnElement[bool]], list[ColumnElement[bool]]]:
    """The conditions on the summary's months that the period covers whole, and the conditions on ``responses`` that
    pick the days of the period outside them (each a date range: the month the period starts inside, the month it
    ends inside; the whole period, and no summary month, when it covers no month whole)."""
    start, end = period
    whole: list[ColumnElement[bool]] = []
    cut: list[ColumnElement[bool]] = []
    low = high = None
    if start is not None:  # its month, or the next when the period starts inside it (numbers, not dates: the month
        year, month = start.year, start.month  # after 9999-12 is no date, but 1000001 bounds like any other)
        if start.day != 1:
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
            cut.append(Response.local_date <= start.replace(day=calendar.monthrange(start.year, start.month)[1]))
        low = year * 100 + month
        whole.append(ResponseSum.local_month >= low)
    if end is not None:  # its month, or the one before when the period ends inside it
        year, month = end.year, end.month
        if not ends_month(end):
            year, month = (year - 1, 12) if month == 1 else (year, month - 1)
            cut.append(Response.local_date >= end.replace(day=1))
        high = year * 100 + month
        whole.append(ResponseSum.local_month <= high)
    if low is not None and high is not None and low > high:
        return [ResponseSum.local_month.is_(None)], [true()]  # no whole month: every row from the raw tables
    return whole, cut


Assembly = tuple[list[Any], list[tuple[Any, ...]]]  # the raw assembly's columns, and its rows (stratum, PSUs in it)


def summary_rows(session: Session, query: SumsQuery) -> Assembly | None:
    """Columns (domain keys, stratum, part 0, PSU, weighting cell, the query's pattern codes, respondents, Σw) and
    rows (stratum, PSUs in it) for the raw assembly, or None when the summary cannot serve the query."""
    found = _fetched(session, query)
    if found is None:
        return None
    columns, versions = found
    return _as_raw(query, versions, columns, len(query.domains))


def summary_rows_split(session: Session, query: SumsQuery, flag: Any) -> tuple[Assembly, Assembly] | None:
    """One pass over the summary for two selections: ``query``'s, and the same without the responses where ``flag``
    (an integer expression, 0 or 1) is 1 — whose strata hold only the PSUs with a response left. None when the summary
    cannot serve the query."""
    domains = len(query.domains)
    found = _fetched(session, replace(query, domains=[*query.domains, ("_flag", flag)]))
    if found is None:
        return None
    columns, versions = found
    every = [*columns[:domains], *columns[domains + 1 :]]
    mask = np.asarray(columns[domains], dtype=np.int64) == 0
    unflagged = [kept(column, mask) for column in every]
    return _as_raw(query, versions, every, domains), _as_raw(query, versions, unflagged, domains)


def _fetched(session: Session, query: SumsQuery) -> tuple[list[Values], dict[int, list[str]]] | None:
    """The columns of the summary's and the raw tables' rows of the query (domain keys, stratum, PSU, cell, form
    version, its pattern codes, respondents, Σw), and each version's items in pattern order; None when not
    servable."""
    from app.reports.sums import STORED_WEIGHT

    if query.period is None or query.weight is not STORED_WEIGHT or query.psu is None or query.stratum is None:
        return None
    if len(query.psu) != 2 or query.psu[1] is not LIVE_WEEK or not query.form_versions:
        return None
    versions = _places(session, query.form_versions)
    if versions is None:
        return None
    filters = [condition for condition in query.filters if not any(condition is p for p in query.period_filters)]
    expressions = [expression for _name, expression in query.domains]
    design = [*query.stratum, *query.psu, *([query.weight_cell] if query.weight_cell is not None else [])]
    try:
        on_summary = [_on_summary(expression) for expression in [*expressions, *design]]
        summary_filters = [_on_summary(condition) for condition in filters]
        summary_joins = [(table, _on_summary(condition)) for table, condition in query.joins]
    except _NotServable:
        return None
    in_whole, cut = _months(query.period)
    labelled = [expression.label(f"k{i}") for i, expression in enumerate(on_summary)]
    folded = select(
        *labelled,
        ResponseSum.form_version_id,
        ResponseSum.pattern0,
        ResponseSum.pattern1,
        func.sum(ResponseSum.respondents),
        func.sum(ResponseSum.weight_sum),
    ).select_from(ResponseSum)
    for table, condition in summary_joins:
        folded = folded.join(table, condition, isouter=True)
    folded = folded.where(*summary_filters, *in_whole).group_by(
        *labelled, ResponseSum.form_version_id, ResponseSum.pattern0, ResponseSum.pattern1
    )
    connection = session.connection()
    summarized = fetch_columns(connection, folded)
    tail = as_columns(_tail(connection, query, [*expressions, *design], cut), len(summarized))
    return [joined(first, second) for first, second in zip(summarized, tail, strict=True)], versions


def _places(session: Session, form_versions: Sequence[int]) -> dict[int, list[str]] | None:
    """Each version's items in pattern order, or None when a version has no places (never summarized: too many
    items, or no refresh has met it yet — then its responses are all in the tail, and the raw path is as good)."""
    found = read_places(session, form_versions)
    return found if set(found) == set(form_versions) else None


def _tail(connection: Any, query: SumsQuery, expressions: list[Any], cut: list[ColumnElement[bool]]) -> list[Any]:
    """Per response, the rows the summary does not hold: not yet folded in, or in a month the period cuts. Each part is
    a statement of its own (disjoint: the tail, then folded responses in each cut range), so that each is read on its
    index — one ``OR`` of them made both databases read every response of the selection."""
    values = [func.max(expression).label(f"k{i}") for i, expression in enumerate(expressions)]
    per_response = (
        select(
            *values,
            func.max(Response.form_version_id).label("version"),
            *(code.label(f"p{chunk}") for chunk, code in enumerate(pattern_columns())),
            func.max(query.weight).label("w"),
        )
        .select_from(Response)
        .outerjoin(Answer, and_(*answers_in_period(query.period), Answer.satisfied.is_not(None)))
        .outerjoin(
            SummaryPlace,
            and_(SummaryPlace.form_version_id == Response.form_version_id, SummaryPlace.item_code == Answer.item_code),
        )
    )
    for table, condition in query.joins:
        per_response = per_response.join(table, condition, isouter=True)
    parts = [in_tail(), *(and_(Response.summarized.is_(True), days) for days in cut)]
    inner = union_all(*(per_response.where(*query.filters, part).group_by(*RESPONSE_KEY) for part in parts)).subquery(
        "tail"
    )
    keys = [inner.c[f"k{i}"] for i in range(len(expressions))]
    codes = [inner.c[f"p{chunk}"] for chunk in range(CHUNKS)]
    grouped = select(*keys, inner.c.version, *codes, func.count(), func.sum(inner.c.w)).group_by(
        *keys, inner.c.version, *codes
    )
    return list(connection.execute(grouped).all())


def _as_raw(
    query: SumsQuery, versions: dict[int, list[str]], columns: Sequence[Values], domains: int
) -> tuple[list[Any], list[tuple[Any, ...]]]:
    """Version patterns → the query's pattern codes; PSUs per stratum from every row (answered or not). Returns the
    columns of the raw assembly (rows without an answer to the query's items left out) and the stratum rows."""
    position = {code: j for j, code in enumerate(query.items)}
    chunks = code_columns(len(query.items))
    width = domains + 4 + (1 if query.weight_cell is not None else 0)  # domain keys, stratum, PSU, cell
    n = len(columns[-1])
    pattern, pattern_first = labels(columns[width : width + 1 + CHUNKS], n)
    recoded = np.array(
        [
            _recode(
                versions[value(columns[width], first)],
                value(columns[width + 1], first),
                value(columns[width + 2], first),
                position,
                chunks,
            )
            for first in pattern_first
        ],
        dtype=np.int64,
    ).reshape(-1, chunks)
    codes = recoded[pattern]
    # PSUs per stratum, over every row: the distinct (stratum, PSU) units, counted per stratum
    stratum, stratum_first = labels(columns[domains : domains + 2], n)
    _unit, unit_first = labels(columns[domains : domains + 4], n)
    per_stratum = np.bincount(stratum[unit_first], minlength=stratum_first.size)
    stratum_rows = [
        (value(columns[domains], first), value(columns[domains + 1], first), int(per_stratum[k]))
        for k, first in enumerate(stratum_first)
    ]
    answered: NDArray[np.bool_] = np.asarray(codes.any(axis=1), dtype=np.bool_).reshape(n)
    out: list[Any] = [kept(column, answered) for column in columns[: domains + 2]]
    out.append(np.zeros(int(answered.sum()), dtype=np.int64))  # the part (the live design has one statement)
    out += [kept(column, answered) for column in columns[domains + 2 : width]]
    out += [codes[answered, chunk] for chunk in range(chunks)]
    out += [kept(columns[-2], answered), kept(columns[-1], answered)]
    return out, stratum_rows


def _recode(items: list[str], first: int, second: int, position: dict[str, int], chunks: int) -> tuple[int, ...]:
    codes = [0] * chunks
    for j, code in enumerate(items):
        digit = ((first if j < CHUNK else second) // 3 ** (j % CHUNK)) % 3
        target = position.get(code)
        if digit and target is not None:
            codes[target // CHUNK] += digit * 3 ** (target % CHUNK)
    return tuple(codes)
