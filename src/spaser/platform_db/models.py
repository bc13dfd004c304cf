"""Every model of the platform, imported once: Alembic and ``create_all`` see the whole schema."""

from spaser.accounts.models import LoginAttempt, Organisation, OutboxMessage, PasswordResetToken, User, UserSession
from spaser.audit import AuditEntry, AuditHead
from spaser.clauses.models import Clause, ClauseVersion, HelpMessage, HelpRequest
from spaser.marketplace.models import (
    Award,
    Bid,
    BidFile,
    Consultation,
    ConsultationKey,
    Criterion,
    DecpFeedEntry,
    Document,
    ExecutionClause,
    Lot,
    Question,
    Registration,
    Score,
)
from spaser.platform_db.base import Base
from spaser.sourcing.models import (
    PlanInterest,
    PlanMessage,
    ProfileCpv,
    ProfileLabel,
    ProfileTerritory,
    PurchasePlan,
    SavedSearch,
    SupplierProfile,
)

__all__ = [
    "AuditEntry", "AuditHead", "Award", "Base", "Bid", "BidFile", "Clause", "ClauseVersion", "Consultation",
    "ConsultationKey", "Criterion", "DecpFeedEntry", "Document", "ExecutionClause", "HelpMessage", "HelpRequest",
    "LoginAttempt", "Lot", "Organisation", "OutboxMessage", "PasswordResetToken", "PlanInterest", "PlanMessage",
    "ProfileCpv", "ProfileLabel", "ProfileTerritory", "PurchasePlan", "Question", "Registration", "SavedSearch",
    "Score", "SupplierProfile", "User", "UserSession",
]
