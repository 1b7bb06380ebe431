"""Signed link tokens for `/f/{token}`.

A token is ``{key id}.{payload}.{signature}``: the payload (base64url) names what the link opens, the signature is
the first 128 bits of HMAC-SHA256 over ``{key id}.{payload}`` under that key. Verifying looks the key up by id
(so keys rotate: old links keep working while their key is listed), compares in constant time, then checks the
expiry. Tokens stay short (about 60 characters) so the QR code stays coarse and easy to scan.

Payloads: ``c|{form id}|{agency id}|{counter id}|{generation}`` for a counter's standing link (revoked by bumping
the counter's generation) and ``d|{dossier link id}|{expires, unix seconds}`` for a single-use dossier link.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from dataclasses import dataclass

from app.config import Settings, decode_key

SIGNATURE_BYTES = 16


class InvalidToken(Exception):
    """The token is malformed, signed with an unknown key, tampered with or expired."""


@dataclass(frozen=True)
class CounterLink:
    form_id: str
    agency_id: int
    counter_id: int
    generation: int


@dataclass(frozen=True)
class DossierLinkRef:
    link_id: int
    expires_at: int


LinkRef = CounterLink | DossierLinkRef


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise InvalidToken("not base64url") from exc


def _signature(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()[:SIGNATURE_BYTES]


def _payload(ref: LinkRef) -> str:
    if isinstance(ref, CounterLink):
        return f"c|{ref.form_id}|{ref.agency_id}|{ref.counter_id}|{ref.generation}"
    return f"d|{ref.link_id}|{ref.expires_at}"


def sign(settings: Settings, ref: LinkRef) -> str:
    """The token for ``ref``, signed with the current key (``SIPAS_TOKEN_KEY_ID``)."""
    kid = settings.token_key_id or ""
    key = decode_key(settings.token_keys[kid], name=f"SIPAS_TOKEN_KEYS[{kid}]")
    body = f"{kid}.{_b64(_payload(ref).encode())}"
    return f"{body}.{_b64(_signature(key, body))}"


def verify(settings: Settings, token: str, *, now: float | None = None) -> LinkRef:
    """What a token links to; raises InvalidToken for anything not signed by a listed key or expired."""
    parts = token.split(".")
    if len(parts) != 3 or len(token) > 512:
        raise InvalidToken("malformed")
    kid, payload_b64, signature_b64 = parts
    encoded_key = settings.token_keys.get(kid)
    if encoded_key is None:
        raise InvalidToken("unknown key id")
    key = decode_key(encoded_key, name=f"SIPAS_TOKEN_KEYS[{kid}]")
    if not hmac.compare_digest(_signature(key, f"{kid}.{payload_b64}"), _unb64(signature_b64)):
        raise InvalidToken("bad signature")
    try:
        fields = _unb64(payload_b64).decode().split("|")
        if fields[0] == "c" and len(fields) == 5:
            return CounterLink(fields[1], int(fields[2]), int(fields[3]), int(fields[4]))
        if fields[0] == "d" and len(fields) == 3:
            ref = DossierLinkRef(int(fields[1]), int(fields[2]))
            if ref.expires_at < (time.time() if now is None else now):
                raise InvalidToken("expired")
            return ref
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidToken("malformed payload") from exc
    raise InvalidToken("unknown payload")
