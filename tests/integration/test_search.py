"""Full-text search on a small warehouse built by ingesting a hand-written DECP file: exact results and order
for accents, stems, AND, prefixes, buyer and titulaire names; the index follows re-ingestions and SIRENE loads."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from spaser.config import Settings
from spaser.errors import InputError
from spaser.warehouse import search as search_module
from spaser.warehouse import snapshot
from spaser.warehouse.derived import refresh_derived
from spaser.warehouse.ingest import ingest
from spaser.warehouse.search import SearchFilters, SearchPage, matching_sql, search
from spaser.warehouse.search_index import build_search_index
from tests.conftest import TODAY

BUYER_RENNES = "21350238800019"
BUYER_BREST = "21290019700018"
BUYER_PARIS = "21750001600019"
SUPPLIER_HYDRO = "73282932000074"  # a valid SIRET (Luhn), named only by SIRENE


def marche(id: str, objet: str, day: str, buyer: tuple[str, str], titulaire: tuple[str, str | None]) -> dict[str, Any]:
    """A 2022-format record that also carries the 2019 names (acheteur.nom, denominationSociale): "hybrid"."""
    party: dict[str, Any] = {"typeIdentifiant": "SIRET", "id": titulaire[0]}
    if titulaire[1] is not None:
        party["denominationSociale"] = titulaire[1]
    return {
        "id": id, "acheteur": {"id": buyer[0], "nom": buyer[1]}, "nature": "Marché", "objet": objet,
        "codeCPV": "45000000", "procedure": "Appel d'offres ouvert",
        "lieuExecution": {"code": "35238", "typeCode": "Code commune"}, "dureeMois": 12,
        "dateNotification": day, "datePublicationDonnees": day, "montant": 50000, "formePrix": "Forfaitaire",
        "titulaires": [{"titulaire": party}],
    }


RENNES = (BUYER_RENNES, "Commune de Rennes")
BREST = (BUYER_BREST, "Ville de Brest")
PARIS = (BUYER_PARIS, "Ville de Paris")

FIRST = [
    marche("K1", "Équipements sportifs du gymnase municipal", "2024-03-01", RENNES,
           ("44306184100047", "Sport Équipement SARL")),
    marche("K2", "Restauration scolaire des écoles", "2024-05-01", BREST,
           ("55208131766522", "Restaurant Collectif de l'Ouest")),
    marche("K3", "Restaurant scolaires : fourniture de repas", "2023-06-01", RENNES,
           ("38347481400100", "Dupont Traiteur")),
    marche("K4", "Travaux de voirie 2025 – lot n°2", "2025-02-01", BREST,
           ("40483304800022", "Travaux Publics Armor")),
    marche("K5", "Travail temporaire : mise à disposition de personnel", "2024-01-15", RENNES,
           ("41229013900011", "Intérim Œuvre")),
    marche("K6", "Maîtrise d'œuvre pour l'aménagement des berges", "2022-09-01", PARIS, (SUPPLIER_HYDRO, None)),
    marche("K7", "Entretien des équipements de restauration", "2024-06-01", PARIS,
           ("51765025200012", "Froid Service")),
]
SECOND = [marche("K8", "Piscine municipale : rénovation des bassins", "2025-06-01", RENNES,
                 ("44306184100047", "Sport Équipement SARL"))]


def write(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"marches": {"marche": records, "contrat-concession": []}}, ensure_ascii=False),
                    encoding="utf-8")
    return path


def build(folder: Path) -> Settings:
    settings = Settings(data_dir=folder / "data", ingest_workers=-1)
    report = ingest([write(folder / "first.json", FIRST)], settings, today=TODAY)
    assert report.loaded == 7 and report.quarantined == 0
    return settings


@pytest.fixture(scope="module")
def shared_data(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """One warehouse for the tests that only read it."""
    return build(tmp_path_factory.mktemp("search"))


@pytest.fixture
def data(tmp_path: Path) -> Settings:
    """A warehouse of its own, for a test that changes it."""
    return build(tmp_path)


@pytest.fixture
def con(shared_data: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = snapshot.open_current(shared_data.warehouse_dir)  # read-only, as the web opens it
    yield connection
    connection.close()


def ids(con: duckdb.DuckDBPyConnection, page: SearchPage) -> list[str]:
    """The contracts' own ids (K1…) in the page's order."""
    by_key = dict(con.execute("SELECT contract_key, id FROM contracts").fetchall())
    return [by_key[key] for key in page.keys]


def found(con: duckdb.DuckDBPyConnection, query: str, **options: Any) -> list[str]:
    page = search(con, query, **options)
    assert page.total == len(page.keys) or options.get("limit") is not None
    return ids(con, page)


def test_accent_insensitive(con: duckdb.DuckDBPyConnection) -> None:
    # K1 has "Équipements" in its objet and "Équipement" in its titulaire's name (score 4 + 1), K7 in its objet.
    page = search(con, "equipement")
    assert ids(con, page) == ["K1", "K7"]
    assert page.scores == [5, 4]
    assert page.total == 2 and page.terms == ["equip"]
    assert found(con, "ÉQUIPEMENTS") == found(con, "équipement") == ["K1", "K7"]


def test_stems_bring_inflections_together(con: duckdb.DuckDBPyConnection) -> None:
    # "restauration scolaire" and "restaurant scolaires" share their stems; K7 has no "scolaire" (AND).
    page = search(con, "restauration scolaire")
    assert ids(con, page) == ["K2", "K3"]
    assert page.scores == [9, 8]  # K2: restaur in objet and titulaire name (5) + scolair (4)
    assert found(con, "restaurants scolaires") == ["K2", "K3"]


def test_travaux_is_not_travail(con: duckdb.DuckDBPyConnection) -> None:
    # Snowball stems "travaux" to "traval" and leaves "travail": they do not find each other.
    assert found(con, "travaux") == ["K4"]
    assert found(con, "travail") == ["K5"]


def test_every_term_must_match(con: duckdb.DuckDBPyConnection) -> None:
    assert found(con, "restauration") == ["K2", "K7", "K3"]  # scores 5, 4, 4: equal scores by date, newest first
    assert found(con, "restauration entretien") == ["K7"]
    assert found(con, "restauration piscine") == []
    # Terms match in any field: "rennes" in K1's buyer name, "sportifs" in its objet.
    assert found(con, "Rennes sportifs") == ["K1"]


def test_prefix(con: duckdb.DuckDBPyConnection) -> None:
    assert found(con, "restau*") == ["K2", "K7", "K3"]
    assert found(con, "trav*") == ["K4", "K5"]  # stems traval and travail
    # "travau" is no stem's prefix (travaux → traval): the indexed word "travaux" starts with it.
    assert found(con, "travau*") == ["K4"]
    assert found(con, "equip* sport*") == ["K1"]
    assert found(con, "piscin*") == []


def test_many_term_ranges_in_one_pass(con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch) -> None:
    """Terms read in one pass over the postings (a prefix with scattered terms) give the same results."""
    queries = ("restau*", "trav*", "equip* sport*", "restauration scolaire", "oeuvre", "ville")
    expected = {q: (found(con, q), search(con, q).scores) for q in queries}
    monkeypatch.setattr(search_module, "MAX_RANGE_SCANS", 0)
    assert {q: (found(con, q), search(con, q).scores) for q in queries} == expected


@pytest.mark.parametrize("query", ["equipement", "restauration scolaire", "restau*", "trav*", "ville", "oeuvre",
                                   "restauration piscine", "xyz"])
@pytest.mark.parametrize("fields", [("objet", "acheteur", "titulaire"), ("objet",), ("titulaire", "acheteur")])
def test_matching_sql_agrees_with_search(con: duckdb.DuckDBPyConnection, query: str, fields: tuple[str, ...]) -> None:
    """The SQL form (to join with the explorer's filters, without a limit) gives the same contracts and scores."""
    made = matching_sql(con, query, fields=fields)
    assert made is not None
    sql, params = made
    rows = con.execute(f"SELECT h.contract_key, h.score FROM ({sql}) h JOIN search_contracts s USING (contract_key) "
                       "ORDER BY h.score DESC, s.contract_id", params).fetchall()
    page = search(con, query, limit=None, filters=SearchFilters(fields=fields))
    assert rows == list(zip(page.keys, page.scores, strict=True))
    assert matching_sql(con, "de la") is None


def test_buyer_name(con: duckdb.DuckDBPyConnection) -> None:
    page = search(con, "Brest")
    assert ids(con, page) == ["K4", "K2"]  # buyer field (2) for both: newest first
    assert page.scores == [2, 2]
    assert found(con, "ville") == ["K4", "K7", "K2", "K6"]  # Ville de Brest and Ville de Paris, by date


def test_titulaire_name(con: duckdb.DuckDBPyConnection) -> None:
    page = search(con, "traiteur")
    assert ids(con, page) == ["K3"] and page.scores == [1]
    assert found(con, "Dupont") == ["K3"]
    # "œuvre": K6's objet (4) then K5's titulaire "Intérim Œuvre" (1).
    page = search(con, "oeuvre")
    assert ids(con, page) == ["K6", "K5"] and page.scores == [4, 1]


def test_no_match_and_no_term(con: duckdb.DuckDBPyConnection) -> None:
    page = search(con, "piscine")
    assert page.keys == [] and page.total == 0 and page.ranked
    page = search(con, "de la les")
    assert page.keys == [] and page.total is None and not page.ranked
    assert search(con, "").total is None


def test_digits(con: duckdb.DuckDBPyConnection) -> None:
    assert found(con, "2025") == ["K4"]
    assert found(con, "lot 2") == ["K4"]


def test_pages_and_filters(con: duckdb.DuckDBPyConnection) -> None:
    first = search(con, "restau*", limit=2)
    assert ids(con, first) == ["K2", "K7"] and first.total == 3 and first.next_after is not None
    second = search(con, "restau*", limit=2, after=first.next_after)
    assert ids(con, second) == ["K3"] and second.total == 3 and second.next_after is None
    assert search(con, "restau*", limit=0).keys == [] and search(con, "restau*", limit=0).total == 3
    with pytest.raises(InputError, match="after"):
        search(con, "restau*", after="nonsense")
    with pytest.raises(InputError, match="fields"):
        search(con, "restau*", filters=SearchFilters(fields=("montant",)))
    # Only the objet: K1 loses its titulaire point and the date decides.
    assert found(con, "equipement", filters=SearchFilters(fields=("objet",))) == ["K7", "K1"]
    assert found(con, "equipement", filters=SearchFilters(fields=("titulaire",))) == ["K1"]
    assert found(con, "restauration", filters=SearchFilters(annee=2024)) == ["K2", "K7"]
    assert found(con, "restauration", filters=SearchFilters(annee=2019)) == []
    assert found(con, "restauration", filters=SearchFilters(acheteur_id=BUYER_RENNES)) == ["K3"]


def test_index_tables(con: duckdb.DuckDBPyConnection) -> None:
    # contract_id follows (date_notification DESC, contract_key); every term of every text has its postings.
    assert [r[0] for r in con.execute(
        "SELECT c.id FROM search_contracts s JOIN contracts c USING (contract_key) ORDER BY s.contract_id"
    ).fetchall()] == ["K4", "K7", "K2", "K1", "K5", "K3", "K6"]
    assert con.execute("SELECT count(*) FROM search_postings WHERE field NOT IN (1, 2, 4)").fetchone() == (0,)
    duplicates = con.execute("SELECT count(*) FROM (SELECT term_id, field, contract_id FROM search_postings "
                             "GROUP BY ALL HAVING count(*) > 1)").fetchone()
    assert duplicates == (0,)
    assert con.execute("SELECT term FROM search_words WHERE word = 'travaux'").fetchall() == [("traval",)]
    assert con.execute("SELECT term FROM search_words WHERE word = 'des'").fetchall() == [(None,)]


def test_reingestion_rebuilds_the_index(data: Settings, tmp_path: Path) -> None:
    report = ingest([write(tmp_path / "second.json", SECOND)], data, today=TODAY)
    assert report.loaded == 1
    with snapshot.open_current(data.warehouse_dir) as con:
        assert found(con, "piscine") == ["K8"]
        assert found(con, "equipement") == ["K1", "K7", "K8"]  # K8 only by its titulaire's name (1)
        assert found(con, "restauration scolaire") == ["K2", "K3"]
        info = con.execute("SELECT contracts, words_stemmed FROM search_index_info").fetchone()
        assert info is not None and info[0] == 8
        # Only the words the first build had not seen were stemmed: piscine, municipale, renovation, bassins.
        assert info[1] == 4


def test_sirene_names_are_indexed_after_a_reference_load(data: Settings) -> None:
    with snapshot.open_current(data.warehouse_dir) as con:
        assert found(con, "hydro") == []
    with snapshot.update(data.warehouse_dir) as con:  # what `spaser reference load-sirene` does, in short
        con.execute("INSERT INTO ref_sirene_unites VALUES (?, 'PME', false, 'BUREAU D''ÉTUDES HYDRO', '71.12B', true),"
                    " (?, NULL, false, 'COMMUNE DE BREST', '84.11Z', true)",
                    [SUPPLIER_HYDRO[:9], BUYER_BREST[:9]])
        refresh_derived(con)
    with snapshot.open_current(data.warehouse_dir) as con:
        page = search(con, "hydro etudes")
        assert ids(con, page) == ["K6"] and page.scores == [2]  # two terms in the titulaire field
        assert found(con, "commune") == ["K4", "K2", "K1", "K5", "K3"]  # SIRENE's "Commune de Brest" too
        assert found(con, "brest", filters=SearchFilters(fields=("acheteur",))) == ["K4", "K2"]


def test_empty_warehouse_has_an_empty_index(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "empty", ingest_workers=-1)
    with snapshot.update(settings.warehouse_dir) as con:  # a reference load before any ingestion
        refresh_derived(con)
    with snapshot.open_current(settings.warehouse_dir) as con:
        assert search(con, "travaux").total == 0
        assert con.execute("SELECT count(*) FROM search_terms").fetchone() == (0,)


def test_snapshot_without_index(tmp_path: Path) -> None:
    """A snapshot built before the index existed: CatalogException, which the explorer falls back on."""
    con = duckdb.connect(str(tmp_path / "old.duckdb"))
    con.execute("CREATE TABLE contracts (contract_key VARCHAR)")
    with pytest.raises(duckdb.CatalogException):
        search(con, "travaux")
    assert search(con, "le").total is None  # no term: nothing read
    build_search_index(con)  # no titulaires_actuels: empty tables
    assert search(con, "travaux").total == 0
    con.close()
