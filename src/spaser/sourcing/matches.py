"""Matching on the platform's data: suppliers for a plan or a consultation, plans and consultations for a supplier.

The scoring rules are :mod:`spaser.sourcing.matching` (pure); this module turns rows into its ``Need`` and
``SupplierFacts`` and reads the observatory's track records through ``track`` (a callable the web layer builds
over the current warehouse snapshot; None when no warehouse is published yet, and matching still works).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from spaser.accounts.models import Organisation
from spaser.accounts.roles import require
from spaser.domain.territories import DEPARTEMENT_REGION, clean_departement
from spaser.errors import NotFoundError
from spaser.marketplace.models import Consultation
from spaser.platform_db.context import Context
from spaser.sourcing import matching
from spaser.sourcing.models import ProfileCpv, PurchasePlan, SupplierProfile
from spaser.sourcing.profiles import get_profile, is_sme

#: ``track(sirets, division)`` → SIRET → (contracts won, of which in the division).
Track = Callable[[Sequence[str], str | None], Mapping[str, tuple[int, int]]]


@dataclass(frozen=True)
class SupplierMatch:
    organisation: Organisation
    profile: SupplierProfile
    match: matching.Match


@dataclass(frozen=True)
class Opportunity:
    """A plan or an open consultation matching a supplier: ``kind`` is ``plan`` or ``consultation``."""

    kind: str
    item: Any
    buyer: Organisation
    match: matching.Match


def _need(cpv: str, place: str | None) -> matching.Need:
    departement = clean_departement(place) if place else None
    return matching.Need(cpv=cpv, departement=departement,
                         region=DEPARTEMENT_REGION[departement] if departement else None)


def need_of_plan(plan: PurchasePlan) -> matching.Need:
    return _need(plan.cpv, plan.departement)


def need_of_consultation(consultation: Consultation) -> matching.Need:
    return _need(consultation.cpv[:8], consultation.lieu_execution or None)


def facts_of(organisation: Organisation, profile: SupplierProfile,
             record: tuple[int, int] = (0, 0)) -> matching.SupplierFacts:
    return matching.SupplierFacts(
        org_id=organisation.id, name=organisation.name, cpvs=tuple(c.cpv for c in profile.cpvs),
        departements=frozenset(t.code for t in profile.territories if t.kind == "departement"),
        regions=frozenset(t.code for t in profile.territories if t.kind == "region"), national=profile.national,
        sme=is_sme(organisation, profile), labels=frozenset(x.code for x in profile.labels),
        past_contracts=record[0], past_contracts_same_division=record[1])


def suppliers_for(session: Session, need: matching.Need, track: Track | None = None,
                  limit: int = 20) -> list[SupplierMatch]:
    """Published profiles with at least one CPV code in the need's division, ranked with their reasons."""
    rows = session.execute(
        select(SupplierProfile, Organisation).join(Organisation, Organisation.id == SupplierProfile.organisation_id)
        .where(SupplierProfile.published.is_(True),
               SupplierProfile.id.in_(select(ProfileCpv.profile_id).where(ProfileCpv.division == need.cpv[:2])))
        .options(selectinload(SupplierProfile.cpvs), selectinload(SupplierProfile.territories),
                 selectinload(SupplierProfile.labels))).all()
    records = track([o.siret for _, o in rows], need.cpv[:2]) if track is not None and rows else {}
    by_org = {o.id: (o, p) for p, o in rows}
    ranked = matching.rank(need, [facts_of(o, p, records.get(o.siret, (0, 0))) for p, o in rows], limit)
    return [SupplierMatch(by_org[f.org_id][0], by_org[f.org_id][1], m) for f, m in ranked]


def suppliers_for_plan(session: Session, plan: PurchasePlan, track: Track | None = None,
                       limit: int = 20) -> list[SupplierMatch]:
    return suppliers_for(session, need_of_plan(plan), track, limit)


def suppliers_for_consultation(session: Session, consultation: Consultation, track: Track | None = None,
                               limit: int = 20) -> list[SupplierMatch]:
    return suppliers_for(session, need_of_consultation(consultation), track, limit)


def opportunities_for(session: Session, ctx: Context, organisation_id: int, track: Track | None = None,
                      limit: int = 20) -> list[Opportunity]:
    """Published plans and consultations open for bids in the divisions of the company's codes, ranked; for the
    company's own users only."""
    require(ctx.user, "express_interest", organisation_id)
    organisation = session.get(Organisation, organisation_id)
    profile = get_profile(session, organisation_id)
    if organisation is None or profile is None:
        raise NotFoundError(f"organisation {organisation_id} has no supplier profile yet")
    divisions = sorted({c.division for c in profile.cpvs})
    if not divisions:
        return []
    facts = facts_of(organisation, profile)
    if track is not None:
        by_division = {d: track([organisation.siret], d).get(organisation.siret, (0, 0)) for d in divisions}
        total = max((won for won, _ in by_division.values()), default=0)
        facts = dataclasses.replace(facts, past_contracts=total,
                                    past_divisions={d: same for d, (_, same) in by_division.items() if same})
    needs: list[tuple[tuple[str, Any, Organisation], matching.Need]] = []
    plans = session.execute(select(PurchasePlan, Organisation)
                            .join(Organisation, Organisation.id == PurchasePlan.buyer_org_id)
                            .where(PurchasePlan.status == "published", PurchasePlan.division.in_(divisions))
                            .order_by(PurchasePlan.launch_year, PurchasePlan.launch_quarter)).all()
    needs += [(("plan", plan, buyer), need_of_plan(plan)) for plan, buyer in plans]
    consultations = session.execute(select(Consultation, Organisation)
                                    .join(Organisation, Organisation.id == Consultation.buyer_org_id)
                                    .where(Consultation.status == "published")
                                    .order_by(Consultation.deadline)).all()
    needs += [(("consultation", c, buyer), need_of_consultation(c)) for c, buyer in consultations
              if c.cpv[:2] in divisions]
    ranked = matching.rank_needs(facts, needs, limit)
    return [Opportunity(kind, item, buyer, m) for (kind, item, buyer), m in ranked]
