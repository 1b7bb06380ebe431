"""The request and response bodies of the directory API (:mod:`app.admin.router`): agencies, counters, kiosks,
officials and the audit log."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, JsonValue, model_validator
from pydantic_core import PydanticCustomError

from app.directory import service as directory
from app.directory.models import AgencyLevel, Role

# Codes end up in URLs and poster file names (app/public/posters.py): letters, digits, '.', '-', '_'.
CODE_PATTERN = r"^\w[\w.-]*$"
Code = Annotated[str, Field(min_length=1, max_length=64, pattern=CODE_PATTERN)]
Name = Annotated[str, Field(min_length=1, max_length=255)]


# --- agencies ---------------------------------------------------------------------------------------------


def _checked(clean: Callable[[str | None], str | None]) -> AfterValidator:
    """One of the directory's checks of what an agency offers as a validator: surrounding spaces go, an empty text
    is null (it clears the value), and the 422 names the field with the check's own words."""

    def check(value: str | None) -> str | None:
        try:
            return clean(value)
        except ValueError as exc:
            raise PydanticCustomError("value_error", "{reason}", {"reason": str(exc)}) from None

    return AfterValidator(check)


Hotline = Annotated[
    str | None,
    Field(
        max_length=directory.HOTLINE_MAX_CHARS,
        description="A phone number to dial: 3 to 20 digits with spaces, dots, '-', parentheses, a leading '+'",
        examples=["1900 1234"],
    ),
    _checked(directory.clean_hotline),
]
ComplaintUrl = Annotated[
    str | None,
    Field(
        max_length=directory.COMPLAINT_URL_MAX_CHARS,
        description="An absolute https:// (or http://) address without user name or password",
        examples=["https://dichvucong.gov.vn/p/home/dvc-phan-anh-kien-nghi.html"],
    ),
    _checked(directory.clean_complaint_url),
]
OpeningHoursText = Annotated[
    str | None,
    Field(max_length=directory.OPENING_HOURS_MAX_CHARS, description="One line of plain text"),
    _checked(directory.clean_opening_hours),
]
OFFER_DESCRIPTIONS = {
    "hotline": "Shown on the thank-you page as a number to call; null: the nearest ancestor's",
    "complaint_url": "Where citizens complain (the thank-you page's 'Phản ánh, kiến nghị'); null: the nearest "
    "ancestor's, else SIPAS_DEFAULT_COMPLAINT_URL (the national public-service portal)",
    "opening_hours": "Shown on the thank-you page; null: the nearest ancestor's",
}


class OpeningHours(BaseModel):
    """The opening hours in Vietnamese and, optionally, English (the English page shows the Vietnamese text when
    there is none)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"vi": "Thứ Hai – Thứ Sáu: 7:30–17:00"}]})

    vi: OpeningHoursText = None
    en: OpeningHoursText = None

    @model_validator(mode="after")
    def _vietnamese_first(self) -> OpeningHours:
        if self.en is not None and self.vi is None:
            raise PydanticCustomError(
                "value_error", "vi is required when en is given (Vietnamese is what the page shows first)"
            )
        return self


class OpeningHoursOut(BaseModel):
    """An agency's opening hours as stored: not checked again, so whatever is stored always reads back."""

    vi: str | None
    en: str | None


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
                    "hotline": None,
                    "complaint_url": None,
                    "opening_hours": {"vi": "Thứ Hai – Thứ Bảy: 7:00–11:30, 13:00–17:00", "en": None},
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
    hotline: str | None = Field(description="The agency's own. " + OFFER_DESCRIPTIONS["hotline"])
    complaint_url: str | None = Field(description="The agency's own. " + OFFER_DESCRIPTIONS["complaint_url"])
    opening_hours: OpeningHoursOut | None = Field(
        description="The agency's own. " + OFFER_DESCRIPTIONS["opening_hours"]
    )
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
                    "opening_hours": {
                        "vi": "Thứ Hai – Thứ Bảy: 7:00–11:30, 13:00–17:00",
                        "en": "Monday to Saturday 7:00–11:30 and 13:00–17:00",
                    },
                }
            ]
        },
    )

    code: Code
    name_vi: Name
    name_en: Name | None = None
    level: AgencyLevel
    parent: str | None = Field(description="Parent's code; null creates a root (national administrators only)")
    hotline: Hotline = Field(default=None, description=OFFER_DESCRIPTIONS["hotline"])
    complaint_url: ComplaintUrl = Field(default=None, description=OFFER_DESCRIPTIONS["complaint_url"])
    opening_hours: OpeningHours | None = Field(default=None, description=OFFER_DESCRIPTIONS["opening_hours"])


class AgencyPatch(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"active": False}, {"hotline": "1900 1234", "opening_hours": None}]},
    )

    name_vi: Name | None = None
    name_en: Name | None = None
    active: bool | None = None
    hotline: Hotline = Field(default=None, description="null or empty clears it. " + OFFER_DESCRIPTIONS["hotline"])
    complaint_url: ComplaintUrl = Field(
        default=None, description="null or empty clears it. " + OFFER_DESCRIPTIONS["complaint_url"]
    )
    opening_hours: OpeningHours | None = Field(
        default=None, description="Replaces both languages; null clears them. " + OFFER_DESCRIPTIONS["opening_hours"]
    )


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
                    "short_code": "7KX2M9",
                    "short_url": "http://127.0.0.1:8000/q/7KX2M9",
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
    short_code: str | None = Field(
        description="The code a citizen can type instead of scanning (6 symbols of Crockford's base32, printed under "
        "the QR code); revoke-links replaces it. Null only for a counter bulk-loaded without one, until its first "
        "poster or QR file is made"
    )
    short_url: str | None = Field(description="The address the short code opens: {public base URL}/q/{short_code}")
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
