"""DECP enumerations (spaser.decp.enums): allowed values checked against the official schemas, and each
normalisation rule tied to the real record that motivated it."""

from __future__ import annotations

import json
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spaser.decp.enums import ENUMS, FIELD_ALIASES, LEGACY, normalise_enum, normalise_enum_list, parse_bool
from tests.real_records import field_value, real_record

SHARED = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "decp"
REAL = SHARED / "real"
SCHEMAS = SHARED / "schemas"
CROIX = "v2019/marches-securises_ville-de-croix_2019-2021.json"
MPI = "v2019/marches-publics.info_2019-03-07.json"
AIFE = "v2019/data.gouv.fr_aife_2019-04-04.json"
SEMI_2022 = "fixtures_semi_synthetic/decp-processing_decp_test_2022.json"
MEGALIS = "v2024/megalis-bretagne_decp-59920013600241-2024-07-09-01.json"
HYBRID_XML = "v2024/decp-rama_test_tri_hybrid-2019-2024.xml"
MINEF_2022 = "tabular/minef_decp-augmente_valides_2022_sample.csv"


def _path(relative: Path) -> Path:
    if not relative.exists():
        pytest.skip(f"shared DECP data absent ({relative}): clone the shared data beside the repository")
    return relative


# --- allowed values = the official schemas --------------------------------------------------------

# Schema property (or array definition) name → enumeration of spaser.decp.enums.
_SCHEMA_NAMES = {
    "nature": "nature", "procedure": "procedure", "typeCode": "typeCode", "formePrix": "formePrix",
    "ccag": "ccag", "typeGroupementOperateurs": "typeGroupementOperateurs", "variationPrix": "variationPrix",
    "techniqueArray": "technique", "modaliteExecutionArray": "modaliteExecution", "typePrixArray": "typePrix",
    "considerationSocialeArray": "considerationSociale",
    "considerationEnvironnementaleArray": "considerationEnvironnementale",
}


def _schema_enums(relative: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}

    def walk(node: object, name: str) -> None:
        if isinstance(node, dict):
            if "enum" in node and name in _SCHEMA_NAMES:
                found.setdefault(_SCHEMA_NAMES[name], set()).update(v for v in node["enum"] if v is not None)
            for key, child in node.items():
                walk(child, name if key in ("items", "enum") else key)
        elif isinstance(node, list):
            for child in node:
                walk(child, name)

    walk(json.loads(_path(SCHEMAS / relative).read_text(encoding="utf-8")), "")
    return found


@pytest.mark.shared_data
def test_every_schema_value_is_allowed() -> None:
    for relative in ("v1.5_2019/marches.json", "v2.0.3/schema_decp_v2.0.3.json"):
        for field, values in _schema_enums(relative).items():
            assert values <= set(ENUMS[field]), (relative, field, values - set(ENUMS[field]))


@pytest.mark.shared_data
def test_every_allowed_value_comes_from_a_schema() -> None:
    union: dict[str, set[str]] = {}
    for relative in ("v1.5_2019/marches.json", "v2.0.3/schema_decp_v2.0.3.json"):
        for field, values in _schema_enums(relative).items():
            union.setdefault(field, set()).update(values)
    assert set(union) == set(ENUMS)
    for field, allowed in ENUMS.items():
        assert set(allowed) <= union[field], (field, set(allowed) - union[field])


# --- rules tied to real records -------------------------------------------------------------------


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("name", "match", "field", "expected"),
    [
        (CROIX, {"id": "20192019-280001"}, "nature", "Marché"),  # "marché"
        (AIFE, {"autoriteConcedante.id": "80128543800017"}, "nature", "Concession de travaux"),
        (AIFE, {"id": "4554635465583635"}, "nature", "Concession de service public"),
        (AIFE, {"autoriteConcedante.id": "20002298600018"}, "nature", "Délégation de service public"),
        (AIFE, {"autoriteConcedante.id": "80128543800017"}, "lieuExecution.typeCode", "Code postal"),
        (AIFE, {"autoriteConcedante.id": "20002298600018"}, "lieuExecution.typeCode", "Code département"),
        (CROIX, {"id": "202117F000000000"}, "lieuExecution.typeCode", "Code postal"),  # "Code Postal"
        (CROIX, {"id": "2021iak880000000"}, "procedure", "Appel d'offres ouvert"),  # "Appel d offres ouvert"
    ],
)
def test_spelling_is_corrected_and_flagged(
    name: str, match: dict[str, object], field: str, expected: str
) -> None:
    raw = field_value(real_record(name, **match), field)
    assert raw != expected
    key = field.rpartition(".")[2]
    assert normalise_enum(key, raw) == (expected, (f"{key}:enum_corrige",))


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("name", "record_id", "expected"),
    [
        (MPI, "2019PA183100", "Marché passé sans publicité ni mise en concurrence préalable"),
        (AIFE, "2018jAiR9ay9k100", "Marché passé sans publicité ni mise en concurrence préalable"),
        (MPI, "2018622200", "Procédure avec négociation"),  # "Procédure concurrentielle avec négociation"
        (MPI, "2018CAA04200", "Procédure avec négociation"),  # "Procédure négociée avec mise en concurrence…"
    ],
)
def test_v14_procedure_labels_are_mapped(name: str, record_id: str, expected: str) -> None:
    raw = real_record(name, id=record_id)["procedure"]
    assert raw in LEGACY["procedure"]
    assert normalise_enum("procedure", raw) == (expected, ("procedure:enum_ancien",))


@pytest.mark.shared_data
def test_2019_natures_are_kept() -> None:
    rec = real_record(MPI, id="2018MC1804600")
    assert normalise_enum("nature", rec["nature"]) == ("Accord-cadre", ())


@pytest.mark.shared_data
def test_empty_enum_is_missing() -> None:
    assert normalise_enum("nature", real_record(CROIX, id="2020qmezv0000000")["nature"]) == (
        None, ("nature:manquant",)
    )
    rec = real_record(CROIX, id="2021hfzc30000000")
    assert normalise_enum("procedure", rec["procedure"]) == (None, ("procedure:manquant",))
    assert normalise_enum("formePrix", rec["formePrix"]) == (None, ("formePrix:manquant",))


@pytest.mark.shared_data
def test_wrapped_v2_lists() -> None:
    rec = real_record(SEMI_2022, id="2022VI2022.242")
    assert normalise_enum_list("technique", rec["techniques"]) == (["Accord-cadre", "Concours"], ())
    megalis = real_record(MEGALIS, id="H9O2024T0000256")
    assert normalise_enum_list("considerationSociale", megalis["considerationsSociales"]) == (
        ["Pas de considération sociale"], ()
    )


@pytest.mark.shared_data
def test_lower_case_variation_prix_in_sous_traitance() -> None:
    rec = real_record(SEMI_2022, id="202401L04")
    acte = rec["actesSousTraitance"][0]["acteSousTraitance"]
    assert normalise_enum("variationPrix", acte["variationPrix"]) == (
        "Ferme", ("variationPrix:enum_corrige",)
    )


@pytest.mark.shared_data
def test_oui_non_booleans() -> None:
    rec = real_record(SEMI_2022, id="202401L04")
    assert parse_bool(rec["marcheInnovant"], "marcheInnovant") == (False, ())


@pytest.mark.shared_data
def test_python_repr_lists_of_the_minef_export() -> None:
    rec = real_record(MINEF_2022, id="202404")
    assert normalise_enum_list("considerationSociale", rec["considerationsSociales"]) == (
        ["Pas de considération sociale"], ("considerationSociale:liste_texte",)
    )


@pytest.mark.shared_data
def test_whitespace_only_xml_tags_are_missing() -> None:
    marche = ET.parse(_path(REAL / HYBRID_XML)).getroot().find("marche")
    assert marche is not None
    assert normalise_enum("ccag", marche.findtext("ccag")) == (None, ("ccag:manquant",))
    assert parse_bool(marche.findtext("attributionAvance"), "attributionAvance") == (
        None, ("attributionAvance:manquant",)
    )
    assert normalise_enum_list("technique", marche.findtext("techniques")) == (None, ("technique:manquant",))
    assert normalise_enum("formePrix", marche.findtext("formePrix")) == ("Révisable", ())


# --- literal rules --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "raw", "expected"),
    [
        ("ccag", "Maîtrise d'œuvre", ("Maitrise d'œuvre", ("ccag:enum_corrige",))),
        ("ccag", "MAITRISE D OEUVRE", ("Maitrise d'œuvre", ("ccag:enum_corrige",))),
        ("ccag", "Maitrise d’oeuvre", ("Maitrise d'œuvre", ("ccag:enum_corrige",))),
        ("ccag", "Techniques de l’information et de la communication",
         ("Techniques de l'information et de la communication", ("ccag:enum_corrige",))),
        ("technique", "Système d’acquisition dynamique",
         ("Système d'acquisition dynamique", ("technique:enum_corrige",))),
        ("modaliteExecution", "Bon de commande", ("Bons de commande", ("modaliteExecution:enum_ancien",))),
        ("formePrix", "Ferme et actualisable", ("Ferme et actualisable", ())),
        ("formePrix", "Forfaitaire", ("Forfaitaire", ())),
        ("considerationSociale", "Concession réservée", ("Concession réservée", ())),
        ("considerationsSociales", "clause sociale",
         ("Clause sociale", ("considerationsSociales:enum_corrige",))),
        ("typeGroupementOperateurs", " Solidaire ", ("Solidaire", ())),
        ("procedure", "Procédure négociée ouverte", ("Procédure négociée ouverte", ())),
        ("formePrix", "Au forfait", ("Au forfait", ("formePrix:enum_inconnu",))),
        ("ccag", None, (None, ("ccag:manquant",))),
        ("ccag", float("nan"), (None, ("ccag:nan",))),
        ("ccag", ["Travaux"], (None, ("ccag:illisible",))),
        ("ccag", 12, ("12", ("ccag:enum_inconnu",))),
    ],
)
def test_literal_enums(field: str, raw: object, expected: tuple[object, tuple[str, ...]]) -> None:
    assert normalise_enum(field, raw) == expected


def test_unknown_field_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="not a DECP enumeration"):
        normalise_enum("couleur", "bleu")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"technique": "Sans objet"}, (["Sans objet"], ())),
        ("Concours", (["Concours"], ())),
        (["Sans objet", "sans objet"], (["Sans objet"], ("technique:enum_corrige", "technique:doublon"))),
        ([{"technique": "concours"}, {"technique": ["Concours"]}],
         (["Concours"], ("technique:enum_corrige", "technique:doublon"))),
        (["Foo", None, ""], (["Foo"], ("technique:enum_inconnu",))),
        ([], (None, ("technique:manquant",))),
        ({}, (None, ("technique:manquant",))),
        ({"technique": []}, (None, ("technique:manquant",))),
        (None, (None, ("technique:manquant",))),
        ("[]", (None, ("technique:liste_texte", "technique:manquant"))),
        ({"a": 1, "b": 2}, (None, ("technique:illisible",))),
        ([[1]], (["1"], ("technique:enum_inconnu",))),
    ],
)
def test_literal_enum_lists(raw: object, expected: tuple[object, tuple[str, ...]]) -> None:
    assert normalise_enum_list("technique", raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (True, (True, ())), (False, (False, ())), ("true", (True, ())), ("False", (False, ())),
        ("oui", (True, ())), ("non", (False, ())), ("1", (True, ("b:texte",))), ("0", (False, ("b:texte",))),
        ("O", (True, ("b:texte",))), ("N", (False, ("b:texte",))), (1, (True, ("b:texte",))),
        (0.0, (False, ("b:texte",))), ("", (None, ("b:manquant",))), (None, (None, ("b:manquant",))),
        ("peut-être", (None, ("b:illisible",))), (2, (None, ("b:illisible",))),
        ([True], (None, ("b:illisible",))),
        (float("nan"), (None, ("b:nan",))),
    ],
)
def test_parse_bool(raw: object, expected: tuple[object, tuple[str, ...]]) -> None:
    assert parse_bool(raw, "b") == expected


# --- properties -----------------------------------------------------------------------------------

ANY = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=3),
    max_leaves=6,
)
FIELDS = st.sampled_from(sorted(ENUMS) + sorted(FIELD_ALIASES))
CANONICAL = st.sampled_from([(field, value) for field, values in ENUMS.items() for value in values])


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


@pytest.mark.slow
@given(FIELDS, ANY)
def test_never_raises(field: str, raw: object) -> None:
    value, flags = normalise_enum(field, raw)
    assert all(f.startswith(f"{field}:") for f in flags)
    canonical = ENUMS[FIELD_ALIASES.get(field, field)]
    assert value is None or value in canonical or flags == (f"{field}:enum_inconnu",)
    items = normalise_enum_list(field, raw).value
    assert items is None or (items and len(set(items)) == len(items))
    assert parse_bool(raw, field).value in (None, True, False)


@pytest.mark.slow
@given(CANONICAL, st.sampled_from([str.upper, str.lower, _strip_accents, lambda s: s.replace("'", " ")]))
def test_spelling_variants_map_back(pair: tuple[str, str], variant: Any) -> None:
    field, value = pair
    spelled = variant(value)
    assert normalise_enum(field, spelled) == (value, () if spelled == value else (f"{field}:enum_corrige",))
