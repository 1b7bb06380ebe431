"""The breakdown groups of ``/api/v1/satisfaction`` — ``procedure_field``, ``profile:<field>``, ``hour``, ``weekday``
— and the dashboard's breakdowns service, on SQLite and PostgreSQL.

Every number is checked against something that does not go through ``app/reports``: the statistics engine fed with
the test's own rows (weights N/n, strata agency × month, PSUs counter × week, lonely PSUs "adjust": the live design
written out here), R's ``survey`` package (``tests/stats/oracle``: an imported survey file whose procedure field
marks one R stratum), and Python's ``zoneinfo`` for the local hour and weekday of answers either side of local
midnight — so SQLite and PostgreSQL, each equal to the same truth, agree."""

from __future__ import annotations

import csv
import random
import uuid
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Settings
from app.directory.models import AgencyLevel, Role
from app.directory.service import create_agency
from app.forms.schemas import PROFILE_FIELDS
from app.officials.scope import scope_of
from app.officials.service import create_official
from app.reports.breakdowns import breakdowns, not_satisfied
from app.reports.satisfaction import satisfaction
from app.reports.selection import local_clock, utc_offsets
from app.responses.ingest import Origin, Submission, prepare, store
from app.responses.models import Channel, Response
from app.responses.selection import Filters
from app.stats.design import make_design
from app.stats.estimates import Estimate, IndexSpec, estimate_domains
from app.stats.tables import table_from_rows
from tests.factories import (
    ELEMENTS,
    ITEMS,
    ORACLE,
    PASSWORD,
    POPULATION,
    Known,
    World,
    database_free,
    login,
    make_tree,
    province,
    registry,
    sipas_cli,
)

# counter-quick's indices by hand: each element is its "in general" item, the component their mean, the overall
# index the component.
INDICES = [
    *(IndexSpec(code, "element", (f"{code}_general",)) for code in ELEMENTS),
    IndexSpec("service", "component", tuple(ELEMENTS)),
    IndexSpec("sipas", "overall", ("service",)),
]


# --- the expected numbers: the engine on the test's own rows -----------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """One stored response as the test knows it: its local submission time decides its hour, weekday, day and
    month (and so its stratum and PSU)."""

    agency: str
    counter: str
    local: datetime  # aware, in the reporting time zone
    answers: dict[str, int]
    channel: Channel = Channel.web_qr
    procedure_field: str | None = None
    sex: str | None = None

    @property
    def month(self) -> int:
        return self.local.year * 100 + self.local.month

    @property
    def week(self) -> int:
        return (self.local.day - 1) // 7


def expected(
    rows: Sequence[Any], key: Callable[[Any], Hashable], weights: np.ndarray | None = None
) -> dict[Hashable, dict[str, Estimate]]:
    """Estimates per domain ``key(row)`` in the live design of all ``rows`` (``Known`` or ``Answer``)."""
    design = make_design(
        np.ones(len(rows)) if weights is None else weights,
        strata=[f"{r.agency}|{r.month}" for r in rows],
        clusters=[f"{r.counter}|{r.week}" for r in rows],
        lonely_psu="adjust",
    )
    keys = sorted({key(row) for row in rows}, key=repr)
    index = {value: d for d, value in enumerate(keys)}
    answered = np.array([[code in row.answers for code in ITEMS] for row in rows], dtype=float)
    satisfied = np.array([[row.answers.get(code, 0) >= 4 for code in ITEMS] for row in rows], dtype=float)
    table, strata = table_from_rows(design, [index[key(row)] for row in rows], answered, satisfied)
    results = estimate_domains(table, strata, ITEMS, INDICES, domains=len(keys), method="beta", level=0.95)
    return {value: {e.metric: e for e in found} for value, found in zip(keys, results, strict=True)}


def population_weights(rows: Sequence[Known], population: dict[tuple[str, int], int]) -> np.ndarray:
    """N/n of each row's (agency, month) cell with a count; the overall ΣN/Σn for the others."""
    n: dict[tuple[str, int], int] = {}
    for row in rows:
        n[(row.agency, row.month)] = n.get((row.agency, row.month), 0) + 1
    counted = {cell: dossiers for cell, dossiers in population.items() if n.get(cell)}
    overall = sum(counted.values()) / sum(n[cell] for cell in counted)
    return np.array(
        [
            counted[(r.agency, r.month)] / n[(r.agency, r.month)] if (r.agency, r.month) in counted else overall
            for r in rows
        ]
    )


def assert_same(api: dict[str, Any], estimate: Estimate, context: object = "") -> None:
    for name, value in (
        ("estimate_pct", estimate.estimate),
        ("ci_low_pct", estimate.low),
        ("ci_high_pct", estimate.high),
        ("se_pct", estimate.se),
    ):
        assert api[name] == pytest.approx(value * 100, abs=1e-9), (context, name)
    assert (api["n"], api["df"], api["unreliable"]) == (estimate.n, estimate.df, estimate.unreliable), context


def store_answers(session: Session, settings: Settings, world: World, rows: Sequence[Answer]) -> None:
    """Through the one ingestion path, with the row's own submission instant and profile."""
    form = registry(session, settings)[("counter-quick", 1)]
    prepared = []
    for row in rows:
        answers: dict[str, Any] = dict(row.answers)
        if answers.get("overall", 5) <= 2:
            answers["reason"] = ["waiting_time"]
        if row.procedure_field:
            answers["procedure_field"] = row.procedure_field
        submitted = row.local.astimezone(UTC)
        submission = Submission(
            submission_id=uuid.uuid4(),
            form_id="counter-quick",
            form_version=1,
            submitted_at=submitted,
            answers=answers,
            profile={"sex": row.sex} if row.sex else {},
        )
        origin = Origin(
            channel=row.channel,
            agency_id=world.agencies[row.agency].id,
            counter_id=world.counters[(row.agency, row.counter)].id,
        )
        prepared.append(prepare(settings, form, submission, origin, now=submitted + timedelta(minutes=1)))
    store(session, prepared)


def sipas_rows(rows: list[dict[str, Any]], metric: str = "sipas") -> list[dict[str, Any]]:
    return [row for row in rows if row["metric"] == metric]


# --- procedure_field ---------------------------------------------------------------------------------------------


def test_group_by_procedure_field_answers_a_row_per_field_with_the_engines_numbers(
    client: TestClient, session: Session, settings: Settings
) -> None:
    world = province(session, settings)  # 90 answers: land, civil status or no field; weighted by N/n
    headers = login(client, session, "admin", Role.province_admin, world.province)
    response = client.get("/api/v1/satisfaction", params={"group_by": "procedure_field"}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["meta"]["weighted"] is True
    rows = {row["procedure_field"]: row for row in body["rows"]}
    assert set(rows) == {"civil_status", "land", None} and len(body["rows"]) == 3
    assert rows["land"]["procedure_field_name"] == "Đất đai"
    assert rows["civil_status"]["procedure_field_name"] == "Hộ tịch"
    assert rows[None]["procedure_field_name"] == "Không rõ"
    clean = world.clean
    wanted = expected(clean, lambda row: row.procedure_field, population_weights(clean, POPULATION))
    for code, row in rows.items():
        assert row["n"] == sum(
            1 for r in clean if r.procedure_field == code and any(f"{e}_general" in r.answers for e in ELEMENTS)
        )
        assert_same(row, wanted[code]["sipas"], code)
    # the three rows are the whole selection: their responses add up to the total's
    (total,) = body["total"]
    assert sum(row["n"] for row in rows.values()) == total["n"]
    # crossed with the questions: one row per field and item, the same engine numbers
    crossed = client.get("/api/v1/satisfaction", params={"group_by": "procedure_field,item"}, headers=headers).json()
    for row in crossed["rows"]:
        assert_same(row, wanted[row["procedure_field"]][row["metric"]], (row["procedure_field"], row["metric"]))
    assert {row["metric"] for row in crossed["rows"]} == set(ITEMS)


def test_the_procedure_field_csv_names_the_field(client: TestClient, session: Session, settings: Settings) -> None:
    world = province(session, settings, population=False)
    headers = login(client, session, "admin", Role.province_admin, world.province)
    response = client.get(
        "/api/v1/satisfaction", params={"group_by": "procedure_field", "format": "csv"}, headers=headers
    )
    assert response.status_code == 200, response.text
    text = response.content.decode("utf-8-sig")
    assert {"procedure_field", "procedure_field_name"} <= set(text.splitlines()[0].split(","))
    assert "Đất đai" in text and "Không rõ" in text
    for group_by in ("procedure_field", "profile:sex", "weekday,hour"):  # the people's file opens, whatever the group
        params = {"group_by": group_by, "format": "xlsx"}
        book = client.get("/api/v1/satisfaction", params=params, headers=headers)
        assert book.status_code == 200 and book.content.startswith(b"PK"), (group_by, book.text[:200])


def _oracle_file(tmp_path: Path, fields: dict[str, str]) -> Path:
    """R's ``satisfaction_wide`` survey as a counter-quick import: E1 is the access question, the R stratum and PSU
    the stored design, and the procedure field marks R's strata ``fields`` (the others state none). ``overall`` is
    5 everywhere: the form requires it, and the access question's rate does not use it."""
    with (ORACLE / "data" / "satisfaction_wide.csv").open(encoding="utf-8") as handle:
        wide = list(csv.DictReader(handle))
    path = tmp_path / "oracle.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "agency", "date", "overall", "access_general", "procedure_field", "w", "stratum", "psu"])
        for row in wide:
            field = fields.get(row["agency"], "")
            writer.writerow(
                [row["resp_id"], "MA-A", "2026-03-02", 5, row["E1"], field, row["weight"], row["agency"], row["psu"]]
            )
    return path


def test_a_procedure_field_domain_equals_r_survey(
    client: TestClient, session: Session, settings: Settings, tmp_path: Path
) -> None:
    """R (tests/stats/oracle/expected/domain_stats.csv, design strat_clus = svydesign(ids=~psu, strata=~agency,
    weights=~weight, nest=TRUE), svyby(~satisfied, ~agency+element, svymean) on the long file): the domains
    A08|E1 and A02|E1 are the access question's rate among the respondents of R's strata A08 and A02 — here the
    procedure fields land and civil status of an imported file whose design is R's."""
    agency = create_agency(session, code="MA-A", name_vi="Sở A", level=AgencyLevel.department)
    session.commit()
    fields = {"A08": "land", "A02": "civil_status"}
    path = _oracle_file(tmp_path, fields)
    invoke = sipas_cli(settings)
    result = invoke(
        *("import", str(path), "--form", "counter-quick@1", "--agency-column", "agency", "--date-column", "date"),
        *("--id-column", "id", "--weight", "w", "--strata", "stratum", "--psu", "psu"),
    )
    assert result.exit_code == 0, result.output
    headers = login(client, session, "admin", Role.province_admin, agency)
    body = client.get("/api/v1/satisfaction", params={"group_by": "procedure_field,item"}, headers=headers).json()
    assert body["meta"]["source"] == "import"
    found = {(row["procedure_field"], row["metric"]): row for row in body["rows"]}
    with (ORACLE / "expected" / "domain_stats.csv").open(encoding="utf-8") as handle:
        r_rows = {
            row["group"]: row
            for row in csv.DictReader(handle)
            if (row["dataset"], row["design"], row["by"]) == ("satisfaction", "strat_clus", "agency+element")
        }
    for stratum, code in fields.items():
        r = r_rows[f"{stratum}|E1"]
        row = found[(code, "access_general")]
        assert row["estimate_pct"] == pytest.approx(float(r["estimate"]) * 100, rel=1e-12), code
        assert row["se_pct"] == pytest.approx(float(r["se"]) * 100, rel=1e-9), code
        assert (row["n"], row["df"]) == (int(r["n"]), int(r["df"])), code
    # A08|E1: n = 174 answers, 78.9…% satisfied — the figures R printed, not a recomputation
    assert found[("land", "access_general")]["n"] == 174


# --- respondent profile ------------------------------------------------------------------------------------------


def _profile_world(session: Session, settings: Settings) -> tuple[World, list[Answer]]:
    world = make_tree(session)
    rng = random.Random(5)
    rows = []
    for i in range(120):
        local = datetime(2025, 3, 1 + i % 28, 8 + i % 9, 15, tzinfo=settings.zone)
        agency, counter = [("TP-A", "Q01"), ("TP-A", "Q02"), ("TP-B", "Q01"), ("TP-C", "Q01")][i % 4]
        answers = {"overall": rng.choice([2, 3, 4, 5, 5])}
        answers |= {f"{e}_general": rng.choice([2, 3, 4, 4, 5]) for e in ELEMENTS if rng.random() < 0.85}
        sex = ["female", "male", None][i % 3]
        rows.append(Answer(agency, counter, local, answers, sex=sex))
    store_answers(session, settings, world, rows)
    return world, rows


def test_group_by_a_profile_field_names_its_bands_and_the_unstated(
    client: TestClient, session: Session, settings: Settings
) -> None:
    world, rows = _profile_world(session, settings)
    headers = login(client, session, "admin", Role.province_admin, world.province)
    body = client.get("/api/v1/satisfaction", params={"group_by": "profile:sex"}, headers=headers).json()
    found = {row["profile:sex"]: row for row in body["rows"]}
    # counter-quick does not ask sex; the labels come from the registered form that does (sipas-2023)
    assert {code: row["profile:sex_name"] for code, row in found.items()} == {
        "female": "Nữ",
        "male": "Nam",
        None: "Không rõ",
    }
    wanted = expected(rows, lambda row: row.sex)
    for code, row in found.items():
        assert_same(row, wanted[code]["sipas"], code)
    # a field nobody stated: one "not stated" row holding everyone
    body = client.get("/api/v1/satisfaction", params={"group_by": "profile:age_band"}, headers=headers).json()
    assert [(row["profile:age_band"], row["profile:age_band_name"]) for row in body["rows"]] == [(None, "Không rõ")]
    assert body["rows"][0]["n"] == body["total"][0]["n"]


@database_free
@pytest.mark.parametrize("group", ["profile:height", "profile", "hours", "procedure"])
def test_an_unknown_group_is_a_422_naming_it(client: TestClient, session: Session, group: str) -> None:
    headers = login(client, session, "admin", Role.national, None)
    response = client.get("/api/v1/satisfaction", params={"group_by": group}, headers=headers)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] and repr(group) in error["message"] and "profile:sex" in error["message"]


# --- hour and weekday --------------------------------------------------------------------------------------------

# Answers either side of local midnight (Asia/Ho_Chi_Minh, UTC+7): local Sunday 23:59:59 is Sunday 16:59:59 UTC,
# local Monday 00:00 is still Sunday in UTC, local Monday 06:59:59 is Sunday 23:59:59 UTC, 07:00 is Monday in UTC.
MIDNIGHT = [
    (datetime(2025, 3, 2, 23, 59, 59), 7, 23),
    (datetime(2025, 3, 3, 0, 0, 0), 1, 0),
    (datetime(2025, 3, 3, 0, 30, 0), 1, 0),
    (datetime(2025, 3, 3, 6, 59, 59), 1, 6),
    (datetime(2025, 3, 3, 7, 0, 0), 1, 7),
    (datetime(2025, 3, 31, 23, 30, 0), 1, 23),  # the period's last evening
    (datetime(2025, 3, 1, 0, 5, 0), 6, 0),  # local 1 March is 28 February in UTC
]


def _clock_world(session: Session, settings: Settings) -> tuple[World, list[Answer]]:
    world = make_tree(session)
    rng = random.Random(17)
    places = [("TP-A", "Q01"), ("TP-A", "Q02"), ("TP-B", "Q01"), ("TP-C", "Q01")]
    rows = []
    for i, (naive, _weekday, _hour) in enumerate(MIDNIGHT * 3):
        agency, counter = places[i % 4]
        rows.append(Answer(agency, counter, naive.replace(tzinfo=settings.zone), {"overall": 4, "access_general": 4}))
    for i in range(240):
        day = 1 + rng.randrange(31)
        local = datetime(2025, 3, day, rng.choice([7, 8, 9, 10, 14, 16, 23]), rng.randrange(60), tzinfo=settings.zone)
        agency, counter = places[i % 4]
        answers = {"overall": rng.choice([1, 3, 4, 5])}
        answers |= {f"{e}_general": rng.choice([1, 2, 3, 4, 5, 5]) for e in ELEMENTS if rng.random() < 0.9}
        channel = rng.choice([Channel.web_qr, Channel.kiosk])
        field = rng.choice(["land", "civil_status", None])
        rows.append(Answer(agency, counter, local, answers, channel, field, rng.choice(["male", "female", None])))
    store_answers(session, settings, world, rows)
    return world, rows


def test_hour_and_weekday_are_local_and_estimated_like_any_domain(
    client: TestClient, session: Session, settings: Settings
) -> None:
    world, rows = _clock_world(session, settings)
    for naive, weekday, hour in MIDNIGHT:  # the test's own arithmetic, by zoneinfo
        local = naive.replace(tzinfo=settings.zone)
        assert (local.isoweekday(), local.hour) == (weekday, hour)
    headers = login(client, session, "admin", Role.province_admin, world.province)
    params = {"group_by": "weekday,hour", "from": "2025-03-01", "to": "2025-03-31"}
    body = client.get("/api/v1/satisfaction", params=params, headers=headers).json()
    wanted = expected(rows, lambda row: (row.local.isoweekday(), row.local.hour))
    found = {(int(row["weekday"]), int(row["hour"])): row for row in body["rows"]}
    assert set(found) == set(wanted)
    for key, row in found.items():
        assert row["hour"] == f"{key[1]:02d}"
        assert_same(row, wanted[key]["sipas"], key)
    assert found[(7, 23)]["weekday_name"] == "Chủ nhật" and found[(1, 0)]["weekday_name"] == "Thứ Hai"
    # rows in weekday then numeric hour order
    assert list(found) == sorted(found)
    for group, key in (("hour", lambda row: row.local.hour), ("weekday", lambda row: row.local.isoweekday())):
        single = client.get("/api/v1/satisfaction", params={"group_by": group}, headers=headers).json()
        wanted_one = expected(rows, key)
        assert {int(row[group]) for row in single["rows"]} == set(wanted_one)
        for row in single["rows"]:
            assert_same(row, wanted_one[int(row[group])]["sipas"], (group, row[group]))


@pytest.mark.parametrize("zone_name", ["Asia/Ho_Chi_Minh", "Europe/Berlin", "America/Sao_Paulo"])
def test_the_local_clock_sql_agrees_with_zoneinfo_around_midnight_and_summer_time(
    session: Session, settings: Settings, zone_name: str
) -> None:
    """The SQL of each database (AT TIME ZONE on PostgreSQL, the offsets written into a CASE on SQLite) gives the
    hour and weekday ``zoneinfo`` gives, for instants either side of local midnight and of summer-time changes."""
    zone = ZoneInfo(zone_name)
    world = make_tree(session)
    instants = [
        datetime(2025, 3, 30, 0, 59, 59, tzinfo=UTC),  # Berlin: the minute before summer time
        datetime(2025, 3, 30, 1, 0, 0, tzinfo=UTC),
        datetime(2025, 10, 26, 0, 59, 59, tzinfo=UTC),
        datetime(2025, 10, 26, 1, 0, 0, tzinfo=UTC),
        datetime(2018, 11, 4, 2, 59, 59, tzinfo=UTC),  # São Paulo's last summer time began on 4 November 2018
        datetime(2018, 11, 4, 3, 0, 0, tzinfo=UTC),
    ]
    for local_midnight in (datetime(2025, 6, 2, tzinfo=zone), datetime(2025, 1, 6, tzinfo=zone)):
        instants += [local_midnight - timedelta(seconds=1), local_midnight, local_midnight + timedelta(hours=1)]
    rows = [Answer("TP-A", "Q01", at.astimezone(settings.zone), {"overall": 5}) for at in instants]
    store_answers(session, settings, world, rows)
    clock = local_clock(session.get_bind().dialect.name, zone)
    found = session.execute(
        select(Response.submitted_at, clock.weekday, clock.hour).order_by(Response.submitted_at)
    ).all()
    assert len(found) == len(instants)
    for submitted, weekday, hour in found:
        local = submitted.astimezone(zone)
        assert (int(weekday), int(hour)) == (local.isoweekday(), local.hour), submitted
    # limited to a period, the SQLite CASE keeps only the offsets in force then (one for Hồ Chí Minh City)
    narrowed = local_clock(session.get_bind().dialect.name, zone, date(2025, 6, 1), date(2025, 6, 30))
    in_june = Response.local_date.between(date(2025, 6, 1), date(2025, 6, 30))
    june = session.execute(select(Response.submitted_at, narrowed.weekday, narrowed.hour).where(in_june)).all()
    assert june
    for submitted, weekday, hour in june:
        assert (int(weekday), int(hour)) == (submitted.astimezone(zone).isoweekday(), submitted.astimezone(zone).hour)


def test_utc_offsets_follow_the_time_zone_database() -> None:
    berlin = utc_offsets("Europe/Berlin")
    spring = next(piece for piece in berlin if piece[0].year == 2025 and piece[0].month == 3)
    autumn = next(piece for piece in berlin if piece[0].year == 2025 and piece[0].month == 10)
    assert spring == (datetime(2025, 3, 30, 1, 0, tzinfo=UTC), 7200)
    assert autumn == (datetime(2025, 10, 26, 1, 0, tzinfo=UTC), 3600)
    # Hồ Chí Minh City: UTC+7 since 13 June 1975, nothing after
    assert utc_offsets("Asia/Ho_Chi_Minh")[-1] == (datetime(1975, 6, 12, 16, 0, tzinfo=UTC), 25200)


# --- the dashboard's breakdowns service -------------------------------------------------------------------------


def test_breakdowns_share_one_selection_and_count_every_cell(session: Session, settings: Settings) -> None:
    world, rows = _clock_world(session, settings)
    official = create_official(
        session, username="analyst", password=PASSWORD, role=Role.province_admin, agency=world.province
    )
    session.commit()
    filters = Filters(date_from=date(2025, 3, 1), date_to=date(2025, 3, 31))
    found = breakdowns(session, scope_of(session, official), registry(session, settings), filters, zone=settings.zone)
    cells: dict[tuple[int, int], int] = {}
    for row in rows:
        cell = (row.local.isoweekday(), row.local.hour)
        cells[cell] = cells.get(cell, 0) + 1
    assert found.responses_per_cell == cells
    assert sum(found.responses_per_cell.values()) == len(rows) == found.meta.responses
    assert list(found.by_profile) == ["sex"] and found.unstated_profiles == PROFILE_FIELDS[1:]
    assert {row.keys["channel"] for row in found.by_channel.rows} == {"web_qr", "kiosk"}
    assert {row.indicator for row in found.by_item.rows} >= {f"item:{code}" for code in ITEMS}
    # one pass over the crossed groups, added up into each grouping: the numbers of a query per grouping, and of
    # the engine on the test's rows
    forms = registry(session, settings)
    scope = scope_of(session, official)
    for result, group_by, key in (
        (found.by_field, ["procedure_field"], lambda row: row.procedure_field),
        (found.by_channel, ["channel"], lambda row: row.channel.value),
        (found.by_profile["sex"], ["profile:sex"], lambda row: row.sex),
        (found.clock, ["weekday", "hour"], lambda row: (row.local.isoweekday(), row.local.hour)),
    ):
        alone = satisfaction(session, scope, forms, filters, group_by, zone=settings.zone)
        assert [row.keys for row in result.rows] == [row.keys for row in alone.rows], group_by
        wanted = expected(rows, key)
        for row, single in zip(result.rows, alone.rows, strict=True):
            for name in ("estimate", "se", "low", "high"):
                assert getattr(row.estimate, name) == pytest.approx(getattr(single.estimate, name), abs=1e-12)
            assert (row.estimate.n, row.estimate.df, row.estimate.flags) == (
                single.estimate.n,
                single.estimate.df,
                single.estimate.flags,
            )
            value = tuple(int(row.keys[g] or 0) for g in group_by) if "hour" in group_by else row.keys[group_by[0]]
            assert row.estimate.estimate == pytest.approx(wanted[value]["sipas"].estimate, abs=1e-12), value
        assert result.total[0].estimate.estimate == pytest.approx(alone.total[0].estimate.estimate, abs=1e-12)


def test_the_dissatisfied_share_is_judged_as_shown() -> None:
    """1 − p with the mirrored interval; the relative-width rule is applied to the share shown: 95% satisfied
    with an interval 10 points wide is reliable, its 5% dissatisfied (10 points is 200% of 5%) is not."""
    estimate = Estimate("sipas", "overall", 0.95, 0.025, 0.88, 0.98, 400, 300.0, 1.2, 40, "beta", 0.95, 0.9, "met")
    assert not estimate.unreliable
    share = not_satisfied(estimate)
    assert (share.estimate, share.low, share.high) == pytest.approx((0.05, 0.02, 0.12))
    assert share.unreliable and "relative_ci_width_above_130" in share.flags
    assert share.verdict is None and share.target is None
    wide = not_satisfied(Estimate("sipas", "overall", 0.5, 0.02, 0.46, 0.54, 900, 600.0, 1.0, 60, "beta", 0.95))
    assert not wide.unreliable and wide.estimate == pytest.approx(0.5)
