"""The citizen pages: the form behind a counter's QR code, its thank-you page, and friendly error pages."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from app.config import Settings
from app.db import utcnow
from app.deps import FormsDep, SessionDep, SettingsDep
from app.public import burst, form_page, links
from app.public.i18n import Lang, pick_lang, t
from app.public.ratelimit import RateLimiter, RecentlySeen
from app.responses.ingest import Origin, Submission, SubmissionInvalid, ingest, prune_unasked
from app.responses.models import Channel
from app.security import CSP_HEADER, policy, source_hash

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
PUBLIC_CSS = (Path(__file__).parent / "templates" / "public.css").read_text(encoding="utf-8")
CLIENT_COOKIE = "sipas_client"
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


def _client_key(request: Request) -> str:
    """A browser's own cookie when it has one (many citizens share one office network), else address + agent."""
    cookie = request.cookies.get(CLIENT_COOKIE)
    if cookie:
        return f"c:{cookie}"
    seen = f"{request.client.host if request.client else ''}|{request.headers.get('user-agent', '')}"
    return "a:" + hashlib.sha256(seen.encode()).hexdigest()[:24]


def form_limiters(settings: Settings) -> tuple[RateLimiter, RateLimiter]:
    """The citizen form's limits: per link per minute, per client per hour (one pair per app)."""
    return (
        RateLimiter(settings.form_rate_per_link_per_minute, 60),
        RateLimiter(settings.form_rate_per_client_per_hour, 3600),
    )


def client_bursts() -> RecentlySeen:
    """Each browser's recent submissions, for the burst rule (one tracker per app, per worker)."""
    return RecentlySeen(burst.WINDOW_SECONDS)


@router.get("/f/{token}", response_class=HTMLResponse)
def show_form(
    token: str, request: Request, session: SessionDep, settings: SettingsDep, forms: FormsDep, lang: LangParam = None
) -> Response:
    chosen = pick_lang(lang)
    link = links.resolve(session, settings, forms, token)
    if link.dossier_link is not None and link.dossier_link.used_at is not None:
        return message_page(request, chosen, "used", 410, form_page.place(link, chosen))
    context = form_page.page_context(settings, link, chosen, submission_id=str(uuid.uuid4()))
    response = _html(request, "form.html", context)
    if CLIENT_COOKIE not in request.cookies:
        response.set_cookie(
            CLIENT_COOKIE, secrets.token_urlsafe(16), max_age=365 * 86400, httponly=True, samesite="lax",
            secure=request.url.scheme == "https",
        )  # fmt: skip
    return response


@router.post("/f/{token}", response_class=HTMLResponse)
async def submit_form(
    token: str, request: Request, session: SessionDep, settings: SettingsDep, forms: FormsDep
) -> Response:
    form = await request.form()
    return await run_in_threadpool(_submit, token, request, form, session, settings, forms)


def _submit(
    token: str, request: Request, form: FormData, session: SessionDep, settings: SettingsDep, forms: FormsDep
) -> Response:
    lang = pick_lang(str(form.get("lang") or ""))
    link = links.resolve(session, settings, forms, token)
    definition = link.form.definition
    answers = form_page.read_answers(definition, form)
    submission_id = form_page.parse_submission_id(str(form.get("submission_id") or ""))
    if submission_id is None or not form_page.csrf_ok(settings, token, str(submission_id), str(form.get("csrf", ""))):
        # A page not rendered by us (or tampered with): show a fresh form with the answers kept.
        context = form_page.page_context(settings, link, lang, submission_id=str(uuid.uuid4()),
                                         answers=answers, errors={"_form": t("error_form", lang)})  # fmt: skip
        return _html(request, "form.html", context, 400)
    per_link, per_client = request.app.state.form_limiters
    wait = max(per_link.retry_after(f"link:{token}"), per_client.retry_after(_client_key(request)))
    if wait > 0:
        page = message_page(request, lang, "slow_down", 429, form_page.place(link, lang))
        page.headers["Retry-After"] = str(int(wait) + 1)
        return page
    honeypot = bool(str(form.get("website") or "").strip())
    now = utcnow()
    agency_id, counter_id = link.agency.id, link.counter.id if link.counter else None
    client, seen = _client_key(request), request.app.state.form_client_bursts
    earlier = [value for value in seen.recent(client) if value != str(submission_id)]
    on_link = burst.link_count(session, settings, agency_id, counter_id, now) + 1
    verdict = burst.judge(settings, on_link=on_link, from_client=len(earlier) + 1)
    if link.dossier_link is not None:  # single-use: cannot be stuffed
        verdict = burst.Verdict(None)
    reason = "honeypot field filled" if honeypot else verdict.reason
    origin = Origin(
        channel=Channel.web_qr,
        agency_id=agency_id,
        counter_id=counter_id,
        dossier_link_id=link.dossier_link.id if link.dossier_link else None,
        is_suspected_spam=reason is not None,
        flag_reason=reason,
    )
    submission = Submission(
        submission_id=submission_id,
        form_id=definition.id,
        form_version=definition.version,
        submitted_at=now,
        answers=prune_unasked(definition, answers),
    )
    try:
        result = ingest(session, settings, link.form, submission, origin, now=now)
    except SubmissionInvalid as invalid:
        errors = form_page.error_messages(invalid.errors, lang)
        context = form_page.page_context(settings, link, lang, submission_id=str(submission_id), answers=answers,
                                         errors=errors)  # fmt: skip
        return _html(request, "form.html", context, 422)
    if result.status == "already_answered":
        return message_page(request, lang, "used", 410, form_page.place(link, lang))
    if result.status == "stored":
        seen.add(client, str(submission_id))
        burst.flag_earlier(session, settings, verdict, agency_id=agency_id, counter_id=counter_id,
                           client_submissions=earlier, now=now)  # fmt: skip
    # stored, or a repeat of this very page (double tap, refresh, back): both end on the thank-you page.
    return RedirectResponse(f"/f/{token}/thanks?lang={lang}", status_code=303)


@router.get("/f/{token}/thanks", response_class=HTMLResponse)
def thanks(
    token: str, request: Request, session: SessionDep, settings: SettingsDep, forms: FormsDep, lang: LangParam = None
) -> Response:
    chosen = pick_lang(lang)
    link = links.resolve(session, settings, forms, token)
    return message_page(request, chosen, "thanks", 200, form_page.place(link, chosen))
