"""The bodies of the dossier-link API (``/api/v1/dossier-links``): what one-stop software sends and gets back."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from app.forms.service import DEFAULT_DOSSIER_FORM


class DossierLinkRequest(BaseModel):
    dossier_code: str = Field(min_length=1, max_length=64, examples=["000.00.12.H26-261120-0001"])
    counter: str | None = Field(
        default=None,
        max_length=64,
        description="Counter code within the device's agency; default: the device's own counter",
    )
    form_id: str = Field(default=DEFAULT_DOSSIER_FORM, max_length=64, examples=["tt01-dossier"])
    days: int | None = Field(default=None, ge=1, le=366, description="Validity; default SIPAS_DOSSIER_LINK_DAYS")


class DossierLinkCreated(BaseModel):
    id: int = Field(description="For DELETE /api/v1/dossier-links/{id} (revocation)")
    url: str
    token: str
    expires_at: datetime


class DossierLinkRevoked(BaseModel):
    id: int
    revoked_at: datetime
    used: bool = Field(description="Answered before it was revoked (the answer is kept)")
