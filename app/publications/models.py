"""A publication: a period's figures for an agency's subtree, frozen when an administrator publishes them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, utcnow


class Publication(Base):
    """Immutable once written: ``content`` holds everything a published number depends on (the figures, the
    method, the design and weighting with the population counts used, the forms, the data cut-off, the code version)
    and ``content_hash`` is the SHA-256 of its canonical JSON. A later publication may supersede it (with a reason):
    the ``superseded_*`` columns are the only ones the service ever sets after the insert, once, and it never deletes
    one (``app/publications/service.py``; the API has no route that could). Someone with the database itself can
    still change a row: ``sipas publication verify`` then finds the stored document no longer matches its hash."""

    __tablename__ = "publications"
    __table_args__ = (CheckConstraint("period_end >= period_start", name="period_order"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The root of the published subtree; None: the whole country (a national official's publication).
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id", ondelete="RESTRICT"), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by: Mapped[str] = mapped_column(String(64))
    # Shown on the public results page (/ket-qua) and in its open-data downloads: the agency chose to publish it.
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    # The newest received_at among the subtree's responses (of any period) when it was published (None: none yet).
    data_cutoff: Mapped[datetime | None] = mapped_column(UTCDateTime)
    code_version: Mapped[str] = mapped_column(String(64))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("publications.id", ondelete="RESTRICT"))
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    superseded_reason: Mapped[str | None] = mapped_column(String(500))
