"""``/dashboard/voice`` and ``/dashboard/agencies/{code}/voice``: the citizens' voice — why people are dissatisfied
(the tally of the reason question, with intervals where the data allow) and what they wrote (the comments feed:
filters, search with or without diacritics, pages), personal data masked; administrators hide an abusive comment and
show it again (``POST /dashboard/comments/{id}/hide|show``, with the session's CSRF token and a reason).

Every number and every text comes from :mod:`app.reports.voice` and :mod:`app.reports.comments` (which masks
before anything leaves it); this module lays them out. The chart is :mod:`app.dashboard.voice_charts`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from app.dashboard import format, voice_charts
from app.dashboard.i18n import t
from app.dashboard.rendering import FormViewerDep, ViewerDep, lang_of, message_page, page_router, render_page
from app.dashboard.views import Chosen, agency_name, read_filters
from app.deps import FormsDep, SessionDep, SettingsDep
from app.directory.models import Agency
from app.errors import Invalid, NotFound, SipasError
from app.forms.schemas import Text
from app.officials.deps import client_ip
from app.officials.scope import visible_agency
from app.public.i18n import Lang
from app.reports import comments, moderation, voice
from app.reports.query import COVERAGE
from app.responses.models import Channel

router = page_router()

ResponseId = Annotated[int, Path(ge=1, le=2**63 - 1)]


def _text(value: Text | None, lang: Lang) -> str:
    if value is None:
        return ""
    return (value.en or value.vi) if lang == "en" else value.vi


@dataclass(frozen=True)
class Asked:
    """What the page was asked, beyond the period, channel and form of every figure page."""

    counter: str | None
    element: str | None
    answer: str | None
    q: str | None
    hidden: bool
    page: int | None  # None: not a whole number ≥ 1

    def query(self, chosen: Chosen, **changes: Any) -> dict[str, str]:
        """The page's query string values (``changes`` override them; None drops one)."""
        values: dict[str, Any] = {
            **chosen.query(),
            "counter": self.counter,
            "element": self.element,
            "answer": self.answer,
            "q": self.q,
            "hidden": "1" if self.hidden else None,
        }
        values.update(changes)
        return {key: str(value) for key, value in values.items() if value is not None}


def _asked(params: dict[str, str], admin: bool) -> Asked:
    def given(name: str) -> str | None:
        return params.get(name, "").strip() or None

    raw_page = params.get("page", "1").strip() or "1"
    page = int(raw_page) if raw_page.isdigit() and 1 <= int(raw_page) <= 1_000_000 else None
    return Asked(
        given("counter"), given("element"), given("answer"), given("q"), admin and params.get("hidden") == "1", page
    )


def _levels_label(levels: tuple[int, ...], lang: Lang) -> str:
    """1, 2 → "1–2"; 1, 3 → "1, 3"."""
    if len(levels) > 1 and list(levels) == list(range(levels[0], levels[-1] + 1)):
        return f"{levels[0]}–{levels[-1]}"
    return ", ".join(str(level) for level in levels) if lang == "en" else "; ".join(str(level) for level in levels)


def _answer_options(choice: comments.Choice | None, lang: Lang) -> list[tuple[str, str]]:
    """(value, label) of the answer filter: each level, and the two lowest and two highest together."""
    if choice is None:
        return []
    levels = list(choice.levels)
    options = [(str(value), f"{value} – {_text(label, lang)}") for value, label in levels]
    if len(levels) >= 4:
        low, high = levels[:2], levels[-2:]
        for pair in (low, high):
            value = f"{pair[0][0]}-{pair[1][0]}"
            label = f"{pair[0][0]}–{pair[1][0]} ({_text(pair[0][1], lang)}, {_text(pair[1][1], lang)})"
            options.append((value, label))
    return options


def _reasons_context(found: voice.Reasons, lang: Lang) -> list[dict[str, Any]]:
    """Each reason question: its wording, base, chart and rows (a share only where the rule allows one)."""
    level = format.pct(found.meta.level, lang, 0)
    out: list[dict[str, Any]] = []
    for index, tally in enumerate(found.tallies):
        bars = [
            voice_charts.ReasonBar(share.option, _text(share.label, lang), share.count, share.estimate)
            for share in tally.shares
        ]
        drawn = [bar for bar in bars if bar.drawn and bar.estimate is not None]
        top = max(drawn, key=lambda bar: bar.estimate.estimate if bar.estimate else 0.0, default=None)
        summary = (
            t("voice_chart_summary", lang, name=top.label, value=format.pct(top.estimate.estimate, lang))
            if top is not None and top.estimate is not None
            else t("voice_chart_summary_none", lang)
        )
        chart_id = f"reasons-chart-{index}" if index else "reasons-chart"
        out.append(
            {
                "id": chart_id,
                "item": tally.item,
                "question": _text(tally.question, lang),
                "after": _text(tally.after_question, lang),
                "levels": _levels_label(tally.after_levels, lang),
                "asked": tally.asked,
                "chart": voice_charts.reasons_chart(
                    chart_id,
                    t("voice_chart_title", lang),
                    bars,
                    lang=lang,
                    summary=summary,
                    not_enough=t("voice_not_enough", lang),
                    answers=t("voice_answers", lang, n="{n}"),
                )
                if tally.asked
                else Markup(""),
                "axis_end": format.pct(voice_charts.axis_end(bars), lang, 0),
                "rows": [
                    {
                        "key": bar.key,
                        "label": bar.label,
                        "count": bar.count,
                        "estimate": bar.estimate,
                        "drawn": bar.drawn,
                    }
                    for bar in bars
                ],
                "level": level,
            }
        )
    return out


def _comment_context(entry: comments.CommentEntry, lead: comments.Choice | None, lang: Lang) -> dict[str, Any]:
    counter = _text(entry.counter_name, lang) if entry.counter_name else None
    rating = None
    if lead is not None and entry.lead_answer is not None:
        rating = t("voice_rating", lang, value=entry.lead_answer, label=_text(entry.lead_label, lang))
    return {
        "id": entry.response_id,
        "date": entry.local_date,
        "submitted_at": entry.submitted_at,
        "agency": _text(entry.agency_name, lang),
        "counter": counter,
        "channel": t(f"channel_{entry.channel.value}", lang),
        "rating": rating,
        "low": entry.lead_answer is not None and entry.lead_answer <= 2,
        "text": entry.text,
        "hidden": entry.hidden,
        "moderated_by": entry.moderated_by,
        "moderated_at": entry.moderated_at,
        "moderation_reason": entry.moderation_reason,
    }


def _voice_page(
    request: Request,
    viewer: ViewerDep,
    session: SessionDep,
    settings: SettingsDep,
    forms: FormsDep,
    agency: Agency | None,
) -> Response:
    lang = lang_of(request)
    params = dict(request.query_params)
    today = datetime.now(settings.zone).date()
    chosen = read_filters(params, forms, today)
    asked = _asked(params, viewer.scope.is_admin)
    filters = chosen.filters(agency.code if agency else None)
    errors: list[str] = [t(key, lang, value=value, message=value) for key, value in chosen.errors]
    status = 422 if chosen.errors else 200
    if asked.page is None:
        errors.append(t("voice_bad_page", lang))
        status = 422
    reasons = page = None
    try:
        reasons = voice.reasons(session, scope=viewer.scope, forms=forms, filters=filters, counter=asked.counter)
        page = comments.comments(
            session,
            scope=viewer.scope,
            forms=forms,
            asked=comments.CommentFilters(
                filters, asked.counter, asked.element, asked.answer, asked.q, asked.page or 1, hidden=asked.hidden
            ),
            lang=lang,
            hidden_allowed=viewer.scope.is_admin,
        )
    except SipasError as refused:
        if not isinstance(refused, Invalid | NotFound):
            raise
        errors.append(t("bad_filters", lang, message=refused.message))
        status = 404 if isinstance(refused, NotFound) else 422
    name = (
        agency_name(agency, lang)
        if agency
        else (agency_name(viewer.root, lang) if viewer.root else t("national", lang))
    )
    here = request.url.path
    base = asked.query(chosen)

    def link(**changes: Any) -> str:
        return f"{here}?{urlencode(asked.query(chosen, **changes))}"

    choices = page.choices if page else []
    chosen_choice = next((choice for choice in choices if choice.code == asked.element), None)
    if chosen_choice is None and choices:  # the element select shows its first option: the answers are its levels
        chosen_choice = choices[0]
    context: dict[str, Any] = {
        "page_title": t("voice_title_of", lang, name=name),
        "agency": agency,
        "agency_label": agency_name(agency, lang) if agency else "",
        "chosen": chosen,
        "asked": asked,
        "errors": errors,
        "reasons": _reasons_context(reasons, lang) if reasons else [],
        "reasons_meta": reasons.meta if reasons else None,
        "comments": page,
        "entries": [_comment_context(entry, page.lead, lang) for entry in page.items] if page else [],
        "counters": [
            (choice.value, f"{_text(choice.name, lang)} – {_text(choice.agency_name, lang)}")
            for choice in voice.counters_below(session, scope=viewer.scope, root=agency or viewer.root)
        ],
        "choices": [(choice.code, _text(choice.name, lang)) for choice in choices],
        "answer_options": _answer_options(chosen_choice, lang),
        "channels": [(channel.value, t(f"channel_{channel.value}", lang)) for channel in Channel],
        "form_ids": sorted({key[0] for key in forms}),
        "hidden_fields": {
            "voice": {key: value for key, value in base.items() if key in ("from", "to", "form", "channel", "counter")},
            "period": {key: value for key, value in base.items() if key in ("element", "answer", "q", "hidden")},
        },
        "prev_href": link(page=page.page - 1) if page and page.page > 1 else None,
        "next_href": link(page=page.page + 1) if page and page.page < page.pages else None,
        "hidden_href": link(hidden="1", page=None),
        "visible_href": link(hidden=None, page=None),
        "back_here": f"{here}?{urlencode({**base, **({'page': str(asked.page)} if asked.page else {})})}",
        "exports": {
            "comments": f"/api/v1/comments?{urlencode(_api_query(agency, base, {'format': 'csv', 'lang': lang}))}",
            "reasons": f"/api/v1/reasons?{urlencode(_api_query(agency, base, {'format': 'csv'}, reasons_only=True))}",
        },
        "moderated": params.get("moderated") if params.get("moderated") in ("hidden", "shown") else None,
        "coverage": (reasons.meta.coverage.get(lang) if reasons else None) or COVERAGE[lang],
        "is_admin": viewer.scope.is_admin,
    }
    return render_page(request, viewer, "voice.html", context, nav="voice", status_code=status)


def _api_query(
    agency: Agency | None, base: dict[str, str], extra: dict[str, str], *, reasons_only: bool = False
) -> dict[str, str]:
    """The page's filters as the API's query (empty dates dropped: the API's default is all data too)."""
    wanted = ("from", "to", "form", "channel", "counter") if reasons_only else tuple(base)
    query = {key: value for key, value in base.items() if key in wanted and value and key != "hidden"}
    if agency is not None:
        query["agency"] = agency.code
    return {**query, **extra}


@router.get("/voice", response_class=HTMLResponse)
def scope_voice(
    request: Request, viewer: ViewerDep, session: SessionDep, settings: SettingsDep, forms: FormsDep
) -> Response:
    """The citizens' voice for the official's whole scope."""
    return _voice_page(request, viewer, session, settings, forms, viewer.root)


@router.get("/agencies/{code}/voice", response_class=HTMLResponse)
def agency_voice(
    code: str, request: Request, viewer: ViewerDep, session: SessionDep, settings: SettingsDep, forms: FormsDep
) -> Response:
    """One agency and everything below it."""
    agency = visible_agency(session, viewer.scope, code)  # NotFound → the 404 page, as for an unknown code
    return _voice_page(request, viewer, session, settings, forms, agency)


def _safe_back(value: str) -> str:
    """Back to a voice page of the dashboard only (no open redirect)."""
    path = value.split("?", 1)[0]
    if value.startswith("/dashboard/") and path.endswith("/voice") and not value.startswith("//") and "\\" not in value:
        return value
    return "/dashboard/voice"


@router.post("/comments/{response_id}/hide")
@router.post("/comments/{response_id}/show")
def moderate_comment(
    response_id: ResponseId,
    request: Request,
    viewer: FormViewerDep,
    session: SessionDep,
    forms: FormsDep,
    reason: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "",
) -> Response:
    """``…/hide`` an abusive comment from the feed and its export, or ``…/show`` it again (administrators, with a
    reason; audited), then back to the voice page the form was on."""
    if not viewer.scope.is_admin:
        return message_page(request, "forbidden", 403, "voice_forbidden_body")
    if not reason.strip():
        return message_page(request, "voice_moderation", 422, "voice_reason_missing")
    if len(reason.strip()) > 500:
        return message_page(request, "voice_moderation", 422, "voice_reason_long")
    hide = request.url.path.endswith("/hide")
    moderation.moderate(
        session,
        scope=viewer.scope,
        forms=forms,
        response_id=response_id,
        hide=hide,
        reason=reason,
        client_ip=client_ip(request),
    )  # NotFound (outside the scope, unknown, no comment) → the 404 page
    target = _safe_back(back)
    joiner = "&" if "?" in target else "?"
    done = "hidden" if hide else "shown"
    return RedirectResponse(f"{target}{joiner}moderated={done}#comments", 303)
