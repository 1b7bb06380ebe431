"""A statement's rows as columns: on PostgreSQL through COPY and pyarrow, elsewhere fetched and transposed. Both must
give the values SQLAlchemy's own rows give, column by column — integers as int64 arrays when no NULL is among them,
NULLs as None, enums as their members, booleans, floats to the last bit, text with commas, quotes and empty strings —
on both databases."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from sqlalchemy import BigInteger, Boolean, Float, Integer, String, cast, func, literal, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.reports import fetching
from app.reports.fetching import fetch_columns, joined
from app.responses.models import Channel, Response
from tests.factories import counter_tree, live_response


def test_columns_equal_the_rows_sqlalchemy_returns(
    session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _province, commune, counter = counter_tree(session)
    days = [date(2026, 3, 1), date(2026, 3, 9), date(2026, 4, 2)]
    for i, day in enumerate(days):
        live_response(session, settings, agency=commune, counter=counter, day=day, overall=1 + i)
    session.commit()
    statement = select(
        Response.agency_id,
        Response.local_month,
        func.nullif(Response.local_month, 202603, type_=Integer).label("cut"),  # an integer column with NULLs
        Response.channel,
        Response.is_test,
        (cast(Response.local_month, Float) / literal(7.0, Float)).label("ratio"),
        cast(literal('a, "b"'), String).label("text"),
        cast(literal(""), String).label("empty"),
        cast(func.nullif(literal("x"), literal("x")), String).label("none"),
        cast(literal(True), Boolean).label("flag"),
        cast(literal(2**40), BigInteger).label("big"),
        (Response.local_month % 100).label("month_of_year"),  # a % in the SQL, and in a text below
        cast(literal("100%"), String).label("percent"),
    ).order_by(Response.local_date)
    rows = session.execute(statement).all()
    if session.connection().dialect.name == "postgresql":  # the COPY path, not the fetch it falls back to

        def fetched(*_args: object) -> None:
            raise AssertionError("rows fetched instead of copied")

        monkeypatch.setattr(fetching, "as_columns", fetched)
    columns = fetch_columns(session.connection(), statement)
    assert len(columns) == 13
    for j, column in enumerate(columns):
        assert list(column) == [row[j] for row in rows], j
        values = column.tolist() if isinstance(column, np.ndarray) else list(column)
        assert [type(value) for value in values] == [type(row[j]) for row in rows], j
    assert isinstance(columns[0], np.ndarray) and columns[0].dtype == np.int64
    assert not isinstance(columns[2], np.ndarray)  # NULLs: the values as they are
    assert columns[3] == (Channel.web_qr,) * 3
    assert columns[7] == ("",) * 3 and columns[8] == (None,) * 3
    assert list(columns[11]) == [3, 3, 4] and columns[12] == ("100%",) * 3


def test_no_rows_and_joined_columns(session: Session) -> None:
    statement = select(Response.agency_id, Response.channel).where(Response.id < 0)
    assert [list(column) for column in fetch_columns(session.connection(), statement)] == [[], []]
    assert list(joined(np.array([1, 2]), np.array([3]))) == [1, 2, 3]
    assert joined(np.array([1, 2]), (None,)) == (1, 2, None)
    assert joined((), (5,)) == (5,)
