"""Printable posters for counters' desks (one page per counter, its QR code large) and the files to print them.

The posters are one self-contained HTML document: inline SVG codes, system fonts, no scripts and no external
assets, so it prints the same from any browser on an office machine without network access. The page size and
margins are set with ``@page``; each counter fills exactly one sheet.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from sqlalchemy.orm import Session

from app.config import Settings
from app.directory.models import Agency, Counter
from app.errors import Invalid
from app.forms.service import DEFAULT_COUNTER_FORM
from app.links import qr
from app.links import service as links

PaperSize = Literal["a4", "a5"]
TEMPLATES = Path(__file__).resolve().parent / "templates"
# Beyond this many characters of names, the header is set smaller so the code keeps most of the sheet.
COMPACT_NAMES_CHARS = 200
# Codes become file names: letters, digits, dot, dash and underscore only, so nothing lands outside the folder.
SAFE_FILE_PART = re.compile(r"^\w[\w.-]*$")

_templates = Environment(
    loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True
)


@dataclass(frozen=True)
class Paper:
    """Sheet geometry and type size; A5 is A4 scaled by 1/√2, so its type is about 0.7 times as large."""

    css_name: str
    width_mm: int
    height_mm: int
    margin_mm: int
    font_pt: float
    qr_max_mm: int


PAPERS: dict[PaperSize, Paper] = {
    "a4": Paper(css_name="A4", width_mm=210, height_mm=297, margin_mm=15, font_pt=14, qr_max_mm=150),
    "a5": Paper(css_name="A5", width_mm=148, height_mm=210, margin_mm=10, font_pt=10, qr_max_mm=105),
}


@dataclass(frozen=True)
class Poster:
    """What one counter's page shows: the agency path from the root down (province › … › agency), the counter, the
    QR code of its standing link, and its typable code with the addresses that take it."""

    parents_vi: tuple[str, ...]
    parents_en: tuple[str, ...]
    agency_name_vi: str
    agency_name_en: str | None
    counter_name_vi: str
    counter_name_en: str | None
    url: str
    short_code: str
    short_address: str
    short_url: str
    qr_svg: Markup

    @property
    def compact(self) -> bool:
        names = (self.agency_name_vi, self.agency_name_en, self.counter_name_vi, self.counter_name_en)
        parents = sum(len(name) for name in self.parents_vi) if self.parents_vi else 0
        return parents + sum(len(name or "") for name in names) > COMPACT_NAMES_CHARS


def agency_path(agency: Agency, *, within: str | None = None) -> list[Agency]:
    """The agency and those above it, root first (province › centre), or only those whose materialised path starts
    with ``within`` (an official's visible subtree); a cycle in the parents stops the walk."""
    path, seen = [agency], {agency.id}
    while (parent := path[0].parent) is not None and parent.id not in seen:
        if within is not None and not parent.path.startswith(within):
            break
        path.insert(0, parent)
        seen.add(parent.id)
    return path


def poster_for(settings: Settings, counter: Counter, url: str, *, within: str | None = None) -> Poster:
    """The page of ``counter`` carrying ``url`` in the QR code, and its short code (which it must have: see
    :func:`app.links.service.short_code_for`) for those who cannot scan. The heading names the agencies above the
    counter's, up to the root or to the top of ``within``."""
    if counter.short_code is None:
        raise Invalid(f"counter {counter.code!r} of agency {counter.agency.code!r} has no short code yet")
    parents = agency_path(counter.agency, within=within)[:-1]
    return Poster(
        parents_vi=tuple(parent.name_vi for parent in parents),
        parents_en=tuple(parent.name_en or parent.name_vi for parent in parents),
        agency_name_vi=counter.agency.name_vi,
        agency_name_en=counter.agency.name_en,
        counter_name_vi=counter.name_vi,
        counter_name_en=counter.name_en,
        url=url,
        short_code=counter.short_code,
        short_address=links.short_address(settings),
        short_url=links.short_url(settings, counter.short_code),
        # Our own serialisation of the code: no user text inside, so it is safe to insert unescaped.
        qr_svg=Markup(qr.qr_svg(url, inline=True)),  # noqa: S704
    )


def render_document(
    posters: Sequence[Poster], *, size: PaperSize, title: str, warning: links.AddressWarning | None = None
) -> str:
    """One HTML document with one printed page per poster, and on screen the warning when the codes would not open
    on citizens' phones (the inline stylesheet is the same whatever the content: its hash is fixed at start-up)."""
    return _templates.get_template("poster.html").render(
        posters=posters, paper=PAPERS[size], title=title, warning=warning
    )


def render_counter_poster(
    session: Session,
    settings: Settings,
    counter: Counter,
    url: str,
    *,
    size: PaperSize,
    actor: str = "cli",
    within: str | None = None,
) -> str:
    """The poster of a single counter (what `/f/{token}/poster` and the management API serve); a counter without a
    short code is given one first. ``within``: name no agency outside this subtree (an official's scope)."""
    links.short_code_for(session, counter, actor=actor)
    title = f"{counter.name_vi} — {counter.agency.name_vi}"
    poster = poster_for(settings, counter, url, within=within)
    return render_document([poster], size=size, title=title, warning=links.public_address_warning(settings))


WARNING_HEADER = "X-SIPAS-Warning"


def warning_headers(settings: Settings) -> dict[str, str]:
    """The header a poster answer carries while its codes would not open on citizens' phones (else none)."""
    warning = links.public_address_warning(settings)
    # A header is Latin-1: a host name that is not ASCII (an IDN typed as Unicode) must not break the answer.
    return {WARNING_HEADER: warning.message.encode("ascii", "replace").decode("ascii")} if warning else {}


def subtree_counters(session: Session, agency: Agency) -> list[Counter]:
    """The active counters of ``agency`` and below, or Invalid: an empty poster file helps nobody."""
    counters = links.counters_in_subtree(session, agency)
    if not counters:
        raise Invalid(f"agency {agency.code!r} and the agencies below it have no active counters: nothing to print")
    return counters


def _subtree_title(agency: Agency) -> str:
    return f"Mã QR đánh giá — {agency.name_vi}"


def _file_stem(counter: Counter) -> str:
    for code in (counter.agency.code, counter.code):
        if not SAFE_FILE_PART.match(code):
            raise Invalid(
                f"counter {counter.code!r} of agency {counter.agency.code!r}: the code {code!r} cannot be used in a "
                "file name (letters, digits, '.', '-' and '_' only)"
            )
    return f"{counter.agency.code}_{counter.code}"


def write_qr_files(
    session: Session,
    settings: Settings,
    agency: Agency,
    out_dir: Path,
    *,
    size: PaperSize,
    form_id: str = DEFAULT_COUNTER_FORM,
) -> list[Path]:
    """Write ``{agency code}_{counter code}.png`` and ``.svg`` for every counter of the subtree, then
    ``posters-{size}.html`` with all of them; returns the paths in that order.

    Everything is rendered before the first file is written, so an error leaves the folder untouched. Counters
    without a short code (bulk-loaded rows) are given one first, once every file name is known to be valid.
    """
    files: dict[Path, bytes] = {}
    posters: list[Poster] = []
    counters = subtree_counters(session, agency)
    for counter in counters:
        _file_stem(counter)
    for counter in counters:
        links.short_code_for(session, counter)
        stem, url = _file_stem(counter), links.counter_url(settings, counter, form_id)
        if out_dir / f"{stem}.png" in files:  # agency "A" with counter "B_C" against agency "A_B" with "C"
            raise Invalid(f"two counters would both be written to {stem}.png; rename one of them")
        files[out_dir / f"{stem}.png"] = qr.qr_png(url)
        files[out_dir / f"{stem}.svg"] = qr.qr_svg(url).encode()
        posters.append(poster_for(settings, counter, url))
    html = render_document(
        posters, size=size, title=_subtree_title(agency), warning=links.public_address_warning(settings)
    )
    files[out_dir / f"posters-{size}.html"] = html.encode()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for path, content in files.items():
            path.write_bytes(content)
    except OSError as exc:
        raise Invalid(f"{exc.filename or out_dir}: cannot write there ({exc.strerror})") from None
    return list(files)
