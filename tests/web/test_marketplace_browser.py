"""The marketplace's happy path in a real browser (Debian's Chromium through Playwright), against the platform
served by uvicorn on 127.0.0.1, with the server's clock moved by the test: the buyer creates and publishes a
consultation, a supplier downloads the document, asks a question and deposits a bid, the buyer answers, opens
after the deadline, scores, awards and notifies, and the DECP feed carries the contract.

Every page visited: no console error, no request leaving 127.0.0.1, form controls labelled; the deposit form is
reached and filled with the keyboard. Screenshots in ``test-artifacts/screenshots/marche-*.png``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

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
    world.platform.settings.session_hours = 24 * 400  # the test moves the clock by weeks
    with serving(create_app(world.platform.settings, world.platform)) as base:
        yield base


def _person(browser: Browser, base: str, email: str) -> tuple[Page, Watched]:
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900}, service_workers="block",
                                  accept_downloads=True)
    context.set_default_timeout(8000)
    page = context.new_page()
    seen = watch(page)
    page.goto(base + "/connexion")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()
    return page, seen


def _visit_check(page: Page, seen: Watched, name: str) -> None:
    assert unlabelled_controls(page) == [], f"{name}: unlabelled controls"
    seen.check()
    page.screenshot(path=str(SCREENSHOTS / f"marche-{name}.png"), full_page=True)


def test_from_consultation_to_the_decp_feed_in_the_browser(browser: Browser, served: str, world: World,
                                                           tmp_path: Path) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    buyer, buyer_seen = _person(browser, served, "buyer@bretagne.bzh")
    assert buyer.url.endswith("/acheteur")
    _visit_check(buyer, buyer_seen, "acheteur")

    # the buyer creates a draft, its criteria and clauses, uploads the règlement, publishes
    buyer.goto(served + "/acheteur/consultations/nouvelle")
    buyer.fill("#title", "Fourniture de vélos à assistance électrique")
    buyer.select_option("#procedure", "Procédure adaptée")
    buyer.select_option("#contract_type", "Fournitures")
    buyer.fill("#cpv", "34430000")
    buyer.fill("#estimated_value", "120000")
    deadline = (world.clock.now + dt.timedelta(days=20)).astimezone(dt.timezone(dt.timedelta(hours=2)))
    buyer.fill("#deadline", deadline.strftime("%Y-%m-%dT%H:%M"))
    _visit_check(buyer, buyer_seen, "nouvelle-consultation")
    buyer.locator("form[action='/acheteur/consultations/nouvelle'] button[type=submit]").click()
    buyer.wait_for_load_state()
    editor = buyer.url.split("?")[0]
    assert "/acheteur/consultations/" in editor
    for i, (label, kind, weight) in enumerate([("Prix", "price", "60"), ("Bilan carbone et réparabilité",
                                                                           "environmental", "40")]):
        buyer.fill(f"#label-{i}", label)
        buyer.select_option(f"#kind-{i}", kind)
        buyer.fill(f"#weight-{i}", weight)
    buyer.get_by_role("button", name="Enregistrer les critères").click()
    buyer.wait_for_load_state()
    buyer.select_option("#clause_kind-0", "environmental")
    buyer.fill("#clause_text-0", "Batteries reprises et recyclées en fin de vie.")
    buyer.get_by_role("button", name="Enregistrer les clauses").click()
    buyer.wait_for_load_state()
    reglement = tmp_path / "reglement.pdf"
    reglement.write_bytes(b"%PDF-1.4 reglement de la consultation")
    buyer.set_input_files("form[action$='/documents'] input[type=file]", str(reglement))
    buyer.locator("form[action$='/documents'] button[type=submit]").click()
    buyer.wait_for_load_state()
    buyer.locator("form[action$='/publier'] button[type=submit]").click()
    buyer.wait_for_load_state()
    assert buyer.locator(".notice").count() == 1, buyer.content()
    _visit_check(buyer, buyer_seen, "consultation-publiee")
    consultation_id = int(editor.rstrip("/").rsplit("/", 1)[-1])

    # a supplier finds it, downloads the document, asks a question, deposits with the keyboard
    supplier, supplier_seen = _person(browser, served, "offres@armor.fr")
    supplier.goto(served + "/consultations?q=vélos")
    _visit_check(supplier, supplier_seen, "consultations")
    supplier.get_by_role("link", name="Fourniture de vélos à assistance électrique").click()
    supplier.wait_for_load_state()
    with supplier.expect_download() as download:
        supplier.get_by_role("link", name="reglement.pdf").click()
    assert Path(download.value.path()).read_bytes() == b"%PDF-1.4 reglement de la consultation"
    supplier.fill("#question", "Les casques sont-ils à fournir ?")
    supplier.get_by_role("button", name="Envoyer la question").click()
    supplier.wait_for_load_state()
    offer = tmp_path / "memoire.pdf"
    offer.write_bytes(b"%PDF-1.4 memoire technique Armor")
    supplier.set_input_files("#files", str(offer))
    supplier.focus("#files")
    supplier.keyboard.press("Tab")
    assert supplier.evaluate("document.activeElement.id") == "amount"
    supplier.keyboard.type("98500")
    supplier.keyboard.press("Tab")
    supplier.keyboard.press("Tab")
    assert supplier.evaluate("document.activeElement.textContent").strip() == "Déposer l'offre"
    _visit_check(supplier, supplier_seen, "consultation-entreprise")
    supplier.keyboard.press("Enter")
    supplier.wait_for_url("**/entreprise/offres/*")
    assert "memoire.pdf" in supplier.content()
    receipt = json.loads(supplier.locator("pre.receipt").inner_text())
    assert receipt["receipt"]["files"][0]["filename"] == "memoire.pdf"
    _visit_check(supplier, supplier_seen, "accuse-de-reception")

    # the buyer answers; after the deadline opens, scores, awards; after the standstill notifies
    buyer.goto(editor)
    buyer.fill("textarea[name=answer]", "Non, seuls les vélos et leurs batteries.")
    buyer.locator("form[action*='/reponse'] button[type=submit]").click()
    buyer.wait_for_load_state()
    world.clock.now = world.clock.now + dt.timedelta(days=21)
    buyer.goto(editor)
    buyer.locator("form[action$='/ouvrir'] button[type=submit]").click()
    buyer.wait_for_load_state()
    buyer.locator("form[action$='/notes-prix'] button[type=submit]").click()
    buyer.wait_for_load_state()
    buyer.locator("input[name^='score-']").last.fill("75")
    buyer.get_by_role("button", name="Enregistrer les notes").click()
    buyer.wait_for_load_state()
    _visit_check(buyer, buyer_seen, "analyse")
    buyer.locator("form[action$='/attribuer'] button[type=submit]").first.click()
    buyer.wait_for_load_state()
    world.clock.now = world.clock.now + dt.timedelta(days=12)
    buyer.goto(editor)
    buyer.locator("form[action$='/notifier'] button[type=submit]").click()
    buyer.wait_for_load_state()
    _visit_check(buyer, buyer_seen, "notifie")
    feed = buyer.request.get(served + "/api/v1/decp/feed").json()
    record = feed["marches"]["marche"][0]
    assert record["montant"] == 98500.0 and record["offresRecues"] == 1
    assert record["objet"] == "Fourniture de vélos à assistance électrique"
    supplier.goto(served + f"/consultations/{consultation_id}")
    assert "Non, seuls les vélos et leurs batteries." in supplier.content()
    supplier_seen.check()
    buyer_seen.check()
