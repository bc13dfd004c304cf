"""The Egalim vocabulary (catalogue) and the arithmetic of the results model (shares, rounding, target checks)."""

from __future__ import annotations

import csv
from decimal import Decimal

import pytest

from spaser.indicators.egalim import catalogue
from spaser.indicators.egalim.catalogue import (
    CHARACTERISTICS,
    GROUPS,
    MAINLAND,
    MEAT_AND_FISH,
    group_of,
    restaurant_targets,
    targets_for,
)
from spaser.indicators.egalim.results import Part, TargetCheck
from tests.conftest import shared

# ------------------------------------------------------------------------------------------------
# Priority: each line counts once, in the first group (BIO > SIQO > EGALIM_AUTRES > EXTERNALITES_PERFORMANCE)


@pytest.mark.parametrize(("codes", "group"), [
    (["BIO", "IGP"], "BIO"),  # bio wins over a quality sign
    (["IGP", "BIO"], "BIO"),  # whatever the order of the codes
    (["IGP", "HVE"], "SIQO"),  # a quality sign wins over other Egalim
    (["HVE", "PERFORMANCE"], "EGALIM_AUTRES"),
    (["EXTERNALITES"], "EXTERNALITES_PERFORMANCE"),  # counts for Egalim, not for bio
    (["CONVERSION_BIO"], "BIO"),  # in conversion counts as bio
    (["EQUIVALENTS"], "EXTERNALITES_PERFORMANCE"),  # older code, still read
    (["LABEL_ROUGE", "AOCAOP", "STG"], "SIQO"),
    (["PECHE_DURABLE", "FERMIER", "COMMERCE_EQUITABLE", "RUP"], "EGALIM_AUTRES"),
    ([], "NON_EGALIM"),
    (["FRANCE", "LOCAL", "CIRCUIT_COURT"], "NON_EGALIM"),  # origin and proximity are not characteristics
    (["INCONNU"], "NON_EGALIM"),
])
def test_group_of_priority(codes: list[str], group: str) -> None:
    assert group_of(codes) == group
    assert group_of(tuple(codes)) == group


def test_groups_in_priority_order() -> None:
    assert GROUPS == ("BIO", "SIQO", "EGALIM_AUTRES", "EXTERNALITES_PERFORMANCE")
    assert {c.group for c in CHARACTERISTICS} == set(GROUPS)


def test_meat_and_fish_excludes_charcuterie() -> None:
    assert set(MEAT_AND_FISH) == {"VIANDES_VOLAILLES", "PRODUITS_DE_LA_MER"}
    assert "CHARCUTERIE" in catalogue.FAMILIES and "CHARCUTERIE" not in MEAT_AND_FISH
    assert set(MEAT_AND_FISH) <= set(catalogue.FAMILIES)


# ------------------------------------------------------------------------------------------------
# Targets by territory and year


@pytest.mark.parametrize(("departement", "year", "expected"), [
    ("35", 2023, (MAINLAND, 50.0, 20.0, None)),  # meat and fish only from 2024
    ("35", 2024, (MAINLAND, 50.0, 20.0, 60.0)),
    ("2A", 2025, (MAINLAND, 50.0, 20.0, 60.0)),
    (None, 2024, (MAINLAND, 50.0, 20.0, 60.0)),  # unknown département: mainland (the stricter)
    ("974", 2024, ("La Réunion", 20.0, 5.0, None)),  # no meat-and-fish target overseas
    ("971", 2024, ("Guadeloupe", 20.0, 5.0, None)),
    ("972", 2022, ("Martinique", 20.0, 5.0, None)),
    ("973", 2024, ("Guyane", 20.0, 5.0, None)),
    ("976", 2024, ("Mayotte", 5.0, 2.0, None)),
    ("975", 2024, ("Saint-Pierre-et-Miquelon", 30.0, 10.0, None)),
])
def test_targets_for(departement: str | None, year: int, expected: tuple[str, float, float, float | None]) -> None:
    t = targets_for(departement, year)
    assert (t.territory, t.egalim, t.bio, t.meat_and_fish) == expected


def test_state_restaurants_meat_and_fish_100_from_2024() -> None:
    assert restaurant_targets("75", 2024, state=True).meat_and_fish == 100.0
    assert restaurant_targets("75", 2024, state=False).meat_and_fish == 60.0
    assert restaurant_targets("75", 2023, state=True).meat_and_fish is None  # not before 2024
    assert restaurant_targets("974", 2024, state=True).meat_and_fish is None  # none overseas
    assert restaurant_targets("75", 2024, state=True).egalim == 50.0


# ------------------------------------------------------------------------------------------------
# The national tool's list of characteristics


def test_characteristics_match_the_national_tool() -> None:
    path = shared("reference/egalim_caracteristiques_ma-cantine.csv")
    with path.open(encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    qualifying = {r["code"]: r for r in rows if r["groupe_egalim"] in GROUPS}
    assert {c.code: c.group for c in CHARACTERISTICS} == {code: r["groupe_egalim"] for code, r in qualifying.items()}
    for c in CHARACTERISTICS:
        row = qualifying[c.code]
        assert row["compte_pour_50pct_durable_qualite"] == "true"
        assert row["compte_pour_20pct_bio"] == ("true" if c.group == "BIO" else "false"), c.code
        assert c.still_used == row["statut_dans_ma_cantine"].startswith("actif"), c.code
    others = {r["code"] for r in rows if r["groupe_egalim"] not in GROUPS}
    assert {"FRANCE", "EUROPE", "CIRCUIT_COURT", "LOCAL"} <= others
    assert not others & set(catalogue.BY_CODE)
    assert set(catalogue.ORIGIN_CODES) == {"FRANCE", "EUROPE"}


# ------------------------------------------------------------------------------------------------
# Shares and target checks


def test_part_share_rounded_and_zero_base() -> None:
    third = Part(Decimal("1.00"), Decimal("3.00"))
    assert third.share == pytest.approx(33.333333333)
    assert third.rounded == 33.3
    assert Part(Decimal("1.00"), Decimal("16.00")).rounded == 6.3  # 6.25 → 6.3, half up (round() would give 6.2)
    empty = Part(Decimal("0.00"), Decimal("0.00"))
    assert empty.share is None and empty.rounded is None and empty.ratio is None


def test_target_met_exactly_at_the_target() -> None:
    exact = TargetCheck("egalim", Part(Decimal("50.00"), Decimal("100.00")), 50.0)  # 50.0 % of 50 %
    assert exact.met is True and exact.gap == 0.0 and exact.value == 50.0
    # 4 999.99 / 10 000.00 = 49.9999 %: displayed 50.0 %, yet not met (decided on the exact decimals)
    short = TargetCheck("egalim", Part(Decimal("4999.99"), Decimal("10000.00")), 50.0)
    assert short.part.rounded == 50.0
    assert short.met is False and short.gap == pytest.approx(-0.0001)
    assert TargetCheck("bio", Part(Decimal("20.00"), Decimal("100.00")), 20.0).met is True
    assert TargetCheck("bio", Part(Decimal("0.00"), Decimal("0.00")), 20.0).met is None
    assert TargetCheck("bio", Part(Decimal("0.00"), Decimal("0.00")), 20.0).gap is None
