"""`sipas plan` and `GET /api/v1/plan`: the planner of app/stats/plan.py on the command line and over HTTP."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.cli import cli
from app.reports.plan_endpoints import EXAMPLE
from app.stats.plan import plan

runner = CliRunner()


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


def test_plan_endpoint(client: TestClient) -> None:
    response = client.get("/api/v1/plan", params={"target": 86, "margin": 3, "deff": 1.5, "population": 10000})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"target_pct", "margin_pct", "deff", "population", "level", "z", "ministry_n", "srs_n",
                         "design_n", "explanation"}  # fmt: skip
    assert (body["ministry_n"], body["srs_n"], body["design_n"]) == (1000, 489, 716)
    assert (body["target_pct"], body["margin_pct"], body["deff"], body["population"], body["level"]) == (
        86, 3, 1.5, 10000, 0.95,
    )  # fmt: skip
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
def test_plan_endpoint_rejects_bad_input(client: TestClient, query: str, pointer: str, message: str) -> None:
    response = client.get(f"/api/v1/plan?{query}")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["message"].startswith(f"{pointer}: ")
    assert message in error["message"]


def test_plan_endpoint_is_public_and_documented(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    operation = spec["paths"]["/api/v1/plan"]["get"]
    assert "security" not in operation
    assert {parameter["name"] for parameter in operation["parameters"]} == {
        "target", "margin", "deff", "population", "level",
    }  # fmt: skip
    schema = spec["components"]["schemas"]["PlanOut"]
    assert schema["examples"][0]["design_n"] == 716


def test_the_openapi_example_is_a_real_answer() -> None:
    assert asdict(plan(86, 3, deff=1.5, population=10_000)) == EXAMPLE
