"""``/api/v1/agencies``, ``/counters``, ``/devices``, ``/officials``, ``/audit``: management for admins."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1", tags=["management"])
