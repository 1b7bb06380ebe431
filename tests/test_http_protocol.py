"""The server's HTTP protocol (app/http_protocol.py) against a real uvicorn on a loopback port: httptools with h11's
bound on a request's head. Without it httptools held a 64 MB header in memory and answered 200."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from app.http_protocol import MAX_HEAD_BYTES
from tests.support.live import free_port, serve


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the bound sits in front of the app; the database plays no part


@pytest.fixture
def address(app: FastAPI) -> Iterator[tuple[str, int]]:
    with serve(app, free_port()) as url:
        host, port = url.removeprefix("http://").split(":")
        yield host, int(port)


def _exchange(address: tuple[str, int], *pieces: bytes) -> bytes:
    """Send ``pieces`` one after another (a slow client's reads) and return everything the server answers until it
    closes the connection or stops sending. A server that closes early may reset the connection mid-send."""
    received = b""
    with socket.create_connection(address, timeout=10) as sock:
        try:
            for piece in pieces:
                sock.sendall(piece)
                time.sleep(0.01)
        except (BrokenPipeError, ConnectionResetError):
            pass
        sock.settimeout(2)
        try:
            while chunk := sock.recv(65536):
                received += chunk
                if b"\r\n\r\n" in received and b"connection: close" not in received.lower():
                    break
        except (TimeoutError, ConnectionResetError):
            pass
    return received


def _status(answer: bytes) -> str:
    return answer.split(b"\r\n", 1)[0].decode()


def _get(header_bytes: int) -> bytes:
    return b"GET /healthz HTTP/1.1\r\nHost: test\r\nX-Padding: " + b"a" * header_bytes + b"\r\n\r\n"


def test_a_head_within_the_bound_is_served(address: tuple[str, int]) -> None:
    assert _status(_exchange(address, _get(MAX_HEAD_BYTES - 200))) == "HTTP/1.1 200 OK"


def test_a_head_over_the_bound_gets_431_and_a_closed_connection(address: tuple[str, int]) -> None:
    answer = _exchange(address, _get(MAX_HEAD_BYTES + 100))
    assert _status(answer) == "HTTP/1.1 431 Request Header Fields Too Large"
    assert answer.endswith(b"request line and headers are over 16 KiB")


def test_an_endless_header_is_refused_while_it_arrives(address: tuple[str, int]) -> None:
    # 64 KiB pieces of one header that never ends: refused after a few, not held until it ends
    start = b"GET /healthz HTTP/1.1\r\nHost: test\r\nX-Endless: "
    answer = _exchange(address, start, *(b"a" * 65536 for _ in range(40)))
    assert _status(answer) == "HTTP/1.1 431 Request Header Fields Too Large"


def test_an_over_long_url_gets_431(address: tuple[str, int]) -> None:
    answer = _exchange(address, b"GET /healthz?" + b"q=1&" * 5000 + b" HTTP/1.1\r\nHost: test\r\n\r\n")
    assert _status(answer) == "HTTP/1.1 431 Request Header Fields Too Large"


def test_a_large_body_and_requests_after_it_on_the_same_connection_are_not_counted_as_head(
    address: tuple[str, int],
) -> None:
    body = b"x" * (5 * MAX_HEAD_BYTES)
    post = b"POST /healthz HTTP/1.1\r\nHost: test\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    with socket.create_connection(address, timeout=10) as sock:
        sock.sendall(post)
        first = sock.recv(65536)
        sock.sendall(_get(MAX_HEAD_BYTES - 200))
        second = sock.recv(65536)
    assert _status(first) == "HTTP/1.1 405 Method Not Allowed"  # the body reached the app, not the head's bound
    assert _status(second) == "HTTP/1.1 200 OK"
