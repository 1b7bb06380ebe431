"""The data model behaves the same on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.directory.models import Agency, AgencyLevel, Counter
from app.directory.service import create_agency
from app.forms.models import FormVersion
from app.responses.models import Answer, Channel, Response, StoredSubmission
from app.responses.service import dossier_hash, local_period

HANOI = timezone(timedelta(hours=7))


def _response(session: Session, agency: Agency, submission_id: uuid.UUID) -> Response:
    version = session.scalars(select(FormVersion)).first()
    assert version is not None
    submitted = datetime(2026, 3, 2, 9, 15, tzinfo=HANOI)
    day, month = local_period(submitted, ZoneInfo("Asia/Ho_Chi_Minh"))
    return Response(
        identity=StoredSubmission(submission_id=submission_id, local_month=month),
        submission_id=submission_id,
        form_version_id=version.id,
        agency_id=agency.id,
        channel=Channel.web_qr,
        submitted_at=submitted,
        local_date=day,
        local_month=month,
        content_hash="0" * 64,
    )


def test_timestamps_are_stored_in_utc_and_read_back_aware(session: Session) -> None:
    agency = create_agency(session, code="HN", name_vi="Hà Nội", level=AgencyLevel.province)
    response = _response(session, agency, uuid.uuid4())
    session.add(response)
    session.commit()
    session.expire_all()
    stored = session.scalars(select(Response)).one()
    assert stored.submitted_at.tzinfo is not None
    assert stored.submitted_at.utcoffset() == timedelta(0)
    assert stored.submitted_at == datetime(2026, 3, 2, 2, 15, tzinfo=UTC)
    assert stored.local_date == date(2026, 3, 2)
    assert stored.local_month == 202603


def test_naive_timestamps_are_refused(session: Session) -> None:
    agency = create_agency(session, code="HN", name_vi="Hà Nội", level=AgencyLevel.province)
    response = _response(session, agency, uuid.uuid4())
    response.submitted_at = datetime(2026, 3, 2, 9, 15)
    session.add(response)
    with pytest.raises(Exception, match="naive datetime"):
        session.flush()


def test_submission_id_is_unique_in_the_database(session: Session) -> None:
    agency = create_agency(session, code="HN", name_vi="Hà Nội", level=AgencyLevel.province)
    submission_id = uuid.uuid4()
    session.add(_response(session, agency, submission_id))
    session.commit()
    session.add(_response(session, agency, submission_id))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()
    assert session.scalar(select(Response.submission_id)) == submission_id


def test_foreign_keys_are_enforced(session: Session) -> None:
    session.add(Counter(agency_id=999_999, code="Q01", name_vi="Quầy 1"))
    with pytest.raises(IntegrityError):
        session.commit()


def test_answers_go_with_their_response(session: Session) -> None:
    agency = create_agency(session, code="HN", name_vi="Hà Nội", level=AgencyLevel.province)
    response = _response(session, agency, uuid.uuid4())
    response.answers = [
        Answer(item_code="overall", local_month=202603, value_int=5, satisfied=1),
        Answer(item_code="reason", local_month=202603, value_json=["waiting_time", "attitude"]),
        Answer(item_code="comment", local_month=202603, value_text="Cán bộ nhiệt tình"),
    ]
    session.add(response)
    session.commit()
    session.expire_all()
    stored = {answer.item_code: answer for answer in session.scalars(select(Answer))}
    assert stored["overall"].value_int == 5 and stored["overall"].satisfied == 1
    assert stored["reason"].value_json == ["waiting_time", "attitude"]
    assert stored["comment"].value_text == "Cán bộ nhiệt tình"


def test_agency_subtree_of_any_depth_is_one_prefix_match(session: Session) -> None:
    province = create_agency(session, code="P", name_vi="Tỉnh", level=AgencyLevel.province)
    department = create_agency(session, code="P-S", name_vi="Sở", level=AgencyLevel.department, parent=province)
    office = create_agency(session, code="P-S-1", name_vi="Phòng", level=AgencyLevel.other, parent=department)
    create_agency(session, code="Q", name_vi="Tỉnh khác", level=AgencyLevel.province)
    session.commit()
    assert office.path == f"/{province.id}/{department.id}/{office.id}/"
    subtree = session.scalars(
        select(Agency.code).where(Agency.path.startswith(department.path)).order_by(Agency.code)
    ).all()
    assert subtree == ["P-S", "P-S-1"]


def test_local_period_uses_the_service_time_zone() -> None:
    # 18:30 UTC on 31 January is 01:30 on 1 February in Hà Nội.
    day, month = local_period(datetime(2026, 1, 31, 18, 30, tzinfo=UTC), ZoneInfo("Asia/Ho_Chi_Minh"))
    assert (day, month) == (date(2026, 2, 1), 202602)


def test_dossier_hash_is_keyed_and_ignores_spacing_and_case() -> None:
    key = b"k" * 32
    assert dossier_hash(key, "000.00.12.H26-260301-0001") == dossier_hash(key, " 000.00.12.h26-260301-0001 ")
    assert dossier_hash(key, "A1") != dossier_hash(b"j" * 32, "A1")
    assert len(dossier_hash(key, "A1")) == 64
