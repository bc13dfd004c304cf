"""The restaurants registry: per restaurant SIRET its name, group of restaurants, département and whether it is a
State restaurant, loaded from a CSV or XLSX file into ``restaurants.parquet``.

Why a registry: purchase files name restaurants by SIRET only, while the targets depend on the département
(overseas territories have their own) and on the State status, and the Région reads its results per group
(« Lycées du Finistère »). A load replaces the registry whole, and only when every line is right: a registry
half loaded would silently move restaurants to the mainland targets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import pyarrow as pa

from spaser.domain.territories import clean_departement
from spaser.indicators.egalim import catalogue, cells
from spaser.indicators.egalim.cells import BadCell, Cell, LineError
from spaser.indicators.egalim.read import open_table
from spaser.indicators.egalim.store import EgalimStore

REGISTRY_REQUIRED: Final = ("siret", "nom", "groupe", "departement")
REGISTRY_OPTIONAL: Final = ("etat",)
REGISTRY_SCHEMA: Final = pa.schema([
    ("siret", pa.string()), ("nom", pa.string()), ("groupe", pa.string()), ("departement", pa.string()),
    ("etat", pa.bool_()),
])


@dataclass(frozen=True)
class Restaurant:
    siret: str
    nom: str
    groupe: str | None
    departement: str
    etat: bool = False


@dataclass
class RegistryReport:
    path: str
    lines_read: int
    loaded: int  # restaurants now in the registry from this file; 0 when refused
    errors: list[LineError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def replaced(self) -> bool:
        return not self.errors


def parse_departement(cell: Cell) -> str:
    """An INSEE département code (``29``, ``2A``, ``974``), or an overseas collectivity with Egalim targets of its
    own (``975`` Saint-Pierre-et-Miquelon, ``978`` Saint-Martin)."""
    text = cells.text_of(cell).strip()
    if not text:
        raise BadCell(cells.MISSING)
    code = clean_departement(text)
    if code is None and catalogue.targets_for(text, 2024).territory != catalogue.MAINLAND:
        code = text
    if code is None:
        raise BadCell("n'est pas un code de département INSEE (29, 2A, 974…)")
    return code


def parse_restaurant(line_no: int, row: Mapping[str, Cell]) -> Restaurant | list[LineError]:
    take = cells.CellReader(line_no, row)
    errors = take.errors
    restaurant = Restaurant(
        siret=take("siret", cells.parse_siret),
        nom=take("nom", lambda c: cells.parse_text(c, 255)),
        groupe=take("groupe", lambda c: cells.parse_text(c, 255, required=False)),
        departement=take("departement", parse_departement),
        etat=take("etat", cells.parse_bool),
    )
    extra = cells.extra_cells_error(line_no, row)
    if extra is not None:
        errors.append(extra)
    return errors or restaurant


def load_registry(store: EgalimStore, path: Path) -> RegistryReport:
    """Replace the registry with the file's restaurants, unless a line is wrong (then nothing changes)."""
    restaurants: list[Restaurant] = []
    first_line: dict[str, int] = {}
    with open_table(path) as table:
        table.check_columns(REGISTRY_REQUIRED, (*REGISTRY_REQUIRED, *REGISTRY_OPTIONAL))
        report = RegistryReport(str(path), 0, 0, warnings=table.warnings)
        for row in table.rows:
            report.lines_read += 1
            parsed = parse_restaurant(row.line_no, row.cells)
            if isinstance(parsed, list):
                report.errors.extend(parsed)
            elif parsed.siret in first_line:
                report.errors.append(LineError(row.line_no, "siret", parsed.siret,
                                               f"est déjà à la ligne {first_line[parsed.siret]}"))
            else:
                first_line[parsed.siret] = row.line_no
                restaurants.append(parsed)
    if report.errors:
        return report
    table_out = pa.Table.from_pylist([_record(r) for r in restaurants],
                                     schema=REGISTRY_SCHEMA)
    with store.lock():
        store.write_table(store.restaurants_path, table_out)
    report.loaded = len(restaurants)
    return report


def _record(restaurant: Restaurant) -> dict[str, object]:
    return {"siret": restaurant.siret, "nom": restaurant.nom, "groupe": restaurant.groupe,
            "departement": restaurant.departement, "etat": restaurant.etat}
