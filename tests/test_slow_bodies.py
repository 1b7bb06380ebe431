"""Slow uploads against a real uvicorn server on a loopback port: they hold no in-flight place, and a body that falls
behind SIPAS_MIN_BODY_BYTES_PER_SECOND after SIPAS_BODY_GRACE_SECONDS is cut off with 408 and a closed connection.

Before the fix, eleven uploads of one byte every 2 s on /api/v1/auth/token took all ten places while their bodies
trickled in, and every other request waited SIPAS_BUSY_WAIT_SECONDS and got 503. Here the worker has one place,
so a single slow upload would do. The figures with 50 slow clients are in bench/slow_clients.py."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
from fastapi import FastAPI

from app.config import Settings
from tests.conftest import make_settings
from tests.support.live import free_port, serve

GRACE = 3.0  # room for the five requests below on a loaded machine (CI shares two cores with Chromium)


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the limits sit in front of the app; the database plays no part


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path).model_copy(
        update={
            "max_requests_in_flight": 1,
            "busy_wait_seconds": 1.0,
            "body_grace_seconds": GRACE,
            "min_body_bytes_per_second": 1000,
        }
    )


@pytest.fixture
def base_url(app: FastAPI) -> Iterator[str]:
    with serve(app, free_port()) as url:
        yield url


def _open(base_url: str, head: bytes) -> socket.socket:
    host, port = base_url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    sock.sendall(head)
    return sock


def _answer(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def test_slow_uploads_hold_no_place_and_are_cut_off_with_408(base_url: str) -> None:
    token = b"POST /api/v1/auth/token HTTP/1.1\r\nHost: test\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    declared = [_open(base_url, token + b"Content-Length: 100000\r\n\r\nu") for _ in range(3)]
    chunked = _open(base_url, token + b"Transfer-Encoding: chunked\r\n\r\n1\r\nu\r\n")
    # Headers that never end: uvicorn never calls the app for them (it has no time limit on them either).
    unfinished = _open(base_url, b"POST /api/v1/auth/token HTTP/1.1\r\nHost: test\r\n")
    started = time.monotonic()
    try:
        time.sleep(0.2)
        with httpx.Client(base_url=base_url, timeout=10) as client:
            for _ in range(5):  # each needs the worker's only place, while four bodies are unfinished
                reply = client.get("/api/v1/forms/counter-quick")
                # never waited for the place: a request that did would get 503 after busy_wait_seconds (1 s)
                assert reply.status_code == 200, reply.text
        assert time.monotonic() - started < GRACE  # all of it while the slow bodies were still arriving
        for sock in [*declared, chunked]:
            answer = _answer(sock)  # the server closes the connection after answering
            assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
            assert b"connection: close" in answer.lower()
            assert b'"code": "timeout"' in answer
        cut_off = time.monotonic() - started
        assert GRACE <= cut_off < GRACE + 2.0
    finally:
        for sock in [*declared, chunked, unfinished]:
            sock.close()
