"""``/api/v1/targets`` and ``/api/v1/population-counts``: reference data for reports (admins write, officials read).

Every official reads the rows of the agencies in their scope; province admins and national officials write them
(within their scope). Rows of agencies outside the scope answer 404 exactly like missing ones. Uploads are
``multipart/form-data`` with the CSV file in the field ``file``; exports use the same columns, so a downloaded
file uploads again unchanged.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Query, Request, Response, UploadFile
from pydantic import BaseModel

from app.deps import FormsDep, SessionDep
from app.error_responses import BAD_BODY
from app.errors import DB_INT_MAX, Invalid
from app.officials.deps import AdminDep, CallerDep, client_ip
from app.reference import counts, targets, uploads
from app.reference.checks import MAX_REASON_CHARS, known_indicators
from app.reference.csv_files import population_counts_file, targets_file
from app.reference.fields import PopulationFields, TargetFields
from app.reference.schemas import (
    CONFIRM_TEXT,
    COUNT_CHANGE,
    REASON_EXAMPLE,
    REASON_TEXT,
    PopulationCountIn,
    PopulationCountOut,
    PopulationCountPage,
    PopulationCountPatch,
    TargetIn,
    TargetOut,
    TargetPage,
    TargetPatch,
    UploadOut,
)

router = APIRouter(prefix="/api/v1", tags=["targets and population counts"])

MAX_PAGE = 5000

_READ_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "not logged in"},
    404: {"description": "no such row, agency or procedure field in the caller's scope"},
}
_WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **_READ_ERRORS,
    **BAD_BODY,
    403: {"description": "needs an administrator (province_admin or national)"},
    409: {"description": "the same start, or an overlapping period, is already stored for this series"},
    422: {"description": "invalid field: the message and details name it"},
}
_UPLOAD_ERRORS: dict[int | str, dict[str, Any]] = {
    **BAD_BODY,
    401: {"description": "not logged in"},
    403: {"description": "needs an administrator (province_admin or national)"},
    413: {"description": "file larger than SIPAS_MAX_BODY_BYTES"},
    422: {
        "description": "the file was refused, nothing was stored; every problem with its line and column",
        "content": {
            "application/json": {
                "example": {
                    "error": {
                        "code": "invalid",
                        "message": "nothing was stored: line 3, column threshold_pct: '120' must be between 0 and 100",
                        "details": {
                            "count": 1,
                            "errors": [
                                {"line": 3, "column": "threshold_pct", "message": "'120' must be between 0 and 100"}
                            ],
                        },
                    }
                }
            }
        },
    },
}
_CSV_RESPONSE: dict[int | str, dict[str, Any]] = {200: {"content": {"text/csv": {}}, "description": "a CSV file"}}

AgencyFilter = Annotated[str | None, Query(description="only this agency's rows (its code)", examples=["HN"])]
OnFilter = Annotated[date | None, Query(description="only rows whose period contains this day")]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="at most this many rows")]
Offset = Annotated[int, Query(ge=0, le=DB_INT_MAX, description="skip this many rows first")]
RowId = Annotated[int, Path(ge=1, le=DB_INT_MAX, description="the row's id")]
IndicatorFilter = Annotated[str | None, Query(description="only this indicator", examples=["sipas"])]
FieldFilter = Annotated[str | None, Query(description="only this procedure field's rows (its code)")]
CsvFile = Annotated[UploadFile, File(description="a UTF-8 CSV file (a BOM is fine), comma-separated")]
ReasonForm = Annotated[str, Form(min_length=1, max_length=MAX_REASON_CHARS, description=REASON_TEXT)]
ConfirmForm = Annotated[bool, Form(description=f"{CONFIRM_TEXT}; for every row of the file")]
ReasonQuery = Annotated[
    str, Query(min_length=1, max_length=MAX_REASON_CHARS, description=REASON_TEXT, examples=[REASON_EXAMPLE])
]


def _changes(patch: BaseModel, nullable: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The fields a PATCH body sets; null only where it means something."""
    changes = patch.model_dump(exclude_unset=True)
    for name, value in changes.items():
        if value is None and name not in nullable:
            raise Invalid(f"/{name}: may not be null", details=[{"pointer": f"/{name}", "message": "may not be null"}])
    return changes


def _csv(text: str, filename: str) -> Response:
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# --- targets -----------------------------------------------------------------------------------------------------


@router.get("/targets", response_model=TargetPage, responses=_READ_ERRORS)
def list_targets(
    caller: CallerDep,
    session: SessionDep,
    agency: AgencyFilter = None,
    indicator: IndicatorFilter = None,
    on: OnFilter = None,
    limit: Limit = 500,
    offset: Offset = 0,
) -> Any:
    """Targets of the agencies in the caller's scope, by agency code, indicator and start. A target set on a
    parent with ``applies_to_subtree`` also applies below it; this list shows it only to those who see the
    parent."""
    page = targets.list_targets(
        session, caller.scope, agency=agency, indicator=indicator, on=on, limit=limit, offset=offset
    )
    return TargetPage(
        items=[TargetOut.model_validate(item) for item in page.items], total=page.total, limit=limit, offset=offset
    )


@router.get("/targets/export.csv", response_class=Response, responses={**_CSV_RESPONSE, **_READ_ERRORS})
def export_targets(
    caller: CallerDep,
    session: SessionDep,
    agency: AgencyFilter = None,
    indicator: IndicatorFilter = None,
    on: OnFilter = None,
) -> Response:
    """The same rows as ``GET /targets`` (all of them), in the upload's columns."""
    text = targets_file(session, caller.scope, agency=agency, indicator=indicator, on=on)
    return _csv(text, "targets.csv")


@router.post("/targets", status_code=201, response_model=TargetOut, responses=_WRITE_ERRORS)
def create_target(body: TargetIn, caller: AdminDep, session: SessionDep, forms: FormsDep, request: Request) -> Any:
    """Add a target for an agency in the caller's scope. One agency and indicator may have several periods
    (one per year, say), but they must not overlap."""
    return targets.create_target(
        session,
        caller.scope,
        TargetFields(**body.model_dump()),
        indicators=known_indicators(form.definition for form in forms.values()),
        client_ip=client_ip(request),
    )


@router.post("/targets/upload", response_model=UploadOut, responses=_UPLOAD_ERRORS)
def upload_targets(file: CsvFile, caller: AdminDep, session: SessionDep, forms: FormsDep, request: Request) -> Any:
    """Create or update targets from a CSV file, all rows or none. Header
    ``agency,indicator,period_start,period_end,threshold_pct,applies_to_subtree`` (the last may be empty or
    left out: true); a row with the agency, indicator and period_start of a stored target updates it.

    ``curl -F file=@targets.csv -H "Authorization: Bearer $TOKEN" …/api/v1/targets/upload``"""
    summary = uploads.upload_targets(
        session,
        caller.scope,
        file.file.read(),
        indicators=known_indicators(form.definition for form in forms.values()),
        filename=file.filename,
        client_ip=client_ip(request),
    )
    return UploadOut.model_validate(summary)


@router.get("/targets/{target_id}", response_model=TargetOut, responses=_READ_ERRORS)
def get_target(target_id: RowId, caller: CallerDep, session: SessionDep) -> Any:
    return targets.get_target(session, caller.scope, target_id)


@router.put("/targets/{target_id}", response_model=TargetOut, responses=_WRITE_ERRORS)
def replace_target(
    target_id: RowId, body: TargetIn, caller: AdminDep, session: SessionDep, forms: FormsDep, request: Request
) -> Any:
    """Replace every field of a target."""
    return targets.update_target(
        session,
        caller.scope,
        target_id,
        body.model_dump(),
        indicators=known_indicators(form.definition for form in forms.values()),
        client_ip=client_ip(request),
    )


@router.patch("/targets/{target_id}", response_model=TargetOut, responses=_WRITE_ERRORS)
def change_target(
    target_id: RowId, body: TargetPatch, caller: AdminDep, session: SessionDep, forms: FormsDep, request: Request
) -> Any:
    """Change only the fields given."""
    return targets.update_target(
        session,
        caller.scope,
        target_id,
        _changes(body),
        indicators=known_indicators(form.definition for form in forms.values()),
        client_ip=client_ip(request),
    )


@router.delete("/targets/{target_id}", status_code=204, response_class=Response, responses=_WRITE_ERRORS)
def delete_target(target_id: RowId, caller: AdminDep, session: SessionDep, request: Request) -> Response:
    targets.delete_target(session, caller.scope, target_id, client_ip=client_ip(request))
    return Response(status_code=204)


# --- population counts -------------------------------------------------------------------------------------------


@router.get("/population-counts", response_model=PopulationCountPage, responses=_READ_ERRORS)
def list_population_counts(
    caller: CallerDep,
    session: SessionDep,
    agency: AgencyFilter = None,
    procedure_field: FieldFilter = None,
    on: OnFilter = None,
    limit: Limit = 500,
    offset: Offset = 0,
) -> Any:
    """Dossiers handled by the agencies in the caller's scope, by agency code, start and procedure field (the
    count of all fields first)."""
    page = counts.list_population_counts(
        session, caller.scope, agency=agency, procedure_field=procedure_field, on=on, limit=limit, offset=offset
    )
    return PopulationCountPage(
        items=[PopulationCountOut.model_validate(item) for item in page.items],
        total=page.total,
        limit=limit,
        offset=offset,
    )


@router.get("/population-counts/export.csv", response_class=Response, responses={**_CSV_RESPONSE, **_READ_ERRORS})
def export_population_counts(
    caller: CallerDep,
    session: SessionDep,
    agency: AgencyFilter = None,
    procedure_field: FieldFilter = None,
    on: OnFilter = None,
) -> Response:
    """The same rows as ``GET /population-counts`` (all of them), in the upload's columns."""
    text = population_counts_file(session, caller.scope, agency=agency, procedure_field=procedure_field, on=on)
    return _csv(text, "population-counts.csv")


@router.post("/population-counts", status_code=201, response_model=PopulationCountOut, responses=_WRITE_ERRORS)
def create_population_count(body: PopulationCountIn, caller: AdminDep, session: SessionDep, request: Request) -> Any:
    """Add the dossiers an agency in the caller's scope handled in a period (one procedure field, or all of them
    when ``procedure_field`` is null). Periods of one agency and procedure field must not overlap. The count must
    be plausible (at most 10,000,000 a month, no fewer than the responses received, within 10× of the agency's
    usual count unless ``confirm_outlier``) and the ``reason`` is required."""
    fields = PopulationFields(**body.model_dump(exclude=COUNT_CHANGE))
    return counts.create_population_count(
        session,
        caller.scope,
        fields,
        reason=body.reason,
        confirm_outlier=body.confirm_outlier,
        client_ip=client_ip(request),
    )


@router.post("/population-counts/upload", response_model=UploadOut, responses=_UPLOAD_ERRORS)
def upload_population_counts(
    file: CsvFile,
    reason: ReasonForm,
    caller: AdminDep,
    session: SessionDep,
    request: Request,
    confirm_outlier: ConfirmForm = False,
) -> Any:
    """Create or update population counts from a CSV file, all rows or none. Header
    ``agency,period_start,period_end,dossiers_handled,procedure_field`` (``procedure_field`` may be empty or left
    out: all fields); a row with the agency, period_start and procedure field of a stored count updates it. Each
    row that changes a count is checked as ``POST /population-counts`` checks one; the form field ``reason`` is
    required.

    ``curl -F file=@counts.csv -F reason="…" -H "Authorization: Bearer $TOKEN" …/api/v1/population-counts/upload``"""
    summary = uploads.upload_population_counts(
        session,
        caller.scope,
        file.file.read(),
        reason=reason,
        confirm_outlier=confirm_outlier,
        filename=file.filename,
        client_ip=client_ip(request),
    )
    return UploadOut.model_validate(summary)


@router.get("/population-counts/{count_id}", response_model=PopulationCountOut, responses=_READ_ERRORS)
def get_population_count(count_id: RowId, caller: CallerDep, session: SessionDep) -> Any:
    return counts.get_population_count(session, caller.scope, count_id)


@router.put("/population-counts/{count_id}", response_model=PopulationCountOut, responses=_WRITE_ERRORS)
def replace_population_count(
    count_id: RowId, body: PopulationCountIn, caller: AdminDep, session: SessionDep, request: Request
) -> Any:
    """Replace every field of a population count (checked as ``POST`` checks a new one; the reason is required)."""
    return counts.update_population_count(
        session,
        caller.scope,
        count_id,
        body.model_dump(exclude=COUNT_CHANGE),
        reason=body.reason,
        confirm_outlier=body.confirm_outlier,
        client_ip=client_ip(request),
    )


@router.patch("/population-counts/{count_id}", response_model=PopulationCountOut, responses=_WRITE_ERRORS)
def change_population_count(
    count_id: RowId, body: PopulationCountPatch, caller: AdminDep, session: SessionDep, request: Request
) -> Any:
    """Change only the fields given (the result checked as ``POST`` checks a new count); ``reason`` is required."""
    given = _changes(body, nullable=frozenset({"procedure_field"}))
    changes = {name: value for name, value in given.items() if name not in COUNT_CHANGE}
    return counts.update_population_count(
        session,
        caller.scope,
        count_id,
        changes,
        reason=body.reason,
        confirm_outlier=body.confirm_outlier,
        client_ip=client_ip(request),
    )


@router.delete("/population-counts/{count_id}", status_code=204, response_class=Response, responses=_WRITE_ERRORS)
def delete_population_count(
    count_id: RowId, reason: ReasonQuery, caller: AdminDep, session: SessionDep, request: Request
) -> Response:
    """Remove a population count; ``?reason=`` is required (kept in the audit log with the count's values)."""
    counts.delete_population_count(session, caller.scope, count_id, reason=reason, client_ip=client_ip(request))
    return Response(status_code=204)
