"""A NUL character (U+0000) in any text a request carries is refused with 422 naming the field, before any route
code runs: PostgreSQL can neither store nor compare text holding one (each of these was a 500 there). The kiosk
batch is the exception: its items are judged one by one, so one bad item does not fail the others."""

from __future__ import annotations

import asyncio
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.types import Receive, Scope, Send

from app.audit.models import AuditEvent
from app.config import Settings
from app.directory.models import Official, Role
from app.directory.service import create_device
from app.limits import NulRefusal
from app.links import service as links
from tests.factories import counter_tree, login

NUL = "\x00"


def _item(**answers: Any) -> dict[str, Any]:
    return {
        "submission_id": str(uuid.uuid4()),
        "form_id": "counter-quick",
        "form_version": 1,
        "submitted_at": datetime.now(UTC).isoformat(),
        "answers": {"overall": 5, **answers},
    }


def _audit_events(session: Session) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def test_a_nul_anywhere_is_422_naming_the_field(client: TestClient, session: Session, settings: Settings) -> None:
    province, commune, counter = counter_tree(session)
    admin = login(client, session, "nul-admin", Role.province_admin, province)
    _device, key = create_device(session, agency=commune, counter=counter, label="NUL kiosk")
    session.commit()
    kiosk = {"Authorization": f"Bearer {key}"}
    form = "/f/" + links.counter_token(settings, counter)
    profile = {**_item(), "profile": {"sex\u0000": "female"}}
    csv = b"agency,indicator,period_start,period_end,threshold_pct\nHN\x00,sipas,2026-01-01,2026-12-31,86\n"
    official = {
        "username": "lan.nguyen",
        "password": "a long passphrase",
        "role": "agency_official",
        "agency": "HN-X01",
        "display_name": "x\u0000",
    }
    agency = {"code": "HN-X02", "name_vi": "Xã", "level": "commune", "parent": "HN", "name_en": "A\u0000"}
    cases: list[tuple[str, str, dict[str, Any], str]] = [
        ("POST", "/api/v1/auth/token", {"data": {"username": "demo\x00", "password": "x"}}, "/username"),
        ("POST", "/dashboard/login", {"data": {"username": "demo\x00", "password": "x"}}, "/username"),
        ("GET", "/api/v1/agencies/HN%00", {"headers": admin}, "/path/code"),
        ("GET", "/api/v1/agencies/HN/counters/Q01%00/poster", {"headers": admin}, "/path/counter"),
        ("GET", "/api/v1/satisfaction", {"headers": admin, "params": {"agency": "HN\x00"}}, "/query/agency"),
        ("GET", "/api/v1/targets/export.csv?agency=HN%00", {"headers": admin}, "/query/agency"),
        ("GET", "/api/v1/audit?action=a%00", {"headers": admin}, "/query/action"),
        ("POST", "/api/v1/officials", {"headers": admin, "json": official}, "/display_name"),
        (
            "PATCH",
            "/api/v1/officials/nul-admin",
            {"headers": admin, "json": {"display_name": "x\u0000"}},
            "/display_name",
        ),
        ("POST", "/api/v1/agencies", {"headers": admin, "json": agency}, "/name_en"),
        ("POST", "/api/v1/targets/upload", {"headers": admin, "files": {"file": ("t.csv", csv, "text/csv")}}, "/file"),
        ("POST", "/api/v1/responses", {"headers": kiosk, "json": _item(comment="ok\u0000")}, "/answers/comment"),
        ("POST", "/api/v1/responses", {"headers": kiosk, "json": profile}, "/profile/sex\\u0000"),
        ("POST", form, {"data": {"overall": "5", "comment": "a\x00b"}}, "/comment"),
    ]
    before = _audit_events(session)
    for method, url, options, pointer in cases:
        reply = client.request(method, url, **options)
        assert reply.status_code == 422, (method, url, reply.status_code, reply.text)
        error = reply.json()["error"]
        assert error["code"] == "invalid"
        assert error["message"] == f"{pointer}: contains a NUL character", (url, error)
        assert error["details"][0] == {"pointer": pointer, "message": "contains a NUL character"}
    session.expire_all()
    assert _audit_events(session) == before  # refused before any route code: no failed login recorded either
    assert session.scalar(select(Official.display_name).where(Official.username == "nul-admin")) is None
    # Text that only looks like it is fine: a backslash followed by "u0000", and Vietnamese.
    fine = client.patch("/api/v1/officials/nul-admin", headers=admin, json={"display_name": "Lan \\u0000 Nguyễn"})
    assert fine.status_code == 200, fine.text
    assert fine.json()["display_name"] == "Lan \\u0000 Nguyễn"


def test_the_kiosk_batch_judges_each_item_itself(client: TestClient, session: Session) -> None:
    _province, commune, counter = counter_tree(session)
    _device, key = create_device(session, agency=commune, counter=counter, label="Batch kiosk")
    session.commit()
    good, bad = _item(), {**_item(), "form_id": "counter-quick\u0000"}
    reply = client.post(
        "/api/v1/responses/batch", headers={"Authorization": f"Bearer {key}"}, json={"items": [good, bad]}
    )
    assert reply.status_code == 200, reply.text
    assert [result["status"] for result in reply.json()["results"]] == ["stored", "invalid"]


def _refusal(scope: dict[str, Any], body: bytes) -> tuple[int, dict[str, Any] | None]:
    """What NulRefusal alone answers to one request: the status and the error, or 200 and None when it passes."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    refusal = NulRefusal(app, json_skip={"/batch": ["/items"]})
    full = {"type": "http", "method": "POST", "path": "/", "query_string": b"", "headers": [], **scope}
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, refusal(full, receive, send)).result()  # type: ignore[arg-type]
    status = int(sent[0]["status"])
    return status, (json.loads(sent[1]["body"])["error"] if status != 200 else None)


def test_headers_json_keys_and_binary_uploads() -> None:
    status, error = _refusal({"headers": [(b"x-kiosk-label", b"a\x00")]}, b"")
    assert status == 422 and error is not None and error["message"] == "/header/x-kiosk-label: contains a NUL character"
    json_type = [(b"content-type", b"application/json")]
    status, error = _refusal({"headers": json_type}, b'{"a/b": [{"c~": "\\u0000"}], "d": 1}')
    assert (
        status == 422
        and error is not None
        and error["details"] == [{"pointer": "/a~1b/0/c~0", "message": "contains a NUL character"}]
    )
    # Under a skipped pointer, left to the route; elsewhere in the same body, refused.
    assert _refusal({"path": "/batch", "headers": json_type}, b'{"items": [{"a": "\\u0000"}]}') == (200, None)
    status, error = _refusal({"path": "/batch", "headers": json_type}, b'{"items": [], "x": "\\u0000"}')
    assert status == 422 and error is not None and error["message"] == "/x: contains a NUL character"
    # A binary upload (not UTF-8) may hold any byte; a text one may not.
    boundary = b"b0undary"
    multipart = [(b"content-type", b"multipart/form-data; boundary=" + boundary)]

    def upload(content: bytes) -> bytes:
        return (
            b"--" + boundary + b'\r\nContent-Disposition: form-data; name="file"; filename="f"\r\n'
            b"Content-Type: application/octet-stream\r\n\r\n" + content + b"\r\n--" + boundary + b"--\r\n"
        )

    assert _refusal({"headers": multipart}, upload(b"\x89PNG\x00\xff\xfe")) == (200, None)
    status, error = _refusal({"headers": multipart}, upload(b"agency\nHN\x00\n"))
    assert status == 422 and error is not None and error["message"] == "/file: contains a NUL character"
    # Not JSON at all: left to the route, which says so.
    assert _refusal({"headers": json_type}, b'{"a": "\\u0000"') == (200, None)
