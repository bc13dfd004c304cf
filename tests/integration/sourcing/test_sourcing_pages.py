"""The sourcing space through its pages only, on SQLite and PostgreSQL: the supplier directory and profiles with
their JSON and CSV twins, filters and bad values, the company's profile form (CSRF, errors keeping what was
typed), purchase plans from both sides (interest, the thread, the buyer's matches with their reasons), who may
see and do what, saved searches, and the observatory's facts (SIRENE, contracts won) once a warehouse exists."""

from __future__ import annotations

import csv
import io
import re
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import select

from spaser.accounts import service as accounts
from spaser.accounts.models import Organisation, OutboxMessage
from spaser.audit import AuditEntry
from spaser.marketplace import consultations
from spaser.sourcing import alerts, matches, plans, profiles
from spaser.sourcing.models import SavedSearch
from spaser.sourcing.profiles import ProfileInput
from spaser.web import sourcing_views
from spaser.web.render import jsonable
from spaser.web.sourcing_views import plan_row, supplier_match_view, supplier_row
from tests.integration.sourcing.sourcing_data import (
    PLAN,
    ROOF,
    load_observatory,
    make_plan,
    org_of,
    save_profiles,
)
from tests.marketplace_world import PASSWORD, World, make_siret
from tests.platform_fixtures import ENGINES
from tests.web_client import client_for, csrf_of

pytestmark = pytest.mark.parametrize("empty_database", ENGINES, indirect=True)


class Person:
    """One browser: its cookies, logged in once, and the session's CSRF token read from a page."""

    def __init__(self, world: World, email: str | None = None) -> None:
        self.client: TestClient = client_for(world, email)
        self.token = csrf_of(self.client.get("/connexion" if email is None else "/achats-prevus").text)

    def get(self, path: str) -> Response:
        return self.client.get(path, follow_redirects=False)

    def post(self, path: str, data: dict[str, Any] | None = None, *, csrf: bool = True) -> Response:
        form = ({"csrf_token": self.token} if csrf else {}) | (data or {})
        return self.client.post(path, data=form, follow_redirects=False)


def notice(response: Response) -> str:
    assert response.status_code == 303, response.text
    return parse_qs(urlsplit(response.headers["location"]).query)["message"][0]


def rows_of(response: Response) -> list[dict[str, str]]:
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


def text_of(html: str) -> str:
    """The page's text with tags removed and spaces collapsed (what a reader sees)."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


# --------------------------------------------------------------------------------------------------
# Supplier directory and profile


def test_directory_and_profile_render_in_french_and_english(world: World) -> None:
    save_profiles(world)
    visitor = Person(world)
    page = visitor.get("/fournisseurs")
    assert page.status_code == 200
    assert "Annuaire des entreprises" in page.text and "Menuiserie Armor" in page.text
    assert "Mobilier Ouest SA" in page.text and "France entière" in page.text
    english = visitor.get("/fournisseurs?lang=en")
    assert "Company directory" in english.text and "Whole country" in english.text
    armor = org_of(world.supplier_a)
    profile = text_of(visitor.get(f"/fournisseurs/{armor}").text)
    assert "Source : SIRENE (INSEE)" in profile and "MENUISERIE ARMOR" in profile
    assert "Données SIRENE lues le 01/09/2026" in profile
    assert "PEFC/10-31-1234" in profile and "Département 35 (Bretagne)" in profile
    assert "Marchés publics obtenus" in profile and "pas encore de données de marchés publics" in profile
    in_english = text_of(visitor.get(f"/fournisseurs/{armor}?lang=en").text)
    assert "Source: SIRENE (INSEE)" in in_english and "Public contracts won" in in_english
    assert visitor.get(f"/fournisseurs/{org_of(world.buyer)}").status_code == 404  # a buyer has no profile


def test_directory_json_twin_equals_the_service(world: World) -> None:
    save_profiles(world)
    visitor = Person(world)
    cases: list[tuple[str, dict[str, Any]]] = [("mobil", {}), ("", {"cpv": "4542"}), ("", {"departement": "29"}),
                                               ("", {"label": "pefc"}), ("", {"sme": True}), ("", {"sme": False})]
    for query, filters in cases:
        params: dict[str, Any] = {"q": query} | {k: v for k, v in filters.items() if k != "sme"}
        if "sme" in filters:
            params["pme"] = "oui" if filters["sme"] else "non"
        answer = visitor.client.get("/fournisseurs.json", params=params).json()
        with world.platform.db() as session:
            page = profiles.search_suppliers(session, query, limit=20, **filters)
            expected = jsonable([supplier_row(o, p) for o, p in page.items])
        assert answer["items"] == expected and answer["total"] == page.total, (query, filters)
    names = [i["nom"] for i in visitor.client.get("/fournisseurs.json", params={"pme": "non"}).json()["items"]]
    assert names == ["Mobilier Ouest SA"]


def test_directory_csv_has_the_header_and_every_matching_row(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    save_profiles(world)
    system = world.platform.context(None, actor="test")
    with world.platform.db.begin() as session:
        for n in range(23):  # more than a page of the directory
            user = accounts.register_supplier(session, system, siret=make_siret(60000000 + n),
                                              company_name=f"Ébénisterie {n:02d}", email=f"e{n}@ebene.fr",
                                              full_name="Gérant", password=PASSWORD, sme=True)
            profiles.save_profile(session, world.ctx(user), org_of(user),
                                  ProfileInput(cpvs=["39160000"], departements=["56"]))
    monkeypatch.setattr(sourcing_views, "EXPORT_BATCH", 7)  # the export walks the service's pages
    visitor = Person(world)
    rows = rows_of(visitor.get("/fournisseurs.csv?cpv=3916"))
    assert len(rows) == 24 and list(rows[0]) == list(sourcing_views.SUPPLIER_COLUMNS)
    assert visitor.client.get("/fournisseurs.json?cpv=3916").json()["total"] == 24
    assert len(visitor.client.get("/fournisseurs.json?cpv=3916").json()["items"]) == 20
    armor = next(r for r in rows if r["nom"] == "Menuiserie Armor")
    assert armor == {"siret": make_siret(44300003), "nom": "Menuiserie Armor", "departements": "22 | 35",
                     "regions": "", "national": "false", "cpv": "39160000 | 45421000", "labels": "pefc",
                     "pme": "true"}
    page = visitor.get("/fournisseurs?cpv=3916&page=2")
    assert "Ébénisterie 22" in page.text and "2 / 2" in page.text
    assert "/fournisseurs.csv?cpv=3916" in page.text
    assert [r["nom"] for r in rows_of(visitor.get("/fournisseurs.csv?departement=29"))] == ["Mobilier Ouest SA"]


@pytest.mark.parametrize(("address", "field"), [
    ("/fournisseurs?cpv=99", "cpv"), ("/fournisseurs?departement=20", "departement"),
    ("/fournisseurs?label=iso-9999", "label"), ("/fournisseurs?pme=peut-etre", "pme"),
    ("/fournisseurs?page=abc", "page"), ("/fournisseurs.csv?cpv=1", "cpv"),
    ("/achats-prevus?annee=2027a", "annee"), ("/achats-prevus?trimestre=5", "trimestre"),
    ("/achats-prevus?acheteur=x", "acheteur"), ("/achats-prevus.csv?departement=Bretagne", "departement"),
    ("/achats-prevus?cpv=4", "cpv"),
])
def test_bad_filter_values_are_400_naming_the_field(world: World, address: str, field: str) -> None:
    visitor = Person(world)
    page = visitor.get(address)
    assert page.status_code == 400 and f"{field}: " in page.text, page.text
    twin = address.replace("?", ".json?", 1) if ".csv" not in address else address.replace(".csv", ".json")
    answer = visitor.get(twin)
    assert answer.status_code == 400 and answer.json()["error"].startswith(f"{field}: ")


# --------------------------------------------------------------------------------------------------
# The company's profile form


PROFILE_FORM = {"presentation": "Menuiserie et agencement en chêne breton.", "website": "https://armor.example",
                "contact_email": "contact@armor.fr", "contact_phone": "02 99 00 00 00",
                "cpvs": "39160000-1, 45421000\n44191000", "departements": "35, 22", "regions": "53",
                "label-pefc": "on", "reference-pefc": "PEFC/10-31-1234", "valid_until-pefc": "2027-12-31",
                "label-siae": "on", "reference-siae": "", "published": "on"}


def test_the_company_edits_its_profile_with_csrf(world: World) -> None:
    armor = Person(world, "offres@armor.fr")
    form = armor.get("/entreprise/profil")
    assert form.status_code == 200 and 'name="cpvs"' in form.text and "label-pefc" in form.text
    assert "Company profile" in armor.get("/entreprise/profil?lang=en").text
    refused = armor.post("/entreprise/profil", PROFILE_FORM, csrf=False)
    assert refused.status_code == 403 and "CSRF" in refused.text
    with world.platform.db() as session:
        assert profiles.get_profile(session, org_of(world.supplier_a)) is None
    assert "Profil enregistré." in notice(armor.post("/entreprise/profil", PROFILE_FORM))
    with world.platform.db() as session:
        profile = profiles.get_profile(session, org_of(world.supplier_a))
        assert profile is not None
        assert [c.cpv for c in profile.cpvs] == ["39160000", "44191000", "45421000"]
        assert [(t.kind, t.code) for t in profile.territories] == [
            ("departement", "22"), ("departement", "35"), ("region", "53")]
        assert [(x.code, x.reference, str(x.valid_until)) for x in profile.labels] == [
            ("pefc", "PEFC/10-31-1234", "2027-12-31"), ("siae", "", "None")]
        assert profile.sirene_checked_at is None  # no warehouse: no SIRENE facts
        actions = session.execute(select(AuditEntry.action).where(AuditEntry.entity_type == "supplier_profile")
                                  ).scalars().all()
        assert actions == ["supplier_profile.save"]
    again = armor.get("/entreprise/profil").text
    assert "PEFC/10-31-1234" in again and 'value="2027-12-31"' in again and "44191000" in again
    assert "/fournisseurs/" in again  # the link to the public profile
    assert "Menuiserie et agencement en chêne breton." in armor.get(f"/fournisseurs/{org_of(world.supplier_a)}").text
    # nobody else edits it: a buyer is refused, an anonymous visitor is sent to the login page
    buyer = Person(world, "buyer@bretagne.bzh")
    assert buyer.get("/entreprise/profil").status_code == 403
    assert buyer.post("/entreprise/profil", PROFILE_FORM).status_code == 403
    anonymous = Person(world)
    assert anonymous.get("/entreprise/profil").headers["location"].startswith("/connexion")
    assert anonymous.post("/entreprise/profil", PROFILE_FORM).status_code == 401


@pytest.mark.parametrize(("changes", "message"), [
    ({"cpvs": "4542100"}, "cpvs: '4542100' is not a CPV code"),
    ({"departements": "35, 20"}, "departements: '20' is not a département code"),
    ({"valid_until-pefc": "31/12/2027"}, "valid_until-pefc: '31/12/2027' is not a date"),
    ({"website": "armor.example"}, "website: 'armor.example' must start with https://"),
])
def test_profile_errors_show_the_form_again_with_what_was_typed(world: World, changes: dict[str, str],
                                                                message: str) -> None:
    armor = Person(world, "offres@armor.fr")
    page = armor.post("/entreprise/profil", PROFILE_FORM | changes)
    assert page.status_code == 400
    assert message in page.text.replace("&#39;", "'")
    typed = PROFILE_FORM | changes
    assert typed["presentation"] in page.text and typed["departements"] in page.text
    assert typed["cpvs"].split("\n")[0] in page.text and typed["valid_until-pefc"] in page.text
    assert 'id="label-pefc" name="label-pefc" checked' in page.text
    assert 'value="53" checked' in page.text
    with world.platform.db() as session:
        assert profiles.get_profile(session, org_of(world.supplier_a)) is None


def test_saving_reads_sirene_and_the_profile_shows_the_contracts_won(world: World, tmp_path: Path) -> None:
    siret = make_siret(44300003)
    load_observatory(world, siret, tmp_path / "observatory")
    armor = Person(world, "offres@armor.fr")
    assert "Données SIRENE mises à jour." in notice(armor.post("/entreprise/profil", PROFILE_FORM))
    page = text_of(armor.get(f"/fournisseurs/{org_of(world.supplier_a)}").text)
    assert "MENUISERIE ARMOR SARL" in page and "Source : SIRENE (INSEE)" in page
    assert "Données SIRENE lues le 01/09/2026" in page
    assert "2 marché(s) public(s)" in page and "100 000 € HT" in page
    html = armor.get(f"/fournisseurs/{org_of(world.supplier_a)}").text
    assert f'href="/titulaires/{siret}"' in html and armor.get(f"/titulaires/{siret}").status_code == 200
    twin = armor.get(f"/fournisseurs/{org_of(world.supplier_a)}.json").json()
    assert twin["sirene"]["categorie"] == "PME" and twin["sirene"]["denomination"] == "MENUISERIE ARMOR SARL"
    assert twin["marches_publics"]["contracts"] == 2 and twin["marches_publics"]["divisions"] == {"39": 1, "45": 1}
    assert twin["page_titulaire"] == f"/titulaires/{siret}"
    # the buyer's matches count the contracts in the plan's CPV division
    plan_id = make_plan(world)
    buyer = Person(world, "buyer@bretagne.bzh")
    suggestions = buyer.get(f"/acheteur/achats-prevus/{plan_id}.json").json()["suggestions"]
    armor_match = next(s for s in suggestions if s["nom"] == "Menuiserie Armor")
    assert {"code": "past_contracts", "points": 10,
            "texte": "1 marché public déjà obtenu dans cette division"} in armor_match["raisons"]


# --------------------------------------------------------------------------------------------------
# Purchase plans


def test_plan_listing_filters_and_twins(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    internats = make_plan(world)
    roofs = make_plan(world, ROOF)
    finistere = make_plan(world, ROOF, buyer=world.other_buyer)
    make_plan(world, PLAN, publish=False)  # a draft is the buyer's only
    visitor = Person(world)
    page = visitor.get("/achats-prevus")
    assert page.status_code == 200 and "T1 2027" in page.text and "T3 2027" in page.text
    assert page.text.count('href="/achats-prevus/') == 3
    assert "Planned purchases" in visitor.get("/achats-prevus?lang=en").text
    assert "Q1 2027" in visitor.get("/achats-prevus?lang=en").text

    def ids(**params: str) -> list[int]:
        return [i["id"] for i in visitor.client.get("/achats-prevus.json", params=params).json()["items"]]

    assert ids() == [internats, roofs, finistere]
    assert ids(q="internat") == [internats]
    assert ids(cpv="45") == [roofs, finistere]
    assert ids(departement="35") == [internats]
    assert ids(annee="2027", trimestre="3") == [roofs, finistere]
    assert ids(annee="2028") == []
    assert ids(acheteur=str(world.region.id)) == [internats, roofs]
    answer = visitor.client.get("/achats-prevus.json", params={"cpv": "45"}).json()
    with world.platform.db() as session:
        found = plans.search_plans(session, "", cpv="45")
        assert answer["items"] == jsonable([plan_row(p, o) for p, o in found.items])
        assert answer["total"] == found.total == 2
    monkeypatch.setattr(sourcing_views, "EXPORT_BATCH", 2)
    rows = rows_of(visitor.get("/achats-prevus.csv"))
    assert [int(r["id"]) for r in rows] == [internats, roofs, finistere]
    assert list(rows[0]) == list(sourcing_views.PLAN_COLUMNS)
    assert rows[0]["periode"] == "T1 2027" and rows[0]["acheteur"] == "Région Bretagne"
    assert rows[0]["montant_estime"] == "300000.00" and rows[1]["montant_estime"] == ""
    assert [r["id"] for r in rows_of(visitor.get("/achats-prevus.csv?q=toitures&departement=29"))] == [
        str(roofs), str(finistere)]
    detail = visitor.get(f"/achats-prevus/{internats}.json").json()
    assert detail["periode"] == "T1 2027" and detail["region_nom"] == "Bretagne" and "mon_entreprise" not in detail
    html = text_of(visitor.get(f"/achats-prevus/{internats}").text)
    assert "Connectez-vous avec le compte de votre entreprise" in html


def test_interest_and_thread_from_both_sides(world: World) -> None:
    save_profiles(world)
    plan_id = make_plan(world)
    armor_org = org_of(world.supplier_a)
    armor = Person(world, "offres@armor.fr")
    page = armor.get(f"/achats-prevus/{plan_id}").text
    assert "Je suis intéressé" in page and "Écrire à l'acheteur" in page.replace("&#39;", "'")
    assert "Intérêt enregistré" in notice(armor.post(f"/achats-prevus/{plan_id}/interet",
                                                     {"note": "Nous fabriquons des lits en chêne."}))
    page = armor.get(f"/achats-prevus/{plan_id}").text
    assert "Retirer mon intérêt" in page and "Je suis intéressé" not in page
    assert "Message envoyé" in notice(armor.post(f"/achats-prevus/{plan_id}/messages",
                                                 {"message": "Quels volumes par internat ?"}))
    empty = armor.post(f"/achats-prevus/{plan_id}/messages", {"message": "   "})
    assert empty.status_code == 400 and "message: " in empty.text
    assert armor.get(f"/achats-prevus/{plan_id}.json").json()["mon_entreprise"]["interesse"] is True

    buyer = Person(world, "buyer@bretagne.bzh")
    listing = buyer.get("/acheteur/achats-prevus.json").json()
    assert [(i["id"], i["interets"]) for i in listing["items"]] == [(plan_id, 1)]
    shown = buyer.get(f"/acheteur/achats-prevus/{plan_id}")
    assert shown.status_code == 200
    assert f'href="/fournisseurs/{armor_org}"' in shown.text and "Nous fabriquons des lits en chêne." in shown.text
    thread = buyer.get(f"/acheteur/achats-prevus/{plan_id}?entreprise={armor_org}")
    assert "Quels volumes par internat ?" in thread.text and "Répondre à Menuiserie Armor" in thread.text
    answer = buyer.post(f"/acheteur/achats-prevus/{plan_id}/messages",
                        {"entreprise": str(armor_org), "message": "Environ 120 lits."})
    assert answer.status_code == 303 and f"entreprise={armor_org}" in answer.headers["location"]
    bad = buyer.post(f"/acheteur/achats-prevus/{plan_id}/messages", {"entreprise": str(armor_org), "message": ""})
    assert bad.status_code == 400 and "Quels volumes par internat ?" in bad.text  # the thread stays shown
    twin = buyer.get(f"/acheteur/achats-prevus/{plan_id}.json?entreprise={armor_org}").json()
    assert [(m["de_l_acheteur"], m["texte"]) for m in twin["fil"]["messages"]] == [
        (False, "Quels volumes par internat ?"), (True, "Environ 120 lits.")]
    supplier_view = armor.get(f"/achats-prevus/{plan_id}.json").json()["mon_entreprise"]["messages"]
    assert [m["auteur"] for m in supplier_view] == ["Menuiserie Armor", "Région Bretagne"]

    assert "Intérêt retiré" in notice(armor.post(f"/achats-prevus/{plan_id}/interet/retrait"))
    page = text_of(buyer.get(f"/acheteur/achats-prevus/{plan_id}").text)
    assert "Aucune entreprise intéressée" in page and "qui ont retiré leur intérêt : Menuiserie Armor" in page
    with world.platform.db() as session:
        mails = session.execute(select(OutboxMessage.kind, OutboxMessage.recipient)).all()
        assert ("plan_interest", "achats@bretagne.bzh") in mails and ("plan_message", "offres@armor.fr") in mails
        actions = session.execute(select(AuditEntry.action).where(AuditEntry.entity_type == "purchase_plan")
                                  ).scalars().all()
        assert actions.count("purchase_plan.message") == 2 and "purchase_plan.interest_withdrawn" in actions


def test_the_buyer_sees_the_matches_with_their_reasons(world: World) -> None:
    save_profiles(world)
    plan_id = make_plan(world)
    buyer = Person(world, "buyer@bretagne.bzh")
    page = text_of(buyer.get(f"/acheteur/achats-prevus/{plan_id}").text)
    assert "Entreprises qui pourraient répondre" in page
    assert "Menuiserie Armor PME 75 points Même code CPV (39160000) +40" in page
    assert "Intervient dans le département 35 +20" in page and "Label PEFC +5" in page
    assert ("Mobilier Ouest SA 30 points Même groupe CPV (391) +20 "
            "Intervient sur tout le territoire national +10") in page
    english = text_of(buyer.get(f"/acheteur/achats-prevus/{plan_id}?lang=en").text)
    assert "Companies that could answer" in english and "Same CPV code (39160000)" in english
    twin = buyer.get(f"/acheteur/achats-prevus/{plan_id}.json").json()
    with world.platform.db() as session:
        expected = [supplier_match_view(m, "fr")
                    for m in matches.suppliers_for_plan(session, plans.get_plan(session, plan_id))]
    assert twin["suggestions"] == jsonable(expected)
    assert [(s["nom"], s["score"]) for s in twin["suggestions"]] == [("Menuiserie Armor", 75),
                                                                   ("Mobilier Ouest SA", 30)]


def test_others_are_refused(world: World) -> None:
    save_profiles(world)
    plan_id = make_plan(world)
    draft_id = make_plan(world, publish=False)
    armor_org = org_of(world.supplier_a)
    armor = Person(world, "offres@armor.fr")
    armor.post(f"/achats-prevus/{plan_id}/interet")
    other_buyer = Person(world, "acheteur@finistere.fr")
    ouest = Person(world, "ao@mobilier-ouest.fr")
    for person in (other_buyer, ouest):
        assert person.get(f"/acheteur/achats-prevus/{plan_id}").status_code == 403
        assert person.get(f"/acheteur/achats-prevus/{plan_id}.json").json()["status"] == 403
        assert person.post(f"/acheteur/achats-prevus/{plan_id}/publier").status_code == 403
        assert person.post(f"/acheteur/achats-prevus/{plan_id}/modifier", {"title": "x"}).status_code == 403
        assert person.post(f"/acheteur/achats-prevus/{plan_id}/messages",
                           {"entreprise": str(armor_org), "message": "Bonjour"}).status_code == 403
    assert ouest.get("/acheteur/achats-prevus").status_code == 403
    assert ouest.post("/acheteur/achats-prevus", {"title": "x"}).status_code == 403
    assert other_buyer.get("/acheteur/achats-prevus.json").json()["items"] == []  # only its own organisation's
    # a buyer reads only threads that exist: no cold messaging through the plan
    buyer = Person(world, "buyer@bretagne.bzh")
    assert buyer.get(f"/acheteur/achats-prevus/{plan_id}?entreprise={org_of(world.supplier_b)}").status_code == 404
    assert buyer.post(f"/acheteur/achats-prevus/{plan_id}/messages",
                      {"entreprise": str(org_of(world.supplier_b)), "message": "Bonjour"}).status_code == 404
    # a draft is nobody's business but its buyer's
    assert armor.get(f"/achats-prevus/{draft_id}").status_code == 404
    assert armor.post(f"/achats-prevus/{draft_id}/interet").status_code == 404
    assert buyer.get(f"/acheteur/achats-prevus/{draft_id}").status_code == 200
    # buyers do not mark interest; anonymous visitors are refused
    assert buyer.post(f"/achats-prevus/{plan_id}/interet").status_code == 403
    anonymous = Person(world)
    assert anonymous.post(f"/achats-prevus/{plan_id}/interet", csrf=False).status_code == 403
    assert anonymous.post(f"/achats-prevus/{plan_id}/interet").status_code == 401
    assert anonymous.post(f"/achats-prevus/{plan_id}/messages", {"message": "Bonjour"}).status_code == 401
    assert anonymous.get(f"/acheteur/achats-prevus/{plan_id}").headers["location"].startswith("/connexion")
    with world.platform.db() as session:
        assert [o.name for _, o in plans.interested(session, world.ctx(world.buyer), plan_id)] == ["Menuiserie Armor"]


def test_the_buyer_creates_edits_publishes_and_launches_a_plan(world: World) -> None:
    save_profiles(world)
    buyer = Person(world, "buyer@bretagne.bzh")
    form = {"title": "Mobilier des internats", "description": "Lits et armoires.", "cpv": "39160000-1",
            "estimated_amount": "300 000", "launch_year": "2027", "launch_quarter": "1", "departement": "35",
            "contact_name": "Service achats", "contact_email": "achats@bretagne.bzh"}
    page = buyer.get("/acheteur/achats-prevus")
    assert page.status_code == 200 and 'value="buyer@bretagne.bzh"' in page.text  # the contact address proposed
    bad = buyer.post("/acheteur/achats-prevus", form | {"launch_quarter": "5"})
    assert bad.status_code == 400 and "launch_quarter: 5 is not a quarter" in bad.text
    assert "Mobilier des internats" in bad.text and "Lits et armoires." in bad.text
    bad = buyer.post("/acheteur/achats-prevus", form | {"launch_year": "l'an prochain"})
    assert bad.status_code == 400 and "launch_year: " in bad.text
    created = buyer.post("/acheteur/achats-prevus", form)
    assert "brouillon" in notice(created)
    plan_id = int(urlsplit(created.headers["location"]).path.rsplit("/", 1)[1])
    assert Person(world).get(f"/achats-prevus/{plan_id}").status_code == 404  # a draft is not public
    assert "enregistré" in notice(buyer.post(f"/acheteur/achats-prevus/{plan_id}/modifier",
                                             form | {"title": "Mobilier des internats (8 sites)"}))
    bad = buyer.post(f"/acheteur/achats-prevus/{plan_id}/modifier", form | {"cpv": "391600"})
    assert bad.status_code == 400 and "'391600' is not a CPV code" in bad.text.replace("&#39;", "'")
    assert 'value="391600"' in bad.text
    assert "publié" in notice(buyer.post(f"/acheteur/achats-prevus/{plan_id}/publier"))
    assert buyer.post(f"/acheteur/achats-prevus/{plan_id}/publier").status_code == 409
    armor = Person(world, "offres@armor.fr")
    armor.post(f"/achats-prevus/{plan_id}/interet")
    # launching takes one of the organisation's own published consultations
    consultation = world.published()
    foreign = world.published(title="Consultation d'un autre")
    with world.platform.db.begin() as session:
        session.get_one(type(foreign), foreign.id).buyer_org_id = session.execute(
            select(Organisation.id).where(Organisation.name == "Département du Finistère")).scalar_one()
    editor = buyer.get(f"/acheteur/achats-prevus/{plan_id}").text
    assert f'<option value="{consultation.id}">' in editor and f'<option value="{foreign.id}">' not in editor
    refused = buyer.post(f"/acheteur/achats-prevus/{plan_id}/lancer", {"consultation_id": str(foreign.id)})
    assert refused.status_code == 404 and "consultation_id: " in refused.text
    assert "lancée" in notice(buyer.post(f"/acheteur/achats-prevus/{plan_id}/lancer",
                                         {"consultation_id": str(consultation.id)}))
    public = armor.get(f"/achats-prevus/{plan_id}").text
    assert "consultation lancée" in public and f'href="/consultations/{consultation.id}"' in public
    assert "Je suis intéressé" not in public
    with world.platform.db() as session:
        plan = plans.get_plan(session, plan_id)
        assert (plan.status, plan.consultation_id, plan.title) == (
            "launched", consultation.id, "Mobilier des internats (8 sites)")
        assert session.execute(select(OutboxMessage.recipient).where(OutboxMessage.kind == "plan_launched")
                               ).scalars().all() == ["offres@armor.fr"]
    assert "retiré" in notice(buyer.post(f"/acheteur/achats-prevus/{make_plan(world)}/retirer"))
    evaluator = Person(world, "evaluator@bretagne.bzh")
    assert evaluator.get("/acheteur/achats-prevus").status_code == 403
    assert "/acheteur/achats-prevus" in buyer.get("/acheteur").text
    assert "/acheteur/achats-prevus" not in evaluator.get("/acheteur").text


def test_companies_that_could_answer_a_consultation(world: World) -> None:
    save_profiles(world)
    consultation = world.published()  # CPV 39160000 in Ille-et-Vilaine
    buyer = Person(world, "buyer@bretagne.bzh")
    page = text_of(buyer.get(f"/acheteur/consultations/{consultation.id}/entreprises").text)
    assert "Entreprises qui pourraient répondre" in page and "Même code CPV (39160000)" in page
    english = text_of(buyer.get(f"/acheteur/consultations/{consultation.id}/entreprises?lang=en").text)
    assert "Companies that could answer" in english and "Serves the whole country" in english
    twin = buyer.get(f"/acheteur/consultations/{consultation.id}/entreprises.json").json()
    assert [(s["nom"], s["score"]) for s in twin["suggestions"]] == [("Menuiserie Armor", 75),
                                                                   ("Mobilier Ouest SA", 30)]
    for email in ("acheteur@finistere.fr", "offres@armor.fr"):
        other = Person(world, email)
        assert other.get(f"/acheteur/consultations/{consultation.id}/entreprises").status_code == 403


def test_pages_name_the_lot_a_company_matches(world: World) -> None:
    """A works consultation (own code 45000000) whose lot 2 is joinery (Armor's 45421000): the buyer's list of
    companies and Armor's opportunities say « Pour le lot 2 », in the page and its JSON twin."""
    save_profiles(world)
    draft = world.consultation(title="Rénovation de l'internat", cpv="45000000", contract_type="Travaux")
    with world.platform.db.begin() as session:
        consultations.set_lots(session, world.ctx(world.buyer), draft.id, [
            consultations.LotSpec(1, "Gros œuvre", "45210000"),
            consultations.LotSpec(2, "Menuiseries intérieures", "45421000")])
        consultations.publish(session, world.ctx(world.buyer), draft.id)
    buyer = Person(world, "buyer@bretagne.bzh")
    page = text_of(buyer.get(f"/acheteur/consultations/{draft.id}/entreprises").text)
    assert "Pour le lot 2 : Menuiseries intérieures" in page and "Même code CPV (45421000)" in page
    twin = buyer.get(f"/acheteur/consultations/{draft.id}/entreprises.json").json()
    assert [(s["nom"], s["lot"]) for s in twin["suggestions"]] == [
        ("Menuiserie Armor", {"numero": 2, "titre": "Menuiseries intérieures", "cpv": "45421000"})]
    armor = Person(world, "offres@armor.fr")
    opportunities = text_of(armor.get("/entreprise/opportunites").text)
    assert "Pour le lot 2 : Menuiseries intérieures (CPV 45421000)" in opportunities
    english = text_of(armor.get("/entreprise/opportunites?lang=en").text)
    assert "For lot 2: Menuiseries intérieures (CPV 45421000)" in english
    items = armor.get("/entreprise/opportunites.json").json()["items"]
    assert [(i["id"], i["lot"]["numero"]) for i in items] == [(draft.id, 2)]


def test_the_company_sees_its_opportunities(world: World) -> None:
    armor = Person(world, "offres@armor.fr")
    home = armor.get("/entreprise").text
    assert 'href="/entreprise/profil"' in home and 'href="/entreprise/opportunites"' in home
    assert "Compléter le profil" in armor.get("/entreprise/opportunites").text.replace("&#39;", "'")
    assert armor.get("/entreprise/opportunites.json").json() == {"profil": False, "items": []}
    save_profiles(world)
    plan_id = make_plan(world)
    consultation = world.published()
    page = text_of(armor.get("/entreprise/opportunites").text)
    assert "Renouvellement du mobilier des internats" in page and "Même code CPV (39160000)" in page
    twin = armor.get("/entreprise/opportunites.json").json()
    assert [(i["type"], i["id"], i["lien"]) for i in twin["items"]] == [
        ("plan", plan_id, f"/achats-prevus/{plan_id}"), ("consultation", consultation.id,
                                                         f"/consultations/{consultation.id}")]
    assert twin["items"][0]["periode"] == "T1 2027" and twin["items"][0]["score"] == 75
    english = text_of(armor.get("/entreprise/opportunites?lang=en").text)
    assert "Opportunities for your company" in english and "Same CPV code (39160000)" in english
    assert Person(world, "buyer@bretagne.bzh").get("/entreprise/opportunites").status_code == 403


# --------------------------------------------------------------------------------------------------
# Saved searches


def test_saved_searches_are_created_listed_and_deleted(world: World) -> None:
    armor = Person(world, "offres@armor.fr")
    listing = armor.get("/achats-prevus?q=internat&cpv=3916&departement=35").text
    link = re.search(r'href="(/recherches\?[^"]+)"', listing)
    assert link is not None
    prefilled = armor.get(unquote(link.group(1).replace("&amp;", "&")))
    assert prefilled.status_code == 200
    assert 'value="internat"' in prefilled.text and 'value="3916"' in prefilled.text
    assert '<option value="plans" selected>' in prefilled.text
    empty = armor.post("/recherches", {"name": "Tout", "target": "plans"})
    assert empty.status_code == 400 and "empty search" in empty.text and 'value="Tout"' in empty.text
    assert "enregistrée" in notice(armor.post("/recherches", {"name": "Mobilier 35", "target": "plans",
                                                              "query": "internat", "cpv": "3916",
                                                              "departement": "35"}))
    twin = armor.get("/recherches.json").json()["items"]
    assert [(s["nom"], s["cible"], s["lien"]) for s in twin] == [
        ("Mobilier 35", "plans", "/achats-prevus?q=internat&cpv=3916&departement=35")]
    assert "Mobilier 35" in armor.get("/recherches?lang=en").text
    search_id = twin[0]["id"]
    ouest = Person(world, "ao@mobilier-ouest.fr")
    assert ouest.get("/recherches.json").json()["items"] == []
    assert ouest.post(f"/recherches/{search_id}/supprimer").status_code == 403
    assert armor.post(f"/recherches/{search_id}/supprimer", csrf=False).status_code == 403
    assert "supprimée" in notice(armor.post(f"/recherches/{search_id}/supprimer"))
    assert armor.get("/recherches.json").json()["items"] == []
    with world.platform.db() as session:
        assert session.get_one(SavedSearch, search_id).active is False
        assert alerts.my_searches(session, world.ctx(world.supplier_a)) == []
    anonymous = Person(world)
    redirect = anonymous.get("/recherches?cible=suppliers&q=menuiserie")
    assert redirect.status_code == 303
    assert parse_qs(urlsplit(redirect.headers["location"]).query)["suite"] == [
        "/recherches?cible=suppliers&q=menuiserie"]
    directory = anonymous.get("/fournisseurs?q=menuiserie").text
    assert "/recherches?cible=suppliers&amp;q=menuiserie" in directory
