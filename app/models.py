"""Every model, imported in one place so the metadata (and Alembic) sees the whole schema."""

from app.audit.models import AuditEvent
from app.db import Base
from app.directory.models import Agency, AgencyLevel, Counter, Device, Official, ProcedureField, Role
from app.forms.models import Form, FormVersion
from app.officials.models import OfficialSession, SessionKind
from app.publications.models import Publication, PublicationSchedule
from app.reference.models import PopulationCount, Target
from app.responses.models import Answer, Channel, DossierLink, Response, StoredSubmission

__all__ = [
    "Agency",
    "AgencyLevel",
    "Answer",
    "AuditEvent",
    "Base",
    "Channel",
    "Counter",
    "Device",
    "DossierLink",
    "Form",
    "FormVersion",
    "Official",
    "OfficialSession",
    "PopulationCount",
    "ProcedureField",
    "Publication",
    "PublicationSchedule",
    "Response",
    "Role",
    "SessionKind",
    "StoredSubmission",
    "Target",
]
