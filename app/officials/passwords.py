"""Officials' passwords: the argon2 hasher, and the rules a new password must pass.

Rules (on ``sipas official create``, ``POST /api/v1/officials`` and a reset by ``PATCH /api/v1/officials/…``):

- 10 to 1024 characters;
- not on the list of common passwords: zxcvbn's list of the 30,000 most common leaked passwords, or the short list of
  Vietnamese ones below (:data:`LOCAL_COMMON`), as a whole, in any letter case, reversed or with l33t digits;
- a zxcvbn score of at least 3 of 4 (about 10⁸ guesses or more). zxcvbn's dictionaries (English words, names,
  common passwords) and its patterns (repeats, sequences, keyboard rows, dates) are used as they are; the official's
  username and display name (and their parts) and :data:`LOCAL_COMMON` are added as words an attacker tries first.
  Only the first 72 characters are estimated (zxcvbn's limit); a longer password is at least as strong as they are.

A refusal says why (zxcvbn's warning) and how to do better: a passphrase of several unrelated words.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

from app.errors import Invalid
from app.officials.usernames import unaccented

MIN_LENGTH = 10
MAX_LENGTH = 1024
MIN_SCORE = 3  # of zxcvbn's 0–4: 3 is "safely unguessable" (at least about 10^8 guesses)
ESTIMATED_LENGTH = 72  # zxcvbn refuses longer input; the first 72 characters are estimated

# Words that Vietnamese users put in passwords and that zxcvbn's English lists miss or rank low.
LOCAL_COMMON = (
    *("matkhau", "dangnhap", "taikhoan", "baomat"),  # password, log in, account, security
    *("admin", "quantri", "quantrivien", "canbo", "congchuc"),  # administrator, official, civil servant
    *("ubnd", "sonoivu", "dichvucong", "motcua", "hanhchinh", "sipas"),  # People's Committee, one-stop shop, ...
    *("anhyeuem", "emyeuanh", "yeuem", "anhyeu", "tinhyeu", "iloveyou", "xinchao"),  # I love you, hello
    *("vietnam", "hanoi", "saigon", "hochiminh", "tphcm", "danang", "haiphong"),
)

HOW = (
    "Use a passphrase of four or more words that do not belong together (Vietnamese words without accents are "
    "fine); avoid names, dates, keyboard rows, repeated characters and the username."
)

_hasher = PasswordHasher()
_dummy: tuple[PasswordHasher, str] | None = None
_zxcvbn_lock = threading.Lock()  # zxcvbn keeps each call's user inputs in a module-level dictionary


def hasher() -> PasswordHasher:
    return _hasher


def use_hasher(new: PasswordHasher) -> PasswordHasher:
    """Hash new passwords with ``new`` from now on (the test suite uses argon2's cheapest parameters); returns the
    hasher it replaces. Stored hashes carry their own parameters, so they verify either way."""
    global _hasher
    old, _hasher = _hasher, new
    return old


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def verify_dummy(password: str) -> None:
    """The same argon2 work as checking a real password, for a name that is no active official's: a hash made
    with the current parameters, so "no such user" takes as long as "wrong password"."""
    global _dummy
    dummy = _dummy
    if dummy is None or dummy[0] is not _hasher:
        dummy = _dummy = (_hasher, _hasher.hash("not the password of anyone"))
    verify(dummy[1], password)


def _words(values: Iterable[str | None]) -> list[str]:
    """The names, joined up and in parts, as typed and without accents (``Nguyễn Văn An``: nguyễnvănan, nguyenvanan,
    nguyễn, nguyen, văn, van, an)."""
    words: set[str] = set()
    for value in values:
        for spelling in (value.lower(), unaccented(value.lower())) if value else ():
            parts = spelling.replace("_", " ").replace(".", " ").replace("-", " ").split()
            words.update([spelling, "".join(parts), *parts])
    return sorted(words)


def _common(match: Mapping[str, object], password: str) -> bool:
    """A match of the whole password against a list of common passwords."""
    return (
        match.get("pattern") == "dictionary"
        and match.get("token") == password
        and (
            match.get("dictionary_name") == "passwords"
            or (match.get("dictionary_name") == "user_inputs" and match.get("matched_word") in LOCAL_COMMON)
        )
    )


def check(
    password: str, *, field: str = "password", username: str | None = None, display_name: str | None = None
) -> None:
    """Raise Invalid (naming ``field``) unless the password passes the rules of this module."""
    if len(password) < MIN_LENGTH:
        raise Invalid(f"{field}: at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise Invalid(f"{field}: at most {MAX_LENGTH} characters")
    estimated = password[:ESTIMATED_LENGTH]
    inputs = [*LOCAL_COMMON, *_words([username, display_name])]
    with _zxcvbn_lock:
        result = zxcvbn(estimated, user_inputs=inputs)
    if any(_common(match, estimated) for match in result["sequence"]):
        raise Invalid(f"{field}: this is one of the most common passwords, the first an attacker tries. {HOW}")
    score = int(result["score"])
    if score < MIN_SCORE:
        warning = result["feedback"]["warning"]
        raise Invalid(
            f"{field}: too easy to guess (strength {score} of 4; at least {MIN_SCORE} is needed). "
            + (f"{warning.rstrip('.')}. " if warning else "")
            + HOW,
            details={"score": score, "min_score": MIN_SCORE},
        )
