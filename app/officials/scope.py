"""The visible agency set: computed here, once, for every query an official makes.

``national`` sees everything; ``province_admin`` and ``agency_official`` see their agency and its subtree (one
indexed prefix match on ``Agency.path``). An agency outside the set answers exactly as one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, select, true
from sqlalchemy.orm import Session

from app.directory.models import Agency, Official, Role
from app.errors import NotFound


@dataclass(frozen=True)
class Scope:
    official_id: int
    username: str
    role: Role
    root_id: int | None  # None: everything (national)
    root_path: str | None

    @property
    def is_admin(self) -> bool:
        return self.role in (Role.national, Role.province_admin)

    def agencies(self) -> ColumnElement[bool]:
        """A condition on :class:`Agency` rows: true for the visible ones."""
        if self.root_path is None:
            return true()
        return Agency.path.startswith(self.root_path, autoescape=True)

    def agency_ids(self) -> Select[Any]:
        """The ids of the visible agencies, as a subquery for ``column.in_(…)``."""
        return select(Agency.id).where(self.agencies())


def scope_of(session: Session, official: Official) -> Scope:
    """The one function that decides what an official may see."""
    if official.role is Role.national:
        return Scope(official.id, official.username, official.role, None, None)
    agency = session.get(Agency, official.agency_id) if official.agency_id is not None else None
    if agency is None:  # a non-national official without an agency sees nothing
        return Scope(official.id, official.username, official.role, -1, "/nothing/")
    return Scope(official.id, official.username, official.role, agency.id, agency.path)


def visible_agency(session: Session, scope: Scope, code: str) -> Agency:
    """The agency with this code if the official may see it; otherwise the same 404 as for an unknown code."""
    agency = session.scalar(select(Agency).where(Agency.code == code, scope.agencies()))
    if agency is None:
        raise NotFound(f"no agency with code {code!r}")
    return agency
