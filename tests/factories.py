"""Small builders for test data (real rows through the real services)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from app.config import Settings
from app.directory.models import Agency, AgencyLevel, Counter
from app.directory.service import create_agency, create_counter
from app.forms.loader import RegisteredForm, check_registered, load_forms


def registry(session: Session, settings: Settings) -> dict[tuple[str, int], RegisteredForm]:
    return check_registered(session, load_forms(settings.forms_dir))


def counter_tree(session: Session) -> tuple[Agency, Agency, Counter]:
    """A province with one commune that has counter Q01; committed."""
    province = create_agency(
        session, code="HN", name_vi="Thành phố Hà Nội", name_en="Hanoi", level=AgencyLevel.province
    )
    commune = create_agency(
        session, code="HN-X01", name_vi="Xã Bát Tràng", name_en="Bat Trang Commune", level=AgencyLevel.commune,
        parent=province,
    )  # fmt: skip
    counter = create_counter(session, agency=commune, code="Q01", name_vi="Quầy số 1", name_en="Counter 1")
    session.commit()
    return province, commune, counter


FORMS_DIR = Path(__file__).resolve().parents[1] / "survey_forms"
