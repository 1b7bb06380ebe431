"""`sipas stats` on files: R's numbers in CSV, and errors that name the line and the column."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from app.cli import cli
from app.errors import Invalid
from app.reports.csvread import _read_unquoted, _read_with_csv

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


def test_quoted_fields_crlf_bom_and_blank_lines_read_as_r_reads_them(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    text = 'agency,q1\r\n"Hà Nội, Ba Đình",5\r\n \r\n"Huế ""A""",4\r\n"Hà Nội, Ba Đình", NA \r\nHuế ""A"",2\r\n\r\n\r\n'
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    code, out, err = _run("stats", str(path), "--item", "q1", "--by", "agency", "--format", "json")
    assert code == 0, err
    rows = {row["agency"]: (row["estimate_pct"], row["n"]) for row in json.loads(out)}
    assert rows == {"Hà Nội, Ba Đình": (100.0, 1), 'Huế "A"': (100.0, 1), 'Huế ""A""': (0.0, 1)}


@pytest.mark.parametrize(
    ("text", "args", "message"),
    [
        # a line break inside quotes: the second row is lines 2-3, "five" is on line 5
        ('q1,note\n4,"one\ntwo"\n5,"x"\nfive,y\n', [], "s.csv:5: column 'q1': 'five' is not a number"),
        ("q1,w\r\n4,1\r\n\r\n5,1,2\r\n", [], "s.csv:4: 3 fields where the header has 2"),
        ("q1,w\r4,1\r5\r", [], "s.csv:3: 1 fields where the header has 2"),  # old Mac line ends
        ("\ufeffq1,w\r\n4,1\r\n4, \r\n", ["--weight", "w"], "s.csv:3: column 'w': weight ' ' must be a number ≥ 0"),
    ],
)
def test_errors_name_the_line_in_quoted_and_crlf_files(
    tmp_path: Path, text: str, args: list[str], message: str
) -> None:
    path = tmp_path / "s.csv"
    path.write_bytes(text.encode())
    code, out, err = _run("stats", str(path), "--item", "q1", *args)
    assert code == 2 and out == ""
    assert message in err


def test_a_decimal_level_is_outside_the_forms_scale(tmp_path: Path) -> None:
    path = tmp_path / "paper.csv"
    path.write_text("overall\n4\n 4.5 \n", encoding="utf-8")
    code, _, err = _run("stats", str(path), "--form", "counter-quick@1")
    assert code == 2
    assert "paper.csv:3: column 'overall': '4.5' is not a level of the scale (1, 2, 3, 4, 5)" in err


def test_missing_cells_decimals_and_two_domain_columns(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("a,b,q1\nx,2,5\nx,1, NA\ny,1,4.0\nx,1,1\nx,1,\ny,1,na\nx,2,NaN\n", encoding="utf-8")
    code, out, err = _run("stats", str(path), "--item", "q1", "--by", "a,b", "--format", "csv")
    assert code == 0, err
    rows = [(row["a"], row["b"], row["estimate_pct"], row["n"]) for row in csv.DictReader(io.StringIO(out))]
    assert rows == [("x", "1", "0.0", "1"), ("x", "2", "100.0", "1"), ("y", "1", "100.0", "1")]


LINES = st.lists(st.text(alphabet=["a", "1", " ", ",", "\t", "é", "\x0c", "\x85"], max_size=6), max_size=8)


@settings(max_examples=300, deadline=None)
@given(header=st.text(alphabet=["q", ",", " "], max_size=4), lines=LINES, crlf=st.booleans(), final=st.booleans())
def test_the_fast_reader_equals_the_csv_module(header: str, lines: list[str], crlf: bool, final: bool) -> None:
    """Files without quotes are split with str.split; the csv module must read them the same, errors included."""
    text = "\n".join([header, *lines]) + ("\n" if final else "")

    def read(reader: Any, text: str) -> Any:
        try:
            header, columns, numbers = reader(Path("s.csv"), text)
        except Invalid as exc:
            return exc.message
        return header, columns, numbers.tolist()

    assert read(_read_unquoted, text) == read(_read_with_csv, text.replace("\n", "\r\n") if crlf else text)
