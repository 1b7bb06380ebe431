"""Publishing a period's figures: computed once, in one read snapshot, and frozen with everything they depend on.

A publication's ``content`` is one JSON document: the figures (every agency's overall index, and every agency ×
element, component and item, each with its interval, n, n_eff, deff, df, flags and verdict; the totals of the
subtree), the interval method and level, the design and weighting as the figures' ``meta`` states them, the
population counts of the subtree whose periods meet the publication's, the form, the data cut-off and the code
version. ``content_hash`` is the SHA-256 of its canonical form (keys sorted, no spaces, UTF-8), so a copy of the
document anywhere can be checked against the hash printed on the report. Nothing in it is read again from the
live tables: answers that arrive later, or counts edited later, never change it. A publication is superseded by a
later one (with a reason), never edited or deleted.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, func, select, true, update
from sqlalchemy.orm import Session

from app.audit.service import record
from app.db import read_snapshot, utcnow
from app.directory.models import Agency, ProcedureField
from app.errors import Conflict, Invalid, NotFound
from app.forms.loader import RegisteredForm
from app.officials.scope import Scope, visible_agency
from app.publications.models import Publication
from app.reference.models import PopulationCount, Target
from app.reports.api import flat, meta_out
from app.reports.satisfaction import figures_of
from app.responses.models import Response
from app.responses.selection import Filters, agency_selection
from app.stats.intervals import DEFAULT_METHOD, Method

SCHEMA = 1  # the layout of ``content``; a reader of an older document knows it by this number
ESTIMATOR = (
    "weighted ratio (Hájek): Σw·satisfied / Σw·answered per item, an index the plain mean of its members' rates; "
    "design-based variances by Taylor linearisation over strata and PSUs, as R's survey package (svyratio, "
    "svycontrast)"
)
MAX_REASON = 500
# The groupings a publication holds: each agency's overall index; each agency's elements, components and items; the
# subtree's overall index month by month (the report's trend).
GROUPINGS = (("agency",), ("agency", "element", "item"), ("month",))


@dataclass(frozen=True)
class PublishRequest:
    agency: str | None  # the subtree's root; None: the publisher's whole scope
    date_from: date
    date_to: date
    method: Method = DEFAULT_METHOD
    level: float = 0.95
    supersedes: int | None = None  # the publication this one replaces
    reason: str | None = None  # why (required with ``supersedes``)
    public: bool = False  # shown on the public results page and in its open-data downloads
    draft: bool = False  # a schedule's draft: published later by an administrator, as it is


def canonical(content: dict[str, Any]) -> bytes:
    """The bytes the hash is taken of: keys sorted, no spaces, UTF-8 (Vietnamese names as themselves)."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def content_hash(content: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(content)).hexdigest()


@cache
def code_version() -> str:
    """The package version and a digest of the application's Python sources (``app/``): two servers with the same
    code give the same string, whether or not they were installed from a git checkout."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    try:
        version = metadata.version("sipas")
    except metadata.PackageNotFoundError:
        version = "0"
    return f"{version}+{digest.hexdigest()[:12]}"


def _check(request: PublishRequest) -> None:
    if request.date_from > request.date_to:
        raise Invalid(f"to: {request.date_to} is before from: {request.date_from}")
    if request.supersedes is not None:
        reason = (request.reason or "").strip()
        if not reason:
            raise Invalid("reason: say why the publication this one supersedes is replaced")
        if len(reason) > MAX_REASON or "\x00" in reason:
            raise Invalid(f"reason: at most {MAX_REASON} characters, no NUL")
    elif request.reason is not None:
        raise Invalid("reason: only a publication that supersedes another gives a reason")


def publish(
    session: Session,
    scope: Scope,
    forms: dict[tuple[str, int], RegisteredForm],
    request: PublishRequest,
    *,
    client_ip: str | None = None,
) -> Publication:
    """Compute the figures of ``request`` in one read snapshot, freeze them as a new publication and commit (with
    its audit event); a superseded publication gets its successor, time and reason in the same transaction."""
    _check(request)
    root = root_of(session, scope, request.agency)
    filters = Filters(
        agency=root.code if root else None,
        date_from=request.date_from,
        date_to=request.date_to,
        method=request.method,
        level=request.level,
    )
    filters.check()
    with read_snapshot(session):
        content = frozen_content(session, scope, forms, filters, root)
    if not content["meta"]["responses"]:
        where = root.code if root else "the whole country"
        raise Invalid(f"no responses for {where} from {request.date_from} to {request.date_to}: nothing to publish")
    previous = _superseded(session, scope, request, root)
    now = utcnow()
    content |= {"published_at": now.isoformat(), "published_by": scope.username}
    publication = Publication(
        agency_id=root.id if root else None,
        period_start=request.date_from,
        period_end=request.date_to,
        published_at=now,
        published_by=scope.username,
        public=request.public,
        draft=request.draft,
        data_cutoff=datetime.fromisoformat(content["data_cutoff"]) if content["data_cutoff"] else None,
        code_version=content["code_version"],
        content=content,
        content_hash=content_hash(content),
    )
    session.add(publication)
    session.flush()
    if previous is not None:  # only if nobody superseded it meanwhile: two administrators may try at once
        replaced = session.execute(
            update(Publication)
            .where(Publication.id == previous.id, Publication.superseded_by_id.is_(None))
            .values(
                superseded_by_id=publication.id, superseded_at=now, superseded_reason=(request.reason or "").strip()
            )
            .execution_options(synchronize_session=False)
        )
        if not getattr(replaced, "rowcount", 0):
            session.rollback()
            raise Conflict(f"supersedes: publication {previous.id} was superseded by another publication meanwhile")
        session.refresh(previous)
    record(
        session,
        action="publication.draft" if request.draft else "publication.publish",
        actor=scope.username,
        official_id=scope.official_id,
        object_type="publication",
        object_id=publication.id,
        details={
            "agency": root.code if root else None,
            "from": request.date_from.isoformat(),
            "to": request.date_to.isoformat(),
            "content_hash": publication.content_hash,
            "supersedes": request.supersedes,
            "reason": previous.superseded_reason if previous else None,
            "public": request.public,
        },
        client_ip=client_ip,
    )
    session.commit()
    return publication


def root_of(session: Session, scope: Scope, agency: str | None) -> Agency | None:
    """The agency a publication or schedule is of: ``agency`` if the official sees it (else 404), by default the
    root of their scope (None: the whole country)."""
    if agency:
        return visible_agency(session, scope, agency)
    return session.get(Agency, scope.root_id) if scope.root_id is not None else None


def _superseded(session: Session, scope: Scope, request: PublishRequest, root: Agency | None) -> Publication | None:
    if request.supersedes is None:
        return None
    previous = get_publication(session, scope, request.supersedes)
    if previous.agency_id != (root.id if root else None):
        raise Invalid(f"supersedes: publication {previous.id} is of another agency; a publication supersedes its own")
    if previous.superseded_by_id is not None:
        raise Conflict(f"supersedes: publication {previous.id} is already superseded by {previous.superseded_by_id}")
    if previous.draft or request.draft:
        raise Invalid("supersedes: a draft is published as it is, never superseded nor superseding")
    return previous


def frozen_content(
    session: Session,
    scope: Scope,
    forms: dict[tuple[str, int], RegisteredForm],
    filters: Filters,
    root: Agency | None,
) -> dict[str, Any]:
    """Everything the publication holds but who published it and when, read in the caller's snapshot."""
    results = [figures_of(session, scope, forms, filters, list(group_by)) for group_by in GROUPINGS]
    overall, detail, trend = results
    # Every response of the subtree, not only the period's: a weight's n counts its whole population period (a
    # year's count weighs a quarter's answers by the year's responses), so later answers move earlier figures too.
    _root, agencies = agency_selection(session, scope, filters)
    cutoff = session.scalar(select(func.max(Response.received_at)).where(agencies))
    meta = meta_out(overall.meta, session).model_dump(mode="json")
    content: dict[str, Any] = _plain(
        {
            "schema": SCHEMA,
            "agency": {"code": root.code, "name": root.name_vi} if root else None,
            "period": {"from": filters.date_from, "to": filters.date_to},
            "method": {"estimator": ESTIMATOR, "interval": filters.method, "level": filters.level},
            "meta": meta,
            "overall": {
                "rows": [flat(row) for row in overall.rows],
                "total": [flat(row) for row in overall.total],
                "total_mean_of_units": [flat(row) for row in overall.unit_mean],
            },
            "detail": {"rows": [flat(row) for row in detail.rows], "total": [flat(row) for row in detail.total]},
            "trend": {"rows": [flat(row) for row in trend.rows]},
            "population_counts": _counts(session, scope, root, filters),
            "targets": _targets(session, root, filters),
            "data_cutoff": cutoff.isoformat() if cutoff else None,
            "code_version": code_version(),
        }
    )
    return content


def _counts(session: Session, scope: Scope, root: Agency | None, filters: Filters) -> list[dict[str, Any]]:
    """The population counts of the subtree whose periods meet the publication's: the N of its weights, as they
    were (each with its id and when it was entered; a later edit shows in the audit log, not here)."""
    within = [scope.agencies()]
    if root is not None:
        within.append(Agency.path.startswith(root.path, autoescape=True))
    rows = session.execute(
        select(PopulationCount, Agency.code, ProcedureField.code)
        .join(Agency, Agency.id == PopulationCount.agency_id)
        .outerjoin(ProcedureField, ProcedureField.id == PopulationCount.procedure_field_id)
        .where(
            *within,
            PopulationCount.period_end >= filters.date_from,
            PopulationCount.period_start <= filters.date_to,
        )
        .order_by(Agency.code, PopulationCount.period_start, ProcedureField.code)
    ).all()
    return [
        {
            "id": count.id,
            "agency": agency,
            "procedure_field": field,
            "period_start": count.period_start,
            "period_end": count.period_end,
            "dossiers_handled": count.dossiers_handled,
            "entered_at": count.created_at,
        }
        for count, agency, field in rows
    ]


def chain_ids(session: Session, root: Agency | None) -> list[int]:
    """The ids of the subtree's agencies and of the root's ancestors (whose targets may apply to the subtree); every
    agency when ``root`` is None."""
    if root is None:
        return list(session.scalars(select(Agency.id)))
    below = session.scalars(select(Agency.id).where(Agency.path.startswith(root.path, autoescape=True)))
    ancestors = [int(part) for part in root.path.strip("/").split("/") if part.isdigit()]
    return sorted(set(below) | set(ancestors))


def _targets(session: Session, root: Agency | None, filters: Filters) -> list[dict[str, Any]]:
    """The targets that may judge the figures: of the subtree and the root's ancestors, in force during the period.
    Each names its agency by id: an ancestor's target applies to the subtree, whose officials do not see its code."""
    assert filters.date_from is not None and filters.date_to is not None
    rows = session.scalars(
        select(Target)
        .where(
            Target.agency_id.in_(chain_ids(session, root)),
            Target.period_end >= filters.date_from,
            Target.period_start <= filters.date_to,
        )
        .order_by(Target.agency_id, Target.indicator, Target.period_start)
    ).all()
    return [
        {
            "id": target.id,
            "agency_id": target.agency_id,
            "indicator": target.indicator,
            "period_start": target.period_start,
            "period_end": target.period_end,
            "threshold_pct": target.threshold_pct,
            "applies_to_subtree": target.applies_to_subtree,
            "entered_at": target.created_at,
        }
        for target in rows
    ]


def headline(content: dict[str, Any]) -> dict[str, Any] | None:
    """The subtree's overall SIPAS row of a publication's document (None: the form has no overall index)."""
    return next((row for row in content["overall"]["total"] if row["indicator"] == "sipas"), None)


def _plain(value: Any) -> Any:
    """Dates and times as ISO text, tuples as lists: what JSON keeps (and what the hash is taken of)."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _visible(scope: Scope) -> ColumnElement[bool]:
    """Publications of agencies the official sees (a national one: national officials only)."""
    if scope.root_id is None:
        return true()
    return Publication.agency_id.in_(scope.agency_ids())


def get_publication(session: Session, scope: Scope, publication_id: int) -> Publication:
    found = session.scalar(select(Publication).where(Publication.id == publication_id, _visible(scope)))
    if found is None:
        raise NotFound(f"no publication {publication_id}")
    return found


def list_publications(session: Session, scope: Scope, agency: str | None = None) -> list[Publication]:
    """Newest first; of one agency (its own publications, not its subtree's) when ``agency`` is given."""
    statement = select(Publication).where(_visible(scope))
    if agency is not None:
        statement = statement.where(Publication.agency_id == visible_agency(session, scope, agency).id)
    return list(session.scalars(statement.order_by(Publication.published_at.desc(), Publication.id.desc())))


def public_publications(session: Session) -> list[Publication]:
    """Every publication shown on the public results page (superseded ones too: an agency's history), newest first."""
    statement = select(Publication).where(Publication.public.is_(True), Publication.draft.is_(False))
    return list(session.scalars(statement.order_by(Publication.period_end.desc(), Publication.id.desc())))


def public_publication(session: Session, publication_id: int) -> Publication:
    found = session.scalar(
        select(Publication).where(
            Publication.id == publication_id, Publication.public.is_(True), Publication.draft.is_(False)
        )
    )
    if found is None:
        raise NotFound(f"no public publication {publication_id}")
    return found


def publish_draft(session: Session, scope: Scope, publication_id: int, *, client_ip: str | None = None) -> Publication:
    """Publish a schedule's draft as it is (its figures and cut-off: what the administrator read): from now on it is
    frozen, named as published by them, now, with the hash of its final document. 409 when it is not a draft."""
    found = get_publication(session, scope, publication_id)
    if not found.draft:
        raise Conflict(f"publication {found.id} is not a draft: it was published on {found.published_at:%Y-%m-%d}")
    now = utcnow()
    content = {**found.content, "published_at": now.isoformat(), "published_by": scope.username}
    published = session.execute(
        update(Publication)
        .where(Publication.id == found.id, Publication.draft.is_(True))
        .values(
            draft=False,
            published_at=now,
            published_by=scope.username,
            content=content,
            content_hash=content_hash(content),
        )
        .execution_options(synchronize_session=False)
    )
    if not getattr(published, "rowcount", 0):  # another administrator published it meanwhile
        session.rollback()
        raise Conflict(f"publication {found.id} was published by another administrator meanwhile")
    record(
        session,
        action="publication.publish",
        actor=scope.username,
        official_id=scope.official_id,
        object_type="publication",
        object_id=found.id,
        details={"draft": True, "content_hash": content_hash(content), "public": found.public},
        client_ip=client_ip,
    )
    session.commit()
    session.refresh(found)
    return found
