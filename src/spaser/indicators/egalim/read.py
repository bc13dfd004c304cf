"""Read the rows of a CSV (``,`` ``;`` or tab) or XLSX file one at a time, keyed by column name.

Why streaming: a group of restaurants sends a year of invoice lines (hundreds of thousands of rows); CSV is
decoded and parsed line by line and XLSX read with openpyxl in read-only mode, so memory does not grow with the
file. A first pass over the bytes hashes the file (imports are idempotent on the SHA-256), checks it is text and
whether it is UTF-8 (else Windows-1252, what French Excel writes, with a warning) and counts its lines for the
progress bar. Header names are matched trimmed and case-insensitively. Line numbers are those an editor (CSV:
the header is line 1) or a spreadsheet (XLSX: the sheet's row) shows.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Final

from spaser.decp.sources import sha256_of_file
from spaser.decp.tabular_read import sniff_separator
from spaser.errors import InputError
from spaser.indicators.egalim.cells import EXTRA_CELLS, Cell, text_of

SEPARATORS: Final = (",", ";", "\t")
SEPARATOR_NAMES: Final = {",": "virgule", ";": "point-virgule", "\t": "tabulation"}
_CHUNK: Final = 1 << 20
_ZIP: Final = b"PK\x03\x04"
_OLE: Final = b"\xd0\xcf\x11\xe0"  # Excel 97-2003 (.xls)
_BINARY_MAGIC: Final = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"\x1f\x8b", b"PK\x05\x06", b"7z\xbc\xaf", b"Rar!")
_CELL_LIMIT: Final = 128 * 1024


@dataclass(slots=True)
class RawRow:
    """A non-empty data row: its line number, its cells by column name and the cells in file order."""

    line_no: int
    cells: dict[str, Cell]
    values: list[Cell]
    separator: str

    @property
    def raw(self) -> str:
        """The row as text (CSV: re-quoted with the file's separator; XLSX: cells joined by tabs): what a
        rejected line keeps, so nothing of it is lost."""
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=self.separator, lineterminator="").writerow([text_of(v) for v in self.values])
        return buffer.getvalue()


@dataclass
class Table:
    """An open file: its format, header and rows (iterate ``rows`` once), closed by ``close`` or ``with``."""

    path: Path
    format: str  # "csv" | "xlsx"
    sha256: str
    header: list[str]  # column names, trimmed and lower-cased, in file order ("" for a nameless column)
    rows: Iterator[RawRow]
    separator: str | None = None
    encoding: str | None = None
    estimated_rows: int | None = None
    warnings: list[str] = field(default_factory=list)
    _closer: Any = None

    def close(self) -> None:
        if self._closer is not None:
            self._closer.close()
            self._closer = None

    def __enter__(self) -> Table:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def check_columns(self, required: tuple[str, ...], known: tuple[str, ...],
                      alternatives: dict[str, str] | None = None) -> None:
        """Raise when a required column is missing (``alternatives``: a column that may stand for it); warn about
        the columns that will be ignored."""
        present = set(self.header)
        missing = [c for c in required if c not in present and (alternatives or {}).get(c) not in present]
        if missing:
            names = ", ".join(missing)
            raise InputError(f"{self.path} : colonne{'s' if len(missing) > 1 else ''} obligatoire"
                             f"{'s' if len(missing) > 1 else ''} absente{'s' if len(missing) > 1 else ''} : {names} "
                             f"(colonnes lues : {', '.join(h for h in self.header if h) or 'aucune'})")
        ignored = [h for h in self.header if h and h not in known]
        if ignored:
            self.warnings.append(f"colonnes ignorées : {', '.join(ignored)}")


def open_table(path: Path) -> Table:
    """The header and the rows of a CSV or XLSX file; a file that is neither (empty, binary, XLS, damaged) is an
    :class:`InputError` naming it."""
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError as exc:
        raise InputError(f"{path} : lecture impossible ({exc.strerror or exc})") from None
    if head.startswith(_ZIP):
        return _open_xlsx(path, sha256_of_file(path))
    if head.startswith(_OLE):
        raise InputError(f"{path} : classeur Excel 97-2003 (.xls) non pris en charge ; enregistrez-le en XLSX ou "
                         "en CSV")
    if head.startswith(_BINARY_MAGIC):
        raise InputError(f"{path} : fichier binaire, ni CSV ni XLSX")
    return _open_csv(path)



@dataclass
class _Scan:
    sha256: str
    utf8: bool
    lines: int
    size: int


def _scan(path: Path) -> _Scan:
    """One pass over the bytes: hash, UTF-8 validity, line count; NUL bytes mean a binary file."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8, lines, size = True, 0, 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            if b"\x00" in chunk:
                raise InputError(f"{path} : fichier binaire, ni CSV ni XLSX")
            digest.update(chunk)
            size += len(chunk)
            lines += chunk.count(b"\n")
            if utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
        if utf8:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                utf8 = False
    return _Scan(digest.hexdigest(), utf8, lines, size)



def _header(names: list[str], path: Path) -> list[str]:
    header = [name.lstrip("\ufeff").strip().lower() for name in names]
    while header and not header[-1]:
        header.pop()
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            raise InputError(f"{path} : colonne {name} en double dans l'en-tête")
        seen.add(name)
    if not any(header):
        raise InputError(f"{path} : pas d'en-tête (la première ligne est vide)")
    return header


def _open_csv(path: Path) -> Table:
    scan = _scan(path)
    if scan.size == 0:
        raise InputError(f"{path} : fichier vide")
    encoding = "utf-8-sig" if scan.utf8 else "cp1252"
    handle: IO[str] = path.open("r", encoding=encoding, errors="replace", newline="")
    try:
        first, skipped = handle.readline(), 0
        while first and not first.strip():  # blank lines above the header: counted, so line numbers stay right
            first, skipped = handle.readline(), skipped + 1
        if not first.strip():
            raise InputError(f"{path} : fichier vide")
        separator = sniff_separator(first, SEPARATORS)
        # Process-wide and changed by some libraries: set ours, so that an unterminated quote swallowing the rest
        # of the file stops at a 128 KB cell whatever was imported before.
        csv.field_size_limit(_CELL_LIMIT)
        reader = csv.reader(_chain(first, handle), delimiter=separator)
        try:
            header = _header(next(reader), path)
        except csv.Error as exc:
            raise InputError(f"{path} : en-tête illisible ({exc})") from None
    except BaseException:
        handle.close()
        raise
    table = Table(path, "csv", scan.sha256, header, _csv_rows(reader, header, separator, skipped, path),
                  separator=separator, encoding="utf-8" if scan.utf8 else "cp1252",
                  estimated_rows=max(scan.lines - skipped - 1, 0), _closer=handle)
    if not scan.utf8:
        table.warnings.append("fichier lu en Windows-1252 (il n'est pas en UTF-8) : vérifiez les accents")
    return table


def _chain(first: str, rest: IO[str]) -> Iterator[str]:
    yield first
    yield from rest


def _csv_rows(reader: Any, header: list[str], separator: str, offset: int, path: Path) -> Iterator[RawRow]:
    width = len(header)
    previous = reader.line_num
    while True:
        try:
            values: list[Cell] = list(next(reader))
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputError(f"{path} : CSV illisible à la ligne {previous + offset + 1} ({exc})") from None
        start = previous + offset + 1
        previous = reader.line_num
        if not any(isinstance(v, str) and v.strip() for v in values):
            continue
        yield RawRow(start, _by_name(header, values, width), values, separator)


def _by_name(header: list[str], values: list[Cell], width: int) -> dict[str, Cell]:
    cells = {name: values[i] if i < len(values) else None for i, name in enumerate(header) if name}
    extra = _beyond(values, width)
    if extra is not None:
        cells[EXTRA_CELLS] = extra  # the line is refused: see ``cells.extra_cells_error``
    return cells


def _beyond(values: list[Cell], width: int) -> str | None:
    """The first non-empty cell beyond the header's width, as text."""
    extra = [v for v in values[width:] if not (v is None or (isinstance(v, str) and not v.strip()))]
    return text_of(extra[0]) if extra else None


def _open_xlsx(path: Path, sha256: str) -> Table:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with warnings.catch_warnings():
            # Style warnings ("no default style", "data validation extension") say nothing about the values,
            # and the test suite turns warnings into errors.
            warnings.simplefilter("ignore")
            book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise InputError(f"{path} : ni CSV ni classeur XLSX lisible ({exc})") from None
    try:
        if not book.worksheets:
            raise InputError(f"{path} : classeur sans feuille")
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        number = 0
        header_cells: tuple[Any, ...] | None = None
        for values in rows:
            number += 1
            if any(not (v is None or (isinstance(v, str) and not v.strip())) for v in values):
                header_cells = values
                break
        if header_cells is None:
            raise InputError(f"{path} : fichier vide (la première feuille n'a aucune ligne)")
        header = _header([text_of(c) for c in header_cells], path)
        estimated = sheet.max_row - number if isinstance(sheet.max_row, int) else None
    except BaseException:
        book.close()
        raise
    table = Table(path, "xlsx", sha256, header, iter(()), estimated_rows=estimated, _closer=book)
    table.rows = _xlsx_rows(rows, header, number, path, table.warnings)
    return table


def _xlsx_rows(rows: Iterator[tuple[Any, ...]], header: list[str], number: int, path: Path,
               warnings: list[str]) -> Iterator[RawRow]:
    """The sheet's rows; unlike CSV, a value in a column without a name cannot be a shifted value (no separator
    to misread), so it is ignored with a warning rather than refusing the line."""
    width = len(header)
    warned = False
    while True:
        number += 1
        try:
            values: list[Cell] = [_xlsx_cell(v) for v in next(rows)]
        except StopIteration:
            return
        except (zipfile.BadZipFile, OSError, EOFError, KeyError, ValueError, SyntaxError) as exc:
            raise InputError(f"{path} : feuille XLSX illisible à la ligne {number} ({exc})") from None
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        if not warned and _beyond(values, width) is not None:
            warnings.append(f"cellules hors des colonnes nommées ignorées (la première à la ligne {number})")
            warned = True
        cells = {name: values[i] if i < len(values) else None for i, name in enumerate(header) if name}
        yield RawRow(number, cells, values, "\t")


def _xlsx_cell(value: Any) -> Cell:
    """An XLSX value as a cell: a time or anything else unexpected becomes its text."""
    if value is None or isinstance(value, str | int | float | bool | dt.datetime | dt.date):
        return value
    return str(value)
