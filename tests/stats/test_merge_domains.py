"""merge_domains: estimating coarser domains from the sums of finer ones gives what the rows themselves give — the
province total the dashboard shows beside its agencies comes from the same GROUP BY."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from app.stats.design import make_design
from app.stats.estimates import IndexSpec, estimate_domains
from app.stats.tables import merge_domains, table_from_rows

ITEMS = ["a", "b", "c"]
INDICES = [IndexSpec("index", "overall", ("a", "b", "c"))]


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), rows=st.integers(30, 200), agencies=st.integers(2, 6))
def test_merging_agencies_equals_estimating_the_union(seed: int, rows: int, agencies: int) -> None:
    rng = np.random.default_rng(seed)
    agency = rng.integers(0, agencies, rows)
    # strata nest agencies (agency × month), PSUs nest strata (counter-weeks); a few rows answer nothing
    stratum = agency * 2 + rng.integers(0, 2, rows)
    psu = stratum * 10 + rng.integers(0, 3, rows)
    answered = rng.random((rows, len(ITEMS))) < 0.9
    satisfied = answered & (rng.random((rows, len(ITEMS))) < 0.8)
    weights = rng.uniform(0.5, 3.0, rows)
    design = make_design(weights, strata=stratum.astype(str), clusters=psu.astype(str), lonely_psu="adjust")
    fine, strata = table_from_rows(design, agency, answered, satisfied)
    # keep agencies 0..k−2 together, drop the last one
    mapping = [0] * (agencies - 1) + [-1]
    merged = estimate_domains(merge_domains(fine, mapping), strata, ITEMS, INDICES, domains=1)[0]
    inside = np.where(agency < agencies - 1, 0, -1)
    union, _ = table_from_rows(design, inside, answered, satisfied)
    direct = estimate_domains(union, strata, ITEMS, INDICES, domains=1)[0]
    assert [e.metric for e in merged] == [e.metric for e in direct]
    for got, want in zip(merged, direct, strict=True):
        assert (got.n, got.df) == (want.n, want.df)
        assert np.allclose(
            [got.estimate, got.se, got.low, got.high],
            [want.estimate, want.se, want.low, want.high],
            rtol=1e-12,
            atol=1e-14,
        )
