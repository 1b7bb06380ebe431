from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from app.config import Environment, Settings, SettingsError, resolve_secrets

KEY = base64.urlsafe_b64encode(b"k" * 32).decode()


def test_development_generates_keys_once_into_a_private_file(tmp_path: Path) -> None:
    secrets_file = tmp_path / "secrets.json"
    first = resolve_secrets(Settings(secrets_file=secrets_file))
    second = resolve_secrets(Settings(secrets_file=secrets_file))
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    assert first.token_keys == second.token_keys
    assert first.session_secret == second.session_secret
    assert first.token_key_id == "k1"
    assert set(json.loads(secrets_file.read_text())) == {
        "token_keys",
        "token_key_id",
        "session_secret",
        "dossier_hash_key",
    }


def test_production_refuses_to_start_without_real_keys(tmp_path: Path) -> None:
    settings = Settings(env=Environment.production, secrets_file=tmp_path / "s.json")
    with pytest.raises(SettingsError) as error:
        resolve_secrets(settings)
    assert "SIPAS_TOKEN_KEYS, SIPAS_SESSION_SECRET, SIPAS_DOSSIER_HASH_KEY" in str(error.value)
    assert not (tmp_path / "s.json").exists()


def test_production_starts_with_keys_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIPAS_ENV", "production")
    monkeypatch.setenv("SIPAS_TOKEN_KEYS", json.dumps({"2026a": KEY, "2026b": KEY}))
    monkeypatch.setenv("SIPAS_SESSION_SECRET", KEY)
    monkeypatch.setenv("SIPAS_DOSSIER_HASH_KEY", KEY)
    settings = resolve_secrets(Settings())
    assert settings.token_key_id == "2026b"  # the newest key id signs


def test_short_keys_are_refused(tmp_path: Path) -> None:
    short = base64.urlsafe_b64encode(b"x" * 16).decode()
    settings = Settings(env=Environment.production, token_keys={"k1": KEY}, session_secret=short, dossier_hash_key=KEY)
    with pytest.raises(SettingsError, match="SIPAS_SESSION_SECRET: key is 16 bytes; at least 32"):
        resolve_secrets(settings)


def test_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValidationError, match="unknown time zone 'Asia/Hanoi_Typo'"):
        Settings(timezone="Asia/Hanoi_Typo")


def test_database_url_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIPAS_DATABASE_URL", "postgresql+psycopg://sipas@db/sipas")
    assert Settings().database_url == "postgresql+psycopg://sipas@db/sipas"
    monkeypatch.delenv("SIPAS_DATABASE_URL")
    assert Settings().database_url == "sqlite:///./sipas.db"


def test_trusted_proxies_come_comma_separated_and_default_to_none(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().trusted_proxies == ()
    monkeypatch.setenv("SIPAS_TRUSTED_PROXIES", " 10.0.0.5, 10.1.0.0/16 ,2001:db8::/32,")
    assert [str(network) for network in Settings().trusted_proxies] == ["10.0.0.5/32", "10.1.0.0/16", "2001:db8::/32"]
    monkeypatch.setenv("SIPAS_TRUSTED_PROXIES", "10.0.0.5,proxy.local")
    with pytest.raises(ValidationError, match=r"'proxy\.local' is not an IP address or network"):
        Settings()


def test_slow_body_limits_have_documented_defaults() -> None:
    settings = Settings()
    assert (settings.min_body_bytes_per_second, settings.body_grace_seconds) == (500, 10.0)
    with pytest.raises(ValidationError):
        Settings(min_body_bytes_per_second=0)
