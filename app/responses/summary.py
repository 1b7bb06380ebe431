"""The summary of sufficient statistics (``ResponseSum``): kept by an incremental refresh, read with the raw tail.

Why a refresh and not an update in each storing transaction: every writer (QR code, kiosk batches, interviews, the
import's set-based insert, the demo's bulk load) stays as fast as it was — a kiosk batch or a million-line import
pays nothing — and no two submissions at one counter contend for one summary row. A response is stored with
``summarized`` false; :func:`refresh` folds such responses into the summary and marks them, in one transaction;
a figure reads the summary plus the responses not yet folded in (the *tail*, on a partial index), in one snapshot
(``app.db.read_snapshot``), so it equals the raw figure at every moment: a response is in exactly one of the two.

A change to a stored response's flags (suspected spam found later, an administrator's release or confirmation)
calls :func:`unsummarize` in the same transaction: the summary rows of the response's cell (agency × month × week ×
counter) are deleted and the cell's responses go back to the tail, to be folded in again by the next refresh.

On PostgreSQL the refresh runs under REPEATABLE READ, so the rows it sums and the rows it marks are the same
snapshot (a response committed meanwhile stays in the tail), and a transaction-scoped advisory lock keeps refreshes
and ``unsummarize`` from interleaving. SQLite has one writer at a time anyway.
"""

from __future__ import annotations

import calendar
import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Float,
    Integer,
    and_,
    case,
    cast,
    delete,
    extract,
    func,
    literal,
    literal_column,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from app.forms.indices import measures
from app.forms.models import FormVersion
from app.forms.schemas import FormDefinition
from app.responses.models import RESPONSE_KEY, SUM_KEYS, Answer, Channel, Response, ResponseSum, SummaryPlace

log = logging.getLogger("sipas.summary")

CHUNK = 30  # items per pattern column: 3^30 < 2^63
CHUNKS = 2  # pattern0, pattern1: forms with more satisfaction items are read raw
LOCK_KEY = 7_201_812  # pg_advisory_xact_lock key of the summary
BATCH = 200_000  # responses folded per transaction


def week_of_month(date_column: Any) -> Any:
    """0 for days 1–7, 1 for 8–14, … 4 for 29–31 (SQLAlchemy renders ``extract`` for each database)."""
    return (cast(extract("day", date_column), Integer) - 1) // 7


def week_days(month: int, week: int) -> tuple[date, date]:
    """The local dates of week ``week`` of month yyyymm."""
    year, number = divmod(month, 100)
    last = calendar.monthrange(year, number)[1]
    return date(year, number, 7 * week + 1), date(year, number, min(7 * week + 7, last))


def ends_month(day: date) -> bool:
    """Whether ``day`` is the last day of its month (without adding a day: 9999-12-31 has no next day)."""
    return day.day == calendar.monthrange(day.year, day.month)[1]


def whole_months(start: date, end: date) -> bool:
    """Whether the period start…end is whole calendar months (starts on a 1st, ends on a month's last day)."""
    return start.day == 1 and ends_month(end)


def in_tail() -> ColumnElement[bool]:
    """Responses not yet folded in, written as the partial index's own predicate (``NOT summarized``) on both
    databases: PostgreSQL does not prove ``summarized IS false`` implies it, nor SQLite ``summarized = 0`` (how
    SQLAlchemy writes a false boolean there), and either then scans the whole table instead of the small tail."""
    return literal_column(f"NOT {Response.__tablename__}.summarized")  # untyped: a Boolean gets SQLite's "= 1"


def _lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(LOCK_KEY)))


def read_places(session: Session, versions: Sequence[int] | None = None) -> dict[int, list[str]]:
    """Version id → its satisfaction items in pattern order, of the versions with places (all, or ``versions``)."""
    statement = select(SummaryPlace.form_version_id, SummaryPlace.item_code, SummaryPlace.chunk, SummaryPlace.place)
    if versions is not None:
        statement = statement.where(SummaryPlace.form_version_id.in_(list(versions)))
    known: dict[int, list[tuple[int, str]]] = {}
    for version_id, code, chunk, place in session.execute(statement):
        known.setdefault(version_id, []).append((chunk * CHUNK + place_position(place), code))
    return {version: [code for _position, code in sorted(entries)] for version, entries in known.items()}


def ensure_places(session: Session) -> dict[int, list[str]]:
    """Write the pattern places of every form version that has none; return version id → its items in place order
    (only versions whose satisfaction items fit the patterns)."""
    out = read_places(session)
    for version_id, definition in session.execute(
        select(FormVersion.id, FormVersion.definition).where(FormVersion.id.not_in(list(out) or [-1]))
    ):
        items = measures(FormDefinition.model_validate(definition)).items
        if len(items) > CHUNK * CHUNKS:
            continue  # read raw (none of the shipped forms: the SIPAS questionnaire has 43)
        rows = [
            {"form_version_id": version_id, "item_code": code, "chunk": j // CHUNK, "place": 3 ** (j % CHUNK)}
            for j, code in enumerate(items)
        ]
        if rows:
            postgresql = session.get_bind().dialect.name == "postgresql"
            statement = (postgresql_insert if postgresql else sqlite_insert)(SummaryPlace).values(rows)
            session.execute(statement.on_conflict_do_nothing())  # another worker may write the same places
        out[version_id] = list(items)
    return out


def code_columns(items: int) -> int:
    """How many pattern codes (CHUNK items each) hold ``items`` items."""
    return -(-items // CHUNK)


def place_position(place: int) -> int:
    """The position j of a place value 3^j."""
    power = 0
    while place > 1:
        place //= 3
        power += 1
    return power


def pattern_columns() -> list[Any]:
    """Per response (grouped by its id, answers left-joined to their places): its pattern columns."""
    return [
        func.coalesce(
            func.sum(case((SummaryPlace.chunk == chunk, SummaryPlace.place * (Answer.satisfied + 1)), else_=0)),
            literal(0, BigInteger),
        )
        for chunk in range(CHUNKS)
    ]


def per_response(*conditions: Any) -> Any:
    """One row per response: the summary's key columns, its weight, date and pattern (a subquery). Grouped by the
    primary key, so every other column of the response may be selected as it is."""
    return (
        select(
            Response.id.label("id"),
            Response.agency_id.label("agency_id"),
            Response.local_month.label("local_month"),
            week_of_month(Response.local_date).label("week"),
            func.coalesce(Response.counter_id, 0).label("counter_id"),
            Response.form_version_id.label("form_version_id"),
            Response.channel.label("channel"),
            func.coalesce(Response.procedure_field_id, 0).label("procedure_field_id"),
            Response.is_suspected_spam.label("spam"),
            Response.is_test.label("test"),
            func.coalesce(Response.weight, literal(1.0, Float)).label("w"),
            Response.local_date.label("local_date"),
            *(column.label(f"pattern{chunk}") for chunk, column in enumerate(pattern_columns())),
        )
        .select_from(Response)
        .outerjoin(Answer, and_(Answer.response_id == Response.id, Answer.satisfied.is_not(None)))
        .outerjoin(
            SummaryPlace,
            and_(SummaryPlace.form_version_id == Response.form_version_id, SummaryPlace.item_code == Answer.item_code),
        )
        .where(*conditions)
        .group_by(*RESPONSE_KEY)
        .subquery("per_response")
    )


KEYS = SUM_KEYS


def _grouped(*conditions: Any) -> Any:
    """The summary rows of the responses matching ``conditions``, as a SELECT in ``ResponseSum``'s column order."""
    rows = per_response(*conditions)
    keys = [
        rows.c.agency_id,
        rows.c.local_month,
        rows.c.week,
        rows.c.counter_id,
        rows.c.form_version_id,
        rows.c.channel,
        rows.c.procedure_field_id,
        rows.c.spam,
        rows.c.test,
        rows.c.pattern0,
        rows.c.pattern1,
    ]
    return select(*keys, func.count(), func.sum(rows.c.w), func.max(rows.c.local_date)).group_by(*keys)


def _summable(versions: Iterable[int]) -> list[Any]:
    """Live responses of form versions whose items fit the patterns (imported files keep their own design)."""
    return [Response.channel != Channel.import_, Response.form_version_id.in_(list(versions) or [-1])]


@dataclass(frozen=True)
class Refreshed:
    responses: int  # folded into the summary (live)
    marked: int  # marked summarized, imports included (never summed: they keep their own design)


def refresh(session: Session, *, batch: int = BATCH) -> Refreshed:
    """Fold the tail into the summary, ``batch`` responses per transaction, and commit each. Returns at once (having
    folded nothing) when another fold holds the lock."""
    total = Refreshed(0, 0)
    while True:
        for attempt in range(5):
            try:
                done = _refresh_once(session, batch)
                session.commit()
                break
            except OperationalError as error:  # a flag changed under the snapshot (PostgreSQL 40001): again
                session.rollback()
                if getattr(error.orig, "sqlstate", None) != "40001" or attempt == 4:
                    raise
        total = Refreshed(total.responses + done.responses, total.marked + done.marked)
        if done.marked < batch:
            return total


def _refresh_once(session: Session, batch: int) -> Refreshed:
    session.rollback()
    versions = ensure_places(session)  # places of new form versions: their own short transaction
    session.commit()
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        if not session.scalar(select(func.pg_try_advisory_xact_lock(LOCK_KEY))):
            return Refreshed(0, 0)  # another worker is folding (or a flag change is sending cells back): its turn
    tail: list[ColumnElement[bool]] = [in_tail()]
    upto = session.scalar(select(Response.id).where(*tail).order_by(Response.id).offset(batch - 1).limit(1))
    if upto is not None:
        tail.append(Response.id <= upto)
    summable = [*tail, *_summable(versions)]
    folded = int(session.scalar(select(func.count()).select_from(Response).where(*summable)) or 0)
    if folded:
        _merge(session, _grouped(*summable))
    marked = getattr(session.execute(update(Response).where(*tail).values(summarized=True)), "rowcount", 0)
    return Refreshed(folded, int(marked or 0))


def _merge(session: Session, grouped: Any) -> None:
    """Add grouped rows to the summary: existing cells' counts grow, new cells are inserted."""
    incoming = grouped.subquery("incoming")
    width = len(KEYS)
    # WHERE true: SQLite tells the upsert's ON CONFLICT from a join's ON only after a WHERE
    rows = select(*(incoming.c[i] for i in range(width + 3))).where(literal(True))
    postgresql = session.get_bind().dialect.name == "postgresql"
    statement = (postgresql_insert if postgresql else sqlite_insert)(ResponseSum).from_select(
        [*KEYS, "respondents", "weight_sum", "last_date"], rows
    )
    newest = func.greatest if postgresql else func.max
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[getattr(ResponseSum, key) for key in KEYS],
            set_={
                "respondents": ResponseSum.respondents + statement.excluded.respondents,
                "weight_sum": ResponseSum.weight_sum + statement.excluded.weight_sum,
                "last_date": newest(ResponseSum.last_date, statement.excluded.last_date),
            },
        )
    )


class SummaryRefresher:
    """The server's background fold: :func:`refresh` every ``interval`` seconds on a thread of its own (0: never).
    Several workers or servers may run one each: the advisory lock (PostgreSQL) or the write lock (SQLite) lets one
    fold at a time, and a fold that finds nothing costs one indexed read."""

    def __init__(self, factory: sessionmaker[Session], interval: float) -> None:
        self._factory = factory
        self._interval = interval
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._interval > 0:
            self._thread = threading.Thread(target=self._run, name="summary-refresh", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stopping.wait(self._interval):
            try:
                with self._factory() as session:
                    refresh(session)
            except Exception:  # a database that went away: log it and try again at the next tick
                log.exception("summary refresh failed; figures stay exact (the tail is read raw)")


def unsummarize(session: Session, response_ids: Sequence[int]) -> int:
    """Send the cells of these responses back to the tail (their flags changed): in the caller's transaction, which
    commits. Returns the number of responses sent back."""
    if not response_ids:
        return 0
    cells = set()
    for first in range(0, len(response_ids), 1000):
        chunk = list(response_ids[first : first + 1000])
        cells |= set(
            session.execute(
                select(
                    Response.agency_id,
                    Response.local_month,
                    week_of_month(Response.local_date),
                    func.coalesce(Response.counter_id, 0),
                )
                .where(Response.id.in_(chunk), Response.summarized.is_(True))
                .distinct()
            ).all()
        )
    if cells:
        _lock(session)
    returned = 0
    for agency_id, month, week, counter_id in sorted(cells):
        start, end = week_days(month, week)
        counter = Response.counter_id.is_(None) if counter_id == 0 else Response.counter_id == counter_id
        result = session.execute(
            update(Response)
            .where(
                Response.agency_id == agency_id,
                Response.local_date.between(start, end),
                counter,
                Response.summarized.is_(True),
            )
            .values(summarized=False)
        )
        returned += int(getattr(result, "rowcount", 0) or 0)
        session.execute(
            delete(ResponseSum).where(
                ResponseSum.agency_id == agency_id,
                ResponseSum.local_month == month,
                ResponseSum.week == week,
                ResponseSum.counter_id == counter_id,
            )
        )
    return returned


def rebuild(session: Session) -> Refreshed:
    """Empty the summary and fold every response in again (after a restore, or to repair what ``check`` found)."""
    _lock(session)
    session.execute(delete(ResponseSum))
    session.execute(delete(SummaryPlace))
    session.execute(update(Response).where(Response.summarized.is_(True)).values(summarized=False))
    session.commit()
    return refresh(session)


@dataclass(frozen=True)
class Difference:
    key: tuple[Any, ...]
    summary: tuple[int, float] | None  # respondents, Σw in the summary
    raw: tuple[int, float] | None  # the same computed from the responses it claims to hold


def check(session: Session, limit: int = 20) -> tuple[int, list[Difference]]:
    """Compare the summary with the summarized responses, recomputed from the raw tables: (rows compared, the first
    ``limit`` differences)."""
    versions = ensure_places(session)
    session.flush()
    raw = {
        tuple(row[: len(KEYS)]): (int(row[len(KEYS)]), float(row[len(KEYS) + 1]))
        for row in session.execute(_grouped(Response.summarized.is_(True), *_summable(versions)))
    }
    columns = [getattr(ResponseSum, key) for key in KEYS]
    stored = {
        tuple(row[: len(KEYS)]): (int(row[len(KEYS)]), float(row[len(KEYS) + 1]))
        for row in session.execute(select(*columns, ResponseSum.respondents, ResponseSum.weight_sum))
    }
    differences = []
    for key in sorted(set(raw) | set(stored), key=repr):
        mine, theirs = stored.get(key), raw.get(key)
        same = mine is not None and theirs is not None and mine[0] == theirs[0] and abs(mine[1] - theirs[1]) < 1e-6
        if not same:
            differences.append(Difference(_normal(key), mine, theirs))
    session.rollback()
    return len(raw), differences[:limit]


def _normal(key: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(value.value if isinstance(value, Channel) else value for value in key)
