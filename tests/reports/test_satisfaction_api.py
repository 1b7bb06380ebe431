"""``/api/v1/satisfaction``, ``/rankings``, ``/trends`` on a small, fully known province: every number equals what
``app/stats`` gives for the same rows reduced by hand here (weights N/n, strata agency × month, PSUs counter × week
of the month, lonely PSUs "adjust", filters on channel or procedure field as domains) — never through
``app/reports``. Also the hand-checkable cases, flags, filters, groupings, targets, downloads and error messages."""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable, Hashable, Sequence
from datetime import date
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.config import Settings
from app.db import make_session_factory
from app.directory.models import AgencyLevel, Role
from app.directory.service import create_agency
from app.reference.models import PopulationCount
from app.reports import satisfaction as satisfaction_service
from app.responses.models import Channel
from app.responses.summary import refresh
from app.stats.comparisons import Difference, adjust, compare
from app.stats.design import make_design
from app.stats.estimates import Estimate, IndexSpec, estimate_domains, judged
from app.stats.reliability import verdict_for
from app.stats.tables import table_from_rows
from tests.factories import (
    DAYS,
    ELEMENTS,
    INJECTION,
    ITEMS,
    POPULATION,
    Known,
    add_rows,
    add_target,
    login,
    make_tree,
    province,
)

# counter-quick's indices written out by hand: each element is its "in general" item, the component their mean,
# the overall index the component.
INDICES = [
    *(IndexSpec(code, "element", (f"{code}_general",)) for code in ELEMENTS),
    IndexSpec("service", "component", tuple(ELEMENTS)),
    IndexSpec("sipas", "overall", ("service",)),
]
LARGE = {"TP-A": 70, "TP-B": 90, "TP-C": 6}  # TP-A and TP-B reliable in one month (NCHS rule), TP-C never


# --- the expected numbers, from app/stats only ---------------------------------------------------------------


def weights_of(
    rows: Sequence[Known],
    population: dict[tuple[str, int], int],
    weighted: bool,
    universe: Sequence[Known] | None = None,
) -> np.ndarray:
    """N/n per (agency, month) cell with a count; the overall ΣN/Σn for the others (1 when unweighted). n counts
    the cell's whole month in ``universe`` (the selection before its dates), however the dates cut it."""
    if not weighted:
        return np.ones(len(rows))
    n: dict[tuple[str, int], int] = {}
    for row in rows if universe is None else universe:
        n[(row.agency, row.month)] = n.get((row.agency, row.month), 0) + 1
    counted = {cell: dossiers for cell, dossiers in population.items() if n.get(cell)}
    overall = sum(counted.values()) / sum(n[cell] for cell in counted)
    return np.array(
        [
            counted[(r.agency, r.month)] / n[(r.agency, r.month)] if (r.agency, r.month) in counted else overall
            for r in rows
        ]
    )


def expected(
    rows: Sequence[Known],
    key: Callable[[Known], Hashable],
    *,
    population: dict[tuple[str, int], int] | None = None,
    weighted: bool = True,
    keep: Callable[[Known], bool] = lambda row: True,
    method: str = "beta",
    level: float = 0.95,
    universe: Sequence[Known] | None = None,
) -> dict[Hashable, dict[str, Estimate]]:
    """Estimates per domain ``key(row)`` of the rows that ``keep`` (a domain), in the design of all ``rows``."""
    weights = weights_of(rows, population or {}, weighted, universe)
    design = make_design(
        weights,
        strata=[f"{r.agency}|{r.month}" for r in rows],
        clusters=[f"{r.counter}|{r.week}" for r in rows],
        lonely_psu="adjust",
    )
    keys = sorted({key(row) for row in rows if keep(row)}, key=repr)
    index = {value: d for d, value in enumerate(keys)}
    domain = [index[key(row)] if keep(row) else -1 for row in rows]
    answered = np.array([[code in row.answers for code in ITEMS] for row in rows], dtype=float)
    satisfied = np.array([[row.answers.get(code, 0) >= 4 for code in ITEMS] for row in rows], dtype=float)
    table, strata = table_from_rows(design, domain, answered, satisfied)
    results = estimate_domains(
        table,
        strata,
        ITEMS,
        INDICES,
        domains=len(keys),
        method=method,  # type: ignore[arg-type]
        level=level,
    )
    return {value: {e.metric: e for e in found} for value, found in zip(keys, results, strict=True)}


def assert_same(api: dict[str, Any], estimate: Estimate, context: object = "") -> None:
    for name, value in (
        ("estimate_pct", estimate.estimate),
        ("ci_low_pct", estimate.low),
        ("ci_high_pct", estimate.high),
        ("se_pct", estimate.se),
    ):
        assert api[name] == pytest.approx(value * 100, abs=1e-9), (context, name)
    assert (api["n"], api["df"]) == (estimate.n, estimate.df), context


def by_key(rows: list[dict[str, Any]], groups: Sequence[str]) -> dict[tuple[Any, ...], dict[str, Any]]:
    found = {(*(row[g] for g in groups), row["metric"]): row for row in rows}
    assert len(found) == len(rows), "two rows with the same key"
    return found


KEYS: dict[str, Callable[[Known], str]] = {
    "agency": lambda row: row.agency,
    "counter": lambda row: row.counter,
    "month": lambda row: f"{row.month // 100}-{row.month % 100:02d}",
    "quarter": lambda row: f"{row.month // 100}-Q{(row.month % 100 + 2) // 3}",
    "channel": lambda row: row.channel.value,
}


def metrics_for(group_by: Sequence[str]) -> set[str]:
    chosen: set[str] = set()
    if "element" in group_by:
        chosen |= {*ELEMENTS, "service"}
    if "item" in group_by:
        chosen |= set(ITEMS)
    return chosen or {"sipas"}


def check_against_stats(body: dict[str, Any], rows: Sequence[Known], group_by: Sequence[str], **options: Any) -> None:
    """Every row and every total row of an API answer equals the stats engine's estimate, and nothing is missing."""
    domains = [g for g in ("agency", "counter", "month", "quarter", "channel") if g in group_by]
    if "counter" in domains:  # counters are labelled by code; the domain is the counter, whose agency tells it apart
        key: Callable[[Known], Hashable] = lambda row: (*(KEYS[g](row) for g in domains), row.agency)  # noqa: E731
    else:
        key = lambda row: tuple(KEYS[g](row) for g in domains)  # noqa: E731
    wanted = expected(rows, key, **options)
    metrics = metrics_for(group_by)
    api_rows: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for row in body["rows"]:
        api_rows.setdefault((*(row[g] for g in domains), row["metric"]), []).append(row)
    count = 0
    for value, estimates in wanted.items():
        labels = value[: len(domains)]
        for metric, estimate in estimates.items():
            if metric not in metrics:
                continue
            candidates = api_rows.get((*labels, metric), [])
            assert candidates, (value, metric)
            # Counters of two agencies share a code: one of the rows with this label is this domain's.
            assert any(_same(row, estimate) for row in candidates), (value, metric, candidates, estimate)
            count += 1
    assert count == len(body["rows"])
    total = expected(rows, lambda row: (), **options)[()]
    assert {row["metric"] for row in body["total"]} == {m for m in total if m in metrics}
    for row in body["total"]:
        assert_same(row, total[row["metric"]], ("total", row["metric"]))


def _same(api: dict[str, Any], estimate: Estimate) -> bool:
    try:
        assert_same(api, estimate)
    except AssertionError:
        return False
    return True


# --- the tests ----------------------------------------------------------------------------------------------


GROUPINGS = [
    [],
    ["agency"],
    ["counter"],
    ["month"],
    ["quarter"],
    ["channel"],
    ["element"],
    ["item"],
    ["agency", "month"],
    ["agency", "element"],
    ["month", "channel", "item"],
    ["counter", "month"],
]


@pytest.mark.parametrize("group_by", GROUPINGS, ids=lambda groups: "+".join(groups) or "none")
def test_figures_equal_the_stats_engine(
    client: TestClient, session: Session, settings: Settings, group_by: list[str]
) -> None:
    world = province(session, settings)
    headers = login(client, session, "admin", Role.province_admin, world.province)
    response = client.get("/api/v1/satisfaction", params={"group_by": ",".join(group_by)}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    check_against_stats(body, world.clean, group_by, population=POPULATION)
    assert body["meta"]["weighted"] is True
    kinds = {row["kind"] for row in body["rows"]}
    assert kinds == ({"element", "component"} if "element" in group_by else set()) | (
        {"item"} if "item" in group_by else set()
    ) or kinds == {"overall"}


def test_flagged_responses_never_count_and_are_reported(
    client: TestClient, session: Session, settings: Settings
) -> None:
    world = province(session, settings)
    headers = login(client, session, "admin", Role.province_admin, world.province)
    body = client.get("/api/v1/satisfaction", headers=headers).json()
    meta = body["meta"]
    assert (meta["responses"], meta["excluded_suspected_spam"], meta["excluded_test"]) == (len(world.clean), 3, 2)
    assert meta["form"] == "counter-quick@1" and meta["agency"] == "TP" and meta["method"] == "beta"
    uncounted = [row for row in world.clean if (row.agency, row.month) not in POPULATION]
    assert meta["responses_without_population_count"] == len(uncounted) > 0
    [sipas] = body["rows"]
    assert sipas["n"] == len(world.clean)
    check_against_stats(body, world.clean, [], population=POPULATION)
    # The sensitivity: the figure had the 3 suspected answers been counted (their design and N/n weights too).
    with_spam = [row for row in world.rows if not row.test]
    wanted = expected(with_spam, lambda row: (), population=POPULATION)[()]["sipas"]
    assert meta["with_suspected_spam_pct"] == {"sipas": pytest.approx(wanted.estimate * 100, abs=1e-9)}
    assert meta["with_suspected_spam_pct"]["sipas"] > sipas["estimate_pct"]  # they were all "very satisfied"
    # the same once folded into the summary, where one pass serves the figure and its sensitivity
    assert refresh(session).responses == len(world.rows)
    folded = client.get("/api/v1/satisfaction", headers=headers).json()
    assert folded["meta"]["with_suspected_spam_pct"] == {"sipas": pytest.approx(wanted.estimate * 100, abs=1e-9)}
    assert folded["rows"][0]["estimate_pct"] == pytest.approx(sipas["estimate_pct"], abs=1e-9)
    unflagged_only = client.get("/api/v1/satisfaction", params={"to": "2025-01-05"}, headers=headers).json()
    assert unflagged_only["meta"]["excluded_suspected_spam"] == 0
    assert unflagged_only["meta"]["with_suspected_spam_pct"] == {}


def test_seven_of_eight_satisfied_is_87_5_percent(client: TestClient, session: Session, settings: Settings) -> None:
    world = make_tree(session)
    rows = [
        Known("TP-A", "Q01", date(2025, 1, day), Channel.web_qr, dict.fromkeys(ITEMS, 4 if i < 7 else 2))
        for i, day in enumerate((3, 3, 10, 10, 17, 17, 24, 24))
    ]
    add_rows(session, settings, world, rows)
    headers = login(client, session, "admin", Role.province_admin, world.province)
    body = client.get(
        "/api/v1/satisfaction", params={"agency": "TP-A", "group_by": "item,element"}, headers=headers
    ).json()
    assert body["meta"]["weighted"] is False  # no population counts
    assert {row["metric"]: row["estimate_pct"] for row in body["rows"]} == {
        **dict.fromkeys(ITEMS, 87.5),
        **dict.fromkeys(ELEMENTS, 87.5),
        "service": 87.5,
    }
    assert {row["n"] for row in body["rows"]} == {8}
    assert {row["df"] for row in body["rows"]} == {3}  # 4 PSUs (weeks) in 1 stratum
    [total] = client.get("/api/v1/satisfaction", params={"agency": "TP-A"}, headers=headers).json()["rows"]
    assert total["estimate_pct"] == 87.5 and total["metric"] == "sipas"
    # By hand: PSU totals of z = (y − 0.875)/8 are 0.25/8 (two satisfied) ×3 and −0.75/8 (one not); mean 0;
    # var = 4/3 · Σ z_p² = 4/3 · (3·0.0625 + 0.5625)/64 = 1/64.
    assert total["se_pct"] == pytest.approx(100 * (1 / 64) ** 0.5, abs=1e-12)
    check_against_stats(body, world.rows, ["item", "element"], weighted=False)


def test_filters_are_selections_or_domains(client: TestClient, session: Session, settings: Settings) -> None:
    world = province(session, settings)
    headers = login(client, session, "admin", Role.province_admin, world.province)

    def get(**params: Any) -> dict[str, Any]:
        response = client.get("/api/v1/satisfaction", params=params, headers=headers)
        assert response.status_code == 200, response.text
        return dict(response.json())

    clean = world.clean
    # One agency alone, a period: cuts of the design.
    only_a = [row for row in clean if row.agency == "TP-A"]
    body = get(agency="TP-A", subtree="false", group_by="month")
    check_against_stats(body, only_a, ["month"], population=POPULATION)
    assert body["meta"]["agency"] == "TP-A"
    spring = [row for row in clean if date(2025, 2, 10) <= row.day <= date(2025, 3, 17)]
    body = get(**{"from": "2025-02-10", "to": "2025-03-17", "group_by": "agency"})
    check_against_stats(body, spring, ["agency"], population=POPULATION, universe=clean)
    assert (body["meta"]["date_from"], body["meta"]["date_to"]) == ("2025-02-10", "2025-03-17")
    # The province without subtree has no responses of its own.
    assert get(agency="TP", subtree="false")["rows"] == []
    # Channel and procedure field: domains in the design of the whole selection.
    body = get(channel="kiosk", group_by="agency")
    check_against_stats(body, clean, ["agency"], population=POPULATION, keep=lambda row: row.channel is Channel.kiosk)
    body = get(procedure_field="land", group_by="item")
    check_against_stats(body, clean, ["item"], population=POPULATION, keep=lambda row: row.procedure_field == "land")
    # Not the same as a separate sample: the domain's SE differs from treating the kiosk rows as the whole design.
    kiosk = [row for row in clean if row.channel is Channel.kiosk]
    separate = expected(kiosk, lambda row: (), population=POPULATION)[()]["sipas"]
    [domain_row] = get(channel="kiosk")["rows"]
    assert domain_row["se_pct"] != pytest.approx(separate.se * 100, abs=1e-6)
    # Method and level reach the stats engine.
    body = get(method="wilson", level="0.9", group_by="agency")
    check_against_stats(body, clean, ["agency"], population=POPULATION, method="wilson", level=0.9)
    assert {row["method"] for row in body["rows"]} == {"wilson"} and {row["level"] for row in body["rows"]} == {0.9}


def test_weighted_by_default_when_counts_exist(client: TestClient, session: Session, settings: Settings) -> None:
    world = province(session, settings)
    headers = login(client, session, "admin", Role.province_admin, world.province)
    weighted = client.get("/api/v1/satisfaction", headers=headers).json()
    plain = client.get("/api/v1/satisfaction", params={"weighted": "false"}, headers=headers).json()
    assert (weighted["meta"]["weighted"], plain["meta"]["weighted"]) == (True, False)
    assert plain["meta"]["responses_without_population_count"] == 0
    check_against_stats(plain, world.clean, [], weighted=False)
    assert plain["rows"][0]["estimate_pct"] != pytest.approx(weighted["rows"][0]["estimate_pct"], abs=1e-6)
    # Unweighted and one item: the plain share of satisfied answers.
    items = client.get("/api/v1/satisfaction", params={"weighted": "false", "group_by": "item"}, headers=headers).json()
    overall = next(row for row in items["rows"] if row["metric"] == "overall")
    answers = [row.answers["overall"] for row in world.clean]
    assert overall["estimate_pct"] == pytest.approx(100 * sum(a >= 4 for a in answers) / len(answers), abs=1e-9)


def test_unweighted_default_without_counts(client: TestClient, session: Session, settings: Settings) -> None:
    world = province(session, settings, population=False)
    headers = login(client, session, "admin", Role.province_admin, world.province)
    body = client.get("/api/v1/satisfaction", params={"group_by": "agency"}, headers=headers).json()
    assert body["meta"]["weighted"] is False
    check_against_stats(body, world.clean, ["agency"], weighted=False)


def test_target_verdicts_and_inherited_target(client: TestClient, session: Session, settings: Settings) -> None:
    world = province(session, settings)
    headers = login(client, session, "admin", Role.province_admin, world.province)
    # Targets are those in force on the last day asked about; without `to`, on the newest response's day.
    body = client.get("/api/v1/satisfaction", headers=headers).json()
    assert body["meta"]["last_response_date"] == max(row.day for row in world.clean).isoformat()
    assert body["rows"][0]["target_pct"] == 86.0
    later = client.get("/api/v1/satisfaction", params={"to": "2026-06-30"}, headers=headers).json()
    assert later["rows"][0]["target_pct"] is None  # the 2025 target is not in force in mid-2026
    first = {
        row["agency"]: row
        for row in client.get(
            "/api/v1/satisfaction", params={"group_by": "agency", "to": "2025-03-31"}, headers=headers
        ).json()["rows"]
    }
    assert {row["target_pct"] for row in first.values()} == {86.0}  # the province's target, inherited
    for row in first.values():
        reliable = not row["unreliable"]
        assert row["verdict"] == verdict_for(
            row["ci_low_pct"] / 100, row["ci_high_pct"] / 100, 0.86, is_reliable=reliable
        )
    # TP-C's few answers make its figure unreliable (NCHS rule): no verdict but insufficient_data
    assert {row["agency"]: row["unreliable"] for row in first.values()} == {"TP-A": False, "TP-B": False, "TP-C": True}
    # Own targets below the interval of A (met) and above that of B (not met); C keeps the inherited 86%
    # and C's own target for the items only (another indicator) does not change its sipas verdict.
    add_target(session, world.agencies["TP-A"], float(int(first["TP-A"]["ci_low_pct"]) - 1))
    add_target(session, world.agencies["TP-B"], float(int(first["TP-B"]["ci_high_pct"]) + 1))
    add_target(session, world.agencies["TP-C"], 10.0, indicator="item:overall")
    # A target that does not apply to the subtree stays with its own agency.
    add_target(session, world.province, 99.0, indicator="element:access", subtree=False)
    body = client.get("/api/v1/satisfaction", params={"group_by": "agency", "to": "2025-03-31"}, headers=headers)
    rows = {row["agency"]: row for row in body.json()["rows"]}
    assert rows["TP-A"]["verdict"] == "met" and rows["TP-A"]["target_pct"] == int(first["TP-A"]["ci_low_pct"]) - 1
    assert rows["TP-B"]["verdict"] == "not_met"
    assert rows["TP-C"]["target_pct"] == 86.0
    low, high = rows["TP-C"]["ci_low_pct"], rows["TP-C"]["ci_high_pct"]
    assert low < 86 <= high and rows["TP-C"]["verdict"] == "insufficient_data"
    assert rows["TP-C"]["p_value_below_target"] is None
    assert rows["TP-A"]["p_value_below_target"] <= 0.025 and rows["TP-B"]["p_value_below_target"] >= 0.975
    [total] = body.json()["total"]
    assert total["target_pct"] == 86.0 and total["verdict"] == verdict_for(
        total["ci_low_pct"] / 100, total["ci_high_pct"] / 100, 0.86
    )
    items = client.get(
        "/api/v1/satisfaction", params={"group_by": "agency,item,element", "to": "2025-03-31"}, headers=headers
    ).json()["rows"]
    targets = {(row["agency"], row["indicator"]): row["target_pct"] for row in items}
    assert targets[("TP-C", "item:overall")] == 10.0 and targets[("TP-A", "item:overall")] is None
    assert targets[("TP-A", "element:access")] is None  # the province's 99% does not apply below it
    province_rows = client.get(
        "/api/v1/satisfaction", params={"group_by": "element", "to": "2025-03-31"}, headers=headers
    ).json()["rows"]
    access = next(row for row in province_rows if row["metric"] == "access")
    assert access["target_pct"] == 99.0 and access["verdict"] in ("not_met", "inconclusive")
    # Outside the target's period there is none.
    before = client.get("/api/v1/satisfaction", params={"to": "2024-12-31"}, headers=headers).json()
    assert before["rows"] == []


def test_rankings_order_distinctness_and_change(client: TestClient, session: Session, settings: Settings) -> None:
    world = province(session, settings, per_month=LARGE)
    headers = login(client, session, "admin", Role.province_admin, world.province)
    params = {"from": "2025-03-01", "to": "2025-03-31"}
    response = client.get("/api/v1/rankings", params=params, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["previous_from"], body["previous_to"], body["level"]) == ("2025-01-29", "2025-02-28", "children")
    # Expected: the design of the whole span (previous + current), domains agency × period.
    span = [row for row in world.clean if date(2025, 1, 29) <= row.day <= date(2025, 3, 31)]
    weights = weights_of(span, POPULATION, True, world.clean)  # n of January counts all of January
    design = make_design(
        weights,
        strata=[f"{r.agency}|{r.month}" for r in span],
        clusters=[f"{r.counter}|{r.week}" for r in span],
        lonely_psu="adjust",
    )
    cells = sorted({(r.agency, r.day >= date(2025, 3, 1)) for r in span})
    index = {cell: d for d, cell in enumerate(cells)}
    domain = [index[(r.agency, r.day >= date(2025, 3, 1))] for r in span]
    answered = np.array([[code in r.answers for code in ITEMS] for r in span], dtype=float)
    satisfied = np.array([[r.answers.get(code, 0) >= 4 for code in ITEMS] for r in span], dtype=float)
    table, strata = table_from_rows(design, domain, answered, satisfied)
    results = estimate_domains(table, strata, ITEMS, INDICES, domains=len(cells))
    sipas = {cell: next(e for e in results[d] if e.metric == "sipas") for cell, d in index.items()}
    for cell, found in sipas.items():  # judged as the API judges (the province's 86% applies to each commune)
        sipas[cell] = judged(found, 0.86)
    # Reliable estimates are ranked by value; unreliable ones follow, unranked, by code.
    reliable = sorted(
        (code for code in ("TP-A", "TP-B", "TP-C") if not sipas[(code, True)].unreliable),
        key=lambda code: (-sipas[(code, True)].estimate, code),
    )
    unranked = sorted(code for code in ("TP-A", "TP-B", "TP-C") if sipas[(code, True)].unreliable)
    assert reliable and unranked  # the test world has both kinds
    order = reliable + unranked
    assert [row["agency"] for row in body["rows"]] == order
    assert [row["rank"] for row in body["rows"]] == [*range(1, len(reliable) + 1), *([None] * len(unranked))]
    for row in body["rows"][len(reliable) - 1 :]:
        assert row["distinct_from_next"] is None and row["difference_to_next"] is None

    def sipas_difference(a: tuple[str, bool], b: tuple[str, bool]) -> Difference:
        return next(d for d in compare(table, strata, ITEMS, INDICES, index[a], index[b]) if d.metric == "sipas")

    # One family: every change and every neighbour comparison of the answer, adjusted together (BH).
    changes = [
        sipas_difference((code, True), (code, False)) if not sipas[(code, False)].unreliable else None
        for code in reliable
    ]
    neighbours = [sipas_difference((code, True), (after, True)) for code, after in itertools.pairwise(reliable)]
    family = adjust([*changes, *neighbours, None])
    for position, row in enumerate(body["rows"]):
        code = row["agency"]
        assert_same(row["estimate"], sipas[(code, True)], code)
        assert_same(row["previous"], sipas[(code, False)], code)
        if code in unranked or changes[position] is None:
            assert row["change"] is None
            continue
        change = family[position]
        assert change is not None
        assert row["change"]["estimate_pct"] == pytest.approx(change.estimate * 100, abs=1e-9)
        assert row["change"]["se_pct"] == pytest.approx(change.se * 100, abs=1e-9)
        assert row["change"]["p_value_adjusted"] == pytest.approx(change.p_adjusted, abs=1e-12)
        assert row["change"]["significant"] is change.significant
    for position, (row, following) in enumerate(zip(body["rows"], family[len(reliable) :], strict=False)):
        if following is None:
            continue
        assert row["distinct_from_next"] is following.significant
        assert row["difference_to_next"]["ci_low_pct"] == pytest.approx(following.low * 100, abs=1e-9)
        assert row["difference_to_next"]["p_value"] == pytest.approx(following.p_value, abs=1e-12)
        assert row["difference_to_next"]["estimate_pct"] == pytest.approx(
            row["estimate"]["estimate_pct"] - body["rows"][position + 1]["estimate"]["estimate_pct"], abs=1e-9
        )
    # Ranking by level, and by an item.
    communes = client.get("/api/v1/rankings", params={**params, "level": "commune"}, headers=headers).json()
    assert [row["agency"] for row in communes["rows"]] == order
    by_item = client.get("/api/v1/rankings", params={"indicator": "item:overall"}, headers=headers).json()
    assert by_item["previous_from"] is None and all(row["change"] is None for row in by_item["rows"])
    assert [row["estimate"]["metric"] for row in by_item["rows"]] == ["overall"] * 3


def test_trends_alert_on_a_significant_drop_below_target(
    client: TestClient, session: Session, settings: Settings
) -> None:
    world = make_tree(session)
    # Enough answers for both months to be reliable (NCHS rule): 60 in 10 counter-weeks, 96 in 8.
    good = [
        Known("TP-A", counter, date(2025, 1, day), Channel.web_qr, dict.fromkeys(ITEMS, 5))
        for counter in ("Q01", "Q02")
        for day in DAYS
        for _ in range(6)
    ]
    bad = [
        Known("TP-A", counter, date(2025, 2, day), Channel.web_qr, dict.fromkeys(ITEMS, 5 if i % 3 == 0 else 2))
        for counter in ("Q01", "Q02")
        for day in DAYS[:4]
        for i in range(12)
    ]
    add_rows(session, settings, world, good + bad)
    add_target(session, world.province, 86.0)
    headers = login(client, session, "admin", Role.province_admin, world.province)
    body = client.get("/api/v1/trends", params={"agency": "TP-A", "to": "2025-12-31"}, headers=headers).json()
    assert [point["period"] for point in body["points"]] == ["2025-01", "2025-02"]
    january, february = body["points"]
    assert january["estimate"]["estimate_pct"] == 100.0 and january["change"] is None
    assert january["alerts"] == [] and january["estimate"]["verdict"] in ("met", "inconclusive")
    assert february["estimate"]["estimate_pct"] == pytest.approx(100 / 3, abs=1e-9)
    assert february["alerts"] == ["significant_drop", "below_target"]
    assert february["change"]["significant"] is True and february["change"]["ci_high_pct"] < 0
    # every PSU of February has exactly a third satisfied: a zero variance that is chance, not a census
    assert "variance_fallback" in february["estimate"]["flags"] and not february["estimate"]["unreliable"]
    assert february["change"]["p_value_adjusted"] == february["change"]["p_value"]  # a family of one
    wanted = expected(world.rows, lambda row: row.month, weighted=False)
    assert_same(january["estimate"], wanted[202501]["sipas"])
    assert_same(february["estimate"], wanted[202502]["sipas"])
    quarters = client.get("/api/v1/trends", params={"agency": "TP-A", "period": "quarter"}, headers=headers).json()
    [quarter] = quarters["points"]
    assert quarter["period"] == "2025-Q1" and quarter["change"] is None
    assert_same(quarter["estimate"], expected(world.rows, lambda row: (), weighted=False)[()]["sipas"])
    # The same series as /satisfaction grouped by month.
    monthly = client.get(
        "/api/v1/satisfaction", params={"agency": "TP-A", "group_by": "month"}, headers=headers
    ).json()["rows"]
    assert [row["estimate_pct"] for row in monthly] == [p["estimate"]["estimate_pct"] for p in body["points"]]


def test_csv_and_xlsx_downloads_are_formula_safe_and_audited(
    client: TestClient, session: Session, settings: Settings
) -> None:
    world = province(session, settings)
    headers = login(client, session, "admin", Role.province_admin, world.province)
    params = {"group_by": "agency", "weighted": "false"}
    json_rows = client.get("/api/v1/satisfaction", params=params, headers=headers).json()["rows"]
    as_csv = client.get("/api/v1/satisfaction", params={**params, "format": "csv"}, headers=headers)
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.headers["content-disposition"].startswith('attachment; filename="sipas-satisfaction-')
    text = as_csv.content.decode("utf-8")
    assert text.startswith("\ufeffagency,agency_name,indicator,metric,kind,name,estimate_pct")
    lines = text[1:].splitlines()
    # the table, a blank row, then what the intervals do not cover (vi, en)
    assert len(lines) == 1 + len(json_rows) + 3 and lines[-3] == ""
    assert lines[-2].startswith('"Khoảng tin cậy chỉ tính')  # quoted: the sentence has commas
    assert lines[-1].startswith('"The interval covers')
    c_line = next(line for line in lines if line.startswith("TP-C,"))
    assert c_line.startswith("TP-C,'=1+2 Xã Cát,sipas,sipas,overall,")
    a_csv = next(line for line in lines if line.startswith("TP-A,")).split(",")
    a_json = next(row for row in json_rows if row["agency"] == "TP-A")
    assert float(a_csv[6]) == a_json["estimate_pct"]  # full precision (repr)
    as_xlsx = client.get("/api/v1/satisfaction", params={**params, "format": "xlsx"}, headers=headers)
    assert as_xlsx.status_code == 200
    assert as_xlsx.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    # The machine columns are the XLSX's second sheet (the first is for people: tests/reports/test_exports_for_people)
    sheet = load_workbook(io.BytesIO(as_xlsx.content))["Dữ liệu đầy đủ"]
    table = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert table[0][:7] == ["agency", "agency_name", "indicator", "metric", "kind", "name", "estimate_pct"]
    xlsx_rows = {row[0]: row for row in table[1:]}
    assert xlsx_rows["TP-C"][1] == "'" + INJECTION
    assert xlsx_rows["TP-A"][6] == a_json["estimate_pct"]  # a number, not text
    for path, fmt in (("/api/v1/rankings", "csv"), ("/api/v1/trends", "xlsx")):
        download = client.get(path, params={"format": fmt}, headers=headers)
        assert download.status_code == 200 and download.headers["content-disposition"].startswith("attachment")
    rankings_csv = client.get("/api/v1/rankings", params={"format": "csv"}, headers=headers).content.decode()
    assert "'=1+2 Xã Cát" in rankings_csv and ",=1+2" not in rankings_csv
    exports = session.scalars(select(AuditEvent).where(AuditEvent.action == "export").order_by(AuditEvent.id)).all()
    assert [(event.object_type, event.details["format"]) for event in exports] == [
        ("satisfaction", "csv"),
        ("satisfaction", "xlsx"),
        ("rankings", "csv"),
        ("trends", "xlsx"),
        ("rankings", "csv"),
    ]
    assert exports[0].actor == "admin" and exports[0].details["rows"] == len(json_rows)


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        (
            "/api/v1/satisfaction",
            {"group_by": "agency,commune"},
            "/query/group_by: 'commune' is not one of agency, counter, element, item, month, quarter, channel",
        ),
        ("/api/v1/satisfaction", {"method": "exact"}, "/query/method: 'exact' is not one of "),
        ("/api/v1/satisfaction", {"level": "0.3"}, "/query/level: "),
        ("/api/v1/satisfaction", {"level": "1"}, "/query/level: "),
        (
            "/api/v1/satisfaction",
            {"from": "2025-03-01", "to": "2025-02-01"},
            "from: 2025-03-01 is after to: 2025-02-01",
        ),
        ("/api/v1/satisfaction", {"channel": "fax"}, "/query/channel: "),
        ("/api/v1/satisfaction", {"format": "pdf"}, "/query/format: "),
        ("/api/v1/satisfaction", {"procedure_field": "astrology"}, "procedure_field: no procedure field 'astrology'"),
        ("/api/v1/rankings", {"level": "galaxy"}, "/query/level: "),
        ("/api/v1/rankings", {"indicator": "item:nothing"}, "indicator: 'item:nothing' is not measured by this form"),
        ("/api/v1/trends", {"period": "week"}, "/query/period: "),
        ("/api/v1/trends", {"from": "2025-03-01", "to": "2025-02-01"}, "from: 2025-03-01 is after to: 2025-02-01"),
    ],
)
def test_bad_parameters_are_422_naming_them(
    client: TestClient, session: Session, settings: Settings, path: str, params: dict[str, str], message: str
) -> None:
    world = province(session, settings)
    headers = login(client, session, "admin", Role.province_admin, world.province)
    response = client.get(path, params=params, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid"
    assert response.json()["error"]["message"].startswith(message)


@pytest.mark.parametrize("path", ["/api/v1/satisfaction", "/api/v1/rankings", "/api/v1/trends"])
def test_unknown_agency_and_form_are_404(client: TestClient, session: Session, settings: Settings, path: str) -> None:
    world = province(session, settings)
    other = create_agency(session, code="XY", name_vi="Tỉnh Khác", level=AgencyLevel.province)
    session.commit()
    headers = login(client, session, "admin", Role.province_admin, world.province)
    for params in ({"agency": "NOPE"}, {"agency": other.code}):
        response = client.get(path, params=params, headers=headers)
        assert response.status_code == 404
        assert response.json()["error"]["message"] == f"no agency with code {params['agency']!r}"
    response = client.get(path, params={"form": "no-such-form"}, headers=headers)
    assert response.status_code == 404 and response.json()["error"]["message"] == "form: no form 'no-such-form'"


def test_population_periods_that_cut_months_weigh_row_by_row(
    client: TestClient, session: Session, settings: Settings
) -> None:
    """Counts for whole months weigh each agency-month after the GROUP BY; a period that cuts a month (here 15
    January to 14 February for TP-A) makes the weights vary inside a stratum, so they are joined row by row —
    and still equal N/n of the period, the other responses taking the overall ΣN/Σn."""
    world = province(session, settings, population=False)
    periods = {"TP-A": (date(2025, 1, 15), date(2025, 2, 14), 150), "TP-B": (date(2025, 2, 10), date(2025, 3, 9), 400)}
    for code, (start, end, dossiers) in periods.items():
        session.add(
            PopulationCount(
                agency_id=world.agencies[code].id, period_start=start, period_end=end, dossiers_handled=dossiers
            )
        )
    session.commit()
    headers = login(client, session, "admin", Role.province_admin, world.province)
    body = client.get("/api/v1/satisfaction", params={"group_by": "agency"}, headers=headers).json()
    clean = world.clean

    def cell(row: Known) -> str | None:
        found = periods.get(row.agency)
        return row.agency if found and found[0] <= row.day <= found[1] else None

    n = {code: sum(cell(row) == code for row in clean) for code in periods}
    overall = sum(dossiers for _s, _e, dossiers in periods.values()) / sum(n.values())
    weights = np.array([periods[c][2] / n[c] if (c := cell(row)) else overall for row in clean])
    assert len(set(weights.round(9))) == 3
    assert body["meta"]["weighted"] is True
    assert body["meta"]["responses_without_population_count"] == len(clean) - sum(n.values())
    design = make_design(
        weights,
        strata=[f"{r.agency}|{r.month}" for r in clean],
        clusters=[f"{r.counter}|{r.week}" for r in clean],
        lonely_psu="adjust",
    )
    keys = sorted({row.agency for row in clean})
    domain = [keys.index(row.agency) for row in clean]
    answered = np.array([[code in row.answers for code in ITEMS] for row in clean], dtype=float)
    satisfied = np.array([[row.answers.get(code, 0) >= 4 for code in ITEMS] for row in clean], dtype=float)
    table, strata = table_from_rows(design, domain, answered, satisfied)
    results = estimate_domains(table, strata, ITEMS, INDICES, domains=len(keys))
    rows = {row["agency"]: row for row in body["rows"]}
    for key, found in zip(keys, results, strict=True):
        assert_same(rows[key], next(e for e in found if e.metric == "sipas"), key)


def test_rankings_refuse_a_period_whose_previous_one_is_before_year_one(
    client: TestClient, session: Session, settings: Settings
) -> None:
    """Found by tests/fuzz: the previous period of from=0001-01-02&to=2026-01-01 overflowed date and answered 500."""
    world = make_tree(session)
    headers = login(client, session, "admin", Role.province_admin, world.province)
    response = client.get("/api/v1/rankings", params={"from": "0001-01-02", "to": "2026-01-01"}, headers=headers)
    assert response.status_code == 422
    assert response.json()["error"]["message"] == (
        "/query/from: the period before 0001-01-02–2026-01-01, of the same length, would start before year 1; "
        "give a later from or a shorter period"
    )


def test_periods_to_the_last_day_of_the_calendar_are_figures_not_errors(
    client: TestClient, session: Session, settings: Settings
) -> None:
    """Found by hand: the summary path asked for the day after 9999-12-31 to see whether the period ends a month, and
    answered 500."""
    world = make_tree(session)
    rows = [Known("TP-A", "Q01", date(2025, 1, day), Channel.web_qr, dict.fromkeys(ITEMS, 4)) for day in (3, 10)]
    add_rows(session, settings, world, rows)
    refresh(session)  # folded into the summary, so that the figures are read from it
    headers = login(client, session, "admin", Role.province_admin, world.province)
    everything = client.get("/api/v1/satisfaction", params={"agency": "TP-A"}, headers=headers).json()["rows"]
    to_the_end = client.get(
        "/api/v1/satisfaction", params={"agency": "TP-A", "from": "2025-01-02", "to": "9999-12-31"}, headers=headers
    )
    assert to_the_end.status_code == 200
    assert to_the_end.json()["rows"] == everything
    in_the_last_month = client.get(
        "/api/v1/satisfaction", params={"agency": "TP-A", "from": "9999-12-05", "to": "9999-12-31"}, headers=headers
    )
    assert in_the_last_month.status_code == 200
    assert in_the_last_month.json()["rows"] == []
    # inside the first month of the calendar, and one day inside a folded month: the cut days are read raw
    for start, end, answered in (("0001-01-02", "0001-01-20", 0), ("2025-01-10", "2025-01-10", 1)):
        cut = client.get("/api/v1/satisfaction", params={"agency": "TP-A", "from": start, "to": end}, headers=headers)
        assert cut.status_code == 200, cut.text
        assert sum(row["n"] for row in cut.json()["rows"]) == answered
    # by hour of day: on SQLite the zone's UTC offsets are looked up two days either side of the period
    by_hour = client.get(
        "/api/v1/satisfaction",
        params={"agency": "TP-A", "from": "0001-01-01", "to": "9999-12-31", "group_by": "hour"},
        headers=headers,
    )
    assert by_hour.status_code == 200
    assert sum(row["n"] for row in by_hour.json()["rows"] if row["metric"] == "sipas") == 2


def test_a_response_stored_while_a_report_runs_is_not_half_counted(
    client: TestClient, session: Session, settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The report reads the strata weights, then the sums: an agency's first response of a new month committed
    between the two used to be a stratum without a weight (a 500). All of a report's reads share one snapshot."""
    world = province(session, settings)
    headers = login(client, session, "admin", Role.province_admin, world.province)
    before = client.get("/api/v1/satisfaction", params={"group_by": "agency"}, headers=headers).json()
    original = satisfaction_service.fetch_sums
    late = Known("TP-B", "Q01", date(2025, 9, 3), Channel.web_qr, dict.fromkeys(ITEMS, 1))

    def with_a_late_response(session_: Session, query: Any) -> Any:
        with make_session_factory(engine)() as other:
            add_rows(other, settings, world, [late])
        return original(session_, query)

    monkeypatch.setattr(satisfaction_service, "fetch_sums", with_a_late_response)
    during = client.get("/api/v1/satisfaction", params={"group_by": "agency"}, headers=headers)
    assert during.status_code == 200, during.text
    assert during.json()["rows"] == before["rows"]
    monkeypatch.setattr(satisfaction_service, "fetch_sums", original)
    after = client.get("/api/v1/satisfaction", params={"group_by": "agency", "weighted": "false"}, headers=headers)
    assert sum(row["n"] for row in after.json()["rows"] if row["agency"] != "TP") == len(world.clean)
