"""`spaser reference load-sirene` on stock files in INSEE's format: CSV, zip, gzip, damaged, duplicated.

The fixture (tests/fixtures/sirene/, see its README) has INSEE's full headers and real SIRETs of the DECP 2019
files; every variant is derived from it in tmp_path. Real DuckDB, real snapshots, no mocks.
"""

from __future__ import annotations

import gzip
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from spaser.config import Settings
from spaser.errors import InputError
from spaser.reference.sirene import load_sirene
from tests.conftest import REAL, needs_shared, sha256_of
from tests.warehouse_cli import cli, query

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sirene"
UNITES = FIXTURES / "StockUniteLegale_utf8.csv"
ETABLISSEMENTS = FIXTURES / "StockEtablissement_utf8.csv"

EXPECTED_UNITES = [
    ("215901638", None, None, "COMMUNE DE CROIX", "84.11Z", True),
    ("301309605", "ETI", True, "SMACL ASSURANCES", "65.12Z", True),
    ("316112473", "PME", False,
     "SOCIETE REGIONALE D'ESPACES VERTS ET D'ENVIRONNEMENT, EN ABREGE \"S.O.R.E.V.E.\"", "81.30Z", True),
    ("407995505", "PME", False, "PAREDES CSE SAS", "43.21A", False),
    ("420213860", "PME", True, "SCOP ABADIE", "43.32A", True),
    ("477181010", "ETI", False, "API RESTAURATION", "56.29A", True),
    ("529986739", "PME", None, None, "43.34Z", True),  # a sole trader: no dénomination, ESS empty
    ("971201546", "GE", False, "SATELEC", "43.21A", True),
]
EXPECTED_ETABLISSEMENTS = [
    ("21590163800019", "215901638", "59163", True, "84.11Z", True),
    ("30130960500410", "301309605", "79191", False, "65.12Z", True),
    ("31611247300038", "316112473", "59350", True, "81.30Z", True),
    ("40799550500010", "407995505", "59512", True, "43.21A", False),
    ("42021386000018", "420213860", "64445", True, "43.32A", True),
    ("47718101000091", "477181010", "59410", False, "56.29A", True),
    ("52998673900017", "529986739", "93066", True, "43.34Z", True),
    ("97120154600241", "971201546", "2A004", False, "43.21A", True),
]



def tables(settings: Settings) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    return (query(settings, "SELECT * FROM ref_sirene_unites ORDER BY siren"),
            query(settings, "SELECT * FROM ref_sirene_etablissements ORDER BY siret"))


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def derived(tmp_path: Path, name: str, rows: list[str]) -> Path:
    target = tmp_path / name
    target.write_text("".join(rows), encoding="utf-8")
    return target


def zipped(tmp_path: Path, source: Path, member: str) -> Path:
    target = tmp_path / (Path(member).stem + ".zip")
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.write(source, member)
    return target


def test_load_the_fixture_from_the_command_line(settings: Settings) -> None:
    code, output = cli(settings, "reference", "load-sirene", str(UNITES), str(ETABLISSEMENTS))
    assert code == 0, output
    assert "ref_sirene_unites: 8 unités légales" in output
    assert "ref_sirene_etablissements: 8 établissements" in output
    assert tables(settings) == (EXPECTED_UNITES, EXPECTED_ETABLISSEMENTS)
    loads = query(settings, "SELECT name, path, sha256, rows, loaded_at IS NOT NULL FROM reference_loads ORDER BY name")
    assert loads == [("sirene_etablissements", str(ETABLISSEMENTS), sha256_of(ETABLISSEMENTS), 8, True),
                     ("sirene_unites", str(UNITES), sha256_of(UNITES), 8, True)]


def test_insee_zips_and_gzip_give_the_same_tables(settings: Settings, tmp_path: Path) -> None:
    seen: dict[str, tuple[int, int]] = {}
    lock = threading.Lock()

    def progress(path: str, done: int, total: int) -> None:
        with lock:
            seen[path] = (done, total)

    threads = threading.active_count()
    unites = zipped(tmp_path, UNITES, "StockUniteLegale_utf8.csv")
    etablissements = tmp_path / "StockEtablissement_utf8.csv.gz"
    etablissements.write_bytes(gzip.compress(ETABLISSEMENTS.read_bytes()))
    report = load_sirene(settings.warehouse_dir, unites, etablissements, progress=progress)
    assert tables(settings) == (EXPECTED_UNITES, EXPECTED_ETABLISSEMENTS)
    assert (report.unites.rows, report.etablissements.rows) == (8, 8)
    assert report.unites.sha256 == sha256_of(unites)  # the file as given, not its content
    # every file ends its bar full; a zip counts its uncompressed CSV text
    assert seen[str(unites)] == (UNITES.stat().st_size, UNITES.stat().st_size)
    assert seen[str(etablissements)][0] == seen[str(etablissements)][1]
    assert threading.active_count() == threads  # no feeder thread left behind


def test_a_new_stock_replaces_the_old_one(settings: Settings, tmp_path: Path) -> None:
    load_sirene(settings.warehouse_dir, UNITES, ETABLISSEMENTS)
    fewer = derived(tmp_path, "etab.csv", lines(ETABLISSEMENTS)[:3])
    load_sirene(settings.warehouse_dir, UNITES, fewer)
    assert tables(settings) == (EXPECTED_UNITES, EXPECTED_ETABLISSEMENTS[:2])
    assert query(settings, "SELECT name, rows FROM reference_loads ORDER BY loaded_at, name") == [
        ("sirene_unites", 8), ("sirene_etablissements", 8), ("sirene_unites", 8), ("sirene_etablissements", 2)]


def test_derived_tables_are_rebuilt_under_the_ingestion_settings(settings: Settings,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """After a SIRENE load the facts, results and search index are rebuilt with the same connection settings as
    after an ingestion (no insertion order kept): the load used to RESET the setting to DuckDB's default."""
    import spaser.warehouse.derived as derived_module

    seen: list[object] = []
    original = derived_module.refresh_derived

    def spy(con: Any) -> None:
        seen.append(con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0])
        original(con)

    monkeypatch.setattr(derived_module, "refresh_derived", spy)
    load_sirene(settings.warehouse_dir, UNITES, ETABLISSEMENTS)
    assert seen == [False]
    assert tables(settings) == (EXPECTED_UNITES, EXPECTED_ETABLISSEMENTS)


def test_one_row_per_key_the_active_one_kept(settings: Settings, tmp_path: Path) -> None:
    """Regression guard: a SIRET twice in the file (two stocks concatenated) must not double the contracts joined
    to it. The closed établissement 40799550500010 comes back active; 30130960500410 is repeated as is."""
    etab = lines(ETABLISSEMENTS)
    paredes = next(line for line in etab if line.startswith("407995505,"))
    smacl = next(line for line in etab if line.startswith("301309605,"))
    reopened = paredes.replace(",2021-12-31,F,", ",2024-01-01,A,")
    assert reopened != paredes
    unites = lines(UNITES)
    croix = next(line for line in unites if line.startswith("215901638,"))
    path = derived(tmp_path, "etab.csv", [*etab, reopened, smacl])
    unites_path = derived(tmp_path, "unites.csv", [*unites, croix.replace("COMMUNE DE CROIX", "VILLE DE CROIX")])
    report = load_sirene(settings.warehouse_dir, unites_path, path)
    assert (report.etablissements.rows_read, report.etablissements.duplicates, report.etablissements.rows) == (10, 2, 8)
    assert (report.unites.duplicates, report.unites.rows) == (1, 8)
    assert query(settings, "SELECT actif FROM ref_sirene_etablissements WHERE siret = '40799550500010'") == [(True,)]
    assert query(settings, "SELECT count(*), count(DISTINCT siret) FROM ref_sirene_etablissements") == [(8, 8)]
    assert query(settings, "SELECT count(*) FROM ref_sirene_unites WHERE siren = '215901638'") == [(1,)]


def test_rows_without_a_key_are_dropped_and_counted(settings: Settings, tmp_path: Path) -> None:
    etab = lines(ETABLISSEMENTS)
    keyless = ",,," + etab[1].split(",", 3)[3]  # no siren, nic, siret
    report = load_sirene(settings.warehouse_dir, UNITES, derived(tmp_path, "etab.csv", [*etab, keyless]))
    assert (report.etablissements.rows_read, report.etablissements.without_key, report.etablissements.rows) == (9, 1, 8)
    assert query(settings, "SELECT count(*) FROM ref_sirene_etablissements WHERE siret IS NULL") == [(0,)]


def test_a_header_with_bom_and_extra_columns_in_another_order(settings: Settings, tmp_path: Path) -> None:
    """Only the used columns matter, wherever they are: a re-export with a BOM and its columns shuffled loads."""
    rows = [line.rstrip("\n").split(",") for line in lines(ETABLISSEMENTS)[:3]]  # no quoted field in these rows
    order = list(reversed(range(len(rows[0]))))
    text = "\ufeff" + "".join(",".join(row[i] for i in order) + "\r\n" for row in rows)
    path = tmp_path / "etab.csv"
    path.write_text(text, encoding="utf-8")
    load_sirene(settings.warehouse_dir, UNITES, path)
    assert tables(settings)[1] == EXPECTED_ETABLISSEMENTS[:2]


# --------------------------------------------------------------------------------------------------
# Refusals: an InputError naming the file and what is wrong; the current snapshot is kept


def without_column(source: Path, column: str, target: Path) -> Path:
    rows = [line.rstrip("\n").split(",") for line in lines(source)[:4]]  # header + rows without quoted commas
    index = rows[0].index(column)
    target.write_text("".join(",".join(v for i, v in enumerate(row) if i != index) + "\n" for row in rows),
                      encoding="utf-8")
    return target


def bad_zip(tmp_path: Path) -> Path:
    path = tmp_path / "StockEtablissement_utf8.zip"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    return path


def two_csvs(tmp_path: Path) -> Path:
    path = tmp_path / "two.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.write(ETABLISSEMENTS, "a.csv")
        archive.write(ETABLISSEMENTS, "b.csv")
    return path


def unterminated_quote(tmp_path: Path) -> Path:
    return derived(tmp_path, "etab.csv", [*lines(ETABLISSEMENTS), '999999999,00010,99999999900010,"O\n'])


CASES: list[tuple[str, Callable[[Path], tuple[Path, Path]], list[str]]] = [
    ("missing columns",
     lambda t: (UNITES, without_column(ETABLISSEMENTS, "codeCommuneEtablissement", t / "etab.csv")),
     ["etab.csv", "établissements", "without the column(s) codeCommuneEtablissement"]),
    ("files swapped", lambda t: (ETABLISSEMENTS, UNITES),
     ["StockEtablissement_utf8.csv: this is the SIRENE établissements stock", "give the unités légales file first"]),
    ("not a SIRENE file", lambda t: (UNITES, derived(t, "decp.csv", ["id_marche,date_notification,montant\n",
                                                                       "2019-001,2019-03-01,30000\n"])),
     ["decp.csv: not a SIRENE établissements stock file (StockEtablissement): none of the columns siret, siren",
      "(found id_marche, date_notification, montant)"]),
    ("empty file", lambda t: (derived(t, "empty.csv", []), ETABLISSEMENTS), ["empty.csv: empty file"]),
    ("unreadable zip", lambda t: (UNITES, bad_zip(t)), ["StockEtablissement_utf8.zip: unreadable archive"]),
    ("two CSVs in a zip", lambda t: (UNITES, two_csvs(t)), ["two.zip: expected one CSV file inside the zip"]),
    ("unterminated quote", lambda t: (UNITES, unterminated_quote(t)),
     ["etab.csv: not a readable SIRENE établissements CSV file: CSV Error on Line: 10",
      "unterminated quote"]),
    ("a short row", lambda t: (UNITES, derived(t, "etab.csv", [*lines(ETABLISSEMENTS), "999999999,00010\n"])),
     ["etab.csv: not a readable SIRENE établissements CSV file: CSV Error on Line: 10; "
      "Original Line: 999999999,00010; Expected Number of Columns: 53 Found: 2"]),
    ("missing file", lambda t: (t / "StockUniteLegale_utf8.zip", ETABLISSEMENTS),
     ["StockUniteLegale_utf8.zip: cannot read"]),
]


@pytest.mark.parametrize(("make", "expected"), [(make, expected) for _, make, expected in CASES],
                         ids=[name for name, _, _ in CASES])
def test_bad_files_are_refused_with_the_reason(settings: Settings, tmp_path: Path,
                                               make: Callable[[Path], tuple[Path, Path]],
                                               expected: list[str]) -> None:
    load_sirene(settings.warehouse_dir, UNITES, ETABLISSEMENTS)
    unites, etablissements = make(tmp_path)
    with pytest.raises(InputError) as error:
        load_sirene(settings.warehouse_dir, unites, etablissements)
    for text in expected:
        assert text in error.value.message
    assert tables(settings) == (EXPECTED_UNITES, EXPECTED_ETABLISSEMENTS)  # the previous stock is kept
    assert list(settings.warehouse_dir.glob(".building-*")) == []


def test_a_zip_cut_short_is_refused_not_loaded_in_part(settings: Settings, tmp_path: Path) -> None:
    """The pipe from a damaged zip ends early, which DuckDB would read as a short file: the zip's error wins."""
    etab = lines(ETABLISSEMENTS)
    body = [f"{n:09d}," + line.split(",", 1)[1] for n in range(40_000) for line in etab[1:2]]
    big = derived(tmp_path, "StockEtablissement_utf8.csv", [etab[0], *body])
    archive = zipped(tmp_path, big, "StockEtablissement_utf8.csv")
    data = archive.read_bytes()
    local_header = 30 + len("StockEtablissement_utf8.csv")
    damaged = tmp_path / "damaged.zip"  # the compressed stream corrupted in its middle, the directory intact
    middle = local_header + (len(data) - local_header) // 3
    damaged.write_bytes(data[:middle] + bytes(b ^ 0xFF for b in data[middle:middle + 64]) + data[middle + 64:])
    load_sirene(settings.warehouse_dir, UNITES, ETABLISSEMENTS)
    threads = threading.active_count()
    with pytest.raises(InputError, match=r"damaged\.zip: unreadable archive"):
        load_sirene(settings.warehouse_dir, UNITES, damaged)
    assert tables(settings) == (EXPECTED_UNITES, EXPECTED_ETABLISSEMENTS)
    assert threading.active_count() == threads


def test_a_bad_row_early_in_a_big_zip_stops_the_inflating_thread(settings: Settings, tmp_path: Path) -> None:
    """DuckDB stops reading the pipe at the bad row; the thread still inflating must not stay blocked on it."""
    etab = lines(ETABLISSEMENTS)
    body = [f"{n:09d}," + etab[1].split(",", 1)[1] for n in range(200_000)]
    big = derived(tmp_path, "big.csv", [etab[0], *body[:5], "999999999,00010\n", *body[5:]])
    archive = zipped(tmp_path, big, "StockEtablissement_utf8.csv")
    threads = threading.active_count()
    with pytest.raises(InputError, match=r"StockEtablissement_utf8\.zip: not a readable SIRENE établissements CSV "
                                         r"file: CSV Error on Line: 7; Original Line: 999999999,00010"):
        load_sirene(settings.warehouse_dir, UNITES, archive)
    assert threading.active_count() == threads


def test_the_command_prints_the_error_and_exits_1(settings: Settings) -> None:
    code, output = cli(settings, "reference", "load-sirene", "-q", str(ETABLISSEMENTS), str(ETABLISSEMENTS))
    assert code == 1
    assert "error:" in output and "give the unités légales file first" in output


def test_the_progress_bar_starts_on_long_files_only() -> None:
    from spaser.cli_reference import _StockBars

    bars = _StockBars()
    bars("small.csv", 10, 100)
    assert not bars.started
    bars("StockEtablissement_utf8.zip", 0, 8 << 30)
    bars("StockEtablissement_utf8.zip", 4 << 30, 8 << 30)
    assert bars.started and bars.bar.tasks[0].completed == 4 << 30
    bars.close()


# --------------------------------------------------------------------------------------------------
# Enrichment of real titulaires


@needs_shared
def test_real_titulaires_find_their_sirene_rows_once(settings: Settings, tmp_path: Path,
                                                     run_ingest: Callable[..., object]) -> None:
    """Ville de Croix's contracts (real 2019 file) and its suppliers in the fixture; one SIRET duplicated in the
    stock must not multiply the titulaires (the enriched view has as many rows as titulaires_actuels)."""
    run_ingest(REAL / "v2019" / "marches-securises_ville-de-croix_2019-2021.json")
    etab = lines(ETABLISSEMENTS)
    api = next(line for line in etab if line.startswith("477181010,"))
    load_sirene(settings.warehouse_dir, UNITES, derived(tmp_path, "etab.csv", [*etab, api]))
    found = query(settings, "SELECT DISTINCT t.id FROM titulaires_actuels t "
                            "JOIN ref_sirene_etablissements s ON s.siret = t.id ORDER BY 1")
    assert [row[0] for row in found] == ["31611247300038", "40799550500010", "47718101000091", "97120154600241"]
    assert query(settings, "SELECT count(*) FROM titulaires_enrichis") == query(
        settings, "SELECT count(*) FROM titulaires_actuels")
    api_rows = query(settings, "SELECT DISTINCT categorie_entreprise, ess, commune_code, naf FROM titulaires_enrichis "
                               "WHERE id = '47718101000091'")
    assert api_rows == [("ETI", False, "59410", "56.29A")]
