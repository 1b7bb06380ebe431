"""The HTTP/1.1 protocol the server runs: uvicorn's httptools parser with a bound on a request's head.

httptools parses in C and costs a kiosk post a fifth less server CPU than h11 (docs/benchmarks.md), but it buffers a
request line and headers of any size: a client could send 64 MB of one header and the worker would hold it. h11
refused a head over 16 KiB; this protocol keeps that bound and answers 431 (Request Header Fields Too Large), then
closes the connection. Every way this service starts uvicorn names it (``HTTP_PROTOCOL``)."""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

HTTP_PROTOCOL = "app.http_protocol:BoundedHttpToolsProtocol"
MAX_HEAD_BYTES = 16 * 1024  # h11's default bound, which uvicorn applied before httptools
# What a head still unfinished may have received before it is refused unread: a few times the bound, since what one
# read brings can include the end of the connection's previous request.
MAX_UNFINISHED_BYTES = 4 * MAX_HEAD_BYTES
TOO_LARGE = f"request line and headers are over {MAX_HEAD_BYTES // 1024} KiB".encode()


class TooLargeHead(Exception):
    """Raised from a parser callback: httptools stops and uvicorn answers, which :meth:`send_400_response` turns
    into the 431."""


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """Two bounds on a request's head:

    - the request line and the headers the parser has handed over, counted exactly (:data:`MAX_HEAD_BYTES`);
    - the bytes received while a head is unfinished (:data:`MAX_UNFINISHED_BYTES`): httptools holds a header it has
      not finished, so one endless header is refused while it arrives, not once it is whole."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = True
        self._head_bytes = 0
        self._unfinished_bytes = 0
        self._requests = 0
        self._too_large = False

    def data_received(self, data: bytes) -> None:
        counting, request = self._in_head, self._requests
        super().data_received(data)
        # data that leaves the parser inside the same head it started in (or in the head of a request it began)
        if counting and self._in_head and self._requests <= request + 1 and not self.transport.is_closing():
            self._unfinished_bytes += len(data)
            if self._unfinished_bytes > MAX_UNFINISHED_BYTES:
                self._refuse()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head, self._requests = True, self._requests + 1
        self._head_bytes = self._unfinished_bytes = 0

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)  # ": " and CRLF
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def _count(self, size: int) -> None:
        self._head_bytes += size
        if self._head_bytes > MAX_HEAD_BYTES:
            self._too_large = True
            raise TooLargeHead

    def send_400_response(self, msg: str) -> None:
        if self._too_large:
            self._refuse()
        else:
            super().send_400_response(msg)

    def _refuse(self) -> None:
        self.logger.warning("A request head over %d bytes was refused (431).", MAX_HEAD_BYTES)
        lines = [b"HTTP/1.1 431 Request Header Fields Too Large\r\n"]
        lines += [name + b": " + value + b"\r\n" for name, value in self.server_state.default_headers]
        lines += [
            b"content-type: text/plain; charset=utf-8\r\n",
            b"content-length: " + str(len(TOO_LARGE)).encode("ascii") + b"\r\n",
            b"connection: close\r\n\r\n",
            TOO_LARGE,
        ]
        self.transport.write(b"".join(lines))
        self.transport.close()
