"""Duration cleaning rules (spaser.domain.duree), each tied to the real record that motivated it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spaser.domain.duree import clean_duree_mois
from tests.real_records import real_record

CROIX = "v2019/marches-securises_ville-de-croix_2019-2021.json"
MPI = "v2019/marches-publics.info_2019-03-07.json"
SEMI_2019 = "fixtures_semi_synthetic/decp-processing_decp_test_2019.json"
SEMI_2022 = "fixtures_semi_synthetic/decp-processing_decp_test_2022.json"


# --- rules tied to real records -------------------------------------------------------------------


@pytest.mark.shared_data
def test_string_duration_is_parsed_and_flagged() -> None:
    rec = real_record(CROIX, id="202117F000000000", montant="30000.00")
    assert rec["dureeMois"] == "36"
    assert clean_duree_mois(rec["dureeMois"]) == (36, ("dureeMois:texte",))


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("name", "record_id"), [(SEMI_2019, "2019-VI2022.242"), (SEMI_2022, "2022VI2022.242")]
)
def test_nc_is_not_a_duration(name: str, record_id: str) -> None:
    rec = real_record(name, id=record_id)
    assert clean_duree_mois(rec["dureeMois"]) == (None, ("dureeMois:nc",))


@pytest.mark.shared_data
def test_decimal_duration_is_rounded_up() -> None:
    rec = real_record(MPI, id="20180024MP01")
    modification = next(m for m in rec["modifications"] if isinstance(m.get("dureeMois"), float))
    assert modification["dureeMois"] == 1.5
    assert clean_duree_mois(modification["dureeMois"]) == (2, ("dureeMois:decimal",))


@pytest.mark.shared_data
def test_zero_duration_is_kept_and_flagged() -> None:
    rec = real_record(CROIX, id="2019h6vxx0000022")
    assert clean_duree_mois(rec["dureeMois"]) == (0, ("dureeMois:texte", "dureeMois:zero"))


@pytest.mark.shared_data
def test_null_duration_in_modification_is_missing() -> None:
    rec = real_record(CROIX, id="2021u1exl0000000")
    modification = next(m for m in rec["modifications"] if m.get("dureeMois") is None)
    assert clean_duree_mois(modification["dureeMois"]) == (None, ("dureeMois:manquant",))


# --- literal rules --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (36, (36, ())),
        ("36.0", (36, ("dureeMois:texte",))),
        (" 12 ", (12, ("dureeMois:texte",))),
        ("1,5", (2, ("dureeMois:texte", "dureeMois:decimal"))),
        (0.3, (1, ("dureeMois:decimal",))),
        ("N/C", (None, ("dureeMois:nc",))),
        ("nc", (None, ("dureeMois:nc",))),
        ("36 mois", (None, ("dureeMois:illisible",))),
        ("", (None, ("dureeMois:manquant",))),
        (None, (None, ("dureeMois:manquant",))),
        (True, (None, ("dureeMois:illisible",))),
        ([36], (None, ("dureeMois:illisible",))),
        (float("nan"), (None, ("dureeMois:nan",))),
        (-3, (None, ("dureeMois:negatif",))),
        ("-0.5", (None, ("dureeMois:texte", "dureeMois:negatif"))),
        (120, (120, ())),
        (299, (299, ())),
        (1200, (1200, ("dureeMois:jours_probable",))),
        (1201, (1201, ("dureeMois:excessive",))),
        (1500, (1500, ("dureeMois:jours_probable", "dureeMois:excessive"))),
        (10**12, (None, ("dureeMois:illisible",))),
    ],
)
def test_literal_durations(raw: object, expected: tuple[object, tuple[str, ...]]) -> None:
    assert clean_duree_mois(raw) == expected


@pytest.mark.parametrize("days", [300, 360, 365, 366, 390, 730, 731, 1095, 1096])
def test_days_typed_as_months_are_kept_and_flagged(days: int) -> None:
    # domain.md §1.5: durations in days entered as months. Kept: 360 months is also a 30-year concession.
    assert clean_duree_mois(days) == (days, ("dureeMois:jours_probable",))


@pytest.mark.parametrize("days", [1460, 1461, 1825, 1826])
def test_days_beyond_100_years_are_also_excessive(days: int) -> None:
    assert clean_duree_mois(days) == (days, ("dureeMois:jours_probable", "dureeMois:excessive"))


@pytest.mark.parametrize("months", [301, 364, 367, 500, 1000])
def test_long_but_not_day_like_durations_are_clean(months: int) -> None:
    assert clean_duree_mois(months) == (months, ())


def test_field_name_prefixes_flags() -> None:
    assert clean_duree_mois("NC", "modification.dureeMois") == (None, ("modification.dureeMois:nc",))


# --- properties -----------------------------------------------------------------------------------

ANY = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text() | st.decimals(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6,
)


@pytest.mark.slow
@given(ANY | st.from_regex(r"\A ?[-+]?[0-9]{0,6}([.,][0-9]{0,3})? ?\Z"))
def test_never_raises_and_value_is_a_natural_number(raw: object) -> None:
    value, flags = clean_duree_mois(raw, "x")
    assert all(f.startswith("x:") for f in flags)
    assert value is None or (type(value) is int and 0 <= value < 2**31)
    if value is None:
        assert flags


@pytest.mark.slow
@given(st.integers(min_value=1, max_value=299))
def test_ordinary_durations_are_unchanged(months: int) -> None:
    assert clean_duree_mois(months) == (months, ())
    assert clean_duree_mois(str(months)) == (months, ("dureeMois:texte",))
