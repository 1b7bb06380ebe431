"""What every domain's commands share: settings from the environment, one database session per task, and expected
errors printed as one line on stderr with exit status 2 (the commands are assembled in :mod:`app.cli`)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer
from pydantic import ValidationError
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session

from app.config import Settings, SettingsError, resolve_secrets
from app.db import make_engine, make_session_factory, session_scope
from app.errors import DefinitionError, SipasError

P = ParamSpec("P")
R = TypeVar("R")


def friendly_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Print expected errors as one line on stderr and exit 2, instead of a traceback."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except SipasError as exc:
            typer.echo(f"error: {exc.message}", err=True)
        except (DefinitionError, SettingsError) as exc:
            typer.echo(f"error: {exc}", err=True)
        except ValidationError as exc:  # the settings read from the environment
            for problem in exc.errors():
                name = "SIPAS_" + "_".join(str(part) for part in problem["loc"]).upper()
                typer.echo(f"error: {name}: {problem['msg']}", err=True)
        except ArgumentError as exc:
            typer.echo(f"error: SIPAS_DATABASE_URL: not a usable database URL ({exc})", err=True)
        except OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            typer.echo(f"error: cannot use the database at SIPAS_DATABASE_URL: {reason}", err=True)
        raise typer.Exit(2)

    return wrapper


def load_settings() -> Settings:
    return resolve_secrets(Settings())


def run_in_session(settings: Settings, task: Callable[[Session], R]) -> R:
    """Run ``task`` in one session; it commits its own work, anything else is rolled back."""
    engine = make_engine(settings.database_url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            return task(session)
    finally:
        engine.dispose()
