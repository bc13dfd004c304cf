"""The Egalim results model: per scope (a restaurant, a group of restaurants, all of them) and calendar year, the
values HT of the purchases and the shares the law counts, with the targets that apply.

Amounts are exact ``Decimal`` sums (euros HT, 2 decimals); a share is a ``Part`` (a value of a base), whose
``share`` is the exact percentage as a float and ``rounded`` the percentage to display (1 decimal, half up).
A share of an empty base is ``None``, never a division error. Whether a target is met is decided on the exact
decimals (50.00 € of 100.00 € meets 50 %), not on the rounded or float share.

Only the raw sums are stored (see ``results_file``); every share, target check and breakdown is derived from
them by the properties below, so what is written and what is read back cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from spaser.indicators.egalim.catalogue import FAMILIES, GROUPS, MAINLAND, Targets

#: Scopes, from the finest: a restaurant (``scope_id`` = its SIRET), a group of the registry (its name), all lines.
SCOPES: Final[tuple[str, ...]] = ("restaurant", "groupe", "ensemble")
#: ``scope_id`` of the ``ensemble`` scope.
ENSEMBLE_ID: Final = ""
#: Every group a line can count in: the four qualifying ones in priority order, then the rest.
ALL_GROUPS: Final[tuple[str, ...]] = (*GROUPS, "NON_EGALIM")

#: How the territory whose targets apply was found.
KNOWN: Final = "known"  # the restaurant's département, or the one territory all the scope's restaurants share
UNKNOWN: Final = "unknown"  # no restaurant of the scope has a known département: mainland targets
MIXED: Final = "mixed"  # restaurants in several territories (or some unknown): mainland targets
TERRITORY_NOTES: Final[dict[str, str]] = {
    UNKNOWN: "Territoire inconnu (restaurant absent du registre ou sans département) : objectifs de métropole.",
    MIXED: "Restaurants de territoires différents (ou inconnus) : objectifs de métropole.",
}
#: Target names, in display order, with their labels.
TARGET_LABELS: Final[dict[str, str]] = {
    "egalim": "Produits durables et de qualité (Egalim)",
    "bio": "dont bio ou en conversion",
    "meat_and_fish": "Viandes et poissons Egalim",
}
_HUNDRED: Final = Decimal(100)
_TENTH: Final = Decimal("0.1")
ZERO: Final = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class Part:
    """``value`` out of ``of`` (euros HT)."""

    value: Decimal
    of: Decimal

    @property
    def ratio(self) -> Decimal | None:
        """The exact percentage (28 significant digits); None when the base is zero."""
        return None if not self.of else self.value * _HUNDRED / self.of

    @property
    def share(self) -> float | None:
        """The percentage, not rounded; None when the base is zero."""
        ratio = self.ratio
        return None if ratio is None else float(ratio)

    @property
    def rounded(self) -> float | None:
        """The percentage to display: 1 decimal, half up."""
        ratio = self.ratio
        return None if ratio is None else float(ratio.quantize(_TENTH, ROUND_HALF_UP))


@dataclass(frozen=True, slots=True)
class TargetCheck:
    """One target of a scope-year: ``part`` against ``target`` percent."""

    name: str  # a key of TARGET_LABELS
    part: Part
    target: float

    @property
    def label(self) -> str:
        return TARGET_LABELS[self.name]

    @property
    def value(self) -> float | None:
        """The share reached (percent, not rounded); None when nothing was bought in the base."""
        return self.part.share

    @property
    def met(self) -> bool | None:
        """Share ≥ target, on the exact decimals; None when the base is zero (nothing to judge)."""
        ratio = self.part.ratio
        return None if ratio is None else ratio >= Decimal(str(self.target))

    @property
    def gap(self) -> float | None:
        """Share − target in percentage points (negative: short of it); None when the base is zero."""
        ratio = self.part.ratio
        return None if ratio is None else float(ratio - Decimal(str(self.target)))


@dataclass(frozen=True, slots=True)
class Territory:
    """The territory whose targets apply to a scope, and how it was found (KNOWN, UNKNOWN or MIXED)."""

    name: str
    status: str

    @property
    def note(self) -> str | None:
        return TERRITORY_NOTES.get(self.status)


@dataclass(frozen=True, slots=True)
class FamilyValues:
    """The purchases of one product family in a scope-year."""

    family: str  # a key of FAMILIES
    lines: int
    total: Decimal
    egalim_value: Decimal
    bio_value: Decimal

    @property
    def label(self) -> str:
        return FAMILIES.get(self.family, self.family)

    @property
    def egalim(self) -> Part:
        return Part(self.egalim_value, self.total)

    @property
    def bio(self) -> Part:
        return Part(self.bio_value, self.total)


@dataclass(frozen=True, slots=True)
class Summary:
    """The Egalim figures of one scope (restaurant, groupe or ensemble) for one calendar year."""

    scope: str
    scope_id: str  # SIRET, group name, or ENSEMBLE_ID
    year: int
    name: str | None  # restaurant name (registry) or group name
    departement: str | None  # the restaurant's (registry); None for a group or the whole
    lines: int
    restaurants: int
    total: Decimal  # all purchases HT
    group_values: Mapping[str, Decimal]  # every key of ALL_GROUPS; each line counted once, by priority
    meat_and_fish_total: Decimal  # families in MEAT_AND_FISH
    meat_and_fish_egalim: Decimal  # of which in a qualifying group
    france_value: Decimal  # origine = FRANCE
    local_value: Decimal  # est_local
    short_circuit_value: Decimal  # est_circuit_court
    families: tuple[FamilyValues, ...]  # every family of FAMILIES in catalogue order, then any other code
    territory: Territory
    state: bool  # a State restaurant (a group or the whole: all of its restaurants are)
    applicable: Targets  # the targets of the territory and year (State meat-and-fish target included)

    @property
    def egalim(self) -> Part:
        """The four qualifying groups together, of the total."""
        return Part(sum((self.group_values[g] for g in GROUPS), ZERO), self.total)

    @property
    def bio(self) -> Part:
        """Bio or in conversion, of the total."""
        return Part(self.group_values["BIO"], self.total)

    @property
    def meat_and_fish(self) -> Part:
        """The Egalim part of the meat and fish purchases, of the meat and fish purchases."""
        return Part(self.meat_and_fish_egalim, self.meat_and_fish_total)

    @property
    def france(self) -> Part:
        return Part(self.france_value, self.total)

    @property
    def local(self) -> Part:
        return Part(self.local_value, self.total)

    @property
    def short_circuit(self) -> Part:
        return Part(self.short_circuit_value, self.total)

    @property
    def by_group(self) -> dict[str, Part]:
        """Each group of ALL_GROUPS (priority order) with its part of the total."""
        return {g: Part(self.group_values[g], self.total) for g in ALL_GROUPS}

    @property
    def targets(self) -> tuple[TargetCheck, ...]:
        """The targets that apply: Egalim, bio, and meat and fish where the territory and year have one."""
        checks = [TargetCheck("egalim", self.egalim, self.applicable.egalim),
                  TargetCheck("bio", self.bio, self.applicable.bio)]
        if self.applicable.meat_and_fish is not None:
            checks.append(TargetCheck("meat_and_fish", self.meat_and_fish, self.applicable.meat_and_fish))
        return tuple(checks)

    def target(self, name: str) -> TargetCheck | None:
        return next((t for t in self.targets if t.name == name), None)

    @property
    def all_met(self) -> bool | None:
        """Every applicable target met; None when one cannot be judged and none is missed."""
        verdicts = [t.met for t in self.targets]
        if False in verdicts:
            return False
        return None if None in verdicts else True


@dataclass(frozen=True)
class EgalimResults:
    """Every scope-year summary of one computation, with the fingerprint of the inputs it was computed from."""

    summaries: tuple[Summary, ...]
    fingerprint: str
    computed_at: dt.datetime
    _index: dict[tuple[str, str, int], Summary] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {(s.scope, s.scope_id, s.year): s for s in self.summaries})

    def get(self, scope: str, scope_id: str, year: int) -> Summary | None:
        return self._index.get((scope, scope_id, year))

    def trend(self, scope: str, scope_id: str = ENSEMBLE_ID) -> list[Summary]:
        """The scope's summaries, one per year with purchases, oldest first."""
        return sorted((s for s in self.summaries if s.scope == scope and s.scope_id == scope_id),
                      key=lambda s: s.year)

    def for_restaurant(self, siret: str) -> dict[int, Summary]:
        return {s.year: s for s in self.trend("restaurant", siret)}

    def for_group(self, name: str) -> dict[int, Summary]:
        return {s.year: s for s in self.trend("groupe", name)}

    def overall(self) -> dict[int, Summary]:
        return {s.year: s for s in self.trend("ensemble", ENSEMBLE_ID)}

    def years(self) -> list[int]:
        return sorted({s.year for s in self.summaries})

    def restaurants(self) -> list[str]:
        return sorted({s.scope_id for s in self.summaries if s.scope == "restaurant"})

    def groups(self) -> list[str]:
        return sorted({s.scope_id for s in self.summaries if s.scope == "groupe"})


def mainland(status: str) -> Territory:
    return Territory(MAINLAND, status)
