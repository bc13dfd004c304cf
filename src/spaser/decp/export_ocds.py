"""``spaser export ocds``: the warehouse as one OCDS 1.1 release package, one compiled release per contract.

* one release per row of ``contracts`` (the chosen version of each deduplicated contract), built by
  ``spaser.decp.ocds_mapping.build_release`` from warehouse values only;
* ``ocid`` = ``<Settings.ocds_prefix>-<contract_key>``: the deduplication key is a hash of what identifies
  the contract, so the ocid stays the same across runs and re-ingestions;
* streamed: DuckDB returns the contracts with their titulaires in force and modifications aggregated, in
  Arrow batches, ordered by ``acheteur_id, id, contract_key`` (deterministic whatever the ingestion order);
  each release is written as one line of the package, to a temporary file renamed when complete;
* the package's ``publishedDate`` is the snapshot's last change (latest ingestion or reference load), so
  exporting the same snapshot twice gives the same bytes.

Validation against the OCDS schemas is separate and optional (``spaser.decp.ocds_validate``): the schemas
are third-party files, never shipped in the repository.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from spaser.config import Settings
from spaser.decp.ocds_mapping import build_release

OCDS_VERSION = "1.1"
BATCH_ROWS = 2000
ORDER_BY = "c.acheteur_id NULLS LAST, c.id NULLS LAST, c.contract_key"
#: Columns of ``contracts`` the mapping reads.
CONTRACT_COLUMNS = (
    "record_uid", "contract_key", "kind", "id", "acheteur_id", "acheteur_nom", "nature", "objet", "code_cpv",
    "procedure", "offres_recues", "duree_mois_initiale", "duree_mois", "date_notification",
    "date_publication_donnees", "date_debut_execution", "montant_initial", "montant",
)
SUPPLIER_COLUMNS = ("rank", "type_identifiant", "id", "denomination_sociale")
MODIFICATION_COLUMNS = (
    "rank", "id", "objet_modification", "date_notification_modification",
    "date_publication_donnees_modification", "duree_mois", "montant",
)


@dataclass(frozen=True)
class PackageInfo:
    """Who publishes the package and under which terms (from the settings)."""

    prefix: str
    publisher: str
    license: str | None = None
    uri: str | None = None
    publication_policy: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> PackageInfo:
        return cls(settings.ocds_prefix, settings.ocds_publisher_name, settings.ocds_license or None,
                   settings.ocds_package_uri or None, settings.ocds_publication_policy or None)


@dataclass(frozen=True)
class OcdsExport:
    path: str
    releases: int
    amendments: int
    published_date: str
    duration_s: float

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "releases": self.releases, "amendments": self.amendments,
                "published_date": self.published_date, "duration_s": round(self.duration_s, 2)}


def select_sql() -> str:
    """Every contract with its titulaires in force and its modifications as lists of structs, the CPV label
    when the reference table knows the code, and when its source file was ingested."""
    suppliers = ", ".join(f"{col} := {col}" for col in SUPPLIER_COLUMNS)
    modifications = ", ".join(f"{col} := {col}" for col in MODIFICATION_COLUMNS)
    columns = ", ".join(f"c.{col}" for col in CONTRACT_COLUMNS)
    return (
        f"WITH sup AS (SELECT record_uid, list(struct_pack({suppliers}) ORDER BY rank) AS suppliers "
        "FROM titulaires_actuels GROUP BY record_uid), "
        f"mods AS (SELECT record_uid, list(struct_pack({modifications}) ORDER BY rank) AS modifications "
        "FROM modifications WHERE record_uid IN (SELECT record_uid FROM contracts) GROUP BY record_uid), "
        "cpv AS (SELECT code8, min(label_fr) AS label_fr FROM ref_cpv GROUP BY code8) "
        f"SELECT {columns}, cpv.label_fr AS cpv_libelle, f.ingested_at, sup.suppliers, mods.modifications "
        "FROM contracts c "
        "LEFT JOIN sup ON sup.record_uid = c.record_uid "
        "LEFT JOIN mods ON mods.record_uid = c.record_uid "
        "LEFT JOIN cpv ON cpv.code8 = c.code_cpv "
        "LEFT JOIN ingested_files f ON f.sha256 = c.source_sha256 "
        f"ORDER BY {ORDER_BY}"
    )


def iter_rows(con: duckdb.DuckDBPyConnection, batch_rows: int = BATCH_ROWS) -> Iterator[dict[str, Any]]:
    """The contract rows in export order, a batch of ``batch_rows`` in memory at a time."""
    for batch in con.sql(select_sql()).to_arrow_reader(batch_rows):
        yield from batch.to_pylist()


def snapshot_date(con: duckdb.DuckDBPyConnection) -> dt.datetime | None:
    """When the snapshot last changed: its latest ingestion or reference load (UTC, naive), if recorded."""
    ((when,),) = con.execute(
        "SELECT greatest((SELECT max(finished_at) FROM ingestion_runs), "
        "(SELECT max(loaded_at) FROM reference_loads))").fetchall()
    return when if isinstance(when, dt.datetime) else None


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def package_header(info: PackageInfo, published: str) -> dict[str, Any]:
    """The package's metadata, in the order written (``releases`` follows)."""
    header: dict[str, Any] = {}
    if info.uri:
        header["uri"] = info.uri
    header.update({"version": OCDS_VERSION, "publishedDate": published, "publisher": {"name": info.publisher}})
    if info.license:
        header["license"] = info.license
    if info.publication_policy:
        header["publicationPolicy"] = info.publication_policy
    return header


def export_ocds(con: duckdb.DuckDBPyConnection, output: Path, info: PackageInfo, *,
                batch_rows: int = BATCH_ROWS) -> OcdsExport:
    """Write the release package to ``output`` (through ``.<name>.tmp``, renamed when complete)."""
    started = time.perf_counter()
    moment = snapshot_date(con) or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    published = f"{moment.replace(microsecond=0).isoformat()}Z"
    output.parent.mkdir(parents=True, exist_ok=True)
    temporary = output.with_name(f".{output.name}.tmp")
    releases = amendments = 0
    try:
        with temporary.open("w", encoding="utf-8") as handle:
            header = dumps(package_header(info, published))
            handle.write(header[:-1] + ',"releases":[')
            for row in iter_rows(con, batch_rows):
                release = build_release(row, info.prefix)
                handle.write(("\n" if releases == 0 else ",\n") + dumps(release))
                releases += 1
                amendments += len(release["contracts"][0].get("amendments", ()))
            handle.write("\n]}\n" if releases else "]}\n")
        os.replace(temporary, output)
    finally:
        temporary.unlink(missing_ok=True)
    return OcdsExport(str(output), releases, amendments, published, time.perf_counter() - started)
