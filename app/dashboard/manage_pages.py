"""What every ``/dashboard/manage`` page and form shares (app/dashboard/router_manage*.py): the forms as a browser
posts them, a form sent through the API's schema and the service, a refused form shown again with its problems,
and the scope checks of the agencies a page or a form names."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from app.admin import service as admin
from app.config import Settings
from app.dashboard import manage
from app.dashboard.i18n import t
from app.dashboard.rendering import Viewer, lang_of, render_page
from app.deps import SessionDep
from app.directory.models import Agency, Role
from app.errors import Conflict, Invalid, SipasError
from app.officials.deps import client_ip
from app.officials.scope import visible_agency
from app.public.i18n import Lang

BASE = "/dashboard/manage"
TARGET_FIELDS = ("agency", "indicator", "period_start", "period_end", "threshold_pct", "applies_to_subtree")
COUNT_FIELDS = ("agency", "period_start", "period_end", "dossiers_handled", "procedure_field", "reason")
OFFICIAL_FIELDS = ("username", "display_name", "role", "agency", "password")
DONE = frozenset({"created", "updated", "deleted", "password", "deactivated", "reactivated"})

Text = Annotated[str, Form()]
Body = TypeVar("Body", bound=BaseModel)


# --- the forms as posted: every field text, as a browser sends it; the API's own schemas check them -------------


class PostedForm(BaseModel):
    def stripped(self) -> dict[str, str]:
        """Every field without the spaces around it."""
        return {name: value.strip() for name, value in self.model_dump().items()}


class TargetForm(PostedForm):
    agency: str = ""
    indicator: str = ""
    period_start: str = ""
    period_end: str = ""
    threshold_pct: str = ""
    applies_to_subtree: str = ""

    def sent(self) -> dict[str, Any]:
        """As the API's TargetIn reads it (a decimal comma is a decimal point)."""
        return self.stripped() | {
            "threshold_pct": self.threshold_pct.strip().replace(",", "."),
            "applies_to_subtree": self.applies_to_subtree == "true",
        }


class CountForm(PostedForm):
    agency: str = ""
    period_start: str = ""
    period_end: str = ""
    dossiers_handled: str = ""
    procedure_field: str = ""
    reason: str = ""
    confirm_outlier: str = ""

    def sent(self) -> dict[str, Any]:
        """As the API's PopulationCountIn reads it (no procedure field: None; the reason as written)."""
        return self.stripped() | {
            "procedure_field": self.procedure_field.strip() or None,
            "reason": self.reason,
            "confirm_outlier": self.confirm_outlier == "true",
        }


class OfficialForm(PostedForm):
    username: str = ""
    display_name: str = ""
    role: str = ""
    agency: str = ""
    password: str = ""

    def sent(self) -> dict[str, Any]:
        """As the API's OfficialIn reads it (a national official has no agency; the password as typed)."""
        return self.stripped() | {
            "display_name": self.display_name.strip() or None,
            "role": self.role,
            "agency": None if self.role == Role.national.value else (self.agency.strip() or None),
            "password": self.password,
        }

    def shown(self) -> dict[str, Any]:
        """What the form shows again when refused (never the password)."""
        return {"username": self.username, "display_name": self.display_name, "role": self.role} | {
            "agency": self.agency.strip()
        }


# --- what every management page and form shares ------------------------------------------------------------------


@dataclass(frozen=True)
class Refused:
    """A form that the API's schema or the service refused: its problems, and the status to show it again with."""

    problems: list[manage.FieldProblem]
    status_code: int


def submit(
    model: type[Body],
    values: dict[str, Any],
    lang: Lang,
    fields: tuple[str, ...],
    save: Callable[[Body], Response],
    refusals: tuple[type[SipasError], ...] = (Invalid, Conflict),
) -> Response | Refused:
    """A form's ``values`` read by the API's request ``model`` (422 with each problem), then ``save``d through the
    service, which checks every rule, audits and commits; its answer (a redirect to the result), or the service's
    refusal as problems by field, with its status."""
    body, problems = manage.parsed(model, values, lang)
    if body is None:
        return Refused(problems, 422)
    try:
        return save(body)
    except refusals as refused:
        return Refused(manage.refusal(refused, fields), refused.status_code)


def actor(viewer: Viewer, request: Request) -> admin.Actor:
    return admin.Actor(viewer.official.username, viewer.official.id, client_ip(request))


def today(settings: Settings) -> date:
    return datetime.now(settings.zone).date()


def page(
    request: Request,
    viewer: Viewer,
    name: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
    here: str | None = None,
) -> HTMLResponse:
    """A management page; ``here`` is the page to reload in the other language when this one answers a form (the
    form's own address takes no GET)."""
    lang = lang_of(request)
    done = request.query_params.get("done")
    base: dict[str, Any] = {"done": t(f"mg_done_{done}", lang) if done in DONE else None, "problems": [], "errors": {}}
    if here is not None:
        base["switch_href"] = f"{here}?{urlencode({'lang': 'en' if lang == 'vi' else 'vi'})}"
    return render_page(request, viewer, name, base | context, nav="manage", status_code=status_code)


def problems_view(problems: list[manage.FieldProblem], labels: dict[str, str]) -> dict[str, Any]:
    """The page's view of a form's problems: the list at the top (with the field's label) and each by field."""
    errors: dict[str, list[str]] = {}
    for problem in problems:
        if problem.field is not None:
            errors.setdefault(problem.field, []).append(problem.message)
    listed = [{"field": p.field, "label": labels.get(p.field or "", ""), "message": p.message} for p in problems]
    return {"problems": listed, "errors": errors}


def form_again(
    request: Request,
    viewer: Viewer,
    name: str,
    context: dict[str, Any],
    *,
    refused: Refused,
    labels: dict[str, str],
    here: str,
) -> HTMLResponse:
    """A refused form, filled in as sent, each problem next to its field and listed at the top; ``here``: the page
    the form came from, which the language switch reloads."""
    shown = context | problems_view(refused.problems, labels)
    return page(request, viewer, name, shown, status_code=refused.status_code, here=here)


def labels(lang: Lang, fields: tuple[str, ...]) -> dict[str, str]:
    return {field: t(f"mg_field_{field}", lang) for field in fields}


def agency_in_scope(session: SessionDep, viewer: Viewer, code: str) -> None:
    """An agency a form names: outside the scope, the 404 page, like an unknown one (the service checks it too)."""
    if code:
        visible_agency(session, viewer.scope, code)


def filter_agency(request: Request, session: SessionDep, viewer: Viewer) -> Agency | None:
    """The agency of ``?agency=``, within the scope (else the 404 page), or None."""
    code = request.query_params.get("agency")
    return visible_agency(session, viewer.scope, code) if code else None


def in_subtree(agency: Agency | None, nodes: list[admin.AgencyNode]) -> list[admin.AgencyNode]:
    if agency is None:
        return nodes
    return [node for node in nodes if node.agency.path.startswith(agency.path)]


# --- the index ---------------------------------------------------------------------------------------------------
