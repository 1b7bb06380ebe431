"""Turning accepted answers into stored rows. Every channel (QR form, kiosk, import, interview, demo) goes
through these functions, so the "satisfied" rule, the reporting day and the hashes are decided in one place."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from app.forms.schemas import FormDefinition, ItemType
from app.partitions import month_number

AnswerValue = int | str | list[str]


def local_period(moment: datetime, zone: ZoneInfo) -> tuple[date, int]:
    """The reporting day and month (YYYYMM) of an instant in the service's time zone."""
    local = moment.astimezone(zone).date()
    return local, month_number(local)


def answer_rows(definition: FormDefinition, answers: dict[str, AnswerValue]) -> list[dict[str, Any]]:
    """Rows for the ``answers`` table (without ``response_id``); ``satisfied`` follows the form's scale."""
    rows: list[dict[str, Any]] = []
    for code, value in answers.items():
        item = definition.item(code)
        row: dict[str, Any] = {
            "item_code": code,
            "value_int": None,
            "value_text": None,
            "value_json": None,
            "satisfied": None,
        }
        if item.type is ItemType.scale:
            assert isinstance(value, int)
            row["value_int"] = value
            satisfied_levels = definition.satisfied_levels(item)
            row["satisfied"] = int(value in satisfied_levels) if satisfied_levels else None
        elif item.type is ItemType.multiple_choice:
            assert isinstance(value, list)
            row["value_json"] = value
        else:
            row["value_text"] = str(value)
        rows.append(row)
    return rows


def canonical_json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def content_hash(key: bytes, payload: dict[str, Any]) -> str:
    """Keyed hash of what the client submitted, equal for an identical replay: HMAC-SHA-256 (with the dossier
    hash key) of the SHA-256 of the canonical JSON. Keyed because the content holds the dossier code: a plain
    hash of it, stored beside every other field of the response, would give the code back to anyone holding the
    database (or a backup) after a few thousand guesses."""
    return keyed_content_hash(key, hashlib.sha256(canonical_json(payload).encode()).hexdigest())


def keyed_content_hash(key: bytes, plain: str) -> str:
    """The stored content hash for the plain SHA-256 hex digest ``plain`` (also what the migration that keyed
    the hashes of earlier rows applied)."""
    return hmac.new(key, plain.encode(), hashlib.sha256).hexdigest()


def normalise_dossier_code(code: str) -> str:
    return "".join(code.split()).upper()


def dossier_hash(key: bytes, code: str) -> str:
    """Keyed hash (HMAC-SHA256) of a dossier code: links answers to a dossier without storing the code."""
    return hmac.new(key, normalise_dossier_code(code).encode(), hashlib.sha256).hexdigest()
