"""The buyer workspace through its pages only: a draft created, completed, refused then published, bids
deposited by suppliers through their form, opened, scored, awarded, notified, and the DECP feed; who may do what;
CSRF; the JSON twins."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response

from spaser.marketplace import bids, evaluation
from spaser.marketplace.bids import UploadedFile
from spaser.marketplace.models import Consultation
from spaser.web import forms
from spaser.web.app import create_app
from tests.marketplace_world import PASSWORD, World
from tests.platform_fixtures import ENGINES

pytestmark = pytest.mark.parametrize("empty_database", ENGINES, indirect=True)

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PDF = b"%PDF-1.4 cahier des clauses techniques particulieres\n%%EOF\n"


class Browser:
    """One person's browser: its cookies, logged in once, the session's CSRF token read from a page."""

    def __init__(self, app: FastAPI, email: str | None = None) -> None:
        self.client = TestClient(app)
        self.token = ""
        if email is not None:
            page = self.client.get("/connexion")
            found = CSRF.search(page.text)
            assert found is not None
            answer = self.client.post("/connexion", data={"email": email, "password": PASSWORD,
                                                          "csrf_token": found[1]}, follow_redirects=False)
            assert answer.status_code == 303, answer.text
            found = CSRF.search(self.client.get("/consultations").text)
            assert found is not None
            self.token = found[1]

    def get(self, path: str) -> Response:
        return self.client.get(path, follow_redirects=False)

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Response:
        return self.client.post(path, data={"csrf_token": self.token, **(data or {})}, follow_redirects=False,
                                **kwargs)


def message_of(response: Response) -> str:
    assert response.status_code == 303, response.text
    return parse_qs(urlsplit(response.headers["location"]).query)["message"][0]


def criteria_form(*rows: tuple[str, str, str, bool]) -> dict[str, Any]:
    data: dict[str, Any] = {"rows": "6"}
    for i, (label, kind, weight, env) in enumerate(rows):
        data |= {f"label-{i}": label, f"kind-{i}": kind, f"weight-{i}": weight}
        if env:
            data[f"env-{i}"] = "on"
    data |= {"label-5": "", "kind-5": "price", "weight-5": ""}  # an empty row is ignored
    return data


def clauses_form(*rows: tuple[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {"rows": "4"}
    for i, (kind, text) in enumerate(rows):
        data |= {f"clause_kind-{i}": kind, f"clause_text-{i}": text}
    return data


@pytest.fixture
def app(world: World) -> FastAPI:
    world.platform.settings.session_hours = 24 * 365  # the test moves the clock by weeks: logins stay valid
    return create_app(world.platform.settings, world.platform)


def test_the_whole_buyer_flow_through_the_forms(world: World, app: FastAPI) -> None:
    buyer, evaluator = Browser(app, world.buyer.email), Browser(app, world.evaluator.email)
    home = buyer.get("/acheteur")
    assert home.status_code == 200 and 'href="/acheteur/consultations/nouvelle"' in home.text
    assert 'href="/acheteur/equipe"' not in home.text  # the team page is the admin's

    deadline = world.clock.now + dt.timedelta(days=40)
    fields = {"title": "Mobilier des lycées", "description": "Tables et chaises.", "procedure": "Appel d'offres ouvert",
              "contract_type": "Fournitures", "cpv": "", "estimated_value": "450 000", "duree_mois": "24",
              "lieu_execution": "35", "deadline": forms.to_local_input(deadline), "flags": "1",
              "electronic_submission": "on", "standstill_days": "11"}
    refused = buyer.post("/acheteur/consultations/nouvelle", fields)
    assert refused.status_code == 400 and 'class="problems" role="alert"' in refused.text
    assert "cpv: required" in refused.text and 'value="Mobilier des lycées"' in refused.text  # values kept
    created = buyer.post("/acheteur/consultations/nouvelle", fields | {"cpv": "39160000"})
    assert "Brouillon créé" in message_of(created)
    page_path = urlsplit(created.headers["location"]).path
    consultation_id = int(page_path.rsplit("/", 1)[1])
    base = f"/acheteur/consultations/{consultation_id}"
    draft = buyer.get(created.headers["location"])
    assert draft.status_code == 200 and 'class="notice" role="status"' in draft.text and "Brouillon créé" in draft.text
    view = buyer.get(base + ".json").json()
    assert (view["status"], view["cpv"], view["estimated_value"]) == ("draft", "39160000", 450000.0)
    assert dt.datetime.fromisoformat(view["deadline"]) == deadline.replace(second=0, microsecond=0)

    assert "Critères enregistrés (2)" in message_of(buyer.post(base + "/criteres", criteria_form(
        ("Prix", "price", "60", False), ("Valeur technique", "technical", "30", False))))
    assert "(1)" in message_of(buyer.post(base + "/clauses", clauses_form(("social", "Insertion : 5 % des heures."))))
    uploaded = buyer.post(base + "/documents", files=[("files", ("CCTP.pdf", PDF, "application/pdf"))])
    assert "CCTP.pdf (version 1)" in message_of(uploaded)

    refused = buyer.post(base + "/publier")
    assert refused.status_code == 400, refused.text
    problems = re.search(r'<div class="problems" role="alert">(.*?)</div>', refused.text, re.S)
    assert problems is not None
    items = re.findall(r"<li>(.*?)</li>", problems[1], re.S)
    assert len(items) == 3, items
    assert "add up to 90" in items[0] and "art. 35" in items[1] and "environmental execution condition" in items[2]
    assert buyer.get(base + ".json").json()["status"] == "draft"

    buyer.post(base + "/criteres", criteria_form(("Prix", "price", "50", False), ("Valeur technique", "technical",
                                                 "30", False), ("Performance environnementale", "environmental",
                                                                "20", False)))
    buyer.post(base + "/clauses", clauses_form(("environmental", "Reprise des emballages."),
                                               ("social", "Insertion : 5 % des heures.")))
    assert "Consultation publiée" in message_of(buyer.post(base + "/publier"))
    published = buyer.get(base + ".json").json()
    assert published["status"] == "published" and published["deposits"] is None
    assert [d["name"] for d in published["documents"]] == ["CCTP.pdf"]

    for user, amount, content in ((world.supplier_a, "400000", b"offre A"), (world.supplier_b, "420000", b"offre B")):
        supplier = Browser(app, user.email)
        deposit = supplier.post(f"/consultations/{consultation_id}/offres", {"amount": amount},
                                files=[("files", ("memoire.pdf", content, "application/pdf"))])
        assert deposit.status_code == 303, deposit.text

    world.clock.now = dt.datetime.fromisoformat(published["deadline"]) + dt.timedelta(hours=1)
    closed = buyer.get(base)
    assert "Ouvrir les plis" in closed.text and f'action="{base}/ouvrir"' in closed.text
    assert buyer.get(base + ".json").json()["deposits"] == 2
    assert evaluator.post(base + "/ouvrir").status_code == 403
    assert "2 offre(s)" in message_of(buyer.post(base + "/ouvrir"))

    opened = buyer.get(base)
    assert "Menuiserie Armor" in opened.text and "Mobilier Ouest SA" in opened.text
    view = buyer.get(base + ".json").json()
    by_supplier = {b["supplier"]: b for b in view["bids"]}
    memo = next(f for f in by_supplier["Menuiserie Armor"]["files"] if f["filename"] == "memoire.pdf")
    assert f'href="/api/v1/bids/files/{memo["id"]}"' in opened.text
    assert buyer.get(f"/api/v1/bids/files/{memo['id']}").content == b"offre A"

    assert "2 note(s)" in message_of(evaluator.post(base + "/notes-prix"))
    criteria = {c["kind"]: c["id"] for c in view["criteria"]}
    manual = {("Menuiserie Armor", "technical"): "70", ("Menuiserie Armor", "environmental"): "80",
              ("Mobilier Ouest SA", "technical"): "90", ("Mobilier Ouest SA", "environmental"): "60"}
    scores = {f"score-{by_supplier[who]['id']}-{criteria[kind]}": value for (who, kind), value in manual.items()}
    assert "4 modifiée(s)" in message_of(evaluator.post(base + "/notes", scores))
    ranking = buyer.get(base + ".json").json()["ranking"]
    assert [(r["rank"], r["supplier"], r["total"]) for r in ranking] == [
        (1, "Menuiserie Armor", 87.0), (2, "Mobilier Ouest SA", 86.62)]
    assert f'name="score-{by_supplier["Menuiserie Armor"]["id"]}-{criteria["technical"]}"' in buyer.get(base).text

    winner = by_supplier["Menuiserie Armor"]["id"]
    assert evaluator.post(base + "/attribuer", {"bid_id": str(winner)}).status_code == 403
    assert "Consultation attribuée" in message_of(buyer.post(base + "/attribuer", {"bid_id": str(winner)}))
    awarded = buyer.get(base)
    assert "Notifier le marché" in awarded.text and "disabled" in awarded.text
    early = buyer.post(base + "/notifier")
    assert early.status_code == 409 and "standstill" in early.text and 'role="alert"' in early.text

    world.clock.advance(days=11, minutes=1)
    assert "Marché notifié" in message_of(buyer.post(base + "/notifier"))
    done = buyer.get(base)
    assert 'href="/api/v1/decp/feed"' in done.text and "&#34;titulaires&#34;" in done.text
    award = buyer.get(base + ".json").json()["award"]
    assert award["notified_at"] is not None and award["decp"]["montant"] == 400000.0
    feed = buyer.get("/api/v1/decp/feed").json()["marches"]["marche"]
    assert len(feed) == 1 and feed[0] == award["decp"]
    assert feed[0]["titulaires"][0]["titulaire"]["id"] == by_supplier["Menuiserie Armor"]["siret"]

    actions = [e["action"] for e in buyer.get(base + ".json").json()["journal"]]
    assert actions[0] == "consultation.award" and actions[-1] == "consultation.create"
    assert {"consultation.publish", "consultation.open", "consultation.criteria"} <= set(actions)
    assert "consultation.publish" in done.text


def test_who_may_use_the_workspace(world: World, app: FastAPI) -> None:
    draft = world.consultation()
    base = f"/acheteur/consultations/{draft.id}"
    anonymous = Browser(app)
    redirect = anonymous.get("/acheteur")
    assert redirect.status_code == 303 and redirect.headers["location"].startswith("/connexion")
    assert anonymous.get("/acheteur.json").status_code == 401
    assert anonymous.client.post(base + "/publier", follow_redirects=False).status_code == 403

    assert Browser(app, world.supplier_a.email).get("/acheteur").status_code == 403
    other = Browser(app, world.other_buyer.email)
    assert other.get(base).status_code in (403, 404)
    assert other.get(base + ".json").status_code in (403, 404)
    assert other.post(base + "/publier").status_code in (403, 404)
    assert draft.reference not in other.get("/acheteur.json").text

    buyer = Browser(app, world.buyer.email)
    no_token = buyer.client.post(base + "/publier", follow_redirects=False)
    assert no_token.status_code == 403 and "CSRF" in no_token.text
    wrong_token = buyer.client.post(base + "/publier", data={"csrf_token": "forged"}, follow_redirects=False)
    assert wrong_token.status_code == 403
    assert buyer.get(base + ".json").json()["status"] == "draft"

    evaluator = Browser(app, world.evaluator.email)
    page = evaluator.get(base)
    assert page.status_code == 200 and f'action="{base}/publier"' not in page.text  # no button it may not press
    refused = evaluator.post(base + "/publier")
    assert refused.status_code == 403 and 'class="problems" role="alert"' in refused.text
    assert evaluator.post(base + "/criteres", criteria_form(("Prix", "price", "100", False))).status_code == 403

    published = world.published()
    assert published.deadline is not None
    world.clock.now = published.deadline + dt.timedelta(minutes=5)
    assert evaluator.post(f"/acheteur/consultations/{published.id}/ouvrir").status_code == 403
    assert "0 offre(s)" in message_of(buyer.post(f"/acheteur/consultations/{published.id}/ouvrir"))


def test_json_twins_carry_what_the_pages_show(world: World, app: FastAPI) -> None:
    draft, live = world.consultation(title="Entretien des espaces verts"), world.published()
    buyer = Browser(app, world.buyer.email)
    listing, page = buyer.get("/acheteur.json").json(), buyer.get("/acheteur").text
    assert {i["reference"] for i in listing["items"]} == {draft.reference, live.reference}
    for item in listing["items"]:
        assert item["reference"] in page and item["title"] in page and item["deposits"] is None
    assert {i["status"] for i in listing["items"]} == {"draft", "published"}

    view = buyer.get(f"/acheteur/consultations/{live.id}.json").json()
    html = buyer.get(f"/acheteur/consultations/{live.id}").text
    assert view["reference"] in html and view["title"] in html and "ouverte" in html
    for criterion in view["criteria"]:
        assert criterion["label"] in html
    for entry in view["journal"]:
        assert entry["action"] in html
    draft_html = buyer.get(f"/acheteur/consultations/{draft.id}").text
    for criterion in buyer.get(f"/acheteur/consultations/{draft.id}.json").json()["criteria"]:
        assert f'value="{criterion["label"]}"' in draft_html
    assert buyer.get("/acheteur/consultations/nouvelle.json").json()["procedures"][0] == "Procédure adaptée"
    english = buyer.get(f"/acheteur/consultations/{draft.id}?lang=en")
    assert english.status_code == 200 and "Award criteria" in english.text and "Publish" in english.text
    assert "Bid deadline" in buyer.get(f"/acheteur/consultations/{live.id}?lang=en").text


def test_the_admin_manages_the_team(world: World, app: FastAPI) -> None:
    admin = Browser(app, world.admin.email)
    assert 'href="/acheteur/equipe"' in admin.get("/acheteur").text
    team = admin.get("/acheteur/equipe")
    assert team.status_code == 200 and world.evaluator.email in team.text
    short = admin.post("/acheteur/equipe", {"email": "nouvelle@bretagne.bzh", "full_name": "Nouvelle Recrue",
                                            "password": "court", "role": "evaluator"})
    assert short.status_code == 400 and 'value="Nouvelle Recrue"' in short.text
    added = admin.post("/acheteur/equipe", {"email": "nouvelle@bretagne.bzh", "full_name": "Nouvelle Recrue",
                                            "password": PASSWORD, "role": "evaluator"})
    assert added.status_code == 303
    members = {m["email"]: m["role"] for m in admin.get("/acheteur/equipe.json").json()["members"]}
    assert members["nouvelle@bretagne.bzh"] == "evaluator" and len(members) == 4
    assert Browser(app, world.buyer.email).get("/acheteur/equipe").status_code == 403
    newcomer = Browser(app, "nouvelle@bretagne.bzh")
    assert newcomer.get("/acheteur").status_code == 200


def _awarded(world: World) -> Consultation:
    consultation = world.published()
    with world.platform.db.begin() as session:
        bids.deposit(session, world.ctx(world.supplier_b), consultation.id,
                     [UploadedFile("offre.pdf", "application/pdf", b"offre")], amount=Decimal("85000"))
    assert consultation.deadline is not None
    world.clock.now = consultation.deadline + dt.timedelta(hours=1)
    with world.platform.db.begin() as session:
        (bid,) = bids.open_bids(session, world.ctx(world.buyer), consultation.id)
        evaluation.award(session, world.ctx(world.buyer), consultation.id, bid.id)
    world.clock.advance(days=consultation.standstill_days, minutes=1)
    return consultation


def test_a_failed_ingestion_after_the_notification_is_shown_and_the_notification_stays(
        world: World, app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    consultation = _awarded(world)
    world.platform.settings.ingest_platform_after_award = True

    def broken(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("spaser.web.buyer_evaluation_pages.ingest_platform_feed", broken)
    buyer = Browser(app, world.buyer.email)
    answer = buyer.post(f"/acheteur/consultations/{consultation.id}/notifier")
    assert "Marché notifié" in message_of(answer)
    page = buyer.get(answer.headers["location"])
    assert "L&#39;intégration dans l&#39;observatoire a échoué : OSError: disk full" in page.text
    assert buyer.get(f"/acheteur/consultations/{consultation.id}.json").json()["award"]["notified_at"] is not None
    assert len(buyer.get("/api/v1/decp/feed").json()["marches"]["marche"]) == 1


def test_the_notification_feeds_the_observatory_when_configured(world: World, app: FastAPI) -> None:
    consultation = _awarded(world)
    world.platform.settings.ingest_platform_after_award = True
    buyer = Browser(app, world.buyer.email)
    message = message_of(buyer.post(f"/acheteur/consultations/{consultation.id}/notifier"))
    assert "Observatoire mis à jour : 1 lu(s), 1 ajouté(s)" in message
