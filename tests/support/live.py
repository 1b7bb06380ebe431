"""A real uvicorn server on a free loopback port, serving the app in a background thread."""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import time
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI

from app.http_protocol import HTTP_PROTOCOL


def uvicorn_command(port: int, *, workers: int = 1) -> list[str]:
    """The service as a separate ``uvicorn`` process on a loopback port (quiet: warnings only, no access log)."""
    server = (
        "-m uvicorn app.main:create_app --factory --host 127.0.0.1 --log-level warning --no-access-log"
        f" --http {HTTP_PROTOCOL}"
    )
    return [sys.executable, *server.split(), "--port", str(port), "--workers", str(workers)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serve(app: FastAPI, port: int | None = None) -> Iterator[str]:
    """Serve ``app`` until the block ends, on ``port`` or else on a port the system picks: the socket is bound
    here, before the server starts, so that no other process (a parallel run's other workers) can take it."""
    listening = socket.socket()
    listening.bind(("127.0.0.1", port or 0))
    port = int(listening.getsockname()[1])
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", http=HTTP_PROTOCOL)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listening.close()
