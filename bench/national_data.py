"""Synthetic national-year data for bench/national.py: a directory of 34 provinces and ≈ 3,300 communes with skewed
sizes, and a year of counter-quick responses and their answers generated column-wise with numpy and written as CSV
by pyarrow, ready for PostgreSQL's ``COPY … FROM STDIN (FORMAT csv)``.

The rows follow what ingestion stores (``app.responses.ingest.prepare``): one answer per answered item, ``satisfied``
1 for levels 4–5 of the satisfaction items, the procedure field both as an answer and as ``procedure_field_id``,
``local_date``/``local_month`` the day and month of ``submitted_at`` in Asia/Ho_Chi_Minh (UTC+7, no summer time).
Two things differ on purpose: the content hash is 64 random hex digits, not the HMAC of the content that ingestion
computes (nothing here replays a synthetic row), and the submission ids are random version-4 UUIDs drawn from the
seeded generator (a collision in 10 M draws of 122 bits is as good as impossible; the unique constraint would
refuse it anyway)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
from numpy.typing import NDArray

YEAR = 2026
ZONE_OFFSET_S = 7 * 3600  # Asia/Ho_Chi_Minh: UTC+07:00 all year
OFFICE_OPENS_S, OFFICE_CLOSES_S = 7 * 3600 + 30 * 60, 17 * 3600
# Tết Nguyên Đán 2026 (16–22 February, with the days around it): the one-stop sections are closed.
TET = (date(2026, 2, 14), date(2026, 2, 22))

SCALE_ITEMS = (
    "overall",
    "access_general",
    "procedure_general",
    "civil_servant_general",
    "result_general",
    "feedback_general",
)
# Added to the province's satisfied share: feedback handling is the weak spot in every published SIPAS round.
ITEM_EFFECT = np.array([0.0, 0.01, -0.01, 0.025, 0.005, -0.04])
ITEM_MISSING = np.array([0.0, 0.04, 0.04, 0.04, 0.04, 0.35])  # the detail questions are optional
ANSWER_ITEMS = (*SCALE_ITEMS, "procedure_field", "reason", "comment")
REASONS = ("waiting_time", "unclear_guidance", "extra_documents", "late_result", "attitude", "facilities", "other")
COMMENTS = (
    "Cán bộ hướng dẫn nhiệt tình, chu đáo.",
    "Phải chờ lâu, nên bố trí thêm quầy vào buổi sáng.",
    "Thủ tục nhanh gọn, đúng hẹn.",
    "Đề nghị niêm yết rõ hơn mức phí, lệ phí.",
    "Chỗ ngồi chờ chật, thiếu quạt.",
)
SUSPECTED_SPAM_SHARE, TEST_SHARE = 0.004, 0.001

RESPONSE_COLUMNS = (
    "id",
    "submission_id",
    "form_version_id",
    "agency_id",
    "counter_id",
    "device_id",
    "procedure_field_id",
    "channel",
    "submitted_at",
    "received_at",
    "local_date",
    "local_month",
    "is_suspected_spam",
    "is_test",
    "flag_reason",
    "content_hash",
    "sex",
)
ANSWER_COLUMNS = ("response_id", "item_code", "local_month", "value_int", "value_text", "value_json", "satisfied")
SUBMISSION_COLUMNS = ("id", "submission_id", "local_month")
_CSV = pa_csv.WriteOptions(include_header=False, quoting_style="needed")


@dataclass(frozen=True)
class Directory:
    """Provinces and communes (ids as they will be stored), counters and kiosks, and how the responses spread."""

    province_ids: NDArray[np.int64]
    province_codes: list[str]
    province_rate: NDArray[np.float64]  # the province's satisfied share (overall question)
    commune_ids: NDArray[np.int64]
    commune_codes: list[str]
    commune_province: NDArray[np.int64]  # index into the provinces
    commune_share: NDArray[np.float64]  # of all responses; skewed: a few big city wards, many small communes
    commune_effect: NDArray[np.float64]  # added to the province's rate
    counter_first: NDArray[np.int64]  # index of the commune's first counter
    counter_count: NDArray[np.int64]  # 1–8
    counter_ids: NDArray[np.int64]
    counter_device: NDArray[np.int64]  # the kiosk's device id at the counter, 0 when none

    @property
    def agencies(self) -> int:
        return len(self.province_ids) + len(self.commune_ids)

    @property
    def devices(self) -> int:
        return int(np.count_nonzero(self.counter_device))


def _spread(rng: np.random.Generator, total: int, parts: int, sigma: float, minimum: int) -> NDArray[np.int64]:
    """``total`` split into ``parts`` lognormal-sized integers of at least ``minimum`` that add up to ``total``."""
    weights = rng.lognormal(0.0, sigma, parts)
    sizes: NDArray[np.int64] = np.maximum(minimum, np.floor(weights / weights.sum() * total)).astype(np.int64)
    while sizes.sum() != total:  # hand the rounding difference to the largest parts
        step = 1 if sizes.sum() < total else -1
        order = np.argsort(-sizes)[: abs(int(total - sizes.sum()))]
        sizes[order] += step
    return sizes


def build_directory(
    rng: np.random.Generator, *, provinces: int = 34, communes: int = 3_300, counters: int = 10_000
) -> Directory:
    """The country: provinces of unequal numbers of communes, communes of very unequal traffic (lognormal, σ = 1.2,
    and a dozen city wards ten times busier still), 1–8 counters per commune by traffic, adding up to ≈ ``counters``,
    and a kiosk at the first counter of communes with three counters or more."""
    per_province = _spread(rng, communes, provinces, 0.4, 20)
    province_ids = np.arange(1, provinces + 1, dtype=np.int64)
    commune_ids = np.arange(provinces + 1, provinces + communes + 1, dtype=np.int64)
    commune_province = np.repeat(np.arange(provinces), per_province)
    share = rng.lognormal(0.0, 1.2, communes)
    share[rng.choice(communes, size=min(12, communes), replace=False)] *= 10.0
    share /= share.sum()
    # Counters grow with the square root of traffic; scale chosen (bisection) so the total is near ``counters``.
    relative = np.sqrt(share / np.median(share))
    low, high = 0.0, 20.0
    for _ in range(40):
        middle = (low + high) / 2
        total = np.clip(np.floor(middle * relative), 1, 8).sum()
        low, high = (middle, high) if total < counters else (low, middle)
    counter_count = np.clip(np.floor(low * relative), 1, 8).astype(np.int64)
    counter_first = np.concatenate([[0], np.cumsum(counter_count)[:-1]]).astype(np.int64)
    counter_ids = np.arange(1, int(counter_count.sum()) + 1, dtype=np.int64)
    counter_device = np.zeros(len(counter_ids), dtype=np.int64)
    kiosks = counter_first[counter_count >= 3]
    counter_device[kiosks] = np.arange(1, len(kiosks) + 1)
    return Directory(
        province_ids=province_ids,
        province_codes=[f"T{index:02d}" for index in range(1, provinces + 1)],
        province_rate=rng.uniform(0.85, 0.95, provinces),
        commune_ids=commune_ids,
        commune_codes=[f"T{commune_province[index] + 1:02d}-X{index + 1:04d}" for index in range(communes)],
        commune_province=commune_province,
        commune_share=share,
        commune_effect=rng.normal(0.0, 0.015, communes),
        counter_first=counter_first,
        counter_count=counter_count,
        counter_ids=counter_ids,
        counter_device=counter_device,
    )


def agency_rows(directory: Directory) -> list[tuple[object, ...]]:
    """(id, code, name_vi, level, parent_id, path, active) of every agency: the path is the chain of ids."""
    rows: list[tuple[object, ...]] = [
        (int(pid), code, f"Tỉnh {code} (dữ liệu thử)", "province", None, f"/{pid}/", True)
        for pid, code in zip(directory.province_ids, directory.province_codes, strict=True)
    ]
    for cid, code, province in zip(
        directory.commune_ids, directory.commune_codes, directory.commune_province, strict=True
    ):
        parent = int(directory.province_ids[province])
        rows.append((int(cid), code, f"Xã {code} (dữ liệu thử)", "commune", parent, f"/{parent}/{cid}/", True))
    return rows


def counter_rows(directory: Directory) -> list[tuple[object, ...]]:
    """(id, agency_id, code, name_vi, active, link_generation) of every counter."""
    rows: list[tuple[object, ...]] = []
    for commune, agency_id in enumerate(directory.commune_ids):
        first = int(directory.counter_first[commune])
        for number in range(int(directory.counter_count[commune])):
            counter_id = int(directory.counter_ids[first + number])
            rows.append((counter_id, int(agency_id), f"Q{number + 1:02d}", f"Quầy số {number + 1}", True, 0))
    return rows


def device_rows(directory: Directory, rng: np.random.Generator) -> list[tuple[object, ...]]:
    """(id, public_id, agency_id, counter_id, label, key_prefix, key_hash) of every kiosk: random keys nobody
    holds (only their hash would be stored anyway)."""
    commune_of_counter = np.repeat(np.arange(len(directory.commune_ids)), directory.counter_count)
    rows: list[tuple[object, ...]] = []
    for index in np.flatnonzero(directory.counter_device):
        device_id = int(directory.counter_device[index])
        rows.append(
            (
                device_id,
                rng.bytes(16).hex(),
                int(directory.commune_ids[commune_of_counter[index]]),
                int(directory.counter_ids[index]),
                f"Kiosk {device_id}",
                f"bench{device_id:011d}",
                rng.bytes(32).hex(),
            )
        )
    return rows


def last_day(today: date) -> date:
    """The year's last day with answers: the day before ``today`` while the year runs (the service refuses
    submissions from the future), else 31 December."""
    return min(date(YEAR, 12, 31), today - timedelta(days=1))


def _day_weights(last: date) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """The year's days up to ``last`` (days since 1970-01-01) and their share of traffic: weekdays, a third on
    Saturday mornings, nothing on Sundays or during Tết."""
    first = date(YEAR, 1, 1)
    days = [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
    weights = np.array(
        [0.0 if day.weekday() == 6 or TET[0] <= day <= TET[1] else 0.33 if day.weekday() == 5 else 1.0 for day in days]
    )
    epoch = np.array([(day - date(1970, 1, 1)).days for day in days], dtype=np.int64)
    return epoch, weights / weights.sum()


def population_rows(
    directory: Directory, responses: int, last: date, rng: np.random.Generator, share: float = 0.6
) -> list[tuple[object, ...]]:
    """(agency_id, period_start, period_end, dossiers_handled) per month for ``share`` of the communes: 5–15
    dossiers per expected response (the weights' N), the other communes have none (the reports then fall back to
    the overall ratio, and say so)."""
    _, weights = _day_weights(last)
    month_of_day = np.array(
        [(date(YEAR, 1, 1) + timedelta(days=offset)).month - 1 for offset in range(len(weights))], dtype=np.int64
    )
    month_share = np.bincount(month_of_day, weights=weights, minlength=12)
    counted = np.flatnonzero(rng.random(len(directory.commune_ids)) < share)
    rows: list[tuple[object, ...]] = []
    for commune in counted:
        for month in range(12):
            expected = responses * directory.commune_share[commune] * month_share[month]
            start = date(YEAR, month + 1, 1)
            end = date(YEAR + (month == 11), month % 12 + 2 if month < 11 else 1, 1) - timedelta(days=1)
            handled = int(expected * rng.uniform(5, 15)) + 1
            rows.append((int(directory.commune_ids[commune]), start, end, handled))
    return rows


def _fixed_text(data: NDArray[np.uint8]) -> pa.Array:
    """An (n, width) matrix of ASCII bytes as a pyarrow string array, without a Python string per row."""
    count, width = data.shape
    offsets = np.arange(0, (count + 1) * width, width, dtype=np.int32)
    return pa.Array.from_buffers(pa.string(), count, [None, pa.py_buffer(offsets), pa.py_buffer(data.tobytes())])


def _random_bytes(rng: np.random.Generator, count: int, nbytes: int) -> NDArray[np.uint8]:
    return rng.integers(0, 256, (count, nbytes), dtype=np.uint8)


def _hex_text(raw: NDArray[np.uint8]) -> pa.Array:
    digits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    out = np.empty((raw.shape[0], raw.shape[1] * 2), dtype=np.uint8)
    out[:, 0::2] = digits[raw >> 4]
    out[:, 1::2] = digits[raw & 0x0F]
    return _fixed_text(out)


def timestamp_text(local_seconds: NDArray[np.int64]) -> pa.Array:
    """``YYYY-MM-DD HH:MM:SS+07`` for local wall-clock seconds since 1970-01-01 00:00 (PostgreSQL reads the offset:
    the stored instant is the right one in UTC)."""
    days = local_seconds // 86_400
    seconds = local_seconds % 86_400
    day = days.astype("datetime64[D]")
    year = day.astype("datetime64[Y]").astype(np.int64) + 1970
    month = day.astype("datetime64[M]").astype(np.int64) % 12 + 1
    month_start = day.astype("datetime64[M]").astype("datetime64[D]")
    mday = (day - month_start).astype(np.int64) + 1
    out = np.empty((len(local_seconds), 22), dtype=np.uint8)
    out[:] = np.frombuffer(b"0000-00-00 00:00:00+07", dtype=np.uint8)
    zero = ord("0")
    for position, value in (
        (0, year // 1000),
        (1, year // 100 % 10),
        (2, year // 10 % 10),
        (3, year % 10),
        (5, month // 10),
        (6, month % 10),
        (8, mday // 10),
        (9, mday % 10),
        (11, seconds // 36_000),
        (12, seconds // 3_600 % 10),
        (14, seconds // 600 % 6),
        (15, seconds // 60 % 10),
        (17, seconds // 10 % 6),
        (18, seconds % 10),
    ):
        out[:, position] = zero + value
    return _fixed_text(out)


def _levels(rng: np.random.Generator, satisfied: NDArray[np.bool_]) -> NDArray[np.int16]:
    """5 or 4 (35% / 65%) when satisfied, else 3, 2 or 1 (60% / 30% / 10%)."""
    draw = rng.random(satisfied.shape)
    happy = np.where(draw < 0.35, 5, 4)
    unhappy = np.where(draw < 0.6, 3, np.where(draw < 0.9, 2, 1))
    return np.where(satisfied, happy, unhappy).astype(np.int16)


@dataclass(frozen=True)
class Chunk:
    """Rows of a run of responses as CSV for COPY, and their numbers."""

    submissions_csv: bytes
    responses_csv: bytes
    answers_csv: bytes
    responses: int
    answers: int


class Generator:
    """Responses ``first_id``… in chunks, each drawn from its own seeded generator (same data for the same seed and
    chunk size)."""

    def __init__(
        self,
        directory: Directory,
        *,
        form_version_id: int,
        procedure_field_ids: dict[str, int],
        last: date,
        seed: int,
    ) -> None:
        self.directory = directory
        self.form_version_id = form_version_id
        self.field_codes = sorted(procedure_field_ids)
        self.field_ids = np.array([procedure_field_ids[code] for code in self.field_codes], dtype=np.int64)
        self.seed = seed
        self.days, day_share = _day_weights(last)
        self.day_cumulative = np.cumsum(day_share)
        self.commune_cumulative = np.cumsum(directory.commune_share)
        combos = [[reason] for reason in REASONS] + [
            sorted([first, second]) for index, first in enumerate(REASONS) for second in REASONS[index + 1 :]
        ]
        self.reason_json = ['["' + '", "'.join(combo) + '"]' for combo in combos]
        # Text answers: procedure-field codes, then the comments.
        self.texts = [*self.field_codes, *COMMENTS]

    def chunk(self, first_id: int, count: int) -> Chunk:
        rng = np.random.default_rng([self.seed, first_id])
        d = self.directory
        ids = np.arange(first_id, first_id + count, dtype=np.int64)
        commune = np.minimum(np.searchsorted(self.commune_cumulative, rng.random(count)), len(d.commune_ids) - 1)
        counter_index = d.counter_first[commune] + (rng.random(count) * d.counter_count[commune]).astype(np.int64)
        device = d.counter_device[counter_index]
        kiosk = (device > 0) & (rng.random(count) < 0.6)
        day = self.days[np.minimum(np.searchsorted(self.day_cumulative, rng.random(count)), len(self.days) - 1)]
        saturday = (day + 3) % 7 == 5  # 1970-01-01 was a Thursday (Monday = 0)
        closes = np.where(saturday, 11 * 3600 + 30 * 60, OFFICE_CLOSES_S)
        local = day * 86_400 + OFFICE_OPENS_S + (rng.random(count) * (closes - OFFICE_OPENS_S)).astype(np.int64)
        received = local + rng.integers(1, 30, count)
        local_day = local // 86_400
        month_index = local_day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12
        spam = rng.random(count) < SUSPECTED_SPAM_SHARE
        test = ~spam & (rng.random(count) < TEST_SHARE)
        has_field = rng.random(count) < 0.7
        field = rng.integers(0, len(self.field_codes), count)
        raw_id = _random_bytes(rng, count, 16)
        raw_id[:, 6] = (raw_id[:, 6] & 0x0F) | 0x40  # version 4
        raw_id[:, 8] = (raw_id[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
        day_names = np.arange(len(self.days)) + int(self.days[0])
        responses = pa.table(
            {
                "id": ids,
                "submission_id": _hex_text(raw_id),
                "form_version_id": np.full(count, self.form_version_id, dtype=np.int64),
                "agency_id": d.commune_ids[commune],
                "counter_id": d.counter_ids[counter_index],
                "device_id": pa.array(device, mask=~kiosk),
                "procedure_field_id": pa.array(self.field_ids[field], mask=~has_field),
                "channel": pa.DictionaryArray.from_arrays(kiosk.astype(np.int8), pa.array(["web_qr", "kiosk"])),
                "submitted_at": timestamp_text(local),
                "received_at": timestamp_text(received),
                "local_date": pa.DictionaryArray.from_arrays(
                    (local_day - day_names[0]).astype(np.int16),
                    pa.array(day_names.astype("datetime64[D]").astype(str)),
                ),
                "local_month": YEAR * 100 + month_index + 1,
                "is_suspected_spam": spam.astype(np.int8),  # PostgreSQL reads 1/0 as booleans
                "is_test": test.astype(np.int8),
                "flag_reason": pa.DictionaryArray.from_arrays(
                    pa.array(np.where(spam, 0, 1).astype(np.int8), mask=~(spam | test)),
                    pa.array(["bench: synthetic suspected spam", "bench: synthetic test response"]),
                ),
                "content_hash": _hex_text(_random_bytes(rng, count, 32)),
                "sex": pa.DictionaryArray.from_arrays(
                    pa.array(rng.integers(0, 2, count).astype(np.int8), mask=rng.random(count) >= 0.4),
                    pa.array(["male", "female"]),
                ),
            }
        )
        answers = self._answers(rng, ids, responses.column("local_month").to_numpy(), commune, has_field, field)
        submissions = responses.select(list(SUBMISSION_COLUMNS))
        return Chunk(self._csv(submissions), self._csv(responses), self._csv(answers), count, answers.num_rows)

    def _answers(
        self,
        rng: np.random.Generator,
        ids: NDArray[np.int64],
        months: NDArray[np.int64],
        commune: NDArray[np.int64],
        has_field: NDArray[np.bool_],
        field: NDArray[np.int64],
    ) -> pa.Table:
        """One row per answered item, in (response, item) order: a matrix of responses × ``ANSWER_ITEMS`` and the
        mask of the answered cells, flattened."""
        d = self.directory
        count = len(ids)
        base = d.province_rate[d.commune_province[commune]] + d.commune_effect[commune]
        rate = np.clip(base[:, None] + ITEM_EFFECT[None, :], 0.5, 0.995)
        satisfied = rng.random((count, len(SCALE_ITEMS))) < rate
        levels = _levels(rng, satisfied)
        answered = np.zeros((count, len(ANSWER_ITEMS)), dtype=bool)
        answered[:, : len(SCALE_ITEMS)] = rng.random((count, len(SCALE_ITEMS))) >= ITEM_MISSING[None, :]
        reason = levels[:, 0] <= 2
        comment = rng.random(count) < 0.04
        answered[:, len(SCALE_ITEMS)] = has_field
        answered[:, len(SCALE_ITEMS) + 1] = reason
        answered[:, len(SCALE_ITEMS) + 2] = comment

        value_int = np.zeros((count, len(ANSWER_ITEMS)), dtype=np.int16)
        value_int[:, : len(SCALE_ITEMS)] = levels
        satisfied_int = np.zeros((count, len(ANSWER_ITEMS)), dtype=np.int8)
        satisfied_int[:, : len(SCALE_ITEMS)] = satisfied
        text = np.full((count, len(ANSWER_ITEMS)), -1, dtype=np.int16)
        text[:, len(SCALE_ITEMS)] = field
        text[:, len(SCALE_ITEMS) + 2] = len(self.field_codes) + rng.integers(0, len(COMMENTS), count)
        json = np.full((count, len(ANSWER_ITEMS)), -1, dtype=np.int16)
        json[:, len(SCALE_ITEMS) + 1] = rng.integers(0, len(self.reason_json), count)

        keep = answered.ravel()
        item = np.tile(np.arange(len(ANSWER_ITEMS), dtype=np.int8), count)[keep]
        is_scale = item < len(SCALE_ITEMS)
        text_index = text.ravel()[keep]
        json_index = json.ravel()[keep]
        return pa.table(
            {
                "response_id": np.repeat(ids, len(ANSWER_ITEMS))[keep],
                "item_code": pa.DictionaryArray.from_arrays(item, pa.array(ANSWER_ITEMS)),
                "local_month": np.repeat(months, len(ANSWER_ITEMS))[keep],
                "value_int": pa.array(value_int.ravel()[keep], mask=~is_scale),
                "value_text": pa.DictionaryArray.from_arrays(
                    pa.array(np.maximum(text_index, 0), mask=text_index < 0), pa.array(self.texts)
                ),
                "value_json": pa.DictionaryArray.from_arrays(
                    pa.array(np.maximum(json_index, 0), mask=json_index < 0), pa.array(self.reason_json)
                ),
                "satisfied": pa.array(satisfied_int.ravel()[keep], mask=~is_scale),
            }
        )

    @staticmethod
    def _csv(table: pa.Table) -> bytes:
        buffer = io.BytesIO()
        pa_csv.write_csv(table, buffer, _CSV)
        return buffer.getvalue()
