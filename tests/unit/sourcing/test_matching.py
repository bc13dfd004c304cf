"""Matching rules of the sourcing space, each score computed by hand from the points table."""

from __future__ import annotations

from typing import Any

import pytest

from spaser.errors import InputError
from spaser.sourcing.labels import LABELS, label, labels_of_theme
from spaser.sourcing.matching import (
    DIVISION_LABELS,
    POINTS,
    Match,
    Need,
    Reason,
    SupplierFacts,
    cpv_proximity,
    explain,
    rank,
    rank_needs,
    score,
)


def supplier(name: str = "Acme", cpvs: tuple[str, ...] = ("45210000",), org_id: int = 1,
             **facts: Any) -> SupplierFacts:
    return SupplierFacts(org_id=org_id, name=name, cpvs=cpvs, **facts)


def codes(match: Match | None) -> list[tuple[str, int]]:
    assert match is not None
    return [(r.code, r.points) for r in match.reasons]


# --- CPV proximity ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("a", "b", "level"), [
    ("45210000", "45210000", "code"),
    ("45213000", "45214000", "class"),  # 4521 shared
    ("45210000", "45230000", "group"),  # 452 shared
    ("45200000", "45210000", "group"),  # a group and one of its classes: not the same class
    ("45000000", "45210000", "division"),  # a division-level code shares only the division
    ("45210000", "45400000", "division"),
    ("45210000", "71000000", None),
    ("03100000", "03000000", "division"),
])
def test_cpv_proximity_levels(a: str, b: str, level: str | None) -> None:
    assert cpv_proximity(a, b) == level
    assert cpv_proximity(b, a) == level


@pytest.mark.parametrize("bad", ["4521000", "45210000-7", "4521000A", "", "४५२१००००"])
def test_cpv_proximity_wants_8_digit_roots(bad: str) -> None:
    with pytest.raises(InputError, match="8-digit CPV root"):
        cpv_proximity(bad, "45210000")


def test_best_proximity_over_the_suppliers_codes_counts_once() -> None:
    need = Need("45213000")
    facts = supplier(cpvs=("45000000", "45230000", "45214000", "45210000"))  # division, group, class, group
    match = score(need, facts)
    assert codes(match) == [("cpv_class", 30)]
    assert match is not None and match.score == 30
    assert match.reasons[0].detail == {"cpv": "45213000", "supplier_cpv": "45214000", "prefix": "4521"}


def test_no_cpv_proximity_is_no_match_whatever_else() -> None:
    facts = supplier(cpvs=("71000000",), departements=frozenset({"35"}), sme=True, labels=frozenset({"rge"}),
                     past_contracts=9, past_contracts_same_division=9)
    assert score(Need("45210000", "35", "53"), facts) is None
    assert score(Need("45210000"), supplier(cpvs=())) is None


# --- territory ----------------------------------------------------------------------------------------------------

def test_departement_beats_region_beats_national() -> None:
    everywhere = supplier(departements=frozenset({"35"}), regions=frozenset({"53"}), national=True)
    assert codes(score(Need("45210000", "35", "53"), everywhere)) == [("cpv_code", 40), ("territory_departement", 20)]
    assert codes(score(Need("45210000", "29", "53"), everywhere)) == [("cpv_code", 40), ("territory_region", 15)]
    assert codes(score(Need("45210000", "75", "11"), everywhere)) == [("cpv_code", 40), ("territory_national", 10)]
    local = supplier(departements=frozenset({"35"}))
    assert codes(score(Need("45210000", "75", "11"), local)) == [("cpv_code", 40)]  # still a match, no territory
    assert codes(score(Need("45210000"), local)) == [("cpv_code", 40)]  # a need without a place


def test_corsica_and_overseas_departements_are_compared_whole() -> None:
    corsica = supplier(departements=frozenset({"2A"}))
    assert codes(score(Need("45210000", "2A", "94"), corsica)) == [("cpv_code", 40), ("territory_departement", 20)]
    assert codes(score(Need("45210000", "2B", "94"), corsica)) == [("cpv_code", 40)]
    assert codes(score(Need("45210000", "20", None), corsica)) == [("cpv_code", 40)]  # pre-1976 code: no match
    guadeloupe = supplier(departements=frozenset({"971"}), regions=frozenset({"01"}))
    assert codes(score(Need("45210000", "971", "01"), guadeloupe)) == [("cpv_code", 40), ("territory_departement", 20)]
    assert codes(score(Need("45210000", "97", None), guadeloupe)) == [("cpv_code", 40)]
    assert codes(score(Need("45210000", "972", "02"), guadeloupe)) == [("cpv_code", 40)]  # Martinique


# --- SME ----------------------------------------------------------------------------------------------------------

def test_only_a_known_sme_earns_points() -> None:
    need = Need("45210000")
    assert codes(score(need, supplier(sme=True))) == [("cpv_code", 40), ("sme", 10)]
    assert codes(score(need, supplier(sme=False))) == [("cpv_code", 40)]
    assert codes(score(need, supplier(sme=None))) == [("cpv_code", 40)]  # unknown is not a yes


# --- labels -------------------------------------------------------------------------------------------------------

def test_labels_relevant_to_the_division_earn_points() -> None:
    assert DIVISION_LABELS["45"] == {"rge", "iso-14001", "emas"}
    facts = supplier(labels=frozenset({"rge", "ab", "iso-9001"}))  # ab and iso-9001: not relevant to works
    assert codes(score(Need("45210000"), facts)) == [("cpv_code", 40), ("label", 5)]
    catering = supplier(cpvs=("55523100",), labels=frozenset({"ab", "commerce-equitable", "rge"}))
    match = score(Need("55523100"), catering)
    assert codes(match) == [("cpv_code", 40), ("label", 5), ("label", 5)]
    assert match is not None and [r.detail["label"] for r in match.reasons[1:]] == ["ab", "commerce-equitable"]


def test_wanted_labels_and_themes_add_to_the_divisions() -> None:
    facts = supplier(labels=frozenset({"siae", "iso-9001", "lucie"}))
    assert codes(score(Need("45210000"), facts)) == [("cpv_code", 40)]
    wanted = score(Need("45210000", wants_labels=frozenset({"iso-9001"})), facts)
    assert codes(wanted) == [("cpv_code", 40), ("label", 5)]
    assert wanted is not None and wanted.reasons[1].detail == {"label": "iso-9001", "wanted": "yes"}
    social = score(Need("45210000", themes=frozenset({"social"})), facts)  # siae and lucie are social
    assert codes(social) == [("cpv_code", 40), ("label", 5), ("label", 5)]
    assert social is not None and [r.detail["label"] for r in social.reasons[1:]] == ["lucie", "siae"]


def test_labels_are_capped_at_15_wanted_ones_first() -> None:
    held = frozenset({"rge", "iso-14001", "emas", "iso-9001"})
    match = score(Need("45210000", wants_labels=frozenset({"iso-9001"})), supplier(labels=held))
    assert match is not None
    assert [(r.detail["label"], r.points) for r in match.reasons if r.code == "label"] == [
        ("iso-9001", 5), ("emas", 5), ("iso-14001", 5), ("rge", 0)]  # wanted, then by code; the 4th shown, 0 points
    assert match.score == 40 + 15


# --- past contracts -----------------------------------------------------------------------------------------------

def test_past_contracts_5_if_any_10_in_the_same_division() -> None:
    need = Need("45210000")
    assert codes(score(need, supplier(past_contracts=3))) == [("cpv_code", 40), ("past_contracts", 5)]
    same = score(need, supplier(past_contracts=3, past_contracts_same_division=2))
    assert codes(same) == [("cpv_code", 40), ("past_contracts", 10)]
    assert same is not None and same.reasons[1].detail == {"contracts": "2", "division": "45", "scope": "division"}
    assert codes(score(need, supplier())) == [("cpv_code", 40)]


def test_past_divisions_decide_the_same_division_count_per_need() -> None:
    facts = supplier(cpvs=("45210000", "71000000"), past_contracts=4, past_divisions={"45": 3, "90": 1})
    assert codes(score(Need("45210000"), facts)) == [("cpv_code", 40), ("past_contracts", 10)]
    assert codes(score(Need("71200000"), facts)) == [("cpv_division", 10), ("past_contracts", 5)]


def test_every_reason_together_sorted_by_points() -> None:
    facts = supplier(cpvs=("45210000",), departements=frozenset({"35"}), sme=True,
                     labels=frozenset({"rge", "iso-14001", "emas"}), past_contracts=5, past_contracts_same_division=3)
    match = score(Need("45210000", "35", "53"), facts)
    assert codes(match) == [("cpv_code", 40), ("territory_departement", 20), ("sme", 10), ("past_contracts", 10),
                            ("label", 5), ("label", 5), ("label", 5)]
    assert match is not None and match.score == 95
    assert POINTS["cpv_code"] + POINTS["territory_departement"] + POINTS["sme"] + POINTS["label_max"] \
        + POINTS["past_contracts_same_division"] == 95


# --- ranking ------------------------------------------------------------------------------------------------------

def test_rank_by_score_then_name() -> None:
    need = Need("45210000", "35", "53")
    alpha = supplier("alpha", ("45210000",), 1)  # 40
    beta = supplier("Beta", ("45210000",), 2, regions=frozenset({"53"}))  # 55
    gamma = supplier("Gamma", ("45000000",), 3, departements=frozenset({"35"}), sme=True)  # 10 + 20 + 10 = 40
    zeta = supplier("Zeta", ("71000000",), 4, departements=frozenset({"35"}))  # no CPV: left out
    ranked = rank(need, [gamma, zeta, alpha, beta])
    assert [(s.name, m.score) for s, m in ranked] == [("Beta", 55), ("alpha", 40), ("Gamma", 40)]
    assert [s.name for s, _ in rank(need, [gamma, alpha, beta], limit=2)] == ["Beta", "alpha"]
    same_name = [supplier("Same", org_id=9), supplier("Same", org_id=7)]
    assert [s.org_id for s, _ in rank(need, same_name)] == [7, 9]
    assert rank(need, []) == []
    with pytest.raises(InputError, match="limit"):
        rank(need, [alpha], limit=0)


def test_rank_needs_for_a_supplier() -> None:
    facts = supplier(cpvs=("45210000", "71200000"), departements=frozenset({"35"}), past_contracts=2,
                     past_divisions={"71": 2})
    needs = [
        ("plan-1", Need("45210000", "29", "53")),  # code 40 + contracts outside division 71: 5 = 45
        ("consult-2", Need("71200000", "35", "53")),  # code 40 + département 20 + contracts in 71: 10 = 70
        ("plan-3", Need("09100000", "35", "53")),  # no CPV in common: left out
        ("plan-4", Need("45213000", "35", "53")),  # class 30 + département 20 + any 5 = 55
        ("plan-5", Need("45210000", "22", "53")),  # 40 + 5, tie with plan-1's 45: given order kept
    ]
    ranked = rank_needs(facts, needs)
    assert [(k, m.score) for k, m in ranked] == [("consult-2", 70), ("plan-4", 55), ("plan-1", 45), ("plan-5", 45)]
    assert [k for k, _ in rank_needs(facts, needs, limit=1)] == ["consult-2"]
    by_number = rank_needs(facts, [(1, Need("45210000")), (2, Need("71200000"))])
    assert [k for k, _ in by_number] == [2, 1]  # generic key


# --- explanations -------------------------------------------------------------------------------------------------

def test_explain_in_french_and_english() -> None:
    facts = supplier(cpvs=("45210000",), departements=frozenset({"35"}), sme=True, labels=frozenset({"rge"}),
                     past_contracts=5, past_contracts_same_division=3)
    match = score(Need("45210000", "35", "53"), facts)
    assert match is not None
    assert [explain(r) for r in match.reasons] == [
        "Même code CPV (45210000)", "Intervient dans le département 35", "PME",
        "3 marchés publics déjà obtenus dans cette division", "Label RGE (Reconnu garant de l'environnement)"]
    assert [explain(r, "en") for r in match.reasons] == [
        "Same CPV code (45210000)", "Serves département 35", "SME", "3 public contracts already won in this division",
        "Label: RGE (recognised environmental guarantor)"]


@pytest.mark.parametrize(("reason", "fr", "en"), [
    (Reason("cpv_class", 30, {"cpv": "45213000", "supplier_cpv": "45214000", "prefix": "4521"}),
     "Même classe CPV (4521)", "Same CPV class (4521)"),
    (Reason("cpv_group", 20, {"cpv": "45213000", "supplier_cpv": "45230000", "prefix": "452"}),
     "Même groupe CPV (452)", "Same CPV group (452)"),
    (Reason("cpv_division", 10, {"cpv": "45213000", "supplier_cpv": "45000000", "prefix": "45"}),
     "Même division CPV (45)", "Same CPV division (45)"),
    (Reason("territory_region", 15, {"region": "53"}), "Intervient dans la région Bretagne",
     "Serves the région Bretagne"),
    (Reason("territory_national", 10, {}), "Intervient sur tout le territoire national", "Serves the whole country"),
    (Reason("label", 5, {"label": "ecolabel-ue", "wanted": "no"}), "Label Ecolabel européen", "Label: EU Ecolabel"),
    (Reason("past_contracts", 5, {"contracts": "1", "scope": "any"}), "1 marché public déjà obtenu",
     "1 public contract already won"),
    (Reason("past_contracts", 10, {"contracts": "1", "division": "45", "scope": "division"}),
     "1 marché public déjà obtenu dans cette division", "1 public contract already won in this division"),
])
def test_explain_each_reason(reason: Reason, fr: str, en: str) -> None:
    assert (explain(reason, "fr"), explain(reason, "en")) == (fr, en)


def test_explain_refuses_unknown_language_or_reason() -> None:
    with pytest.raises(InputError, match="lang"):
        explain(Reason("sme", 10, {}), "de")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="unknown code 'price'"):
        explain(Reason("price", 1, {}))


# --- label vocabulary ---------------------------------------------------------------------------------------------

def test_label_vocabulary() -> None:
    assert label("ecolabel-ue").name_fr == "Ecolabel européen"
    assert label(" ISO-14001 ") is LABELS["iso-14001"]
    assert {"iso-14001", "iso-50001", "emas", "ecolabel-ue", "nf-environnement", "rge", "ab", "commerce-equitable",
            "fsc", "pefc", "imprim-vert", "esus", "siae", "ea-esat", "lucie"} <= set(LABELS)
    assert all(entry.proves_fr and entry.proves_en and entry.name_en for entry in LABELS.values())
    assert {"esus", "siae", "ea-esat"} <= labels_of_theme("social")
    assert all(code in LABELS for codes_ in DIVISION_LABELS.values() for code in codes_)
    with pytest.raises(InputError, match="unknown code 'iso-26000'; choose among iso-14001, iso-50001"):
        label("iso-26000")
    with pytest.raises(InputError, match="theme"):
        labels_of_theme("green")
