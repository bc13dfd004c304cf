"""The synthetic SIRENE stock generator of the SIRENE benchmark (bench/sirene_generator.py)."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path

import pytest

from spaser.reference.sirene import load_sirene
from spaser.warehouse import snapshot

REPO = Path(__file__).resolve().parents[3]
GENERATOR = REPO / "bench" / "sirene_generator.py"
FIXTURES = REPO / "tests" / "fixtures" / "sirene"
ROWS = 3000


def luhn_ok(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("sirene")
    subprocess.run([sys.executable, str(GENERATOR), "--rows", str(ROWS), "--output-dir", str(out),
                    "--duplicates", "0.01"], check=True, capture_output=True)
    return out / f"StockUniteLegale_{ROWS}_s7_d0.01.csv", out / f"StockEtablissement_{ROWS}_s7_d0.01.csv"


def first_line(path: Path) -> str:
    with path.open(encoding="utf-8") as handle:
        return handle.readline()


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_headers_are_those_of_the_fixture(generated: tuple[Path, Path]) -> None:
    """The generator and the committed fixture must agree on INSEE's headers (one of them would be wrong)."""
    for made, fixture in zip(generated, (FIXTURES / "StockUniteLegale_utf8.csv",
                                         FIXTURES / "StockEtablissement_utf8.csv"), strict=True):
        assert first_line(made) == first_line(fixture)


def test_values_look_like_sirene(generated: tuple[Path, Path]) -> None:
    unites_path, etab_path = generated
    etabs = read(etab_path)
    unites = read(unites_path)
    assert ROWS <= len(etabs) <= ROWS * 1.02
    assert all(re.fullmatch(r"\d{14}", e["siret"]) and luhn_ok(e["siret"]) and luhn_ok(e["siren"])
               and e["siret"] == e["siren"] + e["nic"] for e in etabs)
    assert all(re.fullmatch(r"(\d{2}|2A|2B)\d{3}|97\d{3}", e["codeCommuneEtablissement"]) for e in etabs)
    assert all(re.fullmatch(r"\d{2}\.\d{2}[A-Z]", e["activitePrincipaleEtablissement"])
               for e in etabs if e["activitePrincipaleEtablissement"])
    assert {e["etatAdministratifEtablissement"] for e in etabs} == {"A", "F"}
    assert {e["etablissementSiege"] for e in etabs} == {"true", "false"}
    sieges = {e["siret"] for e in etabs if e["etablissementSiege"] == "true"}
    assert {u["siren"] for u in unites} == {e["siren"] for e in etabs}
    assert {u["siren"] + u["nicSiegeUniteLegale"] for u in unites} == sieges  # one siège per unité légale
    assert any("," in u["denominationUniteLegale"] for u in unites)  # quoted fields occur


def test_the_generated_stock_loads_with_its_duplicates_dropped(generated: tuple[Path, Path], tmp_path: Path) -> None:
    unites_path, etab_path = generated
    etabs = read(etab_path)
    duplicates = len(etabs) - len({e["siret"] for e in etabs})
    assert duplicates > 0
    report = load_sirene(tmp_path / "warehouse", unites_path, etab_path)
    assert (report.etablissements.rows_read, report.etablissements.duplicates) == (len(etabs), duplicates)
    assert report.unites.rows == len(read(unites_path))
    con = snapshot.open_current(tmp_path / "warehouse")
    try:
        assert con.execute("SELECT count(DISTINCT siret) = count(*) FROM ref_sirene_etablissements").fetchone() == (
            True,)
    finally:
        con.close()
