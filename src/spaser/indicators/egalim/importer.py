"""Import one purchase file into the store: read, apply the supplier matrices, check, write, in one pass.

Why one pass with streaming Parquet writers: memory stays that of a batch whatever the file's size, and the
accepted lines, the rejects and the conflicts are written to temporary files renamed into place only when the
whole file has been read, the manifest last: an import is all there or not at all. A file already imported
(same SHA-256) is not imported again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Protocol

import pyarrow as pa
import pyarrow.parquet as pq

from spaser.indicators.egalim.cells import LineError
from spaser.indicators.egalim.lines import KNOWN_COLUMNS, LEGACY_COLUMN, REQUIRED_COLUMNS, parse_row
from spaser.indicators.egalim.matrices import Conflict
from spaser.indicators.egalim.overlaps import overlap_with_earlier
from spaser.indicators.egalim.read import RawRow, open_table
from spaser.indicators.egalim.store import (
    CONFLICTS_SCHEMA,
    LINES_SCHEMA,
    REJECTS_SCHEMA,
    EgalimStore,
    ImportManifest,
    line_record,
    new_import_id,
)

#: Errors and conflicts kept in the report (all of them are in the rejects and conflicts files).
KEPT: Final = 200
_BATCH: Final = 10_000


class ImportProgress(Protocol):
    """What the importer tells a progress bar: the rows expected (None: unknown), then rows done."""

    def start(self, path: Path, total_rows: int | None) -> None: ...

    def advance(self, rows: int) -> None: ...

    def stop(self) -> None: ...


@dataclass
class ImportReport:
    """One file's import: its manifest (the earlier one when the file was already imported), the first errors
    and conflicts, and whether anything was written."""

    path: str
    manifest: ImportManifest
    already_imported: bool = False
    errors: list[LineError] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)

    @property
    def status(self) -> str:
        return "déjà importé" if self.already_imported else "importé"

    def to_json(self) -> dict[str, Any]:
        return {"file": self.path, "status": self.status, "import": self.manifest.to_json(),
                "errors": [e.message for e in self.errors], "conflicts": [c.message for c in self.conflicts]}


class _Batches:
    """Rows for one Parquet file, written a batch at a time to the temporary path."""

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self.path = path
        self.schema = schema
        self.rows: list[dict[str, Any]] = []
        self.writer = pq.ParquetWriter(path, schema)
        self.count = 0

    def add(self, row: dict[str, Any]) -> None:
        self.rows.append(row)
        self.count += 1
        if len(self.rows) >= _BATCH:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.writer.write_table(pa.Table.from_pylist(self.rows, schema=self.schema))
            self.rows = []

    def close(self) -> None:
        self.flush()
        self.writer.close()


def import_file(store: EgalimStore, path: Path, actor: str = "cli", progress: ImportProgress | None = None,
                now: dt.datetime | None = None, organisation_id: int | None = None,
                file_name: str | None = None) -> ImportReport:
    """Import ``path`` (CSV or XLSX in the national format). Raises :class:`~spaser.errors.InputError` when the
    file cannot be read or lacks a required column; refused lines are reported, not raised. ``organisation_id``:
    the buyer organisation importing from the web (kept in the manifest); ``file_name``: the name to keep in the
    manifest instead of ``path``'s (an upload's original name, staged under a name of the server's)."""
    with open_table(path) as table:
        table.check_columns(REQUIRED_COLUMNS, KNOWN_COLUMNS, {"categories_egalim": LEGACY_COLUMN})
        if LEGACY_COLUMN in table.header:
            table.warnings.append("ancienne colonne caracteristiques lue (origine, circuit court et local "
                                  "en sont tirés)")
        with store.lock():
            existing = store.find_sha256(table.sha256)
            if existing is not None:
                return ImportReport(str(path), existing, already_imported=True)
            moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
            import_id = new_import_id(table.sha256, moment)
            matrices = store.matrices()
            report = ImportReport(str(path), _manifest(import_id, file_name or path.name, table, moment, actor,
                                                       organisation_id))
            read = accepted = 0
            if progress is not None:
                progress.start(path, table.estimated_rows)
            try:
                with contextlib.ExitStack() as stack:
                    lines = _open(stack, store, store.lines_dir, import_id, LINES_SCHEMA)
                    rejects = _open(stack, store, store.rejects_dir, import_id, REJECTS_SCHEMA)
                    conflicts = _open(stack, store, store.conflicts_dir, import_id, CONFLICTS_SCHEMA)
                    for row in table.rows:
                        read += 1
                        parsed = parse_row(row.line_no, row.cells, matrices if matrices.by_supplier else None)
                        if parsed.line is not None:
                            accepted += 1
                            lines.add(line_record(import_id, parsed.line))
                        else:
                            _reject(rejects, import_id, row, parsed.errors, report)
                        for conflict in parsed.conflicts:
                            conflicts.add(_conflict_record(import_id, conflict))
                            if len(report.conflicts) < KEPT:
                                report.conflicts.append(conflict)
                        if progress is not None and read % 1000 == 0:
                            progress.advance(1000)
                    if progress is not None:
                        progress.advance(read % 1000)
                    for batches in (lines, rejects, conflicts):
                        batches.close()
                    counted = conflicts.count
                    repeated = overlap_with_earlier(store, lines.path, organisation_id).warning()
                    if repeated:
                        table.warnings.append(repeated)
            finally:
                if progress is not None:
                    progress.stop()
            manifest = dataclasses.replace(report.manifest, lines_read=read, accepted=accepted,
                                           rejected=read - accepted, conflicts=counted,
                                           warnings=tuple(table.warnings))
            store.write_manifest(manifest)
            report.manifest = manifest
            return report


def _manifest(import_id: str, file_name: str, table: Any, moment: dt.datetime, actor: str,
              organisation_id: int | None) -> ImportManifest:
    return ImportManifest(
        id=import_id, file=file_name, sha256=table.sha256, format=table.format, separator=table.separator,
        encoding=table.encoding, imported_at=moment.isoformat(timespec="seconds").replace("+00:00", "Z"),
        actor=actor, lines_read=0, accepted=0, rejected=0, conflicts=0, warnings=(), organisation_id=organisation_id)


def _open(stack: contextlib.ExitStack, store: EgalimStore, folder: Path, import_id: str,
          schema: pa.Schema) -> _Batches:
    temporary = stack.enter_context(store.atomic(folder / f"{import_id}.parquet"))
    batches = _Batches(temporary, schema)
    stack.callback(batches.writer.close)  # idempotent: closes the file when the import fails half-way
    return batches


def _reject(rejects: _Batches, import_id: str, row: RawRow, errors: list[LineError], report: ImportReport) -> None:
    raw = row.raw
    for error in errors:
        rejects.add({"import_id": import_id, "line_no": error.line_no, "column": error.column, "value": error.value,
                     "reason": error.reason, "raw": raw})
        if len(report.errors) < KEPT:
            report.errors.append(error)


def _conflict_record(import_id: str, conflict: Conflict) -> dict[str, Any]:
    return {"import_id": import_id, "line_no": conflict.line_no, "fournisseur": conflict.fournisseur,
            "code_article": conflict.code_article, "column": conflict.column, "line_value": conflict.line_value,
            "article_value": conflict.article_value, "kind": conflict.kind}
