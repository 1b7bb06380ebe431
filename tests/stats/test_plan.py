"""Sample-size planning: every number worked out by hand (z = qnorm(0.975) = 1.959963984540054, z² = 3.8414588…)."""

from __future__ import annotations

import dataclasses
import math

import pytest

from app.stats.plan import Plan, PlanError, _ceil, plan


def test_target_86_margin_3() -> None:
    result = plan(86, 3)
    assert result.z == pytest.approx(1.959963984540054, rel=1e-15)
    assert result.srs_n == 514  # 3.8414588 · 0.86 · 0.14 / 0.03² = 513.90
    assert result.design_n == 514  # deff 1
    assert result.ministry_n == 1112  # no N: the rule's limit 1/0.03² = 1111.1
    assert (result.target_pct, result.margin_pct, result.deff, result.population, result.level) == (
        86.0, 3.0, 1.0, None, 0.95,
    )  # fmt: skip


def test_design_effect_multiplies_the_simple_random_sample() -> None:
    assert plan(86, 3, deff=1.5).design_n == 771  # 513.90 · 1.5 = 770.85
    assert plan(86, 3, deff=2).design_n == 1028  # 1027.80
    assert plan(86, 3, deff=0.8).design_n == 412  # 411.12: a design better than simple random sampling


def test_population_applies_the_ministry_rule_and_the_finite_population_correction() -> None:
    result = plan(86, 3, deff=1.5, population=10_000)
    assert result.ministry_n == 1000  # 10000 / (1 + 10000 · 0.0009) = 10000 / 10
    assert result.srs_n == 489  # 513.90 / (1 + 512.90 / 10000) = 488.83
    assert result.design_n == 716  # the correction after the deff: 770.85 / (1 + 769.85 / 10000) = 715.75
    small = plan(90, 2, deff=2, population=500)
    assert small.ministry_n == 417  # 500 / (1 + 500 · 0.0004) = 416.67
    assert small.srs_n == 317  # n₀ = 3.8414588 · 0.09 / 0.0004 = 864.33; 864.33 / (1 + 863.33 / 500) = 316.99
    assert small.design_n == 388  # 1728.66 / (1 + 1727.66 / 500) = 387.9989


def test_the_ministrys_own_margin_of_5_percent() -> None:
    assert plan(50, 5).ministry_n == 400  # 1 / 0.05² (399.99999999999994 in floating point)
    assert plan(50, 5).srs_n == 385  # 3.8414588 · 0.25 / 0.0025 = 384.15: the rule is z = 2, p = 0.5
    assert plan(86, 5, population=10_000).ministry_n == 385  # 10000 / 26 = 384.6
    assert plan(86, 5, population=10_000).srs_n == 182  # 185.00 / (1 + 184.00 / 10000) = 181.66


def test_confidence_level() -> None:
    assert plan(86, 3, level=0.99).srs_n == 888  # 2.5758293² · 0.1204 / 0.0009 = 887.60
    assert plan(86, 3, level=0.90).srs_n == 362  # 1.6448536² · 0.1204 / 0.0009 = 361.94
    assert plan(86, 3, level=0.99).z == pytest.approx(2.5758293035489004, rel=1e-15)


def test_a_population_of_one_needs_one_response() -> None:
    result = plan(86, 3, deff=4, population=1)
    assert (result.ministry_n, result.srs_n, result.design_n) == (1, 1, 1)


def test_a_population_smaller_than_the_sample_caps_it() -> None:
    result = plan(86, 1, deff=3, population=300)
    assert result.srs_n <= 300 and result.design_n <= 300 and result.ministry_n <= 300
    assert result.design_n == 294  # n₀·deff = 4625.12 · 3 = 13875.35; 13875.35 / (1 + 13874.35 / 300) = 293.67


def test_explanation_names_the_numbers() -> None:
    text = plan(86, 3, deff=1.5, population=10_000).explanation
    for part in ("86%", "±3 points", "95% confidence", "489", "1.5", "716", "1,000", "N/(1+N·e²)", "10,000"):
        assert part in text
    assert "1/e²" in plan(86, 3).explanation


def test_plan_is_a_frozen_record_of_its_inputs() -> None:
    result = plan(86.5, 2.5, deff=1.25, population=2_000, level=0.9)
    assert isinstance(result, Plan)
    assert dataclasses.asdict(result)["population"] == 2000
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.srs_n = 1  # type: ignore[misc]
    assert plan(86, 3, population=10_000.0).population == 10_000  # a whole float is a whole number


@pytest.mark.parametrize(
    ("kwargs", "parameter", "message"),
    [
        ({"target_pct": 0, "margin_pct": 3}, "target_pct", "a percentage from 0.01 to 99.99, not 0"),
        ({"target_pct": 100, "margin_pct": 3}, "target_pct", "a percentage from 0.01 to 99.99, not 100"),
        ({"target_pct": 0.86, "margin_pct": 3, "level": 95}, "level", "from 0.5 to 0.9999 (0.95 for 95%), not 95"),
        ({"target_pct": 86, "margin_pct": 0}, "margin_pct", "at least 0.01 and under 50 percentage points, not 0"),
        ({"target_pct": 86, "margin_pct": 50}, "margin_pct", "at least 0.01 and under 50 percentage points, not 50"),
        ({"target_pct": 86, "margin_pct": 3, "deff": 0}, "deff", "from 0.01 to 100, not 0"),
        ({"target_pct": 86, "margin_pct": 3, "deff": -1}, "deff", "from 0.01 to 100, not -1"),
        ({"target_pct": 86, "margin_pct": 3, "deff": math.inf}, "deff", "finite"),
        ({"target_pct": math.nan, "margin_pct": 3}, "target_pct", "finite"),
        ({"target_pct": "86", "margin_pct": 3}, "target_pct", "must be a number"),
        (
            {"target_pct": 86, "margin_pct": 3, "population": 0},
            "population",
            "whole number from 1 to 2,147,483,647, not 0",
        ),
        (
            {"target_pct": 86, "margin_pct": 3, "population": 2.5},
            "population",
            "whole number from 1 to 2,147,483,647, not 2.5",
        ),
        ({"target_pct": 86, "margin_pct": 3, "population": True}, "population", "whole number from 1 to 2,147,483,647"),
        ({"target_pct": 86, "margin_pct": 3, "level": 0}, "level", "from 0.5 to 0.9999"),
        ({"target_pct": 86, "margin_pct": 3, "level": 1}, "level", "from 0.5 to 0.9999"),
        ({"target_pct": 0.001, "margin_pct": 3, "population": 1}, "target_pct", "from 0.01 to 99.99, not 0.001"),
        ({"target_pct": 86, "margin_pct": 3, "deff": 1e308}, "deff", "from 0.01 to 100, not 1e+308"),  # overflowed
        ({"target_pct": 86, "margin_pct": 3, "population": 2**31}, "population", "from 1 to 2,147,483,647"),
    ],
)
def test_bad_input_names_the_parameter(kwargs: dict[str, object], parameter: str, message: str) -> None:
    with pytest.raises(PlanError) as caught:
        plan(**kwargs)  # type: ignore[arg-type]
    assert caught.value.parameter == parameter
    assert str(caught.value).startswith(parameter)
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_rounding_up_ignores_floating_point_noise() -> None:
    assert _ceil(400.00000000000006) == 400
    assert _ceil(399.99999999999994) == 400
    assert _ceil(400.001) == 401
    assert _ceil(0.4) == 1
