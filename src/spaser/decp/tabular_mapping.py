"""Column mappings of tabular DECP sources (CSV, XLSX): the TOML model, its validation and loading.

Why declarative: every purchasing system and every consolidation exports its own columns; a reviewed TOML
file saying which column feeds which DECP field lets a new layout in without code. A mapping only reshapes a
row into a DECP-shaped record: every value is then cleaned and flagged by the general normaliser, exactly as
for JSON and XML records. The format is documented in ``docs/tabular.md``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from spaser.decp.shapes import KEY_VARIANTS, KNOWN_KEYS
from spaser.errors import InputError

MAPPINGS_DIR = Path(__file__).with_name("mappings")
GRAINS = ("contract", "contract_titulaire")
SEPARATORS = (",", ";", "\t", "|")
ENCODINGS = ("auto", "utf-8", "cp1252")

Scalar = str | int | float | bool
Fail = Callable[[str], NoReturn]

_TOP_FIELDS = (
    "id", "uid", "uuid", "_type", "nature", "objet", "codeCPV", "procedure", "techniques", "modalitesExecution",
    "idAccordCadre", "marcheInnovant", "ccag", "offresRecues", "attributionAvance", "tauxAvance",
    "typeGroupementOperateurs", "sousTraitanceDeclaree", "dureeMois", "dateNotification", "datePublicationDonnees",
    "montant", "typesPrix", "formePrix", "origineUE", "origineFrance", "considerationsSociales",
    "considerationsEnvironnementales", "dateSignature", "dateDebutExecution", "valeurGlobale",
    "montantSubventionPublique", "acheteur.id", "acheteur.nom", "lieuExecution.code", "lieuExecution.typeCode",
    "lieuExecution.nom",
)
_PARTY = ("id", "typeIdentifiant", "denominationSociale")
_MODIFICATION = ("id", "objetModification", "montant", "valeurGlobale", "dureeMois", "dateNotificationModification",
                 "dateSignatureModification", "datePublicationDonneesModification")
_ACTE = ("id", "sousTraitant.id", "sousTraitant.typeIdentifiant", "dureeMois", "dateNotification",
         "datePublicationDonnees", "montant", "variationPrix")
_MODIFICATION_ACTE = ("id", "dureeMois", "dateNotificationModificationSousTraitance", "montant",
                      "datePublicationDonnees")

#: Every DECP field a column may feed, lists written ``name[]`` (v2.0.3 key names, plus the 2019 names the
#: normaliser reads: ``uid``, ``_type``, ``acheteur.nom``, ``denominationSociale``…). ``extra.NAME`` is also
#: accepted: the value is kept verbatim in the record's ``extra``.
FIELDS: frozenset[str] = frozenset({
    *_TOP_FIELDS,
    *(f"titulaires[].{k}" for k in _PARTY),
    *(f"modifications[].{k}" for k in _MODIFICATION),
    *(f"modifications[].titulaires[].{k}" for k in _PARTY),
    *(f"actesSousTraitance[].{k}" for k in _ACTE),
    *(f"modificationsActesSousTraitance[].{k}" for k in _MODIFICATION_ACTE),
})
LISTS = frozenset({"titulaires", "modifications", "actesSousTraitance", "modificationsActesSousTraitance"})
#: A CSV cell of these fields written as a plain number ("45155.0", "13") is that number (see docs/tabular.md).
NUMERIC = frozenset({"montant", "valeurGlobale", "montantSubventionPublique", "dureeMois", "offresRecues",
                     "tauxAvance", "origineUE", "origineFrance"})

_KEYS = frozenset({"name", "description", "grain", "key", "separator", "encoding", "header_row", "sheet",
                   "missing_values", "optional", "columns", "constants", "values"})
_STEP = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d*)\])?\Z")
_EXTRA = re.compile(r"extra\.([A-Za-z][A-Za-z0-9_]*)\Z")


@dataclass(frozen=True, slots=True)
class Step:
    """One segment of a field path: ``name``, ``name[]`` (item = 0: the row's item) or ``name[N]``."""

    name: str
    item: int | None = None


@dataclass(frozen=True, slots=True)
class Target:
    """A DECP field as a mapping names it, e.g. ``titulaires[2].id``."""

    path: str
    steps: tuple[Step, ...]

    @property
    def generic(self) -> str:
        """The path with every list index written ``[]``: the key of ``FIELDS`` and of ``[values]``."""
        return ".".join(s.name + ("[]" if s.item is not None else "") for s in self.steps)

    @property
    def numeric(self) -> bool:
        return self.steps[-1].name in NUMERIC and self.steps[0].name != "extra"

    @property
    def per_row(self) -> bool:
        """``[]`` somewhere: each row of a contract's group gives its own item."""
        return any(s.item == 0 for s in self.steps)


@dataclass(frozen=True, slots=True)
class FieldColumns:
    """The columns feeding one field: the first non-empty cell among those present in the file wins."""

    target: Target
    columns: tuple[str, ...]
    optional: bool


@dataclass(frozen=True, slots=True)
class TabularMapping:
    name: str
    path: Path
    description: str
    grain: str
    key: tuple[str, ...]
    separator: str | None
    encoding: str
    header_row: int
    sheet: str | None
    missing_values: frozenset[str]
    fields: tuple[FieldColumns, ...]
    constants: tuple[tuple[Target, Scalar], ...]
    values: dict[str, dict[str, Scalar]]  # generic field path → {cell text: value}


def available_mappings() -> list[str]:
    """Names of the mappings shipped in ``spaser/decp/mappings``."""
    return sorted(p.stem for p in MAPPINGS_DIR.glob("*.toml"))


def load_mapping(spec: str | Path) -> TabularMapping:
    """A shipped mapping by name (``decp-info``) or a mapping file (``path/to/mine.toml``)."""
    text = str(spec)
    if isinstance(spec, Path) or text.endswith(".toml") or "/" in text or "\\" in text:
        path = Path(spec)
        if not path.is_file():
            raise InputError(f"mapping file {path} not found")
    else:
        path = MAPPINGS_DIR / f"{text}.toml"
        if not path.is_file():
            raise InputError(f"unknown mapping {text!r}: give a shipped mapping ({', '.join(available_mappings())}) "
                             "or the path of a .toml mapping file")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"mapping {path}: cannot read it: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"mapping {path}: not a valid TOML file: {exc}") from None
    return parse_mapping(data, path)


def parse_mapping(data: dict[str, Any], path: Path) -> TabularMapping:
    """Check a decoded mapping; every problem raises :class:`InputError` naming the file and the key.

    Messages avoid ``[table]`` brackets: the console reads ``[lowercase…]`` as markup."""
    name = data.get("name", path.stem)

    def fail(message: str) -> NoReturn:
        raise InputError(f"mapping {name!r} ({path}): {message}")

    if not isinstance(name, str) or not name.strip():
        fail("'name' must be a non-empty string")
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        fail(f"unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(_KEYS))})")
    grain = data.get("grain", "contract")
    if grain not in GRAINS:
        fail(f"grain {grain!r} must be one of {', '.join(GRAINS)}")
    key = _strings(data.get("key", []), "key", fail)
    if grain == "contract_titulaire" and not key:
        fail("grain 'contract_titulaire' needs 'key': the column(s) whose values identify a contract")
    separator = data.get("separator")
    if separator is not None and separator not in SEPARATORS:
        fail(f"separator {separator!r} must be one of {', '.join(map(repr, SEPARATORS))}")
    encoding = str(data.get("encoding", "auto")).lower().replace("windows-1252", "cp1252").replace("utf8", "utf-8")
    if encoding not in ENCODINGS:
        fail(f"encoding {data.get('encoding')!r} must be one of {', '.join(ENCODINGS)}")
    header_row = data.get("header_row", 1)
    if not isinstance(header_row, int) or isinstance(header_row, bool) or header_row < 1:
        fail(f"header_row {header_row!r} must be a row number ≥ 1")
    sheet = data.get("sheet")
    if sheet is not None and not isinstance(sheet, str):
        fail("sheet must be a sheet name (string)")
    description = data.get("description", "")
    if not isinstance(description, str):
        fail("description must be a string")
    missing = frozenset(v.strip() for v in _strings(data.get("missing_values", []), "missing_values", fail))
    optional = set(_strings(data.get("optional", []), "optional", fail))
    fields = _columns(data.get("columns"), optional, fail)
    constants = _constants(data.get("constants", {}), fields, fail)
    values = _values(data.get("values", {}), fields, fail)
    fed = {f.target.path for f in fields}
    stray = sorted(optional - fed)
    if stray:
        fail(f"'optional' names field(s) that no column feeds: {', '.join(stray)}")
    return TabularMapping(name.strip(), path, description, grain, tuple(key), separator, encoding, header_row,
                          sheet, missing, fields, constants, values)


def parse_target(path: str) -> Target | str:
    """The field ``path`` parsed, or the reason it is not a field a mapping may feed."""
    extra = _EXTRA.match(path)
    if extra:
        name = extra[1]
        if name in KNOWN_KEYS or name in KEY_VARIANTS:
            return f"extra.{name} would be read as the DECP field {name!r}: map that field instead"
        return Target(path, (Step("extra"), Step(name)))
    steps: list[Step] = []
    for part in path.split("."):
        match = _STEP.match(part)
        if not match:
            return f"{part!r} is not a field name"
        index = match[2]
        item = None if index is None else (int(index) if index else 0)
        if item is not None and index and item < 1:
            return "list items are numbered from 1"
        if (item is None) == (match[1] in LISTS):
            return (f"{match[1]} is a list: write {match[1]}[] (the row's item) or {match[1]}[N]"
                    if item is None else f"{match[1]} is not a list")
        steps.append(Step(match[1], item))
    target = Target(path, tuple(steps))
    if target.generic not in FIELDS:
        return "not a DECP field that a column can feed (see docs/tabular.md for the list)"
    return target


def _strings(value: object, key: str, fail: Fail) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        fail(f"{key!r} must be a list of non-empty strings")
    return [str(v) for v in value]


def _target(path: object, table: str, fail: Fail) -> Target:
    parsed = parse_target(path) if isinstance(path, str) else "not a string"
    if isinstance(parsed, str):
        fail(f"{table} {path!r}: unknown field: {parsed}")
    return parsed


def _columns(table: object, optional: set[str], fail: Fail) -> tuple[FieldColumns, ...]:
    if not isinstance(table, dict) or not table:
        fail("the columns table is missing: it says which source column feeds which DECP field")
    fields: list[FieldColumns] = []
    for path, columns in table.items():
        target = _target(path, "columns", fail)
        names = [columns] if isinstance(columns, str) else columns
        if not isinstance(names, list) or not names or not all(isinstance(c, str) and c.strip() for c in names):
            fail(f"columns {path!r}: the value must be a column name or a list of column names")
        fields.append(FieldColumns(target, tuple(c.strip() for c in names), path in optional))
    _check_lists(fields, fail)
    return tuple(fields)


def _check_lists(fields: list[FieldColumns], fail: Fail) -> None:
    """A list is fed either by ``[]`` (one item per row) or by numbered items ``[N]``, never both."""
    styles: dict[str, set[bool]] = {}
    for f in fields:
        prefix = ""
        for step in f.target.steps:
            prefix += step.name
            if step.item is not None:
                styles.setdefault(prefix, set()).add(step.item == 0)
            prefix += "."
    mixed = sorted(name for name, kinds in styles.items() if len(kinds) > 1)
    if mixed:
        fail(f"list {mixed[0]} is fed both by [] and by numbered items [N]: choose one layout")


def _constants(table: object, fields: tuple[FieldColumns, ...],
               fail: Fail) -> tuple[tuple[Target, Scalar], ...]:
    if not isinstance(table, dict):
        fail("constants must be a table")
    fed = {f.target.generic for f in fields}
    out: list[tuple[Target, Scalar]] = []
    for path, value in table.items():
        target = _target(path, "constants", fail)
        if not isinstance(value, (str, int, float, bool)):
            fail(f"constants {path!r}: the value must be a string, a number or a boolean")
        if target.generic in fed:
            fail(f"constants {path!r}: this field is also fed by a column; keep one of the two")
        parent = target.generic.rpartition(".")[0]
        if parent and not any(g.startswith(parent + ".") for g in fed):
            fail(f"constants {path!r}: no column feeds {parent}, so the constant would never apply")
        out.append((target, value))
    return tuple(out)


def _values(table: object, fields: tuple[FieldColumns, ...], fail: Fail) -> dict[str, dict[str, Scalar]]:
    if not isinstance(table, dict):
        fail("values must be a table of tables: values.FIELD, with \"cell text\" = value")
    fed = {f.target.generic for f in fields}
    out: dict[str, dict[str, Scalar]] = {}
    for path, mapping in table.items():
        target = _target(path, "values", fail)
        if target.generic not in fed:
            fail(f"values {path!r}: no column feeds this field")
        if not isinstance(mapping, dict) or not all(isinstance(v, (str, int, float, bool)) for v in mapping.values()):
            fail(f"values {path!r}: each entry must be \"cell text\" = a string, a number or a boolean")
        out[target.generic] = {str(k).strip(): v for k, v in mapping.items()}
    return out
