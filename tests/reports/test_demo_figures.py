"""The demo, read as a new official would (issue: honest figures at every size): the small commune MA-X17 month by
month has no zero-width interval and no verdict or alert from an unreliable estimate, and the province's SIPAS has
an effective sample below its respondents (clustering by counter-week costs precision)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.demo import DEMO_PASSWORD, DEMO_USERNAME
from tests.factories import log_in_as

FIRM = {"met", "not_met"}


@pytest.fixture
def demo(client: TestClient) -> dict[str, str]:
    """The demo official's bearer header, on a copy of the demo province (the ``demo`` mark)."""
    return log_in_as(client, DEMO_USERNAME, DEMO_PASSWORD)


def _honest(row: dict[str, Any]) -> None:
    if 0 < row["estimate_pct"] < 100:
        assert row["ci_low_pct"] < row["estimate_pct"] < row["ci_high_pct"], row
    if row["df"] == 0 or row["unreliable"]:
        assert row["verdict"] not in FIRM, row
        assert row["verdict"] in (None, "insufficient_data")


@pytest.mark.slow
@pytest.mark.demo
def test_the_small_commune_by_month_is_honest(client: TestClient, demo: dict[str, str]) -> None:
    trend = client.get("/api/v1/trends", params={"agency": "MA-X17", "period": "month"}, headers=demo).json()
    assert len(trend["points"]) == 12
    unreliable = 0
    for point in trend["points"]:
        estimate = point["estimate"]
        _honest(estimate)
        unreliable += estimate["unreliable"]
        if estimate["unreliable"]:
            assert point["alerts"] == []
            assert point["change"] is None
    assert unreliable >= 6  # a commune with a handful of answers a month: most months cannot be judged
    rows = client.get(
        "/api/v1/satisfaction", params={"agency": "MA-X17", "group_by": "month,element"}, headers=demo
    ).json()["rows"]
    assert rows
    for row in rows:
        _honest(row)
    # The province's SIPAS: an effective sample below its respondents (clustering by counter-week costs precision).
    body = client.get("/api/v1/satisfaction", params={"group_by": "agency"}, headers=demo).json()
    [total] = body["total"]
    assert total["metric"] == "sipas" and total["n"] > 20_000
    assert total["n_eff"] <= total["n"]  # was 61,098 for 23,684 respondents
    assert total["deff"] > 1 and total["deff_reference"] == "srswor"
    print(
        f"province SIPAS n {total['n']}, n_eff {total['n_eff']:.0f}, deff {total['deff']:.2f}; MA-X17: "
        f"{unreliable} of 12 months unreliable"
    )
    for row in body["rows"]:
        _honest(row)
    ranked = client.get("/api/v1/rankings", headers=demo).json()["rows"]
    for row in ranked:
        if row["rank"] is None:
            assert row["estimate"]["unreliable"] and row["distinct_from_next"] is None
        else:
            assert not row["estimate"]["unreliable"]
