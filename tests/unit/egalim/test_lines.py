"""A purchase row to a clean line or its errors: messages naming line, column and value; the older
``caracteristiques`` column; the cross-column rules of local purchases."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from spaser.indicators.egalim.cells import EXTRA_CELLS, Cell, LineError
from spaser.indicators.egalim.lines import PurchaseLine, parse_line

SIRET = "19290012400012"


def row(**cells: Cell) -> dict[str, Cell]:
    base: dict[str, Cell] = {
        "siret": SIRET, "description": "Filet de poulet", "fournisseur": "Volailles de Cornouaille",
        "date": "2024-01-08", "prix_ht": "125,40", "famille_produits": "VIANDES_VOLAILLES",
        "categories_egalim": "", "origine": "", "est_circuit_court": "", "est_local": "", "definition_local": "",
        "definition_local_km": "",
    }
    base.update(cells)
    return base


def ok(line_no: int, cells: dict[str, Cell]) -> PurchaseLine:
    parsed = parse_line(line_no, cells)
    assert isinstance(parsed, PurchaseLine), parsed
    return parsed


def errors(line_no: int, cells: dict[str, Cell]) -> list[str]:
    parsed = parse_line(line_no, cells)
    assert isinstance(parsed, list), parsed
    return [e.message for e in parsed]


def test_a_full_line() -> None:
    line = ok(2, row(categories_egalim="label_rouge, BIO, bio", origine="france", est_circuit_court="x",
                     est_local="OUI", definition_local="autour_service", definition_local_km="50",
                     code_article=" VL-12 "))
    assert line == PurchaseLine(2, SIRET, "Filet de poulet", "Volailles de Cornouaille", dt.date(2024, 1, 8),
                                Decimal("125.40"), "VIANDES_VOLAILLES", ("BIO", "LABEL_ROUGE"), "FRANCE", True, True,
                                "AUTOUR_SERVICE", 50, "VL-12")
    assert line.groupe_egalim == "BIO" and line.year == 2024


def test_groups_follow_priority() -> None:
    assert ok(2, row(categories_egalim="PERFORMANCE,AOCAOP")).groupe_egalim == "SIQO"
    assert ok(2, row(categories_egalim="EXTERNALITES,FERMIER")).groupe_egalim == "EGALIM_AUTRES"
    assert ok(2, row(categories_egalim="EQUIVALENTS")).groupe_egalim == "EXTERNALITES_PERFORMANCE"
    assert ok(2, row()).groupe_egalim == "NON_EGALIM"


def test_the_message_names_line_column_and_value() -> None:
    assert errors(12, row(prix_ht="12,345")) == [
        "ligne 12, colonne prix_ht : « 12,345 » n'est pas un montant (2 décimales au plus)"]
    assert errors(3, row(description="  ")) == ["ligne 3, colonne description : valeur manquante (obligatoire)"]
    assert LineError(4, "siret", "", "valeur manquante (obligatoire)").message == (
        "ligne 4, colonne siret : valeur manquante (obligatoire)")


def test_every_error_of_a_row_is_reported() -> None:
    found = errors(7, row(siret="19290012400013", date="2024-02-30", famille_produits="", categories_egalim="VEGAN",
                          origine="ASIE", est_local="peut-être"))
    assert found == [
        "ligne 7, colonne siret : « 19290012400013 » n'est pas un SIRET valide (clé de contrôle fausse)",
        "ligne 7, colonne date : « 2024-02-30 » n'est pas une date valide",
        "ligne 7, colonne famille_produits : valeur manquante (obligatoire)",
        found[3],
        "ligne 7, colonne origine : « ASIE » n'est pas une origine (FRANCE, EUROPE ou vide)",
        "ligne 7, colonne est_local : « peut-être » n'est pas oui ou non (OUI, x, 1 / NON, 0 ou vide)",
    ]
    assert found[3].startswith("ligne 7, colonne categories_egalim : « VEGAN » contient un code inconnu : VEGAN")


def test_missing_optional_columns_read_as_empty() -> None:
    cells = row()
    for column in ("origine", "est_circuit_court", "est_local", "definition_local", "definition_local_km"):
        del cells[column]
    line = ok(2, cells)
    assert (line.origine, line.est_circuit_court, line.est_local, line.definition_local) == (None, False, False, None)


def test_local_needs_its_definition_and_around_needs_km() -> None:
    assert errors(5, row(est_local="oui")) == [
        "ligne 5, colonne definition_local : obligatoire quand est_local est OUI (AUTOUR_SERVICE, DEPARTEMENT, "
        "REGION, PAT, AUTRE)"]
    assert errors(6, row(est_local="1", definition_local="AUTOUR_SERVICE")) == [
        "ligne 6, colonne definition_local_km : obligatoire quand definition_local est AUTOUR_SERVICE (distance en km)"]
    assert errors(6, row(est_local="1", definition_local="AUTOUR_SERVICE", definition_local_km="-3")) == [
        "ligne 6, colonne definition_local_km : « -3 » n'est pas un nombre entier de kilomètres strictement positif"]
    # a definition without est_local is kept as stated (the national tool keeps it too)
    line = ok(2, row(definition_local="REGION"))
    assert line.definition_local == "REGION" and not line.est_local


def test_cells_beyond_the_header_refuse_the_line() -> None:
    assert errors(16, {**row(), EXTRA_CELLS: "en trop"}) == [
        "ligne 16, colonne (au-delà de l'en-tête) : « en trop » est dans une colonne sans nom : un séparateur dans "
        "une valeur sans guillemets ?"]


def test_xlsx_cells() -> None:
    line = ok(3, row(siret=19290012400012, date=dt.datetime(2024, 1, 8), prix_ht=125.4, est_local=True,
                     definition_local="DEPARTEMENT", definition_local_km=None))
    assert (line.siret, line.date, line.prix_ht, line.est_local) == (SIRET, dt.date(2024, 1, 8), Decimal("125.40"),
                                                                    True)


def legacy(codes: str, **cells: Cell) -> dict[str, Cell]:
    values = row(**cells)
    del values["categories_egalim"]
    values["caracteristiques"] = codes
    return values


def test_older_caracteristiques_column() -> None:
    line = ok(2, legacy("LABEL_ROUGE, france, BIO"))
    assert (line.categories_egalim, line.origine) == (("BIO", "LABEL_ROUGE"), "FRANCE")
    line = ok(2, legacy("HVE,LOCAL,CIRCUIT_COURT,EUROPE", definition_local="DEPARTEMENT"))
    assert (line.categories_egalim, line.origine, line.est_local, line.est_circuit_court) == (
        ("HVE",), "EUROPE", True, True)
    assert ok(2, legacy("SHORT_DISTRIBUTION")).est_circuit_court
    assert ok(2, legacy("")).categories_egalim == ()
    # with both columns, the codes add up
    assert ok(2, {**legacy("IGP"), "categories_egalim": "BIO"}).categories_egalim == ("BIO", "IGP")


def test_older_column_errors() -> None:
    assert errors(4, legacy("EUROPE,FRANCE")) == [
        "ligne 4, colonne caracteristiques : « EUROPE,FRANCE » contient deux origines (FRANCE et EUROPE)"]
    found = errors(5, legacy("COMMERCE_EQUITABLE,VEGAN"))
    assert len(found) == 1 and found[0].startswith(
        "ligne 5, colonne caracteristiques : « COMMERCE_EQUITABLE,VEGAN » contient un code inconnu : VEGAN (BIO")
    assert errors(6, legacy("FRANCE", origine="EUROPE")) == [
        "ligne 6, colonne caracteristiques : « FRANCE » contredit la colonne origine (« EUROPE »)"]
    assert errors(6, legacy("CIRCUIT_COURT", est_circuit_court="non")) == [
        "ligne 6, colonne caracteristiques : « CIRCUIT_COURT » contredit la colonne est_circuit_court (« non »)"]
    # LOCAL makes the line local: its definition is then required, as for any local line
    assert errors(7, legacy("LOCAL")) == [
        "ligne 7, colonne definition_local : obligatoire quand est_local est OUI (AUTOUR_SERVICE, DEPARTEMENT, "
        "REGION, PAT, AUTRE)"]
    # agreeing statements are fine
    assert ok(2, legacy("FRANCE,LOCAL", origine="france", est_local="x", definition_local="PAT")).est_local
