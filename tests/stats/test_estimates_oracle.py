"""Item rates and the SIPAS index from per-(domain, PSU) sums equal R's survey package.

- ``expected/index_stats.csv`` — index = mean over elements E1..E6 of Σw·[score ≥ 4] / Σw·[rated], elements nobody
  in the domain rated left out; made by ``Rscript scripts/index_oracle.R`` with R's
  ``svyratio(~y_E1+…, ~a_E1+…, design, covmat = TRUE)`` and the mean contrast of the diagonal ratios.
- ``expected/domain_stats.csv`` — the single-element rates (domain = one element) through the same sums path.
"""

from __future__ import annotations

import csv
import math
from functools import cache
from typing import Any

import numpy as np
import pytest

from app.stats.comparisons import compare
from app.stats.estimates import IndexSpec, estimate_domains
from app.stats.tables import table_from_rows
from tests.factories import ORACLE, ORACLE_DESIGNS, oracle_data

WIDE_DESIGNS = {
    "strat_clus": ORACLE_DESIGNS[("satisfaction", "strat_clus")],
    "strat_clus_fpc": ORACLE_DESIGNS[("satisfaction", "strat_clus_fpc")],
    "resp_clus": ORACLE_DESIGNS[("satisfaction", "resp_clus")],
}
ELEMENTS = ["E1", "E2", "E3", "E4", "E5", "E6"]
INDEX = [IndexSpec("index", "index", tuple(ELEMENTS))]

with (ORACLE / "expected" / "index_stats.csv").open(encoding="utf-8") as _handle:
    INDEX_ROWS = list(csv.DictReader(_handle))


@cache
def _by_agency(design_name: str, complete: bool = False) -> dict[str, Any]:
    """Items and the index overall and per agency; ``complete``: over respondents who rated all six elements only
    (each one's score is then their plain share of satisfied elements, so R's ``svymean`` of that score needs no
    linearisation to define it)."""
    data = oracle_data("satisfaction_wide")
    design = WIDE_DESIGNS[design_name](data)
    scores = np.column_stack([data[e] for e in ELEMENTS])
    answered = ~np.isnan(scores)
    satisfied = answered & (np.nan_to_num(scores) >= 4)
    agencies = sorted(set(data["agency"].tolist()))
    inside = answered.all(axis=1) if complete else np.ones(design.rows, dtype=bool)
    whole = np.where(inside, 0, -1)
    (overall,) = estimate_domains(*table_from_rows(design, whole, answered, satisfied), ELEMENTS, INDEX)
    codes = np.where(inside, np.searchsorted(agencies, data["agency"]), -1)
    table, strata = table_from_rows(design, codes, answered, satisfied)
    per_agency = estimate_domains(table, strata, ELEMENTS, INDEX, domains=len(agencies))
    return {"ALL": overall, **dict(zip(agencies, per_agency, strict=True))}


@pytest.mark.parametrize("row", INDEX_ROWS, ids=[f"{r['design']}-{r['group']}" for r in INDEX_ROWS])
def test_index_equals_r_svyratio_contrast(row: dict[str, str]) -> None:
    got = next(e for e in _by_agency(row["design"])[row["group"]] if e.metric == "index")
    assert got.estimate == pytest.approx(float(row["estimate"]), abs=1e-12)
    assert got.se == pytest.approx(float(row["se"]), abs=1e-12)
    assert got.df == int(row["df"])
    assert got.n == int(row["n"])
    assert got.members == int(row["elements"])  # A02: nobody rated E6, so the index is the mean of five


def test_every_index_row_is_covered() -> None:
    assert len(INDEX_ROWS) == 3 * 13


with (ORACLE / "expected" / "domain_stats.csv").open(encoding="utf-8") as _handle:
    ELEMENT_ROWS = [
        r
        for r in csv.DictReader(_handle)
        if r["design"] in ("strat_clus", "strat_clus_fpc") and r["by"] in ("element", "agency+element")
    ]


@pytest.mark.parametrize("row", ELEMENT_ROWS, ids=[f"{r['design']}-{r['group']}" for r in ELEMENT_ROWS])
def test_item_rate_equals_r_svymean(row: dict[str, str]) -> None:
    group = row["group"].split("|")
    estimates = _by_agency(row["design"])["ALL" if len(group) == 1 else group[0]]
    got = next(e for e in estimates if e.metric == group[-1])
    assert got.estimate == pytest.approx(float(row["estimate"]), abs=1e-12)
    assert got.se**2 == pytest.approx(float(row["var"]), abs=1e-12, rel=1e-9)
    assert got.n == int(row["n"])
    assert got.df == int(row["df"])
    if 0 < got.estimate < 1 and row["deff"] not in ("", "NA"):
        assert got.deff == pytest.approx(float(row["deff"]), rel=1e-9)


@pytest.mark.parametrize(
    ("by", "a", "b", "difference", "se"),
    [
        # R: r <- svyby(~y1, ~period, des, svyratio, denominator = ~a1, covmat = TRUE); svycontrast(r, c(1, -1, 0, 0))
        # (des = strat_clus on the wide file, y1 = [E1 ≥ 4], a1 = [E1 rated]): two periods share strata and PSUs.
        ("period", "Q1", "Q2", 0.19835752849694466, 0.050193206911758617),
        # R: the same by agency, svycontrast(r2, A08 − A11): two agencies, independent strata.
        ("agency", "A08", "A11", -0.22677574260763145, 0.037212192990394244),
    ],
)
def test_difference_between_two_domains_equals_r_svycontrast(
    by: str, a: str, b: str, difference: float, se: float
) -> None:
    data = oracle_data("satisfaction_wide")
    design = WIDE_DESIGNS["strat_clus"](data)
    answered = ~np.isnan(data["E1"])[:, None]
    satisfied = answered & (np.nan_to_num(data["E1"]) >= 4)[:, None]
    groups = sorted(set(data[by].tolist()))
    table, strata = table_from_rows(design, np.searchsorted(groups, data[by]), answered, satisfied)
    (got,) = compare(table, strata, ["E1"], [], groups.index(a), groups.index(b))
    assert got.estimate == pytest.approx(difference, abs=1e-12)
    assert got.se == pytest.approx(se, abs=1e-12)
    assert got.significant and got.p_value is not None and got.p_value < 0.05


with (ORACLE / "expected" / "index_deff.csv").open(encoding="utf-8") as _handle:
    DEFF_ROWS = list(csv.DictReader(_handle))


@pytest.mark.parametrize("row", DEFF_ROWS, ids=[f"{r['case']}-{r['design']}-{r['group']}" for r in DEFF_ROWS])
def test_index_design_effect_equals_r_svymean_of_the_per_respondent_score(row: dict[str, str]) -> None:
    # R (scripts/wave2_oracle.R): score_i = I + Σw·mean_k([y_ik ≥ 4] − R_k·[rated_ik])/X_k per respondent of the
    # domain, then svymean(~score, subset(design, in_domain), deff = TRUE) and deff = "replace".
    found = [e for e in _by_agency(row["design"], row["case"] != "index")[row["group"]] if e.metric == "index"]
    assert found, "the domain has the index"
    got = found[0]
    assert got.estimate == pytest.approx(float(row["estimate"]), abs=1e-12)
    assert got.se == pytest.approx(float(row["se"]), abs=1e-12)
    assert got.n == int(row["n"])
    if row["status"] != "ok":  # one respondent: R's reference variance is 0/0, the engine's deff NaN (null)
        assert math.isnan(got.deff) and got.unreliable
        return
    wanted = float(row["deff"]) if got.deff_reference == "srswor" else float(row["deff_replace"])
    assert got.deff == pytest.approx(wanted, rel=1e-8)
    # n_eff = σ²/var, the index's analogue of p(1 − p)/var: n/deff_replace·(n − 1)/n
    assert got.n_eff == pytest.approx((got.n - 1) / float(row["deff_replace"]), rel=1e-8)
