"""Tables of the sourcing space: supplier profiles, purchase plans, interests, messages, saved searches.

Rules (matching, labels) live in ``matching.py`` and ``labels.py`` (pure); services in ``profiles.py``,
``plans.py``, ``alerts.py``. ``search_terms`` columns hold the French search terms of a row (folded, stemmed by
``warehouse.search_text``), indexed by FTS5 on SQLite and by a GIN ``tsvector`` index on PostgreSQL (migration
0002): the stemming is done once in Python, so both engines find the same rows.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from spaser.platform_db.base import Base, utcnow


class SupplierProfile(Base):
    """A supplier company's public profile (one per organisation of kind supplier)."""

    __tablename__ = "supplier_profile"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), unique=True)
    presentation: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    contact_email: Mapped[str] = mapped_column(String(320), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    #: Serves the whole country (then no territory rows are needed).
    national: Mapped[bool] = mapped_column(Boolean, default=False)
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    # SIRENE enrichment, copied when the profile is saved and a SIRENE stock is loaded in the warehouse.
    sirene_name: Mapped[str | None] = mapped_column(String(300), default=None)
    sirene_category: Mapped[str | None] = mapped_column(String(10), default=None)
    sirene_ess: Mapped[bool | None] = mapped_column(Boolean, default=None)
    sirene_naf: Mapped[str | None] = mapped_column(String(10), default=None)
    sirene_commune: Mapped[str | None] = mapped_column(String(5), default=None)
    sirene_active: Mapped[bool | None] = mapped_column(Boolean, default=None)
    sirene_checked_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    search_terms: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    cpvs: Mapped[list[ProfileCpv]] = relationship(back_populates="profile", order_by="ProfileCpv.cpv",
                                                  cascade="all, delete-orphan")
    territories: Mapped[list[ProfileTerritory]] = relationship(
        back_populates="profile", order_by="(ProfileTerritory.kind, ProfileTerritory.code)",
        cascade="all, delete-orphan")
    labels: Mapped[list[ProfileLabel]] = relationship(back_populates="profile", order_by="ProfileLabel.code",
                                                      cascade="all, delete-orphan")


class ProfileCpv(Base):
    """A CPV capability (8-digit root); ``division`` is stored for the matching's first filter."""

    __tablename__ = "profile_cpv"
    __table_args__ = (UniqueConstraint("profile_id", "cpv"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("supplier_profile.id"))
    cpv: Mapped[str] = mapped_column(String(8))
    division: Mapped[str] = mapped_column(String(2), index=True)

    profile: Mapped[SupplierProfile] = relationship(back_populates="cpvs")


class ProfileTerritory(Base):
    """A territory served: ``kind`` is ``departement`` or ``region`` (INSEE codes)."""

    __tablename__ = "profile_territory"
    __table_args__ = (UniqueConstraint("profile_id", "kind", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("supplier_profile.id"))
    kind: Mapped[str] = mapped_column(String(12))
    code: Mapped[str] = mapped_column(String(3), index=True)

    profile: Mapped[SupplierProfile] = relationship(back_populates="territories")


class ProfileLabel(Base):
    """A label or certification (code from ``labels.LABELS``) with the proof the company gives."""

    __tablename__ = "profile_label"
    __table_args__ = (UniqueConstraint("profile_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("supplier_profile.id"))
    code: Mapped[str] = mapped_column(String(40), index=True)
    reference: Mapped[str] = mapped_column(String(200), default="")
    valid_until: Mapped[dt.date | None] = mapped_column(default=None)

    profile: Mapped[SupplierProfile] = relationship(back_populates="labels")


class PurchasePlan(Base):
    """An upcoming purchase a buyer announces ("programmation des achats"), before any consultation."""

    __tablename__ = "purchase_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    buyer_org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    cpv: Mapped[str] = mapped_column(String(8))
    division: Mapped[str] = mapped_column(String(2), index=True)
    estimated_amount: Mapped[Decimal | None] = mapped_column(Numeric(16, 2), default=None)
    launch_year: Mapped[int] = mapped_column(Integer)
    launch_quarter: Mapped[int] = mapped_column(Integer)
    departement: Mapped[str | None] = mapped_column(String(3), default=None, index=True)
    region: Mapped[str | None] = mapped_column(String(3), default=None)
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str] = mapped_column(String(320), default="")
    #: draft → published → launched (a consultation exists) | withdrawn.
    status: Mapped[str] = mapped_column(String(12), default="draft", index=True)
    consultation_id: Mapped[int | None] = mapped_column(ForeignKey("consultation.id"), default=None)
    search_terms: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    published_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    interests: Mapped[list[PlanInterest]] = relationship(back_populates="plan", order_by="PlanInterest.id",
                                                         cascade="all, delete-orphan")


class PlanInterest(Base):
    """A supplier's "intéressé" on a plan: the buyer sees it with the supplier's profile."""

    __tablename__ = "plan_interest"
    __table_args__ = (UniqueConstraint("plan_id", "supplier_org_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("purchase_plan.id"))
    supplier_org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    plan: Mapped[PurchasePlan] = relationship(back_populates="interests")


class PlanMessage(Base):
    """One message of the buyer ↔ supplier thread about a plan (one thread per supplier)."""

    __tablename__ = "plan_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("purchase_plan.id"), index=True)
    supplier_org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    from_buyer: Mapped[bool] = mapped_column(Boolean)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SavedSearch(Base):
    """A search a user keeps; new results are sent in a daily digest through the outbox."""

    __tablename__ = "saved_search"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    #: ``plans``, ``consultations`` or ``suppliers``.
    target: Mapped[str] = mapped_column(String(16))
    query: Mapped[str] = mapped_column(String(300), default="")
    cpv: Mapped[str] = mapped_column(String(8), default="")
    departement: Mapped[str] = mapped_column(String(3), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: Items created after this instant are new for the next digest.
    last_digest_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
