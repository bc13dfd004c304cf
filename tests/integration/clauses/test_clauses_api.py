"""The guichet vert's ``/api/v1`` endpoints: search and suggestions (catering clauses first for a catering CPV
code), a clause and its versions, template downloads read back, the help desk's figures, proposals and help
requests with a buyer's bearer token; bad parameters are 400s naming the parameter and the value."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from spaser.clauses.catalogue import catalogue
from tests.integration.clauses.documents import MEDIA, contains
from tests.marketplace_world import PASSWORD, World
from tests.platform_fixtures import ENGINES
from tests.web_client import client_for, csrf_of

pytestmark = pytest.mark.parametrize("empty_database", ENGINES, indirect=True)

PROPOSAL: dict[str, Any] = {
    "title": "Gourdes réutilisables pour les agents", "kind": "execution_condition", "theme": "environmental",
    "level": "basic", "categories": ["392"], "legal_basis": ["Loi AGEC, art. 77"], "keywords": ["gourde"],
    "text": "Le titulaire fournit des gourdes en inox à ses agents.", "verification": "Bons de livraison.",
}


@pytest.fixture
def api(world: World) -> TestClient:
    return client_for(world)


def bearer(api: TestClient, email: str) -> dict[str, str]:
    answer = api.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def test_search_with_filters_and_modes(world: World, api: TestClient) -> None:
    found = api.get("/api/v1/clauses", params={"q": "repas végétarien", "limit": 5}).json()
    assert found["mode"] in ("hybrid", "lexical") and found["total"] == len(found["items"]) <= 5
    first = found["items"][0]
    assert first["id"] == "restauration-menu-vegetarien" and first["score"] > 0 and first["reasons"]
    assert {"title", "kind", "theme", "level", "categories", "legal_basis", "text", "verification"} <= set(first)
    every = api.get("/api/v1/clauses", params={"limit": 200}).json()
    assert every["mode"] == "catalogue" and every["total"] == len(catalogue())
    assert all(item["score"] is None and item["reasons"] == [] for item in every["items"])
    social = api.get("/api/v1/clauses", params={"theme": "social", "kind": "reserved_contract"}).json()
    assert social["items"] and {(i["theme"], i["kind"]) for i in social["items"]} == {("social", "reserved_contract")}
    advanced = api.get("/api/v1/clauses", params={"cpv": "341", "level": "advanced"}).json()
    assert advanced["items"][0]["id"] == "vehicules-critere-cout-cycle-de-vie"
    assert {i["level"] for i in advanced["items"]} == {"advanced"}


@pytest.mark.parametrize(("query", "message"), [
    ({"kind": "critere"}, "kind: 'critere' is not one of technical_specification"),
    ({"theme": "vert"}, "theme: 'vert' is not one of environmental, social"),
    ({"level": "expert"}, "level: 'expert' is not one of basic, advanced"),
    ({"cpv": "cantine"}, "cpv: 'cantine' is not a CPV code or prefix"),
    ({"limit": "0"}, "limit: Input should be greater than or equal to 1 (got '0')"),
    ({"limit": "beaucoup"}, "limit: Input should be a valid integer"),
    ({"q": "x" * 1001}, "q: String should have at most 1000 characters"),
])
def test_bad_search_parameters_are_400_naming_them(world: World, api: TestClient, query: dict[str, str],
                                                   message: str) -> None:
    answer = api.get("/api/v1/clauses", params=query)
    assert answer.status_code == 400 and message in answer.json()["error"], answer.text


def test_suggest_for_a_catering_consultation_puts_catering_clauses_first(world: World, api: TestClient) -> None:
    by_cpv = api.get("/api/v1/clauses/suggest", params={"cpv": "55523100"}).json()
    assert by_cpv["total"] == 10
    catering = [i for i in by_cpv["items"] if "555" in i["categories"]]
    assert [i["id"] for i in by_cpv["items"][:len(catering)]] == [i["id"] for i in catering]  # all first
    assert len(catering) >= 5 and all(i["reasons"] == ["CPV : groupe 555"] for i in catering)
    with_text = api.get("/api/v1/clauses/suggest", params={
        "cpv": "55523100-3", "text": "Restauration scolaire : repas bio et menus végétariens", "limit": 6}).json()
    assert len(with_text["items"]) == 6
    assert all(i["id"].startswith(("restauration-", "evenements-")) for i in with_text["items"][:4])
    assert with_text["items"][0]["id"] in ("restauration-menu-vegetarien", "restauration-egalim-produits-durables")
    text_only = api.get("/api/v1/clauses/suggest", params={"text": "insertion de personnes éloignées de l'emploi"})
    assert text_only.json()["items"][0]["theme"] == "social"
    for query, message in (({}, "cpv, text: give the consultation's CPV code"),
                           ({"cpv": "5"}, "cpv: '5' is not a CPV code or prefix"),
                           ({"cpv": "555", "limit": "51"}, "limit: Input should be less than or equal to 50")):
        answer = api.get("/api/v1/clauses/suggest", params=query)
        assert answer.status_code == 400 and message in answer.json()["error"], answer.text


def test_a_clause_and_its_versions(world: World, api: TestClient) -> None:
    answer = api.get("/api/v1/clauses/social-marche-reserve-siae")
    assert answer.status_code == 200
    data = answer.json()
    assert data["clause"]["kind"] == "reserved_contract" and data["origin"] == "library"
    assert data["current_version"] == 1 and [v["number"] for v in data["versions"]] == [1]
    assert data["versions"][0]["proposed_by"] is None
    missing = api.get("/api/v1/clauses/inconnue")
    assert missing.status_code == 404 and missing.json() == {"error": "no clause 'inconnue' in the library",
                                                             "status": 404}


@pytest.mark.parametrize("fmt", ["docx", "odt", "pdf"])
def test_template_downloads(world: World, api: TestClient, fmt: str) -> None:
    answer = api.get("/api/v1/clauses/template", params={
        "clause": "social-marche-reserve-siae,social-clause-insertion-heures", "format": fmt, "document": "rc",
        "title": "Entretien des espaces verts", "reference": "EV-2026", "criteria": ["Prix;60", "Valeur technique;40"]})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith(MEDIA[fmt])
    assert f'filename="rc-ev-2026.{fmt}"' in answer.headers["content-disposition"]
    assert contains(answer.content, fmt, "Marché réservé")
    assert contains(answer.content, fmt, "Entretien des espaces verts")
    assert contains(answer.content, fmt, "Valeur technique : 40")
    cctp = api.get("/api/v1/clauses/template", params={"clause": "social-clause-insertion-heures", "format": fmt,
                                                       "document": "cctp"})
    assert 'filename="cctp-modele.' in cctp.headers["content-disposition"]
    assert contains(cctp.content, fmt, "Conditions sociales")


def test_template_parameters_and_consultations(world: World, api: TestClient) -> None:
    for query, message in (({"format": "xls"}, "format: 'xls' is not one of docx, odt, pdf"),
                           ({"document": "ccap"}, "document: 'ccap' is not one of rc, cctp"),
                           ({"clause": "inconnue"}, "clause: 'inconnue' is not a clause of the library"),
                           ({"criteria": "Prix:60"}, "criteria: 'Prix:60' is not 'label;weight'"),
                           ({"consultation": "0"}, "consultation: Input should be greater than or equal to 1")):
        answer = api.get("/api/v1/clauses/template", params={"clause": "papier-recycle"} | query)
        assert answer.status_code == 400 and message in answer.json()["error"], answer.text
    draft = world.consultation()
    assert api.get("/api/v1/clauses/template", params={"consultation": draft.id}).status_code == 401
    other = bearer(api, world.other_buyer.email)
    assert api.get("/api/v1/clauses/template", params={"consultation": draft.id}, headers=other).status_code == 403
    mine = api.get("/api/v1/clauses/template", params={"consultation": draft.id, "format": "pdf"},
                   headers=bearer(api, world.evaluator.email))
    assert mine.status_code == 200 and contains(mine.content, "pdf", "Fourniture de mobilier scolaire pour les lycées")


def test_desk_figures(world: World, api: TestClient) -> None:
    assert api.get("/api/v1/helpdesk/stats").json() == {
        "total": 0, "by_status": {"new": 0, "assigned": 0, "answered": 0, "closed": 0}, "answered": 0,
        "median_response_hours": None, "median_open_hours": None}
    token = bearer(api, world.buyer.email)
    api.post("/api/v1/helpdesk/requests", headers=token, json={"subject": "Question", "body": "Une question."})
    world.clock.advance(hours=30)
    assert api.get("/api/v1/helpdesk/stats").json()["median_open_hours"] == 30.0


def test_proposals_need_a_buyer_token(world: World, api: TestClient) -> None:
    assert api.post("/api/v1/clauses/proposals", json=PROPOSAL).status_code == 401
    supplier = bearer(api, world.supplier_a.email)
    assert api.post("/api/v1/clauses/proposals", json=PROPOSAL, headers=supplier).status_code == 403
    token = bearer(api, world.buyer.email)
    created = api.post("/api/v1/clauses/proposals", json=PROPOSAL | {"note": "Pour les agents d'entretien."},
                       headers=token)
    assert created.status_code == 201, created.text
    assert {k: created.json()[k] for k in ("clause_id", "number", "status")} == {
        "clause_id": "proposition-1", "number": 1, "status": "proposed"}
    revision = api.post("/api/v1/clauses/proposals", headers=token,
                        json=PROPOSAL | {"clause_id": "papier-recycle", "title": "Papier recyclé à 100 %"})
    assert revision.status_code == 201 and revision.json()["number"] == 2
    for body, message in ((PROPOSAL | {"kind": "clause"}, "kind: 'clause' is not one of"),
                          (PROPOSAL | {"categories": ["5"]}, "categories: '5' is not a CPV division"),
                          (PROPOSAL | {"clause_id": "inconnue"}, "no clause 'inconnue'"),
                          ({"title": "Sans texte"}, "kind: Field required")):
        answer = api.post("/api/v1/clauses/proposals", json=body, headers=token)
        assert answer.status_code in (400, 404) and message in answer.json()["error"], answer.text
    browser = client_for(world, world.buyer.email)  # a cookie session must send its CSRF token
    assert browser.post("/api/v1/clauses/proposals", json=PROPOSAL).status_code == 403
    token_of_page = csrf_of(browser.get("/guichet-vert").text)
    assert browser.post("/api/v1/clauses/proposals", json=PROPOSAL,
                        headers={"X-CSRF-Token": token_of_page}).status_code == 201


def test_help_requests_with_a_bearer_token(world: World, api: TestClient) -> None:
    assert api.get("/api/v1/helpdesk/requests").status_code == 401
    assert api.post("/api/v1/helpdesk/requests", json={"subject": "s", "body": "b"}).status_code == 401
    draft = world.consultation()
    token = bearer(api, world.buyer.email)
    created = api.post("/api/v1/helpdesk/requests", headers=token, json={
        "kind": "draft_review", "subject": "Relecture", "body": "Relisez notre DCE.", "cpv": "39160000-1",
        "consultation_id": draft.id})
    assert created.status_code == 201, created.text
    request = created.json()
    assert (request["status"], request["cpv"], request["consultation_id"]) == ("new", "39160000", draft.id)
    assert request["url"] == f"/guichet-vert/demandes/{request['id']}" and request["first_response_at"] is None
    assert [r["id"] for r in api.get("/api/v1/helpdesk/requests", headers=bearer(
        api, world.evaluator.email)).json()] == [request["id"]]
    assert api.get("/api/v1/helpdesk/requests", headers=bearer(api, world.other_buyer.email)).json() == []
    supplier = bearer(api, world.supplier_a.email)
    assert api.get("/api/v1/helpdesk/requests", headers=supplier).status_code == 403
    for body, message in (({"subject": "s", "body": "b", "kind": "plainte"}, "kind: 'plainte' is not one of"),
                          ({"subject": "s", "body": "b", "kind": "draft_review"}, "names the consultation"),
                          ({"subject": "s", "body": "b", "cpv": "391"}, "cpv: '391' is not a CPV code"),
                          ({"subject": "s", "body": "b", "consultation_id": 2**40}, "consultation_id: Input should be"),
                          ({"subject": "", "body": "b"}, "subject: write the text")):
        answer = api.post("/api/v1/helpdesk/requests", headers=token, json=body)
        assert answer.status_code == 400 and message in answer.json()["error"], answer.text
    other = api.post("/api/v1/helpdesk/requests", headers=bearer(api, world.other_buyer.email), json={
        "kind": "draft_review", "subject": "s", "body": "b", "consultation_id": draft.id})
    assert other.status_code == 404


def test_the_openapi_description_documents_the_guichet(world: World, api: TestClient) -> None:
    schema = api.get("/openapi.json").json()
    paths = schema["paths"]
    for path, method in (("/api/v1/clauses", "get"), ("/api/v1/clauses/suggest", "get"),
                         ("/api/v1/clauses/template", "get"), ("/api/v1/clauses/{clause_id}", "get"),
                         ("/api/v1/clauses/proposals", "post"), ("/api/v1/helpdesk/stats", "get"),
                         ("/api/v1/helpdesk/requests", "get"), ("/api/v1/helpdesk/requests", "post")):
        assert paths[path][method]["tags"] == ["clauses"], path
    assert list(paths).index("/api/v1/clauses/suggest") < list(paths).index("/api/v1/clauses/{clause_id}")
    assert "SearchOut" in schema["components"]["schemas"] and "ProposalIn" in schema["components"]["schemas"]
    assert set(paths["/api/v1/clauses/template"]["get"]["responses"]["200"]["content"]) == set(MEDIA.values())
    assert not any(p.startswith("/guichet-vert") for p in paths)  # pages are not the API
