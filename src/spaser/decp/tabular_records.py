"""Rows of a tabular file → DECP-shaped records (plain dicts) for the general normaliser.

The mapping only moves values: a cell becomes the value of its DECP field, as text, so that every cleaning
rule and quality flag applies exactly as to a JSON or XML record. Three format rules, because a table has no
types, no nesting and no lists (docs/tabular.md, "From rows to records"):

* an empty cell, or one of the mapping's ``missing_values``, is an absent field;
* a text cell of a numeric field written as a plain number (``45155.0``, ``13``) is that number; any other
  spelling (``14 700,00``, ``30 000 €``) stays text, and the field's rule parses it and flags ``<field>:texte``;
* with grain ``contract_titulaire``, consecutive rows with the same key make one record, each row giving its
  ``[]`` items (its titulaire).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from spaser.decp.sources import InputFile
from spaser.decp.tabular_mapping import LISTS, Scalar, Step, TabularMapping, Target, available_mappings
from spaser.decp.tabular_read import Cell, Row, Table, TabularReadError, open_table
from spaser.errors import NotDecpDocumentError, UnreadableFileError

TABULAR_SYNTAXES = frozenset({"csv", "xlsx"})
#: A group longer than this is cut (a new record starts): memory stays bounded whatever the file.
MAX_GROUP_ROWS = 10_000

_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?", re.ASCII)
_MISSING = object()


class TabularLayoutError(NotDecpDocumentError):
    """The file's header does not fit the mapping: unreadable when named, skipped inside a folder."""


@dataclass(slots=True)
class TabularRecord:
    index: int  # number of the (first) source row
    container: str  # "marche" | "contrat-concession" ("" for a row quarantined by the reader)
    raw: bytes  # the source row(s) as text
    value: dict[str, Any] | None = None
    reason: str | None = None  # set when the row cannot become a record (quarantined)


@dataclass(slots=True)
class _Field:
    target: Target
    positions: tuple[int, ...]  # columns present in the file, in the mapping's order of preference
    values: dict[str, Scalar] | None
    steps: tuple[Step, ...] = ()
    numeric: bool = False
    per_row: bool = False

    def __post_init__(self) -> None:
        self.steps, self.numeric, self.per_row = self.target.steps, self.target.numeric, self.target.per_row


def _getter(positions: tuple[int, ...]) -> Callable[[list[Cell]], object]:
    """The cells at ``positions``, compared as written: rows of one contract repeat them identically."""
    if not positions:
        return lambda cells: ()
    return operator.itemgetter(*positions)


class Plan:
    """The mapping resolved against one file's header."""

    def __init__(self, mapping: TabularMapping, header: list[str], path: str) -> None:
        self.mapping = mapping
        self.width = len(header)
        where = {name: i for i, name in reversed(list(enumerate(header)))}  # first occurrence wins
        shown = ", ".join(header[:40]) + (", …" if len(header) > 40 else "")

        def missing(column: str, purpose: str) -> TabularLayoutError:
            return TabularLayoutError(path, f"mapping {mapping.name!r}: column {column!r} ({purpose}) is not in "
                                            f"the header ({len(header)} columns: {shown})")

        self.fields: list[_Field] = []
        for spec in mapping.fields:
            positions = tuple(where[c] for c in spec.columns if c in where)
            if not positions:
                if spec.optional:
                    continue
                raise missing(" | ".join(spec.columns), f"for {spec.target.path}")
            self.fields.append(_Field(spec.target, positions, mapping.values.get(spec.target.generic)))
        for column in mapping.key:
            if column not in where:
                raise missing(column, "contract key")
        self.key_positions = tuple(where[c] for c in mapping.key)
        self.key = _getter(self.key_positions)
        self.per_row = [f for f in self.fields if f.per_row]
        per_row = {p for f in self.per_row for p in f.positions}
        # Cells that describe the contract: consecutive rows with the same key make one record only if they agree.
        self.contract = _getter(tuple(sorted({p for f in self.fields for p in f.positions} - per_row)))
        self.missing = mapping.missing_values

    def empty(self, cell: Cell) -> bool:
        """An empty cell, or a missing-value placeholder of the mapping."""
        # "CDL" / "MQ" instead of empty cells: MINEF decp-augmenté CSV (minef_decp-augmente_valides_2022_sample.csv,
        # id 202404: titulaire_id_2 "CDL", attributionAvance "MQ").
        return cell is None or (isinstance(cell, str) and (not cell.strip() or cell.strip() in self.missing))


def check_tabular(source: InputFile, mapping: TabularMapping | None) -> None:
    """Refuse a tabular file before it is read: no mapping given, or a header that does not fit the mapping."""
    if source.syntax not in TABULAR_SYNTAXES:
        return
    if mapping is None:
        raise NotDecpDocumentError(
            source.path, f"tabular file, use --mapping NAME (available: {', '.join(available_mappings())})")
    stream = source.open()
    try:
        table = open_table(stream, source.syntax, mapping)
        try:
            Plan(mapping, table.header, source.path)
        finally:
            table.close()
    except TabularReadError as exc:
        error = TabularLayoutError if exc.layout else UnreadableFileError
        raise error(source.path, exc.reason, exc.position) from None
    finally:
        stream.close()


def read_records(stream: Any, syntax: str, path: str, mapping: TabularMapping,
                 stats: dict[str, int]) -> Iterator[TabularRecord]:
    """The records of a tabular file, in file order; ``stats`` gets ``rows_read`` (non-blank data rows)."""
    table = open_table(stream, syntax, mapping)
    try:
        plan = Plan(mapping, table.header, path)
        yield from _records(table, plan)
    finally:
        stats.update(table.stats)
        table.close()


def _records(table: Table, plan: Plan) -> Iterator[TabularRecord]:
    grouped = plan.mapping.grain == "contract_titulaire"
    group: list[Row] = []
    group_key: object = None
    group_sig: object = None
    rows = iter(table.rows)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            break
        except TabularReadError:
            if group:  # the rows read before the error are a complete record: not lost with the file's end
                yield build_record(plan, group)
            raise
        if len(row.cells) > plan.width and not all(plan.empty(c) for c in row.cells[plan.width:]):
            yield _bad_row(row, plan, table.unit)
            continue
        if len(row.cells) < plan.width:
            if table.unit == "line":  # a CSV row with cells missing: its values would land in wrong fields
                yield _bad_row(row, plan, table.unit)
                continue
            row.cells.extend([None] * (plan.width - len(row.cells)))  # XLSX: trailing empty cells omitted
        if not grouped:
            yield build_record(plan, [row])
            continue
        key = plan.key(row.cells)
        sig = plan.contract(row.cells)
        if group and key == group_key and sig == group_sig and len(group) < MAX_GROUP_ROWS \
                and not all(plan.empty(row.cells[p]) for p in plan.key_positions):
            group.append(row)
            continue
        if group:
            yield build_record(plan, group)
        group, group_key, group_sig = [row], key, sig
    if group:
        yield build_record(plan, group)


def _bad_row(row: Row, plan: Plan, unit: str) -> TabularRecord:
    reason = f"tableau:nombre_de_cellules ({len(row.cells)} cellules pour {plan.width} colonnes, {unit} {row.number})"
    return TabularRecord(row.number, "", row.text.encode("utf-8"), reason=reason)


def build_record(plan: Plan, rows: list[Row]) -> TabularRecord:
    """One record from the rows of one contract: contract fields from the first row, ``[]`` items per row."""
    record: dict[str, Any] = {}
    for ordinal, row in enumerate(rows, start=1):
        for spec in plan.fields if ordinal == 1 else plan.per_row:
            value = _value(plan, spec, row.cells)
            if value is not _MISSING:
                _put(record, spec.steps, value, ordinal)
    for target, constant in plan.mapping.constants:
        _constant(record, target.steps, constant)
    record = _finish(record)
    container = "marche"
    declared = record.get("_type")
    if isinstance(declared, str) and "concession" in declared.lower():
        container = "contrat-concession"
        _as_concession(record)
    raw = "\n".join(r.text for r in rows).encode("utf-8")
    return TabularRecord(rows[0].number, container, raw, record)


def _value(plan: Plan, spec: _Field, cells: list[Cell]) -> object:
    """The field's value: the first non-empty cell among its columns, as written (see the module doc).

    A plain-number cell of a numeric field is typed: MINEF decp-augmenté 2022 sample id 202404 writes
    ``"45155.0"``, the Nice/Atexo export ``"2400000.0000"``; neither is a defect in a format without types."""
    for position in spec.positions:
        value = cells[position]
        if value is None:
            continue
        if type(value) is str:
            text = value.strip()
            if not text or text in plan.missing:
                continue
            if spec.values is not None and text in spec.values:
                return spec.values[text]
            if spec.numeric and _PLAIN_NUMBER.fullmatch(text):
                return float(text) if "." in text else int(text)
        return value
    return _MISSING


def _put(node: dict[str, Any], steps: tuple[Step, ...], value: object, ordinal: int) -> None:
    """Set a value at a field path; lists are built as {item number: item} until :func:`_finish`."""
    for step in steps[:-1]:
        child = node.setdefault(step.name, {})
        if step.item is not None:
            child = child.setdefault(ordinal if step.item == 0 else step.item, {})
        node = child
    node[steps[-1].name] = value


def _constant(node: dict[str, Any], steps: tuple[Step, ...], value: Scalar) -> None:
    """A constant completes the object or list item that holds it, only where a cell created it."""
    step = steps[0]
    if len(steps) == 1:
        node.setdefault(step.name, value)
        return
    child = node.get(step.name)
    if not isinstance(child, dict):
        return
    if step.item is None:
        _constant(child, steps[1:], value)
        return
    for number, item in child.items():
        if step.item in (0, number):
            _constant(item, steps[1:], value)


def _finish(node: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "extra":
            out.update(value)  # a key outside the DECP schemas: the normaliser keeps it verbatim in `extra`
        elif key in LISTS:
            out[key] = [_finish(value[n]) for n in sorted(value)]
        elif isinstance(value, dict):
            out[key] = _finish(value)
        else:
            out[key] = value
    return out


def _as_concession(record: dict[str, Any]) -> None:
    """A concession row: the DECP concession names of the buyer, amount, date and holders."""
    for marche, concession in (("acheteur", "autoriteConcedante"), ("montant", "valeurGlobale"),
                               ("dateNotification", "dateSignature"), ("titulaires", "concessionnaires")):
        if marche in record and concession not in record:
            record[concession] = record.pop(marche)
    for modification in record.get("modifications", []):
        if "montant" in modification and "valeurGlobale" not in modification:
            modification["valeurGlobale"] = modification.pop("montant")
