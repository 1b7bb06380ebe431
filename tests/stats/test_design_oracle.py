"""Domain means of stratified, clustered, weighted designs equal R's survey package (tests/stats/oracle/).

The reference values are `expected/domain_stats.csv`, made by `Rscript scripts/run_oracle.R` (R 4.2.2, survey
4.1.1) from the data in `data/`; each design is the R call in `expected/manifest.json`, e.g. strat_clus =
`svydesign(ids=~psu, strata=~agency, weights=~weight, nest=TRUE)`, then `svyby(~satisfied, ~agency, design,
svymean, deff=TRUE)` and `svytotal`. Copied from the project's shared oracle so the suite stands alone.
"""

from __future__ import annotations

import csv
from typing import Any

import numpy as np
import pytest

from app.stats.design import DesignError, domain_mean, make_design
from tests.factories import ORACLE, ORACLE_DESIGNS, oracle_data, oracle_domain


def _expected() -> list[dict[str, Any]]:
    with (ORACLE / "expected" / "domain_stats.csv").open(encoding="utf-8") as handle:
        return [row for row in csv.DictReader(handle) if (row["dataset"], row["design"]) in ORACLE_DESIGNS]


ROWS = _expected()


@pytest.mark.parametrize("row", ROWS, ids=[f"{r['design']}-{r['outcome']}-{r['by']}-{r['group']}" for r in ROWS])
def test_domain_mean_equals_r(row: dict[str, Any]) -> None:
    data = oracle_data(row["dataset"])
    design = ORACLE_DESIGNS[(row["dataset"], row["design"])](data)
    got = domain_mean(design, data[row["outcome"]], oracle_domain(data, row["by"], row["group"]))
    assert got.n == int(row["n"])
    assert got.df == int(row["df"])
    assert got.sum_w == pytest.approx(float(row["sum_w"]), rel=1e-12)
    assert got.estimate == pytest.approx(float(row["estimate"]), abs=1e-10)
    assert got.total == pytest.approx(float(row["total"]), rel=1e-10)
    assert got.variance == pytest.approx(float(row["var"]), abs=1e-10, rel=1e-9)
    assert got.se == pytest.approx(float(row["se"]), abs=1e-10)
    assert got.total_se == pytest.approx(float(row["total_se"]), rel=1e-9, abs=1e-10)
    for name in ("deff", "deff_replace"):
        if got.estimate in (0.0, 1.0):
            # All or none satisfied: the SRS variance is 0 and the design effect undefined. R divides by a rounding
            # residue (deff ≈ 1e31); the engine says NaN.
            assert np.isnan(getattr(got, name))
        elif row[name] not in ("NA", "NaN", ""):
            assert getattr(got, name) == pytest.approx(float(row[name]), rel=1e-9, abs=1e-10)


def test_every_reference_design_is_covered() -> None:
    assert len(ROWS) == 12 * 5 + 129 + 94 + 19 + 19


def test_a_lonely_psu_fails_unless_told_otherwise() -> None:
    weights, strata, clusters = [1.0, 1.0, 1.0], ["a", "b", "b"], [1, 2, 3]
    with pytest.raises(DesignError, match="a stratum has only one PSU"):
        domain_mean(make_design(weights, strata=strata, clusters=clusters), [1.0, 0.0, 1.0])
    removed = domain_mean(make_design(weights, strata=strata, clusters=clusters, lonely_psu="remove"), [1.0, 0.0, 1.0])
    assert removed.estimate == pytest.approx(2 / 3)
