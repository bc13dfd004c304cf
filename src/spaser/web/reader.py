"""The web process's view of the warehouse: the published snapshot, opened read-only, reopened on publish.

Why one reader per process: opening a DuckDB file costs more than a query; a request takes a cursor (its own
connection to the same database, safe across threads). The snapshot's identity (inode, size, mtime) gives the
ETag of every response that depends only on the warehouse, so clients revalidate for free until an ingestion
publishes a new snapshot.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import duckdb

from spaser.warehouse.snapshot import current_path


class WarehouseReader:
    def __init__(self, warehouse_dir: Path) -> None:
        self.warehouse_dir = warehouse_dir
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._identity: str | None = None

    def identity(self) -> str | None:
        """The published snapshot's identity (None when there is none): cheap, one stat()."""
        return self._current_identity()

    def _current_identity(self) -> str | None:
        path = current_path(self.warehouse_dir)
        try:
            stat = path.stat()
        except FileNotFoundError:
            return None
        return f"{stat.st_ino}-{stat.st_size}-{stat.st_mtime_ns}"

    def cursor(self) -> tuple[duckdb.DuckDBPyConnection, str] | None:
        """A cursor on the current snapshot and its ETag, or None when nothing was ingested yet."""
        identity = self._current_identity()
        if identity is None:
            return None
        with self._lock:
            if identity != self._identity or self._con is None:
                if self._con is not None:
                    self._con.close()
                self._con = duckdb.connect(str(current_path(self.warehouse_dir)), read_only=True)
                self._identity = identity
            con = self._con
        return con.cursor(), 'W/"' + hashlib.sha256(identity.encode()).hexdigest()[:20] + '"'

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None
