"""Tables of the marketplace. Rules live in ``rules.py`` and ``lifecycle.py`` (pure); services in ``services``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from spaser.platform_db.base import Base, utcnow

Money = Numeric(16, 2)


class Consultation(Base):
    __tablename__ = "consultation"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    buyer_org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    #: DECP v2.0.3 procedure label ("Procédure adaptée", "Appel d'offres ouvert", ...).
    procedure: Mapped[str] = mapped_column(String(80))
    #: DECP nature ("Marché", "Marché de partenariat", "Marché de défense ou de sécurité").
    nature: Mapped[str] = mapped_column(String(60), default="Marché")
    #: Works, supplies or services: decides the EU threshold (``Travaux``/``Fournitures``/``Services``).
    contract_type: Mapped[str] = mapped_column(String(20))
    cpv: Mapped[str] = mapped_column(String(10))
    estimated_value: Mapped[Decimal] = mapped_column(Money)
    duree_mois: Mapped[int] = mapped_column(Integer, default=12)
    lieu_execution: Mapped[str] = mapped_column(String(10), default="")
    forme_prix: Mapped[str] = mapped_column(String(30), default="Forfaitaire")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    electronic_submission: Mapped[bool] = mapped_column(Boolean, default=True)
    prior_notice: Mapped[bool] = mapped_column(Boolean, default=False)
    urgency: Mapped[bool] = mapped_column(Boolean, default=False)
    social_clause_justification: Mapped[str | None] = mapped_column(Text, default=None)
    deadline: Mapped[dt.datetime | None] = mapped_column(default=None)
    questions_cutoff: Mapped[dt.datetime | None] = mapped_column(default=None)
    published_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    opened_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    opened_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), default=None)
    closed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    close_reason: Mapped[str | None] = mapped_column(Text, default=None)
    standstill_days: Mapped[int] = mapped_column(Integer, default=11)
    created_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    lots: Mapped[list[Lot]] = relationship(back_populates="consultation", order_by="Lot.number",
                                           cascade="all, delete-orphan")
    criteria: Mapped[list[Criterion]] = relationship(back_populates="consultation", order_by="Criterion.id",
                                                     cascade="all, delete-orphan")
    clauses: Mapped[list[ExecutionClause]] = relationship(back_populates="consultation",
                                                          order_by="ExecutionClause.id",
                                                          cascade="all, delete-orphan")


class Lot(Base):
    __tablename__ = "lot"
    __table_args__ = (UniqueConstraint("consultation_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    cpv: Mapped[str | None] = mapped_column(String(10), default=None)
    estimated_value: Mapped[Decimal | None] = mapped_column(Money, default=None)

    consultation: Mapped[Consultation] = relationship(back_populates="lots")


class Criterion(Base):
    """An award criterion with its weight (percent). ``kind``: price, cost, global_cost, technical,
    environmental, social, delay, other. A global-cost criterion may declare that it includes environmental
    aspects (life-cycle cost), which satisfies art. 35 on its own."""

    __tablename__ = "criterion"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"))
    label: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20))
    weight: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    includes_environment: Mapped[bool] = mapped_column(Boolean, default=False)

    consultation: Mapped[Consultation] = relationship(back_populates="criteria")


class ExecutionClause(Base):
    """An execution condition or a reservation: ``kind`` environmental, social (insertion hours...),
    reserved (disabled workers' employers, SIAE)."""

    __tablename__ = "execution_clause"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"))
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    #: ``<clause id>@<version>`` when the text came from the guichet vert's library (None: written by hand).
    library_clause: Mapped[str | None] = mapped_column(String(100), default=None)

    consultation: Mapped[Consultation] = relationship(back_populates="clauses")


class Document(Base):
    """One version of a consultation document; a new upload under the same name adds a version."""

    __tablename__ = "document"
    __table_args__ = (UniqueConstraint("consultation_id", "name", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"))
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200))
    uploaded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    after_publication: Mapped[bool] = mapped_column(Boolean, default=False)


class Registration(Base):
    """A supplier's user following a consultation: told of every change to its documents and answers."""

    __tablename__ = "registration"
    __table_args__ = (UniqueConstraint("consultation_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    registered_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Question(Base):
    """Asked privately by a supplier; answered publicly without naming it."""

    __tablename__ = "question"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"))
    supplier_org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    asked_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    text: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    answer: Mapped[str | None] = mapped_column(Text, default=None)
    answered_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), default=None)


class ConsultationKey(Base):
    """The consultation's X25519 key: public half in clear, private half wrapped by the platform master key
    (kept outside the database) and unwrapped only by the opening operation."""

    __tablename__ = "consultation_key"

    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), primary_key=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    wrapped_private_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Bid(Base):
    """One deposit by a supplier. A new deposit before the deadline supersedes the previous one (``status``
    replaced); a backup copy (copie de sauvegarde) is recorded beside the bid and opened only when the law
    allows."""

    __tablename__ = "bid"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"))
    supplier_org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    deposited_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    deposited_at: Mapped[dt.datetime]
    sequence: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="submitted")
    is_backup: Mapped[bool] = mapped_column(Boolean, default=False)
    receipt: Mapped[str] = mapped_column(Text)
    #: Read from the sealed offer form at opening (never before).
    amount: Mapped[Decimal | None] = mapped_column(Money, default=None)
    opened_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    files: Mapped[list[BidFile]] = relationship(back_populates="bid", order_by="BidFile.id",
                                                cascade="all, delete-orphan")


class BidFile(Base):
    """A sealed file: the envelope is in the file store under ``storage_key``; only its size and the hash of
    the plaintext (for the receipt) are in the database."""

    __tablename__ = "bid_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bid.id"))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200))

    bid: Mapped[Bid] = relationship(back_populates="files")


class Score(Base):
    __tablename__ = "score"
    __table_args__ = (UniqueConstraint("bid_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bid.id"))
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criterion.id"))
    #: 0 to 100 on the criterion, before weighting.
    score: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    comment: Mapped[str] = mapped_column(Text, default="")
    evaluator_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    scored_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Award(Base):
    """The award decision; once the standstill is over the buyer records the contract's notification, which
    writes the DECP record to the feed."""

    __tablename__ = "award"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), unique=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bid.id"))
    amount: Mapped[Decimal] = mapped_column(Money)
    decided_at: Mapped[dt.datetime]
    decided_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    standstill_ends_at: Mapped[dt.datetime]
    notified_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    contract_uid: Mapped[str | None] = mapped_column(String(40), default=None)


class DecpFeedEntry(Base):
    """One published DECP v2.0.3 record. ``id`` is the feed cursor: entries are only appended."""

    __tablename__ = "decp_feed"

    id: Mapped[int] = mapped_column(primary_key=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("award.id"), unique=True)
    uid: Mapped[str] = mapped_column(String(40), unique=True)
    record: Mapped[str] = mapped_column(Text)
    published_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
