"""Sourcing space services on SQLite and PostgreSQL: profiles with SIRENE facts, French search with filters, plans
and their lifecycle, interest and messages, matching with reasons, saved searches and the daily digest."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from spaser.accounts.models import Organisation, OutboxMessage
from spaser.audit import AuditEntry
from spaser.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from spaser.marketplace import consultations
from spaser.sourcing import alerts, matches, matching, plans, profiles
from spaser.sourcing.profiles import LabelInput, ProfileInput
from tests.marketplace_world import World
from tests.platform_fixtures import ENGINES

pytestmark = pytest.mark.parametrize("empty_database", ENGINES, indirect=True)

ARMOR = ProfileInput(
    presentation="Menuiserie bois et agencement intérieur : mobilier scolaire sur mesure, en chêne certifié.",
    cpvs=["39160000-1", "45421000"], departements=["35", "22"], labels=[LabelInput("pefc", "PEFC/10-31-1234")],
    contact_email="Contact@Armor.fr", website="https://armor.example")
OUEST = ProfileInput(presentation="Fabricant de mobilier de bureau et de collectivités.", cpvs=["39100000"],
                     national=True, labels=[LabelInput("iso-14001")])
PLAN = plans.PlanInput(title="Renouvellement du mobilier des internats", cpv="39160000", launch_year=2027,
                       launch_quarter=1, description="Lits, armoires et bureaux pour 8 internats.",
                       estimated_amount=Decimal("300000"), departement="35", contact_email="achats@bretagne.bzh")


def _profiles(world: World) -> None:
    with world.platform.db.begin() as session:
        profiles.save_profile(session, world.ctx(world.supplier_a), world.supplier_a.organisation_id or 0, ARMOR,
                              sirene={"denomination": "MENUISERIE ARMOR", "categorie_entreprise": "PME",
                                      "ess": False, "naf": "16.23Z", "commune_code": "35238", "actif": True})
        profiles.save_profile(session, world.ctx(world.supplier_b), world.supplier_b.organisation_id or 0, OUEST)


def _plan(world: World, **changes: object) -> int:
    data = PLAN if not changes else plans.PlanInput(**{**PLAN.__dict__, **changes})  # type: ignore[arg-type]
    with world.platform.db.begin() as session:
        plan = plans.create_plan(session, world.ctx(world.buyer), world.region.id, data)
        plans.publish_plan(session, world.ctx(world.buyer), plan.id)
        return plan.id


def test_profile_is_saved_cleaned_with_sirene_facts_and_audited(world: World) -> None:
    _profiles(world)
    with world.platform.db.begin() as session:
        profile = profiles.get_profile(session, world.supplier_a.organisation_id or 0)
        assert profile is not None
        assert [c.cpv for c in profile.cpvs] == ["39160000", "45421000"]
        assert [(t.kind, t.code) for t in profile.territories] == [("departement", "22"), ("departement", "35")]
        assert profile.contact_email == "contact@armor.fr"
        assert (profile.sirene_name, profile.sirene_category, profile.sirene_commune) == (
            "MENUISERIE ARMOR", "PME", "35238")
        actions = session.execute(select(AuditEntry.action).where(
            AuditEntry.entity_type == "supplier_profile")).scalars().all()
        assert actions == ["supplier_profile.save", "supplier_profile.save"]


@pytest.mark.parametrize(("field", "value", "message"), [
    ("cpvs", ["4542100"], "'4542100' is not a CPV code"),
    ("departements", ["20"], "'20' is not a département code"),
    ("regions", ["35"], "'35' is not a région code"),
    ("labels", [LabelInput("iso-9999")], "iso-9999"),
    ("website", "armor.example", "must start with https://"),
    ("contact_email", "pas-une-adresse", "not an e-mail address"),
])
def test_bad_profile_input_names_the_field_and_value(world: World, field: str, value: object, message: str) -> None:
    data = ProfileInput(**{**ARMOR.__dict__, field: value})  # type: ignore[arg-type]
    with world.platform.db.begin() as session, pytest.raises(InputError, match=message):
        profiles.save_profile(session, world.ctx(world.supplier_a), world.supplier_a.organisation_id or 0, data)


def test_only_the_company_edits_its_profile(world: World) -> None:
    with world.platform.db.begin() as session, pytest.raises(PermissionDeniedError):
        profiles.save_profile(session, world.ctx(world.supplier_b), world.supplier_a.organisation_id or 0, ARMOR)
    with world.platform.db.begin() as session, pytest.raises(PermissionDeniedError):
        profiles.save_profile(session, world.ctx(world.buyer), world.supplier_a.organisation_id or 0, ARMOR)


def test_french_search_stems_folds_accents_and_prefixes(world: World) -> None:
    _profiles(world)
    with world.platform.db.begin() as session:
        def names(query: str, **filters: object) -> list[str]:
            page = profiles.search_suppliers(session, query, **filters)  # type: ignore[arg-type]
            return [o.name for o, _ in page.items]

        assert names("menuiseries") == ["Menuiserie Armor"]  # plural → same stem
        assert names("agencement interieur") == ["Menuiserie Armor"]  # accents ignored, both words required
        assert names("mobil") == ["Mobilier Ouest SA", "Menuiserie Armor"]  # prefix of the word typed; name first
        assert names("mobilier", departement="29") == ["Mobilier Ouest SA"]  # national serves the Finistère
        assert names("", departement="22") == ["Menuiserie Armor", "Mobilier Ouest SA"]
        assert names("", cpv="4542") == ["Menuiserie Armor"]
        assert names("", label="iso-14001") == ["Mobilier Ouest SA"]
        assert names("bretagne") == ["Menuiserie Armor"]  # the région of the départements served
        assert names("", sme=True) == ["Menuiserie Armor"]
        assert names("boulangerie") == []
        with pytest.raises(InputError, match="'99' is not a CPV code or prefix"):
            names("", cpv="99")


def test_plan_lifecycle_search_and_audit(world: World) -> None:
    plan_id = _plan(world)
    with world.platform.db.begin() as session:
        page = plans.search_plans(session, "internat")
        assert [p.id for p, _ in page.items] == [plan_id] and page.total == 1
        assert plans.search_plans(session, "", cpv="45").total == 0
        assert plans.search_plans(session, "", year=2027, quarter=1, departement="35").total == 1
        assert plans.search_plans(session, "", quarter=2).total == 0
        with pytest.raises(PermissionDeniedError):
            plans.update_plan(session, world.ctx(world.other_buyer), plan_id, PLAN)
        plans.withdraw_plan(session, world.ctx(world.buyer), plan_id)
        assert plans.search_plans(session, "internat").total == 0
        with pytest.raises(ConflictError):
            plans.publish_plan(session, world.ctx(world.buyer), plan_id)
        actions = session.execute(select(AuditEntry.action).where(AuditEntry.entity_type == "purchase_plan")
                                  ).scalars().all()
        assert actions == ["purchase_plan.create", "purchase_plan.published", "purchase_plan.withdrawn"]


@pytest.mark.parametrize(("field", "value", "message"), [
    ("launch_quarter", 5, "5 is not a quarter"), ("launch_year", 2040, "2040 is not between"),
    ("cpv", "", "'' is not a CPV code"), ("title", "  ", "title: write the text"),
    ("estimated_amount", Decimal(-1), "is negative"), ("departement", "Bretagne", "'Bretagne' is not a département"),
])
def test_bad_plan_input_names_the_field(world: World, field: str, value: object, message: str) -> None:
    data = plans.PlanInput(**{**PLAN.__dict__, field: value})  # type: ignore[arg-type]
    with world.platform.db.begin() as session, pytest.raises(InputError, match=message):
        plans.create_plan(session, world.ctx(world.buyer), world.region.id, data)


def test_interest_and_messages_stay_with_the_plan(world: World) -> None:
    _profiles(world)
    plan_id = _plan(world)
    a_org = world.supplier_a.organisation_id or 0
    with world.platform.db.begin() as session:
        plans.express_interest(session, world.ctx(world.supplier_a), plan_id, "Nous fabriquons des lits en chêne.")
        plans.express_interest(session, world.ctx(world.supplier_a), plan_id)  # twice: still one
        with pytest.raises(PermissionDeniedError):
            plans.express_interest(session, world.ctx(world.buyer), plan_id)
        interested = plans.interested(session, world.ctx(world.buyer), plan_id)
        assert [o.name for _, o in interested] == ["Menuiserie Armor"]
        plans.post_message(session, world.ctx(world.supplier_a), plan_id, "Quels volumes par internat ?")
        plans.post_message(session, world.ctx(world.buyer), plan_id, "Environ 120 lits.", supplier_org_id=a_org)
        with pytest.raises(NotFoundError):  # no interest, no thread: the buyer cannot cold-message through it
            plans.post_message(session, world.ctx(world.buyer), plan_id, "Bonjour",
                               supplier_org_id=world.supplier_b.organisation_id)
        assert [m.body for m in plans.thread(session, world.ctx(world.supplier_a), plan_id)] == [
            "Quels volumes par internat ?", "Environ 120 lits."]
        assert plans.thread(session, world.ctx(world.supplier_b), plan_id) == []
        with pytest.raises(PermissionDeniedError):
            plans.thread(session, world.ctx(world.supplier_b), plan_id, supplier_org_id=a_org)
        mails = session.execute(select(OutboxMessage.kind, OutboxMessage.recipient)).all()
        assert ("plan_interest", "achats@bretagne.bzh") in mails
        assert ("plan_message", "offres@armor.fr") in mails
        with pytest.raises(PermissionDeniedError):
            plans.interested(session, world.ctx(world.supplier_a), plan_id)


def test_launching_tells_the_interested_suppliers(world: World) -> None:
    plan_id = _plan(world)
    consultation = world.published()
    with world.platform.db.begin() as session:
        plans.express_interest(session, world.ctx(world.supplier_b), plan_id)
        plans.mark_launched(session, world.ctx(world.buyer), plan_id, consultation.id)
        assert session.execute(select(OutboxMessage.recipient).where(OutboxMessage.kind == "plan_launched")
                               ).scalars().all() == ["ao@mobilier-ouest.fr"]
        with pytest.raises(ConflictError):
            plans.express_interest(session, world.ctx(world.supplier_a), plan_id)


def test_matching_ranks_with_reasons_both_ways(world: World) -> None:
    _profiles(world)
    plan_id = _plan(world)
    with world.platform.db.begin() as session:
        plan = plans.get_plan(session, plan_id)
        ouest = session.get_one(Organisation, world.supplier_b.organisation_id)
        ranked = matches.suppliers_for_plan(session, plan, track=lambda sirets, division: {ouest.siret: (3, 2)})
        # Armor: same code 40 + département 20 + SME 10 + PEFC label 5 = 75.
        # Ouest: same group 391 (39100000 vs 39160000) 20 + national 10 + contracts in division 39 10 = 40; its
        # ISO 14001 is not among the labels relevant to furniture (matching.DIVISION_LABELS["39"]).
        assert [(m.organisation.name, m.match.score) for m in ranked] == [
            ("Menuiserie Armor", 75), ("Mobilier Ouest SA", 40)]
        assert [r.code for r in ranked[0].match.reasons] == ["cpv_code", "territory_departement", "sme", "label"]
        assert [r.code for r in ranked[1].match.reasons] == ["cpv_group", "territory_national", "past_contracts"]
        found = matches.opportunities_for(session, world.ctx(world.supplier_a),
                                          world.supplier_a.organisation_id or 0)
        with pytest.raises(PermissionDeniedError):
            matches.opportunities_for(session, world.ctx(world.supplier_b), world.supplier_a.organisation_id or 0)
        assert [(o.kind, o.item.id) for o in found] == [("plan", plan_id)]


def _works_with_lots(world: World, lots: list[consultations.LotSpec]) -> int:
    draft = world.consultation(title="Rénovation du lycée Chateaubriand", cpv="45000000", contract_type="Travaux",
                               description="Rénovation de l'internat en trois lots.")
    with world.platform.db.begin() as session:
        consultations.set_lots(session, world.ctx(world.buyer), draft.id, lots)
        return consultations.publish(session, world.ctx(world.buyer), draft.id).id


def test_a_company_matches_the_lot_it_could_answer(world: World) -> None:
    """A works consultation's own code is the general « travaux de construction » (45000000); Armor's joinery
    (45421000) is the code of lot 2 only: it is matched on lot 2 (same code) rather than on the division, once."""
    _profiles(world)
    consultation_id = _works_with_lots(world, [
        consultations.LotSpec(1, "Gros œuvre", "45210000"), consultations.LotSpec(2, "Menuiseries intérieures",
                                                                                   "45421000-4"),
        consultations.LotSpec(3, "Coordination", None), consultations.LotSpec(4, "Divers", "45000000")])
    with world.platform.db.begin() as session:
        consultation = consultations.get(session, consultation_id)
        assert [(lot.number if lot else None, need.cpv) for lot, need in matches.needs_of_consultation(
            consultation)] == [(None, "45000000"), (1, "45210000"), (2, "45421000")]  # no code, or the main one: none
        found = matches.suppliers_for_consultation(session, consultation)
        assert [(m.organisation.name, m.lot.number if m.lot else None) for m in found] == [("Menuiserie Armor", 2)]
        # the same reasons and score as the lot's own need: same code 40 + département 20 + SME 10 (+ labels)
        lot_need = matches.needs_of_consultation(consultation)[2][1]
        armor = found[0]
        assert armor.match == matching.score(lot_need, matches.facts_of(armor.organisation, armor.profile))
        assert armor.match.reasons[0].code == "cpv_code"
        main_match = matching.score(matches.need_of_consultation(consultation),
                                    matches.facts_of(armor.organisation, armor.profile))
        assert main_match is not None and main_match.score < armor.match.score
        opportunities = matches.opportunities_for(session, world.ctx(world.supplier_a),
                                                  world.supplier_a.organisation_id or 0)
        assert [(o.kind, o.item.id, o.lot.number if o.lot else None, o.match.score) for o in opportunities] == [
            ("consultation", consultation_id, 2, armor.match.score)]
        with pytest.raises(InputError, match="limit"):
            matches.suppliers_for_consultation(session, consultation, limit=0)
        with pytest.raises(InputError, match="limit"):
            matches.opportunities_for(session, world.ctx(world.supplier_a), world.supplier_a.organisation_id or 0,
                                      limit=0)


def test_saved_search_digest_sends_new_items_once(world: World) -> None:
    with world.platform.db.begin() as session:
        saved = alerts.save_search(session, world.ctx(world.supplier_a), name="Mobilier 35", target="plans",
                                   query="mobilier", departement="35")
        with pytest.raises(InputError, match="empty search"):
            alerts.save_search(session, world.ctx(world.supplier_a), name="Tout", target="plans")
        with pytest.raises(InputError, match="'offers' is not one of"):
            alerts.save_search(session, world.ctx(world.supplier_a), name="x", target="offers", query="x")
    world.clock.advance(hours=2)
    plan_id = _plan(world)
    _plan(world, title="Travaux de toiture", cpv="45261000", description="Réfection des toitures.")
    world.clock.advance(hours=23)
    system = world.platform.context(None, actor="cron")
    with world.platform.db.begin() as session:
        report = alerts.send_digests(session, system)
        assert (report.sent, report.items) == (1, 1)
        body = session.execute(select(OutboxMessage.body).where(OutboxMessage.kind == "saved_search_digest")
                               ).scalar_one()
        assert f"/achats-prevus/{plan_id}" in body and "toiture" not in body
        assert session.get(type(saved), saved.id).last_digest_at == world.clock.now  # type: ignore[union-attr]
    with world.platform.db.begin() as session:  # the same day again: nothing twice
        assert alerts.send_digests(session, system).sent == 0
    world.clock.advance(days=1)
    with world.platform.db.begin() as session:  # the next day without news: nothing
        assert alerts.send_digests(session, system).sent == 0


def test_only_the_owner_deletes_a_saved_search(world: World) -> None:
    with world.platform.db.begin() as session:
        saved = alerts.save_search(session, world.ctx(world.supplier_a), name="x", target="suppliers", cpv="45")
        with pytest.raises(PermissionDeniedError):
            alerts.delete_search(session, world.ctx(world.supplier_b), saved.id)
        alerts.delete_search(session, world.ctx(world.supplier_a), saved.id)
        assert alerts.my_searches(session, world.ctx(world.supplier_a)) == []
    assert dt.timedelta(hours=23) == alerts.DIGEST_EVERY


def test_refresh_sirene_updates_changed_profiles_only(world: World) -> None:
    _profiles(world)
    with world.platform.db() as session:
        siret = session.get_one(Organisation, world.supplier_a.organisation_id).siret
    facts = {siret: {"denomination": "MENUISERIE ARMOR", "categorie_entreprise": "ETI", "ess": False,
                             "naf": "16.23Z", "commune_code": "35238", "actif": True}}
    with world.platform.db.begin() as session:
        changed = profiles.refresh_sirene(session, world.platform.context(None, actor="cli"), facts.get)
        assert changed == 1  # Armor's category changed; Ouest is unknown to this SIRENE
        profile = profiles.get_profile(session, world.supplier_a.organisation_id or 0)
        assert profile is not None and profile.sirene_category == "ETI"
    with world.platform.db.begin() as session:  # the same stock again: nothing changes
        assert profiles.refresh_sirene(session, world.platform.context(None, actor="cli"), facts.get) == 0
