"""Bad files give a clear message naming the file and the position; the rest of the run goes on."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from spaser.config import Settings
from spaser.warehouse.report import RunReport
from spaser.warehouse.snapshot import current_path

Ingest = Callable[..., RunReport]

GOOD = {"marches": {"marche": [
    {"id": "2024-001", "acheteur": {"id": "21350238800019"}, "montant": 50000, "dateNotification": "2024-02-01",
     "titulaires": [{"titulaire": {"typeIdentifiant": "SIRET", "id": "55204599900869"}}]},
    {"id": "2024-002", "acheteur": {"id": "21350238800019"}, "montant": 75000, "dateNotification": "2024-03-01"},
]}}


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    good = json.dumps(GOOD, indent=2).encode()
    paths = {
        "good": tmp_path / "good.json",
        "truncated": tmp_path / "truncated.json",
        "invalid_xml": tmp_path / "invalid.xml",
        "empty": tmp_path / "empty.json",
        "binary": tmp_path / "image.json",
    }
    paths["good"].write_bytes(good)
    paths["truncated"].write_bytes(good[: good.index(b'"2024-002"') + 20])
    paths["invalid_xml"].write_bytes(
        b"<marches>\n  <marche><id>X1</id><acheteur><id>21350238800019</id></acheteur></marche>\n"
        b"  <marche><id>X2</id><acheteur><id>2135023880</acheteur></marche>\n</marches>\n")
    paths["empty"].write_bytes(b"")
    paths["binary"].write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    return paths


def test_each_bad_file_is_reported_and_the_good_one_loaded(files: dict[str, Path], run_ingest: Ingest,
                                                           settings: Settings) -> None:
    report = run_ingest(*files.values())
    by_name = {Path(f.path).stem: f for f in report.files}
    assert by_name["good"].status == "ingested" and by_name["good"].loaded == 2

    truncated = by_name["truncated"]
    assert truncated.status == "partial"
    assert "truncated" in (truncated.error or "")
    assert truncated.position is not None and "line" in truncated.position
    assert truncated.records_read == 2  # one complete record, one incomplete tail kept in quarantine
    assert truncated.duplicates == 1 and truncated.quarantined == 1

    invalid = by_name["invalid"]
    assert invalid.status == "partial" and invalid.position is not None and invalid.position.startswith("line 3")
    assert invalid.records_read == 2 and invalid.quarantined == 1

    assert by_name["empty"].status == "unreadable" and by_name["empty"].error == "empty file"
    assert by_name["image"].status == "unreadable" and "binary" in (by_name["image"].error or "")
    assert report.conserved()

    con = duckdb.connect(str(current_path(settings.warehouse_dir)), read_only=True)
    reasons = con.execute("SELECT reasons[1], raw_text FROM quarantine ORDER BY record_uid").fetchall()
    con.close()
    assert any(r.startswith("json:tronque_ou_invalide") and '"2024-002"' in raw for r, raw in reasons)


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "spaser", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


def test_cli_exit_code_and_messages(files: dict[str, Path], tmp_path: Path) -> None:
    report_path = tmp_path / "report.json"
    result = run_cli("--data-dir", str(tmp_path / "d"), "ingest", str(files["good"]), str(files["empty"]),
                     str(files["truncated"]), "--report-json", str(report_path), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert f"{files['empty']}: empty file" in result.stdout.replace("\n", "")
    data = json.loads(report_path.read_text())
    assert data["records_read"] == data["loaded"] + data["duplicates"] + data["quarantined"]
    assert data["unreadable_files"] == 2

    ok = run_cli("--data-dir", str(tmp_path / "d2"), "ingest", str(files["good"]), "-q", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr


def test_missing_path_is_an_unreadable_file(tmp_path: Path) -> None:
    result = run_cli("--data-dir", str(tmp_path / "d"), "ingest", str(tmp_path / "nope.json"), cwd=tmp_path)
    assert result.returncode == 2
    assert "no such file or directory" in result.stdout


def test_records_that_are_not_objects_or_unidentifiable_are_quarantined(tmp_path: Path, run_ingest: Ingest,
                                                                        settings: Settings) -> None:
    path = tmp_path / "odd.json"
    path.write_text(json.dumps({"marches": [
        "a string", 42, {}, {"objet": "ni acheteur ni id", "montant": 1000},
        {"id": "ok", "acheteur": {"id": "21350238800019"}},
    ]}))
    report = run_ingest(path)
    assert (report.records_read, report.loaded, report.quarantined) == (5, 1, 4)
    assert report.by_reason["identite:acheteur_et_id_manquants"] == 1
    assert report.by_reason["record:pas_un_objet:str"] == 1
    con = duckdb.connect(str(current_path(settings.warehouse_dir)), read_only=True)
    raws = [r[0] for r in con.execute("SELECT raw_text FROM quarantine ORDER BY record_index").fetchall()]
    con.close()
    assert raws[:2] == ['"a string"', "42"]
