"""Security headers on every response, and the API documentation under a policy of its own.

Every page and every API answer carries a Content-Security-Policy without ``'unsafe-inline'``: scripts only from
this origin (the kiosk's ``/kiosk/app.js``; the citizen form and the dashboard have none), styles only from this
origin or from inline blocks whose SHA-256 the server computed from its own templates — the citizen pages keep
their stylesheet inline (one request fewer on a slow phone; the hash is of CSS built from the form definition,
never from what anyone typed), the kiosk page and the printable posters have fixed inline sheets whose hashes are
computed once at start-up. No ``style`` attributes anywhere (the dashboard's SVG charts use presentation
attributes, which CSP does not govern).

``Referrer-Policy: no-referrer`` matters here: a citizen's link carries its signed token in the URL, and no other
site may learn it from a Referer header. Strict-Transport-Security is sent only over HTTPS or in production.

Answers to a request that carries credentials (an ``Authorization`` header or the officials' session cookie), and
the log-in answers, get ``Cache-Control: no-store``: tokens, scoped figures and exports stay out of browser and
proxy caches.

Behind a reverse proxy, ``ForwardedClient`` takes the client's address from ``X-Forwarded-For`` (and the scheme
from ``X-Forwarded-Proto``) only when the peer is one of ``SIPAS_TRUSTED_PROXIES`` (none by default), and only an
IP address: anything else in the header is ignored.

Swagger UI (``/docs``) is served from this origin (its files come with the ``fastapi-swagger`` package, so the
documentation works on a closed network) and starts with an inline script; it gets a policy of its own (that
script's hash, inline styles), set by its own routes here. It shows nothing but the OpenAPI schema, never data.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import re
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP_HEADER = "Content-Security-Policy"
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
HSTS = "max-age=31536000; includeSubDomains"
_INLINE = re.compile(r"<(style|script)(?P<attrs>[^>]*)>(?P<body>.*?)</\1>", re.DOTALL | re.IGNORECASE)


def source_hash(text: str) -> str:
    """The CSP source expression allowing exactly this inline ``<style>`` or ``<script>`` content."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def inline_hashes(html: str, tag: str) -> list[str]:
    """The hashes of the inline ``<style>`` or ``<script>`` blocks (no ``src``) of a document we rendered."""
    return [
        source_hash(found["body"])
        for found in _INLINE.finditer(html)
        if found[1].lower() == tag and "src=" not in found["attrs"]
    ]


def policy(style_hashes: Iterable[str] = ()) -> str:
    """The service's policy; ``style_hashes`` adds inline style blocks the server itself produced."""
    styles = " ".join(["'self'", *dict.fromkeys(style_hashes)])
    return (
        "default-src 'self'; script-src 'self'; "
        f"style-src {styles}; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )


_FIXED: list[tuple[bytes, bytes]] = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", PERMISSIONS_POLICY.encode()),
]


def error_headers() -> dict[str, str]:
    """The headers for an answer made outside the middleware (Starlette's last-resort 500 handler runs there)."""
    return {
        CSP_HEADER: policy(),
        **{name.decode(): value.decode() for name, value in _FIXED},
        "Cache-Control": "no-store",
    }


def _carries_credentials(headers: Iterable[tuple[bytes, bytes]], cookie: bytes) -> bool:
    for name, value in headers:
        if name == b"authorization":
            return True
        if name == b"cookie" and any(part.strip().startswith(cookie) for part in value.split(b";")):
            return True
    return False


class SecurityHeaders:
    """Adds the headers to every HTTP response that does not set them itself (a route may set a stricter or a
    hash-extended Content-Security-Policy of its own), and ``Cache-Control: no-store`` to every answer to a request
    with credentials (an ``Authorization`` header or the cookie named ``session_cookie``) or under one of
    ``no_store_paths`` (the log-in endpoints), whatever the route set."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        style_hashes: Sequence[str] = (),
        hsts: bool = False,
        session_cookie: str = "sipas_session",
        no_store_paths: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self.csp = policy(style_hashes).encode()
        self.always_hsts = hsts
        self.cookie = session_cookie.encode() + b"="
        self.no_store_paths = no_store_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https" or self.always_hsts
        no_store = str(scope.get("path", "")).startswith(self.no_store_paths) or _carries_credentials(
            scope["headers"], self.cookie
        )

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if no_store:
                    headers = [(name, value) for name, value in headers if name.lower() != b"cache-control"]
                    headers.append((b"cache-control", b"no-store"))
                present = {name.lower() for name, _value in headers}
                wanted = [(b"content-security-policy", self.csp), *_FIXED]
                if https:
                    wanted.append((b"strict-transport-security", HSTS.encode()))
                headers.extend((name, value) for name, value in wanted if name not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def forwarded_address(entry: str) -> Address | None:
    """One ``X-Forwarded-For`` entry as an IP address (``203.0.113.7``, ``2001:db8::1``, ``[2001:db8::1]:443``,
    ``203.0.113.7:51000``; an IPv4-mapped IPv6 address as its IPv4 address), or None when it is anything else
    (names, garbage, IPv6 zone ids, over-long text)."""
    text = entry.strip()
    if not text or len(text) > 64 or "%" in text:
        return None
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # a dual-stack socket's view of an IPv4 peer
    return address


class ForwardedClient:
    """Behind a reverse proxy: when the peer is one of ``trusted`` (addresses or networks), the client is the
    address its ``X-Forwarded-For`` names — the rightmost entry that is not itself a trusted proxy — and the
    scheme its ``X-Forwarded-Proto`` (``http`` or ``https``). A header with an entry that is not an IP address is
    ignored as a whole (the peer stays the client). With no trusted proxies (the default), the headers are never
    read, whoever sends them. Replaces uvicorn's own ``--proxy-headers``, which ``sipas serve`` turns off: it trusts
    127.0.0.1 by default and passes on whatever text the header holds."""

    def __init__(self, app: ASGIApp, *, trusted: Sequence[Network]) -> None:
        self.app = app
        self.trusted = tuple(trusted)

    def _is_trusted(self, address: Address | None) -> bool:
        return address is not None and any(address in network for network in self.trusted)

    def client(self, header: str) -> str | None:
        entries = [forwarded_address(entry) for entry in header.split(",")]
        if not entries or None in entries:
            return None
        for address in reversed(entries):
            if not self._is_trusted(address):
                return str(address)
        return str(entries[0])  # every hop a trusted proxy: the first one is the client

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        peer = scope.get("client")
        if (
            self.trusted
            and scope["type"] in ("http", "websocket")
            and peer
            and self._is_trusted(forwarded_address(str(peer[0])))
        ):
            forwarded = [value.decode("latin-1") for name, value in scope["headers"] if name == b"x-forwarded-for"]
            client = self.client(", ".join(forwarded)) if forwarded else None
            if client is not None:
                scope["client"] = (client, 0)
            proto = next((value for name, value in scope["headers"] if name == b"x-forwarded-proto"), b"")
            if proto.strip().lower() in (b"http", b"https"):
                scope["scheme"] = proto.strip().lower().decode()
        await self.app(scope, receive, send)


def _docs_policy(script_hashes: Iterable[str]) -> str:
    scripts = " ".join(["'self'", *script_hashes])
    return (
        f"default-src 'self'; script-src {scripts}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )


def _with_own_policy(page: HTMLResponse) -> HTMLResponse:
    html = bytes(page.body).decode("utf-8")
    page.headers[CSP_HEADER] = _docs_policy(inline_hashes(html, "script"))
    return page


SWAGGER_FILES = Path(str(resources.files("fastapi_swagger") / "resources"))
ASSETS = "/docs/assets"


def install_docs(app: FastAPI) -> None:
    """``/docs`` (Swagger UI, its files under ``/docs/assets``) and its OAuth2 redirect, each with a policy that
    lets it run; create the app with ``docs_url=None, redoc_url=None``."""
    openapi_url = app.openapi_url or "/openapi.json"
    redirect_url = "/docs/oauth2-redirect"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _with_own_policy(
            get_swagger_ui_html(
                openapi_url=root + openapi_url,
                title=f"{app.title} - Swagger UI",
                swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
                swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
                swagger_favicon_url=f"{root}{ASSETS}/favicon-32x32.png",
                oauth2_redirect_url=root + redirect_url,
                init_oauth=app.swagger_ui_init_oauth,
                swagger_ui_parameters=app.swagger_ui_parameters,
            )
        )

    @app.get(redirect_url, include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return _with_own_policy(get_swagger_ui_oauth2_redirect_html())

    app.mount(ASSETS, StaticFiles(directory=SWAGGER_FILES), name="docs-assets")
