"""Client addresses behind a reverse proxy (SIPAS_TRUSTED_PROXIES, none by default) and Cache-Control on
authenticated answers."""

from __future__ import annotations

from ipaddress import ip_network
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Settings
from app.directory.models import Role
from app.links import service as links
from app.main import create_app
from app.officials.models import OfficialSession
from app.officials.service import create_official
from app.security import ForwardedClient
from tests.factories import PASSWORD, counter_tree, login

PROXY = ("127.0.0.1", 40000)


def _addresses_of_logins(settings: Settings, session: Session, forwarded: list[str]) -> list[str | None]:
    """Log in once per X-Forwarded-For value, through a peer at 127.0.0.1; the client address of each session."""
    province = counter_tree(session)[0]
    create_official(session, username="proxy-admin", password=PASSWORD, role=Role.province_admin, agency=province)
    session.commit()
    with TestClient(create_app(settings), client=PROXY) as client:
        for value in forwarded:
            reply = client.post(
                "/api/v1/auth/token",
                data={"username": "proxy-admin", "password": PASSWORD},
                headers={"X-Forwarded-For": value},
            )
            assert reply.status_code == 200, reply.text
    session.expire_all()
    return list(session.scalars(select(OfficialSession.client_ip).order_by(OfficialSession.id)))


def test_without_trusted_proxies_the_header_is_never_read(settings: Settings, session: Session) -> None:
    assert _addresses_of_logins(settings, session, ["203.0.113.9", "x" * 100]) == ["127.0.0.1", "127.0.0.1"]


def test_a_trusted_proxy_names_the_client_and_only_by_an_ip_address(settings: Settings, session: Session) -> None:
    behind = settings.model_copy(update={"trusted_proxies": (ip_network("127.0.0.1"), ip_network("10.0.0.0/8"))})
    forwarded = [
        "203.0.113.9",
        "198.51.100.7, 10.0.0.2",  # through a second proxy of ours: the client is the first untrusted hop
        "192.0.2.1, 198.51.100.8, 10.0.0.2",  # what the client claimed (192.0.2.1) is not believed
        "x" * 100,  # a 500 on PostgreSQL before (the column holds 64): ignored
        "203.0.113.10, not-an-address",
        "[2001:db8::7]:443",
    ]
    assert _addresses_of_logins(behind, session, forwarded) == [
        "203.0.113.9",
        "198.51.100.7",
        "198.51.100.8",
        "127.0.0.1",
        "127.0.0.1",
        "2001:db8::7",
    ]


def test_forwarded_entries_that_are_not_addresses_are_refused() -> None:
    forwarded = ForwardedClient(lambda *_: None, trusted=[ip_network("10.0.0.0/8")])  # type: ignore[arg-type]
    assert forwarded.client("203.0.113.7:51000") == "203.0.113.7"
    assert forwarded.client("::ffff:10.0.0.1, 10.0.0.3") == "10.0.0.1"  # all ours: the first one
    for value in ("unknown", "fe80::1%eth0", "203.0.113.7, ", "_hidden", "1" * 70, ""):
        assert forwarded.client(value) is None, value


def test_https_from_a_trusted_proxy_gets_hsts(settings: Settings, tmp_path: Path) -> None:
    behind = settings.model_copy(update={"trusted_proxies": (ip_network("127.0.0.1"),)})
    with TestClient(create_app(behind), client=PROXY) as client:
        assert "strict-transport-security" in client.get("/healthz", headers={"X-Forwarded-Proto": "https"}).headers
        assert "strict-transport-security" not in client.get("/healthz").headers
    with TestClient(create_app(settings), client=PROXY) as client:  # not trusted: ignored
        assert "strict-transport-security" not in client.get("/healthz", headers={"X-Forwarded-Proto": "https"}).headers


def test_authenticated_answers_are_never_stored_by_caches(
    client: TestClient, session: Session, settings: Settings
) -> None:
    province, _commune, counter = counter_tree(session)
    token = client.post("/api/v1/auth/token", data={"username": "nobody", "password": "wrong"})
    assert token.headers["cache-control"] == "no-store"
    admin = login(client, session, "cache-admin", Role.province_admin, province)
    paths = [
        "/api/v1/auth/me",
        *(
            f"/api/v1/{what}?agency=HN{query}"
            for what in ("satisfaction", "trends", "responses/export")
            for query in ("", "&format=csv", "&format=xlsx")
        ),
    ]
    for path in paths:
        reply = client.get(path, headers=admin)
        assert reply.status_code == 200, (path, reply.text)
        assert reply.headers["cache-control"] == "no-store", path
    # A session cookie (the dashboard's downloads) counts as credentials, valid or not.
    stranger = TestClient(client.app, cookies={"sipas_session": "expired"})
    assert stranger.get("/api/v1/satisfaction?agency=HN&format=csv").headers["cache-control"] == "no-store"
    # An answer to a request without credentials keeps what its route says (a counter's QR image is public).
    image = TestClient(client.app).get(f"/f/{links.counter_token(settings, counter)}/qr.png")
    assert image.headers["cache-control"] == "public, max-age=86400"
    assert "cache-control" not in TestClient(client.app).get("/healthz").headers
