"""The Egalim pages in a real browser (Debian's Chromium through Playwright), against the app served by uvicorn on
127.0.0.1 over the store of the Egalim page tests (tests/integration/egalim/test_egalim_pages.py): a visitor opens
the dashboard, chooses a group and a year with the form, opens a restaurant from the table, then reads it in
English and goes back to the dashboard.

Every page visited: no console error, no failed request, no request leaving 127.0.0.1, every form control labelled,
one ``<h1>``, the charts drawn (SVG, ``role="img"``). Screenshots in ``test-artifacts/screenshots/egalim-*.png``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from spaser.config import Settings
from spaser.web.app import create_app
from tests.integration.egalim.test_egalim_pages import GROUP, A, B, build_store
from tests.web.conftest import CHROMIUM, SCREENSHOTS, serving
from tests.web.test_browser import Watched, unlabelled_controls, watch

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None,
                       reason="needs Debian's chromium (/usr/bin/chromium): apt-get install chromium"),
]

if CHROMIUM is not None:
    from playwright.sync_api import Browser, Page


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("egalim-browser")
    settings = Settings(data_dir=folder / "data")
    build_store(settings, folder)
    with serving(create_app(settings)) as base:
        yield base


def _check(page: Page, seen: Watched, charts: int) -> None:
    """The page's checks, once it has loaded: labels, one ``<h1>``, ``charts`` SVG charts visible, network clean."""
    page.wait_for_load_state("load")
    assert unlabelled_controls(page) == [], page.url
    assert page.locator("h1").count() == 1, page.url
    svgs = page.locator("figure.chart svg[role='img']")
    assert svgs.count() == charts, page.url
    for n in range(charts):
        assert svgs.nth(n).is_visible(), (page.url, n)
        box = svgs.nth(n).bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 50, (page.url, n, box)
    seen.check()


def _restaurants(page: Page) -> list[str]:
    """The names in the dashboard's table of restaurants, in order."""
    names: list[str] = page.locator("section[aria-labelledby='restaurants-title'] tbody th a").all_inner_texts()
    return names


def test_dashboard_form_restaurant_and_english(browser: Browser, served: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900}, service_workers="block")
    context.set_default_timeout(15000)
    try:
        page = context.new_page()
        seen = watch(page)

        # the dashboard: the whole's latest year (targets, families, two trends)
        page.goto(served + "/egalim")
        _check(page, seen, charts=4)
        assert page.locator("h1").inner_text() == "Egalim : qualité des repas en restauration collective"
        assert "Objectifs et réalisé — Tous les restaurants, 2024" in page.locator("#targets-title").inner_text()
        assert _restaurants(page) == ["Lycée de Cornouaille", "Lycée Chaptal", "Lycée Leconte de Lisle",
                                      "45213467900029"]
        page.screenshot(path=str(SCREENSHOTS / "egalim-dashboard.png"), full_page=True)

        # a group and a year, with the form
        page.get_by_label("Groupe de restaurants").select_option(GROUP)
        page.get_by_label("Année", exact=True).select_option("2023")
        page.get_by_role("button", name="Afficher").click()
        page.wait_for_url(re.compile(r"/egalim\?groupe=Lyc.*&annee=2023$"))
        _check(page, seen, charts=4)
        assert page.locator("#targets-title").inner_text() == f"Objectifs et réalisé — {GROUP}, 2023"
        assert _restaurants(page) == ["Lycée de Cornouaille"]  # Lycée Chaptal bought nothing in 2023
        assert page.get_by_label("Groupe de restaurants").input_value() == GROUP
        assert page.get_by_label("Année", exact=True).input_value() == "2023"
        page.screenshot(path=str(SCREENSHOTS / "egalim-dashboard-groupe.png"), full_page=True)

        # a restaurant, from the table
        page.get_by_role("link", name="Lycée de Cornouaille", exact=True).click()
        page.wait_for_url(f"**/egalim/restaurants/{A}?annee=2023")
        _check(page, seen, charts=4)
        assert page.locator("h1").inner_text() == "Lycée de Cornouaille"
        assert page.locator("nav.measure a[aria-current='true']").inner_text() == "2023"
        page.get_by_role("link", name="2024", exact=True).click()
        page.wait_for_url(f"**/egalim/restaurants/{A}?annee=2024")
        _check(page, seen, charts=4)
        assert "70,0" in page.locator("table.results").first.inner_text()
        page.screenshot(path=str(SCREENSHOTS / "egalim-restaurant.png"), full_page=True)

        # in English, then back to the dashboard (the language is kept)
        page.get_by_role("link", name="English").click()
        page.wait_for_url(re.compile(r"lang=en"))
        _check(page, seen, charts=4)
        assert page.locator("html").get_attribute("lang") == "en"
        assert page.locator("#targets-title").inner_text() == "Targets and actual — 2024"
        assert "70.0" in page.locator("table.results").first.inner_text()
        page.get_by_role("link", name="See the Egalim dashboard").click()
        page.wait_for_url(served + "/egalim")
        _check(page, seen, charts=4)
        assert page.locator("h1").inner_text() == "Egalim: food quality in collective catering"
        assert _restaurants(page)[:2] == ["Lycée de Cornouaille", "Lycée Chaptal"]
        page.screenshot(path=str(SCREENSHOTS / "egalim-dashboard-en.png"), full_page=True)

        # the home's Egalim block leads to the dashboard
        page.goto(served + "/")
        _check(page, seen, charts=0)
        assert "Egalim in collective catering — 2024" in page.locator("section.egalim-home").inner_text()
        page.locator("section.egalim-home").get_by_role("link", name="See the Egalim dashboard").click()
        page.wait_for_url(served + "/egalim")
        assert page.get_by_role("link", name="Lycée Chaptal", exact=True).get_attribute("href") == (
            f"/egalim/restaurants/{B}?annee=2024")
        seen.check()
    finally:
        context.close()
