"""The columns of a checked survey file made text at once: canonical JSON pieces, the response ids as UUID text,
and the keyed content hash of every line (equal to ``app.responses.service.content_hash``'s, computed with the key's
pads hashed once for the whole batch)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]

_HEX = np.frombuffer(b"".join(f"{byte:02x}".encode() for byte in range(256)), dtype=np.uint8).reshape(256, 2)


def json_text(value: Any) -> str:
    """A value as the canonical JSON of ``app.responses.service.canonical_json`` writes it."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def content_hashes(key: bytes, texts: pa.Array) -> list[str]:
    """``app.responses.service.content_hash`` of each canonical JSON text: HMAC-SHA-256 (RFC 2104) of its SHA-256
    hex digest, with the key's inner and outer pads hashed once for all lines."""
    block = 64
    padded = (hashlib.sha256(key).digest() if len(key) > block else key).ljust(block, b"\0")
    inner = hashlib.sha256(bytes(byte ^ 0x36 for byte in padded))
    outer = hashlib.sha256(bytes(byte ^ 0x5C for byte in padded))
    sha256 = hashlib.sha256
    hashes = []
    for text in texts.cast(pa.binary()).to_pylist():
        first = inner.copy()
        first.update(sha256(text).hexdigest().encode())
        second = outer.copy()
        second.update(first.digest())
        hashes.append(second.hexdigest())
    return hashes


def format_uuids(raw: np.ndarray) -> pa.Array:
    """UUIDs (rows of 16 bytes) as canonical text, as ``str(uuid.UUID(...))`` writes them."""
    hexes = _HEX[raw].reshape(len(raw), 32)
    text = np.full((len(raw), 36), ord("-"), dtype=np.uint8)
    for source, target in ((0, 0), (8, 9), (12, 14), (16, 19), (20, 24)):
        width = {0: 8, 20: 12}.get(source, 4)
        text[:, target : target + width] = hexes[:, source : source + width]
    return pa.array(text.view("S36").ravel()).cast(pa.string())
