"""Responses and their answers.

Answers are stored long: one row per (response, item) with typed value columns, plus ``satisfied`` (1/0)
decided at ingestion from the form version the respondent answered. Reports then aggregate any item, element,
agency or period with a plain ``GROUP BY`` over indexed integer columns, on SQLite and PostgreSQL alike, without
reading responses into Python, and a new form version never needs a schema change.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime, text_enum, utcnow

# SQLite only makes INTEGER PRIMARY KEY an alias of the rowid (auto-increment); BIGINT elsewhere.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Channel(StrEnum):
    web_qr = "web_qr"
    kiosk = "kiosk"
    import_ = "import"
    interview = "interview"


class StoredSubmission(Base):
    """Every submission id stored, once, with the id of its response: the identity of a response, whatever month it
    is stored in. A writer claims the submission id here first (``INSERT … ON CONFLICT (submission_id) DO NOTHING``):
    what it gets back is new and is stored, what it does not is a replay or a conflict (``app/responses/storage.py``).

    A table of its own because on PostgreSQL ``responses`` and ``answers`` are partitioned by month
    (``app/partitions.py``), and a partitioned table's unique keys must include the month: a submission id unique
    only within its month would let a replay dated in another month be stored twice. So this narrow table holds the
    one unique key and the id every other table refers to (answers, dossier links, moderation)."""

    __tablename__ = "submissions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Made by the client; the permanent identity of a response (replays are recognised by it).
    submission_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    # The month its response is stored under (``responses.local_month``): where to find it among the partitions.
    local_month: Mapped[int] = mapped_column(Integer)


class Response(Base):
    """A response. On PostgreSQL the table is partitioned by ``local_month`` (``app/partitions.py``), so its
    primary key there is (id, local_month); the id alone is unique all the same, since it is ``submissions.id``."""

    __tablename__ = "responses"
    __table_args__ = (
        # On PostgreSQL it also carries what a figure's tally groups by (app/reports/tally.py), so that a province's
        # tally is an index-only scan of its own entries instead of a scan of the whole table.
        Index(
            "ix_responses_agency_id_local_date",
            "agency_id",
            "local_date",
            postgresql_include=[
                "local_month",
                "procedure_field_id",
                "form_version_id",
                "channel",
                "is_suspected_spam",
                "is_test",
            ],
        ),
        Index("ix_responses_form_version_id_local_date", "form_version_id", "local_date"),
        # The kiosk's own recent answers (button-mashing check) without reading its whole history.
        Index("ix_responses_device_id_submitted_at", "device_id", "submitted_at"),
        # The tail the summary has not yet folded in (app/responses/summary.py): small, read by every figure.
        Index(
            "ix_responses_not_summarized",
            "id",
            postgresql_where=text("NOT summarized"),
            sqlite_where=text("NOT summarized"),
        ),
    )

    # The id its submission id was given in ``submissions`` (claimed there first, in the same transaction).
    id: Mapped[int] = mapped_column(
        BigId, ForeignKey("submissions.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    # Made by the client (unique through ``submissions``, which is where it is looked up).
    submission_id: Mapped[uuid.UUID] = mapped_column()
    form_version_id: Mapped[int] = mapped_column(ForeignKey("form_versions.id", ondelete="RESTRICT"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="RESTRICT"))
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("counters.id", ondelete="RESTRICT"), index=True)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id", ondelete="RESTRICT"))
    procedure_field_id: Mapped[int | None] = mapped_column(
        ForeignKey("procedure_fields.id", ondelete="RESTRICT"), index=True
    )
    channel: Mapped[Channel] = mapped_column(text_enum(Channel, "response_channel"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The day (and month, as YYYYMM) of submission in the service's reporting time zone, fixed at ingestion,
    # so periods group identically on every database without time-zone functions.
    local_date: Mapped[date] = mapped_column(Date)
    local_month: Mapped[int] = mapped_column(Integer, index=True)

    # Survey design: weight (None = 1, or derived later from population counts), stratum and cluster labels.
    weight: Mapped[float | None] = mapped_column(Float)
    stratum: Mapped[str | None] = mapped_column(String(128))
    cluster: Mapped[str | None] = mapped_column(String(128))

    # Flagged responses are kept (never deleted) and left out of statistics.
    is_suspected_spam: Mapped[bool] = mapped_column(Boolean, default=False)
    is_test: Mapped[bool] = mapped_column(Boolean, default=False)
    flag_reason: Mapped[str | None] = mapped_column(String(255))
    # An administrator's review of a flag: None while pending, "confirmed" (stays out of the figures) or "released"
    # (counted again; ``is_suspected_spam`` is then false). Who and when, for the audit trail.
    flag_review: Mapped[str | None] = mapped_column(String(16))
    flag_reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    flag_reviewed_by: Mapped[str | None] = mapped_column(String(64))
    # Whether the summary of sufficient statistics (``ResponseSum``) holds this response: false when stored (every
    # writer leaves it to the server default), true once folded in; set back to false when a flag of its cell changes.
    summarized: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    # Optional respondent profile (SIPAS questionnaire bands); never identity data.
    sex: Mapped[str | None] = mapped_column(String(16))
    age_band: Mapped[str | None] = mapped_column(String(16))
    ethnicity: Mapped[str | None] = mapped_column(String(32))
    education: Mapped[str | None] = mapped_column(String(32))
    occupation: Mapped[str | None] = mapped_column(String(32))
    residence: Mapped[str | None] = mapped_column(String(16))

    # HMAC-SHA256 of the dossier code under the service's dossier key: links a response to a dossier for
    # de-duplication without storing the code itself.
    dossier_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    # HMAC-SHA256 (keyed with the dossier key, app.responses.service.content_hash) of the canonical submitted
    # content: tells an identical replay from a conflicting one, and gives no dossier code back.
    content_hash: Mapped[str] = mapped_column(String(64))

    identity: Mapped[StoredSubmission] = relationship()
    answers: Mapped[list[Answer]] = relationship(
        primaryjoin="Response.id == foreign(Answer.response_id)",
        back_populates="response",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


# What identifies a response row on every database: on PostgreSQL the partitioned table's primary key carries the
# month, and a query that groups by a response and reads its other columns must name both (functional dependency).
RESPONSE_KEY = (Response.id, Response.local_month)


class Answer(Base):
    """An answer. Partitioned by month on PostgreSQL like ``responses`` (primary key there (response_id, item_code,
    local_month)); its key refers to ``submissions``, which holds the one id of every response."""

    __tablename__ = "answers"
    __table_args__ = (Index("ix_answers_item_code_response_id", "item_code", "response_id"),)

    response_id: Mapped[int] = mapped_column(BigId, ForeignKey("submissions.id", ondelete="CASCADE"), primary_key=True)
    item_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Its response's month (``responses.local_month``), copied: the key the partitions are made by.
    local_month: Mapped[int] = mapped_column(Integer)
    # Scale and rating levels, and numeric answers.
    value_int: Mapped[int | None] = mapped_column(SmallInteger)
    # Single-choice option code or free text.
    value_text: Mapped[str | None] = mapped_column(Text)
    # Multiple choice: the list of option codes.
    value_json: Mapped[list[Any] | None] = mapped_column(JSON(none_as_null=True))
    # 1 when the level counts as satisfied for this item in this form version, 0 when not; None when the item is
    # not a satisfaction item.
    satisfied: Mapped[int | None] = mapped_column(SmallInteger)

    response: Mapped[Response] = relationship(
        primaryjoin="Response.id == foreign(Answer.response_id)", back_populates="answers"
    )


class DossierLink(Base):
    """A single-use link bound to one dossier, minted by the one-stop software and printed on its receipt; the
    answer it opens uses it up (:func:`app.responses.ingest.store`)."""

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
    response_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("submissions.id", ondelete="SET NULL"))
    # Revoked by an official or by the counter's deactivation: the link opens an explanation, never the form.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CommentModeration(Base):
    """An administrator's moderation of a response's comment (abusive text): ``hidden`` keeps it out of the comments
    feed and its export; the comment itself (the answer row) is never changed or deleted, and showing it again sets
    ``hidden`` back. The latest decision only (who, when, why): every decision is also in the audit log.

    A table of its own rather than columns on ``responses``: the ingestion writers name every column of
    ``responses`` they fill (``app/responses/storage.py``), and a moderation is not part of an answer — almost no
    response ever has a row here."""

    __tablename__ = "comment_moderation"

    response_id: Mapped[int] = mapped_column(BigId, ForeignKey("submissions.id", ondelete="CASCADE"), primary_key=True)
    hidden: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(String(500))
    changed_by: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# What one row of the summary counts: its cell, form version, channel, procedure field, flags and answer pattern.
SUM_KEYS = (
    "agency_id",
    "local_month",
    "week",
    "counter_id",
    "form_version_id",
    "channel",
    "procedure_field_id",
    "is_suspected_spam",
    "is_test",
    "pattern0",
    "pattern1",
)


class ResponseSum(Base):
    """Sufficient statistics of live responses (QR code, kiosk, interview), kept as they arrive
    (``app/responses/summary.py``): how many responses of one cell — agency × month × week of the month × counter —
    share a form version, channel, procedure field, flags and answer pattern, with their Σw and newest date.
    Every figure of the live design needs only these (strata are agency × month, PSUs counter × week), so reports
    read them instead of every answer; ``responses``/``answers`` stay the truth and ``sipas summary check`` compares.

    ``counter_id`` and ``procedure_field_id`` hold 0 for none (a unique key treats NULLs as distinct); readers see
    ``NULLIF(…, 0)``. ``pattern0``/``pattern1``: base-3 digits per satisfaction item of the form version, in the order
    ``SummaryPlace`` gives (0 unanswered, 1 not satisfied, 2 satisfied), 30 items per column."""

    __tablename__ = "response_sums"
    __table_args__ = (Index("uq_response_sums_cell", *SUM_KEYS, unique=True),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    agency_id: Mapped[int] = mapped_column(Integer)
    local_month: Mapped[int] = mapped_column(Integer)
    week: Mapped[int] = mapped_column(SmallInteger)  # 0 for days 1–7, … 4 for 29–31
    counter_id: Mapped[int] = mapped_column(Integer)
    form_version_id: Mapped[int] = mapped_column(Integer)
    channel: Mapped[Channel] = mapped_column(text_enum(Channel, "response_sum_channel"))
    procedure_field_id: Mapped[int] = mapped_column(Integer)
    is_suspected_spam: Mapped[bool] = mapped_column(Boolean)
    is_test: Mapped[bool] = mapped_column(Boolean)
    pattern0: Mapped[int] = mapped_column(BigInteger)
    pattern1: Mapped[int] = mapped_column(BigInteger)
    respondents: Mapped[int] = mapped_column(Integer)
    weight_sum: Mapped[float] = mapped_column(Float)
    last_date: Mapped[date] = mapped_column(Date)


class SummaryPlace(Base):
    """Where each satisfaction item of a form version sits in ``ResponseSum``'s patterns: its column (``chunk``) and
    its place value 3^position. Written by the summary's refresh for every version it meets."""

    __tablename__ = "summary_places"

    form_version_id: Mapped[int] = mapped_column(ForeignKey("form_versions.id", ondelete="CASCADE"), primary_key=True)
    item_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    chunk: Mapped[int] = mapped_column(SmallInteger)
    place: Mapped[int] = mapped_column(BigInteger)
