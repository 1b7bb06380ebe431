"""Every official endpoint × every kind of caller, with exact status codes, and no data of a sibling agency in any
answer to an official of commune A.

Callers: nobody, a kiosk key, an agency official of commune TP-A asking about TP-A, about its sibling TP-B and
about its parent TP, the province administrator of TP, a national official. The endpoints are read from
``app.openapi()``: a new official endpoint that this matrix does not classify fails the test.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.admin import schemas as admin
from app.config import Settings
from app.db import utcnow
from app.directory.models import Agency, Official, Role
from app.directory.service import create_counter, create_device
from app.officials.scope import scope_of
from app.officials.service import create_official
from app.publications import service as publications
from app.publications.models import PublicationSchedule
from app.reference import schemas as reference
from app.reference.models import PopulationCount, Target
from app.responses.models import Answer, Channel, Response, StoredSubmission
from tests.factories import World, add_population, add_target, log_in_as, login, province, registry

# Not official endpoints: the citizen and kiosk channels, the public planner, the login itself.
PUBLIC = {
    ("POST", "/api/v1/responses"),
    ("POST", "/api/v1/responses/batch"),
    ("POST", "/api/v1/kiosk/heartbeat"),
    ("GET", "/api/v1/forms/{form_id}"),
    ("GET", "/api/v1/forms/{form_id}/{version}"),
    ("POST", "/api/v1/dossier-links"),
    ("GET", "/api/v1/plan"),
    ("POST", "/api/v1/auth/token"),
    # a device key or an agency's administrators revoke a link (tests/public/test_dossier_api.py: who may revoke)
    ("DELETE", "/api/v1/dossier-links/{link_id}"),
    ("POST", "/api/v1/dossier-links/{link_id}/revoke"),
}
SUBJECTS = ("TP-A", "TP-B", "TP", "TP-Z")  # TP-Z does not exist
B_NAME = "Xã Bình Lư"
B_SECRETS = ("TP-B", B_NAME, "98765", "61.37")  # B's code, name, a population count and a target only B has
PARENT_SECRETS = ('"TP"', "'TP'", "Tỉnh Thử Nghiệm", "12345")  # the province's code, name and its own count

Kind = Literal["read", "list", "admin_read", "write"]


@dataclass
class Context:
    session: Session
    world: World
    serial: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    targets: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    publications: dict[str, int] = field(default_factory=dict)
    forms: dict[tuple[str, int], Any] = field(default_factory=dict)

    def next(self) -> int:
        return next(self.serial)

    def agency(self, code: str) -> Agency | None:
        return self.world.agencies.get(code)

    def target(self, code: str, fresh: bool = False) -> int:
        """A target of agency ``code`` (a new one when ``fresh``; an unknown id for TP-Z)."""
        agency = self.agency(code)
        if agency is None:
            return 999_999
        if not fresh and code in self.targets:
            return self.targets[code]
        year = 2040 + self.next()
        row = Target(
            agency_id=agency.id,
            indicator="sipas",
            period_start=date(year, 1, 1),
            period_end=date(year, 12, 31),
            threshold_pct=61.37 if code == "TP-B" else 80.0,
        )
        self.session.add(row)
        self.session.commit()
        self.targets.setdefault(code, row.id)
        return row.id

    def count(self, code: str, fresh: bool = False) -> int:
        agency = self.agency(code)
        if agency is None:
            return 999_999
        if not fresh and code in self.counts:
            return self.counts[code]
        year = 2040 + self.next()
        row = PopulationCount(
            agency_id=agency.id,
            period_start=date(year, 1, 1),
            period_end=date(year, 1, 31),
            dossiers_handled=98765 if code == "TP-B" else 12345 if code == "TP" else 500,
        )
        self.session.add(row)
        self.session.commit()
        self.counts.setdefault(code, row.id)
        return row.id

    def publication(self, code: str) -> int:
        """A publication of agency ``code``'s first quarter of 2025, published by the national official (an unknown
        id for TP-Z)."""
        agency = self.agency(code)
        if agency is None:
            return 999_999
        if code not in self.publications:
            publisher = self.session.scalar(select(Official).where(Official.username == "national"))
            assert publisher is not None
            request = publications.PublishRequest(agency=code, date_from=date(2025, 1, 1), date_to=date(2025, 3, 31))
            found = publications.publish(self.session, scope_of(self.session, publisher), self.forms, request)
            self.publications[code] = found.id
        return self.publications[code]

    def draft(self, code: str) -> int:
        """A new draft of agency ``code``'s first quarter of 2025 (an unknown id for TP-Z)."""
        agency = self.agency(code)
        if agency is None:
            return 999_999
        publisher = self.session.scalar(select(Official).where(Official.username == "national"))
        assert publisher is not None
        request = publications.PublishRequest(
            agency=code, date_from=date(2025, 1, 1), date_to=date(2025, 3, 31), draft=True
        )
        return publications.publish(self.session, scope_of(self.session, publisher), self.forms, request).id

    def no_schedule(self, code: str) -> None:
        """Stop agency ``code``'s running schedules, so that another may be made."""
        agency = self.agency(code)
        if agency is not None:
            self.session.execute(
                update(PublicationSchedule)
                .where(PublicationSchedule.agency_id == agency.id, PublicationSchedule.stopped_at.is_(None))
                .values(stopped_at=utcnow())
            )
            self.session.commit()

    def schedule(self, code: str) -> int:
        """A new running schedule of agency ``code`` (an unknown id for TP-Z)."""
        agency = self.agency(code)
        if agency is None:
            return 999_999
        self.no_schedule(code)
        publisher = self.session.scalar(select(Official).where(Official.username == "national"))
        assert publisher is not None
        row = PublicationSchedule(agency_id=agency.id, every="quarter", public=False, created_by_id=publisher.id)
        self.session.add(row)
        self.session.commit()
        return row.id

    def device(self, code: str) -> str:
        agency = self.agency(code)
        if agency is None:
            return str(uuid.uuid4())
        device, _key = create_device(self.session, agency=agency, label=f"Kiosk {self.next()}")
        self.session.commit()
        return str(device.public_id)

    def official(self, code: str) -> str:
        agency = self.agency(code)
        if agency is None:
            return "nobody-here"
        name = f"staff{self.next()}"
        create_official(
            self.session, username=name, password="long enough password", role=Role.agency_official, agency=agency
        )
        self.session.commit()
        return name


Build = Callable[[Context, str], tuple[str, dict[str, Any]]]  # (url, keyword arguments of client.request)


@dataclass(frozen=True)
class Case:
    kind: Kind
    ok: int
    build: Build


def _q(path: str, **extra: Any) -> Build:
    """A GET with ?agency=<subject>."""
    return lambda ctx, code: (path, {"params": {"agency": code, **extra}})


def _same(path: str) -> Build:
    return lambda ctx, code: (path, {})


def _json(model: Any) -> dict[str, Any]:
    return {"json": model.model_dump(mode="json", exclude_unset=True)}  # only what the test set: valid as sent


def _target_in(ctx: Context, code: str) -> Any:
    year = 2040 + ctx.next()
    return reference.TargetIn(
        agency=code, indicator="sipas", period_start=date(year, 1, 1), period_end=date(year, 12, 31), threshold_pct=85.0
    )


def _count_in(ctx: Context, code: str) -> Any:
    year = 2040 + ctx.next()
    return reference.PopulationCountIn(
        agency=code,
        period_start=date(year, 1, 1),
        period_end=date(year, 1, 31),
        dossiers_handled=400,
        procedure_field=None,
        reason="matrix",
        confirm_outlier=True,
    )


def _upload(kind: str) -> Build:
    def build(ctx: Context, code: str) -> tuple[str, dict[str, Any]]:
        year = 2040 + ctx.next()
        if kind == "targets":
            text = (
                "agency,indicator,period_start,period_end,threshold_pct,applies_to_subtree\n"
                f"{code},sipas,{year}-01-01,{year}-12-31,85,true\n"
            )
        else:
            text = (
                "agency,period_start,period_end,dossiers_handled,procedure_field\n"
                f"{code},{year}-01-01,{year}-01-31,400,\n"
            )
        data = {"reason": "matrix", "confirm_outlier": "true"} if kind == "population-counts" else {}
        return f"/api/v1/{kind}/upload", {"files": {"file": ("data.csv", text.encode(), "text/csv")}, "data": data}

    return build


def _name(ctx: Context, code: str) -> str:
    agency = ctx.agency(code)
    return agency.name_vi if agency else "Không có"


def _new_response(ctx: Context, agency_id: int) -> Response:
    """A response of now, stored as every channel stores one: its submission id claimed in ``submissions``."""
    now = utcnow()
    month, submission_id = now.year * 100 + now.month, uuid.uuid4()
    version = ctx.session.scalar(select(Response.form_version_id).limit(1))
    row = Response(submission_id=submission_id, form_version_id=version, agency_id=agency_id, channel=Channel.web_qr)
    row.identity = StoredSubmission(submission_id=submission_id, local_month=month)
    row.submitted_at, row.local_date, row.local_month, row.content_hash = now, now.date(), month, "0" * 64
    return row


def _flagged(ctx: Context, code: str) -> int:
    """A new pending flagged response of agency ``code`` (an unknown id for TP-Z)."""
    agency = ctx.agency(code)
    if agency is None:
        return 999_999_999
    row = _new_response(ctx, agency.id)
    row.is_suspected_spam, row.flag_reason = True, "honeypot field filled"
    ctx.session.add(row)
    ctx.session.commit()
    return row.id


def _decision(action: str) -> Build:
    return lambda ctx, code: (f"/api/v1/responses/flagged/{_flagged(ctx, code)}/{action}", {"json": {"reason": "ok"}})


def _commented(ctx: Context, code: str) -> int:
    """A new response of agency ``code`` with a comment (an unknown id for TP-Z)."""
    agency = ctx.agency(code)
    if agency is None:
        return 999_999_999
    row = _new_response(ctx, agency.id)
    row.answers = [Answer(item_code="comment", local_month=row.local_month, value_text="Góp ý")]
    ctx.session.add(row)
    ctx.session.commit()
    return row.id


def _moderation(action: str) -> Build:
    return lambda ctx, code: (f"/api/v1/comments/{_commented(ctx, code)}/{action}", {"json": {"reason": "matrix"}})


def _new_schedule(ctx: Context, code: str) -> tuple[str, dict[str, Any]]:
    ctx.no_schedule(code)
    return "/api/v1/publication-schedules", {"json": {"agency": code, "every": "month"}}


MATRIX: dict[tuple[str, str], Case] = {
    # who am I, logging out
    ("GET", "/api/v1/auth/me"): Case("list", 200, _same("/api/v1/auth/me")),
    ("POST", "/api/v1/auth/logout"): Case("list", 204, _same("/api/v1/auth/logout")),
    # the agency tree and counters
    ("GET", "/api/v1/agencies"): Case("list", 200, _same("/api/v1/agencies")),
    ("GET", "/api/v1/agencies/{code}"): Case("read", 200, lambda ctx, code: (f"/api/v1/agencies/{code}", {})),
    ("POST", "/api/v1/agencies"): Case(
        "write",
        201,
        lambda ctx, code: (
            "/api/v1/agencies",
            _json(admin.AgencyIn(code=f"{code}-N{ctx.next()}", name_vi="Xã Mới", level="commune", parent=code)),
        ),
    ),  # type: ignore[arg-type]
    ("PATCH", "/api/v1/agencies/{code}"): Case(
        "write",
        200,
        lambda ctx, code: (f"/api/v1/agencies/{code}", _json(admin.AgencyPatch(name_vi=_name(ctx, code)))),
    ),
    ("GET", "/api/v1/agencies/{code}/counters"): Case(
        "read", 200, lambda ctx, code: (f"/api/v1/agencies/{code}/counters", {})
    ),
    ("POST", "/api/v1/agencies/{code}/counters"): Case(
        "write",
        201,
        lambda ctx, code: (
            f"/api/v1/agencies/{code}/counters",
            _json(admin.CounterIn(code=f"N{ctx.next()}", name_vi="Quầy mới")),
        ),
    ),
    ("PATCH", "/api/v1/agencies/{code}/counters/{counter}"): Case(
        "write",
        200,
        lambda ctx, code: (
            f"/api/v1/agencies/{code}/counters/Q01",
            _json(admin.CounterPatch(name_vi=f"Quầy Q01 {code}")),
        ),
    ),
    ("POST", "/api/v1/agencies/{code}/counters/{counter}/revoke-links"): Case(
        "write", 200, lambda ctx, code: (f"/api/v1/agencies/{code}/counters/Q01/revoke-links", {})
    ),
    ("GET", "/api/v1/agencies/{code}/counters/{counter}/poster"): Case(
        "read", 200, lambda ctx, code: (f"/api/v1/agencies/{code}/counters/Q01/poster", {})
    ),
    # kiosks, officials, audit: administrators only
    ("GET", "/api/v1/devices"): Case("admin_read", 200, _same("/api/v1/devices")),
    ("POST", "/api/v1/devices"): Case(
        "write",
        201,
        lambda ctx, code: ("/api/v1/devices", _json(admin.DeviceIn(agency=code, counter="Q01", label="Kiosk mới"))),
    ),
    ("POST", "/api/v1/devices/{device_id}/revoke"): Case(
        "write", 200, lambda ctx, code: (f"/api/v1/devices/{ctx.device(code)}/revoke", {})
    ),
    ("GET", "/api/v1/officials"): Case("admin_read", 200, _same("/api/v1/officials")),
    ("POST", "/api/v1/officials"): Case(
        "write",
        201,
        lambda ctx, code: (
            "/api/v1/officials",
            _json(
                admin.OfficialIn(
                    username=f"new{ctx.next()}", password="long enough password", role=Role.agency_official, agency=code
                )
            ),
        ),
    ),
    ("PATCH", "/api/v1/officials/{username}"): Case(
        "write",
        200,
        lambda ctx, code: (
            f"/api/v1/officials/{ctx.official(code)}",
            _json(admin.OfficialPatch(display_name="Cán bộ")),
        ),
    ),
    ("GET", "/api/v1/audit"): Case("admin_read", 200, _same("/api/v1/audit")),
    # targets and population counts: everyone reads their scope, administrators write
    ("GET", "/api/v1/targets"): Case("read", 200, _q("/api/v1/targets")),
    ("GET", "/api/v1/targets/export.csv"): Case("read", 200, _q("/api/v1/targets/export.csv")),
    ("POST", "/api/v1/targets"): Case(
        "write", 201, lambda ctx, code: ("/api/v1/targets", _json(_target_in(ctx, code)))
    ),
    ("POST", "/api/v1/targets/upload"): Case("write", 200, _upload("targets")),
    ("GET", "/api/v1/targets/{target_id}"): Case(
        "read", 200, lambda ctx, code: (f"/api/v1/targets/{ctx.target(code)}", {})
    ),
    ("PUT", "/api/v1/targets/{target_id}"): Case(
        "write",
        200,
        lambda ctx, code: (f"/api/v1/targets/{ctx.target(code, fresh=True)}", _json(_target_in(ctx, code))),
    ),
    ("PATCH", "/api/v1/targets/{target_id}"): Case(
        "write",
        200,
        lambda ctx, code: (
            f"/api/v1/targets/{ctx.target(code, fresh=True)}",
            _json(reference.TargetPatch(threshold_pct=84.0)),
        ),
    ),
    ("DELETE", "/api/v1/targets/{target_id}"): Case(
        "write", 204, lambda ctx, code: (f"/api/v1/targets/{ctx.target(code, fresh=True)}", {})
    ),
    ("GET", "/api/v1/population-counts"): Case("read", 200, _q("/api/v1/population-counts")),
    ("GET", "/api/v1/population-counts/export.csv"): Case("read", 200, _q("/api/v1/population-counts/export.csv")),
    ("POST", "/api/v1/population-counts"): Case(
        "write", 201, lambda ctx, code: ("/api/v1/population-counts", _json(_count_in(ctx, code)))
    ),
    ("POST", "/api/v1/population-counts/upload"): Case("write", 200, _upload("population-counts")),
    ("GET", "/api/v1/population-counts/{count_id}"): Case(
        "read", 200, lambda ctx, code: (f"/api/v1/population-counts/{ctx.count(code)}", {})
    ),
    ("PUT", "/api/v1/population-counts/{count_id}"): Case(
        "write",
        200,
        lambda ctx, code: (f"/api/v1/population-counts/{ctx.count(code, fresh=True)}", _json(_count_in(ctx, code))),
    ),
    ("PATCH", "/api/v1/population-counts/{count_id}"): Case(
        "write",
        200,
        lambda ctx, code: (
            f"/api/v1/population-counts/{ctx.count(code, fresh=True)}",
            _json(reference.PopulationCountPatch(dossiers_handled=401, reason="matrix", confirm_outlier=True)),
        ),
    ),
    ("DELETE", "/api/v1/population-counts/{count_id}"): Case(
        "write",
        204,
        lambda ctx, code: (
            f"/api/v1/population-counts/{ctx.count(code, fresh=True)}",
            {"params": {"reason": "matrix"}},
        ),
    ),
    # figures and the raw export
    ("GET", "/api/v1/satisfaction"): Case("read", 200, _q("/api/v1/satisfaction", group_by="agency,counter")),
    ("GET", "/api/v1/rankings"): Case("read", 200, _q("/api/v1/rankings")),
    ("GET", "/api/v1/trends"): Case("read", 200, _q("/api/v1/trends")),
    ("GET", "/api/v1/comparisons"): Case(
        "read", 200, _q("/api/v1/comparisons", against="previous", **{"from": "2025-02-01", "to": "2025-03-31"})
    ),
    ("GET", "/api/v1/responses/export"): Case("admin_read", 200, _q("/api/v1/responses/export")),
    ("GET", "/api/v1/responses/flagged"): Case("admin_read", 200, _q("/api/v1/responses/flagged")),
    ("POST", "/api/v1/responses/flagged/{response_id}/release"): Case("write", 200, _decision("release")),
    ("POST", "/api/v1/responses/flagged/{response_id}/confirm"): Case("write", 200, _decision("confirm")),
    ("POST", "/api/v1/responses/flagged/review"): Case(
        "write",
        200,
        lambda ctx, code: (
            "/api/v1/responses/flagged/review",
            {"json": {"ids": [_flagged(ctx, code)], "decision": "confirm", "reason": "a script"}},
        ),
    ),
    # the voice of the citizen: reasons, comments and their moderation
    ("GET", "/api/v1/reasons"): Case("read", 200, _q("/api/v1/reasons")),
    ("GET", "/api/v1/comments"): Case("read", 200, _q("/api/v1/comments")),
    ("POST", "/api/v1/comments/{response_id}/hide"): Case("write", 200, _moderation("hide")),
    ("POST", "/api/v1/comments/{response_id}/show"): Case("write", 200, _moderation("show")),
    # publications: administrators publish; officials read their scope's
    ("POST", "/api/v1/publications"): Case(
        "write",
        201,
        lambda ctx, code: (
            "/api/v1/publications",
            {"json": {"agency": code, "from": "2025-01-01", "to": "2025-03-31"}},
        ),
    ),
    ("GET", "/api/v1/publications"): Case("read", 200, _q("/api/v1/publications")),
    ("GET", "/api/v1/publications/{publication_id}"): Case(
        "read", 200, lambda ctx, code: (f"/api/v1/publications/{ctx.publication(code)}", {})
    ),
    ("POST", "/api/v1/publications/{publication_id}/publish"): Case(
        "write", 200, lambda ctx, code: (f"/api/v1/publications/{ctx.draft(code)}/publish", {})
    ),
    ("GET", "/api/v1/publication-schedules"): Case("list", 200, _same("/api/v1/publication-schedules")),
    ("POST", "/api/v1/publication-schedules"): Case("write", 201, lambda ctx, code: _new_schedule(ctx, code)),
    ("POST", "/api/v1/publication-schedules/{schedule_id}/stop"): Case(
        "write", 200, lambda ctx, code: (f"/api/v1/publication-schedules/{ctx.schedule(code)}/stop", {})
    ),
    ("GET", "/api/v1/publications/{publication_id}/report.pdf"): Case(
        "read", 200, lambda ctx, code: (f"/api/v1/publications/{ctx.publication(code)}/report.pdf", {})
    ),
}


def official_operations(app: FastAPI) -> set[tuple[str, str]]:
    paths = app.openapi()["paths"]
    found = {
        (method.upper(), path)
        for path, operations in paths.items()
        for method in operations
        if path.startswith("/api/v1/")
    }
    return found - PUBLIC


@pytest.fixture
def routed(app: FastAPI) -> FastAPI:
    return app


def test_every_official_endpoint_is_in_the_matrix(routed: FastAPI) -> None:
    operations = official_operations(routed)
    assert sorted(operations - set(MATRIX)) == [], "classify these new endpoints in MATRIX"
    assert sorted(set(MATRIX) - operations) == [], "these endpoints are gone: remove them from MATRIX"


@dataclass(frozen=True)
class Caller:
    name: str
    headers: Callable[[], dict[str, str]]
    role: Literal["anonymous", "kiosk", "official", "admin"]
    subjects: tuple[str, ...]


def _expected(case: Case, caller: Caller, subject: str) -> int:
    if caller.role in ("anonymous", "kiosk"):
        return 401
    if caller.role == "admin":
        return case.ok
    if case.kind in ("admin_read", "write"):
        return 403
    if case.kind == "list" or subject == "TP-A":
        return case.ok
    return 404


def _matrix_world(session: Session, settings: Settings) -> World:
    world = province(session, settings)
    world.counters[("TP", "Q01")] = create_counter(session, agency=world.province, code="Q01", name_vi="Quầy tỉnh")
    add_population(session, world, {("TP-B", 202412): 98765, ("TP", 202412): 12345})
    add_target(session, world.agencies["TP-B"], 61.37)
    return world


def test_authorization_matrix(routed: FastAPI, client: TestClient, session: Session, settings: Settings) -> None:
    world = _matrix_world(session, settings)
    ctx = Context(session, world, forms=registry(session, settings))
    _device, key = create_device(session, agency=world.agencies["TP-A"], label="Kiosk A")
    session.commit()
    tokens: dict[str, dict[str, str]] = {}
    users = {
        "official": (Role.agency_official, world.agencies["TP-A"]),
        "admin": (Role.province_admin, world.province),
        "national": (Role.national, None),
    }
    for username, (role, agency) in users.items():
        tokens[username] = login(client, session, username, role, agency)

    def fresh(username: str) -> Callable[[], dict[str, str]]:
        """A new session for logout (which ends the one it is called with)."""

        return lambda: log_in_as(client, username)

    callers = [
        Caller("anonymous", dict, "anonymous", ("TP-A",)),
        Caller("kiosk", lambda: {"Authorization": f"Bearer {key}"}, "kiosk", ("TP-A",)),
        Caller("official", lambda: tokens["official"], "official", SUBJECTS),
        Caller("admin", lambda: tokens["admin"], "admin", ("TP-A", "TP-B", "TP")),
        Caller("national", lambda: tokens["national"], "admin", ("TP-A", "TP-B", "TP")),
    ]
    problems: list[str] = []
    for (method, template), case in sorted(MATRIX.items()):
        for caller in callers:
            subjects = (
                caller.subjects[:1]
                if case.kind in ("list", "admin_read") and "{" not in template and case.build(ctx, "TP-A")[1] == {}
                else caller.subjects
            )
            answers: dict[str, tuple[int, str]] = {}
            for subject in subjects:
                url, options = case.build(ctx, subject)
                headers = (
                    fresh(caller.name)()
                    if template.endswith("/logout") and caller.role in ("official", "admin")
                    else caller.headers()
                )
                response = client.request(method, url, headers=headers, **options)
                answers[subject] = (response.status_code, response.text)
                wanted = (
                    404
                    if subject == "TP-Z" and caller.role == "official" and case.kind == "read"
                    else _expected(case, caller, subject)
                )
                if response.status_code != wanted:
                    problems.append(
                        f"{method} {url} as {caller.name}: {response.status_code}, expected {wanted}: "
                        f"{response.text[:200]}"
                    )
                if (caller.name == "official" and subject in ("TP-A", "TP-Z")) or (
                    caller.name == "official" and case.kind == "list"
                ):
                    leaked = [s for s in (*B_SECRETS, *PARENT_SECRETS) if s in response.text]
                    if leaked:
                        problems.append(f"{method} {url} as official of TP-A shows {leaked}: {response.text[:300]}")
            if caller.name == "official" and case.kind == "read":
                # B and the parent answer exactly as an agency (or row) that does not exist.
                for subject in ("TP-B", "TP"):
                    if _masked(*answers[subject], subject) != _masked(*answers["TP-Z"], "TP-Z"):
                        problems.append(
                            f"{method} {template} for {subject}: {answers[subject]} differs from an "
                            f"unknown one: {answers['TP-Z']}"
                        )
    assert not problems, "\n".join(problems)


def _masked(status: int, text: str, code: str) -> tuple[int, str]:
    """An error body with what was asked for (the code, an id) blanked out."""
    text = text.replace(code, "<asked>")
    return status, "".join(
        "0" if is_digit else "".join(group) for is_digit, group in itertools.groupby(text, key=str.isdigit)
    )
