"""``spaser indicators``: JSON, CSV (with its Table Schema) and XLSX outputs, errors, --list and target files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import frictionless
import openpyxl
import pytest

from spaser.config import Settings
from spaser.indicators.catalogue import catalogue
from spaser.indicators.output import FIELDS
from tests.integration.indicators.build import BUYER, BUYER_2, build, marche, social
from tests.warehouse_cli import cli

REQUIRED_KEYS = {"id", "measure", "year", "scope", "scope_id", "numerator", "denominator", "value", "unit",
                 "coverage", "target", "status"}


def _records() -> list[dict[str, Any]]:
    """2024: BUYER A Clause sociale and B Pas de considération (1/2 = 50 %), BUYER_2 C Pas de considération
    (0 %); all: 1/3 = 33.3333 %; 50 000 each."""
    return [marche("A", considerationsSociales=social("Clause sociale")),
            marche("B", considerationsSociales=social("Pas de considération sociale")),
            marche("C", acheteur_id=BUYER_2, considerationsSociales=social("Pas de considération sociale"))]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return build(tmp_path_factory.mktemp("cli"), _records())


def run_json(settings: Settings, *args: str) -> list[dict[str, Any]]:
    code, output = cli(settings, "indicators", "--format", "json", *args)
    assert code == 0, output
    rows = json.loads(output)
    assert isinstance(rows, list)
    return rows


def by_key(rows: list[dict[str, Any]]) -> dict[tuple[Any, ...], dict[str, Any]]:
    return {(r["id"], r["measure"], r["year"], r["scope"], r["scope_id"]): r for r in rows}


def test_json_is_a_list_of_result_objects(warehouse: Settings) -> None:
    rows = run_json(warehouse, "--indicator", "social_consideration", "--scope", "all", "--scope", "buyer")
    assert rows and all(set(row) >= REQUIRED_KEYS for row in rows)
    assert [row["id"] for row in rows] == ["social_consideration"] * 6  # (all + 2 buyers) × 2 measures
    found = by_key(rows)
    everything = found[("social_consideration", "count", 2024, "all", None)]
    assert (everything["numerator"], everything["denominator"], everything["value"], everything["unit"],
            everything["coverage"]) == (1.0, 3.0, 33.3333, "%", 1.0)
    # the national target: 30 % by 2025
    assert (everything["target"], everything["status"]) == (30.0, "met")
    assert found[("social_consideration", "count", 2024, "buyer", BUYER_2)]["status"] == "off_track"
    assert found[("social_consideration", "value", 2024, "all", None)]["target"] is None


def test_json_every_indicator_by_default(warehouse: Settings) -> None:
    rows = run_json(warehouse)
    assert {row["id"] for row in rows} == {entry.id for entry in catalogue()}
    assert {row["scope"] for row in rows} == {"all"}
    assert {row["measure"] for row in rows} == {"count", "value"}


def test_csv_file_with_its_table_schema_validates(warehouse: Settings, tmp_path: Path) -> None:
    path = tmp_path / "indicateurs.csv"
    code, output = cli(warehouse, "indicators", "--every-scope", "--format", "csv", "-o", str(path))
    assert code == 0, output
    schema_file = tmp_path / "indicateurs.schema.json"
    assert path.exists() and schema_file.exists()
    descriptor = json.loads(schema_file.read_text(encoding="utf-8"))
    assert [field["name"] for field in descriptor["fields"]] == list(FIELDS)
    schema = frictionless.Schema.from_descriptor(descriptor)
    report = frictionless.validate(frictionless.Resource(path=path.name, basepath=str(tmp_path), schema=schema))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]
    # indicators × 2 measures × 8 groups: all, 2 buyers, 1 région (unknown), 1 département (unknown), 1 CPV
    # division, 1 procedure, 1 nature
    assert report.tasks[0].stats["rows"] == len(catalogue()) * 2 * 8
    assert f"{len(catalogue()) * 2 * 8} results written to {path}" in output.replace("\n", "")


def test_xlsx_has_the_rows_of_the_json(warehouse: Settings, tmp_path: Path) -> None:
    path = tmp_path / "indicateurs.xlsx"
    code, output = cli(warehouse, "indicators", "--scope", "buyer", "--format", "xlsx", "-o", str(path))
    assert code == 0, output
    assert (tmp_path / "indicateurs.schema.json").exists()
    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        sheet = workbook["indicateurs"]
        header, *cells = [list(row) for row in sheet.iter_rows(values_only=True)]
        schema_rows = list(workbook["schema"].iter_rows(values_only=True))
    finally:
        workbook.close()
    assert header == list(FIELDS)
    assert [row[0] for row in schema_rows[1:]] == list(FIELDS)
    # a read-only workbook leaves out the empty cells that end a row
    from_xlsx = [dict(zip(header, row + [None] * (len(header) - len(row)), strict=True)) for row in cells]
    from_json = run_json(warehouse, "--scope", "buyer")
    assert len(from_xlsx) == len(from_json) == len(catalogue()) * 2 * 2
    assert from_xlsx == [{name: row[name] for name in FIELDS} for row in from_json]


@pytest.mark.parametrize(("args", "message"), [
    (["--scope", "planet"], "unknown scope 'planet'"),
    (["--indicator", "sme_shares"], "unknown indicator 'sme_shares'"),
    (["--format", "xlsx"], "--format xlsx writes a file: give --output FILE.xlsx"),
    (["--buyer", "12345678901234"], "--buyer 12345678901234: no contract of this buyer in the warehouse"),
])
def test_errors_exit_1_with_a_clear_message(warehouse: Settings, args: list[str], message: str) -> None:
    code, output = cli(warehouse, "indicators", *args)
    assert code == 1
    assert "error:" in output and message in output.replace("\n", "")
    assert "Traceback" not in output


def test_an_invalid_target_file_in_the_data_folder_is_an_error(tmp_path: Path) -> None:
    settings = build(tmp_path, _records())
    folder = settings.data_dir / "targets"
    folder.mkdir()
    bad = folder / "bretagne.toml"
    bad.write_text(f'organisation = "Région Bretagne"\nacheteurs = ["{BUYER}"]\n[[target]]\n'
                   'indicator = "sme_share"\nmeasure = "count"\nvalue = 150\nyear = 2027\n', encoding="utf-8")
    code, output = cli(settings, "indicators")
    assert code == 1
    text = output.replace("\n", "")
    assert "error:" in text and "bretagne.toml" in text and "target #1 (sme_share)" in text and "'value'" in text


def test_list_names_every_indicator(warehouse: Settings) -> None:
    code, output = cli(warehouse, "indicators", "--list")
    assert code == 0
    listed = {line.split("│")[1].strip() for line in output.splitlines() if line.startswith("│")}
    assert {entry.id for entry in catalogue()} <= listed


def test_a_target_file_in_the_data_folder_changes_its_buyers_status(tmp_path: Path) -> None:
    """BUYER's social_consideration is 50 % in 2024: met against the national 30 % (by 2025); off_track against
    its organisation's 60 % due in 2024 (gap −10). BUYER_2 and the scope all keep the national target."""
    settings = build(tmp_path, _records())
    args = ("--indicator", "social_consideration", "--scope", "all", "--scope", "buyer")
    before = by_key(run_json(settings, *args))
    own = ("social_consideration", "count", 2024, "buyer", BUYER)
    other = ("social_consideration", "count", 2024, "buyer", BUYER_2)
    everything = ("social_consideration", "count", 2024, "all", None)
    assert (before[own]["value"], before[own]["target"], before[own]["status"]) == (50.0, 30.0, "met")

    (settings.data_dir / "targets").mkdir()
    (settings.data_dir / "targets" / "bretagne.toml").write_text(
        f'organisation = "Région Bretagne"\nacheteurs = ["{BUYER}"]\n[[target]]\nindicator = '
        '"social_consideration"\nmeasure = "count"\nvalue = 60\nyear = 2024\n', encoding="utf-8")
    after = by_key(run_json(settings, *args))
    assert (after[own]["target"], after[own]["status"], after[own]["gap"]) == (60.0, "off_track", -10.0)
    assert (after[other]["target"], after[other]["status"]) == (before[other]["target"], before[other]["status"])
    assert (after[everything]["target"], after[everything]["status"]) == (30.0, "met")

    restricted = by_key(run_json(settings, "--buyer", BUYER, "--indicator", "social_consideration"))
    assert (restricted[everything]["value"], restricted[everything]["target"],
            restricted[everything]["status"]) == (50.0, 60.0, "off_track")
