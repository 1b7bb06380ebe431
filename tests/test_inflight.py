"""InFlightLimit: at most N requests inside a worker; the next waits, then gets a 503 it can retry. RequestBody, outside
it: a body is read whole first (a slow one holds no place, and is cut off with 408), and an oversized one is refused."""

from __future__ import annotations

import asyncio
import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from starlette.types import Receive, Scope, Send

from app.limits import InFlightLimit, RequestBody


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
        "error": {"code": "unavailable", "message": "the server is busy; retry in a moment"}
    }
    assert inside == ["/slow", "/healthz", "/api/v1/plan"]


def _run(scenario: Any) -> Any:
    with ThreadPoolExecutor(1) as thread:  # a loop of its own (see above)
        return thread.submit(asyncio.run, scenario).result()


def test_a_slow_body_holds_no_place_and_is_cut_off_with_408() -> None:
    """RequestBody reads the body before InFlightLimit gives a place: with one place, a request whose body
    trickles in does not keep a ready request out; once it falls behind the minimum rate after the grace, it gets
    408 and the app never sees it."""
    seen: list[bytes] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        message = await receive()
        seen.append(message["body"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    limited = RequestBody(
        InFlightLimit(app, limit=1, wait_seconds=0.05), max_bytes=1000, min_bytes_per_second=100, grace_seconds=0.2
    )

    async def call(chunks: list[tuple[float, bytes]]) -> tuple[list[dict[str, Any]], float]:
        sent: list[dict[str, Any]] = []
        queue = list(chunks)

        async def receive() -> dict[str, Any]:
            if not queue:
                await asyncio.sleep(3600)  # the client sends nothing more
            pause, chunk = queue.pop(0)
            await asyncio.sleep(pause)
            return {"type": "http.request", "body": chunk, "more_body": bool(queue)}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        started = time.monotonic()
        scope = {"type": "http", "path": "/api/v1/auth/token", "headers": [(b"content-length", b"900")]}
        await limited(scope, receive, send)  # type: ignore[arg-type]
        return sent, time.monotonic() - started

    async def scenario() -> tuple[Any, ...]:
        # One byte every 0.1 s: 10 B/s, far below 100 B/s, with more announced.
        slow = asyncio.create_task(call([(0.1, b"x")] * 50))
        # 30 bytes at once, then nothing for 2 s: behind after 0.2 + 30/100 = 0.5 s.
        stalled = asyncio.create_task(call([(0.0, b"y" * 30), (2.0, b"zzz")]))
        await asyncio.sleep(0.05)
        ready = await call([(0.0, b"a" * 900)])  # a whole body: in at once, though two others are unfinished
        return ready, await slow, await stalled

    (ready, ready_seconds), (slow, slow_seconds), (stalled, stalled_seconds) = _run(scenario())
    assert ready[0]["status"] == 200 and ready_seconds < 0.5
    assert slow[0]["status"] == stalled[0]["status"] == 408
    assert 0.2 <= slow_seconds < 1.0
    assert 0.5 <= stalled_seconds < 1.5
    assert (b"connection", b"close") in slow[0]["headers"]
    assert json.loads(slow[1]["body"])["error"]["code"] == "timeout"
    assert seen == [b"a" * 900]


def test_an_oversized_body_is_refused_with_or_without_a_declared_length() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise AssertionError("the app must not see it")

    limited = RequestBody(app, max_bytes=10, min_bytes_per_second=100, grace_seconds=1)

    async def call(headers: list[tuple[bytes, bytes]], chunks: list[bytes]) -> list[dict[str, Any]]:
        sent: list[dict[str, Any]] = []
        queue = list(chunks)

        async def receive() -> dict[str, Any]:
            chunk = queue.pop(0)
            return {"type": "http.request", "body": chunk, "more_body": bool(queue)}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await limited({"type": "http", "path": "/", "headers": headers}, receive, send)  # type: ignore[arg-type]
        return sent

    async def scenario() -> tuple[Any, Any]:
        return await call([(b"content-length", b"11")], []), await call([], [b"123456", b"78901"])

    declared, chunked = _run(scenario())
    for sent in (declared, chunked):
        assert sent[0]["status"] == 413
        assert json.loads(sent[1]["body"])["error"]["message"] == "request body over 10 bytes"
