"""Exports of the real shared files: regulatory DECP JSON (valid, complete, nothing invented), CSV, Parquet."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import frictionless
import jsonschema
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from spaser.cli import app
from spaser.config import Settings
from spaser.decp.export_decp import (
    FILE_2019,
    FILE_2022,
    ORDER_BY,
    PASSES,
    REJECTS,
    REPORT,
    DecpExportReport,
    export_decp,
    select_sql,
)
from spaser.decp.export_decp_records import LOSSLESS_ENUM_MAPS, build_2019, build_2022
from spaser.decp.export_decp_schemas import Validators, full_validator, load_schema, schema_reasons
from spaser.decp.export_tabular import LIST_COLUMNS, LIST_SEPARATOR, export_csv, export_parquet, table_schema
from spaser.warehouse.ingest import ingest
from spaser.warehouse.snapshot import open_current
from tests.conftest import DECP, REAL, TODAY, shared

pytestmark = pytest.mark.shared_data
SCHEMAS = DECP / "schemas"


def build(tmp: Path, *paths: Path) -> Settings:
    settings = Settings(data_dir=tmp / "data", ingest_workers=-1)
    ingest(list(paths), settings, today=TODAY)
    return settings


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, DecpExportReport, Path]:
    """Every real shared file and every official example, ingested and exported once."""
    shared("decp/real")
    shared("decp/schemas/v2.0.3/schema_decp_v2.0.3.json")
    tmp = tmp_path_factory.mktemp("export")
    settings = build(tmp, REAL, SCHEMAS / "examples")
    con = open_current(settings.warehouse_dir)
    try:
        report = export_decp(con, tmp / "out", SCHEMAS)
    finally:
        con.close()
    return settings, report, tmp / "out"


@pytest.fixture
def con(real: tuple[Settings, DecpExportReport, Path]) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = open_current(real[0].warehouse_dir)
    yield connection
    connection.close()


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def test_every_contract_is_written_or_rejected(real: tuple[Settings, DecpExportReport, Path],
                                               con: duckdb.DuckDBPyConnection) -> None:
    _, report, out = real
    ((contracts,),) = con.execute("SELECT count(*) FROM contracts").fetchall()
    assert report.contracts == contracts > 8000
    rejects = load(out / REJECTS)
    doc_2022, doc_2019 = load(out / FILE_2022)["marches"], load(out / FILE_2019)["marches"]
    written = len(doc_2022["marche"]) + len(doc_2022["contrat-concession"]) + len(doc_2019)
    assert written == report.written_total and len(rejects) == report.rejected_total
    assert written + len(rejects) == contracts
    assert len({r["record_uid"] for r in rejects}) == len(rejects)
    assert all(r["reasons"] and r["target"] in ("2019", "2022") for r in rejects)
    assert load(out / REPORT) == report.to_json() | {"duration_s": load(out / REPORT)["duration_s"]}
    # Figures of the shared files (2026-11): AIFE omits datePublicationDonnees in 4 113 of 4 530 records.
    assert report.written[FILE_2022]["marche"] >= 4 and report.written[FILE_2019]["marche"] > 4000
    assert report.reasons.most_common(1)[0][0] == "$.datePublicationDonnees: required"


def _fast_unique(validator: Any, unique: bool, instance: Any, schema: Any) -> Iterator[Any]:
    """``uniqueItems`` with hashing: jsonschema compares ~5 000 records pairwise (30 s); same semantics
    (JSON equality, 1 == 1.0, true != 1)."""
    def canon(value: Any) -> Any:
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, dict):
            return {k: canon(v) for k, v in value.items()}
        if isinstance(value, list):
            return [canon(v) for v in value]
        return value
    if unique and validator.is_type(instance, "array"):
        texts = [json.dumps(canon(item), sort_keys=True) for item in instance]
        if len(set(texts)) != len(texts):
            yield jsonschema.ValidationError("has non-unique elements")


def test_written_files_are_valid_against_the_full_official_schemas(
        real: tuple[Settings, DecpExportReport, Path]) -> None:
    out = real[2]
    errors_2022 = list(full_validator(SCHEMAS, "2022").iter_errors(load(out / FILE_2022)))
    assert errors_2022 == []
    plain = full_validator(SCHEMAS, "2019")
    fast = jsonschema.validators.extend(type(plain), {"uniqueItems": _fast_unique})(plain.schema)
    assert list(fast.iter_errors(load(out / FILE_2019))) == []


def test_inlined_references_validate_like_the_official_schema(con: duckdb.DuckDBPyConnection) -> None:
    """The export validates against the record definitions with their $refs inlined (2.4 times faster): same
    messages as the official schema resolved by reference, on every 3rd real contract built for both targets."""
    inlined = Validators.load(SCHEMAS)
    rows = con.sql(select_sql("TRUE")).to_arrow_table().to_pylist()[::3]
    compared = 0
    for target, build in (("2022", build_2022), ("2019", build_2019)):
        full = load_schema(SCHEMAS, target)
        cls = jsonschema.Draft7Validator if target == "2022" else jsonschema.Draft4Validator
        by_ref = {kind: cls({**full, "$ref": f"#/definitions/{definition}"})
                  for kind, definition in (("marche", "marche"), ("concession", "contrat-concession"))}
        for row in rows:
            record = build(row)
            expected = schema_reasons(by_ref[row["kind"]], record)
            assert schema_reasons(inlined.by_kind[(target, row["kind"])], record) == expected
            compared += bool(expected[0])
    assert compared > 3000  # many invalid records among them (2019 records built in the 2022 shape…)


def test_2022_file_has_no_2019_keys(real: tuple[Settings, DecpExportReport, Path]) -> None:
    text = (real[2] / FILE_2022).read_text(encoding="utf-8")
    for key in ('"_type"', '"nom"', '"denominationSociale"', '"uid"', '"objetModification"'):
        assert key not in text


# Warehouse column of every written key (list indexes and wrappers left out of the path).
TOP = {
    "id": "id", "uid": "uid", "acheteur.id": "acheteur_id", "autoriteConcedante.id": "acheteur_id",
    "acheteur.nom": "acheteur_nom", "autoriteConcedante.nom": "acheteur_nom", "nature": "nature",
    "objet": "objet", "codeCPV": "code_cpv", "procedure": "procedure", "techniques.technique": "techniques",
    "modalitesExecution.modaliteExecution": "modalites_execution", "idAccordCadre": "id_accord_cadre",
    "marcheInnovant": "marche_innovant", "ccag": "ccag", "offresRecues": "offres_recues",
    "attributionAvance": "attribution_avance", "tauxAvance": "taux_avance",
    "typeGroupementOperateurs": "type_groupement_operateurs", "sousTraitanceDeclaree": "sous_traitance_declaree",
    "lieuExecution.code": "lieu_execution_code", "lieuExecution.typeCode": "lieu_execution_type_code",
    "lieuExecution.nom": "lieu_execution_nom", "dureeMois": "duree_mois_initiale",
    "dateNotification": "date_notification", "dateSignature": "date_notification",
    "datePublicationDonnees": "date_publication_donnees", "dateDebutExecution": "date_debut_execution",
    "montant": "montant_initial", "valeurGlobale": "montant_initial",
    "montantSubventionPublique": "montant_subvention_publique", "typesPrix.typePrix": "types_prix",
    "formePrix": "forme_prix", "origineUE": "origine_ue", "origineFrance": "origine_france",
    "considerationsSociales.considerationSociale": "considerations_sociales",
    "considerationsEnvironnementales.considerationEnvironnementale": "considerations_environnementales",
}
PARTY = {"typeIdentifiant": "type_identifiant", "id": "id", "denominationSociale": "denomination_sociale"}
CHILD = {  # list key → (child table, wrapper, key → column)
    "titulaires": ("titulaires", "titulaire", PARTY),
    "concessionnaires": ("titulaires", "concessionnaire", PARTY),
    "modifications": ("modifications", "modification", {
        "id": "id", "objetModification": "objet_modification",
        "dateNotificationModification": "date_notification_modification",
        "dateSignatureModification": "date_notification_modification",
        "datePublicationDonneesModification": "date_publication_donnees_modification", "dureeMois": "duree_mois",
        "montant": "montant", "valeurGlobale": "montant"}),
    "actesSousTraitance": ("actes_sous_traitance", "acteSousTraitance", {
        "id": "id", "sousTraitant.id": "sous_traitant_id", "sousTraitant.typeIdentifiant":
        "sous_traitant_type_identifiant", "dureeMois": "duree_mois", "dateNotification": "date_notification",
        "datePublicationDonnees": "date_publication_donnees", "montant": "montant",
        "variationPrix": "variation_prix"}),
    "modificationsActesSousTraitance": ("modifications_actes_sous_traitance", "modificationActeSousTraitance", {
        "id": "id", "dureeMois": "duree_mois", "montant": "montant",
        "dateNotificationModificationSousTraitance": "date_notification_modification_sous_traitance",
        "datePublicationDonnees": "date_publication_donnees"}),
    "donneesExecution": ("donnees_execution", "donneesAnnuelles", {
        "datePublicationDonneesExecution": "date_publication_donnees_execution",
        "depensesInvestissement": "depenses_investissement"}),
}


def leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """(path, value) of every scalar, list of scalars and empty list."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, (*path, key))
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for index, item in enumerate(value):
            yield from leaves(item, (*path, index))
    else:
        yield path, value


def same(written: Any, stored: Any) -> bool:
    if stored is None:
        return False
    if isinstance(stored, dt.date):
        return bool(written == stored.isoformat())
    if isinstance(written, int) and not isinstance(written, bool) and isinstance(stored, str):
        return stored.isdigit() and int(stored) == written  # "1" → 1 where the schema wants an integer
    if isinstance(written, float) and isinstance(stored, str):
        return float(stored) == written  # tarif "14.29" of an XML source
    return bool(written == stored)


def unwrap(path: tuple[Any, ...], wrapper: str) -> tuple[Any, ...]:
    """The path inside a list item, without its v2.0.3 wrapper key (``{"titulaire": {...}}``)."""
    return path[1:] if len(path) > 1 and path[0] == wrapper else path  # v1.5's tarif has a key "tarif"


def stored_value(path: tuple[Any, ...], contract: dict[str, Any], children: dict[str, list[dict[str, Any]]],
                 target: str) -> Any:
    """The warehouse value a written leaf must come from (None: no value, so the key must not exist)."""
    if path == ("_type",):
        assert target == "2019"
        return {"marche": "Marché", "concession": "Contrat de concession"}[contract["kind"]]
    if path[0] in CHILD and len(path) > 1:
        table, wrapper, columns = CHILD[path[0]]
        rows = sorted(children.get(table, []), key=lambda r: (r.get("modification_rank", 0), r["rank"]))
        if table == "titulaires":
            rows = [r for r in rows if r["modification_rank"] == 0]
        row, rest = rows[path[1]], unwrap(path[2:], wrapper)
        if path[0] == "modifications" and rest[0] == "titulaires":
            parties = [t for t in sorted(children["titulaires"], key=lambda t: t["rank"])
                       if t["modification_rank"] == row["rank"]]
            return parties[rest[1]][PARTY[unwrap(rest[2:], "titulaire")[0]]]
        if path[0] == "donneesExecution" and rest[0] == "tarifs":
            tarif = json.loads(row["tarifs"])[rest[1]]
            return tarif.get(unwrap(rest[2:], "tarif")[0])
        return row[columns[".".join(rest)]]
    if len(path) == 1 and path[0] in CHILD:  # an empty list: only v1.5's required lists
        assert target == "2019" and not children.get(CHILD[path[0]][0])
        return []
    value = contract[TOP[".".join(path)]]
    if target == "2022" and path[0] == "considerationsSociales":
        mapping = LOSSLESS_ENUM_MAPS[contract["kind"]]["considerationSociale"]
        value = [mapping.get(v, v) for v in value]
    return value


def test_no_value_is_invented(real: tuple[Settings, DecpExportReport, Path], con: duckdb.DuckDBPyConnection) -> None:
    """Every written leaf equals a non-null warehouse value of the contract's chosen version; the records are
    in the export order (acheteur_id, id, contract_key) with the rejected ones left out."""
    out = real[2]
    rejected = {r["record_uid"] for r in load(out / REJECTS)}
    documents = {"2022": load(out / FILE_2022)["marches"], "2019": {"marches": load(out / FILE_2019)["marches"]}}
    children: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for table in ("titulaires", "modifications", "actes_sous_traitance", "modifications_actes_sous_traitance",
                  "donnees_execution"):
        cursor = con.execute(f"SELECT t.* FROM {table} t JOIN contracts USING (record_uid)")
        names = [d[0] for d in cursor.description]
        for values in cursor.fetchall():
            row = dict(zip(names, values, strict=True))
            children.setdefault(row["record_uid"], {}).setdefault(table, []).append(row)
    checked = 0
    for target, container, where in PASSES:
        cursor = con.execute(f"SELECT * FROM contracts c WHERE {where} ORDER BY {ORDER_BY}")
        names = [d[0] for d in cursor.description]
        contracts = [dict(zip(names, v, strict=True)) for v in cursor.fetchall()]
        contracts = [c for c in contracts if c["record_uid"] not in rejected]
        written = documents[target][container]
        assert len(written) == len(contracts)
        for record, contract in zip(written, contracts, strict=True):
            assert (record.get("acheteur") or record.get("autoriteConcedante"))["id"] == contract["acheteur_id"]
            for path, value in leaves(record):
                stored = stored_value(path, contract, children.get(contract["record_uid"], {}), target)
                assert same(value, stored), (contract["record_uid"], path, value, stored)
                checked += 1
    assert checked > 50_000


def test_export_is_deterministic_whatever_the_workers(real: tuple[Settings, DecpExportReport, Path],
                                                      con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    export_decp(con, tmp_path, SCHEMAS, workers=2, batch_rows=500)
    for name in (FILE_2022, FILE_2019, REJECTS):
        assert (tmp_path / name).read_bytes() == (real[2] / name).read_bytes(), name


def test_megalis_incomplete_actes_are_rejected_with_the_missing_fields(
        real: tuple[Settings, DecpExportReport, Path]) -> None:
    """Mégalis Bretagne publishes actesSousTraitance with only id and sousTraitant: the v2.0.3 schema requires
    dureeMois, dates, montant and variationPrix. Dropping the actes would lose data, inventing them is
    forbidden: the 5 records are rejected."""
    rejects = [r for r in load(real[2] / REJECTS) if r["acheteur_id"] == "59920013600241"]
    assert len(rejects) == 5
    for reject in rejects:
        assert reject["target"] == "2022"
        assert reject["reasons"] == [
            f"$.actesSousTraitance[0].acteSousTraitance: '{name}' is a required property"
            for name in ("dateNotification", "datePublicationDonnees", "dureeMois", "montant", "variationPrix")]


def test_hybrid_records_target_2022_and_2019_values_are_not_altered(
        real: tuple[Settings, DecpExportReport, Path]) -> None:
    """decp-rama's hybrid record (2019 shape, empty 2022 tags, formePrix "Révisable") goes to the 2022 target
    and is rejected: "Révisable" is no v2.0.3 formePrix and has no lossless equivalent."""
    (reject,) = [r for r in load(real[2] / REJECTS) if r["id"] == "20242023F0002600"]
    assert reject["target"] == "2022"
    assert "$.formePrix: 'Révisable' is not one of ['Unitaire', 'Forfaitaire', 'Mixte']" in reject["reasons"]
    assert "$: 'ccag' is a required property" in reject["reasons"]


def test_cli_export_decp(real: tuple[Settings, DecpExportReport, Path], tmp_path: Path) -> None:
    settings, _, out = real
    runner = CliRunner()
    args = ["--data-dir", str(settings.data_dir), "export", "decp", "--output", str(tmp_path)]
    result = runner.invoke(app, [*args, "--schemas", str(SCHEMAS)])
    assert result.exit_code == 0, result.output
    assert "decp-2019.json" in result.output and "$.datePublicationDonnees: required" in result.output
    assert (tmp_path / FILE_2019).read_bytes() == (out / FILE_2019).read_bytes()
    missing = runner.invoke(app, [*args, "--schemas", str(tmp_path / "none")])
    assert missing.exit_code == 1
    assert "--schemas DIR or the SPASER_DECP_SCHEMAS" in " ".join(missing.output.split())


@pytest.fixture(scope="module")
def tabular(real: tuple[Settings, DecpExportReport, Path], tmp_path_factory: pytest.TempPathFactory
            ) -> tuple[Path, Path, int]:
    tmp = tmp_path_factory.mktemp("tabular")
    con = open_current(real[0].warehouse_dir)
    try:
        csv_result = export_csv(con, tmp / "contracts.csv")
        parquet_result = export_parquet(con, tmp / "contracts.parquet")
        ((expected,),) = con.execute(
            "SELECT sum(greatest(1, (SELECT count(*) FROM titulaires_actuels t WHERE t.record_uid = c.record_uid)))"
            " FROM contracts c").fetchall()
    finally:
        con.close()
    assert csv_result.rows == parquet_result.rows == expected
    return tmp / "contracts.csv", tmp / "contracts.parquet", int(expected)


def test_csv_of_the_real_files_is_valid_against_its_table_schema(tabular: tuple[Path, Path, int]) -> None:
    csv_path, _, rows = tabular
    schema = frictionless.Schema.from_descriptor(load(csv_path.with_name("contracts.schema.json")))
    report = frictionless.validate(frictionless.Resource(path=csv_path.name, basepath=str(csv_path.parent),
                                                         schema=schema))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]
    assert report.tasks[0].stats["rows"] == rows


def test_parquet_has_the_rows_and_columns_of_the_csv(tabular: tuple[Path, Path, int]) -> None:
    csv_path, parquet_path, rows = tabular
    schema = frictionless.Schema.from_descriptor(table_schema())
    with frictionless.Resource(path=csv_path.name, basepath=str(csv_path.parent), schema=schema) as resource:
        csv_rows = [row.to_dict() for row in resource.row_stream]
    table = pq.read_table(parquet_path)
    assert table.column_names == resource.header.labels
    parquet_rows = table.to_pylist()
    assert len(csv_rows) == len(parquet_rows) == rows

    def as_csv(name: str, value: Any) -> Any:
        if name in LIST_COLUMNS:
            return LIST_SEPARATOR.join(value) if value else None
        return value

    for csv_row, parquet_row in zip(csv_rows, parquet_rows, strict=True):
        for name, value in parquet_row.items():
            text = csv_row[name]
            expected = as_csv(name, value)
            if isinstance(expected, float):
                assert text is not None and float(text) == expected, name
            else:
                assert text == expected, (name, text, expected)
