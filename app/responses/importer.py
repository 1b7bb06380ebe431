"""Importing a survey file (paper, phone or household survey) as responses of the ``import`` channel.

A CSV file, one response per line, is read twice as a stream, never held in memory:

1. its bytes: SHA-256 (the default submission ids derive from it), UTF-8 check, line count;
2. every line is parsed and validated by ``prepare`` (the validation of every channel) and compared with what
   is already stored, without writing; problems are collected with their line and column, and the rows of the
   valid new lines go to a spill (a temporary file) exactly as ``store`` would write them;
3. only when nothing is wrong (or with ``skip_invalid``) the spill is stored in bulk inside one transaction,
   committed at the end: all lines or none (nothing is written when every line is stored already).

Storing writes through the same ``Writer`` as ``store`` (``app.responses.storage``): the database decides what is
new (the unique submission id), and a line whose id is stored already is judged by the same ``differences`` as
a replay on the web or a kiosk, here with the columns that differ named.

Submission ids come from an id column (a UUID as is, any other text as a UUID5 of form and text) or from the
file's SHA-256 and the line number, so importing the same file twice stores nothing new. Historic surveys are
the point of an import, so the live channels' retention window does not apply; future dates still fail.

This module runs the passes; reading the file is ``import_reading``, preparing a line and the spill
``import_preparing``.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.service import record
from app.config import Settings
from app.db import refresh_statistics, utcnow
from app.directory.models import Agency, Counter, ProcedureField
from app.errors import Invalid
from app.forms.loader import RegisteredForm
from app.responses.import_preparing import Line, LinePreparer, Spill, time_problem
from app.responses.import_reading import ISO_DATE, CsvFile, parse_when, read_layout
from app.responses.ingest import stored_rows
from app.responses.storage import COLUMN, COMPARED, SUBMISSION_ID, Record, differences, stored_versions, writer_for

# Long enough for any historic survey: imports are not held to the live channels' retention window.
NO_RETENTION_DAYS = 1_000_000
MAX_BATCH_SIZE = 10_000
MAX_MESSAGES = 50

# (phase, data lines done): "checking" during validation, "storing" while writing.
Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class ImportOptions:
    """What the command line says about the file; column names are header names."""

    form: str  # "ID@VERSION"
    agency_column: str
    counter_column: str | None = None
    date_column: str | None = None
    date: str | None = None  # YYYY-MM-DD for every line
    id_column: str | None = None
    weight_column: str | None = None
    strata_column: str | None = None
    psu_column: str | None = None
    skip_invalid: bool = False
    batch_size: int = 2_000
    max_messages: int = MAX_MESSAGES


@dataclass
class ImportReport:
    rows: int = 0  # data lines read (blank lines excluded)
    new: int = 0
    already: int = 0  # identical to a response stored by an earlier import
    repeated: int = 0  # the same id and content as an earlier line of this file
    blank_lines: int = 0
    bad_lines: int = 0
    problems: int = 0
    messages: list[str] = field(default_factory=list)  # the first ``max_messages`` problems
    committed: bool = False
    seconds: float = 0.0

    @property
    def imported(self) -> int:
        return self.new + self.already + self.repeated


def parse_form_ref(text: str, registry: dict[tuple[str, int], RegisteredForm]) -> RegisteredForm:
    """The registered form version named ``ID@VERSION``."""
    form_id, _, version = text.strip().rpartition("@")
    if not form_id or not version.isdigit():
        raise Invalid(f"--form {text!r}: give the form and its version as ID@VERSION, e.g. counter-quick@1")
    form = registry.get((form_id, int(version)))
    if form is None:
        known = ", ".join(f"{key[0]}@{key[1]}" for key in sorted(registry))
        raise Invalid(f"--form {text!r}: no such form version; registered: {known}")
    return form


class CsvImport:
    """One import of one file. The constructor reads the header and checks the options (raising ``Invalid`` for
    a file or option that cannot work at all); ``run`` validates and stores the lines."""

    def __init__(
        self,
        session: Session,
        settings: Settings,
        registry: dict[tuple[str, int], RegisteredForm],
        path: Path,
        options: ImportOptions,
        *,
        now: datetime | None = None,
    ) -> None:
        self.session = session
        self.path = path
        self.file = CsvFile(path)
        self.name = self.file.name
        self.options = options
        self.now = now or utcnow()
        # Validation exactly as for every channel, except the retention window (historic files are the point).
        self.settings = settings.model_copy(update={"retention_days": NO_RETENTION_DAYS})
        self.form = parse_form_ref(options.form, registry)
        definition = self.form.definition
        self.form_label = f"{definition.id}@{definition.version}"
        if not 1 <= options.batch_size <= MAX_BATCH_SIZE:
            raise Invalid(f"--batch-size: between 1 and {MAX_BATCH_SIZE}")
        if (options.date is None) == (options.date_column is None):
            raise Invalid("give either --date-column (a date per line) or --date (one date for every line)")
        self.fixed_date: datetime | None = None
        if options.date is not None:
            if not ISO_DATE.fullmatch(options.date.strip()):
                raise Invalid(f"--date {options.date!r}: write the date as YYYY-MM-DD")
            try:
                self.fixed_date = parse_when(options.date, self.settings)
            except ValueError:
                raise Invalid(f"--date {options.date!r}: not a date") from None
            problem = time_problem(self.settings, self.fixed_date, options.date, self.now)
            if problem:
                raise Invalid(f"--date {options.date}: {problem}")
        self.digest, self.line_count = self.file.scan()
        self.layout = read_layout(self.file, options, self.form, self.form_label)
        self.agencies: dict[str, int] = {code: id_ for code, id_ in session.execute(select(Agency.code, Agency.id))}
        self.counters: dict[tuple[int, str], int] = {
            (agency_id, code): counter_id
            for agency_id, code, counter_id in session.execute(select(Counter.agency_id, Counter.code, Counter.id))
        }
        self.agency_codes = {agency_id: code for code, agency_id in self.agencies.items()}
        self.procedure_fields: dict[str, int] = {
            code: id_ for code, id_ in session.execute(select(ProcedureField.code, ProcedureField.id))
        }
        self.writer = writer_for(session)
        self.preparer = LinePreparer(
            self.settings,
            self.form,
            self.layout,
            now=self.now,
            digest=self.digest,
            fixed_date=self.fixed_date,
            agencies=self.agencies,
            counters=self.counters,
        )

    @property
    def warnings(self) -> list[str]:
        if not self.layout.ignored:
            return []
        return [
            f"{self.name}: ignoring column(s) that are neither items of {self.form_label} nor named by an option: "
            + ", ".join(self.layout.ignored)
        ]

    # --- comparing with what is stored -------------------------------------------------------------------

    def _differences(self, stored: dict[str, Any], row: dict[str, Any]) -> list[str]:
        """What differs between a stored response and the row of a line, in words (``differences``' names)."""
        names = self.layout.names
        found = []
        columns = {"weight": self.layout.weight, "stratum": self.layout.strata, "cluster": self.layout.psu}
        for name in differences(stored, row):
            value = stored[name]
            if name == "content_hash":
                found.append("answers, date, counter or profile")
            elif name == "agency_id":
                found.append(f"agency (was {self.agency_codes.get(value, value)})")
            else:
                index = columns[name]
                where = f' in column "{names[index]}"' if index is not None else ""
                found.append(f"{name}{where} (was {value!r})")
        return found

    def _conflict(self, submission_id: uuid.UUID, found: list[str]) -> str:
        return (
            f"already stored (submission id {submission_id}); what differs now: "
            f"{'; '.join(found)}. An import never changes stored responses"
        )

    # --- the passes ---------------------------------------------------------------------------------------

    def _problem(self, report: ImportReport, line: int, problems: list[str]) -> None:
        report.bad_lines += 1
        for problem in problems:
            report.problems += 1
            if len(report.messages) < self.options.max_messages:
                report.messages.append(f"{self.name}:{line}: {problem}")

    def _batches(self, report: ImportReport, digest: Any) -> Iterator[list[Line]]:
        """The data lines, parsed and prepared, in batches; counts rows and blank lines into ``report``."""
        records = self.file.records(digest)
        header_seen = False
        batch: list[Line] = []
        for line, fields in records:
            if not any(value.strip() for value in fields):
                if header_seen:
                    report.blank_lines += 1
                continue
            if not header_seen:
                header_seen = True
                continue
            report.rows += 1
            batch.append(self.preparer.prepare(line, fields))
            if len(batch) >= self.options.batch_size:
                yield batch
                batch = []
        if batch:
            yield batch

    def run(self, progress: Progress | None = None) -> ImportReport:
        """Validate every line, then (if all are valid, or with ``skip_invalid``) store them in one transaction.

        The import ends the session's transactions itself (rollback after checking, commit or rollback at the
        end): call it with no uncommitted changes in the session."""
        with tempfile.TemporaryFile(prefix="sipas-import-") as handle:
            return self._run(Spill(handle), progress)

    def _run(self, spill: Spill, progress: Progress | None) -> ImportReport:
        started = time.perf_counter()
        checked = ImportReport()
        digest = hashlib.sha256()
        for batch in self._batches(checked, digest):
            stored = stored_versions(
                self.session, [item.prepared.submission.submission_id for item in batch if item.prepared is not None]
            )
            fresh: list[Record] = []
            for item in batch:
                prepared = item.prepared
                if prepared is not None:  # a line without problems of its own
                    existing = stored.get(prepared.submission.submission_id)
                    if existing is None:
                        fresh.append(self.writer.record(item.line, *stored_rows(prepared, self.procedure_fields)))
                    else:
                        found = self._differences(existing, prepared.row)
                        if found:
                            item.problems.append(self._conflict(prepared.submission.submission_id, found))
                        else:
                            checked.already += 1
                if item.problems:
                    self._problem(checked, item.line, item.problems)
            spill.write(fresh, checked.rows)
            if progress:
                progress("checking", checked.rows)
        self.file.check_unchanged(digest)
        self.session.rollback()  # end the read transaction; the writes get a fresh one
        if checked.rows == 0:
            raise Invalid(f"{self.name}: no data lines after the header")
        if checked.bad_lines and not self.options.skip_invalid:
            checked.already = 0
            checked.seconds = time.perf_counter() - started
            return checked

        report = ImportReport(
            rows=checked.rows,
            already=checked.already,
            blank_lines=checked.blank_lines,
            bad_lines=checked.bad_lines,
            problems=checked.problems,
            messages=checked.messages,
        )
        try:
            if spill.records:
                self._store(report, spill, progress)
            # else every valid line is stored already (the same file again): nothing to write
            if report.bad_lines > checked.bad_lines and not self.options.skip_invalid:
                self.session.rollback()
                report.new = report.already = report.repeated = 0
            else:
                record(
                    self.session,
                    action="responses.import",
                    actor="cli",
                    object_type="form_version",
                    object_id=self.form.form_version_id,
                    details={
                        "file": self.path.name,
                        "sha256": self.digest,
                        "form": self.form_label,
                        "lines": report.rows,
                        "new": report.new,
                        "already_imported": report.already,
                        "repeated": report.repeated,
                        "skipped_bad_lines": report.bad_lines,
                    },
                )
                self.session.commit()
                report.committed = True
                if report.new:
                    refresh_statistics(self.session, "responses", "answers")
                    self.session.commit()
        except BaseException:
            self.session.rollback()
            raise
        report.seconds = time.perf_counter() - started
        return report

    def _store(self, report: ImportReport, spill: Spill, progress: Progress | None) -> None:
        """Store the spilled lines (uncommitted); problems found now (an id repeated in the file with other
        content, or stored by someone else since the check) are added to ``report``."""
        conflicts = ImportReport()
        with self.writer.bulk():
            self._store_spill(report, conflicts, spill, progress)
        report.bad_lines += conflicts.bad_lines
        report.problems += conflicts.problems
        room = self.options.max_messages - len(report.messages)
        report.messages.extend(conflicts.messages[: max(room, 0)])

    def _store_spill(
        self, report: ImportReport, conflicts: ImportReport, spill: Spill, progress: Progress | None
    ) -> None:
        for records, rows_done in spill.read():
            firsts: dict[Any, Record] = {}
            repeats: list[Record] = []  # a submission id seen before in this batch: compared after the insert
            for spilled in records:
                if firsts.setdefault(spilled[0][SUBMISSION_ID], spilled) is not spilled:
                    repeats.append(spilled)
            fresh = list(firsts.values())
            inserted = self.writer.insert(fresh)
            report.new += len(inserted)
            skipped = [spilled for spilled in fresh if spilled[0][0] not in inserted]
            others = sorted(skipped + repeats, key=lambda r: r[0][0])
            if others:
                self._compare(report, conflicts, [values for values, _ in others])
            if progress:
                progress("storing", rows_done)

    def _compare(self, report: ImportReport, conflicts: ImportReport, lines: list[tuple[Any, ...]]) -> None:
        """Lines whose submission id is stored (by this import, from an earlier line, or by someone else)."""
        ids = [uuid.UUID(str(values[SUBMISSION_ID])) for values in lines]
        stored = stored_versions(self.session, ids)
        for submission_id, values in zip(ids, lines, strict=True):
            existing = stored[submission_id]
            found = self._differences(existing, {name: values[COLUMN[name]] for name in COMPARED})
            this_run = existing["received_at"] == self.now
            if not found:
                if this_run:
                    report.repeated += 1
                else:
                    report.already += 1
            elif this_run:
                self._problem(conflicts, values[0], [self._repeated_conflict()])
            else:  # stored by someone else since the check
                self._problem(conflicts, values[0], [self._conflict(submission_id, found)])

    def _repeated_conflict(self) -> str:
        column = self.options.id_column.strip() if self.options.id_column else "id"
        return f'column "{column}": the same id as an earlier line of this file, with different content'


def import_csv(
    session: Session,
    settings: Settings,
    registry: dict[tuple[str, int], RegisteredForm],
    path: Path,
    options: ImportOptions,
    *,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a survey file in one call (see ``CsvImport`` for the warnings before the run)."""
    return CsvImport(session, settings, registry, path, options, now=now).run(progress)
