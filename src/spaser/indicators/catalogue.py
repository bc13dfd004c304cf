"""The indicator catalogue: what an indicator is, and how its two measures are aggregated.

Why declarative: every indicator is declared once (``definitions.py``) with its labels, definition, source,
unit, the warehouse fields it needs and three per-contract SQL expressions over the fact table
(``facts.py``). The engine, the documentation (``docs/indicateurs.md``), the CLI and the web pages all read
these entries, so a definition cannot differ between what is computed and what is published.

Aggregation of a ratio indicator, per year and scope, over the contracts of its *population*:

* ``count`` measure: numerator = Σ numerator, denominator = Σ count_denominator (default: 1 per contract),
  over the contracts of the population where the needed fields are *known*;
* ``value`` measure: the same weighted by the contract's current amount (``poids``: flagged suspicious or
  missing amounts left out, and counted in ``excluded``);
* coverage = known contracts ÷ population contracts (for ``value``: known contracts with a usable amount).

value = numerator ÷ denominator × scale (100 for a percentage).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Measure = Literal["count", "value"]
MEASURES: tuple[Measure, ...] = ("count", "value")


@dataclass(frozen=True)
class Indicator:
    id: str
    label_fr: str
    label_en: str
    definition_fr: str
    definition_en: str
    source: str  # the law or policy that asks for it
    unit: str  # "%", "offres", "jours", "HHI"
    fields: tuple[str, ...]  # warehouse columns it needs (contracts_enrichis / titulaires_enrichis)
    population: str  # SQL boolean over the fact table: the contracts it is about
    known: str  # SQL boolean: the needed fields are known
    numerator: str  # SQL number per contract (a boolean counts 1)
    count_denominator: str = "1"
    value_numerator: str | None = None  # default: numerator × poids
    value_denominator: str | None = None  # default: poids
    scale: float = 100.0
    better: Literal["higher", "lower"] | None = "higher"
    kind: Literal["ratio", "hhi"] = "ratio"
    notes: tuple[str, ...] = field(default_factory=tuple)

    def parts(self, measure: Measure) -> dict[str, tuple[str, str]]:
        """part → (aggregate, per-contract SQL input) for one measure; parts are population, known, excluded,
        numerator and denominator. The engine and the docs read this; an ``hhi`` indicator's numerator and
        denominator come from the supplier shares instead (engine.py)."""
        counted = f"({self.population}) AND ({self.known})"
        if measure == "count":
            denominator = (("count_if", counted) if self.count_denominator == "1" else
                           ("sum", f"CASE WHEN {counted} THEN ({self.count_denominator})::DOUBLE END"))
            return {
                "population": ("count_if", self.population),
                "known": ("count_if", counted),
                "excluded": ("none", "0"),
                "numerator": ("sum", f"CASE WHEN {counted} THEN ({self.numerator})::DOUBLE END"),
                "denominator": denominator,
            }
        valued = f"{counted} AND montant_ok"
        numerator = self.value_numerator or f"({self.numerator})::DOUBLE * poids"
        return {
            "population": ("count_if", self.population),
            "known": ("count_if", valued),
            "excluded": ("count_if", f"{counted} AND NOT montant_ok"),
            "numerator": ("sum", f"CASE WHEN {valued} THEN {numerator} END"),
            "denominator": ("sum", f"CASE WHEN {valued} THEN {self.value_denominator or 'poids'} END"),
        }


def catalogue() -> tuple[Indicator, ...]:
    from spaser.indicators.definitions import INDICATORS

    return INDICATORS


def by_id() -> dict[str, Indicator]:
    return {indicator.id: indicator for indicator in catalogue()}
