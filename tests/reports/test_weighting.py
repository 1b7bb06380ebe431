"""Weights of live responses: N/n per agency month, raked to procedure-field counts where they exist (equal to
R's ``rake``, which ``app.stats.weights.rake`` equals on the oracle's cases); agencies without counts are named;
every figure answer says what its interval does not cover; the published plain mean of units is offered."""

from __future__ import annotations

import csv
import io
from datetime import date

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.config import Settings
from app.directory.models import AgencyLevel, ProcedureField, Role
from app.directory.service import create_agency, create_counter
from app.reference.models import PopulationCount
from app.reports.tally import NO_DATE, NO_FIELD
from app.reports.weighting import Cells, whole_month_weights
from app.stats.weights import rake, rake_to_counts
from tests.factories import live_response, login

# (month, field, overall answers): land is most of the answers, civil status most of the dossiers
ANSWERS = {
    (3, "land"): [5, 5, 4, 5, 4, 5, 5, 2, 4, 5, 5, 4],
    (3, "civil_status"): [2, 3, 4],
    (4, "land"): [5, 4, 5, 5, 1, 5, 4, 4],
    (4, "civil_status"): [1, 2, 4, 3],
}
MONTH_TOTALS = {3: 300, 4: 200}  # dossiers handled
FIELD_TOTALS = {"land": 150, "civil_status": 350}  # over March–April


def _count(session: Session, agency_id: int, start: date, end: date, dossiers: int, field: int | None = None) -> None:
    session.add(
        PopulationCount(
            agency_id=agency_id, period_start=start, period_end=end, dossiers_handled=dossiers, procedure_field_id=field
        )
    )


def test_weights_are_raked_to_procedure_field_counts(client: TestClient, session: Session, settings: Settings) -> None:
    province = create_agency(session, code="TP", name_vi="Tỉnh Thử", level=AgencyLevel.province)
    agency = create_agency(session, code="TP-A", name_vi="Xã A", level=AgencyLevel.commune, parent=province)
    other = create_agency(session, code="TP-B", name_vi="Xã B", level=AgencyLevel.commune, parent=province)
    counter = create_counter(session, agency=agency, code="Q01", name_vi="Quầy 1")
    other_counter = create_counter(session, agency=other, code="Q01", name_vi="Quầy 1")
    session.commit()
    rows: list[tuple[int, str, int]] = []
    for (month, field), answers in ANSWERS.items():
        for i, overall in enumerate(answers):
            day = date(2026, month, 1 + (7 * i) % 28)
            live_response(
                session, settings, agency=agency, counter=counter, day=day, overall=overall, procedure_field=field
            )
            rows.append((month, field, overall))
    for overall in (5, 4, 2):  # TP-B has no population count
        live_response(session, settings, agency=other, counter=other_counter, day=date(2026, 3, 5), overall=overall)
    fields = {f.code: f.id for f in session.query(ProcedureField).filter(ProcedureField.code.in_(FIELD_TOTALS))}
    _count(session, agency.id, date(2026, 3, 1), date(2026, 3, 31), MONTH_TOTALS[3])
    _count(session, agency.id, date(2026, 4, 1), date(2026, 4, 30), MONTH_TOTALS[4])
    for code, dossiers in FIELD_TOTALS.items():
        _count(session, agency.id, date(2026, 3, 1), date(2026, 4, 30), dossiers, fields[code])
    session.commit()
    headers = login(client, session, "admin", Role.province_admin, province)

    body = client.get("/api/v1/satisfaction", params={"agency": "TP-A", "group_by": "item"}, headers=headers).json()
    assert body["meta"]["design"].endswith("weights raked to the procedure-field counts")
    (overall,) = [row for row in body["rows"] if row["metric"] == "overall"]
    # The same weights by R's rake: rake(svydesign(ids = ~1, weights = ~1, data), list(~month, ~field),
    # list(month totals, field totals)) — app.stats.weights.rake equals it (tests/stats/test_weights.py).
    month = np.array([m for m, _f, _o in rows])
    field = np.array([f for _m, f, _o in rows])
    fitted = rake(np.ones(len(rows)), [(month, MONTH_TOTALS), (field, FIELD_TOTALS)], max_iter=1000, tol=1e-13)
    satisfied = np.array([o >= 4 for _m, _f, o in rows], dtype=float)
    assert overall["estimate_pct"] == pytest.approx(100 * fitted.weights @ satisfied / fitted.weights.sum(), rel=1e-9)
    unraked = np.array([MONTH_TOTALS[m] / np.sum(month == m) for m in month])
    assert abs(overall["estimate_pct"] - 100 * unraked @ satisfied / unraked.sum()) > 5  # the field mix matters here

    province_wide = client.get("/api/v1/satisfaction", headers=headers).json()["meta"]
    assert province_wide["agencies_without_population_count"] == ["TP-B"]
    assert province_wide["responses_without_population_count"] == 3
    assert province_wide["coverage"]["vi"].startswith("Khoảng tin cậy chỉ tính sai số chọn mẫu")
    assert province_wide["coverage"]["en"].startswith("The interval covers sampling error under the stated design only")


def test_rake_to_counts_is_plain_raking_when_the_counts_agree() -> None:
    rng = np.random.default_rng(3)
    period = rng.integers(0, 4, 300)
    field = rng.integers(0, 3, 300)
    totals, shares = np.array([400.0, 250, 300, 50]), np.array([500.0, 300, 200])
    cells = sorted({(p, f) for p, f in zip(period, field, strict=True)})
    base = np.array([float(np.sum((period == p) & (field == f))) for p, f in cells])
    got = rake_to_counts(
        base,
        np.array([p for p, _ in cells]),
        totals,
        np.array([f for _, f in cells]),
        shares,
        np.zeros(3, dtype=np.intp),
    )
    plain = rake(np.ones(300), [(period, dict(enumerate(totals))), (field, dict(enumerate(shares)))], tol=1e-13)
    per_cell = np.array([plain.weights[(period == p) & (field == f)].sum() for p, f in cells])
    assert got == pytest.approx(per_cell, rel=1e-10)


def test_rake_to_counts_keeps_cells_without_a_field_and_the_period_totals() -> None:
    # period 0: 10 answers of field 0, 10 of field 1, 5 without a field; counts say fields 0 and 1 are 1:3
    base = np.array([10.0, 10.0, 5.0])
    got = rake_to_counts(
        base,
        np.zeros(3, dtype=np.intp),
        np.array([100.0]),
        np.array([0, 1, -1]),
        np.array([50.0, 150.0]),
        np.zeros(2, dtype=np.intp),
    )
    assert got.sum() == pytest.approx(100.0, rel=1e-12)
    assert got[1] / got[0] == pytest.approx(3.0, rel=1e-10)
    assert got[2] == pytest.approx(20.0, rel=1e-10)  # the N/n weight of the unstated field: 100/25 each


def test_plain_mean_of_units_and_the_note_in_exports(client: TestClient, session: Session, settings: Settings) -> None:
    province = create_agency(session, code="TP", name_vi="Tỉnh Thử", level=AgencyLevel.province)
    session.commit()
    for code, answers in (("TP-A", [5] * 30 + [2] * 10), ("TP-B", [5] * 5 + [1] * 5)):
        agency = create_agency(session, code=code, name_vi=code, level=AgencyLevel.commune, parent=province)
        counter = create_counter(session, agency=agency, code="Q01", name_vi="Quầy 1")
        session.commit()
        for i, overall in enumerate(answers):
            live_response(
                session, settings, agency=agency, counter=counter, day=date(2026, 3, 1 + i % 28), overall=overall
            )
    headers = login(client, session, "admin", Role.province_admin, province)
    params = {"group_by": "agency,item"}
    body = client.get("/api/v1/satisfaction", params=params, headers=headers).json()
    body["rows"] = [row for row in body["rows"] if row["indicator"] == "item:overall"]
    rates = {row["agency"]: row["estimate_pct"] for row in body["rows"]}
    assert rates == pytest.approx({"TP-A": 75.0, "TP-B": 50.0})
    # unweighted (no population counts): N − n = 0, so the design effect is against sampling with replacement
    for row in body["rows"]:
        assert row["deff_reference"] == "srswr" and row["deff"] is not None and row["deff"] > 0
    [pooled] = [row for row in body["total"] if row["indicator"] == "item:overall"]
    [mean] = [row for row in body["total_mean_of_units"] if row["indicator"] == "item:overall"]
    assert pooled["estimate_pct"] == pytest.approx(100 * 35 / 50)  # every answer counts once (unweighted)
    assert mean["estimate_pct"] == pytest.approx(62.5)  # every commune counts once: the published convention
    se = {row["agency"]: row["se_pct"] for row in body["rows"]}
    assert mean["se_pct"] == pytest.approx((se["TP-A"] ** 2 + se["TP-B"] ** 2) ** 0.5 / 2, rel=1e-12)
    download = client.get("/api/v1/satisfaction", params={**params, "format": "csv"}, headers=headers)
    lines = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert lines[-3] == [] and lines[-2][0].startswith("Khoảng tin cậy") and lines[-1][0].startswith("The interval")


def test_whole_month_weights_per_counted_period_and_the_overall_ratio_elsewhere(session: Session) -> None:
    """N/n over each counted period (a quarter spreads its N over the quarter's responses, whatever month they came
    in), periods without responses left out, and the overall ΣN/Σn for months without a count — whose selected
    responses and agencies meta names. Cells are given directly, in an order that is not the agencies' (the weights
    are worked out column by column over sorted cells, and must not depend on the order)."""
    province = create_agency(session, code="TP", name_vi="Tỉnh Thử", level=AgencyLevel.province)
    a, b, c = (
        create_agency(session, code=f"TP-{x}", name_vi=f"Xã {x}", level=AgencyLevel.commune, parent=province).id
        for x in "ABC"
    )
    _count(session, a, date(2026, 1, 1), date(2026, 3, 31), 900)  # a quarter
    _count(session, b, date(2026, 1, 1), date(2026, 1, 31), 50)
    _count(session, b, date(2026, 2, 1), date(2026, 2, 28), 100)  # no responses in February: left out
    session.commit()
    # (agency, month, whole, selected)
    given = [(c, 202601, 4, 3), (a, 202602, 20, 20), (b, 202601, 5, 5), (a, 202601, 10, 0), (a, 202604, 7, 6)]
    found = Cells(
        agency_id=np.array([g[0] for g in given]),
        month=np.array([g[1] for g in given]),
        field_id=np.full(len(given), NO_FIELD),
        whole=np.array([g[2] for g in given]),
        selected=np.array([g[3] for g in given]),
        last=np.full(len(given), NO_DATE),
    )
    shares = whole_month_weights(session, found)
    assert shares is not None and not shares.by_field
    overall = (900 + 50) / (30 + 5)
    assert shares.weights == pytest.approx(
        {(c, 202601): overall, (a, 202602): 30.0, (b, 202601): 10.0, (a, 202601): 30.0, (a, 202604): overall},
        rel=1e-12,
    )
    assert shares.uncounted == 3 + 6
    assert shares.uncounted_agencies == tuple(sorted((a, c)))
