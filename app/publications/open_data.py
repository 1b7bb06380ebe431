"""The public publications as open data: one table of rows per publication, as CSV, JSON or Parquet.

Every row is a unit's (or the subtree's) figure for one indicator. A figure the reliability rule calls unreliable
has no number (``estimate_pct``, ``se_pct``, ``ci_low_pct``, ``ci_high_pct`` empty, ``unreliable`` true), as on the
page: it is not a figure anyone may quote. No personal data: no answers, no respondent, not even who published.
The columns are documented in docs/publications.md; the licence is :data:`LICENCE`.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from typing import Any

from app.publications.models import Publication

LICENCE = "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)"
HIDDEN_WHEN_UNRELIABLE = ("estimate_pct", "se_pct", "ci_low_pct", "ci_high_pct")
# (name, Parquet type): the published columns, in order.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("publication_id", "int64"),
    ("agency", "string"),
    ("agency_name", "string"),
    ("scope", "string"),  # "unit": the agency's own figure; "total": the publication's whole subtree
    ("period_start", "string"),
    ("period_end", "string"),
    ("indicator", "string"),
    ("kind", "string"),
    ("name", "string"),
    ("estimate_pct", "float64"),
    ("se_pct", "float64"),
    ("ci_low_pct", "float64"),
    ("ci_high_pct", "float64"),
    ("n", "int64"),
    ("n_eff", "float64"),
    ("deff", "float64"),
    ("df", "int64"),
    ("target_pct", "float64"),
    ("verdict", "string"),
    ("unreliable", "bool"),
    ("flags", "string"),
    ("method", "string"),
    ("level", "float64"),
    ("data_cutoff", "string"),
    ("content_hash", "string"),
)


def rows_of(publication: Publication) -> list[dict[str, Any]]:
    """Every unit's figures (overall, elements, components, items), then the subtree's, in the document's order."""
    content = publication.content
    root = content["agency"] or {"code": None, "name": None}
    common = {
        "publication_id": publication.id,
        "period_start": content["period"]["from"],
        "period_end": content["period"]["to"],
        "data_cutoff": content["data_cutoff"],
        "content_hash": publication.content_hash,
    }
    out = []
    units = [*content["overall"]["rows"], *content["detail"]["rows"]]
    totals = [*content["overall"]["total"], *content["detail"]["total"]]
    for scope, rows in (("unit", units), ("total", totals)):
        for row in rows:
            unreliable = bool(row.get("unreliable"))
            found = {
                **common,
                "agency": row.get("agency") if scope == "unit" else root["code"],
                "agency_name": row.get("agency_name") if scope == "unit" else root["name"],
                "scope": scope,
                **{name: row.get(name) for name, _kind in COLUMNS if name in row and name not in ("agency",)},
                "flags": ";".join(row.get("flags") or []),
                "unreliable": unreliable,
            }
            if unreliable:
                found |= dict.fromkeys(HIDDEN_WHEN_UNRELIABLE)
            out.append({name: found.get(name) for name, _kind in COLUMNS})
    return out


def as_json(publication: Publication) -> bytes:
    document = {"licence": LICENCE, "columns": [name for name, _kind in COLUMNS], "rows": rows_of(publication)}
    return json.dumps(document, ensure_ascii=False, allow_nan=False).encode()


def as_csv(publication: Publication) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([name for name, _kind in COLUMNS])
    for row in rows_of(publication):
        writer.writerow(["" if row[name] is None else _cell(row[name]) for name, _kind in COLUMNS])
    return ("\ufeff" + out.getvalue()).encode()  # the BOM: spreadsheet programs then read Vietnamese as UTF-8


def _cell(value: Any) -> str:
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _number(text) else text


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def as_parquet(publication: Publication) -> bytes:
    import pyarrow as pa  # type: ignore[import-untyped]  # on first use: the service starts without it
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    rows = rows_of(publication)
    schema = pa.schema([(name, pa.type_for_alias(kind)) for name, kind in COLUMNS], metadata={"licence": LICENCE})
    table = pa.Table.from_pylist(rows, schema=schema)
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()


def folded(text: str) -> str:
    """Lower case without diacritics ("Xã Đông Hưng" → "xa dong hung"): what a search compares."""
    decomposed = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()
