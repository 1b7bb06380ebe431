"""A statement's rows as columns, the shape the figures' assembly numbers (``app.reports.numbering``).

On PostgreSQL the rows come through ``COPY (SELECT …) TO STDOUT`` as CSV, parsed by pyarrow column by column: a
national report reads a million summary rows, and making a Python tuple of Python values per row (the driver's rows,
SQLAlchemy's, then the transpose) cost more than the statement itself. The COPY runs on the session's own connection,
so it reads the same snapshot as every other statement of the figure. Elsewhere (SQLite), and for a statement whose
parameters cannot be written as literals, the rows are fetched and transposed (:func:`as_columns`). Both give the same
columns: integers without NULLs as int64 arrays, everything else as the values SQLAlchemy would return (an enum
member, not its text; None for NULL).
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from sqlalchemy import Boolean, Connection, Enum, Float, Integer, Select, String
from sqlalchemy.exc import CompileError
from sqlalchemy.types import TypeEngine

from app.reports.numbering import Values, as_columns


def fetch_columns(connection: Connection, statement: Select[*tuple[Any, ...]]) -> list[Values]:
    """The rows of ``statement`` as columns (one per selected column)."""
    types = [column.type for column in statement.selected_columns]
    kinds = [_kind(column_type) for column_type in types]
    if connection.dialect.name == "postgresql" and all(kinds):
        try:
            compiled = statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
        except CompileError:  # a parameter without a literal form: fetched below
            pass
        else:
            driver = connection.connection.driver_connection
            assert driver is not None
            query = compiled.string
            if connection.dialect.paramstyle in ("pyformat", "format"):  # sent without parameters: a % is itself
                query = query.replace("%%", "%")
            with driver.cursor() as cursor, cursor.copy(f"COPY ({query}) TO STDOUT (FORMAT csv)") as copy:
                data = b"".join(bytes(block) for block in copy)
            return _parsed(data, types, kinds, connection)
    return as_columns(connection.execute(statement).all(), len(types))


def _kind(column_type: TypeEngine[Any]) -> str | None:
    """How a column's CSV text is read: as integers, floats, booleans or text; None for a type whose Python value
    the CSV cannot give back as the driver would (dates, decimals, untyped expressions)."""
    if isinstance(column_type, Boolean):
        return "bool"
    if isinstance(column_type, Integer):
        return "int64"
    if isinstance(column_type, Float):
        return "float64"
    if isinstance(column_type, Enum | String):
        return "string"
    return None


def _parsed(data: bytes, types: list[TypeEngine[Any]], kinds: list[str | None], connection: Connection) -> list[Values]:
    import pyarrow as pa  # type: ignore[import-untyped]  # here, not at import: `sipas --help` goes without it
    import pyarrow.csv as pacsv  # type: ignore[import-untyped]

    if not data:
        return as_columns([], len(types))
    names = [f"c{i}" for i in range(len(types))]
    table = pacsv.read_csv(
        io.BytesIO(data),
        read_options=pacsv.ReadOptions(column_names=names),
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.type_for_alias(kind) for name, kind in zip(names, kinds, strict=True)},
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,  # "" is an empty text, an unquoted empty field NULL
            true_values=["t"],
            false_values=["f"],
        ),
    )
    columns: list[Values] = []
    for name, column_type in zip(names, types, strict=True):
        column = table.column(name)
        if pa.types.is_integer(column.type) and column.null_count == 0:
            columns.append(np.asarray(column.to_numpy(), dtype=np.int64))
            continue
        values = column.to_pylist()
        process = column_type.result_processor(connection.dialect, None)
        if process is not None:  # an enum's text → its member, as SQLAlchemy returns it (each distinct value once)
            seen: dict[Any, Any] = {}
            values = [seen[v] if v in seen else seen.setdefault(v, process(v)) for v in values]
        columns.append(tuple(values))
    return columns


def joined(first: Values, second: Values) -> Values:
    """Two columns one after the other (the summary's rows, then the tail's)."""
    if isinstance(first, np.ndarray) and isinstance(second, np.ndarray):
        return np.concatenate([first, second])
    if not len(second):
        return first
    if not len(first):
        return second
    return (*_listed(first), *_listed(second))


def _listed(column: Values) -> list[Any]:
    return column.tolist() if isinstance(column, np.ndarray) else list(column)
