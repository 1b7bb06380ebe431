"""``/api/v1/targets`` and ``/api/v1/population-counts``: reference data for reports (admins write, officials read)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1", tags=["targets and population counts"])
