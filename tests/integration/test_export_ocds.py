"""OCDS export: the procedure table, the mapping of hand-built contracts (NULLs left out), and the real shared
files exported as one release package valid against the OCDS 1.1 schemas (offline), one release per contract."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import jsonschema
import pytest
import referencing
import referencing.jsonschema

from spaser.config import Settings
from spaser.decp import ocds_validate
from spaser.decp.enums import NATURE_CONCESSION, PROCEDURE_CONCESSION, PROCEDURE_MARCHE
from spaser.decp.export_ocds import OcdsExport, PackageInfo, export_ocds
from spaser.decp.ocds_mapping import (
    CONCESSION_CATEGORIES,
    PROCUREMENT_METHODS,
    build_release,
    duration_days,
    main_category,
)
from spaser.decp.ocds_validate import format_checker, validate_package
from spaser.warehouse.dedupe import rebuild_contracts
from spaser.warehouse.ingest import ingest
from spaser.warehouse.snapshot import ensure_schema, open_current
from tests.conftest import REAL_FILES, ROOT, SHARED_DATA, TODAY, shared
from tests.warehouse_cli import cli

OCDS = SHARED_DATA / "ocds"
METHODS = {"open", "selective", "limited", "direct"}


def codelist(name: str) -> set[str]:
    with shared(f"ocds/codelists/{name}").open(encoding="utf-8") as handle:
        return {row["Code"] for row in csv.DictReader(handle)}


def doc_table(heading: str) -> dict[str, str]:
    """First and value columns of the table under ``heading`` in docs/ocds.md: {first cell: `code` cell}."""
    text = (ROOT / "docs" / "ocds.md").read_text(encoding="utf-8")
    section = text.split(f"\n### {heading}\n", 1)[1].split("\n#", 1)[0]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not line.startswith("|") or set(cells[0]) <= {"-"} or cells[0].startswith("DECP"):
            continue
        codes = [cell.strip("`") for cell in cells[1:] if re.fullmatch(r"`[a-z]+`", cell)]
        assert len(codes) == 1, line
        rows[cells[0]] = codes[0]
    return rows


# --- The tables ------------------------------------------------------------------------------------------

def test_every_decp_procedure_has_a_method_of_the_closed_codelist() -> None:
    assert set(PROCUREMENT_METHODS) == set(PROCEDURE_MARCHE) | set(PROCEDURE_CONCESSION)
    assert set(PROCUREMENT_METHODS.values()) <= METHODS
    assert PROCUREMENT_METHODS["Marché passé sans publicité ni mise en concurrence préalable"] == "limited"
    assert set(CONCESSION_CATEGORIES) == set(NATURE_CONCESSION)


def test_the_documented_tables_equal_the_mapping() -> None:
    assert doc_table("Procedure → `procurementMethod`") == PROCUREMENT_METHODS
    assert doc_table("Main procurement category") == CONCESSION_CATEGORIES


@pytest.mark.shared_data
def test_the_tables_use_the_ocds_codelists() -> None:
    assert set(PROCUREMENT_METHODS.values()) <= codelist("method.csv")
    assert set(CONCESSION_CATEGORIES.values()) <= codelist("procurementCategory.csv")


@pytest.mark.parametrize(("kind", "nature", "code_cpv", "expected"), [
    ("marche", "Marché", "45233140", "works"),
    ("marche", "Accord-cadre", "30192000", "goods"),
    ("marche", "Marché", "48000000", "goods"),
    ("marche", "Marché subséquent", "72267000", "services"),
    ("marche", "Marché", None, None),
    ("concession", "Concession de travaux", "90000000", "works"),  # a concession: its nature, not the CPV
    ("concession", "Délégation de service public", None, "services"),
    ("concession", None, "45000000", None),
])
def test_main_category(kind: str, nature: str | None, code_cpv: str | None, expected: str | None) -> None:
    assert main_category(kind, nature, code_cpv) == expected


def test_durations_in_days() -> None:
    assert [duration_days(m) for m in (1, 12, 48, 0, None)] == [30, 365, 1461, None, None]


# --- Hand-built rows ---------------------------------------------------------------------------------------

def row(**values: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "record_uid": "abc:0", "contract_key": "k" * 24, "kind": "marche", "id": None, "acheteur_id": None,
        "acheteur_nom": None, "nature": None, "objet": None, "code_cpv": None, "procedure": None,
        "offres_recues": None, "duree_mois_initiale": None, "duree_mois": None, "date_notification": None,
        "date_publication_donnees": None, "date_debut_execution": None, "montant_initial": None, "montant": None,
        "cpv_libelle": None, "ingested_at": dt.datetime(2026, 11, 22, 9, 30, 5), "suppliers": None,
        "modifications": None,
    }
    return base | values


def test_a_contract_with_nothing_known_gets_only_the_required_fields() -> None:
    release = build_release(row(), "ocds-test")
    ocid = "ocds-test-" + "k" * 24
    assert release == {
        "ocid": ocid, "id": "abc:0", "date": "2026-11-22T09:30:05Z", "tag": ["compiled"],
        "initiationType": "tender", "tender": {"id": ocid}, "awards": [{"id": ocid}],
        "contracts": [{"id": ocid, "awardID": ocid}], "language": "fr",
    }


def test_a_marche_maps_every_known_field_and_leaves_nulls_out() -> None:
    release = build_release(row(
        id="2024-017", acheteur_id="21350238800019", acheteur_nom="Commune de Rennes", nature="Marché",
        objet="Réfection de voirie", code_cpv="45233140", cpv_libelle="Travaux de routes",
        procedure="Appel d'offres restreint",
        offres_recues=0, duree_mois_initiale=12, duree_mois=18, date_notification=dt.date(2024, 3, 5),
        date_publication_donnees=dt.date(2024, 3, 20), montant_initial=120000.0, montant=150000.5,
        suppliers=[
            {"rank": 1, "type_identifiant": "SIRET", "id": "38103128500491", "denomination_sociale": "Colas"},
            {"rank": 2, "type_identifiant": "TVA", "id": "BE0403448140", "denomination_sociale": None},
            {"rank": 3, "type_identifiant": "SIRET", "id": "00000000000000", "denomination_sociale": " "},
            {"rank": 4, "type_identifiant": "SIRET", "id": "21350238800019", "denomination_sociale": None},
        ],
        modifications=[
            {"rank": 1, "id": "1", "objet_modification": "Avenant 1", "date_notification_modification":
             dt.date(2024, 9, 1), "date_publication_donnees_modification": dt.date(2024, 9, 10),
             "duree_mois": 18, "montant": None},
            {"rank": 2, "id": None, "objet_modification": None, "date_notification_modification": None,
             "date_publication_donnees_modification": None, "duree_mois": None, "montant": 150000.5},
            {"rank": 3, "id": None, "objet_modification": "", "date_notification_modification": None,
             "date_publication_donnees_modification": None, "duree_mois": None, "montant": None},
        ]), "ocds-test")
    buyer_id = "FR-RCS-21350238800019"
    assert release["date"] == "2024-09-10T00:00:00Z"  # the latest publication: the first modification's
    assert release["buyer"] == {"id": buyer_id, "name": "Commune de Rennes"}
    assert release["parties"] == [
        {"id": buyer_id, "name": "Commune de Rennes", "roles": ["buyer", "supplier"],
         "identifier": {"id": "21350238800019", "scheme": "FR-RCS", "legalName": "Commune de Rennes"}},
        {"id": "FR-RCS-38103128500491", "name": "Colas", "roles": ["supplier"],
         "identifier": {"id": "38103128500491", "scheme": "FR-RCS", "legalName": "Colas"}},
        {"id": "TVA-BE0403448140", "roles": ["supplier"], "identifier": {"id": "BE0403448140", "scheme": "TVA"}},
    ]  # the all-zero SIRET with a blank name is not an organisation one can name or identify
    tender = release["tender"]
    assert tender["procurementMethod"] == "selective"
    assert tender["procurementMethodDetails"] == "Appel d'offres restreint"
    assert tender["mainProcurementCategory"] == "works" and tender["title"] == "Réfection de voirie"
    assert tender["items"] == [{"id": "1", "classification": {"scheme": "CPV", "id": "45233140",
                                                              "description": "Travaux de routes"}}]
    assert "numberOfTenderers" not in tender  # offresRecues 0: not filled in
    (award,) = release["awards"]
    assert award == {
        "id": "2024-017", "date": "2024-03-05T00:00:00Z", "value": {"amount": 120000.0, "currency": "EUR"},
        "suppliers": [{"id": "FR-RCS-38103128500491", "name": "Colas"}, {"id": "TVA-BE0403448140"},
                      {"id": buyer_id, "name": "Commune de Rennes"}],
        "contractPeriod": {"durationInDays": 365},
    }
    (contract,) = release["contracts"]
    assert contract == {
        "id": "2024-017", "awardID": "2024-017", "value": {"amount": 150000.5, "currency": "EUR"},
        "period": {"durationInDays": 548},
        "amendments": [{"id": "1", "date": "2024-09-01T00:00:00Z", "description": "Avenant 1; dureeMois: 18"},
                       {"description": "montant: 150000.5 EUR"}, {}],
    }  # no dateSigned: a marché's DECP date is its notification


def test_a_concession_signed_date_start_and_unknown_procedure() -> None:
    release = build_release(row(
        kind="concession", nature="Concession de service public", procedure="Procédure spéciale",
        date_notification=dt.date(2019, 6, 1), date_debut_execution=dt.date(2019, 7, 1), duree_mois=120,
        montant_initial=999999999.0, montant=999999999.0, offres_recues=3,
        suppliers=[{"rank": 1, "type_identifiant": None, "id": None, "denomination_sociale": "Régie"}]), "p")
    tender = release["tender"]
    assert "procurementMethod" not in tender and tender["procurementMethodDetails"] == "Procédure spéciale"
    assert tender["mainProcurementCategory"] == "services" and tender["numberOfTenderers"] == 3
    assert release["date"] == "2019-06-01T00:00:00Z"  # no publication date: the signature
    assert release["parties"] == [{"id": "supplier-1", "name": "Régie", "roles": ["supplier"]}]
    assert "buyer" not in release
    (contract,) = release["contracts"]
    assert contract["dateSigned"] == "2019-06-01T00:00:00Z"
    assert contract["period"] == {"startDate": "2019-07-01T00:00:00Z", "durationInDays": 3653}
    assert contract["value"] == {"amount": 999999999.0, "currency": "EUR"}  # a placeholder, as published


def test_a_buyer_named_only_as_titulaire_gets_the_name_everywhere() -> None:
    release = build_release(row(acheteur_id="21350238800019", suppliers=[
        {"rank": 1, "type_identifiant": "SIRET", "id": "21350238800019", "denomination_sociale": "Régie"}]), "p")
    party = {"id": "FR-RCS-21350238800019", "name": "Régie", "roles": ["buyer", "supplier"],
             "identifier": {"id": "21350238800019", "scheme": "FR-RCS", "legalName": "Régie"}}
    assert release["parties"] == [party]
    assert release["buyer"] == release["awards"][0]["suppliers"][0] == {"id": party["id"], "name": "Régie"}


# --- A small hand-built warehouse --------------------------------------------------------------------------

RECORD_COLUMNS = ("record_uid", "contract_key", "kind", "source_format", "source_name", "source_sha256", "id",
                  "acheteur_id", "procedure", "code_cpv", "date_notification", "montant", "montant_initial",
                  "n_modifications", "completeness")
RECORDS = [
    ("a:0", "a" * 24, "marche", "2022", "a.json", "sha-a", "A-1", "21750001630066", "Procédure adaptée",
     "45000000", dt.date(2024, 5, 15), 600000.0, 575000.0, 1, 10),
    ("b:0", "a" * 24, "marche", "2022", "b.json", "sha-b", "A-1", "21750001630066", "Procédure adaptée",
     "45000000", dt.date(2024, 5, 15), 575000.0, 575000.0, 0, 9),
    ("c:0", "b" * 24, "concession", "2019", "c.json", "sha-c", None, None, None, None, None, None, None, 0, 5),
]
TITULAIRES = [
    ("a:0", 0, 1, "titulaire", "SIRET", "55204599900869", None, True),
    ("a:0", 1, 1, "titulaire", "SIRET", "38103128500491", "Nouveau", True),
    ("b:0", 0, 1, "titulaire", "SIRET", "55204599900869", None, True),
]
MODIFICATIONS = [("a:0", 1, "1", "Cession", dt.date(2024, 8, 1), dt.date(2024, 8, 2), None, 600000.0, 1, None)]


@pytest.fixture
def small(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(tmp_path / "w.duckdb"))
    ensure_schema(connection)
    marks = ", ".join("?" for _ in RECORD_COLUMNS)
    connection.executemany(f"INSERT INTO records ({', '.join(RECORD_COLUMNS)}) VALUES ({marks})", RECORDS)
    connection.executemany("INSERT INTO titulaires VALUES (?, ?, ?, ?, ?, ?, ?, ?)", TITULAIRES)
    connection.executemany("INSERT INTO modifications VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", MODIFICATIONS)
    connection.execute("INSERT INTO ingested_files (sha256, ingested_at) "
                       "VALUES ('sha-c', TIMESTAMP '2026-01-02 03:04:05')")
    connection.execute("INSERT INTO ingestion_runs (run_id, finished_at) VALUES ('r', TIMESTAMP '2026-01-02 03:04:06')")
    rebuild_contracts(connection)
    yield connection
    connection.close()


def test_export_of_a_small_warehouse(small: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    info = PackageInfo("ocds-x", "Ville", license=None, uri="https://example.org/ocds.json")
    report = export_ocds(small, tmp_path / "out" / "ocds.json", info, batch_rows=1)
    package = json.loads((tmp_path / "out" / "ocds.json").read_text(encoding="utf-8"))
    assert (report.releases, report.amendments) == (2, 1)
    assert not list((tmp_path / "out").glob(".*.tmp"))
    assert {k: v for k, v in package.items() if k != "releases"} == {
        "uri": "https://example.org/ocds.json", "version": "1.1", "publishedDate": "2026-01-02T03:04:06Z",
        "publisher": {"name": "Ville"}}
    first, second = package["releases"]
    assert first["ocid"] == "ocds-x-" + "a" * 24 and first["id"] == "a:0"  # the chosen version: most modified
    assert first["awards"][0]["value"]["amount"] == 575000.0 and first["contracts"][0]["value"]["amount"] == 600000.0
    assert first["awards"][0]["suppliers"] == [{"id": "FR-RCS-38103128500491", "name": "Nouveau"}]  # in force
    assert first["contracts"][0]["amendments"] == [
        {"id": "1", "date": "2024-08-01T00:00:00Z", "description": "Cession; montant: 600000 EUR"}]
    assert second["ocid"] == "ocds-x-" + "b" * 24 and second["date"] == "2026-01-02T03:04:05Z"  # ingested_at
    assert "parties" not in second and "buyer" not in second


@pytest.mark.shared_data
def test_the_validator_reports_errors_with_their_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good = build_release(row(procedure="Dialogue compétitif"), "ocds-x")
    bad = build_release(row(), "ocds-x") | {"date": "2024-01-01", "tag": []}
    bad["tender"]["procurementMethod"] = "negotiated"
    path = tmp_path / "p.json"
    package = {"version": "1.1", "uri": "not a uri", "releases": [good, bad, good]}
    path.write_text(json.dumps(package, indent=2), encoding="utf-8")
    monkeypatch.setattr(ocds_validate, "CHUNK", 7)  # values cut by every buffer boundary
    result = validate_package(path, shared("ocds"))
    assert (result.releases, result.invalid_releases, result.error_count) == (3, 1, 4)
    assert result.errors == [
        "$.releases[1].date: '2024-01-01' is not a 'date-time'",
        "$.releases[1].tag: [] should be non-empty",
        "$.releases[1].tender.procurementMethod: 'negotiated' is not one of ['open', 'selective', 'limited', "
        "'direct', None]",
        "$.uri: 'not a uri' is not a 'uri'",
    ]
    path.write_text(json.dumps(package)[:-30], encoding="utf-8")
    broken = validate_package(path, shared("ocds"))
    assert not broken.valid and broken.errors[-1].startswith("$: invalid JSON")


# --- The real shared files ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, Path, str]:
    """Every real shared file ingested, then exported through the command with validation."""
    shared("decp/real")
    shared("ocds/release-package-schema.json")
    tmp = tmp_path_factory.mktemp("ocds")
    settings = Settings(data_dir=tmp / "data", ingest_workers=-1)
    ingest(list(REAL_FILES), settings, today=TODAY)
    code, output = cli(settings, "export", "ocds", "--output", str(tmp / "ocds.json"), "--validate-with", str(OCDS))
    assert code == 0, output
    return settings, tmp / "ocds.json", output


@pytest.fixture(scope="module")
def package(real: tuple[Settings, Path, str]) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(real[1].read_text(encoding="utf-8"))
    return loaded


@pytest.fixture
def con(real: tuple[Settings, Path, str]) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = open_current(real[0].warehouse_dir)
    yield connection
    connection.close()


@pytest.mark.shared_data
def test_the_whole_package_is_valid_offline(package: dict[str, Any], real: tuple[Settings, Path, str]) -> None:
    """The whole document against the package schema, the release schema's URL resolved to the local file."""
    release_schema = json.loads((OCDS / "release-schema.json").read_text(encoding="utf-8"))
    package_schema = json.loads((OCDS / "release-package-schema.json").read_text(encoding="utf-8"))
    resource = referencing.Resource.from_contents(release_schema, default_specification=referencing.jsonschema.DRAFT4)
    registry: referencing.Registry[Any] = referencing.Registry().with_resource(
        "https://standard.open-contracting.org/schema/1__1__5/release-schema.json", resource)
    validator = jsonschema.Draft4Validator(package_schema, registry=registry, format_checker=format_checker())
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(package)]
    assert errors == []
    assert f"valid against the OCDS schemas in {OCDS} ({len(package['releases'])} releases checked)" in real[2]


@pytest.mark.shared_data
def test_one_release_per_contract(package: dict[str, Any], con: duckdb.DuckDBPyConnection) -> None:
    releases = package["releases"]
    ((contracts,),) = con.execute("SELECT count(*) FROM contracts").fetchall()
    assert len(releases) == contracts > 8000
    keys = {key for (key,) in con.execute("SELECT contract_key FROM contracts").fetchall()}
    assert {r["ocid"] for r in releases} == {f"ocds-spaser-{key}" for key in keys}  # unique, stable
    assert all(r["tag"] == ["compiled"] and len(r["awards"]) == len(r["contracts"]) == 1 for r in releases)


@pytest.mark.shared_data
def test_amendments_are_the_modifications_of_the_chosen_versions(package: dict[str, Any],
                                                                 con: duckdb.DuckDBPyConnection) -> None:
    by_ocid = {r["ocid"]: len(r["contracts"][0].get("amendments", [])) for r in package["releases"]}
    rows = con.execute("SELECT c.contract_key, count(m.rank) FROM contracts c "
                       "LEFT JOIN modifications m ON m.record_uid = c.record_uid GROUP BY ALL").fetchall()
    assert sum(by_ocid.values()) == sum(n for _, n in rows) > 100
    assert by_ocid == {f"ocds-spaser-{key}": n for key, n in rows}


@pytest.mark.shared_data
def test_every_warehouse_procedure_is_mapped(package: dict[str, Any], con: duckdb.DuckDBPyConnection) -> None:
    procedures = {p for (p,) in con.execute("SELECT DISTINCT procedure FROM contracts WHERE procedure IS NOT NULL"
                                            ).fetchall()}
    assert len(procedures) >= 8 and procedures <= set(PROCUREMENT_METHODS)
    for release in package["releases"]:
        tender = release["tender"]
        details = tender.get("procurementMethodDetails")
        assert tender.get("procurementMethod") == (PROCUREMENT_METHODS[details] if details else None)


@pytest.mark.shared_data
def test_values_are_the_warehouse_values(package: dict[str, Any], con: duckdb.DuckDBPyConnection) -> None:
    """Amounts as published (suspicious ones included), NULL amounts left out, roles from the codelist."""
    rows = con.execute("SELECT 'ocds-spaser-' || contract_key, montant_initial, montant, montant_suspect, "
                       "date_notification FROM contracts").fetchall()
    releases = {r["ocid"]: r for r in package["releases"]}
    suspicious = 0
    for ocid, initial, current, suspect, notified in rows:
        award, contract = releases[ocid]["awards"][0], releases[ocid]["contracts"][0]
        assert award.get("value", {}).get("amount") == initial and contract.get("value", {}).get("amount") == current
        assert award.get("date") == (f"{notified.isoformat()}T00:00:00Z" if notified else None)
        suspicious += bool(suspect and "value" in contract)
    assert suspicious > 50
    roles = {role for r in package["releases"] for party in r.get("parties", []) for role in party["roles"]}
    assert roles == {"buyer", "supplier"} and roles <= codelist("partyRole.csv")


@pytest.mark.shared_data
def test_the_export_is_deterministic(real: tuple[Settings, Path, str], tmp_path: Path) -> None:
    code, output = cli(real[0], "export", "ocds", "--output", str(tmp_path / "again.json"))
    assert code == 0 and "written to" in output and "valid against" not in output
    assert (tmp_path / "again.json").read_bytes() == real[1].read_bytes()


@pytest.mark.shared_data
def test_an_invalid_package_exits_1_with_the_errors(real: tuple[Settings, Path, str], tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPASER_OCDS_PACKAGE_URI", "not a uri")
    monkeypatch.setenv("SPASER_OCDS_SCHEMAS", str(OCDS))  # the environment variable instead of the option
    monkeypatch.setenv("SPASER_OCDS_PREFIX", "ocds-zz9zz9")
    code, output = cli(real[0], "export", "ocds", "--output", str(tmp_path / "bad.json"))
    assert code == 1
    assert "invalid: 1 error(s) in 0 release(s)" in output and "$.uri: 'not a uri' is not a 'uri'" in output
    assert json.loads((tmp_path / "bad.json").read_text(encoding="utf-8"))["releases"][0]["ocid"].startswith(
        "ocds-zz9zz9-")


@pytest.mark.shared_data
def test_a_folder_without_the_schemas_is_refused_before_exporting(real: tuple[Settings, Path, str],
                                                                  tmp_path: Path) -> None:
    code, output = cli(real[0], "export", "ocds", "--output", str(tmp_path / "x.json"),
                       "--validate-with", str(tmp_path))
    assert code == 1 and "lacks release-package-schema.json, release-schema.json" in " ".join(output.split())
    assert not (tmp_path / "x.json").exists()


def test_report_to_json() -> None:
    report = OcdsExport("o.json", 3, 1, "2026-01-01T00:00:00Z", 1.234)
    assert report.to_json() == {"path": "o.json", "releases": 3, "amendments": 1,
                                "published_date": "2026-01-01T00:00:00Z", "duration_s": 1.23}
