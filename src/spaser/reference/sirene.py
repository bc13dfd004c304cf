"""Load INSEE's SIRENE stock files (unités légales, établissements) into the warehouse's reference tables.

Why: the SME, ESS and local-supplier indicators join each titulaire's SIRET to SIRENE (``categorieEntreprise``,
``economieSocialeSolidaireUniteLegale``, the établissement's commune; ``../shared/docs/domain.md`` §3). INSEE's
files are national (~30 M établissements, 8 GB of CSV with ~50 columns); only six columns of each are kept.

Steps, each a function: inspect both files (header, format: fails before any work on a wrong file), then in one
new snapshot and for each stock: replace the table's rows with DuckDB's parse of the file (only the used columns
are materialised), drop rows without a key, keep one row per key, log the load in ``reference_loads``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb

from spaser.decp.sources import sha256_of_file
from spaser.errors import InputError
from spaser.reference.sirene_input import StockFile, csv_source, inspect_stock, read_csv_sql, track_progress
from spaser.reference.tables import record_load
from spaser.warehouse import snapshot

#: ``progress(path, done_bytes, total_bytes)``, called from worker threads while a stock file is read.
SireneProgress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Stock:
    """One of INSEE's two stock files and the warehouse table it becomes."""

    label: str  # for messages
    insee_name: str  # the file's name at INSEE
    load_name: str  # reference_loads.name
    table: str
    key: str  # the table column identifying a row
    columns: tuple[str, ...]  # INSEE's columns read
    select: str  # the table's columns, in order, from INSEE's columns
    keep_first: str  # among rows sharing a key, the one kept sorts first (the active one)
    marker: str  # a column only this stock has, to recognise a file given in the wrong place


UNITES = Stock(
    label="unités légales",
    insee_name="StockUniteLegale",
    load_name="sirene_unites",
    table="ref_sirene_unites",
    key="siren",
    columns=("siren", "categorieEntreprise", "economieSocialeSolidaireUniteLegale", "denominationUniteLegale",
             "activitePrincipaleUniteLegale", "etatAdministratifUniteLegale"),
    select="""nullif(siren, ''), nullif(categorieEntreprise, ''),
              nullif(economieSocialeSolidaireUniteLegale, '') = 'O', nullif(denominationUniteLegale, ''),
              nullif(activitePrincipaleUniteLegale, ''), nullif(etatAdministratifUniteLegale, '') = 'A'""",
    keep_first="actif DESC NULLS LAST, denomination NULLS LAST, categorie_entreprise NULLS LAST, naf, ess",
    marker="etatAdministratifUniteLegale",
)
ETABLISSEMENTS = Stock(
    label="établissements",
    insee_name="StockEtablissement",
    load_name="sirene_etablissements",
    table="ref_sirene_etablissements",
    key="siret",
    columns=("siret", "siren", "codeCommuneEtablissement", "etablissementSiege", "activitePrincipaleEtablissement",
             "etatAdministratifEtablissement"),
    select="""nullif(siret, ''), nullif(siren, ''), nullif(codeCommuneEtablissement, ''),
              nullif(etablissementSiege, '') = 'true', nullif(activitePrincipaleEtablissement, ''),
              nullif(etatAdministratifEtablissement, '') = 'A'""",
    keep_first="actif DESC NULLS LAST, siege DESC NULLS LAST, commune_code NULLS LAST, naf, siren",
    marker="etatAdministratifEtablissement",
)


@dataclass(frozen=True)
class StockLoad:
    """What one stock file gave: rows read, rows dropped (no key, duplicate key), rows loaded."""

    path: str
    table: str
    rows_read: int
    without_key: int
    duplicates: int
    rows: int
    sha256: str
    seconds: float


@dataclass(frozen=True)
class SireneLoadReport:
    unites: StockLoad
    etablissements: StockLoad
    seconds: float


def load_sirene(warehouse_dir: Path, unites: Path, etablissements: Path, memory_limit: str = "1GB",
                progress: SireneProgress | None = None) -> SireneLoadReport:
    """Replace both SIRENE tables with INSEE's stock files (CSV, ``.gz`` or INSEE's zip) in a new snapshot."""
    started = time.perf_counter()
    files = [(UNITES, check_stock(unites, UNITES)), (ETABLISSEMENTS, check_stock(etablissements, ETABLISSEMENTS))]
    with ThreadPoolExecutor(max_workers=1) as hasher:  # ~1 GB/s, overlapping DuckDB's parse
        digests = [hasher.submit(sha256_of_file, stock_file.path) for _, stock_file in files]
        with snapshot.update(warehouse_dir, memory_limit) as con:
            loads = [load_stock(con, stock, stock_file, digest, progress)
                     for (stock, stock_file), digest in zip(files, digests, strict=True)]
            from spaser.warehouse.derived import refresh_derived

            refresh_derived(con)
    return SireneLoadReport(loads[0], loads[1], time.perf_counter() - started)


def check_stock(path: Path, stock: Stock) -> StockFile:
    """The file's format and header, or an ``InputError`` naming it and what is missing."""
    stock_file = inspect_stock(path)
    header = set(stock_file.header)
    missing = [column for column in stock.columns if column not in header]
    if not missing:
        return stock_file
    other = ETABLISSEMENTS if stock is UNITES else UNITES
    if other.marker in header and stock.marker not in header:
        raise InputError(f"{path}: this is the SIRENE {other.label} stock ({other.insee_name}), expected the "
                         f"{stock.label} ({stock.insee_name}); give the unités légales file first, then the "
                         f"établissements")
    if len(missing) == len(stock.columns):
        found = ", ".join(stock_file.header[:6]) or "nothing"
        raise InputError(f"{path}: not a SIRENE {stock.label} stock file ({stock.insee_name}): none of the columns "
                         f"{', '.join(stock.columns)} (found {found}{'…' if len(stock_file.header) > 6 else ''})")
    raise InputError(f"{path}: SIRENE {stock.label} stock ({stock.insee_name}) without the column(s) "
                     f"{', '.join(missing)}")


def load_stock(con: duckdb.DuckDBPyConnection, stock: Stock, stock_file: StockFile, digest: Future[str],
               progress: SireneProgress | None) -> StockLoad:
    """Replace one table with one stock file, inside the snapshot being built."""
    started = time.perf_counter()
    on_bytes = None if progress is None else _bytes_of(str(stock_file.path), progress)
    if on_bytes is not None:
        on_bytes(0, stock_file.size)
    con.execute(f"DELETE FROM {stock.table}")
    con.execute("CHECKPOINT")  # frees the old rows' blocks for the new ones: a reload does not grow the snapshot
    rows_read = insert_rows(con, stock, stock_file, on_bytes)
    without_key = _count(con, f"DELETE FROM {stock.table} WHERE {stock.key} IS NULL")
    duplicates = drop_duplicates(con, stock)
    if on_bytes is not None:
        on_bytes(stock_file.size, stock_file.size)
    rows = rows_read - without_key - duplicates
    record_load(con, stock.load_name, stock_file.path, digest.result(), rows)
    return StockLoad(str(stock_file.path), stock.table, rows_read, without_key, duplicates, rows, digest.result(),
                     time.perf_counter() - started)


def insert_rows(con: duckdb.DuckDBPyConnection, stock: Stock, stock_file: StockFile,
                on_bytes: Callable[[int, int], None] | None) -> int:
    """Append the file's rows to the (emptied) table; DuckDB parses, only the used columns are kept (in any
    order, in parallel: the snapshot's connection does not preserve insertion order, see
    :func:`spaser.warehouse.snapshot.connect_building`)."""
    with csv_source(stock_file, on_bytes) as source, track_progress(con, stock_file, on_bytes):
        try:
            return _count(con, f"INSERT INTO {stock.table} SELECT {stock.select} "
                               f"FROM {read_csv_sql(source, stock_file)}")
        except duckdb.Error as exc:
            raise InputError(f"{stock_file.path}: not a readable SIRENE {stock.label} CSV file: "
                             f"{_reason(exc, source, stock_file.path)}") from None


def drop_duplicates(con: duckdb.DuckDBPyConnection, stock: Stock) -> int:
    """Keep one row per key (a duplicate would multiply the contracts joined to it); returns the rows dropped.

    INSEE's stock has none, so the check (one hash aggregation, ~3 s on 30 M rows) usually ends it; when there
    are some (a concatenation of two stocks), the active row is kept, ties broken on the other columns."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE _sirene_duplicates AS "
                f"SELECT {stock.key} AS key FROM {stock.table} GROUP BY {stock.key} HAVING count(*) > 1")
    try:
        if _count(con, "SELECT count(*) FROM _sirene_duplicates") == 0:
            return 0
        return _count(con, f"""
            DELETE FROM {stock.table} WHERE rowid IN (
                SELECT rowid FROM {stock.table} WHERE {stock.key} IN (SELECT key FROM _sirene_duplicates)
                QUALIFY row_number() OVER (PARTITION BY {stock.key} ORDER BY {stock.keep_first}) > 1)""")
    finally:
        con.execute("DROP TABLE _sirene_duplicates")




def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row else 0


def _reason(exc: duckdb.Error, source: str, path: Path) -> str:
    """DuckDB's diagnosis (line, its text, what is wrong) without its advice on reader options."""
    text = str(exc).split("Possible fixes:")[0].replace(source, str(path))
    parts = [line.strip()[:200] for line in text.splitlines() if line.strip()]
    return "; ".join(parts).removeprefix("Invalid Input Error: ")


def _bytes_of(path: str, progress: SireneProgress) -> Callable[[int, int], None]:
    def on_bytes(done: int, total: int) -> None:
        progress(path, done, total)

    return on_bytes
