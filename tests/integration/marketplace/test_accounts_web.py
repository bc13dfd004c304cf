"""Accounts over HTTP: login and its rate limit, secure session cookies, CSRF on every form, logout, password
reset through the outbox, supplier sign-up, bearer tokens for the API; and sealed bids through the API."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from spaser.accounts.models import OutboxMessage
from tests.marketplace_world import PASSWORD, World, make_siret
from tests.platform_fixtures import ENGINES
from tests.web_client import client_for, csrf_of

pytestmark = pytest.mark.parametrize("empty_database", ENGINES, indirect=True)


def test_login_sets_a_httponly_samesite_session_cookie_and_logout_revokes_it(world: World) -> None:
    client = client_for(world)
    token = csrf_of(client.get("/connexion").text)
    response = client.post("/connexion", data={"email": "Buyer@Bretagne.bzh", "password": PASSWORD,
                                               "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/acheteur"
    cookie = next(v for k, v in response.headers.multi_items() if k == "set-cookie" and "spaser_session" in v)
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    session_token = client.cookies["spaser_session"]
    page = client.get("/consultations").text
    assert "Buyer" in page and "Déconnexion" in page
    response = client.post("/deconnexion", data={"csrf_token": csrf_of(page)}, follow_redirects=False)
    assert response.status_code == 303
    stolen = client_for(world)
    stolen.cookies.set("spaser_session", session_token)
    assert "Déconnexion" not in stolen.get("/consultations").text


def test_a_form_without_its_csrf_token_is_refused(world: World) -> None:
    client = client_for(world, "offres@armor.fr")
    consultation = world.published()
    for token in (None, "forged"):
        data = {"question": "Délai ?"} | ({"csrf_token": token} if token else {})
        response = client.post(f"/consultations/{consultation.id}/questions", data=data)
        assert response.status_code == 403 and "CSRF" in response.text
    anonymous = client_for(world)
    response = anonymous.post("/connexion", data={"email": "offres@armor.fr", "password": PASSWORD})
    assert response.status_code == 403


def test_login_failures_are_rate_limited_per_address(world: World) -> None:
    client = client_for(world)
    for _ in range(world.platform.settings.login_max_failures):
        token = csrf_of(client.get("/connexion").text)
        response = client.post("/connexion", data={"email": "offres@armor.fr", "password": "wrong password!",
                                                   "csrf_token": token})
        assert response.status_code == 401 and "wrong e-mail address or password" in response.text
    token = csrf_of(client.get("/connexion").text)
    response = client.post("/connexion", data={"email": "offres@armor.fr", "password": PASSWORD,
                                               "csrf_token": token})
    assert response.status_code == 429 and response.headers["retry-after"] == "900"
    world.clock.advance(minutes=16)
    token = csrf_of(client.get("/connexion").text)
    response = client.post("/connexion", data={"email": "offres@armor.fr", "password": PASSWORD,
                                               "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303


def test_password_reset_through_the_outbox(world: World) -> None:
    client = client_for(world)
    token = csrf_of(client.get("/compte/mot-de-passe-oublie").text)
    for email in ("offres@armor.fr", "nobody@example.org"):
        response = client.post("/compte/mot-de-passe-oublie", data={"email": email, "csrf_token": token})
        assert response.status_code == 200 and "Si un compte existe" in response.text
    with world.platform.db() as session:
        query = select(OutboxMessage.body).where(OutboxMessage.kind == "password_reset")
        bodies = session.execute(query).scalars().all()
    assert len(bodies) == 1
    link = re.search(r"/compte/reinitialiser\?jeton=\S+", bodies[0])
    assert link is not None
    page = client.get(link.group(0))
    new = "a new passphrase for armor"
    response = client.post("/compte/reinitialiser", data={"token": link.group(0).split("=", 1)[1], "password": new,
                                                          "password_again": new, "csrf_token": csrf_of(page.text)})
    assert response.status_code == 200 and "Mot de passe changé" in response.text
    client_for(world, "offres@armor.fr", new)
    response = client.post("/compte/reinitialiser", data={"token": link.group(0).split("=", 1)[1], "password": new,
                                                          "password_again": new, "csrf_token": csrf_of(page.text)})
    assert response.status_code == 400 and "unknown, used or expired" in response.text


def test_supplier_sign_up_checks_the_siret(world: World) -> None:
    client = client_for(world)
    form = {"siret": "123 456 789 00012", "company_name": "Bois d'Armor", "full_name": "Soazig", "email":
            "soazig@bois.bzh", "password": PASSWORD, "password_again": PASSWORD}
    token = csrf_of(client.get("/inscription").text)
    response = client.post("/inscription", data=form | {"csrf_token": token})
    assert response.status_code == 400 and "is not a valid SIRET" in response.text
    assert "Bois d&#39;Armor" in response.text
    response = client.post("/inscription", data=form | {"csrf_token": token, "siret": make_siret(66600007)},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/entreprise"
    assert client.get("/entreprise").status_code == 200


def test_api_clients_cannot_read_a_bid_before_the_deadline(world: World) -> None:
    """Bearer tokens for the supplier (deposit) and the buyer (read): 403 until the deadline and the opening."""
    consultation = world.published()
    api = client_for(world)
    tokens: dict[str, dict[str, str]] = {}

    def login() -> None:
        """Sessions last 12 hours: log in again after the clock moves to the deadline."""
        for email in ("offres@armor.fr", "buyer@bretagne.bzh", "admin@bretagne.bzh"):
            response = api.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
            assert response.status_code == 200, response.text
            tokens[email] = {"Authorization": f"Bearer {response.json()['token']}"}

    login()
    assert api.post("/api/v1/auth/login", json={"email": "offres@armor.fr", "password": "nope"}).status_code == 401
    response = api.post(f"/api/v1/consultations/{consultation.id}/bids", headers=tokens["offres@armor.fr"],
                        files=[("files", ("memoire.pdf", b"%PDF-1.4 secret", "application/pdf"))],
                        data={"amount": "123456.78"})
    assert response.status_code == 201, response.text
    file_id = 1
    for email in ("buyer@bretagne.bzh", "admin@bretagne.bzh"):
        response = api.get(f"/api/v1/bids/files/{file_id}", headers=tokens[email])
        assert response.status_code == 403 and b"secret" not in response.content
    assert api.get(f"/api/v1/bids/files/{file_id}").status_code == 401
    assert consultation.deadline is not None
    world.clock.now = consultation.deadline + dt.timedelta(seconds=1)
    assert api.get(f"/api/v1/bids/files/{file_id}", headers=tokens["buyer@bretagne.bzh"]).status_code == 401
    login()
    response = api.post(f"/api/v1/consultations/{consultation.id}/bids", headers=tokens["offres@armor.fr"],
                        files=[("files", ("late.pdf", b"%PDF-1.4 late", "application/pdf"))],
                        data={"amount": "1"})
    assert response.status_code == 409 and "deposit refused" in response.json()["error"]
    assert api.get(f"/api/v1/bids/files/{file_id}", headers=tokens["buyer@bretagne.bzh"]).status_code == 403
    with world.platform.db.begin() as session:
        from spaser.marketplace import bids

        bids.open_bids(session, world.ctx(world.buyer), consultation.id)
    response = api.get(f"/api/v1/bids/files/{file_id}", headers=tokens["buyer@bretagne.bzh"])
    assert response.status_code == 200 and response.content == b"%PDF-1.4 secret"


def test_public_pages_list_and_show_consultations_without_an_account(world: World) -> None:
    consultation = world.published()
    draft = world.consultation(title="Brouillon confidentiel")
    client = client_for(world)
    page = client.get("/consultations?q=mobilier&etat=open")
    assert page.status_code == 200 and consultation.title in page.text and "Brouillon" not in page.text
    assert client.get("/consultations.json").json()["total"] == 1
    assert client.get(f"/consultations/{draft.id}").status_code == 404
    owner = client_for(world, "buyer@bretagne.bzh")
    assert owner.get(f"/consultations/{draft.id}").status_code == 200  # regression: drafts 404'd for their buyer
    detail = client.get(f"/consultations/{consultation.id}.json").json()
    assert [c["kind"] for c in detail["criteria"]] == ["price", "technical", "environmental"]
    assert client.get("/consultations?procedure=Unknown").status_code == 400
    api = client.get("/api/v1/consultations", params={"q": "mobilier"}).json()
    assert api["total"] == 1 and api["items"][0]["reference"] == consultation.reference
