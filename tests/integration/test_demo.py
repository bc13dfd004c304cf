"""The demonstration dataset: deterministic generation, and a seeded warehouse where every indicator has content.

The dataset is generated and seeded once per module (a few seconds); the tests that change a warehouse work on a
copy of it. Real DuckDB, the real loaders and the real ingestion.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from spaser.cli import app
from spaser.config import Settings
from spaser.demo import DEMO_SOURCE, DemoFiles, SeedReport, generate, is_demo, seed
from spaser.demo.identity import luhn_valid
from spaser.errors import InputError
from spaser.indicators.catalogue import MEASURES, catalogue
from spaser.indicators.engine import compute, results
from spaser.indicators.targets import load_target_set
from spaser.warehouse import snapshot
from spaser.warehouse.ingest import ingest
from tests.conftest import TODAY, shared

#: One real-looking record of another source, to ingest on top of (or instead of) the demonstration.
REAL_RECORD = {
    "id": "2025R0001", "acheteur": {"id": "21350238800019"}, "nature": "Marché",
    "objet": "Fourniture de sel de déneigement", "codeCPV": "34927100", "techniques": {"technique": ["Sans objet"]},
    "modalitesExecution": {"modaliteExecution": ["Sans objet"]}, "marcheInnovant": False,
    "ccag": "Fournitures courantes et services", "offresRecues": 3, "attributionAvance": False, "tauxAvance": 0,
    "typeGroupementOperateurs": "Pas de groupement", "sousTraitanceDeclaree": False,
    "procedure": "Procédure adaptée", "lieuExecution": {"code": "35238", "typeCode": "Code commune"},
    "dureeMois": 12, "dateNotification": "2025-03-03", "datePublicationDonnees": "2025-03-20", "montant": 52000,
    "typesPrix": {"typePrix": ["Définitif ferme"]}, "formePrix": "Unitaire",
    "titulaires": [{"titulaire": {"typeIdentifiant": "SIRET", "id": "55208131766522"}}],
    "considerationsSociales": {"considerationSociale": ["Pas de considération sociale"]},
    "considerationsEnvironnementales": {"considerationEnvironnementale": ["Clause environnementale"]},
}


def _settings(folder: Path) -> Settings:
    return Settings(data_dir=folder, ingest_workers=-1)


def _real_file(folder: Path) -> Path:
    path = folder / "decp-reel.json"
    path.write_text(json.dumps({"marches": {"marche": [REAL_RECORD]}}, ensure_ascii=False), encoding="utf-8")
    return path


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> DemoFiles:
    return generate(tmp_path_factory.mktemp("demo-a"), 2026)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, SeedReport]:
    settings = _settings(tmp_path_factory.mktemp("demo-data") / "data")
    return settings, seed(settings)


def test_same_seed_gives_the_same_bytes(files: DemoFiles, tmp_path: Path) -> None:
    again = generate(tmp_path / "b", 2026)
    first, second = _tree(files.folder), _tree(again.folder)
    assert list(first) == list(second) and len(first) == len(files.files) == 8
    assert first == second


def test_another_seed_gives_another_dataset(files: DemoFiles, tmp_path: Path) -> None:
    other = generate(tmp_path / "c", 7)
    for mine, theirs in zip(files.files, other.files, strict=True):
        if mine.parent.name in ("decp", "sirene"):
            assert mine.read_bytes() != theirs.read_bytes(), mine.name
    assert abs(other.contracts - files.contracts) < 400


def test_the_dataset_looks_like_a_region_s_public_procurement(files: DemoFiles) -> None:
    assert 3600 <= files.contracts <= 4400 and files.buyers == 30 and 750 <= files.suppliers <= 900
    assert files.duplicates >= 40 and files.concessions >= 15
    assert Counter(kind for _, _, kind in files.defects) == {
        "date_manquante": 3, "montant_placeholder": 3, "siret_invalide": 4, "cpv_7_chiffres": 2,
        "date_fuseau_horaire": 2}
    main = json.loads(files.decp[0].read_text(encoding="utf-8"))["marches"]
    marches = main["marche"]
    broken = {index for name, index, kind in files.defects if name == files.decp[0].name and kind == "siret_invalide"}
    sirets = [t["titulaire"]["id"] for i, r in enumerate(marches) if i not in broken for t in r["titulaires"]
              if t["titulaire"]["typeIdentifiant"] == "SIRET"]
    assert all(luhn_valid(s) for s in sirets) and all(luhn_valid(r["acheteur"]["id"]) for r in marches)
    assert len({s[:9] for s in sirets}) < len(sirets) / 4  # SIRENs win many contracts
    years = Counter(r["dateNotification"][:4] for r in marches if "dateNotification" in r)
    assert set(years) == {"2022", "2023", "2024", "2025", "2026"}
    procedures = Counter(r["procedure"] for r in marches)
    assert procedures.most_common(2)[0][0] == "Procédure adaptée" and procedures["Appel d'offres ouvert"] > 400
    assert 0.07 < sum("modifications" in r for r in marches) / len(marches) < 0.14

    def env_share(year: str) -> float:
        chosen = [r for r in marches if r.get("dateNotification", "")[:4] == year]
        return float(sum(r["considerationsEnvironnementales"]["considerationEnvironnementale"][0]
                         != "Pas de considération environnementale" for r in chosen) / len(chosen))

    assert env_share("2022") + 0.3 < env_share("2026")  # the trend shows
    unites = files.sirene_unites.read_text(encoding="utf-8").splitlines()
    header = unites[0].split(",")
    categories = Counter(line.split(",")[header.index("categorieEntreprise")] for line in unites[1:])
    assert categories["PME"] > categories["ETI"] > 0 and categories["GE"] > 0
    assert sum(line.split(",")[header.index("economieSocialeSolidaireUniteLegale")] == "O" for line in unites) >= 15
    targets = load_target_set(files.targets[0])
    assert targets.find("sme_advance", "count") is not None and targets.acheteurs[0].isdigit()


def test_the_records_are_valid_against_the_official_schema(files: DemoFiles) -> None:
    schema = json.loads(shared("decp/schemas/v2.0.3/schema_decp_v2.0.3.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    for path in files.decp:
        document = json.loads(path.read_text(encoding="utf-8"))
        defective = {index for name, index, _ in files.defects if name == path.name}
        marches = document["marches"]["marche"]
        document["marches"]["marche"] = [r for i, r in enumerate(marches) if i not in defective]
        errors = [f"{list(e.path)[:3]}: {e.message[:120]}" for e in validator.iter_errors(document)]
        assert errors == [], path.name


def test_seed_fills_the_warehouse(seeded: tuple[Settings, SeedReport]) -> None:
    settings, report = seeded
    run = report.ingestion
    assert report.contracts >= 3000 and report.contracts == run.loaded == report.files.contracts
    assert run.duplicates == report.files.duplicates and run.quarantined == 0
    for file_report in run.files:  # conservation: every record read is loaded, a duplicate or quarantined
        assert file_report.records_read == file_report.loaded + file_report.duplicates + file_report.quarantined
    assert run.records_read == report.files.records
    assert report.cog.communes >= 40 and report.sirene.unites.rows == report.files.suppliers + report.files.buyers
    assert [p.parent for p in report.targets] == [settings.data_dir / "targets"]
    con = snapshot.open_current(settings.warehouse_dir)
    try:
        assert is_demo(con)
        years = con.execute("SELECT count(DISTINCT year(date_notification)) FROM contracts").fetchone()
        assert years is not None and years[0] >= 3
        sources = con.execute("SELECT DISTINCT source_name FROM records").fetchall()
        assert sources == [(DEMO_SOURCE,)]
        filled = con.execute("SELECT avg((len(considerations_environnementales) > 0 AND "
                             "len(considerations_sociales) > 0)::INT) FROM contracts").fetchone()
        assert filled is not None and filled[0] == 1
        found = con.execute("SELECT avg(siret_trouve::INT), avg((categorie_entreprise IS NOT NULL)::INT), "
                            "avg((region_code IS NOT NULL)::INT) FROM titulaires_enrichis").fetchone()
        assert found is not None and min(found) > 0.95
        regions = con.execute("SELECT count(DISTINCT acheteur_region_code) FROM contracts_enrichis").fetchone()
        assert regions == (3,)
        flags = {flag for (flag,) in con.execute(
            "SELECT DISTINCT unnest(quality_flags) FROM contracts").fetchall()}
        assert {"montant:placeholder", "titulaire:siret_cle", "dateNotification:manquant"} <= flags
    finally:
        con.close()


def test_every_indicator_has_a_value_in_2025(seeded: tuple[Settings, SeedReport]) -> None:
    settings, _ = seeded
    con = snapshot.open_current(settings.warehouse_dir)
    try:
        compute(con, years=[2025], scopes=["all"])
        values = {(r.id, r.measure): r.value for r in results(con)}
    finally:
        con.close()
    expected = {(indicator.id, measure) for indicator in catalogue() for measure in MEASURES}
    assert set(values) == expected
    assert [key for key, value in values.items() if value is None] == []


def test_real_ingestion_into_the_demo_is_refused_or_replaces_it(seeded: tuple[Settings, SeedReport],
                                                                 tmp_path: Path) -> None:
    """Real records never mix with the demonstration's: refused, or (--replace-demo) the demo goes first."""
    settings, _ = seeded
    copy = _settings(tmp_path / "data")
    shutil.copytree(settings.data_dir, copy.data_dir)
    with pytest.raises(InputError, match="demonstration dataset"):
        ingest([_real_file(tmp_path)], copy, today=TODAY)
    ingest([_real_file(tmp_path)], copy, today=TODAY, replace_demo=True)
    con = snapshot.open_current(copy.warehouse_dir)
    try:
        assert not is_demo(con)
        assert con.execute("SELECT count(*) FROM contracts").fetchone() == (1,)
    finally:
        con.close()
    assert not list((copy.data_dir / "targets").glob("*-demonstration.toml"))
    with pytest.raises(InputError, match="ingested record"):
        seed(copy)


def test_real_data_in_a_fresh_folder_is_not_demo(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "data")
    ingest([_real_file(tmp_path)], settings, today=TODAY)
    con = snapshot.open_current(settings.warehouse_dir)
    try:
        assert not is_demo(con)
    finally:
        con.close()
    result = CliRunner().invoke(app, ["--data-dir", str(settings.data_dir), "demo", "seed", "-q"])
    assert result.exit_code == 1
    assert "only seeded into an empty data folder" in result.output


def test_seed_refuses_another_seed_on_demo_data(seeded: tuple[Settings, SeedReport]) -> None:
    settings, _ = seeded
    with pytest.raises(InputError, match="seed 2026"):
        seed(settings, 7)
