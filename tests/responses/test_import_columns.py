"""`sipas import` checks whole columns at once; what it stores and says must be what the line-by-line path
(``prepare``, then ``store``, the path of every channel) stores and says, line for line."""

from __future__ import annotations

import csv
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.cli import cli
from app.config import Settings
from app.errors import Invalid
from app.responses.import_staging import Stage
from app.responses.importer import CsvImport, ImportOptions
from app.responses.ingest import store
from app.responses.models import Answer, Response, StoredSubmission
from tests.factories import counter_tree, registry

NOW = datetime(2026, 1, 10, 3, 0, tzinfo=UTC)
HEADER = ["rid", "agency", "counter", "date", "overall", "access_general", "procedure_field", "reason", "comment"]
HEADER += ["sex", "w", "region", "village"]
OPTIONS = ImportOptions(
    form="counter-quick@1",
    agency_column="agency",
    counter_column="counter",
    date_column="date",
    id_column="rid",
    weight_column="w",
    strata_column="region",
    psu_column="village",
    skip_invalid=True,
    batch_size=64,  # several batches, some read by pyarrow and some (irregular CSV) by the csv module
)
# Lines wrong on their own: each breaks one rule (or several).
INVALID = [
    ["HN-X01", "Q01", "2024-03-14", "9", "", "", "", "", "", "1", "north", "V1"],  # outside the scale
    ["XX-99", "", "2024-03-14", "4", "", "", "", "", "", "1", "north", "V1"],  # unknown agency
    ["", "", "2024-03-14", "4", "", "", "", "", "", "1", "north", "V1"],  # no agency
    ["HN-X01", "Q09", "2024-03-14", "4", "", "", "", "", "", "1", "north", "V1"],  # unknown counter
    ["HN", "Q01", "2024-03-14", "4", "", "", "", "", "", "1", "north", "V1"],  # counter of another agency
    ["HN-X01", "", "14/03/2024", "4", "", "", "", "", "", "1", "north", "V1"],  # not an ISO date
    ["HN-X01", "", "2099-01-01", "4", "", "", "", "", "", "1", "north", "V1"],  # in the future
    ["HN-X01", "", "2024-03-14 09:30", "4", "", "", "", "", "", "1", "north", "V1"],  # no offset
    ["HN-X01", "", "2024-03-14", "", "4", "", "", "", "", "1", "north", "V1"],  # overall missing
    ["HN-X01", "", "2024-03-14", "2", "", "", "", "", "", "1", "north", "V1"],  # reason missing
    ["HN-X01", "", "2024-03-14", "4", "", "", "attitude", "", "", "1", "north", "V1"],  # reason not asked
    ["HN-X01", "", "2024-03-14", "1", "", "", "nope", "", "", "1", "north", "V1"],  # unknown reason
    ["HN-X01", "", "2024-03-14", "1", "", "", "attitude;attitude", "", "", "1", "north", "V1"],  # listed twice
    ["HN-X01", "", "2024-03-14", "4", "", "fishing", "", "", "", "1", "north", "V1"],  # unknown procedure field
    ["HN-X01", "", "2024-03-14", "4", "x", "", "", "", "", "1", "north", "V1"],  # not a level
    ["HN-X01", "", "2024-03-14", "4", "", "", "", "x" * 1001, "", "1", "north", "V1"],  # comment too long
    ["HN-X01", "", "2024-03-14", "4", "", "", "", "", "other", "1", "north", "V1"],  # not a sex
    ["HN-X01", "", "2024-03-14", "4", "", "", "", "", "", "-1", "north", "V1"],  # negative weight
    ["HN-X01", "", "2024-03-14", "4", "", "", "", "", "", "abc", "north", "V1"],  # weight not a number
    ["HN-X01", "", "2024-03-14", "4", "", "", "", "", "", "", "north", "V1"],  # no weight
    ["HN-X01", "", "2024-03-14", "4", "", "", "", "", "", "inf", "north", "V1"],  # infinite weight
    ["HN-X01", "", "2024-03-14", "4", "", "", "", "", "", "1", "", "V1"],  # no stratum
    ["HN-X01", "", "2024-03-14", "4", "", "", "", "", "", "1", "north", "y" * 129],  # cluster too long
    ["HN-X01", "", "2024-03-14", "4", "", "", "", "nul\x00", "", "1", "north", "V1"],  # a NUL character
]


def _content(rng: random.Random) -> list[str]:
    """A valid line's cells after the id: odd but valid spellings included (spaces, '+4', '1e0', offsets)."""
    agency = rng.choice(["HN", "HN-X01", " HN-X01 "])
    overall = rng.randint(1, 5)
    reasons = rng.sample(["waiting_time", "attitude", "unclear_guidance"], rng.randint(1, 2))
    day = f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    return [
        agency,
        rng.choice(["Q01", " Q01", ""]) if agency.strip() == "HN-X01" else "",
        rng.choice([day, f"{day}T08:15:00.123456+07:00", f"{day}T23:30Z", f" {day} "]),
        rng.choice([str(overall), f" {overall}", f"+{overall}"]),
        rng.choice(["", "1", "4", "5", " 3 "]),
        rng.choice(["", "land", "justice"]),
        " ; ".join(reasons) if overall <= 2 else rng.choice(["", " ; "]),
        rng.choice(["", "Tốt lắm", 'tab\there, "quoted", back\\slash', "line\nbreak", " spaces  "]),
        rng.choice(["", "female", "male"]),
        rng.choice([f"{rng.uniform(0.5, 3.0):.4f}", "2", " 1.5", "1e0", "0"]),
        rng.choice(["north", "south", " north"]),
        f"V{rng.randrange(7)}",
    ]


def _write_lines(path: Path, lines: list[list[str]], extra: str = "") -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(lines)
        handle.write(extra)
    return path


def _snapshot(session: Session) -> tuple[list[dict[str, Any]], list[tuple[Any, ...]]]:
    """Every response row (in id order, without the id) and every answer row (keyed by submission id)."""
    session.expire_all()
    responses = [dict(row._mapping) for row in session.execute(text("SELECT * FROM responses ORDER BY id"))]
    submission_ids = {row.pop("id"): row["submission_id"] for row in responses}
    answers = sorted(
        (submission_ids[row.response_id], row.item_code, row.value_int, row.value_text, row.value_json, row.satisfied)
        for row in session.execute(text("SELECT * FROM answers"))
    )
    return responses, answers


def _store_line_by_line(session: Session, settings: Settings, path: Path) -> list[str]:
    """What the line-by-line path stores for a file: each line through ``prepare``, the valid ones through
    ``store`` in one call; returns the store statuses."""
    job = CsvImport(session, settings, registry(session, settings), path, OPTIONS, now=NOW)
    records = [(line, fields) for line, fields in job.file.records() if any(f.strip() for f in fields)][1:]
    prepared = [job.preparer.prepare(line, fields).prepared for line, fields in records]
    session.rollback()
    return [result.status for result in store(session, [item for item in prepared if item is not None])]


def test_a_mixed_file_is_stored_as_the_line_by_line_path_stores_it(
    session: Session, settings: Settings, tmp_path: Path
) -> None:
    counter_tree(session)
    rng = random.Random(18)
    earlier = [[f"E{number}", *_content(rng)] for number in range(40)]
    fresh = [[f"N{number}", *_content(rng)] for number in range(300)]
    changed = [[*line[:4], "5" if line[4].strip().lstrip("+") != "5" else "4", *line[5:]] for line in earlier[20:30]]
    changed = [[*line[:7], "" if line[4] in ("4", "5") else line[7], *line[8:]] for line in changed]
    other = [[*line[:11], "south" if line[11].strip() == "north" else "north", line[12]] for line in fresh[15:20]]
    mixed = (
        fresh[:150]
        + earlier[:20]  # identical to stored responses: already imported
        + [["", *line] for line in INVALID]
        + changed  # stored ids with other answers: conflicts
        + fresh[150:]
        + fresh[:15]  # the same lines again: repeated, stored once
        + other  # earlier ids of this file with another stratum: conflicts
        + [["N999", *INVALID[0]]]
    )
    forms = registry(session, settings)
    first = _write_lines(tmp_path / "earlier.csv", earlier)
    assert CsvImport(session, settings, forms, first, OPTIONS, now=NOW).run().new == 40
    # Blank lines, a line of commas, a line one field short, an unquoted quote (the csv module's batch).
    tail = '\n,,,,,,,,,,,,\nN1000,HN,,2024-01-02,4\nN1001,HN,,2024-01-02,4,,,,a"b,,1,north,V1\n'
    path = _write_lines(tmp_path / "mixed.csv", mixed, tail)

    report = CsvImport(session, settings, forms, path, OPTIONS, now=NOW).run()
    assert report.committed
    assert (report.rows, report.new, report.already, report.repeated) == (len(mixed) + 2, 301, 20, 15)
    assert (report.bad_lines, report.blank_lines) == (len(INVALID) + 10 + 5 + 2, 2)
    by_columns = _snapshot(session)

    session.execute(delete(Answer))
    session.execute(delete(Response))
    session.execute(delete(StoredSubmission))
    session.commit()
    assert CsvImport(session, settings, forms, first, OPTIONS, now=NOW).run().new == 40
    statuses = _store_line_by_line(session, settings, path)
    assert statuses.count("stored") == 301 and statuses.count("conflict") == 15
    by_lines = _snapshot(session)
    assert len(by_lines[0]) == 341
    assert by_columns[1] == by_lines[1]
    for expected, got in zip(by_lines[0], by_columns[0], strict=True):
        assert got == expected


def test_every_invalid_line_is_named_as_the_line_by_line_path_names_it(
    session: Session, settings: Settings, tmp_path: Path
) -> None:
    counter_tree(session)
    rng = random.Random(5)
    lines = [[f"L{number}", *_content(rng)] for number in range(30)] + [["", *line] for line in INVALID]
    rng.shuffle(lines)
    path = _write_lines(tmp_path / "bad.csv", lines)
    job = CsvImport(session, settings, registry(session, settings), path, OPTIONS, now=NOW)
    expected = []
    for line, fields in list(job.file.records())[1:]:
        for problem in job.preparer.prepare(line, fields).problems:
            expected.append(f"{path}:{line}: {problem}")
    session.rollback()
    options = ImportOptions(**{**OPTIONS.__dict__, "skip_invalid": False, "max_messages": 1000})
    report = CsvImport(session, settings, registry(session, settings), path, options, now=NOW).run()
    assert not report.committed
    assert report.bad_lines == len(INVALID)
    assert report.messages == expected
    assert report.problems == len(expected)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_line_numbers_count_every_physical_line(
    session: Session, settings: Settings, tmp_path: Path, newline: str
) -> None:
    counter_tree(session)
    body = [
        "agency,overall,comment",
        'HN,4,"two',
        'lines"',
        "",
        "HN,9,",  # line 5
        ",,",
        'HN,4,"a ""quoted"" word, and a comma"',
        "HN,4,,extra",  # line 8: a field too many
        'HN,7,"x"',  # line 9
    ]
    path = tmp_path / "lines.csv"
    path.write_bytes(newline.join(body).encode())
    options = ImportOptions(form="counter-quick@1", agency_column="agency", date="2024-01-05", batch_size=3)
    report = CsvImport(session, settings, registry(session, settings), path, options, now=NOW).run()
    assert report.messages == [
        f'{path}:5: column "overall": must be one of the levels [1, 2, 3, 4, 5] (got "9")',
        f"{path}:8: has 4 field(s); the header has 3 columns",
        f'{path}:9: column "overall": must be one of the levels [1, 2, 3, 4, 5] (got "7")',
    ]
    assert (report.rows, report.blank_lines, report.bad_lines) == (5, 2, 3)


def test_progress_on_request(session: Session, settings: Settings, tmp_path: Path) -> None:
    counter_tree(session)
    path = tmp_path / "progress.csv"
    path.write_text("agency,overall\n" + "HN,4\n" * 5, encoding="utf-8")
    env = {
        "SIPAS_DATABASE_URL": settings.database_url,
        "SIPAS_SECRETS_FILE": str(settings.secrets_file),
        "SIPAS_ENV": "test",
    }
    args = ["import", str(path), "--form", "counter-quick@1", "--agency-column", "agency", "--date", "2024-01-05"]
    shown = CliRunner().invoke(cli, [*args, "--progress", "--batch-size", "2"], env=env)
    assert shown.exit_code == 0, shown.output
    assert "\rchecking: 2 of ~5 lines, " in shown.stderr and " lines/s, about " in shown.stderr
    assert "\rstoring 5 lines (checked at " in shown.stderr
    quiet = CliRunner().invoke(cli, [*args, "--no-progress"], env=env)
    assert quiet.exit_code == 0 and quiet.stderr == ""
    assert "imported 5 responses (0 new, 5 already imported)" in quiet.stdout


def test_postgres_checks_the_keys_itself_only_when_that_is_safe(session: Session, settings: Settings) -> None:
    """Per-row key checks are skipped (triggers off for the insert) only without triggers of our own on the tables,
    and a referenced row that no longer exists stops the import."""
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite checks its keys in the same statement")
    with Stage(session) as stage:
        assert stage._may_write_without_triggers() is True  # the tests run as a superuser
        session.execute(
            text("CREATE FUNCTION sipas_test_noop() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END'")
        )
        session.execute(
            text(
                "CREATE TRIGGER sipas_test_noop BEFORE INSERT ON answers"
                " FOR EACH ROW EXECUTE FUNCTION sipas_test_noop()"
            )
        )
        assert stage._may_write_without_triggers() is False
        with pytest.raises(Invalid, match="1 row\\(s\\) of agencies named by the file were deleted"):
            stage._lock("agencies", [987_654])
    session.rollback()
