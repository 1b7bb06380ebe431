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
