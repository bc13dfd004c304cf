"""Read the rows of a tabular file (CSV or XLSX) one at a time, with the source text of each row.

Why streaming: a consolidated national table has ~1.8 M rows; CSV is read in 1 MB chunks, decoded line by
line and parsed by the stdlib ``csv`` module, so memory does not grow with the file. XLSX is read with
openpyxl in read-only mode (it needs a seekable file: a non-seekable stream, e.g. a zip member, is buffered,
so memory is bounded by the compressed workbook, at most ~1 M rows).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import warnings
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from spaser.decp.sources import ByteStream
from spaser.decp.tabular_mapping import SEPARATORS, TabularMapping

_CHUNK = 1024 * 1024
_BOM = b"\xef\xbb\xbf"

Cell = str | int | float | bool | dt.date | dt.datetime | dt.time | None

CELL_LIMIT = 128 * 1024  # characters in one cell: beyond, the file is broken (the csv module's default)


class TabularReadError(Exception):
    """The file cannot be read past ``position``; ``tail`` is the text of the row being read (quarantined)."""

    def __init__(self, reason: str, position: str | None, tail: bytes = b"", next_index: int = 0,
                 layout: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.position = position
        self.tail = tail
        self.next_index = next_index
        self.layout = layout  # the file is readable but not laid out as the mapping says (a missing sheet)


@dataclass(slots=True)
class Row:
    number: int  # line (CSV) or sheet row (XLSX) where the row starts: what an editor or a spreadsheet shows
    cells: list[Cell]
    text: str  # the row as it is in the file (CSV) or its cells joined by tabs (XLSX)


@dataclass(slots=True)
class Table:
    header: list[str]
    rows: Iterator[Row]
    unit: str  # "line" | "row", for positions in messages
    stats: dict[str, int] = field(default_factory=dict)
    close: Callable[[], None] = lambda: None


def open_table(stream: ByteStream, syntax: str, mapping: TabularMapping) -> Table:
    """The header and the data rows of ``stream``; raises :class:`TabularReadError` when there is no header."""
    if syntax == "xlsx":
        return _open_xlsx(stream, mapping)
    return _open_csv(stream, mapping)


class _Lines:
    """Decoded lines of a byte stream, line endings kept; remembers the lines taken since the last ``flush``.

    Encoding ``auto``: UTF-8 (a BOM is dropped); a line that is not valid UTF-8 is read as Windows-1252, the
    encoding of French Excel exports, so a file in either encoding, or a concatenation of both, reads right.
    """

    def __init__(self, stream: ByteStream, encoding: str, stats: dict[str, int]) -> None:
        self.stream = stream
        self.encoding = encoding
        self.stats = stats
        self.pending = b""
        self.ready: list[bytes] = []
        self.pushed: list[str] = []  # decoded lines put back (the header line, read once to sniff the separator)
        self.first = True
        self.eof = False
        self.taken: list[str] = []
        self.count = 0  # lines handed out

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self.pushed:
            text = self.pushed.pop()
        else:
            while not self.ready:
                if self.eof:
                    raise StopIteration
                self._fill()
            text = self._decode(self.ready.pop())
        self.count += 1
        self.taken.append(text)
        return text

    def _fill(self) -> None:
        chunk = self.stream.read(_CHUNK)
        if self.first:
            self.first = False
            if chunk.startswith(_BOM):
                chunk = chunk[3:]
                if self.encoding == "auto":
                    self.encoding = "utf-8"
        if not chunk:
            self.eof = True
            if self.pending:
                self.ready.append(self.pending)
                self.pending = b""
            return
        lines = (self.pending + chunk).split(b"\n")
        self.pending = lines.pop()
        self.ready = [line + b"\n" for line in reversed(lines)]

    def _decode(self, line: bytes) -> str:
        if self.encoding == "cp1252":
            return line.decode("cp1252", errors="replace")
        try:
            return line.decode("utf-8")
        except UnicodeDecodeError:
            if self.encoding == "utf-8":  # declared UTF-8: bad bytes become U+FFFD, flagged by the text rules
                return line.decode("utf-8", errors="replace")
            self.stats["cp1252_lines"] = self.stats.get("cp1252_lines", 0) + 1
            return line.decode("cp1252", errors="replace")

    def flush(self) -> str:
        text = "".join(self.taken)
        self.taken = []
        return text.rstrip("\r\n")


def sniff_separator(line: str, separators: Sequence[str] = SEPARATORS) -> str:
    """The separator used most often outside quotes in the header line (``,`` when there is none)."""
    counts = dict.fromkeys(separators, 0)
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(separators, key=lambda s: counts[s])
    return best if counts[best] else ","


def _open_csv(stream: ByteStream, mapping: TabularMapping) -> Table:
    stats: dict[str, int] = {}
    lines = _Lines(stream, mapping.encoding, stats)
    for _ in range(mapping.header_row - 1):  # title lines above the header
        next(lines, None)
    lines.flush()
    first = next(lines, None)
    if first is None:
        raise TabularReadError("no header line", f"line {mapping.header_row}")
    lines.pushed.append(first)
    lines.count -= 1
    lines.taken = []
    separator = mapping.separator or sniff_separator(first)
    # The limit is process-wide and libraries change it (frictionless raises it to sys.maxsize on import): set
    # ours, so that an unterminated quote swallowing the rest of a file stops at a 128 KB cell, the same way
    # whatever was imported before.
    csv.field_size_limit(CELL_LIMIT)
    reader = csv.reader(lines, delimiter=separator)
    try:
        header = [str(h).strip() for h in next(reader)]
    except (csv.Error, StopIteration) as exc:
        raise TabularReadError(f"invalid header: {exc}", f"line {mapping.header_row}") from None
    lines.flush()
    return Table(header, _csv_rows(reader, lines, stats), "line", stats)


def _csv_rows(reader: Any, lines: _Lines, stats: dict[str, int]) -> Iterator[Row]:
    while True:
        start = lines.count + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise TabularReadError(f"invalid CSV: {exc}", f"line {start}", lines.flush().encode(), start) from None
        text = lines.flush()
        if not any(c.strip() for c in cells):  # a blank line is not a record
            continue
        stats["rows_read"] = stats.get("rows_read", 0) + 1
        yield Row(start, list(cells), text)


def _open_xlsx(stream: ByteStream, mapping: TabularMapping) -> Table:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    seekable = getattr(stream, "seekable", None)
    handle: Any = stream if seekable is not None and seekable() else io.BytesIO(_read_all(stream))
    try:
        with warnings.catch_warnings():
            # Style and extension warnings ("no default style", "data validation extension") say nothing
            # about the values, and pytest turns warnings into errors.
            warnings.simplefilter("ignore")
            book = load_workbook(handle, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise TabularReadError(f"not a readable XLSX workbook: {exc}", "byte 0") from None
    names = book.sheetnames
    if mapping.sheet is not None and mapping.sheet not in names:
        book.close()
        raise TabularReadError(f"mapping {mapping.name!r}: no sheet {mapping.sheet!r} (sheets: {', '.join(names)})",
                               None, layout=True)
    sheet = book[mapping.sheet] if mapping.sheet is not None else book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    stats: dict[str, int] = {}
    header_cells: tuple[Any, ...] | None = None
    for _ in range(mapping.header_row):
        header_cells = next(rows, None)
    if header_cells is None:
        book.close()
        raise TabularReadError("no header row", f"row {mapping.header_row}")
    header = ["" if c is None else str(c).strip() for c in header_cells]
    while header and not header[-1]:
        header.pop()
    return Table(header, _xlsx_rows(rows, mapping.header_row, stats), "row", stats, book.close)


def _xlsx_rows(rows: Iterator[tuple[Any, ...]], header_row: int, stats: dict[str, int]) -> Iterator[Row]:
    number = header_row
    while True:
        number += 1
        try:
            values = next(rows)
        except StopIteration:
            return
        except (zipfile.BadZipFile, OSError, EOFError, KeyError, ValueError, SyntaxError) as exc:
            # A damaged sheet (SyntaxError covers XML parse errors): the rows before it are kept.
            raise TabularReadError(f"invalid XLSX sheet: {exc}", f"row {number}") from None
        cells: list[Cell] = list(values)
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
            continue
        stats["rows_read"] = stats.get("rows_read", 0) + 1
        yield Row(number, cells, "\t".join("" if c is None else _text(c) for c in cells))


def _text(cell: object) -> str:
    return cell.isoformat() if isinstance(cell, (dt.date, dt.time)) else str(cell)


def _read_all(stream: ByteStream) -> bytes:
    parts = []
    while chunk := stream.read(_CHUNK):
        parts.append(chunk)
    return b"".join(parts)
