"""Who may use each management page (``/dashboard/manage``, app/dashboard/router_manage*.py), with exact statuses:

| caller | answer |
|---|---|
| nobody (no session) | 303 to the login page, which comes back to the page |
| agency official of a commune of Tỉnh Minh An | 403 page |
| province administrator of Tỉnh Minh An | 200 (a page) or 303 (a change saved, then its page) |
| province administrator of Hà Nội | 404 page — the same page as for an unknown agency, row or name |

Every route about Minh An is asked with a row, agency or official of Minh An (a fresh one per request, so that no
answer depends on another). Three answers of Hà Nội's administrator are not about Minh An and say so: the index
(200), the CSV template (200, their own agencies only) and an upload naming Minh An's agencies in the file (422,
"no agency with code …" on each line, as for a code that does not exist). Nothing of Minh An — an agency's name,
an official's name — appears in any of Hà Nội's answers.

Every POST form carries the session's CSRF token: without it, or with another, the 403 page and nothing changes."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.config import Settings
from app.dashboard import router_manage, router_manage_counts, router_manage_officials
from app.dashboard.i18n import t
from app.directory.models import Agency, AgencyLevel, Official, Role
from app.directory.service import create_agency
from app.officials.deps import COOKIE
from app.officials.service import create_official, csrf_token
from app.reference.models import PopulationCount, Target
from tests.factories import PASSWORD, dashboard_login, minh_an_tree

MINH_AN_NAMES = ("Tỉnh Minh An", "Xã An Bình", "Sở Tư pháp", "Trung tâm Phục vụ", "ma-admin", "ma-user")


@dataclass
class World:
    """Tỉnh Minh An (MA, with MA-X01, MA-STP, MA-TTPVHCC) and Hà Nội (HN, HN-X01), their administrators and an
    agency official of MA-X01; fresh rows of Minh An on demand."""

    session: Session
    agencies: dict[str, Agency]
    numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def target(self) -> dict[str, Any]:
        """A target of MA-X01 for a year of its own (no two overlap)."""
        year = 2030 + next(self.numbers)
        row = Target(
            agency_id=self.agencies["MA-X01"].id,
            indicator="sipas",
            period_start=date(year, 1, 1),
            period_end=date(year, 12, 31),
            threshold_pct=85,
            applies_to_subtree=True,
        )
        self.session.add(row)
        self.session.commit()
        return {"target": row.id, "year": year}

    def count(self) -> dict[str, Any]:
        """A population count of MA-STP for a month of its own."""
        start = date(2020, 1, 1) + timedelta(days=31 * next(self.numbers))
        start = start.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        row = PopulationCount(
            agency_id=self.agencies["MA-STP"].id, period_start=start, period_end=end, dossiers_handled=100
        )
        self.session.add(row)
        self.session.commit()
        return {"count": row.id, "start": start.isoformat(), "end": end.isoformat()}

    def official(self) -> dict[str, Any]:
        """An agency official of MA-X01."""
        name = f"ma-user{next(self.numbers)}"
        create_official(
            self.session, username=name, password=PASSWORD, role=Role.agency_official, agency=self.agencies["MA-X01"]
        )
        self.session.commit()
        return {"official": name}

    def nothing(self) -> dict[str, Any]:
        return {"n": next(self.numbers)}


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # with {target}, {count} or {official} from ``make``
    make: Callable[[World], dict[str, Any]]
    ok: int  # the answer to Minh An's administrator
    other: int = 404  # the answer to Hà Nội's administrator
    form: Callable[[dict[str, Any]], dict[str, str]] = lambda _made: {}
    upload: bool = False


def _target_form(made: dict[str, Any]) -> dict[str, str]:
    year = made.get("year", 2029)
    return {
        "agency": "MA-X01",
        "indicator": "sipas",
        "period_start": f"{year}-01-01",
        "period_end": f"{year}-06-30" if "target" in made else f"{year}-12-31",
        "threshold_pct": "87",
        "applies_to_subtree": "true",
    }


def _count_form(made: dict[str, Any]) -> dict[str, str]:
    return {
        "agency": "MA-STP",
        "period_start": made["start"],
        "period_end": made["end"],
        "dossiers_handled": "120",
        "procedure_field": "",
        "reason": "Sở gửi lại số liệu (công văn 45/SNV)",
    }


def _official_form(made: dict[str, Any]) -> dict[str, str]:
    return {
        "username": f"ma-new{made['n']}",
        "display_name": "Trần Văn Bình",
        "role": "agency_official",
        "agency": "MA-X01",
        "password": "violet kettle harbour sings",
    }


BASE = "/dashboard/manage"
ROUTES = [
    Route("GET", BASE, World.nothing, 200, other=200),
    Route("GET", f"{BASE}/targets?agency=MA", World.nothing, 200),
    Route("GET", f"{BASE}/targets/new?agency=MA-X01", World.nothing, 200),
    Route("POST", f"{BASE}/targets", World.nothing, 303, form=_target_form),
    Route("GET", f"{BASE}/targets/{{target}}", World.target, 200),
    Route("POST", f"{BASE}/targets/{{target}}", World.target, 303, form=_target_form),
    Route("POST", f"{BASE}/targets/{{target}}/delete", World.target, 303),
    Route("GET", f"{BASE}/counts?agency=MA", World.nothing, 200),
    Route("GET", f"{BASE}/counts/template.csv", World.nothing, 200, other=200),
    Route("POST", f"{BASE}/counts/upload", World.nothing, 200, other=422, upload=True),
    Route("GET", f"{BASE}/counts/{{count}}", World.count, 200),
    Route("POST", f"{BASE}/counts/{{count}}", World.count, 303, form=_count_form),
    Route("POST", f"{BASE}/counts/{{count}}/delete", World.count, 303, form=lambda _: {"reason": "Nhập nhầm kỳ"}),
    Route("GET", f"{BASE}/officials?agency=MA", World.nothing, 200),
    Route("GET", f"{BASE}/officials/new?agency=MA-X01", World.nothing, 200),
    Route("POST", f"{BASE}/officials", World.nothing, 303, form=_official_form),
    Route("GET", f"{BASE}/official/{{official}}", World.official, 200),
    Route(
        "POST",
        f"{BASE}/official/{{official}}/password",
        World.official,
        303,
        form=lambda _: {"password": "copper meadow lantern drifts"},
    ),
    Route("POST", f"{BASE}/official/{{official}}/active", World.official, 303, form=lambda _: {"active": "false"}),
]
UPLOAD = (
    "agency,period_start,period_end,dossiers_handled,procedure_field\n"
    "MA-X01,2019-{month:02d}-01,2019-{month:02d}-28,40,\n"
    "MA-STP,2019-{month:02d}-01,2019-{month:02d}-28,60,\n"
)


@pytest.fixture
def world(session: Session) -> World:
    tree = minh_an_tree(session)
    hanoi = create_agency(session, code="HN", name_vi="Thành phố Hà Nội", level=AgencyLevel.province)
    create_agency(session, code="HN-X01", name_vi="Xã Bát Tràng", level=AgencyLevel.commune, parent=hanoi)
    agencies = {code: found for code, found in tree.items() if isinstance(found, Agency)} | {"HN": hanoi}
    for username, role, agency in (
        ("ma-admin", Role.province_admin, agencies["MA"]),
        ("ma-clerk", Role.agency_official, agencies["MA-X01"]),
        ("hn-admin", Role.province_admin, hanoi),
    ):
        create_official(session, username=username, password=PASSWORD, role=role, agency=agency)
    session.commit()
    return World(session, agencies)


def _client(app: FastAPI, username: str | None) -> TestClient:
    client = TestClient(app)
    if username is not None:
        assert dashboard_login(client, username).status_code == 303
    return client


def _send(client: TestClient, settings: Settings, route: Route, world: World, *, token: str | None) -> Any:
    made = route.make(world)
    path = route.path.format(**made)
    if route.method == "GET":
        return client.get(path, follow_redirects=False)
    data = route.form(made)
    if token is not None:
        data["csrf_token"] = token
    if route.upload:
        data["reason"] = "Báo cáo tháng của Sở Nội vụ"
        body = UPLOAD.format(month=made["n"] % 12 + 1).encode()
        return client.post(path, data=data, files={"file": ("counts.csv", body, "text/csv")}, follow_redirects=False)
    return client.post(path, data=data, follow_redirects=False)


def _main(html: str) -> str:
    """What a page says (its main element; the layout's language link repeats the address asked for); a file whole."""
    return html[html.index("<main") : html.index("</main>")] if "<main" in html else html


def _token(client: TestClient, settings: Settings) -> str | None:
    session_token = client.cookies.get(COOKIE)
    return csrf_token(settings, session_token) if session_token else None


def test_every_management_route_is_in_the_table() -> None:
    served = {
        (method, route.path.removeprefix("/dashboard"))
        for module in (router_manage, router_manage_counts, router_manage_officials)
        for route in module.router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }
    listed = {(route.method, route.path.split("?")[0].removeprefix("/dashboard")) for route in ROUTES}
    listed = {
        (method, path.replace("{target}", "{target_id}").replace("{count}", "{count_id}")) for method, path in listed
    }
    listed = {(method, path.replace("{official}", "{username}")) for method, path in listed}
    assert served == listed


@pytest.mark.parametrize("caller", ["nobody", "ma-clerk", "ma-admin", "hn-admin"])
def test_who_may_use_each_management_page(app: FastAPI, settings: Settings, world: World, caller: str) -> None:
    client = _client(app, None if caller == "nobody" else caller)
    token = _token(client, settings)
    got: dict[str, int] = {}
    wanted: dict[str, int] = {}
    bodies: dict[str, str] = {}
    for route in ROUTES:
        key = f"{route.method} {route.path}"
        answer = _send(client, settings, route, world, token=token)
        got[key], bodies[key] = answer.status_code, answer.text
        wanted[key] = {"nobody": 303, "ma-clerk": 403, "ma-admin": route.ok, "hn-admin": route.other}[caller]
        if caller == "nobody":
            assert answer.headers["location"].startswith("/dashboard/login?next=%2Fdashboard%2Fmanage"), key
    assert got == wanted

    if caller == "ma-clerk":
        assert all(t("forbidden_body", "vi") in body for body in bodies.values())
    if caller == "hn-admin":
        unknown = client.get(f"{BASE}/targets?agency=NO-SUCH-CODE", follow_redirects=False)
        assert unknown.status_code == 404
        for key, body in bodies.items():
            leaked = [name for name in MINH_AN_NAMES if name in _main(body)]  # the layout repeats the address
            assert leaked == [], (key, leaked)
            if got[key] == 404:
                assert _main(body) == _main(unknown.text), key  # word for word the page of an unknown agency
        assert "no agency with code &#39;MA-X01&#39;" in bodies[f"POST {BASE}/counts/upload"]


@pytest.mark.parametrize("sent", ["none", "another session's"])
def test_every_form_needs_the_sessions_csrf_token(
    app: FastAPI, settings: Settings, session: Session, world: World, sent: str
) -> None:
    client = _client(app, "ma-admin")
    other = _client(app, "ma-admin")
    token = _token(other, settings) if sent != "none" else None
    posts = [route for route in ROUTES if route.method == "POST"]
    assert len(posts) == 9
    by_admin = select(func.count()).select_from(AuditEvent).where(AuditEvent.actor == "ma-admin")
    events = session.scalar(by_admin)
    for route in posts:
        answer = _send(client, settings, route, world, token=token)
        assert answer.status_code == 403, route.path
        assert t("csrf_body", "vi") in answer.text, route.path
    session.expire_all()
    # Nothing changed: no event of the administrator's (every change writes one), every row kept.
    assert session.scalar(by_admin) == events
    assert session.scalar(select(func.count()).select_from(Target)) == 2  # made for the update and the delete
    assert session.scalar(select(func.count()).select_from(PopulationCount)) == 2
    assert session.scalars(select(Official.active).where(Official.username.startswith("ma-user"))).all() == [True] * 2
    assert session.scalar(select(func.count()).select_from(Official).where(Official.username.startswith("ma-new"))) == 0
