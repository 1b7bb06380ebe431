"""Where two answers (plain data: dicts, lists, numbers, text) first differ, numbers within a relative tolerance
counted equal: the summary's and the raw path's sums are added in another order and differ in the last bits."""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import Any


def first_difference(
    left: Any, right: Any, tolerance: float, *, skip: Collection[str] = (), where: str = ""
) -> str | None:
    """The path ("/rows/0/n_eff") and both values where ``left`` and ``right`` first differ, None when they agree
    (values of different types never do);
    floats agree within ``tolerance`` (relative, and absolute near 0), NaN agrees with NaN; ``skip`` names keys of
    the top level left out (e.g. ``meta``, which says where the figures came from)."""
    if isinstance(left, dict) and isinstance(right, dict):
        for key in sorted(set(left) | set(right), key=str):
            if where == "" and key in skip:
                continue
            if key not in left or key not in right:
                return f"{where}/{key}: only in {'the first' if key in left else 'the second'}"
            found = first_difference(left[key], right[key], tolerance, where=f"{where}/{key}")
            if found:
                return found
        return None
    if isinstance(left, list) and isinstance(right, list):
        if len(left) != len(right):
            return f"{where}: {len(left)} items, then {len(right)}"
        for index, (one, other) in enumerate(zip(left, right, strict=True)):
            found = first_difference(one, other, tolerance, where=f"{where}/{index}")
            if found:
                return found
        return None
    if type(left) is not type(right):
        return f"{where}: {left!r} != {right!r}"
    if isinstance(left, float):
        if (math.isnan(left) and math.isnan(right)) or math.isclose(left, right, rel_tol=tolerance, abs_tol=tolerance):
            return None
    elif left == right:
        return None
    return f"{where}: {left!r} != {right!r}"
