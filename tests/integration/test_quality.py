"""`spaser quality`: flags, completeness and publication delays per source and per buyer."""

from __future__ import annotations

import csv
import io
import json
import statistics
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from spaser.cli import app
from spaser.config import Settings
from spaser.warehouse import snapshot
from tests.conftest import REAL, needs_shared

pytestmark = needs_shared
runner = CliRunner()
MPI = REAL / "v2019" / "marches-publics.info_2019-03-07.json"
CROIX = REAL / "v2019" / "marches-securises_ville-de-croix_2019-2021.json"


def quality(settings: Settings, *args: str) -> str:
    result = runner.invoke(app, ["--data-dir", str(settings.data_dir), "quality", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_json_figures_match_the_records(settings: Settings, run_ingest: Callable[..., object]) -> None:
    run_ingest(MPI, CROIX)
    report = json.loads(quality(settings, "--format", "json"))
    con = snapshot.open_current(settings.warehouse_dir)
    try:
        rows = con.execute("SELECT quality_flags, ccag, date_notification, date_publication_donnees FROM records "
                           "WHERE source_name = ?", [MPI.name]).fetchall()
        buyers = con.execute("SELECT acheteur_id, count(*) FROM contracts GROUP BY 1 ORDER BY 2 DESC, 1").fetchall()
    finally:
        con.close()
    source = next(s for s in report["sources"] if s["key"] == MPI.name)
    assert source["records"] == len(rows) == 4509
    assert source["flags"] == dict(Counter(flag for flags, *_ in rows for flag in flags))
    assert source["flags"]["dateNotification:fuseau"] == 173  # the time-zone suffixes of this file
    assert source["completeness"]["ccag"] == 0.0  # a 2019-format field is absent from 2019 records
    delays = [(pub - notif).days for _, _, notif, pub in rows if notif and pub]
    assert source["delai_publication"]["n"] == len(delays)
    assert source["delai_publication"]["mediane_jours"] == statistics.median(delays)
    assert sum(source["delai_publication"]["repartition"].values()) == len(delays)
    late = sum(d >= 61 for d in delays) / len(delays)
    assert abs(source["delai_publication"]["part_au_dela_de_2_mois"] - late) < 1e-4
    assert [(a["key"], a["records"]) for a in report["acheteurs"]] == [(k or "(inconnu)", n) for k, n in buyers]


def test_csv_and_table_outputs(settings: Settings, run_ingest: Callable[..., object], tmp_path: Path) -> None:
    run_ingest(CROIX)
    target = tmp_path / "q.csv"
    quality(settings, "--format", "csv", "--output", str(target))
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert {r["scope"] for r in rows} == {"source", "acheteur"}
    flag = next(r for r in rows if r["scope"] == "source" and r["name"] == "montant:texte")
    assert flag["metric"] == "flag" and flag["value"] == "159"  # every Croix amount is a string
    table = quality(settings, "--limit", "1")
    assert "Sources" in table and CROIX.name[:20] in table


def test_without_a_warehouse_the_message_says_what_to_do(settings: Settings) -> None:
    result = runner.invoke(app, ["--data-dir", str(settings.data_dir), "quality"])
    assert result.exit_code == 1
    assert "spaser ingest" in result.output
