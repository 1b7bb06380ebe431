from __future__ import annotations

import json
import logging
import logging.config
import re
import uuid
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.directory.models import Role
from app.directory.service import create_device
from app.logging import describe_database_error, format_exception_safely, logging_config
from tests.factories import counter_tree, login


def test_logs_are_one_json_object_per_line(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    try:
        logging.config.dictConfig(logging_config("INFO", json_logs=True))
        logging.getLogger("uvicorn.error").info("Started server process [%d]", 42, extra={"color_message": "x"})
        logging.getLogger("sipas").warning("agency imported", extra={"agency": "HN"})
        lines = capsys.readouterr().err.strip().splitlines()
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
    first, second = (json.loads(line) for line in lines[-2:])
    assert first["message"] == "Started server process [42]"
    assert first["level"] == "INFO" and first["logger"] == "uvicorn.error"
    assert "color_message" not in first
    assert second == {**second, "level": "WARNING", "logger": "sipas", "message": "agency imported", "agency": "HN"}
    assert "time" in second


def test_access_lines_keep_neither_link_tokens_nor_full_client_addresses(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    access = logging.getLogger("uvicorn.access")
    try:
        logging.config.dictConfig(logging_config("INFO", json_logs=True))
        line = '%s - "%s %s HTTP/%s" %d'
        access.info(line, "203.0.113.77:51234", "GET", "/f/k1.ZHwxfDE3OTY.sig/thanks?lang=en", "1.1", 200)
        access.info(line, "2001:db8:1234:5678::9:443", "POST", "/f/k1.abc", "1.1", 303)
        access.info(line, "198.51.100.7:80", "GET", "/api/v1/satisfaction?group_by=agency", "1.1", 200)
        lines = [json.loads(text) for text in capsys.readouterr().err.strip().splitlines()[-3:]]
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        for handler in access.handlers[:]:
            access.removeHandler(handler)
    assert [entry["message"] for entry in lines] == [
        '203.0.113.0/24 - "GET /f/<token>/thanks?lang=en HTTP/1.1" 200',
        '2001:db8:1234::/48 - "POST /f/<token> HTTP/1.1" 303',
        '198.51.100.0/24 - "GET /api/v1/satisfaction?group_by=agency HTTP/1.1" 200',
    ]


REFUSE = {
    "sqlite": [
        "CREATE TRIGGER refuse_official BEFORE UPDATE ON officials WHEN NEW.display_name = 'Refused Name' "
        "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
        "CREATE TRIGGER refuse_response BEFORE INSERT ON responses WHEN NEW.occupation = 'refused-band' "
        "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
    ],
    "postgresql": [  # a CHECK violation's DETAIL quotes the whole failing row
        "ALTER TABLE officials ADD CONSTRAINT refuse_official CHECK (display_name IS DISTINCT FROM 'Refused Name')",
        "ALTER TABLE responses ADD CONSTRAINT refuse_response CHECK (occupation IS DISTINCT FROM 'refused-band')",
    ],
}


def test_a_failing_statement_is_logged_without_its_values(
    app: FastAPI, session: Session, backend: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """An update that set an official's password hash and an insert that carried a profile and a dossier code
    both fail in the database and answer 500; the log names the statement, table and constraint, and holds none
    of the values: no password hash, no display name, no profile band, no dossier or content hash."""
    province, commune, counter = counter_tree(session)
    _device, key = create_device(session, agency=commune, counter=counter, label="Log kiosk")
    session.commit()
    for statement in REFUSE[backend]:
        session.execute(text(statement))
    session.commit()
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    try:
        logging.config.dictConfig(logging_config("INFO", json_logs=True))
        with TestClient(app, raise_server_exceptions=False) as client:
            admin = login(client, session, "log-admin", Role.province_admin, province)
            update = client.patch(
                "/api/v1/officials/log-admin",
                headers=admin,
                json={"display_name": "Refused Name", "password": "Tq8#vLm2-pX9!rWz"},
            )
            insert = client.post(
                "/api/v1/responses",
                headers={"Authorization": f"Bearer {key}"},
                json={
                    "submission_id": str(uuid.uuid4()),
                    "form_id": "counter-quick",
                    "form_version": 1,
                    "submitted_at": datetime.now(UTC).isoformat(),
                    "answers": {"overall": 5},
                    "profile": {"sex": "female", "occupation": "refused-band"},
                    "dossier_code": "H26-SECRET-0042",
                },
            )
        log = capsys.readouterr().err
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
    assert update.status_code == insert.status_code == 500
    errors = [entry for entry in map(json.loads, log.strip().splitlines()) if entry["message"] == "unhandled error"]
    assert len(errors) == 2
    update_log, insert_log = (entry["exc_info"] for entry in errors)
    assert "UPDATE officials SET" in update_log and "INSERT INTO responses" in insert_log
    for logged in (update_log, insert_log):
        assert "[parameters hidden]" in logged
        assert ("refuse_" in logged) if backend == "postgresql" else ("refused by the test" in logged)
    for secret in ("$argon2", "Refused Name", "Tq8#vLm2", "female", "refused-band", "H26-SECRET", "Failing row"):
        assert secret not in log, secret
    assert not re.search(r"[0-9a-f]{64}", log)  # neither the dossier hash nor the content hash


def test_database_errors_are_described_without_values() -> None:
    """The description of an error as PostgreSQL's driver raises it: a data error's primary message quotes the
    value and is left out, its DETAIL is always left out, names stay."""

    class Diag:
        message_primary = 'invalid input syntax for type integer: "secret-value"'
        table_name, column_name, constraint_name = "officials", "failed_logins", None

    class DataError(Exception):
        sqlstate = "22P02"
        diag = Diag()

    DataError.__module__ = "psycopg.errors"
    error = DataError('invalid input syntax for type integer: "secret-value"\nDETAIL: secret-value')
    assert describe_database_error(error) == "SQLSTATE 22P02; table officials; column failed_logins"
    try:
        try:
            raise error
        except DataError as exc:
            raise RuntimeError("while saving") from exc
    except RuntimeError as outer:
        text_ = format_exception_safely(outer)
    assert "secret-value" not in text_
    assert "DataError: SQLSTATE 22P02; table officials; column failed_logins\n" in text_
    assert "The above exception was the direct cause of the following exception:" in text_
    assert text_.rstrip().endswith("RuntimeError: while saving")
