"""Counters' short codes: what a new counter gets, what a person may type for it, and how a code is replaced."""

from __future__ import annotations

import re
import types
from collections.abc import Iterator

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.directory import service as directory
from app.directory.models import AgencyLevel, Counter
from app.directory.service import create_agency, create_counter, find_counter_by_short_code, normalise_short_code
from app.errors import Conflict
from app.links import service as links
from tests.factories import counter_tree

CROCKFORD = re.compile("[0123456789ABCDEFGHJKMNPQRSTVWXYZ]{6}")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("7KX2M9", "7KX2M9"),
        ("7kx2m9", "7KX2M9"),  # case does not matter
        ("7KX-2M9", "7KX2M9"),  # hyphens and spaces are ignored
        (" 7kx 2m9\t", "7KX2M9"),
        ("o1l0iL", "011011"),  # O reads as 0, I and L as 1
        ("7KX2MU", None),  # U is not in the alphabet
        ("7KX2M", None),  # five symbols
        ("7KX2M90", None),  # seven
        ("7KX_2M", None),
        ("7KX2M/", None),
        ("", None),
        ("ıKX2M9", None),  # a dotless i is not an I, even upper-cased
        ("7" * 41, None),
    ],
)
def test_what_a_person_may_type_for_a_code(typed: str, expected: str | None) -> None:
    assert normalise_short_code(typed) == expected


def test_a_new_counter_gets_a_code_of_six_crockford_symbols(session: Session) -> None:
    _province, commune, first = counter_tree(session)
    others = [create_counter(session, agency=commune, code=f"Q{n:02d}", name_vi=f"Quầy {n}") for n in range(2, 30)]
    session.commit()
    codes = [counter.short_code for counter in (first, *others)]
    assert all(code is not None and CROCKFORD.fullmatch(code) for code in codes), codes
    assert len(set(codes)) == len(codes)


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The symbols the code generator will draw, in order (the test appends them)."""
    symbols: list[str] = []
    monkeypatch.setattr(directory, "secrets", types.SimpleNamespace(choice=lambda _alphabet: symbols.pop(0)))
    yield symbols


def test_a_code_already_taken_is_drawn_again(session: Session, drawn: list[str]) -> None:
    drawn.extend("AAAAAA")
    province = create_agency(session, code="HN", name_vi="Hà Nội", level=AgencyLevel.province)
    first = create_counter(session, agency=province, code="Q01", name_vi="Quầy 1")
    session.commit()
    drawn.extend("AAAAAA" + "BBBBBB")
    second = create_counter(session, agency=province, code="Q02", name_vi="Quầy 2")
    session.commit()
    assert (first.short_code, second.short_code) == ("AAAAAA", "BBBBBB")
    assert drawn == []


def test_no_code_found_after_twenty_draws_is_a_conflict(session: Session, drawn: list[str]) -> None:
    drawn.extend("AAAAAA")
    province = create_agency(session, code="HN", name_vi="Hà Nội", level=AgencyLevel.province)
    create_counter(session, agency=province, code="Q01", name_vi="Quầy 1")
    session.commit()
    drawn.extend("AAAAAA" * 20)
    with pytest.raises(Conflict) as raised:
        create_counter(session, agency=province, code="Q02", name_vi="Quầy 2")
    assert raised.value.message == "no unused short code found in 20 draws; try again"


def test_finding_a_counter_by_what_was_typed(session: Session) -> None:
    counter = counter_tree(session)[2]
    code = counter.short_code
    assert code is not None
    assert find_counter_by_short_code(session, f"{code[:3]}-{code[3:]}".lower()) is counter
    assert find_counter_by_short_code(session, code.replace("0", "o").replace("1", "l")) is counter
    assert find_counter_by_short_code(session, "ZZZZZZ" if code != "ZZZZZZ" else "YYYYYY") is None
    assert find_counter_by_short_code(session, "not a code") is None
    counter.active = False  # found all the same: its page says it no longer collects answers
    session.commit()
    assert find_counter_by_short_code(session, code) is counter


def test_revoking_the_links_gives_a_new_code_and_records_both(session: Session) -> None:
    counter = counter_tree(session)[2]
    old = counter.short_code
    links.revoke_counter_links(session, counter, actor="test")
    session.commit()
    assert counter.short_code is not None and CROCKFORD.fullmatch(counter.short_code)
    assert counter.short_code != old
    assert find_counter_by_short_code(session, old or "") is None
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "counter.links_revoke")).one()
    assert event.details == {
        "agency": "HN-X01",
        "counter": "Q01",
        "generation": 1,
        "short_code": [old, counter.short_code],
    }


def test_a_counter_loaded_without_a_code_gets_one_once(session: Session) -> None:
    counter = counter_tree(session)[2]
    session.execute(update(Counter).where(Counter.id == counter.id).values(short_code=None))
    session.commit()
    session.refresh(counter)
    code = links.short_code_for(session, counter, actor="cli")
    assert CROCKFORD.fullmatch(code)
    assert links.short_code_for(session, counter, actor="cli") == code
    session.expire_all()
    assert session.get(Counter, counter.id).short_code == code  # type: ignore[union-attr]
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "counter.short_code")).all()
    assert [(event.actor, event.details) for event in events] == [
        ("cli", {"agency": "HN-X01", "counter": "Q01", "short_code": [None, code]})
    ]
