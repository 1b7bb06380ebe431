"""The citizen pages: the form behind a counter's QR code, its thank-you page, and friendly error pages.

A browser is known by the client id in its ``sipas_client`` cookie, which only the server issues (signed, see
``app/public/tokens.py``); a post without one gets the form back (400) with a new one. What a page may post is bound
to that id (``app/public/form_page.py``), and which answers may count is decided in ``app/public/burst.py``.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from app.config import Settings
from app.db import utcnow
from app.deps import FormsDep, SessionDep, SettingsDep
from app.directory import service as directory
from app.directory.service import normalise_short_code
from app.links import service as links
from app.links import tokens
from app.links.service import OpenLink
from app.links.tokens import ClientId
from app.public import burst, form_page, service
from app.public.form_page import FORM_MISTAKE, PageState
from app.public.i18n import Lang, pick_lang, t
from app.ratelimit import RateLimiter, RecentlySeen
from app.responses.ingest import Origin, Submission, SubmissionInvalid, prune_unasked
from app.responses.models import Channel, StoredSubmission
from app.security import CSP_HEADER, policy, source_hash

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
PUBLIC_CSS = (Path(__file__).parent / "templates" / "public.css").read_text(encoding="utf-8")
CLIENT_COOKIE = "sipas_client"
STATE_COOKIE = "sipas_page"
CLIENT_COOKIE_SECONDS = 365 * 86400
LangParam = Annotated[str | None, Query(pattern="^(vi|en)$")]


def page_css(context: dict[str, Any]) -> Markup:
    """The page's inline stylesheet: the shared sheet and, on a form, the show-if rules of its definition (never
    anything a visitor typed). The page's Content-Security-Policy allows exactly this text by its hash."""
    rules = templates.get_template("form_rules.css").render(conditional=context.get("conditional") or [])
    return Markup(PUBLIC_CSS + rules.strip())  # noqa: S704 - our stylesheet and a template rendered with autoescape


def _html(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    css = page_css(context)
    response = templates.TemplateResponse(request, name, {**context, "inline_css": css}, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    response.headers[CSP_HEADER] = policy([source_hash(str(css))])
    return response


def message_page(request: Request, lang: Lang, kind: str, status_code: int, place: str = "") -> HTMLResponse:
    """A short page in the reader's language with the other language beneath (used for 404, 410 and 429)."""
    other: Lang = "en" if lang == "vi" else "vi"
    context = {
        "lang": lang,
        "other_lang": other,
        "t": lambda key, **values: t(key, lang, **values),
        "heading": t(f"{kind}_title", lang),
        "body": t(f"{kind}_body", lang),
        "secondary": f"{t(f'{kind}_title', other).rstrip('.!')}. {t(f'{kind}_body', other)}",
        "place": place,
        "switch_href": f"?lang={other}",
    }
    return _html(request, "message.html", context, status_code)


def form_limiters(settings: Settings) -> tuple[RateLimiter, RateLimiter]:
    """The citizen form's limits: per link per minute, per client id per hour (one pair per app)."""
    return (
        RateLimiter(settings.form_rate_per_link_per_minute, 60),
        RateLimiter(settings.form_rate_per_client_per_hour, 3600),
    )


def client_bursts() -> RecentlySeen:
    """The answers each client id and each network gave within the hour, for the bursts and the hourly budgets
    (one tracker per app, per worker)."""
    return RecentlySeen(burst.HOUR_SECONDS)


def _cookie(response: Response, request: Request, name: str, value: str, *, max_age: int, path: str = "/") -> None:
    secure = request.url.scheme == "https"
    response.set_cookie(name, value, max_age=max_age, path=path, httponly=True, samesite="lax", secure=secure)


def _browser(request: Request, settings: Settings, now: datetime) -> tuple[ClientId, str | None]:
    """This browser's client id, and the cookie to set when it is issued now (a first visit, or a cookie that is
    not one we issued)."""
    client = tokens.read_client(settings, request.cookies.get(CLIENT_COOKIE))
    if client is not None:
        return client, None
    return tokens.issue_client(settings, now=now.timestamp())


def _keep_state(
    response: Response, request: Request, settings: Settings, state: PageState, client: ClientId, token: str
) -> None:
    value = form_page.encode_state(settings, state, client, token)
    _cookie(response, request, STATE_COOKIE, value, max_age=form_page.STATE_SECONDS, path=f"/f/{token}")


def _stored(session: Session, submission_id: uuid.UUID) -> bool:
    return (
        session.scalar(select(StoredSubmission.id).where(StoredSubmission.submission_id == submission_id)) is not None
    )


@router.get("/f/{token}", response_class=HTMLResponse)
def show_form(
    token: str, request: Request, session: SessionDep, settings: SettingsDep, forms: FormsDep, lang: LangParam = None
) -> Response:
    chosen = pick_lang(lang)
    link = links.resolve(session, settings, forms, token)
    if link.dossier_link is not None and link.dossier_link.used_at is not None:
        return message_page(request, chosen, "used", 410, form_page.place(link, chosen))
    now = utcnow()
    client, new_client = _browser(request, settings, now)
    kept = form_page.read_state(settings, request.cookies.get(STATE_COOKIE), client, token, now=now)
    state = kept or PageState.new(now)
    context = form_page.page_context(
        settings,
        link,
        chosen,
        submission_id=str(state.submission_id),
        client=client,
        now=now,
        answers=state.draft,
        errors=form_page.error_messages(state.mistakes or {}, chosen),
        # Back after the thank-you page, or the code scanned again: the same id, and the citizen is told.
        already_sent=state.draft is None and kept is not None and _stored(session, state.submission_id),
    )
    response = _html(request, "form.html", context)
    if new_client is not None:
        _cookie(response, request, CLIENT_COOKIE, new_client, max_age=CLIENT_COOKIE_SECONDS)
    if kept is None:
        _keep_state(response, request, settings, state, client, token)
    return response


@router.get("/f/{token}/new", response_class=HTMLResponse)
def new_answer(
    token: str, request: Request, session: SessionDep, settings: SettingsDep, forms: FormsDep, lang: LangParam = None
) -> Response:
    """Someone else answering on the same phone: a new submission id for this browser and link, then the form."""
    chosen = pick_lang(lang)
    link = links.resolve(session, settings, forms, token)
    now = utcnow()
    client, new_client = _browser(request, settings, now)
    response = RedirectResponse(f"/f/{link.token}?lang={chosen}", status_code=303)
    response.headers["Cache-Control"] = "no-store"
    if new_client is not None:
        _cookie(response, request, CLIENT_COOKIE, new_client, max_age=CLIENT_COOKIE_SECONDS)
    _keep_state(response, request, settings, PageState.new(now), client, link.token)
    return response


@router.post("/f/{token}", response_class=HTMLResponse)
async def submit_form(
    token: str, request: Request, session: SessionDep, settings: SettingsDep, forms: FormsDep
) -> Response:
    form = await request.form()
    return await run_in_threadpool(_submit, token, request, form, session, settings, forms)


@dataclass(frozen=True)
class _Refused:
    """A refused post on its way back to the form: whose page it is, its state, the answers and what was wrong."""

    client: ClientId
    state: PageState
    answers: dict[str, Any]
    mistakes: dict[str, str]
    now: datetime
    status_code: int


def _again(request: Request, settings: Settings, link: OpenLink, lang: Lang, refused: _Refused) -> Response:
    """A refused post goes back to the form with every answer kept and what was wrong. Normally by a redirect
    (303) to the form, which shows the draft kept in the page state: the browser's history then holds no POST
    page, so Back never asks to resubmit. A draft too big for a cookie is shown at once, with its status code."""
    draft = refused.state.with_draft(refused.answers, refused.mistakes, refused.now)
    value = form_page.encode_state(settings, draft, refused.client, link.token)
    if len(value) <= form_page.STATE_COOKIE_LIMIT:
        response: Response = RedirectResponse(f"/f/{link.token}?lang={lang}#errors", status_code=303)
        response.headers["Cache-Control"] = "no-store"
        _cookie(response, request, STATE_COOKIE, value, max_age=form_page.STATE_SECONDS, path=f"/f/{link.token}")
        return response
    return _shown(request, settings, link, lang, refused)


def _shown(request: Request, settings: Settings, link: OpenLink, lang: Lang, refused: _Refused) -> Response:
    """The form shown at once with the refused answers and mistakes (the page state kept without a draft)."""
    context = form_page.page_context(
        settings,
        link,
        lang,
        submission_id=str(refused.state.submission_id),
        client=refused.client,
        now=refused.now,
        answers=refused.answers,
        errors=form_page.error_messages(refused.mistakes, lang),
    )
    response = _html(request, "form.html", context, refused.status_code)
    _keep_state(response, request, settings, refused.state.without_draft(), refused.client, link.token)
    return response


def _not_ours(
    request: Request, settings: Settings, link: OpenLink, lang: Lang, answers: dict[str, Any], now: datetime
) -> Response:
    """A post from a browser without a client id we issued (a script, or cookies cleared): nothing is stored; the
    form comes back (400) with the answers kept, a new client id and a page bound to it."""
    client, cookie = tokens.issue_client(settings, now=now.timestamp())
    mistakes = {FORM_MISTAKE: "form"}
    refused = _Refused(client, PageState.new(now), answers, mistakes, now, status_code=400)
    response = _shown(request, settings, link, lang, refused)
    _cookie(response, request, CLIENT_COOKIE, cookie, max_age=CLIENT_COOKIE_SECONDS)
    return response


def _thanks(
    request: Request, settings: Settings, client: ClientId, token: str, lang: Lang, state: PageState
) -> Response:
    """The thank-you page by a redirect; the browser keeps this page's submission id for the link (so Back and a
    second send re-send it) and drops any draft."""
    response = RedirectResponse(f"/f/{token}/thanks?lang={lang}", status_code=303)
    _keep_state(response, request, settings, state.without_draft(), client, token)
    return response


def _submit(
    token: str, request: Request, form: FormData, session: SessionDep, settings: SettingsDep, forms: FormsDep
) -> Response:
    lang = pick_lang(str(form.get("lang") or ""))
    link = links.resolve(session, settings, forms, token)
    answers = form_page.read_answers(link, form)
    now = utcnow()
    client = tokens.read_client(settings, request.cookies.get(CLIENT_COOKIE))
    if client is None:
        return _not_ours(request, settings, link, lang, answers, now)
    kept = form_page.read_state(settings, request.cookies.get(STATE_COOKIE), client, token, now=now)
    submission_id = form_page.parse_submission_id(str(form.get("submission_id") or ""))
    given = str(form.get("csrf") or "")
    checked = form_page.check_csrf(settings, token, str(submission_id), client, given, now=now)
    if submission_id is None or checked != "ok":
        # Expired, or rendered for another browser: the form again with the answers kept (its own id and token).
        mistakes = {FORM_MISTAKE: str(checked)}
        refused = _Refused(client, kept or PageState.new(now), answers, mistakes, now, status_code=400)
        return _again(request, settings, link, lang, refused)
    # This page's id from now on, whatever the browser kept before (it may have asked for a new form meanwhile).
    state = kept if kept is not None and kept.submission_id == submission_id else PageState.of(submission_id, now)
    if _stored(session, submission_id):  # sent before (double tap, refresh, Back): nothing to check or count
        return _thanks(request, settings, client, token, lang, state)
    per_link, per_client = request.app.state.form_limiters
    wait = max(per_link.retry_after(f"link:{service.link_key(link)}"), per_client.retry_after(f"client:{client.value}"))
    if wait > 0:
        page = message_page(request, lang, "slow_down", 429, form_page.place(link, lang))
        page.headers["Retry-After"] = str(int(wait) + 1)
        return page
    honeypot = bool(str(form.get("website") or "").strip())
    seen: RecentlySeen = request.app.state.form_client_bursts
    host = request.client.host if request.client else ""
    judged = service.judge(
        session, settings, seen, link, client=client, host=host, submission_id=str(submission_id), now=now
    )
    reason = "honeypot field filled" if honeypot else judged.flag.reason
    agency_id, counter_id = link.agency.id, link.counter.id if link.counter else None
    origin = Origin(
        channel=Channel.web_qr,
        agency_id=agency_id,
        counter_id=counter_id,
        dossier_link_id=link.dossier_link.id if link.dossier_link else None,
        is_suspected_spam=reason is not None,
        flag_reason=reason,
    )
    definition = link.form.definition
    submission = Submission(
        submission_id=submission_id,
        form_id=definition.id,
        form_version=definition.version,
        submitted_at=now,
        answers=prune_unasked(definition, answers),
    )
    try:
        result = service.take(
            session, settings, seen=seen, link=link, submission=submission, origin=origin, judged=judged, now=now
        )
    except SubmissionInvalid as invalid:
        mistakes = form_page.error_kinds(invalid.errors)
        return _again(request, settings, link, lang, _Refused(client, state, answers, mistakes, now, status_code=422))
    if result.status == "already_answered":
        return message_page(request, lang, "used", 410, form_page.place(link, lang))
    # Stored, or sent a moment ago by a double tap: both end on the thank-you page.
    return _thanks(request, settings, client, token, lang, state)


@router.get("/f/{token}/thanks", response_class=HTMLResponse)
def thanks(
    token: str, request: Request, session: SessionDep, settings: SettingsDep, forms: FormsDep, lang: LangParam = None
) -> Response:
    """The thanks, then what the agency (or its nearest ancestor) offers next: its hotline, where to complain, its
    opening hours; on a counter's link also a new form for someone else on the same phone."""
    chosen = pick_lang(lang)
    link = links.resolve(session, settings, forms, token)
    offers = directory.agency_offers(link.agency, default_complaint_url=settings.default_complaint_url)
    return _html(request, "thanks.html", _thanks_context(link, chosen, offers))


# The national public-service portal (Cổng Dịch vụ công quốc gia), named rather than shown as a host name.
NATIONAL_PORTAL_HOST = "dichvucong.gov.vn"


def _tel(hotline: str) -> str:
    """The ``tel:`` address of a hotline as written ("1900 1234", "+84 24 3825 6789"): its digits, after its +."""
    digits = "".join(char for char in hotline if char in "0123456789")
    return f"tel:{'+' if hotline.startswith('+') else ''}{digits}"


def _thanks_context(link: OpenLink, lang: Lang, offers: directory.AgencyOffers) -> dict[str, Any]:
    """The thank-you page in the reader's language, the other language's thanks beneath. Opening hours without an
    English text are shown in Vietnamese on the English page, marked as Vietnamese."""
    other: Lang = "en" if lang == "vi" else "vi"
    hours, hours_lang = offers.opening_hours_vi, "vi"
    if offers.opening_hours_en and (lang == "en" or not offers.opening_hours_vi):
        hours, hours_lang = offers.opening_hours_en, "en"
    host = offers.complaint_host
    portal = host is not None and host.lower() in {NATIONAL_PORTAL_HOST, f"www.{NATIONAL_PORTAL_HOST}"}
    return {
        "lang": lang,
        "other_lang": other,
        "t": lambda key, **values: t(key, lang, **values),
        "heading": t("thanks_title", lang),
        "body": t("thanks_body", lang),
        "secondary": f"{t('thanks_title', other).rstrip('.!')}. {t('thanks_body', other)}",
        "place": form_page.place(link, lang),
        "switch_href": f"?lang={other}",
        "hotline": offers.hotline,
        "hotline_href": _tel(offers.hotline) if offers.hotline else None,
        "complaint_url": offers.complaint_url,
        "complaint_note": t("thanks_complaint_portal", lang) if portal else t("thanks_complaint_site", lang, host=host),
        "hours": hours,
        "hours_lang": hours_lang if hours_lang != lang else None,
        # A dossier's link is answered once: no new form on it.
        "new_answer_href": f"/f/{link.token}/new?lang={lang}" if link.dossier_link is None else None,
    }


# --- the front door and typed counter codes -----------------------------------------------------------------

# Wrong codes one network address may type within the window before every code it types gets 429 (hits included,
# so a guesser cannot tell a found code while it waits). A citizen who mistypes tries two or three times; a whole
# office behind one address stays far below this. A random guess finds one of 10,000 counters once in ~100,000.
CODE_MISSES_PER_WINDOW = 20
CODE_MISS_WINDOW_SECONDS = 600


def code_misses() -> RecentlySeen:
    """The wrong codes each address typed recently (one tracker per app and worker, made with the app)."""
    return RecentlySeen(CODE_MISS_WINDOW_SECONDS)


def _code_misses(request: Request) -> RecentlySeen:
    tracker: RecentlySeen = request.app.state.code_misses
    return tracker


def _code_client(request: Request) -> str:
    return f"code:{request.client.host if request.client else ''}"


def _code_wait(request: Request, now: float) -> float:
    """Seconds until this address may type a code again (0: now). Each recorded miss carries its own time."""
    misses = _code_misses(request).recent(_code_client(request), now=now)
    if len(misses) < CODE_MISSES_PER_WINDOW:
        return 0.0
    return max(float(misses[-CODE_MISSES_PER_WINDOW]) + CODE_MISS_WINDOW_SECONDS - now, 1.0)


def _code_page(request: Request, lang: Lang, typed: str, status_code: int = 200) -> HTMLResponse:
    """The front door, or (with ``typed``) the page saying no counter has that code, with the box to try again."""
    other: Lang = "en" if lang == "vi" else "vi"
    context = {
        "lang": lang,
        "other_lang": other,
        "t": lambda key, **values: t(key, lang, **values),
        "switch_href": f"?lang={other}",
        "typed": typed,
        "shown_code": normalise_short_code(typed) or typed,
    }
    return _html(request, "code_not_found.html" if typed else "home.html", context, status_code)


@router.get("/", response_class=HTMLResponse)
def front_door(request: Request, lang: str | None = None) -> Response:
    """What this service is, the QR code to scan at the counter, a box for the counter's code, links for staff."""
    return _code_page(request, pick_lang(lang), "")


@router.get("/q", response_class=HTMLResponse)
def typed_code(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    forms: FormsDep,
    code: str = "",
    lang: str | None = None,
) -> Response:
    """What the front door's box sends: the code as typed, redirected to its printed form (``/q/7KX2M9``)."""
    suffix = f"?lang={pick_lang(lang)}" if lang else ""
    normalised = normalise_short_code(code)
    if normalised is None and code.strip():  # not a code at all: the same page as an unknown one
        return _open_by_code(request, session, settings, forms, code, lang)
    response = RedirectResponse(f"/q/{normalised}{suffix}" if normalised else f"/{suffix}", status_code=303)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/q/{code}", response_class=HTMLResponse)
def open_by_code(
    code: str, request: Request, session: SessionDep, settings: SettingsDep, forms: FormsDep, lang: str | None = None
) -> Response:
    """A counter's typed code opens its form (303 to its standing link); an unknown, malformed or replaced code gets
    a page with the box to try again (404), a deactivated counter's code the page its QR code gets."""
    return _open_by_code(request, session, settings, forms, code, lang)


def _open_by_code(
    request: Request, session: Session, settings: Settings, forms: FormsDep, code: str, lang: str | None
) -> Response:
    chosen = pick_lang(lang)
    now = time.monotonic()
    wait = _code_wait(request, now)
    if wait > 0:
        page = message_page(request, chosen, "code_slow_down", 429)
        page.headers["Retry-After"] = str(int(wait) + 1)
        return page
    try:
        link = links.resolve_short_code(session, settings, forms, code)
    except links.ShortCodeNotFound:
        _code_misses(request).add(_code_client(request), repr(now), now=now)
        return _code_page(request, chosen, code[:40], status_code=404)
    response = RedirectResponse(f"/f/{link.token}" + (f"?lang={chosen}" if lang else ""), status_code=303)
    response.headers["Cache-Control"] = "no-store"
    return response
