"""The guichet vert through its pages: the library searched with filters (French and English, JSON twins, bad
values), a clause and its history, proposals reviewed by the desk, RC/CCTP downloads read back, the help desk from
question to closing, and the clause suggestions of the marketplace's consultation editor; who may do what; CSRF."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import select

from spaser.accounts.models import OutboxMessage
from spaser.clauses.catalogue import catalogue
from tests.integration.clauses.documents import MEDIA, contains, text_of
from tests.marketplace_world import World
from tests.platform_fixtures import ENGINES
from tests.web_client import client_for, csrf_of

pytestmark = pytest.mark.parametrize("empty_database", ENGINES, indirect=True)

VEGETARIAN = "restauration-menu-vegetarien"
DIRECT = "restauration-critere-approvisionnement-direct"  # an award criterion: in the RC
ANTI_WASTE = "restauration-anti-gaspillage"  # an execution condition: a consultation may hold it
REVISION = {"title": "Menu végétarien quotidien", "kind": "technical_specification", "theme": "environmental",
            "level": "advanced", "categories": "555 15", "legal_basis": "Code rural, art. L230-5-6",
            "keywords": "végétarien, protéines végétales",
            "text": "Le titulaire propose chaque jour une option végétarienne.", "verification": "Plans de menus."}


def post(client: TestClient, action: str, data: dict[str, Any] | None = None, page: str = "/guichet-vert"
         ) -> Response:
    token = csrf_of(client.get(page).text)
    return client.post(action, data={"csrf_token": token, **(data or {})}, follow_redirects=False)


def message_of(response: Response) -> str:
    assert response.status_code == 303, response.text
    return parse_qs(urlsplit(response.headers["location"]).query)["message"][0]


@pytest.fixture
def anonymous(world: World) -> TestClient:
    return client_for(world)


# --------------------------------------------------------------------------------------------------
# Home and search


def test_home_in_french_and_english_with_the_whole_catalogue(world: World, anonymous: TestClient) -> None:
    page = anonymous.get("/guichet-vert")
    assert page.status_code == 200 and page.headers["cache-control"] == "private, no-store"
    html = page.text
    assert "<h1>Guichet vert</h1>" in html and 'aria-current="page">Guichet vert' in html
    for link in ('href="/guichet-vert/proposer"', 'href="/guichet-vert/demandes"', 'href="/guichet-vert/modele"'):
        assert link in html
    assert "Proposer une clause" in html and "Demander de l&#39;aide" in html and "Générer un RC / CCTP" in html
    assert "catalogue complet, par titre" in html and "Délai médian de première réponse" in html
    assert 'href="/guichet-vert.json"' in html
    data = anonymous.get("/guichet-vert.json").json()
    assert data["mode"] == "catalogue" and data["total"] == min(30, len(catalogue()))
    assert data["desk"] == {"total": 0, "by_status": {"new": 0, "assigned": 0, "answered": 0, "closed": 0},
                            "answered": 0, "median_response_hours": None, "median_response": "—",
                            "median_open_hours": None, "median_open": "—"}
    english = anonymous.get("/guichet-vert?lang=en").text
    assert '<html lang="en">' in english and "<h1>Green desk</h1>" in english
    assert "Search for a clause" in english and "Propose a clause" in english and "Ask for help" in english


def test_search_by_words_cpv_and_filters(world: World, anonymous: TestClient) -> None:
    data = anonymous.get("/guichet-vert.json", params={"q": "repas végétarien"}).json()
    assert data["mode"] in ("hybrid", "lexical") and data["results"][0]["id"] == VEGETARIAN
    first = data["results"][0]
    assert first["legal_basis"] and first["url"] == f"/guichet-vert/clauses/{VEGETARIAN}"
    assert any(reason.startswith("mots : ") for reason in first["reasons"])
    html = anonymous.get("/guichet-vert", params={"q": "repas végétarien"}).text
    assert f'href="/guichet-vert/clauses/{VEGETARIAN}"' in html
    assert ("hybride (mots et sens)" if data["mode"] == "hybrid" else "lexical (mots seuls)") in html
    assert "Pourquoi : mots : " in html and "Fondement juridique" in html and 'value="repas végétarien"' in html

    by_cpv = anonymous.get("/guichet-vert.json", params={"cpv": "55523100-3"}).json()
    assert by_cpv["results"][0]["reasons"] == ["CPV : groupe 555"]
    assert by_cpv["filters"]["cpv"] == "55523100-3"
    prefix = anonymous.get("/guichet-vert.json", params={"cpv": "555"}).json()
    assert [r["id"] for r in prefix["results"][:3]] == [r["id"] for r in by_cpv["results"][:3]]

    criteria = anonymous.get("/guichet-vert.json", params={"type": "award_criterion"}).json()
    assert criteria["total"] > 5 and {r["kind"] for r in criteria["results"]} == {"award_criterion"}
    advanced = anonymous.get("/guichet-vert.json", params={"q": "recyclé", "niveau": "advanced"}).json()
    assert advanced["results"] and {r["level"] for r in advanced["results"]} == {"advanced"}
    social = anonymous.get("/guichet-vert.json", params={"theme": "social", "niveau": "basic"}).json()
    assert social["results"] and {(r["theme"], r["level"]) for r in social["results"]} == {("social", "basic")}
    selected = anonymous.get("/guichet-vert", params={"type": "award_criterion", "niveau": "advanced"}).text
    assert '<option value="award_criterion" selected>' in selected and '<option value="advanced" selected>' in selected


@pytest.mark.parametrize(("query", "message"), [
    ({"type": "critere"}, "type: &#39;critere&#39; is not one of"),
    ({"theme": "vert"}, "theme: &#39;vert&#39; is not one of environmental, social"),
    ({"niveau": "expert"}, "niveau: &#39;expert&#39; is not one of basic, advanced"),
    ({"cpv": "abc"}, "cpv: &#39;abc&#39; is not a CPV code or prefix"),
    ({"cpv": "99"}, "cpv: &#39;99&#39; is not a CPV code or prefix"),
    ({"q": "x" * 1001}, "q: 1001 characters, the limit is 1000"),
])
def test_bad_search_values_are_named(world: World, anonymous: TestClient, query: dict[str, str], message: str) -> None:
    page = anonymous.get("/guichet-vert", params=query)
    assert page.status_code == 400 and message in page.text
    answer = anonymous.get("/guichet-vert.json", params=query)
    assert answer.status_code == 400 and answer.json()["error"].startswith(message.replace("&#39;", "'"))


# --------------------------------------------------------------------------------------------------
# A clause


def test_a_clause_page_with_its_history(world: World, anonymous: TestClient) -> None:
    page = anonymous.get(f"/guichet-vert/clauses/{VEGETARIAN}")
    assert page.status_code == 200
    html = page.text
    assert "<h1>Menu végétarien hebdomadaire et diversification des protéines</h1>" in html
    assert "légumineuses" in html and "Fondement juridique" in html and "Vérification" in html
    assert "<strong>555</strong> — Hôtellerie" in html  # the CPV category with its division's label
    assert "Historique des versions" in html and "catalogue spaser" in html and "en vigueur" in html
    assert f'href="/guichet-vert/modele?clause={VEGETARIAN}"' in html
    assert f"/guichet-vert/modele/telecharger?clause={VEGETARIAN}&amp;document=rc&amp;format=docx" in html
    assert "Proposer une révision" not in html and "/ajouter" not in html  # not a buyer
    data = anonymous.get(f"/guichet-vert/clauses/{VEGETARIAN}.json").json()
    assert data["clause"]["id"] == VEGETARIAN and data["origin"] == "library" and data["current_version"] == 1
    assert data["versions"] == [{"number": 1, "title": data["clause"]["title"], "status": "validated",
                                 "created_at": data["versions"][0]["created_at"], "reviewed_at": None,
                                 "origin": "library"}]
    english = anonymous.get(f"/guichet-vert/clauses/{VEGETARIAN}?lang=en").text
    assert "Version history" in english and "Hotel, restaurant" in english
    missing = anonymous.get("/guichet-vert/clauses/inconnue")
    assert missing.status_code == 404 and "no clause &#39;inconnue&#39;" in missing.text
    assert anonymous.get("/guichet-vert/clauses/inconnue.json").status_code == 404


def test_a_buyer_adds_a_clause_to_a_draft_from_its_page(world: World) -> None:
    draft = world.consultation()
    published = world.published(title="Consultation déjà publiée")
    buyer = client_for(world, world.buyer.email)
    html = buyer.get("/guichet-vert/clauses/mobilier-reprise-ancien").text
    assert "Proposer une révision" in html and 'action="/guichet-vert/clauses/mobilier-reprise-ancien/ajouter"' in html
    assert f'<option value="{draft.id}">' in html and f'<option value="{published.id}">' not in html  # drafts only
    added = post(buyer, "/guichet-vert/clauses/mobilier-reprise-ancien/ajouter", {"consultation": str(draft.id)})
    assert urlsplit(added.headers["location"]).path == f"/acheteur/consultations/{draft.id}"
    assert "ajoutée aux conditions d'exécution" in message_of(added)
    view = buyer.get(f"/acheteur/consultations/{draft.id}.json").json()
    assert view["clauses"][-1]["library_clause"] == "mobilier-reprise-ancien@1"
    refused = post(buyer, "/guichet-vert/clauses/mobilier-reprise-ancien/ajouter", {"consultation": str(published.id)})
    assert refused.status_code == 409 and 'class="problems" role="alert"' in refused.text
    assert "only a draft changes" in refused.text
    bad = post(buyer, "/guichet-vert/clauses/mobilier-reprise-ancien/ajouter", {"consultation": "99999999999"})
    assert bad.status_code == 400 and "consultation: &#39;99999999999&#39; is not a consultation number" in bad.text
    # a technical specification goes in the CCTP, an award criterion in the criteria: never an execution clause
    spec = buyer.get("/guichet-vert/clauses/mobilier-reemploi").text
    assert "Proposer une révision" in spec and "/guichet-vert/clauses/mobilier-reemploi/ajouter" not in spec
    forced = post(buyer, "/guichet-vert/clauses/mobilier-reemploi/ajouter", {"consultation": str(draft.id)},
                  page="/guichet-vert/clauses/mobilier-reprise-ancien")
    assert forced.status_code == 400 and "not an execution condition: it goes in the CCTP" in forced.text
    evaluator = client_for(world, world.evaluator.email)
    assert "/ajouter" not in evaluator.get("/guichet-vert/clauses/mobilier-reprise-ancien").text
    other = client_for(world, world.other_buyer.email)
    assert post(other, "/guichet-vert/clauses/mobilier-reprise-ancien/ajouter",
                {"consultation": str(draft.id)}).status_code == 403
    no_token = buyer.post("/guichet-vert/clauses/mobilier-reprise-ancien/ajouter", data={"consultation": str(draft.id)})
    assert no_token.status_code == 403 and "CSRF" in no_token.text


# --------------------------------------------------------------------------------------------------
# Proposals and validation


def test_proposals_are_reviewed_by_the_desk(world: World) -> None:
    buyer, operator = client_for(world, world.buyer.email), client_for(world, world.operator.email)
    form = buyer.get(f"/guichet-vert/proposer?clause={VEGETARIAN}")
    assert form.status_code == 200 and "Révision de la clause" in form.text
    assert 'value="Menu végétarien hebdomadaire et diversification des protéines"' in form.text
    assert buyer.get(f"/guichet-vert/proposer.json?clause={VEGETARIAN}").json()["revision_of"] == VEGETARIAN
    refused = post(buyer, "/guichet-vert/proposer", REVISION | {"clause": VEGETARIAN, "categories": "5"})
    assert refused.status_code == 400 and "categories: &#39;5&#39; is not a CPV division" in refused.text
    assert 'value="Menu végétarien quotidien"' in refused.text  # the values typed are kept

    done = post(buyer, "/guichet-vert/proposer", REVISION | {"clause": VEGETARIAN, "note": "EGalim."})
    assert "Proposition enregistrée" in message_of(done)
    assert urlsplit(done.headers["location"]).path == "/guichet-vert/mes-propositions"
    mine = buyer.get("/guichet-vert/mes-propositions.json").json()["items"]
    assert [(p["clause_id"], p["number"], p["status"]) for p in mine] == [(VEGETARIAN, 2, "proposed")]
    assert "en attente de validation" in buyer.get("/guichet-vert/mes-propositions").text
    assert buyer.get("/guichet-vert/validation").status_code == 403

    queue = operator.get("/guichet-vert/validation")
    assert queue.status_code == 200 and "révision de" in queue.text and "EGalim." in queue.text
    assert "<ins>" in queue.text and "<del>" in queue.text and "modifié" in queue.text
    [item] = operator.get("/guichet-vert/validation.json").json()["items"]
    assert item["proposed_by"] == world.buyer.full_name and item["organisation"] == "Région Bretagne"
    fields = {f["name"]: f for f in item["fields"]}
    assert fields["title"]["changed"] and fields["theme"]["changed"] is False
    assert fields["categories"]["proposed"] == "555\n15"
    assert fields["keywords"]["proposed"] == "végétarien\nprotéines végétales"

    no_note = post(operator, f"/guichet-vert/validation/{item['id']}", {"decision": "reject", "note": ""})
    assert no_note.status_code == 400 and "note: say why the proposal is rejected" in no_note.text
    rejected = post(operator, f"/guichet-vert/validation/{item['id']}",
                    {"decision": "reject", "note": "Trop contraignant pour les petites cantines."})
    assert "refusée" in message_of(rejected)
    mine = buyer.get("/guichet-vert/mes-propositions").text
    assert "refusée" in mine and "Trop contraignant pour les petites cantines." in mine

    post(buyer, "/guichet-vert/proposer", REVISION | {"clause": VEGETARIAN})
    [item] = operator.get("/guichet-vert/validation.json").json()["items"]
    assert post(operator, f"/guichet-vert/validation/{item['id']}", {"decision": "maybe"}).status_code == 400
    accepted = post(operator, f"/guichet-vert/validation/{item['id']}", {"decision": "accept"})
    assert "validée" in message_of(accepted)
    assert post(operator, f"/guichet-vert/validation/{item['id']}", {"decision": "accept"}).status_code == 409
    public = client_for(world).get(f"/guichet-vert/clauses/{VEGETARIAN}.json").json()
    assert public["current_version"] == 3 and public["clause"]["title"] == "Menu végétarien quotidien"
    assert [(v["number"], v["status"]) for v in public["versions"]] == [(3, "validated"), (1, "superseded")]
    assert "proposed_by" not in public["versions"][0]
    history = operator.get(f"/guichet-vert/clauses/{VEGETARIAN}.json").json()["versions"]
    assert [(v["number"], v["status"], v["proposed_by"]) for v in history] == [
        (3, "validated", world.buyer.full_name), (2, "rejected", world.buyer.full_name), (1, "superseded", "")]
    assert world.buyer.full_name in operator.get(f"/guichet-vert/clauses/{VEGETARIAN}").text
    assert world.buyer.full_name not in client_for(world).get(f"/guichet-vert/clauses/{VEGETARIAN}").text
    found = client_for(world).get("/guichet-vert.json", params={"q": "option végétarienne chaque jour"}).json()
    assert found["results"][0]["id"] == VEGETARIAN and found["results"][0]["version"] == 3


def test_new_clause_proposal_and_who_may_propose(world: World) -> None:
    assert client_for(world).get("/guichet-vert/proposer", follow_redirects=False).headers["location"] == \
        "/connexion?suite=%2Fguichet-vert%2Fproposer"
    supplier = client_for(world, world.supplier_a.email)
    assert supplier.get("/guichet-vert/proposer").status_code == 403
    assert post(supplier, "/guichet-vert/proposer", REVISION).status_code == 403
    assert client_for(world, world.evaluator.email).get("/guichet-vert/mes-propositions").status_code == 403
    admin = client_for(world, world.admin.email)
    form = admin.get("/guichet-vert/proposer").text
    assert '<option value="execution_condition" selected>' in form and "Révision de la clause" not in form
    done = post(admin, "/guichet-vert/proposer", REVISION | {"title": "Gourdes inox pour les agents",
                                                             "text": "Le titulaire équipe ses agents de gourdes."})
    assert "proposition-1" in message_of(done)
    assert client_for(world).get("/guichet-vert/clauses/proposition-1").status_code == 404  # not yet validated
    operator = client_for(world, world.operator.email)
    [item] = operator.get("/guichet-vert/validation.json").json()["items"]
    assert item["new_clause"] and "nouvelle clause" in operator.get("/guichet-vert/validation").text
    post(operator, f"/guichet-vert/validation/{item['id']}", {"decision": "accept", "note": "Bienvenue."})
    page = client_for(world).get("/guichet-vert/clauses/proposition-1")
    assert page.status_code == 200 and "un acheteur" in page.text
    assert operator.get("/guichet-vert.json").json()["total"] == min(30, len(catalogue()) + 1)


# --------------------------------------------------------------------------------------------------
# RC / CCTP templates


@pytest.mark.parametrize("fmt", ["docx", "odt", "pdf"])
def test_templates_download_in_every_format(world: World, anonymous: TestClient, fmt: str) -> None:
    query = {"clause": [VEGETARIAN, DIRECT], "title": "Restauration scolaire des lycées", "reference": "RS/2026-01",
             "buyer": "Région Bretagne", "cpv": "55523100", "criteria": "Prix;40\nApprovisionnement direct;60",
             "format": fmt}
    rc = anonymous.get("/guichet-vert/modele/telecharger", params=query | {"document": "rc"})
    assert rc.status_code == 200, rc.text
    assert rc.headers["content-type"].startswith(MEDIA[fmt])
    assert f'filename="rc-rs-2026-01.{fmt}"' in rc.headers["content-disposition"]
    assert contains(rc.content, fmt, "Critère : approvisionnements directs et saisonnalité des produits")
    assert contains(rc.content, fmt, "Restauration scolaire des lycées")
    assert contains(rc.content, fmt, "Approvisionnement direct : 60")
    assert not contains(rc.content, fmt, "Menu végétarien hebdomadaire")  # a specification: in the CCTP
    cctp = anonymous.get("/guichet-vert/modele/telecharger", params=query | {"document": "cctp"})
    assert f'filename="cctp-rs-2026-01.{fmt}"' in cctp.headers["content-disposition"]
    assert contains(cctp.content, fmt, "Menu végétarien hebdomadaire et diversification des protéines")
    assert contains(cctp.content, fmt, "Code CPV principal : 55523100")


@pytest.mark.parametrize(("query", "message"), [
    ({"format": "xls"}, "format: &#39;xls&#39; is not one of docx, odt, pdf"),
    ({"document": "ccap"}, "document: &#39;ccap&#39; is not one of rc, cctp"),
    ({"clause": "inconnue"}, "clause: &#39;inconnue&#39; is not a clause of the library"),
    ({"clause": "Pas Un Id"}, "is not a clause id"),
    ({"criteria": "Prix"}, "criteria: &#39;Prix&#39; is not &#39;label;weight&#39;"),
    ({"criteria": "Prix;cent"}, "criteria: &#39;cent&#39; is not a weight in percent"),
    ({"criteria": "Prix;140"}, "criteria: &#39;140&#39; is not a weight between 0 and 100"),
    ({"cpv": "cantine"}, "cpv: &#39;cantine&#39; is not a CPV code"),
    ({"consultation": "x1"}, "consultation: &#39;x1&#39; is not a consultation number"),
])
def test_bad_template_parameters_are_named(world: World, anonymous: TestClient, query: dict[str, str],
                                           message: str) -> None:
    answer = anonymous.get("/guichet-vert/modele/telecharger", params={"clause": VEGETARIAN} | query)
    assert answer.status_code == 400 and message in answer.text


def test_the_template_page_and_a_consultation_template(world: World, anonymous: TestClient) -> None:
    page = anonymous.get("/guichet-vert/modele", params={"clause": VEGETARIAN, "q": "repas bio",
                                                         "title": "Cantines"})
    html = page.text
    assert page.status_code == 200 and f'name="clause" value="{VEGETARIAN}" checked' in html
    assert 'name="clause" value="restauration-egalim-produits-durables">' in html  # a search result, unchecked
    assert 'formaction="/guichet-vert/modele/telecharger"' in html and 'value="Cantines"' in html
    assert "/guichet-vert/modele/telecharger?clause=" in html
    assert 'name="consultation"' not in html  # anonymous: no consultation to start from
    data = anonymous.get("/guichet-vert/modele.json", params={"clause": [VEGETARIAN, DIRECT]}).json()
    assert [c["id"] for c in data["clauses"]] == [VEGETARIAN, DIRECT] and len(data["downloads"]) == 6

    draft = world.consultation(title="Restauration scolaire", cpv="55523100")
    assert anonymous.get("/guichet-vert/modele/telecharger", params={"consultation": draft.id},
                         follow_redirects=False).status_code == 303  # to the login page
    buyer = client_for(world, world.buyer.email)
    post(buyer, f"/acheteur/consultations/{draft.id}/clauses/bibliotheque", {"clause": ANTI_WASTE},
         page=f"/acheteur/consultations/{draft.id}")
    form = buyer.get("/guichet-vert/modele", params={"consultation": draft.id}).text
    assert f'<option value="{draft.id}" selected>' in form and "sont repris de la consultation" in form
    cctp = buyer.get("/guichet-vert/modele/telecharger", params={"consultation": draft.id, "document": "cctp",
                                                                 "format": "docx", "clause": DIRECT})
    assert cctp.status_code == 200 and f"cctp-{draft.reference.lower()}" in cctp.headers["content-disposition"]
    text = text_of(cctp.content, "docx")
    assert "Restauration scolaire" in text and "Lutte contre le gaspillage alimentaire" in text
    rc = text_of(buyer.get("/guichet-vert/modele/telecharger", params={"consultation": draft.id}).content, "docx")
    assert "Performance environnementale (bois certifié, réparabilité) : 20" in rc  # the consultation's criteria
    assert "Critère : approvisionnements directs" not in rc  # not asked for this time
    other = client_for(world, world.other_buyer.email)
    assert other.get("/guichet-vert/modele/telecharger", params={"consultation": draft.id}).status_code == 403


# --------------------------------------------------------------------------------------------------
# Help desk


def test_the_help_desk_from_question_to_closing(world: World) -> None:
    world.platform.settings.session_hours = 24 * 30
    buyer, operator = client_for(world, world.buyer.email), client_for(world, world.operator.email)
    assert client_for(world).get("/guichet-vert/demandes", follow_redirects=False).status_code == 303
    assert client_for(world, world.supplier_a.email).get("/guichet-vert/demandes").status_code == 403
    draft = world.consultation()
    listing = buyer.get("/guichet-vert/demandes")
    assert listing.status_code == 200 and 'action="/guichet-vert/demandes"' in listing.text
    assert f'<option value="{draft.id}"' in listing.text
    refused = post(buyer, "/guichet-vert/demandes", {"kind": "draft_review", "subject": "Relecture",
                                                     "body": "Merci de relire.", "consultation": ""})
    assert refused.status_code == 400 and "a draft review names the consultation" in refused.text
    assert 'value="Relecture"' in refused.text
    sent = post(buyer, "/guichet-vert/demandes", {"kind": "draft_review", "subject": "Relecture du DCE mobilier",
                                                  "body": "Nos clauses environnementales suffisent-elles ?",
                                                  "cpv": "39160000", "consultation": str(draft.id)})
    assert "Demande envoyée" in message_of(sent)
    path = urlsplit(sent.headers["location"]).path
    request_id = int(path.rsplit("/", 1)[1])
    page = buyer.get(path).text
    assert "Relecture du DCE mobilier" in page and "nouvelle" in page and draft.reference in page

    queue = operator.get("/guichet-vert/demandes")
    assert "Région Bretagne" in queue.text and f'action="/guichet-vert/demandes/{request_id}/prendre"' in queue.text
    taken = post(operator, f"/guichet-vert/demandes/{request_id}/prendre", {"suite": "/guichet-vert/demandes"},
                 page="/guichet-vert/demandes")
    assert urlsplit(taken.headers["location"]).path == "/guichet-vert/demandes" and "prise en charge" in message_of(
        taken)
    assert [r["id"] for r in operator.get("/guichet-vert/demandes.json?statut=assigned").json()["items"]] == [
        request_id]
    assert operator.get("/guichet-vert/demandes.json?statut=new").json()["items"] == []
    assert operator.get("/guichet-vert/demandes?statut=ouverte").status_code == 400

    world.clock.advance(hours=3)
    desk_page = operator.get(path).text
    assert '<select id="clauses" name="clauses" multiple' in desk_page and "mobilier-reemploi" in desk_page
    token = csrf_of(desk_page)
    answered = operator.post(path + "/reponse", data={"csrf_token": token, "body": "Ajoutez ces deux clauses.",
                                                      "clauses": ["mobilier-reemploi"],
                                                      "clause_ids": "mobilier-bois-gestion-durable, mobilier-reemploi"},
                             follow_redirects=False)
    assert "le demandeur est prévenu" in message_of(answered)
    thread = buyer.get(path + ".json").json()
    assert thread["status"] == "answered" and thread["response_hours"] == 3.0
    [answer] = thread["messages"]
    assert [c["id"] for c in answer["clauses"]] == ["mobilier-reemploi", "mobilier-bois-gestion-durable"]
    assert {(d["document"], d["format"]) for d in answer["downloads"]} >= {("rc", "docx"), ("cctp", "pdf")}
    page = buyer.get(path).text
    assert "Télécharger le modèle RC/CCTP" in page and "3,0\u00a0h" in page and "répondue" in page
    link = next(d["href"] for d in answer["downloads"] if (d["document"], d["format"]) == ("cctp", "docx"))
    assert contains(buyer.get(link).content, "docx", "Mobilier issu du réemploi ou rénové")
    with world.platform.db() as session:
        [mail] = session.execute(select(OutboxMessage).where(OutboxMessage.kind == "help_answer")).scalars()
        assert mail.recipient == world.buyer.email and path in mail.body

    attach = post(buyer, path + "/reponse", {"body": "Voir la clause.", "clause_ids": "mobilier-reemploi"}, page=path)
    assert attach.status_code == 403 and "only the desk attaches clauses" in attach.text
    assert "Voir la clause." in attach.text  # the message typed is kept
    assert "Message envoyé" in message_of(post(buyer, path + "/reponse", {"body": "Et pour les chaises ?"},
                                               page=path))
    assert buyer.get(path + ".json").json()["status"] == "assigned"
    assert client_for(world, world.other_buyer.email).get(path).status_code == 404
    assert client_for(world, world.other_buyer.email).get(path + ".json").status_code == 404
    assert "Demande close" in message_of(post(buyer, path + "/clore", page=path))
    closed = buyer.get(path).text
    assert "close" in closed and 'action="' + path + '/reponse"' not in closed
    assert post(buyer, path + "/reponse", {"body": "Encore ?"}, page="/guichet-vert").status_code == 409
    figures = client_for(world).get("/guichet-vert.json").json()["desk"]
    assert figures["total"] == 1 and figures["answered"] == 1 and figures["median_response_hours"] == 3.0
    assert figures["by_status"]["closed"] == 1 and figures["median_response"] == "3,0\u00a0h"
    assert buyer.get("/guichet-vert/demandes.json").json()["items"][0]["status"] == "closed"
    english = buyer.get(path + "?lang=en").text
    assert "Time to first answer" in english and "Review of a draft tender" in english


# --------------------------------------------------------------------------------------------------
# The marketplace's consultation editor


def test_the_editor_suggests_library_clauses_and_adds_them(world: World) -> None:
    draft = world.consultation(title="Restauration scolaire des lycées", cpv="55523100",
                               description="Repas des demi-pensionnaires, produits bio et locaux.")
    buyer = client_for(world, world.buyer.email)
    base = f"/acheteur/consultations/{draft.id}"
    page = buyer.get(base).text
    assert "Clauses suggérées par le guichet vert" in page and f'action="{base}/clauses/bibliotheque"' in page
    suggestions = buyer.get(base + ".json").json()["library"]["suggestions"]
    assert len(suggestions) == 6 and suggestions[0]["id"].startswith("restauration-")
    assert all(s["reasons"] for s in suggestions) and not any(s["added"] for s in suggestions)
    assert {s["addable"] for s in suggestions} == {True, False}  # conditions are added, the others go in RC/CCTP
    chosen = next(s for s in suggestions if s["addable"])
    added = post(buyer, base + "/clauses/bibliotheque", {"clause": chosen["id"]}, page=base)
    assert "Clause du guichet vert" in message_of(added)
    view = buyer.get(base + ".json").json()
    assert view["clauses"][-1]["library_clause"] == f"{chosen['id']}@1"
    assert next(s for s in view["library"]["suggestions"] if s["id"] == chosen["id"])["added"] is True
    assert [a["id"] for a in view["library"]["added"]] == [chosen["id"]]
    page = buyer.get(base).text
    assert "déjà ajoutée" in page and f"{chosen['id']}@1" in page
    assert f"/guichet-vert/modele/telecharger?consultation={draft.id}&amp;document=cctp&amp;format=docx" in page

    rows = view["clauses"]  # the clause table saved as it is: the library reference stays
    data = {"rows": "4"} | {f"clause_kind-{i}": c["kind"] for i, c in enumerate(rows)} | {
        f"clause_text-{i}": c["text"] for i, c in enumerate(rows)}
    assert "(3)" in message_of(post(buyer, base + "/clauses", data, page=base))
    assert buyer.get(base + ".json").json()["clauses"][-1]["library_clause"] == f"{chosen['id']}@1"
    download = next(d["href"] for d in view["library"]["downloads"] if (d["document"], d["format"]) == ("cctp", "odt"))
    document = buyer.get(download)
    assert document.status_code == 200 and contains(document.content, "odt", chosen["title"])

    missing = post(buyer, base + "/clauses/bibliotheque", {"clause": "inconnue"}, page=base)
    assert missing.status_code == 404 and "no clause &#39;inconnue&#39;" in missing.text
    assert buyer.post(base + "/clauses/bibliotheque", data={"clause": chosen["id"]}).status_code == 403  # CSRF
    evaluator = client_for(world, world.evaluator.email).get(base).text
    assert "Clauses suggérées par le guichet vert" in evaluator and f'{base}/clauses/bibliotheque"' not in evaluator
    assert f'{base}/entreprises"' in page and f'{base}/entreprises"' not in evaluator  # the sourcing matches
    post(buyer, base + "/publier", page=base)
    published = buyer.get(base + ".json").json()
    assert published["status"] == "published" and published["library"]["suggestions"] == []
    refused = post(buyer, base + "/clauses/bibliotheque", {"clause": "restauration-anti-gaspillage"}, page=base)
    assert refused.status_code == 409 and "only a draft changes" in refused.text
