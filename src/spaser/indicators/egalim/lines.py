"""One purchase line of the national canteen tool's format, from its raw cells to a clean :class:`PurchaseLine`.

Why pure: the command line, the web upload and the tests feed the same rows; every refused cell comes back as a
:class:`LineError` naming the line, the column and the value, so a canteen manager can fix the file and import
it again. The older ``caracteristiques`` column (labels, origin, short circuit and local mixed in one list) is
read too, and a supplier's article matrix fills the cells the line leaves empty, before the checks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

from spaser.indicators.egalim import catalogue, cells
from spaser.indicators.egalim.cells import BadCell, Cell, LineError
from spaser.indicators.egalim.matrices import CODE_MAX, Conflict, Matrices

DESCRIPTION_MAX: Final = 500
SUPPLIER_MAX: Final = 255
#: The older column mixing Egalim codes with origin, short-circuit and local codes.
LEGACY_COLUMN: Final = "caracteristiques"
#: Columns a file must have (``categories_egalim`` may be replaced by ``caracteristiques``); the others of the
#: national format are optional (an older file lacks them: read as empty).
REQUIRED_COLUMNS: Final = ("siret", "description", "fournisseur", "date", "prix_ht", "famille_produits",
                           "categories_egalim")
KNOWN_COLUMNS: Final = (*catalogue.COLUMNS, *catalogue.EXTRA_COLUMNS, LEGACY_COLUMN)


@dataclass(frozen=True, slots=True)
class PurchaseLine:
    """A clean purchase line: the national format's columns, typed; categories de-duplicated in catalogue order."""

    line_no: int
    siret: str
    description: str
    fournisseur: str
    date: dt.date
    prix_ht: Decimal
    famille_produits: str
    categories_egalim: tuple[str, ...]
    origine: str | None
    est_circuit_court: bool
    est_local: bool
    definition_local: str | None
    definition_local_km: int | None
    code_article: str | None = None

    @property
    def groupe_egalim(self) -> str:
        """The one group the line counts in (BIO > SIQO > EGALIM_AUTRES > EXTERNALITES_PERFORMANCE)."""
        return catalogue.group_of(self.categories_egalim)

    @property
    def year(self) -> int:
        return self.date.year

    def content(self) -> tuple[Any, ...]:
        """Every value but the line number: what a round trip through the national format must keep."""
        return (self.siret, self.description, self.fournisseur, self.date, self.prix_ht, self.famille_produits,
                self.categories_egalim, self.origine, self.est_circuit_court, self.est_local,
                self.definition_local, self.definition_local_km, self.code_article)


@dataclass
class ParsedRow:
    """A row's outcome: the clean line or its errors (never both), and its disagreements with a matrix."""

    line_no: int
    line: PurchaseLine | None
    errors: list[LineError] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)


def parse_line(line_no: int, row: Mapping[str, Cell]) -> PurchaseLine | list[LineError]:
    """A row (column name → cell) as a clean line, or every error it has."""
    parsed = parse_row(line_no, row)
    return parsed.line if parsed.line is not None else parsed.errors


def parse_row(line_no: int, row: Mapping[str, Cell], matrices: Matrices | None = None) -> ParsedRow:
    """The older column read, then the supplier's matrix applied, then every column checked."""
    errors: list[LineError] = []
    values = _legacy(line_no, row, errors)
    conflicts: list[Conflict] = []
    if matrices is not None:
        values, conflicts = matrices.apply(line_no, values)

    take = cells.CellReader(line_no, values, errors)

    siret = take("siret", cells.parse_siret)
    description = take("description", lambda c: cells.parse_text(c, DESCRIPTION_MAX))
    fournisseur = take("fournisseur", lambda c: cells.parse_text(c, SUPPLIER_MAX))
    date = take("date", cells.parse_date)
    prix_ht = take("prix_ht", cells.parse_amount)
    famille = take("famille_produits", cells.parse_family)
    categories = take("categories_egalim", cells.parse_categories)
    origine = take("origine", cells.parse_origin)
    circuit_court = take("est_circuit_court", cells.parse_bool)
    local = take("est_local", cells.parse_bool)
    definition = take("definition_local", cells.parse_local_definition)
    km = take("definition_local_km", cells.parse_km)
    code = take("code_article", lambda c: cells.parse_text(c, CODE_MAX, required=False))
    if local and definition is None and not _failed(errors, "definition_local"):
        errors.append(LineError(line_no, "definition_local", "", "obligatoire quand est_local est OUI ("
                                + ", ".join(catalogue.LOCAL_DEFINITIONS) + ")"))
    if definition == "AUTOUR_SERVICE" and km is None and not _failed(errors, "definition_local_km"):
        errors.append(LineError(line_no, "definition_local_km", "",
                                "obligatoire quand definition_local est AUTOUR_SERVICE (distance en km)"))
    extra = cells.extra_cells_error(line_no, row)
    if extra is not None:
        errors.append(extra)
    if errors:
        return ParsedRow(line_no, None, errors, conflicts)
    line = PurchaseLine(line_no, siret, description, fournisseur, date, prix_ht, famille, categories, origine,
                        circuit_court, local, definition, km, code)
    return ParsedRow(line_no, line, [], conflicts)


def _failed(errors: list[LineError], column: str) -> bool:
    return any(error.column == column for error in errors)


def _legacy(line_no: int, row: Mapping[str, Cell], errors: list[LineError]) -> dict[str, Cell]:
    """The cells with the ``caracteristiques`` codes moved to their columns: Egalim codes added to
    ``categories_egalim``, FRANCE/EUROPE to ``origine``, CIRCUIT_COURT to ``est_circuit_court``, LOCAL to
    ``est_local``. A code that contradicts its own column is an error (nothing is guessed)."""
    values = dict(row)
    cell = row.get(LEGACY_COLUMN)
    if cells.is_empty(cell):
        return values
    raw = cells.text_of(cell)
    codes = cells.split_codes(cell)

    def fail(reason: str) -> None:
        errors.append(LineError(line_no, LEGACY_COLUMN, raw, reason))

    unknown = [c for c in codes if c not in catalogue.BY_CODE and c not in _LEGACY_CODES]
    if unknown:
        known = ", ".join((*catalogue.BY_CODE, *_LEGACY_CODES))
        fail(f"contient {'un code inconnu' if len(unknown) == 1 else 'des codes inconnus'} : "
             f"{', '.join(unknown)} ({known})")
    egalim = [c for c in codes if c in catalogue.BY_CODE]
    if egalim:
        stated = cells.text_of(values.get("categories_egalim")).strip()
        values["categories_egalim"] = ",".join([stated, *egalim] if stated else egalim)
    origins = sorted({c for c in codes if c in catalogue.ORIGIN_CODES})
    if len(origins) > 1:
        fail("contient deux origines (FRANCE et EUROPE)")
    elif origins:
        _merge(values, "origine", origins[0], cells.parse_origin, fail)
    if any(c in catalogue.SHORT_CIRCUIT_CODES for c in codes):
        _merge(values, "est_circuit_court", True, cells.parse_bool, fail)
    if any(c in catalogue.LOCAL_CODES for c in codes):
        _merge(values, "est_local", True, cells.parse_bool, fail)
    return values


_LEGACY_CODES: Final = (*catalogue.ORIGIN_CODES, *catalogue.SHORT_CIRCUIT_CODES, *catalogue.LOCAL_CODES)


def _merge(values: dict[str, Cell], column: str, value: str | bool, parse: Callable[[Cell], Any],
           fail: Callable[[str], None]) -> None:
    cell = values.get(column)
    if cells.is_empty(cell):
        values[column] = "OUI" if value is True else value
        return
    try:
        stated = parse(cell)
    except BadCell:
        return  # the column's own check reports it
    if stated != value:
        fail(f"contredit la colonne {column} (« {cells.text_of(cell)} »)")
