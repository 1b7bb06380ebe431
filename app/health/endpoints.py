"""Liveness and readiness: is the database reachable?"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.deps import SessionDep
from app.errors import Unavailable

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: Literal["ok"]
    database: Literal["ok"]


@router.get(
    "/healthz",
    response_model=Health,
    responses={503: {"description": "The database is not reachable"}},
    summary="Health check (database reachable)",
)
def healthz(session: SessionDep) -> Health:
    try:
        session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        raise Unavailable("database unreachable", details={"error": type(exc).__name__}) from None
    return Health(status="ok", database="ok")
