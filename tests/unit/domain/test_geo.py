"""lieuExecution resolution, each rule on the real record that motivated it."""

from __future__ import annotations

import csv
import functools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spaser.domain.geo import Cog, Lieu, departement_of_postal_code, resolve_lieu
from tests.conftest import shared
from tests.real_records import field_value, load_records, real_record

AIFE = "v2019/data.gouv.fr_aife_2019-04-04.json"
MPI = "v2019/marches-publics.info_2019-03-07.json"
CROIX = "v2019/marches-securises_ville-de-croix_2019-2021.json"


@functools.cache
def cog() -> Cog:
    communes_file = shared("reference/communes_cog2025.csv")
    communes: dict[str, tuple[str, str]] = {}
    departements: dict[str, str] = {}
    with communes_file.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            communes[row["commune_code"]] = (row["departement_code"], row["region_code"])
            departements[row["departement_code"]] = row["region_code"]
    return Cog(communes, departements, frozenset(departements.values()))


def lieu_of(name: str, record_id: str) -> Lieu:
    record = real_record(name, id=record_id)
    return resolve_lieu(field_value(record, "lieuExecution.code"), field_value(record, "lieuExecution.typeCode"),
                        cog())


@pytest.mark.parametrize(("name", "record_id", "expected"), [
    (AIFE, "2018IyBj_1JV7R00", Lieu(None, "51", "44", "departement", ("lieu:prefixe_fr",))),  # FR51350
    (MPI, "2018PA04300", Lieu(None, "78", "11", "departement", ("lieu:format",))),  # "078"
    (AIFE, "2018LjTa4EIe2q00", Lieu(None, None, None, None, ("lieu:nuts",))),  # FRF2 typed région
    (AIFE, "2018JIhg_B0-xG00", Lieu(None, None, None, None, ("lieu:nuts",))),  # FR615 typed département
    (MPI, "2019115800", Lieu(None, None, None, "pays", ("lieu:pays",))),  # 250 typed pays
    (MPI, "20190213A00", Lieu(None, "65", "76", "departement", ())),  # arrondissement 651
    (AIFE, "2018HyjAOnc6Qq00", Lieu(None, "56", "53", "departement", ("lieu:type_deduit",))),  # 563, no type
    (MPI, "2019004423B00", Lieu(None, None, None, None, ("lieu:inconnu",))),  # région "820"
    (MPI, "2019201802600", Lieu(None, None, None, None, ("lieu:illisible",))),  # postal "3200"
    (MPI, "20181490100", Lieu(None, None, None, None, ("lieu:illisible",))),  # postal "460000"
    (MPI, "2019C00100", Lieu(None, "2A", "94", "departement", ())),  # 20090 Ajaccio
    (AIFE, "2018YZVmNit-T100", Lieu("38190", "38", "84", "commune", ())),  # 38190: also an INSEE commune code
    (AIFE, "2018BulpUlCkbC00", Lieu(None, "92", "11", "departement", ("lieu:type_deduit",))),  # 92 as commune
])
def test_real_places_of_execution(name: str, record_id: str, expected: Lieu) -> None:
    assert lieu_of(name, record_id) == expected


def test_text_instead_of_a_postal_code_is_not_guessed() -> None:
    # The Ville de Croix file writes "croix" as a postal code: several communes are called Croix.
    record = next(r for r in load_records(CROIX) if field_value(r, "lieuExecution.code") == "croix")
    assert resolve_lieu("croix", field_value(record, "lieuExecution.typeCode"), cog()).niveau is None


def test_commune_code_gives_commune_departement_region() -> None:
    assert resolve_lieu("69123", "Code commune", cog()) == Lieu("69123", "69", "84", "commune", ())
    assert resolve_lieu("75112", "Code commune", cog()) == Lieu("75112", "75", "11", "commune", ())  # arrondissement


@pytest.mark.parametrize(("code", "expected"), [
    ("35000", "35"), ("20000", "2A"), ("20199", "2A"), ("20200", "2B"), ("20620", "2B"), ("97460", "974"),
    ("98714", "987"), ("3500", None), ("A5000", None),
])
def test_postal_code_to_departement(code: str, expected: str | None) -> None:
    assert departement_of_postal_code(code) == expected


def test_without_a_cog_every_place_is_flagged() -> None:
    assert resolve_lieu("35000", "Code postal", Cog()) == Lieu(None, None, None, None, ("lieu:cog_absent",))


@given(st.one_of(st.none(), st.text(max_size=10), st.integers()), st.one_of(st.none(), st.text(max_size=20)))
def test_never_raises_and_resolved_means_known(code: object, type_code: str | None) -> None:
    lieu = resolve_lieu(code, type_code, cog())
    if lieu.departement_code is not None:
        assert lieu.departement_code in cog().departements
        assert lieu.region_code == cog().departements[lieu.departement_code]
    assert all(flag.startswith("lieu:") for flag in lieu.flags)
