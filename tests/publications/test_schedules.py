"""Scheduled drafts on the demo province: an administrator orders a draft of every quarter (public once published)
and of every month of a department; ``sipas publish --due`` drafts each ended period once, however often it runs;
a draft is nowhere public and says so on its report; an administrator publishes it as it is, once; a stopped
schedule drafts nothing more."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.demo import DEMO_PASSWORD, DEMO_USERNAME, PROVINCE_CODE
from app.publications.schedules import last_period
from tests.conftest import BACKENDS
from tests.factories import log_in_as
from tests.publications.conftest import Run

DEPARTMENT = f"{PROVINCE_CODE}-STP"


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def canonical_hash(content: dict[str, Any]) -> str:
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def test_scheduled_drafts_are_made_once_and_published_as_they_are(client: TestClient, run: Run, tmp_path: Path) -> None:
    admin = log_in_as(client, DEMO_USERNAME, DEMO_PASSWORD)
    schedules = "/api/v1/publication-schedules"
    quarterly = client.post(schedules, json={"every": "quarter", "public": True}, headers=admin)
    assert quarterly.status_code == 201, quarterly.text
    assert {k: quarterly.json()[k] for k in ("agency", "every", "public", "created_by", "stopped_at")} == {
        "agency": PROVINCE_CODE,
        "every": "quarter",
        "public": True,
        "created_by": DEMO_USERNAME,
        "stopped_at": None,
    }
    again = client.post(schedules, json={"every": "quarter"}, headers=admin)
    assert again.status_code == 409
    assert again.json()["error"]["message"] == (
        f"every: schedule {quarterly.json()['id']} already drafts every quarter of this agency"
    )
    assert client.post(schedules, json={"every": "week"}, headers=admin).status_code == 422
    monthly = client.post(schedules, json={"agency": DEPARTMENT, "every": "month"}, headers=admin)
    assert monthly.status_code == 201
    q, m = quarterly.json()["id"], monthly.json()["id"]

    first = run("publish", "--due", "--today", "2026-10-05")
    assert first.exit_code == 0, first.output
    found = re.fullmatch(
        rf"schedule {q}\t{PROVINCE_CODE}\t2026-07-01…2026-09-30\tdrafted (\d+)\n"
        rf"schedule {m}\t{DEPARTMENT}\t2026-09-01…2026-09-30\tdrafted (\d+)\n",
        first.output,
    )
    assert found, first.output
    draft, department_draft = int(found.group(1)), int(found.group(2))
    second = run("publish", "--due", "--today", "2026-10-31")  # the same periods: nothing new
    assert second.output == (
        f"schedule {q}\t{PROVINCE_CODE}\t2026-07-01…2026-09-30\talready there: {draft}\n"
        f"schedule {m}\t{DEPARTMENT}\t2026-09-01…2026-09-30\talready there: {department_draft}\n"
    )

    listed = client.get("/api/v1/publications", headers=admin).json()["items"]
    assert [(item["id"], item["draft"], item["public"]) for item in listed] == [
        (department_draft, True, False),
        (draft, True, True),
    ]
    assert f"/ket-qua/{draft}" not in client.get("/ket-qua").text  # a draft is nowhere public, even a public one's
    assert client.get(f"/ket-qua/{draft}").status_code == 404
    pdf = client.get(f"/api/v1/publications/{draft}/report.pdf", headers=admin)
    (tmp_path / "draft.pdf").write_bytes(pdf.content)
    text = subprocess.run(["pdftotext", str(tmp_path / "draft.pdf"), "-"], capture_output=True, text=True).stdout
    assert "BẢN NHÁP – chưa công bố" in " ".join(text.split())

    published = client.post(f"/api/v1/publications/{draft}/publish", headers=admin)
    assert published.status_code == 200, published.text
    body = published.json()
    assert body["draft"] is False and body["published_by"] == DEMO_USERNAME
    assert body["content"]["published_at"] == body["published_at"].replace("Z", "+00:00")
    assert body["content_hash"] == canonical_hash(body["content"])
    twice = client.post(f"/api/v1/publications/{draft}/publish", headers=admin)
    assert twice.status_code == 409 and twice.json()["error"]["message"].startswith(
        f"publication {draft} is not a draft"
    )
    assert f'href="/ket-qua/{draft}?lang=vi"' in client.get("/ket-qua").text
    verified = run("publication", "verify", str(draft))
    assert verified.exit_code == 0 and verified.output.rstrip().endswith("EQUAL"), verified.output

    stopped = client.post(f"{schedules}/{q}/stop", headers=admin)
    assert stopped.status_code == 200 and stopped.json()["stopped_at"] is not None
    later = run("publish", "--due", "--today", "2027-01-05")  # the quarterly schedule is stopped; December has no data
    assert later.output == (
        f"schedule {m}\t{DEPARTMENT}\t2026-12-01…2026-12-31\tnot drafted: no responses for {DEPARTMENT} from "
        "2026-12-01 to 2026-12-31: nothing to publish\n"
    )
    assert len(client.get("/api/v1/publications", headers=admin).json()["items"]) == 2


@pytest.mark.parametrize(
    ("every", "today", "period"),
    [
        ("month", date(2026, 10, 5), (date(2026, 9, 1), date(2026, 9, 30))),
        ("month", date(2027, 1, 1), (date(2026, 12, 1), date(2026, 12, 31))),
        ("month", date(2028, 3, 31), (date(2028, 2, 1), date(2028, 2, 29))),
        ("quarter", date(2026, 10, 5), (date(2026, 7, 1), date(2026, 9, 30))),
        ("quarter", date(2026, 9, 30), (date(2026, 4, 1), date(2026, 6, 30))),
        ("quarter", date(2027, 2, 14), (date(2026, 10, 1), date(2026, 12, 31))),
    ],
)
def test_the_last_period_that_ended(every: str, today: date, period: tuple[date, date]) -> None:
    assert last_period(every, today) == period
