"""The consultation rules as code: minimum periods, art. 35 at publication, the EU threshold, late changes,
weighted totals and the state machine — each on a hand-built case."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from spaser.errors import ConflictError, InputError
from spaser.marketplace import lifecycle, rules
from spaser.marketplace.rules import CriterionSpec, PublicationCheck

NOW = dt.datetime(2026, 9, 1, 8, 0, tzinfo=dt.UTC)
GOOD_CRITERIA = (CriterionSpec("Prix", "price", Decimal(60)), CriterionSpec("Environnement", "environmental",
                                                                           Decimal(40)))


def check(**overrides: object) -> PublicationCheck:
    values: dict[str, object] = {
        "publication_date": NOW.date(), "procedure": "Appel d'offres ouvert", "contract_type": "Fournitures",
        "nature": "Marché", "estimated_value": Decimal(100_000), "deadline": NOW + dt.timedelta(days=30),
        "electronic": True, "prior_notice": False, "urgency": False, "criteria": GOOD_CRITERIA,
        "clause_kinds": ("environmental",), "social_justification": None, "lots": 0, "title": "Chaises",
        "cpv": "39112000"}
    values.update(overrides)
    return PublicationCheck(**values)  # type: ignore[arg-type]


def test_a_complete_consultation_may_be_published() -> None:
    assert rules.publication_problems(check(), NOW) == []


@pytest.mark.parametrize(("electronic", "prior_notice", "days", "ok"), [
    (True, False, 30, True), (True, False, 29, False),      # R2161-2: 30 days with electronic submission
    (False, False, 34, False), (False, False, 35, True),    # 35 days otherwise
    (True, True, 15, True), (True, True, 14, False),        # 15 days with a prior information notice
])
def test_open_call_for_tenders_minimum_periods(electronic: bool, prior_notice: bool, days: int, ok: bool) -> None:
    problems = rules.publication_problems(
        check(electronic=electronic, prior_notice=prior_notice, deadline=NOW + dt.timedelta(days=days)), NOW)
    assert (problems == []) is ok, problems


def test_art35_requires_an_environmental_criterion_from_21_august_2026() -> None:
    price_only = (CriterionSpec("Prix", "price", Decimal(100)),)
    before = check(publication_date=dt.date(2026, 8, 20), criteria=price_only, clause_kinds=())
    assert rules.publication_problems(before, NOW) == []
    after = rules.publication_problems(check(criteria=price_only, clause_kinds=()), NOW)
    assert len(after) == 2
    assert after[0].startswith("criteria: since 21 August 2026") and after[1].startswith("clauses: since")


def test_a_global_cost_criterion_including_environment_satisfies_art35_alone() -> None:
    global_cost = (CriterionSpec("Coût global (cycle de vie)", "global_cost", Decimal(100), includes_environment=True),)
    assert rules.publication_problems(check(criteria=global_cost), NOW) == []
    plain = (CriterionSpec("Coût global", "global_cost", Decimal(100)),)
    assert rules.publication_problems(check(criteria=plain), NOW)[0].startswith("criteria: since 21 August")


def test_defence_contracts_are_outside_art35() -> None:
    price_only = (CriterionSpec("Prix", "price", Decimal(100)),)
    assert rules.publication_problems(check(criteria=price_only, clause_kinds=(),
                                            nature=rules.DEFENCE_NATURE), NOW) == []


def test_social_condition_required_at_or_above_the_eu_threshold() -> None:
    """Supplies of a Région in 2026: EU threshold 216 000 EUR HT (2026-2027)."""
    assert rules.eu_threshold("Fournitures", "Marché", NOW.date()) == Decimal(216000)
    assert rules.eu_threshold("Travaux", "Marché", NOW.date()) == Decimal(5404000)
    below = check(estimated_value=Decimal("215999.99"))
    assert rules.publication_problems(below, NOW) == []
    at = rules.publication_problems(check(estimated_value=Decimal(216000)), NOW)
    assert len(at) == 1 and "social or employment execution condition" in at[0] and "216 000" in at[0]
    assert rules.publication_problems(check(estimated_value=Decimal(216000),
                                            clause_kinds=("environmental", "reserved")), NOW) == []
    assert rules.publication_problems(check(estimated_value=Decimal(216000),
                                            social_justification="Prestation intellectuelle unique"), NOW) == []


def test_weights_and_fields_are_checked_with_their_names() -> None:
    problems = rules.publication_problems(check(
        criteria=(CriterionSpec("Prix", "price", Decimal(70)), CriterionSpec("Env", "environmental", Decimal(20))),
        cpv="3911", procedure="Gré à gré", deadline=None, title=" "), NOW)
    joined = " | ".join(problems)
    for start in ("title:", "procedure: 'Gré à gré'", "cpv: '3911'", "criteria: the weights add up to 90",
                  "deadline: set the deadline"):
        assert start in joined


def test_a_late_change_pushes_the_deadline_to_keep_six_days() -> None:
    """Deadline 12 Oct 12:00; a document changed on 8 Oct 09:00 → 14 Oct 09:00 (6 days after the change);
    changed on 1 Oct → unchanged."""
    deadline = dt.datetime(2026, 10, 12, 12, 0, tzinfo=dt.UTC)
    late = dt.datetime(2026, 10, 8, 9, 0, tzinfo=dt.UTC)
    assert rules.deadline_after_change(deadline, late, "Appel d'offres ouvert", NOW.date()) == \
        dt.datetime(2026, 10, 14, 9, 0, tzinfo=dt.UTC)
    assert rules.deadline_after_change(deadline, dt.datetime(2026, 10, 1, tzinfo=dt.UTC), "Appel d'offres ouvert",
                                       NOW.date()) == deadline
    assert rules.questions_cutoff(deadline, "Appel d'offres ouvert", NOW.date()) == deadline - dt.timedelta(days=10)


def test_weighted_total() -> None:
    """Scores 100 (price, 60 %) and 50 (environment, 40 %): 60 + 20 = 80; an unscored criterion counts 0."""
    assert rules.weighted_total({1: Decimal(100), 2: Decimal(50)}, {1: Decimal(60), 2: Decimal(40)}) == Decimal(80)
    assert rules.weighted_total({1: Decimal(100)}, {1: Decimal(60), 2: Decimal(40)}) == Decimal(60)


def test_unknown_procedure_has_no_period() -> None:
    with pytest.raises(InputError, match="no minimum period"):
        rules.period_for("Concours", NOW.date())


def test_the_state_machine_closes_at_the_deadline_by_the_clock() -> None:
    deadline = NOW + dt.timedelta(days=1)
    assert lifecycle.effective_status("published", deadline, NOW) == "published"
    assert lifecycle.effective_status("published", deadline, deadline) == "closed"
    with pytest.raises(ConflictError, match="cannot open a consultation that is published"):
        lifecycle.transition("published", deadline, NOW, "open")
    assert lifecycle.transition("published", deadline, deadline, "open") == "opened"
    assert lifecycle.transition("draft", None, NOW, "cancel") == "cancelled"
    with pytest.raises(ConflictError, match="it must be opened or evaluation"):
        lifecycle.transition("published", deadline, NOW, "award")
