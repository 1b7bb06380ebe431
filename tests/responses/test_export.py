"""``GET /api/v1/responses/export``: one row per response with its answers, for administrators only, inside their
scope, with the satisfaction filters, audited, streamed — and without personal data."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.config import Settings
from app.directory.models import AgencyLevel, Counter, Role
from app.directory.service import create_agency, create_counter, create_device
from app.responses import export
from app.responses import router as responses_router
from app.responses.models import Channel, Response
from tests.factories import ITEMS, Known, World, add_rows, login, province

PATH = "/api/v1/responses/export"
COLUMNS = [*export.FIXED_COLUMNS, *ITEMS, "reason"]


@pytest.fixture
def routed(app: FastAPI) -> FastAPI:
    """The app with the export router (until app/main.py registers it)."""
    if not any(getattr(route, "path", None) == PATH for route in app.routes):
        app.include_router(responses_router.router)
    return app


def _table(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def _expected(row: Known) -> dict[str, str]:
    answers = {code: str(value) for code, value in row.answers.items()}
    if row.answers.get("overall", 5) <= 2:
        answers["reason"] = "waiting_time"
    fixed = {
        "form": "counter-quick@1",
        "agency": row.agency,
        "counter": row.counter,
        "channel": row.channel.value,
        "procedure_field": row.procedure_field or "",
        "local_date": row.day.isoformat(),
        "local_month": str(row.month),
        "is_suspected_spam": "true" if row.spam else "false",
        "is_test": "true" if row.test else "false",
        "flag_reason": "honeypot" if row.spam else "",
    }
    return {**fixed, **{code: answers.get(code, "") for code in COLUMNS[len(fixed) :]}}


def _key(row: dict[str, str]) -> tuple[str, ...]:
    return tuple(row[name] for name in COLUMNS)


def _world(session: Session, settings: Settings) -> World:
    world = province(session, settings)
    create_device(session, agency=world.agencies["TP-A"], counter=world.counters[("TP-A", "Q01")], label="Kiosk A")
    session.commit()
    return world


def test_csv_has_one_row_per_response_with_answers_and_no_personal_data(
    routed: FastAPI, client: TestClient, session: Session, settings: Settings
) -> None:
    world = _world(session, settings)
    headers = login(client, session, "admin", Role.province_admin, world.province)
    response = client.get(PATH, headers=headers)
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith('attachment; filename="sipas-responses-')
    rows = _table(response)
    assert list(rows[0]) == COLUMNS  # no comment, dossier code, profile, ids
    assert sorted(map(_key, rows)) == sorted(_key(_expected(row)) for row in world.rows)  # flagged ones included
    body = response.content.decode("utf-8")
    stored = session.scalars(select(Response)).all()
    secrets = {"0912", "Nguyễn", "female", "sex", "comment", "dossier", "000.00.12"}
    secrets |= {str(found.submission_id) for found in stored} | {found.dossier_hash or "-" for found in stored}
    secrets |= {found.content_hash for found in stored}
    assert [secret for secret in secrets if secret in body] == []
    assert any(found.sex == "female" for found in stored) and any(found.dossier_hash for found in stored)


def test_xlsx_holds_the_same_rows_and_neutralises_formulas(
    routed: FastAPI, client: TestClient, session: Session, settings: Settings
) -> None:
    world = _world(session, settings)
    create_counter(session, agency=world.agencies["TP-C"], code="=HYPERLINK(1)", name_vi="Quầy lạ")
    session.commit()
    world.counters[("TP-C", "=HYPERLINK(1)")] = session.scalars(
        select(Counter).where(Counter.code == "=HYPERLINK(1)")
    ).one()
    odd = Known("TP-C", "=HYPERLINK(1)", world.rows[0].day, Channel.web_qr, {"overall": 4})
    add_rows(session, settings, world, [odd])
    headers = login(client, session, "admin", Role.national, None)
    as_csv = _table(client.get(PATH, params={"format": "csv"}, headers=headers))
    response = client.get(PATH, params={"format": "xlsx"}, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    table = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert table[0] == COLUMNS
    as_text = [
        ["" if cell is None else str(cell).lower() if isinstance(cell, bool) else str(cell) for cell in row]
        for row in table[1:]
    ]
    assert sorted(as_text) == sorted([row[name] for name in COLUMNS] for row in as_csv)
    assert [row["counter"] for row in as_csv if row["counter"].endswith("(1)")] == ["'=HYPERLINK(1)"]
    numbers = [row[COLUMNS.index("overall")] for row in table[1:]]
    assert all(isinstance(value, int) for value in numbers)  # levels stay numbers


@pytest.mark.parametrize(
    ("params", "keep"),
    [
        ({"agency": "TP-A", "subtree": "false"}, lambda row: row.agency == "TP-A"),
        ({"agency": "TP"}, lambda row: True),
        ({"agency": "TP", "subtree": "false"}, lambda row: False),
        ({"from": "2025-02-01", "to": "2025-02-28"}, lambda row: row.month == 202502),
        ({"channel": "kiosk"}, lambda row: row.channel is Channel.kiosk),
        (
            {"form": "counter-quick@1", "channel": "web_qr", "agency": "TP-B"},
            lambda row: row.channel is Channel.web_qr and row.agency == "TP-B",
        ),
    ],
)
def test_filters_match_the_satisfaction_ones(
    routed: FastAPI, client: TestClient, session: Session, settings: Settings, params: dict[str, str], keep: Any
) -> None:
    world = _world(session, settings)
    headers = login(client, session, "admin", Role.province_admin, world.province)
    rows = _table(client.get(PATH, params=params, headers=headers))
    assert sorted(map(_key, rows)) == sorted(_key(_expected(row)) for row in world.rows if keep(row))


def test_only_administrators_in_scope(
    routed: FastAPI, client: TestClient, session: Session, settings: Settings
) -> None:
    world = _world(session, settings)
    elsewhere = create_agency(session, code="XY", name_vi="Tỉnh Khác", level=AgencyLevel.province)
    session.commit()
    _device, key = create_device(session, agency=world.agencies["TP-A"], label="Kiosk 2")
    session.commit()
    assert client.get(PATH).status_code == 401
    assert client.get(PATH, headers={"Authorization": f"Bearer {key}"}).status_code == 401
    official = login(client, session, "official", Role.agency_official, world.agencies["TP-A"])
    refused = client.get(PATH, params={"agency": "TP-A"}, headers=official)
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "this needs an administrator (province_admin or national)"
    # A province admin whose scope is commune A sees A's rows only; B is "not found", like an unknown code.
    small = login(client, session, "small", Role.province_admin, world.agencies["TP-A"])
    rows = _table(client.get(PATH, headers=small))
    assert {row["agency"] for row in rows} == {"TP-A"}
    assert len(rows) == sum(row.agency == "TP-A" for row in world.rows)
    for code in ("TP-B", "TP", "NOPE"):
        missing = client.get(PATH, params={"agency": code}, headers=small)
        assert missing.status_code == 404
        assert missing.json()["error"]["message"] == f"no agency with code {code!r}"
    other = login(client, session, "other", Role.province_admin, elsewhere)
    assert _table(client.get(PATH, headers=other)) == []
    national = login(client, session, "national", Role.national, None)
    assert len(_table(client.get(PATH, headers=national))) == len(world.rows)


def test_bad_parameters_are_422(routed: FastAPI, client: TestClient, session: Session, settings: Settings) -> None:
    world = _world(session, settings)
    headers = login(client, session, "admin", Role.province_admin, world.province)
    cases = [
        ({"from": "2025-03-01", "to": "2025-02-01"}, "from: 2025-03-01 is after to: 2025-02-01"),
        ({"format": "pdf"}, "/query/format: "),
        ({"channel": "fax"}, "/query/channel: "),
    ]
    for params, message in cases:
        response = client.get(PATH, params=params, headers=headers)
        assert response.status_code == 422 and response.json()["error"]["message"].startswith(message)
    missing = client.get(PATH, params={"form": "nope"}, headers=headers)
    assert missing.status_code == 404 and missing.json()["error"]["message"] == "form: no form 'nope'"


def test_every_export_is_audited(routed: FastAPI, client: TestClient, session: Session, settings: Settings) -> None:
    world = _world(session, settings)
    headers = login(client, session, "admin", Role.province_admin, world.province)
    client.get(PATH, params={"agency": "TP-A", "format": "xlsx"}, headers=headers)
    client.get(PATH, params={"channel": "kiosk"}, headers=headers)
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "export").order_by(AuditEvent.id)).all()
    assert [(e.actor, e.object_type, e.details["format"], e.details["query"]) for e in events] == [
        ("admin", "responses", "xlsx", "agency=TP-A&format=xlsx"),
        ("admin", "responses", "csv", "channel=kiosk"),
    ]
    assert events[0].details["rows"] == sum(row.agency == "TP-A" for row in world.rows)
    assert events[1].details["rows"] == sum(row.channel is Channel.kiosk for row in world.rows)
    assert events[0].official_id is not None and events[0].client_ip == "testclient"


def test_rows_are_read_and_written_in_batches(
    monkeypatch: pytest.MonkeyPatch, routed: FastAPI, client: TestClient, session: Session, settings: Settings
) -> None:
    consumed = 0

    def rows(count: int) -> Iterator[dict[str, Any]]:
        nonlocal consumed
        for index in range(count):
            consumed += 1
            yield {"agency": f"A{index}"}

    monkeypatch.setattr(export, "BATCH", 10)
    chunks = export.csv_chunks(["agency"], rows(25))
    first = next(chunks)
    assert consumed == 10 and first.decode().count("\r\n") == 11  # the header and one batch: nothing read ahead
    assert len(list(chunks)) == 2 and consumed == 25
    # The database is read with yield_per (a server-side cursor on PostgreSQL), and the whole path still agrees.
    options: list[Any] = []
    original = Session.execute

    def spy(self: Session, statement: Any, *args: Any, **kwargs: Any) -> Any:
        options.append(statement.get_execution_options().get("yield_per"))
        return original(self, statement, *args, **kwargs)

    monkeypatch.setattr(Session, "execute", spy)
    world = _world(session, settings)
    headers = login(client, session, "admin", Role.province_admin, world.province)
    assert len(_table(client.get(PATH, headers=headers))) == len(world.rows)
    assert 10 in options
