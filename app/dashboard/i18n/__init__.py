"""The dashboard's own words, Vietnamese first, one module per part of the dashboard. Same shape as the citizen
pages' ``app.public.i18n``; agency, counter and metric names come from the directory and the form definitions."""

from __future__ import annotations

from app.dashboard.i18n import breakdowns, compare, directory, general, manage, method, voice
from app.public.i18n import Lang

PARTS = (general, method, manage, directory, breakdowns, compare, voice)


def _merged() -> dict[str, dict[Lang, str]]:
    merged: dict[str, dict[Lang, str]] = {}
    for part in PARTS:
        twice = merged.keys() & part.MESSAGES.keys()
        if twice:
            raise RuntimeError(f"{part.__name__} repeats keys of another part: {sorted(twice)}")
        merged.update(part.MESSAGES)
    return merged


MESSAGES = _merged()


def t(key: str, lang: Lang, **values: object) -> str:
    return MESSAGES[key][lang].format(**values)
