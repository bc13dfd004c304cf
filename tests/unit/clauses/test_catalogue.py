"""The model clause library: the shipped TOML files load and cover every purchase category, the reference
queries name real clauses, and every malformed file is refused with the file, the field and the bad value."""

from __future__ import annotations

import csv
import re
import shutil
import tomllib
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

import pytest

from spaser.clauses.catalogue import KINDS, LEVELS, LIBRARY_DIR, THEMES, catalogue, load_catalogue
from spaser.errors import InputError, UnreadableFileError
from tests.conftest import ROOT, shared

QUERIES = ROOT / "bench" / "clause_queries.toml"
#: One file per purchase category; the clause ids start with the file name.
CATEGORY_FILES = ("restauration", "nettoyage", "informatique", "vehicules", "batiment", "mobilier", "papier",
                  "textiles", "energie", "dechets", "evenements", "social")


def _queries() -> list[dict[str, object]]:
    with QUERIES.open("rb") as handle:
        queries: list[dict[str, object]] = tomllib.load(handle)["query"]
    return queries


# ----------------------------------------------------------------------------------------------------------
# The shipped library


def test_the_shipped_library_loads_with_at_least_60_distinct_clauses() -> None:
    clauses = catalogue()
    assert len(clauses) >= 60
    assert len({clause.id for clause in clauses}) == len(clauses)
    assert catalogue() is clauses  # cached
    assert load_catalogue() == clauses


def test_the_library_has_one_file_per_category_and_nothing_else() -> None:
    assert sorted(path.stem for path in LIBRARY_DIR.glob("*.toml")) == sorted(CATEGORY_FILES)


@pytest.mark.parametrize("name", CATEGORY_FILES)
def test_every_category_has_at_least_four_clauses_named_after_it(name: str, tmp_path: Path) -> None:
    shutil.copy(LIBRARY_DIR / f"{name}.toml", tmp_path)
    clauses = load_catalogue(tmp_path)
    assert len(clauses) >= 4
    assert all(clause.id.startswith(f"{name}-") for clause in clauses)


def test_every_kind_theme_and_level_is_used() -> None:
    clauses = catalogue()
    assert set(KINDS) == {clause.kind for clause in clauses}
    assert set(THEMES) == {clause.theme for clause in clauses}
    assert set(LEVELS) == {clause.level for clause in clauses}


def test_the_social_file_covers_insertion_reserved_contracts_and_fair_trade() -> None:
    by_id = {clause.id: clause for clause in catalogue()}
    bases = {basis for clause in catalogue() if clause.id.startswith("social-") for basis in clause.legal_basis}
    for article in ("L2113-12", "L2113-13", "L2113-15", "L2112-2", "R2152-7"):
        assert any(article in basis for basis in bases), article
    assert by_id["social-clause-insertion-heures"].kind == "execution_condition"
    assert Counter(c.kind for c in catalogue() if c.id.startswith("social-"))["reserved_contract"] == 3
    assert any("commerce-equitable" in clause_id for clause_id in by_id)


def _sentences(text: str) -> int:
    return len(re.findall(r"[.?!](?:\s|$)", text))


def test_clause_texts_are_written_out() -> None:
    for clause in catalogue():
        assert 2 <= _sentences(clause.text) <= 6, clause.id  # pasted into a DCE: a few sentences, not a page
        assert 1 <= _sentences(clause.verification) <= 3, clause.id
        assert clause.text.endswith(".") and clause.verification.endswith("."), clause.id
        assert "\n" not in clause.text and "  " not in clause.text, clause.id
        assert clause.keywords, clause.id


def test_clause_categories_are_real_cpv_divisions_or_groups() -> None:
    with shared("reference/cpv_2008.csv").open(encoding="utf-8") as handle:
        codes = {row["code8"] for row in csv.DictReader(handle)}
    for clause in catalogue():
        for category in clause.categories:
            assert category.ljust(8, "0") in codes, (clause.id, category)


# ----------------------------------------------------------------------------------------------------------
# The reference queries of the recall benchmark


def test_the_reference_queries_name_existing_clauses_and_cover_every_category() -> None:
    queries = _queries()
    ids = {clause.id for clause in catalogue()}
    assert len(queries) >= 36
    covered: set[str] = set()
    for query in queries:
        assert set(query) <= {"text", "cpv", "expected"}, query
        assert isinstance(query["text"], str) and query["text"].strip()
        expected = query["expected"]
        assert isinstance(expected, list) and 1 <= len(expected) <= 3, query
        assert set(expected) <= ids, query
        if "cpv" in query:
            assert isinstance(query["cpv"], str) and len(query["cpv"]) == 8 and query["cpv"].isdigit(), query
        covered.update(clause_id.split("-", 1)[0] for clause_id in expected)
    assert covered == set(CATEGORY_FILES)


# ----------------------------------------------------------------------------------------------------------
# Validation: one test per rule; the message names the file, the clause, the field and the value

GOOD: dict[str, object] = {
    "id": "essai-clause",
    "title": "Une clause d'essai",
    "kind": "execution_condition",
    "theme": "environmental",
    "level": "basic",
    "categories": ["15", "555"],
    "legal_basis": ["Code de la commande publique, art. L2112-2"],
    "text": "Le titulaire fait ceci. Il fait aussi cela.",
    "verification": "L'acheteur contrôle les justificatifs.",
    "keywords": ["essai"],
}


def _toml_value(value: object) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(value).lower() if isinstance(value, bool) else str(value)


def _write(directory: Path, name: str, *tables: Mapping[str, object]) -> Path:
    """A library file of ``[[clause]]`` tables (a value of None leaves the key out)."""
    path = directory / name
    body = "\n".join("[[clause]]\n" + "".join(f"{key} = {_toml_value(value)}\n" for key, value in table.items()
                                              if value is not None)
                     for table in tables)
    path.write_text(body, encoding="utf-8")
    return path


def _refused(tmp_path: Path, **changes: object) -> str:
    """The message of the InputError raised for GOOD with ``changes`` (a value of None removes the key)."""
    _write(tmp_path, "essai.toml", {**GOOD, **changes})
    with pytest.raises(InputError) as raised:
        load_catalogue(tmp_path)
    return raised.value.message


def test_a_valid_file_loads_into_model_clauses(tmp_path: Path) -> None:
    _write(tmp_path, "b.toml", {**GOOD, "id": "b-un"}, {**GOOD, "id": "b-deux"})
    _write(tmp_path, "a.toml", {**GOOD, "id": "a-un", "categories": []})
    clauses = load_catalogue(tmp_path)
    assert [clause.id for clause in clauses] == ["a-un", "b-un", "b-deux"]  # by file, then order in file
    assert clauses[0].categories == () and clauses[1].categories == ("15", "555")
    assert clauses[1].legal_basis == ("Code de la commande publique, art. L2112-2",)
    assert clauses[1].keywords == ("essai",)


def test_keywords_are_optional(tmp_path: Path) -> None:
    _write(tmp_path, "essai.toml", {**GOOD, "keywords": None})
    assert load_catalogue(tmp_path)[0].keywords == ()


def test_an_unknown_key_is_refused(tmp_path: Path) -> None:
    message = _refused(tmp_path, categorie=["15"])
    assert "essai.toml" in message and "'essai-clause'" in message
    assert "'categorie'" in message and "['15']" in message


def test_a_missing_key_is_refused(tmp_path: Path) -> None:
    message = _refused(tmp_path, verification=None)
    assert "essai.toml" in message and "'essai-clause'" in message
    assert "'verification'" in message and "missing" in message


def test_a_missing_id_names_the_clause_by_its_position(tmp_path: Path) -> None:
    message = _refused(tmp_path, id=None)
    assert "essai.toml" in message and "clause #1" in message and "'id'" in message


def test_an_unknown_kind_is_refused(tmp_path: Path) -> None:
    message = _refused(tmp_path, kind="clause_sociale")
    assert "essai.toml" in message and "'essai-clause'" in message
    assert "'kind'" in message and "'clause_sociale'" in message and "award_criterion" in message


def test_an_unknown_theme_is_refused(tmp_path: Path) -> None:
    message = _refused(tmp_path, theme="economic")
    assert "essai.toml" in message and "'theme'" in message and "'economic'" in message


def test_an_unknown_level_is_refused(tmp_path: Path) -> None:
    message = _refused(tmp_path, level="expert")
    assert "essai.toml" in message and "'level'" in message and "'expert'" in message


@pytest.mark.parametrize("bad_id", ["Essai-Clause", "essai clause", "essai_clause", "clause-é"])
def test_an_id_that_is_not_a_lowercase_slug_is_refused(tmp_path: Path, bad_id: str) -> None:
    message = _refused(tmp_path, id=bad_id)
    assert "essai.toml" in message and "'id'" in message and repr(bad_id) in message and "slug" in message


def test_an_id_duplicated_across_files_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, "a.toml", GOOD)
    _write(tmp_path, "b.toml", GOOD)
    with pytest.raises(InputError) as raised:
        load_catalogue(tmp_path)
    message = raised.value.message
    assert "b.toml" in message and "a.toml" in message  # where it is repeated, and where it was first
    assert "'id'" in message and "'essai-clause'" in message and "already" in message


def test_an_id_duplicated_in_one_file_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, "a.toml", GOOD, GOOD)
    with pytest.raises(InputError, match=r"a\.toml.*'id'.*'essai-clause'.*already"):
        load_catalogue(tmp_path)


@pytest.mark.parametrize("category", ["1", "1555", "15a", "5552", "", " 15"])
def test_a_category_that_is_not_2_or_3_digits_is_refused(tmp_path: Path, category: str) -> None:
    message = _refused(tmp_path, categories=["15", category])
    assert "essai.toml" in message and "'categories'" in message and repr(category) in message


@pytest.mark.parametrize("category", ["99", "01", "123"])
def test_a_category_outside_the_cpv_divisions_is_refused(tmp_path: Path, category: str) -> None:
    message = _refused(tmp_path, categories=[category])
    assert "essai.toml" in message and "'categories'" in message and repr(category) in message
    assert "CPV" in message


def test_categories_that_are_not_a_list_are_refused(tmp_path: Path) -> None:
    message = _refused(tmp_path, categories="15")
    assert "essai.toml" in message and "'categories'" in message and "'15'" in message


@pytest.mark.parametrize("field", ["title", "text", "verification"])
def test_an_empty_text_field_is_refused(tmp_path: Path, field: str) -> None:
    message = _refused(tmp_path, **{field: "   "})
    assert "essai.toml" in message and "'essai-clause'" in message
    assert repr(field) in message and "'   '" in message and "non-empty" in message


def test_a_text_field_that_is_not_a_string_is_refused(tmp_path: Path) -> None:
    message = _refused(tmp_path, title=12)
    assert "essai.toml" in message and "'title'" in message and "12" in message


def test_an_empty_legal_basis_is_refused(tmp_path: Path) -> None:
    message = _refused(tmp_path, legal_basis=[])
    assert "essai.toml" in message and "'essai-clause'" in message and "'legal_basis'" in message
    assert "[]" in message


def test_a_blank_legal_basis_entry_is_refused(tmp_path: Path) -> None:
    message = _refused(tmp_path, legal_basis=["CCP, art. L2112-2", ""])
    assert "essai.toml" in message and "'legal_basis'" in message and "''" in message


def test_an_unknown_top_level_key_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "essai.toml", GOOD)
    path.write_text('version = 2\n' + path.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(InputError, match=r"essai\.toml.*'version'"):
        load_catalogue(tmp_path)


def test_a_file_that_is_not_toml_is_refused_with_its_position(tmp_path: Path) -> None:
    (tmp_path / "casse.toml").write_text('[[clause]]\nid = "sans-fin\n', encoding="utf-8")
    with pytest.raises(UnreadableFileError) as raised:
        load_catalogue(tmp_path)
    assert "casse.toml" in raised.value.message and "line 2" in raised.value.message


def test_a_missing_or_empty_library_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        load_catalogue(tmp_path / "absent")
    with pytest.raises(InputError, match=r"no \*\.toml"):
        load_catalogue(tmp_path)
