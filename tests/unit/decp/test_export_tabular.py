"""Parquet / CSV exports on a small hand-built warehouse: one row per contract × titulaire in force."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import frictionless
import pyarrow.parquet as pq
import pytest

from spaser.decp.export_tabular import (
    COLUMNS,
    LIST_COLUMNS,
    export_csv,
    export_parquet,
    schema_path_for,
    table_schema,
)
from spaser.warehouse.dedupe import rebuild_contracts
from spaser.warehouse.snapshot import ensure_schema

RECORD_COLUMNS = ("record_uid", "contract_key", "kind", "source_format", "source_name", "id", "acheteur_id",
                  "objet", "code_cpv", "date_notification", "montant", "montant_initial", "montant_suspect",
                  "considerations_sociales", "quality_flags", "n_modifications", "completeness")
RECORDS = [
    # Contract A: two initial titulaires, replaced by one through its first modification; two versions.
    ("a:0", "a" * 24, "marche", "2022", "a.json", "A-1", "21750001630066", "Objet, avec \"guillemets\"\net ligne",
     "45000000", dt.date(2024, 5, 15), 600000.0, 575000.0, False, ["Clause sociale", "Critère social"], [], 1, 10),
    ("b:0", "a" * 24, "marche", "2022", "b.json", "A-1", "21750001630066", "Objet", "45000000",
     dt.date(2024, 5, 15), 575000.0, 575000.0, False, None, [], 0, 9),
    # Contract B: no titulaire, unknown date, suspicious amount.
    ("c:0", "b" * 24, "concession", "2019", "c.json", "B-1", "21750001630066", "Concession", None, None, 0.0, 0.0,
     True, None, ["dateSignature:manquant", "montant:zero"], 0, 5),
]
TITULAIRES = [
    ("a:0", 0, 1, "titulaire", "SIRET", "55204599900869", None, True),
    ("a:0", 0, 2, "titulaire", "TVA", "FR12345678901", None, False),
    ("a:0", 1, 1, "titulaire", "SIRET", "38103128500491", None, True),
    ("b:0", 0, 1, "titulaire", "SIRET", "55204599900869", None, True),
]


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(tmp_path / "w.duckdb"))
    ensure_schema(connection)
    marks = ", ".join("?" for _ in RECORD_COLUMNS)
    connection.executemany(f"INSERT INTO records ({', '.join(RECORD_COLUMNS)}) VALUES ({marks})", RECORDS)
    connection.executemany("INSERT INTO titulaires VALUES (?, ?, ?, ?, ?, ?, ?, ?)", TITULAIRES)
    rebuild_contracts(connection)
    yield connection
    connection.close()


def test_table_schema_documents_every_column() -> None:
    schema = table_schema()
    fields = schema["fields"]
    assert [f["name"] for f in fields] == list(COLUMNS)
    for field in fields:
        assert field["title"] and field["description"], field["name"]
        if field["name"] in LIST_COLUMNS:
            assert field["type"] == "string" and '" | "' in field["description"]
    frictionless.Schema.from_descriptor(schema)  # a valid Table Schema


def test_csv_has_one_row_per_titulaire_in_force(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    output = tmp_path / "out" / "contracts.csv"
    result = export_csv(con, output)
    assert (result.rows, result.contracts) == (2, 2)
    with output.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == list(COLUMNS)
        rows = list(reader)
    a, b = rows
    assert a["id"] == "A-1" and a["objet"] == "Objet, avec \"guillemets\"\net ligne"
    assert a["titulaire_id"] == "38103128500491" and a["titulaire_rank"] == "1"  # the modification's titulaire
    assert a["considerations_sociales"] == "Clause sociale | Critère social"
    assert a["sources"] == "a.json | b.json" and a["n_versions"] == "2"
    assert a["date_notification"] == "2024-05-15" and a["montant_suspect"] == "false"
    assert b["titulaire_id"] == b["titulaire_type_identifiant"] == b["titulaire_rank"] == ""
    assert b["date_notification"] == "" and b["quality_flags"] == "dateSignature:manquant | montant:zero"
    assert json.loads(schema_path_for(output).read_text(encoding="utf-8")) == table_schema()
    report = frictionless.validate(frictionless.Resource(
        path=output.name, basepath=str(output.parent),
        schema=frictionless.Schema.from_descriptor(table_schema())))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_parquet_keeps_lists_and_types(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    output = tmp_path / "contracts.parquet"
    result = export_parquet(con, output)
    assert result.rows == 2
    table = pq.read_table(output)
    assert table.column_names == list(COLUMNS)
    a, b = table.to_pylist()
    assert a["considerations_sociales"] == ["Clause sociale", "Critère social"]
    assert a["date_notification"] == dt.date(2024, 5, 15) and a["montant"] == 600000.0
    assert b["titulaire_id"] is None and b["quality_flags"] == ["dateSignature:manquant", "montant:zero"]


def test_parquet_partitioned_by_year(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    output = tmp_path / "parts"
    export_parquet(con, output, partition_by_year=True)
    folders = sorted(p.name for p in output.iterdir())
    assert folders == ["notification_year=2024", "notification_year=__HIVE_DEFAULT_PARTITION__"]
    # A second export replaces the first one.
    export_parquet(con, output, partition_by_year=True)
    assert sorted(p.name for p in output.iterdir()) == folders
    assert not list(tmp_path.glob(".*.tmp"))


def test_schema_path_beside_the_csv() -> None:
    assert schema_path_for(Path("out/contracts.csv")) == Path("out/contracts.schema.json")
    assert schema_path_for(Path("out/contracts")) == Path("out/contracts.schema.json")
