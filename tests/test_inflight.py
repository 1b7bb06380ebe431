"""InFlightLimit: at most N requests inside a worker; the next waits, then gets a 503 it can retry."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from starlette.types import Receive, Scope, Send

from app.limits import InFlightLimit


def test_a_request_beyond_the_limit_waits_then_gets_503_and_health_checks_pass() -> None:
    release = asyncio.Event()
    inside: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        inside.append(scope["path"])
        if scope["path"] == "/slow":
            await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    limited = InFlightLimit(app, limit=1, wait_seconds=0.05, exempt=("/healthz",))

    async def call(path: str) -> list[dict[str, Any]]:
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await limited({"type": "http", "path": path, "headers": []}, receive, send)  # type: ignore[arg-type]
        return sent

    async def scenario() -> tuple[list[dict[str, Any]], ...]:
        slow = asyncio.create_task(call("/slow"))
        await asyncio.sleep(0.01)
        busy = await call("/api/v1/plan")  # waits 0.05 s for the one place, then gives up
        health = await call("/healthz")  # never queued
        release.set()
        first = await slow
        after = await call("/api/v1/plan")  # the place is free again
        return first, busy, health, after

    with ThreadPoolExecutor(1) as thread:  # a loop of its own: the browser tests keep one running in this thread
        first, busy, health, after = thread.submit(asyncio.run, scenario()).result()
    assert first[0]["status"] == health[0]["status"] == after[0]["status"] == 200
    assert busy[0]["status"] == 503
    assert (b"retry-after", b"1") in busy[0]["headers"]
    assert json.loads(busy[1]["body"]) == {
        "error": {"code": "busy", "message": "the server is busy; retry in a moment"}
    }
    assert inside == ["/slow", "/healthz", "/api/v1/plan"]
