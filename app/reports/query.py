"""What every figure answer says of how it was made (``Meta``): the source, the design, the weighting, what was
left out and what no interval covers. What an official asks about (``Filters``) is :mod:`app.responses.selection`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.responses.selection import Source

LIVE_DESIGN = (
    "strata: agency × month; PSUs: counter × week of the month; weights N/n per agency period when weighted; "
    "channel and procedure-field filters are domains"
)
IMPORTED_DESIGN = (
    "the design each survey file was imported with: its weights (1 when none), strata (within each agency; the "
    "agency when none) and clusters (each response its own PSU when none); a stratum with one PSU is centred on the "
    "grand mean"
)
# What no interval can cover, said beside every figure (the answer's meta, the dashboard, every export).
COVERAGE = {
    "vi": "Khoảng tin cậy chỉ tính sai số chọn mẫu theo thiết kế đã nêu, không tính đến việc ai chọn trả lời: người "
    "quét mã QR hay dùng kiosk có thể hài lòng hơn hoặc kém hơn những người không trả lời.",
    "en": "The interval covers sampling error under the stated design only, not who chooses to answer: people who "
    "scan a QR code or use a kiosk may be more or less satisfied than those who do not answer.",
}


@dataclass(frozen=True)
class Meta:
    form: str  # "id@version" whose definitions give the indices
    date_from: date | None
    date_to: date | None
    agency: str | None
    weighted: bool
    method: str
    level: float
    responses: int  # in the selection, not flagged
    excluded_suspected_spam: int
    excluded_test: int
    responses_without_population_count: int  # weighted only: given the overall ΣN/Σn
    last_response_date: date | None  # the newest local date in the selection: targets in force then judge it
    source: Source = "live"
    design: str = LIVE_DESIGN
    agencies_without_population_count: tuple[str, ...] = ()  # weighted: agencies given the overall ΣN/Σn
    # With suspected spam left out: each total indicator's estimate (percent) had they been counted, design and
    # weights recomputed with them — what the flags change, so that flagging cannot silently move a figure.
    with_suspected_spam_pct: dict[str, float] = field(default_factory=dict)
    # Weighted: population counts of the selection's agencies and period changed in the last 30 days (who, when,
    # old → new, why) — a figure that moved because a count was edited says so.
    recent_count_changes: list[dict[str, Any]] = field(default_factory=list)
    coverage: dict[str, str] = field(default_factory=lambda: dict(COVERAGE))
    # Read from a streaming replica (SIPAS_REPORTS_DATABASE_URL): seconds of the primary's changes it may miss; 0 from
    # the primary or a caught-up replica; None when the replica cannot say (app/replica.py).
    replica_lag_seconds: float | None = 0.0
