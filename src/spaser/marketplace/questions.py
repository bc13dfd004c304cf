"""Questions and answers: suppliers ask privately, the buyer answers everyone without naming who asked.

Why so: equal treatment of candidates (code de la commande publique R2132-6) — every supplier gets the same
information, and neither the buyer nor the competitors learn who is interested. So the asker's company, SIRET,
name and e-mail never appear in what the buyer or the public read (even when the supplier wrote them into its
question), the audit row of a question holds no text, and a late answer gives suppliers back their notice period.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from spaser.accounts.models import Organisation, User
from spaser.accounts.roles import require
from spaser.audit import changes
from spaser.domain.text import user_text
from spaser.errors import ConflictError, NotFoundError, PermissionDeniedError
from spaser.marketplace import consultations, lifecycle, notices
from spaser.marketplace.models import Consultation, Question
from spaser.platform_db.context import Context

QUESTION_MAX = 5000
ANSWER_MAX = 20000
MASK = "[…]"


@dataclass(frozen=True)
class PublicAnswer:
    """An answered question as everyone reads it: no supplier identity."""

    question: str
    answer: str
    answered_at: dt.datetime


@dataclass(frozen=True)
class BuyerQuestion:
    """A question as the buyer reads it: what and when, never who."""

    id: int
    text: str
    asked_at: dt.datetime
    answer: str | None
    answered_at: dt.datetime | None


def masked(session: Session, question: Question) -> str:
    """The question's text with the asker's company name, SIRET, contact name and e-mail (and its domain)
    replaced by ``[…]``: a supplier that signs its question is still not named to the buyer or the public."""
    organisation = session.get(Organisation, question.supplier_org_id)
    user = session.get(User, question.asked_by)
    terms: list[str] = []
    if organisation is not None:
        terms += [organisation.name, organisation.siret]
    if user is not None:
        terms += [user.email, user.full_name, user.email.rpartition("@")[2]]
    text = question.text
    for term in sorted({t.strip() for t in terms if len(t.strip()) >= 4}, key=len, reverse=True):
        text = re.sub(re.escape(term), MASK, text, flags=re.IGNORECASE)
    return text


def _state(consultation: Consultation, now: dt.datetime) -> str:
    return lifecycle.effective_status(consultation.status, consultation.deadline, now)


def ask(session: Session, ctx: Context, consultation_id: int, text: str) -> Question:
    """A supplier asks before the questions cut-off; it is registered to the consultation so it hears the
    answer (and every later change) like the others."""
    user = require(ctx.user, "ask_question")
    if user.organisation_id is None:
        raise PermissionDeniedError("a supplier user must belong to its company to ask a question")
    consultation = consultations.get_public(session, consultation_id)
    state = _state(consultation, ctx.now)
    if state != "published":
        raise ConflictError(f"consultation {consultation.reference} is {state}: questions are asked only while "
                            "it is published")
    cutoff = consultation.questions_cutoff or consultation.deadline
    if cutoff is None or ctx.now >= cutoff:
        when = "" if cutoff is None else f" at {cutoff.isoformat()}, {notices.format_paris(cutoff)}"
        deadline = consultation.deadline
        until = "" if deadline is None else f"; bids are accepted until {deadline.isoformat()}"
        raise ConflictError(f"questions on consultation {consultation.reference} closed{when}{until}")
    clean = user_text(text, "text", QUESTION_MAX)
    question = Question(consultation_id=consultation.id, supplier_org_id=user.organisation_id, asked_by=user.id,
                        text=clean, asked_at=ctx.now)
    session.add(question)
    session.flush()
    notices.ensure_registered(session, ctx, consultation, user)
    ctx.audit(session, "question.ask", "question", question.id,
              after={"consultation_id": consultation.id, "length": len(clean),
                     "sha256": hashlib.sha256(clean.encode("utf-8")).hexdigest()})
    return question


def answer(session: Session, ctx: Context, question_id: int, text: str) -> Question:
    """The buyer answers (or corrects its answer) before the deadline; every registered supplier is told,
    and an answer later than the notice period pushes the deadline."""
    question = session.get(Question, question_id)
    if question is None:
        raise NotFoundError(f"question {question_id} does not exist")
    consultation = notices.lock(session, consultations.get_for_buyer(session, ctx, question.consultation_id,
                                                                     "answer_questions"))
    user = require(ctx.user, "answer_questions", consultation.buyer_org_id)
    state = _state(consultation, ctx.now)
    if state != "published":
        deadline = "" if consultation.deadline is None else f" (deadline {consultation.deadline.isoformat()})"
        raise ConflictError(f"consultation {consultation.reference} is {state}{deadline}: questions are answered "
                            "only while it is published, before its deadline")
    clean = user_text(text, "text", ANSWER_MAX)
    if clean == question.answer:
        return question
    before = _answer_state(question)
    first = question.answer is None
    question.answer, question.answered_at, question.answered_by = clean, ctx.now, user.id
    session.flush()
    old, new = changes(before, _answer_state(question))
    ctx.audit(session, "question.answer", "question", question.id, before=old, after=new)
    what = "répondu à" if first else "modifié sa réponse à"
    notices.announce_change(
        session, ctx, consultation, kind="question_answered",
        subject=f"Consultation {consultation.reference} : {'nouvelle réponse' if first else 'réponse modifiée'} "
                "à une question",
        body=(f"Bonjour,\n\nL'acheteur a {what} une question sur la consultation {notices.heading(consultation)} "
              f"le {notices.format_paris(ctx.now)}.\n\nQuestion :\n{masked(session, question)}\n\n"
              f"Réponse :\n{clean}"))
    return question


def _answer_state(question: Question) -> dict[str, Any]:
    return {"consultation_id": question.consultation_id, "answer": question.answer,
            "answered_at": question.answered_at, "answered_by": question.answered_by}


def _questions(session: Session, consultation_id: int, *conditions: Any) -> list[Question]:
    query = (select(Question).where(Question.consultation_id == consultation_id, *conditions)
             .order_by(Question.asked_at, Question.id))
    return list(session.execute(query).scalars())


def public_answers(session: Session, consultation_id: int) -> list[PublicAnswer]:
    """The answered questions of a published (or later) consultation, for everyone, in the order answered."""
    consultation = consultations.get_public(session, consultation_id)
    rows = sorted(_questions(session, consultation.id, Question.answer.is_not(None)),
                  key=lambda q: (q.answered_at or q.asked_at, q.id))
    return [PublicAnswer(masked(session, q), q.answer or "", q.answered_at or q.asked_at) for q in rows]


def questions_for_supplier(session: Session, ctx: Context, consultation_id: int) -> list[Question]:
    """The questions the supplier's company asked, answered or not (its own text, unmasked)."""
    user = require(ctx.user, "ask_question")
    consultation = consultations.get_public(session, consultation_id)
    return _questions(session, consultation.id, Question.supplier_org_id == user.organisation_id)


def questions_for_buyer(session: Session, ctx: Context, consultation_id: int) -> list[BuyerQuestion]:
    """Every question of the buyer's consultation, to answer: text and dates, never the asker."""
    consultation = consultations.get_for_buyer(session, ctx, consultation_id, "view_buyer_workspace")
    return [BuyerQuestion(q.id, masked(session, q), q.asked_at, q.answer, q.answered_at)
            for q in _questions(session, consultation.id)]
