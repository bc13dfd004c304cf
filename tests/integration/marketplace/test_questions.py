"""Questions and answers on SQLite and PostgreSQL: the cut-off by the server's clock, who may ask and answer,
answers sent to every registered supplier without naming the asker, and a late answer pushing the deadline.

The world's consultation is published at 2026-09-01 08:00 UTC, deadline 2026-10-11 08:00 UTC; an "Appel
d'offres ouvert" closes questions 10 days before (2026-10-01 08:00 UTC) and gives 6 days' notice of an answer.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest
from sqlalchemy import select

from spaser.accounts.models import Organisation, OutboxMessage, User
from spaser.audit import AuditEntry
from spaser.errors import AuthenticationError, ConflictError, InputError, NotFoundError, PermissionDeniedError
from spaser.marketplace import consultations, documents, questions
from spaser.marketplace.models import Consultation, Question, Registration
from spaser.marketplace.questions import BuyerQuestion, PublicAnswer
from tests.marketplace_world import World
from tests.platform_fixtures import ENGINES

pytestmark = pytest.mark.parametrize("empty_database", ENGINES, indirect=True)

UTC = dt.UTC
SIGNED = ("Les chaises doivent-elles être empilables ? Cordialement, Anne Le Gall, Menuiserie Armor "
          "(offres@armor.fr, www.armor.fr)")
ANSWER = "Oui, empilables par 6 au moins (CCTP art. 3.2)."


def _ask(world: World, consultation_id: int, text: str = SIGNED, user: User | None = None) -> Question:
    with world.platform.db.begin() as session:
        return questions.ask(session, world.ctx(user or world.supplier_a), consultation_id, text)


def _answer(world: World, question_id: int, text: str = ANSWER, user: User | None = None) -> Question:
    with world.platform.db.begin() as session:
        return questions.answer(session, world.ctx(user or world.buyer), question_id, text)


def _register(world: World, consultation_id: int, user: User) -> None:
    with world.platform.db.begin() as session:
        documents.register(session, world.ctx(user), consultation_id)


def _outbox(world: World) -> list[OutboxMessage]:
    with world.platform.db() as session:
        return list(session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars())


def _audit(world: World, action: str) -> list[AuditEntry]:
    with world.platform.db() as session:
        return list(session.execute(select(AuditEntry).where(AuditEntry.action == action)
                                    .order_by(AuditEntry.id)).scalars())


def _consultation(world: World, consultation_id: int) -> Consultation:
    with world.platform.db() as session:
        return consultations.get(session, consultation_id)


def _identity(world: World) -> list[str]:
    """Everything that names supplier A: company, SIRET, contact, e-mail and its domain."""
    with world.platform.db() as session:
        company = session.get(Organisation, world.supplier_a.organisation_id)
        assert company is not None
        return [company.name, company.siret, world.supplier_a.full_name, world.supplier_a.email, "armor.fr"]


def _names_nobody(text: str, identity: list[str]) -> bool:
    return not any(term.lower() in text.lower() for term in identity)


def test_a_supplier_asks_is_registered_and_the_audit_row_holds_no_text(world: World) -> None:
    consultation = world.published()
    question = _ask(world, consultation.id, "  Quel est le délai de livraison ?\r\n  ")
    assert question.text == "Quel est le délai de livraison ?"
    assert (question.asked_by, question.supplier_org_id) == (world.supplier_a.id, world.supplier_a.organisation_id)
    assert question.asked_at == dt.datetime(2026, 9, 1, 8, 0, tzinfo=UTC) and question.answer is None
    with world.platform.db() as session:
        registrations = session.execute(select(Registration)).scalars().all()
    assert [(r.consultation_id, r.user_id) for r in registrations] == [(consultation.id, world.supplier_a.id)]
    [entry] = _audit(world, "question.ask")
    assert entry.entity_id == str(question.id) and "délai" not in (entry.after or "")
    assert json.loads(entry.after or "{}")["length"] == len(question.text)
    _ask(world, consultation.id, "Une deuxième question ?")
    assert len(_audit(world, "consultation.register")) == 1


def test_only_suppliers_ask(world: World) -> None:
    consultation = world.published()
    for user in (world.buyer, world.other_buyer, world.evaluator, world.operator):
        with pytest.raises(PermissionDeniedError, match="may not ask question"):
            _ask(world, consultation.id, user=user)
    with world.platform.db.begin() as session, pytest.raises(AuthenticationError, match="log in first"):
        questions.ask(session, world.ctx(None), consultation.id, "Anonyme ?")


def test_question_text_is_one_to_five_thousand_characters(world: World) -> None:
    consultation = world.published()
    assert len(_ask(world, consultation.id, "x" * 5000).text) == 5000
    with pytest.raises(InputError, match=r"^text: 5001 characters, the limit is 5000$"):
        _ask(world, consultation.id, "x" * 5001)
    with pytest.raises(InputError, match=r"^text: write the text"):
        _ask(world, consultation.id, " \n\x00 ")


def test_no_question_on_a_draft_a_cancelled_or_a_closed_consultation(world: World) -> None:
    with pytest.raises(NotFoundError):
        _ask(world, world.consultation().id)
    cancelled = world.published()
    with world.platform.db.begin() as session:
        consultations.cancel(session, world.ctx(world.buyer), cancelled.id, "Besoin abandonné")
    with pytest.raises(ConflictError, match="is cancelled: questions are asked only while it is published"):
        _ask(world, cancelled.id)


def test_the_questions_cutoff_is_enforced_with_the_servers_clock(world: World) -> None:
    """Cut-off 2026-10-11 08:00 - 10 days = 2026-10-01 08:00 UTC: a minute before is accepted, at it refused."""
    consultation = world.published()
    assert _consultation(world, consultation.id).questions_cutoff == dt.datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
    world.clock.advance(days=29, hours=23, minutes=59)
    _ask(world, consultation.id, "Juste avant ?")
    world.clock.advance(minutes=1)
    with pytest.raises(ConflictError) as refused:
        _ask(world, consultation.id, "Trop tard ?")
    assert refused.value.message == (
        f"questions on consultation {consultation.reference} closed at 2026-10-01T08:00:00+00:00, "
        "01/10/2026 à 10:00 (heure de Paris); bids are accepted until 2026-10-11T08:00:00+00:00")
    world.clock.advance(days=20)
    with pytest.raises(ConflictError, match="is closed"):
        _ask(world, consultation.id)


def test_an_answer_reaches_every_registered_supplier_without_naming_the_asker(world: World) -> None:
    """Supplier A signed its question; supplier B only follows the consultation. Both get the answer, and
    neither message, nor the public answers, nor the buyer's list name A."""
    consultation = world.published()
    _register(world, consultation.id, world.supplier_b)
    question = _ask(world, consultation.id)
    world.clock.advance(days=2)
    answered = _answer(world, question.id)
    assert (answered.answer, answered.answered_by) == (ANSWER, world.buyer.id)
    assert answered.answered_at == dt.datetime(2026, 9, 3, 8, 0, tzinfo=UTC)
    messages = _outbox(world)
    assert sorted(m.recipient for m in messages) == ["ao@mobilier-ouest.fr", "offres@armor.fr"]
    identity = _identity(world)
    for message in messages:
        assert message.kind == "question_answered" and message.consultation_id == consultation.id
        assert consultation.reference in message.subject and consultation.title in message.body
        assert "Les chaises doivent-elles être empilables ?" in message.body and ANSWER in message.body
        assert _names_nobody(message.subject + message.body, identity), message.body
        assert "reportée" not in message.body
    with world.platform.db() as session:
        public = questions.public_answers(session, consultation.id)
        buyer_view = questions.questions_for_buyer(session, world.ctx(world.buyer), consultation.id)
    assert [(p.answer, p.answered_at) for p in public] == [(ANSWER, answered.answered_at)]
    assert public[0].question.startswith("Les chaises doivent-elles être empilables ? Cordialement, […], […]")
    assert all(_names_nobody(p.question + p.answer, identity) for p in public)
    assert all(_names_nobody(q.text, identity) for q in buyer_view)
    supplier_fields = {"supplier_org_id", "asked_by", "email", "company", "organisation"}
    assert not supplier_fields & {f.name for f in dataclasses.fields(PublicAnswer)}
    assert not supplier_fields & {f.name for f in dataclasses.fields(BuyerQuestion)}
    assert _audit(world, "consultation.deadline_extended") == []


def test_answering_twice_replaces_the_answer_and_audits_before_and_after(world: World) -> None:
    consultation = world.published()
    question = _ask(world, consultation.id)
    _answer(world, question.id, "Non.")
    world.clock.advance(hours=1)
    _answer(world, question.id, ANSWER, user=world.admin)
    _answer(world, question.id, ANSWER, user=world.admin)  # the same text again: nothing to tell anyone
    first, second = _audit(world, "question.answer")
    assert json.loads(first.before or "{}")["answer"] is None and json.loads(first.after or "{}")["answer"] == "Non."
    before, after = json.loads(second.before or "{}"), json.loads(second.after or "{}")
    assert (before["answer"], after["answer"]) == ("Non.", ANSWER)
    assert (before["answered_by"], after["answered_by"]) == (world.buyer.id, world.admin.id)
    assert second.actor == "admin@bretagne.bzh"
    messages = _outbox(world)
    assert len(messages) == 2 and "réponse modifiée" in messages[1].subject
    with world.platform.db() as session:
        assert [p.answer for p in questions.public_answers(session, consultation.id)] == [ANSWER]


def test_only_the_buyer_organisation_answers(world: World) -> None:
    question = _ask(world, world.published().id)
    for user in (world.other_buyer, world.evaluator, world.supplier_a, world.supplier_b, world.operator):
        with pytest.raises(PermissionDeniedError):
            _answer(world, question.id, user=user)
    with world.platform.db.begin() as session, pytest.raises(AuthenticationError):
        questions.answer(session, world.ctx(None), question.id, ANSWER)
    with pytest.raises(NotFoundError, match="question 9999 does not exist"):
        _answer(world, 9999)
    with pytest.raises(InputError, match=r"^text: write the text"):
        _answer(world, question.id, "   ")
    assert _outbox(world) == []


def test_no_answer_after_the_deadline(world: World) -> None:
    consultation = world.published()
    question = _ask(world, consultation.id)
    world.clock.advance(days=40)
    with pytest.raises(ConflictError) as refused:
        _answer(world, question.id)
    assert refused.value.message == (
        f"consultation {consultation.reference} is closed (deadline 2026-10-11T08:00:00+00:00): questions are "
        "answered only while it is published, before its deadline")


def test_a_late_answer_pushes_the_deadline_like_a_late_document(world: World) -> None:
    """Asked on day 29 (before the 2026-10-01 08:00 cut-off), answered on day 37, 2026-10-08 08:00 UTC: the
    deadline becomes 2026-10-08 08:00 + 6 days = 2026-10-14 08:00 UTC (10:00 in Paris) and the questions
    cut-off 2026-10-04 08:00 UTC."""
    consultation = world.published()
    world.clock.advance(days=29)
    question = _ask(world, consultation.id)
    world.clock.advance(days=8)
    _answer(world, question.id)
    after = _consultation(world, consultation.id)
    assert after.deadline == dt.datetime(2026, 10, 14, 8, 0, tzinfo=UTC)
    assert after.questions_cutoff == dt.datetime(2026, 10, 4, 8, 0, tzinfo=UTC)
    [extended] = _audit(world, "consultation.deadline_extended")
    assert json.loads(extended.before or "{}")["deadline"] == "2026-10-11T08:00:00+00:00"
    assert json.loads(extended.after or "{}")["deadline"] == "2026-10-14T08:00:00+00:00"
    [message] = _outbox(world)
    assert "reportée au 14/10/2026 à 10:00 (heure de Paris)" in message.body
    with pytest.raises(ConflictError, match="closed at 2026-10-04T08:00:00"):
        _ask(world, consultation.id, "Le report rouvre-t-il les questions ?")


def test_public_answers_show_only_answered_questions_of_published_consultations(world: World) -> None:
    consultation = world.published()
    answered = _ask(world, consultation.id, "Première ?")
    _ask(world, consultation.id, "Sans réponse ?", user=world.supplier_b)
    _answer(world, answered.id)
    draft = world.consultation()
    with world.platform.db() as session:
        assert [p.question for p in questions.public_answers(session, consultation.id)] == ["Première ?"]
        with pytest.raises(NotFoundError):
            questions.public_answers(session, draft.id)


def test_each_supplier_sees_its_own_questions_and_the_buyer_sees_all_without_names(world: World) -> None:
    consultation = world.published()
    mine = _ask(world, consultation.id, "Question de A ?")
    _answer(world, mine.id)
    _ask(world, consultation.id, "Autre question de A ?")
    _ask(world, consultation.id, "Question de B ?", user=world.supplier_b)
    with world.platform.db() as session:
        own_a = questions.questions_for_supplier(session, world.ctx(world.supplier_a), consultation.id)
        own_b = questions.questions_for_supplier(session, world.ctx(world.supplier_b), consultation.id)
        all_q = questions.questions_for_buyer(session, world.ctx(world.evaluator), consultation.id)
        with pytest.raises(PermissionDeniedError):
            questions.questions_for_buyer(session, world.ctx(world.other_buyer), consultation.id)
        with pytest.raises(PermissionDeniedError):
            questions.questions_for_supplier(session, world.ctx(world.buyer), consultation.id)
        with pytest.raises(AuthenticationError):
            questions.questions_for_buyer(session, world.ctx(None), consultation.id)
    assert [(q.text, q.answer) for q in own_a] == [("Question de A ?", ANSWER), ("Autre question de A ?", None)]
    assert [q.text for q in own_b] == ["Question de B ?"]
    assert [(q.text, q.answer is not None) for q in all_q] == [
        ("Question de A ?", True), ("Autre question de A ?", False), ("Question de B ?", False)]
    assert all(q.asked_at == dt.datetime(2026, 9, 1, 8, 0, tzinfo=UTC) for q in all_q)
