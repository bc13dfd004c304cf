"""The observatory's pages, their JSON/CSV twins and the API, over one small hand-built warehouse.

Each JSON twin is compared with the service it shows (queries, ``read_results``); each filter of the explorer
with the contracts it must keep, named by hand; errors with the field they name.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from fastapi.testclient import TestClient
from httpx2 import Response

from spaser.config import Settings
from spaser.indicators.catalogue import catalogue
from spaser.indicators.output import FIELDS
from spaser.indicators.published import read_results
from spaser.warehouse import queries, snapshot
from spaser.web.app import create_app
from spaser.web.pages import DASHBOARD, RESULT_FIELDS
from spaser.web.render import jsonable
from tests.integration.indicators.build import BUYER, BUYER_2, BUYER_3, NO_PUBLICITY, SUPPLIER, siren, warehouse
from tests.integration.web.sample import (
    SEARCH_IDS,
    SEARCH_WORD,
    SUPPLIER_2,
    SUPPLIER_3,
    TARGETS,
    build_site,
    copy_site,
    ingest_more,
    mark_demo,
)

ALL_IDS = {f"W{n:02d}" for n in range(21)} | {"K01"}
#: Every page, with the placeholders {key} (a contract with modifications), {buyer}, {supplier}.
PAGES = ("/", "/indicateurs", "/indicateurs/single_bid", "/indicateurs/single_bid?mesure=value", "/contrats",
         "/contrats?annee=2023&sort=montant", "/contrats/{key}", "/acheteurs/{buyer}", "/titulaires/{supplier}",
         "/qualite", "/donnees", "/methodologie", "/statut", f"/?acheteur={BUYER}&annee=2023")
JSON_TWINS = ("/index.json", "/indicateurs.json", "/indicateurs/single_bid.json", "/contrats.json",
              "/contrats/{key}.json", "/acheteurs/{buyer}.json", "/titulaires/{supplier}.json", "/qualite.json",
              "/donnees.json", "/methodologie.json", "/statut.json")
#: Responses that depend only on the warehouse: they carry the snapshot's ETag.
CACHED = ("/", "/index.json", "/index.csv", "/indicateurs/single_bid", "/indicateurs/single_bid.json",
          "/indicateurs/single_bid.csv", "/contrats", "/contrats.json", "/contrats.csv", "/contrats/{key}",
          "/contrats/{key}.json", "/acheteurs/{buyer}", "/acheteurs/{buyer}.json", "/acheteurs/{buyer}.csv",
          "/titulaires/{supplier}", "/qualite", "/qualite.json", "/qualite.csv", "/statut.json",
          "/api/v1/indicators", "/api/v1/indicators.csv", "/api/v1/contracts", "/api/v1/contracts/{key}")
DEMO = "Données de démonstration"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return build_site(tmp_path_factory.mktemp("site"))


@pytest.fixture(scope="module")
def client(site: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(site)) as test_client:
        yield test_client


@pytest.fixture(autouse=True)
def _no_language_cookie(client: TestClient) -> None:
    """Each test starts as a new French visitor, whatever an earlier test chose with ?lang=."""
    client.cookies.clear()


@pytest.fixture
def con(site: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    with warehouse(site) as connection:
        yield connection


@pytest.fixture(scope="module")
def keys(site: Settings) -> dict[str, str]:
    """contract_key by the fixture's contract id."""
    with warehouse(site) as connection:
        return dict(connection.execute("SELECT id, contract_key FROM contracts").fetchall())  # type: ignore[arg-type]


def url(template: str, keys: dict[str, str]) -> str:
    return template.format(key=keys["W10"], buyer=BUYER, supplier=SUPPLIER_2)


def as_json(value: Any) -> Any:
    """What a value becomes once sent as JSON."""
    return json.loads(json.dumps(jsonable(value)))


def rows_of(response: Response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


def header_of(response: Response) -> list[str]:
    return next(csv.reader(io.StringIO(response.text)))


def ids_of(client: TestClient, query: str) -> list[str]:
    response = client.get(f"/contrats.json?{query}")
    assert response.status_code == 200, response.text
    result = response.json()["result"]
    assert result["total"] == len(result["rows"])
    return [row["id"] for row in result["rows"]]


# --- every page: HTML (fr, en) and JSON twins ----------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_every_page_answers_in_french(client: TestClient, keys: dict[str, str], page: str) -> None:
    response = client.get(url(page, keys))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert '<html lang="fr">' in html
    assert len(re.findall(r"<h1[\s>]", html)) == 1
    assert '<main id="contenu"' in html
    assert 'href="#contenu"' in html
    assert "Tableau de bord" in html and DEMO not in html


@pytest.mark.parametrize("page", PAGES)
def test_every_page_answers_in_english(site: Settings, keys: dict[str, str], page: str) -> None:
    with TestClient(create_app(site)) as fresh:
        target = url(page, keys)
        response = fresh.get(target + ("&" if "?" in target else "?") + "lang=en")
        assert response.status_code == 200, response.text
        assert '<html lang="en">' in response.text and "Dashboard" in response.text
        assert len(re.findall(r"<h1[\s>]", response.text)) == 1
        assert response.cookies.get("lang") == "en"
        # the cookie keeps the choice on the next page
        again = fresh.get(target)
        assert '<html lang="en">' in again.text


def test_accept_language_chooses_english_and_a_cookie_wins(client: TestClient) -> None:
    assert '<html lang="en">' in client.get("/methodologie", headers={"Accept-Language": "en-GB,en;q=0.8"}).text
    assert '<html lang="fr">' in client.get("/methodologie", headers={"Accept-Language": "de, fr;q=0.5"}).text
    assert '<html lang="fr">' in client.get("/methodologie", headers={"Accept-Language": "en",
                                                                         "Cookie": "lang=fr"}).text


@pytest.mark.parametrize("twin", JSON_TWINS)
def test_every_json_twin_answers(client: TestClient, keys: dict[str, str], twin: str) -> None:
    response = client.get(url(twin, keys))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert isinstance(response.json(), dict)


def test_html_lists_twins_and_links_back(client: TestClient) -> None:
    html = client.get("/contrats?annee=2024").text
    assert 'href="/contrats.json?annee=2024"' in html and 'href="/contrats.csv?annee=2024"' in html


# --- JSON twins equal the services ---------------------------------------------------------------------------------


def test_indicator_twin_equals_read_results(client: TestClient, site: Settings,
                                            con: duckdb.DuckDBPyConnection) -> None:
    targets = site.data_dir / "targets"
    data = client.get("/indicateurs/single_bid.json").json()
    expected = read_results(con, targets, indicator="single_bid", scope=["all"])
    assert data["by_year"] == as_json([r.to_json() for r in expected])
    assert {r["year"] for r in data["by_year"]} == {2022, 2023, 2024, None}
    assert data["latest"] == 2024 and data["mesure"] == "count"
    for scope, rows in data["breakdowns"].items():
        assert rows == as_json([r.to_json() for r in read_results(
            con, targets, indicator="single_bid", measure="count", scope=[scope], year=2024, limit=20,
            order_by_value=True)]), scope
    value = client.get("/indicateurs/single_bid.json?mesure=value").json()
    assert {r["measure"] for rows in value["breakdowns"].values() for r in rows} == {"value"}


def test_dashboard_twin_equals_read_results(client: TestClient, site: Settings,
                                            con: duckdb.DuckDBPyConnection) -> None:
    targets = site.data_dir / "targets"
    data = client.get("/index.json").json()
    assert data["annee"] == 2024 and data["years"] == [2022, 2023, 2024]
    expected = [r for r in read_results(con, targets, scope=["all"], measure="count", year=2024)
                if r.id in DASHBOARD]
    expected.sort(key=lambda r: DASHBOARD.index(r.id))
    assert data["rows"] == as_json([r.to_json() for r in expected])
    mine = client.get(f"/index.json?acheteur={BUYER}&annee=2023").json()
    assert mine["rows"] and {(r["scope"], r["scope_id"], r["year"]) for r in mine["rows"]} == {
        ("buyer", BUYER, 2023)}
    single = next(r for r in mine["rows"] if r["id"] == "single_bid")
    assert (single["target"], single["target_year"]) == TARGETS["single_bid"]


def test_contracts_twin_total_equals_a_count(client: TestClient, con: duckdb.DuckDBPyConnection) -> None:
    row = con.execute("SELECT count(*) FROM contracts WHERE year(date_notification) = 2024").fetchone()
    assert row is not None
    data = client.get("/contrats.json?annee=2024").json()
    assert data["result"]["total"] == row[0] == 9
    assert data["filters"]["annee"] == 2024
    everything = client.get("/contrats.json").json()["result"]
    assert everything["total"] == len(ALL_IDS)
    assert everything["rows"] == as_json(queries.list_contracts(con, queries.ContractFilters()).rows)


def test_detail_twins_equal_the_queries(client: TestClient, keys: dict[str, str],
                                        con: duckdb.DuckDBPyConnection) -> None:
    detail = client.get(f"/contrats/{keys['W10']}.json").json()["contract"]
    assert detail == as_json(queries.contract_detail(con, keys["W10"]))
    assert len(detail["modifications"]) == 2
    assert client.get(f"/api/v1/contracts/{keys['W10']}").json() == detail
    assert client.get(f"/acheteurs/{BUYER}.json").json()["buyer"] == as_json(queries.buyer_summary(con, BUYER))
    assert client.get(f"/titulaires/{SUPPLIER_2}.json").json()["supplier"] == as_json(
        queries.supplier_summary(con, SUPPLIER_2))
    assert client.get("/qualite.json").json()["quality"] == as_json(queries.quality_overview(con))
    assert client.get("/statut.json").json()["status"] == as_json(queries.warehouse_status(con))
    assert [i["id"] for i in client.get("/indicateurs.json").json()["indicators"]] == [i.id for i in catalogue()]


def test_buyer_twin_has_its_years_and_targets(client: TestClient) -> None:
    data = client.get(f"/acheteurs/{BUYER}.json").json()
    assert data["buyer"]["contracts"] == 7
    assert [y["year"] for y in data["buyer"]["by_year"]] == [2022, 2023, 2024]
    single = next(r for r in data["results"] if r["id"] == "single_bid")
    assert (single["scope_id"], single["year"], single["target"]) == (BUYER, 2024, TARGETS["single_bid"][0])


def test_supplier_by_siren_counts_contracts_in_force(client: TestClient) -> None:
    """W10 was awarded to SUPPLIER_3 and transferred to SUPPLIER_2 by a modification."""
    assert client.get(f"/titulaires/{siren(SUPPLIER_3)}.json").json()["supplier"]["contracts"] == 5
    assert client.get(f"/titulaires/{SUPPLIER_2}.json").json()["supplier"]["contracts"] == 6


# --- CSV twins -----------------------------------------------------------------------------------------------------


def test_csv_twins_have_their_header_and_rows(client: TestClient, site: Settings,
                                              con: duckdb.DuckDBPyConnection) -> None:
    targets = site.data_dir / "targets"
    dashboard = client.get("/index.csv")
    assert header_of(dashboard) == list(RESULT_FIELDS)
    assert len(rows_of(dashboard)) == len(client.get("/index.json").json()["rows"]) > 0
    listing = client.get("/indicateurs.csv")
    assert header_of(listing) == ["id", "label_fr", "label_en", "unit", "source", "better"]
    assert [r["id"] for r in rows_of(listing)] == [i.id for i in catalogue()]
    one = client.get("/indicateurs/single_bid.csv")
    assert header_of(one) == list(RESULT_FIELDS)
    assert len(rows_of(one)) == len(read_results(con, targets, indicator="single_bid"))
    assert one.headers["content-disposition"] == 'attachment; filename="single_bid.csv"'
    buyer = client.get(f"/acheteurs/{BUYER}.csv")
    assert header_of(buyer) == ["year", "contracts", "montant"]
    assert [(r["year"], r["contracts"]) for r in rows_of(buyer)] == [("2022", "2"), ("2023", "2"), ("2024", "3")]
    quality = client.get("/qualite.csv")
    assert header_of(quality) == ["flag", "contracts"]
    assert {r["flag"] for r in rows_of(quality)} >= {"montant:texte", "cpv:zero_manquant",
                                                     "dateNotification:manquant"}
    api = client.get("/api/v1/indicators.csv?indicator=single_bid")
    assert header_of(api) == list(FIELDS)
    assert len(rows_of(api)) == len(read_results(con, targets, indicator="single_bid", scope=["all"]))


@pytest.mark.parametrize("query", ["", "annee=2024", f"acheteur={BUYER_2}&annee=2024", "cpv=9091&sort=montant",
                                   "consideration=environnementale", "flag=montant", f"q={SEARCH_WORD}"])
def test_contracts_csv_is_the_filtered_set(client: TestClient, query: str) -> None:
    export = client.get(f"/contrats.csv?{query}")
    assert header_of(export) == list(queries.LIST_COLUMNS)
    rows = rows_of(export)
    page = client.get(f"/contrats.json?{query}").json()["result"]
    assert len(rows) == page["total"]
    assert [r["id"] for r in rows] == [r["id"] for r in page["rows"]]


def test_csv_twin_of_a_page_without_table_is_not_found(client: TestClient, keys: dict[str, str]) -> None:
    assert client.get("/statut.csv").status_code == 404
    assert client.get(f"/titulaires/{SUPPLIER}.csv").status_code == 404


# --- ETag and conditional requests ---------------------------------------------------------------------------------


@pytest.mark.parametrize("target", CACHED)
def test_etag_and_not_modified(client: TestClient, keys: dict[str, str], target: str) -> None:
    address = url(target, keys)
    first = client.get(address)
    assert first.status_code == 200, first.text
    etag = first.headers.get("etag")
    assert etag, f"{address} has no ETag"
    again = client.get(address, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    assert client.get(address, headers={"If-None-Match": 'W/"other"'}).status_code == 200


def test_html_etag_depends_on_the_language(client: TestClient) -> None:
    """Regression: the French and English pages at the same address (the language chosen by the cookie) had the
    same ETag, so a browser that switched to English got a 304 for its cached French page."""
    french = client.get("/contrats", headers={"Cookie": "lang=fr"})
    english = client.get("/contrats", headers={"Cookie": "lang=en"})
    assert french.headers["etag"] != english.headers["etag"]
    revalidated = client.get("/contrats", headers={"Cookie": "lang=en", "If-None-Match": french.headers["etag"]})
    assert revalidated.status_code == 200 and '<html lang="en">' in revalidated.text
    assert "cookie" in french.headers["vary"].lower() and "accept-language" in french.headers["vary"].lower()
    assert client.get("/contrats", headers={"Cookie": "lang=en",
                                            "If-None-Match": english.headers["etag"]}).status_code == 304
    # the JSON twin does not depend on the language
    assert client.get("/contrats.json", headers={"Cookie": "lang=en"}).headers["etag"] == client.get(
        "/contrats.json", headers={"Cookie": "lang=fr"}).headers["etag"]


def test_a_new_ingestion_changes_the_etag(site: Settings, tmp_path: Path) -> None:
    mine = copy_site(site, tmp_path)
    with TestClient(create_app(mine)) as fresh:
        before = {page: fresh.get(page).headers["etag"] for page in ("/contrats.json", "/api/v1/indicators", "/")}
        assert fresh.get("/contrats.json").json()["result"]["total"] == len(ALL_IDS)
        ingest_more(mine, tmp_path)
        for page, etag in before.items():
            after = fresh.get(page, headers={"If-None-Match": etag})
            assert after.status_code == 200, page
            assert after.headers["etag"] != etag, page
        assert fresh.get("/contrats.json").json()["result"]["total"] == len(ALL_IDS) + 1


# --- not found and bad input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("address", ["/indicateurs/nope", "/contrats/nope", "/acheteurs/00000000000000",
                                     "/titulaires/00000000000000", "/no-such-page"])
def test_unknown_objects_are_404_html(client: TestClient, address: str) -> None:
    response = client.get(address)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert '<html lang="fr">' in response.text and len(re.findall(r"<h1[\s>]", response.text)) == 1
    assert "Page introuvable" in response.text
    assert "Page not found" in client.get(address + "?lang=en").text


@pytest.mark.parametrize("address", ["/indicateurs/nope.json", "/contrats/nope.json", "/acheteurs/00000000000000.json",
                                     "/titulaires/00000000000000.json", "/api/v1/contracts/nope",
                                     "/api/v1/no-such-endpoint", "/indicateurs/nope.csv"])
def test_unknown_objects_are_404_json(client: TestClient, address: str) -> None:
    response = client.get(address)
    assert response.status_code == 404
    if address.endswith(".csv"):
        return
    body = response.json()
    assert body["status"] == 404 and isinstance(body["error"], str) and body["error"]


def _cursor(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


BAD = [
    ("/contrats?sort=nope", "sort"),
    ("/contrats.json?sort=nope", "sort"),
    ("/contrats.csv?sort=nope", "sort"),
    ("/contrats?cpv=abc", "cpv"),
    ("/contrats.json?cpv=abc", "cpv"),
    ("/contrats.json?montant_min=500&montant_max=100", "montant_min"),
    ("/contrats?montant_min=500&montant_max=100", "montant_min"),
    ("/contrats.json?consideration=nope", "consideration"),
    ("/contrats.json?annee=1700", "annee"),
    ("/indicateurs/single_bid?mesure=nope", "mesure"),
    ("/indicateurs/single_bid.json?mesure=nope", "mesure"),
    ("/api/v1/contracts?cursor=garbage", "cursor"),
    ("/api/v1/contracts?cursor=" + _cursor({"d": "not a date", "k": "x"}), "cursor"),
    ("/api/v1/contracts?cursor=" + _cursor({"d": None, "k": ["x"]}), "cursor"),
    ("/api/v1/contracts?cursor=" + _cursor({"d": 20240101, "k": "x"}), "cursor"),
    ("/api/v1/contracts?year=1700", "annee"),
    ("/api/v1/indicators?scope=nope", "scope"),
    ("/api/v1/indicators.csv?scope=nope", "scope"),
    ("/api/v1/indicators?measure=nope", "measure"),
    ("/api/v1/indicators?indicator=nope", "indicator"),
]


@pytest.mark.parametrize(("address", "field"), BAD)
def test_bad_values_are_400_naming_the_field(client: TestClient, address: str, field: str) -> None:
    response = client.get(address)
    assert response.status_code == 400, response.text
    if response.headers["content-type"].startswith("application/json"):
        body = response.json()
        assert body["status"] == 400 and field in body["error"], body
    else:
        assert response.headers["content-type"].startswith("text/html")
        message = re.search(r'<p class="error-message">(.*?)</p>', response.text, re.S)
        assert message and field in message.group(1), response.text


# --- the explorer's filters ----------------------------------------------------------------------------------------

FILTERS = [
    (f"q={SEARCH_WORD}", SEARCH_IDS),
    (f"q={SEARCH_WORD.upper()}", SEARCH_IDS),
    (f"acheteur={BUYER}", {"W01", "W04", "W07", "W10", "W13", "W16", "W19"}),
    (f"titulaire={SUPPLIER_2}", {"W02", "W07", "W10", "W12", "W15", "W20"}),
    (f"titulaire={siren(SUPPLIER_3)}", {"W00", "W03", "W06", "W14", "W18"}),
    ("cpv=9091", {"W01", "W09", "W15"}),
    ("cpv=45", {"W04", "W19"}),
    (f"procedure={NO_PUBLICITY}", {"W06", "W18"}),
    ("annee=2023", {"W07", "W08", "W09", "W10", "W11", "W12"}),
    ("montant_min=200000&montant_max=600000", {"W03", "W05", "W10", "W13", "W17", "K01"}),
    ("montant_min=1000000", {"W19"}),
    ("montant_max=20000", {"W02", "W11", "W16"}),
    ("consideration=environnementale", {"W02", "W05", "W08", "W12", "W13", "W17", "W19", "W20"}),
    ("consideration=sociale", {"W01", "W05", "W09", "W15"}),
    ("flag=montant", {"W14"}),
    ("flag=cpv:zero_manquant", {"W11"}),
    ("flag=dateNotification", {"W00"}),
    (f"acheteur={BUYER_2}&annee=2024", {"W14", "W17", "W20"}),
    (f"acheteur={BUYER_3}&q={SEARCH_WORD}", {"W09", "W15"}),
    ("annee=2022&consideration=sociale&montant_min=200000", {"W05"}),
    ("cpv=99", set()),
]


@pytest.mark.parametrize(("query", "expected"), FILTERS)
def test_each_filter_narrows_the_explorer(client: TestClient, query: str, expected: set[str]) -> None:
    assert set(ids_of(client, query)) == expected
    html = client.get(f"/contrats?{query}").text
    assert f"<strong>{len(expected)}</strong>" in html
    assert html.count('<th scope="row"><a href="/contrats/') == len(expected)


def test_sorts(client: TestClient, con: duckdb.DuckDBPyConnection) -> None:
    amounts = dict(con.execute("SELECT id, montant FROM contracts").fetchall())  # type: ignore[arg-type]
    dates = dict(con.execute("SELECT id, date_notification FROM contracts").fetchall())  # type: ignore[arg-type]
    by_amount = ids_of(client, "sort=montant")
    assert [amounts[i] for i in by_amount] == sorted(amounts.values(), reverse=True)
    assert [amounts[i] for i in ids_of(client, "sort=montant_asc")] == sorted(amounts.values())
    newest = ids_of(client, "sort=date")
    assert newest[0] == "W20" and newest[-1] == "W00"  # undated last
    oldest = ids_of(client, "sort=date_asc")
    assert oldest[0] == "W01" and oldest[-1] == "W00"
    assert [dates[i] for i in newest[:-1]] == sorted((d for d in dates.values() if d), reverse=True)


def test_explorer_pages(client: TestClient) -> None:
    assert client.get("/contrats.json?page=2").json()["result"]["rows"] == []
    assert client.get("/contrats.json").json()["pages"] == 1


# --- the API -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("query", "expected"), [("", ALL_IDS), ("&year=2024", {"W13", "W14", "W15", "W16", "W17",
                                                                                 "W18", "W19", "W20", "K01"}),
                                                 (f"&buyer={BUYER_3}", {"W00", "W03", "W06", "W09", "W12", "W15",
                                                                        "W18", "K01"})])
def test_cursor_pagination_visits_every_contract_once(client: TestClient, query: str, expected: set[str]) -> None:
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(50):
        address = f"/api/v1/contracts?limit=3{query}" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(address)
        assert page.status_code == 200, page.text
        body = page.json()
        assert body["total"] == len(expected) and len(body["contracts"]) <= 3
        seen += [c["id"] for c in body["contracts"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(expected) and len(seen) == len(set(seen))


def test_api_contracts_search_and_limit(client: TestClient) -> None:
    body = client.get(f"/api/v1/contracts?q={SEARCH_WORD}").json()
    assert {c["id"] for c in body["contracts"]} == SEARCH_IDS and body["next_cursor"] is None
    assert client.get("/api/v1/contracts?limit=0").status_code == 400
    assert client.get(f"/api/v1/contracts?limit={queries.MAX_PAGE + 1}").status_code == 400


def test_api_indicators_equal_read_results(client: TestClient, site: Settings,
                                           con: duckdb.DuckDBPyConnection) -> None:
    targets = site.data_dir / "targets"
    assert client.get("/api/v1/indicators").json() == as_json(
        [r.to_json() for r in read_results(con, targets, scope=["all"])])
    assert client.get("/api/v1/indicators?year=2023&indicator=sme_share&measure=value").json() == as_json(
        [r.to_json() for r in read_results(con, targets, scope=["all"], year=2023, indicator="sme_share",
                                           measure="value")])
    regions = client.get("/api/v1/indicators?scope=region&scope=procedure&indicator=single_bid").json()
    assert {r["scope"] for r in regions} == {"region", "procedure"}


def test_api_indicators_of_a_buyer_carry_its_targets(client: TestClient, site: Settings,
                                                     con: duckdb.DuckDBPyConnection) -> None:
    results = client.get(f"/api/v1/indicators?buyer={BUYER}").json()
    assert results and {(r["scope"], r["scope_id"]) for r in results} == {("buyer", BUYER)}
    assert results == as_json([r.to_json() for r in read_results(con, site.data_dir / "targets", scope=["buyer"],
                                                                 scope_id=BUYER)])
    single = [r for r in results if r["id"] == "single_bid" and r["measure"] == "count"]
    assert {r["year"] for r in single} >= {2022, 2023, 2024}
    for r in single:
        assert (r["target"], r["target_year"]) == TARGETS["single_bid"]
        if r["value"] is not None:
            assert r["status"] == ("met" if r["value"] <= TARGETS["single_bid"][0] else "off_track"), r
            assert r["gap"] == pytest.approx(r["value"] - TARGETS["single_bid"][0])
    env = [r for r in results if r["id"] == "env_consideration" and r["measure"] == "count"]
    assert env and all(r["target"] == TARGETS["env_consideration"][0] for r in env)
    # another buyer gets the national default
    other = client.get(f"/api/v1/indicators?buyer={BUYER_2}&indicator=env_consideration&measure=count").json()
    assert other and all(r["scope_id"] == BUYER_2 and r["target"] == 100.0 for r in other)


def test_api_catalogue_schemas_health_and_openapi(client: TestClient) -> None:
    ids = [i["id"] for i in client.get("/api/v1/indicators/catalogue").json()]
    assert ids == [i.id for i in catalogue()]
    for name in ("indicators", "contracts"):
        schema = client.get(f"/api/v1/schemas/{name}.schema.json").json()
        assert schema["fields"], name
    assert client.get("/api/v1/health").json()["status"] == "ok"
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/v1/indicators", "/api/v1/contracts", "/api/v1/contracts/{key}", "/api/v1/health"} <= set(paths)
    assert not [p for p in paths if not p.startswith("/api/")], "pages are not API endpoints"


# --- the demo banner -----------------------------------------------------------------------------------------------


def test_demo_banner_only_with_a_demo_dataset(site: Settings, tmp_path: Path) -> None:
    mine = copy_site(site, tmp_path)
    with TestClient(create_app(mine)) as fresh:
        assert DEMO not in fresh.get("/").text
        with snapshot.update(mine.warehouse_dir) as writer:  # an empty marker table is not a demo
            writer.execute("CREATE TABLE demo_dataset (seed INTEGER, generated_at TIMESTAMP)")
        assert DEMO not in fresh.get("/").text
        mark_demo(mine)
        for page in ("/", "/contrats", "/indicateurs", "/statut", "/methodologie"):
            assert DEMO in fresh.get(page).text, page
        assert "Demonstration data" in fresh.get("/?lang=en").text


def test_language_switch_link_keeps_the_query_and_one_lang(site: Settings) -> None:
    """Regression: the link appended ``lang=`` to the query, so each switch made the address longer
    (``?lang=en&lang=fr&lang=en``)."""
    with TestClient(create_app(site)) as fresh:
        assert 'class="lang" href="?lang=en"' in fresh.get("/contrats/nope").text
        french = fresh.get("/contrats?annee=2023&lang=fr").text
        assert 'class="lang" href="?annee=2023&amp;lang=en"' in french
        english = fresh.get("/contrats?annee=2023&lang=en").text
        assert 'class="lang" href="?annee=2023&amp;lang=fr"' in english
        assert 'class="lang" href="?lang=fr"' in fresh.get("/contrats/nope").text


# --- odd values: a client error or a page, never a server error ----------------------------------------------------

BIG = "99999999999999999999"
ODD = ["/api/v1/indicators?year=" + BIG, "/api/v1/contracts?year=" + BIG, "/api/v1/contracts?q=%00",
       "/api/v1/contracts?buyer=%00", "/contrats?q=%00", "/contrats?q=%25_%5C", "/contrats?q=" + "a" * 3000,
       "/contrats?montant_min=nan", "/contrats?montant_min=inf&montant_max=-inf", "/contrats?montant_min=1e400",
       "/contrats?page=99999999", "/contrats?annee=" + BIG, "/?annee=" + BIG, "/?annee=1700", "/?acheteur=%00",
       "/indicateurs/%00", "/contrats/%00", "/acheteurs/%00", "/titulaires/%00", "/titulaires/123456789",
       "/contrats?titulaire=%25", "/contrats?flag=%25", "/contrats?flag=a:b", "/contrats?cpv=%D9%A1%D9%A2",
       "/contrats?sort=", "/contrats?lang=xx", "/contrats?procedure=%00", "/index.csv?annee=1700",
       "/contrats.csv?q=%00", "/api/v1/indicators?buyer=%00&scope=region", "/indicateurs/single_bid.json?lang=en",
       "/contrats?annee=abc", "/api/v1/contracts?limit=abc"]


@pytest.mark.parametrize("address", ODD)
def test_odd_values_are_never_a_server_error(site: Settings, client: TestClient, address: str) -> None:
    response = client.get(address)
    assert response.status_code < 500, response.text


# --- regressions: bugs of pages.py found by these tests, fixed ----------------------------------------------------

EMPTY_FORM = ("q=nettoyage&acheteur=&titulaire=&cpv=&procedure=&annee=&montant_min=&montant_max=&consideration="
              "&flag=&sort=date")


def test_explorer_form_with_its_empty_fields(client: TestClient) -> None:
    """What a browser sends when one searches with the explorer's form (tests/web/test_browser.py)."""
    response = client.get(f"/contrats?{EMPTY_FORM}")
    assert response.status_code == 200, response.text
    assert f"<strong>{len(SEARCH_IDS)}</strong>" in response.text


def test_a_huge_page_number_is_not_a_server_error(site: Settings) -> None:
    with TestClient(create_app(site), raise_server_exceptions=False) as fresh:
        response = fresh.get(f"/contrats?page={BIG}")
    assert response.status_code in (200, 400), response.status_code


def test_a_value_of_the_wrong_type_is_a_400_page_naming_the_field(client: TestClient) -> None:
    response = client.get("/contrats?annee=abc")
    assert response.status_code == 400 and response.headers["content-type"].startswith("text/html")
    assert "annee" in response.text


def test_dashboard_coverage_is_a_rounded_percentage(client: TestClient) -> None:
    """Regression: ``(coverage or 0) * 100 | round(0)`` rounded 100, not the product: « 44.440000000000005 % »."""
    html = client.get("/").text
    section = html[html.index('id="art35-title"'):html.index("</section>", html.index('id="art35-title"'))]
    assert re.search(r"Couverture : \d+ %", section), section
    assert not re.search(r"\d\.\d{3,}", section)


@pytest.mark.parametrize(("csv_url", "schema_url"), [
    ("/contrats.csv", "/api/v1/schemas/contracts.schema.json"),
    ("/api/v1/indicators.csv?scope=all&scope=buyer", "/api/v1/schemas/indicators.schema.json"),
])
def test_open_data_downloads_are_valid_against_their_table_schema(client: TestClient, tmp_path: Path,
                                                                   csv_url: str, schema_url: str) -> None:
    """Regression: the open-data page paired the explorer's CSV with the schema of `spaser export csv`."""
    import frictionless

    body = client.get(csv_url)
    assert body.status_code == 200 and body.text.count("\n") > 1
    path = tmp_path / "download.csv"
    path.write_text(body.text, encoding="utf-8")
    schema = frictionless.Schema.from_descriptor(client.get(schema_url).json())
    report = frictionless.validate(frictionless.Resource(path=path.name, basepath=str(tmp_path), schema=schema))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:5]
    links = client.get("/donnees.json").json()["downloads"]
    assert any(d["href"].split("?")[0] == csv_url.split("?")[0] and d["schema"] == schema_url for d in links)
