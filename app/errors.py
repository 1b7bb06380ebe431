"""One error family for the whole service: each error carries its HTTP status and a message that says what is
wrong and where. The API renders them as ``{"error": {"code", "message", "details"}}``; the CLI prints the
message and exits non-zero."""

from __future__ import annotations

from typing import Any


class SipasError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return {"error": body}


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
