"""A consultation's journal for its buyer: the audit entries recorded on the consultation, newest first.

Why a service: who may read the journal is a rule (the buyer organisation's members, as for the rest of the
buyer workspace); the web layer only shows what this returns.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from spaser.accounts.roles import require
from spaser.audit import AuditEntry
from spaser.marketplace import consultations
from spaser.platform_db.context import Context

JOURNAL_LIMIT = 50


def consultation_journal(session: Session, ctx: Context, consultation_id: int,
                         limit: int = JOURNAL_LIMIT) -> list[AuditEntry]:
    """The latest ``limit`` audit entries of the consultation itself (creation, edits, publication, opening,
    award...), newest first, for members of its buyer organisation."""
    consultation = consultations.get(session, consultation_id)
    require(ctx.user, "view_buyer_workspace", consultation.buyer_org_id)
    query = (select(AuditEntry)
             .where(AuditEntry.entity_type == "consultation", AuditEntry.entity_id == str(consultation.id))
             .order_by(AuditEntry.id.desc()).limit(max(1, min(limit, 500))))
    return list(session.execute(query).scalars())
