"""Officials' usernames: one spelling per name, from a small character set, never a look-alike of another name.

A new username (``sipas official create``, ``POST /api/v1/officials``):

- may hold no invisible or control character at all (NUL, zero-width space and joiners, soft hyphen, BOM,
  direction marks: Unicode categories Cc, Cf, Cs, Co, Cn, Zl, Zp);
- is NFKC-normalised and lower-cased (``Ｌａｎ.Nguyen`` is stored as ``lan.nguyen``); what remains must be 3 to 64 of
  ``a``–``z``, ``0``–``9``, ``.``, ``_`` and ``-``, starting and ending with a letter or digit. Vietnamese letters
  are not allowed: input methods and keyboards spell them in more than one way, and ``đ`` or ``ơ`` are look-alikes
  of ``d`` and ``o`` (the refusal suggests the spelling without accents);
- must not look like an existing name: its :func:`skeleton` may not equal that of any official's username.

At login the typed name is NFKC-normalised, trimmed and lower-cased the same way (:func:`login_name`).
"""

from __future__ import annotations

import unicodedata

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.directory.models import Official
from app.errors import Conflict, Invalid

MIN_LENGTH = 3
MAX_LENGTH = 64
LETTERS_AND_DIGITS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
ALLOWED = LETTERS_AND_DIGITS | frozenset("._-")
ALLOWED_TEXT = "lower-case letters a-z without accents, digits 0-9, '.', '_' and '-'"
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})

# Look-alikes (a small part of Unicode TR39's confusables, for lower-case names): Cyrillic and Greek letters that
# look like Latin ones, then 0/o and 1/I/i/l/| ...
_LOOKALIKES = str.maketrans(
    {
        **dict(zip("аеёіјкорсухѕԁԛԝһӏьпмнт", "aeeljkopcyxsdqwhlbnmht", strict=True)),
        **dict(zip("αειкμνορτυχωη".replace("к", "κ"), "aelkuvoptuxwn", strict=True)),
        "0": "o",
        "1": "l",
        "i": "l",
        "|": "l",
        "ı": "l",
    }
)
# ... then sequences that read as one letter.
_SEQUENCES = (("rn", "m"), ("vv", "w"), ("cl", "d"))
LOOKALIKES_TEXT = "0/o, 1/l/i, rn/m, vv/w, cl/d, Cyrillic and Greek letters that look Latin"


def login_name(typed: str) -> str:
    """The name a login attempt is looked up and throttled by."""
    return unicodedata.normalize("NFKC", typed).strip().lower()


def unaccented(text: str) -> str:
    """``Nguyễn Đức`` → ``Nguyen Duc``: Vietnamese (and other Latin) letters without their marks."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


def _show(ch: str) -> str:
    if ch == " ":
        return "a space"
    name = unicodedata.name(ch, "")
    if ch.isascii() or name.startswith("LATIN"):
        return repr(ch)
    return f"{ch!r} (U+{ord(ch):04X} {name})".replace(" )", ")")  # a Cyrillic 'а' looks like 'a': say which it is


def _shape(name: str) -> str | None:
    """What is wrong with a normalised name's characters, length or ends, or None."""
    bad = sorted({ch for ch in name if ch not in ALLOWED})
    if bad:
        shown = ", ".join(_show(ch) for ch in bad)
        return f"{shown} {'is' if len(bad) == 1 else 'are'} not allowed: use {ALLOWED_TEXT}"
    if not MIN_LENGTH <= len(name) <= MAX_LENGTH:
        return f"{MIN_LENGTH} to {MAX_LENGTH} characters ({ALLOWED_TEXT}), not {len(name)}"
    if name[0] not in LETTERS_AND_DIGITS or name[-1] not in LETTERS_AND_DIGITS:
        return "must start and end with a letter or a digit"
    return None


def normalise(username: str, *, field: str = "username") -> str:
    """The stored form of a new username; Invalid (naming ``field``) says what is wrong and how to fix it."""
    for ch in username:
        if unicodedata.category(ch) in INVISIBLE_CATEGORIES:
            what = unicodedata.name(ch, "a control character")
            raise Invalid(
                f"{field}: holds an invisible or control character (U+{ord(ch):04X}, {what}); type the name by hand"
            )
    name = unicodedata.normalize("NFKC", username).lower()
    problem = _shape(name)
    if problem is None:
        return name
    suggestion = unaccented(name).replace(" ", ".")
    if suggestion != name and _shape(suggestion) is None:
        problem += f", for example {suggestion!r}"
    raise Invalid(f"{field}: {problem}")


def skeleton(name: str) -> str:
    """What a name looks like: NFKC, lower case, no accents, look-alike letters and sequences merged. Two names
    with the same skeleton can be mistaken for each other."""
    shape = unaccented(unicodedata.normalize("NFKC", name).lower()).translate(_LOOKALIKES)
    for sequence, letter in _SEQUENCES:
        shape = shape.replace(sequence, letter)
    return shape


def ensure_available(session: Session, name: str, *, field: str = "username") -> None:
    """Conflict when an official already has this name, in any spelling NFKC and letter case allow, or one that
    looks like it (the same :func:`skeleton`). The other name is not shown: it may be outside the caller's scope."""
    shape = skeleton(name)
    for (existing,) in session.execute(select(Official.username)):
        if unicodedata.normalize("NFKC", existing).lower() == name:
            raise Conflict(f"an official named {name!r} already exists")
        if skeleton(existing) == shape:
            raise Conflict(
                f"{field}: {name!r} looks too much like the name of an existing official ({LOOKALIKES_TEXT} are "
                "mistaken for each other); choose a clearly different name"
            )
