"""``GET /api/v1/comparisons`` on a seeded province whose every answer the test knows: commune TP-A (two counters,
four weeks, six answers a counter-week) rose from about half satisfied (December 2024 – January 2025, and
February – March 2024) to about five in six (February – March 2025) in every element except feedback handling, which
stayed near two in three.

The reference numbers are computed here by hand from the rows (numpy and scipy only, never ``app/stats``): a rate is
Σ satisfied / Σ answered (no population counts, so unweighted); its linearised variance is the stratified
between-PSU variance of z_i = (y_i − R·x_i)/X over the counter-week PSUs of each agency-month stratum,
Σ_h n_h/(n_h − 1)·Σ_i (z_i − z̄_h)² (R's ``svyratio``; the estimates themselves are checked against R in
``tests/stats``); two periods lie in different strata, so the difference's variance is the sum of the two and its df
the sum of the two dfs (PSUs − strata); the interval is d ± t(0.975, df)·se and the p-value two-sided. The family's
p-values are adjusted by Benjamini–Hochberg written out here, and the adjusted interval is
d ± t(1 − R·0.05/m/2, df)·se for R of m significant (Benjamini & Yekutieli's false-coverage interval)."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from scipy import stats
from sqlalchemy.orm import Session

from app.config import Settings
from app.directory.models import Role
from app.responses.models import Channel
from tests.factories import ELEMENTS, Known, add_rows, login, make_tree

# Satisfied answers out of six in each of the eight counter-weeks (Q01 weeks 0–3, then Q02) of every month.
HIGH = [5, 6, 5, 4, 5, 6, 4, 5]  # 40 of 48: 83.33%
HALF = [3, 4, 2, 3, 3, 4, 2, 3]  # 24 of 48: 50%
FEEDBACK_NOW = [4, 5, 4, 3, 4, 5, 3, 4]  # 32 of 48: 66.67%
FEEDBACK_BEFORE = [4, 4, 3, 4, 5, 3, 4, 4]  # 31 of 48: 64.58%
WEEK_DAYS = (3, 10, 17, 24)
NOW = (202502, 202503)
BEFORE = (202412, 202501)
YEAR_AGO = (202402, 202403)


def _month_rows(agency: str, counters: list[str], month: int, pattern: dict[str, list[int]]) -> list[Known]:
    """Six answers per counter-week; in PSU j the first ``pattern[element][j]`` are satisfied (4), the rest not
    (3); ``overall`` follows access."""
    rows: list[Known] = []
    for c, counter in enumerate(counters):
        for w, day in enumerate(WEEK_DAYS):
            j = c * len(WEEK_DAYS) + w
            for k in range(6):
                answers = {f"{e}_general": 4 if k < pattern[e][j % len(pattern[e])] else 3 for e in ELEMENTS}
                answers["overall"] = answers["access_general"]
                rows.append(Known(agency, counter, date(month // 100, month % 100, day), Channel.web_qr, answers))
    return rows


def _pattern(rest: list[int], feedback: list[int]) -> dict[str, list[int]]:
    return {**{e: rest for e in ELEMENTS if e != "feedback"}, "feedback": feedback}


def seeded_rows() -> list[Known]:
    rows: list[Known] = []
    for month in NOW:
        rows += _month_rows("TP-A", ["Q01", "Q02"], month, _pattern(HIGH, FEEDBACK_NOW))
        rows += _month_rows("TP-B", ["Q01"], month, _pattern(HALF, HALF))
        rows += _month_rows("TP-C", ["Q01"], month, _pattern(HIGH, HIGH))
    for month in BEFORE + YEAR_AGO:
        rows += _month_rows("TP-A", ["Q01", "Q02"], month, _pattern(HALF, FEEDBACK_BEFORE))
    # TP-C: three answers in January, too few for any reliable figure
    rows += [
        Known("TP-C", "Q01", date(2025, 1, day), Channel.web_qr, {"overall": 4, "access_general": 4})
        for day in WEEK_DAYS[:3]
    ]
    return rows


@pytest.fixture
def tree(session: Session, client: TestClient) -> dict[str, Any]:
    """The province TP with communes TP-A, TP-B, TP-C and its administrator; no answers."""
    world = make_tree(session)
    return {"world": world, "headers": login(client, session, "admin", Role.province_admin, world.province)}


@pytest.fixture
def seeded(session: Session, settings: Settings, tree: dict[str, Any]) -> dict[str, Any]:
    rows = seeded_rows()
    add_rows(session, settings, tree["world"], rows)
    return {**tree, "rows": rows}


def _get(client: TestClient, headers: dict[str, str], **params: str) -> Any:
    response = client.get("/api/v1/comparisons", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


# --- the hand computation -----------------------------------------------------------------------------------------


def _hand(rows: list[Known], item: str) -> tuple[float, float, int]:
    """(rate, variance, df) of an item over ``rows``: the live design by hand — strata agency × month, PSUs
    counter × week (every PSU of these strata is in ``rows``)."""
    psus: dict[tuple[str, int, str, int], list[float]] = {}
    for row in rows:
        if item in row.answers:
            sums = psus.setdefault((row.agency, row.month, row.counter, row.week), [0.0, 0.0])
            sums[0] += float(row.answers[item] >= 4)
            sums[1] += 1.0
    total_y = sum(y for y, _x in psus.values())
    total_x = sum(x for _y, x in psus.values())
    rate = total_y / total_x
    variance = 0.0
    strata = sorted({key[:2] for key in psus})
    for stratum in strata:
        z = np.array([(y - rate * x) / total_x for key, (y, x) in psus.items() if key[:2] == stratum])
        variance += z.size / (z.size - 1) * float(((z - z.mean()) ** 2).sum())
    return rate, variance, len(psus) - len(strata)


def _bh(p_values: list[float]) -> list[float]:
    """R's p.adjust(p, "BH"), written out."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, p_values[i] * m / rank)
        adjusted[i] = running
    return adjusted


def _in(rows: list[Known], agency: str | tuple[str, ...], months: tuple[int, ...]) -> list[Known]:
    agencies = (agency,) if isinstance(agency, str) else agency
    return [row for row in rows if row.agency in agencies and row.month in months]


# --- the comparisons ------------------------------------------------------------------------------------------------


def test_previous_period_differences_equal_the_hand_computation(client: TestClient, seeded: dict[str, Any]) -> None:
    rows = seeded["rows"]
    body = _get(
        client, seeded["headers"], agency="TP-A", against="previous", **{"from": "2025-02-01", "to": "2025-03-31"}
    )
    assert (body["other_from"], body["other_to"]) == ("2024-12-01", "2025-01-31")  # two whole months before
    by = {row["indicator"]: row for row in body["rows"]}
    assert list(by) == ["sipas", *(f"element:{e}" for e in ELEMENTS)]

    # the exact estimates: 40/96 satisfied … as seeded
    assert by["element:access"]["estimate"]["estimate_pct"] == pytest.approx(80 / 96 * 100, abs=1e-9)
    assert by["element:access"]["other"]["estimate_pct"] == pytest.approx(48 / 96 * 100, abs=1e-9)
    assert by["element:feedback"]["estimate"]["estimate_pct"] == pytest.approx(64 / 96 * 100, abs=1e-9)
    assert by["element:feedback"]["other"]["estimate_pct"] == pytest.approx(62 / 96 * 100, abs=1e-9)
    assert by["sipas"]["estimate"]["estimate_pct"] == pytest.approx((4 * 80 + 64) / 5 / 96 * 100, abs=1e-9)
    assert by["sipas"]["other"]["estimate_pct"] == pytest.approx((4 * 48 + 62) / 5 / 96 * 100, abs=1e-9)

    # one difference and its interval, by hand from the rows
    now_rate, now_var, now_df = _hand(_in(rows, "TP-A", NOW), "access_general")
    before_rate, before_var, before_df = _hand(_in(rows, "TP-A", BEFORE), "access_general")
    difference = now_rate - before_rate
    se = (now_var + before_var) ** 0.5
    df = now_df + before_df
    assert (now_df, before_df) == (14, 14)
    t = stats.t.ppf(0.975, df)
    access = by["element:access"]["difference"]
    assert access["estimate_pct"] == pytest.approx(difference * 100, abs=1e-9)
    assert access["se_pct"] == pytest.approx(se * 100, rel=1e-9)
    assert access["df"] == df == 28
    assert access["ci_low_pct"] == pytest.approx((difference - t * se) * 100, rel=1e-9)
    assert access["ci_high_pct"] == pytest.approx((difference + t * se) * 100, rel=1e-9)
    assert access["p_value"] == pytest.approx(2 * stats.t.sf(abs(difference) / se, df), rel=1e-6)
    # the literal figures: +33.33 points, [24.21, 42.46] before the adjustment
    assert round(access["estimate_pct"], 2) == 33.33
    assert (round(access["ci_low_pct"], 2), round(access["ci_high_pct"], 2)) == (24.21, 42.46)

    # the family: Benjamini–Hochberg over the six rows, and the false-coverage intervals that go with it
    p_values = [row["difference"]["p_value"] for row in body["rows"]]
    adjusted = _bh(p_values)
    for row, wanted in zip(body["rows"], adjusted, strict=True):
        assert row["difference"]["p_value_adjusted"] == pytest.approx(wanted, rel=1e-12)
        assert row["difference"]["significant"] == (wanted <= 0.05)
    significant = sum(wanted <= 0.05 for wanted in adjusted)
    assert (body["family"], body["significant"]) == (6, significant) == (6, 5)
    assert body["adjusted_level"] == pytest.approx(1 - 5 * 0.05 / 6)
    wide = stats.t.ppf(1 - 5 * 0.05 / 6 / 2, df)
    assert access["adjusted_ci_low_pct"] == pytest.approx((difference - wide * se) * 100, rel=1e-9)
    assert access["adjusted_ci_high_pct"] == pytest.approx((difference + wide * se) * 100, rel=1e-9)

    # clearly up, and feedback not distinguishable: its adjusted interval contains 0
    assert {key: row["call"] for key, row in by.items()} == {
        "sipas": "up",
        "element:access": "up",
        "element:procedure": "up",
        "element:civil_servant": "up",
        "element:result": "up",
        "element:feedback": "not_distinguishable",
    }
    feedback = by["element:feedback"]["difference"]
    assert feedback["adjusted_ci_low_pct"] < 0 < feedback["adjusted_ci_high_pct"]
    assert round(feedback["estimate_pct"], 2) == 2.08
    assert (round(feedback["adjusted_ci_low_pct"], 2), round(feedback["adjusted_ci_high_pct"], 2)) == (-6.73, 10.90)
    assert feedback["p_value_adjusted"] > 0.05
    for row in body["rows"]:
        d = row["difference"]
        excludes_zero = d["adjusted_ci_low_pct"] > 0 or d["adjusted_ci_high_pct"] < 0
        assert excludes_zero == (row["call"] in ("up", "down"))


def test_the_agency_figures_are_the_satisfaction_endpoints(client: TestClient, seeded: dict[str, Any]) -> None:
    """Both sides of a period comparison are the figures /satisfaction gives for each period alone."""
    headers = seeded["headers"]
    body = _get(client, headers, agency="TP-A", against="previous", **{"from": "2025-02-01", "to": "2025-03-31"})
    for side, (start, end) in (("estimate", ("2025-02-01", "2025-03-31")), ("other", ("2024-12-01", "2025-01-31"))):
        alone = client.get(
            "/api/v1/satisfaction",
            params={"agency": "TP-A", "from": start, "to": end, "group_by": "element"},
            headers=headers,
        ).json()
        figures = {row["indicator"]: row for row in alone["rows"]}
        figures["sipas"] = next(
            row
            for row in client.get(
                "/api/v1/satisfaction", params={"agency": "TP-A", "from": start, "to": end}, headers=headers
            ).json()["rows"]
            if row["indicator"] == "sipas"
        )
        for row in body["rows"]:
            for column in ("estimate_pct", "ci_low_pct", "ci_high_pct", "se_pct", "n", "df"):
                assert row[side][column] == pytest.approx(figures[row["indicator"]][column], rel=1e-9), (side, row)


def test_last_year_skips_the_months_between(client: TestClient, seeded: dict[str, Any]) -> None:
    body = _get(
        client, seeded["headers"], agency="TP-A", against="last_year", **{"from": "2025-02-01", "to": "2025-03-31"}
    )
    assert (body["other_from"], body["other_to"]) == ("2024-02-01", "2024-03-31")
    by = {row["indicator"]: row for row in body["rows"]}
    # February–March 2024 only: the December and January answers (the same rates) are not read
    assert by["element:access"]["other"]["n"] == 96
    assert by["element:access"]["other"]["estimate_pct"] == pytest.approx(50.0)
    assert by["sipas"]["call"] == "up"
    assert by["element:feedback"]["call"] == "not_distinguishable"


def test_against_the_parent_is_the_rest_of_its_subtree(client: TestClient, seeded: dict[str, Any]) -> None:
    rows, headers = seeded["rows"], seeded["headers"]
    body = _get(client, headers, agency="TP-A", against="parent", **{"from": "2025-02-01", "to": "2025-03-31"})
    assert body["parent"] == {"agency": "TP", "agency_name": "Tỉnh Thử Nghiệm"}
    assert (body["other_from"], body["other_to"]) == ("2025-02-01", "2025-03-31")
    by = {row["indicator"]: row for row in body["rows"]}
    # the rest: TP-B (half satisfied) and TP-C (five in six) together, TP-A's own answers left out
    rest = _in(rows, ("TP-B", "TP-C"), NOW)
    rate, variance, df = _hand(rest, "access_general")
    assert (
        by["element:access"]["other"]["estimate_pct"]
        == pytest.approx(rate * 100, abs=1e-9)
        == pytest.approx((24 + 40) * 2 / 192 * 100)
    )
    assert by["element:access"]["other"]["se_pct"] == pytest.approx(variance**0.5 * 100, rel=1e-9)
    assert by["element:access"]["other"]["df"] == df == 4 * 2 * 2 - 4  # TP-B and TP-C: 4 PSUs in each of 4 strata
    mine_rate, mine_var, mine_df = _hand(_in(rows, "TP-A", NOW), "access_general")
    access = by["element:access"]["difference"]
    assert access["estimate_pct"] == pytest.approx((mine_rate - rate) * 100, abs=1e-9)
    assert access["se_pct"] == pytest.approx((mine_var + variance) ** 0.5 * 100, rel=1e-9)  # independent samples
    assert access["df"] == mine_df + df
    # the parent's own figure over its whole subtree is reported beside, and is /satisfaction's for TP
    whole = client.get(
        "/api/v1/satisfaction", params={"agency": "TP", "from": "2025-02-01", "to": "2025-03-31"}, headers=headers
    ).json()
    sipas = next(row for row in whole["rows"] if row["indicator"] == "sipas")
    reference = next(row for row in body["parent_total"] if row["indicator"] == "sipas")
    assert reference["estimate_pct"] == pytest.approx(sipas["estimate_pct"], rel=1e-12)
    assert reference["ci_low_pct"] == pytest.approx(sipas["ci_low_pct"], rel=1e-12)
    for row in body["rows"]:
        d = row["difference"]
        assert (d["adjusted_ci_low_pct"] > 0 or d["adjusted_ci_high_pct"] < 0) == (row["call"] in ("up", "down"))


def test_unreliable_estimates_get_no_call(client: TestClient, seeded: dict[str, Any]) -> None:
    body = _get(
        client, seeded["headers"], agency="TP-C", against="previous", **{"from": "2025-02-01", "to": "2025-03-31"}
    )
    by = {row["indicator"]: row for row in body["rows"]}
    assert by["element:access"]["other"]["n"] == 3
    assert by["element:access"]["other"]["unreliable"] is True
    assert by["element:access"]["difference"] is None
    assert by["element:access"]["call"] == "insufficient_data"
    assert by["element:procedure"]["other"] is None  # nobody answered it in January
    assert by["element:procedure"]["call"] == "no_data"
    assert {row["call"] for row in body["rows"]} <= {"insufficient_data", "no_data"}
    assert (body["family"], body["significant"], body["adjusted_level"]) == (0, 0, None)


@pytest.mark.parametrize("backend", ["sqlite"])  # refused before any figure is read
@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({"agency": "TP-A", "against": "sideways"}, 422, "/query/against: 'sideways' is not one of previous"),
        ({"agency": "TP-A", "against": "previous", "to": "2025-03-31"}, 422, "from: comparing with the previous"),
        ({"agency": "TP-A", "against": "last_year", "from": "2025-02-01"}, 422, "to: comparing with the same period"),
        (
            {"agency": "TP-A", "against": "last_year", "from": "2024-01-01", "to": "2025-03-31"},
            422,
            "longer than a year",
        ),
        ({"agency": "TP-A", "against": "previous", "from": "2025-03-01", "to": "2025-02-01"}, 422, "is after to"),
        ({"agency": "TP-A", "against": "previous", "from": "0001-01-01", "to": "0001-01-31"}, 422, "before year 1"),
        ({"agency": "TP", "against": "parent"}, 422, "against: TP has no parent agency"),
        ({"agency": "TP-Z", "against": "parent"}, 404, "no agency with code 'TP-Z'"),
    ],
)
def test_bad_requests_are_named(
    client: TestClient, tree: dict[str, Any], params: dict[str, str], status: int, message: str
) -> None:
    response = client.get("/api/v1/comparisons", params=params, headers=tree["headers"])
    assert response.status_code == status, response.text
    assert message in response.json()["error"]["message"]


def test_an_agency_official_cannot_see_the_parent(client: TestClient, session: Session, seeded: dict[str, Any]) -> None:
    """A commune official's scope ends at the commune: comparing with the parent is refused without naming it."""
    headers = login(client, session, "commune", Role.agency_official, seeded["world"].agencies["TP-A"])
    response = client.get(
        "/api/v1/comparisons",
        params={"agency": "TP-A", "against": "parent", "from": "2025-02-01", "to": "2025-03-31"},
        headers=headers,
    )
    assert response.status_code == 403
    assert response.json()["error"]["message"] == (
        "against: the agency above TP-A is outside your scope, so its figures are not shown"
    )
    assert "Tỉnh Thử Nghiệm" not in response.text
    ok = client.get(
        "/api/v1/comparisons",
        params={"agency": "TP-A", "against": "previous", "from": "2025-02-01", "to": "2025-03-31"},
        headers=headers,
    )
    assert ok.status_code == 200
    assert ok.json()["rows"][0]["call"] == "up"
