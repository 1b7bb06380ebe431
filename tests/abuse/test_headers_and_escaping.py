"""Security headers on every route, the policies of the pages and of /docs, and hostile text shown escaped."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.routing import Route

from app.cells import neutral
from app.config import Settings
from app.directory.models import Role
from app.directory.service import create_agency, create_counter
from app.links import service as links
from app.responses.models import Answer
from app.security import inline_hashes
from tests.factories import PASSWORD, counter_tree, dashboard_login, hidden, login

STRICT = "default-src 'self'; script-src 'self'; style-src 'self'"
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
EXPECTED = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


def _flat(routes: list[Any]) -> list[Any]:
    """The routes, with included routers opened (this FastAPI keeps them as branches; their paths hold the
    routers' own prefixes, and app/main.py includes them without another)."""
    flat = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        flat.extend(_flat(list(inner.routes)) if inner is not None else [route])
    return flat


def _routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, concrete path) the app serves, path parameters filled with harmless values."""
    found = []
    for route in _flat(app.routes):
        if not isinstance(route, APIRoute | Route):
            continue
        path = re.sub(r"\{[^}]+\}", "1", route.path).replace("/dashboard/static/1", "/dashboard/static/dashboard.css")
        for method in sorted(route.methods or {"GET"}):
            if method != "HEAD":
                found.append((method, path))
    return found


def _check(response: object, where: str) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    for name, value in EXPECTED.items():
        assert headers.get(name) == value, f"{where}: {name}={headers.get(name)!r}"
    policy = headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in policy and "base-uri 'none'" in policy, f"{where}: {policy!r}"
    assert "camera=()" in headers.get("permissions-policy", ""), where
    assert "strict-transport-security" not in headers, f"{where}: HSTS over plain HTTP"


def test_every_route_answers_with_the_security_headers(app: FastAPI, client: TestClient, session: Session) -> None:
    routes = _routes(app)
    assert len(routes) > 60
    headers = login(client, session, "national", Role.national, None)
    for method, path in routes:
        for auth in ({}, headers):
            response = client.request(method, path, headers=auth, follow_redirects=False)
            _check(response, f"{method} {path} -> {response.status_code}")
            policy = response.headers["content-security-policy"]
            if path not in ("/docs", "/docs/oauth2-redirect"):
                assert policy.startswith(STRICT) and "unsafe-inline" not in policy, f"{method} {path}: {policy}"


def test_hsts_only_over_https(app: FastAPI) -> None:
    with TestClient(app, base_url="https://testserver") as secure:
        assert secure.get("/healthz").headers["strict-transport-security"].startswith("max-age=31536000")
    with TestClient(app) as plain:
        assert "strict-transport-security" not in plain.get("/healthz").headers


def test_docs_run_under_their_own_policy_from_this_origin(client: TestClient) -> None:
    for path in ("/docs", "/docs/oauth2-redirect"):
        page = client.get(path)
        assert page.status_code == 200, path
        policy = page.headers["content-security-policy"]
        for digest in inline_hashes(page.text, "script"):  # the inline start-up script is allowed by its hash
            assert digest in policy, path
        assert "script-src 'self' 'sha256-" in policy and "frame-ancestors 'none'" in policy, path
        assert "https:" not in policy and "'unsafe-eval'" not in policy, path
    docs = client.get("/docs").text
    assert "SwaggerUIBundle" in docs and "/docs/assets/swagger-ui-bundle.js" in docs and "https://" not in docs
    bundle = client.get("/docs/assets/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and bundle.headers["content-type"].startswith(
        ("text/javascript", "application/javascript")
    )
    assert client.get("/docs/assets/swagger-ui.css").status_code == 200
    assert client.get("/redoc").status_code == 404  # ReDoc would need its CDN
    assert client.get("/openapi.json").status_code == 200


def test_inline_styles_of_pages_are_exactly_the_ones_allowed(
    client: TestClient, settings: Settings, session: Session
) -> None:
    counter = counter_tree(session)[2]
    path = "/f/" + links.counter_token(settings, counter)
    pages = [
        client.get(path),
        client.get(path + "?lang=en"),
        client.get("/f/not-a-token"),
        client.get("/kiosk"),
        client.get(
            "/api/v1/agencies/HN-X01/counters/Q01/poster", headers=login(client, session, "nat", Role.national, None)
        ),
    ]
    assert [page.status_code for page in pages] == [200, 200, 404, 200, 200]
    for page in pages:
        styles = inline_hashes(page.text, "style")
        assert styles, page.url
        for digest in styles:
            assert digest in page.headers["content-security-policy"], page.url
        assert ' style="' not in page.text and "<script>" not in page.text
    assert 'form:has(input[name="overall"]' in pages[0].text  # the show-if rules still reach the form


def test_hostile_comment_is_escaped_on_the_form_and_never_reaches_a_page_raw(
    app: FastAPI, client: TestClient, settings: Settings, session: Session
) -> None:
    counter = counter_tree(session)[2]
    path = "/f/" + links.counter_token(settings, counter)
    hostile = f"{SCRIPT} {IMG}"
    # A validation error shows the form again with the comment kept: escaped.
    page = client.get(path)
    again = client.post(path, data={**hidden(page.text), "overall": "1", "comment": hostile, "dossier_code": IMG})
    assert again.status_code == 200 and [step.status_code for step in again.history] == [303]  # redirected back
    assert SCRIPT not in again.text and "<img" not in again.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in again.text
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in again.text
    stored = client.post(
        path,
        data={**hidden(again.text), "overall": "1", "reason": "attitude", "comment": hostile},
        follow_redirects=False,
    )
    assert stored.status_code == 303
    assert session.scalar(select(Answer.value_text).where(Answer.item_code == "comment")) == hostile
    headers = login(client, session, "national", Role.national, None)
    assert dashboard_login(client, "national", PASSWORD).status_code == 303
    for url in (
        "/dashboard",
        "/dashboard/agencies/HN",
        "/dashboard/agencies/HN-X01",
        "/dashboard/counters",
        "/dashboard/devices",
        "/dashboard/agencies/HN-X01?from=2000-01-01&channel=" + IMG,
    ):
        shown = client.get(url)
        assert shown.status_code in (200, 404), url
        assert "<img src=x" not in shown.text and SCRIPT not in shown.text, url
    export = client.get("/api/v1/responses/export", params={"from": "2000-01-01"}, headers=headers)
    assert export.status_code == 200 and "alert(1)" not in export.text  # free text never leaves in an export


def test_spreadsheet_exports_neutralise_formulas(client: TestClient, settings: Settings, session: Session) -> None:
    assert [neutral(text) for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "ok", 5, -5)] == [
        "'=1+1",
        "'+1",
        "'-1",
        "'@SUM(A1)",
        "'\t=1",
        "ok",
        5,
        -5,
    ]
    agency = create_agency(
        session, code="EVIL", name_vi='=HYPERLINK("http://x.example","bấm")', level=counter_tree(session)[0].level
    )
    counter = create_counter(session, agency=agency, code="Q1", name_vi="@SUM(1)")
    session.commit()
    path = "/f/" + links.counter_token(settings, counter)
    page = client.get(path)
    assert "=HYPERLINK(&#34;http://x.example&#34;,&#34;bấm&#34;)" in page.text  # escaped on the page as well
    sent = client.post(
        path,
        data={**hidden(page.text), "overall": "5", "access_general": "4", "comment": "=1+1"},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    headers = login(client, session, "national", Role.national, None)
    for fmt in ("csv", "xlsx"):
        download = client.get(
            "/api/v1/satisfaction",
            headers=headers,
            params={"format": fmt, "group_by": "agency,counter", "from": "2000-01-01", "agency": "EVIL"},
        )
        assert download.status_code == 200, download.text
        if fmt == "csv":
            cells = [cell for row in csv.reader(io.StringIO(download.text.lstrip("\ufeff"))) for cell in row]
        else:
            book = load_workbook(io.BytesIO(download.content), read_only=True)
            cells = [str(cell) for row in book.active.iter_rows(values_only=True) for cell in row if cell is not None]
        assert '\'=HYPERLINK("http://x.example","bấm")' in cells and "'@SUM(1)" in cells, fmt
        assert not [cell for cell in cells if cell[:1] in ("=", "+", "@")], fmt
