"""Login sessions of officials. Only a SHA-256 of each token is stored: a token is 256 random bits, so the hash
is enough and a stolen database holds no usable token."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime, text_enum, utcnow
from app.directory.models import Official


class SessionKind(StrEnum):
    api = "api"  # OAuth2 password flow: Authorization: Bearer <token>
    browser = "browser"  # the dashboard: HttpOnly cookie + CSRF token


class OfficialSession(Base):
    __tablename__ = "official_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id", ondelete="CASCADE"), index=True)
    kind: Mapped[SessionKind] = mapped_column(text_enum(SessionKind, "official_session_kind"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    client_ip: Mapped[str | None] = mapped_column(String(64))

    official: Mapped[Official] = relationship()
