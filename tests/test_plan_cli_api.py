"""`sipas plan` and `GET /api/v1/plan`: the planner of app/stats/plan.py on the command line and over HTTP."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.cli import cli
from app.planning.schemas import EXAMPLE, LIVE_EXAMPLE
from app.stats.plan import Plan, plan
from tests.factories import database_free

runner = CliRunner()
PLAIN_FIELDS = {
    "target_pct",
    "margin_pct",
    "deff",
    "population",
    "level",
    "z",
    "ministry_n",
    "srs_n",
    "design_n",
    "explanation",
}
LIVE_FIELDS = PLAIN_FIELDS | {
    "counters",
    "months",
    "psus",
    "design_df",
    "t",
    "true_rate_pct",
    "power",
    "power_n",
    "achieved_power",
}


def test_plan_prints_a_table() -> None:
    result = runner.invoke(cli, ["plan", "--target", "86", "--margin", "3", "--deff", "1.5", "--population", "10000"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[:4] == [
        "target 86%, margin ±3 points, 95% confidence",
        "ministry rule n = N/(1+N·e²):       1,000   (N = 10,000)",
        "simple random sample:                 489   (corrected for N = 10,000)",
        "with design effect 1.5:               716",
    ]
    assert "it assumes a 50% rate and z = 2" in result.output


def test_plan_without_a_population_uses_the_rules_limit() -> None:
    result = runner.invoke(cli, ["plan", "--target", "86", "--margin", "3", "--level", "0.99"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[:4] == [
        "target 86%, margin ±3 points, 99% confidence",
        "ministry rule n = N/(1+N·e²):       1,112   (N unknown: the limit 1/e²)",
        "simple random sample:                 888",
        "with design effect 1:                 888",
    ]


def test_plan_as_json() -> None:
    result = runner.invoke(cli, ["plan", "--target", "86", "--margin", "3", "--deff", "1.5", "--format", "json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["target_pct"] == 86 and body["margin_pct"] == 3 and body["deff"] == 1.5
    assert (body["ministry_n"], body["srs_n"], body["design_n"]) == (1112, 514, 771)
    assert body["population"] is None and body["level"] == 0.95
    assert body["z"] == pytest.approx(1.959963984540054)
    assert "771" in body["explanation"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target", "120", "--margin", "3"], "error: --target: must be a percentage from 0.01 to 99.99, not 120"),
        (
            ["--target", "86", "--margin", "0"],
            "error: --margin: must be at least 0.01 and under 50 percentage points, not 0",
        ),
        (
            ["--target", "86", "--margin", "3", "--deff", "0"],
            "error: --deff: must be a design effect from 0.01 to 100, not 0",
        ),
        (
            ["--target", "86", "--margin", "3", "--population", "0"],
            "error: --population: must be a whole number from 1 to 2,147,483,647, not 0",
        ),
        (["--target", "86", "--margin", "3", "--level", "95"], "error: --level: must be a confidence level"),
        (
            ["--target", "86", "--margin", "3", "--deff", "1e308"],
            "error: --deff: must be a design effect from 0.01 to 100",
        ),
    ],
)
def test_plan_rejects_bad_input_in_one_line(args: list[str], message: str) -> None:
    result = runner.invoke(cli, ["plan", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_plan_rejects_an_unknown_format() -> None:
    result = runner.invoke(cli, ["plan", "--target", "86", "--margin", "3", "--format", "xml"])
    assert result.exit_code == 2


@database_free
def test_plan_endpoint(client: TestClient) -> None:
    response = client.get("/api/v1/plan", params={"target": 86, "margin": 3, "deff": 1.5, "population": 10000})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == PLAIN_FIELDS
    assert (body["ministry_n"], body["srs_n"], body["design_n"]) == (1000, 489, 716)
    inputs = (body["target_pct"], body["margin_pct"], body["deff"], body["population"], body["level"])
    assert inputs == (86, 3, 1.5, 10000, 0.95)
    defaults = client.get("/api/v1/plan?target=86&margin=3").json()
    assert (defaults["ministry_n"], defaults["srs_n"], defaults["design_n"]) == (1112, 514, 514)
    assert defaults["population"] is None and defaults["deff"] == 1


@pytest.mark.parametrize(
    ("query", "pointer", "message"),
    [
        ("target=100&margin=3", "/query/target", "less than or equal to 99.99"),
        ("target=0&margin=3", "/query/target", "greater than or equal to 0.01"),
        ("target=86&margin=50", "/query/margin", "less than 50"),
        ("target=86&margin=3&deff=0", "/query/deff", "greater than or equal to 0.01"),
        ("target=1&margin=1&deff=5e-324&population=1", "/query/deff", "greater than or equal to 0.01"),
        ("target=86&margin=3&deff=inf", "/query/deff", "finite number"),
        ("target=86&margin=3&population=0", "/query/population", "greater than or equal to 1"),
        ("target=86&margin=3&population=2.5", "/query/population", "integer"),
        ("target=86&margin=3&level=95", "/query/level", "less than or equal to 0.9999"),
        # Found by tests/fuzz: these reached the arithmetic and answered 500 (ZeroDivisionError, OverflowError).
        ("target=5e-324&margin=1&population=1", "/query/target", "greater than or equal to 0.01"),
        ("target=86&margin=5e-324", "/query/margin", "greater than or equal to 0.01"),
        ("target=86&margin=3&level=5e-324&population=1", "/query/level", "greater than or equal to 0.5"),
        ("target=86&margin=3&deff=1e308", "/query/deff", "less than or equal to 100"),
        (f"target=86&margin=3&population={10**400}", "/query/population", "less than or equal to 2147483647"),
        ("margin=3", "/query/target", "required"),
        ("target=abc&margin=3", "/query/target", "number"),
    ],
)
@database_free
def test_plan_endpoint_rejects_bad_input(client: TestClient, query: str, pointer: str, message: str) -> None:
    response = client.get(f"/api/v1/plan?{query}")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["message"].startswith(f"{pointer}: ")
    assert message in error["message"]


@database_free
def test_plan_endpoint_is_public_and_documented(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    operation = spec["paths"]["/api/v1/plan"]["get"]
    assert "security" not in operation
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert names == {"target", "margin", "deff", "population", "level", "counters", "months", "true_rate", "power"}
    schema = spec["components"]["schemas"]["PlanOut"]
    assert schema["examples"][0]["design_n"] == 716


def test_the_openapi_example_is_a_real_answer() -> None:
    assert asdict(plan(86, 3, deff=1.5, population=10_000)) == EXAMPLE


def test_the_openapi_live_example_is_a_real_answer() -> None:
    answer = asdict(plan(86, 3, counters=1, months=1, true_rate_pct=89, power=0.8))
    assert answer.keys() == LIVE_EXAMPLE.keys() == LIVE_FIELDS
    for name, value in LIVE_EXAMPLE.items():
        assert answer[name] == (pytest.approx(value, rel=1e-9) if isinstance(value, float) else value), name


# --- The live design and the power of `met` ---------------------------------------------------------------------

LIVE = ["--target", "86", "--margin", "3", "--counters", "1", "--months", "1"]


def test_plan_for_the_live_design_prints_its_df_and_t() -> None:
    result = runner.invoke(cli, ["plan", *LIVE])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:4] == [
        "target 86%, margin ±3 points, 95% confidence",
        "ministry rule n = N/(1+N·e²):       1,112   (N unknown: the limit 1/e²)",
        "simple random sample:                 514",
        "with design effect 1:               1,032   (t = 2.776 on 4 df: 1 counter × 1 month)",
    ]
    assert "4 degrees of freedom" in result.output


def test_plan_with_a_true_rate_and_a_power() -> None:
    result = runner.invoke(cli, ["plan", *LIVE, "--true-rate", "89", "--power", "0.8"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[3:6] == [
        "with design effect 1:               1,032   (t = 2.776 on 4 df: 1 counter × 1 month)",
        "chance of met at 89%:                 55%   with 1,032 responses",
        "for 80% chance of met:              1,857",
    ]


def test_plan_for_the_live_design_as_json() -> None:
    live = ["--counters", "3", "--months", "2", "--true-rate", "89", "--power", "0.8"]
    args = ["plan", "--target", "86", "--margin", "3", "--deff", "1.5", "--population", "10000", *live]
    result = runner.invoke(cli, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert set(body) == LIVE_FIELDS
    assert (body["ministry_n"], body["srs_n"], body["design_n"]) == (1000, 489, 842)  # live: no N correction
    assert (body["counters"], body["months"], body["psus"], body["design_df"]) == (3, 2, 30, 28)
    assert body["t"] == pytest.approx(2.0484071417952454)
    assert body["power_n"] == 1614 and body["achieved_power"] == pytest.approx(0.501, abs=0.001)
    assert body == asdict(plan(86, 3, 1.5, 10_000, counters=3, months=2, true_rate_pct=89, power=0.8))


def test_plan_without_the_new_options_prints_as_before() -> None:
    result = runner.invoke(cli, ["plan", "--target", "86", "--margin", "3", "--format", "json"])
    assert set(json.loads(result.output)) == PLAIN_FIELDS
    assert type(plan(86, 3)) is Plan


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--counters", "1"], "error: --months: must be given with the number of counters"),
        (["--months", "1"], "error: --counters: must be given with the number of months"),
        (["--counters", "0", "--months", "1"], "error: --counters: must be a whole number from 1 to 1,000, not 0"),
        (["--counters", "1", "--months", "121"], "error: --months: must be a whole number from 1 to 120, not 121"),
        (["--true-rate", "86"], "error: --true-rate: must be above the target of 86%, not 86"),
        (["--true-rate", "120"], "error: --true-rate: must be a percentage from 0.01 to 99.99, not 120"),
        (["--power", "0.8"], "error: --true-rate: must be given with a power"),
        (["--true-rate", "89", "--power", "80"], "error: --power: must be a probability from 0.5 to 0.9999"),
        (["--true-rate", "nan"], "error: --true-rate: must be a finite number"),
    ],
)
def test_plan_rejects_a_bad_design_or_power_in_one_line(args: list[str], message: str) -> None:
    result = runner.invoke(cli, ["plan", "--target", "86", "--margin", "3", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


@database_free
def test_plan_endpoint_for_the_live_design(client: TestClient) -> None:
    query = {"target": 86, "margin": 3, "counters": 1, "months": 1, "true_rate": 89, "power": 0.8}
    response = client.get("/api/v1/plan", params=query)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == LIVE_FIELDS
    assert (body["srs_n"], body["design_n"], body["design_df"], body["power_n"]) == (514, 1032, 4, 1857)
    assert body == asdict(plan(86, 3, counters=1, months=1, true_rate_pct=89, power=0.8))
    only_power = client.get("/api/v1/plan?target=86&margin=3&true_rate=89").json()
    assert set(only_power) == LIVE_FIELDS and only_power["design_df"] is None and only_power["power_n"] is None
    assert only_power["achieved_power"] == pytest.approx(0.494, abs=0.001)


@pytest.mark.parametrize(
    ("query", "pointer", "message"),
    [
        ("counters=0&months=1", "/query/counters", "greater than or equal to 1"),
        ("counters=1001&months=1", "/query/counters", "less than or equal to 1000"),
        ("counters=1.5&months=1", "/query/counters", "integer"),
        ("counters=1&months=121", "/query/months", "less than or equal to 120"),
        ("counters=1", "/query/months", "must be given with the number of counters"),
        ("months=1", "/query/counters", "must be given with the number of months"),
        ("true_rate=86", "/query/true_rate", "must be above the target of 86%, not 86"),
        ("true_rate=100", "/query/true_rate", "less than or equal to 99.99"),
        ("true_rate=inf", "/query/true_rate", "finite number"),
        ("power=0.8", "/query/true_rate", "must be given with a power"),
        ("true_rate=89&power=0.3", "/query/power", "greater than or equal to 0.5"),
        ("true_rate=89&power=1", "/query/power", "less than or equal to 0.9999"),
    ],
)
@database_free
def test_plan_endpoint_rejects_a_bad_design_or_power(
    client: TestClient, query: str, pointer: str, message: str
) -> None:
    response = client.get(f"/api/v1/plan?target=86&margin=3&{query}")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["message"].startswith(f"{pointer}: ")
    assert message in error["message"]
