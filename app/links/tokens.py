"""Signed link tokens for `/f/{token}`.

A token is ``{key id}.{payload}.{signature}``: the payload (base64url) names what the link opens, the signature is
the first 128 bits of HMAC-SHA256 over ``{key id}.{payload}`` under that key. Verifying looks the key up by id
(so keys rotate: old links keep working while their key is listed), compares in constant time, then checks the
expiry. Tokens stay short (about 60 characters) so the QR code stays coarse and easy to scan.

Payloads: ``c|{form id}|{agency id}|{counter id}|{generation}`` for a counter's standing link (revoked by bumping
the counter's generation) and ``d|{dossier link id}|{expires, unix seconds}`` for a single-use dossier link.

Decoding is strict: base64url without padding, nothing outside its alphabet, and only the canonical spelling (the
unused low bits of a last character must be zero), so a token has exactly one spelling. Otherwise ``…!!!!`` or
any of the 16 spellings of a signature's last character would open the same link under a new name.

The same module signs the **client id** of the citizen form (cookie ``sipas_client``): ``{id}.{issued}.{signature}``,
128 random bits, the unix second it was issued, and the first 128 bits of HMAC-SHA256 under
``SIPAS_SESSION_SECRET`` over both. Only the server mints one, so a browser cannot pick its identity.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass

from app.config import Settings, decode_key

SIGNATURE_BYTES = 16
CLIENT_ID_BYTES = 16
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
_UNIX_SECONDS = re.compile(r"[1-9][0-9]{0,11}")


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
    """Strict base64url: the alphabet only, no padding, and the one canonical spelling of the bytes."""
    if not _BASE64URL.fullmatch(text) or len(text) % 4 == 1:
        raise InvalidToken("not base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:  # pragma: no cover - the pattern above lets nothing else through
        raise InvalidToken("not base64url") from exc
    if _b64(data) != text:
        raise InvalidToken("not the canonical spelling")
    return data


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


@dataclass(frozen=True)
class ClientId:
    """A browser as the server knows it: a random id it issued, and when."""

    value: str
    issued_at: int


def _client_signature(settings: Settings, value: str, issued_at: int) -> str:
    key = decode_key(settings.session_secret or "", name="SIPAS_SESSION_SECRET")
    return _b64(_signature(key, f"client|{value}|{issued_at}"))


def issue_client(settings: Settings, *, now: float) -> tuple[ClientId, str]:
    """A new client id and the cookie value that carries it."""
    client = ClientId(_b64(secrets.token_bytes(CLIENT_ID_BYTES)), int(now))
    return client, f"{client.value}.{client.issued_at}.{_client_signature(settings, client.value, client.issued_at)}"


def read_client(settings: Settings, cookie: str | None) -> ClientId | None:
    """The client id a cookie carries, or None when it is missing or not one we issued."""
    parts = (cookie or "").split(".")
    if len(parts) != 3 or not _UNIX_SECONDS.fullmatch(parts[1]):
        return None
    value, issued, signature = parts
    try:
        if len(_unb64(value)) != CLIENT_ID_BYTES:
            return None
    except InvalidToken:
        return None
    if not hmac.compare_digest(_client_signature(settings, value, int(issued)), signature):
        return None
    return ClientId(value, int(issued))
