from .audit import AuditChainHead, AuditEvent
from .plans import (
    CADENCE_DAYS,
    HIGH_RISK_AREAS,
    Plan,
    PlanSource,
    PlanStatus,
    QualityArea,
    ReviewCadence,
)
from .reference import EvidenceCategory, Framework, KeyQuestion, QualityStatement, Regulation
from .submissions import SubmittedForm
from .tenancy import Location, Membership, Organisation, Role, ServiceType, User, UserSession

__all__ = [
    "CADENCE_DAYS",
    "HIGH_RISK_AREAS",
    "Plan",
    "PlanSource",
    "PlanStatus",
    "QualityArea",
    "ReviewCadence",
    "AuditChainHead",
    "AuditEvent",
    "EvidenceCategory",
    "Framework",
    "KeyQuestion",
    "Location",
    "Membership",
    "Organisation",
    "QualityStatement",
    "SubmittedForm",
    "Regulation",
    "Role",
    "ServiceType",
    "User",
    "UserSession",
]
