"""CSV uploads of targets and population counts: all rows or none, each row creating or updating the stored row
with its key (agency, indicator and start for targets; agency, procedure field and start for counts).

Every problem of the file is reported with its line and column before anything is stored: unreadable cells,
unknown agencies (outside the caller's scope) and procedure fields, keys repeated in the file, periods that would
overlap in a series, and — for counts — :func:`app.reference.checks.check_count` on each row that changes a count.
The upload's audit event keeps the file's SHA-256, and for counts the reason and each count's old and new value.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.service import record
from app.directory.models import Agency, ProcedureField
from app.officials.scope import Scope
from app.reference.checks import (
    MAX_COUNT_DIGITS,
    MAX_DOSSIERS_PER_MONTH,
    Counted,
    SeriesContext,
    check_count,
    indicator_problem,
    order_problem,
    reason_or_invalid,
    threshold_problem,
)
from app.reference.count_changes import count_records
from app.reference.csv_files import (
    POPULATION_COLUMNS,
    TARGET_COLUMNS,
    RowReader,
    UploadError,
    read_rows,
    refuse,
)
from app.reference.fields import Period, PopulationFields, TargetFields, commit, describe_series, overlaps, span
from app.reference.models import PopulationCount, Target


@dataclass(frozen=True)
class UploadSummary:
    """What an upload stored: its data rows, how many created a row and how many updated one."""

    rows: int
    created: int
    updated: int


def _visible_agency_ids(session: Session, scope: Scope, codes: set[str]) -> dict[str, int]:
    query = select(Agency.code, Agency.id).where(Agency.code.in_(codes), scope.agencies())
    return dict(session.execute(query).all())


def _upload_audit(
    session: Session,
    scope: Scope,
    *,
    action: str,
    object_type: str,
    data: bytes,
    filename: str | None,
    summary: UploadSummary,
    client_ip: str | None,
    extra: Mapping[str, Any] | None = None,
) -> None:
    """The upload's audit event: the file (name and SHA-256), the summary and ``extra``."""
    details = {"file": filename, "sha256": hashlib.sha256(data).hexdigest(), **dataclasses.asdict(summary)}
    details.update(extra or {})
    record(
        session,
        action=action,
        actor=scope.username,
        official_id=scope.official_id,
        object_type=object_type,
        details=details,
        client_ip=client_ip,
    )


def _series_errors(series: dict[Any, list[Period]], what: str, describe: Mapping[Any, str]) -> list[UploadError]:
    """An error on the file's line for each overlap of a series (stored rows and the file's rows) that the file
    makes; ``describe`` names each series."""
    errors: list[UploadError] = []
    for key, periods in series.items():
        for earlier, later in overlaps(periods):
            if later.line is None and earlier.line is None:
                continue  # two stored rows: not this file's doing
            at, other = (later, earlier) if later.line is not None else (earlier, later)
            assert at.line is not None
            errors.append(
                UploadError(
                    at.line,
                    "period_start",
                    f"the period {span(at)} overlaps {other.name} ({span(other)}) of "
                    f"{describe[key]}; {what} must not overlap",
                )
            )
    return errors


def upload_targets(
    session: Session,
    scope: Scope,
    data: bytes,
    *,
    indicators: Collection[str],
    filename: str | None = None,
    client_ip: str | None = None,
) -> UploadSummary:
    """Create or update targets from a CSV file (header :data:`TARGET_COLUMNS`; ``applies_to_subtree`` may be
    empty or absent: true). A row whose agency, indicator and period_start match a stored target updates it.
    All rows or none: every problem is reported with its line and column."""
    errors: list[UploadError] = []
    parsed: list[tuple[int, TargetFields]] = []
    for line, values in read_rows(data, TARGET_COLUMNS, frozenset({"applies_to_subtree"})):
        row = RowReader(line, values, errors)
        agency, indicator = row.text("agency"), row.text("indicator")
        start, end = row.date("period_start"), row.date("period_end")
        threshold, subtree = row.number("threshold_pct"), row.flag("applies_to_subtree", True)
        if indicator and (problem := indicator_problem(indicator, indicators)):
            row.fail("indicator", problem)
        if start != date.min and end != date.min and (problem := order_problem(start, end)):
            row.fail("period_end", problem)
        if not math.isnan(threshold) and (problem := threshold_problem(threshold, values["threshold_pct"])):
            row.fail("threshold_pct", problem)
        if row.ok:
            parsed.append((line, TargetFields(agency, indicator, start, end, threshold, subtree)))
    agency_ids = _visible_agency_ids(session, scope, {fields.agency for _, fields in parsed})
    seen: dict[tuple[int, str, date], int] = {}
    keyed: list[tuple[int, TargetFields, tuple[int, str, date]]] = []
    for line, fields in parsed:
        if fields.agency not in agency_ids:
            errors.append(UploadError(line, "agency", f"no agency with code {fields.agency!r}"))
            continue
        key = (agency_ids[fields.agency], fields.indicator, fields.period_start)
        if key in seen:
            errors.append(
                UploadError(
                    line,
                    "period_start",
                    f"agency {fields.agency!r}, indicator "
                    f"{fields.indicator!r}, period_start {fields.period_start} already appears "
                    f"on line {seen[key]}",
                )
            )
            continue
        seen[key] = line
        keyed.append((line, fields, key))
    if errors:
        raise refuse(errors)
    stored = {
        (target.agency_id, target.indicator, target.period_start): target
        for target in session.scalars(select(Target).where(Target.agency_id.in_(set(agency_ids.values()))))
    }
    series: dict[tuple[int, str], list[Period]] = {}
    describe: dict[tuple[int, str], str] = {}
    for key, target in stored.items():
        if key not in seen:
            series.setdefault(key[:2], []).append(Period(target.period_start, target.period_end, f"target {target.id}"))
    for line, fields, key in keyed:
        series.setdefault(key[:2], []).append(Period(fields.period_start, fields.period_end, f"line {line}", line))
        describe[key[:2]] = f"agency {fields.agency!r} for {fields.indicator!r}"
    errors = _series_errors(series, "periods of one agency and indicator", describe)
    if errors:
        raise refuse(errors)
    created = 0
    for _line, fields, key in keyed:
        existing = stored.get(key)
        if existing is None:
            session.add(
                Target(
                    agency_id=key[0],
                    indicator=fields.indicator,
                    period_start=fields.period_start,
                    period_end=fields.period_end,
                    threshold_pct=fields.threshold_pct,
                    applies_to_subtree=fields.applies_to_subtree,
                )
            )
            created += 1
        else:
            existing.period_end, existing.threshold_pct = fields.period_end, fields.threshold_pct
            existing.applies_to_subtree = fields.applies_to_subtree
    summary = UploadSummary(rows=len(keyed), created=created, updated=len(keyed) - created)
    _upload_audit(
        session,
        scope,
        action="target.upload",
        object_type="target",
        data=data,
        filename=filename,
        summary=summary,
        client_ip=client_ip,
    )
    commit(session)
    return summary


_Key = tuple[int, int | None, date]  # a stored count's key: agency id, procedure field id, period start


def _checked_rows(
    session: Session,
    keyed: list[tuple[int, PopulationFields, _Key]],
    stored: Mapping[_Key, PopulationCount],
    *,
    confirm_outlier: bool,
) -> list[dict[str, Any]]:
    """:func:`check_count` for each upload row that changes a count, against its series as stored before the
    file (or, where nothing of the series is stored, the file's other rows of it); the audit records of the
    changes, or the upload's 422 listing every refused row. A row equal to the stored one is no change."""
    stored_series: dict[tuple[int, int | None], list[tuple[_Key, Counted]]] = {}
    for key, count in stored.items():
        counted = Counted(count.period_start, count.period_end, count.dossiers_handled)
        stored_series.setdefault(key[:2], []).append((key, counted))
    file_series: dict[tuple[int, int | None], list[tuple[int, Counted]]] = {}
    for line, fields, key in keyed:
        counted = Counted(fields.period_start, fields.period_end, fields.dossiers_handled)
        file_series.setdefault(key[:2], []).append((line, counted))
    errors: list[UploadError] = []
    records: list[dict[str, Any]] = []
    for line, fields, key in keyed:
        existing = stored.get(key)
        before = None
        if existing is not None:
            old = dataclasses.replace(
                fields, period_end=existing.period_end, dossiers_handled=existing.dossiers_handled
            )
            if old == fields:
                continue
            before = (old, key[0])
        history = [counted for other, counted in stored_series.get(key[:2], []) if other != key] or [
            counted for other_line, counted in file_series[key[:2]] if other_line != line
        ]
        check = check_count(session, fields, SeriesContext(key[0], key[1], history), confirm_outlier=confirm_outlier)
        errors += [UploadError(line, column, message) for column, message in check.problems]
        records += count_records(before, (fields, key[0]), check.confirmed_outlier)
    if errors:
        raise refuse(errors)
    return records


def upload_population_counts(
    session: Session,
    scope: Scope,
    data: bytes,
    *,
    reason: str,
    confirm_outlier: bool = False,
    filename: str | None = None,
    client_ip: str | None = None,
) -> UploadSummary:
    """Create or update population counts from a CSV file (header :data:`POPULATION_COLUMNS`; an empty or absent
    ``procedure_field`` means all fields). A row whose agency, period_start and procedure field match a stored
    count updates it. All rows or none: every problem is reported with its line and column.

    Each row that changes a count passes :func:`check_count`; its history is the series' other counts as stored
    before the upload (for a series with none stored, the file's other rows of that series). ``confirm_outlier``
    confirms every outlier of the file; ``reason`` (required) goes to the audit log with each change."""
    reason = reason_or_invalid(reason)
    errors: list[UploadError] = []
    parsed: list[tuple[int, PopulationFields]] = []
    for line, values in read_rows(data, POPULATION_COLUMNS, frozenset({"procedure_field"})):
        row = RowReader(line, values, errors)
        agency = row.text("agency")
        start, end = row.date("period_start"), row.date("period_end")
        dossiers = row.text("dossiers_handled")
        if dossiers and not (dossiers.isascii() and dossiers.isdigit()):
            row.fail("dossiers_handled", f"{dossiers!r} must be a whole number ≥ 0")
        elif len(dossiers.lstrip("0")) > MAX_COUNT_DIGITS:
            message = (
                f"'{dossiers[:MAX_COUNT_DIGITS]}…' has more than {MAX_COUNT_DIGITS} digits: above the ceiling of "
                f"{MAX_DOSSIERS_PER_MONTH} dossiers a month and agency"
            )
            row.fail("dossiers_handled", message)
        if row.ok:
            fields = PopulationFields(agency, start, end, int(dossiers), values["procedure_field"] or None)
            for column, problem in check_count(session, fields, None).problems:
                row.fail(column, problem)
            if row.ok:
                parsed.append((line, fields))
    agency_ids = _visible_agency_ids(session, scope, {fields.agency for _, fields in parsed})
    wanted_fields = {fields.procedure_field for _, fields in parsed if fields.procedure_field}
    field_ids = dict(
        session.execute(
            select(ProcedureField.code, ProcedureField.id).where(ProcedureField.code.in_(wanted_fields))
        ).all()
    )
    seen: dict[_Key, int] = {}
    keyed: list[tuple[int, PopulationFields, _Key]] = []
    for line, fields in parsed:
        ok = True
        if fields.agency not in agency_ids:
            errors.append(UploadError(line, "agency", f"no agency with code {fields.agency!r}"))
            ok = False
        if fields.procedure_field is not None and fields.procedure_field not in field_ids:
            message = f"no procedure field with code {fields.procedure_field!r}"
            errors.append(UploadError(line, "procedure_field", message))
            ok = False
        if not ok:
            continue
        field_id = field_ids[fields.procedure_field] if fields.procedure_field is not None else None
        key = (agency_ids[fields.agency], field_id, fields.period_start)
        if key in seen:
            series_name = describe_series(fields.agency, fields.procedure_field)
            message = f"{series_name}, period_start {fields.period_start} already appears on line {seen[key]}"
            errors.append(UploadError(line, "period_start", message))
            continue
        seen[key] = line
        keyed.append((line, fields, key))
    if errors:
        raise refuse(errors)
    query = select(PopulationCount).where(PopulationCount.agency_id.in_(set(agency_ids.values())))
    stored = {
        (count.agency_id, count.procedure_field_id, count.period_start): count for count in session.scalars(query)
    }
    series: dict[tuple[int, int | None], list[Period]] = {}
    describe: dict[tuple[int, int | None], str] = {}
    for key, count in stored.items():
        if key not in seen:
            name = f"population count {count.id}"
            series.setdefault(key[:2], []).append(Period(count.period_start, count.period_end, name))
    for line, fields, key in keyed:
        series.setdefault(key[:2], []).append(Period(fields.period_start, fields.period_end, f"line {line}", line))
        describe[key[:2]] = describe_series(fields.agency, fields.procedure_field)
    errors = _series_errors(series, "periods of one agency and procedure field", describe)
    if errors:
        raise refuse(errors)
    records = _checked_rows(session, keyed, stored, confirm_outlier=confirm_outlier)
    created = 0
    for _line, fields, key in keyed:
        existing_count = stored.get(key)
        if existing_count is None:
            session.add(
                PopulationCount(
                    agency_id=key[0],
                    procedure_field_id=key[1],
                    period_start=fields.period_start,
                    period_end=fields.period_end,
                    dossiers_handled=fields.dossiers_handled,
                )
            )
            created += 1
        else:
            existing_count.period_end, existing_count.dossiers_handled = fields.period_end, fields.dossiers_handled
    summary = UploadSummary(rows=len(keyed), created=created, updated=len(keyed) - created)
    extra = {"reason": reason, "counts": records}
    _upload_audit(
        session,
        scope,
        action="population.upload",
        object_type="population_count",
        data=data,
        filename=filename,
        summary=summary,
        client_ip=client_ip,
        extra=extra,
    )
    commit(session)
    return summary
