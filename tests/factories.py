"""Small builders for test data (real rows through the real services)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
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


# --- the citizen form, as a browser or a script uses it ---------------------------------------------------------


@dataclass
class Clock:
    """Wall time for the form (received_at, the burst window) and monotonic time for the in-memory limiters."""

    start: datetime
    elapsed: float = 0.0

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed)

    def monotonic(self) -> float:
        return 1_000_000.0 + self.elapsed

    def advance(self, seconds: float) -> None:
        self.elapsed += seconds


def hidden(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))


def submit(client: TestClient, path: str, answers: dict[str, str], *, new_answer: bool = False) -> int:
    """Open the form (as a script must, for its anti-forgery token and, on a first visit, its client id) and send
    it. A browser keeps its submission id for a link (Back and send again store nothing new); ``new_answer`` asks
    for a new one first, as the form's "open a new form" link does. The status of the send: 303 when it ends on the
    thank-you page; a send the form refuses (its mistakes, or an expired page) redirects back to the form (303 too),
    reported here as 422; anything else as it is (400, 410, 429)."""
    page = client.get(path + "/new" if new_answer else path)
    sent = client.post(path, data={**hidden(page.text), **answers}, follow_redirects=False)
    if sent.status_code == 303 and "/thanks" not in sent.headers["location"]:
        return 422
    return sent.status_code


def stranger(app: FastAPI, number: int) -> TestClient:
    """A client from its own address, without cookies: a script rotating addresses."""
    return TestClient(app, client=(f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256}", 40000))
