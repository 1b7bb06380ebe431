"""Post-stratification, raking, trimming and Kish's effective n: hand-computed values and R's ``survey``.

The golden numbers were printed by R 4.2.2 with survey 4.1.1 (``options(digits = 17)``) on
``oracle/data/apistrat.csv``, with

    d <- read.csv("apistrat.csv")
    dstrat <- svydesign(ids = ~1, strata = ~stype, weights = ~pw, data = d)

and the call beside each number, and by ``oracle/scripts/wave2_oracle.R`` (``expected/trim_weights.csv``,
``expected/rake_weights.csv``; the calls are in ``expected/wave2_manifest.json``). R is not run by the tests.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from functools import cache

import numpy as np
import pytest

from app.stats.weights import kish_effective_n, poststratification_weights, rake, trim, weighting_effect
from tests.factories import ORACLE, oracle_data

STYPE = {"E": 4421.0, "H": 755.0, "M": 1018.0}
AWARDS = {0: 2500.0, 1: 3694.0}
SCH_WIDE = {0: 1200.0, 1: 4994.0}

# weights(postStratify(dstrat, ~awards, data.frame(awards = c(0, 1), Freq = c(2500, 3694)))), by stype × awards
R_POSTSTRAT = {
    ("E", 0): 49.420280316207709,
    ("E", 1): 41.265660119625757,
    ("H", 0): 16.879580798027437,
    ("H", 1): 14.094356400174529,
    ("M", 0): 22.759487858825352,
    ("M", 1): 19.004046202688649,
}

# raked <- rake(dstrat, list(~stype, ~awards, ~sch_wide),
#   list(data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018)),
#        data.frame(awards = c(0, 1), Freq = c(2500, 3694)), data.frame(sch_wide = c(0, 1), Freq = c(1200, 4994))),
#   control = list(maxit = 200, epsilon = 1e-15))
# tapply(weights(raked), paste(d$stype, d$awards, d$sch_wide), unique)   (no school has awards 1, sch_wide 0)
R_RAKED = {
    ("E", 0, 0): 52.125904419696241,
    ("E", 0, 1): 50.169692072603304,
    ("E", 1, 1): 41.764553464601036,
    ("H", 0, 0): 16.256029138007055,
    ("H", 0, 1): 15.645963082204371,
    ("H", 1, 1): 13.024729366611622,
    ("M", 0, 0): 22.714810727370981,
    ("M", 0, 1): 21.862355624645300,
    ("M", 1, 1): 18.199663634097337,
}

# tapply(weights(trimWeights(raked, upper = 40, strict = TRUE)), …, unique)
R_TRIM_40 = {
    ("E", 0, 0): 40.0,
    ("E", 0, 1): 40.0,
    ("E", 1, 1): 40.0,
    ("H", 0, 0): 20.466029138007066,
    ("H", 0, 1): 19.855963082204383,
    ("H", 1, 1): 17.234729366611635,
    ("M", 0, 0): 26.924810727370993,
    ("M", 0, 1): 26.072355624645308,
    ("M", 1, 1): 22.409663634097349,
}

# tapply(weights(trimWeights(raked, lower = 15, upper = 45, strict = TRUE)), …, unique)
R_TRIM_15_45 = {
    ("E", 0, 0): 45.0,
    ("E", 0, 1): 45.0,
    ("E", 1, 1): 42.564446884664164,
    ("H", 0, 0): 17.055922558070186,
    ("H", 0, 1): 16.445856502267503,
    ("H", 1, 1): 15.0,
    ("M", 0, 0): 23.514704147434113,
    ("M", 0, 1): 22.662249044708432,
    ("M", 1, 1): 18.999557054160469,
}


def _apistrat() -> dict[str, np.ndarray]:
    data = oracle_data("apistrat")
    return {
        "pw": data["pw"],
        "stype": data["stype"],
        "awards": data["awards"].astype(int),
        "sch_wide": data["sch_wide"].astype(int),
    }


def _raked() -> np.ndarray:
    d = _apistrat()
    margins = [(d["stype"], STYPE), (d["awards"], AWARDS), (d["sch_wide"], SCH_WIDE)]
    result = rake(d["pw"], margins, max_iter=200, tol=1e-14)
    assert result.converged
    return result.weights


def _assert_cells(weights: np.ndarray, expected: dict[tuple[str, int, int], float], rel: float) -> None:
    d = _apistrat()
    for (stype, awards, sch_wide), value in expected.items():
        inside = (d["stype"] == stype) & (d["awards"] == awards) & (d["sch_wide"] == sch_wide)
        assert inside.any()
        assert weights[inside] == pytest.approx(np.full(inside.sum(), value), rel=rel), (stype, awards, sch_wide)


# --- post-stratification -------------------------------------------------------------------------------------


def test_poststratification_is_dossiers_over_responses() -> None:
    weights = poststratification_weights(["A", "A", "B", "A"], {"A": 30, "B": 7})
    assert weights.tolist() == [10.0, 10.0, 7.0, 10.0]


def test_poststratification_scales_base_weights_within_each_cell() -> None:
    # cell A: base 1 + 3 = 4 → 10/4 per unit of base; cell B: 6/2
    weights = poststratification_weights(["A", "A", "B"], {"A": 10, "B": 6}, base=[1, 3, 2])
    assert weights.tolist() == [2.5, 7.5, 6.0]


def test_poststratification_cells_can_be_agency_month_pairs() -> None:
    cells = [("HN-STP", "2025-01"), ("HN-STP", "2025-01"), ("HN-STP", "2025-02"), ("HN-X01", "2025-01")]
    population = {("HN-STP", "2025-01"): 120, ("HN-STP", "2025-02"): 45, ("HN-X01", "2025-01"): 9}
    assert poststratification_weights(cells, population).tolist() == [60.0, 60.0, 45.0, 9.0]
    # the same as a 2-column array
    assert poststratification_weights(np.array(cells, dtype=object), population).tolist() == [60.0, 60.0, 45.0, 9.0]


def test_poststratification_equals_r() -> None:
    d = _apistrat()
    weights = poststratification_weights(d["awards"], AWARDS, base=d["pw"])
    assert weights.sum() == pytest.approx(6194, rel=1e-14)
    for (stype, awards), value in R_POSTSTRAT.items():
        inside = (d["stype"] == stype) & (d["awards"] == awards)
        assert weights[inside] == pytest.approx(np.full(inside.sum(), value), rel=1e-14)


def test_a_cell_with_responses_but_no_count_is_named() -> None:
    with pytest.raises(ValueError, match=r"responses but no population count: \(HN-X01, 2025-02\) \(2 responses\)"):
        poststratification_weights([("HN-X01", "2025-02")] * 2, {("HN-X01", "2025-01"): 5})


def test_a_cell_with_a_count_but_no_responses_is_named_and_can_be_dropped() -> None:
    with pytest.raises(ValueError, match=r"a population count but no responses: B \(pass partial=True"):
        poststratification_weights(["A", "A"], {"A": 10, "B": 4})
    assert poststratification_weights(["A", "A"], {"A": 10, "B": 4}, partial=True).tolist() == [5.0, 5.0]
    # a count of 0 for a cell nobody answered in is no problem
    assert poststratification_weights(["A"], {"A": 10, "B": 0}).tolist() == [10.0]


def test_poststratification_rejects_bad_counts_and_bases() -> None:
    with pytest.raises(ValueError, match="responses but a population count of 0: A"):
        poststratification_weights(["A"], {"A": 0})
    with pytest.raises(ValueError, match="population count of B must be a finite number ≥ 0"):
        poststratification_weights(["A"], {"A": 3, "B": -1})
    with pytest.raises(ValueError, match="base has 2 weights for 3 rows"):
        poststratification_weights(["A", "A", "A"], {"A": 3}, base=[1, 1])
    with pytest.raises(ValueError, match="base weights are all 0: A"):
        poststratification_weights(["A", "A"], {"A": 3}, base=[0, 0])


# --- raking --------------------------------------------------------------------------------------------------


def test_rake_equals_r() -> None:
    weights = _raked()
    _assert_cells(weights, R_RAKED, rel=1e-12)
    d = _apistrat()
    for labels, totals in ((d["stype"], STYPE), (d["awards"], AWARDS), (d["sch_wide"], SCH_WIDE)):
        for key, total in totals.items():
            assert weights[labels == key].sum() == pytest.approx(total, rel=1e-13)


def test_rake_with_the_default_tolerance_is_close_to_r_and_stops_early() -> None:
    d = _apistrat()
    result = rake(d["pw"], [(d["stype"], STYPE), (d["awards"], AWARDS), (d["sch_wide"], SCH_WIDE)])
    assert result.converged
    assert 1 < result.iterations < 50
    _assert_cells(result.weights, R_RAKED, rel=1e-9)


def test_rake_on_one_margin_is_poststratification() -> None:
    base = [1.0, 3.0, 2.0, 2.0]
    result = rake(base, [(["A", "A", "B", "B"], {"A": 10, "B": 6})])
    assert result.weights.tolist() == [2.5, 7.5, 3.0, 3.0]
    assert (result.iterations, result.converged) == (1, True)


def test_rake_of_weights_that_already_fit_takes_no_sweep() -> None:
    # a 2 × 2 table: rows A/B, columns x/y; weights 1, 2, 3, 4 give margins A 3, B 7, x 4, y 6
    result = rake([1, 2, 3, 4], [(["A", "A", "B", "B"], {"A": 3, "B": 7}), (["x", "y", "x", "y"], {"x": 4, "y": 6})])
    assert result.weights.tolist() == [1.0, 2.0, 3.0, 4.0]
    assert (result.iterations, result.converged) == (0, True)


def test_rake_by_hand_on_a_two_by_two_table() -> None:
    # Unit base, margins A 40 / B 60 and x 50 / y 50, one row per cell: IPF converges to the independence
    # table w = row × column / total = [20, 20, 30, 30].
    result = rake(np.ones(4), [(["A", "A", "B", "B"], {"A": 40, "B": 60}), (["x", "y", "x", "y"], {"x": 50, "y": 50})])
    assert result.weights == pytest.approx([20, 20, 30, 30], rel=1e-12)
    assert result.iterations == 1


def test_rake_reports_when_it_does_not_converge() -> None:
    d = _apistrat()
    result = rake(d["pw"], [(d["stype"], STYPE), (d["awards"], AWARDS), (d["sch_wide"], SCH_WIDE)], max_iter=2)
    assert (result.iterations, result.converged) == (2, False)


def test_rake_rejects_margins_of_different_populations() -> None:
    with pytest.raises(ValueError, match="margin 2 totals 101 but margin 1 totals 100"):
        rake(np.ones(4), [(["A", "A", "B", "B"], {"A": 40, "B": 60}), (["x", "y", "x", "y"], {"x": 50, "y": 51})])
    # within a relative 1e-6 is the same population
    rake(np.ones(4), [(["A", "A", "B", "B"], {"A": 40, "B": 60}), (["x", "y", "x", "y"], {"x": 50, "y": 50.00001})])


def test_rake_names_categories_without_rows_or_totals() -> None:
    rows = (["A", "A", "B", "B"], {"A": 40, "B": 60})
    with pytest.raises(ValueError, match="margin 2: category has a population total but no rows: z"):
        rake(np.ones(4), [rows, (["x", "y", "x", "y"], {"x": 40, "y": 40, "z": 20})])
    with pytest.raises(ValueError, match="margin 2: category has rows but no population total: y"):
        rake(np.ones(4), [rows, (["x", "y", "x", "y"], {"x": 100})])
    with pytest.raises(ValueError, match="margin 1 has 3 labels for 4 rows"):
        rake(np.ones(4), [(["A", "A", "B"], {"A": 40, "B": 60})])


# --- trimming ------------------------------------------------------------------------------------------------


def test_trim_equals_r_trim_weights_strict() -> None:
    raked = _raked()
    trimmed = trim(raked, upper=40)
    _assert_cells(trimmed, R_TRIM_40, rel=1e-12)
    assert trimmed.sum() == pytest.approx(6194, rel=1e-14)
    both = trim(raked, lower=15, upper=45)
    _assert_cells(both, R_TRIM_15_45, rel=1e-12)
    assert both.sum() == pytest.approx(6194, rel=1e-14)


def test_trim_shares_the_excess_equally_like_r() -> None:
    # weights(trimWeights(svydesign(ids = ~1, weights = ~w, data = data.frame(w = c(1, 2, 3, 10))), upper = 6))
    # → 2.333333333333333 3.333333333333333 4.333333333333333 6
    assert trim([1, 2, 3, 10], upper=6) == pytest.approx([7 / 3, 10 / 3, 13 / 3, 6], rel=1e-15)
    # … lower = 2, upper = 6, strict = TRUE → 2.0 3.5 4.5 6.0
    assert trim([1, 2, 3, 10], lower=2, upper=6) == pytest.approx([2, 3.5, 4.5, 6], rel=1e-15)


def test_trim_proportionally_keeps_the_ratios_of_the_other_weights() -> None:
    # 4 cut from the 10, shared over 1 + 2 + 3 = 6 in proportion: × 10/6
    assert trim([1, 2, 3, 10], upper=6, redistribute="proportional") == pytest.approx([5 / 3, 10 / 3, 5, 6])


def test_trim_repeats_until_the_shares_stay_within_bounds() -> None:
    # 9 → 5.5 frees 3.5: +7/6 each makes 5 into 6.1667 > 5.5, capped in turn; its 2/3 goes to the two 1s and to
    # the first 5.5 (on its bound, not outside), which is capped again next round, and so on: 2.5 2.5 5.5 5.5 in
    # the limit. R: trimWeights(…, data.frame(w = c(1, 1, 5, 9)), upper = 5.5, strict = TRUE) → 2.5 2.5 5.5 5.5
    assert trim([1, 1, 5, 9], upper=5.5) == pytest.approx([2.5, 2.5, 5.5, 5.5], rel=1e-15)
    assert trim([1, 1, 5, 9], upper=5.5, redistribute="proportional").sum() == pytest.approx(16)


def test_trim_leaves_weights_within_bounds_alone() -> None:
    assert trim([1.0, 2.0, 3.0], lower=1, upper=3).tolist() == [1.0, 2.0, 3.0]
    assert trim([1.0, 2.0, 3.0]).tolist() == [1.0, 2.0, 3.0]


def test_trim_rejects_impossible_bounds() -> None:
    with pytest.raises(ValueError, match="cannot trim 3 weights totalling 6 to"):
        trim([1, 2, 3], upper=1.5)
    with pytest.raises(ValueError, match="lower ≤ upper"):
        trim([1, 2, 3], lower=3, upper=2)
    with pytest.raises(ValueError, match="after 1 rounds"):
        trim([1, 1, 5, 9], upper=5.5, max_iter=1)


def test_trim_lets_a_weight_raised_to_lower_drift_up_with_later_shares() -> None:
    # Round 1: 1 → 2 and 15 → 8 leave 7 − 1 = 6 to share over the 6s → 9, 9. Round 2: the 9s are cut to 8 and
    # their 2 goes to the weights not outside: the 2 (on lower) and the 8 (on upper) → 3, 9; and so on. The limit
    # is 4 8 8 8 (the total 28 kept). Fixing the 2 on its bound (the old trim) gave 2 8 8 8 and lost 2.
    # R: weights(trimWeights(svydesign(ids = ~1, weights = ~w, data = data.frame(w = c(1, 6, 6, 15))),
    #            lower = 2, upper = 8, strict = TRUE)) → 3.9999999999999867 8 8 8
    assert trim([1, 6, 6, 15], lower=2, upper=8) == pytest.approx([3.9999999999999867, 8, 8, 8], rel=1e-14)


@cache
def _trim_cases() -> dict[str, list[dict[str, str]]]:
    cases: dict[str, list[dict[str, str]]] = defaultdict(list)
    with (ORACLE / "expected" / "trim_weights.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            cases[row["case"]].append(row)
    return dict(cases)


# expected/trim_weights.csv, one case per (set, lower, upper); set = data/trim_inputs.csv (200 rlnorm weights,
# set.seed(20260301), meanlog 3 / sdlog 0.9 and meanlog 2 / sdlog 1.6; apistrat raked; small hand cases):
#   des <- svydesign(ids = ~1, weights = ~w, data = data.frame(w = <set>))
#   weights(trimWeights(des, lower = <lower>, upper = <upper>, strict = TRUE))    (empty bound: not given)
@pytest.mark.parametrize("case", sorted(_trim_cases()))
def test_trim_equals_r_trim_weights_on_golden_cases(case: str) -> None:
    rows = _trim_cases()[case]
    assert [int(row["row"]) for row in rows] == list(range(1, len(rows) + 1))
    weights = np.array([float(row["w"]) for row in rows])
    expected = np.array([float(row["trimmed"]) for row in rows])
    lower = float(rows[0]["lower"]) if rows[0]["lower"] else None
    upper = float(rows[0]["upper"]) if rows[0]["upper"] else None
    trimmed = trim(weights, lower=lower, upper=upper)
    assert np.max(np.abs(trimmed / expected - 1)) <= 1e-12
    assert trimmed.sum() == pytest.approx(expected.sum(), rel=1e-14)
    if case != "all_outside_lower4_upper6":  # R: nobody left to share the cut with, the total drops 11 → 10
        assert trimmed.sum() == pytest.approx(weights.sum(), rel=1e-14)


def test_the_golden_trim_cases_cover_both_bounds_and_many_rounds() -> None:
    cases = _trim_cases()
    assert len(cases["lnorm200_lower15_upper40"]) == 200
    assert len({row["w"] for row in cases["lnorm200_lower15_upper40"]}) == 200  # all distinct
    bounds = {(bool(rows[0]["lower"]), bool(rows[0]["upper"])) for rows in cases.values()}
    assert bounds == {(True, False), (False, True), (True, True)}


@pytest.mark.parametrize(("upper", "capped"), [(30, 93), (28, 135), (27.6, 179)])
def test_trim_stops_where_r_would_recurse_for_ever(upper: float, capped: int) -> None:
    # trimWeights(des, upper = 30, strict = TRUE) on the heavy-tailed set dies in R with "C stack usage is too close
    # to the limit": R keeps the weights as probabilities, 1/(1/w) puts weights on the bound an ulp outside, and the
    # cut alternates 2.9e-13, 3.7e-13 for ever. trim, like R's rounds without that round trip, ends in 32 rounds.
    # Closer to the mean (27.56), the last shares round up on the bound by themselves; trim stops when the cut no
    # longer shrinks. Either way the result is the limit of R's rounds: weights on the bound, all the others moved
    # up by one and the same amount, the total kept.
    rows = _trim_cases()["heavy_upper40"]
    weights = np.array([float(row["w"]) for row in rows])
    trimmed = trim(weights, upper=upper)
    assert trimmed.max() == upper
    assert np.count_nonzero(trimmed == upper) == capped
    assert trimmed.sum() == pytest.approx(weights.sum(), rel=1e-14)
    shift = (trimmed - weights)[trimmed < upper]
    assert shift.max() - shift.min() <= 1e-12


@cache
def _rake_data() -> tuple[list[dict[str, str]], dict[str, dict[str, float]], dict[str, np.ndarray]]:
    with (ORACLE / "data" / "rake_responses.csv").open(encoding="utf-8") as handle:
        responses = list(csv.DictReader(handle))
    margins: dict[str, dict[str, float]] = defaultdict(dict)
    with (ORACLE / "data" / "rake_margins.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            margins[row["margin"]][row["category"]] = float(row["total"])
    expected: dict[str, list[tuple[int, float]]] = defaultdict(list)
    with (ORACLE / "expected" / "rake_weights.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            expected[row["case"]].append((int(row["id"]), float(row["weight"])))
    ids = [int(row["id"]) for row in responses]
    weights = {}
    for case, pairs in expected.items():
        assert [key for key, _ in pairs] == ids
        weights[case] = np.array([value for _, value in pairs])
    return responses, dict(margins), weights


# data/rake_responses.csv: 525 responses, cell = agency × month (3 × 4), field F1–F4 (skewed), base weight 1;
# data/rake_margins.csv: dossiers per cell, per field and per agency × field, summed from one population table.
#   des <- svydesign(ids = ~1, weights = ~base, data = rake_responses)
#   weights(rake(des, list(~cell, ~field), list(<cell>, <field>), control = list(maxit = 1000, epsilon = 1e-13)))
#   weights(rake(des, list(~cell, ~agency_field), list(<cell>, <agency_field>), control = …the same…))
# (epsilon < 1 is relative to Σ base: R stops when no cell of svytable(~cell + field) moves by 1e-13 × 525.)
@pytest.mark.parametrize("second", ["field", "agency_field"])
def test_rake_equals_r_on_agency_month_cells_and_fields(second: str) -> None:
    responses, margins, expected = _rake_data()
    r_weights = expected[f"cell+{second}"]
    base = np.array([float(row["base"]) for row in responses])
    labels = [
        ([row["cell"] for row in responses], margins["cell"]),
        ([row[second] for row in responses], margins[second]),
    ]
    result = rake(base, labels)
    assert result.converged
    assert np.max(np.abs(result.weights / r_weights - 1)) <= 1e-8
    tight = rake(base, labels, max_iter=1000, tol=1e-13)
    assert tight.converged
    assert np.max(np.abs(tight.weights / r_weights - 1)) <= 1e-12
    for names, totals in labels:
        sums: defaultdict[str, float] = defaultdict(float)
        for name, weight in zip(names, tight.weights, strict=True):
            sums[name] += weight
        assert sums == pytest.approx(totals, rel=1e-13)


# --- what weighting costs ------------------------------------------------------------------------------------


def test_kish_effective_n_by_hand() -> None:
    assert kish_effective_n([1, 1, 2]) == pytest.approx(16 / 6, rel=1e-15)  # (1 + 1 + 2)² / (1 + 1 + 4)
    assert kish_effective_n([5, 5, 5, 5]) == pytest.approx(4, rel=1e-15)
    with pytest.raises(ValueError, match="all 0"):
        kish_effective_n([0, 0])


def test_weighting_effect_by_hand() -> None:
    # mean 4/3, population variance 2/9, CV² = 1/8; deff_w = n/n_eff = 3/(8/3) = 9/8 = 1 + CV²
    effect = weighting_effect([1, 0, 1, 2])  # the row of weight 0 (outside the domain) is left out
    assert effect.n == 3
    assert effect.n_eff == pytest.approx(8 / 3, rel=1e-15)
    assert effect.deff_w == pytest.approx(9 / 8, rel=1e-15)
    assert effect.cv**2 == pytest.approx(1 / 8, rel=1e-14)
    assert (effect.min, effect.max, effect.ratio) == (1.0, 2.0, 2.0)


def test_weighting_effect_of_raked_weights_equals_r() -> None:
    # rw <- weights(raked); sum(rw)^2 / sum(rw^2) → 167.13906696823489; 200 / that → 1.1966083311809466
    effect = weighting_effect(_raked())
    assert effect.n == 200
    assert effect.n_eff == pytest.approx(167.13906696823489, rel=1e-12)
    assert effect.deff_w == pytest.approx(1.1966083311809466, rel=1e-12)
    assert effect.deff_w == pytest.approx(1 + effect.cv**2, rel=1e-12)
    assert effect.ratio == pytest.approx(52.125904419696241 / 13.024729366611622, rel=1e-12)
