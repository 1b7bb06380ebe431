"""The voice of the citizen over the API, on both databases: ``/api/v1/reasons`` equals what ``app/stats`` gives for
the same rows reduced by hand here (weights N/n, strata agency × month, PSUs counter × week, lonely PSUs "adjust", the
counter a domain) — never through ``app/reports``; ``/api/v1/comments`` newest first, masked, filtered, searched with
and without diacritics, paged; hiding and showing a comment (audited, in scope, idempotent); the CSV masked; bad
input a 4xx that names it."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.config import Settings
from app.directory.models import Role
from app.responses.ingest import Origin, Submission, prepare, store
from app.responses.models import Channel, CommentModeration
from app.stats.design import make_design
from app.stats.estimates import estimate_domains
from app.stats.tables import table_from_rows
from tests.factories import World, add_population, login, make_tree, registry

OPTIONS = ["waiting_time", "unclear_guidance", "extra_documents", "late_result", "attitude", "facilities", "other"]
PHONE_COMMENT = "Gọi tôi 0912 345 678, tôi là Nguyễn Văn An. Hồ sơ giải quyết chậm quá"
PHONE_MASKED = "Gọi tôi [số điện thoại], tôi là [tên]. Hồ sơ giải quyết chậm quá"


@dataclass(frozen=True)
class Row:
    agency: str
    counter: str
    day: date
    overall: int
    reasons: tuple[str, ...] = ()
    comment: str | None = None
    channel: Channel = Channel.web_qr
    spam: bool = False
    minute: int = 0  # orders the answers of one day

    @property
    def month(self) -> int:
        return self.day.year * 100 + self.day.month

    @property
    def week(self) -> int:
        return (self.day.day - 1) // 7


def add(session: Session, settings: Settings, world: World, rows: Sequence[Row]) -> None:
    """Store rows through the one ingestion path."""
    form = registry(session, settings)[("counter-quick", 1)]
    prepared = []
    for row in rows:
        answers: dict[str, Any] = {"overall": row.overall}
        if row.overall <= 2:
            answers["reason"] = list(row.reasons)
        if row.comment:
            answers["comment"] = row.comment
        submitted = datetime.combine(row.day, time(8, row.minute), tzinfo=settings.zone).astimezone(UTC)
        submission = Submission(
            submission_id=uuid.uuid4(),
            form_id="counter-quick",
            form_version=1,
            submitted_at=submitted,
            answers=answers,
        )
        origin = Origin(
            channel=row.channel,
            agency_id=world.agencies[row.agency].id,
            counter_id=world.counters[(row.agency, row.counter)].id,
            is_suspected_spam=row.spam,
            flag_reason="honeypot" if row.spam else None,
        )
        prepared.append(prepare(settings, form, submission, origin, now=submitted + timedelta(minutes=1)))
    store(session, prepared)


def reason_rows(seed: int = 3) -> list[Row]:
    """About 230 answers over two months in TP-A (two counters) and TP-B; a third of them dissatisfied, with one to
    three reasons each, waiting time the commonest."""
    rng = np.random.default_rng(seed)
    weights = np.array([6, 3, 2, 2, 2, 1, 1], dtype=float)
    rows: list[Row] = []
    for month in (1, 2):
        for agency, counters, count in (("TP-A", ("Q01", "Q02"), 70), ("TP-B", ("Q01",), 45)):
            for _ in range(count):
                day = date(2025, month, int(rng.choice([3, 10, 17, 24, 28])))
                overall = int(rng.choice([1, 2, 3, 4, 5], p=[0.15, 0.2, 0.1, 0.3, 0.25]))
                reasons: tuple[str, ...] = ()
                if overall <= 2:
                    size = int(rng.integers(1, 4))
                    reasons = tuple(sorted(rng.choice(OPTIONS, size=size, replace=False, p=weights / weights.sum())))
                rows.append(Row(agency, str(rng.choice(counters)), day, overall, reasons))
    return rows


POPULATION = {("TP-A", 202501): 700, ("TP-A", 202502): 650, ("TP-B", 202501): 300}  # TP-B February: no count


def expected_shares(rows: Sequence[Row], inside: Any = lambda row: True) -> tuple[int, dict[str, Any]]:
    """The share of each option among the rows of the domain that answered the reason question, in the design of
    all ``rows``: app/stats on rows reduced by hand."""
    n: dict[tuple[str, int], int] = {}
    for row in rows:
        n[(row.agency, row.month)] = n.get((row.agency, row.month), 0) + 1
    counted = {cell: dossiers for cell, dossiers in POPULATION.items() if n.get(cell)}
    overall = sum(counted.values()) / sum(n[cell] for cell in counted)
    weights = np.array(
        [
            counted[(r.agency, r.month)] / n[(r.agency, r.month)] if (r.agency, r.month) in counted else overall
            for r in rows
        ]
    )
    design = make_design(
        weights,
        strata=[f"{r.agency}|{r.month}" for r in rows],
        clusters=[f"{r.agency}|{r.counter}|{r.week}" for r in rows],
        lonely_psu="adjust",
    )
    asked = [row.overall <= 2 and inside(row) for row in rows]
    domain = [0 if flag else -1 for flag in asked]
    answered = np.array([[flag] * len(OPTIONS) for flag in asked], dtype=float)
    chose = np.array([[option in row.reasons for option in OPTIONS] for row in rows], dtype=float)
    table, strata = table_from_rows(design, domain, answered, chose)
    found = estimate_domains(table, strata, OPTIONS, domains=1)[0]
    return sum(asked), {estimate.metric: estimate for estimate in found}


@pytest.fixture
def world(session: Session, settings: Settings) -> World:
    world = make_tree(session)
    add(session, settings, world, reason_rows())
    add_population(session, world, POPULATION)
    return world


def admin(client: TestClient, session: Session, world: World) -> dict[str, str]:
    return login(client, session, "tp-admin", Role.province_admin, world.province)


# --- reasons ---------------------------------------------------------------------------------------------------


def test_reason_shares_equal_the_statistics_engine(client: TestClient, session: Session, world: World) -> None:
    rows = reason_rows()
    body = client.get("/api/v1/reasons", headers=admin(client, session, world), params={"agency": "TP"}).json()
    assert body["meta"]["weighted"] is True
    (question,) = body["questions"]
    assert (question["item"], question["asked_after_item"], question["asked_after_levels"]) == (
        "reason",
        "overall",
        [1, 2],
    )
    asked, wanted = expected_shares(rows)
    assert question["asked"] == asked == 85
    assert [option["option"] for option in question["options"]] == OPTIONS
    for option in question["options"]:
        estimate = wanted[option["option"]]
        assert option["count"] == sum(option["option"] in row.reasons for row in rows)
        for name, value in (
            ("share_pct", estimate.estimate),
            ("ci_low_pct", estimate.low),
            ("ci_high_pct", estimate.high),
            ("se_pct", estimate.se),
        ):
            assert option[name] == pytest.approx(value * 100, abs=1e-9), (option["option"], name)
        assert (option["df"], option["flags"], option["unreliable"]) == (
            estimate.df,
            list(estimate.flags),
            estimate.unreliable,
        )
    waiting = question["options"][0]
    assert waiting["count"] == 52
    assert (round(waiting["share_pct"], 2), round(waiting["ci_low_pct"], 2), round(waiting["ci_high_pct"], 2)) == (
        59.94,
        48.79,
        70.38,
    )
    assert waiting["unreliable"] is False
    # Several reasons per answer: the shares add up to more than 100%.
    assert sum(option["share_pct"] for option in question["options"]) > 100


def test_a_counter_is_a_domain_and_a_small_base_is_unreliable(
    client: TestClient, session: Session, world: World
) -> None:
    rows = reason_rows()
    headers = admin(client, session, world)
    body = client.get("/api/v1/reasons", headers=headers, params={"agency": "TP-A", "counter": "Q02"}).json()
    assert body["counter"] == "TP-A/Q02"
    (question,) = body["questions"]
    asked, wanted = expected_shares(rows, lambda row: (row.agency, row.counter) == ("TP-A", "Q02"))
    assert question["asked"] == asked
    for option in question["options"]:
        assert option["share_pct"] == pytest.approx(wanted[option["option"]].estimate * 100, abs=1e-9)
        assert option["ci_high_pct"] == pytest.approx(wanted[option["option"]].high * 100, abs=1e-9)
    # A rarely chosen reason in one counter: too few answers for a share (the NCHS rule), its count still given.
    rare = next(option for option in question["options"] if option["option"] == "facilities")
    assert rare["unreliable"] is True and rare["count"] < 10
    # The same counter named AGENCY/CODE, asked about from the whole scope: the same domain, the same shares.
    same = client.get("/api/v1/reasons", headers=headers, params={"counter": "TP-A/Q02"}).json()
    assert same["counter"] == "TP-A/Q02" and same["questions"][0]["asked"] == asked
    for mine, theirs in zip(same["questions"][0]["options"], question["options"], strict=True):
        assert mine["share_pct"] == pytest.approx(theirs["share_pct"], abs=1e-9)


def test_reasons_csv_has_one_row_per_option(client: TestClient, session: Session, world: World) -> None:
    answer = client.get("/api/v1/reasons", headers=admin(client, session, world), params={"format": "csv"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(answer.text.lstrip("\ufeff"))))
    assert lines[0][:6] == ["item", "asked", "option", "label", "label_en", "count"]
    assert [line[2] for line in lines[1:8]] == OPTIONS
    assert session.scalars(select(AuditEvent.object_type).where(AuditEvent.action == "export")).all() == ["reasons"]


# --- comments --------------------------------------------------------------------------------------------------

COMMENTS = [
    Row("TP-A", "Q01", date(2025, 3, 3), 2, ("waiting_time",), PHONE_COMMENT, minute=1),
    Row("TP-A", "Q02", date(2025, 3, 3), 5, (), "Cán bộ hướng dẫn nhiệt tình, chu đáo.", minute=2),
    Row("TP-A", "Q01", date(2025, 3, 10), 1, ("attitude",), "Thái độ công chức chưa tốt, email an@gmail.com"),
    Row("TP-B", "Q01", date(2025, 3, 17), 4, (), "Đường vào trụ sở khó tìm"),
    Row("TP-C", "Q01", date(2025, 3, 24), 3, (), "Chờ lâu, CCCD 001098012345 bị ghi sai"),
    Row("TP-A", "Q01", date(2025, 3, 24), 5, (), "Rất hài lòng", spam=True),
]


@pytest.fixture
def commented(session: Session, settings: Settings) -> World:
    world = make_tree(session)
    add(session, settings, world, COMMENTS)
    return world


def texts(body: dict[str, Any]) -> list[str]:
    return [item["text"] for item in body["items"]]


def test_comments_newest_first_masked_without_spam(client: TestClient, session: Session, commented: World) -> None:
    headers = admin(client, session, commented)
    body = client.get("/api/v1/comments", headers=headers).json()
    assert body["total"] == 5 and body["pages"] == 1 and body["hidden_total"] == 0
    assert texts(body) == [
        "Chờ lâu, CCCD [mã số] bị ghi sai",
        "Đường vào trụ sở khó tìm",
        "Thái độ công chức chưa tốt, email [email]",
        "Cán bộ hướng dẫn nhiệt tình, chu đáo.",
        PHONE_MASKED,
    ]
    assert [item["answer"] for item in body["items"]] == [3, 4, 1, 5, 2]
    assert body["items"][4]["agency"] == "TP-A" and body["items"][4]["counter"] == "Q01"
    assert "0912" not in str(body) and "Nguyễn Văn An" not in str(body) and "001098012345" not in str(body)
    english = client.get("/api/v1/comments", headers=headers, params={"lang": "en"})
    assert texts(english.json())[0] == "Chờ lâu, CCCD [ID number] bị ghi sai"


FILTERS: list[tuple[dict[str, str], list[str]]] = [
    ({"q": "cham"}, [PHONE_MASKED]),  # "chậm" without diacritics
    ({"q": "chậm"}, [PHONE_MASKED]),
    ({"q": "duong KHO"}, ["Đường vào trụ sở khó tìm"]),
    ({"q": "0912"}, []),  # masked text only: a search never finds what was masked
    ({"q": "nguyen van"}, []),
    ({"answer": "1-2"}, ["Thái độ công chức chưa tốt, email [email]", PHONE_MASKED]),
    (
        {"element": "overall", "answer": "4,5"},
        ["Đường vào trụ sở khó tìm", "Cán bộ hướng dẫn nhiệt tình, chu đáo."],
    ),
    ({"agency": "TP-A", "counter": "Q02"}, ["Cán bộ hướng dẫn nhiệt tình, chu đáo."]),
    ({"counter": "TP-B/Q01"}, ["Đường vào trụ sở khó tìm"]),
    (
        {"from": "2025-03-10", "to": "2025-03-20"},
        ["Đường vào trụ sở khó tìm", "Thái độ công chức chưa tốt, email [email]"],
    ),
    ({"q": "lâu", "answer": "3"}, ["Chờ lâu, CCCD [mã số] bị ghi sai"]),
]


def test_comment_filters_and_search(client: TestClient, session: Session, commented: World) -> None:
    headers = admin(client, session, commented)
    for params, expected in FILTERS:
        body = client.get("/api/v1/comments", headers=headers, params=params).json()
        assert (texts(body), body["total"]) == (expected, len(expected)), params


def test_comments_are_paged(client: TestClient, session: Session, commented: World) -> None:
    headers = admin(client, session, commented)
    pages = [
        client.get("/api/v1/comments", headers=headers, params={"per_page": 2, "page": page}).json()
        for page in (1, 2, 3, 4)
    ]
    assert [len(page["items"]) for page in pages] == [2, 2, 1, 0]
    assert {page["pages"] for page in pages} == {3} and {page["total"] for page in pages} == {5}
    everything = client.get("/api/v1/comments", headers=headers).json()
    assert [text for page in pages for text in texts(page)] == texts(everything)


def test_an_official_sees_only_their_commune(client: TestClient, session: Session, commented: World) -> None:
    headers = login(client, session, "tp-a", Role.agency_official, commented.agencies["TP-A"])
    body = client.get("/api/v1/comments", headers=headers).json()
    assert {item["agency"] for item in body["items"]} == {"TP-A"} and body["total"] == 3
    for code in ("TP-B", "TP", "TP-Z"):
        answer = client.get("/api/v1/comments", headers=headers, params={"agency": code})
        assert answer.status_code == 404
        assert answer.json()["error"]["message"] == f"no agency with code {code!r}"
    assert client.get("/api/v1/comments", headers=headers, params={"counter": "TP-B/Q01"}).status_code == 404
    assert client.get("/api/v1/comments", headers=headers, params={"hidden": "true"}).status_code == 403


def test_hide_and_show_a_comment(client: TestClient, session: Session, commented: World) -> None:
    headers = admin(client, session, commented)
    first = client.get("/api/v1/comments", headers=headers, params={"q": "cham"}).json()["items"][0]
    target = first["response_id"]
    hidden = client.post(f"/api/v1/comments/{target}/hide", headers=headers, json={"reason": "  lời lẽ xúc phạm "})
    assert hidden.status_code == 200
    assert hidden.json() | {"changed_at": None} == {
        "response_id": target,
        "hidden": True,
        "changed": True,
        "reason": "lời lẽ xúc phạm",
        "changed_by": "tp-admin",
        "changed_at": None,
    }
    again = client.post(f"/api/v1/comments/{target}/hide", headers=headers, json={"reason": "twice"})
    assert again.json()["changed"] is False and again.json()["reason"] == "lời lẽ xúc phạm"

    feed = client.get("/api/v1/comments", headers=headers).json()
    assert PHONE_MASKED not in texts(feed) and feed["total"] == 4 and feed["hidden_total"] == 1
    listed = client.get("/api/v1/comments", headers=headers, params={"hidden": "true"}).json()
    assert texts(listed) == [PHONE_MASKED] and listed["items"][0]["moderated_by"] == "tp-admin"
    exported = client.get("/api/v1/comments", headers=headers, params={"format": "csv"}).text
    assert "chậm quá" not in exported and "Đường vào" in exported
    stored = session.get(CommentModeration, target)
    assert stored is not None and stored.hidden is True  # the comment is kept, only hidden

    shown = client.post(f"/api/v1/comments/{target}/show", headers=headers, json={"reason": "đã xem lại"})
    assert shown.status_code == 200 and shown.json()["hidden"] is False and shown.json()["changed"] is True
    assert PHONE_MASKED in texts(client.get("/api/v1/comments", headers=headers).json())
    events = session.execute(
        select(AuditEvent.action, AuditEvent.object_id, AuditEvent.details).order_by(AuditEvent.id)
    ).all()
    moderation = [
        (action, object_id, details) for action, object_id, details in events if action.startswith("comment.")
    ]
    assert moderation == [
        ("comment.hide", str(target), {"from": "visible", "to": "hidden", "reason": "lời lẽ xúc phạm"}),
        ("comment.show", str(target), {"from": "hidden", "to": "visible", "reason": "đã xem lại"}),
    ]


def test_who_may_hide_what(client: TestClient, session: Session, commented: World) -> None:
    headers = admin(client, session, commented)
    items = client.get("/api/v1/comments", headers=headers).json()["items"]
    b_comment = next(item["response_id"] for item in items if item["agency"] == "TP-B")
    a_comment = next(item["response_id"] for item in items if item["agency"] == "TP-A")
    official = login(client, session, "tp-a", Role.agency_official, commented.agencies["TP-A"])
    assert client.post(f"/api/v1/comments/{a_comment}/hide", headers=official, json={"reason": "x"}).status_code == 403
    other = login(client, session, "b-admin", Role.province_admin, commented.agencies["TP-A"])
    outside = client.post(f"/api/v1/comments/{b_comment}/hide", headers=other, json={"reason": "x"})
    unknown = client.post("/api/v1/comments/999999999/hide", headers=other, json={"reason": "x"})
    assert outside.status_code == unknown.status_code == 404
    assert outside.json()["error"]["message"].replace(str(b_comment), "N") == unknown.json()["error"][
        "message"
    ].replace("999999999", "N")
    no_reason = client.post(f"/api/v1/comments/{a_comment}/hide", headers=headers, json={"reason": "   "})
    assert no_reason.status_code == 422 and "reason" in no_reason.json()["error"]["message"]
    assert client.post(f"/api/v1/comments/{a_comment}/hide", headers=headers, json={}).status_code == 422


def test_the_csv_is_masked_and_audited(client: TestClient, session: Session, commented: World) -> None:
    answer = client.get("/api/v1/comments", headers=admin(client, session, commented), params={"format": "csv"})
    assert answer.status_code == 200
    assert 'filename="sipas-comments-' in answer.headers["content-disposition"]
    text = answer.text
    for raw in ("0912", "345 678", "Nguyễn Văn An", "an@gmail.com", "001098012345"):
        assert raw not in text
    lines = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert lines[0] == [
        *("response_id", "local_date", "submitted_at", "agency", "agency_name", "counter", "counter_name", "channel"),
        *("answer", "text"),
    ]
    assert [line[-1] for line in lines[1:6]][-1] == PHONE_MASKED
    assert lines[7] == ["Thông tin cá nhân trong góp ý (số điện thoại, email, mã số, tên) đã được che."]
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "export")).one()
    assert (event.object_type, event.details["rows"]) == ("comments", 5)


BAD: list[tuple[dict[str, str], int, str]] = [
    ({"answer": "abc"}, 422, "answer"),
    ({"answer": "9"}, 422, "answer"),
    ({"answer": "2-1"}, 422, "answer"),
    ({"element": "nope", "answer": "1"}, 422, "element"),
    ({"counter": "Q01"}, 422, "counter"),
    ({"counter": "TP-A/Q09"}, 404, "counter"),
    ({"per_page": "0"}, 422, "per_page"),
    ({"page": "0"}, 422, "page"),
    ({"q": "x" * 201}, 422, "q"),
    ({"from": "2025-03-10", "to": "2025-03-01"}, 422, "from"),
    ({"form": "nope"}, 404, "form"),
]


def test_bad_input_is_a_4xx_that_names_it(client: TestClient, session: Session, commented: World) -> None:
    headers = admin(client, session, commented)
    for params, status, words in BAD:
        answer = client.get("/api/v1/comments", headers=headers, params=params)
        assert answer.status_code == status, (params, answer.text)
        assert words in answer.json()["error"]["message"], params


def test_reasons_of_another_form_and_bad_input(client: TestClient, session: Session, commented: World) -> None:
    headers = admin(client, session, commented)
    no_reasons = client.get("/api/v1/reasons", headers=headers, params={"form": "sipas-2023"})
    assert no_reasons.status_code == 200 and no_reasons.json()["questions"] == []  # the form asks no reason
    assert client.get("/api/v1/reasons", headers=headers, params={"method": "nope"}).status_code == 422
    assert client.get("/api/v1/reasons", headers=headers, params={"counter": "TP-A/Q09"}).status_code == 404
    assert client.get("/api/v1/reasons", headers=headers, params={"agency": "TP-Z"}).status_code == 404
