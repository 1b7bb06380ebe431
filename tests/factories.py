"""Small builders for test data (real rows through the real services)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from app.config import Settings
from app.directory.models import Agency, AgencyLevel, Counter, Role
from app.directory.service import create_agency, create_counter, create_official
from app.forms.loader import RegisteredForm, check_registered, load_forms
from app.responses.ingest import Origin, Submission, prepare, store
from app.responses.models import Channel


def registry(session: Session, settings: Settings) -> dict[tuple[str, int], RegisteredForm]:
    return check_registered(session, load_forms(settings.forms_dir))


def counter_tree(session: Session) -> tuple[Agency, Agency, Counter]:
    """A province with one commune that has counter Q01; committed."""
    province = create_agency(
        session, code="HN", name_vi="Thành phố Hà Nội", name_en="Hanoi", level=AgencyLevel.province
    )
    commune = create_agency(
        session,
        code="HN-X01",
        name_vi="Xã Bát Tràng",
        name_en="Bat Trang Commune",
        level=AgencyLevel.commune,
        parent=province,
    )
    counter = create_counter(session, agency=commune, code="Q01", name_vi="Quầy số 1", name_en="Counter 1")
    session.commit()
    return province, commune, counter


FORMS_DIR = Path(__file__).resolve().parents[1] / "survey_forms"


PASSWORD = "correct horse battery"


def login(client: Any, session: Session, username: str, role: Role, agency: Agency | None) -> dict[str, str]:
    """An official of ``role`` over ``agency`` and the bearer header of a fresh login."""
    create_official(session, username=username, password=PASSWORD, role=role, agency=agency)
    session.commit()
    response = client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def login_form_token(client: Any, path: str = "/dashboard/login") -> str:
    """Open the dashboard's login form, as a browser does first (it sets the pre-session anti-forgery cookie), and
    return the form's token."""
    page = client.get(path)
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text)
    assert found is not None, page.text
    return found.group(1)


def dashboard_login(client: Any, username: str, password: str = PASSWORD, **fields: str) -> Any:
    """Log in through the dashboard's form (with its anti-forgery token); the answer, not followed."""
    data = {"username": username, "password": password, "csrf_token": login_form_token(client), **fields}
    return client.post("/dashboard/login", data=data, follow_redirects=False)


def live_response(
    session: Session,
    settings: Settings,
    *,
    agency: Agency,
    counter: Counter | None,
    day: date,
    overall: int,
    channel: Channel = Channel.web_qr,
    procedure_field: str | None = None,
) -> None:
    """One counter-quick response of a live channel through the one ingestion path, stored and committed."""
    form = registry(session, settings)[("counter-quick", 1)]
    answers: dict[str, Any] = {"overall": overall}
    if overall <= 2:
        answers["reason"] = ["waiting_time"]
    if procedure_field:
        answers["procedure_field"] = procedure_field
    submitted = datetime.combine(day, time(10, 0), tzinfo=settings.zone).astimezone(UTC)
    submission = Submission(
        submission_id=uuid.uuid4(), form_id="counter-quick", form_version=1, submitted_at=submitted, answers=answers
    )
    origin = Origin(channel=channel, agency_id=agency.id, counter_id=counter.id if counter else None)
    store(session, [prepare(settings, form, submission, origin, now=submitted + timedelta(minutes=1))])
    session.commit()
