"""Result tables as CSV, JSON or a terminal table: one row per domain × metric, percentages on 0–100."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from typing import Any

from app.stats.estimates import Estimate

COLUMNS = (
    "metric",
    "estimate_pct",
    "se_pct",
    "ci_low_pct",
    "ci_high_pct",
    "n",
    "n_eff",
    "deff",
    "deff_reference",
    "df",
    "target_pct",
    "verdict",
    "p_value_below_target",
    "flags",
)
TABLE_HEADER = ("metric", "rate %", "CI", "n", "n_eff", "deff", "df", "verdict", "p(below target)", "flags")


def _number(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else value


def row(keys: dict[str, str], estimate: Estimate) -> dict[str, Any]:
    """Full precision (the numbers R prints with 17 digits)."""
    pct = 100.0
    return {
        **keys,
        "metric": estimate.metric,
        "kind": estimate.kind,
        "estimate_pct": estimate.estimate * pct,
        "se_pct": estimate.se * pct,
        "ci_low_pct": estimate.low * pct,
        "ci_high_pct": estimate.high * pct,
        "n": estimate.n,
        "n_eff": _number(estimate.n_eff),
        "deff": _number(estimate.deff),
        "deff_reference": estimate.deff_reference,
        "df": estimate.df,
        "target_pct": None if estimate.target is None else estimate.target * pct,
        "verdict": estimate.verdict,
        "p_value_below_target": estimate.p_value_below_target,
        "flags": list(estimate.flags),
        "method": estimate.method,
        "level": estimate.level,
    }


def to_csv(rows: Sequence[dict[str, Any]], by: Sequence[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*by, *COLUMNS])
    for item in rows:
        cells = [item[name] for name in by] + [item[name] for name in COLUMNS]
        writer.writerow([_cell(value) for value in cells])
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(value)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def to_json(rows: Sequence[dict[str, Any]]) -> str:
    return json.dumps(list(rows), ensure_ascii=False, indent=1)


def _optional(value: float | None, spec: str) -> str:
    return "" if value is None else format(value, spec)


def _table_line(item: dict[str, Any], by: Sequence[str]) -> list[str]:
    return [
        *(str(item[name]) for name in by),
        item["metric"],
        f"{item['estimate_pct']:.2f}",
        f"[{item['ci_low_pct']:.2f}, {item['ci_high_pct']:.2f}]",
        str(item["n"]),
        _optional(item["n_eff"], ".0f"),
        _optional(item["deff"], ".2f"),
        str(item["df"]),
        item["verdict"] or "",
        _optional(item["p_value_below_target"], ".3f"),
        ",".join(item["flags"]),
    ]


def to_table(rows: Sequence[dict[str, Any]], by: Sequence[str]) -> str:
    """Two decimals, the interval in brackets; verdicts by the reliability rule ("insufficient_data")."""
    header = [*by, *TABLE_HEADER]
    if rows and rows[0]["level"] == 0.95:
        header[len(by) + 2] = "95% CI"
    lines = [header, *(_table_line(item, by) for item in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = ("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip() for line in lines)
    return "\n".join(text) + "\n"
