"""Building regulatory DECP records from warehouse rows: reshape and type, never invent a value."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from spaser.decp.export_decp import CONTRACT_COLUMNS
from spaser.decp.export_decp_records import as_integer_id, as_number, build_2019, build_2022
from spaser.decp.export_decp_schemas import (
    SCHEMAS_ENV,
    Validators,
    check_record,
    inline_refs,
    json_path,
    resolve_schemas_dir,
    schema_reasons,
)
from spaser.errors import ConfigurationError
from tests.conftest import shared


def titulaire(rank: int, ident: str, modification_rank: int = 0, name: str | None = None) -> dict[str, Any]:
    return {"modification_rank": modification_rank, "rank": rank, "type_identifiant": "SIRET", "id": ident,
            "denomination_sociale": name}


def marche_2022(**values: Any) -> dict[str, Any]:
    """A complete, valid 2022 marché as the export query returns it (the official example's values)."""
    row: dict[str, Any] = dict.fromkeys(CONTRACT_COLUMNS)
    row.update(
        record_uid="f:0", contract_key="k", kind="marche", source_format="2022", id="TEST2022",
        acheteur_id="21750001630066", nature="Marché", objet="envoi pour Json test 1", code_cpv="45000000",
        procedure="Appel d'offres ouvert", techniques=["Concours", "Accord-cadre"], modalites_execution=["Tranches"],
        marche_innovant=True, ccag="Travaux", offres_recues=4, attribution_avance=True, taux_avance=0.0,
        type_groupement_operateurs="Pas de groupement", sous_traitance_declaree=False, lieu_execution_code="75000",
        lieu_execution_type_code="Code postal", duree_mois_initiale=48, date_notification=dt.date(2024, 5, 15),
        date_publication_donnees=dt.date(2024, 5, 25), montant_initial=575000.0, forme_prix="Forfaitaire",
        types_prix=["Définitif ferme"], considerations_sociales=["Clause sociale"],
        considerations_environnementales=["Clause environnementale"],
        child_titulaires=[titulaire(1, "55204599900869")],
    )
    row.update(values)
    return row


def test_2022_marche_is_wrapped_and_typed() -> None:
    row = marche_2022(
        child_titulaires=[titulaire(1, "55204599900869"), titulaire(1, "86876868757657", modification_rank=1)],
        child_modifications=[{"rank": 1, "id": "1", "objet_modification": "ignored in 2022",
                              "date_notification_modification": dt.date(2024, 6, 1),
                              "date_publication_donnees_modification": dt.date(2024, 6, 2), "duree_mois": None,
                              "montant": 600000.0}],
    )
    record = build_2022(row)
    assert record["acheteur"] == {"id": "21750001630066"}
    assert record["techniques"] == {"technique": ["Concours", "Accord-cadre"]}
    assert record["titulaires"] == [{"titulaire": {"typeIdentifiant": "SIRET", "id": "55204599900869"}}]
    assert record["dateNotification"] == "2024-05-15"
    assert record["montant"] == 575000.0 and record["dureeMois"] == 48
    assert record["modifications"] == [{"modification": {
        "id": 1, "dateNotificationModification": "2024-06-01", "datePublicationDonneesModification": "2024-06-02",
        "montant": 600000.0,
        "titulaires": [{"titulaire": {"typeIdentifiant": "SIRET", "id": "86876868757657"}}]}}]
    assert "_type" not in record and "idAccordCadre" not in record and "origineUE" not in record


def test_a_missing_value_is_left_out_never_defaulted() -> None:
    row = marche_2022(ccag=None, offres_recues=None, techniques=None, lieu_execution_type_code=None,
                      child_titulaires=None)
    record = build_2022(row)
    for key in ("ccag", "offresRecues", "techniques", "titulaires"):
        assert key not in record
    assert record["lieuExecution"] == {"code": "75000"}


@pytest.mark.parametrize(("kind", "stored", "written"), [
    ("concession", "Marché réservé", "Concession réservée"),
    ("marche", "Concession réservée", "Marché réservé"),
    ("marche", "Clause sociale", "Clause sociale"),
])
def test_reserved_consideration_is_named_after_the_kind(kind: str, stored: str, written: str) -> None:
    record = build_2022(marche_2022(kind=kind, considerations_sociales=[stored]))
    assert record["considerationsSociales"] == {"considerationSociale": [written]}


def test_2022_concession_has_no_place_no_cpv_and_wrapped_tarifs() -> None:
    row = marche_2022(kind="concession", montant_subvention_publique=0.0, date_debut_execution=dt.date(2024, 4, 1),
                      child_execution=[{"rank": 1, "date_publication_donnees_execution": dt.date(2024, 4, 18),
                                        "depenses_investissement": 15.3,
                                        "tarifs": '[{"intituleTarif":"Tarif","tarif":"14.29"}]'}])
    record = build_2022(row)
    assert "lieuExecution" not in record and "codeCPV" not in record
    assert record["autoriteConcedante"] == {"id": "21750001630066"}
    assert record["montantSubventionPublique"] == 0.0  # 0 is a value, not a missing one
    assert record["concessionnaires"] == [{"concessionnaire": {"typeIdentifiant": "SIRET", "id": "55204599900869"}}]
    assert record["donneesExecution"] == [{"donneesAnnuelles": {
        "datePublicationDonneesExecution": "2024-04-18", "depensesInvestissement": 15.3,
        "tarifs": [{"tarif": {"intituleTarif": "Tarif", "tarif": 14.29}}]}}]


def test_2019_record_has_type_names_and_empty_required_lists() -> None:
    row = marche_2022(source_format="2019", acheteur_nom="Ville", lieu_execution_nom="Paris", forme_prix="Ferme",
                      child_titulaires=[titulaire(1, "55204599900869", name="ACME")])
    record = build_2019(row)
    assert record["_type"] == "Marché"
    assert record["acheteur"] == {"id": "21750001630066", "nom": "Ville"}
    assert record["lieuExecution"] == {"code": "75000", "typeCode": "Code postal", "nom": "Paris"}
    assert record["titulaires"] == [{"typeIdentifiant": "SIRET", "id": "55204599900869", "denominationSociale": "ACME"}]
    assert record["modifications"] == []
    assert "techniques" not in record and "ccag" not in record
    concession = build_2019(row | {"kind": "concession"})
    assert concession["_type"] == "Contrat de concession"
    assert concession["donneesExecution"] == [] and concession["modifications"] == []
    assert "codeCPV" not in concession and "acheteur" not in concession


@pytest.mark.parametrize(("value", "expected"), [("1", 1), ("012", 12), ("A1", "A1"), ("1.5", "1.5"), (None, None)])
def test_integer_ids(value: str | None, expected: object) -> None:
    assert as_integer_id(value) == expected


@pytest.mark.parametrize(("value", "expected"), [("14.29", 14.29), (" 3 ", 3.0), (9.1, 9.1), ("14,29", "14,29"),
                                                 ("", ""), (True, True)])
def test_tarif_numbers(value: object, expected: object) -> None:
    assert as_number(value) == expected


def test_inline_refs_replaces_references_and_refuses_recursion() -> None:
    document = {"definitions": {"a": {"type": "object", "properties": {"b": {"$ref": "#/definitions/b", "title": "x"}},
                                      "definitions": {"c": {}}},
                                "b": {"type": "integer"}, "loop": {"items": {"$ref": "#/definitions/loop"}}}}
    assert inline_refs(document, "#/definitions/a") == {"type": "object", "properties": {"b": {"type": "integer"}}}
    with pytest.raises(ValueError, match="recursive"):
        inline_refs(document, "#/definitions/loop")


def test_json_path() -> None:
    assert json_path(["actesSousTraitance", 0, "acteSousTraitance"]) == "$.actesSousTraitance[0].acteSousTraitance"
    assert json_path([]) == "$"


@pytest.fixture(scope="module")
def validators() -> Validators:
    return Validators.load(shared("decp/schemas"))


def test_valid_record_passes_and_invalid_one_names_the_path(validators: Validators) -> None:
    ok = check_record(marche_2022(), "2022", validators)
    assert ok.reasons == [] and ok.text is not None and ok.text.startswith('{"id":"TEST2022"')
    bad = check_record(marche_2022(offres_recues=0, ccag=None, forme_prix="Ferme"), "2022", validators)
    assert bad.text is None
    assert bad.reasons == ["$: 'ccag' is a required property",
                           "$.formePrix: 'Ferme' is not one of ['Unitaire', 'Forfaitaire', 'Mixte']",
                           "$.offresRecues: 0 is less than the minimum of 1"]
    assert bad.codes == ["$.ccag: required", "$.formePrix: enum", "$.offresRecues: minimum"]


def test_incomplete_acte_reasons_name_the_missing_fields(validators: Validators) -> None:
    acte = {"rank": 1, "id": "58696", "sous_traitant_type_identifiant": "SIRET", "sous_traitant_id": "32933888305269",
            "duree_mois": None, "date_notification": None, "date_publication_donnees": None, "montant": None,
            "variation_prix": None}
    record = build_2022(marche_2022(child_actes=[acte]))
    messages, codes = schema_reasons(validators.by_kind[("2022", "marche")], record)
    assert len(messages) == 5
    for name in ("dureeMois", "dateNotification", "datePublicationDonnees", "montant", "variationPrix"):
        assert f"$.actesSousTraitance[0].acteSousTraitance: '{name}' is a required property" in messages
        assert f"$.actesSousTraitance[].acteSousTraitance.{name}: required" in codes


def test_long_values_are_cut_in_messages(validators: Validators) -> None:
    outcome = check_record(marche_2022(source_format="2019", objet="x" * 2000), "2019", validators)
    assert any(r.startswith("$.objet: 'xxx") and r.endswith("…") and len(r) < 400 for r in outcome.reasons)


def write_schemas(folder: Path) -> Path:
    for name in ("v2.0.3/schema_decp_v2.0.3.json", "v1.5_2019/marches.json"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text("{}")
    return folder


def test_schemas_folder_resolution_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    option, env = write_schemas(tmp_path / "option"), write_schemas(tmp_path / "env")
    default = write_schemas(tmp_path / "shared" / "data" / "decp" / "schemas")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.delenv(SCHEMAS_ENV, raising=False)
    assert resolve_schemas_dir(None, cwd=work).resolve() == default.resolve()
    monkeypatch.setenv(SCHEMAS_ENV, str(env))
    assert resolve_schemas_dir(None, cwd=work) == env
    assert resolve_schemas_dir(option, cwd=work) == option


def test_missing_schemas_fail_with_a_clear_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.delenv(SCHEMAS_ENV, raising=False)
    with pytest.raises(ConfigurationError, match="--schemas DIR or the SPASER_DECP_SCHEMAS"):
        resolve_schemas_dir(None, cwd=work)
    # A wrong --schemas (or $SPASER_DECP_SCHEMAS) does not fall back on the default location.
    write_schemas(tmp_path / "shared" / "data" / "decp" / "schemas")
    with pytest.raises(ConfigurationError, match=r"--schemas \("):
        resolve_schemas_dir(tmp_path / "nope", cwd=work)
    monkeypatch.setenv(SCHEMAS_ENV, str(tmp_path / "nope"))
    with pytest.raises(ConfigurationError, match=r"\$SPASER_DECP_SCHEMAS \("):
        resolve_schemas_dir(None, cwd=work)
