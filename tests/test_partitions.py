"""Responses and answers partitioned by month on PostgreSQL (app/partitions.py): `sipas migrate` makes the months
ahead, answers either side of a month boundary land in their own months, a replay is recognised whatever month it
is dated, and a month that had no partition is stored in the default one, then moved into its own."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app.db import make_engine, make_session_factory
from app.migrate import migrate
from app.partitions import month_after, months_from
from app.responses import summary
from app.responses.ingest import Origin, Submission, ingest
from app.responses.models import Answer, Channel, Response, ResponseSum, StoredSubmission
from tests.conftest import make_settings
from tests.factories import counter_tree, registry

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
# Half past midnight of New Year's Day, in the reporting time zone (17:30 UTC on 31 December).
NEW_YEAR = datetime(2027, 1, 1, 0, 30, tzinfo=ZONE)


def test_month_arithmetic_rolls_over_the_year() -> None:
    assert month_after(202611) == 202612
    assert month_after(202612) == 202701
    assert months_from(202611, 4) == [202611, 202612, 202701, 202702]


@pytest.fixture
def migrated(empty_database_url: str, tmp_path: Path) -> tuple[str, Path]:
    return empty_database_url, tmp_path


def _session(url: str) -> Session:
    return make_session_factory(make_engine(url))()


def _where(session: Session, table: str, column: str, key: int) -> list[str]:
    """The partitions holding the rows of ``table`` whose ``column`` is ``key``."""
    rows = session.execute(
        text(f"SELECT DISTINCT tableoid::regclass::text FROM {table} WHERE {column} = :key"),
        {"key": key},
    )
    return sorted(str(name) for (name,) in rows)


def _partitions(session: Session, table: str) -> list[str]:
    rows = session.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = CAST(:t AS regclass)"
        ),
        {"t": table},
    )
    return sorted(str(name) for (name,) in rows)


def test_migrate_makes_this_month_and_the_months_ahead(backend: str, migrated: tuple[str, Path]) -> None:
    url, directory = migrated
    settings = make_settings(url, directory).model_copy(update={"partition_months_ahead": 2})
    done = migrate(settings, now=NEW_YEAR - timedelta(days=20))  # 12 December
    if backend == "sqlite":
        assert (done.partitions.created, done.partitions.moved) == ([], {})
        return
    assert done.partitions.created == [202612, 202701, 202702]
    with _session(url) as session:
        expected = ["responses_default", "responses_y2026m12", "responses_y2027m01", "responses_y2027m02"]
        assert _partitions(session, "responses") == expected
        assert _partitions(session, "answers") == [name.replace("responses", "answers") for name in expected]
    again = migrate(settings, now=NEW_YEAR)  # January: one more month ahead, nothing else
    assert (again.partitions.created, again.partitions.moved) == ([202703], {})


def test_answers_either_side_of_new_year_land_in_their_own_months(backend: str, migrated: tuple[str, Path]) -> None:
    url, directory = migrated
    settings = make_settings(url, directory)
    migrate(settings, now=NEW_YEAR - timedelta(days=3))
    with _session(url) as session:
        _, commune, counter = counter_tree(session)
        form = registry(session, settings)[("counter-quick", 1)]
        origin = Origin(channel=Channel.kiosk, agency_id=commune.id, counter_id=counter.id)

        def send(submission_id: uuid.UUID, at: datetime, overall: int) -> tuple[str, int | None]:
            submission = Submission(
                submission_id=submission_id,
                form_id="counter-quick",
                form_version=1,
                submitted_at=at,
                answers={"overall": overall},
            )
            result = ingest(session, settings, form, submission, origin, now=NEW_YEAR + timedelta(minutes=5))
            return result.status, result.response_id

        december, january = uuid.uuid4(), uuid.uuid4()
        status, old_year = send(december, NEW_YEAR - timedelta(minutes=31), 5)  # 23:59 on 31 December
        assert status == "stored" and old_year is not None
        status, new_year = send(january, NEW_YEAR, 4)
        assert status == "stored" and new_year is not None
        # The same January answer again, but dated in December: still a replay, judged against the stored one,
        # though a December row would go to another partition.
        assert send(january, NEW_YEAR - timedelta(hours=1), 4)[0] == "conflict"
        assert send(january, NEW_YEAR, 4) == ("duplicate", new_year)
        months = {row.id: row.local_month for row in session.execute(select(Response.id, Response.local_month))}
        assert months == {old_year: 202612, new_year: 202701}
        overall = select(Answer.response_id, Answer.local_month, Answer.value_int).where(Answer.item_code == "overall")
        assert sorted(tuple(row) for row in session.execute(overall)) == sorted(
            [(old_year, 202612, 5), (new_year, 202701, 4)]
        )
        assert session.scalar(select(func.count()).select_from(StoredSubmission)) == 2
        # Folded into the summary, each in its own month's cells, as the raw tables say.
        summary.refresh(session)
        session.commit()
        months_summed = session.execute(select(ResponseSum.local_month, ResponseSum.respondents)).all()
        assert sorted(tuple(row) for row in months_summed) == [(202612, 1), (202701, 1)]
        assert summary.check(session) == (2, [])
        if backend == "postgresql":
            assert _where(session, "responses", "id", old_year) == ["responses_y2026m12"]
            assert _where(session, "responses", "id", new_year) == ["responses_y2027m01"]
            assert _where(session, "answers", "response_id", old_year) == ["answers_y2026m12"]
            assert _where(session, "answers", "response_id", new_year) == ["answers_y2027m01"]


def test_a_month_without_partitions_is_stored_and_then_moved_into_its_own(
    backend: str, migrated: tuple[str, Path]
) -> None:
    url, directory = migrated
    settings = make_settings(url, directory)
    migrate(settings, now=NEW_YEAR)  # January and February 2027 only
    march = datetime(2026, 3, 10, 9, 0, tzinfo=ZONE)  # a kiosk that kept last March's answers
    with _session(url) as session:
        _, commune, counter = counter_tree(session)
        form = registry(session, settings)[("counter-quick", 1)]
        origin = Origin(channel=Channel.kiosk, agency_id=commune.id, counter_id=counter.id)
        submission = Submission(
            submission_id=uuid.uuid4(),
            form_id="counter-quick",
            form_version=1,
            submitted_at=march,
            answers={"overall": 4},
        )
        stored = ingest(session, settings, form, submission, origin, now=NEW_YEAR)
        assert stored.status == "stored" and stored.response_id is not None
        if backend == "postgresql":
            assert _where(session, "responses", "id", stored.response_id) == ["responses_default"]
            assert _where(session, "answers", "response_id", stored.response_id) == ["answers_default"]

    done = migrate(settings, now=NEW_YEAR)
    with _session(url) as session:
        if backend == "postgresql":
            assert (done.partitions.created, done.partitions.moved) == ([], {202603: 1})
            assert _where(session, "responses", "id", stored.response_id) == ["responses_y2026m03"]
            assert _where(session, "answers", "response_id", stored.response_id) == ["answers_y2026m03"]
            assert "responses_default" in _partitions(session, "responses")  # attached again
        assert session.scalar(select(func.count(Response.id))) == 1
        assert session.scalar(select(Answer.value_int)) == 4
        again = ingest(session, settings, form, submission, origin, now=NEW_YEAR + timedelta(hours=1))
        assert (again.status, again.response_id) == ("duplicate", stored.response_id)
