"""One error family for the whole service: each error carries its HTTP status and a message that says what is
wrong and where. The API renders them as ``{"error": {"code", "message", "details"}}``; the CLI prints the
message and exits non-zero."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

# The largest number an Integer column (ids, counts) holds on PostgreSQL; SQLite's limit is 2**63 - 1. Numbers
# from requests that end up in a query or a row are bounded by it, so a huge one is a 422 naming the field, not a
# database error.
DB_INT_MAX = 2**31 - 1


class ErrorBody(BaseModel):
    code: str = Field(examples=["invalid"])
    message: str = Field(description="What is wrong and where (a JSON pointer such as /answers/overall)")
    details: Any = Field(None, description="Every problem, when there are several (pointers, lines, columns)")


class ErrorOut(BaseModel):
    """The body of every error answer: ``{"error": {"code", "message", "details"}}``."""

    error: ErrorBody


# What the app's RequestValidationError handler answers instead of FastAPI's {"detail": [...]}; given to FastAPI as
# the application's default responses, it replaces the HTTPValidationError schema in the OpenAPI.
VALIDATION_ERROR: dict[int | str, dict[str, Any]] = {
    422: {"description": "Invalid request: the message names the field", "model": ErrorOut},
}

# Any route: when the worker already has its most requests in flight (app/limits.py InFlightLimit), or the
# database went away mid-request.
BUSY: dict[int | str, dict[str, Any]] = {
    503: {
        "description": "The server is busy, or its database is unavailable: retry after Retry-After seconds",
        "model": ErrorOut,
    },
}

# Any route with a body: one that arrives slower than SIPAS_MIN_BODY_BYTES_PER_SECOND (app/limits.py RequestBody).
SLOW_BODY: dict[int | str, dict[str, Any]] = {
    408: {"description": "The request body arrived too slowly; send it again", "model": ErrorOut},
}

# For routes that answer HTML: their errors are still JSON, but FastAPI would document an error model under the
# route's own media type (text/html).
INVALID_ON_HTML: dict[int | str, dict[str, Any]] = {
    422: {"description": "Invalid request: the message names the field", "content": {"application/json": {}}},
}

# FastAPI answers 400 before any route code runs when it cannot read a body at all (bytes that are not UTF-8 where
# JSON is expected, a broken multipart upload); the routes that take a body document it.
BAD_BODY: dict[int | str, dict[str, Any]] = {
    400: {"description": "The body could not be read: not UTF-8 text, or a broken multipart upload"},
}


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """The body of every error answer, from a route, an exception handler or a middleware:
    ``{"error": {"code", "message"[, "details"]}}``."""
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return {"error": error}


class DefinitionError(Exception):
    """A file the service is set up from is wrong (a form definition); the message names the file and the place.
    Not an HTTP error: commands print it as one line, the server refuses to start."""


class SipasError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        return error_body(self.code, self.message, self.details)


class NotFound(SipasError):
    status_code = 404
    code = "not_found"


class Conflict(SipasError):
    status_code = 409
    code = "conflict"


class Invalid(SipasError):
    status_code = 422
    code = "invalid"


class Unauthorized(SipasError):
    status_code = 401
    code = "unauthorized"


class Forbidden(SipasError):
    status_code = 403
    code = "forbidden"


class TooLarge(SipasError):
    status_code = 413
    code = "too_large"


class UnsupportedMediaType(SipasError):
    status_code = 415
    code = "unsupported_media_type"


class TooManyRequests(SipasError):
    status_code = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after_seconds: float) -> None:
        super().__init__(message, details={"retry_after_seconds": round(retry_after_seconds, 1)})
        self.headers = {"Retry-After": str(int(retry_after_seconds) + 1)}


class Unavailable(SipasError):
    status_code = 503
    code = "unavailable"
