"""What a request may be before the app sees it: its body whole, not too large and not too slow (``RequestBody``);
text without NUL characters (``NulRefusal``); and at most N requests inside a worker at once (``InFlightLimit``).

In ``create_app`` they run in that order, so a slow or refused request never holds one of the in-flight places:
a place is taken only once the whole body has arrived."""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from collections.abc import Mapping, Sequence
from email.message import Message as MimeHeader
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import Invalid, Unavailable, error_body

logger = logging.getLogger("sipas")

NUL = "\x00"
NUL_MESSAGE = "contains a NUL character"
_MAX_DETAILS = 20


async def _answer(
    send: Send,
    status: int,
    code: str,
    message: str,
    *,
    details: Any = None,
    headers: Sequence[tuple[bytes, bytes]] = (),
) -> None:
    """An error answer in the app's shape (:func:`app.errors.error_body`) from a middleware."""
    body = json.dumps(error_body(code, message, details)).encode()
    start = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *headers]
    await send({"type": "http.response.start", "status": status, "headers": start})
    await send({"type": "http.response.body", "body": body})


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the app ``body`` as one message, then whatever the server says next (a disconnect)."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class RequestBody:
    """Reads each request's body whole before the app sees it, then hands it on in one piece.

    - Over ``max_bytes``: 413 at once when the Content-Length says so, else as soon as that many bytes have come (a
      chunked body cannot get around the limit).
    - Slower than ``min_bytes_per_second``: once ``grace_seconds`` have passed, the bytes received must keep up with
      that rate on average (after t seconds, at least rate × (t − grace) bytes); a body that falls behind gets 408
      and the connection is closed. One byte every 2 s on a declared 100 kB is cut off after the grace, however
      large the declared length.

    Why here, outside ``InFlightLimit``: a request that holds an in-flight place while its body trickles in keeps
    the place from requests that are ready; eleven slow uploads made a worker answer 503 to everyone. uvicorn
    itself has no time limit on a request body (its keep-alive timeout applies only between requests), so this is
    the one that cuts off a slow upload."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, min_bytes_per_second: float, grace_seconds: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.min_rate = min_bytes_per_second
        self.grace = grace_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(send)
            return
        loop = asyncio.get_running_loop()
        started = loop.time()
        chunks: list[bytes] = []
        size = 0
        while True:
            try:
                # Behind once rate × (now − started − grace) exceeds what has come.
                async with asyncio.timeout_at(started + self.grace + size / self.min_rate):
                    message = await receive()
            except TimeoutError:
                logger.info(
                    "request body too slow; answered 408",
                    extra={"received_bytes": size, "seconds": round(loop.time() - started, 1)},
                )
                await self._too_slow(send)
                return
            if message["type"] != "http.request":
                return  # the client went away before its body was complete: nothing to answer, nothing done
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._too_large(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replaying(b"".join(chunks), receive), send)

    async def _too_large(self, send: Send) -> None:
        await _answer(send, 413, "too_large", f"request body over {self.max_bytes} bytes")

    async def _too_slow(self, send: Send) -> None:
        message = (
            f"the request body arrived slower than {self.min_rate:g} bytes/s (after {self.grace:g} s); send it again"
        )
        await _answer(send, 408, "timeout", message, headers=[(b"connection", b"close")])


# --- NUL characters ------------------------------------------------------------------------------------------


def pointer_token(text: str) -> str:
    """A name as one JSON pointer token (RFC 6901), a NUL in it shown as ``\\u0000``."""
    return text.replace("~", "~0").replace("/", "~1").replace(NUL, "\\u0000")


def nul_pointers(value: Any, prefix: str = "", skip: frozenset[str] = frozenset()) -> list[str]:
    """JSON pointers, in document order, of the strings and member names of a decoded JSON document that hold a NUL
    character (a member name with one is reported as the member). ``skip``: pointers whose subtree is left to the
    route (a kiosk batch's ``/items``). Iterative: the nesting depth is the sender's choice."""
    found: list[str] = []
    stack: list[tuple[str, Any]] = [(prefix, value)]
    while stack:
        pointer, item = stack.pop()
        if pointer in skip:
            continue
        if isinstance(item, str):
            if NUL in item:
                found.append(pointer or "/")
        elif isinstance(item, dict):
            for key, inner in reversed(list(item.items())):
                child = f"{pointer}/{pointer_token(str(key))}"
                stack.append((child, NUL if NUL in str(key) else inner))
        elif isinstance(item, list):
            stack.extend((f"{pointer}/{index}", inner) for index, inner in reversed(list(enumerate(item))))
    return found


def _pairs_with_nul(pairs: Sequence[tuple[str, str]], prefix: str) -> list[str]:
    return [f"{prefix}/{pointer_token(name)}" for name, value in pairs if NUL in name or NUL in value]


async def no_nul_in_path(request: Request) -> None:
    """A dependency of every route (``FastAPI(dependencies=…)``): refuses a path parameter holding a NUL character,
    by name (``/path/code: contains a NUL character``), once routing has found the parameters; it runs before the
    route's own dependencies. ``NulRefusal`` checks everything else before routing."""
    named = [f"/path/{pointer_token(name)}" for name, value in request.path_params.items() if NUL in str(value)]
    if named:
        raise Invalid(
            f"{named[0]}: {NUL_MESSAGE}", details=[{"pointer": name, "message": NUL_MESSAGE} for name in named]
        )


class NulRefusal:
    """Refuses, with 422 naming the field, any request whose text holds a NUL character (U+0000): query
    parameters, header values, urlencoded and multipart form fields (and uploaded UTF-8 text files), and every
    string or key of a JSON body, named by its JSON pointer (``/query/agency: contains a NUL character``,
    ``/display_name: contains a NUL character``); path parameters are refused by ``no_nul_in_path``.

    PostgreSQL cannot store or compare a NUL in text (a 500 before this check); no form, code or name needs one.
    ``json_skip`` maps a path to JSON pointers whose subtrees are left alone: the kiosk batch's ``/items``, each of
    which is judged on its own (one bad item is ``invalid`` without failing the others).

    Cheap for ordinary requests: a body is decoded only when its bytes contain ``\\x00``, ``%00`` or ``\\u0000``."""

    def __init__(self, app: ASGIApp, *, json_skip: Mapping[str, Sequence[str]] | None = None) -> None:
        self.app = app
        self.json_skip = {path: frozenset(pointers) for path, pointers in (json_skip or {}).items()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:  # already read whole by RequestBody: one message
            message = await receive()
            if message["type"] != "http.request":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replay = _replaying(body, receive)
        found = [
            *self._in_query(scope),
            *self._in_headers(scope),
            *await self._in_body(scope, body, replay),
        ]
        if found:
            details = [{"pointer": pointer, "message": NUL_MESSAGE} for pointer in found[:_MAX_DETAILS]]
            await _answer(send, 422, "invalid", f"{found[0]}: {NUL_MESSAGE}", details=details)
            return
        await self.app(scope, _replaying(body, receive), send)

    @staticmethod
    def _in_query(scope: Scope) -> list[str]:
        query: bytes = scope.get("query_string", b"")
        if b"%00" not in query and b"\x00" not in query:
            return []
        return _pairs_with_nul(parse_qsl(query.decode("latin-1"), keep_blank_values=True), "/query")

    @staticmethod
    def _in_headers(scope: Scope) -> list[str]:
        return [
            f"/header/{pointer_token(name.decode('latin-1'))}"
            for name, value in scope["headers"]
            if b"\x00" in name or b"\x00" in value
        ]

    async def _in_body(self, scope: Scope, body: bytes, replay: Receive) -> list[str]:
        if b"\x00" not in body and b"%00" not in body and b"\\u0000" not in body:
            return []
        header = MimeHeader()
        header["content-type"] = dict(scope["headers"]).get(b"content-type", b"").decode("latin-1")
        kind = header.get_content_type() if header["content-type"] else ""
        if kind == "application/x-www-form-urlencoded":
            return _pairs_with_nul(parse_qsl(body.decode("latin-1"), keep_blank_values=True), "")
        if kind == "multipart/form-data":
            return await self._in_multipart(scope, replay)
        if kind in ("", "application/json") or kind.endswith("+json"):
            try:
                document = json.loads(body)
            except ValueError:
                return []  # the app answers that the body is not JSON
            return nul_pointers(document, "", self.json_skip.get(scope.get("path", ""), frozenset()))
        return []

    @staticmethod
    async def _in_multipart(scope: Scope, replay: Receive) -> list[str]:
        try:
            form = await Request(scope, replay).form()
        except Exception:  # a broken upload: the app answers 400 for it
            return []
        found: list[str] = []
        try:
            for name, value in form.multi_items():
                if isinstance(value, UploadFile):
                    content = await value.read()
                    if b"\x00" in content and _is_utf8(content):  # a text file; other files may hold any byte
                        found.append(f"/{pointer_token(name)}")
                elif NUL in name or NUL in value:
                    found.append(f"/{pointer_token(name)}")
        finally:
            await form.close()
        return found


def _is_utf8(content: bytes) -> bool:
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# --- in-flight requests --------------------------------------------------------------------------------------


class InFlightLimit:
    """At most ``limit`` requests inside the app at once (per worker); the others wait, without holding a thread,
    up to ``wait_seconds`` for a place, then get 503 with Retry-After (kiosks retry; the form page says so).

    Why: a request takes a pooled database connection in its dependencies (on a worker thread) and then waits for
    another thread to run the endpoint. With more requests in flight than the pool has connections, every thread
    can end up waiting for a connection held by a request that waits for a thread: the worker stalls until the
    pool's 30 s timeout (seen by bench/load.py at 160 req/s). Keeping ``limit`` below the pool's size means a
    connection is always free for a request that is inside.

    Only requests whose body has arrived count: ``RequestBody`` runs outside this and reads the body first, so a
    slow upload never holds a place (bench/slow_clients.py)."""

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
        await _answer(
            send, 503, Unavailable.code, "the server is busy; retry in a moment", headers=[(b"retry-after", b"1")]
        )
