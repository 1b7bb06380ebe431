"""One error family for the whole service: each error carries its HTTP status and a message that says what is
wrong and where. The API renders them as ``{"error": {"code", "message", "details"}}``; the CLI prints the
message and exits non-zero. How error answers appear in the OpenAPI is in :mod:`app.error_responses` (pydantic
models: this module stays free of them, so that ``sipas stats`` starts without pydantic)."""

from __future__ import annotations

from typing import Any

# The largest number an Integer column (ids, counts) holds on PostgreSQL; SQLite's limit is 2**63 - 1. Numbers
# from requests that end up in a query or a row are bounded by it, so a huge one is a 422 naming the field, not a
# database error.
DB_INT_MAX = 2**31 - 1


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
