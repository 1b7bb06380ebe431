"""The one check of a web address a citizen is sent to (an agency's complaint channel, the default one in the
settings): absolute http(s), a real host name, no credentials, nothing a browser would read differently from what
an administrator typed. No imports from the rest of the application, so that the settings can use it."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

# A host name (letters of any script, digits, '.', '-') or a bracketed IPv6 address.
_HOST = re.compile(r"[\w.-]+|\[[0-9A-Fa-f:.]+\]")
# Joiners are format characters that emoji and some scripts need; every other control or format character (tabs,
# line breaks, bidirectional overrides, NUL) has no place in one line of text shown to citizens.
_JOINERS = {"\u200c", "\u200d"}


def quoted(value: str) -> str:
    """``value`` for a message: repr, cut to 60 characters."""
    return repr(value if len(value) <= 60 else value[:57] + "...")


def is_control(char: str) -> bool:
    """A control, format, surrogate, private-use, unassigned or line/paragraph separator character (not a joiner)."""
    return unicodedata.category(char) in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"} and char not in _JOINERS


def web_address(text: str) -> str:
    """``text`` (already stripped, not empty) if it is an absolute https:// or http:// address with a host name,
    without spaces, control characters or credentials; else ValueError saying what is wrong (without the field's
    name)."""
    if any(char.isspace() or is_control(char) for char in text):
        raise ValueError("must be one address, without spaces or control characters")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme.lower() not in {"https", "http"}
        or not parts.hostname
        or not _HOST.fullmatch(parts.hostname)
    ):
        raise ValueError(
            f"{quoted(text)} is not an absolute https:// (or http://) address, "
            "e.g. https://dichvucong.gov.vn/p/home/dvc-phan-anh-kien-nghi.html"
        )
    if "@" in parts.netloc:
        raise ValueError("must not carry a user name or password (user:password@host)")
    return text
