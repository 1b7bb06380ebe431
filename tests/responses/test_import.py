"""`sipas import FILE.csv`: survey files through the ingestion service, all lines or none, idempotent."""

from __future__ import annotations

import csv
import random
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from app.audit.models import AuditEvent
from app.cli import cli
from app.config import Settings
from app.directory.models import ProcedureField
from app.errors import Invalid
from app.responses.import_preparing import IMPORT_NAMESPACE
from app.responses.importer import CsvImport, ImportOptions, import_csv
from app.responses.ingest import store
from app.responses.models import Answer, Channel, Response, StoredSubmission
from tests.factories import counter_tree, registry

QUICK = ("--form", "counter-quick@1", "--agency-column", "agency")
# Dates more than 400 days back: historic files are accepted whatever the live channels' retention window.
SURVEY = """agency,counter,date,overall,access_general,procedure_field,reason,comment,sex,w,region,village,interviewer
HN-X01,Q01,2024-03-14,5,4,land,,Tốt lắm,female,1.5,north,V01,Lan
HN-X01,,2024-03-31T23:30:00+00:00,2,,,waiting_time;attitude,,,2.25,north,V02,Minh
HN,,2024-04-02,4,,,,,,0,south,V03,
"""


@pytest.fixture
def run(settings: Settings):  # type: ignore[no-untyped-def]
    runner = CliRunner()
    env = {
        "SIPAS_DATABASE_URL": settings.database_url,
        "SIPAS_SECRETS_FILE": str(settings.secrets_file),
        "SIPAS_ENV": "test",
    }

    def invoke(*args: str) -> Result:
        return runner.invoke(cli, list(args), env=env)

    return invoke


@pytest.fixture
def tree(session: Session):  # type: ignore[no-untyped-def]
    return counter_tree(session)


def _write(tmp_path: Path, text: str, name: str = "survey.csv", *, bom: bool = False) -> Path:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def _count(session: Session, model: type) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _stderr(result: Result, tmp_path: Path) -> str:
    """stderr with file names relative to the test's folder."""
    return result.stderr.replace(f"{tmp_path}/", "")


def _design(*extra: str) -> tuple[str, ...]:
    return (
        *QUICK,
        "--counter-column",
        "counter",
        "--date-column",
        "date",
        "--weight",
        "w",
        "--strata",
        "region",
        "--psu",
        "village",
        *extra,
    )


def test_a_survey_file_is_stored_with_exact_values(run, session: Session, tree, tmp_path: Path) -> None:
    province, commune, counter = tree
    result = run("import", str(_write(tmp_path, SURVEY)), *_design())
    assert result.exit_code == 0, result.output
    assert "imported 3 responses (3 new, 0 already imported) in " in result.stdout
    assert "ignoring column(s) that are neither items of counter-quick@1 nor named by an option: interviewer" in (
        result.stderr
    )
    session.expire_all()
    responses = session.scalars(select(Response).order_by(Response.id)).all()
    assert [r.channel for r in responses] == [Channel.import_] * 3
    first, second, third = responses
    assert (first.agency_id, first.counter_id, second.counter_id, third.agency_id) == (
        commune.id,
        counter.id,
        None,
        province.id,
    )
    # A bare date is local noon (Asia/Ho_Chi_Minh); a date-time keeps its instant, reported on its local day.
    assert first.submitted_at == datetime(2024, 3, 14, 5, 0, tzinfo=UTC)
    assert (first.local_date, first.local_month) == (date(2024, 3, 14), 202403)
    assert second.submitted_at == datetime(2024, 3, 31, 23, 30, tzinfo=UTC)
    assert (second.local_date, second.local_month) == (date(2024, 4, 1), 202404)
    assert [(r.weight, r.stratum, r.cluster) for r in responses] == [
        (1.5, "north", "V01"),
        (2.25, "north", "V02"),
        (0.0, "south", "V03"),
    ]
    assert (first.sex, second.sex) == ("female", None)
    assert session.scalar(select(ProcedureField.code).where(ProcedureField.id == first.procedure_field_id)) == "land"
    assert first.received_at == second.received_at  # one import, one instant
    answers = {
        (a.response_id, a.item_code): (a.value_int, a.value_text, a.value_json, a.satisfied)
        for a in session.scalars(select(Answer))
    }
    # Empty cells are missing answers: no row at all, never "dissatisfied".
    assert answers == {
        (first.id, "overall"): (5, None, None, 1),
        (first.id, "access_general"): (4, None, None, 1),
        (first.id, "comment"): (None, "Tốt lắm", None, None),
        (second.id, "overall"): (2, None, None, 0),
        (second.id, "reason"): (None, None, ["waiting_time", "attitude"], None),
        (third.id, "overall"): (4, None, None, 1),
    }
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "responses.import")).one()
    assert event.details is not None and event.details["new"] == 3 and event.details["form"] == "counter-quick@1"


def test_importing_the_same_file_again_stores_nothing_new(run, session: Session, tree, tmp_path: Path) -> None:
    path = _write(tmp_path, SURVEY)
    assert run("import", str(path), *_design()).exit_code == 0
    again = run("import", str(path), *_design())
    assert again.exit_code == 0, again.output
    assert "imported 3 responses (0 new, 3 already imported)" in again.stdout
    assert _count(session, Response) == 3
    assert _count(session, Answer) == 6
    # Another file (one more line) is another set of responses; its lines are new.
    bigger = _write(tmp_path, SURVEY + "HN,,2024-04-03,3,,,,,,1,south,V04,\n", "bigger.csv")
    result = run("import", str(bigger), *_design())
    assert "imported 4 responses (4 new, 0 already imported)" in result.stdout


def test_a_reimport_with_other_options_is_a_conflict_and_changes_nothing(
    run, session: Session, tree, tmp_path: Path
) -> None:
    path = _write(tmp_path, "agency,overall,w\nHN-X01,4,1\nHN-X01,5,2\n")
    assert run("import", str(path), *QUICK, "--date", "2024-05-01", "--weight", "w").exit_code == 0
    result = run("import", str(path), *QUICK, "--date", "2024-05-02", "--weight", "w")
    assert result.exit_code == 2
    assert "survey.csv:2: already stored (submission id " in result.stderr
    assert "what differs now: answers, date, counter or profile" in result.stderr
    edited = run("import", str(path), "--form", "counter-quick@1", "--agency-column", "agency", "--date", "2024-05-01")
    assert edited.exit_code == 2
    assert "survey.csv:3: already stored" in edited.stderr and "weight (was 2.0)" in edited.stderr
    skipped = run("import", str(path), *QUICK, "--date", "2024-05-02", "--weight", "w", "--skip-invalid")
    assert skipped.exit_code == 0
    assert "imported 0 responses (0 new, 0 already imported) in " in skipped.stdout
    assert "skipped 2 bad line(s)" in skipped.stdout
    session.expire_all()
    assert sorted(session.scalars(select(Response.weight))) == [1.0, 2.0]
    assert {r.local_date for r in session.scalars(select(Response))} == {date(2024, 5, 1)}


def test_every_bad_line_is_reported_and_nothing_is_stored(run, session: Session, tree, tmp_path: Path) -> None:
    text = (
        "agency,counter,date,overall,access_general,procedure_field,reason,comment,sex,w,region,village,interviewer\n"
        "HN-X01,Q01,2024-03-14,5,4,,,,,1,north,V01,\n"  # line 2: good
        "HN-X01,Q01,2024-03-14,7,4,,,,,1,north,V01,\n"  # line 3: outside the scale
        "HX-99,,2024-03-14,4,,,,,,1,north,V01,\n"  # line 4: unknown agency
        "HN-X01,Q09,2024-03-14,4,,,,,,abc,north,V01,\n"  # line 5: unknown counter, weight not a number
        "HN-X01,,14/03/2024,,,,,,,-1,,V01,\n"  # line 6: date, weight < 0, no stratum, overall missing
        "HN-X01,,2024-03-14,4,,,waiting_time,,,1,north,V01,\n"  # line 7: reason not asked
        "HN-X01,,2099-01-01,1,,fishing,,,,nan,north,V01,\n"  # line 8: future, no such option, reason missing
        "HN-X01,,2024-03-14,4,,,,,,1,north,V01\n"  # line 9: a field short
        "HN-X01,,0001-01-01T00:00:00+07:00,4,,,,,,1,north,V01,\n"  # line 10: not a plausible date
    )
    result = run("import", str(_write(tmp_path, text)), *_design())
    assert result.exit_code == 2
    lines = _stderr(result, tmp_path).splitlines()
    expected = [
        'survey.csv:3: column "overall": must be one of the levels [1, 2, 3, 4, 5] (got "7")',
        'survey.csv:4: column "agency": unknown agency "HX-99"',
        'survey.csv:5: column "counter": agency "HN-X01" has no counter "Q09"',
        'survey.csv:5: column "w": "abc" is not a number',
        'survey.csv:6: column "date": "14/03/2024" is not an ISO date (2026-03-14) or date-time with offset '
        "(2026-03-14T09:30:00+07:00)",
        'survey.csv:6: column "w": a weight must be a finite number ≥ 0 (got "-1")',
        'survey.csv:6: column "region": a stratum is required',
        'survey.csv:6: column "overall": an answer is required',
        "survey.csv:7: column \"reason\": not asked: answered only when 'overall' is one of [1, 2]",
        'survey.csv:8: column "date": is in the future by more than 600 seconds (got "2099-01-01")',
        'survey.csv:8: column "w": a weight must be a finite number ≥ 0 (got "nan")',
        "survey.csv:8: column \"procedure_field\": must be one of ['civil_status', 'land', 'construction', "
        "'business', 'social_insurance', 'justice', 'other'] (got \"fishing\")",
        'survey.csv:8: column "reason": an answer is required',
        "survey.csv:9: has 12 field(s); the header has 13 columns",
        'survey.csv:10: column "date": "0001-01-01T00:00:00+07:00" is not an ISO date (2026-03-14) or date-time '
        "with offset (2026-03-14T09:30:00+07:00)",
    ]
    for message in expected:
        assert message in lines, message
    assert lines[-1] == (
        "error: survey.csv: 8 bad line(s) of 9; nothing imported "
        "(fix them, or import the other lines with --skip-invalid)"
    )
    assert "Traceback" not in result.output
    assert _count(session, Response) == 0
    assert _count(session, AuditEvent) == 0


def test_skip_invalid_stores_the_good_lines(run, session: Session, tree, tmp_path: Path) -> None:
    text = "agency,date,overall\nHN-X01,2024-03-14,5\nHN-X01,2024-03-14,9\nNOPE,2024-03-14,4\nHN,2024-03-15,3\n"
    path = _write(tmp_path, text)
    result = run("import", str(path), *QUICK, "--date-column", "date", "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert 'survey.csv:3: column "overall": must be one of the levels [1, 2, 3, 4, 5] (got "9")' in result.stderr
    assert 'survey.csv:4: column "agency": unknown agency "NOPE"' in result.stderr
    assert "imported 2 responses (2 new, 0 already imported) in " in result.stdout
    assert "; skipped 2 bad line(s)" in result.stdout
    session.expire_all()
    assert sorted(session.scalars(select(Answer.value_int).where(Answer.item_code == "overall"))) == [3, 5]
    again = run("import", str(path), *QUICK, "--date-column", "date", "--skip-invalid")
    assert "imported 2 responses (0 new, 2 already imported)" in again.stdout
    assert _count(session, Response) == 2


def test_printing_stops_at_fifty_problems(run, session: Session, tree, tmp_path: Path) -> None:
    text = "agency,overall\n" + "HN,8\n" * 70 + "HN,4\n"
    result = run("import", str(_write(tmp_path, text)), *QUICK, "--date", "2024-01-05")
    assert result.exit_code == 2
    problems = [line for line in _stderr(result, tmp_path).splitlines() if line.startswith("survey.csv:")]
    assert len(problems) == 50 and problems[-1].startswith("survey.csv:51: ")
    assert "… and 20 more problem(s)" in result.stderr
    assert "70 bad line(s) of 71; nothing imported" in result.stderr
    assert _count(session, Response) == 0


@pytest.mark.parametrize(
    ("text", "args", "message"),
    [
        ("", (), "survey.csv: the file is empty"),
        ("agency,overall\n", (), "survey.csv: no data lines after the header"),
        ("agency,overall\n\n\n", (), "survey.csv: no data lines after the header"),
        (
            "agency,access_general\nHN,4\n",
            (),
            "survey.csv:1: no column for the required item(s) overall of counter-quick@1",
        ),
        (
            "agency,overall\nHN,4\n",
            ("--weight", "w"),
            'survey.csv:1: no column "w" (named by --weight); the header has "agency", "overall"',
        ),
        ("site,overall\nHN,4\n", (), 'survey.csv:1: no column "agency" (named by --agency-column)'),
        ("agency;overall\nHN;4\n", (), "(the file seems to use ';' between fields: export it comma-separated)"),
        ("agency,overall,overall\nHN,4,4\n", (), 'survey.csv:1: column "overall" appears twice in the header'),
        ('agency,overall\nHN,"4\n', (), "survey.csv:2: not valid CSV (unexpected end of data)"),
    ],
)
def test_unusable_files_are_refused_in_one_line(
    run, session: Session, tree, tmp_path: Path, text: str, args: tuple[str, ...], message: str
) -> None:
    result = run("import", str(_write(tmp_path, text)), *QUICK, "--date", "2024-01-05", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("error: ")
    assert "Traceback" not in result.output
    assert _count(session, Response) == 0


def test_encodings_bom_latin1_utf16(run, session: Session, tree, tmp_path: Path) -> None:
    path = _write(tmp_path, "agency,overall,comment\nHN-X01,4,Nhân viên nhiệt tình\n", bom=True)
    result = run("import", str(path), *QUICK, "--date", "2024-01-05")
    assert result.exit_code == 0, result.output
    session.expire_all()
    assert session.scalar(select(Answer.value_text).where(Answer.item_code == "comment")) == "Nhân viên nhiệt tình"

    latin = tmp_path / "latin.csv"
    latin.write_bytes("agency,overall,comment\nHN-X01,4,café\n".encode("latin-1"))
    result = run("import", str(latin), *QUICK, "--date", "2024-01-05")
    assert result.exit_code == 2
    assert 'latin.csv:2: not UTF-8 text (byte 0xe9); save the file as "CSV UTF-8"' in result.stderr

    wide = tmp_path / "wide.csv"
    wide.write_bytes("agency,overall\nHN-X01,4\n".encode("utf-16"))
    result = run("import", str(wide), *QUICK, "--date", "2024-01-05")
    assert result.exit_code == 2 and "the file is UTF-16 text" in result.stderr

    only_bom = _write(tmp_path, "", "bom-only.csv", bom=True)
    assert "bom-only.csv: the file is empty" in run("import", str(only_bom), *QUICK, "--date", "2024-01-05").stderr
    missing = run("import", str(tmp_path / "nope.csv"), *QUICK, "--date", "2024-01-05")
    assert missing.exit_code == 2 and "nope.csv: no such file" in missing.stderr
    assert _count(session, Response) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--form", "counter-quick"), "--form 'counter-quick': give the form and its version as ID@VERSION"),
        (("--form", "counter-quick@7"), "--form 'counter-quick@7': no such form version; registered: counter-quick@1"),
        (("--date", "2024-01-05", "--date-column", "d"), "give either --date-column"),
        (("--date", "05/01/2024"), "--date '05/01/2024': write the date as YYYY-MM-DD"),
        (("--date", "2099-01-05"), "--date 2099-01-05: is in the future by more than 600 seconds"),
    ],
)
def test_bad_options(run, session: Session, tree, tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    path = _write(tmp_path, "agency,overall\nHN,4\n")
    base = ("--form", "counter-quick@1") if "--form" not in args else ()
    result = run("import", str(path), *base, "--agency-column", "agency", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert _count(session, Response) == 0


def test_no_date_option_at_all(run, session: Session, tree, tmp_path: Path) -> None:
    result = run("import", str(_write(tmp_path, "agency,overall\nHN,4\n")), *QUICK)
    assert result.exit_code == 2 and "give either --date-column" in result.stderr


def test_id_column_uuids_and_text_ids(run, session: Session, tree, tmp_path: Path) -> None:
    known = uuid.UUID("1b4e28ba-2fa1-4d2b-883f-0016d3cca427")
    text = f"rid,agency,overall\n{known},HN,4\nHN-2024-0001,HN,5\n"
    path = _write(tmp_path, text)
    result = run("import", str(path), *QUICK, "--date", "2024-01-05", "--id-column", "rid")
    assert result.exit_code == 0, result.output
    session.expire_all()
    assert set(session.scalars(select(Response.submission_id))) == {
        known,
        uuid.uuid5(IMPORT_NAMESPACE, "counter-quick:HN-2024-0001"),
    }
    # The same respondents in another file (other layout, same content): nothing new.
    other = _write(tmp_path, f"agency,overall,rid\nHN,5,HN-2024-0001\nHN,4,{known}\n", "other.csv")
    result = run("import", str(other), *QUICK, "--date", "2024-01-05", "--id-column", "rid")
    assert "imported 2 responses (0 new, 2 already imported)" in result.stdout
    # Known and new respondents together: only the new ones are stored.
    mixed = _write(tmp_path, "agency,overall,rid\nHN,5,HN-2024-0001\nHN,2,HN-2024-0009\n", "mixed.csv")
    result = run("import", str(mixed), *QUICK, "--date", "2024-01-05", "--id-column", "rid", "--skip-invalid")
    assert result.exit_code == 0
    assert 'mixed.csv:3: column "reason": an answer is required' in result.stderr
    assert "imported 1 response (0 new, 1 already imported) in " in result.stdout
    mixed = _write(tmp_path, "agency,overall,rid\nHN,5,HN-2024-0001\nHN,3,HN-2024-0009\n", "mixed.csv")
    result = run("import", str(mixed), *QUICK, "--date", "2024-01-05", "--id-column", "rid")
    assert "imported 2 responses (1 new, 1 already imported) in " in result.stdout
    assert _count(session, Response) == 3
    # ... but other answers under a known id are a conflict for that line.
    changed = _write(tmp_path, "agency,overall,rid\nHN,3,HN-2024-0001\nHN,4,HN-2024-0002\n", "changed.csv")
    result = run("import", str(changed), *QUICK, "--date", "2024-01-05", "--id-column", "rid")
    assert result.exit_code == 2
    assert "changed.csv:2: already stored (submission id " in result.stderr
    assert _count(session, Response) == 3
    empty_id = _write(tmp_path, "agency,overall,rid\nHN,3,\n", "empty-id.csv")
    result = run("import", str(empty_id), *QUICK, "--date", "2024-01-05", "--id-column", "rid")
    assert 'empty-id.csv:2: column "rid": an id is required' in result.stderr


def test_ids_repeated_in_the_file(run, session: Session, tree, tmp_path: Path) -> None:
    # The same line twice (even in another batch) is stored once.
    same = _write(tmp_path, "rid,agency,overall\nA,HN,4\nB,HN,5\nA,HN,4\n", "same.csv")
    result = run("import", str(same), *QUICK, "--date", "2024-01-05", "--id-column", "rid", "--batch-size", "1")
    assert result.exit_code == 0, result.output
    assert "imported 3 responses (2 new, 0 already imported, 1 repeated in the file)" in result.stdout
    # The same id with other answers: an error for that line, and nothing is stored.
    clash = _write(tmp_path, "rid,agency,overall\nC,HN,4\nD,HN,5\nC,HN,3\n", "clash.csv")
    for batch_size in ("1", "100"):
        result = run(
            "import", str(clash), *QUICK, "--date", "2024-01-05", "--id-column", "rid", "--batch-size", batch_size
        )
        assert result.exit_code == 2, result.output
        assert 'clash.csv:4: column "rid": the same id as an earlier line of this file, with different content' in (
            result.stderr
        )
        assert _count(session, Response) == 2
    skipped = run("import", str(clash), *QUICK, "--date", "2024-01-05", "--id-column", "rid", "--skip-invalid")
    assert skipped.exit_code == 0
    assert "imported 2 responses (2 new, 0 already imported) in " in skipped.stdout
    assert "skipped 1 bad line(s)" in skipped.stdout
    assert _count(session, Response) == 4


def test_lines_are_stored_in_batches_in_one_transaction(
    session: Session, settings: Settings, tree, tmp_path: Path
) -> None:
    rows = "".join(
        f"HN-X01,2024-02-{day:02d},{day % 5 + 1},{'waiting_time' if day % 5 < 2 else ''}\n" for day in range(1, 29)
    )
    path = _write(tmp_path, "agency,date,overall,reason\n" + rows)
    options = ImportOptions(form="counter-quick@1", agency_column="agency", date_column="date", batch_size=5)
    seen: list[tuple[str, int]] = []
    report = CsvImport(session, settings, registry(session, settings), path, options).run(
        lambda phase, done: seen.append((phase, done))
    )
    assert (report.committed, report.rows, report.new, report.bad_lines) == (True, 28, 28, 0)
    assert seen[:6] == [
        ("checking", 5),
        ("checking", 10),
        ("checking", 15),
        ("checking", 20),
        ("checking", 25),
        ("checking", 28),
    ]
    assert seen[-1] == ("storing", 28)
    assert _count(session, Response) == 28
    months = set(session.scalars(select(Response.local_month)))
    assert months == {202402}


def test_a_bare_date_today_before_noon_is_still_to_come(
    session: Session, settings: Settings, tree, tmp_path: Path
) -> None:
    path = _write(tmp_path, "agency,day,overall\nHN,2026-03-14,4\nHN,2026-03-13,4\nHN,2026-03-14T08:30+07:00,4\n")
    morning = datetime(2026, 3, 14, 2, 0, tzinfo=UTC)  # 09:00 in Hà Nội
    options = ImportOptions(form="counter-quick@1", agency_column="agency", date_column="day")
    report = import_csv(session, settings, registry(session, settings), path, options, now=morning)
    assert report.committed is False
    assert report.messages == [
        f'{path}:2: column "day": 2026-03-14 stands for 12:00 local time, which is still to come; give the time '
        '(e.g. 2026-03-14T09:00+07:00) or import after noon (got "2026-03-14")'
    ]
    fixed = ImportOptions(form="counter-quick@1", agency_column="agency", date="2026-03-14")
    with pytest.raises(Invalid, match="stands for 12:00 local time"):
        CsvImport(session, settings, registry(session, settings), path, fixed, now=morning)


def test_a_naive_date_time_needs_an_offset(run, session: Session, tree, tmp_path: Path) -> None:
    path = _write(tmp_path, "agency,when,overall\nHN,2024-03-14 09:30,4\n")
    result = run("import", str(path), *QUICK, "--date-column", "when")
    assert result.exit_code == 2
    assert 'survey.csv:2: column "when": needs a time zone offset (e.g. +07:00 or Z) (got "2024-03-14 09:30")' in (
        result.stderr
    )


def test_the_sipas_2023_form_with_profile_items(run, session: Session, tree, tmp_path: Path) -> None:
    header = "tinh,policy_quality_general,accountability_general,participation_general,impact_general,used_service"
    path = _write(tmp_path, f"{header},sex,age_band\nHN,4,3,5,4,no,female,a26_34\nHN,4,3,5,4,no,x,\n")
    result = run("import", str(path), "--form", "sipas-2023@1", "--agency-column", "tinh", "--date", "2023-10-01")
    assert result.exit_code == 2
    assert "survey.csv:3: column \"sex\": must be one of ['male', 'female'] (got \"x\")" in result.stderr
    path = _write(tmp_path, f"{header},sex,age_band\nHN,4,3,5,4,no,female,a26_34\n", "ok.csv")
    result = run("import", str(path), "--form", "sipas-2023@1", "--agency-column", "tinh", "--date", "2023-10-01")
    assert result.exit_code == 0, result.output
    session.expire_all()
    response = session.scalars(select(Response)).one()
    assert (response.sex, response.age_band, response.local_month) == ("female", "a26_34", 202310)


def test_a_file_that_changes_during_the_import_is_refused(
    session: Session, settings: Settings, tree, tmp_path: Path
) -> None:
    path = _write(tmp_path, "agency,overall\n" + "HN,4\n" * 6)
    options = ImportOptions(form="counter-quick@1", agency_column="agency", date="2024-01-05", batch_size=2)
    job = CsvImport(session, settings, registry(session, settings), path, options)

    def edit(phase: str, done: int) -> None:
        if done == 2:
            path.write_text("agency,overall\n" + "HN,5\n" * 6, encoding="utf-8")

    with pytest.raises(Invalid, match="the file changed while it was being imported"):
        job.run(edit)
    assert _count(session, Response) == 0


def _stored_snapshot(session: Session) -> tuple[list[dict[str, object]], list[tuple[object, ...]]]:
    """Every response row (in id order, the id itself left out) and every answer row (with its response's
    submission id instead of the response id), as the database returns them without SQLAlchemy's types."""
    session.expire_all()
    responses = [dict(row._mapping) for row in session.execute(text("SELECT * FROM responses ORDER BY id"))]
    submission_ids = {row.pop("id"): row["submission_id"] for row in responses}
    answers = sorted(
        (submission_ids[row.response_id], row.item_code, row.value_int, row.value_text, row.value_json, row.satisfied)
        for row in session.execute(text("SELECT * FROM answers"))
    )
    return responses, answers


def test_a_large_file_is_stored_exactly_as_the_other_channels_store(
    session: Session, settings: Settings, tree, tmp_path: Path
) -> None:
    """The bulk path (a spill, multi-row inserts or COPY) writes what ``store`` writes, column by column."""
    rng = random.Random(2026)
    path = tmp_path / "large.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "agency",
                "counter",
                "date",
                "overall",
                "access_general",
                "procedure_field",
                "reason",
                "comment",
                "sex",
                "w",
                "region",
                "village",
            ]
        )
        for number in range(3000):
            overall = rng.randint(1, 5)
            reasons = rng.sample(["waiting_time", "attitude", "unclear_guidance"], rng.randint(1, 2))
            day = f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            agency = rng.choice(["HN", "HN-X01"])
            writer.writerow(
                [
                    agency,
                    "Q01" if agency == "HN-X01" and rng.random() < 0.5 else "",
                    day if number % 4 else f"{day}T08:15:00.123456+07:00",
                    overall,
                    rng.choice(["", "1", "4", "5"]),
                    rng.choice(["", "land", "justice"]),
                    ";".join(reasons) if overall <= 2 else "",
                    rng.choice(["", "Tốt lắm", 'tab\there, "quoted", back\\slash', "line\nbreak"]),
                    rng.choice(["", "female", "male"]),
                    f"{rng.uniform(0.5, 3.0):.4f}",
                    rng.choice(["north", "south"]),
                    f"V{number % 7}",
                ]
            )
    options = ImportOptions(
        form="counter-quick@1",
        agency_column="agency",
        counter_column="counter",
        date_column="date",
        weight_column="w",
        strata_column="region",
        psu_column="village",
        batch_size=700,
    )
    now = datetime(2026, 1, 10, 3, 0, tzinfo=UTC)
    forms = registry(session, settings)
    report = CsvImport(session, settings, forms, path, options, now=now).run()
    assert (report.committed, report.new, report.bad_lines) == (True, 3000, 0)
    bulk = _stored_snapshot(session)
    assert len(bulk[0]) == 3000 and len(bulk[1]) > 3000

    # The same lines prepared as before, stored by ``store`` (the path of every other channel) instead.
    job = CsvImport(session, settings, forms, path, options, now=now)
    prepared = [job.preparer.prepare(line, fields).prepared for line, fields in job.file.records() if line > 1]
    session.rollback()
    session.execute(delete(Answer))
    session.execute(delete(Response))
    session.execute(delete(StoredSubmission))
    session.commit()
    store(session, [item for item in prepared if item is not None])
    by_store = _stored_snapshot(session)
    assert len(by_store[0]) == 3000
    assert by_store[1] == bulk[1]
    for expected, got in zip(by_store[0], bulk[0], strict=True):
        assert got == expected
