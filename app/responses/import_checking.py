"""Checking the lines of a survey file column by column, and turning the good ones into the rows to stage.

The rules are those of every channel (``app.responses.ingest``) applied to whole columns: a survey file repeats
few distinct cells per column (levels, codes, dates, agencies), so each distinct cell is judged once by the very
functions ``prepare`` and the line-by-line import use (``answer``, ``_check_value``, ``weight``, ``label``, the
date rules, the agency and counter look-ups), and numpy spreads the verdicts over the rows. What depends on a
whole line (required items, skip rules, an agency's counters) is combined with boolean masks.

A line found wrong here is handed to ``LinePreparer`` (the line-by-line path), which names its problems exactly as
before; should it find nothing wrong, its own rows are staged instead, so the line-by-line path keeps the last
word. The content hash is computed per line (it must equal ``ingest``'s), on canonical JSON assembled by pyarrow.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
from sqlalchemy import Dialect

from app.config import Settings, decode_key
from app.forms.loader import RegisteredForm
from app.forms.schemas import PROFILE_FIELDS, Item
from app.responses.import_columns import Columns
from app.responses.import_hashing import content_hashes, format_uuids, json_text
from app.responses.import_preparing import IMPORT_NAMESPACE, PROFILE_LIMITS, LinePreparer, line_id_hash
from app.responses.import_reading import Layout, answer, label, weight
from app.responses.ingest import Prepared, _check_value, stored_rows
from app.responses.service import answer_rows, dossier_hash, local_period
from app.responses.storage import ANSWERS, RESPONSES

# The columns of ``responses`` an import fills line by line (the others are the same for every line).
STAGED = (
    "submission_id",
    "agency_id",
    "counter_id",
    "procedure_field_id",
    "submitted_at",
    "local_date",
    "local_month",
    "weight",
    "stratum",
    "cluster",
    "dossier_hash",
    "content_hash",
    *PROFILE_FIELDS,
)
ANSWER_VALUES = ("item_code", "value_int", "value_text", "value_json", "satisfied")
_PLAIN_NUMBER = r"^[0-9]{1,15}(\.[0-9]{1,15})?$"  # read by pyarrow exactly as float() reads it


@dataclass
class Checked:
    """A batch checked: the staged rows of its good lines (``line`` then ``STAGED``; answers ``line`` then
    ``ANSWER_VALUES``) and the problems of its bad lines, in line order."""

    responses: pa.Table
    answers: pa.Table
    problems: list[tuple[int, list[str]]]


@dataclass
class _Cells:
    """A column's distinct cells (``values``) and each row's index into them."""

    index: np.ndarray
    values: list[str]

    @classmethod
    def of(cls, cells: pa.Array) -> _Cells:
        encoded = cells.dictionary_encode()
        return cls(encoded.indices.to_numpy(zero_copy_only=False), encoded.dictionary.to_pylist())

    def spread(self, per_value: list[Any], dtype: Any = object) -> np.ndarray:
        """A value per row from one per distinct cell."""
        return np.array(per_value, dtype=dtype)[self.index] if self.values else np.zeros(0, dtype=dtype)

    def take(self, per_value: list[Any], type_: pa.DataType, rows: np.ndarray) -> pa.Array:
        """The values of ``rows`` (a mask) as an arrow array, from one value per distinct cell."""
        return pa.array(per_value, type_).take(pa.array(self.index[rows]))


@dataclass
class _Answered:
    """One item over the rows: where it has a valid answer, and its distinct answers."""

    item: Item
    cells: _Cells | None
    present: np.ndarray  # a cell that is not blank
    ok: np.ndarray  # ... and valid
    normalised: list[Any]  # per distinct cell: the checked value (None when blank or invalid)
    pieces: list[str]  # per distinct cell: ',"code":<raw answer as JSON>' for the content hash, or ""


class ColumnChecker:
    """Checks batches of lines (``Columns``) of one file against one form version."""

    def __init__(
        self,
        settings: Settings,
        form: RegisteredForm,
        layout: Layout,
        preparer: LinePreparer,
        dialect: Dialect,
        *,
        fixed_date: datetime | None,
        procedure_fields: dict[str, int],
    ) -> None:
        self.settings = settings
        self.form = form
        self.definition = form.definition
        self.layout = layout
        self.preparer = preparer
        self.dialect = dialect
        self.postgres = dialect.name == "postgresql"
        self.fixed_date = fixed_date
        self.procedure_fields = procedure_fields
        self.key = decode_key(settings.dossier_hash_key or "", name="SIPAS_DOSSIER_HASH_KEY")
        self._line_ids = line_id_hash(preparer.digest)
        self._head = (
            f',"dossier_code":null,"form_id":{json_text(self.definition.id)},"form_version":{self.definition.version}'
        )

    # --- values as the database receives them -------------------------------------------------------------

    def _bound(self, table: Any, name: str, value: Any) -> Any:
        """SQLite: the value SQLAlchemy would bind; PostgreSQL: text for COPY where the type needs it."""
        if value is None:
            return None
        if self.postgres:
            if isinstance(value, datetime):
                return value.astimezone(UTC).isoformat()
            if name == "value_json":
                return json.dumps(value, ensure_ascii=False)
            return value.isoformat() if hasattr(value, "isoformat") else value
        process = table.c[name].type.dialect_impl(self.dialect).bind_processor(self.dialect)
        return process(value) if process is not None else value

    # --- the batch ----------------------------------------------------------------------------------------

    def check(self, columns: Columns) -> Checked:
        rows = len(columns)
        layout = self.layout
        bad = np.zeros(rows, dtype=bool)
        answered = {item.code: self._item(item, columns, rows) for item in self.definition.items}
        for entry in answered.values():
            bad |= entry.present & ~entry.ok
            asked = self._asked(entry.item, answered, rows)
            bad |= entry.ok & ~asked
            if entry.item.required:
                bad |= asked & ~entry.ok

        agency = _Cells.of(columns.cells[layout.agency])
        agency_ids = [self.preparer.agencies.get(value.strip(), -1) if value.strip() else -1 for value in agency.values]
        agency_id = agency.spread(agency_ids, np.int64)
        bad |= agency_id < 0
        counter_id, counter_json = self._counters(columns, agency, agency_ids, rows, bad)

        when = self._times(columns, rows, bad)
        profile, profile_json = self._profile(columns, answered, rows, bad)
        design = {
            "weight": self._weights(columns, bad),
            "stratum": self._labels(columns, layout.strata, "a stratum", bad),
            "cluster": self._labels(columns, layout.psu, "a cluster (PSU)", bad),
        }
        submission_ids = self._submission_ids(columns, bad)

        problems: list[tuple[int, list[str]]] = []
        rescued: list[tuple[int, Prepared]] = []
        lines = columns.lines
        for row in np.flatnonzero(bad).tolist():
            described = self.preparer.prepare(int(lines[row]), columns.fields(row))
            if described.prepared is not None:  # the line-by-line path has the last word
                rescued.append((described.line, described.prepared))
            elif described.problems:
                problems.append((described.line, described.problems))
        for line, width in columns.wrong_width:
            problems.append((line, [f"has {width} field(s); the header has {len(layout.names)} columns"]))
        problems.sort(key=lambda problem: problem[0])

        good = ~bad
        good_rows = pa.array(np.flatnonzero(good))
        staged: dict[str, Any] = {"line": pa.array(lines[good])}
        ids = submission_ids.filter(pa.array(good))
        staged["submission_id"] = ids if self.postgres else pc.replace_substring(ids, "-", "")
        staged["agency_id"] = pa.array(agency_id[good])
        staged["counter_id"] = counter_id.take(good_rows)
        staged["procedure_field_id"] = self._role_values(answered, "procedure_field", good)
        staged.update({name: values.take(good_rows) for name, values in when.items() if name != "json"})
        staged.update({name: values.take(good_rows) for name, values in design.items()})
        staged["dossier_hash"] = self._role_values(answered, "dossier_code", good)
        content = pc.binary_join_element_wise(
            '{"answers":{',
            pc.utf8_slice_codeunits(
                pc.binary_join_element_wise("", *(self._pieces(answered[code], good) for code in sorted(answered)), ""),
                1,
            ),
            '},"counter":',
            counter_json.take(good_rows),
            self._head,
            ',"profile":',
            profile_json.take(good_rows),
            ',"submission_id":"',
            ids,
            '","submitted_at":',
            when["json"].take(good_rows),
            "}",
            "",
        )
        staged["content_hash"] = pa.array(content_hashes(self.key, content), pa.string())
        staged.update({name: values.take(good_rows) for name, values in profile.items()})
        responses = pa.table({name: staged[name] for name in ("line", *STAGED)})
        answers = self._answers(answered, lines, good)
        if rescued:
            responses, answers = self._with_prepared(responses, answers, rescued)
        return Checked(responses, answers, problems)

    # --- the items ----------------------------------------------------------------------------------------

    def _item(self, item: Item, columns: Columns, rows: int) -> _Answered:
        index = next((index for index, candidate in self.layout.answers if candidate.code == item.code), None)
        if index is None:
            nothing = np.zeros(rows, dtype=bool)
            return _Answered(item, None, nothing, nothing, [], [])
        cells = _Cells.of(columns.cells[index])
        present, ok, normalised, pieces = [], [], [], []
        prefix = f",{json_text(item.code)}:"
        for value in cells.values:
            raw = answer(item, value)
            checked, problem = (None, None) if raw is None else _check_value(self.definition, item, raw)
            present.append(raw is not None)
            ok.append(raw is not None and problem is None)
            normalised.append(checked if problem is None else None)
            pieces.append("" if raw is None else prefix + json_text(raw))
        return _Answered(item, cells, cells.spread(present, bool), cells.spread(ok, bool), normalised, pieces)

    def _asked(self, item: Item, answered: dict[str, _Answered], rows: int) -> np.ndarray:
        """Whether each row asks ``item`` (its skip rule, on the valid answers)."""
        if item.show_if is None:
            return np.ones(rows, dtype=bool)
        condition = item.show_if
        controlling = answered.get(condition.item)
        if controlling is None or controlling.cells is None:
            return np.zeros(rows, dtype=bool)
        allowed = [value is not None and value in condition.in_ for value in controlling.normalised]
        asked: np.ndarray = controlling.cells.spread(allowed, bool) & controlling.ok
        return asked

    def _pieces(self, entry: _Answered, good: np.ndarray) -> pa.Array:
        if entry.cells is None:
            return pa.array([""] * int(good.sum()), pa.string())
        return entry.cells.take(entry.pieces, pa.string(), good)

    def _role_values(self, answered: dict[str, _Answered], role: str, good: np.ndarray) -> pa.Array:
        """The procedure field's id or the dossier code's hash of each good line (null without an answer)."""
        count = int(good.sum())
        item = next((item for item in self.definition.items if item.role == role), None)
        entry = answered.get(item.code) if item is not None else None
        if entry is None or entry.cells is None:
            return pa.nulls(count, pa.int64() if role == "procedure_field" else pa.string())
        if role == "procedure_field":
            ids = [None if value is None else self.procedure_fields.get(str(value)) for value in entry.normalised]
            return entry.cells.take(ids, pa.int64(), good)
        hashes = [None if value is None else dossier_hash(self.key, str(value)) for value in entry.normalised]
        return entry.cells.take(hashes, pa.string(), good)

    def _answers(self, answered: dict[str, _Answered], lines: np.ndarray, good: np.ndarray) -> pa.Table:
        """The ``answers`` rows of the good lines, sorted by line and item code."""
        parts = []
        for code in sorted(answered):
            entry = answered[code]
            item = entry.item
            if entry.cells is None or item.profile is not None or item.role in ("procedure_field", "dossier_code"):
                continue
            rows = good & entry.ok
            if not rows.any():
                continue
            values: dict[str, list[Any]] = {name: [] for name in ANSWER_VALUES[1:]}
            for value in entry.normalised:
                row = answer_rows(self.definition, {code: value})[0] if value is not None else {}
                for name in values:
                    values[name].append(self._bound(ANSWERS, name, row.get(name)))
            types = {"value_int": pa.int64(), "value_text": pa.string(), "satisfied": pa.int64()}
            parts.append(
                pa.table(
                    {
                        "line": pa.array(lines[rows]),
                        "item_code": pa.array([code] * int(rows.sum()), pa.string()),
                        **{
                            name: entry.cells.take(per_value, types.get(name, pa.string()), rows)
                            for name, per_value in values.items()
                        },
                    }
                )
            )
        if not parts:
            return _empty_answers()
        table = pa.concat_tables(parts)
        return table.take(pc.sort_indices(table, [("line", "ascending"), ("item_code", "ascending")]))

    # --- the other columns --------------------------------------------------------------------------------

    def _counters(
        self, columns: Columns, agency: _Cells, agency_ids: list[int], rows: int, bad: np.ndarray
    ) -> tuple[pa.Array, pa.Array]:
        """Each row's counter id (null without one) and its counter code as JSON; unknown counters are bad."""
        if self.layout.counter is None:
            return pa.nulls(rows, pa.int64()), pa.array(["null"] * rows, pa.string())
        counter = _Cells.of(columns.cells[self.layout.counter])
        codes = [value.strip() or None for value in counter.values]
        width = max(len(codes), 1)
        pairs, inverse = np.unique(agency.index.astype(np.int64) * width + counter.index, return_inverse=True)
        found: list[int] = []
        for pair in pairs.tolist():
            agency_id, code = agency_ids[pair // width], codes[pair % width]
            if code is None:
                found.append(0)
            elif agency_id < 0:
                found.append(-1)
            else:
                found.append(self.preparer.counters.get((agency_id, code), -1))
        ids = np.array(found, dtype=np.int64)[inverse.ravel()] if rows else np.zeros(0, np.int64)
        bad |= ids < 0
        counter_json = counter.spread([json_text(code) if code is not None else "null" for code in codes])
        return pa.array(ids, mask=ids <= 0), pa.array(counter_json, pa.string())

    def _times(self, columns: Columns, rows: int, bad: np.ndarray) -> dict[str, pa.Array]:
        """submitted_at, local_date, local_month (as stored) and the submission time as JSON, per row."""
        if self.layout.date is None:
            assert self.fixed_date is not None
            moments: list[datetime | None] = [self.fixed_date]
            index = np.zeros(rows, dtype=np.int64)
        else:
            cells = _Cells.of(columns.cells[self.layout.date])
            moments = [self.preparer.submission_time(value.strip())[0] for value in cells.values]
            index = cells.index
            bad |= cells.spread([moment is None for moment in moments], bool)
        per_value: dict[str, list[Any]] = {"submitted_at": [], "local_date": [], "local_month": [], "json": []}
        for moment in moments:
            day, month = local_period(moment, self.settings.zone) if moment is not None else (None, None)
            per_value["submitted_at"].append(self._bound(RESPONSES, "submitted_at", moment))
            per_value["local_date"].append(self._bound(RESPONSES, "local_date", day))
            per_value["local_month"].append(month)
            per_value["json"].append(json_text(moment.isoformat()) if moment is not None else None)
        take = pa.array(index)
        return {
            name: pa.array(values, pa.int64() if name == "local_month" else pa.string()).take(take)
            for name, values in per_value.items()
        }

    def _profile(
        self, columns: Columns, answered: dict[str, _Answered], rows: int, bad: np.ndarray
    ) -> tuple[dict[str, pa.Array], pa.Array]:
        """Each row's profile columns (a profile column, overridden by a profile item's answer) and the profile
        columns as JSON (what the content hash covers)."""
        stored: dict[str, Any] = dict.fromkeys(PROFILE_FIELDS)
        pieces = []
        for index, name in sorted(self.layout.profile, key=lambda pair: pair[1]):
            cells = _Cells.of(columns.cells[index])
            values = [value.strip() or None for value in cells.values]
            limit = PROFILE_LIMITS[name]
            bad |= cells.spread([value is not None and len(value) > limit for value in values], bool)
            stored[name] = cells.spread(values)
            pieces.append(
                cells.spread(["" if value is None else f",{json_text(name)}:{json_text(value)}" for value in values])
            )
        for entry in answered.values():
            field = entry.item.profile
            if field is None or entry.cells is None:
                continue
            name = field
            values = [None if value is None else str(value) for value in entry.normalised]
            bad |= entry.cells.spread(
                [value is not None and len(value) > PROFILE_LIMITS[name] for value in values], bool
            )
            from_item = entry.cells.spread(values)
            column = stored[name] if stored[name] is not None else np.full(rows, None, dtype=object)
            stored[name] = np.where(entry.ok, from_item, column)
        profile = {
            name: pa.array(values if values is not None else [None] * rows, pa.string())
            for name, values in stored.items()
        }
        if not pieces:
            return profile, pa.array(["{}"] * rows, pa.string())
        joined = pc.binary_join_element_wise(*(pa.array(piece, pa.string()) for piece in pieces), "")
        return profile, pc.binary_join_element_wise("{", pc.utf8_slice_codeunits(joined, 1), "}", "")

    def _weights(self, columns: Columns, bad: np.ndarray) -> pa.Array:
        rows = len(bad)
        if self.layout.weight is None:
            return pa.nulls(rows, pa.float64())
        cells = columns.cells[self.layout.weight]
        plain = pc.match_substring_regex(cells, _PLAIN_NUMBER).to_numpy(zero_copy_only=False)
        values = np.zeros(rows, dtype=np.float64)
        if plain.any():
            values[plain] = pc.cast(cells.filter(pa.array(plain)), pa.float64()).to_numpy(zero_copy_only=False)
        if not plain.all():
            others = _Cells.of(cells.filter(pa.array(~plain)))
            column = self.layout.names[self.layout.weight]
            judged = [weight(value, column) for value in others.values]
            odd = np.flatnonzero(~plain)
            values[odd] = others.spread([value if value is not None else 0.0 for value, _ in judged], np.float64)
            bad[odd] |= others.spread([problem is not None for _, problem in judged], bool)
        return pa.array(values, pa.float64())

    def _labels(self, columns: Columns, index: int | None, what: str, bad: np.ndarray) -> pa.Array:
        if index is None:
            return pa.nulls(len(bad), pa.string())
        cells = _Cells.of(columns.cells[index])
        judged = [label(value, self.layout.names[index], what) for value in cells.values]
        bad |= cells.spread([problem is not None for _, problem in judged], bool)
        return pa.array(cells.spread([value for value, _ in judged]), pa.string())

    def _submission_ids(self, columns: Columns, bad: np.ndarray) -> pa.Array:
        """Each row's submission id as canonical text: from the id column, else from the file and line."""
        if self.layout.id is None:
            digests = []
            for line in columns.lines.tolist():
                digest = self._line_ids.copy()
                digest.update(str(line).encode())
                digests.append(digest.digest()[:16])
            raw = np.frombuffer(b"".join(digests), dtype=np.uint8).reshape(len(digests), 16).copy()
            raw[:, 6] = (raw[:, 6] & 0x0F) | 0x50  # version 5
            raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
            return format_uuids(raw)
        ids = []
        form_id = self.definition.id
        for row, cell in enumerate(columns.cells[self.layout.id].to_pylist()):
            text = cell.strip()
            if not text:
                bad[row] = True
                ids.append(str(uuid.UUID(int=0)))
            elif self.preparer.is_uuid(text):
                ids.append(str(uuid.UUID(text)))
            else:
                ids.append(str(uuid.uuid5(IMPORT_NAMESPACE, f"{form_id}:{text}")))
        return pa.array(ids, pa.string())

    # --- lines the line-by-line path accepted -------------------------------------------------------------

    def _with_prepared(
        self, responses: pa.Table, answers: pa.Table, prepared: list[tuple[int, Prepared]]
    ) -> tuple[pa.Table, pa.Table]:
        """With the rows of lines only the line-by-line path accepted, as ``store`` would write them."""
        response_rows: dict[str, list[Any]] = {name: [] for name in ("line", *STAGED)}
        answer_values: dict[str, list[Any]] = {name: [] for name in ("line", *ANSWER_VALUES)}
        for line, item in prepared:
            row, rows = stored_rows(item, self.procedure_fields)
            response_rows["line"].append(line)
            for name in STAGED:
                value = row[name]
                if name == "submission_id":
                    response_rows[name].append(str(value) if self.postgres else value.hex)
                else:
                    response_rows[name].append(self._bound(RESPONSES, name, value))
            for answer_row in rows:
                answer_values["line"].append(line)
                for name in ANSWER_VALUES:
                    answer_values[name].append(self._bound(ANSWERS, name, answer_row[name]))
        extra = pa.table(response_rows, schema=responses.schema)
        extra_answers = pa.table(answer_values, schema=answers.schema)
        responses = pa.concat_tables([responses, extra])
        answers = pa.concat_tables([answers, extra_answers])
        return (
            responses.take(pc.sort_indices(responses, [("line", "ascending")])),
            answers.take(pc.sort_indices(answers, [("line", "ascending"), ("item_code", "ascending")])),
        )


def _empty_answers() -> pa.Table:
    return pa.table(
        {
            "line": pa.array([], pa.int64()),
            "item_code": pa.array([], pa.string()),
            "value_int": pa.array([], pa.int64()),
            "value_text": pa.array([], pa.string()),
            "value_json": pa.array([], pa.string()),
            "satisfied": pa.array([], pa.int64()),
        }
    )
