"""Ingestion of every real shared file: conservation, formats, deduplication, idempotence, order."""

from __future__ import annotations

import gzip
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from spaser.config import Settings
from spaser.warehouse.report import RunReport
from spaser.warehouse.snapshot import current_path
from tests.conftest import DECP, REAL, REAL_FILES, needs_shared, sha256_of, shared

pytestmark = [pytest.mark.shared_data, needs_shared]

Ingest = Callable[..., RunReport]


def query(settings: Settings, sql: str, *params: object) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(current_path(settings.warehouse_dir)), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


@pytest.mark.parametrize("path", REAL_FILES, ids=lambda p: p.name)
def test_every_real_file_conserves_its_records(path: Path, run_ingest: Ingest, settings: Settings) -> None:
    report = run_ingest(path)
    (entry,) = report.files
    assert entry.status == "ingested"
    assert entry.records_read > 0
    assert entry.records_read == entry.loaded + entry.duplicates + entry.quarantined
    assert report.conserved()
    (stored,) = query(settings, "SELECT count(*) FROM records")
    (quarantined,) = query(settings, "SELECT count(*) FROM quarantine")
    assert isinstance(stored[0], int) and isinstance(quarantined[0], int)
    assert stored[0] + quarantined[0] == entry.records_read
    (contracts,) = query(settings, "SELECT count(*) FROM contracts")
    assert contracts[0] == entry.loaded


def test_formats_are_detected_per_file_and_record(run_ingest: Ingest, settings: Settings) -> None:
    report = run_ingest(REAL / "v2019" / "marches-publics.info_2019-03-07.json", REAL / "v2024",
                        DECP / "schemas" / "examples" / "v2.0.3" / "xml" / "Marche.xml")
    formats = {Path(f.path).name: f.format for f in report.files}
    assert formats["marches-publics.info_2019-03-07.json"] == "json-2019"
    assert formats["megalis-bretagne_decp-59920013600241-2024-07-09-01.json"] == "json-2022"
    # MINEF's sorting test record: a 2024 contract in 2019 shape with empty 2022 tags.
    assert formats["decp-rama_test_tri_hybrid-2019-2024.xml"] == "xml-hybrid"
    assert formats["Marche.xml"] == "xml-2022"
    kinds: dict[object, object] = {kind: count for kind, count in query(
        settings, "SELECT kind, count(*) FROM contracts GROUP BY kind")}
    assert kinds["concession"] == 10  # the 10 concessions of marches-publics.info
    assert query(settings, "SELECT DISTINCT source_format FROM records WHERE source_name LIKE 'decp-rama%'") == [
        ("hybrid",)]


def test_croix_lots_sharing_an_id_are_not_merged(run_ingest: Ingest, settings: Settings) -> None:
    """Ville de Croix reuses one id for every lot of a consultation: 159 records, 47 extra uses of an id.

    Lots differ by amount, notification date or titulaire and must stay separate contracts; only true
    repetitions (same id, date, amount and titulaires) merge.
    """
    path = shared("decp/real/v2019/marches-securises_ville-de-croix_2019-2021.json")
    records = json.loads(path.read_bytes())["marches"]
    assert len(records) - len({r["id"] for r in records}) == 47
    identical = len(records) - len({
        (r["id"], r["dateNotification"], float(r["montant"]), tuple(sorted(t["id"] for t in r["titulaires"])))
        for r in records
    })
    report = run_ingest(path)
    assert report.duplicates == identical
    assert report.loaded == 159 - identical
    lots = query(settings, "SELECT count(*) FROM contracts WHERE id = '202117F000000000'")
    assert lots[0][0] == sum(1 for r in records if r["id"] == "202117F000000000")


def test_same_input_again_changes_nothing(run_ingest: Ingest, settings: Settings) -> None:
    first = run_ingest(REAL / "v2019")
    snapshot = current_path(settings.warehouse_dir)
    digest = sha256_of(snapshot)
    second = run_ingest(REAL / "v2019")
    assert first.loaded > 8000
    assert second.snapshot_changed is False
    assert {f.status for f in second.files} == {"already_ingested"}
    assert second.records_read == 0
    assert sha256_of(snapshot) == digest


def test_a_then_b_equals_a_and_b_together(tmp_path: Path) -> None:
    from spaser.warehouse.ingest import ingest
    from tests.conftest import TODAY

    a = shared("decp/real/v2019/data.gouv.fr_aife_2019-04-04.json")
    b = REAL / "v2019" / "marches-publics.info_2019-03-07.json"
    c = REAL / "fixtures_semi_synthetic"
    one = Settings(data_dir=tmp_path / "one", ingest_workers=-1)
    two = Settings(data_dir=tmp_path / "two", ingest_workers=-1)
    r1 = ingest([a], one, today=TODAY)
    r2 = ingest([b, c], one, today=TODAY)
    together = ingest([b, c, a], two, today=TODAY)
    assert r1.loaded + r2.loaded == together.loaded
    sql = "SELECT contract_key, record_uid, montant, n_versions, sources FROM contracts ORDER BY contract_key"
    assert query(one, sql) == query(two, sql)


def test_modifications_apply_in_order(run_ingest: Ingest, settings: Settings) -> None:
    """Official v2.0.3 example: the current amount and duration are those of the last modification."""
    path = shared("decp/schemas/examples/v2.0.3/json/marches_avec_modifications.json")
    document = json.loads(path.read_bytes())
    run_ingest(path)
    for marche in document["marches"]["marche"]:
        mods = [m["modification"] for m in marche.get("modifications", [])]
        mods.sort(key=lambda m: int(m["id"]))
        expected_montant = next((m["montant"] for m in reversed(mods) if "montant" in m), marche["montant"])
        expected_duree = next((m["dureeMois"] for m in reversed(mods) if "dureeMois" in m), marche["dureeMois"])
        row = query(settings, "SELECT montant_initial, montant, duree_mois, n_modifications FROM contracts "
                    "WHERE id = ? AND acheteur_id = ?", marche["id"], marche["acheteur"]["id"])
        assert row == [(marche["montant"], expected_montant, expected_duree, len(mods))]


def test_compressed_and_archived_inputs(tmp_path: Path, run_ingest: Ingest, settings: Settings) -> None:
    source = shared("decp/real/v2019/marches-securises_ville-de-croix_2019-2021.json")
    gz = tmp_path / "croix.json.gz"
    gz.write_bytes(gzip.compress(source.read_bytes()))
    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(REAL / "v2024" / "megalis-bretagne_decp-59920013600241-2024-07-09-01.json", "megalis.json")
        zf.write(REAL / "v2024" / "decp-rama_test_tri_hybrid-2019-2024.xml", "sub/tri.xml")
    report = run_ingest(gz, archive)
    assert [f.records_read for f in report.files] == [159, 5, 1]
    assert report.files[1].path.endswith("bundle.zip!megalis.json")
    assert report.files[0].sha256 == sha256_of(source)  # same data, compressed or not: same input
    again = run_ingest(source)
    assert again.files[0].status == "already_ingested"


def test_report_json_has_the_published_fields(run_ingest: Ingest) -> None:
    report = run_ingest(REAL / "v2024").to_json()
    for key in ("records_read", "loaded", "duplicates", "quarantined", "by_reason", "files"):
        assert key in report
    for entry in report["files"]:
        assert {"path", "sha256", "format", "records_read"} <= set(entry)
    json.dumps(report)


def test_folder_skips_non_decp_text_files(run_ingest: Ingest) -> None:
    report = run_ingest(shared("decp/real"))
    statuses = {Path(f.path).name: f.status for f in report.files}
    assert statuses["README.md"] == "skipped"
    assert not report.unreadable_files
    assert report.conserved()


def test_every_flag_and_reason_seen_on_real_files_is_documented(run_ingest: Ingest) -> None:
    from tests.conftest import ROOT

    report = run_ingest(shared("decp/real"), DECP / "schemas" / "examples")
    doc = (ROOT / "docs" / "ingestion.md").read_text(encoding="utf-8")
    defects = {flag.rpartition(":")[2] for flag in report.by_flag}
    assert len(defects) > 20
    missing = sorted(d for d in defects if f"`{d}`" not in doc and f", {d}" not in doc)
    assert not missing, f"quality flags not documented in docs/ingestion.md: {missing}"
