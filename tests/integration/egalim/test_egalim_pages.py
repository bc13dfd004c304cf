"""The Egalim pages, their JSON/CSV twins, the API and the Egalim block of the observatory home, over a store built
from a small hand-written purchase file: every expected figure is computed by hand below.

The purchases (``PURCHASES``), in euros HT:

=========  ====  ==========================================================================================
restaurant year  lines (family, Egalim group, origin)
=========  ====  ==========================================================================================
A (29)     2024  poultry 400 Label Rouge (SIQO, France, local) · yoghurt 300 bio (France, short circuit) ·
                 tomatoes 300 (not Egalim, Europe) → 1 000: Egalim 700 (70 %), bio 300 (30 %), meat and
                 fish 400 / 400 (100 %), France 700, local 400, short circuit 300
B (29)     2024  cod 500 sustainable fishing (other Egalim) · minced beef 500 (not Egalim, France) · bread
                 369 bio + Label Rouge (counted once, in bio; France) · groceries 631 → 2 000: Egalim 869
                 (43.45 % → 43.5 half up), bio 369 (18.45 % → 18.5; a float would round it to 18.4), meat
                 and fish 500 / 1 000 (50 %), France 869
R (974)    2024  pineapple 200 RUP (other Egalim) · milk 50 bio · chicken 750 → 1 000: Egalim 250 (25 %),
                 bio 50 (5 %, La Réunion's target exactly), no meat-and-fish target overseas
U (none)   2024  delivered meals 1 000 (not Egalim): absent from the registry → mainland targets, with a note;
                 no meat or fish bought: that target is not judged
A          2023  poultry 600 Label Rouge (France) · groceries 400 → 1 000: Egalim 60 %, bio 0 %; no
                 meat-and-fish target before 2024
R          2023  rice 100 bio → 100: Egalim 100 %, bio 100 %
=========  ====  ==========================================================================================

Groups (registry): A and B are « Lycées du Finistère » (29), R « Lycées de La Réunion » (974); U is not
registered. Value-weighted figures:

* Finistère 2024: 3 000 €, Egalim 700 + 869 = 1 569 (52.3 %; the mean of the two restaurants' shares would be
  56.7 %), bio 300 + 369 = 669 (22.3 %), meat and fish 400 + 500 = 900 of 400 + 1 000 = 1 400 (64.2857 → 64.3 %):
  every mainland target (50 / 20 / 60) met;
* whole 2024: 5 000 €, 11 lines, 4 restaurants, Egalim 1 569 + 250 = 1 819 (36.38 → 36.4 %), bio 669 + 50 = 719
  (14.38 → 14.4 %), meat and fish 900 of 1 400 + 750 = 2 150 (41.86 → 41.9 %), France 1 569 (31.4 %), local 400
  (8 %), short circuit 300 (6 %); restaurants of several territories (and one unknown): mainland targets, note;
* whole 2023: 1 100 €, Egalim 600 + 100 = 700 (63.6 %), bio 100 (9.1 %).

``MORE`` (a second file) adds 1 000 € of bio rice for U in 2024: the whole's 2024 becomes 6 000 €, 12 lines,
Egalim 2 819 (46.98 → 47.0 %), bio 1 719 (28.65 → 28.7 %).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from spaser.config import Settings
from spaser.indicators.egalim import published
from spaser.indicators.egalim.results import MIXED, TERRITORY_NOTES, UNKNOWN
from spaser.indicators.egalim.results_file import FILE_NAME
from spaser.indicators.egalim.store import EgalimStore
from spaser.web.app import create_app
from spaser.web.egalim_pages import RESTAURANT_COLUMNS
from tests.integration.web.sample import build_site, copy_site

A, B = "19290012400012", "19290098300029"  # Lycée de Cornouaille, Lycée Chaptal (Finistère)
R = "19740045000015"  # Lycée Leconte de Lisle (La Réunion)
U = "45213467900029"  # absent from the registry
NOBODY = "12345678200036"  # a valid SIRET with no purchase
GROUP, REUNION = "Lycées du Finistère", "Lycées de La Réunion"
NARROW = "\u202f"  # the French thousands separator (fmt_number)
PERCENT = "&#8239;%"  # how the templates write « % » after a share
COLUMNS = ("siret", "description", "fournisseur", "date", "prix_ht", "famille_produits", "categories_egalim",
           "origine", "est_circuit_court", "est_local", "definition_local")
PURCHASES: list[tuple[str, ...]] = [
    # A, 2024: 400 SIQO (France, local) + 300 bio (France, short circuit) + 300 not Egalim (Europe) = 1 000
    (A, "Filet de poulet Label Rouge", "Volailles de Cornouaille", "2024-01-08", "400.00", "VIANDES_VOLAILLES",
     "LABEL_ROUGE", "FRANCE", "NON", "OUI", "DEPARTEMENT"),
    (A, "Yaourt nature bio", "Laiterie de Plouvien", "2024-01-15", "300.00", "PRODUITS_LAITIERS", "BIO", "FRANCE",
     "OUI", "NON", ""),
    (A, "Tomates", "Primeurs du Léon", "2024-02-01", "300.00", "FRUITS_ET_LEGUMES", "", "EUROPE", "", "", ""),
    # B, 2024: 500 other Egalim (fish) + 500 not Egalim (meat, France) + 369 bio (France) + 631 = 2 000
    (B, "Cabillaud MSC", "Marée de Concarneau", "2024-03-12", "500.00", "PRODUITS_DE_LA_MER", "PECHE_DURABLE",
     "EUROPE", "", "", ""),
    (B, "Steak haché", "Boucherie de l'Odet", "2024-03-13", "500.00", "VIANDES_VOLAILLES", "", "FRANCE", "", "", ""),
    (B, "Pain bio", "Boulangerie Chaptal", "15/05/2024", "369,00", "BOULANGERIE", "BIO, LABEL_ROUGE", "FRANCE", "",
     "", ""),
    (B, "Épicerie", "Grossiste", "2024-06-01", "631.00", "AUTRES", "", "", "", "", ""),
    # R, 2024: 200 other Egalim (RUP) + 50 bio + 750 not Egalim (meat) = 1 000
    (R, "Ananas Victoria", "Coopérative de Saint-Pierre", "2024-02-02", "200.00", "FRUITS_ET_LEGUMES", "RUP", "", "",
     "", ""),
    (R, "Lait bio", "Laiterie du Sud", "2024-02-03", "50.00", "PRODUITS_LAITIERS", "BIO", "", "", "", ""),
    (R, "Poulet", "Volailles de l'île", "2024-02-04", "750.00", "VIANDES_VOLAILLES", "", "", "", "", ""),
    # U, 2024: 1 000 not Egalim
    (U, "Repas livrés", "Traiteur", "2024-04-04", "1000.00", "AUTRES", "", "", "", "", ""),
    # A, 2023: 600 SIQO (France) + 400 = 1 000; R, 2023: 100 bio
    (A, "Poulet Label Rouge", "Volailles de Cornouaille", "2023-10-02", "600.00", "VIANDES_VOLAILLES", "LABEL_ROUGE",
     "FRANCE", "", "", ""),
    (A, "Épicerie", "Grossiste", "2023-11-02", "400.00", "AUTRES", "", "", "", "", ""),
    (R, "Riz bio", "Coopérative de Saint-Pierre", "2023-09-09", "100.00", "AUTRES", "BIO", "", "", "", ""),
]
#: The second file: 1 000 € of bio for U in 2024.
MORE: list[tuple[str, ...]] = [
    (U, "Riz bio", "Traiteur", "2024-09-09", "1000.00", "AUTRES", "BIO", "", "", "", ""),
]
REGISTRY = f"""siret;nom;groupe;departement;etat
{A};Lycée de Cornouaille;{GROUP};29;
192 900 983 00029;Lycée Chaptal;{GROUP};29;non
{R};Lycée Leconte de Lisle;{REUNION};974;
21290019500018;Cantine municipale de Quimper;;29;
"""


def write_purchases(path: Path, rows: list[tuple[str, ...]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    return path


def build_store(settings: Settings, folder: Path, *, refresh: bool = True) -> EgalimStore:
    """The registry and ``PURCHASES`` in the store of ``settings``; results published unless ``refresh`` is False."""
    store = EgalimStore.of(settings)
    (folder / "restaurants.csv").write_text(REGISTRY, encoding="utf-8")
    assert store.load_restaurants(folder / "restaurants.csv").loaded == 4
    manifest = store.import_file(write_purchases(folder / "achats.csv", PURCHASES)).manifest
    assert (manifest.accepted, manifest.rejected) == (len(PURCHASES), 0)
    if refresh:
        assert published.refresh(store)
    return store


def import_more(store: EgalimStore, folder: Path, rows: list[tuple[str, ...]] = MORE) -> None:
    manifest = store.import_file(write_purchases(folder / "plus.csv", rows)).manifest
    assert (manifest.accepted, manifest.rejected) == (len(rows), 0)


def shares(summary: dict[str, Any]) -> tuple[Any, ...]:
    """(year, total HT, Egalim, bio, meat and fish) of a summary's JSON, shares rounded."""
    return (summary["year"], summary["total_ht"], summary["egalim"]["rounded"], summary["bio"]["rounded"],
            summary["meat_and_fish"]["rounded"])


def targets(summary: dict[str, Any]) -> list[tuple[str, float, float | None, bool | None]]:
    """(name, target, share reached rounded, met) of each applicable target."""
    return [(t["name"], t["target"], t["rounded"], t["met"]) for t in summary["targets"]]


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture(scope="module")
def egalim_site(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A data folder with the Egalim store (published results) and no DECP warehouse."""
    folder = tmp_path_factory.mktemp("egalim-site")
    settings = Settings(data_dir=folder / "data")
    build_store(settings, folder)
    return settings


@pytest.fixture(scope="module")
def shared_client(egalim_site: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(egalim_site)) as test_client:
        yield test_client


@pytest.fixture
def client(shared_client: TestClient) -> TestClient:
    """The module's client, as a new French visitor (no language cookie left by an earlier ``?lang=en``)."""
    shared_client.cookies.clear()
    return shared_client


@pytest.fixture(scope="module")
def decp_site(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The web tests' small DECP warehouse (tests/integration/web/sample.py), to copy."""
    return build_site(tmp_path_factory.mktemp("decp-site"))


@pytest.fixture
def fresh(tmp_path: Path) -> Settings:
    """An empty data folder of the test's own."""
    return Settings(data_dir=tmp_path / "data")


def ok(client: TestClient, url: str, **params: Any) -> Any:
    response = client.get(url, params=params or None)
    assert response.status_code == 200, (url, response.text[:500])
    return response.json() if url.endswith(".json") or url.startswith("/api/") else response.text


# -- the dashboard ------------------------------------------------------------------------------------------------


def test_dashboard_json_gives_the_whole_latest_year(client: TestClient) -> None:
    data = ok(client, "/egalim.json")
    assert (data["empty"], data["current"], data["annee"], data["years"], data["groupe"]) == (
        False, True, 2024, [2023, 2024], None)
    assert data["groups"] == [REUNION, GROUP]
    s = data["summary"]
    assert (s["scope"], s["scope_id"], s["lines"], s["restaurants"]) == ("ensemble", "", 11, 4)
    assert shares(s) == (2024, 5000.0, 36.4, 14.4, 41.9)
    assert s["egalim"] == {"value": 1819.0, "of": 5000.0, "share": 36.38, "rounded": 36.4}
    assert (s["meat_and_fish"]["value"], s["meat_and_fish"]["of"]) == (900.0, 2150.0)
    assert (s["france"]["rounded"], s["local"]["rounded"], s["short_circuit"]["rounded"]) == (31.4, 8.0, 6.0)
    # each line counted once, in its first group: bio 300 + 369 + 50, SIQO 400, other Egalim 500 + 200
    assert {g: v["value"] for g, v in s["by_group"].items()} == {
        "BIO": 719.0, "SIQO": 400.0, "EGALIM_AUTRES": 700.0, "EXTERNALITES_PERFORMANCE": 0.0, "NON_EGALIM": 3181.0}
    families = {f["family"]: (f["lines"], f["total_ht"], f["egalim"]["rounded"]) for f in s["by_family"]}
    # poultry and meat: 400 (SIQO) + 500 + 750 = 1 650, Egalim 400 (24.2 %); no charcuterie bought
    assert families["VIANDES_VOLAILLES"] == (3, 1650.0, 24.2)
    assert families["CHARCUTERIE"] == (0, 0.0, None)
    # A in Finistère, R in La Réunion, U unknown: mainland targets, with the note
    assert s["territory"] == {"name": "Métropole", "status": MIXED, "note": TERRITORY_NOTES[MIXED],
                              "state_restaurant": False}
    assert targets(s) == [("egalim", 50.0, 36.4, False), ("bio", 20.0, 14.4, False),
                          ("meat_and_fish", 60.0, 41.9, False)]
    assert s["all_met"] is False
    # every restaurant of 2024, the best Egalim share first
    assert [(r["scope_id"], r["name"], r["egalim"]["rounded"]) for r in data["restaurants"]] == [
        (A, "Lycée de Cornouaille", 70.0), (B, "Lycée Chaptal", 43.5), (R, "Lycée Leconte de Lisle", 25.0),
        (U, None, 0.0)]
    assert [shares(t) for t in data["trend"]] == [(2023, 1100.0, 63.6, 9.1, 100.0), (2024, 5000.0, 36.4, 14.4, 41.9)]


def test_a_group_is_value_weighted(client: TestClient) -> None:
    data = ok(client, "/egalim.json", groupe=GROUP)
    s = data["summary"]
    assert (s["scope"], s["scope_id"], s["name"], s["restaurants"], s["lines"]) == ("groupe", GROUP, GROUP, 2, 7)
    # 1 569 / 3 000 = 52.3 %, not the mean of 70 % and 43.45 % (56.7 %)
    assert shares(s) == (2024, 3000.0, 52.3, 22.3, 64.3)
    assert s["territory"] == {"name": "Métropole", "status": "known", "note": None, "state_restaurant": False}
    assert targets(s) == [("egalim", 50.0, 52.3, True), ("bio", 20.0, 22.3, True), ("meat_and_fish", 60.0, 64.3, True)]
    assert s["all_met"] is True
    assert (data["groupe"], data["years"]) == (GROUP, [2023, 2024])
    assert [r["scope_id"] for r in data["restaurants"]] == [A, B]
    assert [shares(t)[:3] for t in data["trend"]] == [(2023, 1000.0, 60.0), (2024, 3000.0, 52.3)]

    reunion = ok(client, "/egalim.json", groupe=REUNION)["summary"]
    assert reunion["territory"]["name"] == "La Réunion" and reunion["territory"]["note"] is None
    assert targets(reunion) == [("egalim", 20.0, 25.0, True), ("bio", 5.0, 5.0, True)]


def test_a_year_is_chosen_with_annee(client: TestClient) -> None:
    data = ok(client, "/egalim.json", annee="2023")
    assert (data["annee"], data["years"]) == (2023, [2023, 2024])
    s = data["summary"]
    # 700 / 1 100 = 63.6 %, 100 / 1 100 = 9.1 %; no meat-and-fish target before 2024
    assert shares(s) == (2023, 1100.0, 63.6, 9.1, 100.0)
    assert targets(s) == [("egalim", 50.0, 63.6, True), ("bio", 20.0, 9.1, False)]
    assert [(r["scope_id"], r["egalim"]["rounded"]) for r in data["restaurants"]] == [(R, 100.0), (A, 60.0)]

    group_2023 = ok(client, "/egalim.json", annee="2023", groupe=GROUP)
    assert shares(group_2023["summary"]) == (2023, 1000.0, 60.0, 0.0, 100.0)
    assert [r["scope_id"] for r in group_2023["restaurants"]] == [A]
    # empty parameters are no filter
    assert ok(client, "/egalim.json", annee="", groupe="")["summary"]["scope"] == "ensemble"


def test_each_restaurant_gets_its_territorys_targets(client: TestClient) -> None:
    a = ok(client, f"/egalim/restaurants/{A}.json")["summary"]
    assert shares(a) == (2024, 1000.0, 70.0, 30.0, 100.0)
    assert targets(a) == [("egalim", 50.0, 70.0, True), ("bio", 20.0, 30.0, True),
                          ("meat_and_fish", 60.0, 100.0, True)]
    assert (a["territory"]["name"], a["territory"]["status"], a["departement"]) == ("Métropole", "known", "29")

    b = ok(client, f"/egalim/restaurants/{B}.json")["summary"]
    # 869 / 2 000 = 43.45 % and 369 / 2 000 = 18.45 %: rounded half up on the exact decimals
    assert shares(b) == (2024, 2000.0, 43.5, 18.5, 50.0)
    assert targets(b) == [("egalim", 50.0, 43.5, False), ("bio", 20.0, 18.5, False),
                          ("meat_and_fish", 60.0, 50.0, False)]

    r = ok(client, f"/egalim/restaurants/{R}.json")["summary"]
    # La Réunion: 20 % and 5 %, no meat-and-fish target; 50 / 1 000 is exactly 5 %: met
    assert (r["territory"]["name"], r["departement"]) == ("La Réunion", "974")
    assert targets(r) == [("egalim", 20.0, 25.0, True), ("bio", 5.0, 5.0, True)]
    assert r["all_met"] is True

    u = ok(client, f"/egalim/restaurants/{U}.json")
    assert (u["name"], u["groupe"], u["summary"]["departement"]) == (None, None, None)
    assert u["summary"]["territory"] == {"name": "Métropole", "status": UNKNOWN, "note": TERRITORY_NOTES[UNKNOWN],
                                         "state_restaurant": False}
    # no meat or fish bought: that target cannot be judged; the others are missed
    assert targets(u["summary"]) == [("egalim", 50.0, 0.0, False), ("bio", 20.0, 0.0, False),
                                     ("meat_and_fish", 60.0, None, None)]
    assert u["summary"]["all_met"] is False


def test_dashboard_csv_has_one_row_per_restaurant(client: TestClient) -> None:
    response = client.get("/egalim.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert 'filename="egalim.csv"' in response.headers["content-disposition"]
    rows = csv_rows(response.text)
    assert tuple(rows[0]) == RESTAURANT_COLUMNS == (
        "siret", "nom", "groupe", "annee", "total_ht", "part_egalim", "part_bio", "part_viandes_poissons",
        "part_france", "part_local", "part_circuit_court", "objectifs_atteints")
    assert rows[1:] == [
        [A, "Lycée de Cornouaille", GROUP, "2024", "1000.00", "70.0", "30.0", "100.0", "70.0", "40.0", "30.0", "true"],
        [B, "Lycée Chaptal", GROUP, "2024", "2000.00", "43.5", "18.5", "50.0", "43.5", "0.0", "0.0", "false"],
        [R, "Lycée Leconte de Lisle", REUNION, "2024", "1000.00", "25.0", "5.0", "0.0", "0.0", "0.0", "0.0", "true"],
        [U, "", "", "2024", "1000.00", "0.0", "0.0", "", "0.0", "0.0", "0.0", "false"],
    ]
    assert [row[0] for row in csv_rows(ok(client, "/egalim.csv", groupe=GROUP))[1:]] == [A, B]
    assert [row[:4] for row in csv_rows(ok(client, "/egalim.csv", annee="2023"))[1:]] == [
        [R, "Lycée Leconte de Lisle", REUNION, "2023"], [A, "Lycée de Cornouaille", GROUP, "2023"]]


def test_dashboard_html_in_french(client: TestClient) -> None:
    html = ok(client, "/egalim", groupe=GROUP)
    assert "<h1>Egalim : qualité des repas en restauration collective</h1>" in html
    assert f'<option value="{GROUP}" selected>{GROUP}</option>' in html
    assert '<option value="2024" selected>2024</option>' in html
    assert f"Objectifs et réalisé — {GROUP}, 2024" in html
    # 52.3 % in French: decimal comma, narrow no-break space before %
    assert f"<td>52,3{PERCENT}</td>" in html and f"<td>64,3{PERCENT}</td>" in html
    assert f"<strong>3{NARROW}000,00&#8239;€</strong>" in html
    assert f'<a href="/egalim/restaurants/{A}?annee=2024">Lycée de Cornouaille</a>' in html
    assert f'<a href="/egalim/restaurants/{R}?annee=2024">' not in html  # another group
    assert html.count('<span class="status status-met">atteint</span>') >= 3
    assert "Par restaurant (2)" in html and 'id="chart-egalim-targets"' in html

    whole = ok(client, "/egalim")
    assert f"<td>36,4{PERCENT}</td>" in whole
    assert f"Note : {TERRITORY_NOTES[MIXED]}" in whole
    assert f'<a href="/egalim/restaurants/{U}?annee=2024">{U}</a>' in whole  # no name: its SIRET
    assert "Par restaurant (4)" in whole
    for chart_id in ("egalim-targets", "egalim-families", "egalim-trend-egalim", "egalim-trend-bio"):
        assert f'id="chart-{chart_id}"' in whole


def test_dashboard_html_in_english(client: TestClient) -> None:
    html = ok(client, "/egalim", lang="en")
    assert '<html lang="en">' in html
    assert "<h1>Egalim: food quality in collective catering</h1>" in html
    for heading in ("Targets and actual — All restaurants, 2024", "By product family", "Trend", "By restaurant — 2024"):
        assert heading in html
    assert f"<td>36.4{PERCENT}</td>" in html and "<strong>5,000.00&#8239;€</strong>" in html
    # the territory and its note in English too
    assert "(Territory of the targets : Mainland France)" in html
    assert "Note : Restaurants in different (or unknown) territories: mainland targets." in html
    assert TERRITORY_NOTES[MIXED] not in html
    assert "Objectifs et réalisé" not in html
    # families and categories in English, in the tables and the family chart; French on the French page
    for english, french in (("Meat and poultry", "Viandes et volailles"), ("Dairy products", "Produits laitiers"),
                            ("Organic or in conversion", "Bio ou en conversion"), ("Not Egalim", "Hors Egalim")):
        assert f'<th scope="row">{english}</th>' in html and french not in html
    chart = html.split('id="chart-egalim-families"')[1].split("</figure>")[0]
    assert "Meat and poultry" in chart
    french_page = ok(client, "/egalim", lang="fr")
    assert '<th scope="row">Viandes et volailles</th>' in french_page and "Meat and poultry" not in french_page


# -- a restaurant's page -----------------------------------------------------------------------------------------


def test_restaurant_page_and_twins(client: TestClient) -> None:
    html = ok(client, f"/egalim/restaurants/{A}")
    assert "<h1>Lycée de Cornouaille</h1>" in html
    assert f'SIRET : {A} · Groupe de restaurants : <a href="/egalim?groupe=Lyc%C3%A9es%20du%20Finist%C3%A8re">' in html
    assert '<a href="?annee=2024" aria-current="true">2024</a>' in html and '<a href="?annee=2023" >2023</a>' in html
    assert f"<td>70,0{PERCENT}</td>" in html and "Objectifs et réalisé — 2024" in html
    assert 'id="chart-restaurant-trend-egalim"' in html

    data = ok(client, f"/egalim/restaurants/{A}.json", annee="2023")
    assert (data["siret"], data["name"], data["groupe"], data["annee"], data["years"], data["current"]) == (
        A, "Lycée de Cornouaille", GROUP, 2023, [2023, 2024], True)
    assert shares(data["summary"]) == (2023, 1000.0, 60.0, 0.0, 100.0)
    assert [shares(t) for t in data["trend"]] == [(2023, 1000.0, 60.0, 0.0, 100.0), (2024, 1000.0, 70.0, 30.0, 100.0)]

    rows = csv_rows(ok(client, f"/egalim/restaurants/{A}.csv"))
    assert tuple(rows[0]) == RESTAURANT_COLUMNS
    assert rows[1:] == [
        [A, "Lycée de Cornouaille", GROUP, "2023", "1000.00", "60.0", "0.0", "100.0", "60.0", "0.0", "0.0", "false"],
        [A, "Lycée de Cornouaille", GROUP, "2024", "1000.00", "70.0", "30.0", "100.0", "70.0", "40.0", "30.0", "true"],
    ]

    unknown = ok(client, f"/egalim/restaurants/{U}")
    assert f"<h1>{U}</h1>" in unknown and f"Note : {TERRITORY_NOTES[UNKNOWN]}" in unknown
    english = ok(client, f"/egalim/restaurants/{U}", lang="en")
    assert "Note : Territory unknown (restaurant missing from the registry or without a département): mainland " \
           "targets." in english
    assert "Egalim share of meat and fish" in english


def test_a_siret_with_spaces_is_the_same_restaurant(client: TestClient) -> None:
    assert ok(client, "/egalim/restaurants/192 900 124 00012.json")["siret"] == A
    assert ok(client, "/egalim/restaurants/192%20900%20983%2000029.json")["siret"] == B
    assert "<h1>Lycée de Cornouaille</h1>" in ok(client, "/egalim/restaurants/192 900 124 00012")


@pytest.mark.parametrize(("url", "status", "words"), [
    (f"/egalim/restaurants/{NOBODY}", 404, NOBODY),
    (f"/egalim/restaurants/{NOBODY}.json", 404, NOBODY),
    ("/egalim/restaurants/abc.json", 404, "is not a SIRET"),
    ("/egalim/restaurants/1929001240001.json", 404, "is not a SIRET"),  # 13 digits
    (f"/egalim/restaurants/{B}.json?annee=2023", 404, "annee: no purchase in 2023"),
    (f"/egalim/restaurants/{B}?annee=2023", 404, "annee: no purchase in 2023"),
    (f"/egalim/restaurants/{A}.json?annee=abc", 400, "annee: 'abc' is not a whole number"),
    (f"/egalim/restaurants/{A}?annee=abc", 400, "annee: &#39;abc&#39; is not a whole number"),
    ("/egalim.json?annee=abc", 400, "annee: 'abc' is not a whole number"),
    ("/egalim.json?annee=2022", 404, "annee: no purchase in 2022"),
    ("/egalim.json?groupe=unknown", 404, "no group of restaurants named 'unknown'"),
    ("/egalim?groupe=unknown", 404, "no group of restaurants named &#39;unknown&#39;"),
    ("/egalim.csv?groupe=unknown", 404, "unknown"),
])
def test_errors_name_what_is_wrong(client: TestClient, url: str, status: int, words: str) -> None:
    response = client.get(url)
    assert response.status_code == status, response.text[:300]
    assert words in response.text


# -- the API -------------------------------------------------------------------------------------------------------


def test_api_summaries_per_scope(client: TestClient) -> None:
    whole = ok(client, "/api/v1/egalim/summaries")
    assert whole["current"] is True and whole["computed_at"]
    assert [(s["scope"], s["scope_id"], s["year"]) for s in whole["summaries"]] == [
        ("ensemble", "", 2023), ("ensemble", "", 2024)]
    assert whole["summaries"][1] == ok(client, "/egalim.json")["summary"]  # as in the JSON twin

    group = ok(client, "/api/v1/egalim/summaries", scope="groupe", scope_id=GROUP, year="2024")["summaries"]
    assert [shares(s) for s in group] == [(2024, 3000.0, 52.3, 22.3, 64.3)]
    groups = ok(client, "/api/v1/egalim/summaries", scope="groupe")["summaries"]
    assert sorted((s["scope_id"], s["year"]) for s in groups) == [
        (REUNION, 2023), (REUNION, 2024), (GROUP, 2023), (GROUP, 2024)]

    restaurant = ok(client, "/api/v1/egalim/summaries", scope="restaurant", scope_id=R)["summaries"]
    assert [(s["year"], s["name"], s["egalim"]["rounded"]) for s in restaurant] == [
        (2023, "Lycée Leconte de Lisle", 100.0), (2024, "Lycée Leconte de Lisle", 25.0)]
    spaced = ok(client, "/api/v1/egalim/summaries", scope="restaurant", scope_id="192 900 124 00012")["summaries"]
    assert [s["scope_id"] for s in spaced] == [A, A]
    of_2024 = ok(client, "/api/v1/egalim/summaries", scope="restaurant", year="2024")["summaries"]
    assert sorted(s["scope_id"] for s in of_2024) == sorted([A, B, R, U])
    # the ensemble has one id: a scope_id given with it is ignored
    assert len(ok(client, "/api/v1/egalim/summaries", scope="ensemble", scope_id="x")["summaries"]) == 2
    assert ok(client, "/api/v1/egalim/summaries", scope="restaurant", scope_id=NOBODY)["summaries"] == []


@pytest.mark.parametrize(("query", "words"), [
    ("scope=commune", "scope: choose among restaurant, groupe, ensemble, got 'commune'"),
    ("year=abc", "year"),
])
def test_api_refuses_a_bad_scope_or_year(client: TestClient, query: str, words: str) -> None:
    response = client.get(f"/api/v1/egalim/summaries?{query}")
    assert response.status_code == 400
    assert words in response.json()["error"] and response.json()["status"] == 400


def test_api_is_in_openapi(client: TestClient) -> None:
    operation = ok(client, "/openapi.json")["paths"]["/api/v1/egalim/summaries"]["get"]
    assert operation["tags"] == ["egalim"]
    assert {p["name"] for p in operation["parameters"]} == {"scope", "scope_id", "year"}


# -- the observatory home ----------------------------------------------------------------------------------------


def test_home_without_warehouse_shows_the_egalim_block(client: TestClient) -> None:
    html = ok(client, "/")
    assert "Aucune donnée pour l&#39;instant" in html  # no DECP warehouse
    assert "Egalim en restauration collective — 2024" in html
    assert f"<strong>36,4{PERCENT}</strong> Part Egalim (durable et de qualité) (Objectif 50{PERCENT})" in html
    assert f"<strong>41,9{PERCENT}</strong> Part Egalim des viandes et poissons" in html
    assert f"4 restaurants · 5{NARROW}000&#8239;€ HT" in html and '<a href="/egalim">' in html
    egalim = ok(client, "/index.json")["egalim"]
    assert egalim == ok(client, "/egalim.json")["summary"]  # the whole's latest year
    assert ok(client, "/", lang="en").count("Egalim in collective catering — 2024") == 1


def test_home_with_warehouse_shows_both(decp_site: Settings, tmp_path: Path) -> None:
    settings = copy_site(decp_site, tmp_path / "site")
    build_store(settings, tmp_path)
    with TestClient(create_app(settings)) as client:
        html = ok(client, "/")
        assert 'id="trends-title"' in html and "Egalim en restauration collective — 2024" in html
        data = ok(client, "/index.json")
        assert data["empty"] is False and data["rows"]
        assert shares(data["egalim"]) == (2024, 5000.0, 36.4, 14.4, 41.9)


def test_home_without_purchases_has_no_egalim_block(decp_site: Settings, fresh: Settings, tmp_path: Path) -> None:
    settings = copy_site(decp_site, tmp_path / "site")
    (tmp_path / "restaurants.csv").write_text(REGISTRY, encoding="utf-8")
    EgalimStore.of(settings).load_restaurants(tmp_path / "restaurants.csv")  # a registry, no purchase
    for site in (settings, fresh):
        with TestClient(create_app(site)) as client:
            assert "Egalim en restauration collective" not in ok(client, "/")
            assert ok(client, "/index.json")["egalim"] is None


# -- no purchase, stale and fresh results ------------------------------------------------------------------------


def test_empty_store(fresh: Settings) -> None:
    with TestClient(create_app(fresh)) as client:
        html = ok(client, "/egalim")
        assert "Aucun achat de restauration collective importé pour l&#39;instant" in html
        assert '<select id="groupe"' not in html
        assert ok(client, "/egalim.json") == {"empty": True}
        assert csv_rows(ok(client, "/egalim.csv")) == [list(RESTAURANT_COLUMNS)]
        assert ok(client, "/api/v1/egalim/summaries") == {"current": True, "computed_at": None, "summaries": []}
        assert client.get(f"/egalim/restaurants/{A}").status_code == 404
        assert "No catering purchase imported yet" in ok(client, "/egalim", lang="en")


def test_results_are_computed_once_when_never_published(fresh: Settings, tmp_path: Path) -> None:
    store = build_store(fresh, tmp_path, refresh=False)
    assert not (published.results_dir(store) / FILE_NAME).exists()
    with TestClient(create_app(fresh)) as client:
        data = ok(client, "/egalim.json")
        assert data["current"] is True and shares(data["summary"]) == (2024, 5000.0, 36.4, 14.4, 41.9)
    assert (published.results_dir(store) / FILE_NAME).exists()


def test_stale_results_say_so_until_refreshed(fresh: Settings, tmp_path: Path) -> None:
    store = build_store(fresh, tmp_path)
    with TestClient(create_app(fresh)) as client:
        before = client.get("/egalim.json")
        page_before = client.get("/egalim")
        assert "Résultats en cours de recalcul" not in page_before.text

        import_more(store, tmp_path)  # no refresh yet: the last results, said to be stale
        stale = client.get("/egalim.json")
        assert stale.json()["current"] is False
        assert shares(stale.json()["summary"]) == (2024, 5000.0, 36.4, 14.4, 41.9)
        html = ok(client, "/egalim")
        assert '<p class="note" role="status">Résultats en cours de recalcul après un import.</p>' in html
        assert ok(client, f"/egalim/restaurants/{U}.json")["current"] is False
        assert "Résultats en cours de recalcul" in ok(client, f"/egalim/restaurants/{U}")
        assert ok(client, "/api/v1/egalim/summaries")["current"] is False
        # another page, another ETag: a client holding the current page's must not be told it is unchanged
        assert stale.headers["etag"] != before.headers["etag"]
        assert client.get("/egalim.json", headers={"If-None-Match": before.headers["etag"]}).status_code == 200
        assert client.get("/egalim", headers={"If-None-Match": page_before.headers["etag"]}).status_code == 200

        assert published.refresh(store)
        fresh_data = ok(client, "/egalim.json")
        assert fresh_data["current"] is True
        # U's 1 000 € of bio: 2 819 / 6 000 = 46.98 → 47.0 %, 1 719 / 6 000 = 28.65 → 28.7 % (half up)
        assert shares(fresh_data["summary"]) == (2024, 6000.0, 47.0, 28.7, 41.9)
        assert "Résultats en cours de recalcul" not in ok(client, "/egalim")


def test_conditional_requests_without_warehouse(client: TestClient) -> None:
    for url in ("/egalim", "/egalim.json", f"/egalim/restaurants/{A}", f"/egalim/restaurants/{A}.json"):
        first = client.get(url)
        etag = first.headers["etag"]
        assert etag.startswith('"egalim-')
        assert client.get(url, headers={"If-None-Match": etag}).status_code == 304, url
        assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200, url
    # the HTML page's ETag names its language
    assert client.get("/egalim", params={"lang": "en"}).headers["etag"].endswith('-en"')


def test_new_imports_show_through_the_response_cache(decp_site: Settings, tmp_path: Path) -> None:
    """With a warehouse, pages are cached per snapshot: an import (and its refresh) must show at once."""
    settings = copy_site(decp_site, tmp_path / "site")
    store = build_store(settings, tmp_path)
    with TestClient(create_app(settings)) as client:
        urls = ("/egalim.json", "/egalim", "/index.json", "/", f"/egalim/restaurants/{U}.json")
        before = {url: client.get(url) for url in urls}
        for url, response in before.items():  # cached now; a conditional request is answered 304
            assert client.get(url).content == response.content, url
            assert client.get(url, headers={"If-None-Match": response.headers["etag"]}).status_code == 304, url
        assert shares(before["/index.json"].json()["egalim"]) == (2024, 5000.0, 36.4, 14.4, 41.9)

        import_more(store, tmp_path)
        assert published.refresh(store)
        after = {url: client.get(url) for url in urls}
        for url in urls:
            assert after[url].status_code == 200, url
            assert after[url].headers["etag"] != before[url].headers["etag"], url
            again = client.get(url, headers={"If-None-Match": before[url].headers["etag"]})
            assert again.status_code == 200, url
        assert shares(after["/egalim.json"].json()["summary"]) == (2024, 6000.0, 47.0, 28.7, 41.9)
        assert shares(after["/index.json"].json()["egalim"]) == (2024, 6000.0, 47.0, 28.7, 41.9)
        assert f"<strong>47,0{PERCENT}</strong>" in after["/"].text
        assert f"<td>47,0{PERCENT}</td>" in after["/egalim"].text
        assert after[f"/egalim/restaurants/{U}.json"].json()["summary"]["bio"]["rounded"] == 50.0  # 1 000 of 2 000


def test_cached_pages_tell_stale_results(decp_site: Settings, tmp_path: Path) -> None:
    settings = copy_site(decp_site, tmp_path / "site")
    store = build_store(settings, tmp_path)
    with TestClient(create_app(settings)) as client:
        assert ok(client, "/egalim.json")["current"] is True  # now cached
        import_more(store, tmp_path)
        assert ok(client, "/egalim.json")["current"] is False


def test_home_etag_changes_with_any_egalim_figure(decp_site: Settings, tmp_path: Path) -> None:
    settings = copy_site(decp_site, tmp_path / "site")
    store = build_store(settings, tmp_path)
    with TestClient(create_app(settings)) as client:
        before = client.get("/index.json")
        # the same purchases, but U's 1 000 € are bio: same year, total and lines, bio 1 719 / 5 000 = 34.4 %
        store.remove_import(store.imports()[0].id)
        import_more(store, tmp_path, [(*row[:6], "BIO", *row[7:]) if row[0] == U else row for row in PURCHASES])
        assert published.refresh(store)
        after = client.get("/index.json")
        assert after.json()["egalim"]["bio"]["rounded"] == 34.4
        assert client.get("/index.json", headers={"If-None-Match": before.headers["etag"]}).status_code == 200
