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
from spaser.marketplace.models import Consultation, Lot
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
    lot: Lot | None = None  # the consultation's lot the company matches best (None: the consultation's own code)


@dataclass(frozen=True)
class Opportunity:
    """A plan or an open consultation matching a supplier: ``kind`` is ``plan`` or ``consultation``."""

    kind: str
    item: Any
    buyer: Organisation
    match: matching.Match
    lot: Lot | None = None  # for a consultation, the lot the company matches best (None: its own code)


def _need(cpv: str, place: str | None) -> matching.Need:
    departement = clean_departement(place) if place else None
    return matching.Need(cpv=cpv, departement=departement,
                         region=DEPARTEMENT_REGION[departement] if departement else None)


def need_of_plan(plan: PurchasePlan) -> matching.Need:
    return _need(plan.cpv, plan.departement)


def need_of_consultation(consultation: Consultation) -> matching.Need:
    return _need(consultation.cpv[:8], consultation.lieu_execution or None)


def needs_of_consultation(consultation: Consultation) -> list[tuple[Lot | None, matching.Need]]:
    """The consultation's own code, then each lot with a code of its own: a company may answer one lot only (a
    painter the painting lot of a renovation whose own code is the general « travaux de construction »)."""
    main = need_of_consultation(consultation)
    needs: list[tuple[Lot | None, matching.Need]] = [(None, main)]
    seen = {main.cpv}
    for lot in consultation.lots:
        code = (lot.cpv or "")[:8]
        if len(code) == 8 and code.isdigit() and code not in seen:
            seen.add(code)
            needs.append((lot, dataclasses.replace(main, cpv=code)))
    return needs


def facts_of(organisation: Organisation, profile: SupplierProfile,
             record: tuple[int, int] = (0, 0)) -> matching.SupplierFacts:
    return matching.SupplierFacts(
        org_id=organisation.id, name=organisation.name, cpvs=tuple(c.cpv for c in profile.cpvs),
        departements=frozenset(t.code for t in profile.territories if t.kind == "departement"),
        regions=frozenset(t.code for t in profile.territories if t.kind == "region"), national=profile.national,
        sme=is_sme(organisation, profile), labels=frozenset(x.code for x in profile.labels),
        past_contracts=record[0], past_contracts_same_division=record[1])


def suppliers_for(session: Session, need: matching.Need, track: Track | None = None,
                  limit: int | None = 20) -> list[SupplierMatch]:
    """Published profiles with at least one CPV code in the need's division, ranked with their reasons (all of
    them when ``limit`` is None)."""
    rows = session.execute(
        select(SupplierProfile, Organisation).join(Organisation, Organisation.id == SupplierProfile.organisation_id)
        .where(SupplierProfile.published.is_(True),
               SupplierProfile.id.in_(select(ProfileCpv.profile_id).where(ProfileCpv.division == need.cpv[:2])))
        .options(selectinload(SupplierProfile.cpvs), selectinload(SupplierProfile.territories),
                 selectinload(SupplierProfile.labels))).all()
    records = track([o.siret for _, o in rows], need.cpv[:2]) if track is not None and rows else {}
    by_org = {o.id: (o, p) for p, o in rows}
    ranked = matching.rank(need, [facts_of(o, p, records.get(o.siret, (0, 0))) for p, o in rows],
                           max(len(rows), 1) if limit is None else limit)
    return [SupplierMatch(by_org[f.org_id][0], by_org[f.org_id][1], m) for f, m in ranked]


def suppliers_for_plan(session: Session, plan: PurchasePlan, track: Track | None = None,
                       limit: int = 20) -> list[SupplierMatch]:
    return suppliers_for(session, need_of_plan(plan), track, limit)


def suppliers_for_consultation(session: Session, consultation: Consultation, track: Track | None = None,
                               limit: int = 20) -> list[SupplierMatch]:
    """The companies matching the consultation or one of its lots, each with its best match (the consultation's
    own code on a tie), in :func:`matching.supplier_order`."""
    matching.check_limit(limit)
    best: dict[int, SupplierMatch] = {}
    for lot, need in needs_of_consultation(consultation):
        for found in suppliers_for(session, need, track, limit=None):
            current = best.get(found.organisation.id)
            if current is None or found.match.score > current.match.score:
                best[found.organisation.id] = dataclasses.replace(found, lot=lot)
    ranked = sorted(best.values(), key=lambda m: matching.supplier_order(m.match.score, m.organisation.name,
                                                                         m.organisation.id))
    return ranked[:limit]


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
    matching.check_limit(limit)
    needs: list[tuple[tuple[str, Any, Organisation, Lot | None], matching.Need]] = []
    plans = session.execute(select(PurchasePlan, Organisation)
                            .join(Organisation, Organisation.id == PurchasePlan.buyer_org_id)
                            .where(PurchasePlan.status == "published", PurchasePlan.division.in_(divisions))
                            .order_by(PurchasePlan.launch_year, PurchasePlan.launch_quarter)).all()
    needs += [(("plan", plan, buyer, None), need_of_plan(plan)) for plan, buyer in plans]
    consultations = session.execute(select(Consultation, Organisation)
                                    .join(Organisation, Organisation.id == Consultation.buyer_org_id)
                                    .where(Consultation.status == "published")
                                    .order_by(Consultation.deadline, Consultation.id)
                                    .options(selectinload(Consultation.lots))).all()
    needs += [(("consultation", c, buyer, lot), need) for c, buyer in consultations
              for lot, need in needs_of_consultation(c) if need.cpv[:2] in divisions]
    found: list[Opportunity] = []
    seen: set[tuple[str, int]] = set()
    for (kind, item, buyer, lot), m in matching.rank_needs(facts, needs, max(len(needs), 1)):
        if (kind, item.id) not in seen:  # a consultation once, with its best-matching lot (its own code first)
            seen.add((kind, item.id))
            found.append(Opportunity(kind, item, buyer, m, lot))
    return found[:limit]
