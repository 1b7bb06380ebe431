"""Single-use links bound to one dossier, minted by the one-stop software and printed on its receipt."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, utcnow
from app.responses.models import BigId


class DossierLink(Base):
    __tablename__ = "dossier_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form_id: Mapped[str] = mapped_column(ForeignKey("forms.id", ondelete="RESTRICT"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="RESTRICT"), index=True)
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("counters.id", ondelete="RESTRICT"))
    # The dossier code only as a keyed hash (as on responses).
    dossier_hash: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set in the same transaction that stores the answer: a second use finds it set and stores nothing.
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("responses.id", ondelete="SET NULL"))
    # Revoked by an official or by the counter's deactivation: the link opens an explanation, never the form.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
