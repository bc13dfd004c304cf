"""Warehouse snapshots: build a new DuckDB file beside the current one, publish it atomically.

Layout under ``<data-dir>/warehouse/``::

    current.duckdb              the published snapshot; readers open it read-only
    .building-<run>.duckdb      a snapshot being built (removed or renamed by its run)
    .staging-<run>/             Parquet rows staged by the ingestion workers
    .ingest.lock                held by the one ingestion allowed at a time

Publishing is ``os.replace`` of a fully written, checkpointed and fsynced file: a reader sees the old
snapshot or the new one, never a mix, and a run killed at any point leaves ``current.duckdb`` as it was.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import duckdb

from spaser.errors import InputError, NotFoundError
from spaser.reference.tables import ensure_reference_tables
from spaser.warehouse.schema import TABLES

CURRENT = "current.duckdb"
FAULT_ENV = "SPASER_FAULT_INJECT"

_DUCK_TYPES = {
    "string": "VARCHAR",
    "list<item: string>": "VARCHAR[]",
    "int64": "BIGINT",
    "double": "DOUBLE",
    "bool": "BOOLEAN",
    "date32[day]": "DATE",
}

_EXTRA_DDL = """
CREATE TABLE IF NOT EXISTS ingested_files (
    sha256 VARCHAR PRIMARY KEY, path VARCHAR, source_name VARCHAR, format VARCHAR, run_id VARCHAR,
    ingested_at TIMESTAMP, records_read BIGINT, loaded BIGINT, duplicates BIGINT, quarantined BIGINT
);
CREATE TABLE IF NOT EXISTS ingestion_runs (
    run_id VARCHAR PRIMARY KEY, started_at TIMESTAMP, finished_at TIMESTAMP, report JSON
);
"""


def fault_point(name: str) -> None:
    """Kill this process with SIGKILL when ``SPASER_FAULT_INJECT`` names this point.

    The crash-safety tests use it to stop an ingestion at precise steps; without the variable it is a
    dictionary lookup.
    """
    if os.environ.get(FAULT_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def current_path(warehouse_dir: Path) -> Path:
    return warehouse_dir / CURRENT


def table_ddl(table: str) -> str:
    columns = ", ".join(f"{name} {_DUCK_TYPES[str(kind)]}" for name, kind in TABLES[table])
    return f"CREATE TABLE IF NOT EXISTS {table} ({columns})"


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    for table in TABLES:
        con.execute(table_ddl(table))
    con.execute(_EXTRA_DDL)
    ensure_reference_tables(con)


@contextlib.contextmanager
def ingest_lock(warehouse_dir: Path) -> Iterator[None]:
    """One ingestion at a time; a second one fails at once with a clear message."""
    warehouse_dir.mkdir(parents=True, exist_ok=True)
    with (warehouse_dir / ".ingest.lock").open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError(f"another ingestion is running on {warehouse_dir}; try again when it ends") from None
        try:
            remove_leftovers(warehouse_dir)
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def remove_leftovers(warehouse_dir: Path) -> None:
    """Delete what a killed run left behind (only called under the lock, so nobody is using it)."""
    for path in warehouse_dir.glob(".building-*"):
        path.unlink(missing_ok=True)
    for path in warehouse_dir.glob(".staging-*"):
        shutil.rmtree(path, ignore_errors=True)


def start_build(warehouse_dir: Path, run_id: str) -> Path:
    """A writable copy of the current snapshot (or a new empty one) to build the next snapshot in."""
    building = warehouse_dir / f".building-{run_id}.duckdb"
    current = current_path(warehouse_dir)
    if current.exists():
        shutil.copyfile(current, building)
    fault_point("after_copy")
    con = duckdb.connect(str(building))
    try:
        ensure_schema(con)
    finally:
        con.close()
    return building


def fsync_path(path: Path) -> None:
    """Flush a file's (or a folder's entry list's) data to disk: what an atomic publish needs before its rename."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(warehouse_dir: Path, building: Path) -> Path:
    """Atomically make ``building`` the current snapshot."""
    wal = building.with_name(building.name + ".wal")
    if wal.exists():  # DuckDB checkpoints on close; a WAL left means the file is not self-contained
        raise RuntimeError(f"snapshot {building} still has a write-ahead log")
    fsync_path(building)
    fault_point("before_publish")
    target = current_path(warehouse_dir)
    os.replace(building, target)
    fsync_path(warehouse_dir)
    fault_point("after_publish")
    return target


def open_current(warehouse_dir: Path) -> duckdb.DuckDBPyConnection:
    """The published snapshot, read-only (any number of readers, never blocked by an ingestion)."""
    path = current_path(warehouse_dir)
    if not path.exists():
        raise NotFoundError(f"no warehouse snapshot in {warehouse_dir}: run `spaser ingest` first")
    return duckdb.connect(str(path), read_only=True)


def connect_building(building: Path, memory_limit: str, temp_directory: Path) -> duckdb.DuckDBPyConnection:
    """The connection that writes a snapshot being built, the same for an ingestion and a reference load.

    Row order inside tables carries no meaning (every reader orders explicitly): without insertion order DuckDB
    loads in parallel (a third less time) and needs less memory. One function, so that the derived tables
    (:func:`spaser.warehouse.derived.refresh_derived`) are built under the same settings whichever command
    rebuilds them: a reference load used DuckDB's defaults (insertion order kept) for them."""
    return duckdb.connect(str(building), config={"memory_limit": memory_limit, "preserve_insertion_order": False,
                                                 "temp_directory": str(temp_directory)})


@contextlib.contextmanager
def update(warehouse_dir: Path, memory_limit: str = "1GB") -> Iterator[duckdb.DuckDBPyConnection]:
    """Change the warehouse through a new snapshot: a copy of the current one, written through the yielded
    connection, then checkpointed and published atomically. An exception (or a kill) leaves the current
    snapshot as it was; one writer at a time (the ingestion lock)."""
    with ingest_lock(warehouse_dir):
        run_id = secrets.token_hex(6)
        building = start_build(warehouse_dir, run_id)
        temp = warehouse_dir / f".staging-{run_id}"
        con = connect_building(building, memory_limit, temp)
        try:
            yield con
            con.execute("CHECKPOINT")
        except BaseException:
            con.close()
            building.unlink(missing_ok=True)
            shutil.rmtree(temp, ignore_errors=True)
            raise
        con.close()
        shutil.rmtree(temp, ignore_errors=True)
        publish(warehouse_dir, building)
