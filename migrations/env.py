"""Alembic environment: the URL comes from the caller (``config.attributes["database_url"]``) or the settings."""

from __future__ import annotations

import functools
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection

from app import partitions
from app.config import Settings
from app.db import make_engine
from app.models import Base

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def _url() -> str:
    url = config.attributes.get("database_url")
    return str(url) if url else Settings().database_url


def _configure(connection: Connection | None = None, url: str | None = None) -> None:
    # The month partitions of responses and answers (PostgreSQL) are made by app/partitions.py, not by the models:
    # autogenerate compares the partitioned tables themselves and leaves their partitions alone. Asked for when
    # autogenerate first compares a table (a query before the migration's transaction would open it too early).
    @functools.cache
    def skipped() -> frozenset[str]:
        return frozenset(partitions.partition_names(connection)) if connection is not None else frozenset()

    def include_name(name: str | None, kind: str, _parents: object) -> bool:
        return kind != "table" or name not in skipped()

    context.configure(
        connection=connection,
        url=url,
        target_metadata=target_metadata,
        include_name=include_name,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
        compare_server_default=True,
    )


def run_migrations_offline() -> None:
    _configure(url=_url())
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(_url())
    with engine.connect() as conn:
        _configure(connection=conn)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
