"""Fixture files of the Egalim tests and helpers to write XLSX workbooks and read stores."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook

from spaser.indicators.egalim.lines import PurchaseLine
from spaser.indicators.egalim.store import EgalimStore

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "egalim"
NATIONAL = ["siret", "description", "fournisseur", "date", "prix_ht", "famille_produits", "categories_egalim",
            "origine", "est_circuit_court", "est_local", "definition_local", "definition_local_km"]


def fixture(name: str) -> Path:
    return FIXTURES / name


def write_xlsx(path: Path, rows: list[list[Any]], extra_sheet: bool = False) -> Path:
    """A workbook whose first sheet holds ``rows`` (an openpyxl workbook, as a spreadsheet would save it)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "achats"
    for row in rows:
        sheet.append(row)
    if extra_sheet:
        book.create_sheet("notes").append(["rien à lire ici"])
    book.save(path)
    return path


def contents(store: EgalimStore) -> list[tuple[Any, ...]]:
    """Every stored line's values but its import and line number, sorted: what a round trip keeps."""
    return sorted((line.content() for _, line in store.iter_lines()), key=repr)


def lines(store: EgalimStore) -> list[PurchaseLine]:
    return [line for _, line in store.iter_lines()]
