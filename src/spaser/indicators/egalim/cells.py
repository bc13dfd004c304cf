"""Parsers of one cell of the national canteen tool's purchase format, each to its clean value.

Why one function per kind of cell: the purchase lines, the supplier article matrices and the restaurant registry
share them, and each raises :class:`BadCell` with the French reason the user reads next to the line, column and
value (``lines.LineError`` adds those). A cell is what a reader gives: text from a CSV, or an XLSX value (a
number, a date, a boolean); none of them is ever a float in the result (amounts are ``Decimal``).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from spaser.domain.siret import is_valid_siret
from spaser.domain.text import storable
from spaser.indicators.egalim import catalogue

Cell = str | int | float | bool | Decimal | dt.datetime | dt.date | None


class BadCell(ValueError):
    """A cell that breaks the format; ``reason`` is French and completes « <value> » or stands alone."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class LineError:
    """A refused cell of a file: where (line as the user's editor or spreadsheet numbers it, column), the value
    as written and why, in French."""

    line_no: int
    column: str
    value: str
    reason: str

    @property
    def message(self) -> str:
        """``ligne 12, colonne prix_ht : « 12,345 » n'est pas un montant (2 décimales au plus)``."""
        where = f"ligne {self.line_no}, colonne {self.column} : "
        return where + (f"« {self.value} » {self.reason}" if self.value.strip() else self.reason)


class CellReader:
    """Parses the cells of one row, keeping every refused cell as a :class:`LineError` instead of stopping at the
    first: a user fixes all of a line's mistakes in one go."""

    def __init__(self, line_no: int, row: Mapping[str, Cell], errors: list[LineError] | None = None) -> None:
        self.line_no = line_no
        self.row = row
        self.errors: list[LineError] = [] if errors is None else errors

    def __call__(self, column: str, parse: Callable[[Cell], Any]) -> Any:
        """``parse`` of the row's cell in ``column``; None (and an error kept) when it refuses the cell."""
        cell = self.row.get(column)
        try:
            return parse(cell)
        except BadCell as exc:
            self.errors.append(LineError(self.line_no, column, text_of(cell), exc.reason))
            return None


MISSING: Final = "valeur manquante (obligatoire)"
#: Key of a row holding its first non-empty cell beyond the header's width (a separator inside an unquoted value).
EXTRA_CELLS: Final = ""


def extra_cells_error(line_no: int, row: Mapping[str, Cell]) -> LineError | None:
    """A row with more cells than the header has columns is refused: its values may be shifted."""
    if EXTRA_CELLS not in row:
        return None
    return LineError(line_no, "(au-delà de l'en-tête)", text_of(row[EXTRA_CELLS]),
                     "est dans une colonne sans nom : un séparateur dans une valeur sans guillemets ?")
TRUE_WORDS: Final = frozenset({"oui", "x", "true", "1", "vrai"})
FALSE_WORDS: Final = frozenset({"non", "", "false", "0", "faux"})
#: Largest amount decimal128(14, 2) holds.
MAX_AMOUNT: Final = Decimal("999999999999.99")
MAX_KM: Final = 2_147_483_647

_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")
_AMOUNT = re.compile(r"(\d+)(?:[.,](\d+))?")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_FRENCH_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_FIRST_YEAR: Final = 2000  # Egalim dates from 2018: an earlier year is a typing mistake ("0224", "1924")
_LAST_YEAR: Final = 2099


def text_of(cell: Cell) -> str:
    """The cell as the user sees it, for messages, raw rows and comparisons (dates in ISO, no float noise)."""
    if cell is None:
        return ""
    if isinstance(cell, str):
        return cell
    if isinstance(cell, bool):
        return "OUI" if cell else "NON"
    if isinstance(cell, dt.datetime):
        return cell.date().isoformat() if cell.time() == dt.time() else cell.isoformat(sep=" ")
    if isinstance(cell, dt.date):
        return cell.isoformat()
    if isinstance(cell, float):
        return repr(cell) if not cell.is_integer() else str(int(cell))
    return str(cell)


def is_empty(cell: Cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def parse_text(cell: Cell, maximum: int, required: bool = True) -> str | None:
    """Free text: trimmed, without what no database or office file holds (NUL, lone surrogates)."""
    text = storable(text_of(cell)).strip()
    if not text:
        if required:
            raise BadCell(MISSING)
        return None
    if len(text) > maximum:
        raise BadCell(f"est trop long ({len(text)} caractères, {maximum} au plus)")
    return text


def parse_siret(cell: Cell) -> str:
    """A restaurant's SIRET: 14 digits (spaces allowed) with a right INSEE key; an XLSX number that lost its
    leading zeros gets them back (the key check then says whether that was right)."""
    if is_empty(cell):
        raise BadCell(MISSING)
    if isinstance(cell, bool | dt.date):
        raise BadCell("n'est pas un SIRET (14 chiffres)")
    if isinstance(cell, float):
        if not cell.is_integer():
            raise BadCell("n'est pas un SIRET (14 chiffres)")
        cell = int(cell)
    text = f"{cell:014d}" if isinstance(cell, int) and cell >= 0 else _SPACES.sub("", text_of(cell))
    if len(text) != 14 or not text.isascii() or not text.isdigit():
        raise BadCell("n'est pas un SIRET (14 chiffres)")
    if text == "0" * 14 or not is_valid_siret(text):
        raise BadCell("n'est pas un SIRET valide (clé de contrôle fausse)")
    return text


def parse_date(cell: Cell) -> dt.date:
    """``YYYY-MM-DD`` or ``DD/MM/YYYY`` (French spreadsheets), or an XLSX date."""
    if is_empty(cell):
        raise BadCell(MISSING)
    if isinstance(cell, dt.datetime):
        day = cell.date()
    elif isinstance(cell, dt.date):
        day = cell
    elif isinstance(cell, str):
        text = cell.strip()
        iso = _ISO_DATE.fullmatch(text)
        french = None if iso else _FRENCH_DATE.fullmatch(text)
        if iso:
            year, month, number = int(iso[1]), int(iso[2]), int(iso[3])
        elif french:
            year, month, number = int(french[3]), int(french[2]), int(french[1])
        else:
            raise BadCell("n'est pas une date (AAAA-MM-JJ ou JJ/MM/AAAA)")
        try:
            day = dt.date(year, month, number)
        except ValueError:
            raise BadCell("n'est pas une date valide") from None
    else:
        raise BadCell("n'est pas une date (AAAA-MM-JJ ou JJ/MM/AAAA)")
    if not _FIRST_YEAR <= day.year <= _LAST_YEAR:
        raise BadCell(f"a une année hors de {_FIRST_YEAR}–{_LAST_YEAR}")
    return day


def parse_amount(cell: Cell) -> Decimal:
    """An amount HT ≥ 0 with 2 decimals at most, exact: ``12,5``, ``1 234.56`` (spaces as thousands
    separators); more decimals are refused rather than rounded (``1,000`` may be a thousand written the
    English way)."""
    if is_empty(cell):
        raise BadCell(MISSING)
    if isinstance(cell, bool | dt.date):
        raise BadCell("n'est pas un montant")
    if isinstance(cell, float):
        if not math.isfinite(cell):
            raise BadCell("n'est pas un montant")
        text = repr(cell)  # the shortest text of the stored double: what the spreadsheet shows
        if "e" in text or "E" in text:
            text = f"{Decimal(text):f}"
    else:
        text = _SPACES.sub("", text_of(cell))
    negative = text.startswith("-")
    match = _AMOUNT.fullmatch(text[1:] if negative or text.startswith("+") else text)
    if match is None:
        raise BadCell("n'est pas un montant")
    if match[2] is not None and len(match[2]) > 2:
        raise BadCell("n'est pas un montant (2 décimales au plus)")
    try:
        amount = Decimal(f"{match[1]}.{match[2] or '0'}").quantize(Decimal("0.01"))
    except InvalidOperation:  # pragma: no cover - the pattern only lets digits through
        raise BadCell("n'est pas un montant") from None
    if negative and amount:
        raise BadCell("n'est pas un montant positif ou nul")
    if amount > MAX_AMOUNT:
        raise BadCell("est un montant trop grand")
    return amount


def parse_family(cell: Cell) -> str:
    code = text_of(cell).strip().upper()
    if not code:
        raise BadCell(MISSING)
    if code not in catalogue.FAMILIES:
        raise BadCell(f"n'est pas une famille de produits ({', '.join(catalogue.FAMILIES)})")
    return code


def split_codes(cell: Cell) -> list[str]:
    """Comma-separated codes, trimmed and upper-cased, empty pieces dropped."""
    return [piece.strip().upper() for piece in text_of(cell).split(",") if piece.strip()]


def parse_categories(cell: Cell) -> tuple[str, ...]:
    """Egalim characteristic codes, de-duplicated in catalogue order (so that two spellings of a line are one)."""
    codes = split_codes(cell)
    unknown = [code for code in codes if code not in catalogue.BY_CODE]
    if unknown:
        raise BadCell(f"contient {_codes_words(unknown)} ({', '.join(catalogue.BY_CODE)})")
    return ordered(codes)


def ordered(codes: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(set(codes), key=catalogue.RANK.__getitem__))


def _codes_words(unknown: list[str]) -> str:
    if len(unknown) == 1:
        return f"un code inconnu : {unknown[0]}"
    return f"des codes inconnus : {', '.join(unknown)}"


def parse_origin(cell: Cell) -> str | None:
    code = text_of(cell).strip().upper()
    if not code:
        return None
    if code not in catalogue.ORIGINS:
        raise BadCell(f"n'est pas une origine ({', '.join(catalogue.ORIGINS)} ou vide)")
    return code


def parse_bool(cell: Cell) -> bool:
    """Yes/no as spreadsheets write it: OUI, x, true, 1 / NON, empty, false, 0 (any case)."""
    if isinstance(cell, bool):
        return cell
    if isinstance(cell, int | float) and cell in (0, 1):
        return bool(cell)
    word = text_of(cell).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise BadCell("n'est pas oui ou non (OUI, x, 1 / NON, 0 ou vide)")


def parse_local_definition(cell: Cell) -> str | None:
    code = text_of(cell).strip().upper()
    if not code:
        return None
    if code not in catalogue.LOCAL_DEFINITIONS:
        raise BadCell(f"n'est pas une définition du local ({', '.join(catalogue.LOCAL_DEFINITIONS)} ou vide)")
    return code


def parse_km(cell: Cell) -> int | None:
    if is_empty(cell):
        return None
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    text = text_of(cell).strip()
    if isinstance(cell, bool) or not text.isascii() or not text.isdigit() or int(text) == 0 or int(text) > MAX_KM:
        raise BadCell("n'est pas un nombre entier de kilomètres strictement positif")
    return int(text)
