"""API for one-stop software: mint a single-use feedback link for a dossier, to print on its receipt."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.deps import FormsDep, SessionDep, SettingsDep
from app.directory.service import get_counter
from app.errors import BAD_BODY, Invalid, NotFound
from app.kiosk.auth import DeviceDep
from app.public import links

router = APIRouter(prefix="/api/v1", tags=["links"])


class DossierLinkRequest(BaseModel):
    dossier_code: str = Field(min_length=1, max_length=64, examples=["000.00.12.H26-261120-0001"])
    counter: str | None = Field(
        default=None, description="Counter code within the device's agency; default: the device's own counter"
    )
    form_id: str = Field(default=links.DEFAULT_DOSSIER_FORM, examples=["tt01-dossier"])
    days: int | None = Field(default=None, ge=1, le=366, description="Validity; default SIPAS_DOSSIER_LINK_DAYS")


class DossierLinkCreated(BaseModel):
    url: str
    token: str
    expires_at: datetime


@router.post(
    "/dossier-links",
    status_code=201,
    response_model=DossierLinkCreated,
    summary="Mint a single-use feedback link for one dossier",
    responses={
        **BAD_BODY,
        401: {"description": "Missing or revoked device key"},
        422: {"description": "Invalid request"},
    },
)
def create_dossier_link(
    body: DossierLinkRequest, device: DeviceDep, session: SessionDep, settings: SettingsDep, forms: FormsDep
) -> DossierLinkCreated:
    """The link opens the form for this dossier once; a second use shows "already answered" and stores nothing.
    Only the keyed hash of the dossier code is stored."""
    try:
        counter = get_counter(session, device.agency, body.counter) if body.counter else device.counter
    except NotFound as exc:
        raise Invalid(f"/counter: {exc.message}") from None
    link, token = links.mint_dossier_link(
        session, settings, forms, agency=device.agency, counter=counter, dossier_code=body.dossier_code,
        form_id=body.form_id, days=body.days, actor=f"device:{device.key_prefix}",
    )  # fmt: skip
    session.commit()
    return DossierLinkCreated(url=links.link_url(settings, token), token=token, expires_at=link.expires_at)
