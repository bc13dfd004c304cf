"""Every model of the platform, imported once: Alembic and ``create_all`` see the whole schema."""

from spaser.accounts.models import LoginAttempt, Organisation, OutboxMessage, PasswordResetToken, User, UserSession
from spaser.audit import AuditEntry, AuditHead
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

__all__ = [
    "AuditEntry", "AuditHead", "Award", "Base", "Bid", "BidFile", "Consultation", "ConsultationKey", "Criterion",
    "DecpFeedEntry", "Document", "ExecutionClause", "LoginAttempt", "Lot", "Organisation", "OutboxMessage",
    "PasswordResetToken", "Question", "Registration", "Score", "User", "UserSession",
]
