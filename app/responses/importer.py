"""Importing a survey file (paper, phone or household survey) as responses of the ``import`` channel.

A CSV file, one response per line, is checked whole before anything is stored, and stored in one transaction:

1. its bytes: SHA-256 (the default submission ids derive from it), UTF-8 check, line count;
2. its lines, a batch at a time, as columns (``import_columns``: pyarrow's CSV parser), checked by the rules of
   every channel applied column by column (``import_checking``); problems are collected with their line and
   column, and the rows of the good lines are staged in temporary tables (``import_staging``: COPY on
   PostgreSQL);
3. the staged lines are compared with what is stored (set-based: identical → already imported, different → a
   conflict naming what differs; a later line with an earlier line's id → repeated, or a conflict);
4. only when nothing is wrong (or with ``skip_invalid``) one ``INSERT … SELECT … ON CONFLICT (submission_id) DO
   NOTHING`` stores them with their answers, committed at the end: all lines or none.

Submission ids come from an id column (a UUID as is, any other text as a UUID5 of form and text) or from the
file's SHA-256 and the line number, so importing the same file twice stores nothing new. Historic surveys are
the point of an import, so the live channels' retention window does not apply; future dates still fail.
"""

from __future__ import annotations

import heapq
import time
import uuid
from collections.abc import Callable
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
from app.responses.import_checking import ColumnChecker
from app.responses.import_columns import ColumnReader
from app.responses.import_preparing import LinePreparer, time_problem
from app.responses.import_reading import ISO_DATE, CsvFile, parse_when, read_layout
from app.responses.import_staging import Stage
from app.responses.storage import differences

# Long enough for any historic survey: imports are not held to the live channels' retention window.
NO_RETENTION_DAYS = 1_000_000
MAX_BATCH_SIZE = 1_000_000
DEFAULT_BATCH_SIZE = 100_000
MAX_MESSAGES = 50

# (phase, data lines done): "checking" after each batch of lines, "storing" before the insert.
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
    batch_size: int = DEFAULT_BATCH_SIZE  # lines checked and staged at a time
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
    a file or option that cannot work at all); ``run`` checks and stores the lines."""

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
            raise Invalid(f"--batch-size: between 1 and {MAX_BATCH_SIZE:,}")
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
        self.checker = ColumnChecker(
            self.settings,
            self.form,
            self.layout,
            self.preparer,
            session.get_bind().dialect,
            fixed_date=self.fixed_date,
            procedure_fields=self.procedure_fields,
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

    def _conflict(self, submission_id: Any, found: list[str]) -> str:
        return (
            f"already stored (submission id {uuid.UUID(str(submission_id))}); what differs now: "
            f"{'; '.join(found)}. An import never changes stored responses"
        )

    def _repeated_conflict(self) -> str:
        column = self.options.id_column.strip() if self.options.id_column else "id"
        return f'column "{column}": the same id as an earlier line of this file, with different content'

    # --- the run ------------------------------------------------------------------------------------------

    def run(self, progress: Progress | None = None) -> ImportReport:
        """Check every line, then (if all are valid, or with ``skip_invalid``) store them in one transaction.

        The import ends the session's transaction itself (commit, or rollback when nothing is stored): call it
        with no uncommitted changes in the session."""
        started = time.perf_counter()
        try:
            with Stage(self.session) as stage:
                report = self._run(stage, progress)
        except BaseException:
            self.session.rollback()
            raise
        report.seconds = time.perf_counter() - started
        return report

    def _run(self, stage: Stage, progress: Progress | None) -> ImportReport:
        report = ImportReport()
        problems = _Problems(self.name, self.options.max_messages)
        reader = ColumnReader(self.file, len(self.layout.names), self.file.header_end(), self.options.batch_size)
        for columns in reader:
            checked = self.checker.check(columns)
            report.rows = columns.records
            report.blank_lines += columns.blank
            for line, found in checked.problems:
                problems.add(line, found)
            stage.add(checked)
            if progress:
                progress("checking", report.rows)
        self.file.check_unchanged(reader.digest)
        if report.rows == 0:
            raise Invalid(f"{self.name}: no data lines after the header")
        stage.analyze()
        conflicts = _Problems(self.name, self.options.max_messages)
        for staged in stage.conflicts():
            assert staged.stored is not None
            conflicts.add(
                staged.line, [self._conflict(staged.submission_id, self._differences(staged.stored, staged.row))]
            )
        report.already = stage.already()
        repeats = _Problems(self.name, self.options.max_messages)
        firsts: dict[Any, dict[str, Any]] = {}
        later: list[int] = []  # lines repeating an earlier line's id: never stored themselves
        for staged in stage.repeats():
            first = firsts.setdefault(staged.submission_id, staged.row)
            if first is staged.row:
                continue
            later.append(staged.line)
            if differences(first, staged.row):
                repeats.add(staged.line, [self._repeated_conflict()])
            else:
                report.repeated += 1
        stage.skip(later)
        problems.merge(conflicts)
        problems.extend(repeats)
        report.bad_lines, report.problems, report.messages = problems.bad_lines, problems.count, problems.messages
        if report.bad_lines and not self.options.skip_invalid:
            self.session.rollback()
            report.already = report.repeated = 0
            return report
        expected = stage.lines - report.already - conflicts.bad_lines - len(later)
        if progress:
            progress("storing", report.rows)
        if expected:
            report.new = stage.store(form_version_id=self.form.form_version_id, received_at=self.now)
        if report.new != expected:  # PostgreSQL: another channel stored one of these ids since the comparison
            raise Invalid(
                f"{self.name}: {expected - report.new:,} of its submission ids were stored by another channel while "
                "it was being imported; nothing was imported (import it again to compare them)"
            )
        stage.drop()
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
        return report


class _Problems:
    """Problems by line, in line order: counted all, kept as messages up to ``limit``."""

    def __init__(self, name: str, limit: int) -> None:
        self.name = name
        self.limit = limit
        self.lines: list[tuple[int, list[str]]] = []  # the lines kept (the first ones, up to the limit)
        self.bad_lines = 0
        self.count = 0
        self._kept = 0

    def add(self, line: int, problems: list[str]) -> None:
        self.bad_lines += 1
        self.count += len(problems)
        if self._kept < self.limit:
            self.lines.append((line, problems))
            self._kept += len(problems)

    def merge(self, other: _Problems) -> None:
        """Add another set of lines, keeping line order."""
        self.lines = list(heapq.merge(self.lines, other.lines, key=lambda entry: entry[0]))
        self.bad_lines += other.bad_lines
        self.count += other.count

    def extend(self, other: _Problems) -> None:
        """Add another set of lines after these."""
        self.lines.extend(other.lines)
        self.bad_lines += other.bad_lines
        self.count += other.count

    @property
    def messages(self) -> list[str]:
        return [f"{self.name}:{line}: {problem}" for line, problems in self.lines for problem in problems][: self.limit]


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
