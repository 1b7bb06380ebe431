"""Raw responses, one row each, for administrators (``GET /api/v1/responses/export``) — without personal data.

A row is what a statistician needs to re-analyse the survey and nothing that points at a person: the form version,
agency and counter codes, channel, local date and month, the flags, and one column per answer item (scale levels,
option codes; several options joined with ``;``). Left out on purpose: submission and database ids, device ids,
dossier hashes, the respondent profile (sex, age band, ethnicity, education, occupation, residence) and every
free-text item (comments and short texts may carry names and phone numbers; the dossier code is one of them).

The selection is the one ``/api/v1/satisfaction`` uses (agency and subtree, from/to, form, channel), always inside
the caller's scope; flagged responses are included and marked, so an administrator can review them. Rows are read
with ``yield_per`` and written as they come (CSV streamed; XLSX through openpyxl's write-only workbook into a
temporary file), so memory does not grow with the export.
"""

from __future__ import annotations

import csv
import io
import itertools
import tempfile
from collections.abc import Iterator, Sequence
from typing import Any, Literal

from openpyxl import Workbook
from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session, sessionmaker

from app.cells import neutral
from app.directory.models import Agency, Counter, ProcedureField
from app.forms.loader import RegisteredForm
from app.forms.models import FormVersion
from app.forms.schemas import ItemType
from app.officials.scope import Scope
from app.responses.models import Answer, Channel, Response
from app.responses.selection import Filters, agency_selection, choose_form

BATCH = 1000  # rows fetched from the database at a time
EXPORTED_TYPES = (ItemType.scale, ItemType.single_choice, ItemType.multiple_choice)
FIXED_COLUMNS = [
    "form",
    "agency",
    "counter",
    "channel",
    "procedure_field",
    "local_date",
    "local_month",
    "is_suspected_spam",
    "is_test",
    "flag_reason",
]

ExportFormat = Literal["csv", "xlsx"]


def exported_items(forms: Sequence[RegisteredForm]) -> list[str]:
    """Item codes that become columns: choices and scales of every given version (newest first, then items only
    older versions had), never free text and never profile questions; the procedure field is a column of its own
    (it is stored with the response)."""
    codes: dict[str, None] = {}
    for registered in sorted(forms, key=lambda found: -found.definition.version):
        for item in registered.definition.items:
            if (
                item.type in EXPORTED_TYPES
                and item.profile is None
                and item.role not in ("procedure_field", "dossier_code")
            ):
                codes.setdefault(item.code)
    return list(codes)


class Selection:
    """The responses to export and the columns they fill."""

    def __init__(
        self, session: Session, scope: Scope, forms: dict[tuple[str, int], RegisteredForm], filters: Filters
    ) -> None:
        filters.check()
        _root, agencies = agency_selection(session, scope, filters)
        base: list[ColumnElement[bool]] = [agencies]
        if filters.date_from:
            base.append(Response.local_date >= filters.date_from)
        if filters.date_to:
            base.append(Response.local_date <= filters.date_to)
        registered, version_ids = choose_form(session, forms, filters, base)
        if filters.channel is not None:
            base.append(Response.channel == filters.channel)
        base.append(Response.form_version_id.in_(version_ids))
        self.conditions = base
        self.form = registered.definition.id
        self.items = exported_items([found for found in forms.values() if found.form_version_id in version_ids])
        self.columns = [*FIXED_COLUMNS, *self.items]

    def count(self, session: Session) -> int:
        return int(session.scalar(select(func.count()).select_from(Response).where(*self.conditions)) or 0)

    def statement(self) -> Any:
        """One row per (response, exported answer), ordered by response; responses without such answers once."""
        return (
            select(
                Response.id,
                FormVersion.form_id,
                FormVersion.version,
                Agency.code,
                Counter.code,
                Response.channel,
                ProcedureField.code,
                Response.local_date,
                Response.local_month,
                Response.is_suspected_spam,
                Response.is_test,
                Response.flag_reason,
                Answer.item_code,
                Answer.value_int,
                Answer.value_text,
                Answer.value_json,
            )
            .join(FormVersion, FormVersion.id == Response.form_version_id)
            .join(Agency, Agency.id == Response.agency_id)
            .outerjoin(Counter, Counter.id == Response.counter_id)
            .outerjoin(ProcedureField, ProcedureField.id == Response.procedure_field_id)
            .outerjoin(Answer, and_(Answer.response_id == Response.id, Answer.item_code.in_(self.items or [""])))
            .where(*self.conditions)
            .order_by(Response.id)
        )

    def rows(self, session: Session) -> Iterator[dict[str, Any]]:
        """The export's rows, read ``BATCH`` database rows at a time."""
        result = session.execute(self.statement().execution_options(yield_per=BATCH))
        for _response_id, group in itertools.groupby(result, key=lambda found: found[0]):
            lines = list(group)
            first = lines[0]
            row: dict[str, Any] = {
                "form": f"{first[1]}@{first[2]}",
                "agency": first[3],
                "counter": first[4],
                "channel": first[5].value if isinstance(first[5], Channel) else first[5],
                "procedure_field": first[6],
                "local_date": first[7],
                "local_month": first[8],
                "is_suspected_spam": bool(first[9]),
                "is_test": bool(first[10]),
                "flag_reason": first[11],
            }
            for line in lines:
                if line[12] is not None:
                    row[line[12]] = _value(line[13], line[14], line[15])
            yield row


def _value(number: int | None, text: str | None, options: list[Any] | None) -> Any:
    if number is not None:
        return number
    if options is not None:
        return ";".join(str(option) for option in options)
    return text


def csv_chunks(columns: Sequence[str], rows: Iterator[dict[str, Any]]) -> Iterator[bytes]:
    """UTF-8 CSV with a BOM (Excel reads Vietnamese), formula-safe cells, one chunk per ``BATCH`` rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(columns)
    for count, row in enumerate(rows, start=1):
        writer.writerow(["" if cell is None else cell for cell in (neutral(row.get(name)) for name in columns)])
        if count % BATCH == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def xlsx_chunks(columns: Sequence[str], rows: Iterator[dict[str, Any]]) -> Iterator[bytes]:
    """An XLSX built by openpyxl's write-only workbook (rows go to disk as they come), then sent in chunks."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title="responses")
    sheet.append(list(columns))
    for row in rows:
        sheet.append([neutral(row.get(name)) for name in columns])
    with tempfile.TemporaryFile() as out:
        book.save(out)
        out.seek(0)
        while chunk := out.read(64 * 1024):
            yield chunk


def stream(factory: sessionmaker[Session], selection: Selection, fmt: ExportFormat) -> Iterator[bytes]:
    # A session of its own: the request's session may be closed before the body has been sent.
    with factory() as session:
        rows = selection.rows(session)
        yield from csv_chunks(selection.columns, rows) if fmt == "csv" else xlsx_chunks(selection.columns, rows)
