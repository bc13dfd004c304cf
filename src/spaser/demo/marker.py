"""The mark of a warehouse holding the demonstration dataset: the table ``demo_dataset(seed, generated_at)``.

The web pages show the "données de démonstration" banner while the published snapshot has a row in it. It is
written by ``spaser demo seed`` and cleared by the first ingestion that loads records of another source than the
demonstration's (``spaser ingest`` of real files): from then on the warehouse holds real data.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Final

import duckdb

from spaser.warehouse import snapshot

DEMO_SOURCE: Final = "démonstration"
DEMO_TABLE: Final = "demo_dataset"


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]).fetchone()
    return bool(row and row[0])


def is_demo(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the warehouse holds the demonstration dataset (the banner is due)."""
    if not _has_table(con, DEMO_TABLE):
        return False
    row = con.execute(f"SELECT count(*) FROM {DEMO_TABLE}").fetchone()
    return bool(row and row[0])


def demo_seed(con: duckdb.DuckDBPyConnection) -> int | None:
    """The seed of the demonstration dataset the warehouse holds (None when it holds none)."""
    if not is_demo(con):
        return None
    row = con.execute(f"SELECT seed FROM {DEMO_TABLE} ORDER BY generated_at DESC LIMIT 1").fetchone()
    return int(row[0]) if row and row[0] is not None else None


def mark_demo(warehouse_dir: Path, seed: int, memory_limit: str = "1GB") -> None:
    """Mark the warehouse as demonstration data, in a new snapshot."""
    with snapshot.update(warehouse_dir, memory_limit) as con:
        con.execute(f"CREATE TABLE IF NOT EXISTS {DEMO_TABLE} (seed INTEGER, generated_at TIMESTAMP)")
        con.execute(f"DELETE FROM {DEMO_TABLE}")
        con.execute(f"INSERT INTO {DEMO_TABLE} VALUES (?, ?)", [seed, dt.datetime.now(dt.UTC).replace(tzinfo=None)])


def holds_other_data(con: duckdb.DuckDBPyConnection) -> str | None:
    """What the warehouse holds besides the demonstration (a phrase for a message), or None."""
    if is_demo(con):
        return None
    held = []
    if _has_table(con, "records"):
        row = con.execute("SELECT count(*) FROM records").fetchone()
        if row and row[0]:
            held.append(f"{row[0]} ingested record(s)")
    if _has_table(con, "reference_loads"):
        loads = [name for (name,) in con.execute("SELECT DISTINCT name FROM reference_loads ORDER BY name").fetchall()]
        if loads:
            held.append("reference data (" + ", ".join(loads) + ")")
    return " and ".join(held) or None
