"""The guichet vert in a real browser (Debian's Chromium through Playwright), against the platform served by
uvicorn on 127.0.0.1: a visitor searches the library and opens a clause; a buyer adds a clause suggested by the
consultation editor to a draft and asks the help desk for a review; the operator answers with a library clause
attached; the buyer downloads the CCTP built from it and reads it back.

Every page visited: no console error, no request leaving 127.0.0.1, no failed request, form controls labelled.
Screenshots in ``test-artifacts/screenshots/guichet-*.png``.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import docx
import pytest

from spaser.clauses import library
from spaser.web.app import create_app
from tests.marketplace_world import PASSWORD, World
from tests.web.conftest import CHROMIUM, SCREENSHOTS, serving
from tests.web.test_browser import Watched, unlabelled_controls, watch

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None,
                       reason="needs Debian's chromium (/usr/bin/chromium): apt-get install chromium"),
]

if CHROMIUM is not None:
    from playwright.sync_api import Browser, Page


@pytest.fixture
def served(world: World) -> Iterator[str]:
    world.platform.settings.session_hours = 24 * 30
    app = create_app(world.platform.settings, world.platform)  # seeds the library
    with world.platform.db() as session:
        library.index(session)  # the sentence model loads now, not during the first search of the test
    with serving(app) as base:
        yield base


def _visitor(browser: Browser) -> tuple[Page, Watched]:
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900}, service_workers="block",
                                  accept_downloads=True)
    context.set_default_timeout(15000)
    page = context.new_page()
    return page, watch(page)


def _person(browser: Browser, base: str, email: str) -> tuple[Page, Watched]:
    page, seen = _visitor(browser)
    page.goto(base + "/connexion")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()
    return page, seen


def _check(page: Page, seen: Watched, name: str) -> None:
    assert unlabelled_controls(page) == [], f"{name}: unlabelled controls"
    assert page.locator("h1").count() == 1, name
    seen.check()
    page.screenshot(path=str(SCREENSHOTS / f"guichet-{name}.png"), full_page=True)


def test_library_editor_help_desk_and_template_in_the_browser(browser: Browser, served: str, world: World,
                                                              tmp_path: Path) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    # a visitor searches the library and opens a clause
    visitor, visitor_seen = _visitor(browser)
    visitor.goto(served + "/guichet-vert")
    _check(visitor, visitor_seen, "accueil")
    visitor.get_by_label("Mots-clés ou besoin").fill("limiter la viande dans les menus")
    visitor.get_by_label("Type").select_option("technical_specification")
    visitor.get_by_role("button", name="Rechercher").click()
    visitor.wait_for_url("**/guichet-vert?q=*")
    assert "type=technical_specification" in visitor.url
    assert visitor.locator("ol.clauses > li").count() >= 1
    _check(visitor, visitor_seen, "recherche")
    visitor.locator("ol.clauses a", has_text="Menu végétarien").first.click()
    visitor.wait_for_url("**/guichet-vert/clauses/restauration-menu-vegetarien")
    assert "légumineuses" in visitor.locator("blockquote.clause-text").inner_text()
    _check(visitor, visitor_seen, "clause")
    visitor.goto(served + "/guichet-vert/clauses/restauration-menu-vegetarien?lang=en")
    assert visitor.locator("h2", has_text="Version history").count() == 1
    _check(visitor, visitor_seen, "clause-en")

    # a buyer adds a suggested clause to a draft from the editor, then asks for a review
    draft = world.consultation(title="Restauration scolaire des lycées", cpv="55523100",
                               description="Repas des demi-pensionnaires : produits bio, moins de viande.")
    buyer, buyer_seen = _person(browser, served, world.buyer.email)
    buyer.goto(served + f"/acheteur/consultations/{draft.id}")
    section = buyer.locator("#bibliotheque")
    assert section.locator("ol.clauses > li").count() == 6
    first_title = section.locator("ol.clauses > li:has(button) h3").first.inner_text()
    _check(buyer, buyer_seen, "editeur-suggestions")
    section.get_by_role("button", name=f"Ajouter : {first_title}").click()
    buyer.wait_for_load_state()
    assert "Clause du guichet vert" in buyer.locator(".notice").inner_text()
    assert buyer.locator("#bibliotheque .state", has_text="déjà ajoutée").count() == 1
    _check(buyer, buyer_seen, "editeur-clause-ajoutee")

    buyer.goto(served + "/guichet-vert/demandes")
    buyer.get_by_label("Nature de la demande").select_option("draft_review")
    buyer.get_by_label("Objet").fill("Relecture du DCE de restauration scolaire")
    buyer.get_by_label("Votre message").fill("Nos conditions d'exécution suffisent-elles pour EGalim ?")
    buyer.get_by_label("Consultation concernée").select_option(str(draft.id))
    _check(buyer, buyer_seen, "demande-formulaire")
    buyer.get_by_role("button", name="Envoyer la demande").click()
    buyer.wait_for_url("**/guichet-vert/demandes/*")
    request_url = buyer.url.split("?")[0]
    assert "nouvelle" in buyer.locator("main").inner_text()
    _check(buyer, buyer_seen, "demande-envoyee")

    # the operator takes the request and answers with a library clause attached
    operator, operator_seen = _person(browser, served, world.operator.email)
    operator.goto(served + "/guichet-vert/demandes")
    _check(operator, operator_seen, "file-du-guichet")
    operator.get_by_role("button", name="Me l'assigner : Relecture du DCE de restauration scolaire").click()
    operator.wait_for_load_state()
    operator.get_by_role("link", name="Relecture du DCE de restauration scolaire").click()
    operator.wait_for_url(request_url)
    operator.get_by_label("Votre message").fill("Ajoutez la clause anti-gaspillage ci-jointe.")
    operator.get_by_label("Clauses à joindre").select_option(["restauration-anti-gaspillage"])
    _check(operator, operator_seen, "reponse-formulaire")
    operator.get_by_role("button", name="Répondre").click()
    operator.wait_for_load_state()
    assert "le demandeur est prévenu" in operator.locator(".notice").inner_text()
    _check(operator, operator_seen, "reponse-envoyee")

    # the buyer reads the answer and downloads the CCTP built from the attached clause
    buyer.goto(request_url)
    assert "répondue" in buyer.locator("main").inner_text()
    with world.platform.db() as session:
        _, clause = library.get_clause(session, "restauration-anti-gaspillage")
    attached = buyer.locator("ol.help-thread .from-desk")
    assert attached.get_by_role("link", name=clause.title).count() == 1
    _check(buyer, buyer_seen, "reponse-lue")
    with buyer.expect_download() as download:
        attached.get_by_role("link", name="CCTP (DOCX)").click()
    assert download.value.suggested_filename == "cctp-modele.docx"
    saved = tmp_path / "cctp.docx"
    download.value.save_as(saved)
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(saved.read_bytes())).paragraphs)
    assert clause.title in text and "Cahier des clauses techniques particulières" in text

    # the template page, then a revision proposed by the buyer and validated by the operator
    buyer.goto(served + "/guichet-vert/modele?clause=restauration-anti-gaspillage&q=repas+bio")
    buyer.get_by_label("Titre").fill("Restauration scolaire")
    _check(buyer, buyer_seen, "modele")
    with buyer.expect_download() as download:
        buyer.get_by_role("button", name="Télécharger le RC").click()
    assert download.value.suggested_filename == "rc-modele.docx"
    # a form submission answered by a download is an aborted navigation for Chromium: expected, not a failure
    buyer_seen.failed = [f for f in buyer_seen.failed if not ("/modele/telecharger?" in f and "ERR_ABORTED" in f)]
    buyer.goto(served + "/guichet-vert/proposer?clause=restauration-anti-gaspillage")
    buyer.get_by_label("Titre").fill("Lutte contre le gaspillage alimentaire et dons aux associations")
    _check(buyer, buyer_seen, "proposition")
    buyer.get_by_role("button", name="Envoyer la proposition").click()
    buyer.wait_for_url("**/guichet-vert/mes-propositions*")
    assert "en attente de validation" in buyer.locator("main").inner_text()
    _check(buyer, buyer_seen, "mes-propositions")
    operator.goto(served + "/guichet-vert/validation")
    assert operator.locator("table.diff tr.changed").count() == 1
    _check(operator, operator_seen, "validation")
    operator.get_by_role("button", name="Valider").click()
    operator.wait_for_load_state()
    assert "validée" in operator.locator(".notice").inner_text()
    buyer.goto(served + "/guichet-vert/clauses/restauration-anti-gaspillage")
    assert "dons aux associations" in buyer.locator("h1").inner_text()
    _check(buyer, buyer_seen, "clause-revisee")
    for page, seen in ((visitor, visitor_seen), (buyer, buyer_seen), (operator, operator_seen)):
        seen.check()
        page.context.close()
