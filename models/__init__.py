"""GreenCert's persistent data: SQLAlchemy 2 typed models, enums and migrations."""
from models.applications import Application, EvidenceFile, Panel, Programme, Review
from models.base import Base, utcnow
from models.designations import (CalendarDay, Certificate, CertificateSequence, ChangeReport, Designation,
                                 Notice, Objection, SigningKey)
from models.log import AuditEvent, OutboxItem, TransitionLog
from models.experts import Expert
from models.people import ApiToken, Enterprise, Jurisdiction, User
from models import security, targets  # noqa: F401,E402  (their tables join the metadata)
from models.reports import Notification, YearlyReport

__all__ = [
    "ApiToken", "Application", "CalendarDay", "ChangeReport", "AuditEvent", "Base", "Certificate", "CertificateSequence",
    "Designation", "Enterprise", "SigningKey", "EvidenceFile", "Expert", "Jurisdiction", "Notice", "Objection",
    "OutboxItem", "Panel", "Programme", "Review", "TransitionLog", "User", "utcnow", "Notification", "YearlyReport",
]
