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
    monkeypatch.setattr("app.ratelimit.time", types.SimpleNamespace(monotonic=found.monotonic))
    yield found


def hidden(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))


def submit(client: TestClient, path: str, answers: dict[str, str], *, new_answer: bool = False) -> int:
    """Open the form (as a script must, for its anti-forgery token and, on a first visit, its client id) and send
    it. A browser keeps its submission id for a link (Back and send again store nothing new); ``new_answer`` asks
    for a new one first, as the form's "open a new form" link does. The status of the send: 303 when it ends on the
    thank-you page; a send the form refuses (its mistakes, or an expired page) redirects back to the form (303 too),
    reported here as 422; anything else as it is (400, 410, 429)."""
    page = client.get(path + "/new" if new_answer else path)
    sent = client.post(path, data={**hidden(page.text), **answers}, follow_redirects=False)
    if sent.status_code == 303 and "/thanks" not in sent.headers["location"]:
        return 422
    return sent.status_code


def stranger(app: FastAPI, number: int) -> TestClient:
    """A client from its own address, without cookies: a script rotating addresses."""
    return TestClient(app, client=(f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256}", 40000))
