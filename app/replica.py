"""Officials' figures from a streaming replica (``SIPAS_REPORTS_DATABASE_URL``): its engine, and how far it is behind
the primary.

Logins, CSRF checks, management, flag reviews, publications and every other write use the primary
(:data:`app.deps.SessionDep`); the figure endpoints and pages read through :data:`app.deps.ReportsSessionDep`, which
is this replica when one is set and the request's primary session otherwise. A national deployment's layout is in
docs/operations.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from threading import Lock

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import State

from app.config import Settings
from app.db import make_engine, make_session_factory

LAG_KEY = "replica_lag_seconds"  # in a reports session's ``info``: the lag measured when it was opened

# On a primary the three replay functions return NULL and ``pg_is_in_recovery()`` is false. A WAL receiver process
# exists while the replica is connected to its primary (its pid is shown to every role, the details only to
# pg_read_all_stats).
REPLAY_QUERY = text(
    "SELECT pg_is_in_recovery(), "
    "EXISTS (SELECT 1 FROM pg_stat_wal_receiver), "
    "coalesce(pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn(), false), "
    "EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())"
)

_made = Lock()


@dataclass(frozen=True)
class Replay:
    """What a PostgreSQL server says of its replay of the primary's WAL."""

    in_recovery: bool  # a standby (replica); false on a primary
    receiving: bool  # connected to its primary, receiving WAL
    caught_up: bool  # everything received has been replayed
    since_last_replayed: float | None  # seconds since the last replayed transaction committed on the primary


def lag_seconds(replay: Replay) -> float | None:
    """How many seconds of the primary's transactions the figures may be missing.

    0 on a primary, and on a replica connected to its primary that has replayed all it received (WAL still in
    flight, a few milliseconds, is not counted). Otherwise ``now() - pg_last_xact_replay_timestamp()``: the age of
    the newest transaction replayed — while the replica is behind or cut off from its primary, that is at least how
    much it misses (the first change after an idle spell can read high until it is replayed, milliseconds later).
    None when the replica cannot say: it is behind and has replayed no transaction since it started."""
    if not replay.in_recovery or (replay.receiving and replay.caught_up):
        return 0.0
    if replay.since_last_replayed is None:
        return None
    return round(max(0.0, replay.since_last_replayed), 3)


def measure_lag(session: Session) -> float | None:
    """:func:`lag_seconds` of the server ``session`` reads from (0 on SQLite: no replica); ends the read."""
    if session.get_bind().dialect.name != "postgresql":
        return 0.0
    in_recovery, receiving, caught_up, since = session.execute(REPLAY_QUERY).one()
    session.rollback()
    return lag_seconds(
        Replay(bool(in_recovery), bool(receiving), bool(caught_up), None if since is None else float(since))
    )


def lag_of(session: Session) -> float | None:
    """The lag measured when this reports session was opened; 0 for a session of the primary."""
    found: float | None = session.info.get(LAG_KEY, 0.0)
    return found


def reports_session_factory(state: State) -> sessionmaker[Session] | None:
    """The app's sessions on ``SIPAS_REPORTS_DATABASE_URL``, its engine made on first use and kept on ``state``
    (``reports_engine``); None when it is not set (figures read the primary)."""
    settings: Settings = state.settings
    if settings.reports_database_url is None:
        return None
    found: sessionmaker[Session] | None = getattr(state, "reports_session_factory", None)
    if found is None:
        with _made:
            found = getattr(state, "reports_session_factory", None)
            if found is None:
                state.reports_engine = make_engine(settings.reports_database_url)
                found = make_session_factory(state.reports_engine, settings.figures_source)
                state.reports_session_factory = found
    return found


def dispose_reports_engine(state: State) -> None:
    """Close the replica's connections (when the app stops)."""
    engine = getattr(state, "reports_engine", None)
    if engine is not None:
        engine.dispose()
