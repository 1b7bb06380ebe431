"""Liveness and readiness: is the database reachable?"""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.deps import SessionDep
from app.errors import Unavailable
from app.health.schemas import Health

router = APIRouter(tags=["health"])


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
