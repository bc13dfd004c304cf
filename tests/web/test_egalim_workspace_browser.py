"""The buyer's Egalim workspace in a real browser (Debian's Chromium through Playwright), against the platform
served by uvicorn on 127.0.0.1: a buyer logs in, opens the workspace from the buyer home, uploads a purchase file
with the form, reads the report (one refused cell named), goes back to the list, then removes the import after
opening its confirmation.

Every page visited: no console error, no request leaving 127.0.0.1, no failed request, form controls labelled.
Screenshots in ``test-artifacts/screenshots/egalim-workspace*.png``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from spaser.indicators.egalim.store import EgalimStore
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

A = "19290012400012"  # Lycée de Cornouaille
PURCHASES = ("siret;description;fournisseur;date;prix_ht;famille_produits;categories_egalim\n"
             f"{A};Yaourt nature bio;Laiterie de Plouvien;2024-01-15;300,00;PRODUITS_LAITIERS;BIO\n"
             f"{A};Tomates;Primeurs du Léon;2024-02-01;700,00;FRUITS_ET_LEGUMES;\n"
             f"{A};Pain;Boulangerie Chaptal;2024-03-01;12,345;BOULANGERIE;\n")


@pytest.fixture
def served(world: World) -> Iterator[str]:
    world.platform.settings.session_hours = 24 * 30
    with serving(create_app(world.platform.settings, world.platform)) as base:
        yield base


def _check(page: Page, seen: Watched, name: str) -> None:
    assert unlabelled_controls(page) == [], f"{name}: unlabelled controls"
    assert page.locator("h1").count() == 1, name
    seen.check()
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_a_buyer_uploads_a_purchase_file_in_the_browser(browser: Browser, served: str, world: World,
                                                        tmp_path: Path) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900}, service_workers="block")
    context.set_default_timeout(15000)
    page = context.new_page()
    seen = watch(page)
    page.goto(served + "/connexion")
    page.fill("#email", world.buyer.email)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()

    page.goto(served + "/acheteur")
    page.get_by_role("link", name="Importer les achats de restauration (Egalim)").click()
    page.wait_for_url("**/acheteur/egalim")
    assert "Aucun import" in page.locator("main").inner_text()
    _check(page, seen, "egalim-workspace-empty")

    file = tmp_path / "achats-lycees-2024.csv"
    file.write_text(PURCHASES, encoding="utf-8")
    page.get_by_label("Fichier d'achats (CSV ou XLSX)").set_input_files(str(file))
    page.get_by_role("button", name="Importer", exact=True).click()
    page.wait_for_url("**/acheteur/egalim/imports/*")
    assert "achats-lycees-2024.csv » importé : 2 ligne(s) acceptée(s), 1 refusée(s)" in (
        page.locator(".notice").inner_text())
    refused = page.locator("#refus-titre + p + table, #refus-titre ~ table").first
    assert "prix_ht" in refused.inner_text() and "12,345" in refused.inner_text()
    _check(page, seen, "egalim-workspace-report")

    page.get_by_role("link", name="Imports Egalim").click()
    page.wait_for_url("**/acheteur/egalim")
    assert page.get_by_role("link", name="achats-lycees-2024.csv").count() == 1
    _check(page, seen, "egalim-workspace")

    page.locator("details.remove summary").first.click()
    page.get_by_role("button", name="Supprimer l'import : achats-lycees-2024.csv").click()
    page.wait_for_load_state()
    assert "supprimé" in page.locator(".notice").inner_text()
    assert EgalimStore.of(world.platform.settings).imports() == []
    _check(page, seen, "egalim-workspace-removed")
    seen.check()
    context.close()
