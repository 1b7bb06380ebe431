"""What the management pages (``/dashboard/manage``, :mod:`app.dashboard.router_manage`) need besides the services:
a submitted form read through the JSON API's own request models (so a field has the same limits on both), a
service's refusal turned into problems per field, an upload's refusal into its rows of line, column and message,
the choices the forms offer (the scope's agencies, the indicators, procedure fields, roles) and the targets in force.

Every rule stays in its service — :mod:`app.reference` for targets, population counts and their uploads,
:mod:`app.admin.service` for officials — which checks, audits and commits; nothing here writes."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.admin.service import AgencyNode, agency_tree
from app.cells import neutral
from app.dashboard.i18n import t
from app.dashboard.views import Forms, agency_name, metric_names
from app.directory.models import Agency, ProcedureField, Role
from app.errors import SipasError
from app.officials.scope import Scope
from app.public.i18n import Lang
from app.reference.checks import OVERALL_INDICATOR, known_indicators
from app.reference.csv_files import MAX_LISTED_ERRORS, POPULATION_COLUMNS
from app.reference.targets import targets_for

PAGE_SIZE = 100  # population counts per page


# --- problems shown on a form ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldProblem:
    """One thing wrong with a submitted form: the field it is about (None: the form as a whole) and why."""

    field: str | None
    message: str


# Pydantic's error types that a person filling in a form meets, in words; others keep pydantic's own message.
_PYDANTIC_WORDS = {
    "missing": "mg_err_required",
    "string_too_short": "mg_err_required",
    "string_too_long": "mg_err_too_long",
    "date_parsing": "mg_err_date",
    "date_from_datetime_parsing": "mg_err_date",
    "date_from_datetime_inexact": "mg_err_date",
    "date_type": "mg_err_date",
    "float_parsing": "mg_err_number",
    "float_type": "mg_err_number",
    "finite_number": "mg_err_number",
    "int_parsing": "mg_err_whole",
    "int_type": "mg_err_whole",
    "int_from_float": "mg_err_whole",
    "greater_than_equal": "mg_err_at_least",
    "less_than_equal": "mg_err_at_most",
    "enum": "mg_err_choice",
    "literal_error": "mg_err_choice",
}


def parsed(model: type[BaseModel], values: Mapping[str, Any], lang: Lang) -> tuple[Any, list[FieldProblem]]:
    """``values`` as the API's request ``model`` reads them (the same limits as the JSON API), or the problems."""
    try:
        return model.model_validate(dict(values)), []
    except ValidationError as refused:
        problems = []
        for error in refused.errors():
            field = str(error["loc"][0]) if error["loc"] else None
            key = _PYDANTIC_WORDS.get(error["type"])
            context = error.get("ctx") or {}
            limit = context.get("ge", context.get("le", context.get("max_length", "")))
            if isinstance(limit, float) and limit.is_integer():
                limit = int(limit)  # "100", not "100.0"
            message = t(key, lang, limit=limit) if key else str(error["msg"])
            problems.append(FieldProblem(field, message))
        return None, problems


def refusal(error: SipasError, fields: Iterable[str]) -> list[FieldProblem]:
    """A service's refusal (Invalid, Conflict, Forbidden) as problems: by field where its details or message name
    one of ``fields`` (``/threshold_pct: …``, ``password: …``), else about the form as a whole. The message is the
    service's own."""
    known = set(fields)
    details = error.details
    if isinstance(details, list) and details and all(isinstance(item, dict) for item in details):
        found = []
        for item in details:
            name = str(item.get("pointer", "")).lstrip("/").split("/")[0]
            found.append(FieldProblem(name if name in known else None, str(item.get("message", error.message))))
        return found
    head, separator, rest = error.message.partition(": ")
    name = head.lstrip("/")
    if separator and name in known:
        return [FieldProblem(name, rest)]
    return [FieldProblem(None, error.message)]


@dataclass(frozen=True)
class UploadRefusal:
    """A refused upload as the page shows it: each problem's line, column and message, and how many there were."""

    rows: list[dict[str, Any]]
    count: int
    message: str

    @property
    def more(self) -> int:
        return max(self.count - len(self.rows), 0)


def upload_refusal(error: SipasError) -> UploadRefusal:
    """The line and column of every problem of a refused upload (the service lists the first
    :data:`~app.reference.csv_files.MAX_LISTED_ERRORS`); a refusal about the request itself (the reason) has none."""
    details = error.details if isinstance(error.details, dict) else {}
    rows = [dict(row) for row in details.get("errors", [])][:MAX_LISTED_ERRORS]
    return UploadRefusal(rows, int(details.get("count", len(rows))), error.message)


# --- what the forms offer ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


def agencies_of(session: Session, scope: Scope) -> list[AgencyNode]:
    """The scope's agencies, parents before children (the admin service's tree)."""
    return agency_tree(session, scope)


def agency_choices(nodes: Iterable[AgencyNode], lang: Lang) -> list[Choice]:
    """Agencies for a select: indented under their parents ("— — Xã An Bình (MA-X01)")."""
    return [
        Choice(node.agency.code, f"{'— ' * node.depth}{agency_name(node.agency, lang)} ({node.agency.code})")
        for node in nodes
    ]


def indicator_names(forms: Forms, lang: Lang) -> dict[str, str]:
    """Every indicator a target may have (:func:`~app.reference.checks.known_indicators`) → its name: the overall
    index as the dashboard names it, the others as the forms do (the last form id's wording first)."""
    names: dict[str, str] = {}
    for _key, registered in sorted(forms.items(), reverse=True):
        for code, name in metric_names(registered.definition, lang).items():
            names.setdefault(code, name)
    names[OVERALL_INDICATOR] = t("headline", lang)  # one index whatever each form calls it
    known = known_indicators(registered.definition for registered in forms.values())
    return {code: names.get(code, code) for code in sorted(known)}


def indicator_groups(forms: Forms, lang: Lang) -> list[tuple[str, list[Choice]]]:
    """Indicators for a select, grouped: the overall index, components, elements, questions."""
    groups: dict[str, list[Choice]] = {"overall": [], "component": [], "element": [], "item": []}
    for code, name in indicator_names(forms, lang).items():
        kind = "overall" if code == OVERALL_INDICATOR else code.split(":")[0] if ":" in code else "component"
        groups.get(kind, groups["component"]).append(Choice(code, f"{name} ({code})"))
    return [(t(f"mg_indicator_group_{kind}", lang), choices) for kind, choices in groups.items() if choices]


def procedure_fields(session: Session, lang: Lang) -> list[Choice]:
    """The procedure fields the forms ask about (registered with them), by code."""
    rows = session.scalars(select(ProcedureField).order_by(ProcedureField.code))
    return [
        Choice(row.code, f"{(row.name_en or row.name_vi) if lang == 'en' else row.name_vi} ({row.code})")
        for row in rows
    ]


def role_choices(scope: Scope, lang: Lang) -> list[Choice]:
    """The roles this administrator may give: national only by a national official (the service refuses it to
    others)."""
    roles = [Role.agency_official, Role.province_admin]
    if scope.role is Role.national:
        roles.append(Role.national)
    return [Choice(role.value, t(f"mg_role_{role.value}", lang)) for role in roles]


# --- the targets in force ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InForce:
    """The target an agency of the scope is judged against on a day for one indicator (None: none), and whose it
    is: the agency's own, an agency above it in the scope, or one above the scope (not named)."""

    agency: Agency
    indicator: str
    threshold_pct: float | None
    period_end: date | None
    source: str  # "own", "inherited", "above" or "none"
    source_name: str | None


def targets_in_force(
    session: Session, nodes: list[AgencyNode], indicators: Iterable[str], on: date, lang: Lang
) -> list[InForce]:
    """For each agency of the scope and each indicator, the target that applies on ``on`` by the reports' own rule
    (:func:`~app.reference.targets.targets_for`: the agency's own, else the nearest ancestor's that applies to its
    subtree). Every agency is listed for the overall index; other indicators only where a target applies."""
    wanted = sorted(set(indicators) | {OVERALL_INDICATOR}, key=lambda code: (code != OVERALL_INDICATOR, code))
    by_id = {node.agency.id: node.agency for node in nodes}
    applying = targets_for(session, list(by_id), wanted, on)
    rows: list[InForce] = []
    for node in nodes:
        agency = node.agency
        for indicator in wanted:
            target = applying.get((agency.id, indicator))
            if target is None:
                if indicator == OVERALL_INDICATOR:
                    rows.append(InForce(agency, indicator, None, None, "none", None))
                continue
            owner = by_id.get(target.agency_id)
            if target.agency_id == agency.id:
                source, name = "own", None
            elif owner is not None:
                source, name = "inherited", agency_name(owner, lang)
            else:
                source, name = "above", None
            rows.append(InForce(agency, indicator, float(target.threshold_pct), target.period_end, source, name))
    return rows


# --- the population counts' CSV template --------------------------------------------------------------------------


def last_month(today: date) -> tuple[date, date]:
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def counts_template(nodes: Iterable[AgencyNode], today: date) -> str:
    """A file to fill in and upload: the upload's header, then one row per agency of the scope for last month with
    ``dossiers_handled`` left empty (an empty cell is refused, so nothing is stored until every row is filled in or
    deleted) and ``procedure_field`` empty (all fields). Cells pass :func:`app.cells.neutral` like every download."""
    start, end = last_month(today)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(POPULATION_COLUMNS)
    for node in nodes:
        writer.writerow([neutral(node.agency.code), start.isoformat(), end.isoformat(), "", ""])
    return out.getvalue()


def page_count(total: int) -> int:
    return max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
