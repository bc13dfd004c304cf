"""Formats of the indicator results: JSON, CSV and XLSX (each with a Table Schema), and the console table.

Why a Table Schema: open-data portals and frictionless tools validate a CSV or XLSX against it, and a reader
knows each column's meaning and type without reading our docs.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any, Final

from spaser.indicators.engine import Result

#: Column, Table Schema type, description — the order of the CSV and XLSX columns and of the JSON keys.
COLUMNS: Final[tuple[tuple[str, str, str], ...]] = (
    ("id", "string", "Indicator id (docs/indicateurs.md)."),
    ("measure", "string", "count: in number of contracts; value: in euros HT, current amount."),
    ("year", "integer", "Year of notification (empty: unknown date)."),
    ("scope", "string", "all, buyer, region, departement, cpv_division, procedure or nature."),
    ("scope_id", "string", "Buyer SIRET, region or département code, CPV division, procedure or nature "
                           "(empty for scope all, or when unknown)."),
    ("numerator", "number", "Numerator (contracts or euros)."),
    ("denominator", "number", "Denominator (contracts or euros)."),
    ("value", "number", "numerator ÷ denominator in the unit (a percentage for %)."),
    ("unit", "string", "%, offres (bids), jours (days) or HHI (0-10 000)."),
    ("coverage", "number", "Share (0-1) of the contracts concerned whose needed fields are known."),
    ("population", "integer", "Contracts concerned."),
    ("known", "integer", "Contracts counted (needed fields known; for value, with a usable amount)."),
    ("excluded", "integer", "Contracts left out of the value measure for a missing or suspicious amount."),
    ("target", "number", "SPASER target value (empty: none)."),
    ("target_year", "integer", "Year the target is due."),
    ("expected", "number", "Value expected this year on the trajectory to the target."),
    ("status", "string", "met, on_track or off_track."),
    ("gap", "number", "value − target, in the unit."),
)
FIELDS: Final = tuple(name for name, _, _ in COLUMNS)


def table_schema() -> dict[str, Any]:
    """The frictionless Table Schema of the CSV and XLSX files."""
    return {
        "fields": [{"name": name, "type": kind, "description": description} for name, kind, description in COLUMNS],
        "primaryKey": ["id", "measure", "year", "scope", "scope_id"],
        "missingValues": [""],
    }


def _row(result: Result) -> dict[str, Any]:
    data = result.to_json()
    return {name: data[name] for name in FIELDS}


def write_json(results: Iterable[Result], stream: IO[str]) -> int:
    """A JSON list, streamed (one object per line) so that millions of results never sit in memory."""
    count = 0
    stream.write("[")
    for result in results:
        stream.write(("\n" if count == 0 else ",\n") + json.dumps(_row(result), ensure_ascii=False))
        count += 1
    stream.write("\n]\n" if count else "]\n")
    return count


def write_csv(results: Iterable[Result], stream: IO[str]) -> int:
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(FIELDS)
    count = 0
    for result in results:
        writer.writerow(["" if v is None else v for v in _row(result).values()])
        count += 1
    return count


def write_xlsx(results: Iterable[Result], path: Path) -> int:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("indicateurs")
    sheet.append(list(FIELDS))
    count = 0
    for result in results:
        sheet.append(list(_row(result).values()))
        count += 1
    notes = workbook.create_sheet("schema")
    notes.append(["name", "type", "description"])
    for column in COLUMNS:
        notes.append(list(column))
    temp = path.with_name(f".{path.name}.partial")
    workbook.save(temp)
    os.replace(temp, path)
    return count


def schema_path(path: Path) -> Path:
    """``indicators.csv`` → ``indicators.schema.json`` (beside it)."""
    return path.with_name(path.name.rsplit(".", 1)[0] + ".schema.json")


def write_file(results: Iterable[Result], path: Path, fmt: str) -> tuple[int, Path | None]:
    """Write ``fmt`` to ``path`` (atomically) and, for CSV and XLSX, the Table Schema beside it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "xlsx":
        count = write_xlsx(results, path)
    else:
        temp = path.with_name(f".{path.name}.partial")
        with temp.open("w", encoding="utf-8", newline="") as stream:
            count = write_json(results, stream) if fmt == "json" else write_csv(results, stream)
        os.replace(temp, path)
    if fmt == "json":
        return count, None
    schema = schema_path(path)
    schema.write_text(json.dumps(table_schema(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return count, schema


def formatted(result: Result) -> Iterator[str]:
    """Console cells: value with its unit, numerator/denominator, coverage, target and status."""
    unit = "" if result.unit == "%" else f" {result.unit}"
    yield "—" if result.value is None else f"{result.value:,.1f}{'%' if result.unit == '%' else unit}".replace(",", " ")
    if result.numerator is None or result.denominator is None:
        yield "—"
    else:
        yield f"{result.numerator:,.0f} / {result.denominator:,.0f}".replace(",", " ")
    yield "—" if result.coverage is None else f"{result.coverage * 100:.0f}%"
    yield "" if result.target is None else f"{result.target:g} ({result.target_year})"
    yield {"met": "atteint", "on_track": "en bonne voie", "off_track": "en retard"}.get(result.status or "", "")
