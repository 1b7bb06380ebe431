"""Contract fuzzing with schemathesis: every operation of ``app.openapi()`` is called in-process with generated
requests (valid ones and, separately, ones that break the schema) against a real migrated database holding a small
province with responses, targets and population counts. Every answer must be no 5xx, a documented status code,
a documented content type and a body that matches the documented schema.

Callers are real: kiosk operations get a device key from ``create_device``, official operations the bearer token
of the province administrator from ``POST /api/v1/auth/token`` (logout a fresh session per example, so the others
keep theirs). The rate limits are raised: the limiters have their own tests, and a 429 would hide the operation.

A third pass sends hostile text: in a generated request of each operation, every string it carries (path and query
parameters, form fields, JSON strings, uploaded files) is replaced, one at a time, by the same text with a NUL
character in it and by a text longer than any column (5,000 characters). Both used to end in 500s on PostgreSQL.

``SIPAS_FUZZ_EXAMPLES=500 .venv/bin/pytest tests/fuzz -k sqlite`` runs a longer fuzz (examples per operation and
generation mode; the default keeps the suite fast and, with ``derandomize``, deterministic)."""

from __future__ import annotations

import contextlib
import copy
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
from tests.factories import login, province

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
# Examples per operation and generation mode: SQLite gets the full pass, PostgreSQL a smaller one.
LONG = int(os.environ.get("SIPAS_FUZZ_EXAMPLES", "0"))
EXAMPLES = {"sqlite": LONG or 15, "postgresql": LONG or 5}
ADMIN = "fuzz-admin"
LOGOUT = ("POST", "/api/v1/auth/logout")
# The hostile pass: generated requests per operation whose every string is tried with each hostile value.
HOSTILE_EXAMPLES = {"sqlite": 2, "postgresql": 3}  # PostgreSQL is where NULs and lengths broke
OVER_LONG = "x" * 5000


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """The suite's settings with rate limits out of the way (a fuzzer is one very busy client)."""
    unlimited = (
        "form_rate_per_link_per_minute",
        "form_rate_per_client_per_hour",
        "kiosk_rate_per_minute",
        "official_rate_per_minute",
    )
    return make_settings(database_url, tmp_path).model_copy(update=dict.fromkeys(unlimited, 10**6))


@dataclass
class Tally:
    operations: int = 0
    examples: int = 0
    hostile: int = 0  # of the examples, those of the hostile-text pass
    failures: list[str] = field(default_factory=list)


def fresh_token(session: Session) -> str:
    """A new API session of the administrator, opened without the (slow, on purpose) password check."""
    official = session.query(Official).filter_by(username=ADMIN).one()
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        OfficialSession(
            token_hash=token_hash(token),
            official_id=official.id,
            kind=SessionKind.api,
            created_at=now,
            expires_at=now + timedelta(hours=1),
        )
    )
    session.commit()
    return token


def fuzz(
    operation: Any,
    mode: GenerationMode,
    examples: int,
    headers: Callable[[], dict[str, str]],
    fixed: dict[str, str],
    tally: Tally,
) -> None:
    strategy = operation.as_strategy(generation_mode=mode, headers=fixed or None)

    @hypothesis_settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
    )
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


Slot = tuple[str, tuple[str | int, ...]]  # a container of the case (path_parameters, query, body) and a path in it


def text_slots(case: schemathesis.Case[Any]) -> list[tuple[Slot, str | bytes]]:
    """Every string (and uploaded file) of a generated request, with where it sits."""
    found: list[tuple[Slot, str | bytes]] = []

    def walk(container: str, value: Any, path: tuple[str | int, ...]) -> None:
        if isinstance(value, str | bytes):
            found.append(((container, path), value))
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(container, item, (*path, key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(container, item, (*path, index))

    for container in ("path_parameters", "query", "body"):
        walk(container, getattr(case, container), ())
    return found


def with_text(case: schemathesis.Case[Any], slot: Slot, text: str | bytes) -> schemathesis.Case[Any]:
    """A copy of ``case`` (same credentials) with ``text`` at ``slot``."""
    variant = case.derive(keep_auth=True)
    container, path = slot
    if not path:  # the whole body is one string
        variant.body = text
        return variant
    copied = copy.deepcopy(getattr(case, container))
    setattr(variant, container, copied)
    target = copied
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = text
    return variant


def hostile(original: str | bytes) -> list[tuple[str, str | bytes]]:
    if isinstance(original, bytes):  # an uploaded file
        return [("NUL", original + b"\x00")]
    middle = len(original) // 2
    return [("NUL", original[:middle] + "\x00" + original[middle:]), ("over-long", OVER_LONG)]


def fuzz_hostile(
    operation: Any, examples: int, headers: Callable[[], dict[str, str]], fixed: dict[str, str], tally: Tally
) -> None:
    """Generated valid requests, each sent again once per (string, hostile value): no 5xx, documented answers."""
    strategy = operation.as_strategy(generation_mode=GenerationMode.POSITIVE, headers=fixed or None)

    @hypothesis_settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    @given(case=strategy)
    def run(case: schemathesis.Case[Any]) -> None:
        for slot, original in text_slots(case):
            for kind, text in hostile(original):
                tally.examples += 1
                tally.hostile += 1
                try:
                    with_text(case, slot, text).call_and_validate(headers=headers(), checks=CHECKS)
                except (Exception, BaseExceptionGroup) as exc:
                    where = f"{slot[0]}{''.join(f'/{step}' for step in slot[1])}"
                    tally.failures.append(
                        f"{operation.label} [{kind} at {where}]: {type(exc).__name__}: {str(exc)[:1500]}"
                    )

    with contextlib.suppress(Unsatisfiable):  # no valid request can be made: nothing to spoil
        run()


# The operations are fuzzed in this many shards, one test each, so that parallel workers share the work (one test
# of all operations took 50 s and was the suite's tail).
SHARDS = 4


@pytest.mark.slow
@pytest.mark.parametrize("shard", range(SHARDS))
def test_every_operation_keeps_its_contract(
    app: FastAPI, session: Session, settings: Settings, backend: str, shard: int
) -> None:
    world = province(session, settings)
    with TestClient(app) as client:
        official = login(client, session, ADMIN, Role.province_admin, world.province)
    _device, key = create_device(
        session, agency=world.agencies["TP-A"], counter=world.counters[("TP-A", "Q01")], label="Fuzz kiosk"
    )
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
    operations = operations[shard::SHARDS]

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
        fuzz_hostile(operation, HOSTILE_EXAMPLES[backend], headers, fixed, tally)
    elapsed = time.monotonic() - started
    print(
        f"\nfuzzed {tally.operations} operations, {tally.examples} examples ({tally.hostile} with hostile text) in "
        f"{elapsed:.1f} s on {backend}"
    )
    assert not tally.failures, f"{len(tally.failures)} contract failures:\n\n" + "\n\n".join(tally.failures)
