"""Imported survey files keep their design on every path: the officials' API gives the numbers of `sipas stats` on
the same file and of R's ``svyciprop`` (tests/stats/oracle/expected/imported_weighted*.csv), on SQLite and
PostgreSQL; a selection holding live and imported responses is never blended."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.cli import cli
from app.config import Settings
from app.directory.models import AgencyLevel, Role
from app.directory.service import create_agency, create_counter
from tests.factories import live_response, login

ORACLE = Path(__file__).resolve().parents[1] / "stats" / "oracle"


def _file(dataset: str, tmp_path: Path) -> Path:
    """The oracle's file with the reason the form asks after a 1 or 2 (the figures do not use it)."""
    with (ORACLE / "data" / f"{dataset}.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    path = tmp_path / f"{dataset}.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, [*rows[0], "reason"])
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "reason": "waiting_time" if row["overall"] in ("1", "2") else ""})
    return path


def _expected(dataset: str) -> dict[str, dict[str, str]]:
    with (ORACLE / "expected" / f"{dataset}.csv").open(encoding="utf-8") as handle:
        return {row["group"]: row for row in csv.DictReader(handle)}


def _run(settings: Settings, *args: str) -> str:
    env = {
        "SIPAS_DATABASE_URL": settings.database_url,
        "SIPAS_SECRETS_FILE": str(settings.secrets_file),
        "SIPAS_ENV": "test",
    }
    result = CliRunner().invoke(cli, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.stdout


DESIGN = ["--weight", "w", "--strata", "stratum", "--psu", "psu"]


@pytest.fixture
def imported(session: Session, settings: Settings, tmp_path: Path, request: pytest.FixtureRequest) -> Any:
    agency = create_agency(session, code="MA-A", name_vi="Sở A", level=AgencyLevel.department)
    session.commit()

    def load(dataset: str) -> Path:
        path = _file(dataset, tmp_path)
        _run(
            settings,
            "import",
            str(path),
            "--form",
            "counter-quick@1",
            "--agency-column",
            "agency",
            "--date-column",
            "date",
            "--id-column",
            "id",
            *DESIGN,
        )
        return path

    return agency, load


@pytest.mark.parametrize("dataset", ["imported_weighted_small", "imported_weighted"])
def test_the_api_rate_equals_r_and_sipas_stats_on_the_file(
    client: TestClient, session: Session, settings: Settings, imported: Any, dataset: str
) -> None:
    agency, load = imported
    path = load(dataset)
    headers = login(client, session, "admin", Role.province_admin, agency)
    body = client.get("/api/v1/satisfaction", params={"group_by": "item"}, headers=headers).json()
    assert body["meta"]["source"] == "import" and body["meta"]["weighted"] is True
    assert body["meta"]["design"].startswith("the design each survey file was imported with")
    (overall,) = [row for row in body["rows"] if row["metric"] == "overall"]
    # R: svydesign(ids = ~psu, strata = ~stratum, weights = ~w, nest = TRUE); svyciprop(~I(overall >= 4),
    # method = "beta"); svymean(…, deff = TRUE)
    r = _expected(dataset)["ALL"]
    assert overall["estimate_pct"] == pytest.approx(float(r["estimate"]) * 100, rel=1e-12)
    assert overall["se_pct"] == pytest.approx(float(r["se"]) * 100, rel=1e-9)
    assert overall["ci_low_pct"] == pytest.approx(float(r["ci_lower"]) * 100, rel=1e-9)
    assert overall["ci_high_pct"] == pytest.approx(float(r["ci_upper"]) * 100, rel=1e-9)
    assert (overall["n"], overall["df"]) == (int(r["n"]), int(r["df"]))
    assert overall["deff"] == pytest.approx(float(r["deff"]), rel=1e-9) and overall["deff_reference"] == "srswor"
    printed = _run(settings, "stats", str(path), "--form", "counter-quick@1", *DESIGN, "--format", "json")
    (from_file,) = [row for row in json.loads(printed) if row["metric"] == "overall"]
    for column in ("estimate_pct", "se_pct", "ci_low_pct", "ci_high_pct", "deff", "n_eff"):
        assert overall[column] == pytest.approx(from_file[column], rel=1e-12), column
    assert (overall["n"], overall["df"], overall["flags"]) == (from_file["n"], from_file["df"], from_file["flags"])


def test_the_small_weighted_file_is_96_percent_not_20(
    client: TestClient, session: Session, settings: Settings, imported: Any
) -> None:
    # 2 satisfied answers with weight 100 and 8 dissatisfied with weight 1: 200/208. Replacing the file's design by
    # the live one (N/n weights, counter-week PSUs) gave 20%.
    agency, load = imported
    load("imported_weighted_small")
    headers = login(client, session, "admin", Role.province_admin, agency)
    body = client.get("/api/v1/satisfaction", params={"group_by": "item"}, headers=headers).json()
    (overall,) = [row for row in body["rows"] if row["metric"] == "overall"]
    assert overall["estimate_pct"] == pytest.approx(20000 / 208, rel=1e-12)
    unweighted = client.get(
        "/api/v1/satisfaction", params={"group_by": "item", "weighted": "false"}, headers=headers
    ).json()
    assert next(r for r in unweighted["rows"] if r["metric"] == "overall")["estimate_pct"] == pytest.approx(20.0)


def test_live_and_imported_responses_are_never_blended(
    client: TestClient, session: Session, settings: Settings, imported: Any
) -> None:
    agency, load = imported
    load("imported_weighted_small")
    counter = create_counter(session, agency=agency, code="Q01", name_vi="Quầy 1")
    session.commit()
    for overall in (5, 4, 2):
        live_response(session, settings, agency=agency, counter=counter, day=date(2026, 3, 20), overall=overall)
    headers = login(client, session, "admin", Role.province_admin, agency)
    mixed = client.get("/api/v1/satisfaction", params={"group_by": "item"}, headers=headers)
    assert mixed.status_code == 422
    message = mixed.json()["error"]["message"]
    assert message.startswith("source: the selection holds 3 live responses") and "10 imported" in message
    assert "source=live or source=import" in message
    for endpoint in ("/api/v1/trends", "/api/v1/rankings"):
        assert client.get(endpoint, headers=headers).status_code == 422
    live = client.get("/api/v1/satisfaction", params={"group_by": "item", "source": "live"}, headers=headers).json()
    assert live["meta"]["source"] == "live" and live["meta"]["responses"] == 3
    assert next(r for r in live["rows"] if r["metric"] == "overall")["estimate_pct"] == pytest.approx(200 / 3)
    by_channel = client.get("/api/v1/satisfaction", params={"channel": "import"}, headers=headers).json()
    assert by_channel["meta"]["source"] == "import" and by_channel["meta"]["responses"] == 10
    wrong = client.get("/api/v1/satisfaction", params={"channel": "kiosk", "source": "import"}, headers=headers)
    assert wrong.status_code == 422
    assert wrong.json()["error"]["message"] == "source: import responses never have the channel kiosk"
