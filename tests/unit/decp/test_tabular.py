"""Tabular sources (spaser.decp.tabular_*): mapping validation, CSV/XLSX reading, rows → DECP-shaped records.

The records are checked before normalisation (what the mapping builds) and, for the cleaning rules a table
triggers, after ``normalise`` (the flags a JSON record would get)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from spaser.decp.normalise import Normalised, RecordContext, normalise
from spaser.decp.sources import InputFile, expand, inspect, sniff
from spaser.decp.tabular_mapping import FIELDS, available_mappings, load_mapping, parse_mapping
from spaser.decp.tabular_read import sniff_separator
from spaser.decp.tabular_records import TabularLayoutError, TabularRecord, check_tabular, read_records
from spaser.errors import InputError, NotDecpDocumentError
from tests.conftest import ROOT, shared

FIXTURE = ROOT / "tests" / "fixtures" / "tabular" / "decp-info_sample.csv"
MINEF_2022 = "decp/real/tabular/minef_decp-augmente_valides_2022_sample.csv"
MINEF_2019 = "decp/real/tabular/minef_decp-augmente_valides_2019_sample.csv"
HEADER = "uid;id;acheteur;titulaire;montant;date\n"
GROUPED = {"name": "t", "grain": "contract_titulaire", "key": ["uid"],
           "columns": {"uid": "uid", "id": "id", "acheteur.id": "acheteur", "titulaires[].id": "titulaire",
                       "montant": "montant", "dateNotification": "date"}}


def mapping(data: dict[str, Any]) -> Any:
    return parse_mapping(data, Path("test.toml"))


def records(text: str | bytes, data: dict[str, Any] | None = None, syntax: str = "csv") -> list[TabularRecord]:
    raw = text.encode("utf-8") if isinstance(text, str) else text
    return list(read_records(io.BytesIO(raw), syntax, "t.csv", mapping(data or GROUPED), {}))


def read_path(path: Path, spec: Any, syntax: str = "csv") -> list[TabularRecord]:
    with path.open("rb") as handle:
        return list(read_records(handle, syntax, str(path), load_mapping(spec) if isinstance(spec, str) else spec, {}))


def normalised(rec: TabularRecord) -> Normalised:
    ctx = RecordContext("u:1", rec.index, "s", "t.csv", "sha", rec.container, False, dt.date(2026, 11, 22))
    out = normalise(rec.value, ctx)
    assert isinstance(out, Normalised)
    return out


# --- mappings -----------------------------------------------------------------------------------------------

def test_shipped_mappings_load_and_are_named_after_their_file() -> None:
    assert available_mappings() == ["decp-augmente", "decp-info", "nice-atexo"]
    for name in available_mappings():
        assert load_mapping(name).name == name
    assert load_mapping(ROOT / "src" / "spaser" / "decp" / "mappings" / "decp-info.toml").grain == "contract_titulaire"


@pytest.mark.parametrize(("change", "message"), [
    ({"columns": {"montantt": "m"}}, "columns 'montantt': unknown field"),
    ({"columns": {"titulaires.id": "t"}}, "titulaires is a list: write titulaires[]"),
    ({"columns": {"acheteur[].id": "t"}}, "acheteur is not a list"),
    ({"columns": {"titulaires[0].id": "t"}}, "numbered from 1"),
    ({"columns": {"titulaires[].id": "a", "titulaires[2].typeIdentifiant": "b"}}, "both by [] and by numbered"),
    ({"columns": {"extra.montant": "m"}}, "would be read as the DECP field"),
    ({"columns": {"id": 3}}, "a column name or a list of column names"),
    ({"columns": {}}, "the columns table is missing"),
    ({"colums": {}}, "unknown key(s) colums"),
    ({"grain": "row"}, "grain 'row' must be one of"),
    ({"grain": "contract_titulaire"}, "needs 'key'"),
    ({"separator": "#"}, "separator '#'"),
    ({"encoding": "latin-9"}, "encoding 'latin-9'"),
    ({"header_row": 0}, "header_row 0"),
    ({"constants": {"id": "x"}}, "also fed by a column"),
    ({"constants": {"lieuExecution.typeCode": "Code postal"}}, "no column feeds lieuExecution"),
    ({"constants": {"nature": ["Marché"]}}, "must be a string, a number or a boolean"),
    ({"values": {"procedure": {"MAPA": "Procédure adaptée"}}}, "values 'procedure': no column feeds"),
    ({"optional": ["objet"]}, "'optional' names field(s) that no column feeds: objet"),
])
def test_a_bad_mapping_names_the_mapping_the_file_and_the_problem(change: dict[str, Any], message: str) -> None:
    data: dict[str, Any] = {"name": "mine", "columns": {"id": "id"}, **change}
    with pytest.raises(InputError) as info:
        mapping(data)
    assert message in info.value.message and "mapping 'mine' (test.toml)" in info.value.message


def test_unknown_mapping_name_or_file() -> None:
    with pytest.raises(InputError, match=r"unknown mapping 'decp'.*decp-augmente, decp-info, nice-atexo"):
        load_mapping("decp")
    with pytest.raises(InputError, match=r"mapping file nowhere/m\.toml not found"):
        load_mapping("nowhere/m.toml")


def test_a_mapping_file_that_is_not_toml(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[columns\nid = 'id'\n", encoding="utf-8")
    with pytest.raises(InputError, match=f"mapping {path}: not a valid TOML file"):
        load_mapping(path)


def test_every_field_a_mapping_may_feed_is_understood_by_the_normaliser() -> None:
    from spaser.decp.shapes import KNOWN_KEYS

    assert {f.split(".")[0].removesuffix("[]") for f in FIELDS} <= KNOWN_KEYS


# --- reading ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("separator", [",", ";", "\t", "|"])
def test_separator_is_sniffed_from_the_header(separator: str) -> None:
    assert sniff_separator(separator.join(["uid", '"a,b;c|d"', "id"])) == separator
    text = (HEADER + "U1;X1;21350238800019;55204599900869;\"14 700,00\";15/03/2024\n").replace(";", separator)
    (rec,) = records(text)
    assert rec.value is not None and rec.value["acheteur"] == {"id": "21350238800019"}
    assert rec.value["montant"] == "14 700,00"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_utf8_with_or_without_bom_and_cp1252_read_the_same(encoding: str) -> None:
    text = HEADER + "U1;X1;21350238800019;55204599900869;1;15/03/2024\r\n".replace("X1", "Lot É œ’")
    (rec,) = records(text.encode(encoding))
    assert rec.value is not None and rec.value["id"] == "Lot É œ’" and rec.value["uid"] == "U1"


def test_french_amount_stays_text_for_its_rule_plain_numbers_are_numbers() -> None:
    """Fixture line 2 (decp-info layout): "14 700,00" and 15/03/2024, flagged by the general rules."""
    rec = read_path(FIXTURE, "decp-info")[0]
    assert rec.index == 2 and rec.container == "marche"
    assert rec.value is not None
    assert rec.value["montant"] == "14 700,00" and rec.value["dureeMois"] == 12 and rec.value["offresRecues"] == 3
    row = normalised(rec).record
    assert row["montant"] == 14700.0 and row["date_notification"] == dt.date(2024, 3, 15)
    assert {"montant:texte", "dateNotification:format"} <= set(row["quality_flags"])
    assert "dureeMois:texte" not in row["quality_flags"]  # a CSV has no types: a plain number is not a defect


def test_rows_of_one_contract_are_grouped_and_a_later_repeat_is_its_own_record() -> None:
    recs = records(HEADER
                   + "U1;X1;21350238800019;55204599900869;100;2024-01-02\n"
                   + "U1;X1;21350238800019;44306184100047;100;2024-01-02\n"
                   + "U2;X2;21350238800019;44306184100047;200;2024-01-02\n"
                   + "U1;X1;21350238800019;38012986643097;100;2024-01-02\n"
                   + "U1;X1;21350238800019;38012986643097;999;2024-01-02\n"
                   + ";X3;21350238800019;38012986643097;300;2024-01-02\n"
                   + ";X3;21350238800019;55204599900869;300;2024-01-02\n")
    assert [r.index for r in recs] == [2, 4, 5, 6, 7, 8]
    assert [len(r.value["titulaires"]) for r in recs if r.value] == [2, 1, 1, 1, 1, 1]
    assert recs[0].value is not None
    assert recs[0].value["titulaires"] == [{"id": "55204599900869"}, {"id": "44306184100047"}]
    assert recs[0].raw.decode().count("\n") == 1  # both source rows, as written
    # Line 6 has U1's key but another amount: not merged into line 5's record (no value is dropped).
    assert recs[3].value is not None and recs[3].value["montant"] == 999


def test_a_row_with_missing_cells_is_quarantined_with_its_text_and_blank_lines_are_not_records() -> None:
    recs = records(HEADER + "\n;;;;;\nU1;X1;21350238800019\nU2;X2;21350238800019;55204599900869;1;2024-01-02;;\n")
    assert [(r.index, r.reason) for r in recs] == [
        (4, "tableau:nombre_de_cellules (3 cellules pour 6 colonnes, line 4)"), (5, None)]
    assert recs[0].raw == b"U1;X1;21350238800019"


def test_a_quoted_cell_over_several_lines_keeps_line_numbers_and_text() -> None:
    recs = records(HEADER + 'U1;"X\n1";21350238800019;55204599900869;1;2024-01-02\n'
                   + "U2;X2;21350238800019;55204599900869;1;2024-01-02\n")
    assert [r.index for r in recs] == [2, 4]
    assert recs[0].value is not None and recs[0].value["id"] == "X\n1"
    assert recs[0].raw.decode() == 'U1;"X\n1";21350238800019;55204599900869;1;2024-01-02'


def test_header_row_constants_values_and_column_alternatives() -> None:
    data = {"name": "t", "header_row": 2, "missing_values": ["ND"],
            "columns": {"id": "num", "procedure": "proc", "titulaires[1].id": "t1", "titulaires[2].id": "t2",
                        "techniques": ["tech", "technique"], "extra.service": "service"},
            "constants": {"titulaires[].typeIdentifiant": "SIRET", "nature": "Marché"},
            "values": {"procedure": {"MAPA": "Procédure adaptée"}}}
    (rec,) = records("Export du 2025-01-06\nnum;proc;t1;t2;tech;technique;service\n"
                     "7;MAPA;55204599900869;ND;;Accord-cadre;voirie\n", data)
    assert rec.value == {"id": "7", "procedure": "Procédure adaptée", "titulaires": [
        {"id": "55204599900869", "typeIdentifiant": "SIRET"}], "techniques": "Accord-cadre",
        "service": "voirie", "nature": "Marché"}
    assert rec.index == 3
    assert normalised(rec).record["extra"] == '{"service":"voirie"}'


def test_a_concession_row_gets_the_concession_field_names() -> None:
    """Fixture line 5: ``type`` = "Concession" (decp-info layout)."""
    recs = read_path(FIXTURE, "decp-info")
    concession = next(r for r in recs if r.index == 5)
    assert concession.container == "contrat-concession" and concession.value is not None
    assert concession.value["_type"] == "Contrat de concession"
    assert {"autoriteConcedante", "valeurGlobale", "dateSignature", "concessionnaires"} <= set(concession.value)
    row = normalised(concession).record
    assert row["kind"] == "concession" and row["montant"] == 3_400_000.0
    assert row["date_notification"] == dt.date(2024, 7, 1)


def test_minef_placeholders_are_empty_cells_and_python_lists_are_flagged() -> None:
    """MINEF decp-augmenté 2022 sample, id 202404: titulaire_id_2 "CDL", attributionAvance "MQ",
    considerationsSociales "['Pas de considération sociale']", montant "45155.0"."""
    recs = read_path(shared(MINEF_2022), "decp-augmente")
    rec = next(r for r in recs if r.value and r.value["id"] == "202404")
    assert rec.value is not None
    assert rec.value["titulaires"] == [{"id": "35043845300028", "typeIdentifiant": "SIRET"}]
    assert "attributionAvance" not in rec.value and "modifications" not in rec.value
    assert rec.value["montant"] == 45155.0 and rec.value["source"] == "data.gouv.fr_pes"
    row = normalised(rec).record
    assert row["considerations_sociales"] == ["Pas de considération sociale"]
    assert "considerationSociale:liste_texte" in row["quality_flags"]
    assert not any(f.startswith("montant:") for f in row["quality_flags"])


def test_minef_2019_variant_reads_its_modification_and_three_titulaires() -> None:
    """MINEF decp-augmenté 2019 sample: id 2020007901 (one modification), id 2020CP007F00302 (3 titulaires)."""
    recs = {r.value["id"]: r for r in read_path(shared(MINEF_2019), "decp-augmente") if r.value}
    modified = normalised(recs["2020007901"])
    assert modified.record["montant_initial"] == 39839.99 and modified.record["montant"] == 45579.37
    assert [m["objet_modification"] for m in modified.modifications] == ["AVENANT 1"]
    grouped = normalised(recs["2020CP007F00302"])
    assert [t["denomination_sociale"] for t in grouped.titulaires] == [
        "TRANSPORTS BIZIA MAITE", "CHALOSSE TRANSPORT", "WETTERWALD TRANSPORT TOURISME"]


# --- XLSX and sniffing ---------------------------------------------------------------------------------------

def workbook(path: Path, rows: list[list[Any]], sheet: str = "Feuil1") -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.title = sheet
    for row in rows:
        ws.append(row)
    book.save(path)
    return path


def test_xlsx_rows_keep_their_cell_types_and_sheet_row_numbers(tmp_path: Path) -> None:
    path = workbook(tmp_path / "export.xlsx", [
        ["uid", "id", "acheteur", "titulaire", "montant", "date"],
        ["U1", "X1", 21350238800019, "55204599900869", 14700.5, dt.datetime(2024, 3, 15)],
        [None] * 6,
        ["U2", "X2", "21350238800019", "55204599900869", "14 700,00", "15/03/2024"],
    ])
    (source,) = list(expand([path]))
    assert isinstance(source, InputFile) and inspect(source).syntax == "xlsx"
    recs = read_path(path, mapping(GROUPED), "xlsx")
    assert [r.index for r in recs] == [2, 4]
    assert recs[0].value is not None and recs[0].value["montant"] == 14700.5
    assert recs[0].raw.decode() == "U1\tX1\t21350238800019\t55204599900869\t14700.5\t2024-03-15T00:00:00"
    row = normalised(recs[0]).record
    assert row["date_notification"] == dt.date(2024, 3, 15) and "acheteur:id_numerique" in row["quality_flags"]


def test_xlsx_sheet_is_chosen_by_name(tmp_path: Path) -> None:
    path = workbook(tmp_path / "export.xlsx", [["id"], ["X1"]], sheet="Marchés")
    source = inspect(InputFile(str(path), lambda: path.open("rb"), syntax="xlsx"))
    with pytest.raises(NotDecpDocumentError, match="no sheet 'Contrats' \\(sheets: Marchés\\)"):
        check_tabular(source, mapping({"name": "x", "sheet": "Contrats", "columns": {"id": "id"}}))
    (rec,) = read_path(path, mapping({"name": "x", "sheet": "Marchés", "columns": {"id": "id"}}), "xlsx")
    assert rec.value == {"id": "X1"}


def test_tabular_files_are_recognised() -> None:
    assert sniff("a/b.csv", b"uid,id\n") == "csv"
    assert sniff("b.tsv.gz", b"uid\tid\n") == "csv"
    assert sniff("z.zip!export.csv", b"\xef\xbb\xbfuid;id\n") == "csv"
    assert sniff("data.bin", b"PK\x03\x04....xl/workbook.xml") == "xlsx"
    with pytest.raises(NotDecpDocumentError):
        sniff("README.md", b"# title, with a comma\n")


def test_check_tabular_names_the_mapping_the_column_and_the_file(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("num;objet\n1;x\n", encoding="utf-8")
    source = inspect(InputFile(str(path), lambda: path.open("rb")))
    with pytest.raises(NotDecpDocumentError, match="tabular file, use --mapping NAME \\(available: decp-augmente"):
        check_tabular(source, None)
    with pytest.raises(TabularLayoutError) as info:
        check_tabular(source, load_mapping("nice-atexo"))
    message = info.value.message
    assert str(path) in message and "mapping 'nice-atexo'" in message and "column 'id_marche' (for id)" in message
    assert isinstance(info.value, InputError)


def test_the_documented_example_mapping_is_valid() -> None:
    doc = (ROOT / "docs" / "tabular.md").read_text(encoding="utf-8")
    example = doc.split("```toml\n", 1)[1].split("```", 1)[0]
    import tomllib

    parsed = mapping(tomllib.loads(example))
    assert parsed.name == "ville-exemple" and parsed.grain == "contract_titulaire" and parsed.header_row == 3
    (rec,) = records("Export\n\n" + ";".join([
        "N° marché", "SIRET acheteur", "Objet", "Type de contrat", "Procédure", "Code CPV", "Montant HT",
        "Date de notification", "Durée", "SIRET titulaire", "Raison sociale", "Service acheteur"]) + "\n"
        + "M1;21350238800019;Voirie;Marché;MAPA;45233140-2;14 700,00;15/03/2024;12;55204599900869;ÉTOILE;DVP\n",
        tomllib.loads(example))
    assert rec.value is not None and rec.value["procedure"] == "Procédure adaptée"
    assert rec.value["titulaires"] == [{"id": "55204599900869", "denominationSociale": "ÉTOILE",
                                        "typeIdentifiant": "SIRET"}]
    assert "lieuExecution" not in rec.value  # optional column absent: no place, and no constant alone
