"""Engine, sessions and the declarative base shared by every model.

One engine per process; one session per request or command; commits are explicit in services.
SQLite (the embedded default) gets the pragmas that make it behave like the production PostgreSQL where it
matters: foreign keys enforced, WAL so readers don't block the writer, and a busy timeout instead of errors.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import DateTime, Dialect, Enum, MetaData, create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

P = ParamSpec("P")
R = TypeVar("R")

# Constraint names are stable across SQLite and PostgreSQL, so migrations can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware (SQLite forgets the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; timestamps must carry a time zone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def text_enum(enum: type[StrEnum], name: str) -> Enum:
    """A string-valued enum stored as text with a named CHECK constraint: portable, readable in raw SQL, and
    no PostgreSQL enum type to migrate when a value is added."""
    return Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [member.value for member in members],
    )


def utcnow() -> datetime:
    return datetime.now(UTC)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create the engine for ``url`` with the per-dialect settings this service relies on.

    ``hide_parameters``: a database error's text never carries the statement's bound values (an official's password
    hash, a respondent's profile, dossier hashes), so logging it cannot leak them (see also app/logging.py)."""
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


# Key of ``Session.info``: where figures are read from — "summary" (the default: the summary of sufficient statistics
# and its tail, where it can serve; app/reports/from_summary.py) or "raw" (every answer).
FIGURES_SOURCE = "figures_source"


def make_session_factory(engine: Engine, figures_source: str = "summary") -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, info={FIGURES_SOURCE: figures_source})


@contextmanager
def read_snapshot(session: Session) -> Iterator[None]:
    """Every read inside sees the database as of one moment. A report runs several queries (strata weights, sums,
    unit counts); under PostgreSQL's READ COMMITTED, or SQLite's statement-by-statement reads, a response committed
    between two of them (say an agency's first of a new month) would appear in one and not the other.

    Writes are the services' to commit, never this one's: a session holding unsaved changes is refused
    (a programming error), and the read-only transaction earlier reads began (the caller's session lookup) is
    rolled back before the snapshot starts. The snapshot ends on the way out."""
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("read_snapshot: the session holds unsaved changes; the service that made them commits")
    session.rollback()
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    else:  # the driver opens transactions only for writes; a deferred BEGIN makes the reads one WAL snapshot
        session.connection().exec_driver_sql("BEGIN")
    try:
        yield
    except BaseException:
        session.rollback()
        raise
    session.commit()  # ends the snapshot; nothing was written inside (and, unlike a rollback, expires nothing)


def in_one_snapshot(function: Callable[Concatenate[Session, P], R]) -> Callable[Concatenate[Session, P], R]:
    """Run ``function(session, …)`` inside ``read_snapshot(session)``."""

    @functools.wraps(function)
    def wrapper(session: Session, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with read_snapshot(session):
            return function(session, *args, **kwargs)

    return wrapper


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session for a command-line task; rolled back if the task raises (the task commits itself)."""
    session = factory()
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def refresh_statistics(session: Session, *tables: str) -> None:
    """After a bulk load, let the database's planner see the new rows (PostgreSQL's autovacuum would do it only
    later; until then it plans nested loops over tables it believes empty). SQLite plans without statistics."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        for table in tables:
            session.execute(text(f"ANALYZE {table}"))
