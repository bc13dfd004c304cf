"""Evaluation and award: scores per criterion, weighted ranking, the award decision with its notifications,
the standstill, and the contract's notification that publishes its DECP record to the feed.

Why the DECP record is written at notification and not at the award: the essential data carry the
notification date, and a contract is concluded only once the standstill (délai de suspension) is over.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from spaser.accounts.models import Organisation, User
from spaser.accounts.service import queue_message
from spaser.errors import ConflictError, InputError, NotFoundError
from spaser.marketplace import consultations, lifecycle, rules
from spaser.marketplace.bids import active_bids
from spaser.marketplace.decp_record import build_record, contract_id
from spaser.marketplace.models import Award, Bid, Consultation, Criterion, DecpFeedEntry, Score
from spaser.platform_db.context import Context

PRICE_KINDS = ("price", "cost", "global_cost")


def _evaluable(session: Session, ctx: Context, bid_id: int) -> tuple[Bid, Consultation]:
    bid = session.get(Bid, bid_id)
    if bid is None:
        raise NotFoundError(f"bid {bid_id} does not exist")
    consultation = consultations.get_for_buyer(session, ctx, bid.consultation_id, "evaluate")
    if consultation.status not in ("opened", "evaluation"):
        raise ConflictError(f"consultation {consultation.reference} is {consultation.status}: bids are scored "
                            "after the opening and before the award")
    if bid not in active_bids(session, consultation.id):
        raise ConflictError(f"bid {bid_id} does not count (replaced by a later deposit, or an unopened backup)")
    return bid, consultation


def score(session: Session, ctx: Context, bid_id: int, criterion_id: int, value: Decimal,
          comment: str = "") -> Score:
    """Set (or change) a bid's score on one criterion, 0 to 100 before weighting."""
    bid, consultation = _evaluable(session, ctx, bid_id)
    criterion = session.get(Criterion, criterion_id)
    if criterion is None or criterion.consultation_id != consultation.id:
        raise NotFoundError(f"criterion {criterion_id} is not a criterion of {consultation.reference}")
    if not Decimal(0) <= value <= Decimal(100):
        raise InputError(f"score: {value} is outside 0..100")
    if consultation.status == "opened":
        consultation.status = lifecycle.transition(consultation.status, consultation.deadline, ctx.now,
                                                   "start_evaluation")
    row = session.execute(select(Score).where(Score.bid_id == bid.id, Score.criterion_id == criterion.id)
                          ).scalar_one_or_none()
    before = None if row is None else {"score": str(row.score), "comment": row.comment}
    if row is None:
        row = Score(bid_id=bid.id, criterion_id=criterion.id, score=value, comment=comment,
                    evaluator_id=ctx.user.id if ctx.user else 0, scored_at=ctx.now)
        session.add(row)
    else:
        row.score, row.comment, row.scored_at = value, comment, ctx.now
    session.flush()
    ctx.audit(session, "bid.score", "bid", bid.id, before=before,
              after={"criterion": criterion.label, "score": str(value), "comment": comment})
    return row


def score_prices(session: Session, ctx: Context, consultation_id: int) -> int:
    """Score every price criterion by the usual formula 100 × lowest amount ÷ amount; returns scores set."""
    consultation = consultations.get_for_buyer(session, ctx, consultation_id, "evaluate")
    bids = [b for b in active_bids(session, consultation.id) if b.amount is not None and b.amount > 0]
    if not bids:
        return 0
    lowest = min(b.amount for b in bids if b.amount is not None)
    count = 0
    for criterion in consultation.criteria:
        if criterion.kind == "price":
            for bid in bids:
                assert bid.amount is not None
                value = (Decimal(100) * lowest / bid.amount).quantize(Decimal("0.01"))
                score(session, ctx, bid.id, criterion.id, value, "100 × montant le plus bas / montant de l'offre")
                count += 1
    return count


@dataclass(frozen=True)
class Ranked:
    rank: int
    bid: Bid
    supplier: Organisation
    scores: dict[int, Decimal]
    total: Decimal


def ranking(session: Session, ctx: Context, consultation_id: int) -> list[Ranked]:
    """The counted bids by weighted total, best first; ties share a rank (the buyer decides between them)."""
    consultation = consultations.get_for_buyer(session, ctx, consultation_id, "evaluate")
    weights = {c.id: c.weight for c in consultation.criteria}
    rows = []
    for bid in active_bids(session, consultation.id):
        if bid.opened_at is None:
            continue
        scores = {s.criterion_id: s.score for s in session.execute(
            select(Score).where(Score.bid_id == bid.id)).scalars()}
        supplier = session.get(Organisation, bid.supplier_org_id)
        assert supplier is not None
        rows.append((rules.weighted_total(scores, weights), bid, supplier, scores))
    rows.sort(key=lambda row: (-row[0], row[1].amount or Decimal(0), row[1].id))
    ranked: list[Ranked] = []
    for index, (total, bid, supplier, scores) in enumerate(rows):
        rank = ranked[-1].rank if ranked and ranked[-1].total == total else index + 1
        ranked.append(Ranked(rank, bid, supplier, scores, total))
    return ranked


def _supplier_users(session: Session, organisation_id: int) -> list[User]:
    return list(session.execute(select(User).where(User.organisation_id == organisation_id,
                                                   User.active.is_(True))).scalars())


def award(session: Session, ctx: Context, consultation_id: int, bid_id: int) -> Award:
    """Award the consultation to a bid; tell the winner and every other bidder (with the winner's name and the
    scores, as the law requires for rejected bids); start the standstill."""
    consultation = consultations.get_for_buyer(session, ctx, consultation_id, "award")
    new_status = lifecycle.transition(consultation.status, consultation.deadline, ctx.now, "award")
    ranked = ranking(session, ctx, consultation_id)
    winner = next((r for r in ranked if r.bid.id == bid_id), None)
    if winner is None:
        raise InputError(f"bid: {bid_id} is not an opened bid of {consultation.reference}")
    if winner.bid.amount is None:
        raise ConflictError(f"bid {bid_id} has no amount: its offer form was not read at the opening")
    standstill = ctx.now + dt.timedelta(days=consultation.standstill_days)
    decision = Award(consultation_id=consultation.id, bid_id=bid_id, amount=winner.bid.amount, decided_at=ctx.now,
                     decided_by=ctx.user.id if ctx.user else 0, standstill_ends_at=standstill)
    session.add(decision)
    consultation.status = new_status
    session.flush()
    for entry in ranked:
        won = entry.bid.id == bid_id
        for user in _supplier_users(session, entry.supplier.id):
            queue_message(
                session, ctx, kind="award_won" if won else "award_lost", recipient=user.email,
                consultation_id=consultation.id,
                subject=f"{consultation.reference} : votre offre est {'retenue' if won else 'non retenue'}",
                body=_award_letter(consultation, entry, winner, won, standstill))
    ctx.audit(session, "consultation.award", "consultation", consultation.id, before={"status": "evaluation"},
              after={"status": new_status, "bid": bid_id, "supplier_siret": winner.supplier.siret,
                     "amount": str(winner.bid.amount), "total": str(winner.total),
                     "standstill_ends_at": standstill.isoformat()})
    return decision


def _award_letter(consultation: Consultation, entry: Ranked, winner: Ranked, won: bool,
                  standstill: dt.datetime) -> str:
    head = f"Consultation {consultation.reference} — {consultation.title}\n\n"
    if won:
        return head + (f"Votre offre ({entry.bid.amount} € HT) est classée première avec {entry.total}/100. "
                       f"Le marché vous sera notifié après le délai de suspension, le "
                       f"{standstill:%d/%m/%Y à %H:%M} UTC.\n")
    return head + (f"Votre offre n'est pas retenue : classée {entry.rank}e avec {entry.total}/100. "
                   f"L'attributaire pressenti est {winner.supplier.name} (SIRET {winner.supplier.siret}), "
                   f"{winner.total}/100, pour {winner.bid.amount} € HT. Vous pouvez demander les motifs détaillés "
                   f"du rejet. Le marché ne sera pas signé avant le {standstill:%d/%m/%Y à %H:%M} UTC.\n")


def notify_contract(session: Session, ctx: Context, consultation_id: int) -> DecpFeedEntry:
    """Record the contract's notification once the standstill is over and publish its DECP record."""
    consultation = consultations.get_for_buyer(session, ctx, consultation_id, "award")
    decision = session.execute(select(Award).where(Award.consultation_id == consultation.id)).scalar_one_or_none()
    if decision is None:
        raise ConflictError(f"consultation {consultation.reference} has not been awarded")
    if decision.notified_at is not None:
        raise ConflictError(f"the contract of {consultation.reference} was notified on "
                            f"{decision.notified_at.date().isoformat()}")
    if ctx.now < decision.standstill_ends_at:
        raise ConflictError(f"the standstill runs until {decision.standstill_ends_at.isoformat(timespec='minutes')}: "
                            "the contract cannot be notified before")
    buyer = session.get(Organisation, consultation.buyer_org_id)
    bid = session.get(Bid, decision.bid_id)
    assert buyer is not None and bid is not None
    titulaire = session.get(Organisation, bid.supplier_org_id)
    assert titulaire is not None
    offres = len(active_bids(session, consultation.id))
    record = build_record(consultation, buyer_siret=buyer.siret, buyer_departement=buyer.departement,
                          titulaire_siret=titulaire.siret, amount=decision.amount, offres_recues=offres,
                          notified_on=ctx.now.date(), published_on=ctx.now.date())
    decision.notified_at = ctx.now
    decision.contract_uid = buyer.siret + contract_id(consultation)
    entry = DecpFeedEntry(award_id=decision.id, uid=decision.contract_uid, published_at=ctx.now,
                          record=json.dumps(record, ensure_ascii=False, sort_keys=True))
    session.add(entry)
    session.flush()
    ctx.audit(session, "contract.notify", "award", decision.id, after={
        "uid": decision.contract_uid, "feed_id": entry.id, "offresRecues": offres, "montant": str(decision.amount)})
    return entry
