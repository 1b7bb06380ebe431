"""How error answers appear in the OpenAPI: the body every error has (``{"error": {"code", "message", "details"}}``,
built by :func:`app.errors.error_body`) as pydantic models, and the responses routes document beside their own."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


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
