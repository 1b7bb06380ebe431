"""The request and response bodies of the directory API (:mod:`app.admin.router`): agencies, counters, kiosks,
officials and the audit log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from app.directory.models import AgencyLevel, Role

# Codes end up in URLs and poster file names (app/public/posters.py): letters, digits, '.', '-', '_'.
CODE_PATTERN = r"^\w[\w.-]*$"
Code = Annotated[str, Field(min_length=1, max_length=64, pattern=CODE_PATTERN)]
Name = Annotated[str, Field(min_length=1, max_length=255)]


# --- audit log --------------------------------------------------------------------------------------------


class AgencyOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "HN-X01",
                    "name_vi": "Xã Bát Tràng",
                    "name_en": "Bat Trang Commune",
                    "level": "commune",
                    "parent": "HN",
                    "depth": 1,
                    "active": True,
                    "created_at": "2026-01-05T02:00:00Z",
                }
            ]
        }
    )

    code: str
    name_vi: str
    name_en: str | None
    level: AgencyLevel
    parent: str | None = Field(description="Parent's code; null for the root(s) of what the caller sees")
    depth: int = Field(description="0 for the root(s) of what the caller sees, 1 below them, …")
    active: bool
    created_at: datetime


class AgencyIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "code": "HN-X02",
                    "name_vi": "Xã Đa Tốn",
                    "name_en": "Da Ton Commune",
                    "level": "commune",
                    "parent": "HN",
                }
            ]
        },
    )

    code: Code
    name_vi: Name
    name_en: Name | None = None
    level: AgencyLevel
    parent: str | None = Field(description="Parent's code; null creates a root (national administrators only)")


class AgencyPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"active": False}]})

    name_vi: Name | None = None
    name_en: Name | None = None
    active: bool | None = None


# --- audit log --------------------------------------------------------------------------------------------


class CounterOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "agency": "HN-X01",
                    "code": "Q01",
                    "name_vi": "Quầy số 1",
                    "name_en": "Counter 1",
                    "active": True,
                    "link_generation": 0,
                    "link_url": "http://127.0.0.1:8000/f/k1.ZHwxfDE3OTY…",
                    "poster_url": "/api/v1/agencies/HN-X01/counters/Q01/poster",
                    "created_at": "2026-01-05T02:00:00Z",
                }
            ]
        }
    )

    agency: str
    code: str
    name_vi: str
    name_en: str | None
    active: bool
    link_generation: int = Field(description="Bumped by revoke-links; codes printed before stop opening")
    link_url: str = Field(
        description="The standing link the counter's QR code carries (opens while the counter "
        "and its agency are active)"
    )
    poster_url: str = Field(description="This API's printable poster of the counter (needs a login)")
    created_at: datetime


class CounterIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "code": "Q02",
                    "name_vi": "Quầy số 2",
                    "name_en": "Counter 2",
                }
            ]
        },
    )

    code: Code
    name_vi: Name
    name_en: Name | None = None


class CounterPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"name_vi": "Quầy tiếp nhận số 1"}]})

    name_vi: Name | None = None
    name_en: Name | None = None
    active: bool | None = None


# --- audit log --------------------------------------------------------------------------------------------


DEVICE_EXAMPLE: dict[str, JsonValue] = {
    "id": "0b8f6c1e-2d4a-4c39-9a57-3f0e8d6b1c22",
    "label": "Kiosk quầy 1",
    "agency": "HN-X01",
    "counter": "Q01",
    "created_at": "2026-01-05T02:00:00Z",
    "revoked_at": None,
    "last_seen_at": "2026-01-06T01:59:30Z",
    "app_version": "1.4.2",
    "queue_length": 0,
    "held_back": 0,
}


class DeviceOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [DEVICE_EXAMPLE]})

    id: uuid.UUID = Field(description="The device's public id (the key is never shown again)")
    label: str | None
    agency: str
    counter: str | None
    created_at: datetime
    revoked_at: datetime | None
    last_seen_at: datetime | None = Field(description="Last heartbeat")
    app_version: str | None = Field(description="As last reported by the heartbeat")
    queue_length: int | None = Field(description="Answers waiting on the device, as last reported")
    held_back: int | None = Field(description="Answers the device keeps aside after a refusal, as last reported")


class DeviceCreated(DeviceOut):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **DEVICE_EXAMPLE,
                    "last_seen_at": None,
                    "app_version": None,
                    "queue_length": None,
                    "held_back": None,
                    "key": "kZ3v9wQ…",
                }
            ]
        }
    )

    key: str = Field(description="The device key, shown this once: the kiosk sends 'Authorization: Bearer <key>'")


class DeviceIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "agency": "HN-X01",
                    "counter": "Q01",
                    "label": "Kiosk quầy 1",
                }
            ]
        },
    )

    agency: str = Field(description="Code of a visible agency")
    counter: str | None = Field(default=None, description="Code of one of that agency's counters")
    label: str | None = Field(default=None, max_length=255)


# --- audit log --------------------------------------------------------------------------------------------


class OfficialOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "username": "lan.nguyen",
                    "display_name": "Nguyễn Thị Lan",
                    "role": "agency_official",
                    "agency": "HN-X01",
                    "active": True,
                    "locked_until": None,
                    "created_at": "2026-01-05T02:00:00Z",
                }
            ]
        }
    )

    username: str
    display_name: str | None
    role: Role
    agency: str | None = Field(description="Root of the official's scope; null for national officials")
    active: bool
    locked_until: datetime | None = Field(description="Set after repeated wrong passwords")
    created_at: datetime


class OfficialIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "username": "lan.nguyen",
                    "password": "a long passphrase",
                    "role": "agency_official",
                    "agency": "HN-X01",
                    "display_name": "Nguyễn Thị Lan",
                }
            ]
        },
    )

    username: str = Field(max_length=64, description="1 to 64 characters, no spaces")
    password: str = Field(max_length=1024, description="At least 10 characters")
    role: Role
    agency: str | None = Field(description="Code of a visible agency; null for (and only for) national officials")
    display_name: str | None = Field(default=None, max_length=255)


class OfficialPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"password": "a new passphrase"}]})

    active: bool | None = None
    display_name: str | None = Field(default=None, max_length=255)
    password: str | None = Field(default=None, max_length=1024, description="A new password (closes all sessions)")


# --- audit log --------------------------------------------------------------------------------------------


class AuditEventOut(BaseModel):
    id: int
    at: datetime
    actor: str = Field(description="Username of the official, or e.g. 'cli'")
    action: str
    object_type: str | None
    object_id: str | None
    details: dict[str, Any] | None
    client_ip: str | None


class AuditPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "events": [
                        {
                            "id": 812,
                            "at": "2026-01-06T03:12:44Z",
                            "actor": "an",
                            "action": "device.revoke",
                            "object_type": "device",
                            "object_id": "17",
                            "details": {"agency": "HN-X01", "label": "Kiosk quầy 1"},
                            "client_ip": "10.0.4.21",
                        }
                    ],
                    "next_before": None,
                }
            ]
        }
    )

    events: list[AuditEventOut]
    next_before: int | None = Field(description="Pass as ?before= for the next (older) page; null on the last")
