"""Tables of the guichet vert: versioned clauses of the library and the help desk's requests.

Why versions: a clause a buyer pasted into a DCE must stay readable as it was; a revision (proposed by a buyer,
validated by a platform administrator) is a new row, and the clause points at its current validated version.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from spaser.platform_db.base import Base, utcnow


class Clause(Base):
    __tablename__ = "clause"

    #: The library's slug (``restauration-produits-bio``), or ``proposition-<n>`` for a buyer's new clause.
    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    #: ``library`` (shipped with spaser) or ``buyer`` (proposed on the platform).
    origin: Mapped[str] = mapped_column(String(10))
    #: The validated version shown to everyone; None while a new clause awaits validation.
    current_version: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    versions: Mapped[list[ClauseVersion]] = relationship(back_populates="clause", order_by="ClauseVersion.number",
                                                         cascade="all, delete-orphan")


class ClauseVersion(Base):
    __tablename__ = "clause_version"
    __table_args__ = (UniqueConstraint("clause_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clause_id: Mapped[str] = mapped_column(ForeignKey("clause.id"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(30))
    theme: Mapped[str] = mapped_column(String(20))
    level: Mapped[str] = mapped_column(String(10))
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    legal_basis: Mapped[list[str]] = mapped_column(JSON, default=list)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    text: Mapped[str] = mapped_column(Text)
    verification: Mapped[str] = mapped_column(Text)
    #: proposed → validated | rejected; a validated version becomes ``superseded`` when a newer one is validated.
    status: Mapped[str] = mapped_column(String(12), index=True)
    proposed_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), default=None)
    proposal_note: Mapped[str] = mapped_column(Text, default="")
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), default=None)
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    review_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    clause: Mapped[Clause] = relationship(back_populates="versions")

    def fields(self) -> dict[str, Any]:
        return {"title": self.title, "kind": self.kind, "theme": self.theme, "level": self.level,
                "categories": list(self.categories), "legal_basis": list(self.legal_basis),
                "keywords": list(self.keywords), "text": self.text, "verification": self.verification}


class HelpRequest(Base):
    """A buyer's request to the help desk: a question, or a consultation draft to review."""

    __tablename__ = "help_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    #: ``question`` or ``draft_review``.
    kind: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    cpv: Mapped[str] = mapped_column(String(8), default="")
    consultation_id: Mapped[int | None] = mapped_column(ForeignKey("consultation.id"), default=None)
    #: new → assigned → answered → closed (answered may go back to assigned when the buyer follows up).
    status: Mapped[str] = mapped_column(String(10), default="new", index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    assigned_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    first_response_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    closed_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    messages: Mapped[list[HelpMessage]] = relationship(back_populates="request", order_by="HelpMessage.id",
                                                       cascade="all, delete-orphan")


class HelpMessage(Base):
    __tablename__ = "help_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("help_request.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    from_desk: Mapped[bool] = mapped_column(Boolean)
    body: Mapped[str] = mapped_column(Text)
    #: Clause ids attached by the desk; the request page offers them as an RC/CCTP template download.
    clause_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    request: Mapped[HelpRequest] = relationship(back_populates="messages")
