"""The sourcing space in a real browser (Debian's Chromium through Playwright) against the platform served by
uvicorn on 127.0.0.1: a company fills its profile, finds a purchase plan with the search box, marks it
« intéressé » and writes to the buyer, with the keyboard; the buyer sees the company among the interested ones
and in the matches with their reasons, and answers; the company reads the answer.

Every page visited: no console error, no request leaving 127.0.0.1, no failed request, one ``<h1>``, the skip
link first in the Tab order, every form control labelled. Screenshots in
``test-artifacts/screenshots/sourcing-*.png`` (the directory, a profile, the plans, the buyer's plan page...).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from spaser.sourcing import profiles
from spaser.web.app import create_app
from tests.integration.sourcing.sourcing_data import OUEST, ROOF, make_plan, org_of
from tests.marketplace_world import PASSWORD, World
from tests.web.conftest import CHROMIUM, SCREENSHOTS, serving
from tests.web.test_browser import Watched, focused, unlabelled_controls, watch

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None,
                       reason="needs Debian's chromium (/usr/bin/chromium): apt-get install chromium"),
]

if CHROMIUM is not None:
    from playwright.sync_api import Browser, Page


@pytest.fixture
def served(world: World) -> Iterator[str]:
    with serving(create_app(world.platform.settings, world.platform)) as base:
        yield base


def _person(browser: Browser, base: str, email: str | None) -> tuple[Page, Watched]:
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900}, service_workers="block")
    context.set_default_timeout(8000)
    page = context.new_page()
    seen = watch(page)
    if email is not None:
        page.goto(base + "/connexion")
        page.fill("#email", email)
        page.fill("#password", PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_load_state()
    return page, seen


def _check(page: Page, seen: Watched, name: str | None = None) -> None:
    """A screenshot; one title, the skip link first in the Tab order, labelled controls, nothing failed."""
    if name is not None:
        page.screenshot(path=str(SCREENSHOTS / f"sourcing-{name}.png"), full_page=True)
    assert page.locator("h1").count() == 1, page.url
    if "#" in page.url:  # a fragment moves the Tab start to its target: check from the top of the page
        page.goto(page.url.split("#")[0])
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    page.keyboard.press("Tab")
    first = focused(page)
    assert first["tag"] == "a" and first["href"] == "#contenu", (page.url, first)
    assert unlabelled_controls(page) == [], f"{page.url}: unlabelled controls"
    seen.check()


def _tab_to(page: Page, selector: str, limit: int = 150) -> None:
    """Press Tab from the top of the page until ``selector`` has the focus (it is keyboard reachable)."""
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement === document.querySelector(s)", selector):
            return
    raise AssertionError(f"{selector} not reached with Tab on {page.url}")


def test_a_company_and_a_buyer_meet_over_a_planned_purchase(browser: Browser, served: str, world: World) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with world.platform.db.begin() as session:  # a second company, national, already in the directory
        profiles.save_profile(session, world.ctx(world.supplier_b), org_of(world.supplier_b), OUEST)
    plan_id = make_plan(world)
    make_plan(world, ROOF)

    # the company fills its profile from its space
    supplier, supplier_seen = _person(browser, served, "offres@armor.fr")
    assert supplier.url.endswith("/entreprise")
    supplier.get_by_role("link", name="Profil de l'entreprise").click()
    supplier.wait_for_load_state()
    _check(supplier, supplier_seen, "profil-formulaire")
    supplier.fill("#presentation", "Menuiserie bois et agencement intérieur : lits, armoires et bureaux en chêne.")
    supplier.fill("#website", "https://armor.example")
    supplier.fill("#cpvs", "39160000-1\n45421000")
    supplier.fill("#departements", "35, 22")
    supplier.check("#region-53")
    _tab_to(supplier, "#label-pefc")
    supplier.keyboard.press("Space")
    assert supplier.is_checked("#label-pefc")
    supplier.keyboard.press("Tab")  # the "what it proves" disclosure
    supplier.keyboard.press("Tab")
    assert focused(supplier)["id"] == "reference-pefc"
    supplier.keyboard.type("PEFC/10-31-1234")
    supplier.get_by_role("button", name="Enregistrer le profil").click()
    supplier.wait_for_load_state()
    assert "Profil enregistré." in supplier.locator(".notice").inner_text()
    _check(supplier, supplier_seen)
    supplier.get_by_role("link", name="Voir le profil public").click()
    supplier.wait_for_load_state()
    assert supplier.locator("h1").inner_text() == "Menuiserie Armor"
    assert "PEFC/10-31-1234" in supplier.content()
    _check(supplier, supplier_seen, "profil")

    # the directory finds it
    supplier.goto(served + "/fournisseurs")
    supplier.get_by_label("Recherche (mots)").fill("chêne")
    supplier.get_by_label("Recherche (mots)").press("Enter")
    supplier.wait_for_url("**/fournisseurs?q=*")
    assert supplier.locator("main tbody tr").count() == 1
    supplier.goto(served + "/fournisseurs")
    assert supplier.locator("main tbody tr").count() == 2
    _check(supplier, supplier_seen, "annuaire")

    # it finds the plan with the search box, marks it « intéressé » and writes, with the keyboard
    supplier.goto(served + "/achats-prevus")
    assert supplier.locator("main tbody tr").count() == 2
    _check(supplier, supplier_seen, "achats-prevus")
    supplier.get_by_label("Recherche (mots)").fill("internats")
    supplier.get_by_label("Recherche (mots)").press("Enter")
    supplier.wait_for_url("**/achats-prevus?q=internats*")
    assert supplier.locator("main tbody tr").count() == 1
    assert "T1 2027" in supplier.locator("main tbody tr").inner_text()
    supplier.get_by_role("link", name="Renouvellement du mobilier des internats").click()
    supplier.wait_for_load_state()
    _check(supplier, supplier_seen)
    _tab_to(supplier, "#note")
    supplier.keyboard.type("Nous fabriquons des lits en chêne.")
    supplier.keyboard.press("Tab")
    assert supplier.evaluate("document.activeElement.textContent").strip() == "Je suis intéressé"
    supplier.keyboard.press("Enter")
    supplier.wait_for_load_state()
    assert "Intérêt enregistré" in supplier.locator(".notice").inner_text()
    assert supplier.get_by_role("button", name="Retirer mon intérêt").is_visible()
    _tab_to(supplier, "#message")
    supplier.keyboard.type("Quels volumes par internat ?")
    supplier.keyboard.press("Tab")
    assert supplier.evaluate("document.activeElement.textContent").strip() == "Envoyer"
    supplier.keyboard.press("Enter")
    supplier.wait_for_load_state()
    assert "Quels volumes par internat ?" in supplier.locator("ol.thread").inner_text()
    _check(supplier, supplier_seen, "achat-prevu-entreprise")

    # the buyer sees the company, the matches with their reasons, and answers
    buyer, buyer_seen = _person(browser, served, "buyer@bretagne.bzh")
    buyer.get_by_role("link", name="Mes achats prévus").click()
    buyer.wait_for_load_state()
    _check(buyer, buyer_seen, "acheteur-achats-prevus")
    buyer.get_by_role("link", name="Renouvellement du mobilier des internats").click()
    buyer.wait_for_load_state()
    interested = buyer.locator("section[aria-labelledby=interested-title]")
    assert "Menuiserie Armor" in interested.inner_text()
    assert "Nous fabriquons des lits en chêne." in interested.inner_text()
    matches = buyer.locator("section[aria-labelledby=matches-title] tbody tr")
    assert matches.count() == 2
    first = matches.nth(0).inner_text()
    assert "Menuiserie Armor" in first and "75" in first and "Même code CPV (39160000)" in first
    assert "Intervient dans le département 35" in first and "Label PEFC" in first
    assert "Intervient sur tout le territoire national" in matches.nth(1).inner_text()
    _check(buyer, buyer_seen, "acheteur-achat-prevu")
    buyer.get_by_role("link", name="Ouvrir les échanges").click()
    buyer.wait_for_load_state()
    assert "Quels volumes par internat ?" in buyer.locator("ol.thread").inner_text()
    buyer.get_by_label("Répondre à Menuiserie Armor").fill("Environ 120 lits, livrés à l'été 2027.")
    buyer.locator("#fil button[type=submit]").click()
    buyer.wait_for_load_state()
    assert "Message envoyé." in buyer.locator(".notice").inner_text()
    assert "Environ 120 lits" in buyer.locator("ol.thread").inner_text()
    _check(buyer, buyer_seen, "acheteur-echanges")

    # the company reads the answer; the pages in English
    supplier.goto(served + f"/achats-prevus/{plan_id}")
    assert "Environ 120 lits, livrés à l'été 2027." in supplier.locator("ol.thread").inner_text()
    supplier.goto(served + f"/fournisseurs/{org_of(world.supplier_a)}?lang=en")
    assert supplier.locator("html").get_attribute("lang") == "en"
    assert "Public contracts won" in supplier.content()
    _check(supplier, supplier_seen, "profil-en")
    buyer.goto(served + f"/acheteur/achats-prevus/{plan_id}?lang=en")
    assert "Same CPV code (39160000)" in buyer.content()
    _check(buyer, buyer_seen)
    supplier_seen.check()
    buyer_seen.check()
