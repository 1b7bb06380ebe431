"""The database path (SQL pushdown of per-PSU sums) gives the numbers `sipas stats` gives on the file that was
imported: same estimates, SEs, intervals, n, df and design effects, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.cli import cli
from app.config import Settings
from app.directory.models import Agency
from app.forms.indices import measures
from app.reports.numbering import as_columns, kept, labels, value
from app.reports.sums import SumsQuery
from app.responses.models import Channel, Response
from tests.factories import ITEMS, counter_tree, estimate_from_database, registry


def _survey(path: Path, rows: int = 400) -> Path:
    rng = random.Random(11)
    lines = ["agency,stratum,psu,w," + ",".join(ITEMS) + ",reason"]
    for i in range(rows):
        agency = "HN" if i % 3 else "HN-X01"
        stratum = f"{agency}-{'AB'[i % 2]}"
        psu = f"{stratum}-{rng.randrange(6)}"
        weight = round(rng.uniform(5, 40), 3)
        answers = ["" if rng.random() < 0.15 else str(rng.choice([1, 2, 3, 4, 4, 5, 5, 5])) for _ in ITEMS]
        answers[0] = answers[0] or "4"  # the overall item is required by the form
        reason = "waiting_time" if answers[0] in ("1", "2") else ""  # asked only after a low overall rating
        lines.append(f"{agency},{stratum},{psu},{weight}," + ",".join(answers) + f",{reason}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def invoke(settings: Settings) -> Any:
    runner = CliRunner()
    env = {
        "SIPAS_DATABASE_URL": settings.database_url,
        "SIPAS_SECRETS_FILE": str(settings.secrets_file),
        "SIPAS_ENV": "test",
    }

    def run(*args: str) -> Any:
        result = runner.invoke(cli, list(args), env=env)
        assert result.exit_code == 0, result.output
        return result

    return run


@pytest.mark.parametrize("method", ["beta", "logit", "wilson"])
def test_database_path_equals_sipas_stats_on_the_imported_file(
    invoke: Any, session: Session, settings: Settings, tmp_path: Path, method: str
) -> None:
    counter_tree(session)
    registered = registry(session, settings)
    path = _survey(tmp_path / "survey.csv")
    design = ["--weight", "w", "--strata", "stratum", "--psu", "psu"]
    invoke(
        "import", str(path), "--form", "counter-quick@1", "--agency-column", "agency", "--date", "2026-03-14", *design
    )
    printed = invoke(
        "stats",
        str(path),
        "--form",
        "counter-quick@1",
        *design,
        "--by",
        "agency",
        "--method",
        method,
        "--target",
        "86",
        "--format",
        "json",
    ).stdout
    from_file = {(row["agency"], row["metric"]): row for row in json.loads(printed)}

    form = measures(registered[("counter-quick", 1)].definition)
    query = SumsQuery(
        items=form.items,
        domains=[("agency", Agency.code)],
        joins=[(Agency, Agency.id == Response.agency_id)],
        filters=[Response.channel == Channel.import_],
    )
    from_db = {
        (key[0], e.metric): e
        for key, found in estimate_from_database(session, query, form.indices, method=method, target=0.86)
        for e in found
    }
    assert set(from_db) == set(from_file)
    assert {metric for _, metric in from_db} == {
        *ITEMS,
        "access",
        "procedure",
        "civil_servant",
        "result",
        "feedback",
        "service",
        "sipas",
    }
    for key, row in from_file.items():
        got = from_db[key]
        assert got.estimate * 100 == pytest.approx(row["estimate_pct"], rel=1e-12)
        assert got.se * 100 == pytest.approx(row["se_pct"], rel=1e-9, abs=1e-12)
        assert got.low * 100 == pytest.approx(row["ci_low_pct"], rel=1e-9, abs=1e-12)
        assert got.high * 100 == pytest.approx(row["ci_high_pct"], rel=1e-9, abs=1e-12)
        assert (got.n, got.df, got.verdict, list(got.flags)) == (row["n"], row["df"], row["verdict"], row["flags"])
        assert got.deff == pytest.approx(row["deff"], rel=1e-9)


def test_one_domain_without_group_by(invoke: Any, session: Session, settings: Settings, tmp_path: Path) -> None:
    counter_tree(session)
    registered = registry(session, settings)
    path = _survey(tmp_path / "survey.csv", rows=120)
    invoke("import", str(path), "--form", "counter-quick@1", "--agency-column", "agency", "--date", "2026-03-14")
    # Without stored design columns the database path stratifies by agency, one PSU per response.
    printed = invoke("stats", str(path), "--item", "overall", "--strata", "agency", "--format", "json").stdout
    (row,) = json.loads(printed)
    form = measures(registered[("counter-quick", 1)].definition)
    ((key, found),) = estimate_from_database(session, SumsQuery(items=["overall"]), form.indices)
    assert key == ()
    (overall,) = [e for e in found if e.metric == "overall"]
    assert overall.estimate * 100 == pytest.approx(row["estimate_pct"], rel=1e-12)
    assert overall.se * 100 == pytest.approx(row["se_pct"], rel=1e-9)
    assert overall.n == row["n"] == 120


def test_labels_number_value_tuples_in_order_of_first_appearance() -> None:
    """How the assembly tells domains, PSUs and (domain, PSU) pairs apart without Python per row: equal tuples share a
    number, numbers follow first appearance (so sums are added in the order the rows came, as before), None is a value
    of its own, and a column of mixed kinds (a cluster label or a response id) is numbered too."""
    agency = [7, 7, 9, None, 9, 7, None]
    week = [0, 1, 0, 0, 0, 0, 0]
    mixed = ["c1", 42, "c1", 42, "c2", "c1", 42]
    numbers, first = labels([agency, week], 7)
    assert numbers.tolist() == [0, 1, 2, 3, 2, 0, 3]
    assert first.tolist() == [0, 1, 2, 3]
    assert labels([mixed], 7)[0].tolist() == [0, 1, 0, 1, 2, 0, 1]
    assert labels([], 3)[0].tolist() == [0, 0, 0]
    assert labels([[], []], 0)[0].tolist() == []
    # many wide columns: the mixed-radix key is made dense again instead of overflowing
    rng = random.Random(5)
    rows = [tuple(rng.randrange(1000) for _ in range(9)) for _ in range(2000)] * 2
    columns = [[row[j] for row in rows] for j in range(9)]
    numbers, first = labels(columns, len(rows))
    seen: dict[tuple[int, ...], int] = {}
    assert numbers.tolist() == [seen.setdefault(row, len(seen)) for row in rows]
    assert [rows[i] for i in first.tolist()] == list(seen)


def test_fetched_integer_columns_become_arrays_and_number_the_same() -> None:
    """The summary's integer keys come back as int64 arrays (numbered without converting a million Python values at
    every call); a column with a NULL, a float or a label stays as it was; single values come back as Python ints."""
    rows = [(7, None, "c1", 1.5, 3), (9, 4, 42, 2.5, 3), (7, 4, "c1", 0.5, 2**40)]
    columns = as_columns(rows, 5)
    assert isinstance(columns[0], np.ndarray) and columns[0].dtype == np.int64
    assert isinstance(columns[4], np.ndarray)
    assert [type(column).__name__ for column in columns[1:4]] == ["tuple", "tuple", "tuple"]
    assert type(value(columns[0], np.intp(1))) is int and value(columns[0], 1) == 9
    for picked in ([0], [0, 4], [4, 0, 2]):
        as_lists = [[row[j] for row in rows] for j in picked]
        assert labels([columns[j] for j in picked], 3)[0].tolist() == labels(as_lists, 3)[0].tolist()
    mask = np.array([True, False, True])
    assert kept(columns[0], mask).tolist() == [7, 7]  # type: ignore[union-attr]
    assert kept(columns[2], mask) == ["c1", "c1"]
    # a wide range of integers is dictionary-encoded, not used as its own code
    spread = np.array([10**12, 5, 10**12, 7], dtype=np.int64)
    assert labels([spread], 4)[0].tolist() == [0, 1, 0, 2]
