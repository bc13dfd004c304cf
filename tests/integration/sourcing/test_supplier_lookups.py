"""``sirene_facts`` and ``supplier_track_record`` on a small real warehouse: a hand-written DECP file ingested and a
tiny SIRENE stock in INSEE's format (full headers of tests/fixtures/sirene) loaded; every value computed by hand.
Real DuckDB, real snapshots, no mocks."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from spaser.config import Settings
from spaser.reference.sirene import load_sirene
from spaser.sourcing.observatory import track_records
from spaser.warehouse import snapshot
from spaser.warehouse.ingest import ingest
from spaser.warehouse.queries import departement_of_commune, sirene_facts, supplier_summary, supplier_track_record
from tests.conftest import TODAY

SIRENE_FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sirene"

RENNES = ("21350238800019", "Commune de Rennes")
PARIS = ("21750001600019", "Ville de Paris")
SPORT = "44306184100047"  # the supplier looked up
SPORT_OTHER_SITE = "44306184100054"  # another établissement of the same unité légale
DUPONT = "38347481400100"


def party(siret: str) -> dict[str, Any]:
    return {"titulaire": {"typeIdentifiant": "SIRET", "id": siret}}


def marche(id: str, buyer: tuple[str, str], cpv: str, day: str, montant: float, titulaires: list[str],
           new_titulaires: list[str] | None = None, new_montant: float | None = None) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": id, "acheteur": {"id": buyer[0], "nom": buyer[1]}, "nature": "Marché", "objet": f"Marché {id}",
        "codeCPV": cpv, "procedure": "Appel d'offres ouvert",
        "lieuExecution": {"code": "35238", "typeCode": "Code commune"}, "dureeMois": 12,
        "dateNotification": day, "datePublicationDonnees": day, "montant": montant, "formePrix": "Forfaitaire",
        "titulaires": [party(s) for s in titulaires],
    }
    if new_titulaires is not None or new_montant is not None:
        modification: dict[str, Any] = {"id": 1, "dateNotificationModification": "2025-09-01",
                                        "datePublicationDonneesModification": "2025-09-02"}
        if new_titulaires is not None:
            modification["titulaires"] = [party(s) for s in new_titulaires]
        if new_montant is not None:
            modification["montant"] = new_montant
        record["modifications"] = [{"modification": modification}]
    return record


MARCHES = [
    marche("M1", RENNES, "45210000", "2023-03-01", 100_000, [SPORT]),
    marche("M2", RENNES, "45261000", "2024-05-10", 50_000, [SPORT, DUPONT]),  # co-contractors
    marche("M3", PARIS, "71200000", "2024-09-15", 999_999_999, [SPORT]),  # placeholder amount: suspicious
    marche("M4", PARIS, "90910000", "2025-01-20", 30_000, [DUPONT], new_titulaires=[SPORT], new_montant=36_000),
    marche("M5", RENNES, "45000000", "2025-06-01", 20_000, [SPORT], new_titulaires=[DUPONT]),  # SPORT replaced
    marche("M6", RENNES, "45210000", "2025-07-01", 12_345, [SPORT_OTHER_SITE]),  # same SIREN, other SIRET
    marche("M7", PARIS, "71300000", "2022-11-30", 8_000, [SPORT, SPORT]),  # listed twice: one contract
]

# (siren, categorieEntreprise, economieSocialeSolidaireUniteLegale, denominationUniteLegale,
#  activitePrincipaleUniteLegale, etatAdministratifUniteLegale)
UNITES = [
    ("443061841", "PME", "N", "SPORT EQUIPEMENT", "43.99C", "A"),
    ("383474814", "ETI", "O", "DUPONT TRAITEUR", "56.21Z", "A"),
    ("407995505", "PME", "", "PAREDES CSE SAS", "43.21A", "C"),  # ceased
    ("420213860", "", "", "SCOP ABADIE", "43.32A", "A"),
]
# (siret, codeCommuneEtablissement, etablissementSiege, activitePrincipaleEtablissement, etatAdministratif)
ETABLISSEMENTS = [
    (SPORT, "35238", "true", "43.99C", "A"),  # Rennes
    (SPORT_OTHER_SITE, "35047", "false", "43.99C", "A"),
    (DUPONT, "97105", "true", "", "A"),  # Basse-Terre (Guadeloupe); no NAF of its own
    ("97120154600241", "2A004", "false", "43.21A", "A"),  # Ajaccio; its unité légale is not in the stock
    ("42021386000018", "64445", "true", "43.32A", "F"),  # closed établissement of an active unit
    ("40799550500010", "59512", "true", "43.21A", "A"),  # open établissement of a ceased unit
]


def write_stock(path: Path, fixture: str, rows: list[dict[str, str]]) -> Path:
    """A stock file with INSEE's full header (taken from the fixture), only the given columns filled."""
    with (SIRENE_FIXTURES / fixture).open(encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, header, restval="", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def sirene_files(folder: Path) -> tuple[Path, Path]:
    unites = [{"siren": s, "categorieEntreprise": c, "economieSocialeSolidaireUniteLegale": e,
               "denominationUniteLegale": d, "activitePrincipaleUniteLegale": n, "etatAdministratifUniteLegale": a}
              for s, c, e, d, n, a in UNITES]
    etablissements = [{"siren": s[:9], "nic": s[9:], "siret": s, "codeCommuneEtablissement": c,
                       "etablissementSiege": h, "activitePrincipaleEtablissement": n,
                       "etatAdministratifEtablissement": a} for s, c, h, n, a in ETABLISSEMENTS]
    return (write_stock(folder / "StockUniteLegale_utf8.csv", "StockUniteLegale_utf8.csv", unites),
            write_stock(folder / "StockEtablissement_utf8.csv", "StockEtablissement_utf8.csv", etablissements))


def build(folder: Path, with_sirene: bool) -> Settings:
    settings = Settings(data_dir=folder / "data", ingest_workers=-1)
    decp = folder / "decp.json"
    decp.write_text(json.dumps({"marches": {"marche": MARCHES, "contrat-concession": []}}, ensure_ascii=False),
                    encoding="utf-8")
    report = ingest([decp], settings, today=TODAY)
    assert report.loaded == 7 and report.quarantined == 0
    if with_sirene:
        load_sirene(settings.warehouse_dir, *sirene_files(folder))
    return settings


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    settings = build(tmp_path_factory.mktemp("lookups"), with_sirene=True)
    connection = snapshot.open_current(settings.warehouse_dir)  # read-only, as the web opens it
    yield connection
    connection.close()


def test_sirene_facts_of_a_known_siret(con: duckdb.DuckDBPyConnection) -> None:
    assert sirene_facts(con, SPORT) == {
        "siret": SPORT, "siren": "443061841", "denomination": "SPORT EQUIPEMENT", "categorie_entreprise": "PME",
        "ess": False, "naf": "43.99C", "commune_code": "35238", "departement": "35", "siege": True, "actif": True}


def test_sirene_facts_overseas_corsica_and_fallbacks(con: duckdb.DuckDBPyConnection) -> None:
    dupont = sirene_facts(con, DUPONT)
    assert dupont is not None
    # no NAF of the établissement: the unit's; Guadeloupe's commune 97105 is in département 971
    assert (dupont["naf"], dupont["departement"], dupont["ess"], dupont["categorie_entreprise"]) == (
        "56.21Z", "971", True, "ETI")
    ajaccio = sirene_facts(con, "97120154600241")
    assert ajaccio == {"siret": "97120154600241", "siren": "971201546", "denomination": None,
                       "categorie_entreprise": None, "ess": None, "naf": "43.21A", "commune_code": "2A004",
                       "departement": "2A", "siege": False, "actif": True}  # unit absent: its facts are None
    closed_site = sirene_facts(con, "42021386000018")
    assert closed_site is not None and closed_site["actif"] is False
    assert closed_site["categorie_entreprise"] is None  # empty in the stock: not computed by INSEE
    ceased_unit = sirene_facts(con, "40799550500010")
    assert ceased_unit is not None and ceased_unit["actif"] is False and ceased_unit["ess"] is None


def test_sirene_facts_of_an_unknown_siret(con: duckdb.DuckDBPyConnection) -> None:
    assert sirene_facts(con, "73282932000074") is None
    assert sirene_facts(con, "443061841") is None  # a SIREN is not a SIRET
    assert sirene_facts(con, "") is None


def test_track_record_of_a_supplier(con: duckdb.DuckDBPyConnection) -> None:
    # M1, M2, M3, M4 (titulaire since its modification), M7 (listed twice, counted once); not M5 (replaced by a
    # modification) nor M6 (another établissement). Amount: 100 000 + 50 000 + 36 000 (after modification)
    # + 8 000, M3's placeholder excluded.
    assert supplier_track_record(con, SPORT) == {
        "siret": SPORT, "contracts": 5, "montant": 194_000.0, "montant_exclus": 1,
        "divisions": {"45": 2, "71": 2, "90": 1}, "last_date": dt.date(2025, 1, 20),
        "top_acheteurs": [{"id": PARIS[0], "nom": PARIS[1], "contracts": 3},
                          {"id": RENNES[0], "nom": RENNES[1], "contracts": 2}]}
    assert supplier_track_record(con, SPORT, buyers_limit=1)["top_acheteurs"] == [
        {"id": PARIS[0], "nom": PARIS[1], "contracts": 3}]


def test_track_record_follows_modifications(con: duckdb.DuckDBPyConnection) -> None:
    # M2 (co-contractor) and M5 (titulaire since its modification); not M4, where SPORT replaced it.
    assert supplier_track_record(con, DUPONT) == {
        "siret": DUPONT, "contracts": 2, "montant": 70_000.0, "montant_exclus": 0, "divisions": {"45": 2},
        "last_date": dt.date(2025, 6, 1), "top_acheteurs": [{"id": RENNES[0], "nom": RENNES[1], "contracts": 2}]}
    other_site = supplier_track_record(con, SPORT_OTHER_SITE)
    assert (other_site["contracts"], other_site["montant"], other_site["divisions"]) == (1, 12_345.0, {"45": 1})


ZEROS = {"contracts": 0, "montant": 0.0, "montant_exclus": 0, "divisions": {}, "last_date": None,
         "top_acheteurs": []}


def test_track_record_without_contracts_is_zeros(con: duckdb.DuckDBPyConnection) -> None:
    assert supplier_track_record(con, "73282932000074") == {"siret": "73282932000074", **ZEROS}
    assert supplier_track_record(con, "443061841") == {"siret": "443061841", **ZEROS}  # exact SIRET only


def test_before_any_sirene_load(tmp_path: Path) -> None:
    settings = build(tmp_path, with_sirene=False)
    connection = snapshot.open_current(settings.warehouse_dir)
    try:
        assert sirene_facts(connection, SPORT) is None  # the tables exist, empty
        assert supplier_track_record(connection, SPORT)["contracts"] == 5  # the observatory does not need SIRENE
    finally:
        connection.close()


def test_absent_tables() -> None:
    bare = duckdb.connect()
    try:
        assert sirene_facts(bare, SPORT) is None
        assert supplier_track_record(bare, SPORT) == {"siret": SPORT, **ZEROS}
        bare.execute("CREATE TABLE ref_sirene_etablissements (siret VARCHAR)")
        assert sirene_facts(bare, SPORT) is None  # one of the two tables only
    finally:
        bare.close()


@pytest.mark.parametrize(("commune", "departement"), [
    ("35238", "35"), ("01001", "01"), ("2A004", "2A"), ("2B033", "2B"), ("97105", "971"), ("97411", "974"),
    ("98818", "988"), (None, None), ("", None), ("3523", None),
])
def test_departement_of_commune(commune: str | None, departement: str | None) -> None:
    assert departement_of_commune(commune) == departement


def test_supplier_summary_counts_a_siret_listed_twice_once(con: duckdb.DuckDBPyConnection) -> None:
    """M7 lists SPORT twice among its titulaires: the supplier page once added its 8 000 € twice (202 000 €)."""
    summary = supplier_summary(con, SPORT)
    assert (summary["contracts"], summary["montant"]) == (5, 194_000)


def test_track_records_for_matching_count_every_contract_once(con: duckdb.DuckDBPyConnection) -> None:
    """The matching's batched lookup agrees with the supplier's track record: SPORT holds M1, M2, M3, M4 (since
    its modification) and M7 (listed twice), not M5 (replaced); in division 45: M1, M2. DUPONT holds M2 and M5
    (since its modification), not M4 (replaced), both in division 45. Unknown SIRETs are absent."""
    assert track_records(con, [SPORT, DUPONT, "00000000000000"], "45") == {SPORT: (5, 2), DUPONT: (2, 2)}
    assert track_records(con, []) == {}
