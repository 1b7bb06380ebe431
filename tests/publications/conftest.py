"""What the publications tests share: a copy of the demo province's database (the twelve months to November 2026,
the template tests/reference/test_count_integrity.py reads too) for each test, and the ``sipas`` command on it.
Each module says which databases it runs on (its ``backend`` fixture)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from app.cli import cli
from app.config import Settings
from tests.conftest import demo_database_url, make_settings

DEMO_END = date(2026, 12, 4)

Run = Callable[..., Result]


@pytest.fixture
def settings(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    with contextlib.contextmanager(demo_database_url)(backend, request, tmp_path, DEMO_END) as url:
        yield make_settings(url, tmp_path)


def command(settings: Settings) -> Run:
    """``sipas …`` on the settings' database, as an operator runs it."""
    runner = CliRunner()
    env = {
        "SIPAS_DATABASE_URL": settings.database_url,
        "SIPAS_SECRETS_FILE": str(settings.secrets_file),
        "SIPAS_ENV": "test",
        "SIPAS_PARTITION_MONTHS_AHEAD": str(settings.partition_months_ahead),
    }

    def invoke(*args: str) -> Result:
        return runner.invoke(cli, list(args), env=env)

    return invoke


@pytest.fixture
def run(settings: Settings) -> Run:
    return command(settings)
