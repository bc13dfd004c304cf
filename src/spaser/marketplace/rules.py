"""Pure rules of a consultation: minimum periods, art. 35 requirements at publication, the question cut-off and
the deadline pushed by a late document change. No I/O beyond reading the shipped tables.

Why pure: these rules are the law as code; each is tested on hand-built cases without a database.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from importlib import resources

from spaser.errors import InputError
from spaser.indicators.thresholds import Threshold, load_thresholds

#: Loi Climat et Résilience art. 35: consultations launched from this day need an environmental criterion and,
#: at or above the EU thresholds, social execution conditions unless a justification is recorded.
ART35_START = dt.date(2026, 8, 21)
PROCEDURES = (
    "Procédure adaptée", "Appel d'offres ouvert", "Appel d'offres restreint", "Procédure avec négociation",
    "Dialogue compétitif", "Marché passé sans publicité ni mise en concurrence préalable",
)
CONTRACT_TYPES = ("Travaux", "Fournitures", "Services")
CRITERION_KINDS = ("price", "cost", "global_cost", "technical", "environmental", "social", "delay", "other")
CLAUSE_KINDS = ("environmental", "social", "reserved")
DEFENCE_NATURE = "Marché de défense ou de sécurité"


@dataclass(frozen=True)
class Period:
    procedure: str
    start: dt.date
    end: dt.date
    days: int
    electronic_days: int
    reduced_days: int
    questions_cutoff_days: int
    answer_notice_days: int


@lru_cache(maxsize=1)
def load_periods() -> tuple[Period, ...]:
    rows = tomllib.loads(resources.files("spaser.marketplace").joinpath("periods.toml").read_text("utf-8"))
    return tuple(Period(**row) for row in rows["period"])


def period_for(procedure: str, on: dt.date) -> Period:
    for period in load_periods():
        if period.procedure == procedure and period.start <= on <= period.end:
            return period
    raise InputError(f"procedure: no minimum period is configured for {procedure!r} on {on.isoformat()}")


def minimum_days(period: Period, *, electronic: bool, prior_notice: bool, urgency: bool) -> int:
    if prior_notice or urgency:
        return period.reduced_days
    return period.electronic_days if electronic else period.days


@dataclass(frozen=True)
class CriterionSpec:
    label: str
    kind: str
    weight: Decimal
    includes_environment: bool = False


@dataclass(frozen=True)
class PublicationCheck:
    """What a consultation must show before it is published; ``missing`` is empty when it may be."""

    publication_date: dt.date
    procedure: str
    contract_type: str
    nature: str
    estimated_value: Decimal
    deadline: dt.datetime | None
    electronic: bool
    prior_notice: bool
    urgency: bool
    criteria: Sequence[CriterionSpec]
    clause_kinds: Sequence[str]
    social_justification: str | None
    lots: int
    title: str
    cpv: str


def eu_threshold(contract_type: str, nature: str, on: dt.date,
                 thresholds: Sequence[Threshold] | None = None) -> Decimal:
    """The EU threshold a contract of this type is judged by on ``on`` (other contracting authorities than the
    State: a Région, a département, a commune)."""
    name = ("eu_utilities_defence" if nature == DEFENCE_NATURE
            else "eu_works" if contract_type == "Travaux" else "eu_supplies_services")
    for threshold in thresholds if thresholds is not None else load_thresholds():
        if threshold.name == name and threshold.start <= on <= threshold.end:
            return Decimal(str(threshold.amount))
    raise InputError(f"no {name} threshold is configured for {on.isoformat()}")


def environmental_criterion_present(criteria: Sequence[CriterionSpec]) -> bool:
    """Art. 35: a criterion on environmental characteristics, or a global-cost criterion that includes them."""
    return any(c.kind == "environmental" or (c.kind == "global_cost" and c.includes_environment)
               for c in criteria if c.weight > 0)


def publication_problems(check: PublicationCheck, now: dt.datetime) -> list[str]:
    """Every reason the consultation may not be published yet, each saying what to add or change."""
    problems: list[str] = []
    if not check.title.strip():
        problems.append("title: give the consultation a title")
    if check.procedure not in PROCEDURES:
        problems.append(f"procedure: {check.procedure!r} is not one of: {', '.join(PROCEDURES)}")
    if check.contract_type not in CONTRACT_TYPES:
        problems.append(f"contract_type: {check.contract_type!r} is not one of: {', '.join(CONTRACT_TYPES)}")
    if len(check.cpv) != 8 or not check.cpv.isdigit():
        problems.append(f"cpv: {check.cpv!r} is not an 8-digit CPV code")
    if check.estimated_value <= 0:
        problems.append("estimated_value: give the estimated value (EUR HT) of the consultation")
    problems += _criteria_problems(check)
    problems += _deadline_problems(check, now)
    if check.publication_date >= ART35_START and check.nature != DEFENCE_NATURE:
        problems += _art35_problems(check)
    return problems


def _criteria_problems(check: PublicationCheck) -> list[str]:
    if not check.criteria:
        return ["criteria: add the award criteria and their weights"]
    problems = [f"criteria: {c.label!r} has kind {c.kind!r}, not one of: {', '.join(CRITERION_KINDS)}"
                for c in check.criteria if c.kind not in CRITERION_KINDS]
    problems += [f"criteria: {c.label!r} has weight {c.weight}, it must be between 0 and 100"
                 for c in check.criteria if not 0 <= c.weight <= 100]
    total = sum((c.weight for c in check.criteria), Decimal(0))
    if total != 100:
        problems.append(f"criteria: the weights add up to {total} %, they must add up to 100 %")
    return problems


def _deadline_problems(check: PublicationCheck, now: dt.datetime) -> list[str]:
    if check.deadline is None:
        return ["deadline: set the deadline for bids"]
    if check.procedure not in PROCEDURES:
        return []
    period = period_for(check.procedure, check.publication_date)
    days = minimum_days(period, electronic=check.electronic, prior_notice=check.prior_notice, urgency=check.urgency)
    earliest = now + dt.timedelta(days=days)
    if check.deadline < earliest:
        return [f"deadline: {check.deadline.isoformat()} leaves less than the {days} days required for a "
                f"{check.procedure} (earliest: {earliest.isoformat(timespec='minutes')})"]
    return []


def _art35_problems(check: PublicationCheck) -> list[str]:
    problems: list[str] = []
    if not environmental_criterion_present(check.criteria):
        problems.append(
            "criteria: since 21 August 2026 (loi Climat et Résilience art. 35) an award criterion must take "
            "environmental characteristics into account: add an environmental criterion, or make the single "
            "global-cost criterion include environmental aspects")
    if "environmental" not in check.clause_kinds:
        problems.append("clauses: since 21 August 2026 the contract must include an environmental execution "
                        "condition: add one")
    threshold = eu_threshold(check.contract_type, check.nature, check.publication_date)
    social = any(kind in ("social", "reserved") for kind in check.clause_kinds)
    if check.estimated_value >= threshold and not social and not (check.social_justification or "").strip():
        problems.append(
            f"clauses: at or above the EU threshold ({threshold:,.0f} EUR HT for {check.contract_type.lower()}) "
            "the contract must include a social or employment execution condition, or record why not "
            "(social_clause_justification)".replace(",", " "))
    return problems


def questions_cutoff(deadline: dt.datetime, procedure: str, on: dt.date) -> dt.datetime:
    return deadline - dt.timedelta(days=period_for(procedure, on).questions_cutoff_days)


def deadline_after_change(deadline: dt.datetime, changed_at: dt.datetime, procedure: str,
                          on: dt.date) -> dt.datetime:
    """A document changed or an answer published less than ``answer_notice_days`` before the deadline pushes
    the deadline so that suppliers keep that many days (never earlier than it was)."""
    notice = dt.timedelta(days=period_for(procedure, on).answer_notice_days)
    return max(deadline, changed_at + notice)


def weighted_total(scores: dict[int, Decimal], weights: dict[int, Decimal]) -> Decimal:
    """Σ score × weight / 100 over the criteria; a criterion not scored counts 0."""
    total = sum((scores.get(cid, Decimal(0)) * weight for cid, weight in weights.items()), Decimal(0)) / 100
    return total.quantize(Decimal("0.01"))
