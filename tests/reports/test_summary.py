"""The summary of sufficient statistics (app/responses/summary.py) serves every figure of the live design with the
numbers the raw answers give: for any sequence of submissions, replays, imports, refreshes, later flags and
reviews, on SQLite and PostgreSQL; ``sipas summary check`` finds it equal, and a damaged summary is found."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import FIGURES_SOURCE
from app.directory.models import Role
from app.officials.scope import Scope, scope_of
from app.officials.service import create_official
from app.reports import from_summary, sums
from app.reports.comparisons import compare_agency
from app.reports.rankings import rankings
from app.reports.satisfaction import satisfaction
from app.reports.trends import trends
from app.responses.models import Channel, Response, ResponseSum
from app.responses.review import Decision, decide
from app.responses.selection import Filters
from app.responses.summary import check, in_tail, rebuild, refresh, unsummarize
from tests.factories import ITEMS, PASSWORD, Known, World, add_population, add_rows, make_tree, registry
from tests.support.compare import first_difference

PLACES = [("TP-A", "Q01"), ("TP-A", "Q02"), ("TP-B", "Q01"), ("TP-C", "Q01")]
DAYS = [date(2025, 1, 3), date(2025, 1, 30), date(2025, 2, 1), date(2025, 2, 14), date(2025, 2, 28), date(2025, 3, 9)]


def _plain(value: Any) -> Any:
    """Report objects as plain data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


REPORTS: dict[str, Callable[[Session, Scope, Any], Any]] = {
    "agencies": lambda s, scope, forms: satisfaction(s, scope, forms, Filters(), ["agency"]),
    "months by element": lambda s, scope, forms: satisfaction(s, scope, forms, Filters(), ["month", "element"]),
    "whole months, counters": lambda s, scope, forms: satisfaction(
        s, scope, forms, Filters(date_from=date(2025, 2, 1), date_to=date(2025, 2, 28)), ["counter", "item"]
    ),
    "cut months": lambda s, scope, forms: satisfaction(
        s, scope, forms, Filters(date_from=date(2025, 1, 15), date_to=date(2025, 2, 20)), ["agency"]
    ),
    "inside one month": lambda s, scope, forms: satisfaction(
        s, scope, forms, Filters(date_from=date(2025, 2, 3), date_to=date(2025, 2, 20)), ["agency"]
    ),
    "from inside a month, open end": lambda s, scope, forms: satisfaction(
        s, scope, forms, Filters(date_from=date(2025, 1, 15)), ["month"]
    ),
    "kiosk only, by field": lambda s, scope, forms: satisfaction(
        s, scope, forms, Filters(channel=Channel.kiosk), ["procedure_field"]
    ),
    "one field, unweighted": lambda s, scope, forms: satisfaction(
        s, scope, forms, Filters(procedure_field="land", weighted=False), ["agency", "quarter"]
    ),
    "trend": lambda s, scope, forms: trends(s, scope, forms, Filters()),
    "rankings": lambda s, scope, forms: rankings(
        s, scope, forms, Filters(date_from=date(2025, 2, 1), date_to=date(2025, 3, 31))
    ),
    "against the parent": lambda s, scope, forms: compare_agency(
        s,
        scope=scope,
        forms=forms,
        filters=Filters(agency="TP-A", date_from=date(2025, 1, 1), date_to=date(2025, 3, 31)),
        against="parent",
    ),
}


def _figures(session: Session, scope: Scope, forms: Any, source: str) -> dict[str, Any]:
    session.info[FIGURES_SOURCE] = source
    try:
        out = {}
        for name, report in REPORTS.items():
            try:
                out[name] = _plain(report(session, scope, forms))
            except Exception as error:  # an answer refused the same way on both paths is equal too
                out[name] = f"{type(error).__name__}: {error}"
        return out
    finally:
        session.info.pop(FIGURES_SOURCE, None)


def _rows(rng: random.Random, count: int) -> list[Known]:
    rows = []
    for _ in range(count):
        agency, counter = rng.choice(PLACES)
        quality = {"TP-A": 0.9, "TP-B": 0.6, "TP-C": 0.75}[agency]
        answers = {item: (5 if rng.random() < quality else rng.choice([1, 2, 3])) for item in ITEMS}
        for item in ITEMS[1:]:
            if rng.random() < 0.2:
                del answers[item]
        rows.append(
            Known(
                agency=agency,
                counter=counter,
                day=rng.choice(DAYS),
                channel=rng.choice([Channel.web_qr, Channel.kiosk]),
                answers=answers,
                procedure_field=rng.choice([None, "land", "civil_status"]),
                spam=rng.random() < 0.1,
            )
        )
    return rows


def _flag_later(session: Session, ids: list[int]) -> None:
    """What a burst or the kiosk plausibility check does to earlier answers."""
    session.execute(update(Response).where(Response.id.in_(ids)).values(is_suspected_spam=True, flag_reason="burst"))
    unsummarize(session, ids)
    session.commit()


def _world(session: Session, settings: Settings) -> tuple[World, Scope, Any]:
    world = make_tree(session)
    official = create_official(
        session, username="analyst", password=PASSWORD, role=Role.province_admin, agency=world.province
    )
    session.commit()
    add_population(session, world, {("TP-A", 202501): 900, ("TP-B", 202501): 300, ("TP-A", 202502): 800})
    return world, scope_of(session, official), registry(session, settings)


STEPS = st.lists(st.sampled_from(["submit", "replay", "refresh", "flag", "release", "confirm"]), min_size=3, max_size=7)


@pytest.mark.slow
@hypothesis_settings(
    max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(steps=STEPS, seed=st.integers(0, 10_000))
def test_every_report_from_the_summary_equals_the_report_from_raw_answers(
    session: Session, settings: Settings, steps: list[str], seed: int
) -> None:
    rng = random.Random(seed)
    world, scope, forms = _fresh_world(session, settings)
    stored: list[Known] = []
    for step in ["submit", "refresh", *steps]:
        if step == "submit":
            batch = _rows(rng, rng.randint(5, 25))
            add_rows(session, settings, world, batch)
            stored += batch
        elif step == "replay" and stored:
            add_rows(session, settings, world, rng.sample(stored, min(3, len(stored))))
        elif step == "refresh":
            refresh(session)
        elif step == "flag":
            ids = list(session.scalars(select(Response.id).where(Response.is_suspected_spam.is_(False))))
            _flag_later(session, rng.sample(ids, min(3, len(ids))))
        elif step in ("release", "confirm"):
            ids = list(
                session.scalars(
                    select(Response.id).where(Response.is_suspected_spam.is_(True), Response.flag_review.is_(None))
                )
            )
            if ids:
                decision = Decision.release if step == "release" else Decision.confirm
                decide(session, scope, rng.sample(ids, min(2, len(ids))), decision, reason="test")
                session.commit()
        summary, raw = _figures(session, scope, forms, "summary"), _figures(session, scope, forms, "raw")
        difference = first_difference(summary, raw, 1e-9)
        assert difference is None, (step, difference)
    assert check(session)[1] == []  # what is folded equals the raw tables (later flags may have emptied it)
    refresh(session)
    compared, differences = check(session)
    assert differences == [] and compared > 0
    assert session.scalar(select(func.count()).where(Response.summarized.is_(False))) == 0


_WORLDS: dict[int, tuple[World, Scope, Any]] = {}


def _fresh_world(session: Session, settings: Settings) -> tuple[World, Scope, Any]:
    """Hypothesis runs several examples on one database: each starts from no responses in the same tree."""
    key = id(session)
    if key not in _WORLDS:
        _WORLDS[key] = _world(session, settings)
    world, scope, forms = _WORLDS[key]
    for table in ("answers", "dossier_links", "comment_moderation", "responses", "response_sums"):
        session.execute(Response.metadata.tables[table].delete())
    session.commit()
    world.rows.clear()
    return world, scope, forms


def test_the_summary_serves_the_figures_and_check_finds_damage(
    session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    world, scope, forms = _world(session, settings)
    add_rows(session, settings, world, _rows(random.Random(3), 60))
    raw = _figures(session, scope, forms, "raw")
    folded = refresh(session)
    assert (folded.responses, folded.marked) == (60, 60)
    assert session.scalar(select(func.count()).where(Response.summarized.is_(False))) == 0
    assert session.scalar(select(func.sum(ResponseSum.respondents))) == 60
    served: list[bool] = []

    def spy(session: Session, query: Any) -> Any:
        found = from_summary.summary_rows(session, query)
        served.append(found is not None)
        return found

    def spy_split(session: Session, query: Any, flag: Any) -> Any:
        found = from_summary.summary_rows_split(session, query, flag)
        served.append(found is not None)
        split.append(found is not None)
        return found

    split: list[bool] = []
    monkeypatch.setattr(sums, "summary_rows", spy)
    monkeypatch.setattr(sums, "summary_rows_split", spy_split)
    assert first_difference(_figures(session, scope, forms, "summary"), raw, 1e-9) is None
    # every report's sums came from the summary (dates inside a month included: their months read raw)
    assert served and all(served), served
    # the figures and their sensitivity to the suspected spam came from one pass where there was suspected spam
    assert split and all(split), split
    monkeypatch.undo()
    assert check(session) == (session.scalar(select(func.count()).select_from(ResponseSum)), [])
    # a damaged summary (a count changed by hand) is found, and rebuild repairs it
    session.execute(update(ResponseSum).where(ResponseSum.id == 1).values(respondents=ResponseSum.respondents + 1))
    session.commit()
    differences = check(session)[1]
    assert len(differences) == 1 and differences[0].summary is not None and differences[0].raw is not None
    assert differences[0].summary[0] == differences[0].raw[0] + 1
    assert rebuild(session).responses == 60
    assert check(session)[1] == []
    assert first_difference(_figures(session, scope, forms, "summary"), raw, 1e-9) is None


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_sipas_summary_commands(session: Session, settings: Settings, tmp_path: Any) -> None:
    from tests.factories import sipas_cli

    world, _scope, _forms = _world(session, settings)
    add_rows(session, settings, world, _rows(random.Random(5), 12))
    run = sipas_cli(settings)
    refreshed = run("summary", "refresh")
    assert refreshed.exit_code == 0 and "refreshed: 12 live responses folded into the summary (12 marked)" in (
        refreshed.output
    )
    checked = run("summary", "check")
    assert checked.exit_code == 0 and "the summary equals the raw tables" in checked.output
    session.execute(update(ResponseSum).values(weight_sum=ResponseSum.weight_sum * 2))
    session.commit()
    damaged = run("summary", "check")
    assert damaged.exit_code == 1 and "repair: sipas summary rebuild" in damaged.output
    rebuilt = run("summary", "rebuild")
    assert rebuilt.exit_code == 0 and "rebuilt: 12 live responses" in rebuilt.output
    assert run("summary", "check").exit_code == 0


def test_the_tail_is_read_on_its_partial_index(session: Session) -> None:
    """A refresh that finds nothing, and every figure, read the tail (responses not yet folded in) on
    ``ix_responses_not_summarized``: written ``summarized IS false`` (or SQLite's ``summarized = 0``), both databases
    scanned every response instead — a national table each refresh tick."""
    statement = select(Response.id).where(in_tail()).order_by(Response.id).limit(1)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL enable_seqscan = off"))  # a test's tiny table is otherwise scanned anyway
        explain = "EXPLAIN "
    else:
        explain = "EXPLAIN QUERY PLAN "
    compiled = statement.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
    plan = " ".join(str(row) for row in session.execute(text(explain + str(compiled))))
    names = {"ix_responses_not_summarized"}
    if explain == "EXPLAIN ":  # the month partitions' own copies of it (app/partitions.py)
        children = (
            "SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = 'ix_responses_not_summarized'::regclass"
        )
        names |= set(session.scalars(text(children)))
    assert any(name in plan for name in names), plan
    session.rollback()
