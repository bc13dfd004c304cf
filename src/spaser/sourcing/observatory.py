"""What the observatory knows about companies, read in one query for many SIRETs (the matching's input).

Why batched: ranking the companies of a CPV division scores thousands of profiles; one DuckDB query over the
warehouse's ``titulaires`` gives every company's contract counts at once, where one query per company would
take seconds.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from spaser.warehouse.queries import CURRENT_TITULAIRES


def track_records(con: duckdb.DuckDBPyConnection, sirets: Sequence[str],
                  division: str | None = None) -> dict[str, tuple[int, int]]:
    """SIRET → (contracts held, of which in CPV ``division``), for the SIRETs with at least one contract.

    "Held" as on the supplier page (:func:`spaser.warehouse.queries.supplier_track_record`): titulaire after the
    contract's last modification, so a company replaced by a modification no longer counts it, and a contract
    counts once however many times the company is listed."""
    wanted = sorted({s for s in sirets if s})
    if not wanted:
        return {}
    rows = con.execute(
        "WITH named AS (SELECT DISTINCT record_uid FROM titulaires WHERE id IN (SELECT unnest($sirets))), "
        "c AS (SELECT c.* FROM contracts c JOIN named USING (record_uid)) "
        "SELECT t.id, count(DISTINCT c.contract_key), "
        "count(DISTINCT c.contract_key) FILTER (WHERE substr(c.code_cpv, 1, 2) = $division) "
        f"FROM ({CURRENT_TITULAIRES.format(records='c')}) t JOIN c USING (record_uid) "
        "WHERE t.id IN (SELECT unnest($sirets)) GROUP BY t.id", {"sirets": wanted, "division": division or ""}
    ).fetchall()
    return {str(siret): (int(total), int(same)) for siret, total, same in rows}
