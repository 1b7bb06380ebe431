"""Demo data: a fictional province (Tỉnh Minh An) with 33 agencies on two levels, 70 counters, twelve months
of synthetic counter feedback with realistic differences between agencies and elements, population counts,
targets at 86%, a demo official and a demo kiosk. Deterministic for a given seed and end month."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import partitions
from app.config import Settings, decode_key
from app.directory.models import Agency, AgencyLevel, Counter, ProcedureField, Role
from app.directory.service import (
    create_agency,
    create_counter,
    create_device,
    get_agency_by_code,
    get_counter,
)
from app.forms.loader import RegisteredForm
from app.forms.models import FormVersion
from app.forms.schemas import FormDefinition
from app.links.service import counter_url
from app.officials.service import create_official
from app.reference.models import PopulationCount, Target
from app.responses.ingest import Origin, Prepared, Submission, prepare, store
from app.responses.models import Channel

DEMO_FORM = "counter-quick"
DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-sipas-2026"  # noqa: S105 - documented demo credential, only loaded by `sipas demo`
DEMO_TARGET_PCT = 86.0
PROVINCE_CODE = "MA"
DEMO_COUNTER = (f"{PROVINCE_CODE}-TTPVHCC", "Q01")
MONTHS = 12
# What the thank-you page offers (app/public/templates/thanks.html): the province sets a hotline and its hours once,
# every agency below inherits them, and one ward keeps its own hours. The complaint link is the national portal's
# default (SIPAS_DEFAULT_COMPLAINT_URL). No province has the area code 0200: the demo number rings nobody.
DEMO_HOTLINE = "0200 3 822 822"
DEMO_OPENING_HOURS = (
    "Thứ Hai – Thứ Sáu: 7:30–11:30, 13:30–17:00; sáng Thứ Bảy: 7:30–11:30",
    "Monday to Friday 7:30–11:30 and 13:30–17:00; Saturday morning 7:30–11:30",
)
DEMO_WARD_OPENING_HOURS = (
    "Thứ Hai – Thứ Bảy: 7:00–11:30, 13:00–17:00",
    "Monday to Saturday 7:00–11:30 and 13:00–17:00",
)

DEPARTMENTS = [
    ("STP", "Sở Tư pháp", "Department of Justice"),
    ("SXD", "Sở Xây dựng", "Department of Construction"),
    ("SNNMT", "Sở Nông nghiệp và Môi trường", "Department of Agriculture and Environment"),
    ("STC", "Sở Tài chính", "Department of Finance"),
    ("SNV", "Sở Nội vụ", "Department of Home Affairs"),
    ("SYT", "Sở Y tế", "Department of Health"),
    ("SGDDT", "Sở Giáo dục và Đào tạo", "Department of Education and Training"),
    ("SCT", "Sở Công Thương", "Department of Industry and Trade"),
    ("SVHTTDL", "Sở Văn hóa, Thể thao và Du lịch", "Department of Culture, Sports and Tourism"),
    ("SKHCN", "Sở Khoa học và Công nghệ", "Department of Science and Technology"),
    ("SDTTG", "Sở Dân tộc và Tôn giáo", "Department of Ethnic and Religious Affairs"),
]
COMMUNES = [
    "Phường An Bình",
    "Phường Hòa Thuận",
    "Phường Minh Khai",
    "Phường Tân Phong",
    "Phường Thành Công",
    "Xã An Lạc",
    "Xã Bình Minh",
    "Xã Cát Lâm",
    "Xã Đông Hưng",
    "Xã Gia Phú",
    "Xã Hòa Bình",
    "Xã Kim Sơn",
    "Xã Long Hải",
    "Xã Mỹ Lộc",
    "Xã Ngọc Lâm",
    "Xã Phú Cường",
    "Xã Quảng Tiến",
    "Xã Sơn Thủy",
    "Xã Thanh Xuân",
    "Xã Vĩnh Phúc",
]
CENTRE_COUNTERS = 8
COMMENTS = [
    "Cán bộ hướng dẫn nhiệt tình, chu đáo.",
    "Phải chờ lâu, nên bố trí thêm quầy vào buổi sáng.",
    "Thủ tục nhanh gọn, đúng hẹn.",
    "Đề nghị niêm yết rõ hơn mức phí, lệ phí.",
    "Chỗ ngồi chờ chật, thiếu quạt.",
    "Rất hài lòng với cách phục vụ.",
]
# Element effects on the logit scale: feedback handling is the weak spot in every published SIPAS round.
ELEMENT_EFFECT = {"access": 0.15, "procedure": 0.0, "civil_servant": 0.35, "result": 0.1, "feedback": -0.55}


@dataclass(frozen=True)
class DemoSummary:
    agencies: int
    counters: int
    responses: int
    answers: int
    population_counts: int
    targets: int
    months: list[int]
    username: str
    password: str
    kiosk_key: str


def demo_kiosk_key(settings: Settings) -> str:
    """The demo kiosk's key, derived from this installation's session secret so `make run` can print it on
    every start (only a hash is stored, as for any device)."""
    secret = decode_key(settings.session_secret or "", name="SIPAS_SESSION_SECRET")
    digest = hmac.new(secret, b"sipas-demo-kiosk", hashlib.sha256).digest()
    return "k" + base64.urlsafe_b64encode(digest).decode().rstrip("=")


def demo_counter_link(session: Session, settings: Settings) -> str:
    """The citizen-form link of the demo's first counter, printed by `sipas serve`."""
    agency = get_agency_by_code(session, DEMO_COUNTER[0])
    return counter_url(settings, get_counter(session, agency, DEMO_COUNTER[1]))


def demo_counter_code(session: Session) -> str | None:
    """The typable code of the demo's first counter (the front door's box takes it), printed by `sipas serve`."""
    return get_counter(session, get_agency_by_code(session, DEMO_COUNTER[0]), DEMO_COUNTER[1]).short_code


def database_is_empty(session: Session) -> bool:
    return session.scalar(select(func.count()).select_from(Agency)) == 0


def _previous_months(end: date, count: int) -> list[int]:
    year, month = end.year, end.month
    months = []
    for _ in range(count):
        months.append(year * 100 + month)
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return sorted(months)


def _month_bounds(month: int) -> tuple[date, date]:
    start = date(month // 100, month % 100, 1)
    following = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return start, following - timedelta(days=1)


def _build_directory(session: Session) -> tuple[list[Agency], list[Counter]]:
    province = create_agency(
        session,
        code=PROVINCE_CODE,
        name_vi="Tỉnh Minh An (dữ liệu mẫu)",
        name_en="Minh An Province (demo)",
        level=AgencyLevel.province,
    )
    province.hotline = DEMO_HOTLINE
    province.opening_hours_vi, province.opening_hours_en = DEMO_OPENING_HOURS
    centre = create_agency(
        session,
        code=f"{PROVINCE_CODE}-TTPVHCC",
        name_vi="Trung tâm Phục vụ hành chính công tỉnh",
        name_en="Provincial Public Administrative Service Centre",
        level=AgencyLevel.other,
        parent=province,
    )
    agencies = [province, centre]
    counters = [
        create_counter(session, agency=centre, code=f"Q{n:02d}", name_vi=f"Quầy số {n}", name_en=f"Counter {n}")
        for n in range(1, CENTRE_COUNTERS + 1)
    ]
    for code, name_vi, name_en in DEPARTMENTS:
        agency = create_agency(
            session,
            code=f"{PROVINCE_CODE}-{code}",
            name_vi=name_vi,
            name_en=name_en,
            level=AgencyLevel.department,
            parent=province,
        )
        agencies.append(agency)
    for index, name in enumerate(COMMUNES, start=1):
        prefix = "P" if name.startswith("Phường") else "X"
        agency = create_agency(
            session,
            code=f"{PROVINCE_CODE}-{prefix}{index:02d}",
            name_vi=name,
            level=AgencyLevel.commune,
            parent=province,
        )
        if index == 1:  # Phường An Bình opens earlier and on Saturdays all day
            agency.opening_hours_vi, agency.opening_hours_en = DEMO_WARD_OPENING_HOURS
        agencies.append(agency)
    for agency in agencies[2:]:
        for n in (1, 2):
            counters.append(
                create_counter(session, agency=agency, code=f"Q{n:02d}", name_vi=f"Quầy số {n}", name_en=f"Counter {n}")
            )
    session.flush()
    return agencies, counters


def _level(rng: np.random.Generator, satisfied: bool) -> int:
    if satisfied:
        return 5 if rng.random() < 0.35 else 4
    return int(rng.choice([3, 2, 1], p=[0.6, 0.3, 0.1]))


def _random_instant(rng: np.random.Generator, month: int, settings: Settings) -> datetime:
    """A weekday, office-hours instant (local time) in the month, returned in UTC."""
    start, end = _month_bounds(month)
    while True:
        day = start + timedelta(days=int(rng.integers(0, (end - start).days + 1)))
        if day.weekday() < 5:
            break
    minutes = int(rng.integers(7 * 60 + 30, 17 * 60))
    local = datetime(
        day.year, day.month, day.day, minutes // 60, minutes % 60, int(rng.integers(0, 60)), tzinfo=settings.zone
    )
    return local.astimezone(UTC)


def load_demo(session: Session, settings: Settings, *, seed: int = 2026, end: date | None = None) -> DemoSummary:
    """Fill an empty database with the demo province; the caller commits."""
    version = session.scalar(
        select(FormVersion).where(FormVersion.form_id == DEMO_FORM).order_by(FormVersion.version.desc())
    )
    if version is None:
        raise RuntimeError(f"form {DEMO_FORM!r} is not registered; run `sipas migrate` first")
    definition = FormDefinition.model_validate(version.definition)
    rng = np.random.default_rng(seed)
    today = end or datetime.now(settings.zone).date()
    months = _previous_months(today.replace(day=1) - timedelta(days=1), MONTHS)
    partitions.create_months(session.connection(), months)  # PostgreSQL: the months' own partitions, not the default

    agencies, counters = _build_directory(session)
    fields = {field.code: field for field in session.scalars(select(ProcedureField).order_by(ProcedureField.code))}
    province = agencies[0]
    create_official(
        session,
        username=DEMO_USERNAME,
        password=DEMO_PASSWORD,
        role=Role.province_admin,
        agency=province,
        display_name="Cán bộ Sở Nội vụ (demo)",
        actor="demo",
    )
    kiosk_key = demo_kiosk_key(settings)
    centre_counter = counters[0]
    device, _ = create_device(
        session,
        agency=agencies[1],
        counter=centre_counter,
        label="Kiosk quầy số 1 (demo)",
        key=kiosk_key,
        actor="demo",
    )
    session.flush()

    counters_by_agency: dict[int, list[Counter]] = {}
    for counter in counters:
        counters_by_agency.setdefault(counter.agency_id, []).append(counter)
    field_codes = list(fields)
    form = RegisteredForm(form_version_id=version.id, definition=definition)
    reasons = [option.code for option in (definition.item("reason").options or [])]
    elements = {item.code: item.element for item in definition.items if item.element}

    prepared: list[Prepared] = []
    populations: list[PopulationCount] = []
    now = datetime.now(UTC)
    for agency in agencies[1:]:
        quality = rng.normal(1.95, 0.45)
        monthly = 500.0 if agency is agencies[1] else float(rng.uniform(25, 80))
        if agency.code in (f"{PROVINCE_CODE}-X17", f"{PROVINCE_CODE}-X19"):
            monthly = 4.0  # two remote communes with too few answers for a reliable rate
        for month_index, month in enumerate(months):
            count = int(rng.poisson(monthly))
            trend = 0.03 * month_index
            for _ in range(count):
                person = rng.normal(0.0, 0.8)
                counter = counters_by_agency[agency.id][int(rng.integers(0, len(counters_by_agency[agency.id])))]
                by_kiosk = counter.id == centre_counter.id and rng.random() < 0.6
                values: dict[str, Any] = {}
                overall_p = 1 / (1 + np.exp(-(quality + 0.1 + trend + person)))
                values["overall"] = _level(rng, bool(rng.random() < overall_p))
                for item_code, element in elements.items():
                    missing = 0.35 if element == "feedback" else 0.04
                    if rng.random() < missing:
                        continue
                    p = 1 / (1 + np.exp(-(quality + ELEMENT_EFFECT[element] + trend + person)))
                    values[item_code] = _level(rng, bool(rng.random() < p))
                field_code = field_codes[int(rng.integers(0, len(field_codes)))] if rng.random() < 0.7 else None
                if field_code:
                    values["procedure_field"] = field_code
                if values["overall"] <= 2:
                    picked = rng.choice(reasons, size=int(rng.integers(1, 3)), replace=False)
                    values["reason"] = sorted(str(code) for code in picked)
                if rng.random() < 0.04:
                    values["comment"] = COMMENTS[int(rng.integers(0, len(COMMENTS)))]
                submitted = _random_instant(rng, month, settings)
                submission_id = uuid.UUID(bytes=rng.bytes(16), version=4)
                received = min(submitted + timedelta(seconds=int(rng.integers(1, 30))), now)
                profile = {"sex": str(rng.choice(["male", "female"]))} if rng.random() < 0.4 else {}
                submission = Submission(
                    submission_id=submission_id,
                    form_id=DEMO_FORM,
                    form_version=definition.version,
                    submitted_at=submitted,
                    answers=values,
                    profile=profile,
                )
                origin = Origin(
                    channel=Channel.kiosk if by_kiosk else Channel.web_qr,
                    agency_id=agency.id,
                    counter_id=counter.id,
                    device_id=device.id if by_kiosk else None,
                )
                # The same validation and rows as every other channel; the demo skips only the HTTP layer.
                prepared.append(prepare(settings, form, submission, origin, now=received))
            start, stop = _month_bounds(month)
            populations.append(
                PopulationCount(
                    agency_id=agency.id,
                    period_start=start,
                    period_end=stop,
                    dossiers_handled=int(count * rng.uniform(4, 15)) + 1,
                )
            )
    for first in range(0, len(prepared), 2000):
        store(session, prepared[first : first + 2000], commit=False)
    session.add_all(populations)
    years = sorted({month // 100 for month in months})
    session.add_all(
        Target(
            agency_id=province.id,
            indicator="sipas",
            period_start=date(year, 1, 1),
            period_end=date(year, 12, 31),
            threshold_pct=DEMO_TARGET_PCT,
            applies_to_subtree=True,
        )
        for year in years
    )
    session.flush()
    return DemoSummary(
        agencies=len(agencies),
        counters=len(counters),
        responses=len(prepared),
        answers=sum(len(item.answers) for item in prepared),
        population_counts=len(populations),
        targets=len(years),
        months=months,
        username=DEMO_USERNAME,
        password=DEMO_PASSWORD,
        kiosk_key=kiosk_key,
    )
