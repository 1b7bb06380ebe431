"""Device authentication: `Authorization: Bearer <key>` identifies a kiosk, tablet or one-stop software
integration; its agency and counter come from the device record, never from the request body."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.deps import SessionDep
from app.directory.models import Device
from app.directory.service import find_device
from app.errors import Unauthorized

bearer = HTTPBearer(auto_error=False, description="The device key printed by `sipas kiosk create`")


def current_device(
    session: SessionDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Device:
    if credentials is None:
        raise Unauthorized("missing device key: send 'Authorization: Bearer <key>'")
    device = find_device(session, credentials.credentials)
    if device is None:
        raise Unauthorized("unknown or revoked device key")
    return device


DeviceDep = Annotated[Device, Depends(current_device)]
