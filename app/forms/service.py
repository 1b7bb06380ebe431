"""Which forms there are: the registry of SIPAS_FORMS_DIR checked against the database, and a form's latest version."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.config import Settings
from app.forms.loader import RegisteredForm, check_registered, load_forms

# The forms a link opens unless told otherwise: a counter's QR code the quick form, a dossier link the full one.
DEFAULT_COUNTER_FORM = "counter-quick"
DEFAULT_DOSSIER_FORM = "tt01-dossier"


def form_registry(session: Session, settings: Settings) -> dict[tuple[str, int], RegisteredForm]:
    """The forms of SIPAS_FORMS_DIR, checked against those the database has registered."""
    return check_registered(session, load_forms(settings.forms_dir))


def latest_form(forms: dict[tuple[str, int], RegisteredForm], form_id: str) -> RegisteredForm | None:
    versions = [key for key in forms if key[0] == form_id]
    return forms[max(versions)] if versions else None
