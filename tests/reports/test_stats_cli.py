"""`sipas stats` on files: R's numbers in CSV, and errors that name the line and the column."""

from __future__ import annotations

import csv
import io
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.stats.design import LonelyPsu, domain_mean, make_design

ORACLE = Path(__file__).resolve().parents[1] / "stats" / "oracle"
runner = CliRunner()


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_csv_columns_and_r_numbers_for_a_stratified_sample_with_fpc() -> None:
    # R: des <- svydesign(ids=~1, strata=~stype, weights=~pw, fpc=~fpc, data=apistrat)
    #    svyby(~sch_wide, ~stype, des, svyciprop, method="beta")  →  E: 0.91 (SE 0.028435196206367308)
    design = ["--weight", "pw", "--strata", "stype", "--fpc", "fpc", "--by", "stype"]
    options = ["--levels", "0,1", "--satisfied-levels", "1", *design, "--target", "86", "--format", "csv"]
    code, out, err = _run("stats", str(ORACLE / "data" / "apistrat.csv"), "--item", "sch_wide", *options)
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == [
        *("stype", "metric", "estimate_pct", "se_pct", "ci_low_pct", "ci_high_pct", "n", "n_eff", "deff"),
        *("deff_reference", "df", "target_pct", "verdict", "p_value_below_target", "flags"),
    ]
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


@pytest.mark.parametrize(
    ("text", "args", "message"),
    [
        # the example: --item is on 1-5 unless --levels says otherwise
        ("q3\n5\n7\n", [], "s.csv:3: column 'q3': '7' is not a level of the scale (1, 2, 3, 4, 5)"),
        ("q3\n5\n\n 4.5\n", [], "s.csv:4: column 'q3': '4.5' is not a level of the scale (1, 2, 3, 4, 5)"),
        ("q3\n1\n0\n", [], "s.csv:3: column 'q3': '0' is not a level of the scale (1, 2, 3, 4, 5) (the default"),
        (
            "q3\n0\n2\n",
            ["--levels", "0,1", "--satisfied-levels", "1"],
            "s.csv:3: column 'q3': '2' is not a level of the scale (0, 1)",
        ),
        ("q3\n0\n-1\n", ["--levels", "0,1", "--satisfied-levels", "1"], "s.csv:3: column 'q3': '-1' is not a level"),
        ("q3\n1\n1e9\n", [], "s.csv:3: column 'q3': '1e9' is not a level of the scale (1, 2, 3, 4, 5)"),
    ],
)
def test_an_item_cell_outside_the_levels_is_an_error(tmp_path: Path, text: str, args: list[str], message: str) -> None:
    path = tmp_path / "s.csv"
    path.write_text(text, encoding="utf-8")
    code, out, err = _run("stats", str(path), "--item", "q3", *args)
    assert (code, out) == (2, "")
    assert err.startswith(f"error: {path.parent}/") and message in err


def test_levels_set_the_scale_of_item_columns(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("q1\n0\n2\n1\n2\n2.0\n\n", encoding="utf-8")  # 2.0 is the level 2
    code, out, err = _run(
        "stats", str(path), "--item", "q1", "--levels", "0,1,2", "--satisfied-levels", "2", "--format", "json"
    )
    assert code == 0, err
    (result,) = json.loads(out)
    assert (result["estimate_pct"], result["n"]) == (pytest.approx(60.0), 5)


def test_levels_replace_the_forms_scale(tmp_path: Path) -> None:
    path = tmp_path / "paper.csv"
    path.write_text("overall\n3\n1\n2\n3\n", encoding="utf-8")
    args = ["--form", "counter-quick@1", "--levels", "1,2,3", "--format", "json"]
    code, out, err = _run("stats", str(path), *args, "--satisfied-levels", "3")
    assert code == 0, err
    rows = {row["metric"]: row for row in json.loads(out)}
    assert rows["overall"]["estimate_pct"] == pytest.approx(50.0)
    path.write_text("overall\n3\n4\n", encoding="utf-8")
    code, _, err = _run("stats", str(path), *args, "--satisfied-levels", "3")
    assert code == 2
    assert "paper.csv:3: column 'overall': '4' is not a level of the scale (1, 2, 3)" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--levels", "1,x"], "--levels: '1,x' is not a list of integers such as 1,2,3,4,5"),
        (["--levels", "1.5,2"], "--levels: '1.5,2' is not a list of integers"),
        (["--levels", "1"], "--levels: a scale has at least two levels (got '1')"),
        (["--levels", "1,2,2,3"], "--levels: 2 is given twice"),
        (["--satisfied-levels", "4,4"], "--satisfied-levels: 4 is given twice"),
        (["--satisfied-levels", "4,x"], "--satisfied-levels: '4,x' is not a list of integers such as 4,5"),
        (["--levels", "0,1", "--satisfied-levels", "1,2"], "--satisfied-levels: 2 is not one of --levels (0, 1)"),
        (
            ["--satisfied-levels", "5,6"],
            "--satisfied-levels: 6 is not a level of the scale (1, 2, 3, 4, 5); --levels gives the scale",
        ),
        (
            ["--levels", "0,1"],
            "--levels: the default satisfied levels (4, 5) are not all levels of the scale (0, 1); "
            "give --satisfied-levels too",
        ),
    ],
)
def test_level_options_are_checked(tmp_path: Path, args: list[str], message: str) -> None:
    path = tmp_path / "s.csv"
    path.write_text("q1\n1\n", encoding="utf-8")
    code, out, err = _run("stats", str(path), "--item", "q1", *args)
    assert (code, out) == (2, "")
    assert f"error: {message}" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--satisfied-levels", "6"], "--satisfied-levels: 6 is not a level of the scale of 'overall' (1, 2, 3, 4, 5)"),
        (
            ["--levels", "1,2,3"],
            "--levels: the form's satisfied levels of 'overall' (4, 5) are not all levels of the "
            "scale (1, 2, 3); give --satisfied-levels too",
        ),
        (["--levels", "1,2,3", "--satisfied-levels", "3,4"], "--satisfied-levels: 4 is not one of --levels (1, 2, 3)"),
    ],
)
def test_satisfied_levels_of_a_form_are_levels_of_its_scale(tmp_path: Path, args: list[str], message: str) -> None:
    path = tmp_path / "paper.csv"
    path.write_text("overall\n3\n", encoding="utf-8")
    code, _, err = _run("stats", str(path), "--form", "counter-quick@1", *args)
    assert code == 2
    assert f"error: {message}" in err


def _lonely_survey(path: Path) -> tuple[list[dict[str, str]], int]:
    """Strata S1 (3 PSUs), S2 (1), S3 (2), S4 (1), unequal weights, two domains, missing answers. Also the line of
    S2's first row."""
    rng = np.random.default_rng(20260314)
    plan = {"S1": ["a", "b", "c"], "S2": ["a"], "S3": ["a", "b"], "S4": ["z"]}
    rows = []
    for stratum, psus in plan.items():
        for psu in psus:
            for _ in range(int(rng.integers(2, 6))):
                q1, q2 = (str(int(v)) for v in rng.integers(1, 6, size=2))
                rows.append(
                    {
                        "stratum": stratum,
                        "psu": psu,
                        "w": f"{rng.uniform(0.5, 4):.3f}",
                        "dom": str(rng.choice(["x", "y"])),
                        "q1": q1,
                        "q2": "" if rng.random() < 0.2 else q2,
                    }
                )
    order = rng.permutation(len(rows))
    rows = [rows[i] for i in order]
    path.write_text("stratum,psu,w,dom,q1,q2\n" + "".join(",".join(row.values()) + "\n" for row in rows))
    return rows, 2 + next(i for i, row in enumerate(rows) if row["stratum"] == "S2")


@pytest.mark.parametrize("option", ["remove", "certainty", "adjust"])
def test_lonely_psu_options_give_the_designs_numbers(tmp_path: Path, option: LonelyPsu) -> None:
    """R's options(survey.lonely.psu=...) as app.stats.design implements them (tested against R there): the CLI's
    per-PSU sums give domain_mean's estimate, SE and df for every domain and item."""
    path = tmp_path / "s.csv"
    rows, _ = _lonely_survey(path)
    design_args = ["--weight", "w", "--strata", "stratum", "--psu", "psu", "--by", "dom"]
    code, out, err = _run(
        "stats", str(path), "--item", "q1", "--item", "q2", *design_args, "--lonely-psu", option, "--format", "json"
    )
    assert code == 0, err
    printed = {(row["dom"], row["metric"]): row for row in json.loads(out)}
    design = make_design(
        [float(row["w"]) for row in rows],
        strata=[row["stratum"] for row in rows],
        clusters=[row["psu"] for row in rows],
        lonely_psu=option,
    )
    domain = np.array([row["dom"] for row in rows])
    for item in ("q1", "q2"):
        y = np.array([float(row[item] in ("4", "5")) if row[item] else math.nan for row in rows])
        for key in ("x", "y"):
            expected = domain_mean(design, y, domain == key)
            got = printed[(key, item)]
            assert got["estimate_pct"] == pytest.approx(expected.estimate * 100, rel=1e-12)
            assert got["se_pct"] == pytest.approx(expected.se * 100, rel=1e-9)
            assert (got["n"], got["df"]) == (expected.n, expected.df)
    assert {key[1] for key in printed} == {"q1", "q2", "index"}


def test_lonely_psu_by_hand(tmp_path: Path) -> None:
    """Stratum A: PSUs 1 (satisfied) and 2 (not); B: PSU 3 alone (satisfied). p = 2/3; z = (y − p)/3 per PSU:
    1/9, −2/9 | 1/9. A gives 2·((1/9 + 1/18)² + (−2/9 + 1/18)²) = 1/9. remove/certainty: B adds nothing, SE = 1/3;
    adjust: B's total is centred at the grand mean of the PSU totals (0), adding (1/9)², SE = √10/9."""
    path = tmp_path / "s.csv"
    path.write_text("stratum,psu,q1\nA,1,5\nA,2,2\nB,3,5\n", encoding="utf-8")
    se = {}
    for option in ("remove", "certainty", "adjust"):
        code, out, err = _run(
            "stats",
            str(path),
            "--item",
            "q1",
            "--strata",
            "stratum",
            "--psu",
            "psu",
            "--lonely-psu",
            option,
            "--format",
            "json",
        )
        assert code == 0, err
        (row,) = json.loads(out)
        assert (row["estimate_pct"], row["n"], row["df"]) == (pytest.approx(200 / 3), 3, 1)
        se[option] = row["se_pct"]
    assert se["remove"] == se["certainty"] == pytest.approx(100 / 3, rel=1e-12)
    assert se["adjust"] == pytest.approx(100 * math.sqrt(10) / 9, rel=1e-12)


def test_a_lonely_psu_fails_by_default_and_names_the_option(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    _, line = _lonely_survey(path)
    for fail in ([], ["--lonely-psu", "fail"]):
        code, out, err = _run("stats", str(path), "--item", "q1", "--strata", "stratum", "--psu", "psu", *fail)
        assert (code, out) == (2, "")
        assert (
            f"s.csv:{line}: stratum 'S2' (column 'stratum') has a single PSU (and 1 more); choose how to treat it "
            "with --lonely-psu remove|certainty|adjust"
        ) in err
        assert "set lonely_psu" not in err and "Traceback" not in err
    path.write_text("q1\n5\n", encoding="utf-8")  # no strata: one row is one PSU
    code, _, err = _run("stats", str(path), "--item", "q1")
    assert code == 2
    assert "s.csv: the sample has a single PSU, so its variance cannot be estimated; choose how" in err
    code, _, err = _run("stats", str(path), "--item", "q1", "--lonely-psu", "often")
    assert code == 2 and "--lonely-psu" in err


def test_help_describes_the_scale_and_lonely_psu_options() -> None:
    result = runner.invoke(cli, ["stats", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    for words in (
        "--levels",
        "1,2,3,4,5 for --item",
        "--lonely-psu",
        "fail|remove|certainty|adjust",
        "survey.lonely.psu",
        "[default: fail]",
        "ID@VERSION",
    ):
        assert words in text


def test_sipas_stats_starts_without_the_server_pydantic_or_a_root_finder() -> None:
    """`sipas stats` on a million-row file aims at one second for the whole process, a third of which was imports:
    its module must not pull in the server's stack, pydantic (the API's error models) or scipy's root finders (only
    a verdict's p-value needs one)."""
    script = "import sys, app.reports.cli; print(sorted(set(sys.modules) & set(sys.argv[1:])))"
    unwanted = ["pydantic", "scipy.optimize", "sqlalchemy", "fastapi", "app.forms.schemas"]
    found = subprocess.run(
        [sys.executable, "-c", script, *unwanted],
        capture_output=True,
        text=True,
        check=True,
    )
    assert found.stdout.strip() == "[]"
