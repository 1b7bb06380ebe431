"""Structured logs: one JSON object per line on stderr, for the app and for uvicorn's own loggers."""

from __future__ import annotations

import ipaddress
import logging
import re
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS

# A citizen's link carries its signed token in the path (/f/<token>, /f/<token>/thanks …).
_LINK_TOKEN = re.compile(r"^/f/[^/?]+")


def _network(address: str) -> str:
    """A client address as uvicorn writes it ("host:port", IPv6 unbracketed) cut to its network (IPv4 /24,
    IPv6 /48); anything else unchanged."""
    host = address.rsplit(":", 1)[0] if ":" in address else address
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return address
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


class AccessLogRedaction(logging.Filter):
    """uvicorn's access lines without personal data: the citizen link token is replaced and the client address
    is cut to its network, so logs say which counter link family and which network, not which person."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5:
            client, method, path, version, status = args
            path = _LINK_TOKEN.sub("/f/<token>", str(path))
            record.args = (_network(str(client)), method, path, version, status)
        return True


def logging_config(level: str = "INFO", json_logs: bool = True) -> dict[str, Any]:
    formatter: dict[str, Any] = (
        {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "datefmt": "%Y-%m-%dT%H:%M:%S%z",
            # uvicorn adds an ANSI-coloured copy of each message; it has no place in JSON.
            "reserved_attrs": [*RESERVED_ATTRS, "color_message"],
        }
        if json_logs
        else {"format": "%(asctime)s %(levelname)-7s %(name)s: %(message)s"}
    )
    handler = {"class": "logging.StreamHandler", "formatter": "default", "stream": "ext://sys.stderr"}
    access = {**handler, "filters": ["redact"]}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "filters": {"redact": {"()": "app.logging.AccessLogRedaction"}},
        "handlers": {"default": handler, "access": access},
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.error": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.access": {"handlers": ["access"], "level": level, "propagate": False},
        },
    }
