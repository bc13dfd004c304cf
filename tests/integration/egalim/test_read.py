"""Reading purchase files: separators, encodings, headers, line numbers, XLSX, and files that cannot be read."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest

from spaser.errors import InputError
from spaser.indicators.egalim.cells import Cell
from spaser.indicators.egalim.lines import KNOWN_COLUMNS, LEGACY_COLUMN, REQUIRED_COLUMNS
from spaser.indicators.egalim.read import open_table
from tests.integration.egalim.egalim_files import NATIONAL, fixture, write_xlsx


def read_all(path: Path) -> tuple[list[int], list[dict[str, Cell]], list[str]]:
    with open_table(path) as table:
        table.check_columns(REQUIRED_COLUMNS, KNOWN_COLUMNS, {"categories_egalim": LEGACY_COLUMN})
        rows = list(table.rows)
        return [r.line_no for r in rows], [r.cells for r in rows], table.warnings


@pytest.mark.parametrize(("name", "separator", "encoding"), [
    ("achats_complet.csv", ",", "utf-8"),
    ("achats_erreurs.csv", ";", "utf-8"),
    ("achats_tabulation.csv", "\t", "utf-8"),
    ("achats_cp1252.csv", ";", "cp1252"),
])
def test_separator_and_encoding_are_found(name: str, separator: str, encoding: str) -> None:
    with open_table(fixture(name)) as table:
        assert (table.format, table.separator, table.encoding) == ("csv", separator, encoding)
        assert table.header[0] == "siret" and len(table.sha256) == 64


def test_line_numbers_are_the_file_lines_with_a_multi_line_cell() -> None:
    numbers, rows, _ = read_all(fixture("achats_complet.csv"))
    assert numbers == [2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13]
    assert rows[7]["description"] == "Comté AOP 18 mois\naffiné en cave"
    assert rows[8]["description"] == "Jambon cuit supérieur"


def test_blank_lines_are_skipped_but_counted_for_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "blancs.csv"
    path.write_text("\n\n" + ",".join(NATIONAL) + "\n"
                    "19290012400012,Carottes,Ferme de Kerlaz,2024-01-10,12.00,FRUITS_ET_LEGUMES,,,,,,\n"
                    "\n,,,,,,,,,,,\n"
                    "19290012400012,Navets,Ferme de Kerlaz,2024-01-11,8.00,FRUITS_ET_LEGUMES,,,,,,\n",
                    encoding="utf-8")
    numbers, rows, _ = read_all(path)
    assert numbers == [4, 7] and rows[1]["description"] == "Navets"


def test_header_names_are_trimmed_case_insensitive_bom_removed_and_unknown_columns_warned() -> None:
    _, rows, warnings = read_all(fixture("achats_tabulation.csv"))
    assert rows[0]["fournisseur"] == "Légumerie d'Armor" and rows[0]["description"] == "Haricots verts extra-fins"
    assert rows[0]["siret"] == "20005372600010"  # the BOM is not part of the first column's name
    assert warnings == ["colonnes ignorées : commentaire"]


def test_windows_1252_is_read_with_a_warning() -> None:
    _, rows, warnings = read_all(fixture("achats_cp1252.csv"))
    assert rows[0]["description"] == "Pâté de campagne" and rows[1]["fournisseur"] == "Vergers du Loiret"
    assert warnings == ["fichier lu en Windows-1252 (il n'est pas en UTF-8) : vérifiez les accents"]


def test_xlsx_first_sheet_sheet_rows_and_typed_cells(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "achats.xlsx", [
        ["SIRET ", "description", "fournisseur", "date", "prix_ht", "famille_produits", "categories_egalim"],
        [19290012400012, "Carottes", "Ferme de Kerlaz", dt.datetime(2024, 1, 10), 12.5, "FRUITS_ET_LEGUMES", None],
        [None, None, None, None, None, None, None],
        ["19290012400012", "Navets", "Ferme de Kerlaz", "2024-01-11", 8, "FRUITS_ET_LEGUMES", "BIO"],
        [None, None, None, None, None, None, None],
        [None, "  ", None, None, None, None, None],
    ], extra_sheet=True)
    with open_table(path) as table:
        assert (table.format, table.separator, table.encoding) == ("xlsx", None, None)
        assert table.header[0] == "siret"
        rows = list(table.rows)
    assert [r.line_no for r in rows] == [2, 4]
    assert rows[0].cells["siret"] == 19290012400012 and rows[0].cells["date"] == dt.datetime(2024, 1, 10)
    assert rows[0].cells["prix_ht"] == 12.5 and rows[1].cells["categories_egalim"] == "BIO"
    assert rows[0].raw == "19290012400012\tCarottes\tFerme de Kerlaz\t2024-01-10\t12.5\tFRUITS_ET_LEGUMES\t"


def test_missing_required_column_is_a_file_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "sans_prix.csv"
    path.write_text("siret;description;fournisseur;date;famille_produits;categories_egalim\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_all(path)
    assert caught.value.message == (
        f"{path} : colonne obligatoire absente : prix_ht (colonnes lues : siret, description, fournisseur, date, "
        "famille_produits, categories_egalim)")


def test_duplicate_column(tmp_path: Path) -> None:
    path = tmp_path / "double.csv"
    path.write_text("siret,prix_ht,Prix_HT\n", encoding="utf-8")
    with pytest.raises(InputError, match="colonne prix_ht en double"):
        read_all(path)


@pytest.mark.parametrize(("content", "message"), [
    (b"", "fichier vide"),
    (b"\xef\xbb\xbf\r\n  \n", "fichier vide"),
    (b"siret,description\x00\x01\x02", "fichier binaire, ni CSV ni XLSX"),
    (b"%PDF-1.7\n...", "fichier binaire, ni CSV ni XLSX"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "classeur Excel 97-2003 (.xls) non pris en charge"),
])
def test_unreadable_files_name_the_file(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "achats.csv"
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        open_table(path)
    assert caught.value.message.startswith(f"{path} : {message}")


def test_a_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "achats.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("achats.csv", "siret\n")
    with pytest.raises(InputError, match=r"achats\.xlsx : ni CSV ni classeur XLSX lisible"):
        open_table(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"absent\.csv : lecture impossible"):
        open_table(tmp_path / "absent.csv")


def test_unterminated_quote_stops_with_the_line(tmp_path: Path) -> None:
    path = tmp_path / "guillemet.csv"
    path.write_text(",".join(NATIONAL) + "\n"
                    "19290012400012,Carottes,Ferme,2024-01-10,12.00,FRUITS_ET_LEGUMES,,,,,,\n"
                    '19290012400012,"Navets,Ferme,2024-01-11,8.00,FRUITS_ET_LEGUMES,,,,,,\n'
                    + "x" * (200 * 1024) + "\n", encoding="utf-8")
    with open_table(path) as table, pytest.raises(InputError) as caught:
        list(table.rows)
    assert caught.value.message.startswith(f"{path} : CSV illisible à la ligne 3")


def test_xlsx_cells_without_a_column_name_are_ignored_with_a_warning(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "achats.xlsx", [
        NATIONAL,
        ["19290012400012", "Carottes", "Ferme de Kerlaz", "2024-01-10", 12, "FRUITS_ET_LEGUMES"] + [None] * 7,
        ["19290012400012", "Navets", "Ferme de Kerlaz", "2024-01-11", 8, "FRUITS_ET_LEGUMES"] + [None] * 6
        + ["livré en retard"],
    ])
    numbers, rows, warnings = read_all(path)
    assert numbers == [2, 3] and "" not in rows[1]
    assert warnings == ["cellules hors des colonnes nommées ignorées (la première à la ligne 3)"]
