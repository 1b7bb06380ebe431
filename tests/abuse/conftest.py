"""Shared pieces of the abuse tests: a controllable clock for the citizen form, and a citizen who fills it in."""

from __future__ import annotations

import re
import types
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.db import utcnow


@dataclass
class Clock:
    """Wall time for the form (received_at, the burst window) and monotonic time for the in-memory limiters."""

    start: datetime
    elapsed: float = 0.0

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed)

    def monotonic(self) -> float:
        return 1_000_000.0 + self.elapsed

    def advance(self, seconds: float) -> None:
        self.elapsed += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    found = Clock(utcnow())
    monkeypatch.setattr("app.public.endpoints.utcnow", found.now)
    monkeypatch.setattr("app.public.ratelimit.time", types.SimpleNamespace(monotonic=found.monotonic))
    yield found


def hidden(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))


def submit(client: TestClient, path: str, answers: dict[str, str]) -> int:
    """Open the form (as a script must, for its anti-forgery token) and send it; the status of the send."""
    page = client.get(path)
    return client.post(path, data={**hidden(page.text), **answers}, follow_redirects=False).status_code


def stranger(app: FastAPI, number: int) -> TestClient:
    """A client from its own address, without cookies: a script rotating addresses."""
    return TestClient(app, client=(f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256}", 40000))
