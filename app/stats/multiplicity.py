"""Many comparisons in one answer: the false discovery rate, controlled by Benjamini–Hochberg.

A trend of twelve months makes eleven period-over-period comparisons, a ranking of twenty agencies nineteen
neighbour comparisons and twenty changes. Judged one by one at 5%, a year of a province with no real change would
raise an alert in about a quarter of its agencies. Every answer that makes several comparisons (a trend, a ranking)
therefore adjusts their p-values together with :func:`benjamini_hochberg`, and calls a comparison significant when
the *adjusted* p-value is at most 1 − level. Each comparison reports both p-values.

Benjamini Y., Hochberg Y. (1995) Controlling the false discovery rate, JRSS B 57(1):289–300; R's
``p.adjust(p, method = "BH")``, which this equals. Under the global null (no change anywhere) the FDR equals the
family-wise error rate, so an answer raises a false alert with probability at most 1 − level.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def benjamini_hochberg(p_values: Sequence[float | None]) -> list[float | None]:
    """BH-adjusted p-values, in the order given; ``None`` (no comparison) stays ``None`` and is not counted.

    For the m p-values sorted increasingly, adjusted p_(i) = min over j ≥ i of min(1, m·p_(j)/j)."""
    present = [i for i, value in enumerate(p_values) if value is not None]
    out: list[float | None] = [None] * len(p_values)
    if not present:
        return out
    values = np.array([p_values[i] for i in present], dtype=np.float64)
    m = values.size
    order = np.argsort(values, kind="stable")
    scaled = values[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    result = np.empty(m)
    result[order] = adjusted
    for position, index in enumerate(present):
        out[index] = float(result[position])
    return out
