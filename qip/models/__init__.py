from .audit import AuditChainHead, AuditEvent
from .reference import EvidenceCategory, Framework, KeyQuestion, QualityStatement, Regulation
from .tenancy import Location, Membership, Organisation, Role, ServiceType, User, UserSession

__all__ = [
    "AuditChainHead",
    "AuditEvent",
    "EvidenceCategory",
    "Framework",
    "KeyQuestion",
    "Location",
    "Membership",
    "Organisation",
    "QualityStatement",
    "Regulation",
    "Role",
    "ServiceType",
    "User",
    "UserSession",
]
