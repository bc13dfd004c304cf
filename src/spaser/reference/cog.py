"""Load INSEE's official geographic code (COG) and resolve every contract's place of execution against it.

Two layouts are read, recognised by their header: INSEE's own files (``v_commune_YYYY.csv`` with ``TYPECOM, COM,
REG, DEP, …, LIBELLE, COMPARENT``; ``v_departement_YYYY.csv``; ``v_region_YYYY.csv``; ``v_commune_comer_YYYY.csv``)
and the flat derivative ``commune_code, commune_nom, departement_code, departement_nom, region_code, region_nom``
(one file per level) that decp-processing publishes. A load replaces the three tables, then ``ref_lieux``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from spaser.decp.sources import sha256_of_file
from spaser.domain.geo import Cog, resolve_lieu
from spaser.errors import InputError
from spaser.reference.tables import record_load
from spaser.warehouse import snapshot

_LAYOUTS: dict[str, tuple[str, ...]] = {
    "insee_communes": ("TYPECOM", "COM", "REG", "DEP", "LIBELLE"),
    "insee_comer": ("COM_COMER", "LIBELLE", "COMER"),
    "insee_departements": ("DEP", "REG", "LIBELLE"),
    "insee_regions": ("REG", "LIBELLE"),
    "communes": ("commune_code", "commune_nom", "departement_code", "region_code"),
    "departements": ("departement_code", "departement_nom", "region_code"),
    "regions": ("region_code", "region_nom"),
}


@dataclass
class CogTables:
    communes: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # code → (nom, dep, reg)
    departements: dict[str, tuple[str, str]] = field(default_factory=dict)  # code → (nom, reg)
    regions: dict[str, str] = field(default_factory=dict)  # code → nom


@dataclass
class CogLoadReport:
    files: list[tuple[str, str, int]]  # (path, layout, rows read)
    communes: int
    departements: int
    regions: int
    lieux: int
    lieux_resolved: int


def read_rows(path: Path) -> tuple[list[str], Iterator[dict[str, str]]]:
    """Header and rows of a CSV file: UTF-8 (BOM tolerated) or cp1252, comma or semicolon separated."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [name.strip() for name in reader.fieldnames or []]
    reader.fieldnames = header
    return header, reader


def _layout(path: Path, header: Sequence[str]) -> str:
    for name, required in _LAYOUTS.items():
        if all(column in header for column in required):
            return name
    raise InputError(
        f"{path}: not a COG file: expected INSEE's columns (e.g. TYPECOM, COM, DEP, REG, LIBELLE) or "
        f"commune_code/departement_code/region_code; found {', '.join(header[:8]) or 'no header'}")


def read_cog(paths: Sequence[Path]) -> tuple[CogTables, list[tuple[str, str, int]]]:
    tables = CogTables()
    files: list[tuple[str, str, int]] = []
    parents: dict[str, str] = {}  # INSEE delegated/associated communes → their parent commune
    for path in paths:
        header, rows = read_rows(path)
        layout = _layout(path, header)
        count = 0
        for row in rows:
            count += 1
            _add(tables, layout, {k: (v or "").strip() for k, v in row.items() if k}, parents)
        files.append((str(path), layout, count))
    for code, parent in parents.items():  # COMD/COMA rows carry no DEP/REG: inherit the parent's
        if code not in tables.communes and parent in tables.communes:
            nom, dep, reg = tables.communes[parent]
            tables.communes[code] = (nom, dep, reg)
    for nom_dep in list(tables.communes.values()):  # the flat communes file alone also gives the upper levels
        _, dep, reg = nom_dep
        if dep and dep not in tables.departements:
            tables.departements[dep] = ("", reg)
        if reg and reg not in tables.regions:
            tables.regions[reg] = ""
    return tables, files


def _add(tables: CogTables, layout: str, row: dict[str, str], parents: dict[str, str]) -> None:
    if layout == "insee_communes":
        code, dep, reg = row["COM"], row["DEP"], row["REG"]
        if not code:
            return
        if not dep and row.get("COMPARENT"):
            parents.setdefault(code, row["COMPARENT"])
        elif code not in tables.communes or row["TYPECOM"] == "COM":
            tables.communes[code] = (row["LIBELLE"], dep, reg)
    elif layout == "insee_comer":
        # Overseas collectivities (975, 977, 978, 984, 986-989): the collectivity is département and région.
        tables.communes.setdefault(row["COM_COMER"], (row["LIBELLE"], row["COMER"], row["COMER"]))
        tables.departements.setdefault(row["COMER"], (row.get("LIBELLE_COMER", ""), row["COMER"]))
        tables.regions.setdefault(row["COMER"], row.get("LIBELLE_COMER", ""))
    elif layout == "insee_departements":
        tables.departements[row["DEP"]] = (row["LIBELLE"], row["REG"])
    elif layout == "insee_regions":
        tables.regions[row["REG"]] = row["LIBELLE"]
    elif layout == "communes":
        tables.communes[row["commune_code"]] = (row["commune_nom"], row["departement_code"], row["region_code"])
        tables.departements.setdefault(row["departement_code"], (row.get("departement_nom", ""), row["region_code"]))
        tables.regions.setdefault(row["region_code"], row.get("region_nom", ""))
    elif layout == "departements":
        tables.departements[row["departement_code"]] = (row["departement_nom"], row["region_code"])
        if row.get("region_nom"):
            tables.regions.setdefault(row["region_code"], row["region_nom"])
    elif layout == "regions":
        tables.regions[row["region_code"]] = row["region_nom"]


def load_cog(warehouse_dir: Path, paths: Sequence[Path], memory_limit: str = "1GB") -> CogLoadReport:
    """Replace the geography of the warehouse with the given COG files and re-resolve every lieuExecution."""
    if not paths:
        raise InputError("give the COG files to load (communes, départements, régions)")
    tables, files = read_cog(paths)
    if not tables.communes and not tables.departements:
        raise InputError(f"no commune or département in {', '.join(str(p) for p in paths)}")
    with snapshot.update(warehouse_dir, memory_limit) as con:
        con.execute("DELETE FROM ref_communes")
        con.execute("DELETE FROM ref_departements")
        con.execute("DELETE FROM ref_regions")
        insert_rows(con, "ref_communes", [(code, nom, dep, reg)
                                          for code, (nom, dep, reg) in sorted(tables.communes.items())])
        insert_rows(con, "ref_departements", [(code, nom, reg)
                                              for code, (nom, reg) in sorted(tables.departements.items())])
        insert_rows(con, "ref_regions", sorted(tables.regions.items()))
        for path, _, rows in files:
            record_load(con, "cog", path, sha256_of_file(Path(path)), rows)
        lieux, resolved = refresh_lieux(con, full=True)
        from spaser.warehouse.derived import refresh_derived

        refresh_derived(con)
    return CogLoadReport(files, len(tables.communes), len(tables.departements), len(tables.regions), lieux,
                         resolved)


def cog_of(con: duckdb.DuckDBPyConnection) -> Cog:
    communes = {code: (dep, reg) for code, dep, reg in
                con.execute("SELECT commune_code, departement_code, region_code FROM ref_communes").fetchall()}
    departements = dict(con.execute("SELECT departement_code, region_code FROM ref_departements").fetchall())
    regions = frozenset(code for (code,) in con.execute("SELECT region_code FROM ref_regions").fetchall())
    return Cog(communes, departements, regions)


def refresh_lieux(con: duckdb.DuckDBPyConnection, full: bool = False) -> tuple[int, int]:
    """Resolve the (code, typeCode) pairs of the loaded records that ``ref_lieux`` does not hold yet (all of
    them when ``full``, after a COG load); returns (pairs resolved now, of which with a département or région).

    Incremental because a national file holds ~300 k distinct pairs (postal codes × spellings): resolving them
    all at every ingestion cost seconds. Without a COG nothing is stored; the view says ``lieu:cog_absent``."""
    cog = cog_of(con)
    if full or cog.empty:
        con.execute("DELETE FROM ref_lieux")
    if cog.empty:
        return 0, 0
    pairs = con.execute(
        "SELECT DISTINCT lieu_execution_code, lieu_execution_type_code FROM records "
        "EXCEPT SELECT lieu_execution_code, lieu_execution_type_code FROM ref_lieux").fetchall()
    rows = [(code, kind, *resolve_lieu(code, kind, cog)) for code, kind in pairs]
    insert_rows(con, "ref_lieux", [(code, kind, commune, dep, reg, niveau, list(flags))
                                   for code, kind, commune, dep, reg, niveau, flags in rows])
    return len(rows), sum(1 for row in rows if row[3] is not None or row[4] is not None)


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[Sequence[object]]) -> None:
    """Append rows (in the table's column order) through Arrow: executemany is ~100x slower in DuckDB."""
    if not rows:
        return
    names = [name for (name,) in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
        [table]).fetchall()]
    batch = pa.Table.from_arrays([pa.array([row[i] for row in rows]) for i in range(len(names))], names=names)
    con.register("_rows", batch)
    try:
        con.execute(f"INSERT INTO {table} SELECT * FROM _rows")
    finally:
        con.unregister("_rows")
