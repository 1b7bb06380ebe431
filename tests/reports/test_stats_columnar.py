"""`sipas stats` reads files with pyarrow: Parquet equals CSV, distinct weights give the design's numbers, and
awkward CSV (quotes, BOM, CRLF, blank lines, NUL bytes) reads as the csv module reads it or fails naming the line."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.csv as pa_csv  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from app.cli import cli
from app.errors import Invalid
from app.reports.columnar import open_survey
from app.stats.design import domain_mean, make_design

ORACLE = Path(__file__).resolve().parents[1] / "stats" / "oracle"
runner = CliRunner()


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def _survey(rows: int, seed: int) -> list[dict[str, str]]:
    """Strata × PSUs, two domains, two items with missing answers, and weights that are all distinct (raked)."""
    rng = np.random.default_rng(seed)
    weights = rng.uniform(0.5, 4.0, rows)
    assert np.unique(weights).size == rows
    out = []
    for i in range(rows):
        stratum = f"S{i % 4}"
        out.append(
            {
                "stratum": stratum,
                "psu": f"{stratum}-P{int(rng.integers(0, 5))}",
                "w": repr(float(weights[i])),
                "dom": str(rng.choice(["Hà Nội", "Huế", "Đà Nẵng"])),
                "q1": str(int(rng.integers(1, 6))),
                "q2": "" if rng.random() < 0.15 else str(int(rng.integers(1, 6))),
            }
        )
    return out


def _write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


DESIGN = ["--weight", "w", "--strata", "stratum", "--psu", "psu", "--by", "dom", "--format", "json"]


def test_distinct_weights_give_the_designs_numbers(tmp_path: Path) -> None:
    """3,000 rows, 3,000 distinct weights: every domain's estimate, SE and df are domain_mean's (app.stats,
    checked against R) on the weights as Python's float reads them."""
    path = tmp_path / "raked.csv"
    rows = _survey(3000, seed=20261205)
    _write_csv(path, rows)
    code, out, err = _run("stats", str(path), "--item", "q1", "--item", "q2", *DESIGN)
    assert code == 0, err
    printed = {(row["dom"], row["metric"]): row for row in json.loads(out)}
    design = make_design(
        [float(row["w"]) for row in rows],
        strata=[row["stratum"] for row in rows],
        clusters=[row["psu"] for row in rows],
    )
    domain = np.array([row["dom"] for row in rows])
    for item in ("q1", "q2"):
        y = np.array([float(row[item] in ("4", "5")) if row[item] else math.nan for row in rows])
        for key in ("Hà Nội", "Huế", "Đà Nẵng"):
            expected = domain_mean(design, y, domain == key)
            got = printed[(key, item)]
            assert got["estimate_pct"] == pytest.approx(expected.estimate * 100, rel=1e-12)
            assert got["se_pct"] == pytest.approx(expected.se * 100, rel=1e-9)
            assert (got["n"], got["df"]) == (expected.n, expected.df)
    assert [key for key, metric in printed if metric == "q1"] == ["Huế", "Hà Nội", "Đà Nẵng"]  # code point order


def test_r_oracle_by_two_columns_from_csv_and_parquet(tmp_path: Path) -> None:
    """R: des <- svydesign(ids=~psu, strata=~agency, weights=~weight, nest=TRUE, data=satisfaction)
    svyby(~satisfied, ~agency+element, des, svymean) (expected/domain_stats.csv, design strat_clus)."""
    with (ORACLE / "expected" / "domain_stats.csv").open(encoding="utf-8") as handle:
        expected = {
            tuple(row["group"].split("|")): row
            for row in csv.DictReader(handle)
            if (row["dataset"], row["design"], row["outcome"], row["by"])
            == ("satisfaction", "strat_clus", "satisfied", "agency+element")
        }
    source = ORACLE / "data" / "satisfaction.csv"
    parquet = tmp_path / "satisfaction.parquet"
    pq.write_table(pa_csv.read_csv(source), parquet)  # typed: integers, doubles and strings
    args = ["--item", "satisfied", "--levels", "0,1", "--satisfied-levels", "1", "--weight", "weight"]
    args += ["--strata", "agency", "--psu", "psu", "--by", "agency,element", "--format", "json"]
    outputs = []
    for path in (source, parquet):
        code, out, err = _run("stats", str(path), *args)
        assert code == 0, err
        outputs.append(out)
        rows = json.loads(out)
        assert len(rows) == len(expected) == 71
        for row in rows:
            want = expected[(row["agency"], row["element"])]
            assert row["estimate_pct"] == pytest.approx(float(want["estimate"]) * 100, abs=1e-11)
            assert row["se_pct"] == pytest.approx(float(want["se"]) * 100, abs=1e-11)
            assert (row["n"], row["df"]) == (int(want["n"]), int(want["df"]))
    assert outputs[0] == outputs[1]


@pytest.mark.parametrize("typed", [False, True])
def test_parquet_gives_the_same_output_as_the_csv(tmp_path: Path, typed: bool) -> None:
    rows = _survey(400, seed=7)
    rows[3]["q1"], rows[5]["q2"] = "NA", " 4 "
    csv_path, parquet_path = tmp_path / "s.csv", tmp_path / "s.parquet"
    _write_csv(csv_path, rows)
    columns: dict[str, Any] = {name: [row[name] for row in rows] for name in rows[0]}
    if typed:  # what a statistics package writes: doubles, integers with nulls, strings
        columns["w"] = [float(value) for value in columns["w"]]
        for item in ("q1", "q2"):
            columns[item] = pa.array([_level(value) for value in columns[item]], pa.int64())
    pq.write_table(pa.table(columns), parquet_path)
    outputs = []
    for path in (csv_path, parquet_path):
        code, out, err = _run("stats", str(path), "--item", "q1", "--item", "q2", *DESIGN[:-2], "--format", "csv")
        assert code == 0, err
        outputs.append(out)
    assert outputs[0] == outputs[1]
    assert outputs[0].count("\n") == 1 + 3 * 3  # header, 3 domains × (q1, q2, index)


def _level(value: str) -> int | None:
    text = value.strip()
    return None if text in ("", "NA") else int(text)


@pytest.mark.parametrize(
    ("columns", "args", "message"),
    [
        ({"q1": [4, 7]}, [], "s.parquet: row 2: column 'q1': '7' is not a level of the scale (1, 2, 3, 4, 5)"),
        ({"q1": [4, 5], "w": [1.0, -2.0]}, ["--weight", "w"], "s.parquet: row 2: column 'w': weight '-2.0' must be"),
        ({"q1": ["4", "five"]}, [], "s.parquet: row 2: column 'q1': 'five' is not a number (an answer level)"),
        ({"q1": [4, 5]}, ["--weight", "w"], "s.parquet: no column 'w' (given by --weight); the header has: q1"),
        (
            {"q1": [4, 5], "when": pa.array([0, 1], pa.timestamp("s"))},
            ["--weight", "when"],
            "column 'when': timestamp[ms] values are not numbers (a weight)",
        ),
    ],
)
def test_parquet_errors_name_the_row_and_column(
    tmp_path: Path, columns: dict[str, Any], args: list[str], message: str
) -> None:
    path = tmp_path / "s.parquet"
    pq.write_table(pa.table(columns), path)
    code, out, err = _run("stats", str(path), "--item", "q1", *args)
    assert (code, out) == (2, "")
    assert message in err and "Traceback" not in err


def test_a_file_that_is_not_parquet_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "s.parquet"
    path.write_text("q1\n4\n", encoding="utf-8")
    code, _, err = _run("stats", str(path), "--item", "q1")
    assert code == 2 and f"error: {path}: not a Parquet file" in err
    code, _, err = _run("stats", str(tmp_path / "none.parquet"), "--item", "q1")
    assert code == 2 and "none.parquet: no such file" in err


@pytest.mark.parametrize(
    ("data", "args", "result"),
    [
        # quoted labels with commas, quotes and a line break; CRLF; a BOM; blank lines of every kind
        (
            b'\xef\xbb\xbfdom,q1\r\n"A, B",5\r\n\r\n  \r\n"C\r\nD",2\r\n""\r\n"A, B",4\r\n',
            ["--by", "dom"],
            {"A, B": (100.0, 2, 1), "C\r\nD": (0.0, 1, 0)},
        ),
        (b"q1\n5\n \n\n2\n\t\n", [], {"": (50.0, 2, 1)}),  # one column: a blank line is not a missing answer
        (b"dom,q1\nx\x00y,5\nx\x00y,4\nz,1\n", ["--by", "dom"], {"x\x00y": (100.0, 2, 1), "z": (0.0, 1, 0)}),
        (b"dom,q1\rA,5\rA,1\r", ["--by", "dom"], {"A": (50.0, 2, 1)}),  # old Mac line ends
        (b"q1,w\n4, 2.5\n1,NA \n5,3\n", ["--weight", "w"], None),  # " NA " is R's NA: a weight must not be missing
    ],
)
def test_awkward_csv_reads_as_the_csv_module_reads_it(
    tmp_path: Path, data: bytes, args: list[str], result: dict[str, tuple[float, int, int]] | None
) -> None:
    path = tmp_path / "s.csv"
    path.write_bytes(data)
    code, out, err = _run("stats", str(path), "--item", "q1", *args, "--lonely-psu", "remove", "--format", "json")
    if result is None:
        assert code == 2 and "s.csv:3: column 'w': weight 'NA ' must be a number ≥ 0" in err
        return
    assert code == 0, err
    got = {row.get("dom", ""): (row["estimate_pct"], row["n"], row["df"]) for row in json.loads(out)}
    assert got == result


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"q1,w\n4,1\n5,1\x00\n", "s.csv:3: column 'w': '1\\x00' is not a number (a weight)"),
        (b'q1,w\n4,1\n\n"5\n",1\n4,x\n', "s.csv:6: column 'w': 'x' is not a number (a weight)"),
        (b"q1,w\r\n4,1\r\n5,\xe9\r\n", "s.csv:3: not UTF-8 text (save the file as CSV UTF-8)"),
        (b"q1,w\n4,1\n5,1,\n", "s.csv:3: 3 fields where the header has 2"),
        (b"q1,w\n4,1\n" + b"5,1\n" * 5000 + b"6,1\n", "s.csv:5003: column 'q1': '6' is not a level of the scale"),
        (b"q1,w\n4,1\n4,1e999\n", "s.csv:3: column 'w': weight '1e999' must be a number ≥ 0"),
        (b"q1,w\n4,1\n4,1_0\n4,1x\n", "s.csv:4: column 'w': '1x' is not a number (a weight)"),  # 1_0 is 10
    ],
)
def test_refused_cells_name_the_line_and_column(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "s.csv"
    path.write_bytes(data)
    code, out, err = _run("stats", str(path), "--item", "q1", "--weight", "w")
    assert (code, out) == (2, "")
    assert message in err and "Traceback" not in err


def test_a_repeated_column_name_reads_the_last_one(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("q1,q1\n1,5\n2,4\n", encoding="utf-8")
    code, out, err = _run("stats", str(path), "--item", "q1", "--format", "json")
    assert code == 0, err
    (row,) = json.loads(out)
    assert (row["estimate_pct"], row["n"]) == (100.0, 2)


def test_blank_lines_change_nothing(tmp_path: Path) -> None:
    """Blank lines (empty, spaces, a tab, CRLF) are skipped, also in a one-column file where pyarrow would read a
    line of spaces as a row: the design, hence the SE, is the one of the file without them."""
    outputs = []
    for name, data in (("blank.csv", b"q1\n5\n \n\n2\r\n\t\n4\n  \n"), ("clean.csv", b"q1\n5\n2\n4\n")):
        path = tmp_path / name
        path.write_bytes(data)
        code, out, err = _run("stats", str(path), "--item", "q1", "--format", "csv")
        assert code == 0, err
        outputs.append(out)
    assert outputs[0] == outputs[1]
    row = next(csv.DictReader(io.StringIO(outputs[0])))
    assert (row["n"], row["df"]) == ("3", "2")
    assert float(row["se_pct"]) == pytest.approx(100 / 3, rel=1e-12)  # p = 2/3: √(p(1 − p)/(n − 1)) = 1/3


def test_a_column_that_is_an_item_and_a_domain_keeps_its_text(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("q1,w\n05,1\n4,1\n5.0,1\n4,2\n", encoding="utf-8")
    code, out, err = _run("stats", str(path), "--item", "q1", "--by", "q1", "--weight", "w", "--format", "json")
    assert code == 0, err
    assert [(row["q1"], row["estimate_pct"], row["n"]) for row in json.loads(out)] == [
        ("05", 100.0, 1),
        ("4", 100.0, 2),
        ("5.0", 100.0, 1),
    ]


def _csv_module(text: str) -> Any:
    """What the command read before pyarrow: the csv module's rows (blank lines skipped), their lines, or the
    error for the first row whose width differs from the header's."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [name.strip() for name in next(reader, [])]
    if not any(header):
        return "empty"
    rows, lines = [], []
    for row in reader:
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) != len(header):
            return f"s.csv:{reader.line_num}: {len(row)} fields where the header has {len(header)}"
        rows.append(row)
        lines.append(reader.line_num)
    if not rows:
        return "no data lines after the header"
    columns = {name: [row[k] for row in rows] for k, name in enumerate(header)}
    return header, columns, lines


def _pyarrow(path: Path) -> Any:
    try:
        source = open_survey(path)
        names = list(dict.fromkeys(source.header))
        read = source.read(numbers=[], labels=names)
    except Invalid as exc:
        message = exc.message.replace(f"{path.parent}/", "")
        return "empty" if "the file is empty" in message else message.replace("s.csv: no data", "no data")
    columns = {}
    for name in names:
        labels, codes = read.codes(name)
        columns[name] = [labels[code] for code in codes]
    lines = [int(read.where(row).rsplit(":", 1)[1]) for row in range(read.rows)]
    return source.header, columns, lines


PIECES = ["a", "1", " ", ",", '"', "\t", "é", "\x0c", "\x85", "\r", "\n", "\r\n", "\x00"]
CELLS = st.lists(st.sampled_from(PIECES), max_size=5).map("".join)


@settings(max_examples=150, deadline=None)
@given(header=st.text(alphabet=["q", "r", ",", " ", '"'], min_size=1, max_size=4), lines=st.lists(CELLS, max_size=6))
def test_pyarrow_reads_the_rows_and_lines_the_csv_module_reads(header: str, lines: list[str]) -> None:
    """Any file of quotes, separators, line ends, blanks and NULs: the same header, columns, line of every row, or
    the same error."""
    text = "\n".join([header, *lines])
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "s.csv"
        path.write_bytes(text.encode())
        assert _pyarrow(path) == _csv_module(text)


@settings(max_examples=200, deadline=None)
@given(
    cells=st.lists(
        st.one_of(
            st.floats(allow_nan=False, allow_infinity=False).map(repr),
            st.from_regex(r"\A[ ]?[+-]?[0-9]{0,20}(\.[0-9]{0,20})?([eE][+-]?[0-9]{1,3})?[ ]?\Z"),
            st.sampled_from(["NA", " NA ", "na", "NaN", "nan", "-inf", "Infinity", "1_000", "٣", "\u00a05", ""]),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_numbers_are_pythons_floats(cells: list[str]) -> None:
    """Every cell pyarrow converts is the float Python reads; the others go through Python's float."""
    expected = []
    for cell in cells:
        text = cell.strip()
        try:
            expected.append(math.nan if text in ("", "NA", "na", "NaN") else float(text))
        except ValueError:
            expected.append(None)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "s.csv"
        path.write_text("x,y\n" + "".join(f"{cell},1\n" for cell in cells), encoding="utf-8")
        read = open_survey(path).read(numbers=["x"], labels=[])
        if None in expected:
            with pytest.raises(Invalid, match=f"s.csv:{expected.index(None) + 2}: column 'x': "):
                read.numbers("x", what="a number")
            return
        got = read.numbers("x", what="a number")
    assert np.array_equal(got, np.array(expected, dtype=np.float64), equal_nan=True)


def test_the_stats_process_stays_lean(tmp_path: Path) -> None:
    """`sipas stats` (app/entry.py) loads neither the server nor the database; pyarrow only once a file is read."""
    path = tmp_path / "s.csv"
    path.write_text("q1\n5\n2\n", encoding="utf-8")
    probe = (
        "import sys\nfrom app.entry import main\nsys.argv = ['sipas', *sys.argv[1:]]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('pyarrow', 'sqlalchemy', 'fastapi', 'app.db', 'app.main') if m in sys.modules))"
    )
    for args, loaded in ((["stats", "--help"], "[]"), (["stats", str(path), "--item", "q1"], "['pyarrow']")):
        done = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, check=False)
        assert done.stdout.splitlines()[-1] == loaded, done.stderr


def test_a_pipe_is_refused(tmp_path: Path) -> None:
    """The file is read twice (header, then columns with pyarrow), which a pipe cannot give."""
    path = tmp_path / "s.csv"
    os.mkfifo(path)
    code, _, err = _run("stats", str(path), "--item", "q1")
    assert code == 2 and "s.csv: not a regular file (save the data to a file first)" in err
