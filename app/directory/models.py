"""Who serves and who reads: agencies (a tree of any depth), counters, procedure fields, devices, officials."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime, text_enum, utcnow


class AgencyLevel(StrEnum):
    ministry = "ministry"
    province = "province"
    department = "department"
    commune = "commune"
    other = "other"


class Role(StrEnum):
    national = "national"
    province_admin = "province_admin"
    agency_official = "agency_official"


class Agency(Base):
    """An administrative agency. ``path`` is the materialised chain of ids ("/1/7/42/") so that a whole
    subtree is one indexed prefix match on either database, whatever the depth of the hierarchy."""

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_vi: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str | None] = mapped_column(String(255))
    level: Mapped[AgencyLevel] = mapped_column(text_enum(AgencyLevel, "agency_level"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id", ondelete="RESTRICT"), index=True)
    path: Mapped[str] = mapped_column(String(1024), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What the thank-you page offers a citizen next; a unit without its own inherits its nearest ancestor's.
    hotline: Mapped[str | None] = mapped_column(String(40))
    complaint_url: Mapped[str | None] = mapped_column(String(500))
    opening_hours_vi: Mapped[str | None] = mapped_column(String(255))
    opening_hours_en: Mapped[str | None] = mapped_column(String(255))

    parent: Mapped[Agency | None] = relationship(remote_side=[id])
    counters: Mapped[list[Counter]] = relationship(back_populates="agency")


class Counter(Base):
    """A service point (quầy) of an agency: where QR codes stand and kiosks sit."""

    __tablename__ = "counters"
    __table_args__ = (UniqueConstraint("agency_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="RESTRICT"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name_vi: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Part of every QR link of the counter: bumping it revokes all links printed so far.
    link_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The code a citizen can type (/q/7KX2M9, Crockford base32); a new one replaces it when the links are revoked.
    short_code: Mapped[str | None] = mapped_column(String(16), unique=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    agency: Mapped[Agency] = relationship(back_populates="counters")


class ProcedureField(Base):
    """A field of administrative procedures (lĩnh vực thủ tục), e.g. land, civil status, business."""

    __tablename__ = "procedure_fields"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_vi: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str | None] = mapped_column(String(255))


class Device(Base):
    """A kiosk or tablet. Only a SHA-256 of its key is kept: the key is 256 random bits, so a slow password
    hash adds nothing but latency on every request; ``key_prefix`` finds the row without scanning."""

    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(unique=True, default=uuid.uuid4)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="RESTRICT"), index=True)
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("counters.id", ondelete="RESTRICT"), index=True)
    label: Mapped[str | None] = mapped_column(String(255))
    key_prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    app_version: Mapped[str | None] = mapped_column(String(64))
    queue_length: Mapped[int | None] = mapped_column(Integer)
    # Answers the kiosk keeps aside because the server refused them (conflict or invalid), as last reported.
    held_back: Mapped[int | None] = mapped_column(Integer)

    agency: Mapped[Agency] = relationship()
    counter: Mapped[Counter | None] = relationship()


class Official(Base):
    """A person who reads (and, for admins, manages) the figures of an agency subtree."""

    __tablename__ = "officials"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(text_enum(Role, "official_role"))
    # The root of the official's scope; None only for the national role (everything).
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id", ondelete="RESTRICT"), index=True)
    display_name: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    agency: Mapped[Agency | None] = relationship()
