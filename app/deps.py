"""Typed dependencies: a route's signature says what it needs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from app.config import Settings
from app.forms.loader import RegisteredForm


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """One session per request; services commit explicitly, anything uncommitted is rolled back here."""
    session: Session = request.app.state.session_factory()
    try:
        yield session
    finally:
        session.close()


def get_forms(request: Request) -> dict[tuple[str, int], RegisteredForm]:
    forms: dict[tuple[str, int], RegisteredForm] = request.app.state.forms
    return forms


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
SessionDep = Annotated[Session, Depends(get_session)]
FormsDep = Annotated[dict[tuple[str, int], RegisteredForm], Depends(get_forms)]
