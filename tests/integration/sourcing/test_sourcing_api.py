"""``/api/v1`` of the sourcing space on SQLite and PostgreSQL: lists and details answer what the services find,
bad parameters are 400 naming the field, a company marks its interest with its bearer token, a plan's matches are
its buyer's only, and every role or organisation check holds (401 anonymous, 403 others, 404 unpublished)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from spaser.audit import AuditEntry
from spaser.sourcing import plans, profiles
from spaser.web.app import create_app
from spaser.web.render import jsonable
from spaser.web.sourcing_views import plan_row, supplier_row
from tests.integration.sourcing.sourcing_data import ROOF, make_plan, org_of, save_profiles
from tests.marketplace_world import PASSWORD, World
from tests.platform_fixtures import ENGINES
from tests.web_client import client_for, csrf_of

pytestmark = pytest.mark.parametrize("empty_database", ENGINES, indirect=True)


def api(world: World, email: str | None = None) -> TestClient:
    """An API client; with a bearer token when ``email`` is given (logged in through /api/v1/auth/login)."""
    client = TestClient(create_app(world.platform.settings, world.platform))
    if email is not None:
        answer = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        client.headers["Authorization"] = f"Bearer {answer.json()['token']}"
    return client


def test_suppliers_list_and_detail(world: World) -> None:
    save_profiles(world)
    client = api(world)
    cases: list[tuple[dict[str, Any], dict[str, Any]]] = [
        ({}, {}), ({"q": "menuiseries"}, {}), ({"cpv": "4542"}, {"cpv": "4542"}),
        ({"departement": "29"}, {"departement": "29"}), ({"label": "iso-14001"}, {"label": "iso-14001"}),
        ({"sme": "true"}, {"sme": True}), ({"limit": 1, "offset": 1}, {})]
    for params, filters in cases:
        answer = client.get("/api/v1/suppliers", params=params)
        assert answer.status_code == 200, answer.text
        with world.platform.db() as session:
            page = profiles.search_suppliers(session, str(params.get("q", "")), offset=int(params.get("offset", 0)),
                                             limit=int(params.get("limit", 50)), **filters)
            expected = jsonable([supplier_row(o, p) for o, p in page.items])
        assert answer.json()["items"] == expected and answer.json()["total"] == page.total, params
    assert client.get("/api/v1/suppliers", params={"limit": 1, "offset": 1}).json()["total"] == 2
    armor = org_of(world.supplier_a)
    detail = client.get(f"/api/v1/suppliers/{armor}").json()
    assert detail["nom"] == "Menuiserie Armor" and detail["pme"] is True
    assert detail["sirene"]["denomination"] == "MENUISERIE ARMOR" and detail["sirene"]["verifie_le"].startswith(
        "2026-09-01")
    assert detail["labels_details"][0] | {"preuve": ""} == {"code": "pefc", "nom": "PEFC", "preuve": "",
                                                            "reference": "PEFC/10-31-1234", "valide_jusqu_au": None}
    assert detail["departements_details"] == [{"code": "22", "region": "Bretagne"},
                                              {"code": "35", "region": "Bretagne"}]
    assert detail["marches_publics"] is None and detail["page_titulaire"] is None
    assert detail == client.get(f"/fournisseurs/{armor}.json").json()  # the page's twin, same shape
    missing = client.get(f"/api/v1/suppliers/{org_of(world.buyer)}")
    assert missing.status_code == 404 and missing.json()["status"] == 404


@pytest.mark.parametrize(("address", "field"), [
    ("/api/v1/suppliers?cpv=99", "cpv"), ("/api/v1/suppliers?departement=20", "departement"),
    ("/api/v1/suppliers?label=bio", "label"), ("/api/v1/suppliers?sme=peut-etre", "sme"),
    ("/api/v1/suppliers?limit=0", "limit"), ("/api/v1/plans?quarter=5", "quarter"),
    ("/api/v1/plans?year=deux", "year"), ("/api/v1/plans?cpv=1", "cpv"), ("/api/v1/plans/abc", "plan_id"),
])
def test_bad_parameters_are_400_naming_the_field(world: World, address: str, field: str) -> None:
    answer = api(world).get(address)
    assert answer.status_code == 400 and field in answer.json()["error"], answer.text


def test_plans_list_and_detail(world: World) -> None:
    internats = make_plan(world)
    roofs = make_plan(world, ROOF)
    draft = make_plan(world, publish=False)
    client = api(world)
    answer = client.get("/api/v1/plans").json()
    assert [i["id"] for i in answer["items"]] == [internats, roofs] and answer["total"] == 2
    with world.platform.db() as session:
        found = plans.search_plans(session, "", year=2027, quarter=3)
        expected = jsonable([plan_row(p, o) for p, o in found.items])
    assert client.get("/api/v1/plans", params={"year": 2027, "quarter": 3}).json()["items"] == expected
    assert [i["id"] for i in client.get("/api/v1/plans", params={"q": "toiture"}).json()["items"]] == [roofs]
    detail = client.get(f"/api/v1/plans/{internats}").json()
    assert (detail["titre"], detail["periode"], detail["statut"], detail["montant_estime"]) == (
        "Renouvellement du mobilier des internats", "T1 2027", "published", 300000.0)
    assert client.get(f"/api/v1/plans/{internats}", headers={"Accept-Language": "en"}).json()["periode"] == "Q1 2027"
    assert client.get(f"/api/v1/plans/{draft}").status_code == 404
    assert client.get(f"/api/v1/plans/{draft}/matches").status_code == 401


def test_a_company_marks_its_interest_with_its_token(world: World) -> None:
    save_profiles(world)
    plan_id = make_plan(world)
    armor = api(world, "offres@armor.fr")
    answer = armor.post(f"/api/v1/plans/{plan_id}/interest", json={"note": "Lits en chêne."})
    assert answer.status_code == 201 and answer.json() == {"plan_id": plan_id, "interesse": True}
    assert armor.post(f"/api/v1/plans/{plan_id}/interest").status_code == 201  # twice: still one
    with world.platform.db() as session:
        found = plans.interested(session, world.ctx(world.buyer), plan_id)
        assert [(i.note, o.name) for i, o in found] == [("Lits en chêne.", "Menuiserie Armor")]
    assert armor.delete(f"/api/v1/plans/{plan_id}/interest").json() == {"plan_id": plan_id, "interesse": False}
    again = armor.delete(f"/api/v1/plans/{plan_id}/interest")
    assert again.status_code == 404 and "has not marked" in again.json()["error"]
    assert api(world, "buyer@bretagne.bzh").post(f"/api/v1/plans/{plan_id}/interest").status_code == 403
    anonymous = api(world)
    assert anonymous.post(f"/api/v1/plans/{plan_id}/interest").status_code == 401
    assert anonymous.delete(f"/api/v1/plans/{plan_id}/interest").status_code == 401
    assert armor.post(f"/api/v1/plans/{make_plan(world, publish=False)}/interest").status_code == 404
    with world.platform.db() as session:
        actions = session.execute(select(AuditEntry.action).where(AuditEntry.entity_type == "purchase_plan",
                                                                  AuditEntry.entity_id == str(plan_id))
                                  ).scalars().all()
        assert actions.count("purchase_plan.interest") == 1 and "purchase_plan.interest_withdrawn" in actions


def test_a_browser_session_needs_its_csrf_token(world: World) -> None:
    plan_id = make_plan(world)
    browser = client_for(world, "offres@armor.fr")
    refused = browser.post(f"/api/v1/plans/{plan_id}/interest")
    assert refused.status_code == 403 and "CSRF" in refused.json()["error"]
    token = csrf_of(browser.get("/achats-prevus").text)
    assert browser.post(f"/api/v1/plans/{plan_id}/interest", headers={"X-CSRF-Token": token}).status_code == 201


def test_matches_are_the_plan_buyers_only(world: World) -> None:
    save_profiles(world)
    plan_id = make_plan(world)
    answer = api(world, "buyer@bretagne.bzh").get(f"/api/v1/plans/{plan_id}/matches")
    assert answer.status_code == 200
    found: list[dict[str, Any]] = answer.json()["items"]
    assert [(m["nom"], m["score"]) for m in found] == [("Menuiserie Armor", 75), ("Mobilier Ouest SA", 30)]
    assert found[0]["raisons"][0] == {"code": "cpv_code", "points": 40, "texte": "Même code CPV (39160000)"}
    english = api(world, "buyer@bretagne.bzh").get(f"/api/v1/plans/{plan_id}/matches?limit=1",
                                                   headers={"Accept-Language": "en"}).json()["items"]
    assert len(english) == 1 and english[0]["raisons"][0]["texte"] == "Same CPV code (39160000)"
    session_client = client_for(world, "admin@bretagne.bzh")  # a browser session of the same organisation
    assert session_client.get(f"/api/v1/plans/{plan_id}/matches").status_code == 200
    for email in ("acheteur@finistere.fr", "offres@armor.fr", "evaluator@bretagne.bzh"):
        assert api(world, email).get(f"/api/v1/plans/{plan_id}/matches").status_code == 403, email
    assert api(world).get(f"/api/v1/plans/{plan_id}/matches").status_code == 401


def test_my_opportunities(world: World) -> None:
    armor = api(world, "offres@armor.fr")
    assert armor.get("/api/v1/me/opportunities").json() == {"profil": False, "items": []}
    save_profiles(world)
    plan_id = make_plan(world)
    consultation = world.published()
    items = armor.get("/api/v1/me/opportunities").json()["items"]
    assert [(i["type"], i["id"], i["score"]) for i in items] == [("plan", plan_id, 75),
                                                                 ("consultation", consultation.id, 75)]
    assert items[1]["date_limite"] is not None and items[0]["lien"] == f"/achats-prevus/{plan_id}"
    assert items[0]["lot"] is None and items[1]["lot"] is None  # the plan; the consultation on its own code
    assert armor.get("/api/v1/me/opportunities").json() == client_for(world, "offres@armor.fr").get(
        "/entreprise/opportunites.json").json()
    assert api(world, "buyer@bretagne.bzh").get("/api/v1/me/opportunities").status_code == 403
    assert api(world).get("/api/v1/me/opportunities").status_code == 401


def test_the_endpoints_are_documented(world: World) -> None:
    schema = api(world).get("/openapi.json").json()
    paths = schema["paths"]
    expected = {("/api/v1/suppliers", "get"), ("/api/v1/suppliers/{org_id}", "get"), ("/api/v1/plans", "get"),
                ("/api/v1/plans/{plan_id}", "get"), ("/api/v1/plans/{plan_id}/matches", "get"),
                ("/api/v1/plans/{plan_id}/interest", "post"), ("/api/v1/plans/{plan_id}/interest", "delete"),
                ("/api/v1/me/opportunities", "get")}
    for path, method in expected:
        operation = paths[path][method]
        assert operation["tags"] == ["sourcing"], path
        success = operation["responses"]["201" if method == "post" else "200"]
        assert "$ref" in success["content"]["application/json"]["schema"], path
    assert "raisons" in schema["components"]["schemas"]["SupplierMatch"]["properties"]
    assert not any(p.startswith(("/fournisseurs", "/achats-prevus", "/acheteur/achats")) for p in paths)
