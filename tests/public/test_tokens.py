"""Link tokens: round-trip, and every alteration, foreign key or expiry is refused."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.config import Environment, Settings, resolve_secrets
from app.links import tokens


def _settings(tmp: Path, **keys: bytes) -> Settings:
    encoded = {kid: base64.urlsafe_b64encode(key).decode() for kid, key in keys.items()}
    return resolve_secrets(Settings(env=Environment.test, token_keys=encoded, secrets_file=tmp / "s.json"))


SETTINGS = _settings(Path("/nonexistent"), k1=b"1" * 32, k2=b"2" * 32)

form_ids = st.from_regex(r"[a-z0-9][a-z0-9-]{0,20}", fullmatch=True)
ids = st.integers(min_value=1, max_value=2**40)


@given(form_ids, ids, ids, st.integers(min_value=0, max_value=1000))
def test_counter_links_round_trip(form_id: str, agency_id: int, counter_id: int, generation: int) -> None:
    ref = tokens.CounterLink(form_id, agency_id, counter_id, generation)
    token = tokens.sign(SETTINGS, ref)
    assert tokens.verify(SETTINGS, token) == ref
    assert token.startswith("k2.")  # the newest key signs


@given(ids, st.integers(min_value=2_000_000_000, max_value=2**40))
def test_dossier_links_round_trip(link_id: int, expires_at: int) -> None:
    ref = tokens.DossierLinkRef(link_id, expires_at)
    assert tokens.verify(SETTINGS, tokens.sign(SETTINGS, ref), now=1_900_000_000) == ref


@given(st.integers(min_value=0, max_value=200), st.sampled_from("ABCDEFabcdef0123456789-_."))
def test_any_changed_character_is_refused(position: int, replacement: str) -> None:
    token = tokens.sign(SETTINGS, tokens.CounterLink("counter-quick", 12, 34, 0))
    position %= len(token)
    if token[position] == replacement:
        return
    tampered = token[:position] + replacement + token[position + 1 :]
    with pytest.raises(tokens.InvalidToken):
        tokens.verify(SETTINGS, tampered)


def test_expired_and_foreign_tokens_are_refused(tmp_path: Path) -> None:
    expired = tokens.sign(SETTINGS, tokens.DossierLinkRef(7, expires_at=1_000))
    with pytest.raises(tokens.InvalidToken, match="expired"):
        tokens.verify(SETTINGS, expired, now=1_001)
    other = _settings(tmp_path, k2=b"x" * 32)  # same key id, another installation's key
    with pytest.raises(tokens.InvalidToken, match="bad signature"):
        tokens.verify(SETTINGS, tokens.sign(other, tokens.CounterLink("counter-quick", 1, 1, 0)))
    with pytest.raises(tokens.InvalidToken, match="unknown key id"):
        tokens.verify(_settings(tmp_path, k3=b"3" * 32), tokens.sign(SETTINGS, tokens.CounterLink("f", 1, 1, 0)))


def test_tokens_stay_short_enough_for_a_coarse_qr_code() -> None:
    token = tokens.sign(SETTINGS, tokens.CounterLink("counter-quick", 123_456, 9_876_543, 12))
    assert len(token) <= 80


ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def test_each_token_has_exactly_one_spelling() -> None:
    """A 128-bit signature is 22 characters: the last one carries 2 bits and 4 unused ones. Lenient decoding took
    16 spellings of it (and anything after a non-alphabet character), each a fresh key for per-link limits."""
    token = tokens.sign(SETTINGS, tokens.CounterLink("counter-quick", 12, 34, 0))
    accepted = []
    for character in ALPHABET:
        try:
            tokens.verify(SETTINGS, token[:-1] + character)
        except tokens.InvalidToken:
            continue
        accepted.append(character)
    assert accepted == [token[-1]]


@pytest.mark.parametrize("suffix", ["!!!!", "=", "==", " ", "\n", "%", "~", "é"])
def test_nothing_may_follow_or_pad_a_token(suffix: str) -> None:
    token = tokens.sign(SETTINGS, tokens.CounterLink("counter-quick", 12, 34, 0))
    with pytest.raises(tokens.InvalidToken):
        tokens.verify(SETTINGS, token + suffix)
    kid, payload, signature = token.split(".")
    with pytest.raises(tokens.InvalidToken):
        tokens.verify(SETTINGS, f"{kid}.{payload}{suffix}.{signature}")


@given(st.text(alphabet=ALPHABET + "=.!~ ", max_size=3), st.integers(min_value=0, max_value=200))
def test_only_the_signed_spelling_verifies(inserted: str, position: int) -> None:
    ref = tokens.CounterLink("counter-quick", 12, 34, 0)
    token = tokens.sign(SETTINGS, ref)
    position %= len(token) + 1
    changed = token[:position] + inserted + token[position:]
    if changed == token:
        return
    with pytest.raises(tokens.InvalidToken):
        tokens.verify(SETTINGS, changed)


def test_client_ids_are_ours_or_nothing(tmp_path: Path) -> None:
    client, cookie = tokens.issue_client(SETTINGS, now=1_800_000_000)
    assert tokens.read_client(SETTINGS, cookie) == client and client.issued_at == 1_800_000_000
    assert len(client.value) == 22 and cookie.count(".") == 2
    value, issued, signature = cookie.split(".")
    other, _ = tokens.issue_client(SETTINGS, now=1_800_000_000)
    assert other.value != client.value
    for forged in (
        "",
        "random-cookie-of-the-script",
        f"{value}.{int(issued) - 86400}.{signature}",  # an older-looking id
        f"{other.value}.{issued}.{signature}",  # another id under this signature
        f"{value}.{issued}.{signature[:-1]}A" if signature[-1] != "A" else f"{value}.{issued}.{signature[:-1]}Q",
        f"{value}.0{issued}.{signature}",
        cookie + "!",
    ):
        assert tokens.read_client(SETTINGS, forged) is None, forged
    elsewhere = _settings(tmp_path, k1=b"1" * 32)  # another installation: another session secret
    assert tokens.read_client(elsewhere, cookie) is None
