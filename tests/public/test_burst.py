"""The pieces of the stuffing rules that need no database: networks, the order of the rules, the hourly tracker."""

from __future__ import annotations

import pytest

from app.config import Environment, Settings
from app.public import burst
from app.ratelimit import RecentlySeen

SETTINGS = Settings(env=Environment.test)  # the defaults


@pytest.mark.parametrize(
    ("host", "network"),
    [
        ("203.0.113.7", "203.0.113.0/24"),
        ("203.0.113.250", "203.0.113.0/24"),
        ("::ffff:203.0.113.7", "203.0.113.0/24"),  # an IPv4 client on a dual-stack socket
        ("2001:db8:1234:5601::9", "2001:db8:1234:5600::/56"),
        ("2001:db8:1234:56ff:abcd::1", "2001:db8:1234:5600::/56"),  # another /64 of the same delegation
        ("testclient", "testclient"),
        ("", ""),
    ],
)
def test_a_client_address_belongs_to_its_network(host: str, network: str) -> None:
    assert burst.network_of(host) == network


def _counts(**changes: int) -> burst.Counts:
    ones = {"on_link": 1, "from_client": 1, "client_hour": 1, "network_hour": 1, "link_hour": 1}
    return burst.Counts(**{**ones, **changes})


def test_rules_that_flag_earlier_answers_come_first() -> None:
    budget = SETTINGS.form_answers_per_network_per_hour
    assert burst.judge(SETTINGS, _counts()) == burst.BurstFlag(None)
    everything = _counts(on_link=11, from_client=4, client_hour=4, network_hour=2 * budget + 1, link_hour=61)
    assert burst.judge(SETTINGS, everything).rule == "link"
    assert burst.judge(SETTINGS, _counts(from_client=4, client_hour=4, network_hour=999)).rule == "client"
    flood = burst.judge(SETTINGS, _counts(client_hour=4, network_hour=2 * budget + 1, link_hour=61))
    assert flood == burst.BurstFlag(
        f"flood: {2 * budget + 1} answers from one network on this link within an hour", "flood"
    )
    assert burst.judge(SETTINGS, _counts(client_hour=4, network_hour=2 * budget, link_hour=61)).rule == "client_hour"
    assert burst.judge(SETTINGS, _counts(network_hour=budget + 1, link_hour=61)).rule == "network"
    assert burst.judge(SETTINGS, _counts(network_hour=budget, link_hour=61)).rule == "link_hour"
    assert burst.judge(SETTINGS, _counts(network_hour=budget, link_hour=60)).rule is None


def test_the_tracker_answers_for_the_hour_or_a_part_of_it() -> None:
    seen = RecentlySeen(3600)
    for moment in (0, 1000, 3000, 3590):
        seen.add("key", f"at {moment}", now=moment)
    assert seen.recent("key", now=3600) == ["at 1000", "at 3000", "at 3590"]
    assert seen.recent("key", within=60, now=3600) == ["at 3590"]
    assert seen.recent("other", now=3600) == []
