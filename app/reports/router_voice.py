"""``/api/v1/reasons``, ``/comments`` and their moderation: the citizens' voice (app/reports/voice.py), with the
same filters as every figure endpoint (app/reports/api.py); CSV downloads audited on the primary."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.cells import MEDIA
from app.deps import FormsDep, ReportsSessionDep, SessionDep, SettingsDep
from app.errors import Invalid
from app.officials.deps import AdminDep, CallerDep, client_ip
from app.reports import comments, downloads, moderation, schemas, voice
from app.reports.api import (
    AgencyQ,
    ChannelQ,
    FieldQ,
    FormQ,
    FromQ,
    LevelQ,
    MethodQ,
    SourceQ,
    SubtreeQ,
    ToQ,
    WeightedQ,
    audit_download,
    meta_out,
)
from app.responses.selection import Filters
from app.stats.intervals import METHODS

router = APIRouter(prefix="/api/v1", tags=["satisfaction"])


CounterQ = Annotated[
    str | None,
    Query(max_length=200, description="One counter: AGENCY/CODE, or CODE of `agency`", examples=["MA-X01/Q01"]),
]
VOICE_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not logged in"},
    404: {"description": "No such agency, form or counter (or not yours)"},
    422: {"description": "A parameter is wrong; the message names it"},
}
CSV_DOWNLOAD: dict[int | str, dict[str, Any]] = {200: {"content": {"text/csv": {}}}}
MASKED_NOTE = {
    "vi": "Thông tin cá nhân trong góp ý (số điện thoại, email, mã số, tên) đã được che.",
    "en": "Personal data in the comments (phone numbers, e-mail addresses, ID numbers, names) is masked.",
}


def _csv(
    request: Request,
    caller: CallerDep,
    primary: Session,
    settings: SettingsDep,
    *,
    name: str,
    columns: list[str],
    rows: list[dict[str, Any]],
    notes: Sequence[str],
) -> Response:
    """A CSV download (machine columns), audited on the ``primary`` before it is sent; named with the local date."""
    audit_download(request, caller, primary, name=name, fmt="csv", rows=len(rows))
    filename = f"sipas-{name}-{datetime.now(settings.zone).date().isoformat()}.csv"
    return Response(
        downloads.to_csv(columns, rows, notes),
        media_type=MEDIA["csv"],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _reason_option(share: voice.ReasonShare) -> schemas.ReasonOptionOut:
    found = share.estimate
    return schemas.ReasonOptionOut(
        option=share.option,
        label=share.label.vi,
        label_en=share.label.en,
        count=share.count,
        share_pct=found.estimate * 100 if found else None,
        ci_low_pct=found.low * 100 if found else None,
        ci_high_pct=found.high * 100 if found else None,
        se_pct=found.se * 100 if found else None,
        n_eff=found.n_eff if found and math.isfinite(found.n_eff) else None,
        deff=found.deff if found and math.isfinite(found.deff) else None,
        df=found.df if found else None,
        flags=list(found.flags) if found else [],
        unreliable=found.unreliable if found else True,
        method=found.method if found else None,
        level=found.level if found else None,
    )


@router.get("/reasons", response_model=schemas.ReasonsOut, responses={**CSV_DOWNLOAD, **VOICE_ERRORS}, tags=["voice"])
def get_reasons(
    *,
    request: Request,
    caller: CallerDep,
    session: ReportsSessionDep,
    primary: SessionDep,
    settings: SettingsDep,
    forms: FormsDep,
    agency: AgencyQ = None,
    subtree: SubtreeQ = True,
    date_from: FromQ = None,
    date_to: ToQ = None,
    form: FormQ = None,
    channel: ChannelQ = None,
    procedure_field: FieldQ = None,
    counter: CounterQ = None,
    method: MethodQ = "beta",
    level: LevelQ = 0.95,
    weighted: WeightedQ = None,
    source: SourceQ = None,
    format: Annotated[Literal["json", "csv"], Query(description="json, or a csv download of the options")] = "json",
) -> Any:
    """Why citizens are dissatisfied: for each option of the form's reason question (asked after a dissatisfied
    answer), the answers that chose it and its weighted share among those who answered the question, with the
    interval and reliability flags of every figure (same design, weights and rule). Several reasons may be chosen:
    shares add up to more than 100%."""
    if method not in METHODS:
        raise Invalid(f"/query/method: {method!r} is not one of {', '.join(METHODS)}")
    filters = Filters(
        agency=agency,
        subtree=subtree,
        date_from=date_from,
        date_to=date_to,
        form=form,
        channel=channel,
        procedure_field=procedure_field,
        method=method,  # type: ignore[arg-type]
        level=level,
        weighted=weighted,
        source=source,
    )
    found = voice.reasons(session, scope=caller.scope, forms=forms, filters=filters, counter=counter)
    questions = [
        schemas.ReasonQuestionOut(
            item=tally.item,
            question=tally.question.vi,
            question_en=tally.question.en,
            asked_after_item=tally.after_item,
            asked_after_levels=list(tally.after_levels),
            asked=tally.asked,
            options=[_reason_option(share) for share in tally.shares],
        )
        for tally in found.tallies
    ]
    if format == "csv":
        rows = [
            {"item": question.item, "asked": question.asked, **option.model_dump()}
            for question in questions
            for option in question.options
        ]
        columns = ["item", "asked", *schemas.ReasonOptionOut.model_fields]
        notes = [found.meta.coverage["vi"], found.meta.coverage["en"]]
        return _csv(request, caller, primary, settings, name="reasons", columns=columns, rows=rows, notes=notes)
    return schemas.ReasonsOut(meta=meta_out(found.meta, session), counter=found.counter, questions=questions)


def _comment(entry: comments.CommentEntry) -> schemas.CommentOut:
    return schemas.CommentOut(
        response_id=entry.response_id,
        submitted_at=entry.submitted_at,
        local_date=entry.local_date,
        agency=entry.agency,
        agency_name=entry.agency_name.vi,
        counter=entry.counter,
        counter_name=entry.counter_name.vi if entry.counter_name else None,
        channel=entry.channel.value,
        answer=entry.lead_answer,
        text=entry.text,
        hidden=entry.hidden,
        moderated_by=entry.moderated_by,
        moderated_at=entry.moderated_at,
        moderation_reason=entry.moderation_reason,
    )


def _choice(choice: comments.Choice) -> schemas.CommentChoiceOut:
    return schemas.CommentChoiceOut(code=choice.code, name=choice.name.vi, levels=[value for value, _ in choice.levels])


COMMENT_COLUMNS = [
    *("response_id", "local_date", "submitted_at", "agency", "agency_name", "counter", "counter_name", "channel"),
    *("answer", "text"),
]


@router.get(
    "/comments",
    response_model=schemas.CommentsOut,
    responses={**CSV_DOWNLOAD, **VOICE_ERRORS, 403: {"description": "hidden=true: administrators only"}},
    tags=["voice"],
)
def get_comments(
    *,
    request: Request,
    caller: CallerDep,
    session: SessionDep,
    settings: SettingsDep,
    forms: FormsDep,
    agency: AgencyQ = None,
    subtree: SubtreeQ = True,
    date_from: FromQ = None,
    date_to: ToQ = None,
    form: FormQ = None,
    channel: ChannelQ = None,
    counter: CounterQ = None,
    element: Annotated[
        str | None,
        Query(max_length=64, description="An element code or a scale question's code (default: the lead question)"),
    ] = None,
    answer: Annotated[
        str | None, Query(max_length=64, description="Answer levels to that question: 1,2 or 1-2", examples=["1-2"])
    ] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=comments.MAX_QUERY_LENGTH, description="Words to find, with or without diacritics (cham ~ chậm)"
        ),
    ] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=comments.MAX_PER_PAGE)] = comments.PER_PAGE,
    hidden: Annotated[bool, Query(description="The hidden comments instead (administrators)")] = False,
    lang: Annotated[downloads.Lang, Query(description="The masks' language: [số điện thoại] or [phone number]")] = "vi",
    format: Annotated[
        Literal["json", "csv"], Query(description="json (one page), or csv: every matching comment")
    ] = "json",
) -> Any:
    """Citizens' comments, newest first, with personal data masked (phone numbers, e-mail addresses, ID and dossier
    numbers, names after "tôi là"/"tên tôi là"): the raw text is never sent. Suspected spam, test responses and
    comments hidden by an administrator are left out."""
    asked = comments.CommentFilters(
        selection=Filters(
            agency=agency, subtree=subtree, date_from=date_from, date_to=date_to, form=form, channel=channel
        ),
        counter=counter,
        element=element,
        answer=answer,
        q=q,
        page=page,
        per_page=per_page,
        hidden=hidden,
    )
    if format == "csv":
        entries = comments.all_comments(session, scope=caller.scope, forms=forms, asked=asked, lang=lang)
        rows = [_comment(entry).model_dump() for entry in entries]
        notes = [MASKED_NOTE[lang]]
        return _csv(
            request, caller, session, settings, name="comments", columns=COMMENT_COLUMNS, rows=rows, notes=notes
        )
    found = comments.comments(
        session, scope=caller.scope, forms=forms, asked=asked, lang=lang, hidden_allowed=caller.scope.is_admin
    )
    return schemas.CommentsOut(
        form=found.form,
        lead=_choice(found.lead) if found.lead else None,
        choices=[_choice(choice) for choice in found.choices],
        counter=found.counter,
        total=found.total,
        hidden_total=found.hidden_total,
        page=found.page,
        per_page=found.per_page,
        pages=found.pages,
        items=[_comment(entry) for entry in found.items],
    )


ResponseIdPath = Annotated[int, Path(ge=1, le=2**63 - 1, description="The comment's response id")]
MODERATION_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "The body could not be read (not UTF-8 JSON)"},
    401: {"description": "Not logged in"},
    403: {"description": "Not an administrator"},
    404: {"description": "No comment with this response id in the caller's scope (nothing was changed)"},
    422: {"description": "Invalid body: the message names the field (the reason is required)"},
}


@router.post(
    "/comments/{response_id}/hide",
    name="hide_comment",
    response_model=schemas.CommentModerationOut,
    responses=MODERATION_ERRORS,
    summary="Hide an abusive comment from the feed and its export (administrators; reason required; audited)",
    tags=["voice"],
)
@router.post(
    "/comments/{response_id}/show",
    name="show_comment",
    response_model=schemas.CommentModerationOut,
    responses=MODERATION_ERRORS,
    summary="Show a hidden comment again (administrators; reason required; audited)",
    tags=["voice"],
)
def moderate_comment(
    response_id: ResponseIdPath,
    body: schemas.CommentModerationIn,
    caller: AdminDep,
    session: SessionDep,
    forms: FormsDep,
    request: Request,
) -> schemas.CommentModerationOut:
    # One route for both addresses (no docstring: the two summaries describe them); the last word says which.
    found = moderation.moderate(
        session,
        scope=caller.scope,
        forms=forms,
        response_id=response_id,
        hide=request.url.path.endswith("/hide"),
        reason=body.reason,
        client_ip=client_ip(request),
    )
    return schemas.CommentModerationOut(**asdict(found))
