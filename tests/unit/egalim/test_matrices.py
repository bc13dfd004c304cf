"""Supplier article matrices: article rows, duplicate codes, supplier matching, and what a purchase line inherits
or disagrees with."""

from __future__ import annotations

from spaser.indicators.egalim.cells import Cell
from spaser.indicators.egalim.lines import PurchaseLine, parse_row
from spaser.indicators.egalim.matrices import (
    Article,
    Conflict,
    Matrices,
    article_key,
    build_matrix,
    parse_article,
    supplier_key,
    supplier_slug,
)

SIRET = "19290012400012"


def article_row(code: str, **cells: Cell) -> dict[str, Cell]:
    base: dict[str, Cell] = {"code_article": code, "libelle": "Emmental râpé AOP",
                             "famille_produits": "PRODUITS_LAITIERS", "categories_egalim": "AOCAOP",
                             "origine": "FRANCE"}
    base.update(cells)
    return base


def matrices(*rows: dict[str, Cell], supplier: str = "Transgourmet Ouest") -> Matrices:
    build = build_matrix(enumerate(rows, start=2))
    assert not build.errors and not build.conflicts
    return Matrices({supplier_key(supplier): build.articles})


def line_row(**cells: Cell) -> dict[str, Cell]:
    base: dict[str, Cell] = {"siret": SIRET, "description": "Emmental râpé 1 kg", "fournisseur": "TRANSGOURMET OUEST",
                             "date": "2024-04-02", "prix_ht": "86.40", "famille_produits": "", "categories_egalim": "",
                             "origine": "", "code_article": "TG-1001"}
    base.update(cells)
    return base


def test_supplier_names_match_without_case_accents_or_punctuation() -> None:
    assert supplier_key(" Pomona  Épisaveurs ") == supplier_key("POMONA EPISAVEURS") == "pomona episaveurs"
    assert supplier_key("Pomona-Episaveurs") == "pomona episaveurs"
    assert supplier_slug("Épicerie d'Œuvre & Cie") == "epicerie-d-oeuvre-cie"
    assert supplier_slug("!!!") == ""
    assert article_key(" tg-1001 ") == "TG-1001"


def test_article_rows() -> None:
    article = parse_article(2, article_row("TG-1003", famille_produits="fruits_et_legumes", categories_egalim="hve",
                                           est_circuit_court="OUI", est_local="", definition_local="REGION"))
    assert article == Article("TG-1003", "Emmental râpé AOP", "FRUITS_ET_LEGUMES", ("HVE",), "FRANCE", True, None,
                              "REGION", None)
    empty = parse_article(3, {"code_article": "X1", "libelle": "", "famille_produits": "", "categories_egalim": "",
                              "origine": ""})
    assert empty == Article("X1", None, None, (), None, None, None, None, None)
    bad = parse_article(9, article_row("", categories_egalim="BIO,FAUX"))
    assert isinstance(bad, list)
    assert [e.column for e in bad] == ["code_article", "categories_egalim"]
    assert bad[0].message == "ligne 9, colonne code_article : valeur manquante (obligatoire)"


def test_same_code_twice_same_content_is_one_article_different_content_a_conflict() -> None:
    build = build_matrix([
        (2, article_row("TG-1001")),
        (3, article_row("tg-1001", libelle="autre libellé", famille_produits="produits_laitiers")),
        (4, article_row("TG-1004", categories_egalim="LABEL_ROUGE")),
        (5, article_row("TG-1004", categories_egalim="PECHE_DURABLE")),
        (6, article_row("TG-1004", categories_egalim="LABEL_ROUGE")),
        (7, article_row("TG-1006", origine="ASIE")),
    ])
    assert list(build.articles) == ["TG-1001"] and build.lines_read == 6
    assert [(c.code_article, c.line_nos) for c in build.conflicts] == [("TG-1004", (4, 5, 6))]
    assert build.conflicts[0].message == "article « TG-1004 » décrit différemment aux lignes 4, 5, 6 : article ignoré"
    assert [e.line_no for e in build.errors] == [7]


def test_empty_cells_inherit_the_article() -> None:
    parsed = parse_row(2, line_row(), matrices(article_row("TG-1001")))
    assert parsed.errors == [] and parsed.conflicts == []
    assert isinstance(parsed.line, PurchaseLine)
    assert (parsed.line.famille_produits, parsed.line.categories_egalim, parsed.line.origine) == (
        "PRODUITS_LAITIERS", ("AOCAOP",), "FRANCE")
    assert parsed.line.code_article == "TG-1001"


def test_local_and_short_circuit_fields_are_inherited() -> None:
    found = matrices(article_row("TG-1003", est_circuit_court="x", est_local="OUI", definition_local="autour_service",
                                 definition_local_km="40"))
    parsed = parse_row(2, line_row(code_article="tg-1003"), found)
    assert parsed.line is not None
    assert (parsed.line.est_circuit_court, parsed.line.est_local, parsed.line.definition_local,
            parsed.line.definition_local_km) == (True, True, "AUTOUR_SERVICE", 40)


def test_a_stated_value_is_kept_and_the_difference_recorded() -> None:
    found = matrices(article_row("TG-1001", est_circuit_court="OUI"))
    parsed = parse_row(3, line_row(origine="europe", categories_egalim="aocaop", est_circuit_court="non"), found)
    assert parsed.line is not None
    assert (parsed.line.origine, parsed.line.categories_egalim, parsed.line.est_circuit_court) == (
        "EUROPE", ("AOCAOP",), False)
    assert parsed.conflicts == [
        Conflict(3, "TRANSGOURMET OUEST", "TG-1001", "origine", "EUROPE", "FRANCE"),
        Conflict(3, "TRANSGOURMET OUEST", "TG-1001", "est_circuit_court", "NON", "OUI"),
    ]
    assert parsed.conflicts[0].message == (
        "ligne 3, colonne origine : « EUROPE » diffère de la matrice de TRANSGOURMET OUEST (article TG-1001 : "
        "« FRANCE ») ; valeur de la ligne conservée")


def test_same_value_spelled_differently_is_no_conflict() -> None:
    found = matrices(article_row("TG-1001", categories_egalim="BIO,AOCAOP", est_local="1", definition_local="PAT"))
    parsed = parse_row(2, line_row(categories_egalim="aocaop , bio", origine="france", est_local="oui",
                                   famille_produits="produits_laitiers"), found)
    assert parsed.conflicts == [] and parsed.line is not None


def test_unknown_article_is_a_warning_and_other_suppliers_are_untouched() -> None:
    found = matrices(article_row("TG-1001"))
    parsed = parse_row(5, line_row(code_article="TG-9999", famille_produits="AUTRES"), found)
    assert parsed.line is not None and parsed.line.famille_produits == "AUTRES"
    assert parsed.conflicts == [Conflict(5, "TRANSGOURMET OUEST", "TG-9999", "code_article", "TG-9999", None,
                                         "unknown_article")]
    assert parsed.conflicts[0].message == "ligne 5 : article « TG-9999 » absent de la matrice de TRANSGOURMET OUEST"
    other = parse_row(6, line_row(fournisseur="Ferme de Kerlaz"), found)
    assert other.conflicts == [] and [e.column for e in other.errors] == ["famille_produits"]
    no_code = parse_row(7, line_row(code_article=""), found)
    assert no_code.conflicts == [] and [e.column for e in no_code.errors] == ["famille_produits"]


def test_a_bad_line_value_is_reported_by_its_own_check_not_as_a_conflict() -> None:
    parsed = parse_row(4, line_row(origine="ASIE"), matrices(article_row("TG-1001")))
    assert parsed.conflicts == [] and parsed.line is None
    assert [e.message for e in parsed.errors] == [
        "ligne 4, colonne origine : « ASIE » n'est pas une origine (FRANCE, EUROPE ou vide)"]


def test_matrix_applies_after_the_older_column() -> None:
    cells = line_row(caracteristiques="EUROPE")
    del cells["categories_egalim"]
    parsed = parse_row(2, cells, matrices(article_row("TG-1001")))
    assert parsed.line is not None and parsed.line.origine == "EUROPE"
    assert [(c.column, c.line_value, c.article_value) for c in parsed.conflicts] == [("origine", "EUROPE", "FRANCE")]
