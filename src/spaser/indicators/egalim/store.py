"""The Egalim store: imported purchase lines, their rejects and matrix conflicts, one manifest per import, the
supplier article matrices and the restaurants registry, as plain files under ``<data_dir>/egalim/``.

    imports/<import_id>.json       manifest; written last, so an import exists once (and only once) it is there
    lines/<import_id>.parquet      accepted lines (``LINES_SCHEMA``), read by the computation with DuckDB
    rejects/<import_id>.parquet    one row per refused cell, with the whole raw row: nothing is lost
    conflicts/<import_id>.parquet  lines that disagree with their supplier's matrix
    matrices/<supplier slug>.parquet
    restaurants.parquet

Why files: the computation scans the lines with DuckDB ``read_parquet`` and nothing else needs a database. Every
file is written to a temporary name in its folder and renamed (``os.replace``), so a reader sees the old file or
the new one, never half of one, while another process imports; writers take a lock on ``.lock``, one at a time.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pyarrow as pa
import pyarrow.parquet as pq

from spaser.errors import NotFoundError
from spaser.indicators.egalim.lines import PurchaseLine
from spaser.warehouse.snapshot import fsync_path

if TYPE_CHECKING:
    from spaser.config import Settings
    from spaser.indicators.egalim.importer import ImportProgress, ImportReport
    from spaser.indicators.egalim.matrices import Matrices
    from spaser.indicators.egalim.matrix_store import MatrixInfo, MatrixReport
    from spaser.indicators.egalim.registry import RegistryReport, Restaurant

#: Columns of ``lines/<import_id>.parquet`` (the computation's input).
LINES_SCHEMA: Final = pa.schema([
    ("import_id", pa.string()),
    ("line_no", pa.int32()),
    ("siret", pa.string()),
    ("description", pa.string()),
    ("fournisseur", pa.string()),
    ("date", pa.date32()),
    ("prix_ht", pa.decimal128(14, 2)),
    ("famille_produits", pa.string()),
    ("categories_egalim", pa.list_(pa.string())),
    ("groupe_egalim", pa.string()),
    ("origine", pa.string()),
    ("est_circuit_court", pa.bool_()),
    ("est_local", pa.bool_()),
    ("definition_local", pa.string()),
    ("definition_local_km", pa.int32()),
    ("code_article", pa.string()),
    ("year", pa.int16()),
])
REJECTS_SCHEMA: Final = pa.schema([
    ("import_id", pa.string()), ("line_no", pa.int32()), ("column", pa.string()), ("value", pa.string()),
    ("reason", pa.string()), ("raw", pa.string()),
])
CONFLICTS_SCHEMA: Final = pa.schema([
    ("import_id", pa.string()), ("line_no", pa.int32()), ("fournisseur", pa.string()),
    ("code_article", pa.string()), ("column", pa.string()), ("line_value", pa.string()),
    ("article_value", pa.string()), ("kind", pa.string()),
])
_IMPORT_ID: Final = re.compile(r"\d{8}T\d{6}Z-[0-9a-f]{12}")
_BATCH_ROWS: Final = 10_000


@dataclass(frozen=True)
class ImportManifest:
    """What an import did; ``lines_read == accepted + rejected`` (a line with several refused cells is one
    rejected line and several rows of the rejects file)."""

    id: str
    file: str
    sha256: str
    format: str
    separator: str | None
    encoding: str | None
    imported_at: str  # ISO 8601, UTC
    actor: str
    lines_read: int
    accepted: int
    rejected: int
    conflicts: int
    warnings: tuple[str, ...]
    #: The buyer organisation that imported the file from the web; None for the command line (and for manifests
    #: written before organisations were recorded).
    organisation_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "warnings": list(self.warnings)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImportManifest:
        return cls(**{**data, "warnings": tuple(data.get("warnings", ()))})


def valid_import_id(value: str) -> bool:
    """Whether ``value`` has the form of an import id (anything else names no import: never a path)."""
    return _IMPORT_ID.fullmatch(value) is not None


def new_import_id(sha256: str, now: dt.datetime) -> str:
    """``YYYYMMDDTHHMMSSZ-<sha256[:12]>``: sorts by time, names the file's content."""
    return f"{now.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}-{sha256[:12]}"


class EgalimStore:
    """The files of one data folder's Egalim store; every method is safe while another process writes."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.imports_dir = root / "imports"
        self.lines_dir = root / "lines"
        self.rejects_dir = root / "rejects"
        self.conflicts_dir = root / "conflicts"
        self.matrices_dir = root / "matrices"
        self.restaurants_path = root / "restaurants.parquet"

    @classmethod
    def of(cls, settings: Settings) -> EgalimStore:
        return cls(settings.data_dir / "egalim")

    # -- writing -------------------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """One writer at a time (a second one waits); leftovers of a killed writer are removed first."""
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / ".lock").open("a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                self._remove_leftovers()
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _remove_leftovers(self) -> None:
        known = {m.id for m in self.imports()}
        for folder in (self.lines_dir, self.rejects_dir, self.conflicts_dir, self.matrices_dir, self.root):
            for path in folder.glob(".*.tmp"):
                path.unlink(missing_ok=True)
            if folder in (self.lines_dir, self.rejects_dir, self.conflicts_dir):
                for path in folder.glob("*.parquet"):
                    if path.stem not in known:  # written by an import killed before its manifest
                        path.unlink(missing_ok=True)

    @contextlib.contextmanager
    def atomic(self, target: Path) -> Iterator[Path]:
        """A temporary path next to ``target``; renamed to it, after an fsync, when the block ends without error."""
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        try:
            yield temporary
            fsync_path(temporary)
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)

    def write_table(self, target: Path, table: pa.Table) -> None:
        with self.atomic(target) as temporary:
            pq.write_table(table, temporary)

    def write_manifest(self, manifest: ImportManifest) -> None:
        with self.atomic(self.imports_dir / f"{manifest.id}.json") as temporary:
            temporary.write_text(json.dumps(manifest.to_json(), ensure_ascii=False, indent=2) + "\n",
                                 encoding="utf-8")

    def import_file(self, path: Path, actor: str = "cli", progress: ImportProgress | None = None,
                    now: dt.datetime | None = None, organisation_id: int | None = None,
                    file_name: str | None = None) -> ImportReport:
        """Import a purchase file (see :func:`spaser.indicators.egalim.importer.import_file`)."""
        from spaser.indicators.egalim.importer import import_file

        return import_file(self, path, actor=actor, progress=progress, now=now, organisation_id=organisation_id,
                           file_name=file_name)

    def remove_import(self, import_id: str) -> ImportManifest:
        """Delete an import (its manifest first, so readers stop seeing it at once, then its files)."""
        with self.lock():
            manifest = self.manifest(import_id)
            (self.imports_dir / f"{import_id}.json").unlink()
            for folder in (self.lines_dir, self.rejects_dir, self.conflicts_dir):
                (folder / f"{import_id}.parquet").unlink(missing_ok=True)
        return manifest

    def load_matrix(self, path: Path, fournisseur: str, now: dt.datetime | None = None) -> MatrixReport:
        from spaser.indicators.egalim.matrix_store import load_matrix

        return load_matrix(self, path, fournisseur, now=now)

    def load_restaurants(self, path: Path) -> RegistryReport:
        from spaser.indicators.egalim.registry import load_registry

        return load_registry(self, path)

    # -- reading -------------------------------------------------------------------------------------------------

    def imports(self) -> list[ImportManifest]:
        """Every complete import, oldest first."""
        manifests = []
        for path in sorted(self.imports_dir.glob("*.json")):
            with contextlib.suppress(FileNotFoundError):  # removed while listing
                manifests.append(ImportManifest.from_json(json.loads(path.read_text(encoding="utf-8"))))
        return manifests

    def manifest(self, import_id: str) -> ImportManifest:
        path = self.imports_dir / f"{import_id}.json"
        if not _IMPORT_ID.fullmatch(import_id) or not path.is_file():
            raise NotFoundError(f"aucun import {import_id!r} (spaser egalim imports les liste)")
        return ImportManifest.from_json(json.loads(path.read_text(encoding="utf-8")))

    def find_sha256(self, sha256: str) -> ImportManifest | None:
        return next((m for m in self.imports() if m.sha256 == sha256), None)

    def lines_files(self, import_ids: list[str] | None = None,
                    manifests: list[ImportManifest] | None = None) -> list[Path]:
        """The accepted-lines files of the complete imports (all, or those named), for DuckDB ``read_parquet``;
        ``manifests``: the imports already listed by the caller (not listed again)."""
        wanted = None if import_ids is None else set(import_ids)
        return [path for m in (self.imports() if manifests is None else manifests) if wanted is None or m.id in wanted
                if (path := self.lines_dir / f"{m.id}.parquet").is_file()]

    def rejects(self, import_id: str, limit: int | None = None) -> list[dict[str, Any]]:
        """The refused cells of an import (the first ``limit`` ones when given), in file order."""
        return _rows(self.rejects_dir / f"{self.manifest(import_id).id}.parquet", limit)

    def iter_rejects(self, import_id: str) -> Iterator[dict[str, Any]]:
        """Every refused cell of an import, a batch in memory at a time."""
        return _iter_rows(self.rejects_dir / f"{self.manifest(import_id).id}.parquet")

    def rejects_count(self, import_id: str) -> int:
        """How many refused cells (rows of the rejects file: a line may have several)."""
        try:
            return int(pq.ParquetFile(self.rejects_dir / f"{self.manifest(import_id).id}.parquet").metadata.num_rows)
        except FileNotFoundError:
            return 0

    def conflicts(self, import_id: str, limit: int | None = None) -> list[dict[str, Any]]:
        return _rows(self.conflicts_dir / f"{self.manifest(import_id).id}.parquet", limit)

    def iter_lines(self, import_ids: list[str] | None = None, year: int | None = None,
                   sirets: set[str] | None = None) -> Iterator[tuple[str, PurchaseLine]]:
        """(import id, line) of the stored lines, by import then line number, optionally of one year or of
        some restaurants; one file in memory at a time."""
        for path in self.lines_files(import_ids):
            try:
                table = pq.read_table(path)
            except FileNotFoundError:  # removed since listed
                continue
            for row in table.to_pylist():
                if (year is not None and row["year"] != year) or (sirets is not None and row["siret"] not in sirets):
                    continue
                yield row["import_id"], line_of(row)

    def restaurants_file(self) -> Path | None:
        """The registry's Parquet file (siret, nom, groupe, departement, etat), None before the first load."""
        return self.restaurants_path if self.restaurants_path.is_file() else None

    def restaurants(self) -> list[Restaurant]:
        from spaser.indicators.egalim.registry import Restaurant

        return [Restaurant(**row) for row in _rows(self.restaurants_path)]

    def matrices(self) -> Matrices:
        from spaser.indicators.egalim.matrix_store import read_matrices

        return read_matrices(self)

    def matrix_infos(self) -> list[MatrixInfo]:
        from spaser.indicators.egalim.matrix_store import matrix_infos

        return matrix_infos(self)


def line_of(row: dict[str, Any]) -> PurchaseLine:
    """A stored line (a row of ``LINES_SCHEMA`` as Python values) back as a :class:`PurchaseLine`."""
    return PurchaseLine(
        line_no=row["line_no"], siret=row["siret"], description=row["description"], fournisseur=row["fournisseur"],
        date=row["date"], prix_ht=row["prix_ht"], famille_produits=row["famille_produits"],
        categories_egalim=tuple(row["categories_egalim"] or ()), origine=row["origine"],
        est_circuit_court=row["est_circuit_court"], est_local=row["est_local"],
        definition_local=row["definition_local"], definition_local_km=row["definition_local_km"],
        code_article=row["code_article"])


def line_record(import_id: str, line: PurchaseLine) -> dict[str, Any]:
    """A line as a row of ``LINES_SCHEMA``."""
    return {
        "import_id": import_id, "line_no": line.line_no, "siret": line.siret, "description": line.description,
        "fournisseur": line.fournisseur, "date": line.date, "prix_ht": line.prix_ht,
        "famille_produits": line.famille_produits, "categories_egalim": list(line.categories_egalim),
        "groupe_egalim": line.groupe_egalim, "origine": line.origine, "est_circuit_court": line.est_circuit_court,
        "est_local": line.est_local, "definition_local": line.definition_local,
        "definition_local_km": line.definition_local_km, "code_article": line.code_article, "year": line.year,
    }


def _rows(path: Path, limit: int | None = None) -> list[dict[str, Any]]:
    if limit is not None:
        rows: list[dict[str, Any]] = []
        if limit > 0:
            for row in _iter_rows(path, batch_size=min(limit, _BATCH_ROWS)):
                rows.append(row)
                if len(rows) >= limit:
                    break
        return rows
    try:
        every: list[dict[str, Any]] = pq.read_table(path).to_pylist()
    except FileNotFoundError:
        return []
    return every


def _iter_rows(path: Path, batch_size: int = _BATCH_ROWS) -> Iterator[dict[str, Any]]:
    try:
        batches = pq.ParquetFile(path).iter_batches(batch_size=batch_size)
    except FileNotFoundError:
        return
    for batch in batches:
        yield from batch.to_pylist()
