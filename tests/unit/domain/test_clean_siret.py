"""Identifier cleaning rules (spaser.domain.siret), each tied to the real record that motivated it."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.fr import siret as stdnum_siret

from spaser.domain.siret import VALID_TYPES, clean_acheteur_id, clean_identifiant, siren_of
from tests.real_records import load_records, real_record

CROIX = "v2019/marches-securises_ville-de-croix_2019-2021.json"
MPI = "v2019/marches-publics.info_2019-03-07.json"
AIFE = "v2019/data.gouv.fr_aife_2019-04-04.json"


def titulaire(name: str, record_id: str, **match: object) -> dict[str, Any]:
    """A titulaire of record ``record_id`` matching ``match`` (ids are reused: every record is searched)."""
    for rec in load_records(name):
        if rec.get("id") != record_id:
            continue
        for party in rec.get("titulaires") or []:
            if all(party.get(k) == v for k, v in match.items()):
                return dict(party)
    raise AssertionError(f"{name}: no titulaire {match} in record {record_id}")


# --- rules tied to real records -------------------------------------------------------------------


@pytest.mark.shared_data
def test_empty_type_with_14_digits_is_inferred_siret() -> None:
    party = titulaire(CROIX, "202117F000000000", id="81809944200019")
    assert party["typeIdentifiant"] == ""
    assert clean_identifiant(party["typeIdentifiant"], party["id"]) == (
        "SIRET", "81809944200019", ("titulaire:type_deduit",), True
    )


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("record_id", "raw_type"), [("1914joepc0000002", "Siret"), ("20192019-280001", "siret")]
)
def test_type_in_wrong_case(record_id: str, raw_type: str) -> None:
    party = titulaire(CROIX, record_id, typeIdentifiant=raw_type)
    kind, ident, flags, valid = clean_identifiant(party["typeIdentifiant"], party["id"])
    assert (kind, ident, flags, valid) == ("SIRET", party["id"], ("titulaire:type_corrige",), True)


@pytest.mark.shared_data
def test_tva_intracommunautaire_is_tva() -> None:
    party = titulaire(AIFE, "2018Tsct3VXh4H00", typeIdentifiant="TVA_INTRACOMMUNAUTAIRE")
    assert clean_identifiant(party["typeIdentifiant"], party["id"]) == (
        "TVA", "FR66562096297", ("titulaire:type_corrige",), False
    )


@pytest.mark.shared_data
def test_valid_siret_typed_tva_becomes_siret() -> None:
    party = titulaire(AIFE, "2018om5Wzvjcva00", typeIdentifiant="TVA_INTRACOMMUNAUTAIRE")
    assert clean_identifiant(party["typeIdentifiant"], party["id"]) == (
        "SIRET", "33074169500044", ("titulaire:type_corrige",), True
    )


@pytest.mark.shared_data
@pytest.mark.parametrize(("raw_type", "expected"), [("HORS_UE", "HORS-UE"), ("FRW", "FRWF")])
def test_type_spellings_of_aife(raw_type: str, expected: str) -> None:
    party = titulaire(AIFE, "2010039988110804", typeIdentifiant=raw_type)
    kind, ident, flags, valid = clean_identifiant(party["typeIdentifiant"], party["id"])
    assert (kind, ident, flags, valid) == (expected, party["id"], ("titulaire:type_corrige",), False)


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("name", "record_id", "raw_id", "expected"),
    [
        (MPI, "2018DS180900", " 44189140500017 ", "44189140500017"),
        (AIFE, "2018pV7tPH4zeJ00", "\t32359288100060", "32359288100060"),
    ],
)
def test_spaces_and_tabs_around_siret(name: str, record_id: str, raw_id: str, expected: str) -> None:
    party = titulaire(name, record_id, id=raw_id)
    assert clean_identifiant(party["typeIdentifiant"], party["id"]) == (
        "SIRET", expected, ("titulaire:id_espaces",), True
    )


@pytest.mark.shared_data
def test_spaced_siren_is_compacted_and_flagged_too_short() -> None:
    party = titulaire(MPI, "2018BDLPROV00", id="414 550 293  ")
    assert clean_identifiant(party["typeIdentifiant"], party["id"]) == (
        "SIRET", "414550293", ("titulaire:id_espaces", "titulaire:siret_longueur"), False
    )


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("name", "record_id", "raw_id"),
    [(MPI, "2018T0400", "614500585"), (CROIX, "20192018-33B0000", "69300109100091810330")],
)
def test_siret_of_wrong_length(name: str, record_id: str, raw_id: str) -> None:
    party = titulaire(name, record_id, id=raw_id)
    _, ident, flags, valid = clean_identifiant(party["typeIdentifiant"], party["id"])
    assert (ident, valid) == (raw_id, False)
    assert "titulaire:siret_longueur" in flags


@pytest.mark.shared_data
def test_all_zeros_siret_is_not_an_identity() -> None:
    party = titulaire(MPI, "2018S4200", id="0000000000000000")
    assert clean_identifiant(party["typeIdentifiant"], party["id"]) == (
        "SIRET", None, ("titulaire:siret_zeros", "titulaire:siret_longueur"), False
    )


@pytest.mark.shared_data
def test_luhn_failure_is_kept_and_flagged() -> None:
    party = titulaire(MPI, "2018008000", id="50024529800026")
    assert clean_identifiant(party["typeIdentifiant"], party["id"]) == (
        "SIRET", "50024529800026", ("titulaire:siret_cle",), False
    )


@pytest.mark.shared_data
def test_clean_buyer_id() -> None:
    rec = real_record(CROIX, id="202117F000000000", montant="30000.00")
    assert clean_acheteur_id(rec["acheteur"]["id"]) == ("21590163800019", ())


@pytest.mark.shared_data
def test_invalid_buyer_id_is_kept() -> None:
    # 55 AIFE records carry this fake buyer id (e.g. id 2018123456789100, an id reused by several buyers).
    rec = real_record(AIFE, id="2018123456789100", **{"acheteur.id": "58303852672361"})
    assert clean_acheteur_id(rec["acheteur"]["id"]) == ("58303852672361", ("acheteur:siret_cle",))


# --- literal rules --------------------------------------------------------------------------------


def test_la_poste_exception() -> None:
    # La Poste establishments (SIREN 356000000) fail Luhn; stdnum checks the sum of digits instead.
    assert clean_identifiant("SIRET", "35600000010000") == ("SIRET", "35600000010000", (), True)
    assert clean_identifiant("SIRET", "35600000000048") == ("SIRET", "35600000000048", (), True)


@pytest.mark.parametrize(
    ("raw_type", "raw_id", "expected"),
    [
        ("SIRET", "42399908500057", ("SIRET", "42399908500057", (), True)),
        ("SIRET ", "42399908500057", ("SIRET", "42399908500057", ("t:type_corrige",), True)),
        ("TVA intracommunautaire", "FR66562096297", ("TVA", "FR66562096297", ("t:type_corrige",), False)),
        ("hors ue", "X1", ("HORS-UE", "X1", ("t:type_corrige",), False)),
        ("UE", "DE243659508", ("UE", "DE243659508", (), False)),
        ("DUNS", "123", ("DUNS", "123", ("t:type_inconnu",), False)),
        (None, "81809944200019", ("SIRET", "81809944200019", ("t:type_deduit",), True)),
        ("", "FR66562096297", (None, "FR66562096297", ("t:type_manquant",), False)),
        (["SIRET"], "42399908500057", (None, "42399908500057", ("t:type_inconnu",), False)),
        ("SIRET", 42399908500057, ("SIRET", "42399908500057", ("t:id_numerique",), True)),
        ("SIRET", 8668008900017, ("SIRET", "8668008900017", ("t:id_numerique", "t:siret_longueur"), False)),
        ("SIRET", 4.2399908500057e13, ("SIRET", "42399908500057", ("t:id_numerique",), True)),
        ("SIRET", "423 999 085 00057", ("SIRET", "42399908500057", ("t:id_espaces",), True)),
        ("SIRET", "423.999.085/00057", ("SIRET", "42399908500057", ("t:id_espaces",), True)),
        ("SIRET", "00000000000000", ("SIRET", None, ("t:siret_zeros",), False)),
        ("SIRET", "B-91295212", ("SIRET", "B-91295212", ("t:siret_longueur",), False)),
        ("SIRET", None, ("SIRET", None, ("t:id_manquant",), False)),
        ("SIRET", "  ", ("SIRET", None, ("t:id_manquant",), False)),
        ("SIRET", {"id": 1}, ("SIRET", None, ("t:id_illisible",), False)),
        ("SIRET", True, ("SIRET", None, ("t:id_illisible",), False)),
    ],
)
def test_literal_identifiers(raw_type: object, raw_id: object, expected: tuple[object, ...]) -> None:
    assert clean_identifiant(raw_type, raw_id, "t") == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("21590163800019", ("21590163800019", ())),
        (" 215 901 638 00019", ("21590163800019", ("acheteur:id_espaces",))),
        (21590163800019, ("21590163800019", ("acheteur:id_numerique",))),
        ("2159016380001", ("2159016380001", ("acheteur:siret_longueur",))),
        ("00000000000000", ("00000000000000", ("acheteur:siret_zeros",))),
        ("", (None, ("acheteur:id_manquant",))),
        (None, (None, ("acheteur:id_manquant",))),
    ],
)
def test_literal_buyer_ids(raw: object, expected: tuple[object, tuple[str, ...]]) -> None:
    assert clean_acheteur_id(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("21590163800019", "215901638"), ("215 901 638 00019", "215901638"), ("215901638", None),
     ("00000000000000", None), ("2159016380001A", None)],
)
def test_siren_of(raw: str, expected: str | None) -> None:
    assert siren_of(raw) == expected


# --- properties -----------------------------------------------------------------------------------

ANY = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text()
    | st.sampled_from(sorted(VALID_TYPES)),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6,
)
SIRETISH = st.from_regex(r"\A[ \t]?[0-9 ./-]{9,18}[ \t]?\Z")


@pytest.mark.slow
@given(ANY, ANY | SIRETISH)
def test_never_raises_and_valid_means_valid(raw_type: object, raw_id: object) -> None:
    kind, ident, flags, valid = clean_identifiant(raw_type, raw_id, "t")
    assert all(f.startswith("t:") for f in flags)
    assert kind is None or kind in VALID_TYPES or "t:type_inconnu" in flags
    if valid:
        assert kind == "SIRET" and ident is not None
        assert len(ident) == 14 and ident.isdigit() and stdnum_siret.is_valid(ident)
        assert siren_of(ident) == ident[:9]
    buyer = clean_acheteur_id(raw_id)
    assert buyer.value is None or isinstance(buyer.value, str)


@pytest.mark.slow
@given(st.from_regex(r"\A[0-9]{14}\Z"))
def test_agrees_with_stdnum(digits: str) -> None:
    _, _, flags, valid = clean_identifiant("SIRET", digits)
    assert valid == (stdnum_siret.is_valid(digits) and digits != "00000000000000")
    assert (flags == ()) == valid


@settings(max_examples=3000, deadline=None)
@given(st.one_of(st.from_regex(r"\A[0-9]{14}\Z"), st.from_regex(r"\A356000000[0-9]{5}\Z"),
                 st.just("35600000000048")))
def test_fast_check_agrees_with_stdnum(digits: str) -> None:
    """The fast Luhn check replaces stdnum's (12 µs a call) and must give the same answer, La Poste included."""
    from spaser.domain.siret import _stdnum_valid

    _stdnum_valid.cache_clear()
    assert _stdnum_valid(digits) == stdnum_siret.is_valid(digits)


ANY_ID = st.one_of(st.from_regex(r"\A[0-9]{14}\Z"), st.from_regex(r"\A356000000[0-9]{5}\Z"),
                   st.sampled_from(["35600000000048", "00000000000000", "21536067800076", "552 045 999 00869",
                                    "4418914050001٣", "4418914050001x", "1234567890123", "123456789012345"]))


@settings(max_examples=300, deadline=None)
@given(st.lists(ANY_ID, max_size=40), st.booleans())
def test_column_check_agrees_with_stdnum(values: list[str], all_fourteen: bool) -> None:
    """``clean_siret_mask`` (a whole column at once) says "clean" exactly for valid 14-digit SIRET, and the scalar
    rules keep those as they are, without a flag."""
    from spaser.domain.siret import clean_siret_mask

    if all_fourteen:  # also the branch where every value has 14 characters
        values = [v for v in values if len(v) == 14]
    mask = clean_siret_mask(values).tolist()
    assert mask == [len(v) == 14 and v.isascii() and v.isdigit() and v.strip("0") != "" and stdnum_siret.is_valid(v)
                    for v in values]
    for v, clean in zip(values, mask, strict=True):
        if clean:
            assert clean_acheteur_id(v) == (v, ())
            assert clean_identifiant("SIRET", v) == ("SIRET", v, (), True)
