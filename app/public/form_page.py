"""The citizen form page: what the template shows, reading the posted form, the anti-forgery token, and the
page's state kept in the browser (its submission id, and the answers of a refused post).

**Anti-forgery token** (hidden field ``csrf``): ``{issued}.{mac}``, the unix second the page was rendered and 128 bits
of HMAC-SHA256 under ``SIPAS_SESSION_SECRET`` over the link token, the submission id, the client id (cookie
``sipas_client``) and that second. A post is taken only from the browser the page was rendered for, within
``SIPAS_FORM_PAGE_TTL_MINUTES`` of rendering.

**Page state** (cookie ``sipas_page``, one per link: its path is the link's): the submission id this browser is
answering this link with, and, after a refused post, a draft of the answers. Signed and bound to the client id and
the link. It keeps the same submission id for ``STATE_SECONDS`` (12 h) until the citizen asks for a new answer, so
Back after the thank-you page and a second send re-send the same id (stored once); and it lets a refused post
redirect to the form (303) instead of answering with a page, so Back never meets "Confirm form resubmission".
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import uuid
import zlib
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from starlette.datastructures import FormData

from app.config import Settings, decode_key
from app.forms.schemas import FormDefinition, Item, ItemType
from app.links.service import OpenLink
from app.links.tokens import ClientId
from app.public.i18n import Lang, t, text
from app.responses.ingest import FieldError

STATE_SECONDS = 12 * 3600  # a visit: the same submission id for this browser and link, unless a new answer is asked
DRAFT_SECONDS = 30 * 60  # the answers of a refused post are offered back this long
STATE_COOKIE_LIMIT = 3800  # bytes of cookie value; a bigger draft is shown at once (422/400) instead of redirected
FUTURE_SKEW_SECONDS = 60  # a page "rendered" further in the future than this is not ours

PageCheck = Literal["ok", "expired", "invalid"]


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
    numbered: bool  # a scale: a compact row of numbered levels with their words
    chosen: list[str]
    only_if: str
    limit: int | None
    detail: bool = False  # behind the closed "details (optional)" section
    clearable: bool = False  # an optional single choice: offers "clear" so a tap can be taken back


def _mac(settings: Settings, message: str) -> str:
    key = decode_key(settings.session_secret or "", name="SIPAS_SESSION_SECRET")
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()[:32]


def csrf_token(settings: Settings, link_token: str, submission_id: str, client: ClientId, issued: int) -> str:
    """Binds a rendered page to its link, submission id, browser and time: a post from anywhere else, from another
    browser or after ``SIPAS_FORM_PAGE_TTL_MINUTES`` is refused."""
    return f"{issued}.{_mac(settings, f'form|{link_token}|{submission_id}|{client.value}|{issued}')}"


def check_csrf(
    settings: Settings, link_token: str, submission_id: str, client: ClientId, given: str, *, now: datetime
) -> PageCheck:
    """``ok``, ``expired`` (ours, but rendered too long ago) or ``invalid`` (not rendered by us for this browser)."""
    issued = given.partition(".")[0]
    if not issued.isascii() or not issued.isdigit() or len(issued) > 12:
        return "invalid"
    expected = csrf_token(settings, link_token, submission_id, client, int(issued))
    if not hmac.compare_digest(expected.encode(), given.encode()):
        return "invalid"
    age = now.timestamp() - int(issued)
    if age < -FUTURE_SKEW_SECONDS:
        return "invalid"
    return "expired" if age > settings.form_page_ttl_minutes * 60 else "ok"


@dataclass(frozen=True)
class PageState:
    """What the browser keeps for one link (cookie ``sipas_page``)."""

    submission_id: uuid.UUID
    started: int  # unix second this submission id was given
    draft: dict[str, Any] | None = None  # the answers of a refused post
    mistakes: dict[str, str] | None = None  # its problems: item code (or "_form") → kind (see ``error_kinds``)
    drafted: int = 0  # unix second of the draft

    @staticmethod
    def of(submission_id: uuid.UUID, now: datetime) -> PageState:
        return PageState(submission_id, int(now.timestamp()))

    @staticmethod
    def new(now: datetime) -> PageState:
        return PageState.of(uuid.uuid4(), now)

    def with_draft(self, answers: dict[str, Any], mistakes: dict[str, str], now: datetime) -> PageState:
        return replace(self, draft=answers, mistakes=mistakes, drafted=int(now.timestamp()))

    def without_draft(self) -> PageState:
        return replace(self, draft=None, mistakes=None, drafted=0)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def encode_state(settings: Settings, state: PageState, client: ClientId, link_token: str) -> str:
    fields: dict[str, Any] = {"s": str(state.submission_id), "t": state.started}
    if state.draft is not None:
        fields.update(d=state.draft, e=state.mistakes or {}, dt=state.drafted)
    body = _b64(zlib.compress(json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()))
    return f"{body}.{_mac(settings, f'page|{client.value}|{link_token}|{body}')}"


def read_state(
    settings: Settings, cookie: str | None, client: ClientId, link_token: str, *, now: datetime
) -> PageState | None:
    """The state this browser keeps for this link; None when missing, not ours for this browser and link, or older
    than ``STATE_SECONDS``. A draft older than ``DRAFT_SECONDS`` is dropped."""
    body, _, mac = (cookie or "").partition(".")
    if not body or not hmac.compare_digest(_mac(settings, f"page|{client.value}|{link_token}|{body}"), mac):
        return None
    try:
        fields = json.loads(zlib.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))))
        state = PageState(uuid.UUID(fields["s"]), int(fields["t"]))
        if isinstance(fields.get("d"), dict) and isinstance(fields.get("e"), dict):
            state = replace(state, draft=fields["d"], mistakes=fields["e"], drafted=int(fields["dt"]))
    except (binascii.Error, zlib.error, ValueError, KeyError, TypeError):
        return None
    stamp = now.timestamp()
    if not -FUTURE_SKEW_SECONDS <= stamp - state.started <= STATE_SECONDS:
        return None
    if state.draft is not None and stamp - state.drafted > DRAFT_SECONDS:
        state = state.without_draft()
    return state


def parse_submission_id(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value or "")
    except ValueError:
        return None


def asked_items(link: OpenLink) -> list[Item]:
    """The items this link's page asks, in page order: a dossier link carries its dossier code, so the form does not
    ask for one; an item shown only after some answers comes right after the item it depends on, where the
    citizen's eyes are, rather than at its place in the file."""
    items = [
        item
        for item in link.form.definition.items
        if not (item.role == "dossier_code" and link.dossier_link is not None)
    ]
    dependents: dict[str, list[Item]] = {}
    for item in items:
        if item.show_if is not None:
            dependents.setdefault(item.show_if.item, []).append(item)
    ordered: list[Item] = []

    def place(item: Item) -> None:
        ordered.append(item)
        for dependent in dependents.get(item.code, []):
            place(dependent)

    for item in items:
        if item.show_if is None or item.show_if.item not in {other.code for other in items}:
            place(item)
    return ordered


def read_answers(link: OpenLink, form: FormData) -> dict[str, Any]:
    """The answers in a posted form to the items the page asks: scale levels as numbers, checkboxes as lists, blanks
    (and "clear") left out."""
    answers: dict[str, Any] = {}
    for item in asked_items(link):
        if item.type is ItemType.multiple_choice:
            chosen = [str(value) for value in form.getlist(item.code) if str(value)]
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


def _help(definition: FormDefinition, item: Item, lang: Lang) -> str:
    own = text(item.help, lang)
    if own:
        return own
    if item.role == "dossier_code":
        return t("dossier_help", lang)
    if item.type is ItemType.multiple_choice:
        return t("choose_many", lang)
    return ""


def questions(link: OpenLink, lang: Lang, answers: dict[str, Any]) -> list[Question]:
    definition = link.form.definition
    result: list[Question] = []
    for item in asked_items(link):
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
                help=_help(definition, item, lang),
                required=item.required,
                input=input_kind,
                choices=_choices(definition, item, lang),
                numbered=item.type is ItemType.scale,
                chosen=_chosen(answers.get(item.code)),
                only_if=only_if,
                limit=item.length_limit,
                detail=item.detail,
                clearable=input_kind == "radio" and not item.required,
            )
        )
    return result


def anonymous(link: OpenLink) -> bool:
    """True when the page asks nothing that could point to a person: no dossier code (a dossier link's own code is
    not asked, but the response is tied to that dossier's keyed hash, so it is not anonymous either)."""
    return link.dossier_link is None and not any(item.role == "dossier_code" for item in asked_items(link))


FORM_MISTAKE = "_form"  # the page itself was refused (expired, or rendered for another browser)


def error_kinds(errors: list[FieldError]) -> dict[str, str]:
    """Each item's first problem: ``required``, ``too_long`` or ``invalid``."""
    kinds: dict[str, str] = {}
    for error in errors:
        code = error.pointer.rsplit("/", 1)[-1]
        kinds.setdefault(code, error.kind if error.kind in ("required", "too_long") else "invalid")
    return kinds


def error_messages(kinds: dict[str, str], lang: Lang) -> dict[str, str]:
    """The problems in the reader's language."""
    messages: dict[str, str] = {}
    for code, kind in kinds.items():
        if code == FORM_MISTAKE:
            messages[code] = t("error_form", lang)
        else:
            messages[code] = t(f"error_{kind if kind in ('required', 'too_long') else 'invalid'}", lang)
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
    client: ClientId,
    now: datetime,
    answers: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    already_sent: bool = False,
) -> dict[str, Any]:
    definition = link.form.definition
    asked = questions(link, lang, answers or {})
    shown_errors = errors or {}
    return {
        "lang": lang,
        "other_lang": "en" if lang == "vi" else "vi",
        "t": lambda key, **values: t(key, lang, **values),
        "title": text(definition.title, lang),
        "intro": text(definition.intro, lang),
        "place": place(link, lang),
        "token": link.token,
        "questions": asked,
        "details_open": any(item.detail and (item.chosen or item.code in shown_errors) for item in asked),
        "anonymous": anonymous(link),
        "conditional": [item for item in definition.items if item.show_if is not None],
        "errors": shown_errors,
        "submission_id": submission_id,
        "csrf": csrf_token(settings, link.token, submission_id, client, int(now.timestamp())),
        "already_sent": already_sent,
    }
