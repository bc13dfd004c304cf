"""The normaliser on the real records that motivated its rules."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from spaser.decp.normalise import Normalised, RecordContext, Rejected, contract_key, normalise
from spaser.decp.xml_read import read_xml
from tests.conftest import TODAY, shared


def ctx(container: str = "", from_xml: bool = False) -> RecordContext:
    return RecordContext("abc:0", 0, "test", "test.json", "abc", container, from_xml, TODAY)


def loaded(record: object, container: str = "", from_xml: bool = False) -> Normalised:
    result = normalise(record, ctx(container, from_xml))
    assert isinstance(result, Normalised), result
    return result


def real(path: str, record_id: str) -> dict[str, Any]:
    document = json.loads(shared(path).read_bytes())
    marches = document["marches"]
    records = marches if isinstance(marches, list) else [*marches.get("marche", []),
                                                         *marches.get("contrat-concession", [])]
    return next(r for r in records if r.get("id") == record_id)


def test_croix_record_strings_and_trailing_space_key() -> None:
    """Ville de Croix (marches-securises), id 202117F000000000: every number is a string, typeCode in the
    wrong case, ``"nom "`` with a trailing space, typeIdentifiant empty."""
    record = real("decp/real/v2019/marches-securises_ville-de-croix_2019-2021.json", "202117F000000000")
    n = loaded(record, "marches")
    row = n.record
    assert row["montant"] == 30000.0 and row["duree_mois"] == 36
    assert row["lieu_execution_type_code"] == "Code postal"
    assert row["lieu_execution_nom"] == "Croix"
    assert {"montant:texte", "dureeMois:texte", "typeCode:enum_corrige"} <= set(row["quality_flags"])
    assert n.titulaires[0]["type_identifiant"] == "SIRET"
    assert row["source_format"] == "2019" and row["kind"] == "marche"
    assert json.loads(row["invalid_values"])["montant_initial"] == "30000.00"


def test_flat_acheteur_key_and_list_of_lists() -> None:
    """MINEF consolidated 2019 file bug, kept as decp-processing's fixture: ``"acheteur.id"`` flat key and
    modification titulaires as a list of lists."""
    record = real("decp/real/fixtures_semi_synthetic/decp-processing_decp_test_2019.json", "2019_83935401")
    n = loaded(record)
    assert n.record["acheteur_id"] == "21500222100012"
    assert "acheteur:cle_aplatie" in n.record["quality_flags"]
    assert "modification.titulaires:liste_de_listes" in n.record["quality_flags"]
    assert [t["modification_rank"] for t in n.titulaires] == [0, 1]
    assert n.record["montant"] == 79237 and n.record["montant_initial"] == 77899.0
    assert n.record["extra"] == '{"source":"e-marchespublics"}'


def test_megalis_2022_record() -> None:
    """Mégalis Bretagne 2024 file: 2022 format with ``_type``, tauxAvance 0 without advance, incomplete
    actes de sous-traitance, empty arrays."""
    n = loaded(real("decp/real/v2024/megalis-bretagne_decp-59920013600241-2024-07-09-01.json", "H9O2024T0000256"),
               "marche")
    row = n.record
    assert row["source_format"] == "2022"
    assert row["considerations_sociales"] == ["Pas de considération sociale"]
    assert row["techniques"] == ["Sans objet"] and row["offres_recues"] == 11
    assert row["attribution_avance"] is False and row["taux_avance"] == 0.0
    assert "tauxAvance:zero_inconnu" not in row["quality_flags"]  # no advance: 0 is not "unknown" here
    assert n.actes_sous_traitance[0]["sous_traitant_id"] == "32933888305269"
    assert n.actes_sous_traitance[0]["montant"] is None
    assert row["date_notification"] == dt.date(2024, 5, 30)


def test_hybrid_xml_record() -> None:
    """MINEF's sorting test record (decp-rama): a 2024 contract in 2019 shape with empty 2022 tags."""
    path = shared("decp/real/v2024/decp-rama_test_tri_hybrid-2019-2024.xml")
    with path.open("rb") as stream:
        (record,) = [r for batch in read_xml(stream) for r in batch]
    n = loaded(record.value, record.container, from_xml=True)
    row = n.record
    assert row["source_format"] == "hybrid"
    assert row["acheteur_nom"] == "CC DU PAYS DE DOL ET DE LA BAIE DU MONT SAINT-MICHEL"
    assert row["marche_innovant"] is None and row.get("offres_recues") is None
    assert row["montant"] == 73500.0
    assert not [f for f in row["quality_flags"] if f.endswith(":texte")]  # XML text numbers are not defects
    assert json.loads(row["extra"]) == {"typeContrat": "MARCHE_PUBLIC"}


def test_official_concession_example() -> None:
    path = shared("decp/schemas/examples/v2.0.3/json/concessions_avec_modifications.json")
    record = json.loads(path.read_bytes())["marches"]["contrat-concession"][0]
    n = loaded(record, "contrat-concession")
    assert n.record["kind"] == "concession"
    assert n.record["acheteur_id"] == record["autoriteConcedante"]["id"]
    assert n.record["montant_initial"] == record["valeurGlobale"]
    assert n.record["n_modifications"] == len(record["modifications"])
    assert n.donnees_execution and all(t["role"] == "concessionnaire" for t in n.titulaires)


def test_aife_placeholder_amount_is_flagged_not_changed() -> None:
    """marches-publics.info record 2018E030000: montant 999 999 999 (placeholder)."""
    n = loaded(real("decp/real/v2019/marches-publics.info_2019-03-07.json", "2018E030000"))
    assert n.record["montant"] == 999999999.0
    assert n.record["montant_suspect"] is True
    assert "montant:placeholder" in n.record["quality_flags"]


@pytest.mark.parametrize(("value", "reason"), [
    ("text", "record:pas_un_objet:str"), (12, "record:pas_un_objet:int"), (None, "record:pas_un_objet:NoneType"),
    ({}, "record:objet_vide"), ({"objet": "x"}, "identite:acheteur_et_id_manquants"),
])
def test_rejections(value: object, reason: str) -> None:
    result = normalise(value, ctx())
    assert isinstance(result, Rejected) and result.reasons[0] == reason


def test_contract_key_separates_lots_and_merges_versions() -> None:
    day = dt.date(2021, 11, 10)
    lot1 = contract_key("marche", "21590163800019", "202117F000000000", day, 70000.0, ["33970714300022"])
    lot2 = contract_key("marche", "21590163800019", "202117F000000000", day, 40000.0, [])
    again = contract_key("marche", "21590163800019", "202117f000000000", day, 70000.0, ["33970714300022"])
    assert lot1 != lot2 and lot1 == again
