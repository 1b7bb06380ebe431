"""One-stop software mints single-use dossier links with a device key."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.config import Settings
from app.directory.models import Agency, AgencyLevel, Counter, Role
from app.directory.service import create_agency, create_counter, create_device, revoke_device
from app.links import service as links
from app.links.router import MINT_PER_MINUTE
from app.responses.models import DossierLink, Response
from tests.factories import counter_tree, login, registry


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


def test_mint_a_link_that_opens_the_dossier_form_once(
    client: TestClient, key: str, session: Session, settings, tree
) -> None:
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


# --- closed counters, revocation, minting limit (issue: deactivation must stop every channel) ------------------


def _hidden(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))


def _answers(session: Session) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(Response)) or 0)


def _is_closed(page: Any) -> bool:
    """The explanation page instead of the form (app/main.py's LinkNotFound handler renders LinkClosed)."""
    return page.status_code in (404, 410) and 'name="submission_id"' not in page.text and "<form" not in page.text


def _minted(client: TestClient, key: str, code: str, **body: object) -> dict[str, Any]:
    response = client.post("/api/v1/dossier-links", json={"dossier_code": code, **body}, headers=_auth(key))
    assert response.status_code == 201, response.text
    return dict(response.json())


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_deactivating_a_counter_closes_its_qr_code_and_dossier_links_on_every_route(
    client: TestClient, key: str, session: Session, settings: Settings, tree: tuple[Agency, Agency, Counter]
) -> None:
    """The repro: after PATCH active=false, a dossier link minted before still stored answers."""
    province, _commune, counter = tree
    admin = login(client, session, "hn-admin", Role.province_admin, province)
    qr = "/f/" + links.counter_token(settings, counter)
    answered, pending = (_minted(client, key, code) for code in ("H26-0001", "H26-0002"))
    answered_path, pending_path = f"/f/{answered['token']}", f"/f/{pending['token']}"
    # Control: the same steps store an answer while the counter collects.
    page = client.get(answered_path)
    assert client.post(answered_path, data={**_hidden(page.text), "rating": "3"}).status_code in (200, 303)
    assert _answers(session) == 1
    # Pages opened before the deactivation, posted after it.
    early_dossier, early_qr = client.get(pending_path), client.get(qr)
    assert early_dossier.status_code == 200 and early_qr.status_code == 200

    patched = client.patch("/api/v1/agencies/HN-X01/counters/Q01", json={"active": False}, headers=admin)
    assert patched.status_code == 200, patched.text

    for path in (pending_path, qr):
        assert _is_closed(client.get(path)), path
        assert _is_closed(client.get(f"{path}/thanks")), path
    assert _is_closed(client.post(pending_path, data={**_hidden(early_dossier.text), "rating": "3"}))
    assert _is_closed(client.post(qr, data={**_hidden(early_qr.text), "overall": "5"}))
    assert _answers(session) == 1
    # Its unused links are revoked for good (the used one keeps its answer); the audit log says so.
    session.expire_all()
    by_id = {link.id: link for link in session.scalars(select(DossierLink))}
    assert by_id[pending["id"]].revoked_at is not None and by_id[answered["id"]].revoked_at is None
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "dossier_links.revoke")).one()
    assert event.details == {"agency": "HN-X01", "counter": "Q01", "count": 1, "why": "counter.deactivate"}
    # No new links for it.
    refused = _mint(client, key, dossier_code="H26-0003")
    assert refused.status_code == 422
    assert refused.json()["error"]["message"] == "counter 'Q01' is deactivated: it no longer collects answers"

    # Reactivated: the QR code opens again, the revoked dossier link never does.
    client.patch("/api/v1/agencies/HN-X01/counters/Q01", json={"active": True}, headers=admin)
    assert client.get(qr).status_code == 200
    assert _is_closed(client.get(pending_path))


def test_resolve_raises_link_closed_with_its_reason(
    client: TestClient, key: str, session: Session, settings: Settings, tree: tuple[Agency, Agency, Counter]
) -> None:
    forms = registry(session, settings)
    counter = tree[2]
    qr_token, dossier_token = links.counter_token(settings, counter), _minted(client, key, "H26-0001")["token"]
    links.revoke_counter_links(session, counter)
    session.commit()
    for token in (qr_token, dossier_token):
        with pytest.raises(links.LinkClosed) as revoked:
            links.resolve(session, settings, forms, token)
        assert revoked.value.reason == "link_revoked"
    counter.active = False
    session.commit()
    with pytest.raises(links.LinkClosed) as closed:
        links.resolve(session, settings, forms, links.counter_token(settings, counter))
    assert closed.value.reason == "counter_closed"
    with pytest.raises(links.LinkNotFound) as bad:
        links.resolve(session, settings, forms, "not-a-token")
    assert not isinstance(bad.value, links.LinkClosed)


def test_revoking_a_counters_links_closes_its_dossier_links_too(
    client: TestClient, key: str, session: Session, tree: tuple[Agency, Agency, Counter]
) -> None:
    admin = login(client, session, "hn-admin", Role.province_admin, tree[0])
    before = _minted(client, key, "H26-0001")
    page = client.get(f"/f/{before['token']}")
    assert client.post("/api/v1/agencies/HN-X01/counters/Q01/revoke-links", headers=admin).status_code == 200
    assert _is_closed(client.get(f"/f/{before['token']}"))
    assert _is_closed(client.post(f"/f/{before['token']}", data={**_hidden(page.text), "rating": "3"}))
    assert _answers(session) == 0
    after = _minted(client, key, "H26-0002")  # the counter still collects: new links work
    assert client.get(f"/f/{after['token']}").status_code == 200


def test_minting_for_a_deactivated_counter_or_agency_is_422(
    client: TestClient, key: str, session: Session, tree: tuple[Agency, Agency, Counter]
) -> None:
    _province, commune, counter = tree
    create_counter(session, agency=commune, code="Q02", name_vi="Quầy 2")
    counter.active = False
    session.commit()
    own = _mint(client, key)
    assert own.status_code == 422
    assert own.json()["error"]["message"] == "counter 'Q01' is deactivated: it no longer collects answers"
    assert _mint(client, key, counter="Q02").status_code == 201  # another counter of the agency still collects
    commune.active = False
    session.commit()
    closed = _mint(client, key, counter="Q02")
    assert closed.status_code == 422
    assert closed.json()["error"]["message"] == "agency 'HN-X01' is deactivated: it no longer collects answers"


def test_minting_is_limited_per_device(client: TestClient, key: str, session: Session, tree) -> None:
    """The repro: 150 links in a few seconds from one key, no limit."""
    _other, other_key = create_device(session, agency=tree[1], counter=tree[2], label="Máy 2")
    session.commit()
    codes = [_mint(client, key, dossier_code=f"H26-{n:04d}").status_code for n in range(150)]
    assert codes == [201] * MINT_PER_MINUTE + [429] * (150 - MINT_PER_MINUTE)
    refused = _mint(client, key)
    assert refused.json()["error"]["code"] == "too_many_requests" and int(refused.headers["retry-after"]) > 0
    assert _mint(client, other_key).status_code == 201  # per device
    assert len(session.scalars(select(DossierLink.id)).all()) == MINT_PER_MINUTE + 1


@pytest.mark.parametrize("how", ["DELETE", "POST"])
def test_the_minting_device_revokes_a_link(client: TestClient, key: str, session: Session, tree, how: str) -> None:
    minted = _minted(client, key, "H26-0001")
    page = client.get(f"/f/{minted['token']}")
    path = f"/api/v1/dossier-links/{minted['id']}" + ("/revoke" if how == "POST" else "")
    revoked = client.request(how, path, headers=_auth(key))
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["id"] == minted["id"] and revoked.json()["used"] is False
    assert _is_closed(client.get(f"/f/{minted['token']}"))
    assert _is_closed(client.post(f"/f/{minted['token']}", data={**_hidden(page.text), "rating": "3"}))
    assert _answers(session) == 0
    again = client.request(how, path, headers=_auth(key))
    assert again.status_code == 200 and again.json()["revoked_at"] == revoked.json()["revoked_at"]
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "dossier_link.revoke")).one()
    assert (event.actor, event.object_id) == (f"device:{key[:12]}", str(minted["id"]))


def test_who_may_revoke_a_link(client: TestClient, key: str, session: Session, tree) -> None:
    province, commune, counter = tree
    minted = [_minted(client, key, f"H26-000{n}")["id"] for n in range(3)]
    _, sibling_key = create_device(session, agency=commune, counter=counter, label="Máy 2")
    elsewhere = create_agency(session, code="HP", name_vi="Hải Phòng", level=AgencyLevel.province)
    session.commit()
    official = login(client, session, "hn-x01-staff", Role.agency_official, commune)
    stranger = login(client, session, "hp-admin", Role.province_admin, elsewhere)
    admin = login(client, session, "hn-admin", Role.province_admin, province)

    def revoke(link_id: int, headers: dict[str, str]) -> int:
        return client.delete(f"/api/v1/dossier-links/{link_id}", headers=headers).status_code

    assert revoke(minted[0], {}) == 401
    assert revoke(minted[0], _auth("not-a-key-nor-a-token")) == 401
    assert revoke(minted[0], _auth(sibling_key)) == 404  # another device of the same agency: not its link
    assert revoke(minted[0], stranger) == 404  # outside the admin's agencies: as unknown
    assert revoke(minted[0], official) == 403  # in scope, not an administrator
    assert revoke(10**6, admin) == 404
    assert revoke(2**40, admin) == 422  # beyond any id: named, never a database error
    assert revoke(minted[0], admin) == 200
    assert revoke(minted[1], _auth(key)) == 200
    session.expire_all()
    states = {link.id: link.revoked_at is not None for link in session.scalars(select(DossierLink))}
    assert states == {minted[0]: True, minted[1]: True, minted[2]: False}
