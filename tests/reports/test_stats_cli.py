"""`sipas stats` on files: R's numbers in CSV, and errors that name the line and the column."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli

ORACLE = Path(__file__).resolve().parents[1] / "stats" / "oracle"
runner = CliRunner()


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_csv_columns_and_r_numbers_for_a_stratified_sample_with_fpc() -> None:
    # R: des <- svydesign(ids=~1, strata=~stype, weights=~pw, fpc=~fpc, data=apistrat)
    #    svyby(~sch_wide, ~stype, des, svyciprop, method="beta")  →  E: 0.91 (SE 0.028435196206367308)
    code, out, err = _run("stats", str(ORACLE / "data" / "apistrat.csv"), "--item", "sch_wide", "--satisfied-levels",
                          "1", "--weight", "pw", "--strata", "stype", "--fpc", "fpc", "--by", "stype", "--target",
                          "86", "--format", "csv")  # fmt: skip
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == ["stype", "metric", "estimate_pct", "se_pct", "ci_low_pct", "ci_high_pct", "n", "n_eff",
                             "deff", "df", "target_pct", "verdict", "p_reach_target", "flags"]  # fmt: skip
    e = rows[0]
    assert (e["stype"], e["metric"], e["n"], e["df"], e["target_pct"]) == ("E", "sch_wide", "100", "99", "86.0")
    assert float(e["estimate_pct"]) == pytest.approx(91.0, abs=1e-10)
    assert float(e["se_pct"]) == pytest.approx(2.8435196206367308, abs=1e-10)
    assert e["verdict"] == "inconclusive"
    assert [r["stype"] for r in rows] == ["E", "H", "M"]


def test_several_items_add_the_index_row(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("q1,q2\n5,4\n3,\n4,2\n\n5,5\n", encoding="utf-8")
    code, out, err = _run("stats", str(path), "--item", "q1", "--item", "q2", "--format", "json")
    assert code == 0, err
    rows = {row["metric"]: row for row in json.loads(out)}
    assert rows["q1"]["estimate_pct"] == pytest.approx(75.0) and rows["q1"]["n"] == 4
    assert rows["q2"]["estimate_pct"] == pytest.approx(200 / 3) and rows["q2"]["n"] == 3  # empty = missing
    assert rows["index"]["estimate_pct"] == pytest.approx((75.0 + 200 / 3) / 2)


@pytest.mark.parametrize(
    ("text", "args", "message"),
    [
        ("q1,w\n4,1\n5,-2\n", ["--weight", "w"], "s.csv:3: column 'w': weight '-2' must be a number ≥ 0"),
        ("q1,w\n4,1\n5,heavy\n", ["--weight", "w"], "s.csv:3: column 'w': 'heavy' is not a number (a weight)"),
        ("q1\n4\n\nfive\n", [], "s.csv:4: column 'q1': 'five' is not a number (an answer level)"),
        ("q1\n4\n", ["--weight", "w"], "s.csv:1: no column 'w' (given by --weight)"),
        ("q1\n4\n", ["--by", "agency"], "s.csv:1: no column 'agency' (given by --by)"),
        ("", [], "s.csv: the file is empty"),
        ("q1\n", [], "s.csv: no data lines after the header"),
        ("q1,q2\n4\n", [], "s.csv:2: 1 fields where the header has 2"),
    ],
)
def test_errors_name_the_line_and_column(tmp_path: Path, text: str, args: list[str], message: str) -> None:
    path = tmp_path / "s.csv"
    path.write_text(text, encoding="utf-8")
    code, out, err = _run("stats", str(path), "--item", "q1", *args)
    assert code == 2 and out == ""
    assert message in err
    assert "Traceback" not in err


def test_a_level_outside_the_forms_scale_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "paper.csv"
    path.write_text("overall,access_general\n5,4\n7,3\n", encoding="utf-8")
    code, _, err = _run("stats", str(path), "--form", "counter-quick@1")
    assert code == 2
    assert "paper.csv:3: column 'overall': '7' is not a level of the scale (1, 2, 3, 4, 5)" in err


def test_a_form_prints_items_elements_components_and_the_overall_index(tmp_path: Path) -> None:
    path = tmp_path / "paper.csv"
    path.write_text("overall,access_general,procedure_general\n5,4,2\n4,3,5\n2,5,4\n", encoding="utf-8")
    code, out, err = _run("stats", str(path), "--form", "counter-quick", "--format", "json")
    assert code == 0, err
    rows = {row["metric"]: row for row in json.loads(out)}
    assert rows["access"]["estimate_pct"] == pytest.approx(200 / 3)
    assert rows["service"]["estimate_pct"] == pytest.approx((200 / 3 + 200 / 3) / 2)  # elements with data only
    assert rows["sipas"]["kind"] == "overall"
