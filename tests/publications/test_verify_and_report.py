"""A publication from the shell (``sipas publish``), its printed report (``sipas publication pdf``, read back with
pdftotext, each page drawn with pdftoppm into test-artifacts/) and ``sipas publication verify``, on both databases.

The issue's scenario: the demo province's last full quarter is published; answers arrive afterwards and a
population count is edited (through the service, with its audit record); the publication, its report and its
verification are unchanged. Then what verification must catch: a response flagged afterwards without any audit
trail (the figures differ and nothing audited explains it), and a stored document edited behind the service's back
(its hash no longer matches)."""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from typer.testing import Result

from app.config import Settings
from app.db import make_engine, make_session_factory
from app.demo import DEMO_USERNAME, PROVINCE_CODE
from app.directory.models import Agency, Counter, Official
from app.officials.scope import scope_of
from app.publications import service
from app.publications.models import Publication
from app.reference.counts import update_population_count
from app.reference.models import PopulationCount
from app.responses.models import Channel, Response
from tests.conftest import BACKENDS
from tests.factories import ITEMS, Known, World, add_rows
from tests.support.browser import artifact

DEPARTMENT = f"{PROVINCE_CODE}-STP"


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@contextlib.contextmanager
def opened(settings: Settings) -> Iterator[Session]:
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


def publish_quarter(run: Any) -> int:
    result = run("publish", "--by", DEMO_USERNAME, "--from", "2026-07-01", "--to", "2026-09-30")
    assert result.exit_code == 0, result.output
    found = re.match(
        r"published: (\d+)\tMA\t2026-07-01…2026-09-30\t.* by demo\tin force\tsha256 [0-9a-f]{64}$", result.output
    )
    assert found, result.output
    return int(found.group(1))


def shown(run: Any, publication_id: int) -> dict[str, Any]:
    result = run("publication", "show", str(publication_id))
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    assert isinstance(found, dict)
    return found


def report_text(run: Any, publication_id: int, out: Path, lang: str = "vi") -> str:
    result = run("publication", "pdf", str(publication_id), "--out", str(out), "--lang", lang)
    assert result.exit_code == 0, result.output
    text = subprocess.run(["pdftotext", str(out), "-"], check=True, capture_output=True, text=True).stdout
    return " ".join(text.split())


def vi_pct(value: float) -> str:
    return f"{value:.2f}".replace(".", ",") + "%"


def test_later_answers_and_an_edited_count_change_neither_the_publication_nor_its_report_nor_its_verification(
    run: Any, settings: Settings, backend: str, tmp_path: Path
) -> None:
    publication_id = publish_quarter(run)
    before = shown(run, publication_id)
    content = before["content"]
    text = report_text(run, publication_id, tmp_path / "before.pdf")

    headline = next(row for row in content["overall"]["total"] if row["indicator"] == "sipas")
    assert "Báo cáo Chỉ số hài lòng về sự phục vụ hành chính (SIPAS)" in text
    assert "Kỳ báo cáo: 01/07/2026 – 30/09/2026" in text
    assert f"Chỉ số SIPAS {vi_pct(headline['estimate_pct'])}" in text
    low, high = vi_pct(headline["ci_low_pct"]), vi_pct(headline["ci_high_pct"])
    assert f"Khoảng tin cậy 95%: {low} – {high}" in text
    assert f"Dựa trên {content['meta']['responses']:,} ý kiến".replace(",", ".") in text
    assert before["content_hash"] in text
    assert "(Ký, ghi rõ họ tên, đóng dấu)" in text
    with opened(settings) as session:
        province = session.scalar(select(Agency).where(Agency.code == PROVINCE_CODE))
        assert province is not None
        names = session.scalars(
            select(Agency.name_vi).where(Agency.path.startswith(province.path), Agency.id != province.id)
        ).all()
    assert len(names) == 32
    assert [name for name in names if name not in text] == []  # diacritics and all: "Xã Đông Hưng", "Sở Tư pháp"
    assert "Phường Minh Khai" in text and "Sở Văn hóa, Thể thao và Du lịch" in text
    assert "chưa đủ dữ liệu" in text  # an unreliable unit is printed so, never as a number

    pages = subprocess.run(
        ["pdftoppm", "-r", "60", "-png", str(tmp_path / "before.pdf"), str(tmp_path / "page")],
        check=True,
        capture_output=True,
    )
    assert pages.returncode == 0
    drawn = sorted(tmp_path.glob("page-*.png"))
    assert len(drawn) >= 6
    for page in drawn:
        assert page.stat().st_size > 5_000  # a drawn page, not a blank one
        artifact(f"publication-report-{backend}-{page.name}").write_bytes(page.read_bytes())

    english = report_text(run, publication_id, tmp_path / "english.pdf", "en")
    assert "Report on satisfaction with public administrative services (SIPAS)" in english
    assert f"SIPAS index {headline['estimate_pct']:.2f}%" in english

    with opened(settings) as session:  # afterwards: six answers in August, and the August count doubled
        department = session.scalar(select(Agency).where(Agency.code == DEPARTMENT))
        assert department is not None
        counter = session.scalar(select(Counter).where(Counter.agency_id == department.id, Counter.code == "Q01"))
        assert counter is not None
        world = World(department, {DEPARTMENT: department}, {(DEPARTMENT, "Q01"): counter})
        late = [
            Known(DEPARTMENT, "Q01", date(2026, 8, 3 + day), Channel.web_qr, dict.fromkeys(ITEMS, 1))
            for day in range(6)
        ]
        stored_before = session.scalar(select(func.max(Response.id)))
        add_rows(session, settings, world, late)
        # answered in August, received now (a kiosk's queue synced late): the server's clock sets received_at
        session.execute(update(Response).where(Response.id > stored_before).values(received_at=datetime.now(UTC)))
        session.commit()
        count = session.scalar(
            select(PopulationCount).where(
                PopulationCount.agency_id == department.id,
                PopulationCount.period_start == date(2026, 8, 1),
                PopulationCount.procedure_field_id.is_(None),
            )
        )
        assert count is not None
        admin = session.scalar(select(Official).where(Official.username == DEMO_USERNAME))
        assert admin is not None
        doubled = 2 * count.dossiers_handled
        update_population_count(
            session, scope_of(session, admin), count.id, {"dossiers_handled": doubled}, reason="corrected (CV 45)"
        )

    after = shown(run, publication_id)
    assert after == before
    assert report_text(run, publication_id, tmp_path / "after.pdf") == text
    verified = run("publication", "verify", str(publication_id))
    assert verified.exit_code == 0, verified.output
    assert verified.output.startswith(f"publication {publication_id}: stored document intact; ")
    assert verified.output.rstrip().endswith("rows recomputed as of the cut-off: EQUAL")
    with opened(settings) as session:  # and the count edited stays edited: verification wrote nothing
        assert session.get(PopulationCount, count.id).dossiers_handled == doubled  # type: ignore[union-attr]


def test_verification_finds_a_silent_flag_change_and_an_edited_document(run: Any, settings: Settings) -> None:
    publication_id = publish_quarter(run)
    with opened(settings) as session:  # one August answer of the department marked a test, with no audit record
        department = session.scalar(select(Agency).where(Agency.code == DEPARTMENT))
        assert department is not None
        flagged = session.scalar(
            select(Response.id)
            .where(Response.agency_id == department.id, Response.local_month == 202608)
            .order_by(Response.id)
            .limit(1)
        )
        session.execute(update(Response).where(Response.id == flagged).values(is_test=True))
        session.commit()
    found = run("publication", "verify", str(publication_id))
    assert found.exit_code == 1, found.output
    lines = found.output.splitlines()
    assert lines[0].startswith(f"publication {publication_id}: stored document intact; ")
    assert re.search(r"rows recomputed as of the cut-off: \d+ DIFFER$", lines[0]), lines[0]
    assert "  meta responses: published 5941, now 5940" in lines
    assert "  meta excluded_test: published 0, now 1" in lines
    assert any(line.startswith(f"  overall/rows/{DEPARTMENT}/sipas estimate_pct: published ") for line in lines)
    assert lines[-1] == "  no audited change since publication explains it (responses stored late? a code change?)"

    with opened(settings) as session:  # the stored document edited behind the service's back
        stored = session.get(Publication, publication_id)
        assert stored is not None
        content = json.loads(json.dumps(stored.content))
        content["overall"]["total"][0]["estimate_pct"] = 99.0
        session.execute(update(Publication).where(Publication.id == publication_id).values(content=content))
        session.commit()
    tampered = run("publication", "verify", str(publication_id))
    assert tampered.exit_code == 1
    assert "STORED DOCUMENT ALTERED: its hash no longer matches" in tampered.output.splitlines()[0]


def test_cli_refusals_name_the_option(run: Any) -> None:
    cases = [
        (
            ("publish", "--by", "nobody", "--from", "2026-07-01", "--to", "2026-09-30"),
            "error: --by: no active official 'nobody'",
        ),
        (
            ("publish", "--by", DEMO_USERNAME, "--from", "2026-13-01", "--to", "2026-09-30"),
            "error: --from: '2026-13-01' is not a date such as 2026-09-30",
        ),
        (
            ("publish", "--by", DEMO_USERNAME, "--from", "2026-09-30", "--to", "2026-07-01"),
            "error: to: 2026-07-01 is before from: 2026-09-30",
        ),
        (
            ("publish", "--by", DEMO_USERNAME, "--from", "2020-01-01", "--to", "2020-03-31"),
            "error: no responses for MA from 2020-01-01 to 2020-03-31: nothing to publish",
        ),
        (
            ("publish", "--by", DEMO_USERNAME, "--from", "2026-07-01", "--to", "2026-09-30", "--method", "magic"),
            "error: --method: 'magic' is not one of",
        ),
        (("publication", "verify", "4242"), "error: no publication 4242"),
        (("publication", "pdf", "4242", "--out", "x.pdf"), "error: no publication 4242"),
    ]
    for args, message in cases:
        result = run(*args)
        assert result.exit_code == 2, (args, result.output)
        assert result.output.startswith(message), (args, result.output)
        assert "Traceback" not in result.output


def test_two_administrators_superseding_one_publication_at_once_leave_one_successor(
    run: Any, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = publish_quarter(run)
    quarter = (
        "publish",
        "--by",
        DEMO_USERNAME,
        "--from",
        "2026-07-01",
        "--to",
        "2026-09-30",
        "--supersedes",
        str(first),
    )
    checked = service._superseded
    raced: list[Result] = []
    started: list[bool] = []

    def racing(*args: Any) -> Publication | None:  # B checks, publishes and commits between A's check and A's write
        found = checked(*args)
        if not started:
            started.append(True)
            raced.append(run(*quarter, "--reason", "B"))
        return found

    monkeypatch.setattr(service, "_superseded", racing)
    late = run(*quarter, "--reason", "A")
    assert raced[0].exit_code == 0, raced[0].output
    assert late.exit_code == 2
    assert late.output == f"error: supersedes: publication {first} was superseded by another publication meanwhile\n"
    with opened(settings) as session:
        rows = session.execute(
            select(Publication.id, Publication.superseded_by_id, Publication.superseded_reason).order_by(Publication.id)
        ).all()
    assert [tuple(row) for row in rows] == [(first, first + 1, "B"), (first + 1, None, None)]
