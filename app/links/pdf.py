"""Posters as PDF: the very poster HTML of :mod:`app.links.posters` (one sheet per counter), typeset on the server
by WeasyPrint, so an office prints one file for a whole agency subtree without opening a browser.

WeasyPrint needs Debian's pango (``libpango-1.0-0``, ``libpangoft2-1.0-0``) and a font with Vietnamese letters
(``fonts-dejavu-core``; the poster asks for Liberation Sans, Arial or DejaVu Sans, in that order); ``make run`` and
``make test`` install them when missing. Rendering takes about a tenth of a second per sheet, so a subtree is
capped at :data:`MAX_POSTERS` sheets (a minute of work); a larger one asks for a smaller subtree.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from app.config import Settings
from app.directory.models import Counter
from app.errors import Invalid, Unavailable
from app.links import posters
from app.links import service as links

MAX_POSTERS = 500
# The poster's stylesheet is written for browsers; WeasyPrint skips the two properties it does not know
# (``text-wrap``, ``aspect-ratio``) with a warning per document, which says nothing an operator can act on.
logging.getLogger("weasyprint").setLevel(logging.ERROR)

# What WeasyPrint lays out differently from a browser: a percentage height inside a flex item. The code's box
# takes the height the texts leave on the sheet (as on screen); the square code fills that height, centred.
PRINT_CSS = """
.qr { position: relative; }
.qr svg { position: absolute; top: 0; left: 50%; transform: translateX(-50%); height: 100%; width: auto; }
"""


class PdfUnavailable(Unavailable):
    """WeasyPrint or the system libraries it loads (pango) are missing on this machine: everything else works."""


def _weasyprint() -> Any:
    """WeasyPrint, imported on first use: a server without pango still serves everything but the PDF files."""
    try:
        import weasyprint  # type: ignore[import-untyped]
    except (ImportError, OSError) as missing:
        raise PdfUnavailable(
            "PDF posters need WeasyPrint and Debian's pango (libpango-1.0-0, libpangoft2-1.0-0): see docs/operations.md"
        ) from missing
    return weasyprint


def html_to_pdf(html: str) -> bytes:
    """One PDF of a self-contained HTML document. Nothing is fetched: only ``data:`` addresses would be read (the
    posters have none), never the network or a local file named in the page. PdfUnavailable without WeasyPrint."""
    weasyprint = _weasyprint()
    fetcher = weasyprint.URLFetcher(allowed_protocols=("data",))
    document = weasyprint.HTML(string=html, url_fetcher=fetcher)
    pdf: bytes = document.write_pdf(stylesheets=[weasyprint.CSS(string=PRINT_CSS, url_fetcher=fetcher)])
    return pdf


def posters_pdf(
    session: Session,
    settings: Settings,
    counters: Sequence[Counter],
    *,
    size: posters.PaperSize,
    title: str,
    actor: str,
    official_id: int | None = None,
    within: str | None = None,
) -> bytes:
    """The posters of ``counters``, one sheet each, in their order. A counter without a typable code (bulk-loaded
    rows) is given one first, committed with its audit record (:func:`app.links.service.short_code_for`).
    ``within``: name no agency above this subtree (an official's scope)."""
    if not counters:
        raise Invalid("no active counter to print")
    if len(counters) > MAX_POSTERS:
        raise Invalid(f"{len(counters)} counters: at most {MAX_POSTERS} posters in one file; choose a smaller agency")
    sheets = []
    for counter in counters:
        links.short_code_for(session, counter, actor=actor, official_id=official_id)
        url = links.counter_url(settings, counter)
        sheets.append(posters.poster_for(settings, counter, url, within=within))
    return html_to_pdf(posters.render_document(sheets, size=size, title=title))
