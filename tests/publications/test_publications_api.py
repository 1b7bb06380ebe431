"""``/api/v1/publications`` on the demo province: an administrator publishes the last full quarter (July to September
2026) and gets the figures the live report shows at that moment, frozen with the SHA-256 of their canonical JSON;
answers stored later and a population count edited later change the live figures, never the publication; a later
publication supersedes it (with a reason), once; officials see only their scope's publications (others answer 404
as a missing one does); the refusals name the field; nothing edits or deletes a publication (405).

Each backend's demo database (a copy of the run's demo template for the twelve months to November 2026, the one
tests/reference/test_count_integrity.py reads) is shared by this module's tests, and so are its publications: the
module overrides the per-test ``backend``, ``settings``, ``engine``, ``app`` and ``client`` fixtures. What changes the
database (the first publication, later answers and an edited count, the superseding publication, a department's
publication) is a module fixture, so every test sees the same world whatever order the tests run in."""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import make_engine, make_session_factory
from app.demo import DEMO_PASSWORD, DEMO_USERNAME, PROVINCE_CODE
from app.directory.models import Agency, AgencyLevel, Counter, Role
from app.directory.service import create_agency
from app.main import create_app
from app.publications.service import ESTIMATOR
from app.responses.models import Channel
from tests.conftest import BACKENDS, demo_database_url, make_settings
from tests.factories import ELEMENTS, ITEMS, Known, World, add_rows, log_in_as, login

PUBLICATIONS = "/api/v1/publications"
# The demo's twelve months run from December 2025 to November 2026; its last full quarter is the third of 2026.
DEMO_END = date(2026, 12, 4)
QUARTER = {"from": "2026-07-01", "to": "2026-09-30"}
QUARTER_RESPONSES = 5941  # the demo's responses from July to September 2026, all agencies of the province
DEPARTMENT = f"{PROVINCE_CODE}-STP"  # Sở Tư pháp, a leaf below the province
AGENCIES_BELOW = 32  # the demo's service centre, 11 departments and 20 communes: every one has answers each month
NEW_ANSWERS = 6  # stored for the department in August 2026 after the first publication, every item "very dissatisfied"
REASON = "Sở Tư pháp gửi lại số liệu tháng 8 (công văn 45/STP)"
SUMMARY = {
    *("id", "agency", "period_start", "period_end", "published_at", "published_by", "data_cutoff", "code_version"),
    *("content_hash", "superseded_by", "superseded_at", "superseded_reason"),
}
CONTENT = {
    *("schema", "agency", "period", "method", "meta", "overall", "detail", "population_counts", "data_cutoff"),
    *("code_version", "published_at", "published_by"),
}
# A figure computed twice from the same answers in another grouping: the same to the last bits or so (its sums are
# added up in another order), the same n, verdict and flags.
CLOSE = 1e-12
MISSING = 2**31 - 1  # a publication id no test creates


def sha256_of_canonical(content: dict[str, Any]) -> str:
    """The hash as anyone holding a copy of the document computes it (keys sorted, no spaces, UTF-8)."""
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def sipas(rows: list[dict[str, Any]]) -> dict[str, Any]:
    [row] = [row for row in rows if row["indicator"] == "sipas"]
    return row


def same_figures(found: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    assert len(found) == len(expected)
    for row, wanted in zip(found, expected, strict=True):
        assert set(row) == set(wanted)
        for key, value in wanted.items():
            if isinstance(value, float):
                assert row[key] == pytest.approx(value, rel=CLOSE), (key, row, wanted)
            else:
                assert row[key] == value, (key, row, wanted)


def error(response: Any) -> str:
    message = response.json()["error"]["message"]
    assert isinstance(message, str)
    return message


# --- one demo database per backend, shared by the module ---------------------------------------------------------


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def settings(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Settings]:
    directory = tmp_path_factory.mktemp(f"publications-demo-{backend}")
    with contextlib.contextmanager(demo_database_url)(backend, request, directory, DEMO_END) as url:
        yield make_settings(url, directory)


@pytest.fixture(scope="module")
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def new_session(engine: Engine) -> Callable[[], Session]:
    """Short-lived sessions: a module fixture holding one open would keep the app's writes waiting on SQLite."""
    return make_session_factory(engine)


@pytest.fixture(scope="module")
def app(settings: Settings) -> Iterator[FastAPI]:
    application = create_app(settings)
    yield application
    application.state.engine.dispose()


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@dataclass(frozen=True)
class Officials:
    admin: dict[str, str]  # the demo official: province_admin of the province
    other_admin: dict[str, str]  # province_admin of another province, HN
    official: dict[str, str]  # agency_official of the province
    department_official: dict[str, str]  # agency_official of the department
    national: dict[str, str]


@pytest.fixture(scope="module")
def officials(client: TestClient, new_session: Callable[[], Session]) -> Officials:
    with new_session() as session:
        other = create_agency(session, code="HN", name_vi="Thành phố Hà Nội", level=AgencyLevel.province)
        session.commit()
        province = session.scalar(select(Agency).where(Agency.code == PROVINCE_CODE))
        department = session.scalar(select(Agency).where(Agency.code == DEPARTMENT))
        return Officials(
            admin=log_in_as(client, DEMO_USERNAME, DEMO_PASSWORD),
            other_admin=login(client, session, "hn-admin", Role.province_admin, other),
            official=login(client, session, "ma-official", Role.agency_official, province),
            department_official=login(client, session, "stp-official", Role.agency_official, department),
            national=login(client, session, "national", Role.national, None),
        )


@dataclass(frozen=True)
class Published:
    body: dict[str, Any]  # the 201's body
    live: dict[str, Any]  # GET /api/v1/satisfaction for the same agency and period, just after
    live_by_agency: dict[str, Any]  # the same, grouped by agency

    @property
    def id(self) -> int:
        return int(self.body["id"])

    @property
    def content(self) -> dict[str, Any]:
        content = self.body["content"]
        assert isinstance(content, dict)
        return content


def live_figures(client: TestClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = client.get(
        "/api/v1/satisfaction", params={"agency": PROVINCE_CODE, **QUARTER, **params}, headers=headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert isinstance(body, dict)
    return body


@pytest.fixture(scope="module")
def first(client: TestClient, officials: Officials) -> Published:
    """The province's quarter, published by the demo administrator (the agency: the default, their scope's root)."""
    created = client.post(PUBLICATIONS, json=QUARTER, headers=officials.admin)
    assert created.status_code == 201, created.text
    live = live_figures(client, officials.admin)
    by_agency = live_figures(client, officials.admin, group_by="agency")
    return Published(created.json(), live, by_agency)


@dataclass(frozen=True)
class Changed:
    count_id: int
    dossiers_before: int
    dossiers_after: int
    live: dict[str, Any]  # the live figures after the new answers and the edited count


@pytest.fixture(scope="module")
def changed(
    client: TestClient, officials: Officials, first: Published, settings: Settings, new_session: Callable[[], Session]
) -> Changed:
    """After the first publication: the department gets new answers in August 2026 and its August count is
    corrected (doubled, with a reason) through the API."""
    with new_session() as session:
        department = session.scalar(select(Agency).where(Agency.code == DEPARTMENT))
        assert department is not None
        counter = session.scalar(select(Counter).where(Counter.agency_id == department.id, Counter.code == "Q01"))
        assert counter is not None
        world = World(department, {DEPARTMENT: department}, {(DEPARTMENT, "Q01"): counter})
        answers = dict.fromkeys(ITEMS, 1)
        rows = [
            Known(DEPARTMENT, "Q01", date(2026, 8, day), Channel.web_qr, answers) for day in range(3, 3 + NEW_ANSWERS)
        ]
        add_rows(session, settings, world, rows)
        session.commit()
    listed = client.get(
        "/api/v1/population-counts", params={"agency": DEPARTMENT, "on": "2026-08-15"}, headers=officials.admin
    )
    [count] = listed.json()["items"]
    assert (count["period_start"], count["period_end"], count["procedure_field"]) == ("2026-08-01", "2026-08-31", None)
    edited = client.patch(
        f"/api/v1/population-counts/{count['id']}",
        json={"dossiers_handled": 2 * count["dossiers_handled"], "reason": REASON},
        headers=officials.admin,
    )
    assert edited.status_code == 200, edited.text
    return Changed(
        count["id"], count["dossiers_handled"], edited.json()["dossiers_handled"], live_figures(client, officials.admin)
    )


@pytest.fixture(scope="module")
def second(client: TestClient, officials: Officials, first: Published) -> dict[str, Any]:
    """The province's quarter published again, superseding the first (the reason with spaces around it)."""
    body = {**QUARTER, "supersedes": first.id, "reason": f"  {REASON}\n"}
    created = client.post(PUBLICATIONS, json=body, headers=officials.admin)
    assert created.status_code == 201, created.text
    found = created.json()
    assert isinstance(found, dict)
    return found


@dataclass(frozen=True)
class DepartmentPublished:
    body: dict[str, Any]
    live: dict[str, Any]  # the department's live figures with the same method and level, just after


@pytest.fixture(scope="module")
def department(client: TestClient, officials: Officials) -> DepartmentPublished:
    """The department's own quarter, published by the province's administrator with Wilson intervals at 90%."""
    body = {"agency": DEPARTMENT, **QUARTER, "method": "wilson", "level": 0.9}
    created = client.post(PUBLICATIONS, json=body, headers=officials.admin)
    assert created.status_code == 201, created.text
    live = live_figures(client, officials.admin, agency=DEPARTMENT, method="wilson", level=0.9)
    return DepartmentPublished(created.json(), live)


def get(client: TestClient, publication_id: int, headers: dict[str, str]) -> Any:
    return client.get(f"{PUBLICATIONS}/{publication_id}", headers=headers)


def listed_ids(client: TestClient, headers: dict[str, str], **params: str) -> list[int]:
    response = client.get(PUBLICATIONS, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


# --- publishing ---------------------------------------------------------------------------------------------------


def test_the_publication_holds_the_live_figures(first: Published) -> None:
    body, content = first.body, first.content
    assert set(body) >= SUMMARY | {"content"}
    assert body["agency"] == PROVINCE_CODE
    assert (body["period_start"], body["period_end"]) == (QUARTER["from"], QUARTER["to"])
    assert body["published_by"] == DEMO_USERNAME == content["published_by"]
    assert (body["superseded_by"], body["superseded_at"], body["superseded_reason"]) == (None, None, None)
    # The hash is the SHA-256 of the content's canonical JSON, as anyone holding a copy computes it.
    assert body["content_hash"] == sha256_of_canonical(content)
    assert len(body["content_hash"]) == 64

    assert set(content) >= CONTENT
    assert content["schema"] == 1
    assert content["agency"] == {"code": PROVINCE_CODE, "name": "Tỉnh Minh An (dữ liệu mẫu)"}
    assert content["period"] == QUARTER
    assert content["method"] == {"estimator": ESTIMATOR, "interval": "beta", "level": 0.95}
    assert instant(content["published_at"]) == instant(body["published_at"])
    assert content["code_version"] == body["code_version"] and content["code_version"]
    assert content["data_cutoff"] is not None
    assert instant(content["data_cutoff"]) == instant(body["data_cutoff"])

    # The province's SIPAS index as the live report gives it at the same moment: the same estimate and interval.
    meta = content["meta"]
    assert meta["responses"] == first.live["meta"]["responses"] == QUARTER_RESPONSES
    assert (meta["agency"], meta["date_from"], meta["date_to"]) == (PROVINCE_CODE, QUARTER["from"], QUARTER["to"])
    published = sipas(content["overall"]["total"])
    same_figures([published], [sipas(first.live["total"])])
    assert published["n"] == QUARTER_RESPONSES
    assert (round(published["estimate_pct"], 2), round(published["ci_low_pct"], 2)) == (86.02, 85.48)
    assert (round(published["ci_high_pct"], 2), published["verdict"]) == (86.54, "inconclusive")
    # Every agency's index, as the live report grouped by agency gives it.
    same_figures(content["overall"]["rows"], first.live_by_agency["rows"])
    same_figures(content["overall"]["total_mean_of_units"], first.live_by_agency["total_mean_of_units"])

    # Every agency below the province, with its element and item rows.
    agencies = {row["agency"] for row in content["overall"]["rows"]}
    assert len(agencies) == AGENCIES_BELOW and DEPARTMENT in agencies
    wanted = {f"element:{element}" for element in ELEMENTS} | {f"item:{item}" for item in ITEMS}
    for agency in agencies:
        indicators = {row["indicator"] for row in content["detail"]["rows"] if row["agency"] == agency}
        assert wanted <= indicators, agency
    assert {row["agency"] for row in content["detail"]["rows"]} == agencies
    # The population counts the weights used: each agency's three months.
    counts = content["population_counts"]
    assert len(counts) == 3 * AGENCIES_BELOW
    assert {count["agency"] for count in counts} == agencies
    assert {(count["period_start"], count["period_end"]) for count in counts} == {
        ("2026-07-01", "2026-07-31"),
        ("2026-08-01", "2026-08-31"),
        ("2026-09-01", "2026-09-30"),
    }


def test_a_department_publication_holds_the_department_alone(department: DepartmentPublished) -> None:
    body = department.body
    content = body["content"]
    assert body["agency"] == DEPARTMENT
    assert content["agency"] == {"code": DEPARTMENT, "name": "Sở Tư pháp"}
    assert body["content_hash"] == sha256_of_canonical(content)
    assert content["method"] == {"estimator": ESTIMATOR, "interval": "wilson", "level": 0.9}
    assert content["meta"]["responses"] == department.live["meta"]["responses"]
    assert (content["meta"]["method"], content["meta"]["level"]) == ("wilson", 0.9)
    published = sipas(content["overall"]["total"])
    same_figures([published], [sipas(department.live["total"])])
    assert (published["method"], published["level"]) == ("wilson", 0.9)
    assert [row["agency"] for row in content["overall"]["rows"]] == [DEPARTMENT]
    assert {row["agency"] for row in content["detail"]["rows"]} == {DEPARTMENT}
    assert {(row["method"], row["level"]) for row in content["detail"]["rows"]} == {("wilson", 0.9)}
    assert [count["period_start"] for count in content["population_counts"]] == [
        "2026-07-01",
        "2026-08-01",
        "2026-09-01",
    ]
    assert {count["agency"] for count in content["population_counts"]} == {DEPARTMENT}


# --- immutability -------------------------------------------------------------------------------------------------


def test_later_answers_and_counts_change_the_live_figures_not_the_publication(
    client: TestClient, officials: Officials, first: Published, changed: Changed
) -> None:
    # The live figures moved: six more answers, and the department's August weighs twice as much.
    assert changed.live["meta"]["responses"] == QUARTER_RESPONSES + NEW_ANSWERS
    live_after = sipas(changed.live["total"])
    assert live_after["n"] == QUARTER_RESPONSES + NEW_ANSWERS
    assert live_after["estimate_pct"] != sipas(first.live["total"])["estimate_pct"]
    current = client.get(f"/api/v1/population-counts/{changed.count_id}", headers=officials.admin).json()
    assert current["dossiers_handled"] == changed.dossiers_after == 2 * changed.dossiers_before

    # The publication did not: the same document, byte for byte, and the same hash.
    found = get(client, first.id, officials.admin)
    assert found.status_code == 200, found.text
    again = found.json()
    assert json.dumps(again["content"], ensure_ascii=False) == json.dumps(first.content, ensure_ascii=False)
    assert again["content_hash"] == first.body["content_hash"] == sha256_of_canonical(again["content"])
    for key in ("agency", "period_start", "period_end", "published_at", "published_by", "data_cutoff", "code_version"):
        assert again[key] == first.body[key], key
    assert again["content"]["meta"]["responses"] == QUARTER_RESPONSES
    [count] = [count for count in again["content"]["population_counts"] if count["id"] == changed.count_id]
    assert (count["agency"], count["dossiers_handled"]) == (DEPARTMENT, changed.dossiers_before)


# --- superseding --------------------------------------------------------------------------------------------------


def test_a_later_publication_supersedes_the_first_once(
    client: TestClient, officials: Officials, first: Published, second: dict[str, Any]
) -> None:
    assert second["id"] != first.id
    assert second["agency"] == PROVINCE_CODE
    assert (second["superseded_by"], second["superseded_at"], second["superseded_reason"]) == (None, None, None)
    assert second["content_hash"] == sha256_of_canonical(second["content"])

    old = get(client, first.id, officials.admin).json()
    assert old["superseded_by"] == second["id"]
    assert instant(old["superseded_at"]) == instant(second["published_at"])
    assert instant(old["superseded_at"]) >= instant(old["published_at"])
    assert old["superseded_reason"] == REASON
    # Superseding marks the old one; its figures stay as they were published.
    assert old["content"] == first.content
    assert old["content_hash"] == first.body["content_hash"]

    # Both are listed, newest first, without their content; the summaries are the publications' own.
    listed = client.get(PUBLICATIONS, params={"agency": PROVINCE_CODE}, headers=officials.admin)
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert [item["id"] for item in items] == [second["id"], first.id]
    assert all(set(item) >= SUMMARY and "content" not in item for item in items)
    assert items[1] == {key: value for key, value in old.items() if key != "content"}

    # A superseded publication is not superseded again.
    again = client.post(
        PUBLICATIONS, json={**QUARTER, "supersedes": first.id, "reason": "lần nữa"}, headers=officials.admin
    )
    assert again.status_code == 409, again.text
    assert error(again).startswith("supersedes:")
    assert str(second["id"]) in error(again)
    assert listed_ids(client, officials.admin, agency=PROVINCE_CODE) == [second["id"], first.id]
    assert get(client, first.id, officials.admin).json()["superseded_by"] == second["id"]


def test_the_whole_list_is_newest_first(
    client: TestClient,
    officials: Officials,
    first: Published,
    second: dict[str, Any],
    department: DepartmentPublished,
) -> None:
    items = client.get(PUBLICATIONS, headers=officials.admin).json()["items"]
    assert {item["id"] for item in items} == {first.id, second["id"], department.body["id"]}
    newest_first = sorted(items, key=lambda item: (instant(item["published_at"]), item["id"]), reverse=True)
    assert items == newest_first
    assert listed_ids(client, officials.admin, agency=DEPARTMENT) == [department.body["id"]]


# --- who sees what ------------------------------------------------------------------------------------------------


def test_another_province_sees_nothing_of_this_one(
    client: TestClient, officials: Officials, first: Published, department: DepartmentPublished
) -> None:
    other = officials.other_admin
    for publication_id in (first.id, department.body["id"]):
        hidden = get(client, publication_id, other)
        assert hidden.status_code == 404
        # The same answer as for a publication that does not exist.
        assert hidden.json() == {"error": {"code": "not_found", "message": f"no publication {publication_id}"}}
    missing = get(client, MISSING, other)
    assert (missing.status_code, missing.json()) == (
        404,
        {"error": {"code": "not_found", "message": f"no publication {MISSING}"}},
    )
    assert listed_ids(client, other) == []
    listed = client.get(PUBLICATIONS, params={"agency": PROVINCE_CODE}, headers=other)
    assert (listed.status_code, error(listed)) == (404, f"no agency with code '{PROVINCE_CODE}'")

    # Publishing for an agency outside the scope: as unknown as an agency that does not exist.
    for code in (PROVINCE_CODE, DEPARTMENT, "NOPE"):
        refused = client.post(PUBLICATIONS, json={"agency": code, **QUARTER}, headers=other)
        assert refused.status_code == 404, refused.text
        assert refused.json() == {"error": {"code": "not_found", "message": f"no agency with code '{code}'"}}
    # Its own province has no answers.
    empty = client.post(PUBLICATIONS, json=QUARTER, headers=other)
    assert (empty.status_code, error(empty)) == (
        422,
        "no responses for HN from 2026-07-01 to 2026-09-30: nothing to publish",
    )
    assert listed_ids(client, other) == []


def test_officials_read_their_scope_and_cannot_publish(
    client: TestClient, officials: Officials, first: Published, department: DepartmentPublished
) -> None:
    # An official of the province (not an administrator) reads its publications, and may not publish.
    found = get(client, first.id, officials.official)
    assert found.status_code == 200, found.text
    assert found.json()["content"] == first.content
    assert found.json()["content_hash"] == first.body["content_hash"]
    assert first.id in listed_ids(client, officials.official, agency=PROVINCE_CODE)
    assert department.body["id"] in listed_ids(client, officials.official)
    for body in (QUARTER, {"agency": DEPARTMENT, **QUARTER}):
        refused = client.post(PUBLICATIONS, json=body, headers=officials.official)
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["code"] == "forbidden"

    # The department's official: its own publication, not the province's (an agency above its scope).
    stp = officials.department_official
    own = get(client, department.body["id"], stp)
    assert own.status_code == 200 and own.json()["content"] == department.body["content"]
    assert listed_ids(client, stp) == [department.body["id"]]
    assert listed_ids(client, stp, agency=DEPARTMENT) == [department.body["id"]]
    hidden = get(client, first.id, stp)
    assert (hidden.status_code, error(hidden)) == (404, f"no publication {first.id}")
    above = client.get(PUBLICATIONS, params={"agency": PROVINCE_CODE}, headers=stp)
    assert (above.status_code, error(above)) == (404, f"no agency with code '{PROVINCE_CODE}'")
    refused = client.post(PUBLICATIONS, json={"agency": DEPARTMENT, **QUARTER}, headers=stp)
    assert refused.status_code == 403, refused.text

    # A national official reads every publication; nobody reads without logging in.
    assert get(client, first.id, officials.national).json()["content_hash"] == first.body["content_hash"]
    assert {first.id, department.body["id"]} <= set(listed_ids(client, officials.national))
    assert get(client, first.id, {}).status_code == 401
    assert client.get(PUBLICATIONS).status_code == 401
    assert client.post(PUBLICATIONS, json=QUARTER).status_code == 401


# --- refusals -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "starts"),
    [
        pytest.param({"from": "2026-09-30", "to": "2026-07-01"}, 422, "to: 2026-07-01", id="from-after-to"),
        pytest.param({**QUARTER, "supersedes": 1}, 422, "reason:", id="supersedes-without-reason"),
        pytest.param({**QUARTER, "supersedes": 1, "reason": " \t\n"}, 422, "reason:", id="supersedes-blank-reason"),
        pytest.param({**QUARTER, "reason": REASON}, 422, "reason:", id="reason-without-supersedes"),
        pytest.param({"from": "2026-07-01"}, 422, "/to:", id="no-to"),
        pytest.param({**QUARTER, "level": 1}, 422, "/level:", id="level"),
        pytest.param({**QUARTER, "method": "guess"}, 422, "/method:", id="method"),
        pytest.param({**QUARTER, "content": {}}, 422, "/content:", id="unknown-field"),
        pytest.param(
            {"from": "2020-01-01", "to": "2020-03-31"},
            422,
            f"no responses for {PROVINCE_CODE} from 2020-01-01 to 2020-03-31: nothing to publish",
            id="no-responses",
        ),
        pytest.param({"agency": "NOPE", **QUARTER}, 404, "no agency with code 'NOPE'", id="unknown-agency"),
        pytest.param(
            {"agency": DEPARTMENT, **QUARTER, "supersedes": MISSING, "reason": REASON},
            404,
            f"no publication {MISSING}",
            id="supersedes-missing",
        ),
    ],
)
def test_a_wrong_request_is_refused_naming_the_field(
    client: TestClient, officials: Officials, first: Published, body: dict[str, Any], status: int, starts: str
) -> None:
    before = listed_ids(client, officials.admin)
    refused = client.post(PUBLICATIONS, json=body, headers=officials.admin)
    assert refused.status_code == status, refused.text
    assert error(refused).startswith(starts), error(refused)
    assert listed_ids(client, officials.admin) == before


def test_a_publication_supersedes_only_its_own_agencys(
    client: TestClient, officials: Officials, first: Published
) -> None:
    before, old = listed_ids(client, officials.admin), get(client, first.id, officials.admin).json()
    body = {"agency": DEPARTMENT, **QUARTER, "supersedes": first.id, "reason": REASON}
    refused = client.post(PUBLICATIONS, json=body, headers=officials.admin)
    assert refused.status_code == 422, refused.text
    assert error(refused).startswith(f"supersedes: publication {first.id} is of another agency")
    assert listed_ids(client, officials.admin) == before
    assert get(client, first.id, officials.admin).json() == old


def test_nothing_edits_or_deletes_a_publication(client: TestClient, officials: Officials, first: Published) -> None:
    url = f"{PUBLICATIONS}/{first.id}"
    for method in ("DELETE", "PUT", "PATCH"):
        refused = client.request(method, url, json={"content": {}}, headers=officials.admin)
        assert refused.status_code == 405, (method, refused.text)
        assert refused.json()["error"]["code"] == "method_not_allowed"
    for method in ("DELETE", "PUT", "PATCH"):
        assert client.request(method, PUBLICATIONS, headers=officials.admin).status_code == 405, method
    found = get(client, first.id, officials.admin).json()
    assert found["content"] == first.content and found["content_hash"] == first.body["content_hash"]
