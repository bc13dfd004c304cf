"""CPV cleaning rules (spaser.domain.cpv), each tied to the real record that motivated it."""

from __future__ import annotations

import csv
import functools
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spaser.domain.cpv import DIVISIONS, clean_cpv
from tests.real_records import real_record

SHARED = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
CPV_2008 = SHARED / "reference" / "cpv_2008.csv"
CROIX = "v2019/marches-securises_ville-de-croix_2019-2021.json"
MPI = "v2019/marches-publics.info_2019-03-07.json"
AIFE = "v2019/data.gouv.fr_aife_2019-04-04.json"


@functools.cache
def official_check_digits() -> dict[str, str]:
    """code8 → check digit from the CPV 2008 list (Regulation (EC) 213/2008)."""
    if not CPV_2008.is_file():
        pytest.skip(f"CPV reference absent ({CPV_2008}): clone the shared data beside the repository")
    with CPV_2008.open(encoding="utf-8", newline="") as fh:
        return {row["code8"]: row["code"][-1] for row in csv.DictReader(fh)}


# --- rules tied to real records -------------------------------------------------------------------


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("name", "record_id", "raw", "expected"),
    [
        (MPI, "201818AC0010100", "3111000", "03111000"),  # 03111000-2 "Graines"
        (AIFE, "2018q6Wc6zDqJJ00", "9310000", "09310000"),  # 09310000-5 "Électricité"
    ],
)
def test_seven_digits_lost_a_leading_zero(name: str, record_id: str, raw: str, expected: str) -> None:
    rec = real_record(name, id=record_id, codeCPV=raw)
    assert clean_cpv(rec["codeCPV"]) == (expected, ("cpv:zero_manquant",))
    assert clean_cpv(rec["codeCPV"], official_check_digits()) == (expected, ("cpv:zero_manquant",))


@pytest.mark.shared_data
def test_seven_digits_with_check_lost_a_trailing_zero() -> None:
    # "4543100-7": left-padding gives 04543100, in no CPV division; 45431000-7 ("Carrelages") exists and has
    # the same check digit 7, so the lost zero is the trailing one.
    rec = real_record(MPI, id="2019010400", codeCPV="4543100-7")  # buyer 21390300800364 (the id is reused)
    assert rec["acheteur"]["id"] == "21390300800364"
    assert clean_cpv(rec["codeCPV"]) == ("45431000", ("cpv:zero_manquant",))
    assert clean_cpv(rec["codeCPV"], official_check_digits()) == ("45431000", ("cpv:zero_manquant",))
    assert official_check_digits()["45431000"] == "7"


@pytest.mark.shared_data
def test_nine_digits_is_code_plus_check_digit() -> None:
    rec = real_record(MPI, id="201918MSG060500")
    assert rec["codeCPV"] == "031210005"
    assert clean_cpv(rec["codeCPV"]) == ("03121000", ("cpv:format",))
    assert official_check_digits()["03121000"] == "5"


@pytest.mark.shared_data
def test_inner_space() -> None:
    rec = real_record(CROIX, id="2021mdxsc0000000")
    assert clean_cpv(rec["codeCPV"]) == ("66516000", ("cpv:format",))


@pytest.mark.shared_data
def test_trailing_space_and_check_digit_are_dropped_silently() -> None:
    rec = real_record(CROIX, id="2020qmezv0000000")
    assert rec["codeCPV"] == "71315400-3 "
    assert clean_cpv(rec["codeCPV"]) == ("71315400", ())


@pytest.mark.shared_data
def test_empty_code() -> None:
    rec = real_record(CROIX, id="2021040000000000")
    assert clean_cpv(rec["codeCPV"]) == (None, ("cpv:manquant",))


@pytest.mark.shared_data
def test_zero_code_is_unreadable() -> None:
    rec = real_record(AIFE, id="2018nbghaVZXQa00")
    assert clean_cpv(rec["codeCPV"]) == (None, ("cpv:illisible",))


@pytest.mark.shared_data
def test_wrong_check_digit_is_flagged_only_with_the_official_table() -> None:
    # CPV 2008 says 90620000-9; the record says -1. No algorithm can tell (see the module docstring).
    rec = real_record(MPI, id="20180001-0200")
    assert rec["codeCPV"] == "90620000-1"
    assert clean_cpv(rec["codeCPV"]) == ("90620000", ())
    assert clean_cpv(rec["codeCPV"], official_check_digits()) == ("90620000", ("cpv:cle",))


@pytest.mark.shared_data
def test_divisions_match_the_official_list() -> None:
    assert {code[:2] for code in official_check_digits()} == DIVISIONS
    for code8, check in official_check_digits().items():
        assert clean_cpv(f"{code8}-{check}") == (code8, ())
        assert clean_cpv(code8, official_check_digits()) == (code8, ())


# --- literal rules --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("45000000", ("45000000", ())),
        ("45000000-7", ("45000000", ())),
        ("45 000 000 - 7", ("45000000", ("cpv:format",))),
        ("45000000-7 Travaux de construction", ("45000000", ("cpv:texte",))),
        ("Travaux de construction (45000000)", ("45000000", ("cpv:texte",))),
        ("3111000", ("03111000", ("cpv:zero_manquant",))),
        (45000000, ("45000000", ("cpv:format",))),
        (3111000, ("03111000", ("cpv:format", "cpv:zero_manquant"))),
        (45000000.0, ("45000000", ("cpv:format",))),
        ("12345678", ("12345678", ("cpv:inconnu",))),
        ("00000000", (None, ("cpv:illisible",))),
        ("123456789-1", (None, ("cpv:illisible",))),
        ("Tél 0123456789", (None, ("cpv:illisible",))),
        ("travaux", (None, ("cpv:illisible",))),
        (True, (None, ("cpv:illisible",))),
        (["45000000"], (None, ("cpv:illisible",))),
        ("   ", (None, ("cpv:manquant",))),
        (None, (None, ("cpv:manquant",))),
    ],
)
def test_literal_codes(raw: object, expected: tuple[object, tuple[str, ...]]) -> None:
    assert clean_cpv(raw) == expected


def test_reference_table_decides_the_padding_and_flags_unknown_codes() -> None:
    table = {"03111000": "2", "31110000": "0", "45000000": "7"}
    assert clean_cpv("3111000-0", table) == ("31110000", ("cpv:zero_manquant",))
    assert clean_cpv("3111000-2", table) == ("03111000", ("cpv:zero_manquant",))
    assert clean_cpv("45000000-7", table) == ("45000000", ())
    assert clean_cpv("45000000-3", table) == ("45000000", ("cpv:cle",))
    assert clean_cpv("45100000", table) == ("45100000", ("cpv:inconnu",))


# --- properties -----------------------------------------------------------------------------------

ANY = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6,
)
CPVISH = st.from_regex(r"\A[A-Za-z ]{0,5}[0-9 .]{6,11}(-[0-9])?[A-Za-z ]{0,5}\Z")


@pytest.mark.slow
@given(ANY | CPVISH)
def test_never_raises_and_value_is_eight_digits(raw: object) -> None:
    value, flags = clean_cpv(raw)
    assert all(f.startswith("cpv:") for f in flags)
    if value is None:
        assert flags in (("cpv:manquant",), ("cpv:illisible",))
    else:
        assert len(value) == 8 and value.isascii() and value.isdigit()


@pytest.mark.slow
@given(st.sampled_from(sorted(DIVISIONS)), st.from_regex(r"\A[0-9]{6}\Z"), st.integers(0, 9))
def test_valid_codes_round_trip(division: str, rest: str, check: int) -> None:
    code = division + rest
    assert clean_cpv(code) == (code, ())
    assert clean_cpv(f"{code}-{check}") == (code, ())
