"""SQL pushdown: the database reduces responses to per-(domain, stratum, PSU, item) sums; ``app/stats`` does the rest.

One GROUP BY over ``answers ⨝ responses`` returns, for every domain, PSU and item, the number of answers, Σw and
Σw·satisfied; a second one the respondents and their Σw; a third the PSUs per stratum over the whole selection
(domains keep the design's strata, as R's ``svyby`` does). The statements use only portable SQL (COUNT, SUM,
COALESCE, CASE, ||) and run unchanged on SQLite and PostgreSQL — and on a distributed PostgreSQL such as Citus,
where each shard computes partial sums. Python receives one row per (domain, PSU, item): memory grows with the
number of PSUs, never with the number of responses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, Float, String, and_, cast, exists, func, literal, select
from sqlalchemy.orm import Session

from app.responses.models import Answer, Response
from app.stats.design import LonelyPsu
from app.stats.estimates import Estimate, IndexSpec, PsuTable, StrataInfo, estimate_domains
from app.stats.intervals import DEFAULT_METHOD, Method


def stored_weight() -> ColumnElement[Any]:
    """The weight stored with a response (imports with ``--weight``), 1 when none was given."""
    return func.coalesce(Response.weight, literal(1.0, Float))


def stored_stratum() -> ColumnElement[Any]:
    """The stored stratum label, else the agency: every agency is its own stratum."""
    return func.coalesce(Response.stratum, literal("agency:") + cast(Response.agency_id, String))


def stored_psu() -> ColumnElement[Any]:
    """The stored cluster label, else the response itself (one PSU per respondent)."""
    return func.coalesce(Response.cluster, literal("response:") + cast(Response.id, String))


@dataclass(frozen=True)
class SumsQuery:
    items: Sequence[str]
    domains: Sequence[tuple[str, ColumnElement[Any]]] = ()  # (name, expression); none: one domain, the selection
    filters: Sequence[ColumnElement[bool]] = ()
    weight: ColumnElement[Any] = field(default_factory=stored_weight)
    stratum: ColumnElement[Any] = field(default_factory=stored_stratum)
    psu: ColumnElement[Any] = field(default_factory=stored_psu)
    joins: Sequence[tuple[Any, ColumnElement[bool]]] = ()  # extra tables the domain expressions need


@dataclass(frozen=True)
class Sums:
    table: PsuTable
    strata: StrataInfo
    keys: list[tuple[Any, ...]]  # the domain values, in domain-index order


def _select(query: SumsQuery, *columns: Any) -> Any:
    statement = select(*columns).select_from(Response)
    for table, condition in query.joins:
        statement = statement.join(table, condition)
    return statement.where(*query.filters) if query.filters else statement


def fetch_sums(session: Session, query: SumsQuery) -> Sums:
    keys = [expression.label(f"d{i}") for i, (_, expression) in enumerate(query.domains)]
    stratum = query.stratum.label("stratum")
    psu = query.psu.label("psu")
    w = query.weight
    item_rows = session.execute(
        _select(query, *keys, stratum, psu, Answer.item_code, func.count(), func.sum(w),
                func.sum(w * Answer.satisfied))
        .join(Answer, Answer.response_id == Response.id)
        .where(Answer.item_code.in_(list(query.items)), Answer.satisfied.is_not(None))
        .group_by(*keys, stratum, psu, Answer.item_code)
    ).all()  # fmt: skip
    answered_any = exists().where(and_(Answer.response_id == Response.id, Answer.item_code.in_(list(query.items)),
                                       Answer.satisfied.is_not(None)))  # fmt: skip
    respondent_rows = session.execute(
        _select(query, *keys, stratum, psu, func.count(), func.sum(w)).where(answered_any)
        .group_by(*keys, stratum, psu)
    ).all()  # fmt: skip
    stratum_rows = session.execute(
        _select(query, stratum, func.count(psu.distinct())).group_by(stratum)
    ).all()  # fmt: skip
    return _assemble(query, item_rows, respondent_rows, stratum_rows)


def _assemble(query: SumsQuery, item_rows: Sequence[Any], respondent_rows: Sequence[Any],
              stratum_rows: Sequence[Any]) -> Sums:  # fmt: skip
    width = len(query.domains)
    strata_index = {row[0]: i for i, row in enumerate(stratum_rows)}
    psus_per_stratum = np.array([float(row[1]) for row in stratum_rows])
    item_index = {code: k for k, code in enumerate(query.items)}
    domain_index: dict[tuple[Any, ...], int] = {}
    pair_index: dict[tuple[int, Any, Any], int] = {}
    pairs: list[tuple[int, int, Any]] = []
    for row in respondent_rows:
        key = tuple(row[:width])
        d = domain_index.setdefault(key, len(domain_index))
        pair_index[(d, row[width], row[width + 1])] = len(pairs)
        pairs.append((d, strata_index[row[width]], row[width + 1]))
    count, k_items = len(pairs), len(query.items)
    answers = np.zeros((count, k_items))
    answered = np.zeros((count, k_items))
    satisfied = np.zeros((count, k_items))
    for row in item_rows:
        d = domain_index[tuple(row[:width])]
        p = pair_index[(d, row[width], row[width + 1])]
        k = item_index[row[width + 2]]
        answers[p, k] = row[width + 3]
        answered[p, k] = row[width + 4]
        satisfied[p, k] = row[width + 5] or 0.0
    psu_ids: dict[tuple[int, Any], int] = {}
    psu = np.array([psu_ids.setdefault((s, label), len(psu_ids)) for _, s, label in pairs], dtype=np.intp)
    table = PsuTable(
        domain=np.array([d for d, _, _ in pairs], dtype=np.intp),
        stratum=np.array([s for _, s, _ in pairs], dtype=np.intp), psu=psu,
        answers=answers, answered=answered, satisfied=satisfied,
        respondents=np.array([float(row[width + 2]) for row in respondent_rows]),
        weight=np.array([float(row[width + 3]) for row in respondent_rows]),
    )  # fmt: skip
    order = sorted(domain_index, key=lambda key: tuple((value is None, str(value)) for value in key))
    remap = np.empty(len(domain_index), dtype=np.intp)
    for new, key in enumerate(order):
        remap[domain_index[key]] = new
    table = replace(table, domain=remap[table.domain] if count else table.domain)
    return Sums(table, StrataInfo(psus_per_stratum, np.zeros(psus_per_stratum.size), "fail"), order)


def estimate(
    session: Session,
    query: SumsQuery,
    indices: Sequence[IndexSpec] = (),
    *,
    level: float = 0.95,
    method: Method = DEFAULT_METHOD,
    target: float | None = None,
    lonely_psu: LonelyPsu = "fail",
) -> list[tuple[tuple[Any, ...], list[Estimate]]]:
    """Per domain (in sorted key order), the estimates of :func:`app.stats.estimates.estimate_domains`."""
    sums = fetch_sums(session, query)
    strata = replace(sums.strata, lonely_psu=lonely_psu)
    results = estimate_domains(sums.table, strata, query.items, indices, domains=len(sums.keys), level=level,
                               method=method, target=target)  # fmt: skip
    return [(key, found) for key, found in zip(sums.keys, results, strict=True) if found]
