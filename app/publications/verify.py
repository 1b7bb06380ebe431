"""Verifying a publication: recompute its figures from the database as of its data cut-off and compare.

"As of the cut-off" means the responses received at or before it (``Filters.received_until``) weighted by the
population counts and judged by the targets the publication froze — not today's, which an official may have edited
since. The frozen counts and targets are written in place of the current ones inside the verifying transaction,
which is always rolled back: every path of the figures (whole-month weights, weights joined row by row, targets of
ancestors) reads them as it reads any count, and nobody else ever sees them. On SQLite that transaction holds the
write lock while it computes (seconds for a province's quarter); on PostgreSQL writers of the same counts wait.

The recomputation reads every answer (a cut-off is not something the summary keeps) while the publication read the
summary where it could: both add the same numbers in another order, so figures are compared within 1e-9 relative.
Agency names are labels, not figures: a rename is reported apart. What changed since the publication that can move
its figures (flag decisions, purges, imports, agencies moved) is counted from the audit log, to say why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.directory.models import Agency, ProcedureField, Role
from app.forms.loader import RegisteredForm
from app.officials.scope import Scope
from app.publications.models import Publication
from app.publications.service import chain_ids, content_hash, frozen_content
from app.reference.models import PopulationCount, Target
from app.responses.selection import Filters

TOLERANCE = 1e-9  # relative: the same sums added in another order (summary path then, raw answers now)
MAX_DIFFERENCES = 50
LABELS = {"agency_name", "name"}  # names: reported as renames, not as differing figures
# Parts of the figures' meta that say what was counted (the rest is about the moment: recent count edits, replica).
META_FIELDS = (
    "form",
    "weighted",
    "responses",
    "excluded_suspected_spam",
    "excluded_test",
    "responses_without_population_count",
    "last_response_date",
    "source",
    "agencies_without_population_count",
    "with_suspected_spam_pct",
)
SECTIONS: tuple[tuple[str, str], ...] = (
    ("overall", "rows"),
    ("overall", "total"),
    ("overall", "total_mean_of_units"),
    ("detail", "rows"),
    ("detail", "total"),
    ("trend", "rows"),
)
# Audit actions after a publication that can move its figures when recomputed.
MOVERS = ("response.flag_", "privacy.purge", "responses.import", "agency.update", "agency.import")


@dataclass(frozen=True)
class Difference:
    where: str  # "overall/rows/MA-SCT/sipas", "meta"
    field: str
    published: Any
    now: Any


@dataclass(frozen=True)
class Verification:
    publication_id: int
    intact: bool  # the stored document still has the stored hash
    equal: bool  # the recomputation gives the published figures
    rows_compared: int
    differences: list[Difference] = field(default_factory=list)  # the first MAX_DIFFERENCES
    renamed: list[Difference] = field(default_factory=list)
    changes_since: dict[str, int] = field(default_factory=dict)  # audit action → events since publication
    missing: list[str] = field(default_factory=list)  # frozen counts or targets that could not be put back

    @property
    def ok(self) -> bool:
        return self.intact and self.equal and not self.missing


def verify(session: Session, forms: dict[tuple[str, int], RegisteredForm], publication: Publication) -> Verification:
    """Recompute ``publication`` as of its cut-off (in a transaction rolled back at the end) and compare."""
    content = publication.content
    intact = content_hash(content) == publication.content_hash
    root = session.get(Agency, publication.agency_id) if publication.agency_id is not None else None
    scope = Scope(0, "verify", Role.national, None, None)  # what the publisher saw is the root's subtree
    filters = Filters(
        agency=root.code if root else None,
        date_from=publication.period_start,
        date_to=publication.period_end,
        method=content["method"]["interval"],
        level=float(content["method"]["level"]),
        received_until=publication.data_cutoff or datetime.min,
    )
    session.rollback()
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    try:
        missing = _pin(session, content, root, filters)
        again = frozen_content(session, scope, forms, filters, root)
    finally:
        session.rollback()
    differences, renamed, compared = _compare(content, again)
    return Verification(
        publication_id=publication.id,
        intact=intact,
        equal=not differences,
        rows_compared=compared,
        differences=differences[:MAX_DIFFERENCES],
        renamed=renamed[:MAX_DIFFERENCES],
        changes_since=_changes_since(session, publication),
        missing=missing,
    )


def _pin(session: Session, content: dict[str, Any], root: Agency | None, filters: Filters) -> list[str]:
    """Put the frozen population counts and targets in place of the current ones (the caller rolls back)."""
    assert filters.date_from is not None and filters.date_to is not None
    agencies = chain_ids(session, root)
    codes = {
        code: found for code, found in session.execute(select(Agency.code, Agency.id).where(Agency.id.in_(agencies)))
    }
    fields = {code: found for code, found in session.execute(select(ProcedureField.code, ProcedureField.id))}
    counts, targets = content.get("population_counts", []), content.get("targets", [])
    missing: list[str] = []
    for model, frozen in ((PopulationCount, counts), (Target, targets)):
        _clear(session, model, agencies, [row["id"] for row in frozen], filters)
    session.flush()
    for count in counts:
        field_code = count["procedure_field"]
        if count["agency"] not in codes or (field_code is not None and field_code not in fields):
            missing.append(f"population count {count['id']} ({count['agency']}, {field_code or 'all fields'})")
            continue
        session.add(
            PopulationCount(
                id=count["id"],
                agency_id=codes[count["agency"]],
                procedure_field_id=fields[field_code] if field_code is not None else None,
                period_start=date.fromisoformat(count["period_start"]),
                period_end=date.fromisoformat(count["period_end"]),
                dossiers_handled=count["dossiers_handled"],
            )
        )
    for target in targets:
        if target["agency_id"] not in agencies:
            missing.append(f"target {target['id']} (agency {target['agency_id']}, {target['indicator']})")
            continue
        session.add(
            Target(
                id=target["id"],
                agency_id=target["agency_id"],
                indicator=target["indicator"],
                period_start=date.fromisoformat(target["period_start"]),
                period_end=date.fromisoformat(target["period_end"]),
                threshold_pct=target["threshold_pct"],
                applies_to_subtree=target["applies_to_subtree"],
            )
        )
    session.flush()
    return missing


def _clear(
    session: Session, model: type[PopulationCount] | type[Target], agencies: list[int], ids: list[int], f: Filters
) -> None:
    """Delete the rows of ``model`` (counts or targets) of these agencies that meet the period or carry a frozen id."""
    assert f.date_from is not None and f.date_to is not None
    meets = (model.period_end >= f.date_from) & (model.period_start <= f.date_to)
    session.execute(delete(model).where(model.agency_id.in_(agencies), or_(model.id.in_(ids), meets)))


def _key(row: dict[str, Any]) -> str:
    keys = [str(value) for name, value in row.items() if name in ("agency", "month") and value is not None]
    return "/".join([*keys, str(row.get("indicator"))])


def _compare(published: dict[str, Any], now: dict[str, Any]) -> tuple[list[Difference], list[Difference], int]:
    differences: list[Difference] = []
    renamed: list[Difference] = []
    for name in META_FIELDS:
        before, after = published["meta"].get(name), now["meta"].get(name)
        if not _same(before, after):
            differences.append(Difference("meta", name, before, after))
    compared = 0
    for section, part in SECTIONS:
        where = f"{section}/{part}"
        before_rows = {_key(row): row for row in published[section][part]}
        after_rows = {_key(row): row for row in now[section][part]}
        for key in sorted(set(before_rows) | set(after_rows)):
            before, after = before_rows.get(key), after_rows.get(key)
            if before is None or after is None:
                differences.append(Difference(f"{where}/{key}", "row", before is not None, after is not None))
                continue
            compared += 1
            for column in sorted(set(before) | set(after)):
                if _same(before.get(column), after.get(column)):
                    continue
                found = Difference(f"{where}/{key}", column, before.get(column), after.get(column))
                (renamed if column in LABELS else differences).append(found)
    return differences, renamed, compared


def _same(before: Any, after: Any) -> bool:
    if isinstance(before, dict) and isinstance(after, dict):
        return set(before) == set(after) and all(_same(before[key], after[key]) for key in before)
    if isinstance(before, list) and isinstance(after, list):
        return len(before) == len(after) and all(_same(a, b) for a, b in zip(before, after, strict=True))
    numbers = (int, float)
    if isinstance(before, numbers) and isinstance(after, numbers) and not isinstance(before, bool):
        return math.isclose(before, after, rel_tol=TOLERANCE, abs_tol=1e-12)
    return bool(before == after)


def _changes_since(session: Session, publication: Publication) -> dict[str, int]:
    """Audit events since the publication that can move its figures, counted by action."""
    out: dict[str, int] = {}
    events = session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.at > publication.published_at,
            or_(*(AuditEvent.action.startswith(prefix) for prefix in MOVERS)),
        )
    )
    for action in events:
        out[action] = out.get(action, 0) + 1
    return out
