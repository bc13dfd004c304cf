"""Lines of a new import identical to lines of earlier imports: the sign of overlapping exports.

Why a warning and not a removal: a buyer who exports January–June, then January–December, imports the first
half-year twice, and its purchases would count twice in every share's base. But two identical lines may also be
two real deliveries, so nothing is dropped: the import report says how many lines repeat which earlier import,
and the buyer removes the redundant import. Lines repeated within one file are not compared (one file is one
export, where a repeated line is a repeated purchase).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

import duckdb

from spaser.indicators.egalim.store import EgalimStore

#: What a purchase line says (everything but where it was read and what is derived from it).
CONTENT_COLUMNS: Final[tuple[str, ...]] = (
    "siret", "description", "fournisseur", "date", "prix_ht", "famille_produits", "categories_egalim", "origine",
    "est_circuit_court", "est_local", "definition_local", "definition_local_km", "code_article",
)


@dataclass(frozen=True, slots=True)
class Overlap:
    lines: int  # lines of the new import found in at least one earlier import
    by_import: tuple[tuple[str, str, int], ...]  # (earlier import id, its file name, lines of the new one it holds)
    elsewhere: int = 0  # lines of the new one held by other organisations' imports (not named to the importer)

    def warning(self) -> str | None:
        """The import report's warning (French, like the other warnings); None when nothing repeats."""
        if not self.lines:
            return None
        places = [f"« {name} » ({import_id}) : {count}" for import_id, name, count in self.by_import]
        if self.elsewhere:
            places.append(f"imports d'autres organisations : {self.elsewhere}")
        return (f"{self.lines} ligne(s) identique(s) à des lignes déjà importées ({', '.join(places)}) : si ce "
                "fichier recouvre un import précédent, ces achats comptent deux fois ; supprimez alors l'import en "
                "double")


def overlap_with_earlier(store: EgalimStore, lines_file: Path, organisation_id: int | None = None) -> Overlap:
    """Compare the accepted lines in ``lines_file`` (an import being written) with every complete import's.

    The earlier imports are named only to whoever may see them (``egalim.access``): an organisation's importer
    sees its own organisation's by name and the others' as a count; the command line (``organisation_id`` None,
    an operator) sees them all."""
    listed = store.imports()
    manifests = {m.id: m for m in listed}
    earlier = store.lines_files(manifests=listed)
    if not earlier or not lines_file.is_file():
        return Overlap(0, ())
    same = " AND ".join(f"n.{c} IS NOT DISTINCT FROM o.{c}" for c in CONTENT_COLUMNS)
    columns = ", ".join(CONTENT_COLUMNS)
    con = duckdb.connect()
    try:
        con.execute(f"""
            CREATE TEMP TABLE matches AS
            SELECT DISTINCT n.line_no, o.import_id
            FROM (SELECT line_no, {columns} FROM read_parquet(?)) n
            JOIN (SELECT import_id, {columns} FROM read_parquet(?)) o ON {same}
        """, [str(lines_file), [str(path) for path in earlier]])
        visible = [import_id for import_id, m in manifests.items()
                   if organisation_id is None or m.organisation_id == organisation_id]
        row = con.execute("SELECT count(DISTINCT line_no), count(DISTINCT line_no) FILTER (WHERE NOT list_contains(?, "
                          "import_id)) FROM matches", [visible]).fetchone()
        counts = con.execute("SELECT import_id, count(*) FROM matches WHERE list_contains(?, import_id) "
                             "GROUP BY import_id ORDER BY import_id", [visible]).fetchall()
    finally:
        con.close()
    by_import = tuple((import_id, manifests[import_id].file, int(count)) for import_id, count in counts)
    return Overlap(int(row[0]) if row else 0, by_import, int(row[1]) if row else 0)
