"""SPASER targets: parsing errors, trajectories, statuses and which target set applies to which result."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from spaser.errors import InputError
from spaser.indicators.engine import Result
from spaser.indicators.targets import (
    Target,
    TargetSet,
    apply_targets,
    assess,
    default_target_set,
    load_target_set,
    parse_target_set,
)
from tests.integration.indicators.build import BUYER, BUYER_2, BUYER_3, siret

HEAD = f'organisation = "Région Bretagne"\nacheteurs = ["{BUYER}"]\n'


def target_block(indicator: str = "sme_advance", **fields: str) -> str:
    lines = {"indicator": f'"{indicator}"', "measure": '"count"', "value": "50", "year": "2027", **fields}
    return "\n[[target]]\n" + "\n".join(f"{key} = {value}" for key, value in lines.items() if value) + "\n"


def parse_error(text: str, origin: str = "bretagne.toml") -> str:
    with pytest.raises(InputError) as caught:
        parse_target_set(text, origin)
    return caught.value.message


# --- parsing -----------------------------------------------------------------------------------------------------


def test_a_valid_file_is_read_with_its_trajectory(tmp_path: Path) -> None:
    path = tmp_path / "bretagne.toml"
    path.write_text(HEAD + target_block(trajectory="{ 2025 = 46, 2026 = 48 }", note='"axe 2"')
                    + target_block("new_suppliers", value="30", year="2027", measure='"value"'), encoding="utf-8")
    loaded = load_target_set(path)
    assert loaded.organisation == "Région Bretagne"
    assert loaded.acheteurs == (BUYER,)
    assert loaded.include_default is True
    assert loaded.origin == str(path)
    assert loaded.targets == (
        Target("sme_advance", "count", 50.0, 2027, {2025: 46.0, 2026: 48.0}, "axe 2"),
        Target("new_suppliers", "value", 30.0, 2027, {}, None),
    )


def test_unknown_indicator_names_the_file_and_the_target() -> None:
    message = parse_error(HEAD + target_block() + target_block("sme_shares"))
    assert message.startswith("bretagne.toml: target #2: unknown indicator 'sme_shares'")


def test_bad_measure_names_the_file_the_target_and_the_field() -> None:
    message = parse_error(HEAD + target_block(measure='"nombre"'))
    assert message == ("bretagne.toml: target #1 (sme_advance): field 'measure' must be one of count, value, "
                       "got 'nombre'")


def test_a_percentage_above_100_is_refused() -> None:
    message = parse_error(HEAD + target_block(value="120"))
    assert message.startswith("bretagne.toml: target #1 (sme_advance): field 'value'")
    assert "between 0 and 100" in message and "120" in message


def test_a_value_above_100_is_accepted_for_a_unit_that_is_not_a_percentage() -> None:
    """avg_bids is in bids, publication_delay_days in days, supplier_concentration in HHI points."""
    loaded = parse_target_set(HEAD + target_block("publication_delay_days", value="120")
                              + target_block("supplier_concentration", value="1500"), "x.toml")
    assert [t.value for t in loaded.targets] == [120.0, 1500.0]


def test_a_trajectory_year_after_the_due_year_is_refused() -> None:
    message = parse_error(HEAD + target_block(trajectory="{ 2026 = 48, 2028 = 49 }"))
    assert message == ("bretagne.toml: target #1 (sme_advance): trajectory year '2028' must be a year before "
                       "2027")


def test_a_trajectory_point_in_the_due_year_is_refused() -> None:
    message = parse_error(HEAD + target_block(trajectory="{ 2027 = 48 }"))
    assert "target #1 (sme_advance)" in message and "trajectory year '2027'" in message


def test_two_targets_for_one_indicator_and_measure_are_refused() -> None:
    message = parse_error(HEAD + target_block() + target_block(value="60", year="2029"))
    assert message == "bretagne.toml: two targets for sme_advance (count)"


def test_the_same_indicator_in_both_measures_is_allowed() -> None:
    loaded = parse_target_set(HEAD + target_block() + target_block(measure='"value"'), "x.toml")
    assert [(t.indicator, t.measure) for t in loaded.targets] == [("sme_advance", "count"), ("sme_advance", "value")]


@pytest.mark.parametrize("acheteurs", ['["2135000100001"]', '["21350001000011", "ABC"]', '"21350001000011"',
                                       '[21350001000011]', '["2135 0001 0000 11"]'])
def test_bad_acheteurs_are_refused(acheteurs: str) -> None:
    message = parse_error(f'organisation = "X"\nacheteurs = {acheteurs}\n' + target_block())
    assert message.startswith("bretagne.toml: field 'acheteurs' must be a list of SIRET (14 digits) or SIREN "
                              "(9 digits)")


@pytest.mark.parametrize(("text", "pattern"), [
    (target_block(), r"field 'organisation' must be a non-empty text"),
    ('organisation = "X"\ninclude_default = "no"\n', r"field 'include_default' must be true or false"),
    (HEAD + target_block(value='"50"'), r"target #1 \(sme_advance\): field 'value' must be a number"),
    (HEAD + target_block(year="27"), r"target #1 \(sme_advance\): field 'year' must be a year"),
    (HEAD + target_block(trajectory='{ 2025 = "46" }'), r"target #1 \(sme_advance\): field 'trajectory.2025' "
                                                        r"must be a number"),
    (HEAD + "[[target\n", r"invalid TOML"),
])
def test_other_errors_name_the_file_and_the_field(text: str, pattern: str) -> None:
    message = parse_error(text)
    assert message.startswith("bretagne.toml: ")
    assert re.search(pattern, message), message


def test_an_unreadable_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"absent\.toml: cannot read the target file"):
        load_target_set(tmp_path / "absent.toml")


# --- trajectory and status ---------------------------------------------------------------------------------------


def test_expected_at_interpolates_between_milestones_and_the_target() -> None:
    """Milestones 2024 = 40 and 2026 = 46, target 50 in 2028: 2025 is half-way between 40 and 46 → 43;
    2027 half-way between 46 and 50 → 48; before 2024 nothing is expected; from 2028 the target."""
    target = Target("sme_advance", "count", 50.0, 2028, {2024: 40.0, 2026: 46.0})
    assert [target.expected_at(year) for year in range(2022, 2031)] == [None, None, 40.0, 43.0, 46.0, 48.0,
                                                                         50.0, 50.0, 50.0]


def test_expected_at_without_trajectory_is_the_target_from_its_year() -> None:
    target = Target("env_consideration", "count", 100.0, 2025)
    assert (target.expected_at(2024), target.expected_at(2025), target.expected_at(2026)) == (None, 100.0, 100.0)


def test_expected_at_one_third_of_the_way() -> None:
    """Milestone 2024 = 10, target 40 in 2027: 2025 → 10 + 30 × 1/3 = 20; 2026 → 10 + 30 × 2/3 = 30."""
    target = Target("new_suppliers", "count", 40.0, 2027, {2024: 10.0})
    assert target.expected_at(2025) == pytest.approx(20.0)
    assert target.expected_at(2026) == pytest.approx(30.0)


HIGHER = Target("sme_advance", "count", 50.0, 2027, {2025: 46.0})  # expected 48 in 2026
LOWER = Target("single_bid", "count", 20.0, 2027, {2025: 30.0})  # expected 25 in 2026


@pytest.mark.parametrize(("value", "year", "status", "gap", "expected"), [
    (52.0, 2026, "met", 2.0, 48.0),  # reaches the target early
    (50.0, 2027, "met", 0.0, 50.0),  # exactly the target
    (49.0, 2026, "on_track", -1.0, 48.0),  # ≥ 48 expected in 2026
    (48.0, 2026, "on_track", -2.0, 48.0),
    (47.0, 2026, "off_track", -3.0, 48.0),
    (46.0, 2025, "on_track", -4.0, 46.0),  # the declared milestone
    (49.0, 2027, "off_track", -1.0, 50.0),  # due year, not reached
    (49.0, 2030, "off_track", -1.0, 50.0),  # after the due year
    (45.0, 2024, "off_track", -5.0, None),  # before the first milestone: nothing to be on track with
])
def test_assess_when_higher_is_better(value: float, year: int, status: str, gap: float,
                                      expected: float | None) -> None:
    assert assess(value, year, HIGHER, "higher") == (status, gap, expected)


@pytest.mark.parametrize(("value", "year", "status", "gap", "expected"), [
    (18.0, 2026, "met", -2.0, 25.0),  # at or below the target
    (20.0, 2027, "met", 0.0, 20.0),
    (24.0, 2026, "on_track", 4.0, 25.0),  # ≤ 25 expected in 2026
    (25.0, 2026, "on_track", 5.0, 25.0),
    (26.0, 2026, "off_track", 6.0, 25.0),
    (21.0, 2028, "off_track", 1.0, 20.0),
    (35.0, 2024, "off_track", 15.0, None),
])
def test_assess_when_lower_is_better(value: float, year: int, status: str, gap: float,
                                     expected: float | None) -> None:
    assert assess(value, year, LOWER, "lower") == (status, gap, expected)


def test_assess_without_value_or_year_has_no_status() -> None:
    assert assess(None, 2026, HIGHER, "higher") == (None, None, None)
    assert assess(60.0, None, HIGHER, "higher") == (None, None, None)


def test_without_trajectory_a_value_short_of_the_target_is_off_track_before_the_due_year() -> None:
    target = Target("social_consideration", "count", 30.0, 2025)
    assert assess(29.0, 2024, target, "higher") == ("off_track", -1.0, None)
    assert assess(31.0, 2024, target, "higher") == ("met", 1.0, None)


# --- which target applies ----------------------------------------------------------------------------------------

OTHER_SITE = siret(21290002, 7)  # another establishment of BUYER_2's company
ORGANISATION = f"""
organisation = "Région Bretagne"
acheteurs = ["{BUYER}", "{BUYER_2[:9]}"]

[[target]]
indicator = "social_consideration"
measure = "count"
value = 40
year = 2027
"""


def _result(indicator: str, value: float, scope: str = "buyer", scope_id: str | None = BUYER,
            measure: str = "count", year: int = 2026) -> Result:
    return Result(id=indicator, measure=measure, year=year, scope=scope, scope_id=scope_id, numerator=None,
                  denominator=None, value=value, unit="%", coverage=1.0, population=1, known=1, excluded=0)


def _targets(results: list[Result], sets: list[TargetSet], buyer: str | None = None) -> list[tuple[object, ...]]:
    return [(r.target, r.target_year, r.status, r.gap, r.expected)
            for r in apply_targets(results, sets, buyer=buyer)]


def test_the_organisations_target_applies_to_its_buyers_by_siret_and_siren() -> None:
    """social_consideration at 35 % in 2026: the organisation's 40 % by 2027 (no trajectory) → off_track, gap −5;
    the national 30 % by 2025 → met, gap +5."""
    organisation = parse_target_set(ORGANISATION, "bretagne.toml")
    results = [
        _result("social_consideration", 35.0, scope_id=BUYER),  # its SIRET
        _result("social_consideration", 35.0, scope_id=OTHER_SITE),  # an establishment of its SIREN
        _result("social_consideration", 35.0, scope_id=BUYER_3),  # not its buyer: default
        _result("social_consideration", 35.0, scope="all", scope_id=None),  # other scope: default
        _result("social_consideration", 35.0, scope="region", scope_id="53"),
    ]
    assert _targets(results, [organisation]) == [
        (40.0, 2027, "off_track", -5.0, None),
        (40.0, 2027, "off_track", -5.0, None),
        (30.0, 2025, "met", 5.0, 30.0),
        (30.0, 2025, "met", 5.0, 30.0),
        (30.0, 2025, "met", 5.0, 30.0),
    ]


def test_with_a_buyer_restriction_every_scope_takes_its_organisations_target() -> None:
    organisation = parse_target_set(ORGANISATION, "bretagne.toml")
    results = [_result("social_consideration", 35.0, scope="all", scope_id=None),
               _result("social_consideration", 35.0, scope="cpv_division", scope_id="45")]
    assert _targets(results, [organisation], buyer=BUYER) == [(40.0, 2027, "off_track", -5.0, None)] * 2
    assert _targets(results, [organisation], buyer=BUYER_3) == [(30.0, 2025, "met", 5.0, 30.0)] * 2


def test_defaults_fill_what_the_organisation_does_not_set_unless_it_opts_out() -> None:
    """env_consideration at 80 % in 2026 for BUYER: the organisation sets no target, so the national 100 % by
    2025 applies (off_track, gap −20); with include_default = false no target applies."""
    with_default = parse_target_set(ORGANISATION, "bretagne.toml")
    opted_out = parse_target_set(ORGANISATION.replace("acheteurs", "include_default = false\nacheteurs"), "b.toml")
    assert opted_out.include_default is False
    result = [_result("env_consideration", 80.0)]
    assert _targets(result, [with_default]) == [(100.0, 2025, "off_track", -20.0, 100.0)]
    assert _targets([_result("env_consideration", 80.0)], [opted_out]) == [(None, None, None, None, None)]
    # its own target still applies when it opts out of the defaults
    assert _targets([_result("social_consideration", 45.0)], [opted_out]) == [(40.0, 2027, "met", 5.0, None)]


def test_no_target_for_an_indicator_or_measure_nobody_sets() -> None:
    results = [_result("innovative", 10.0), _result("social_consideration", 35.0, measure="value")]
    assert _targets(results, []) == [(None, None, None, None, None)] * 2


def test_the_first_organisation_covering_a_buyer_wins() -> None:
    first = parse_target_set(ORGANISATION, "a.toml")
    second = parse_target_set(ORGANISATION.replace("value = 40", "value = 20"), "b.toml")
    assert _targets([_result("social_consideration", 35.0)], [first, second])[0][0] == 40.0
    assert _targets([_result("social_consideration", 35.0)], [second, first])[0][0] == 20.0


def test_the_default_set_is_the_national_plan() -> None:
    """PNAD 2022-2025: 100 % of contracts with an environmental consideration and 30 % with a social one by
    2025; loi Climat et Résilience art. 35: an environmental criterion in every contract from 2026."""
    default = default_target_set()
    assert default.acheteurs == ()
    assert default.include_default is True
    assert {(t.indicator, t.measure, t.value, t.year, tuple(t.trajectory.items())) for t in default.targets} == {
        ("env_consideration", "count", 100.0, 2025, ()),
        ("social_consideration", "count", 30.0, 2025, ()),
        ("env_criterion", "count", 100.0, 2026, ()),
    }
    assert all(t.note for t in default.targets)
