"""Export to the national format and the round trip: import → export → import gives the same lines, for CSV with
``,`` and ``;``, tab-separated input, and XLSX."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from openpyxl import load_workbook

from spaser.errors import InputError
from spaser.indicators.egalim.export import Selection, export_lines
from spaser.indicators.egalim.store import EgalimStore
from tests.integration.egalim.egalim_files import NATIONAL, contents, fixture, lines, write_xlsx


def store_at(tmp_path: Path, name: str) -> EgalimStore:
    return EgalimStore(tmp_path / name / "egalim")


def round_trip(tmp_path: Path, source: Path, output: str, **options: object) -> tuple[EgalimStore, EgalimStore, Path]:
    first = store_at(tmp_path, "first")
    assert first.import_file(source).manifest.rejected == 0
    exported = tmp_path / output
    count = export_lines(first, exported, **options)  # type: ignore[arg-type]
    assert count == first.imports()[0].accepted
    second = store_at(tmp_path, "second")
    report = second.import_file(exported)
    assert report.manifest.rejected == 0 and report.manifest.accepted == count
    return first, second, exported


@pytest.mark.parametrize(("separator", "with_code_article"), [(",", True), (";", True), (",", False), ("\t", True)])
def test_csv_round_trip(tmp_path: Path, separator: str, with_code_article: bool) -> None:
    first, second, exported = round_trip(tmp_path, fixture("achats_complet.csv"), "export.csv", separator=separator,
                                         with_code_article=with_code_article)
    expected = contents(first)
    if not with_code_article:
        expected = sorted(((*c[:-1], None) for c in expected), key=repr)
    assert contents(second) == expected
    assert second.imports()[0].separator == separator
    again = tmp_path / "again.csv"
    export_lines(second, again, separator=separator, with_code_article=with_code_article)
    assert sorted(again.read_text(encoding="utf-8").splitlines()) == sorted(
        exported.read_text(encoding="utf-8").splitlines())


def test_canonical_spelling(tmp_path: Path) -> None:
    _, _, exported = round_trip(tmp_path, fixture("achats_complet.csv"), "export.csv", with_code_article=True)
    text = exported.read_text(encoding="utf-8")
    assert not text.startswith("\ufeff")
    with exported.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == [*NATIONAL, "code_article"]
    by_description = {row[1]: row for row in rows[1:]}
    assert by_description["Yaourt nature bio, pot 125 g"] == [
        "19290012400012", "Yaourt nature bio, pot 125 g", "Laiterie de Plouvien", "2024-01-15", "312.50",
        "PRODUITS_LAITIERS", "BIO,LABEL_ROUGE", "FRANCE", "OUI", "OUI", "AUTOUR_SERVICE", "50", ""]
    assert by_description["Cabillaud MSC ; portions 120 g"][8:10] == ["", ""]  # no: empty
    assert by_description['Pommes "Reinette" du Finistère'][4] == "1234.50"
    assert by_description["Riz de Camargue IGP"][6] == "CONVERSION_BIO,IGP,STG,EQUIVALENTS"
    assert by_description["Comté AOP 18 mois\naffiné en cave"][12] == "FR-COMTE-18"
    assert '"Pommes ""Reinette"" du Finistère"' in text


def test_tab_input_round_trip(tmp_path: Path) -> None:
    first, second, _ = round_trip(tmp_path, fixture("achats_tabulation.csv"), "export.csv", separator=";")
    assert first.imports()[0].separator == "\t" and contents(second) == contents(first)


def test_xlsx_round_trip(tmp_path: Path) -> None:
    first, second, exported = round_trip(tmp_path, fixture("achats_complet.csv"), "export.xlsx", fmt="xlsx",
                                         with_code_article=True)
    assert contents(second) == contents(first)
    assert second.imports()[0].format == "xlsx"
    book = load_workbook(exported)
    sheet = book.worksheets[0]
    assert sheet.title == "achats" and [c.value for c in sheet[1]] == [*NATIONAL, "code_article"]
    formula_like = next(row for row in sheet.iter_rows(min_row=2) if str(row[1].value).startswith("="))
    assert formula_like[1].data_type == "s" and formula_like[1].value == "=Lot de jus de pomme"
    assert isinstance(sheet["D2"].value, dt.datetime) and sheet["D2"].number_format == "yyyy-mm-dd"
    book.close()


def test_spreadsheet_written_xlsx_round_trip(tmp_path: Path) -> None:
    """A workbook as a canteen manager's spreadsheet holds it: real dates, numbers, booleans, SIRET as numbers."""
    source = write_xlsx(tmp_path / "achats.xlsx", [
        [*NATIONAL, "code_article"],
        [19290012400012, "Blanquette de veau", "Boucherie Quimpéroise", dt.datetime(2024, 3, 4), 412.8,
         "VIANDES_VOLAILLES", "LABEL_ROUGE", "FRANCE", True, True, "AUTOUR_SERVICE", 45, None],
        ["21450269200012", "Pain de mie", "Boulangerie Le Fournil", dt.date(2024, 3, 5), 19, "BOULANGERIE", None,
         None, False, None, None, None, "PDM-1"],
        [None] * 13,
    ], extra_sheet=True)
    first, second, _ = round_trip(tmp_path, source, "export.csv", with_code_article=True)
    assert contents(second) == contents(first)
    found = lines(first)
    assert [(line.line_no, str(line.prix_ht), line.definition_local_km) for line in found] == [
        (2, "412.80", 45), (3, "19.00", None)]


def test_round_trip_keeps_a_no_that_differs_from_the_matrix(tmp_path: Path) -> None:
    first = store_at(tmp_path, "first")
    second = store_at(tmp_path, "second")
    for store in (first, second):
        store.load_matrix(fixture("matrice_transgourmet.csv"), "Transgourmet Ouest")
    first.import_file(fixture("achats_articles.csv"))
    exported = tmp_path / "export.csv"
    export_lines(first, exported, with_code_article=True)
    text = exported.read_text(encoding="utf-8")
    assert ",FRUITS_ET_LEGUMES,HVE,FRANCE,NON,OUI,REGION,,TG-1003\n" in text  # "no" stated: NON, not empty
    assert ",PRODUITS_LAITIERS,AOCAOP,FRANCE,NON,NON,,,TG-1001\n" in text
    assert ",FRUITS_ET_LEGUMES,BIO,FRANCE,OUI,OUI,DEPARTEMENT,,K-12\n" in text
    report = second.import_file(exported)
    assert report.manifest.rejected == 0
    assert contents(second) == contents(first)
    # the line that disagreed with the matrix still does; the others now state the article's values
    assert [(c["column"], c["kind"]) for c in second.conflicts(report.manifest.id)] == [
        ("origine", "difference"), ("est_circuit_court", "difference"), ("code_article", "unknown_article")]


def test_selections(tmp_path: Path) -> None:
    store = store_at(tmp_path, "store")
    store.import_file(fixture("achats_complet.csv"))
    store.load_restaurants(fixture("restaurants.csv"))

    def described(**selection: object) -> list[str]:
        output = tmp_path / "selection.csv"
        export_lines(store, output, Selection(**selection))  # type: ignore[arg-type]
        with output.open(encoding="utf-8", newline="") as handle:
            return [row[1] for row in list(csv.reader(handle))[1:]]

    assert described(year=2023) == ["Comté AOP 18 mois\naffiné en cave", "Jambon cuit supérieur"]
    assert described(siret="192 900 983 00029") == ['Pommes "Reinette" du Finistère', "Cabillaud MSC ; portions 120 g"]
    assert len(described(groupe=" lycées du finistère ")) == 4
    assert described(groupe="Lycées du Finistère", year=2025) == []
    assert described(groupe="Restaurants de l'État", siret="21330063500017") == [
        "Riz de Camargue IGP", "Œufs fermiers plein air"]
    assert len(described()) == 11
    with pytest.raises(InputError, match="aucun groupe « Collèges » dans le registre"):
        described(groupe="Collèges")
    with pytest.raises(InputError, match="siret « 123 » n'est pas un SIRET"):
        described(siret="123")
    with pytest.raises(InputError, match="séparateur"):
        export_lines(store, tmp_path / "x.csv", separator="|")
    assert not (tmp_path / "x.csv").exists()


def test_group_selection_needs_a_registry(tmp_path: Path) -> None:
    store = store_at(tmp_path, "store")
    with pytest.raises(InputError, match="aucun registre des restaurants"):
        export_lines(store, tmp_path / "x.csv", Selection(groupe="Lycées du Finistère"))
