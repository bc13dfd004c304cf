"""Date cleaning rules (spaser.domain.dates), each tied to the real record that motivated it."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spaser.domain.dates import MIN_YEAR, clean_date
from tests.real_records import real_record

CROIX = "v2019/marches-securises_ville-de-croix_2019-2021.json"
MPI = "v2019/marches-publics.info_2019-03-07.json"
SEMI_2022 = "fixtures_semi_synthetic/decp-processing_decp_test_2022.json"
NICE = "tabular/nice-atexo_2024-2025_6cols.csv"
TODAY = dt.date(2026, 2, 5)  # the Nice/Atexo extract was taken on 2026-02-05


# --- rules tied to real records -------------------------------------------------------------------


@pytest.mark.shared_data
def test_clean_iso_date_has_no_flag() -> None:
    rec = real_record(CROIX, id="202117F000000000", montant="30000.00")
    assert clean_date(rec["dateNotification"], "dateNotification", TODAY) == (dt.date(2021, 12, 11), ())


@pytest.mark.shared_data
def test_timezone_suffix_is_flagged_and_date_kept_as_written() -> None:
    rec = real_record(MPI, id="20180001-0200")
    assert rec["dateNotification"] == "2018-11-27+01:00"
    assert clean_date(rec["dateNotification"], "dateNotification", TODAY) == (
        dt.date(2018, 11, 27), ("dateNotification:fuseau",)
    )


@pytest.mark.shared_data
def test_impossible_year_0218_is_dropped() -> None:
    rec = real_record(MPI, id="021803cloture00")
    assert rec["dateNotification"] == "0218-10-29"
    assert clean_date(rec["dateNotification"], "dateNotification", TODAY) == (
        None, ("dateNotification:annee_impossible",)
    )


@pytest.mark.shared_data
def test_single_digit_month_and_day() -> None:
    # Concession id 20180300 (autorité concédante 20004136600010); the id is reused by several marchés.
    rec = real_record(MPI, id="20180300", dateDebutExecution="2019-1-1")
    assert rec["autoriteConcedante"]["id"] == "20004136600010"
    assert clean_date(rec["dateDebutExecution"], "dateDebutExecution", TODAY) == (
        dt.date(2019, 1, 1), ("dateDebutExecution:format",)
    )


@pytest.mark.shared_data
def test_pandas_nan_string() -> None:
    rec = real_record(SEMI_2022, id="2020F00075")
    assert clean_date(rec["dateDebutExecution"], "dateDebutExecution", TODAY) == (
        None, ("dateDebutExecution:nan",)
    )


@pytest.mark.shared_data
def test_future_notification_is_kept_and_flagged() -> None:
    rec = real_record(NICE, id_marche="20253 LOT2")
    assert clean_date(rec["date_notification"], "dateNotification", TODAY) == (
        dt.date(2027, 7, 22), ("dateNotification:future",)
    )


@pytest.mark.shared_data
def test_empty_date_is_missing() -> None:
    rec = real_record(SEMI_2022, id="202401L04")
    assert clean_date(rec["dateSignature"], "dateSignature", TODAY) == (None, ("dateSignature:manquant",))


# --- literal rules --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-05-30", (dt.date(2024, 5, 30), ())),
        ("2018-12-17Z", (dt.date(2018, 12, 17), ("d:fuseau",))),
        ("2018-12-17-05:00", (dt.date(2018, 12, 17), ("d:fuseau",))),
        ("2018-12-17T10:30:00", (dt.date(2018, 12, 17), ("d:format",))),
        ("2018-12-17T23:30:00+02:00", (dt.date(2018, 12, 17), ("d:format", "d:fuseau"))),
        (" 2018-12-17 ", (dt.date(2018, 12, 17), ())),
        ("16/09/2021", (dt.date(2021, 9, 16), ("d:format",))),
        ("1/2/2021", (dt.date(2021, 2, 1), ("d:format",))),
        ("16/09/2021 14:00", (dt.date(2021, 9, 16), ("d:format",))),
        ("September, 16 2021 00:00:00", (dt.date(2021, 9, 16), ("d:format",))),
        ("Sep 16, 2021", (dt.date(2021, 9, 16), ("d:format",))),
        ("5021-03-01", (None, ("d:annee_impossible",))),
        ("1949-12-31", (None, ("d:annee_impossible",))),
        ("2037-01-01", (None, ("d:annee_impossible",))),
        ("2036-12-31", (dt.date(2036, 12, 31), ("d:future",))),
        ("2019-02-30", (None, ("d:illisible",))),
        ("2019-W01-1", (None, ("d:illisible",))),
        ("Foo, 16 2021", (None, ("d:illisible",))),
        ("hier", (None, ("d:illisible",))),
        (20190101, (None, ("d:illisible",))),
        ("", (None, ("d:manquant",))),
        (None, (None, ("d:manquant",))),
        (float("nan"), (None, ("d:nan",))),
        (dt.date(2020, 1, 1), (dt.date(2020, 1, 1), ())),
        (dt.datetime(2020, 1, 1, 23, 59), (dt.date(2020, 1, 1), ())),
    ],
)
def test_literal_dates(raw: object, expected: tuple[object, tuple[str, ...]]) -> None:
    assert clean_date(raw, "d", TODAY) == expected


# --- properties -----------------------------------------------------------------------------------

ANY = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text() | st.dates() | st.datetimes(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6,
)
DATE_TEXT = st.from_regex(r"\A[0-9]{1,4}[-/][0-9]{1,2}[-/][0-9]{1,4}([T ][0-9:]{0,8})?(Z|[+-][0-9:]{2,5})?\Z")


@pytest.mark.slow
@given(ANY | DATE_TEXT)
def test_never_raises_and_years_are_plausible(raw: object) -> None:
    value, flags = clean_date(raw, "d", TODAY)
    assert all(f.startswith("d:") for f in flags)
    if value is not None:
        assert MIN_YEAR <= value.year <= TODAY.year + 10
        assert ("d:future" in flags) == (value > TODAY)
    else:
        assert flags


@pytest.mark.slow
@given(st.dates(min_value=dt.date(MIN_YEAR, 1, 1), max_value=TODAY))
def test_iso_dates_round_trip_without_flags(day: dt.date) -> None:
    assert clean_date(day.isoformat(), "d", TODAY) == (day, ())
    assert clean_date(day.strftime("%d/%m/%Y"), "d", TODAY) == (day, ("d:format",))
