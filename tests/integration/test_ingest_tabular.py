"""Ingestion of tabular sources (CSV, XLSX) through a mapping: conservation per file, values on real rows,
grouping, deduplication, quarantine, and the messages when a mapping is missing or does not fit."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pytest

from spaser.config import Settings
from spaser.warehouse.ingest import ingest
from spaser.warehouse.report import FileReport, RunReport
from spaser.warehouse.snapshot import current_path
from tests.conftest import ROOT, TODAY, shared

FIXTURE = ROOT / "tests" / "fixtures" / "tabular" / "decp-info_sample.csv"
TABULAR = "decp/real/tabular"

Ingest = Callable[..., RunReport]


@pytest.fixture
def run(settings: Settings) -> Ingest:
    def go(*paths: Path, mapping: str | Path | None = None, workers: int | None = None) -> RunReport:
        chosen = settings if workers is None else settings.model_copy(update={"ingest_workers": workers})
        return ingest(list(paths), chosen, mapping=mapping, today=TODAY)

    return go


def query(settings: Settings, sql: str, *params: object) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(current_path(settings.warehouse_dir)), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def counts(entry: FileReport) -> tuple[int, int, int, int]:
    assert entry.records_read == entry.loaded + entry.duplicates + entry.quarantined
    return entry.records_read, entry.loaded, entry.duplicates, entry.quarantined


def test_decp_info_fixture_groups_cleans_dedupes_and_quarantines(run: Ingest, settings: Settings) -> None:
    report = run(FIXTURE, mapping="decp-info")
    (entry,) = report.files
    assert entry.status == "ingested" and entry.format == "csv:decp-info"
    # 7 rows: lines 3-4 are one contract, so 6 records; line 8 repeats line 2; lines 6 and 7 cannot load.
    assert entry.rows_read == 7 and counts(entry) == (6, 3, 1, 2)
    assert report.conserved() and report.to_json()["files"][0]["rows_read"] == 7

    rows = query(settings, "SELECT record_index, kind, id, montant, date_notification, n_titulaires, quality_flags, "
                           "invalid_values FROM records ORDER BY record_index")
    assert [r[0] for r in rows] == [2, 3, 5, 8]
    first = rows[0]
    assert first[1:6] == ("marche", "24-0001", 14700.0, dt.date(2024, 3, 15), 1)
    assert {"montant:texte", "dateNotification:format"} <= set(first[6])
    assert json.loads(first[7]) == {"date_notification": "15/03/2024", "montant_initial": "14 700,00"}
    assert rows[1][2:6] == ("24-AO-17", 1250000.5, dt.date(2024, 9, 2), 2)
    assert rows[2][1:4] == ("concession", "24-DSP-01", 3400000.0)
    titulaires = query(settings, "SELECT id, denomination_sociale FROM titulaires WHERE record_uid LIKE '%:3' "
                                 "ORDER BY rank")
    assert titulaires == [("44306184100047", "GARDIENNAGE BÉRARD"), ("38012986643097", "NETTOYAGE CŒUR, SARL")]
    assert query(settings, "SELECT n_versions FROM contracts WHERE id = '24-0001'") == [(2,)]

    quarantined = query(settings, "SELECT record_index, reasons[1], raw_text FROM quarantine ORDER BY record_index")
    assert quarantined[0][:2] == (6, "tableau:nombre_de_cellules (5 cellules pour 17 colonnes, line 6)")
    assert quarantined[0][2] == "2169012310001124-0007,24-0007,Marché,45000000-7,21690123100011"
    assert quarantined[1][:2] == (7, "identite:acheteur_et_id_manquants")
    assert quarantined[1][2].startswith(",,Marché,71000000-8,,,44306184100047,BUREAU D'ÉTUDES")
    assert report.by_reason == {"tableau:nombre_de_cellules": 1, "identite:acheteur_et_id_manquants": 1}


def test_cp1252_semicolon_crlf_copy_reads_the_same_records(run: Ingest, tmp_path: Path) -> None:
    """The same table as a French Excel export (cp1252, ``;``, CRLF): every contract is a duplicate of the
    UTF-8 file's, so both readings gave the same values."""
    text = FIXTURE.read_text(encoding="utf-8")
    copy = tmp_path / "export-excel.csv"
    lines = [line.replace('"', "").replace(",", ";") if i == 0 else _semicolons(line)
             for i, line in enumerate(text.splitlines())]
    copy.write_bytes(("\r\n".join(lines) + "\r\n").replace("Œ", "OE").encode("cp1252"))
    report = run(FIXTURE, copy, mapping="decp-info")
    first, second = report.files
    assert counts(first) == (6, 3, 1, 2)
    assert counts(second) == (6, 0, 4, 2)  # "CŒUR" → "COEUR" changes no contract key
    assert report.conserved()


def _semicolons(line: str) -> str:
    """A CSV line with ``;`` separators (quoted cells keep their commas, unquoted)."""
    import csv
    import io

    (cells,) = csv.reader(io.StringIO(line))
    return ";".join(cells)


def test_xlsx_export_through_the_same_mapping(run: Ingest, settings: Settings, tmp_path: Path) -> None:
    import csv

    with FIXTURE.open(encoding="utf-8", newline="") as handle:
        rows: list[list[Any]] = list(csv.reader(handle))
    rows[1][8], rows[1][9] = 14700.0, dt.datetime(2024, 3, 15)  # typed cells, as a spreadsheet stores them
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    path = tmp_path / "decp-info.xlsx"
    book.save(path)
    report = run(path, mapping="decp-info")
    (entry,) = report.files
    assert entry.format == "xlsx:decp-info"
    # In a sheet a short row is a row with empty trailing cells: line 6 is a contract without titulaire.
    assert counts(entry) == (6, 4, 1, 1)
    (stored,) = query(settings, "SELECT montant, date_notification, quality_flags FROM records WHERE record_index = 2")
    assert stored[:2] == (14700.0, dt.date(2024, 3, 15)) and "montant:texte" not in stored[2]  # type: ignore[operator]


def test_workers_give_the_same_counts(run: Ingest) -> None:
    report = run(FIXTURE, mapping="decp-info", workers=1)
    assert report.workers == 1 and counts(report.files[0]) == (6, 3, 1, 2)


def test_decp_augmente_real_samples(run: Ingest, settings: Settings) -> None:
    paths = [shared(f"{TABULAR}/minef_decp-augmente_valides_{year}_sample.csv") for year in (2019, 2022)]
    report = run(*paths, mapping="decp-augmente")
    assert [(f.format, counts(f)) for f in report.files] == [("csv:decp-augmente", (9, 9, 0, 0))] * 2
    assert report.conserved()
    rows = dict((r[0], r[1:]) for r in query(
        settings, "SELECT id, montant_initial, montant, n_modifications, n_titulaires, offres_recues, "
                  "attribution_avance, code_cpv, extra, quality_flags FROM records"))
    assert rows["2020007901"][:3] == (39839.99, 45579.37, 1)  # 2019: the modification's new amount
    assert rows["2020CP007F00302"][3] == 3  # titulaire_id_1..3
    assert rows["202404"][:5] == (45155.0, 45155.0, 0, 1, 5)  # "CDL" titulaires 2 and 3 are no titulaires
    assert rows["202404"][5] is None  # attributionAvance "MQ"
    assert rows["202404"][7] == '{"source":"data.gouv.fr_pes"}'
    assert rows["INX 2023AOVOI40 L1"][6] == "67151000" and "cpv:texte" in rows["INX 2023AOVOI40 L1"][8]
    assert query(settings, "SELECT type_identifiant, t.id FROM titulaires t JOIN records r USING (record_uid) "
                           "WHERE r.id = '2024FCS05_1'") == [("TVA", "FR32918951849")]


def test_nice_atexo_buyer_export(run: Ingest, settings: Settings) -> None:
    report = run(shared(f"{TABULAR}/nice-atexo_2024-2025_6cols.csv"), mapping="nice-atexo")
    (entry,) = report.files
    # 5 301 rows, one contract each; 238 rows repeat another row exactly: duplicates.
    assert entry.format == "csv:nice-atexo" and counts(entry) == (5301, 5063, 238, 0)
    future = query(settings, "SELECT montant, date_notification, quality_flags FROM records WHERE id = '20253 LOT2'")
    assert future[0][1] == dt.date(2027, 7, 22) and "dateNotification:future" in future[0][2]
    (placeholder,) = query(settings, "SELECT montant, quality_flags FROM records WHERE id = '2025260102'")
    assert placeholder[0] == 999999999.0 and "montant:placeholder" in placeholder[1]


def test_a_file_that_does_not_fit_the_mapping(run: Ingest, tmp_path: Path) -> None:
    nice = shared(f"{TABULAR}/nice-atexo_2024-2025_6cols.csv")
    report = run(nice, FIXTURE.parent, mapping="decp-info")
    by_name = {Path(f.path).name: f for f in report.files}
    named = by_name[nice.name]
    assert named.status == "unreadable" and named.records_read == 0
    assert named.error is not None and "mapping 'decp-info': column 'uid' (for uid) is not in the header" in named.error
    assert by_name["decp-info_sample.csv"].status == "ingested"
    assert by_name["README.md"].status == "skipped"
    assert report.conserved()
    again = run(nice, mapping="nice-atexo")  # refused files are not recorded: a right mapping reads them later
    assert again.files[0].status == "ingested"


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "spaser", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


def test_cli_without_mapping_then_with_mapping_and_json(tmp_path: Path) -> None:
    report_path = tmp_path / "r.json"
    result = run_cli("--data-dir", str(tmp_path / "d"), "ingest", str(FIXTURE), str(FIXTURE.parent), "-q",
                     "--report-json", str(report_path), cwd=tmp_path)
    assert result.returncode == 2
    files = json.loads(report_path.read_text())["files"]
    message = "tabular file, use --mapping NAME (available: decp-augmente, decp-info, nice-atexo)"
    assert [(f["status"], f["error"]) for f in files if f["path"].endswith(".csv")] == [
        ("unreadable", message), ("skipped", message)]

    decp_json = tmp_path / "marches.json"
    decp_json.write_text(json.dumps({"marches": {"marche": [
        {"id": "J1", "acheteur": {"id": "21350238800019"}, "montant": 1000, "dateNotification": "2024-01-02"}]}}))
    result = run_cli("--data-dir", str(tmp_path / "d"), "ingest", str(FIXTURE), str(decp_json), "--mapping",
                     "decp-info", "--report-json", str(report_path), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    files = json.loads(report_path.read_text())["files"]
    assert [(f["format"], f["loaded"]) for f in files] == [("csv:decp-info", 3), ("json-2019", 1)]
    assert "csv:decp-info" in result.stdout


def test_cli_bad_mapping_is_an_error_naming_it(tmp_path: Path) -> None:
    mapping = tmp_path / "mine.toml"
    mapping.write_text('grain = "contract"\n[columns]\nmontantHT = "montant"\n', encoding="utf-8")
    result = run_cli("--data-dir", str(tmp_path / "d"), "ingest", str(FIXTURE), "--mapping", str(mapping),
                     cwd=tmp_path)
    assert result.returncode == 1
    assert f"mapping 'mine' ({mapping}): columns 'montantHT': unknown field" in result.stderr.replace("\n", "")


def test_a_csv_broken_mid_file_is_partial_and_keeps_the_rows_before(run: Ingest, settings: Settings,
                                                                    tmp_path: Path) -> None:
    """An unterminated quote swallows the rest of the file into one cell, past the csv module's field limit."""
    lines = FIXTURE.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "broken.csv"
    path.write_text("\n".join([*lines[:4], '2099,"24-0099,Marché', *(["x" * 1000] * 140)]) + "\n", encoding="utf-8")
    report = run(path, mapping="decp-info")
    (entry,) = report.files
    assert entry.status == "partial" and entry.position == "line 5" and "field larger than field limit" in (
        entry.error or "")
    assert counts(entry) == (3, 2, 0, 1)  # lines 2 and 3-4 loaded, the broken tail quarantined
    (reason,) = query(settings, "SELECT reasons[1] FROM quarantine")
    assert reason[0].startswith("csv:tronque_ou_invalide (invalid CSV: field larger than field limit")
