from __future__ import annotations

import json
import logging
import logging.config

import pytest

from app.logging import logging_config


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
