"""Structured logs: one JSON object per line on stderr, for the app and for uvicorn's own loggers.

No personal data: access lines name the client's network and hide citizens' link tokens; a database error is
logged by its kind, its SQLSTATE, the table, column or constraint it names and the statement's text, never with the
statement's bound values (the engine hides them: app/db.py) nor the database's DETAIL line, which quotes the failing
row ("Failing row contains (…, $argon2id$…)") or key."""

from __future__ import annotations

import ipaddress
import logging
import re
import traceback
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS
from sqlalchemy.exc import SQLAlchemyError, StatementError

from app.networks import network_of

# A citizen's link carries its signed token in the path (/f/<token>, /f/<token>/thanks …).
_LINK_TOKEN = re.compile(r"^/f/[^/?]+")


def _network(address: str) -> str:
    """A client address as uvicorn writes it ("host:port", IPv6 unbracketed) cut to its network (``app.networks``:
    IPv4 /24, IPv6 /48); anything else unchanged."""
    host = address.rsplit(":", 1)[0] if ":" in address else address
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return address
    return network_of(host)


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


_CAUSE = "\nThe above exception was the direct cause of the following exception:\n\n"
_CONTEXT = "\nDuring handling of the above exception, another exception occurred:\n\n"
# Long enough for the PostgreSQL ingestion statement (≈ 2,500 characters, the table names after its unnest);
# a multi-row SQLite insert of a whole batch (tens of thousands of placeholders) is still cut.
_SQL_SHOWN = 3000


def _is_database_error(exc: BaseException) -> bool:
    return isinstance(exc, SQLAlchemyError) or type(exc).__module__.split(".")[0] in ("psycopg", "sqlite3")


def _type_name(exc: BaseException) -> str:
    kind = type(exc)
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def describe_database_error(exc: BaseException) -> str:
    """A database error without the values it was about: PostgreSQL's SQLSTATE and the names of the table, column
    and constraint, its primary message except for data errors (class 22, which quote the offending value), never
    its DETAIL; SQLite's message (which names, not quotes); SQLAlchemy's wrapper with the statement's text only."""
    if isinstance(exc, StatementError):
        inner = describe_database_error(exc.orig) if exc.orig is not None else ""
        origin = f"({_type_name(exc.orig)}) " if exc.orig is not None else ""
        statement = exc.statement or ""
        if len(statement) > _SQL_SHOWN:
            statement = f"{statement[:_SQL_SHOWN]}… [{len(statement) - _SQL_SHOWN} more characters]"
        return f"{origin}{inner}\n[SQL: {statement}]\n[parameters hidden]"
    sqlstate = getattr(exc, "sqlstate", None)
    if type(exc).__module__.split(".")[0] == "psycopg":
        if sqlstate is None:  # raised by the driver itself (a NUL in text, a number out of range): no values in it
            return str(exc).split("\n", 1)[0]
        diag = getattr(exc, "diag", None)
        primary = "" if str(sqlstate).startswith("22") else str(getattr(diag, "message_primary", "") or "")
        names = [
            f"{label} {value}"
            for label, value in (
                ("table", getattr(diag, "table_name", None)),
                ("column", getattr(diag, "column_name", None)),
                ("constraint", getattr(diag, "constraint_name", None)),
            )
            if value
        ]
        return "; ".join([f"SQLSTATE {sqlstate}", *([primary] if primary else []), *names])
    return str(exc).split("\n", 1)[0]


def format_exception_safely(exc: BaseException) -> str:
    """``traceback.format_exception(exc)`` with every database error in the chain described by
    ``describe_database_error`` instead of its own text."""
    chain: list[tuple[BaseException, str]] = []  # newest first, each with the sentence linking it to the newer
    seen: set[int] = set()
    current: BaseException | None = exc
    link = ""
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append((current, link))
        if current.__cause__ is not None:
            current, link = current.__cause__, _CAUSE
        elif current.__context__ is not None and not current.__suppress_context__:
            current, link = current.__context__, _CONTEXT
        else:
            current = None
    parts: list[str] = []
    for index in range(len(chain) - 1, -1, -1):
        item = chain[index][0]
        if item.__traceback__ is not None:
            parts.append("Traceback (most recent call last):\n")
            parts.extend(traceback.format_tb(item.__traceback__))
        message = describe_database_error(item) if _is_database_error(item) else str(item)
        parts.append(f"{_type_name(item)}: {message}\n" if message else f"{_type_name(item)}\n")
        if index > 0:
            parts.append(chain[index][1])  # how this one led to the next, newer one
    return "".join(parts).rstrip("\n")


class DatabaseErrorRedaction(logging.Filter):
    """A logged exception whose chain holds a database error is written by ``format_exception_safely``: without
    bound values or the database's DETAIL. Installed on the handlers of ``logging_config`` and, by ``create_app``,
    on the loggers that log request errors ("sipas", "uvicorn.error"), so it applies however the server was
    started."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and _in_chain(exc, _is_database_error):
            record.exc_text = format_exception_safely(exc)
            record.exc_info = None  # formatters (the JSON one included) then write exc_text
        return True


def _in_chain(exc: BaseException, test: Any) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if test(current):
            return True
        seen.add(id(current))
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return False


def redact_database_errors(*names: str) -> None:
    """Install ``DatabaseErrorRedaction`` on the named loggers (once each)."""
    for name in names:
        target = logging.getLogger(name)
        if not any(isinstance(existing, DatabaseErrorRedaction) for existing in target.filters):
            target.addFilter(DatabaseErrorRedaction())


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
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "default",
        "stream": "ext://sys.stderr",
        "filters": ["database"],
    }
    access = {**handler, "filters": ["database", "redact"]}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "filters": {
            "redact": {"()": "app.logging.AccessLogRedaction"},
            "database": {"()": "app.logging.DatabaseErrorRedaction"},
        },
        "handlers": {"default": handler, "access": access},
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.error": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.access": {"handlers": ["access"], "level": level, "propagate": False},
        },
    }
