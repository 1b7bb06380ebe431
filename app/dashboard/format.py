"""Numbers and dates as each language writes them: Vietnamese ``86,50%``, ``22.192``, ``22/11/2026``; English
``86.50%``, ``22,192``, ``2026-11-22``. Rates arrive as proportions (0–1), as ``app/stats`` returns them."""

from __future__ import annotations

import math
from datetime import date, datetime
from zoneinfo import ZoneInfo

from app.public.i18n import Lang

MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _separators(lang: Lang) -> tuple[str, str]:
    """(decimal mark, thousands separator)."""
    return (",", ".") if lang == "vi" else (".", ",")


def number(value: float | int | None, lang: Lang, digits: int = 0) -> str:
    """A number with the language's decimal mark and thousands separator; "–" when unknown."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    decimal, thousands = _separators(lang)
    plain = f"{value:,.{digits}f}"  # "22,192.50"
    return plain.replace(",", "\0").replace(".", decimal).replace("\0", thousands)


def pct(share: float | None, lang: Lang, digits: int = 2) -> str:
    """A proportion as a percentage: 0.865 → "86,50%" (vi) or "86.50%" (en)."""
    if share is None or not math.isfinite(share):
        return "–"
    return number(share * 100, lang, digits) + "%"


def p_value(value: float | None, lang: Lang) -> str:
    """A p-value to three decimals, "0,012" (vi) or "0.012" (en); "< 0,001" and "> 0,999" at the ends."""
    if value is None or not math.isfinite(value):
        return "–"
    if value < 0.001:
        return f"< {number(0.001, lang, 3)}"
    if value > 0.999:
        return f"> {number(0.999, lang, 3)}"
    return number(value, lang, 3)


def points(difference: float | None, lang: Lang, digits: int = 2) -> str:
    """A difference of proportions in percentage points with its sign: −0.0123 → "−1,23 điểm" / "−1.23 pts"."""
    if difference is None or not math.isfinite(difference):
        return "–"
    sign = "+" if difference > 0 else "−" if difference < 0 else "±"
    unit = "điểm" if lang == "vi" else "pts"
    return f"{sign}{number(abs(difference) * 100, lang, digits)} {unit}"


def day(value: date | None, lang: Lang) -> str:
    """22/11/2026 (vi) or 2026-11-22 (en, ISO 8601)."""
    if value is None:
        return "–"
    # not strftime: glibc writes the year 1 as "1", not "0001"
    return f"{value.day:02d}/{value.month:02d}/{value.year:04d}" if lang == "vi" else value.isoformat()


def moment(value: datetime | None, lang: Lang, zone: ZoneInfo) -> str:
    """An instant in the service's time zone, to the minute: "22/11/2026 14:05" or "2026-11-22 14:05"."""
    if value is None:
        return "–"
    local = value.astimezone(zone)
    return f"{day(local.date(), lang)} {local:%H:%M}"


def month(label: str, lang: Lang) -> str:
    """A month key of the reports ("2026-10") as "10/2026" (vi) or "Oct 2026" (en); other keys unchanged."""
    year, _, number_ = label.partition("-")
    if not (year.isdigit() and number_.isdigit() and 1 <= int(number_) <= 12):
        return label
    if lang == "vi":
        return f"{int(number_):02d}/{year}"
    return f"{MONTHS_EN[int(number_) - 1]} {year}"


def month_short(label: str, lang: Lang) -> str:
    """A compact month for chart axes: "10/26" (vi) or "Oct" + two-digit year (en)."""
    year, _, number_ = label.partition("-")
    if not (year.isdigit() and number_.isdigit() and 1 <= int(number_) <= 12):
        return label
    if lang == "vi":
        return f"{int(number_):02d}/{year[-2:]}"
    return f"{MONTHS_EN[int(number_) - 1]} {year[-2:]}"
