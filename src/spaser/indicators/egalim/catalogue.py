"""The Egalim vocabulary: characteristics, their groups and priority, product families and targets.

Why constants: the codes are those of the national canteen tool's purchase import (so that a file written for
it reads here and back), and the targets are those of the law; neither changes with the data. A test compares
the characteristics with ``../shared/data/reference/egalim_caracteristiques_ma-cantine.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

#: Qualifying groups in priority order: a line with several characteristics counts once, in the first group
#: it belongs to (bio > official quality signs > other Egalim > externalities / environmental performance).
GROUPS: Final[tuple[str, ...]] = ("BIO", "SIQO", "EGALIM_AUTRES", "EXTERNALITES_PERFORMANCE")
GROUP_LABELS: Final[dict[str, str]] = {
    "BIO": "Bio ou en conversion",
    "SIQO": "Signes officiels de qualité (Label rouge, AOC/AOP, IGP, STG)",
    "EGALIM_AUTRES": "Autres produits Egalim (HVE, pêche durable, RUP, fermier, commerce équitable)",
    "EXTERNALITES_PERFORMANCE": "Externalités environnementales et performance environnementale",
    "NON_EGALIM": "Hors Egalim",
}


@dataclass(frozen=True, slots=True)
class Characteristic:
    code: str
    label: str
    group: str  # one of GROUPS
    still_used: bool  # False: accepted on import (older files), never proposed


#: Characteristics that count for the Egalim shares (column ``categories_egalim``).
CHARACTERISTICS: Final[tuple[Characteristic, ...]] = (
    Characteristic("BIO", "Bio", "BIO", True),
    Characteristic("CONVERSION_BIO", "En conversion bio", "BIO", False),
    Characteristic("LABEL_ROUGE", "Label rouge", "SIQO", True),
    Characteristic("AOCAOP", "AOC / AOP", "SIQO", True),
    Characteristic("IGP", "Indication géographique protégée", "SIQO", True),
    Characteristic("STG", "Spécialité traditionnelle garantie", "SIQO", True),
    Characteristic("HVE", "Haute valeur environnementale", "EGALIM_AUTRES", True),
    Characteristic("PECHE_DURABLE", "Pêche durable", "EGALIM_AUTRES", True),
    Characteristic("RUP", "Région ultrapériphérique", "EGALIM_AUTRES", True),
    Characteristic("FERMIER", "Fermier", "EGALIM_AUTRES", True),
    Characteristic("COMMERCE_EQUITABLE", "Commerce équitable", "EGALIM_AUTRES", True),
    Characteristic("EXTERNALITES", "Coûts des externalités environnementales pris en compte sur le cycle de vie",
                   "EXTERNALITES_PERFORMANCE", True),
    Characteristic("PERFORMANCE", "Acquis sur la base de leurs performances environnementales",
                   "EXTERNALITES_PERFORMANCE", True),
    Characteristic("EQUIVALENTS", "Produits équivalents", "EXTERNALITES_PERFORMANCE", False),
)
BY_CODE: Final[dict[str, Characteristic]] = {c.code: c for c in CHARACTERISTICS}
#: Rank of each characteristic: its group's priority, then its order in the catalogue (for a stable export).
RANK: Final[dict[str, int]] = {c.code: n for n, c in enumerate(CHARACTERISTICS)}

#: Codes of the older ``caracteristiques`` column that are not Egalim characteristics but other columns.
ORIGIN_CODES: Final[tuple[str, ...]] = ("FRANCE", "EUROPE")
SHORT_CIRCUIT_CODES: Final[tuple[str, ...]] = ("SHORT_DISTRIBUTION", "CIRCUIT_COURT")
LOCAL_CODES: Final[tuple[str, ...]] = ("LOCAL",)

#: Product families (column ``famille_produits``).
FAMILIES: Final[dict[str, str]] = {
    "VIANDES_VOLAILLES": "Viandes et volailles",
    "CHARCUTERIE": "Charcuterie",
    "PRODUITS_DE_LA_MER": "Produits de la mer et de l'aquaculture",
    "FRUITS_ET_LEGUMES": "Fruits et légumes",
    "PRODUITS_LAITIERS": "Produits laitiers",
    "BOULANGERIE": "Boulangerie et pâtisserie",
    "BOISSONS": "Boissons",
    "AUTRES": "Autres produits",
}
#: The families of the meat-and-fish target (charcuterie is a family of its own in the national tool).
MEAT_AND_FISH: Final[tuple[str, ...]] = ("VIANDES_VOLAILLES", "PRODUITS_DE_LA_MER")

ORIGINS: Final[dict[str, str]] = {"FRANCE": "France", "EUROPE": "Union européenne (hors France)"}
LOCAL_DEFINITIONS: Final[dict[str, str]] = {
    "AUTOUR_SERVICE": "Autour du lieu de service (distance en km)",
    "DEPARTEMENT": "Département",
    "REGION": "Région",
    "PAT": "Projet alimentaire territorial",
    "AUTRE": "Autre définition",
}


def group_of(codes: list[str] | tuple[str, ...]) -> str:
    """The one group a line counts in, by priority; ``NON_EGALIM`` when no code qualifies."""
    groups = {BY_CODE[code].group for code in codes if code in BY_CODE}
    for group in GROUPS:
        if group in groups:
            return group
    return "NON_EGALIM"


@dataclass(frozen=True, slots=True)
class Targets:
    """Minimum shares in value HT of the year's food purchases (percent); ``meat_and_fish`` None when the
    territory has no such target or the year precedes it."""

    territory: str
    egalim: float
    bio: float
    meat_and_fish: float | None


#: Overseas territories with their own targets (décret n° 2019-351 as amended), by département code.
_OVERSEAS: Final[dict[str, tuple[str, float, float]]] = {
    "971": ("Guadeloupe", 20.0, 5.0),
    "972": ("Martinique", 20.0, 5.0),
    "973": ("Guyane", 20.0, 5.0),
    "974": ("La Réunion", 20.0, 5.0),
    "978": ("Saint-Martin", 20.0, 5.0),
    "976": ("Mayotte", 5.0, 2.0),
    "975": ("Saint-Pierre-et-Miquelon", 30.0, 10.0),
}
MAINLAND: Final = "Métropole"
MEAT_AND_FISH_TARGET: Final = 60.0
MEAT_AND_FISH_FROM: Final = 2024


def targets_for(departement: str | None, year: int) -> Targets:
    """The targets of a restaurant in this département for this calendar year. A restaurant whose
    département is unknown gets the mainland targets (the stricter ones); pages say so."""
    overseas = _OVERSEAS.get(departement or "")
    if overseas is not None:
        name, egalim, bio = overseas
        return Targets(name, egalim, bio, None)
    return Targets(MAINLAND, 50.0, 20.0, MEAT_AND_FISH_TARGET if year >= MEAT_AND_FISH_FROM else None)


#: Columns of the national tool's purchase file, in its order (domain.md §4), plus ``code_article`` (ours:
#: the supplier's article code, used with the supplier matrices; empty when not known).
COLUMNS: Final[tuple[str, ...]] = (
    "siret", "description", "fournisseur", "date", "prix_ht", "famille_produits", "categories_egalim", "origine",
    "est_circuit_court", "est_local", "definition_local", "definition_local_km",
)
EXTRA_COLUMNS: Final[tuple[str, ...]] = ("code_article",)

#: Meat-and-fish target of the restaurants managed by the State, its public bodies and national public companies
#: (registry column ``etat``), from the same year as the general one.
STATE_MEAT_AND_FISH_TARGET: Final = 100.0


def restaurant_targets(departement: str | None, year: int, state: bool = False) -> Targets:
    """``targets_for``, with the State restaurants' meat-and-fish target where a meat-and-fish target applies."""
    targets = targets_for(departement, year)
    if state and targets.meat_and_fish is not None:
        return Targets(targets.territory, targets.egalim, targets.bio, STATE_MEAT_AND_FISH_TARGET)
    return targets
