"""Personal data in citizens' free text, masked before any official reads it, and the folding that lets a search
match Vietnamese with or without diacritics.

Comments are typed by anyone, and people write their phone number, e-mail address, ID card or dossier number and
name into them ("Gọi tôi 0912 345 678, tôi là Nguyễn Văn An"). The dashboard, the API and every download show
comments only through :func:`mask`, which replaces

- **e-mail addresses** with ``[email]``;
- **dossier and ID numbers** with ``[mã số]`` / ``[ID number]``: dossier codes of the one-stop software
  (``000.00.12.H26-261120-4711``, and any code of three or more groups joined by ``.``, ``-`` or ``/`` that has a
  letter and six digits or more), a number that follows a word saying what it is ("CCCD", "CMND", "mã hồ sơ",
  "số tài khoản", …), and any run of nine digits or more (CMND 9, CCCD 12, tax and insurance numbers 10–13);
- **phone numbers** with ``[số điện thoại]`` / ``[phone number]``: Vietnamese mobile and landline numbers — ``0``
  and 9 or 10 more digits whose second digit is 2, 3, 5, 7, 8 or 9, or the same after ``+84``/``84`` without the
  ``0`` — with spaces, dots or dashes between digits and the area code possibly in brackets (``(024) 3825 1234``);
- **names** after "tôi là", "tên tôi là", "tôi tên là", "tên là", "tôi tên", "họ tên", "họ và tên" (any case):
  the next one to four words that begin with a capital letter become ``[tên]`` / ``[name]``.

What is not personal stays: a year ("2025"), a time ("8:30"), a date ("12/03/2025"), an amount ("150.000 đồng"),
"quầy số 1", a public hotline ("1900 1234"). The rules err towards masking: a long number that is not an ID is masked
too. Text is put in Unicode NFC first, so that the same words typed on different keyboards mask alike.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Literal

Lang = Literal["vi", "en"]

LABELS: dict[str, dict[Lang, str]] = {
    "phone": {"vi": "[số điện thoại]", "en": "[phone number]"},
    "email": {"vi": "[email]", "en": "[email]"},
    "id": {"vi": "[mã số]", "en": "[ID number]"},
    "name": {"vi": "[tên]", "en": "[name]"},
}

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")

# A dossier code of the one-stop software: unit.level.area.agency-yymmdd-serial.
_DOSSIER = re.compile(r"(?<![\w.\-/])\d{3}\.\d{2}\.\d{2}\.[A-Z0-9]{2,4}-\d{6}-\d{4}(?![\w])")
# Any code of three or more letter-and-digit groups joined by ".", "-" or "/" (checked: a letter, six digits).
_CODE = re.compile(r"(?<![\w.\-/])[A-Za-z0-9]+(?:[.\-/][A-Za-z0-9]+){2,}(?![\w])")
# A word saying that a number follows: the number is masked whatever its form.
_ID_WORDS = (
    r"cccd|cmnd|cmt|căn cước(?: công dân)?|chứng minh(?: nhân dân| thư)?|hộ chiếu|mã định danh|"
    r"mã (?:số )?hồ sơ|số hồ sơ|mã số thuế|mst|số tài khoản|stk|số bhxh|mã bhxh|mã số bhxh"
)
_ID_AFTER_WORD = re.compile(
    rf"(?<!\w)((?:{_ID_WORDS})(?:\s*(?:số|là|:|#|no\.?))*\s*)"
    r"([A-Za-z]{0,3}\d[A-Za-z0-9]*(?:[ .\-/]\d[A-Za-z0-9]*)*)",
    re.IGNORECASE,
)
_LONG_NUMBER = re.compile(r"(?<![\w])\d{9,}(?![\w])")

_SEP = r"[ .\-]?"
_PHONE = re.compile(
    r"(?<![\w+])(?:"
    rf"\+?84{_SEP}(?:\(0\){_SEP})?\d(?:{_SEP}\d){{8,9}}"  # +84 912 345 678, 84-24-3825-1234
    rf"|\(0\d{{1,3}}\){_SEP}\d(?:{_SEP}\d){{5,8}}"  # (024) 3825 1234
    rf"|0\d(?:{_SEP}\d){{8,9}}"  # 0912 345 678, 0912.345.678, 024 3825 1234
    r")(?![\w])(?![.\-]\d)"
)
_PHONE_SECOND_DIGITS = "235789"  # landlines 02x, mobiles 03x 05x 07x 08x 09x

_NAME_TRIGGER = re.compile(
    r"(?<!\w)(?:tên tôi là|tôi tên là|họ và tên|họ tên|tên là|tôi là|tôi tên)(?:\s*:)?\s+", re.IGNORECASE
)
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)?")
MAX_NAME_WORDS = 4


def _digits(text: str) -> str:
    return "".join(char for char in text if char.isdigit())


def _is_phone(found: str) -> bool:
    digits = _digits(found)
    stripped = found.lstrip("(")
    if stripped.startswith(("+84", "84")) and not stripped.startswith("0"):
        rest = digits[2:]
        if rest.startswith("0"):  # +84 (0) 912 …
            rest = rest[1:]
        return len(rest) in (9, 10) and rest[0] in _PHONE_SECOND_DIGITS
    return len(digits) in (10, 11) and digits[1] in _PHONE_SECOND_DIGITS


def _is_code(found: str) -> bool:
    return any(char.isalpha() for char in found) and len(_digits(found)) >= 6


def _mask_names(text: str, label: str) -> str:
    out: list[str] = []
    position = 0
    for trigger in _NAME_TRIGGER.finditer(text):
        if trigger.start() < position:
            continue
        cursor = trigger.end()
        end = cursor
        words = 0
        while words < MAX_NAME_WORDS:
            word = _WORD.match(text, cursor)
            if word is None or not word.group()[0].isupper():
                break
            words += 1
            end = word.end()
            space = re.match(r" +", text[end:])
            if space is None:
                break
            cursor = end + len(space.group())
        if words:
            out.append(text[position : trigger.end()] + label)
            position = end
    out.append(text[position:])
    return "".join(out)


def _replace_if(pattern: re.Pattern[str], keep: Callable[[str], bool], label: str, text: str) -> str:
    return pattern.sub(lambda found: label if keep(found.group()) else found.group(), text)


def mask(text: str, lang: Lang = "vi") -> str:
    """``text`` with e-mail addresses, dossier and ID numbers, phone numbers and names replaced by labels in
    ``lang`` (see the module's rules), in Unicode NFC."""
    labels = {kind: words[lang] for kind, words in LABELS.items()}
    masked = unicodedata.normalize("NFC", text)
    masked = _EMAIL.sub(labels["email"], masked)
    masked = _DOSSIER.sub(labels["id"], masked)
    masked = _replace_if(_CODE, _is_code, labels["id"], masked)
    masked = _ID_AFTER_WORD.sub(lambda found: found.group(1) + labels["id"], masked)
    masked = _replace_if(_PHONE, _is_phone, labels["phone"], masked)
    masked = _LONG_NUMBER.sub(labels["id"], masked)
    return _mask_names(masked, labels["name"])


def fold(text: str) -> str:
    """Text as a search compares it: decomposed (NFD), without combining marks (the tones and the hats of â, ê, ô,
    the horns of ơ, ư, the breve of ă), đ → d, case-folded, runs of white space made one space. "Chậm" and "cham"
    fold alike, as do "Đường" and "duong"."""
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    bare = bare.replace("đ", "d").replace("Đ", "D")
    return " ".join(bare.casefold().split())


def matches(text: str, query: str) -> bool:
    """Whether every word of ``query`` occurs in ``text``, both folded (:func:`fold`); an empty query matches."""
    folded = fold(text)
    return all(word in folded for word in fold(query).split())
