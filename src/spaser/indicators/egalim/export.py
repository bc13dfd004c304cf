"""Write stored purchase lines back in the national canteen tool's format (CSV or XLSX), for the yearly
declaration: all of them, a year's, a restaurant's or a group of restaurants'.

Why the canonical spelling: the file must read the same here and in the national tool, so values are written the
one way both accept: categories comma-joined in catalogue order, ``OUI`` or empty for yes/no, amounts with a dot
and 2 decimals, ISO dates. Importing the export gives the same lines (tests check the round trip). One exception:
with ``code_article`` written, a "no" on a line with an article code is written ``NON``, because an empty cell
there would take the article's value on the next import.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from spaser.errors import InputError
from spaser.indicators.egalim import catalogue, cells
from spaser.indicators.egalim.cells import BadCell
from spaser.indicators.egalim.lines import PurchaseLine
from spaser.indicators.egalim.store import EgalimStore

FORMATS: Final = ("csv", "xlsx")


@dataclass(frozen=True)
class Selection:
    """Which lines to export; None everywhere: all of them."""

    year: int | None = None
    siret: str | None = None
    groupe: str | None = None


def columns(with_code_article: bool = False) -> tuple[str, ...]:
    return (*catalogue.COLUMNS, *catalogue.EXTRA_COLUMNS) if with_code_article else catalogue.COLUMNS


def values_of(line: PurchaseLine, with_code_article: bool = False) -> list[str]:
    """A line's cells as the national tool reads them, in :func:`columns` order."""
    no = "NON" if with_code_article and line.code_article else ""
    row = [
        line.siret, line.description, line.fournisseur, line.date.isoformat(), f"{line.prix_ht:.2f}",
        line.famille_produits, ",".join(line.categories_egalim), line.origine or "",
        "OUI" if line.est_circuit_court else no, "OUI" if line.est_local else no, line.definition_local or "",
        "" if line.definition_local_km is None else str(line.definition_local_km),
    ]
    if with_code_article:
        row.append(line.code_article or "")
    return row


def select_lines(store: EgalimStore, selection: Selection) -> Iterator[PurchaseLine]:
    """The stored lines of the selection, by import then line number (a bad SIRET or an unknown group raises
    here, before any line is read)."""
    sirets = _sirets(store, selection)
    return (line for _, line in store.iter_lines(year=selection.year, sirets=sirets))


def _sirets(store: EgalimStore, selection: Selection) -> set[str] | None:
    sirets: set[str] | None = None
    if selection.siret is not None:
        try:
            sirets = {cells.parse_siret(selection.siret)}
        except BadCell as exc:
            raise InputError(f"siret « {selection.siret} » {exc.reason}") from None
    if selection.groupe is not None:
        members = group_sirets(store, selection.groupe)
        sirets = members if sirets is None else sirets & members
    return sirets


def group_sirets(store: EgalimStore, groupe: str) -> set[str]:
    """The SIRETs of a group of restaurants of the registry (name trimmed, any case)."""
    restaurants = store.restaurants()
    if not restaurants:
        raise InputError("aucun registre des restaurants : chargez-le avec spaser egalim restaurants FICHIER")
    wanted = " ".join(groupe.split()).casefold()
    members = {r.siret for r in restaurants if r.groupe is not None and " ".join(r.groupe.split()).casefold() == wanted}
    if not members:
        known = sorted({r.groupe for r in restaurants if r.groupe})
        raise InputError(f"aucun groupe « {groupe} » dans le registre (groupes : {', '.join(known) or 'aucun'})")
    return members


def export_lines(store: EgalimStore, output: Path, selection: Selection = Selection(), fmt: str = "csv",
                 separator: str = ",", with_code_article: bool = False) -> int:
    """Write the selection to ``output`` (replaced atomically); returns the number of lines written."""
    if fmt not in FORMATS:
        raise InputError(f"format {fmt!r} : csv ou xlsx")
    if separator not in (",", ";", "\t"):
        raise InputError(f"séparateur {separator!r} : « , », « ; » ou tabulation")
    lines = select_lines(store, selection)
    output.parent.mkdir(parents=True, exist_ok=True)
    with store.atomic(output) as temporary:
        if fmt == "xlsx":
            count = _write_xlsx(temporary, lines, with_code_article)
        else:
            count = _write_csv(temporary, lines, separator, with_code_article)
    return count


def _write_csv(path: Path, lines: Iterator[PurchaseLine], separator: str, with_code_article: bool) -> int:
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=separator, lineterminator="\n")
        writer.writerow(columns(with_code_article))
        for line in lines:
            writer.writerow(values_of(line, with_code_article))
            count += 1
    return count


def _write_xlsx(path: Path, lines: Iterator[PurchaseLine], with_code_article: bool) -> int:
    """One sheet ``achats``: dates as dates, amounts and distances as numbers, everything else as text (never a
    formula, even when a description starts with « = »)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet("achats")
    sheet.append(list(columns(with_code_article)))
    count = 0
    for line in lines:
        row: list[Any] = []
        for column, text in zip(columns(with_code_article), values_of(line, with_code_article), strict=True):
            cell = WriteOnlyCell(sheet)
            if column == "date":
                cell.value = line.date
                cell.number_format = "yyyy-mm-dd"
            elif column == "prix_ht":
                cell.value = line.prix_ht
                cell.number_format = "0.00"
            elif column == "definition_local_km" and line.definition_local_km is not None:
                cell.value = line.definition_local_km
            elif text:
                cell.value = text
                cell.data_type = "s"
            row.append(cell)
        sheet.append(row)
        count += 1
    book.save(path)
    return count

