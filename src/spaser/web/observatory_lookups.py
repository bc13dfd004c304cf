"""What the pages of the sourcing space read from the observatory's current warehouse snapshot.

Why here: the sourcing services work on the platform database alone and take these lookups as arguments, so a
platform without any ingested data still matches and searches (every lookup then answers None).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import duckdb

from spaser.sourcing.matches import Track
from spaser.sourcing.observatory import track_records
from spaser.warehouse import queries
from spaser.web.reader import WarehouseReader

T = TypeVar("T")


def track_for(reader: WarehouseReader) -> Track | None:
    """The matching's ``track`` over the current snapshot, or None before any ingestion."""
    if reader.identity() is None:
        return None

    def track(sirets: Sequence[str], division: str | None) -> Mapping[str, tuple[int, int]]:
        return _read(reader, lambda con: track_records(con, sirets, division)) or {}

    return track


def _read(reader: WarehouseReader, query: Callable[[duckdb.DuckDBPyConnection], T]) -> T | None:
    """``query`` on a cursor of the current snapshot, or None before any ingestion."""
    opened = reader.cursor()
    if opened is None:
        return None
    con, _ = opened
    try:
        return query(con)
    finally:
        con.close()


def sirene_for(reader: WarehouseReader, siret: str) -> dict[str, Any] | None:
    """SIRENE's facts on the SIRET when a SIRENE stock is loaded in the warehouse."""
    return _read(reader, lambda con: queries.sirene_facts(con, siret))


def track_record_of(reader: WarehouseReader, siret: str) -> dict[str, Any] | None:
    """The company's contracts in the observatory (counts, amount, divisions, buyers), or None without data."""
    return _read(reader, lambda con: queries.supplier_track_record(con, siret))
