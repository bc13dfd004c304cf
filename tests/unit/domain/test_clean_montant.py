"""Amount cleaning rules (spaser.domain.montant), each tied to the real record that motivated it."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spaser.domain.montant import clean_montant, is_suspicious
from tests.real_records import real_record

CROIX = "v2019/marches-securises_ville-de-croix_2019-2021.json"
MPI = "v2019/marches-publics.info_2019-03-07.json"
AIFE = "v2019/data.gouv.fr_aife_2019-04-04.json"
SEMI_2022 = "fixtures_semi_synthetic/decp-processing_decp_test_2022.json"
NICE = "tabular/nice-atexo_2024-2025_6cols.csv"


# --- rules tied to real records -------------------------------------------------------------------


@pytest.mark.shared_data
def test_string_amount_is_parsed_and_flagged_texte() -> None:
    # Croix file: every amount is a string, e.g. id 202117F000000000 "montant": "30000.00".
    rec = real_record(CROIX, id="202117F000000000", montant="30000.00")
    assert clean_montant(rec["montant"]) == (30000.0, ("montant:texte",))


@pytest.mark.shared_data
def test_string_zero_is_texte_and_zero() -> None:
    rec = real_record(CROIX, id="2021040000000000")
    assert rec["montant"] == "0.00"
    value, flags = clean_montant(rec["montant"])
    assert (value, flags) == (0.0, ("montant:texte", "montant:zero"))
    assert is_suspicious(flags)


@pytest.mark.shared_data
def test_zero_amount_is_kept_and_suspicious() -> None:
    rec = real_record(MPI, id="2018MC1804600")
    value, flags = clean_montant(rec["montant"])
    assert (value, flags) == (0.0, ("montant:zero",))
    assert is_suspicious(flags)


@pytest.mark.shared_data
def test_placeholder_999_999_999() -> None:
    rec = real_record(MPI, id="2018E030000")
    value, flags = clean_montant(rec["montant"])
    assert (value, flags) == (999_999_999.0, ("montant:placeholder",))
    assert is_suspicious(flags)


@pytest.mark.shared_data
def test_aberrant_amount_is_kept_not_rescaled() -> None:
    # semi-synthetic decp_test_2022.json id 2020F00075: "montant": 1e17.
    rec = real_record(SEMI_2022, id="2020F00075")
    value, flags = clean_montant(rec["montant"])
    assert (value, flags) == (1e17, ("montant:aberrant",))
    assert is_suspicious(flags)


@pytest.mark.shared_data
def test_nice_placeholders_as_strings() -> None:
    rec = real_record(NICE, id_marche="2025260102")
    assert clean_montant(rec["montant_marche"]) == (999_999_999.0, ("montant:texte", "montant:placeholder"))
    big = real_record(NICE, id_marche="2024-05", montant_marche="99999999999999.0000")
    assert big["id_acheteur"] == "25830274400044"
    assert clean_montant(big["montant_marche"]).flags == (
        "montant:texte", "montant:placeholder", "montant:aberrant"
    )


@pytest.mark.shared_data
def test_concession_value_as_string_uses_field_name() -> None:
    # AIFE concession (autoriteConcedante 80128543800017): "valeurGlobale": "7789456.56".
    rec = real_record(AIFE, **{"autoriteConcedante.id": "80128543800017", "valeurGlobale": "7789456.56"})
    assert clean_montant(rec["valeurGlobale"], "valeurGlobale") == (7789456.56, ("valeurGlobale:texte",))


# --- literal rules --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (30000.0, (30000.0, ())),
        (12, (12.0, ())),
        ("30000.00", (30000.0, ("montant:texte",))),
        ("30 000,50", (30000.5, ("montant:texte",))),
        ("30\u202f000,50\u00a0€", (30000.5, ("montant:texte",))),
        ("1 234 567", (1234567.0, ("montant:texte",))),
        ("1.234.567,89", (1234567.89, ("montant:texte",))),
        ("1,234,567", (1234567.0, ("montant:texte",))),
        ("12 EUR", (12.0, ("montant:texte",))),
        ("1e12", (1e12, ("montant:texte", "montant:aberrant"))),
        ("12,345,67", (None, ("montant:illisible",))),
        ("abc", (None, ("montant:illisible",))),
        ("", (None, ("montant:manquant",))),
        ("   ", (None, ("montant:manquant",))),
        (None, (None, ("montant:manquant",))),
        (True, (None, ("montant:illisible",))),
        ([1], (None, ("montant:illisible",))),
        (float("nan"), (None, ("montant:nan",))),
        (float("inf"), (None, ("montant:nan",))),
        ("NaN", (None, ("montant:nan",))),
        (-5, (-5.0, ("montant:negatif",))),
        (-0.0, (0.0, ("montant:zero",))),
        (Decimal("12.5"), (12.5, ())),
        (10**400, (None, ("montant:illisible",))),
    ],
)
def test_literal_amounts(raw: object, expected: tuple[object, tuple[str, ...]]) -> None:
    assert clean_montant(raw) == expected


@pytest.mark.parametrize("raw", [9_999_999, 99_999_999, 999_999_999.0, 9_999_999_999, 99_999_999.99])
def test_all_nines_placeholders(raw: float) -> None:
    assert "montant:placeholder" in clean_montant(raw, aberrant=1e12).flags


@pytest.mark.parametrize("raw", [999_999, 10_000_000, 99_999_998, 123_456_789])
def test_not_placeholders(raw: float) -> None:
    assert "montant:placeholder" not in clean_montant(raw).flags


def test_aberrant_threshold_is_a_parameter() -> None:
    assert clean_montant(5e8, aberrant=1e8) == (5e8, ("montant:aberrant",))
    assert clean_montant(5e6, aberrant=1e6) == (5e6, ("montant:aberrant",))
    assert clean_montant(5e8) == (5e8, ())


def test_is_suspicious_only_for_value_defects() -> None:
    assert not is_suspicious(())
    assert not is_suspicious(("montant:texte",))
    assert not is_suspicious(("montant:manquant",))
    for defect in ("zero", "negatif", "placeholder", "aberrant", "illisible", "nan"):
        assert is_suspicious(("montant:texte", f"valeurGlobale:{defect}"))


# --- properties -----------------------------------------------------------------------------------

ANY = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text() | st.decimals() | st.binary(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6,
)
AMOUNT_TEXT = st.from_regex(r"\A[ -]?[0-9 .,]{0,12}(e[0-9]{1,3})?( ?€)?\Z")


@pytest.mark.slow
@given(ANY | AMOUNT_TEXT)
def test_never_raises_and_value_is_finite(raw: object) -> None:
    value, flags = clean_montant(raw, "m")
    assert all(f.startswith("m:") for f in flags)
    assert value is None or (isinstance(value, float) and math.isfinite(value))
    if value is not None and not is_suspicious(flags):
        assert 0 < value < 1e9


@pytest.mark.slow
@given(st.floats(min_value=0.01, max_value=9e6))
def test_plain_amounts_are_unchanged(raw: float) -> None:
    assert clean_montant(raw) == (raw, ())
