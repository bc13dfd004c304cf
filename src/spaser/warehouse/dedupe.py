"""Load staged rows into a snapshot being built, then deduplicate contracts.

Deduplication key (``contract_key``, computed by the normaliser, see docs/ingestion.md):
kind + acheteur id + contract id (case-insensitive) + notification date + initial amount + the set of
initial titulaire ids. Among the versions of one contract the snapshot keeps the most recent (most
modifications, latest modification, latest publication) then the most complete one, and lists every
source that carried it. Ties are broken by ``record_uid`` so the choice never depends on the order in
which files were ingested: ingesting A then B equals ingesting A and B together.

A record of this run counts as *loaded* when its key is new (not in the previous snapshot, not earlier
in this run), as a *duplicate* otherwise; so the sum of ``loaded`` over all runs equals the number of
contracts.
"""

from __future__ import annotations

from collections import Counter

import duckdb

from spaser.warehouse.schema import TABLES, column_names

VERSION_ORDER = (
    "n_modifications DESC, date_derniere_modification DESC NULLS LAST, "
    "date_publication_donnees DESC NULLS LAST, completeness DESC, record_uid"
)


def load_staged(con: duckdb.DuckDBPyConnection, staged: dict[str, list[str]]) -> None:
    for table in TABLES:
        files = staged.get(table) or []
        if not files:
            continue
        columns = ", ".join(column_names(table))
        con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM read_parquet(?)", [files])


def classify_run(con: duckdb.DuckDBPyConnection, file_order: list[str]) -> dict[str, Counter[str]]:
    """Per file sha256 of this run: how many records were loaded (new contract) or duplicates."""
    con.execute("CREATE OR REPLACE TEMP TABLE run_files (sha256 VARCHAR, file_order INTEGER)")
    if file_order:
        con.executemany("INSERT INTO run_files VALUES (?, ?)", [(s, i) for i, s in enumerate(file_order)])
    rows = con.execute(
        """
        WITH run AS (
            SELECT r.contract_key, r.source_sha256, f.file_order, r.record_index
            FROM records r JOIN run_files f ON r.source_sha256 = f.sha256
        ),
        previous AS (
            SELECT DISTINCT contract_key FROM records
            WHERE source_sha256 NOT IN (SELECT sha256 FROM run_files)
        ),
        ranked AS (
            SELECT run.source_sha256,
                   row_number() OVER (PARTITION BY run.contract_key ORDER BY file_order, record_index) AS n,
                   previous.contract_key IS NOT NULL AS seen_before
            FROM run LEFT JOIN previous USING (contract_key)
        )
        SELECT source_sha256,
               count(*) FILTER (WHERE n = 1 AND NOT seen_before) AS loaded,
               count(*) FILTER (WHERE n > 1 OR seen_before) AS duplicates
        FROM ranked GROUP BY source_sha256
        """
    ).fetchall()
    return {sha: Counter(loaded=int(loaded), duplicates=int(dups)) for sha, loaded, dups in rows}


def rebuild_contracts(con: duckdb.DuckDBPyConnection) -> int:
    """One pass of window functions picks each contract's version; the source lists are aggregated only
    for the few contracts (~5 % nationally) that have several versions."""
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE chosen AS
        SELECT record_uid, contract_key, n_versions FROM (
            SELECT record_uid, contract_key,
                   row_number() OVER (PARTITION BY contract_key ORDER BY {VERSION_ORDER}) AS version_rank,
                   count(*) OVER (PARTITION BY contract_key) AS n_versions
            FROM records
        ) WHERE version_rank = 1
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE multi AS
        SELECT contract_key,
               list(DISTINCT source_name ORDER BY source_name) AS sources,
               list(record_uid ORDER BY record_uid) AS version_uids
        FROM records
        WHERE contract_key IN (SELECT contract_key FROM chosen WHERE n_versions > 1)
        GROUP BY contract_key
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TABLE contracts AS
        SELECT r.*,
               coalesce(m.sources, [r.source_name]) AS sources,
               coalesce(m.version_uids, [r.record_uid]) AS version_uids,
               c.n_versions
        FROM records r
        JOIN chosen c USING (record_uid)
        LEFT JOIN multi m ON m.contract_key = c.contract_key
        """
    )
    con.execute("CREATE OR REPLACE VIEW marches AS SELECT * FROM contracts WHERE kind = 'marche'")
    con.execute("CREATE OR REPLACE VIEW concessions AS SELECT * FROM contracts WHERE kind = 'concession'")
    # The titulaires in force: those set by the last modification that names some, else the initial ones.
    con.execute(
        """
        CREATE OR REPLACE VIEW titulaires_actuels AS
        WITH last_set AS (
            SELECT record_uid, max(modification_rank) AS modification_rank FROM titulaires GROUP BY record_uid
        )
        SELECT c.contract_key, t.*
        FROM contracts c
        JOIN last_set l ON l.record_uid = c.record_uid
        JOIN titulaires t ON t.record_uid = l.record_uid AND t.modification_rank = l.modification_rank
        """
    )
    row = con.execute("SELECT count(*) FROM contracts").fetchone()
    return int(row[0]) if row else 0
