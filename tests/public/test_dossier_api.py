"""One-stop software mints single-use dossier links with a device key."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.directory.models import Agency, Counter
from app.directory.service import create_counter, create_device, revoke_device
from app.public.models import DossierLink
from tests.factories import counter_tree


@pytest.fixture
def tree(session: Session) -> tuple[Agency, Agency, Counter]:
    return counter_tree(session)


@pytest.fixture
def key(session: Session, tree: tuple[Agency, Agency, Counter]) -> str:
    _, commune, counter = tree
    _, key = create_device(session, agency=commune, counter=counter, label="Phần mềm một cửa")
    session.commit()
    return key


def _mint(client: TestClient, key: str | None, **body: object) -> object:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return client.post("/api/v1/dossier-links", json={"dossier_code": "H26-261120-0001", **body}, headers=headers)


def test_mint_a_link_that_opens_the_dossier_form_once(client: TestClient, key: str, session: Session,
                                                      settings, tree) -> None:  # fmt: skip
    response = _mint(client, key)
    assert response.status_code == 201
    body = response.json()
    assert body["url"] == f"{settings.base_url}/f/{body['token']}"
    page = client.get(f"/f/{body['token']}")
    assert page.status_code == 200
    assert "Xã Bát Tràng · Quầy số 1" in page.text  # the device's own counter
    link = session.scalars(select(DossierLink)).one()
    assert link.dossier_hash != "H26-261120-0001" and len(link.dossier_hash) == 64
    assert link.created_by.startswith("device:")


@pytest.mark.parametrize(
    ("auth", "message"),
    [(None, "missing device key: send 'Authorization: Bearer <key>'"), ("wrong-key", "unknown or revoked device key")],
)
def test_a_device_key_is_required(client: TestClient, key: str, auth: str | None, message: str) -> None:
    response = _mint(client, auth)
    assert response.status_code == 401
    assert response.json()["error"]["message"] == message


def test_a_revoked_key_stops_working(client: TestClient, key: str, session: Session) -> None:
    revoke_device(session, key_prefix=key[:12])
    session.commit()
    assert _mint(client, key).status_code == 401


def test_counters_must_belong_to_the_devices_agency(client: TestClient, key: str, session: Session, tree) -> None:
    province = tree[0]
    create_counter(session, agency=province, code="Q09", name_vi="Quầy 9")
    session.commit()
    response = _mint(client, key, counter="Q09")
    assert response.status_code == 422
    assert response.json()["error"]["message"] == "/counter: agency 'HN-X01' has no counter 'Q09'"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"form_id": "nope"}, "form_id: unknown form 'nope'"),
        ({"dossier_code": ""}, "/dossier_code: String should have at least 1 character"),
        ({"days": 0}, "/days: Input should be greater than or equal to 1"),
    ],
)
def test_bad_requests_say_what_is_wrong(client: TestClient, key: str, body: dict[str, object], message: str) -> None:
    response = _mint(client, key, **body)
    assert response.status_code == 422
    assert response.json()["error"]["message"] == message
