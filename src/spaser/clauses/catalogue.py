"""The model clauses shipped with spaser (``library/*.toml``), as plain values.

Why plain values: the library is read by the platform database seed (first version of each clause), by the search
engine and by the recall benchmark; none of them needs a database to know what a clause says.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final

from spaser.domain.cpv import DIVISIONS
from spaser.errors import InputError, UnreadableFileError

#: What a clause is in the contract (the four kinds of the issue): a technical specification (CCTP), an award
#: criterion (RC), an execution condition (CCAP/CCTP) or a reserved contract (RC).
KINDS: Final = ("technical_specification", "award_criterion", "execution_condition", "reserved_contract")
LEVELS: Final = ("basic", "advanced")
#: The consideration the clause serves (DECP ``considerationsEnvironnementales`` / ``considerationsSociales``).
THEMES: Final = ("environmental", "social")


@dataclass(frozen=True, slots=True)
class ModelClause:
    """One model clause or criterion of the library.

    ``categories`` are CPV prefixes: a division (2 digits, ``"15"``) or a group (3 digits, ``"551"``); an empty
    tuple means the clause fits every purchase (most social clauses)."""

    id: str  # stable slug, e.g. "restauration-produits-bio"
    title: str
    kind: str  # one of KINDS
    theme: str  # one of THEMES
    level: str  # one of LEVELS
    categories: tuple[str, ...]
    legal_basis: tuple[str, ...]
    text: str
    verification: str
    keywords: tuple[str, ...] = ()


#: Where the shipped library lives: one TOML file per purchase category, each a list of ``[[clause]]`` tables.
LIBRARY_DIR: Final = Path(__file__).parent / "library"

_REQUIRED: Final = ("id", "title", "kind", "theme", "level", "categories", "legal_basis", "text", "verification")
_OPTIONAL: Final = ("keywords",)
_TEXTS: Final = ("id", "title", "kind", "theme", "level", "text", "verification")
_LISTS: Final = ("categories", "legal_basis", "keywords")
_VOCABULARIES: Final = {"kind": KINDS, "theme": THEMES, "level": LEVELS}
_SLUG: Final = re.compile(r"[a-z0-9-]+", re.ASCII)
_CATEGORY: Final = re.compile(r"\d{2,3}", re.ASCII)


def load_catalogue(directory: Path = LIBRARY_DIR) -> tuple[ModelClause, ...]:
    """Every clause of ``directory/*.toml``, by file name then by order in the file.

    Strict on purpose: a typo in a kind, a CPV prefix or a duplicated id would silently hide a clause from the
    search and from the platform seed, so every such mistake stops the load with the file, clause and field."""
    if not directory.is_dir():
        raise InputError(f"{directory}: the clause library folder does not exist")
    paths = sorted(directory.glob("*.toml"))
    if not paths:
        raise InputError(f"{directory}: the clause library folder holds no *.toml file")
    clauses: list[ModelClause] = []
    seen: dict[str, Path] = {}
    for path in paths:
        for clause in _load_file(path):
            if clause.id in seen:
                raise InputError(f"{path}: clause {clause.id!r}: field 'id': {clause.id!r} is already defined "
                                 f"in {seen[clause.id]}")
            seen[clause.id] = path
            clauses.append(clause)
    return tuple(clauses)


@cache
def catalogue() -> tuple[ModelClause, ...]:
    """The shipped library, read once per process (it does not change while spaser runs)."""
    return load_catalogue()


def _load_file(path: Path) -> list[ModelClause]:
    """The clauses of one file, each checked by ``_clause``."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UnreadableFileError(str(path), str(exc)) from exc
    extra = sorted(set(document) - {"clause"})
    if extra:
        raise InputError(f"{path}: unknown top-level key {extra[0]!r} (expected only [[clause]] tables)")
    tables = document.get("clause", [])
    if not isinstance(tables, list) or not all(isinstance(table, dict) for table in tables):
        raise InputError(f"{path}: field 'clause': {tables!r} is not a list of [[clause]] tables")
    return [_clause(path, index, table) for index, table in enumerate(tables, start=1)]


def _clause(path: Path, index: int, table: dict[str, Any]) -> ModelClause:
    """One ``[[clause]]`` table as a ModelClause, or an InputError naming the file, clause, field and value."""
    raw_id = table.get("id")
    name = repr(raw_id) if isinstance(raw_id, str) and raw_id else f"#{index}"

    def fail(field: str, value: object, problem: str) -> InputError:
        return InputError(f"{path}: clause {name}: field {field!r}: {value!r} {problem}")

    unknown = sorted(set(table) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        raise fail(unknown[0], table[unknown[0]], f"is not a clause field (expected {', '.join(_REQUIRED)}, "
                                                  f"{', '.join(_OPTIONAL)})")
    missing = [field for field in _REQUIRED if field not in table]
    if missing:
        raise InputError(f"{path}: clause {name}: field {missing[0]!r} is missing (required: {', '.join(_REQUIRED)})")
    for field in _TEXTS:
        value = table[field]
        if not isinstance(value, str) or not value.strip():
            raise fail(field, value, "must be a non-empty string")
    for field in _LISTS:
        value = table.get(field, [])
        if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
            raise fail(field, value, "must be a list of non-empty strings")
    if not _SLUG.fullmatch(table["id"]):
        raise fail("id", table["id"], "is not a lowercase slug (letters a-z, digits and dashes only)")
    for field, vocabulary in _VOCABULARIES.items():
        if table[field] not in vocabulary:
            raise fail(field, table[field], f"is not one of {', '.join(vocabulary)}")
    for category in table["categories"]:
        if not _CATEGORY.fullmatch(category) or category[:2] not in DIVISIONS:
            raise fail("categories", category, "is not a CPV prefix (2 or 3 digits starting with a CPV division)")
    if not table["legal_basis"]:
        raise fail("legal_basis", [], "is empty: cite at least one legal basis")
    return ModelClause(
        id=table["id"], title=table["title"].strip(), kind=table["kind"], theme=table["theme"],
        level=table["level"], categories=tuple(table["categories"]),
        legal_basis=tuple(item.strip() for item in table["legal_basis"]), text=table["text"].strip(),
        verification=table["verification"].strip(), keywords=tuple(item.strip() for item in table.get("keywords", [])))
