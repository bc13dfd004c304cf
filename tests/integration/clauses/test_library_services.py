"""The clause library's services on SQLite and PostgreSQL: the seed from the shipped catalogue (idempotent, a
changed clause becomes a new validated version), proposals and their validation or rejection, who may do what,
the audit log, the search over the current versions, and copying a clause into a draft consultation."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from sqlalchemy import func, select

from spaser.audit import AuditEntry
from spaser.clauses import library
from spaser.clauses.catalogue import catalogue
from spaser.clauses.models import Clause, ClauseVersion
from spaser.errors import AuthenticationError, ConflictError, InputError, NotFoundError, PermissionDeniedError
from spaser.marketplace import consultations
from tests.marketplace_world import World
from tests.platform_fixtures import ENGINES

pytestmark = pytest.mark.parametrize("empty_database", ENGINES, indirect=True)

REVISION: dict[str, Any] = {
    "title": "Menu végétarien quotidien en restauration scolaire",
    "kind": "technical_specification", "theme": "environmental", "level": "advanced",
    "categories": ["555", "15"], "legal_basis": ["Code rural, art. L230-5-6"],
    "keywords": ["végétarien", "protéines végétales"],
    "text": "Le titulaire propose chaque jour une option végétarienne composée de protéines végétales.",
    "verification": "Plans de menus sur quatre semaines.",
}
NEW_CLAUSE: dict[str, Any] = {
    "title": "Gourdes réutilisables pour les agents",
    "kind": "execution_condition", "theme": "environmental", "level": "basic",
    "categories": "392\n", "legal_basis": "Code de la commande publique, art. L2112-2\n\nLoi AGEC, art. 77",
    "keywords": "", "text": "Le titulaire fournit des gourdes en inox à ses agents ; aucune bouteille jetable.",
    "verification": "Bons de livraison des gourdes.",
}


def _seed(world: World) -> library.SeedReport:
    with world.platform.db.begin() as session:
        return library.seed(session, world.ctx(None))


def _actions(world: World, entity_id: str) -> list[str]:
    with world.platform.db() as session:
        return list(session.execute(select(AuditEntry.action).where(
            AuditEntry.entity_type == "clause", AuditEntry.entity_id == entity_id).order_by(AuditEntry.id)).scalars())


def test_seed_creates_every_shipped_clause_once_and_is_idempotent(world: World) -> None:
    shipped = catalogue()
    first = _seed(world)
    assert (first.created, first.updated, first.unchanged) == (len(shipped), 0, 0)
    second = _seed(world)
    assert (second.created, second.updated, second.unchanged) == (0, 0, len(shipped))
    with world.platform.db() as session:
        assert session.execute(select(func.count()).select_from(Clause)).scalar_one() == len(shipped)
        assert session.execute(select(func.count()).select_from(ClauseVersion)).scalar_one() == len(shipped)
        versions = library.current_versions(session)
        assert len(versions) == len(shipped)
        assert [v.title for v in versions] == sorted(v.title for v in versions)
        clause, version = library.get_clause(session, "restauration-menu-vegetarien")
        model = next(c for c in shipped if c.id == "restauration-menu-vegetarien")
        assert (clause.origin, clause.current_version, version.number, version.status) == ("library", 1, 1,
                                                                                          "validated")
        assert version.fields() == library.fields_of(model)
        with pytest.raises(NotFoundError, match="no clause 'nope'"):
            library.get_clause(session, "nope")
    assert _actions(world, "library") == ["clause.seed"]  # the second seed changed nothing: no entry


def test_a_changed_shipped_clause_becomes_a_new_validated_version(world: World) -> None:
    _seed(world)
    shipped = list(catalogue())
    index = next(i for i, c in enumerate(shipped) if c.id == "papier-recycle")
    shipped[index] = dataclasses.replace(shipped[index], text=shipped[index].text + " Le papier est blanchi sans "
                                                                                     "chlore.")
    with world.platform.db.begin() as session:
        report = library.seed(session, world.ctx(None), shipped)
    assert (report.created, report.updated, report.unchanged) == (0, 1, len(shipped) - 1)
    with world.platform.db() as session:
        clause, current = library.get_clause(session, "papier-recycle")
        assert clause.current_version == 2 and current.text.endswith("sans chlore.")
        assert [(v.number, v.status) for v in clause.versions] == [(1, "superseded"), (2, "validated")]
    with world.platform.db.begin() as session:  # the same release seeded again: nothing more
        again = library.seed(session, world.ctx(None), shipped)
    assert (again.updated, again.unchanged) == (0, len(shipped))


def test_a_shipped_change_waits_for_review_when_a_buyer_revision_is_in_force(world: World) -> None:
    """The administrators validated a buyer's revision: a later release's text does not silently replace it."""
    _seed(world)
    with world.platform.db.begin() as session:
        proposal = library.propose(session, world.ctx(world.buyer), REVISION, "restauration-menu-vegetarien")
        library.review(session, world.ctx(world.operator), proposal.id, accept=True)
    shipped = [dataclasses.replace(c, text=c.text + " Version 2027.") if c.id == "restauration-menu-vegetarien"
               else c for c in catalogue()]
    for _ in range(2):  # seeding the same release again adds nothing more
        with world.platform.db.begin() as session:
            library.seed(session, world.ctx(None), shipped)
    with world.platform.db() as session:
        clause, current = library.get_clause(session, "restauration-menu-vegetarien")
        assert (clause.current_version, current.proposed_by) == (2, world.buyer.id)  # the buyer's, still
        assert [(v.number, v.status) for v in clause.versions] == [(1, "superseded"), (2, "validated"),
                                                                   (3, "proposed")]
        waiting = library.pending(session, world.ctx(world.operator))
        assert [(v.number, v.proposal_note) for v in waiting] == [(3, "nouvelle version livrée avec spaser")]


def test_a_revision_is_pending_until_a_platform_admin_validates_it(world: World) -> None:
    _seed(world)
    with world.platform.db.begin() as session:
        proposal = library.propose(session, world.ctx(world.buyer), REVISION, "restauration-menu-vegetarien",
                                   note="La loi EGalim pousse vers l'option quotidienne.")
        proposal_id = proposal.id
        assert (proposal.number, proposal.status, proposal.proposed_by) == (2, "proposed", world.buyer.id)
    with world.platform.db() as session:
        _, current = library.get_clause(session, "restauration-menu-vegetarien")
        assert current.number == 1  # still the shipped text for everyone
        assert [v.id for v in library.pending(session, world.ctx(world.operator))] == [proposal_id]
        mine = library.my_proposals(session, world.ctx(world.buyer))
        assert [(v.id, v.status, v.proposal_note) for v in mine] == [
            (proposal_id, "proposed", "La loi EGalim pousse vers l'option quotidienne.")]
        assert library.my_proposals(session, world.ctx(world.admin)) == []
        assert library.my_proposals(session, world.ctx(None)) == []
    world.clock.advance(hours=2)
    with world.platform.db.begin() as session:
        reviewed = library.review(session, world.ctx(world.operator), proposal_id, accept=True, note="Merci.")
        assert (reviewed.status, reviewed.reviewed_by, reviewed.reviewed_at) == ("validated", world.operator.id,
                                                                                 world.clock.now)
    with world.platform.db() as session:
        clause, current = library.get_clause(session, "restauration-menu-vegetarien")
        assert clause.current_version == 2 and current.title == REVISION["title"]
        assert [(v.number, v.status) for v in clause.versions] == [(1, "superseded"), (2, "validated")]
        assert library.pending(session, world.ctx(world.operator)) == []
        results, versions = library.search(session, "option végétarienne quotidienne")
        assert results.keys[0] == "restauration-menu-vegetarien"
        assert versions["restauration-menu-vegetarien"].number == 2
    with world.platform.db.begin() as session, pytest.raises(ConflictError, match="already validated"):
        library.review(session, world.ctx(world.operator), proposal_id, accept=False, note="trop tard")
    assert _actions(world, "restauration-menu-vegetarien") == ["clause.propose", "clause.validate"]


def test_a_new_clause_is_invisible_until_validated(world: World) -> None:
    _seed(world)
    with world.platform.db.begin() as session:
        proposal = library.propose(session, world.ctx(world.admin), NEW_CLAUSE)
        assert (proposal.clause_id, proposal.number) == ("proposition-1", 1)
        assert proposal.categories == ["392"]
        assert proposal.legal_basis == ["Code de la commande publique, art. L2112-2", "Loi AGEC, art. 77"]
        assert proposal.keywords == []
        version_id = proposal.id
    with world.platform.db() as session:
        with pytest.raises(NotFoundError):
            library.get_clause(session, "proposition-1")
        assert len(library.current_versions(session)) == len(catalogue())
    with world.platform.db.begin() as session:
        library.review(session, world.ctx(world.operator), version_id, accept=True)
    with world.platform.db() as session:
        clause, version = library.get_clause(session, "proposition-1")
        assert (clause.origin, clause.current_version, version.status) == ("buyer", 1, "validated")
        results, _ = library.search(session, "gourdes inox")
        assert results.keys[0] == "proposition-1"
    with world.platform.db.begin() as session:  # the next new clause gets the next number
        assert library.propose(session, world.ctx(world.buyer), NEW_CLAUSE | {"title": "Autre"}).clause_id == \
            "proposition-2"


def test_a_rejection_needs_a_note_and_leaves_the_current_version(world: World) -> None:
    _seed(world)
    with world.platform.db.begin() as session:
        version_id = library.propose(session, world.ctx(world.buyer), REVISION, "restauration-menu-vegetarien").id
    with world.platform.db.begin() as session, pytest.raises(InputError, match="note: say why"):
        library.review(session, world.ctx(world.operator), version_id, accept=False, note="  ")
    with world.platform.db.begin() as session:
        rejected = library.review(session, world.ctx(world.operator), version_id, accept=False,
                                  note="Le code rural n'impose pas d'option quotidienne partout.")
        assert rejected.status == "rejected"
    with world.platform.db() as session:
        clause, current = library.get_clause(session, "restauration-menu-vegetarien")
        assert clause.current_version == 1 and current.status == "validated"
        [mine] = library.my_proposals(session, world.ctx(world.buyer))
        assert (mine.status, mine.review_note) == ("rejected",
                                                   "Le code rural n'impose pas d'option quotidienne partout.")
    assert _actions(world, "restauration-menu-vegetarien") == ["clause.propose", "clause.reject"]
    with world.platform.db() as session:
        entry = session.execute(select(AuditEntry).where(AuditEntry.action == "clause.reject")).scalar_one()
        assert entry.actor_user_id == world.operator.id and "code rural" in (entry.after or "")


def test_who_may_propose_and_who_may_validate(world: World) -> None:
    _seed(world)
    with world.platform.db.begin() as session:
        with pytest.raises(PermissionDeniedError, match="propose clause"):
            library.propose(session, world.ctx(world.supplier_a), REVISION, "restauration-menu-vegetarien")
        with pytest.raises(PermissionDeniedError):
            library.propose(session, world.ctx(world.evaluator), REVISION)
        with pytest.raises(AuthenticationError):
            library.propose(session, world.ctx(None), REVISION)
        with pytest.raises(PermissionDeniedError):  # a platform admin validates, has no buyer role to propose
            library.propose(session, world.ctx(world.operator), REVISION)
        version_id = library.propose(session, world.ctx(world.buyer), REVISION, "restauration-menu-vegetarien").id
    with world.platform.db.begin() as session:
        for user in (world.buyer, world.admin, world.supplier_a):
            with pytest.raises(PermissionDeniedError, match="only a platform administrator"):
                library.pending(session, world.ctx(user))
            with pytest.raises(PermissionDeniedError, match="only a platform administrator"):
                library.review(session, world.ctx(user), version_id, accept=True)
        with pytest.raises(AuthenticationError):
            library.review(session, world.ctx(None), version_id, accept=True)
        with pytest.raises(NotFoundError, match="no clause version 999999"):
            library.review(session, world.ctx(world.operator), 999999, accept=True)
        with pytest.raises(NotFoundError, match="no clause 'inconnue'"):
            library.propose(session, world.ctx(world.buyer), REVISION, "inconnue")


@pytest.mark.parametrize(("change", "message"), [
    ({"kind": "clause"}, "kind: 'clause' is not one of"),
    ({"theme": "economic"}, "theme: 'economic' is not one of"),
    ({"level": "expert"}, "level: 'expert' is not one of"),
    ({"categories": ["5"]}, "categories: '5' is not a CPV division"),
    ({"categories": ["00"]}, "categories: '00' is not a CPV division"),
    ({"legal_basis": []}, "legal_basis: cite at least one legal basis"),
    ({"title": " "}, "title: write the text"),
    ({"text": ""}, "text: write the text"),
    ({"colour": "green"}, "unknown field(s) colour"),
])
def test_a_proposal_is_checked_like_the_shipped_catalogue(world: World, change: dict[str, Any],
                                                          message: str) -> None:
    with world.platform.db.begin() as session, pytest.raises(InputError, match=message.replace("(", r"\(")
                                                                                         .replace(")", r"\)")):
        library.propose(session, world.ctx(world.buyer), REVISION | change)


def test_search_by_french_words_by_cpv_and_filters(world: World) -> None:
    _seed(world)
    with world.platform.db() as session:
        results, versions = library.search(session, "repas végétariens")
        assert results.keys[0] == "restauration-menu-vegetarien"
        assert results.mode in ("hybrid", "lexical")
        assert any(reason.startswith("mots : ") for reason in results.hits[0].reasons)
        assert versions[results.keys[0]].clause_id == "restauration-menu-vegetarien"
        by_cpv, _ = library.search(session, "", cpv="55523100-3")
        assert by_cpv.keys and all(key.startswith(("restauration-", "evenements-")) for key in by_cpv.keys[:6])
        assert by_cpv.hits[0].reasons == ("CPV : groupe 555",)
        criteria, versions = library.search(session, "insertion", kind="award_criterion")
        assert criteria.keys and {versions[k].kind for k in criteria.keys} == {"award_criterion"}
        social, versions = library.search(session, "recyclé", theme="social")
        assert {versions[k].theme for k in social.keys} <= {"social"}
        assert library.search(session, "")[0].keys == []  # no words and no CPV: nothing to rank
        with pytest.raises(InputError, match="kind: 'critere' is not one of"):
            library.search(session, "bio", kind="critere")
        with pytest.raises(InputError, match="theme: 'vert' is not one of"):
            library.search(session, "bio", theme="vert")
        suggested, _ = library.suggest(session, "55523100", "Restauration scolaire des lycées : repas bio", limit=6)
        assert len(suggested.keys) == 6 and suggested.keys[0].startswith("restauration-")


def test_add_to_consultation_copies_the_text_with_the_library_reference(world: World) -> None:
    _seed(world)
    draft = world.consultation()
    with world.platform.db.begin() as session:
        updated = library.add_to_consultation(session, world.ctx(world.buyer), draft.id, "mobilier-reprise-ancien")
        added = updated.clauses[-1]
        _, version = library.get_clause(session, "mobilier-reprise-ancien")
        assert added.library_clause == "mobilier-reprise-ancien@1"
        assert added.kind == "environmental" and added.text == f"{version.title}. {version.text}"
        assert len(updated.clauses) == 3  # the two of the world's draft, and this one
    with world.platform.db.begin() as session:  # the same version twice: added once
        again = library.add_to_consultation(session, world.ctx(world.admin), draft.id, "mobilier-reprise-ancien")
        assert len(again.clauses) == 3
        buyer = world.ctx(world.buyer)
        reserved = library.add_to_consultation(session, buyer, draft.id, "social-marche-reserve-siae")
        assert reserved.clauses[-1].kind == "reserved"
        social = library.add_to_consultation(session, buyer, draft.id, "social-clause-insertion-heures")
        assert social.clauses[-1].kind == "social"
        references = [c.library_clause for c in social.clauses if c.library_clause]
        assert [v.clause_id for v in library.versions_of(session, references)] == [
            "mobilier-reprise-ancien", "social-marche-reserve-siae", "social-clause-insertion-heures"]
        assert library.versions_of(session, ["inconnue@1", "mobilier-reprise-ancien@7", "sans-version"]) == []
        for clause_id, where in (("mobilier-reemploi", "the CCTP"), ("mobilier-critere-ecoconception", "the criteria")):
            with pytest.raises(InputError, match=f"not an execution condition: it goes in {where}"):
                library.add_to_consultation(session, buyer, draft.id, clause_id)
    with world.platform.db() as session:
        entries = session.execute(select(AuditEntry.after).where(
            AuditEntry.action == "consultation.clauses", AuditEntry.entity_id == str(draft.id))).scalars().all()
        assert any("mobilier-reprise-ancien@1" in (after or "") for after in entries)
    with world.platform.db.begin() as session:
        with pytest.raises(PermissionDeniedError):
            library.add_to_consultation(session, world.ctx(world.other_buyer), draft.id, "mobilier-reprise-ancien")
        with pytest.raises(PermissionDeniedError):
            library.add_to_consultation(session, world.ctx(world.evaluator), draft.id, "mobilier-reprise-ancien")
        with pytest.raises(NotFoundError, match="no clause 'inconnue'"):
            library.add_to_consultation(session, world.ctx(world.buyer), draft.id, "inconnue")
    published = world.published()
    with world.platform.db.begin() as session, pytest.raises(ConflictError, match="only a draft changes"):
        library.add_to_consultation(session, world.ctx(world.buyer), published.id, "mobilier-reprise-ancien")
    with world.platform.db() as session:
        assert all(c.library_clause is None for c in consultations.get(session, published.id).clauses)


def test_consultation_kind_of_each_library_kind(world: World) -> None:
    _seed(world)
    with world.platform.db() as session:
        kinds = {v.clause_id: library.consultation_kind(v) for v in library.current_versions(session)}
    assert kinds["social-marche-reserve-ea-esat"] == "reserved"
    assert kinds["social-critere-insertion"] == "social"
    assert kinds["vehicules-faibles-emissions"] == "environmental"


def test_the_search_sees_every_validation_whatever_the_order(world: World) -> None:
    """Regression: the index was cached by (count, newest version id), so validating an older proposal after a
    newer one kept the stale index."""
    _seed(world)
    paper = {"title": "Papier recyclé certifié Ange bleu", "kind": "technical_specification",
             "theme": "environmental", "level": "basic", "categories": ["301"], "legal_basis": ["CCP art. R2111-12"],
             "text": "Le papier porte le label Ange bleu ou équivalent ; les rames sont emballées sans plastique.",
             "verification": "Fiches techniques."}
    with world.platform.db.begin() as session:
        older = library.propose(session, world.ctx(world.buyer), REVISION, "restauration-menu-vegetarien").id
        newer = library.propose(session, world.ctx(world.buyer), paper, "papier-recycle").id
    with world.platform.db.begin() as session:
        library.review(session, world.ctx(world.operator), newer, accept=True)
    with world.platform.db() as session:
        assert library.search(session, "Ange bleu")[0].keys[0] == "papier-recycle"
    with world.platform.db.begin() as session:
        library.review(session, world.ctx(world.operator), older, accept=True)
    with world.platform.db() as session:
        results, _ = library.search(session, "option végétarienne chaque jour")
        assert results.keys[0] == "restauration-menu-vegetarien"
        assert "chaque" in " ".join(results.hits[0].reasons)  # a word only the validated revision has
