"""SQL pushdown: the database reduces responses to per-(domain, stratum, PSU, item) sums; ``app/stats`` does the rest.

One GROUP BY over ``answers ⨝ responses`` returns, for every domain, PSU and item, the number of answers, Σw and
Σw·satisfied; a second one the respondents and their Σw; a third the PSUs per stratum over the whole selection
(domains keep the design's strata, as R's ``svyby`` does). The statements use only portable SQL (COUNT, SUM,
COALESCE, CASE) and run unchanged on SQLite and PostgreSQL (a distributed PostgreSQL is not tested). Python
receives one row per (domain, PSU, item): memory grows with the number of PSUs, never with the number of responses.

The stored design (``stratum`` and ``psu`` left as ``None``) is grouped by the plain columns, not by expressions
such as ``COALESCE(cluster, 'response:' || id)``: PostgreSQL estimates the groups of an expression from every column
in it, would expect one group per response and give up hash aggregation and parallel workers (2× slower at a
million answers). Responses with a stored cluster and those that are their own PSU are therefore summed by two
statements, each with columns the planner knows.

Where the query is the live design, :func:`fetch_sums` first asks the summary of sufficient statistics
(``app/reports/from_summary.py``): rows of the same shape, counted per cell instead of per response, then the same
assembly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import BigInteger, ColumnElement, Float, and_, case, func, literal, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.db import FIGURES_SOURCE
from app.reports.from_summary import summary_rows, summary_rows_split
from app.reports.numbering import Values, as_columns, labels, value
from app.responses.models import RESPONSE_KEY, Answer, Response
from app.responses.selection import answers_in_period
from app.responses.summary import CHUNK, code_columns  # items per pattern code: 3^30 < 2^63, a BIGINT on every database
from app.stats.tables import Profiles, PsuTable, StrataInfo, grouped_sums

STORED_WEIGHT: ColumnElement[Any] = func.coalesce(Response.weight, literal(1.0, Float))


def stored_weight() -> ColumnElement[Any]:
    """The weight stored with a response (imports with ``--weight``), 1 when none was given."""
    return STORED_WEIGHT


Column = ColumnElement[Any] | InstrumentedAttribute[Any]


@dataclass(frozen=True)
class SumsQuery:
    """What to sum: items, domains (name, SQL expression), filters and the design. ``stratum`` and ``psu`` are
    the columns whose values together label a stratum and a PSU within it; ``None`` is the stored design: the
    stored stratum label, else the agency (every agency its own stratum), and the stored cluster label, else the
    response itself (one PSU per respondent). ``joins`` are left outer joins the other expressions need."""

    items: Sequence[str]
    domains: Sequence[tuple[str, Column]] = ()  # (name, expression); none: one domain, the selection
    filters: Sequence[ColumnElement[bool]] = ()
    weight: ColumnElement[Any] = field(default_factory=stored_weight)
    stratum: Sequence[Column] | None = None
    psu: Sequence[Column] | None = None
    joins: Sequence[tuple[Any, ColumnElement[bool]]] = ()
    # A weight constant within each stratum, by the stratum's column values, applied to the sums after the
    # GROUP BY (Σw·y = w_h·Σy) instead of joining weights to every row; ``weight`` then stays 1.
    stratum_weights: Mapping[tuple[Any, ...], float] | None = None
    # A column that splits strata into weighting cells (the procedure field when weights are raked to field counts):
    # it is grouped by too, and ``stratum_weights`` is keyed by the stratum's values and then the cell's.
    weight_cell: Column | None = None
    # The live selection's period (first and last local date, either open) and the filters in ``filters`` that say
    # it, and the form versions it holds: what lets the summary of sufficient statistics serve the sums.
    period: tuple[date | None, date | None] | None = None
    period_filters: Sequence[ColumnElement[bool]] = ()
    form_versions: Sequence[int] = ()


@dataclass(frozen=True)
class Sums:
    table: PsuTable
    strata: StrataInfo
    keys: list[tuple[Any, ...]]  # the domain values, in domain-index order


@dataclass(frozen=True)
class Part:
    """One statement's share of the design: its PSU column and the rows it covers."""

    psu: tuple[Column, ...]
    where: tuple[ColumnElement[bool], ...] = ()


def design_parts(query: SumsQuery) -> list[Part]:
    """The statements that cover the design's PSUs: the stored clusters, and the responses without one (each its
    own PSU); or the query's own PSU columns."""
    if query.psu is not None:
        return [Part(tuple(query.psu))]
    return [
        Part((Response.cluster,), (Response.cluster.is_not(None),)),
        Part((Response.id,), (Response.cluster.is_(None),)),
    ]


def strata_columns(query: SumsQuery) -> list[Column]:
    """The columns whose values label a stratum: the stored stratum and the agency, or the query's own."""
    return [Response.stratum, Response.agency_id] if query.stratum is None else list(query.stratum)


def selected(query: SumsQuery, *columns: Any) -> Any:
    """``SELECT columns FROM responses`` with the query's joins and filters."""
    statement = select(*columns).select_from(Response)
    for table, condition in query.joins:
        statement = statement.join(table, condition, isouter=True)
    return statement.where(*query.filters) if query.filters else statement


def _pattern_codes(items: Sequence[str]) -> list[ColumnElement[Any]]:
    """Per response, which items it answered and whether each satisfied, as base-3 digits (0 unanswered, 1 answered
    and not satisfied, 2 satisfied), CHUNK items per integer."""
    codes: list[ColumnElement[Any]] = []
    for first in range(0, len(items), CHUNK):
        chunk = items[first : first + CHUNK]
        place = case({code: literal(3**j, BigInteger) for j, code in enumerate(chunk)}, value=Answer.item_code)
        codes.append(func.coalesce(func.sum(place * (Answer.satisfied + 1)), literal(0, BigInteger)))
    return codes


def fetch_sums(session: Session, query: SumsQuery) -> Sums:
    """The sums of a query: from the summary of sufficient statistics and its tail where the query is the live design
    (``app.reports.from_summary``), else from every answer. Both give the same sums."""
    found = summary_rows(session, query) if _summary_allowed(session) else None
    if found is not None:
        columns, stratum_rows = found
        return _assemble(query, _live_shape(query), columns, stratum_rows)
    return fetch_raw_sums(session, query)


def fetch_sums_split(session: Session, wide: SumsQuery, narrow: SumsQuery, flag: Column) -> tuple[Sums, Sums] | None:
    """The sums of two selections that differ only by the responses ``flag`` (an integer expression, 0 or 1) marks:
    ``wide`` holds them, ``narrow`` is the same selection without them (its filters say so), with the same domains,
    strata, PSUs and weighting cells, and its own stratum weights — from one pass over the summary (the figures and
    their sensitivity to suspected spam read the same rows). None when the summary cannot serve them."""
    found = summary_rows_split(session, wide, flag) if _summary_allowed(session) else None
    if found is None:
        return None
    (every, every_strata), (unflagged, unflagged_strata) = found
    shape = _live_shape(wide)
    return _assemble(wide, shape, every, every_strata), _assemble(narrow, shape, unflagged, unflagged_strata)


def _summary_allowed(session: Session) -> bool:
    """Whether the summary may serve (``SIPAS_FIGURES_SOURCE=raw`` says every figure reads the raw answers)."""
    return bool(session.info.get(FIGURES_SOURCE, "summary") != "raw")


def _live_shape(query: SumsQuery) -> _Shape:
    """The columns of the summary's rows: the live design's stratum (agency, month) and PSU (counter, week)."""
    cell = int(query.weight_cell is not None)
    return _Shape(domains=len(query.domains), strata=2, psu=2, cell=cell, codes=code_columns(len(query.items)))


def fetch_raw_sums(session: Session, query: SumsQuery) -> Sums:
    keys = [expression.label(f"d{i}") for i, (_, expression) in enumerate(query.domains)]
    strata = [column.label(f"s{i}") for i, column in enumerate(strata_columns(query))]
    cell = [query.weight_cell.label("cell")] if query.weight_cell is not None else []
    items = list(query.items)
    answered = (Answer.item_code.in_(items), Answer.satisfied.is_not(None))
    codes = [code.label(f"c{i}") for i, code in enumerate(_pattern_codes(items))]
    rows: list[Any] = []
    connection = session.connection()  # Core rows: the ORM's per-row processing would cost as much as the query
    for index, part in enumerate(design_parts(query)):
        psu = [column.label(f"p{i}") for i, column in enumerate(part.psu)]
        # One row per response: its domain, stratum, PSU and weighting cell (the same on each of its answers, hence
        # MAX, so that the database groups by the response key alone) and its answer pattern.
        values = [func.max(column).label(column.name) for column in (*keys, *strata, *psu, *cell)]
        per_response = (
            selected(query, *values, func.max(query.weight).label("w"), *codes)
            .join(Answer, and_(*answers_in_period(query.period)))
            .where(*answered, *part.where)
            .group_by(*RESPONSE_KEY)
            .subquery("per_response")
        )
        leading = [per_response.c[c.name] for c in (*keys, *strata)]
        trailing = [per_response.c[c.name] for c in (*psu, *cell, *codes)]
        grouped = select(*leading, literal(index), *trailing, func.count(), func.sum(per_response.c.w))
        rows += connection.execute(grouped.group_by(*leading, *trailing)).all()
    if query.psu is None:
        psus = func.count(Response.cluster.distinct()) + func.sum(case((Response.cluster.is_(None), 1), else_=0))
        stratum_rows = connection.execute(selected(query, *strata, psus).group_by(*strata)).all()
    else:  # COUNT(DISTINCT a, b) is not portable: count the distinct (stratum, PSU) rows instead
        distinct = selected(query, *strata, *(c.label(f"p{i}") for i, c in enumerate(query.psu))).distinct().subquery()
        columns = [distinct.c[f"s{i}"] for i in range(len(strata))]
        stratum_rows = connection.execute(select(*columns, func.count()).group_by(*columns)).all()
    shape = _Shape(
        domains=len(keys), strata=len(strata), psu=len(design_parts(query)[0].psu), cell=len(cell), codes=len(codes)
    )
    return _assemble(query, shape, as_columns(rows, shape.code_end + 2), stratum_rows)


@dataclass(frozen=True)
class _Shape:
    """Columns of a row: domain keys, stratum columns, the part tag, PSU columns, the weighting cell (0 or 1),
    pattern codes, then the number of respondents with that pattern and their Σw."""

    domains: int
    strata: int
    psu: int
    cell: int
    codes: int

    @property
    def psu_end(self) -> int:
        return self.domains + self.strata + 1 + self.psu

    @property
    def cell_end(self) -> int:
        return self.psu_end + self.cell

    @property
    def code_end(self) -> int:
        return self.cell_end + self.codes


def _decode(codes: NDArray[np.int64], items: int) -> NDArray[np.int8]:
    """Base-3 pattern codes (Q, chunks) → states (Q, items): 0 unanswered, 1 not satisfied, 2 satisfied."""
    states = np.zeros((codes.shape[0], items), dtype=np.int8)
    for j in range(items):
        states[:, j] = (codes[:, j // CHUNK] // 3 ** (j % CHUNK)) % 3
    return states


def _assemble(query: SumsQuery, shape: _Shape, columns: Sequence[Values], stratum_rows: Sequence[Any]) -> Sums:
    """Per (domain, PSU): answers, Σw·answered and Σw·satisfied per item, added up from the respondents' patterns
    (a respondent's weight is the same on each of their answers); the patterns themselves become the profiles.
    ``columns``: the rows' columns (domain keys, strata, part, PSU, cell, pattern codes, respondents, Σw)."""
    width, width_s, psu_end, cell_end, code_end = (
        shape.domains,
        shape.strata,
        shape.psu_end,
        shape.cell_end,
        shape.code_end,
    )
    n = len(columns[code_end])
    strata_index = {tuple(row[:width_s]): i for i, row in enumerate(stratum_rows)}
    psus_per_stratum = np.array([float(row[width_s]) for row in stratum_rows])
    row_domain, domain_first = labels(columns[:width], n)
    unit, _unit_first = labels(columns[width:psu_end], n)
    # a (domain, PSU) pair per distinct combination, numbered as the rows first show it
    pair_of_row, pair_first = labels([row_domain, unit], n) if n else (row_domain, row_domain)
    row_stratum, stratum_first = labels(columns[width : width + width_s], n)
    stratum_of = np.array(
        [
            strata_index[tuple(value(columns[c], first) for c in range(width, width + width_s))]
            for first in stratum_first
        ],
        dtype=np.intp,
    )
    factor = np.ones(n)
    weights = query.stratum_weights
    if weights is not None:  # the weight of the stratum (or weighting cell), applied after the GROUP BY
        cell_columns = [*range(width, width + width_s), *range(psu_end, cell_end)]
        row_cell, cell_first = labels([columns[c] for c in cell_columns], n)
        factors = np.array([weights[tuple(value(columns[c], first) for c in cell_columns)] for first in cell_first])
        factor = factors[row_cell] if n else factor
    k_items = len(query.items)
    codes = np.array(columns[cell_end:code_end], dtype=np.int64).reshape(shape.codes, n).T
    states = _decode(codes, k_items)
    count = np.array(columns[code_end], dtype=np.float64)
    weight = np.array(columns[code_end + 1], dtype=np.float64) * factor
    size = pair_first.size
    answers = grouped_sums(pair_of_row, size, count[:, None] * (states > 0))
    answered = grouped_sums(pair_of_row, size, weight[:, None] * (states > 0))
    satisfied = grouped_sums(pair_of_row, size, weight[:, None] * (states == 2))
    # the respondents of each domain grouped by answer pattern (a national report's million rows hold a few
    # hundred thousand distinct ones): what the spread of an index score needs
    profile_of_row, profile_first = labels([row_domain, *(codes[:, chunk] for chunk in range(shape.codes))], n)
    profiles = profile_first.size
    keys = [tuple(value(columns[c], first) for c in range(width)) for first in domain_first]
    order = sorted(range(len(keys)), key=lambda d: tuple((value is None, str(value)) for value in keys[d]))
    remap = np.empty(len(keys), dtype=np.intp)
    remap[np.array(order, dtype=np.intp)] = np.arange(len(keys), dtype=np.intp)
    table = PsuTable(
        domain=remap[row_domain[pair_first]],
        stratum=stratum_of[row_stratum[pair_first]],
        psu=unit[pair_first],
        answers=answers,
        answered=answered,
        satisfied=satisfied,
        profiles=Profiles(
            domain=remap[row_domain[profile_first]],
            answered=states[profile_first] > 0,
            satisfied=states[profile_first] == 2,
            respondents=grouped_sums(profile_of_row, profiles, count),
            weight=grouped_sums(profile_of_row, profiles, weight),
        ),
    )
    return Sums(table, StrataInfo(psus_per_stratum, np.zeros(psus_per_stratum.size), "fail"), [keys[d] for d in order])
