"""Each column's rule of the national purchase format: accepted values and the reason a refused one gets."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from spaser.indicators.egalim import cells
from spaser.indicators.egalim.cells import BadCell, Cell


def reason(parse: object, cell: Cell) -> str:
    with pytest.raises(BadCell) as caught:
        parse(cell)  # type: ignore[operator]
    return caught.value.reason


@pytest.mark.parametrize(("cell", "expected"), [
    ("19290012400012", "19290012400012"),
    ("192 900 124 00012", "19290012400012"),
    (" 214 502 692 00012 ", "21450269200012"),
    ("192\u00a0900\u202f124 00012", "19290012400012"),
    (19290012400012, "19290012400012"),
    (19290012400012.0, "19290012400012"),
    ("35600000000048", "35600000000048"),  # La Poste's head office (Luhn)
])
def test_siret_accepted(cell: Cell, expected: str) -> None:
    assert cells.parse_siret(cell) == expected


@pytest.mark.parametrize(("cell", "expected"), [
    ("19290012400013", "n'est pas un SIRET valide (clé de contrôle fausse)"),
    ("00000000000000", "n'est pas un SIRET valide (clé de contrôle fausse)"),
    ("1929001240001", "n'est pas un SIRET (14 chiffres)"),
    ("192900124000120", "n'est pas un SIRET (14 chiffres)"),
    ("1929001240001A", "n'est pas un SIRET (14 chiffres)"),
    ("19290012400012.5", "n'est pas un SIRET (14 chiffres)"),
    (1.5, "n'est pas un SIRET (14 chiffres)"),
    (True, "n'est pas un SIRET (14 chiffres)"),
    ("", "valeur manquante (obligatoire)"),
    (None, "valeur manquante (obligatoire)"),
])
def test_siret_refused(cell: Cell, expected: str) -> None:
    assert reason(cells.parse_siret, cell) == expected


@pytest.mark.parametrize(("cell", "expected"), [
    ("2024-03-05", dt.date(2024, 3, 5)),
    (" 2024-03-05 ", dt.date(2024, 3, 5)),
    ("05/03/2024", dt.date(2024, 3, 5)),
    ("5/3/2024", dt.date(2024, 3, 5)),
    ("2024-03-05 00:00:00", dt.date(2024, 3, 5)),
    ("2024-03-05T10:30", dt.date(2024, 3, 5)),
    (dt.date(2024, 3, 5), dt.date(2024, 3, 5)),
    (dt.datetime(2024, 3, 5, 0, 0), dt.date(2024, 3, 5)),
])
def test_date_accepted(cell: Cell, expected: dt.date) -> None:
    assert cells.parse_date(cell) == expected


@pytest.mark.parametrize(("cell", "expected"), [
    ("2024-02-30", "n'est pas une date valide"),
    ("31/04/2024", "n'est pas une date valide"),
    ("05-03-2024", "n'est pas une date (AAAA-MM-JJ ou JJ/MM/AAAA)"),
    ("2024/03/05", "n'est pas une date (AAAA-MM-JJ ou JJ/MM/AAAA)"),
    ("mars 2024", "n'est pas une date (AAAA-MM-JJ ou JJ/MM/AAAA)"),
    (45356, "n'est pas une date (AAAA-MM-JJ ou JJ/MM/AAAA)"),  # a serial number without a date format
    ("0224-03-05", "a une année hors de 2000–2099"),
    ("", "valeur manquante (obligatoire)"),
])
def test_date_refused(cell: Cell, expected: str) -> None:
    assert reason(cells.parse_date, cell) == expected


@pytest.mark.parametrize(("cell", "expected"), [
    ("12.5", Decimal("12.50")),
    ("12,5", Decimal("12.50")),
    ("0", Decimal("0.00")),
    ("1 234,56", Decimal("1234.56")),
    ("1\u202f234,56", Decimal("1234.56")),
    ("1\u00a0234.56", Decimal("1234.56")),
    ("  99.99 ", Decimal("99.99")),
    ("+3", Decimal("3.00")),
    ("-0", Decimal("0.00")),
    (12, Decimal("12.00")),
    (12.35, Decimal("12.35")),
    (0.5, Decimal("0.50")),
    (1e11, Decimal("100000000000.00")),
    (Decimal("7.1"), Decimal("7.10")),
    ("999999999999.99", Decimal("999999999999.99")),
])
def test_amount_accepted(cell: Cell, expected: Decimal) -> None:
    value = cells.parse_amount(cell)
    assert value == expected and value.as_tuple().exponent == -2


@pytest.mark.parametrize(("cell", "expected"), [
    ("12,345", "n'est pas un montant (2 décimales au plus)"),
    ("1,000", "n'est pas un montant (2 décimales au plus)"),
    (12.345, "n'est pas un montant (2 décimales au plus)"),
    (0.1 + 0.2, "n'est pas un montant (2 décimales au plus)"),  # a spreadsheet formula's float noise
    ("-15,00", "n'est pas un montant positif ou nul"),
    ("1.234,56", "n'est pas un montant"),
    ("12 €", "n'est pas un montant"),
    ("douze", "n'est pas un montant"),
    ("1e3", "n'est pas un montant"),
    (float("nan"), "n'est pas un montant"),
    (True, "n'est pas un montant"),
    ("1000000000000", "est un montant trop grand"),
    ("", "valeur manquante (obligatoire)"),
])
def test_amount_refused(cell: Cell, expected: str) -> None:
    assert reason(cells.parse_amount, cell) == expected


def test_family_any_case_and_refused() -> None:
    assert cells.parse_family(" produits_laitiers ") == "PRODUITS_LAITIERS"
    assert reason(cells.parse_family, "LEGUMINEUSES").startswith("n'est pas une famille de produits (VIANDES_VOLAILLES")
    assert reason(cells.parse_family, " ") == "valeur manquante (obligatoire)"


def test_categories_order_duplicates_and_unknown() -> None:
    assert cells.parse_categories("label_rouge, BIO , bio") == ("BIO", "LABEL_ROUGE")
    assert cells.parse_categories("PERFORMANCE,EXTERNALITES,HVE,STG") == ("STG", "HVE", "EXTERNALITES", "PERFORMANCE")
    assert cells.parse_categories("") == cells.parse_categories(None) == cells.parse_categories(" , ") == ()
    assert reason(cells.parse_categories, "BIO,VEGAN").startswith("contient un code inconnu : VEGAN (BIO, ")
    assert reason(cells.parse_categories, "VEGAN,FRANCE").startswith("contient des codes inconnus : VEGAN, FRANCE (")


def test_origin() -> None:
    assert cells.parse_origin("france") == "FRANCE" and cells.parse_origin(" EUROPE ") == "EUROPE"
    assert cells.parse_origin("") is None and cells.parse_origin(None) is None
    assert reason(cells.parse_origin, "ASIE") == "n'est pas une origine (FRANCE, EUROPE ou vide)"


@pytest.mark.parametrize("cell", ["OUI", "oui", "Oui", "x", "X", "true", "TRUE", "1", " OUI ", True, 1, 1.0])
def test_bool_true(cell: Cell) -> None:
    assert cells.parse_bool(cell) is True


@pytest.mark.parametrize("cell", ["non", "NON", "", "false", "0", None, "  ", False, 0])
def test_bool_false(cell: Cell) -> None:
    assert cells.parse_bool(cell) is False


@pytest.mark.parametrize("cell", ["peut-être", "2", "yes", 2])
def test_bool_refused(cell: Cell) -> None:
    assert reason(cells.parse_bool, cell) == "n'est pas oui ou non (OUI, x, 1 / NON, 0 ou vide)"


def test_local_definition_and_km() -> None:
    assert cells.parse_local_definition("autour_service") == "AUTOUR_SERVICE"
    assert cells.parse_local_definition("") is None
    assert reason(cells.parse_local_definition, "CANTON").startswith(
        "n'est pas une définition du local (AUTOUR_SERVICE")
    assert cells.parse_km("50") == 50 and cells.parse_km(30) == 30 and cells.parse_km(30.0) == 30
    assert cells.parse_km("") is None and cells.parse_km(None) is None
    for bad in ("-3", "0", "12.5", "50 km", 12.5, True):
        assert reason(cells.parse_km, bad) == "n'est pas un nombre entier de kilomètres strictement positif"


def test_text_is_trimmed_cleaned_and_bounded() -> None:
    assert cells.parse_text("  Yaourt\x00 nature ", 50) == "Yaourt nature"
    assert cells.parse_text("Comté\r\naffiné", 50) == "Comté\naffiné"
    assert reason(lambda c: cells.parse_text(c, 5), "Carottes") == "est trop long (8 caractères, 5 au plus)"
    assert reason(lambda c: cells.parse_text(c, 5), " ") == "valeur manquante (obligatoire)"
    assert cells.parse_text("", 5, required=False) is None


def test_text_of_cells() -> None:
    assert cells.text_of(None) == "" and cells.text_of(True) == "OUI" and cells.text_of(12.5) == "12.5"
    assert cells.text_of(30.0) == "30" and cells.text_of(dt.datetime(2024, 3, 5)) == "2024-03-05"
    assert cells.text_of(dt.datetime(2024, 3, 5, 10, 30)) == "2024-03-05 10:30:00"
