"""`spaser reference load-cpv` and `load-cog` on the real reference files, and the enriched views."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from spaser.config import Settings
from spaser.domain.cpv import DIVISIONS
from spaser.reference.cog import load_cog
from spaser.reference.cpv import load_cpv, parent_of
from spaser.reference.tables import CPV_DIVISIONS
from spaser.warehouse import snapshot
from tests.conftest import REAL, needs_shared, shared
from tests.warehouse_cli import cli, query


def cog_files() -> list[Path]:
    return [shared(f"reference/{level}_cog2025.csv") for level in ("communes", "departements", "regions")]


def test_builtin_divisions_are_the_45_of_cpv_2008(settings: Settings) -> None:
    assert set(CPV_DIVISIONS) == DIVISIONS
    with snapshot.update(settings.warehouse_dir) as con:  # a snapshot with nothing loaded
        assert con.execute("SELECT count(*) FROM ref_cpv_divisions").fetchone() == (45,)


def test_load_cpv_from_the_shared_csv(settings: Settings) -> None:
    path = shared("reference/cpv_2008.csv")
    code, output = cli(settings, "reference", "load-cpv", str(path))
    assert code == 0, output
    assert "9454 CPV codes in 45 divisions" in output
    rows = query(settings, "SELECT code8, check_digit, division, level, parent_code8, label_fr, label_en FROM ref_cpv "
                           "WHERE code IN ('45000000-7', '45210000-2', '03111000-2')")
    by_code = {row[0]: row for row in rows}
    assert by_code["45000000"][1:5] == ("7", "45", 2, None)
    assert by_code["45210000"][3:5] == (4, "45200000")
    assert by_code["03111000"][3] == 5 and by_code["03111000"][5]
    with path.open(encoding="utf-8") as handle:
        reference = list(csv.DictReader(handle))
    known = {r["code8"] for r in reference}
    # Same parents as the shared file's heuristic, except that a division has none (the file gives 31000000
    # the parent 30000000) and that 59 codes whose ancestor exists get it (30192121 → 30192100).
    finer = [r for r in reference if r["level"] != "2" and r["parent_code"]]
    assert len(finer) > 9000
    assert all(parent_of(r["code8"], known) == r["parent_code"][:8] for r in finer)
    assert all(parent_of(r["code8"], known) is None for r in reference if r["level"] == "2")
    assert query(settings, "SELECT count(*) FROM reference_loads WHERE name = 'cpv'") == [(1,)]


def test_load_cpv_from_an_eu_style_xlsx(settings: Settings, tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["CODE", "BG", "EN", "FR"])
    sheet.append(["45000000-7", "Строителни работи", "Construction work", "Travaux de construction"])
    sheet.append(["45200000-9", "x", "Works for complete or part construction", "Travaux de construction complète"])
    sheet.append(["not a code", "", "", ""])
    path = tmp_path / "cpv_2008_ver_2013.xlsx"
    book.save(path)
    report = load_cpv(settings.warehouse_dir, path)
    assert (report.codes, report.rows_read, report.rejected) == (2, 3, [(4, "not a code")])
    assert query(settings, "SELECT code8, parent_code8, label_en FROM ref_cpv ORDER BY code8") == [
        ("45000000", None, "Construction work"), ("45200000", "45000000", "Works for complete or part construction")]


@pytest.mark.parametrize(("content", "message"), [
    ("a,b\n1,2\n", "not a CPV file: no CODE column"),
    ("CODE,DE\n45000000-7,Bauarbeiten\n", "no label column"),
    ("CODE,FR\n4500,Travaux\n", "no valid CPV code"),
])
def test_bad_cpv_files_are_refused_with_the_reason(settings: Settings, tmp_path: Path, content: str,
                                                   message: str) -> None:
    path = tmp_path / "cpv.csv"
    path.write_text(content, encoding="utf-8")
    code, output = cli(settings, "reference", "load-cpv", str(path))
    assert code == 1 and message in output and "cpv.csv" in output


@needs_shared
def test_load_cog_then_ingest_resolves_places(settings: Settings, run_ingest: Callable[..., object]) -> None:
    code, output = cli(settings, "reference", "load-cog", *map(str, cog_files()))
    assert code == 0, output
    assert "35015 communes" in output
    run_ingest(REAL / "v2019" / "marches-publics.info_2019-03-07.json")
    rows = query(settings, "SELECT lieu_departement_code, lieu_region_code, lieu_niveau, lieu_flags "
                           "FROM contracts_enrichis WHERE id = '2018PA04300'")
    assert rows == [("78", "11", "departement", ["lieu:format"])]
    assert query(settings, "SELECT count(*) FROM contracts_enrichis") == query(settings,
                                                                               "SELECT count(*) FROM contracts")


@needs_shared
def test_ingest_then_load_cog_resolves_places(settings: Settings, run_ingest: Callable[..., object]) -> None:
    run_ingest(REAL / "v2019" / "data.gouv.fr_aife_2019-04-04.json")
    before = query(settings, "SELECT lieu_flags FROM contracts_enrichis WHERE id = '2018IyBj_1JV7R00'")
    assert before == [(["lieu:cog_absent"],)]
    report = load_cog(settings.warehouse_dir, cog_files())
    assert report.lieux_resolved > 0.9 * report.lieux
    assert query(settings, "SELECT lieu_departement_code, lieu_flags FROM contracts_enrichis "
                           "WHERE id = '2018IyBj_1JV7R00'") == [("51", ["lieu:prefixe_fr"])]


def test_insee_layout_with_delegated_communes(settings: Settings, tmp_path: Path) -> None:
    communes = tmp_path / "v_commune_2025.csv"
    communes.write_text(
        "TYPECOM,COM,REG,DEP,CTCD,ARR,TNCC,NCC,NCCENR,LIBELLE,CAN,COMPARENT\n"
        "COM,35238,53,35,35D,352,0,RENNES,Rennes,Rennes,3599,\n"
        "COM,49092,52,49,49D,491,0,CHEMILLE EN ANJOU,Chemillé-en-Anjou,Chemillé-en-Anjou,4905,\n"
        "COMD,49092,,,,,0,CHEMILLE MELAY,Chemillé-Melay,Chemillé-Melay,,49092\n"
        "COMD,49060,,,,,0,CHANZEAUX,Chanzeaux,Chanzeaux,,49092\n", encoding="utf-8")
    departements = tmp_path / "v_departement_2025.csv"
    departements.write_text("DEP,REG,CHEFLIEU,TNCC,NCC,NCCENR,LIBELLE\n35,53,35238,3,ILLE ET VILAINE,"
                            "Ille-et-Vilaine,Ille-et-Vilaine\n49,52,49007,0,MAINE ET LOIRE,Maine-et-Loire,"
                            "Maine-et-Loire\n", encoding="utf-8")
    regions = tmp_path / "v_region_2025.csv"
    regions.write_text("REG,CHEFLIEU,TNCC,NCC,NCCENR,LIBELLE\n53,35238,0,BRETAGNE,Bretagne,Bretagne\n"
                       "52,44109,4,PAYS DE LA LOIRE,Pays de la Loire,Pays de la Loire\n", encoding="utf-8")
    report = load_cog(settings.warehouse_dir, [communes, departements, regions])
    assert [layout for _, layout, _ in report.files] == ["insee_communes", "insee_departements", "insee_regions"]
    assert query(settings, "SELECT commune_code, commune_nom, departement_code, region_code FROM ref_communes "
                           "ORDER BY 1") == [("35238", "Rennes", "35", "53"),
                                             ("49060", "Chemillé-en-Anjou", "49", "52"),
                                             ("49092", "Chemillé-en-Anjou", "49", "52")]
    assert query(settings, "SELECT * FROM ref_departements ORDER BY 1") == [
        ("35", "Ille-et-Vilaine", "53"), ("49", "Maine-et-Loire", "52")]


def test_a_non_cog_file_is_refused_and_the_snapshot_kept(settings: Settings, tmp_path: Path) -> None:
    load_cog(settings.warehouse_dir, cog_files())
    before = snapshot.current_path(settings.warehouse_dir).read_bytes()
    bad = tmp_path / "communes.csv"
    bad.write_text("code,name\n1,x\n", encoding="utf-8")
    code, output = cli(settings, "reference", "load-cog", str(bad))
    assert code == 1 and "not a COG file" in output and "communes.csv" in output
    assert snapshot.current_path(settings.warehouse_dir).read_bytes() == before


def test_an_error_inside_an_update_leaves_the_snapshot_unchanged(settings: Settings) -> None:
    load_cog(settings.warehouse_dir, cog_files())
    before = snapshot.current_path(settings.warehouse_dir).read_bytes()
    with pytest.raises(RuntimeError), snapshot.update(settings.warehouse_dir) as con:
        con.execute("DELETE FROM ref_communes")
        raise RuntimeError("stop")
    assert snapshot.current_path(settings.warehouse_dir).read_bytes() == before
    assert not list(settings.warehouse_dir.glob(".building-*"))
    assert duckdb.connect(str(snapshot.current_path(settings.warehouse_dir)), read_only=True).execute(
        "SELECT count(*) FROM ref_communes").fetchone() == (35015,)


@needs_shared
def test_titulaires_and_buyers_are_enriched_from_sirene(settings: Settings,
                                                        run_ingest: Callable[..., object]) -> None:
    run_ingest(REAL / "v2019" / "marches-publics.info_2019-03-07.json")
    load_cog(settings.warehouse_dir, cog_files())
    titulaire, acheteur = query(settings, "SELECT t.id, c.acheteur_id FROM titulaires_actuels t JOIN contracts c "
                                          "USING (record_uid) WHERE t.siret_valide LIMIT 1")[0]
    assert isinstance(titulaire, str) and isinstance(acheteur, str)
    with snapshot.update(settings.warehouse_dir) as con:
        con.execute("INSERT INTO ref_sirene_unites VALUES (?, 'PME', true, 'ENTREPRISE', '43.21A', true), "
                    "(?, NULL, NULL, 'COMMUNE', '84.11Z', true)", [titulaire[:9], acheteur[:9]])
        con.execute("INSERT INTO ref_sirene_etablissements VALUES (?, ?, '35238', true, '43.21A', true), "
                    "(?, ?, '69123', true, '84.11Z', true)", [titulaire, titulaire[:9], acheteur, acheteur[:9]])
    rows = query(settings, f"SELECT DISTINCT siren, categorie_entreprise, ess, naf, commune_code, departement_code, "
                           f"region_code FROM titulaires_enrichis WHERE id = '{titulaire}'")
    assert rows == [(titulaire[:9], "PME", True, "43.21A", "35238", "35", "53")]
    buyer = query(settings, f"SELECT DISTINCT acheteur_commune_code, acheteur_departement_code, acheteur_region_code,"
                            f" acheteur_naf, acheteur_categorie_entreprise FROM contracts_enrichis "
                            f"WHERE acheteur_id = '{acheteur}'")
    assert buyer == [("69123", "69", "84", "84.11Z", None)]
    unknown = query(settings, f"SELECT count(*) FROM titulaires_enrichis WHERE id <> '{titulaire}' AND siret_trouve")
    assert unknown == [(0,)]
