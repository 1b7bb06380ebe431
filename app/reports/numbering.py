"""Numbering rows by their values, column by column: how the figures' sums tell domains, PSUs and (domain, PSU)
pairs apart in a national report's million rows without running Python per row."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import compress
from typing import Any

import numpy as np
from numpy.typing import NDArray

# A column of fetched rows: a tuple of Python values, or an int64 array (see as_columns).
Values = Sequence[Any] | NDArray[Any]


def labels(columns: Sequence[Values], rows: int) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Number the distinct value tuples of ``columns`` (each a sequence of ``rows`` values) in order of first
    appearance: (the number of each row, the first row of each number). Each column is dictionary-encoded by pyarrow
    and the codes made unique by numpy, so no Python runs per row (a national report has a million rows); a column
    pyarrow cannot type (mixed kinds of values, as the stored design's PSU: a cluster label or a response id) is
    numbered by a dictionary instead."""
    if rows == 0:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
    if not columns:
        return np.zeros(rows, dtype=np.intp), np.zeros(1, dtype=np.intp)
    key = _codes(columns[0])
    size = int(key.max()) + 1
    for column in columns[1:]:  # mixed radix, made dense again before it could overflow
        codes = _codes(column)
        card = int(codes.max()) + 1
        if size * card >= 2**62:
            uniques, dense = np.unique(key, return_inverse=True)
            key, size = dense.reshape(-1).astype(np.int64), uniques.size
        key = key * card + codes
        size *= card
    import pyarrow as pa  # type: ignore[import-untyped]  # here, not at import: `sipas --help` goes without it
    import pyarrow.compute as pc  # type: ignore[import-untyped]

    # pyarrow numbers the distinct keys by hashing, in order of first appearance (no sort of the rows)
    encoded = pc.dictionary_encode(pa.array(key))
    number = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.intp)
    first = np.empty(len(encoded.dictionary), dtype=np.intp)
    first[number[::-1]] = np.arange(rows - 1, -1, -1, dtype=np.intp)  # the last write of each number is its first row
    return number, first


def _codes(column: Values) -> NDArray[np.int64]:
    if isinstance(column, np.ndarray) and column.dtype.kind in "iub" and column.size:
        # integers (the summary's keys as fetched, or numbers from an earlier call): a narrow range is its own code
        low, high = int(column.min()), int(column.max())
        if high - low <= 4 * column.size + 1024:
            return np.asarray(column, dtype=np.int64) - low
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        encoded = pc.dictionary_encode(pa.array(column), null_encoding="encode")
        return np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        seen: dict[Any, int] = {}
        return np.fromiter((seen.setdefault(value, len(seen)) for value in column), dtype=np.int64, count=len(column))


def as_columns(rows: Sequence[Sequence[Any]], width: int) -> list[Values]:
    """Rows of ``width`` values → ``width`` columns (a C-level transpose). A column of plain integers without a NULL
    (most keys: agency, month, counter, week, form version, answer patterns, counts) becomes an int64 array, which
    the numbering takes as it is instead of converting a million Python values again at every call; read single
    values back with :func:`value`, select rows with :func:`kept`."""
    if not rows:
        return [() for _ in range(width)]
    columns: list[Values] = list(zip(*rows, strict=True))
    for j, column in enumerate(columns):
        if type(column[0]) is int:
            array = np.array(column)  # numpy's own inference: a NULL, a float or a label makes it another kind
            if array.dtype == np.int64:
                columns[j] = array
    return columns


def value(column: Values, row: int | np.integer[Any]) -> Any:
    """One value of a column as a Python value (an int, not a numpy scalar, from an array)."""
    found = column[int(row)]
    return found.item() if isinstance(found, np.generic) else found


def kept(column: Values, mask: NDArray[np.bool_]) -> Values:
    """The rows of a column where ``mask`` is true."""
    if isinstance(column, np.ndarray):
        return column[mask]
    return list(compress(column, mask.tolist()))
