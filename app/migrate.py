"""Schema migrations (Alembic) and form registration, run by `sipas migrate` and the test suite."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from app.config import Settings
from app.db import make_engine, make_session_factory, session_scope
from app.forms.loader import load_forms, register_forms

ALEMBIC_INI = Path(__file__).resolve().parent.parent / "alembic.ini"


def alembic_config(database_url: str, *, dossier_hash_key: str | None = None) -> Config:
    config = Config(str(ALEMBIC_INI))
    config.attributes["database_url"] = database_url
    if dossier_hash_key:  # data migrations that key stored hashes read it (else they resolve the settings)
        config.attributes["dossier_hash_key"] = dossier_hash_key
    config.attributes["configure_logger"] = False
    return config


def upgrade(database_url: str, revision: str = "head", *, dossier_hash_key: str | None = None) -> None:
    command.upgrade(alembic_config(database_url, dossier_hash_key=dossier_hash_key), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)


def migrate(settings: Settings) -> int:
    """Bring the schema to head and register the forms of ``survey_forms/``; returns the new versions' count."""
    forms = load_forms(settings.forms_dir)  # validate before touching the database
    upgrade(settings.database_url, dossier_hash_key=settings.dossier_hash_key)
    engine = make_engine(settings.database_url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            added = register_forms(session, forms)
            session.commit()
    finally:
        engine.dispose()
    return len(added)
