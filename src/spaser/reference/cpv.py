"""Load the CPV 2008 nomenclature as the EU publishes it (XLSX or CSV) into ``ref_cpv``.

The EU's file (``cpv_2008_ver_2013.xlsx``) has a ``CODE`` column (``45000000-7``) and one label column per
language (``FR``, ``EN``, …); CSV copies name them ``code``/``label_fr``/``label_en``. Level and parent are
derived from the code itself: CPV is hierarchical by its significant digits (``45000000`` division,
``45200000`` group, ``45210000`` class, ``45211000`` category), and a code's parent is its nearest existing
ancestor.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from spaser.decp.sources import sha256_of_file
from spaser.errors import InputError
from spaser.reference.cog import insert_rows, read_rows
from spaser.reference.tables import record_load
from spaser.warehouse import snapshot

_CODE = re.compile(r"(\d{8})-(\d)")
_CODE_COLUMNS = ("CODE", "code", "Code")
_FR_COLUMNS = ("FR", "label_fr", "libelle_fr", "fr")
_EN_COLUMNS = ("EN", "label_en", "en")


@dataclass
class CpvLoadReport:
    path: str
    rows_read: int
    codes: int
    rejected: list[tuple[int, str]]  # (line, value) of rows without a valid code
    divisions: int


def level_of(code8: str) -> int:
    """2 division, 3 group, 4 class, 5 category, 6-8 finer: the number of significant digits (at least 2)."""
    return max(2, len(code8.rstrip("0")))


def parent_of(code8: str, known: set[str]) -> str | None:
    """The nearest existing ancestor: zero the last significant digit until a listed code is reached."""
    significant = len(code8.rstrip("0"))
    for length in range(significant - 1, 1, -1):
        candidate = code8[:length].ljust(8, "0")
        if candidate in known and candidate != code8:
            return candidate
    return None


def _rows(path: Path) -> tuple[list[str], Iterator[dict[str, str]]]:
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _xlsx_rows(path)
    return read_rows(path)


def _xlsx_rows(path: Path) -> tuple[list[str], Iterator[dict[str, str]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several types for a broken or non-XLSX file
        raise InputError(f"{path}: not a readable XLSX file ({type(exc).__name__}: {exc})") from None
    sheet = book.worksheets[0]
    lines = sheet.iter_rows(values_only=True)
    header = [str(cell).strip() if cell is not None else "" for cell in next(lines, ())]

    def rows() -> Iterator[dict[str, str]]:
        for line in lines:
            yield {name: "" if cell is None else str(cell) for name, cell in zip(header, line, strict=False)}
        book.close()

    return header, rows()


def _column(header: Sequence[str], names: Sequence[str]) -> str | None:
    return next((name for name in names if name in header), None)


def read_cpv(path: Path) -> tuple[list[tuple[str, str, str, str, str]], int, list[tuple[int, str]]]:
    """(code, code8, check digit, label_fr, label_en) of each valid row, rows read, rejected rows."""
    header, rows = _rows(path)
    code_column = _column(header, _CODE_COLUMNS)
    if code_column is None:
        raise InputError(f"{path}: not a CPV file: no CODE column (found {', '.join(header[:8]) or 'no header'})")
    fr_column, en_column = _column(header, _FR_COLUMNS), _column(header, _EN_COLUMNS)
    if fr_column is None and en_column is None:
        raise InputError(f"{path}: no label column (FR or EN, label_fr or label_en) beside {code_column}")
    codes: dict[str, tuple[str, str, str, str, str]] = {}
    rejected: list[tuple[int, str]] = []
    count = 0
    for line, row in enumerate(rows, start=2):
        count += 1
        value = (row.get(code_column) or "").strip()
        match = _CODE.fullmatch(value)
        if not match:
            rejected.append((line, value))
            continue
        code8, digit = match[1], match[2]
        codes.setdefault(code8, (value, code8, digit, (row.get(fr_column or "") or "").strip(),
                                 (row.get(en_column or "") or "").strip()))
    return list(codes.values()), count, rejected


def load_cpv(warehouse_dir: Path, path: Path, memory_limit: str = "1GB") -> CpvLoadReport:
    """Replace ``ref_cpv`` with the nomenclature in ``path``."""
    codes, count, rejected = read_cpv(path)
    if not codes:
        raise InputError(f"{path}: no valid CPV code (expected 'XXXXXXXX-K'); first values: "
                         f"{', '.join(v for _, v in rejected[:3])}")
    known = {code8 for _, code8, *_ in codes}
    rows = [(code, code8, digit, code8[:2], level_of(code8), parent_of(code8, known), fr, en)
            for code, code8, digit, fr, en in codes]
    with snapshot.update(warehouse_dir, memory_limit) as con:
        con.execute("DELETE FROM ref_cpv")
        insert_rows(con, "ref_cpv", rows)
        record_load(con, "cpv", path, sha256_of_file(path), len(rows))
        from spaser.warehouse.derived import refresh_derived

        refresh_derived(con)
    return CpvLoadReport(str(path), count, len(rows), rejected, len({row[3] for row in rows}))
