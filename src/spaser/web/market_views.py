"""Plain views of marketplace objects for pages and their JSON twins, built inside the session.

Why dicts: pages and JSON share one shape, and nothing lazy-loads after the session is closed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from spaser.accounts.models import Organisation
from spaser.marketplace import documents, lifecycle, questions
from spaser.marketplace.models import Bid, Consultation

STATUS_FR = {"draft": "brouillon", "published": "ouverte", "closed": "clôturée (ouverture des plis à venir)",
             "opened": "plis ouverts", "evaluation": "en analyse", "awarded": "attribuée", "cancelled": "annulée",
             "unsuccessful": "infructueuse"}
STATUS_EN = {"draft": "draft", "published": "open", "closed": "closed (awaiting opening)", "opened": "bids opened",
             "evaluation": "under evaluation", "awarded": "awarded", "cancelled": "cancelled",
             "unsuccessful": "unsuccessful"}


def summary(consultation: Consultation, buyer: Organisation, now: dt.datetime) -> dict[str, Any]:
    return {
        "id": consultation.id, "reference": consultation.reference, "title": consultation.title,
        "buyer": buyer.name, "buyer_siret": buyer.siret, "procedure": consultation.procedure,
        "contract_type": consultation.contract_type, "cpv": consultation.cpv,
        "estimated_value": consultation.estimated_value, "deadline": consultation.deadline,
        "published_at": consultation.published_at,
        "status": lifecycle.effective_status(consultation.status, consultation.deadline, now),
    }


def detail(session: Session, consultation: Consultation, now: dt.datetime) -> dict[str, Any]:
    buyer = session.get(Organisation, consultation.buyer_org_id)
    assert buyer is not None
    view = summary(consultation, buyer, now)
    view |= {
        "description": consultation.description, "nature": consultation.nature, "duree_mois": consultation.duree_mois,
        "lieu_execution": consultation.lieu_execution, "questions_cutoff": consultation.questions_cutoff,
        "close_reason": consultation.close_reason,
        "criteria": [{"label": c.label, "kind": c.kind, "weight": c.weight,
                      "includes_environment": c.includes_environment} for c in consultation.criteria],
        "clauses": [{"kind": c.kind, "text": c.text} for c in consultation.clauses],
        "lots": [{"number": lot.number, "title": lot.title, "cpv": lot.cpv} for lot in consultation.lots],
        "documents": [{"id": d.id, "name": d.name, "version": d.version, "size": d.size, "sha256": d.sha256,
                       "content_type": d.content_type, "uploaded_at": d.uploaded_at}
                      for d in documents.list_documents(session, consultation)],
        "answers": [] if consultation.status == "draft" else [
            {"question": a.question, "answer": a.answer, "answered_at": a.answered_at}
            for a in questions.public_answers(session, consultation.id)],
    }
    return view


def bid_view(bid: Bid) -> dict[str, Any]:
    return {"id": bid.id, "consultation_id": bid.consultation_id, "deposited_at": bid.deposited_at,
            "sequence": bid.sequence, "status": bid.status, "is_backup": bid.is_backup,
            "files": [{"id": f.id, "filename": f.filename, "size": f.size, "sha256": f.sha256} for f in bid.files]}
