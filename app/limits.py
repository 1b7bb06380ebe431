"""A limit on request bodies. A declared Content-Length over the limit is refused at once; a body sent without
one (chunked) is read up to the limit before the app sees it, so a missing length cannot get around it."""

from __future__ import annotations

import asyncio
import json
import weakref

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodySizeLimit:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            if declared.isdigit() and int(declared) > self.max_bytes:
                await self._refuse(send)
                return
            await self.app(scope, receive, send)  # the server holds the client to its declared length
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_bytes:
                await self._refuse(send)
                return
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send) -> None:
        message = f"request body over {self.max_bytes} bytes"
        body = json.dumps({"error": {"code": "too_large", "message": message}}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class InFlightLimit:
    """At most ``limit`` requests inside the app at once (per worker); the others wait, without holding a thread,
    up to ``wait_seconds`` for a place, then get 503 with Retry-After (kiosks retry; the form page says so).

    Why: a request takes a pooled database connection in its dependencies (on a worker thread) and then waits for
    another thread to run the endpoint. With more requests in flight than the pool has connections, every thread
    can end up waiting for a connection held by a request that waits for a thread: the worker stalls until the
    pool's 30 s timeout (seen by bench/load.py at 160 req/s). Keeping ``limit`` below the pool's size means a
    connection is always free for a request that is inside."""

    def __init__(self, app: ASGIApp, *, limit: int, wait_seconds: float, exempt: tuple[str, ...] = ()) -> None:
        self.app = app
        self.limit = limit
        self.wait_seconds = wait_seconds
        self.exempt = exempt
        self._places: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope.get("path", "")).startswith(self.exempt):
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        places = self._places.get(loop)
        if places is None:
            places = self._places[loop] = asyncio.Semaphore(self.limit)
        try:
            await asyncio.wait_for(places.acquire(), timeout=self.wait_seconds)
        except TimeoutError:
            await self._busy(send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            places.release()

    async def _busy(self, send: Send) -> None:
        message = "the server is busy; retry in a moment"
        body = json.dumps({"error": {"code": "busy", "message": message}}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                   (b"retry-after", b"1")]  # fmt: skip
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": body})
