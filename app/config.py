"""Settings, read from the environment (prefix ``SIPAS_``) and from the local secrets file.

Signing keys never have defaults baked into the code. In development the service writes random keys into a
local file on first run (mode 0600); in production it refuses to start unless real keys are given.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from enum import StrEnum
from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from app.urls import web_address

MIN_KEY_BYTES = 32


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class SettingsError(RuntimeError):
    """Raised when the configuration is unusable; the message says which setting and why."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SIPAS_", extra="ignore")

    env: Environment = Environment.development
    database_url: str = "sqlite:///./sipas.db"
    # Where officials' figures are read (a streaming replica of the primary: docs/operations.md); unset or empty: the
    # primary. Logins, management and every write stay on SIPAS_DATABASE_URL.
    reports_database_url: str | None = None
    # How often the server folds newly stored responses into the summary every figure reads (app/responses/summary.py;
    # 0: never — then run `sipas summary refresh` from a timer). Figures are exact either way: what is not yet folded
    # in is read from the raw tables.
    summary_refresh_seconds: float = Field(default=10.0, ge=0)
    # PostgreSQL: how many months after the current one `sipas migrate` gives partitions of their own ahead of their
    # answers (app/partitions.py). A month without one is stored all the same, in the default partition.
    partition_months_ahead: int = Field(default=12, ge=0, le=120)
    # "raw" reads every figure from the raw answers (to compare, or should the summary be suspected); "summary" reads
    # the summary and its tail wherever it can serve.
    figures_source: Literal["summary", "raw"] = "summary"
    forms_dir: Path = Path(__file__).resolve().parent.parent / "survey_forms"
    secrets_file: Path = Path(".sipas-secrets.json")

    # Signing keys. QR tokens carry a key id so keys can rotate: the newest id signs, every listed id verifies.
    # Given as JSON ({"k1": "<base64url key>"}) or filled from the secrets file in development.
    token_keys: dict[str, str] = Field(default_factory=dict)
    token_key_id: str | None = None
    session_secret: str | None = None
    dossier_hash_key: str | None = None

    timezone: str = "Asia/Ho_Chi_Minh"
    # The address citizens reach the service at, written on posters and into QR codes.
    public_base_url: str | None = None
    # Where the thank-you page sends a citizen who wants to complain when no agency above the counter has set its own
    # complaint_url: the feedback page of the national public-service portal (Cổng Dịch vụ công quốc gia). Empty: no
    # complaint link unless an agency sets one.
    default_complaint_url: str = "https://dichvucong.gov.vn/p/home/dvc-phan-anh-kien-nghi.html"
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    log_level: str = "INFO"
    log_json: bool = True

    # Limits (used by the ingestion and reporting layers).
    max_body_bytes: int = 1_000_000
    # Requests inside the app at once per worker, below the database pool's 15 connections (app/limits.py).
    max_requests_in_flight: int = Field(default=10, ge=1, le=14)
    busy_wait_seconds: float = Field(default=5.0, gt=0)
    batch_max_items: int = 1_000
    clock_skew_seconds: int = 600
    retention_days: int = 400
    # Citizen form: submissions per link per minute and per client (browser) per hour; beyond them, 429.
    form_rate_per_link_per_minute: int = 60
    form_rate_per_client_per_hour: int = 20
    # Ballot stuffing: more than this many web submissions through one counter's link within 60 s (counted in the
    # database, so across workers), or from one browser within 60 s (counted per worker), flags all of them as
    # suspected spam: kept, shown to administrators, left out of every figure. A busy counter at peak sees about
    # one answer every 20 s (3 a minute), a citizen answers once.
    form_burst_per_link_per_minute: int = 10
    form_burst_per_client_per_minute: int = 3
    # Ballot stuffing with throw-away browsers (app/public/burst.py). The form's cookie carries a client id the server
    # signed and issued; a page's anti-forgery token is bound to the link, the submission id and that client id, and
    # expires after SIPAS_FORM_PAGE_TTL_MINUTES (the form then comes back with the answers kept). Within any hour,
    # answers beyond these budgets are stored flagged (left out of the figures): from one client id (a citizen
    # answers once, a shared phone a few times; per worker); from one network (IPv4 /24, IPv6 /56) through one link,
    # whatever its client ids, since a new id costs one GET (per worker; sized for an office or carrier NAT giving 30
    # honest citizens an hour at a busy counter, with room for chance; beyond twice the budget all the network's
    # answers of the hour are flagged); and counted answers through one link (in the database, so across workers: a
    # desk at its busiest, one citizen every 20 s for a quarter of an hour and then a group of 7, gives 52).
    form_page_ttl_minutes: int = Field(default=120, ge=1)
    form_answers_per_client_per_hour: int = Field(default=3, ge=1)
    form_answers_per_network_per_hour: int = Field(default=40, ge=1)
    form_answers_per_link_per_hour: int = Field(default=60, ge=1)
    dossier_link_days: int = 30
    # Kiosk API: requests per device per minute (beyond: 429), and the shortest plausible gap between two
    # answers on one kiosk (closer ones are stored but flagged as suspected button-mashing).
    kiosk_rate_per_minute: int = 120
    kiosk_min_interval_seconds: float = 5.0
    # Officials: how long a login lasts (API token or browser session), and whether the session cookie is sent
    # only over HTTPS (None: when the request came over HTTPS or SIPAS_ENV=production).
    official_session_hours: int = 12
    # Requests per official per minute over the API and the dashboard together (beyond: 429 with Retry-After).
    official_rate_per_minute: int = 300
    cookie_secure: bool | None = None

    # Slow clients and proxies (app/limits.py, app/security.py). A request body is read whole before the request
    # takes one of the worker's in-flight places; it must arrive at SIPAS_MIN_BODY_BYTES_PER_SECOND on average once
    # SIPAS_BODY_GRACE_SECONDS have passed, or the request ends with 408 (a slow upload holds a connection, never a
    # place). SIPAS_TRUSTED_PROXIES: comma-separated addresses or networks of reverse proxies whose X-Forwarded-For
    # and X-Forwarded-Proto are believed; none by default (the peer's address is the client's).
    min_body_bytes_per_second: int = Field(default=500, ge=1)
    body_grace_seconds: float = Field(default=10.0, gt=0)
    trusted_proxies: Annotated[tuple[IPv4Network | IPv6Network, ...], NoDecode] = ()

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxy_networks(cls, value: Any) -> Any:
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list | tuple):
            return value
        networks = []
        for item in items:
            text = str(item).strip()
            if not text:
                continue
            try:
                networks.append(ip_network(text, strict=False))
            except ValueError as exc:
                raise ValueError(f"{text!r} is not an IP address or network (e.g. 10.0.0.5 or 10.0.0.0/24)") from exc
        return tuple(networks)

    @field_validator("reports_database_url")
    @classmethod
    def _blank_is_primary(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        return value.strip()

    @field_validator("default_complaint_url")
    @classmethod
    def _absolute_web_address(cls, value: str) -> str:
        text = value.strip()
        if not text:
            return text
        try:
            return web_address(text)  # the agencies' own complaint addresses pass the same check
        except ValueError as exc:
            raise ValueError(
                f"{text!r} is not an absolute https:// address (leave it empty for no default link)"
            ) from exc

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Asia/Ho_Chi_Minh)") from exc
        return value

    @model_validator(mode="after")
    def _default_signing_key_id(self) -> Settings:
        if self.token_keys and self.token_key_id is None:
            self.token_key_id = sorted(self.token_keys)[-1]
        return self

    @property
    def base_url(self) -> str:
        return (self.public_base_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def _new_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(MIN_KEY_BYTES)).decode().rstrip("=")


def decode_key(value: str, *, name: str) -> bytes:
    """Decode a base64url key and insist on at least 32 bytes of it."""
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (ValueError, TypeError) as exc:
        raise SettingsError(f"{name}: not valid base64url") from exc
    if len(raw) < MIN_KEY_BYTES:
        raise SettingsError(f"{name}: key is {len(raw)} bytes; at least {MIN_KEY_BYTES} are required")
    return raw


def _load_or_create_secrets_file(path: Path) -> dict[str, Any]:
    if path.exists():
        try:
            data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise SettingsError(f"{path}: cannot read the secrets file ({exc})") from exc
        return data
    data = {
        "token_keys": {"k1": _new_key()},
        "token_key_id": "k1",
        "session_secret": _new_key(),
        "dossier_hash_key": _new_key(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it a moment ago
        return _load_or_create_secrets_file(path)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
    return data


def resolve_secrets(settings: Settings) -> Settings:
    """Fill missing keys from the secrets file (development/test) or refuse (production).

    Returns a new Settings object whose keys are all present and valid.
    """
    missing = [name for name in ("token_keys", "session_secret", "dossier_hash_key") if not getattr(settings, name)]
    updates: dict[str, Any] = {}
    if missing:
        if settings.env is Environment.production:
            names = ", ".join(f"SIPAS_{name.upper()}" for name in missing)
            raise SettingsError(
                f"SIPAS_ENV=production needs real signing keys; missing: {names}. "
                "Generate each with: python -c 'import secrets,base64;"
                "print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())'"
            )
        stored = _load_or_create_secrets_file(settings.secrets_file)
        for name in missing:
            if name not in stored:
                raise SettingsError(f"{settings.secrets_file}: no {name!r} in the secrets file")
            updates[name] = stored[name]
        if "token_keys" in updates and settings.token_key_id is None:
            updates["token_key_id"] = stored.get("token_key_id") or sorted(updates["token_keys"])[-1]
    resolved = settings.model_copy(update=updates)
    for kid, key in resolved.token_keys.items():
        decode_key(key, name=f"SIPAS_TOKEN_KEYS[{kid}]")
    if resolved.token_key_id not in resolved.token_keys:
        raise SettingsError(f"SIPAS_TOKEN_KEY_ID={resolved.token_key_id!r} is not among SIPAS_TOKEN_KEYS")
    decode_key(resolved.session_secret or "", name="SIPAS_SESSION_SECRET")
    decode_key(resolved.dossier_hash_key or "", name="SIPAS_DOSSIER_HASH_KEY")
    return resolved


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, with secrets resolved (cached: read once per process)."""
    return resolve_secrets(Settings())
