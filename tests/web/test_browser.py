"""The observatory in a real browser: headless Chromium (Debian's, through Playwright) against the app served by
uvicorn on 127.0.0.1, over the small hand-built warehouse of the web integration tests.

Every page, in French and in English: no console error, no request leaving 127.0.0.1, no failed request, one
``<h1>``, the skip link first in the Tab order and moving focus to ``<main>``, every form control labelled, the
main navigation reachable by Tab, charts (when a page has some) visible with ``role="img"``. The explorer's form
and the language switch are used as a person would. A full-page screenshot of each page is saved under
``test-artifacts/screenshots/`` (the test artifacts).

Needs /usr/bin/chromium (``apt-get install chromium``; .ci/run installs it): skipped without it. Playwright's own
browser downloads are never used.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest

from spaser.config import Settings
from spaser.web.app import create_app
from tests.integration.indicators.build import BUYER, BUYER_3, warehouse
from tests.integration.web.sample import SEARCH_IDS, SEARCH_WORD, SUPPLIER_2, build_site
from tests.web.conftest import CHROMIUM, SCREENSHOTS, serving

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (/usr/bin/chromium): "
                                                "apt-get install chromium"),
]

if CHROMIUM is not None:  # imported only where it can run
    from playwright.sync_api import Browser, ConsoleMessage, Page, Request
    from playwright.sync_api import Response as PageResponse

#: (screenshot name, address; {key} is a contract with modifications)
PAGES = [
    ("accueil", "/"),
    ("accueil-acheteur", f"/?acheteur={BUYER}&annee=2023"),
    ("indicateurs", "/indicateurs"),
    ("indicateur", "/indicateurs/single_bid"),
    ("contrats", "/contrats"),
    ("contrat", "/contrats/{key}"),
    ("acheteur", f"/acheteurs/{BUYER}"),
    ("titulaire", f"/titulaires/{SUPPLIER_2}"),
    ("qualite", "/qualite"),
    ("donnees", "/donnees"),
    ("methodologie", "/methodologie"),
    ("statut", "/statut"),
]
NAVIGATION = ["/", "/indicateurs", "/contrats", "/qualite", "/donnees", "/methodologie"]


@dataclass
class Site:
    base: str
    keys: dict[str, str]

    def url(self, address: str) -> str:
        return self.base + address.format(key=self.keys["W10"])


@dataclass
class Watched:
    """What a page did: console errors, uncaught exceptions, every request, failed ones."""

    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def check(self) -> None:
        assert not self.errors, f"console errors: {self.errors}"
        assert not self.failed, f"failed requests: {self.failed}"
        # data: URLs are not network requests; everything else must go to our server
        elsewhere = [u for u in self.requests if urlsplit(u).scheme != "data" and urlsplit(u).hostname != "127.0.0.1"]
        assert not elsewhere, f"requests to other hosts: {elsewhere}"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    settings: Settings = build_site(tmp_path_factory.mktemp("browser"))
    with warehouse(settings) as con:
        keys = {str(i): str(k) for i, k in con.execute("SELECT id, contract_key FROM contracts").fetchall()}
    with serving(create_app(settings)) as base:
        yield Site(base, keys)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh French-speaking visitor (Accept-Language fr-FR, no cookie)."""
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900}, service_workers="block")
    context.set_default_timeout(5000)
    try:
        yield context.new_page()
    finally:
        context.close()


def unlabelled_controls(page: Page) -> list[str]:
    """Form controls with no ``<label>``, ``aria-label`` or ``aria-labelledby``."""
    found: list[str] = page.locator("input, select, textarea").evaluate_all(
        "els => els.filter(e => e.type !== 'hidden' && !(e.labels && e.labels.length > 0)"
        " && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby')).map(e => e.outerHTML)")
    return found


def watch(page: Page) -> Watched:
    seen = Watched()

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            seen.errors.append(f"{message.text} ({message.location.get('url')})")

    def response(answer: PageResponse) -> None:
        if answer.status >= 400:
            seen.failed.append(f"{answer.url}: {answer.status}")

    def failed(request: Request) -> None:
        seen.failed.append(f"{request.url}: {request.failure}")

    page.on("console", console)
    page.on("pageerror", lambda error: seen.errors.append(f"uncaught: {error}"))
    page.on("request", lambda request: seen.requests.append(request.url))
    page.on("requestfailed", failed)
    page.on("response", response)
    return seen


def focused(page: Page) -> dict[str, str | None]:
    info: dict[str, str | None] = page.evaluate(
        "() => { const e = document.activeElement; return {tag: e.tagName.toLowerCase(), id: e.id || null, "
        "href: e.getAttribute('href'), cls: e.getAttribute('class'), "
        "nav: e.closest('header nav') ? 'main' : null}; }")
    return info


def check_accessibility(page: Page, address: str) -> None:
    assert page.locator("h1").count() == 1
    assert page.locator("main#contenu").count() == 1
    # the skip link is the first Tab stop and moves the focus to <main>
    page.keyboard.press("Tab")
    first = focused(page)
    assert first["tag"] == "a" and first["href"] == "#contenu" and first["cls"] == "skip", first
    assert page.locator("a.skip").is_visible(), "the skip link is visible when focused"
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "contenu"
    # every form control has a label
    unlabelled = unlabelled_controls(page)
    assert unlabelled == [], f"controls without a label: {unlabelled}"
    # the main navigation is reachable by Tab, from the top of the page
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    page.goto(page.url.split("#")[0])
    reached: list[str | None] = []
    for _ in range(12):
        page.keyboard.press("Tab")
        now = focused(page)
        if now["nav"]:
            reached.append(now["href"])
    assert [h for h in NAVIGATION if h not in reached] == [], f"not reached by Tab on {address}: {reached}"
    # charts (when the page has some): visible, exposed as images
    roots = page.locator("figure.chart svg")
    for index in range(roots.count()):
        svg = roots.nth(index)
        if svg.evaluate("e => e.parentElement.closest('svg') !== null"):
            continue  # an SVG inside the chart's SVG
        assert svg.is_visible(), f"chart {index} of {address} is not visible"
        assert svg.get_attribute("role") == "img", f"chart {index} of {address} has no role=img"


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize(("name", "address"), PAGES, ids=[name for name, _ in PAGES])
def test_page(site: Site, page: Page, name: str, address: str, lang: str) -> None:
    seen = watch(page)
    target = site.url(address)
    if lang == "en":
        target += ("&" if "?" in target else "?") + "lang=en"
    answer = page.goto(target, wait_until="load")
    assert answer is not None and answer.status == 200, f"{target}: {answer.status if answer else None}"
    assert page.locator("html").get_attribute("lang") == lang
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{lang}.png"), full_page=True)
    check_accessibility(page, address)
    seen.check()
    assert seen.requests and all(urlsplit(u).hostname == "127.0.0.1" for u in seen.requests
                                 if not u.startswith("data:"))


def result_count(page: Page) -> int:
    text = page.locator("main p[role=status] strong").inner_text()
    return int("".join(c for c in text if c.isdigit()))


def submit(page: Page, label: str, expected_param: str, expected_count: int) -> None:
    """Press Enter in a field of the explorer: htmx (installed by make install) swaps the results in place and
    pushes the URL; without htmx the browser loads the page. Either way, wait for the URL and the count."""
    page.get_by_label(label).press("Enter")
    page.wait_for_function(
        "([param, count]) => { const shown = document.querySelector('main p[role=status] strong');"
        " return location.search.includes(param) && shown !== null"
        " && parseInt(shown.textContent.replace(/\\D/g, '')) === count; }",
        arg=[expected_param, expected_count], timeout=10_000)


def test_htmx_swaps_the_explorer_results_in_place(site: Site, page: Page) -> None:
    """With htmx served from our own server (node_modules, installed from the npm lock file), a search keeps the
    page (no new document) and updates the results and the address."""
    from spaser.web.render import htmx_script

    if htmx_script() is None:
        pytest.skip("htmx is not installed (make install runs npm ci); the pages work without it")
    seen = watch(page)
    page.goto(site.url("/contrats"))
    assert page.evaluate("typeof htmx") == "object"
    page.evaluate("window.__marker = 1")
    page.get_by_label("Rechercher dans l'objet").fill(SEARCH_WORD)
    submit(page, "Rechercher dans l'objet", "q=" + SEARCH_WORD, len(SEARCH_IDS))
    assert page.evaluate("window.__marker") == 1  # same document: swapped, not reloaded
    seen.check()


def row_titles(page: Page) -> list[str]:
    return page.locator("table.contracts tbody th[scope=row]").all_inner_texts()


def test_explorer_search_through_the_form(site: Site, page: Page) -> None:
    seen = watch(page)
    page.goto(site.url("/contrats"))
    assert result_count(page) == len(site.keys)
    page.get_by_label("Rechercher dans l'objet").fill(SEARCH_WORD)
    submit(page, "Rechercher dans l'objet", "q=" + SEARCH_WORD, len(SEARCH_IDS))
    assert "q=" + SEARCH_WORD in page.url
    titles = row_titles(page)
    assert len(titles) == len(SEARCH_IDS) and all(SEARCH_WORD in t.lower() for t in titles), titles
    assert page.get_by_label("Rechercher dans l'objet").input_value() == SEARCH_WORD
    seen.check()


def test_explorer_filters_through_the_form(site: Site, page: Page) -> None:
    seen = watch(page)
    page.goto(site.url("/contrats"))
    page.get_by_label("Année").select_option("2023")
    page.get_by_label("Acheteur (SIRET)").fill(BUYER_3)
    submit(page, "Acheteur (SIRET)", "acheteur=" + BUYER_3, 2)  # W09 and W12
    assert sorted(row_titles(page)) == ["Audit énergétique des bâtiments", "Nettoyage des vitres"]
    assert page.get_by_label("Année").input_value() == "2023"
    # the CSV link exports the same selection
    export = page.get_by_role("link", name="Exporter la sélection (CSV)").get_attribute("href")
    assert export and export.startswith("/contrats.csv?") and "annee=2023" in export
    seen.check()


def test_language_switch(site: Site, page: Page) -> None:
    seen = watch(page)
    page.goto(site.url("/contrats"))
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("h1").inner_text() == "Contrats"
    with page.expect_navigation():
        page.get_by_role("link", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Contracts"
    assert page.get_by_role("link", name="Français").count() == 1
    # the choice is kept (cookie) while browsing, and the page cached in French is not shown again (ETag per
    # language)
    with page.expect_navigation():
        page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Contracts").click()
    assert urlsplit(page.url).path == "/contrats" and "lang=" not in page.url
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Contracts"
    with page.expect_navigation():
        page.get_by_role("link", name="Français").click()
    assert page.locator("html").get_attribute("lang") == "fr"
    seen.check()


def test_not_found_page_is_accessible(site: Site, page: Page) -> None:
    answer = page.goto(site.url("/contrats/inconnu"))
    assert answer is not None and answer.status == 404
    assert page.locator("h1").count() == 1 and "introuvable" in page.locator("h1").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "introuvable-fr.png"), full_page=True)
