"""What the test modules share: builders of test data (real rows through the real services), logins, the small
known province of the reports' tests, Tỉnh Minh An's counters, R's reference data. Test modules import these from
here, never from one another."""

from __future__ import annotations

import csv
import random
import re
import subprocess
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from app.cli import cli
from app.config import Settings
from app.directory.models import Agency, AgencyLevel, Counter, Role
from app.directory.service import create_agency, create_counter
from app.forms.loader import RegisteredForm, check_registered, load_forms
from app.officials.service import create_official
from app.reference.models import PopulationCount, Target
from app.reports.sums import SumsQuery, fetch_sums
from app.responses.ingest import Origin, Submission, prepare, store
from app.responses.models import Channel
from app.stats.design import Design, LonelyPsu, make_design, poststratify
from app.stats.estimates import Estimate, IndexSpec, estimate_domains
from app.stats.intervals import DEFAULT_METHOD, Method


def registry(session: Session, settings: Settings) -> dict[tuple[str, int], RegisteredForm]:
    return check_registered(session, load_forms(settings.forms_dir))


def counter_tree(session: Session) -> tuple[Agency, Agency, Counter]:
    """A province with one commune that has counter Q01; committed."""
    province = create_agency(
        session, code="HN", name_vi="Thành phố Hà Nội", name_en="Hanoi", level=AgencyLevel.province
    )
    commune = create_agency(
        session,
        code="HN-X01",
        name_vi="Xã Bát Tràng",
        name_en="Bat Trang Commune",
        level=AgencyLevel.commune,
        parent=province,
    )
    counter = create_counter(session, agency=commune, code="Q01", name_vi="Quầy số 1", name_en="Counter 1")
    session.commit()
    return province, commune, counter


FORMS_DIR = Path(__file__).resolve().parents[1] / "survey_forms"

# For a test of what reads no database (the planner, the forms as JSON, the OpenAPI document, routing errors): the
# app on SQLite alone. Every database test runs on both databases (the `backend` fixture); here PostgreSQL would
# check nothing more. A test parameter named like a fixture replaces it, also where only a fixture asks for it.
database_free = pytest.mark.parametrize("backend", ["sqlite"])


PASSWORD = "correct horse battery"


def log_in_as(client: Any, username: str, password: str = PASSWORD) -> dict[str, str]:
    """The bearer header of a fresh login (``POST /api/v1/auth/token``) of an existing official."""
    response = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def login(client: Any, session: Session, username: str, role: Role, agency: Agency | None) -> dict[str, str]:
    """An official of ``role`` over ``agency`` and the bearer header of a fresh login."""
    create_official(session, username=username, password=PASSWORD, role=role, agency=agency)
    session.commit()
    return log_in_as(client, username)


def login_form_token(client: Any, path: str = "/dashboard/login") -> str:
    """Open the dashboard's login form, as a browser does first (it sets the pre-session anti-forgery cookie), and
    return the form's token."""
    page = client.get(path)
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text)
    assert found is not None, page.text
    return found.group(1)


def dashboard_login(client: Any, username: str, password: str = PASSWORD, **fields: str) -> Any:
    """Log in through the dashboard's form (with its anti-forgery token); the answer, not followed."""
    data = {"username": username, "password": password, "csrf_token": login_form_token(client), **fields}
    return client.post("/dashboard/login", data=data, follow_redirects=False)


def live_response(
    session: Session,
    settings: Settings,
    *,
    agency: Agency,
    counter: Counter | None,
    day: date,
    overall: int,
    channel: Channel = Channel.web_qr,
    procedure_field: str | None = None,
) -> None:
    """One counter-quick response of a live channel through the one ingestion path, stored and committed."""
    form = registry(session, settings)[("counter-quick", 1)]
    answers: dict[str, Any] = {"overall": overall}
    if overall <= 2:
        answers["reason"] = ["waiting_time"]
    if procedure_field:
        answers["procedure_field"] = procedure_field
    submitted = datetime.combine(day, time(10, 0), tzinfo=settings.zone).astimezone(UTC)
    submission = Submission(
        submission_id=uuid.uuid4(), form_id="counter-quick", form_version=1, submitted_at=submitted, answers=answers
    )
    origin = Origin(channel=channel, agency_id=agency.id, counter_id=counter.id if counter else None)
    store(session, [prepare(settings, form, submission, origin, now=submitted + timedelta(minutes=1))])
    session.commit()


# --- the citizen form, as a browser or a script uses it ---------------------------------------------------------


@dataclass
class Clock:
    """Wall time for the form (received_at, the burst window) and monotonic time for the in-memory limiters."""

    start: datetime
    elapsed: float = 0.0

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed)

    def monotonic(self) -> float:
        return 1_000_000.0 + self.elapsed

    def advance(self, seconds: float) -> None:
        self.elapsed += seconds


def hidden(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))


def submit(client: TestClient, path: str, answers: dict[str, str], *, new_answer: bool = False) -> int:
    """Open the form (as a script must, for its anti-forgery token and, on a first visit, its client id) and send
    it. A browser keeps its submission id for a link (Back and send again store nothing new); ``new_answer`` asks
    for a new one first, as the form's "open a new form" link does. The status of the send: 303 when it ends on the
    thank-you page; a send the form refuses (its mistakes, or an expired page) redirects back to the form (303 too),
    reported here as 422; anything else as it is (400, 410, 429)."""
    page = client.get(path + "/new" if new_answer else path)
    sent = client.post(path, data={**hidden(page.text), **answers}, follow_redirects=False)
    if sent.status_code == 303 and "/thanks" not in sent.headers["location"]:
        return 422
    return sent.status_code


def stranger(app: FastAPI, number: int) -> TestClient:
    """A client from its own address, without cookies: a script rotating addresses."""
    return TestClient(app, client=(f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256}", 40000))


def sipas_cli(settings: Settings, **env: str) -> Callable[..., Result]:
    """``invoke("qr", "--agency", "MA", …)``: the ``sipas`` command in-process, on the test's database and secrets
    (``env`` adds variables to every call; ``invoke(…, NAME=value)`` to one)."""
    base = {
        "SIPAS_DATABASE_URL": settings.database_url,
        "SIPAS_SECRETS_FILE": str(settings.secrets_file),
        "SIPAS_ENV": "test",
        **env,
    }

    def invoke(*args: str, **extra_env: str) -> Result:
        return CliRunner().invoke(cli, list(args), env={**base, **extra_env})

    return invoke


# --- a small, fully known province (the reports, the exports, the authorization matrix) --------------------

# counter-quick's scale items and elements
ITEMS = [
    "overall",
    "access_general",
    "procedure_general",
    "civil_servant_general",
    "result_general",
    "feedback_general",
]
ELEMENTS = ["access", "procedure", "civil_servant", "result", "feedback"]
DAYS = (3, 10, 17, 24, 30)  # weeks 0–4 of the month
MONTHS = (202501, 202502, 202503)
INJECTION = "=1+2 Xã Cát"  # a name a spreadsheet would evaluate


@dataclass(frozen=True)
class Known:
    """One stored response as the test knows it."""

    agency: str
    counter: str
    day: date
    channel: Channel
    answers: dict[str, int]  # scale items only
    procedure_field: str | None = None
    spam: bool = False
    test: bool = False
    comment: str | None = None

    @property
    def month(self) -> int:
        return self.day.year * 100 + self.day.month

    @property
    def week(self) -> int:
        return (self.day.day - 1) // 7


@dataclass
class World:
    province: Agency
    agencies: dict[str, Agency]
    counters: dict[tuple[str, str], Counter]
    rows: list[Known] = field(default_factory=list)
    population: dict[tuple[str, int], int] = field(default_factory=dict)  # (agency, yyyymm) → dossiers handled

    @property
    def clean(self) -> list[Known]:
        return [row for row in self.rows if not row.spam and not row.test]


def make_tree(session: Session) -> World:
    """Province TP with communes TP-A (two counters), TP-B and TP-C (one each); TP-C's name starts with '='."""
    province = create_agency(session, code="TP", name_vi="Tỉnh Thử Nghiệm", level=AgencyLevel.province)
    agencies = {"TP": province}
    for code, name in (("TP-A", "Xã An Hòa"), ("TP-B", "Xã Bình Lư"), ("TP-C", INJECTION)):
        agencies[code] = create_agency(session, code=code, name_vi=name, level=AgencyLevel.commune, parent=province)
    counters = {
        (code, counter): create_counter(session, agency=agencies[code], code=counter, name_vi=f"Quầy {counter} {code}")
        for code, counter in (("TP-A", "Q01"), ("TP-A", "Q02"), ("TP-B", "Q01"), ("TP-C", "Q01"))
    }
    session.commit()
    return World(province, agencies, counters)


def add_rows(session: Session, settings: Settings, world: World, rows: Sequence[Known]) -> None:
    """Store rows through the one ingestion path (as ``app/demo.py`` does, without HTTP)."""
    forms = registry(session, settings)
    form = forms[("counter-quick", 1)]
    prepared = []
    for row in rows:
        answers: dict[str, Any] = dict(row.answers)
        if answers.get("overall", 5) <= 2:
            answers["reason"] = ["waiting_time"]
        if row.procedure_field:
            answers["procedure_field"] = row.procedure_field
        if row.comment:
            answers["comment"] = row.comment
        submitted = datetime.combine(row.day, time(10, 0), tzinfo=settings.zone).astimezone(UTC)
        submission = Submission(
            submission_id=uuid.uuid4(),
            form_id="counter-quick",
            form_version=1,
            submitted_at=submitted,
            answers=answers,
            profile={"sex": "female"},
            dossier_code="000.00.12.H26-250101-0001",
        )
        counter = world.counters[(row.agency, row.counter)]
        origin = Origin(
            channel=row.channel,
            agency_id=world.agencies[row.agency].id,
            counter_id=counter.id,
            is_suspected_spam=row.spam,
            is_test=row.test,
            flag_reason="honeypot" if row.spam else None,
        )
        prepared.append(prepare(settings, form, submission, origin, now=submitted + timedelta(minutes=1)))
    store(session, prepared)
    world.rows.extend(rows)


def add_population(session: Session, world: World, counts: dict[tuple[str, int], int]) -> None:
    for (code, month), dossiers in counts.items():
        start = date(month // 100, month % 100, 1)
        end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        session.add(
            PopulationCount(
                agency_id=world.agencies[code].id, period_start=start, period_end=end, dossiers_handled=dossiers
            )
        )
    session.commit()
    world.population.update(counts)


def add_target(
    session: Session, agency: Agency, threshold: float, indicator: str = "sipas", subtree: bool = True
) -> None:
    session.add(
        Target(
            agency_id=agency.id,
            indicator=indicator,
            period_start=date(2025, 1, 1),
            period_end=date(2025, 12, 31),
            threshold_pct=threshold,
            applies_to_subtree=subtree,
        )
    )
    session.commit()


SMALL = {"TP-A": 12, "TP-B": 10, "TP-C": 6}


def random_rows(seed: int = 7, per_month: dict[str, int] = SMALL) -> list[Known]:
    """About ninety responses over three months (``SMALL``): agencies of different quality, missing answers (feedback
    most often), both channels, two procedure fields, a few comments; then five flagged ones, all 'very
    satisfied'."""
    rng = random.Random(seed)
    quality = {"TP-A": 0.88, "TP-B": 0.62, "TP-C": 0.78}
    counters = {"TP-A": ["Q01", "Q02"], "TP-B": ["Q01"], "TP-C": ["Q01"]}
    rows: list[Known] = []
    for month in MONTHS:
        for agency, count in per_month.items():
            for _ in range(count):
                answers = {"overall": rng.choice([4, 5]) if rng.random() < quality[agency] else rng.choice([1, 2, 3])}
                for element in ELEMENTS:
                    if rng.random() < (0.4 if element == "feedback" else 0.12):
                        continue
                    answers[f"{element}_general"] = (
                        rng.choice([4, 5]) if rng.random() < quality[agency] else rng.choice([1, 2, 3])
                    )
                day = date(month // 100, month % 100, min(rng.choice(DAYS), 28 if month % 100 == 2 else 31))
                rows.append(
                    Known(
                        agency,
                        rng.choice(counters[agency]),
                        day,
                        Channel.kiosk if rng.random() < 0.3 else Channel.web_qr,
                        answers,
                        procedure_field=rng.choice(["land", "civil_status", None]),
                        comment="Gọi tôi: 0912 345 678, Nguyễn Văn Ba" if rng.random() < 0.1 else None,
                    )
                )
    everything = dict.fromkeys(ITEMS, 5)
    rows += [Known("TP-A", "Q01", date(2025, 1, 10), Channel.kiosk, everything, spam=True) for _ in range(3)]
    rows += [Known("TP-B", "Q01", date(2025, 2, 17), Channel.web_qr, everything, test=True) for _ in range(2)]
    return rows


POPULATION = {("TP-A", 202501): 120, ("TP-A", 202502): 90, ("TP-B", 202501): 200, ("TP-C", 202503): 30}


def province(
    session: Session, settings: Settings, *, population: bool = True, per_month: dict[str, int] = SMALL
) -> World:
    world = make_tree(session)
    add_rows(session, settings, world, random_rows(per_month=per_month))
    if population:
        add_population(session, world, POPULATION)
    add_target(session, world.province, 86.0)
    return world


# --- R's survey package on reference data (tests/stats/oracle/: the data, R's numbers and the calls) ----------

ORACLE = Path(__file__).resolve().parent / "stats" / "oracle"


@cache
def oracle_data(name: str) -> dict[str, np.ndarray]:
    """A CSV file of oracle/data/ by column: numbers as floats (NA as NaN), anything else as text."""
    with (ORACLE / "data" / f"{name}.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    columns: dict[str, np.ndarray] = {}
    for key in rows[0]:
        values = [row[key] for row in rows]
        try:
            columns[key] = np.array([float(value) if value not in ("", "NA") else np.nan for value in values])
        except ValueError:
            columns[key] = np.array(values)
    return columns


ORACLE_DESIGNS: dict[tuple[str, str], Callable[[dict[str, np.ndarray]], Design]] = {
    ("apistrat", "strat_fpc"): lambda d: make_design(d["pw"], strata=d["stype"], fpc=d["fpc"]),
    ("apistrat", "strat_nofpc"): lambda d: make_design(d["pw"], strata=d["stype"]),
    ("apistrat", "weights_only"): lambda d: make_design(d["pw"]),
    ("apiclus1", "clus1_fpc"): lambda d: make_design(d["pw"], clusters=d["dnum"], fpc=d["fpc"]),
    ("apiclus1", "clus1_nofpc"): lambda d: make_design(d["pw"], clusters=d["dnum"]),
    ("satisfaction", "strat_clus"): lambda d: make_design(d["weight"], strata=d["agency"], clusters=d["psu"]),
    ("satisfaction", "strat_clus_fpc"): lambda d: make_design(
        d["weight"], strata=d["agency"], clusters=d["psu"], fpc=d["psu_pop"]
    ),
    ("satisfaction", "resp_clus"): lambda d: make_design(d["weight"], clusters=d["resp_id"]),
    ("satisfaction", "strat_clus_poststrat_channel"): lambda d: poststratify(
        make_design(d["weight"], strata=d["agency"], clusters=d["psu"]),
        d["channel"],
        {"in_person": 150000, "phone": 60000, "online": 40000},
    ),
}


def oracle_domain(data: dict[str, np.ndarray], by: str, group: str) -> np.ndarray:
    """The rows of R's ``svyby`` group ``group`` of the variables ``by`` ("agency+channel", "A|phone")."""
    if by == "(overall)":
        return np.ones(next(iter(data.values())).size, dtype=bool)
    inside = np.ones(next(iter(data.values())).size, dtype=bool)
    for variable, value in zip(by.split("+"), group.split("|"), strict=True):
        inside &= data[variable].astype(str) == value
    return inside


# --- Tỉnh Minh An, whose counters get links, codes and posters (tests/public) ---------------------------------

ZBARIMG = "/usr/bin/zbarimg"
Tree = dict[str, Agency | Counter]


def decode(image: bytes | Path, tmp_path: Path) -> list[str]:
    """Every code zbarimg finds in a PNG, one text per code (the dbus noise it prints goes to stderr)."""
    if isinstance(image, bytes):
        path = tmp_path / "decode-me.png"
        path.write_bytes(image)
        image = path
    result = subprocess.run([ZBARIMG, "--raw", "-q", str(image)], capture_output=True, text=True, check=False)
    return result.stdout.splitlines()


def minh_an_tree(session: Session) -> Tree:
    """Tỉnh Minh An: its service centre (Q01, Q02 and an inactive Q09), a commune (Q01), a department with no
    counter. Committed; keys are "MA", "MA-TTPVHCC", "MA-X01", "MA-STP" and "MA-TTPVHCC/Q01" and so on."""
    province = create_agency(
        session, code="MA", name_vi="Tỉnh Minh An", name_en="Minh An Province", level=AgencyLevel.province
    )
    centre = create_agency(
        session,
        code="MA-TTPVHCC",
        name_vi="Trung tâm Phục vụ hành chính công tỉnh Minh An",
        name_en="Minh An Public Administration Service Centre",
        level=AgencyLevel.other,
        parent=province,
    )
    commune = create_agency(session, code="MA-X01", name_vi="Xã An Bình", level=AgencyLevel.commune, parent=province)
    department = create_agency(
        session,
        code="MA-STP",
        name_vi="Sở Tư pháp",
        name_en="Department of Justice",
        level=AgencyLevel.department,
        parent=province,
    )
    tree: Tree = {agency.code: agency for agency in (province, centre, commune, department)}
    for agency, code, name_vi, name_en in [
        (centre, "Q01", "Quầy số 1 — Đất đai", "Counter 1 — Land"),
        (centre, "Q02", "Quầy số 2 — Hộ tịch", "Counter 2 — Civil status"),
        (centre, "Q09", "Quầy cũ", None),
        (commune, "Q01", "Bộ phận một cửa", None),
    ]:
        tree[f"{agency.code}/{code}"] = create_counter(
            session, agency=agency, code=code, name_vi=name_vi, name_en=name_en
        )
    session.flush()
    old = tree["MA-TTPVHCC/Q09"]
    assert isinstance(old, Counter)
    old.active = False
    session.commit()
    return tree


def counter_in(tree: Tree, key: str) -> Counter:
    counter = tree[key]
    assert isinstance(counter, Counter)
    return counter


def agency_in(tree: Tree, key: str) -> Agency:
    agency = tree[key]
    assert isinstance(agency, Agency)
    return agency


def estimate_from_database(
    session: Session,
    query: SumsQuery,
    indices: Sequence[IndexSpec] = (),
    *,
    level: float = 0.95,
    method: Method = DEFAULT_METHOD,
    target: float | None = None,
    lonely_psu: LonelyPsu = "fail",
) -> list[tuple[tuple[Any, ...], list[Estimate]]]:
    """Per domain (in sorted key order), the estimates from the stored sums: ``fetch_sums`` then
    ``estimate_domains``, without the reports around them (for the tests and bench/stats.py)."""
    sums = fetch_sums(session, query)
    strata = replace(sums.strata, lonely_psu=lonely_psu)
    results = estimate_domains(
        sums.table, strata, query.items, indices, domains=len(sums.keys), level=level, method=method, target=target
    )
    return [(key, found) for key, found in zip(sums.keys, results, strict=True) if found]
