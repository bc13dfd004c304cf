"""``spaser export parquet`` / ``spaser export csv``: one row per contract × titulaire in force.

Rows: every deduplicated contract (table ``contracts``, the chosen version) left-joined to the view
``titulaires_actuels`` (the titulaires set by the last modification that names some, else the initial
ones); a contract without titulaire gives one row with empty titulaire columns. Columns and their meaning:
the Table Schema ``tableschema_contracts.json`` shipped with this package (:data:`COLUMNS` follows it).

DuckDB writes the files itself (``COPY … TO``), streaming, in a deterministic order (acheteur_id, id,
contract_key, titulaire rank), to a temporary path renamed when complete:

* Parquet keeps lists as lists and types as in the warehouse; ``--partition-by-year`` writes a folder of
  Hive partitions ``notification_year=YYYY/`` (``notification_year=NULL`` for unknown dates);
* CSV is UTF-8, comma-separated, with a header, dates as YYYY-MM-DD, booleans as true/false, lists joined
  with ``" | "``; ``export_csv`` writes the Table Schema beside it (``<name>.schema.json``).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

TABLE_SCHEMA = "tableschema_contracts.json"
LIST_SEPARATOR = " | "
PARTITION_COLUMN = "notification_year"

CONTRACT_COLUMNS = (
    "id", "acheteur_id", "acheteur_nom", "kind", "nature", "objet", "code_cpv", "procedure",
    "lieu_execution_code", "lieu_execution_type_code", "duree_mois", "duree_mois_initiale", "date_notification",
    "date_publication_donnees", "montant", "montant_initial", "montant_suspect", "forme_prix", "ccag",
    "offres_recues", "marche_innovant", "attribution_avance", "taux_avance", "type_groupement_operateurs",
    "sous_traitance_declaree", "considerations_sociales", "considerations_environnementales", "techniques",
    "modalites_execution", "types_prix", "origine_ue", "origine_france", "n_modifications", "source_format",
    "sources", "n_versions", "quality_flags", "contract_key",
)
#: Output name → column of ``titulaires_actuels``.
TITULAIRE_COLUMNS = (
    ("titulaire_type_identifiant", "type_identifiant"), ("titulaire_id", "id"),
    ("titulaire_denomination_sociale", "denomination_sociale"), ("titulaire_siret_valide", "siret_valide"),
    ("titulaire_rank", "rank"),
)
COLUMNS = CONTRACT_COLUMNS + tuple(name for name, _ in TITULAIRE_COLUMNS)
#: Columns holding lists (VARCHAR[]): lists in Parquet, joined text in CSV.
LIST_COLUMNS = frozenset({
    "considerations_sociales", "considerations_environnementales", "techniques", "modalites_execution",
    "types_prix", "sources", "quality_flags",
})
ORDER_BY = "c.acheteur_id NULLS LAST, c.id NULLS LAST, c.contract_key, t.rank NULLS FIRST"


def table_schema() -> dict[str, Any]:
    """The Table Schema (frictionless) of the exported columns, as shipped in the package."""
    text = resources.files("spaser.decp").joinpath(TABLE_SCHEMA).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def rows_sql(*, joined_lists: bool, partition_column: bool = False) -> str:
    """The export query: contracts × titulaires in force, in the export order."""
    select = []
    for name in CONTRACT_COLUMNS:
        if joined_lists and name in LIST_COLUMNS:
            select.append(f"array_to_string(c.{name}, '{LIST_SEPARATOR}') AS {name}")
        else:
            select.append(f"c.{name}")
    select += [f"t.{column} AS {name}" for name, column in TITULAIRE_COLUMNS]
    if partition_column:
        select.append(f"year(c.date_notification) AS {PARTITION_COLUMN}")
    return (f"SELECT {', '.join(select)} FROM contracts c "
            "LEFT JOIN titulaires_actuels t ON t.record_uid = c.record_uid "
            f"ORDER BY {ORDER_BY}")


@dataclass(frozen=True)
class TabularExport:
    path: str
    rows: int
    contracts: int
    schema_path: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "rows": self.rows, "contracts": self.contracts, "schema": self.schema_path}


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _counts(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    ((rows, contracts),) = con.execute(
        "SELECT count(*), count(DISTINCT c.contract_key) FROM contracts c "
        "LEFT JOIN titulaires_actuels t ON t.record_uid = c.record_uid").fetchall()
    return int(rows), int(contracts)


def _replace(temporary: Path, target: Path) -> None:
    if target.is_dir() and not target.is_symlink():
        shutil.rmtree(target)
    os.replace(temporary, target)


def _prepare(output: Path) -> Path:
    output.parent.mkdir(parents=True, exist_ok=True)
    temporary = output.with_name(f".{output.name}.tmp")
    if temporary.is_dir():
        shutil.rmtree(temporary)
    temporary.unlink(missing_ok=True)
    return temporary


def export_parquet(con: duckdb.DuckDBPyConnection, output: Path, *, partition_by_year: bool = False
                   ) -> TabularExport:
    """Write the rows to a Parquet file (or, partitioned by notification year, a folder of them)."""
    temporary = _prepare(output)
    try:
        if partition_by_year:
            con.execute(
                f"COPY ({rows_sql(joined_lists=False, partition_column=True)}) TO {_quote(temporary)} "
                f"(FORMAT parquet, COMPRESSION zstd, PARTITION_BY ({PARTITION_COLUMN}))").fetchall()
        else:
            con.execute(f"COPY ({rows_sql(joined_lists=False)}) TO {_quote(temporary)} "
                        "(FORMAT parquet, COMPRESSION zstd)").fetchall()
        _replace(temporary, output)
    finally:
        if temporary.is_dir():
            shutil.rmtree(temporary)
        temporary.unlink(missing_ok=True)
    rows, contracts = _counts(con)
    return TabularExport(str(output), rows, contracts)


def schema_path_for(output: Path) -> Path:
    """Where ``export_csv`` writes the Table Schema: ``contracts.csv`` → ``contracts.schema.json``."""
    return output.with_name(output.stem + ".schema.json") if output.suffix else output.with_name(
        output.name + ".schema.json")


def export_csv(con: duckdb.DuckDBPyConnection, output: Path) -> TabularExport:
    """Write the rows to a CSV file and its Table Schema beside it."""
    temporary = _prepare(output)
    try:
        con.execute(f"COPY ({rows_sql(joined_lists=True)}) TO {_quote(temporary)} "
                    "(FORMAT csv, HEADER true, DELIMITER ',', QUOTE '\"', DATEFORMAT '%Y-%m-%d')").fetchall()
        _replace(temporary, output)
    finally:
        temporary.unlink(missing_ok=True)
    schema_path = schema_path_for(output)
    schema_path.write_text(json.dumps(table_schema(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    rows, contracts = _counts(con)
    return TabularExport(str(output), rows, contracts, str(schema_path))
