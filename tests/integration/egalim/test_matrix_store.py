"""Supplier matrices in the store, and purchase lines importing with them: inherited values, conflicts file,
manifest counts, a new matrix replacing the old."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from spaser.errors import InputError
from spaser.indicators.egalim.matrix_store import remove_matrix
from spaser.indicators.egalim.store import EgalimStore
from tests.integration.egalim.egalim_files import fixture, lines, write_xlsx

NOW = dt.datetime(2025, 2, 3, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def store(tmp_path: Path) -> EgalimStore:
    return EgalimStore(tmp_path / "egalim")


def test_load_a_matrix(store: EgalimStore) -> None:
    report = store.load_matrix(fixture("matrice_transgourmet.csv"), "  Transgourmet   Ouest ", now=NOW)
    info = report.info
    assert (info.supplier, info.slug, info.file, info.loaded_at, info.articles) == (
        "Transgourmet Ouest", "transgourmet-ouest", "matrice_transgourmet.csv", "2025-02-03T09:00:00Z", 4)
    assert (report.lines_read, report.replaced) == (8, False)
    assert len(report.errors) == 1
    assert report.errors[0].message.startswith(
        "ligne 9, colonne categories_egalim : « BIO,FAUX » contient un code inconnu")
    assert [c.message for c in report.conflicts] == [
        "article « TG-1004 » décrit différemment aux lignes 5, 6 : article ignoré"]
    stored = pq.read_table(store.matrices_dir / "transgourmet-ouest.parquet")
    assert stored.column("code_article").to_pylist() == ["TG-1001", "TG-1002", "TG-1003", "TG-1005"]
    assert store.matrix_infos() == [info]
    articles = store.matrices().by_supplier["transgourmet ouest"]
    assert articles["TG-1003"].est_local is True and articles["TG-1003"].definition_local == "REGION"
    assert articles["TG-1001"].est_local is None and articles["TG-1005"].categories_egalim == ()


def test_a_new_matrix_replaces_the_old(store: EgalimStore, tmp_path: Path) -> None:
    store.load_matrix(fixture("matrice_transgourmet.csv"), "Transgourmet Ouest")
    newer = write_xlsx(tmp_path / "transgourmet-2025.xlsx", [
        ["code_article", "libelle", "famille_produits", "categories_egalim", "origine"],
        ["TG-2001", "Beurre doux AOP", "PRODUITS_LAITIERS", "AOCAOP", "FRANCE"],
    ])
    report = store.load_matrix(newer, "TRANSGOURMET-OUEST")
    assert report.replaced and report.info.articles == 1
    assert list(store.matrices().by_supplier["transgourmet ouest"]) == ["TG-2001"]
    assert [i.supplier for i in store.matrix_infos()] == ["TRANSGOURMET-OUEST"]
    assert remove_matrix(store, "Transgourmet Ouest") and store.matrix_infos() == []
    assert not remove_matrix(store, "Transgourmet Ouest")


def test_matrix_needs_its_columns_and_a_supplier_name(store: EgalimStore, tmp_path: Path) -> None:
    path = tmp_path / "matrice.csv"
    path.write_text("code_article;libelle\nA1;Pain\n", encoding="utf-8")
    with pytest.raises(InputError,
                       match="colonnes obligatoires absentes : famille_produits, categories_egalim, origine"):
        store.load_matrix(path, "Boulangerie")
    with pytest.raises(InputError, match="le nom n'a ni lettre ni chiffre"):
        store.load_matrix(fixture("matrice_transgourmet.csv"), " -- ")


def test_purchase_lines_inherit_from_the_matrix(store: EgalimStore) -> None:
    store.load_matrix(fixture("matrice_transgourmet.csv"), "Transgourmet Ouest")
    report = store.import_file(fixture("achats_articles.csv"))
    m = report.manifest
    assert (m.lines_read, m.accepted, m.rejected, m.conflicts) == (6, 5, 1, 4)
    found = {line.line_no: line for line in lines(store)}
    assert (found[2].famille_produits, found[2].categories_egalim, found[2].origine) == (
        "PRODUITS_LAITIERS", ("AOCAOP",), "FRANCE")
    assert found[3].origine == "FRANCE"  # the line's own value, kept
    assert (found[4].famille_produits, found[4].est_circuit_court, found[4].est_local, found[4].definition_local) == (
        "FRUITS_ET_LEGUMES", False, True, "REGION")
    assert found[5].categories_egalim == ()  # TG-1004 was left out of the matrix
    assert found[7].code_article == "K-12"  # a supplier without matrix
    conflicts = store.conflicts(m.id)
    assert [(c["line_no"], c["column"], c["line_value"], c["article_value"], c["kind"]) for c in conflicts] == [
        (3, "origine", "FRANCE", "EUROPE", "difference"),
        (4, "est_circuit_court", "NON", "OUI", "difference"),
        (5, "code_article", "TG-1004", None, "unknown_article"),
        (6, "code_article", "TG-9999", None, "unknown_article"),
    ]
    assert conflicts[0]["fournisseur"] == "Transgourmet Ouest" and conflicts[1]["code_article"] == "TG-1003"
    assert [e.message for e in report.errors] == ["ligne 6, colonne famille_produits : valeur manquante (obligatoire)"]


def test_without_matrix_the_same_file_rejects_the_lines_missing_a_family(store: EgalimStore) -> None:
    m = store.import_file(fixture("achats_articles.csv")).manifest
    assert (m.accepted, m.rejected, m.conflicts) == (3, 3, 0)
