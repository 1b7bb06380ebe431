"""``/ket-qua``: the public results page, no login. Every publication an agency chose to make public, with its
interval and verdict; a search by agency name with or without diacritics; each agency's history; the figures as
open data (CSV, JSON, Parquet) and the printed report.

Server-rendered, no script, one inline stylesheet allowed by its hash. A figure the reliability rule calls
unreliable reads "chưa đủ dữ liệu", never a number, here and in the downloads (:mod:`app.publications.open_data`).
"""

from __future__ import annotations

import functools
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from app.dashboard.format import day, number, pct
from app.deps import SessionDep
from app.errors import NotFound, TooManyRequests
from app.public.i18n import Lang
from app.publications import open_data, service
from app.publications.models import Publication
from app.publications.report import report_pdf
from app.publications.words import say
from app.ratelimit import RateLimiter
from app.reports.output import VERDICTS
from app.security import CSP_HEADER, policy, source_hash

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(FilePath(__file__).parent / "templates"))
CSS = (FilePath(__file__).parent / "templates" / "results.css").read_text(encoding="utf-8")
STYLE = Markup(CSS)  # noqa: S704 - our own stylesheet file, allowed by the page's policy by its hash
LangQ = Annotated[str | None, Query(pattern="^(vi|en)$")]
SearchQ = Annotated[str, Query(max_length=100)]
IdP = Annotated[int, Path(ge=1, le=2**31 - 1)]
CACHE = {"Cache-Control": "public, max-age=300"}  # the same for everyone: a publication never changes
RENDERS = 10  # new public reports typeset a minute, per worker: each costs 1.5–2.5 s of a core
_RENDERS = RateLimiter(RENDERS, 60)
FORMATS = {
    "csv": ("text/csv; charset=utf-8", open_data.as_csv),
    "json": ("application/json", open_data.as_json),
    "parquet": ("application/vnd.apache.parquet", open_data.as_parquet),
}


def _lang(value: str | None) -> Lang:
    return "en" if value == "en" else "vi"


def _page(request: Request, name: str, context: dict[str, Any], lang: Lang, status: int = 200) -> HTMLResponse:
    words = functools.partial(say, lang=lang)
    response = templates.TemplateResponse(
        request, name, {**context, "lang": lang, "say": words, "css": STYLE}, status_code=status
    )
    response.headers[CSP_HEADER] = policy([source_hash(CSS)])
    response.headers.update(CACHE if status == 200 else {"Cache-Control": "no-store"})
    return response


def _headline(publication: Publication, lang: Lang) -> dict[str, str]:
    """The subtree's SIPAS as the page prints it: the rate and interval, or "not enough data"; the verdict."""
    return _figure(service.headline(publication.content), lang)


def _figure(row: dict[str, Any] | None, lang: Lang) -> dict[str, str]:
    if row is None:
        return {"rate": "–", "interval": "", "verdict": "", "weak": ""}
    verdict = VERDICTS[row.get("verdict") or ""][lang]
    if row.get("unreliable"):
        return {"rate": say("not_enough", lang), "interval": "", "verdict": verdict, "weak": "weak"}
    interval = f"{pct(row['ci_low_pct'] / 100, lang)} – {pct(row['ci_high_pct'] / 100, lang)}"
    return {"rate": pct(row["estimate_pct"] / 100, lang), "interval": interval, "verdict": verdict, "weak": ""}


def _period(publication: Publication, lang: Lang) -> str:
    return f"{day(publication.period_start, lang)} – {day(publication.period_end, lang)}"


def _name(publication: Publication, lang: Lang) -> str:
    agency = publication.content["agency"]
    return str(agency["name"]) if agency else say("national", lang)


@router.get("/ket-qua", response_class=HTMLResponse)
def results(request: Request, session: SessionDep, lang: LangQ = None, q: SearchQ = "") -> HTMLResponse:
    """Each agency's latest public publication in force, found by name or code with or without diacritics."""
    chosen = _lang(lang)
    wanted = open_data.folded(q.strip())
    latest: dict[int | None, Publication] = {}
    for found in service.public_publications(session):
        if found.superseded_by_id is None and found.agency_id not in latest:
            latest[found.agency_id] = found
    entries = []
    for found in sorted(latest.values(), key=lambda p: open_data.folded(_name(p, chosen))):
        agency = found.content["agency"] or {}
        haystack = open_data.folded(f"{_name(found, chosen)} {agency.get('code') or ''}")
        if wanted and wanted not in haystack:
            continue
        entries.append(
            {"id": found.id, "name": _name(found, chosen), "period": _period(found, chosen), **_headline(found, chosen)}
        )
    context = {"entries": entries, "q": q, "total": len(latest), "other": "en" if chosen == "vi" else "vi"}
    return _page(request, "results.html", context, chosen)


@router.get("/ket-qua/{publication_id}", response_class=HTMLResponse)
def result(request: Request, publication_id: IdP, session: SessionDep, lang: LangQ = None) -> HTMLResponse:
    chosen = _lang(lang)
    try:
        found = service.public_publication(session, publication_id)
    except NotFound:
        return _page(request, "results_missing.html", {"other": "en" if chosen == "vi" else "vi"}, chosen, 404)
    content = found.content
    units = sorted(
        content["overall"]["rows"],
        key=lambda row: (bool(row.get("unreliable")), -float(row.get("estimate_pct") or 0)),
    )
    history = [p for p in service.public_publications(session) if p.agency_id == found.agency_id]
    successor = next((p for p in history if p.id == found.superseded_by_id), None)
    context = {
        "publication": found,
        "name": _name(found, chosen),
        "period": _period(found, chosen),
        "headline": _headline(found, chosen),
        "answers": number(content["meta"]["responses"], chosen),
        "units": [{"name": row.get("agency_name") or row.get("agency"), **_figure(row, chosen)} for row in units],
        "elements": [
            {"name": row["name"], **_figure(row, chosen)}
            for row in content["detail"]["total"]
            if row["kind"] in ("element", "item")
        ],
        "history": [{"id": p.id, "period": _period(p, chosen), "superseded": p.superseded_by_id} for p in history],
        "successor": successor,
        "published": day(found.published_at.date(), chosen),
        "cutoff": content["data_cutoff"] or "–",
        "licence": open_data.LICENCE,
        "other": "en" if chosen == "vi" else "vi",
    }
    return _page(request, "result.html", context, chosen)


@router.get("/ket-qua/{publication_id}/figures.{fmt}")
def download(publication_id: IdP, fmt: str, session: SessionDep) -> Response:
    """The publication's figures as open data: CSV (UTF-8 with BOM), JSON or Parquet; the columns are documented in
    docs/publications.md."""
    if fmt not in FORMATS:
        raise NotFound(f"no format {fmt!r}: csv, json or parquet")
    found = service.public_publication(session, publication_id)
    media, write = FORMATS[fmt]
    name = f"sipas-publication-{found.id}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', **CACHE}
    return Response(write(found), media_type=media, headers=headers)


def _within_budget() -> None:
    """Anyone may ask for a report: at most :data:`RENDERS` new ones a minute per worker (kept ones are free)."""
    wait = _RENDERS.retry_after("public-report")
    if wait:
        raise TooManyRequests("too many printed reports asked for; retry in a minute", retry_after_seconds=wait)


@router.get("/ket-qua/{publication_id}/report.pdf")
def public_report(publication_id: IdP, session: SessionDep, lang: LangQ = None) -> Response:
    """The printed report of a public publication (typeset on first request, then kept)."""
    found = service.public_publication(session, publication_id)
    chosen = _lang(lang)
    headers = {"Content-Disposition": f'attachment; filename="sipas-publication-{found.id}-{chosen}.pdf"', **CACHE}
    content = report_pdf(session, found, chosen, may_render=_within_budget)
    return Response(content, media_type="application/pdf", headers=headers)
