"""Typed dependencies: a route's signature says what it needs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from app.config import Settings
from app.forms.loader import RegisteredForm
from app.replica import LAG_KEY, measure_lag, reports_session_factory


async def get_settings_dep(request: Request) -> Settings:  # async (as get_forms): no trip to a worker thread
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """One session per request; services commit explicitly, anything uncommitted is rolled back here."""
    session: Session = request.app.state.session_factory()
    try:
        yield session
    finally:
        session.close()


async def get_forms(request: Request) -> dict[tuple[str, int], RegisteredForm]:
    forms: dict[tuple[str, int], RegisteredForm] = request.app.state.forms
    return forms


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
SessionDep = Annotated[Session, Depends(get_session)]
FormsDep = Annotated[dict[tuple[str, int], RegisteredForm], Depends(get_forms)]


def get_reports_session(request: Request, primary: SessionDep) -> Iterator[Session]:
    """Where officials' figures are read: a session on SIPAS_REPORTS_DATABASE_URL (a streaming replica), else this
    request's session of the primary. The replica's lag is measured first, so the figures read after it are at least
    that fresh: kept in the session's ``info`` (an answer's ``meta``) and in ``request.state`` (the dashboard's
    footer). Nothing is ever written through it (a replica refuses); audit records of downloads go to ``primary``."""
    factory = reports_session_factory(request.app.state)
    if factory is None:
        yield primary
        return
    session = factory()
    try:
        lag = measure_lag(session)
        session.info[LAG_KEY] = lag
        request.state.replica_lag_seconds = lag
        yield session
    finally:
        session.close()


ReportsSessionDep = Annotated[Session, Depends(get_reports_session)]
