"""The citizen form page: what the template shows, reading the posted form, and the anti-forgery token."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData

from app.config import Settings, decode_key
from app.forms.schema import FormDefinition, Item, ItemType
from app.public.i18n import Lang, t, text
from app.public.links import OpenLink
from app.responses.ingest import FieldError

HIDDEN_FIELDS = ("submission_id", "csrf", "lang", "website")


@dataclass(frozen=True)
class Choice:
    value: str | int
    label: str


@dataclass(frozen=True)
class Question:
    code: str
    text: str
    help: str
    required: bool
    input: str  # radio, checkbox, text, textarea
    choices: list[Choice] | None
    numbered: bool
    chosen: list[str]
    only_if: str
    limit: int | None


def csrf_token(settings: Settings, link_token: str, submission_id: str) -> str:
    """Binds a rendered page to its link and submission id: a post from anywhere else is refused."""
    key = decode_key(settings.session_secret or "", name="SIPAS_SESSION_SECRET")
    return hmac.new(key, f"form|{link_token}|{submission_id}".encode(), hashlib.sha256).hexdigest()[:32]


def csrf_ok(settings: Settings, link_token: str, submission_id: str, given: str) -> bool:
    return hmac.compare_digest(csrf_token(settings, link_token, submission_id), given)


def parse_submission_id(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value or "")
    except ValueError:
        return None


def read_answers(definition: FormDefinition, form: FormData) -> dict[str, Any]:
    """The answers in a posted form: scale levels as numbers, checkboxes as lists, blanks left out."""
    answers: dict[str, Any] = {}
    for item in definition.items:
        if item.type is ItemType.multiple_choice:
            chosen = [str(value) for value in form.getlist(item.code)]
            if chosen:
                answers[item.code] = chosen
            continue
        raw = form.get(item.code)
        if not isinstance(raw, str) or not raw.strip():
            continue
        if item.type is ItemType.scale and raw.strip().lstrip("-").isdigit():
            answers[item.code] = int(raw.strip())
        else:
            answers[item.code] = raw
    return answers


def _chosen(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _choices(definition: FormDefinition, item: Item, lang: Lang) -> list[Choice] | None:
    if item.scale is not None:
        return [Choice(level.value, text(level.label, lang)) for level in definition.scales[item.scale].levels]
    if item.options is not None:
        return [Choice(option.code, text(option.label, lang)) for option in item.options]
    return None


def questions(definition: FormDefinition, lang: Lang, answers: dict[str, Any]) -> list[Question]:
    result: list[Question] = []
    for item in definition.items:
        only_if = ""
        if item.show_if is not None:
            trigger = _choices(definition, definition.item(item.show_if.item), lang) or []
            labels = {str(choice.value): choice.label for choice in trigger}
            only_if = f"{t('only_if', lang)} " + ", ".join(labels.get(str(v), str(v)) for v in item.show_if.in_)
        input_kind = {
            ItemType.scale: "radio",
            ItemType.single_choice: "radio",
            ItemType.multiple_choice: "checkbox",
            ItemType.short_text: "text",
            ItemType.comment: "textarea",
        }[item.type]
        result.append(
            Question(
                code=item.code,
                text=text(item.text, lang),
                help=text(item.help, lang),
                required=item.required,
                input=input_kind,
                choices=_choices(definition, item, lang),
                numbered=item.type is ItemType.scale,
                chosen=_chosen(answers.get(item.code)),
                only_if=only_if,
                limit=item.length_limit,
            )
        )
    return result


def error_messages(errors: list[FieldError], lang: Lang) -> dict[str, str]:
    """Each item's first problem, in the reader's language."""
    messages: dict[str, str] = {}
    for error in errors:
        code = error.pointer.rsplit("/", 1)[-1]
        kind = error.kind if error.kind in ("required", "too_long") else "invalid"
        messages.setdefault(code, t(f"error_{kind}", lang))
    return messages


def place(link: OpenLink, lang: Lang) -> str:
    agency = (link.agency.name_en or link.agency.name_vi) if lang == "en" else link.agency.name_vi
    if link.counter is None:
        return agency
    counter = (link.counter.name_en or link.counter.name_vi) if lang == "en" else link.counter.name_vi
    return f"{agency} · {counter}"


def page_context(
    settings: Settings,
    link: OpenLink,
    lang: Lang,
    *,
    submission_id: str,
    answers: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    definition = link.form.definition
    return {
        "lang": lang,
        "other_lang": "en" if lang == "vi" else "vi",
        "t": lambda key, **values: t(key, lang, **values),
        "title": text(definition.title, lang),
        "intro": text(definition.intro, lang),
        "place": place(link, lang),
        "token": link.token,
        "questions": questions(definition, lang, answers or {}),
        "conditional": [item for item in definition.items if item.show_if is not None],
        "errors": errors or {},
        "submission_id": submission_id,
        "csrf": csrf_token(settings, link.token, submission_id),
    }
