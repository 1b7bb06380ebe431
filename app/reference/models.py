"""Reference data for reports: targets (thresholds to meet) and population counts (the basis of weights)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, utcnow


class Target(Base):
    """A threshold for an indicator ("sipas", "service", "element:access", "item:overall", …) that applies to
    an agency (and, when ``applies_to_subtree``, to every agency below it) over a period."""

    __tablename__ = "targets"
    __table_args__ = (
        UniqueConstraint("agency_id", "indicator", "period_start"),
        CheckConstraint("threshold_pct >= 0 AND threshold_pct <= 100", name="threshold_range"),
        CheckConstraint("period_end >= period_start", name="period_order"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"), index=True)
    indicator: Mapped[str] = mapped_column(String(64))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    threshold_pct: Mapped[float] = mapped_column(Numeric(5, 2, asdecimal=False))
    applies_to_subtree: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PopulationCount(Base):
    """How many dossiers an agency handled in a period (optionally per procedure field): the N_h of the
    weight N_h / n_h given to each of the n_h responses the agency received in that period."""

    __tablename__ = "population_counts"
    __table_args__ = (
        UniqueConstraint("agency_id", "period_start", "procedure_field_id"),
        # NULLs are distinct in the constraint above: counts for all fields need their own unique index.
        Index(
            "uq_population_counts_all_fields",
            "agency_id",
            "period_start",
            unique=True,
            sqlite_where=text("procedure_field_id IS NULL"),
            postgresql_where=text("procedure_field_id IS NULL"),
        ),
        CheckConstraint("dossiers_handled >= 0", name="dossiers_nonnegative"),
        CheckConstraint("period_end >= period_start", name="period_order"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"), index=True)
    procedure_field_id: Mapped[int | None] = mapped_column(ForeignKey("procedure_fields.id", ondelete="CASCADE"))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    dossiers_handled: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
