"""Contract fuzzing with schemathesis: every operation of ``app.openapi()`` is called in-process with generated
requests (valid ones and, separately, ones that break the schema) against a real migrated database holding a small
province with responses, targets and population counts. Every answer must be no 5xx, a documented status code,
a documented content type and a body that matches the documented schema.

Callers are real: kiosk operations get a device key from ``create_device``, official operations the bearer token
of the province administrator from ``POST /api/v1/auth/token`` (logout a fresh session per example, so the others
keep theirs). The rate limits are raised: the limiters have their own tests, and a 429 would hide the operation.

``SIPAS_FUZZ_EXAMPLES=500 .venv/bin/pytest tests/fuzz -k sqlite`` runs a longer fuzz (examples per operation and
generation mode; the default keeps the suite fast and, with ``derandomize``, deterministic)."""

from __future__ import annotations

import os
import secrets
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import utcnow
from app.directory.models import Official, Role
from app.directory.service import create_device
from app.officials.models import OfficialSession, SessionKind
from app.officials.service import token_hash
from tests.conftest import make_settings
from tests.reports.test_satisfaction_api import login, province

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
# Examples per operation and generation mode: SQLite gets the full pass, PostgreSQL a smaller one.
LONG = int(os.environ.get("SIPAS_FUZZ_EXAMPLES", "0"))
EXAMPLES = {"sqlite": LONG or 15, "postgresql": LONG or 5}
ADMIN = "fuzz-admin"
LOGOUT = ("POST", "/api/v1/auth/logout")


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """The suite's settings with rate limits out of the way (a fuzzer is one very busy client)."""
    unlimited = ("form_rate_per_link_per_minute", "form_rate_per_client_per_hour", "kiosk_rate_per_minute",
                 "official_rate_per_minute")  # fmt: skip
    return make_settings(database_url, tmp_path).model_copy(update=dict.fromkeys(unlimited, 10**6))


@dataclass
class Tally:
    operations: int = 0
    examples: int = 0
    failures: list[str] = field(default_factory=list)


def fresh_token(session: Session) -> str:
    """A new API session of the administrator, opened without the (slow, on purpose) password check."""
    official = session.query(Official).filter_by(username=ADMIN).one()
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(OfficialSession(token_hash=token_hash(token), official_id=official.id, kind=SessionKind.api,
                                created_at=now, expires_at=now + timedelta(hours=1)))  # fmt: skip
    session.commit()
    return token


def fuzz(operation: Any, mode: GenerationMode, examples: int, headers: Callable[[], dict[str, str]],
         fixed: dict[str, str], tally: Tally) -> None:  # fmt: skip
    strategy = operation.as_strategy(generation_mode=mode, headers=fixed or None)

    @hypothesis_settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                         suppress_health_check=list(HealthCheck),
                         phases=[Phase.explicit, Phase.generate, Phase.shrink])  # fmt: skip
    @given(case=strategy)
    def run(case: schemathesis.Case[Any]) -> None:
        tally.examples += 1
        case.call_and_validate(headers=headers(), checks=CHECKS)

    try:
        run()
    except Unsatisfiable:
        pass  # nothing to negate (no parameters, or only free-form strings): the positive pass covers it
    except (Exception, BaseExceptionGroup) as exc:  # schemathesis reports its failures as an exception group
        frames = traceback.extract_tb(exc.__traceback__)
        where = ([frame for frame in frames if "/app/" in frame.filename] or frames)[-1]
        notes = "\n".join(getattr(exc, "__notes__", []))
        tally.failures.append(
            f"{operation.label} [{mode.value}]: {type(exc).__name__}: {str(exc)[:1500]}\n"
            f"  at {where.filename}:{where.lineno}\n{notes[:1500]}"
        )


def test_every_operation_keeps_its_contract(app: FastAPI, session: Session, settings: Settings, backend: str) -> None:
    world = province(session, settings)
    with TestClient(app) as client:
        official = login(client, session, ADMIN, Role.province_admin, world.province)
    _device, key = create_device(session, agency=world.agencies["TP-A"], counter=world.counters[("TP-A", "Q01")],
                                 label="Fuzz kiosk")  # fmt: skip
    session.commit()
    kiosk = {"Authorization": f"Bearer {key}"}

    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    results = list(schema.get_all_operations())
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) == len(results), "schemathesis could not read some operations of the OpenAPI"
    # Logout last: the others then never meet a closed session by accident.
    operations.sort(key=lambda op: (op.method.upper(), op.path) == LOGOUT)
    documented = {(method.upper(), path) for path, item in app.openapi()["paths"].items() for method in item}
    assert {(op.method.upper(), op.path) for op in operations} == documented

    tally = Tally()
    started = time.monotonic()
    for operation in operations:
        tally.operations += 1
        schemes = {name for requirement in operation.definition.raw.get("security", []) for name in requirement}
        fixed: dict[str, str] = {}
        headers: Callable[[], dict[str, str]] = dict
        if (operation.method.upper(), operation.path) == LOGOUT:
            headers = lambda: {"Authorization": f"Bearer {fresh_token(session)}"}  # noqa: E731
        elif "OAuth2PasswordBearer" in schemes:
            fixed = official
        elif "HTTPBearer" in schemes:
            fixed = kiosk
        for mode in MODES:
            fuzz(operation, mode, EXAMPLES[backend], headers, fixed, tally)
    elapsed = time.monotonic() - started
    print(f"\nfuzzed {tally.operations} operations, {tally.examples} examples in {elapsed:.1f} s on {backend}")
    assert not tally.failures, f"{len(tally.failures)} contract failures:\n\n" + "\n\n".join(tally.failures)
