"""Reading SIRENE stock files: format and header detection, the read_csv call, the header checks."""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

import duckdb
import pytest

from spaser.errors import InputError
from spaser.reference.sirene import ETABLISSEMENTS, UNITES, check_stock
from spaser.reference.sirene_input import csv_source, inspect_stock, read_csv_sql

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sirene"
ETAB_CSV = FIXTURES / "StockEtablissement_utf8.csv"
UNITES_CSV = FIXTURES / "StockUniteLegale_utf8.csv"


def test_the_fixture_has_insee_headers() -> None:
    etab = inspect_stock(ETAB_CSV)
    unites = inspect_stock(UNITES_CSV)
    assert (etab.kind, etab.delimiter, len(etab.header), etab.size) == ("csv", ",", 53, ETAB_CSV.stat().st_size)
    assert etab.header[:3] == ("siren", "nic", "siret") and etab.header[-1] == "caractereEmployeurEtablissement"
    assert len(unites.header) == 34 and unites.header[0] == "siren"
    assert set(ETABLISSEMENTS.columns) <= set(etab.header) and set(UNITES.columns) <= set(unites.header)


def test_a_zip_is_read_through_its_one_csv_member(tmp_path: Path) -> None:
    path = tmp_path / "StockEtablissement_utf8.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("__MACOSX/._StockEtablissement_utf8.csv", b"\x00\x05")
        archive.writestr("docs/", b"")
        archive.write(ETAB_CSV, "StockEtablissement_utf8.csv")
    stock = inspect_stock(path)
    assert (stock.kind, stock.member, stock.size) == ("zip", "StockEtablissement_utf8.csv", ETAB_CSV.stat().st_size)
    assert stock.header == inspect_stock(ETAB_CSV).header


def test_a_zip_whose_only_member_has_no_csv_extension(tmp_path: Path) -> None:
    path = tmp_path / "stock.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.write(UNITES_CSV, "StockUniteLegale")
    assert inspect_stock(path).member == "StockUniteLegale"


def test_gzip_bom_and_semicolons(tmp_path: Path) -> None:
    path = tmp_path / "etab.csv.gz"
    text = ETAB_CSV.read_text(encoding="utf-8").splitlines()[0].replace(",", ";")
    path.write_bytes(gzip.compress(("\ufeff" + text + "\r\n").encode()))
    stock = inspect_stock(path)
    assert (stock.kind, stock.delimiter, stock.header[0], stock.header[-1]) == (
        "gzip", ";", "siren", "caractereEmployeurEtablissement")


def test_read_csv_sql_survives_odd_header_names(tmp_path: Path) -> None:
    """Quotes in names, an empty name and a repeated one (a hand-edited file) still give a valid read_csv."""
    path = tmp_path / "odd's.csv"
    path.write_text('siret,"l\'adresse",,siret\n12345678900011,a,b,c\n', encoding="utf-8")
    stock = inspect_stock(path)
    with csv_source(stock) as source:
        row = duckdb.connect().execute(f"SELECT siret, \"l'adresse\" FROM {read_csv_sql(source, stock)}").fetchall()
    assert row == [("12345678900011", "a")]


def test_check_stock_names_the_missing_columns(tmp_path: Path) -> None:
    path = tmp_path / "unites.csv"
    path.write_text("siren,denominationUniteLegale,etatAdministratifUniteLegale\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"unites\.csv: SIRENE unités légales stock \(StockUniteLegale\) without the "
                                         r"column\(s\) categorieEntreprise, economieSocialeSolidaireUniteLegale, "
                                         r"activitePrincipaleUniteLegale$"):
        check_stock(path, UNITES)
    assert check_stock(UNITES_CSV, UNITES).header[0] == "siren"


def test_a_binary_file_is_not_a_stock(tmp_path: Path) -> None:
    path = tmp_path / "StockEtablissement_utf8.parquet"
    path.write_bytes(b"PAR1\xff\xfe\x00\x01" * 8 + b"\n")
    with pytest.raises(InputError, match=r"\.parquet: not a SIRENE stock file: its first line is not UTF-8 text"):
        check_stock(path, ETABLISSEMENTS)
