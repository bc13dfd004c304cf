"""The guichet vert's help desk on SQLite and PostgreSQL: a buyer asks, the desk assigns and answers (with clauses
attached, the requester told by e-mail), the buyer follows up, the request is closed; the public figures with
medians computed by hand from the world's clock; who may read and do what; the audit log."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from spaser.accounts.models import OutboxMessage
from spaser.audit import AuditEntry
from spaser.clauses import helpdesk, library
from spaser.errors import AuthenticationError, ConflictError, InputError, NotFoundError, PermissionDeniedError
from tests.marketplace_world import START, World
from tests.platform_fixtures import ENGINES

pytestmark = pytest.mark.parametrize("empty_database", ENGINES, indirect=True)


def _submit(world: World, user: object = None, **values: object) -> int:
    fields: dict[str, object] = {"kind": "question", "subject": "Clause d'insertion pour un marché de nettoyage",
                                 "body": "Quel pourcentage d'heures d'insertion demander pour 2 ans de nettoyage ?"}
    fields.update(values)
    with world.platform.db.begin() as session:
        request = helpdesk.submit(session, world.ctx(user or world.buyer), **fields)  # type: ignore[arg-type]
        return request.id


def _outbox(world: World) -> list[tuple[str, str, str]]:
    with world.platform.db() as session:
        return [(m.kind, m.recipient, m.body) for m in session.execute(
            select(OutboxMessage).order_by(OutboxMessage.id)).scalars()]


def test_a_request_from_submission_to_closing(world: World) -> None:
    with world.platform.db.begin() as session:
        library.seed(session, world.ctx(None))
    draft = world.consultation()
    request_id = _submit(world, kind="draft_review", subject="Relecture du DCE mobilier",
                         body="Pouvez-vous relire nos clauses environnementales ?", cpv=" 39160000-1 ",
                         consultation_id=draft.id)
    with world.platform.db() as session:
        request = helpdesk.get_request(session, world.ctx(world.buyer), request_id)
        assert (request.status, request.kind, request.cpv, request.consultation_id, request.organisation_id) == (
            "new", "draft_review", "39160000", draft.id, world.region.id)
        assert request.created_at == START and request.first_response_at is None
        assert [r.id for r in helpdesk.my_requests(session, world.ctx(world.evaluator))] == [request_id]
        assert [r.id for r in helpdesk.desk_queue(session, world.ctx(world.operator), "new")] == [request_id]

    world.clock.advance(hours=1)
    with world.platform.db.begin() as session:
        assigned = helpdesk.assign(session, world.ctx(world.operator), request_id)
        assert (assigned.status, assigned.assignee_id, assigned.assigned_at) == ("assigned", world.operator.id,
                                                                                 START + dt.timedelta(hours=1))
    world.clock.advance(hours=3)
    with world.platform.db.begin() as session:
        message = helpdesk.reply(session, world.ctx(world.operator), request_id,
                                 "Voici deux clauses adaptées au mobilier.",
                                 ["mobilier-reemploi", "mobilier-bois-gestion-durable", "mobilier-reemploi"])
        assert message.from_desk and message.clause_ids == ["mobilier-reemploi", "mobilier-bois-gestion-durable"]
    answered_at = START + dt.timedelta(hours=4)
    with world.platform.db() as session:
        request = helpdesk.get_request(session, world.ctx(world.buyer), request_id)
        assert (request.status, request.first_response_at) == ("answered", answered_at)
    [(kind, recipient, body)] = _outbox(world)
    assert (kind, recipient) == ("help_answer", world.buyer.email)
    assert f"/guichet-vert/demandes/{request_id}" in body

    world.clock.advance(hours=2)
    with world.platform.db.begin() as session:  # the buyer follows up: back in the desk's queue
        follow_up = helpdesk.reply(session, world.ctx(world.buyer), request_id, "Et pour les chaises ?")
        assert not follow_up.from_desk
    with world.platform.db() as session:
        assert helpdesk.get_request(session, world.ctx(world.buyer), request_id).status == "assigned"
    world.clock.advance(hours=2)
    with world.platform.db.begin() as session:
        helpdesk.reply(session, world.ctx(world.operator), request_id, "Même clause pour les chaises.")
    with world.platform.db() as session:
        request = helpdesk.get_request(session, world.ctx(world.admin), request_id)
        assert (request.status, request.first_response_at) == ("answered", answered_at)  # set once
        assert [(m.from_desk, m.author_id) for m in request.messages] == [
            (True, world.operator.id), (False, world.buyer.id), (True, world.operator.id)]
    assert len(_outbox(world)) == 2

    with world.platform.db.begin() as session:
        closed = helpdesk.close(session, world.ctx(world.buyer), request_id)
        assert (closed.status, closed.closed_at) == ("closed", START + dt.timedelta(hours=8))
    with world.platform.db.begin() as session:
        assert helpdesk.close(session, world.ctx(world.operator), request_id).closed_at == closed.closed_at
        with pytest.raises(ConflictError, match="is closed: open a new one"):
            helpdesk.reply(session, world.ctx(world.buyer), request_id, "Encore une question.")
        with pytest.raises(ConflictError, match="is closed"):
            helpdesk.assign(session, world.ctx(world.operator), request_id)
    with world.platform.db() as session:
        actions = session.execute(select(AuditEntry.action).where(
            AuditEntry.entity_type == "help_request", AuditEntry.entity_id == str(request_id))
            .order_by(AuditEntry.id)).scalars().all()
    assert actions == ["help_request.submit", "help_request.assign", "help_request.reply", "help_request.reply",
                       "help_request.reply", "help_request.close"]


def test_a_desk_answer_to_a_new_request_assigns_it_to_the_one_who_answers(world: World) -> None:
    request_id = _submit(world)
    world.clock.advance(minutes=90)
    with world.platform.db.begin() as session:
        helpdesk.reply(session, world.ctx(world.operator), request_id, "10 % des heures est un bon début.")
        request = helpdesk.get_request(session, world.ctx(world.operator), request_id)
        assert (request.status, request.assignee_id, request.assigned_at) == (
            "answered", world.operator.id, START + dt.timedelta(minutes=90))


def test_public_figures_with_medians_computed_by_hand(world: World) -> None:
    with world.platform.db() as session:
        empty = helpdesk.stats(session, world.clock.now)
    assert (empty.total, empty.answered, empty.median_response_hours, empty.median_open_hours) == (0, 0, None, None)
    assert empty.by_status == {"new": 0, "assigned": 0, "answered": 0, "closed": 0}

    def at(hours: float) -> None:
        world.clock.now = START + dt.timedelta(hours=hours)

    def answer(request_id: int) -> None:
        with world.platform.db.begin() as session:
            helpdesk.reply(session, world.ctx(world.operator), request_id, "Réponse du guichet.")

    at(0)
    r1 = _submit(world)
    at(1)
    r2 = _submit(world, world.admin)
    at(2)
    r3 = _submit(world, world.evaluator)
    at(3)
    answer(r2)  # 2 h
    r4 = _submit(world)
    at(4)
    r5 = _submit(world)
    with world.platform.db.begin() as session:
        helpdesk.close(session, world.ctx(world.buyer), r5)  # closed unanswered: not waiting
    at(5)
    answer(r1)  # 5 h
    at(10)
    _submit(world, world.other_buyer)  # r6
    at(32)
    answer(r3)  # 30 h
    at(40)
    with world.platform.db() as session:
        figures = helpdesk.stats(session, world.clock.now)
    assert figures.total == 6 and figures.answered == 3
    assert figures.by_status == {"new": 2, "assigned": 0, "answered": 3, "closed": 1}
    assert figures.median_response_hours == 5.0  # median of 2, 5, 30
    assert figures.median_open_hours == 33.5  # r4 waits 37 h, r6 30 h
    with world.platform.db.begin() as session:
        helpdesk.reply(session, world.ctx(world.buyer), r1, "Merci, et pour les lots ?")
        helpdesk.assign(session, world.ctx(world.operator), r4)
    with world.platform.db() as session:
        figures = helpdesk.stats(session, world.clock.now)
    assert figures.by_status == {"new": 1, "assigned": 2, "answered": 2, "closed": 1}
    assert (figures.answered, figures.median_response_hours) == (3, 5.0)  # first answers do not change


def test_who_may_read_and_act_on_a_request(world: World) -> None:
    with world.platform.db.begin() as session:
        library.seed(session, world.ctx(None))
    request_id = _submit(world)
    other_id = _submit(world, world.other_buyer, subject="Marché réservé ESAT")
    with world.platform.db.begin() as session:
        for user in (world.other_buyer, world.supplier_a):
            with pytest.raises(NotFoundError, match=f"no help request {request_id}"):
                helpdesk.get_request(session, world.ctx(user), request_id)
            with pytest.raises(NotFoundError):
                helpdesk.reply(session, world.ctx(user), request_id, "Je lis la demande d'un autre.")
            with pytest.raises(NotFoundError):
                helpdesk.close(session, world.ctx(user), request_id)
        with pytest.raises(NotFoundError, match="no help request 999999"):
            helpdesk.get_request(session, world.ctx(world.operator), 999999)
        with pytest.raises(AuthenticationError):
            helpdesk.get_request(session, world.ctx(None), request_id)
        assert [r.id for r in helpdesk.my_requests(session, world.ctx(world.buyer))] == [request_id]
        assert [r.id for r in helpdesk.my_requests(session, world.ctx(world.other_buyer))] == [other_id]
        with pytest.raises(PermissionDeniedError):
            helpdesk.my_requests(session, world.ctx(world.supplier_a))
        with pytest.raises(PermissionDeniedError):
            helpdesk.submit(session, world.ctx(world.supplier_a), kind="question", subject="s", body="b")
        with pytest.raises(AuthenticationError):
            helpdesk.submit(session, world.ctx(None), kind="question", subject="s", body="b")
        for user in (world.buyer, world.admin, world.supplier_a):
            with pytest.raises(PermissionDeniedError, match="only a platform administrator"):
                helpdesk.desk_queue(session, world.ctx(user))
            with pytest.raises(PermissionDeniedError, match="only a platform administrator"):
                helpdesk.assign(session, world.ctx(user), request_id)
        with pytest.raises(PermissionDeniedError, match="only the desk attaches clauses"):
            helpdesk.reply(session, world.ctx(world.buyer), request_id, "Voir pièce jointe.", ["mobilier-reemploi"])
        with pytest.raises(InputError, match="clause_ids: 'inconnue' is not a validated clause"):
            helpdesk.reply(session, world.ctx(world.operator), request_id, "Voir.", ["inconnue"])
        with pytest.raises(InputError, match=f"assignee: user {world.buyer.id} is not a member of the help desk"):
            helpdesk.assign(session, world.ctx(world.operator), request_id, world.buyer.id)
        queue = helpdesk.desk_queue(session, world.ctx(world.operator))
        assert [r.id for r in queue] == [request_id, other_id]
        with pytest.raises(InputError, match="status: 'open' is not one of"):
            helpdesk.desk_queue(session, world.ctx(world.operator), "open")


@pytest.mark.parametrize(("values", "error", "message"), [
    ({"kind": "complaint"}, InputError, "kind: 'complaint' is not one of question, draft_review"),
    ({"kind": "draft_review"}, InputError, "consultation: a draft review names the consultation"),
    ({"subject": "  "}, InputError, "subject: write the text"),
    ({"body": ""}, InputError, "body: write the text"),
    ({"cpv": "391"}, InputError, "cpv: '391' is not a CPV code"),
    ({"consultation_id": 999999}, NotFoundError, "no consultation 999999 in your organisation"),
])
def test_a_request_is_checked(world: World, values: dict[str, object], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        _submit(world, **values)


def test_a_draft_review_names_a_consultation_of_ones_own_organisation(world: World) -> None:
    draft = world.consultation()
    with pytest.raises(NotFoundError, match=f"no consultation {draft.id} in your organisation"):
        _submit(world, world.other_buyer, kind="draft_review", consultation_id=draft.id)
    request_id = _submit(world, world.admin, kind="draft_review", consultation_id=draft.id)
    with world.platform.db() as session:
        assert helpdesk.get_request(session, world.ctx(world.buyer), request_id).consultation_id == draft.id
