"""The sourcing space's test data over the marketplace world: two supplier profiles (Armor, a Breton SME with a
PEFC label; Ouest, national, ISO 14001), purchase plans of the Région, and a small warehouse (DECP contracts
of Armor and a SIRENE stock) for the pages that read the observatory."""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal
from pathlib import Path

from spaser.accounts.models import User
from spaser.reference.sirene import load_sirene
from spaser.sourcing import plans, profiles
from spaser.sourcing.profiles import LabelInput, ProfileInput
from spaser.warehouse.ingest import ingest
from tests.conftest import TODAY
from tests.integration.sourcing.test_supplier_lookups import marche, write_stock
from tests.marketplace_world import World

ARMOR = ProfileInput(
    presentation="Menuiserie bois et agencement intérieur : mobilier scolaire sur mesure, en chêne certifié.",
    cpvs=["39160000-1", "45421000"], departements=["35", "22"], labels=[LabelInput("pefc", "PEFC/10-31-1234")],
    contact_email="Contact@Armor.fr", website="https://armor.example")
OUEST = ProfileInput(presentation="Fabricant de mobilier de bureau et de collectivités.", cpvs=["39100000"],
                     national=True, labels=[LabelInput("iso-14001")])
ARMOR_SIRENE = {"denomination": "MENUISERIE ARMOR", "categorie_entreprise": "PME", "ess": False, "naf": "16.23Z",
                "commune_code": "35238", "actif": True}
PLAN = plans.PlanInput(title="Renouvellement du mobilier des internats", cpv="39160000", launch_year=2027,
                       launch_quarter=1, description="Lits, armoires et bureaux pour 8 internats.",
                       estimated_amount=Decimal("300000"), departement="35", contact_email="achats@bretagne.bzh")
ROOF = dataclasses.replace(PLAN, title="Réfection des toitures des lycées", cpv="45261000", launch_quarter=3,
                           description="Couverture en ardoise.", departement="29", estimated_amount=None)


def org_of(user: User) -> int:
    assert user.organisation_id is not None
    return user.organisation_id


def save_profiles(world: World, *, sirene: bool = True) -> None:
    with world.platform.db.begin() as session:
        profiles.save_profile(session, world.ctx(world.supplier_a), org_of(world.supplier_a), ARMOR,
                              sirene=ARMOR_SIRENE if sirene else None)
        profiles.save_profile(session, world.ctx(world.supplier_b), org_of(world.supplier_b), OUEST)


def make_plan(world: World, data: plans.PlanInput = PLAN, *, publish: bool = True, buyer: User | None = None) -> int:
    user = buyer or world.buyer
    with world.platform.db.begin() as session:
        plan = plans.create_plan(session, world.ctx(user), org_of(user), data)
        if publish:
            plans.publish_plan(session, world.ctx(user), plan.id)
        return plan.id


RENNES = ("21350238800019", "Commune de Rennes")


def load_observatory(world: World, armor_siret: str, folder: Path) -> None:
    """Two contracts of Armor in the observatory (one in CPV division 39) and its SIRENE facts."""
    settings = world.platform.settings.model_copy(update={"ingest_workers": -1})
    decp = folder / "decp.json"
    folder.mkdir(parents=True, exist_ok=True)
    records = [marche("A1", RENNES, "39160000", "2025-03-01", 80_000, [armor_siret]),
               marche("A2", RENNES, "45421000", "2025-06-01", 20_000, [armor_siret])]
    decp.write_text(json.dumps({"marches": {"marche": records, "contrat-concession": []}}, ensure_ascii=False),
                    encoding="utf-8")
    report = ingest([decp], settings, today=TODAY)
    assert report.loaded == 2
    unites = write_stock(folder / "StockUniteLegale_utf8.csv", "StockUniteLegale_utf8.csv", [
        {"siren": armor_siret[:9], "categorieEntreprise": "PME", "economieSocialeSolidaireUniteLegale": "N",
         "denominationUniteLegale": "MENUISERIE ARMOR SARL", "activitePrincipaleUniteLegale": "16.23Z",
         "etatAdministratifUniteLegale": "A"}])
    etablissements = write_stock(folder / "StockEtablissement_utf8.csv", "StockEtablissement_utf8.csv", [
        {"siren": armor_siret[:9], "nic": armor_siret[9:], "siret": armor_siret, "codeCommuneEtablissement": "35238",
         "etablissementSiege": "true", "activitePrincipaleEtablissement": "16.23Z",
         "etatAdministratifEtablissement": "A"}])
    load_sirene(settings.warehouse_dir, unites, etablissements)
