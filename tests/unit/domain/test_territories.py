"""The built-in département → région map agrees with INSEE's COG 2025 files."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from spaser.domain.territories import DEPARTEMENT_REGION, REGIONS, clean_departement, clean_region

REFERENCE = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "reference"


@pytest.mark.shared_data
def test_the_map_is_the_cog_2025() -> None:
    if not (REFERENCE / "departements_cog2025.csv").exists():
        pytest.skip(f"{REFERENCE} is absent (COG reference files of ../shared/data)")
    with (REFERENCE / "departements_cog2025.csv").open(encoding="utf-8") as f:
        cog = {row["departement_code"]: row["region_code"] for row in csv.DictReader(f)}
    with (REFERENCE / "regions_cog2025.csv").open(encoding="utf-8") as f:
        regions = {row["region_code"]: row["region_nom"] for row in csv.DictReader(f)}
    # Both files also list the overseas collectivities (975 Saint-Pierre-et-Miquelon, 977, 978, 98x), each its
    # own "région" with its own code: they are neither départements nor régions and are left out.
    collectivities = {d for d, r in cog.items() if d == r}
    assert collectivities == {"975", "977", "978", "981", "984", "986", "987", "988", "989"}
    expected_departements = {d: r for d, r in cog.items() if d not in collectivities}
    expected_regions = {r: name for r, name in regions.items() if r not in collectivities}
    assert expected_departements == DEPARTEMENT_REGION
    assert expected_regions == REGIONS


@pytest.mark.parametrize(("typed", "code"), [("35", "35"), ("5", "05"), ("2a", "2A"), (" 971 ", "971"),
                                              ("20", None), ("975", None), ("bretagne", None), ("", None)])
def test_clean_departement(typed: str, code: str | None) -> None:
    assert clean_departement(typed) == code


def test_clean_region() -> None:
    assert clean_region("53") == "53"
    assert clean_region("6") == "06"
    assert clean_region("35") is None
