"""Schema migrations (Alembic) and form registration, run by `sipas migrate` and the test suite."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from alembic import command
from alembic.config import Config

from app import partitions
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


@dataclass(frozen=True)
class Migrated:
    """What ``migrate`` did: form versions registered, and the month partitions made (PostgreSQL)."""

    forms_added: int
    partitions: partitions.Maintained


def migrate(settings: Settings, *, now: datetime | None = None) -> Migrated:
    """Bring the schema to head, register the forms of ``survey_forms/`` and, on PostgreSQL, keep the month
    partitions of responses and answers: this month's and ``partition_months_ahead`` more, and their own for the
    months found in the default partitions (``app/partitions.py``)."""
    forms = load_forms(settings.forms_dir)  # validate before touching the database
    upgrade(settings.database_url, dossier_hash_key=settings.dossier_hash_key)
    month = partitions.month_number((now or datetime.now(settings.zone)).astimezone(settings.zone).date())
    engine = make_engine(settings.database_url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            added = register_forms(session, forms)
            session.commit()
            kept = partitions.maintain(session.connection(), month, settings.partition_months_ahead)
            session.commit()
    finally:
        engine.dispose()
    return Migrated(len(added), kept)
