"""``spaser egalim`` from the command line: exit codes, report, listing, removal, matrices, registry, export, and
the audit log entries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from spaser.audit import AuditEntry
from spaser.config import Settings
from spaser.indicators.egalim.store import EgalimStore
from spaser.platform_db.context import Platform
from tests.integration.egalim.egalim_files import fixture
from tests.warehouse_cli import cli


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


def audit_entries(settings: Settings) -> list[tuple[str, str, str, str]]:
    platform = Platform.open(settings)
    try:
        with platform.db() as session:
            return [(e.actor, e.action, e.entity_type, e.entity_id)
                    for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    finally:
        platform.close()


def test_import_exit_codes_report_and_audit(settings: Settings, tmp_path: Path) -> None:
    code, output = cli(settings, "egalim", "import", str(fixture("achats_complet.csv")), "--actor", "gestionnaire")
    assert code == 0 and "achats_complet.csv" in output and "importé" in output
    store = EgalimStore.of(settings)
    first = store.imports()[0]
    assert first.actor == "gestionnaire"

    report = tmp_path / "rapport.json"
    code, output = cli(settings, "egalim", "import", str(fixture("achats_complet.csv")),
                       str(fixture("achats_erreurs.csv")), "--report-json", str(report))
    assert code == 1
    assert "déjà importé" in output
    assert "achats_erreurs.csv: ligne 7, colonne prix_ht : « 12,345 » n'est pas un montant (2 décimales au plus)" \
        in output
    assert "every refused cell is in" in output
    document = json.loads(report.read_text(encoding="utf-8"))
    assert [f["status"] for f in document["files"]] == ["déjà importé", "importé"]
    assert document["files"][1]["import"]["rejected"] == 16 and len(document["files"][1]["errors"]) == 16
    assert document["unreadable"] == []

    empty = tmp_path / "vide.csv"
    empty.write_bytes(b"")
    code, output = cli(settings, "egalim", "import", str(empty), str(fixture("achats_tabulation.csv")))
    assert code == 2
    assert f"error: {empty} : fichier vide" in output and "illisible" in output
    assert "achats_tabulation.csv: colonnes ignorées : commentaire" in output
    assert len(store.imports()) == 3  # the readable file was imported

    entries = audit_entries(settings)
    assert [(a, act, kind) for a, act, kind, _ in entries] == [
        ("gestionnaire", "egalim.import", "egalim_import"), ("cli", "egalim.import", "egalim_import"),
        ("cli", "egalim.import", "egalim_import")]
    assert entries[0][3] == first.id
    code, output = cli(settings, "audit", "verify")
    assert code == 0 and "intact" in output


def test_list_remove_export(settings: Settings, tmp_path: Path) -> None:
    cli(settings, "egalim", "import", str(fixture("achats_complet.csv")))
    import_id = EgalimStore.of(settings).imports()[0].id
    code, output = cli(settings, "egalim", "imports")
    assert code == 0 and import_id in output and "achats_complet.csv" in output

    code, output = cli(settings, "egalim", "restaurants", str(fixture("restaurants.csv")))
    assert code == 0 and "6 restaurants loaded" in output
    code, output = cli(settings, "egalim", "restaurants", str(fixture("restaurants_erreurs.csv")))
    assert code == 1 and "registry unchanged: 4 errors in 5 lines" in output
    assert "ligne 5, colonne departement : « 99 » n'est pas un code de département INSEE" in output

    target = tmp_path / "out" / "finistere.csv"
    code, output = cli(settings, "egalim", "export", "--output", str(target), "--groupe", "Lycées du Finistère",
                       "--separator", ";", "--year", "2024")
    assert code == 0 and "4 lines written" in output
    assert target.read_text(encoding="utf-8").splitlines()[0].startswith("siret;description;fournisseur;date;")
    xlsx = tmp_path / "out" / "tout.xlsx"
    code, output = cli(settings, "egalim", "export", "--output", str(xlsx), "--code-article")
    assert code == 0 and "11 lines written" in output and xlsx.read_bytes().startswith(b"PK")
    code, output = cli(settings, "egalim", "export", "--output", str(tmp_path / "x.csv"), "--groupe", "Collèges")
    assert code == 1 and "aucun groupe « Collèges »" in output

    code, output = cli(settings, "egalim", "remove", import_id)
    assert code == 0 and f"import {import_id} (achats_complet.csv, 11 lines) removed" in output
    code, output = cli(settings, "egalim", "remove", import_id)
    assert code == 1 and "aucun import" in output
    assert [a[1] for a in audit_entries(settings)] == ["egalim.import", "egalim.restaurants", "egalim.remove"]


def test_matrix_command(settings: Settings) -> None:
    code, output = cli(settings, "egalim", "matrix", str(fixture("matrice_transgourmet.csv")), "--fournisseur",
                       "Transgourmet Ouest")
    assert code == 1  # one refused row, one conflicting code
    assert "matrix of Transgourmet Ouest: 4 articles stored (8 lines read, 1 refused cells, 1 conflicting codes" \
        in output
    assert "article « TG-1004 » décrit différemment aux lignes 5, 6 : article ignoré" in output
    code, output = cli(settings, "egalim", "matrices")
    assert code == 0 and "Transgourmet Ouest" in output
    code, output = cli(settings, "egalim", "import", str(fixture("achats_articles.csv")))
    assert code == 1 and "diffère de la matrice de Transgourmet Ouest" in output
    manifest = EgalimStore.of(settings).imports()[0]
    assert (manifest.accepted, manifest.rejected, manifest.conflicts) == (5, 1, 4)
    code, output = cli(settings, "egalim", "matrix", str(fixture("achats_complet.csv")), "--fournisseur", "X")
    assert code == 1 and "colonne obligatoire absente : libelle (colonnes lues : siret," in output


def test_progress_bar_only_for_big_files() -> None:
    from spaser.cli_egalim import PROGRESS_ROWS, _Bar

    small = _Bar()
    small.start(Path("petit.csv"), 120)
    assert small.bar is None
    small.advance(120)
    small.stop()
    big = _Bar()
    big.start(Path("gros.csv"), PROGRESS_ROWS + 1)
    assert big.bar is not None
    big.advance(PROGRESS_ROWS + 1)
    assert big.bar.tasks[0].completed == PROGRESS_ROWS + 1
    big.stop()
    assert big.bar is None
