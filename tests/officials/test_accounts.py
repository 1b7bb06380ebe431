"""The rules for new officials' passwords (zxcvbn strength, common passwords) and usernames (NFKC, a small
character set, no invisible characters, no look-alikes), through the service, the API and the command line."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.cli import cli
from app.config import Settings
from app.directory.models import Official, Role
from app.errors import Conflict, Invalid
from app.officials import passwords, usernames
from app.officials.service import create_official
from tests.factories import counter_tree, login

STRONG = "ca phe sua da luc bay gio"  # five words that do not belong together


# --- passwords -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short", "password: at least 10 characters"),
        ("x" * 1025, "password: at most 1024 characters"),
        ("aaaaaaaaaa", 'password: too easy to guess (strength 0 of 4; at least 3 is needed). Repeats like "aaa"'),
        ("1qaz2wsx3edc", "password: this is one of the most common passwords"),
        ("Password1234", "password: too easy to guess"),
        ("P@ssw0rd2024", "password: too easy to guess"),
        ("qwertyuiop123", "password: this is one of the most common passwords"),
        ("quantrivien", "password: this is one of the most common passwords"),  # "administrator"
        ("matkhau123456", "password: too easy to guess"),  # "password" in Vietnamese
        ("anhyeuem@123", "password: too easy to guess"),  # "I love you"
        ("nguyenvanan1990", "password: too easy to guess"),  # the official's own name and a year
        ("an.nguyen2024", "password: too easy to guess"),  # the username
    ],
)
def test_weak_passwords_are_refused_saying_why_and_how(password: str, why: str) -> None:
    with pytest.raises(Invalid) as refused:
        passwords.check(password, username="an.nguyen", display_name="Nguyễn Văn An")
    assert refused.value.message.startswith(why), refused.value.message
    if "guess" in why or "common" in why:
        assert refused.value.message.endswith(passwords.HOW)
        assert "passphrase" in passwords.HOW and "Vietnamese words without accents" in passwords.HOW


@pytest.mark.parametrize(
    "password",
    [
        STRONG,
        "correct horse battery",
        "mat-khau-dai-1",
        "toi lam o uy ban xa bat trang tu nam hai nghin hai muoi sau va thich uong tra sen buoi sang",  # > 72
    ],
)
def test_strong_passwords_pass(password: str) -> None:
    passwords.check(password, username="an.nguyen", display_name="Nguyễn Văn An")


# --- usernames -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("lan.nguyen", "lan.nguyen"),
        ("Lan.Nguyen", "lan.nguyen"),
        ("ＬＡＮ_ｎｇｕｙｅｎ-2", "lan_nguyen-2"),
        ("b12", "b12"),
    ],
)
def test_usernames_are_nfkc_lower_case(typed: str, stored: str) -> None:
    assert usernames.normalise(typed) == stored


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("lan\u200bnguyen", "username: holds an invisible or control character (U+200B, ZERO WIDTH SPACE)"),
        ("lan\u200dnguyen", "username: holds an invisible or control character (U+200D, ZERO WIDTH JOINER)"),
        ("\ufefflan", "username: holds an invisible or control character (U+FEFF"),
        ("lan\x00", "username: holds an invisible or control character (U+0000, a control character)"),
        ("lan\tnguyen", "username: holds an invisible or control character (U+0009"),
        ("lan\u00adnguyen", "username: holds an invisible or control character (U+00AD, SOFT HYPHEN)"),
        ("lan\u202enguyen", "username: holds an invisible or control character (U+202E"),
        ("an", "username: 3 to 64 characters"),
        ("a" * 65, "username: 3 to 64 characters"),
        (
            "lân.nguyễn",
            "username: 'â', 'ễ' are not allowed: use lower-case letters a-z without accents, digits 0-9, "
            "'.', '_' and '-', for example 'lan.nguyen'",
        ),
        ("Đức Trần", "username: a space, 'đ', 'ầ', 'ứ' are not allowed"),
        ("lan nguyen", "username: a space is not allowed"),
        ("\u0430dmin", "username: 'а' (U+0430 CYRILLIC SMALL LETTER A) is not allowed"),
        ("lan@hn", "username: '@' is not allowed"),
        (".lan", "username: must start and end with a letter or a digit"),
        ("lan-", "username: must start and end with a letter or a digit"),
        ("..", "username: 3 to 64 characters"),
    ],
)
def test_bad_usernames_are_refused_saying_why(typed: str, why: str) -> None:
    with pytest.raises(Invalid) as refused:
        usernames.normalise(typed)
    assert refused.value.message.startswith(why), refused.value.message


@pytest.mark.parametrize(
    ("existing", "new"),
    [
        ("lan.nguyen", "1an.nguyen"),
        ("lan.nguyen", "Ian.nguyen"),
        ("lan.nguyen", "ian.nguyen"),
        ("mai.tran", "rnai.tran"),
        ("hoa.do", "hoa.d0"),
        ("vinh", "vlnh"),
        ("dat", "clat"),
        ("wang", "vvang"),
        ("\u0430dmin", "admin"),  # a Cyrillic а in a name stored before the rules
        ("Kiem.Tra", "kiem.tra"),  # letter case of a name stored before the rules: the same name
    ],
)
def test_look_alikes_of_existing_names_are_refused(session: Session, existing: str, new: str) -> None:
    session.add(Official(username=existing, password_hash="x", role=Role.national))  # as stored by an older version
    session.commit()
    with pytest.raises(Conflict) as refused:
        create_official(session, username=new, password=STRONG, role=Role.national, agency=None)
    message = refused.value.message
    assert message.startswith("username: ") or message == f"an official named {new.lower()!r} already exists"
    assert "looks too much like" in message or "already exists" in message
    assert existing not in message or existing == new.lower()  # the other name is never shown
    assert usernames.skeleton(existing) == usernames.skeleton(new)


def test_distinct_names_are_not_look_alikes(session: Session) -> None:
    for name in ("lan.nguyen", "lan_nguyen", "lan.nguyen2", "lam.nguyen", "an.nguyen", "binh", "bich"):
        create_official(session, username=name, password=STRONG, role=Role.national, agency=None)
    session.commit()
    assert session.scalar(select(func.count()).select_from(Official)) == 7


# --- through the API and the command line --------------------------------------------------------------------


def test_the_api_applies_the_rules(client: TestClient, session: Session) -> None:
    province, _commune, _counter = counter_tree(session)
    admin = login(client, session, "hn.admin", Role.province_admin, province)
    body: dict[str, Any] = {"username": "lan.nguyen", "password": STRONG, "role": "agency_official", "agency": "HN"}

    def create(**changes: Any) -> Any:
        return client.post("/api/v1/officials", json={**body, **changes}, headers=admin)

    weak = create(password="aaaaaaaaaaaa")
    assert weak.status_code == 422
    assert weak.json()["error"]["message"].startswith("password: too easy to guess (strength 0 of 4;")
    assert weak.json()["error"]["details"] == {"score": 0, "min_score": 3}
    common = create(password="1qaz2wsx3edc")
    assert (common.status_code, common.json()["error"]["code"]) == (422, "invalid")
    invisible = create(username="lan\u200b.nguyen")
    assert invisible.status_code == 422 and "U+200B" in invisible.json()["error"]["message"]
    created = create(username="Lan.Nguyen")
    assert (created.status_code, created.json()["username"]) == (201, "lan.nguyen")
    again = create(username="LAN.NGUYEN")
    assert (again.status_code, again.json()["error"]["message"]) == (
        409,
        "an official named 'lan.nguyen' already exists",
    )
    alike = create(username="1an.nguyen")
    assert alike.status_code == 409 and "looks too much like" in alike.json()["error"]["message"]
    # A reset must pass the same rules; the old password keeps working when it does not.
    patch = client.patch("/api/v1/officials/lan.nguyen", json={"password": "lannguyen123"}, headers=admin)
    assert patch.status_code == 422
    assert patch.json()["error"]["message"].startswith("/password: too easy to guess")
    assert client.post("/api/v1/auth/token", data={"username": "lan.nguyen", "password": STRONG}).status_code == 200
    reset = client.patch("/api/v1/officials/lan.nguyen", json={"password": "mot hai ba bon nam sau"}, headers=admin)
    assert reset.status_code == 200


@pytest.fixture
def run(settings: Settings) -> Any:
    runner = CliRunner()
    env = {
        "SIPAS_DATABASE_URL": settings.database_url,
        "SIPAS_SECRETS_FILE": str(settings.secrets_file),
        "SIPAS_ENV": "test",
    }

    def invoke(*args: str, password: str | None = None, typed: str | None = None) -> Any:
        extra = {"SIPAS_PASSWORD": password} if password else {}
        return runner.invoke(cli, list(args), env={**env, **extra}, input=typed)

    return invoke


def test_the_command_line_applies_the_rules(run: Any, session: Session) -> None:
    weak = run("official", "create", "--username", "lan.nguyen", "--role", "national", password="aaaaaaaaaaaa")
    assert weak.exit_code == 2 and "error: password: too easy to guess" in weak.output
    bad_name = run("official", "create", "--username", "lân", "--role", "national", password=STRONG)
    assert bad_name.exit_code == 2 and "for example 'lan'" in bad_name.output
    # Typed at the prompt, a weak password is explained and asked for again.
    typed = "\n".join(["1qaz2wsx3edc", "1qaz2wsx3edc", STRONG, STRONG]) + "\n"
    created = run("official", "create", "--username", "Lan.Nguyen", "--role", "national", typed=typed)
    assert created.exit_code == 0, created.output
    assert "error: password: this is one of the most common passwords" in created.output
    assert "official lan.nguyen created (national)" in created.output
    session.expire_all()
    assert session.scalars(select(Official.username)).all() == ["lan.nguyen"]
