"""Match suppliers and needs (purchase plans, consultations): a score and the reasons behind every point.

Why explained scores: a buyer must be able to tell why a supplier is suggested (and a supplier why a need is), and
suggestions must not favour anyone for an unstated reason; every point comes from one :class:`Reason`, shown as a
sentence by :func:`explain`. Pure: no I/O; the caller builds :class:`Need` and :class:`SupplierFacts` from the
platform's profiles and the observatory (``spaser.warehouse.queries.supplier_track_record``).

Points (:data:`POINTS`), added up:

============================  ======  ====================================================================
reason                        points  when
============================  ======  ====================================================================
cpv_code / class / group /    40/30/  the best CPV proximity between the need's code and the supplier's codes
division                      20/10   (counted once); none at all: not a match
territory_departement /       20/15/  the need's département is served / else its région / else the supplier
region / national             10      serves the whole country (the best one only)
sme                           10      the supplier is an SME (``sme is True``; unknown counts nothing)
label                         5 each  a declared label relevant to the need, at most 15 in all (``label_max``)
past_contracts                5 / 10  contracts already won in the observatory / some in the need's CPV division
============================  ======  ====================================================================

The highest score is 95 (same code, département, SME, three relevant labels, contracts in the division).

CPV proximity compares prefixes of the 8-digit roots: 2 digits the division, 3 the group, 4 the class. This is
exact on CPV 2008, where a zero at digits 3 to 5 always means "not this deep" (none of the 9 454 codes has a zero
followed by a non-zero digit there): ``45200000`` (a group) and ``45210000`` (a class of it) share the group, not
the class, and a division-level code such as ``45000000`` shares only the division with its codes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final, Literal, TypeVar

from spaser.domain.territories import REGIONS
from spaser.errors import InputError
from spaser.sourcing.labels import LABELS

K = TypeVar("K")

POINTS: Final[Mapping[str, int]] = MappingProxyType({
    "cpv_code": 40, "cpv_class": 30, "cpv_group": 20, "cpv_division": 10,
    "territory_departement": 20, "territory_region": 15, "territory_national": 10,
    "sme": 10,
    "label": 5, "label_max": 15,
    "past_contracts": 5, "past_contracts_same_division": 10,
})

#: Labels relevant to a need by the division of its CPV code (the need's wanted labels and themes add to them).
DIVISION_LABELS: Final[Mapping[str, frozenset[str]]] = MappingProxyType({
    "03": frozenset({"ab", "hve", "commerce-equitable", "fsc", "pefc"}),  # agricultural and forestry products
    "09": frozenset({"iso-50001"}),  # fuels, electricity, energy
    "15": frozenset({"ab", "hve", "label-rouge", "commerce-equitable"}),  # food and beverages
    "18": frozenset({"ecolabel-ue", "commerce-equitable"}),  # clothing, footwear
    "19": frozenset({"ecolabel-ue", "commerce-equitable"}),  # textiles, leather
    "22": frozenset({"imprim-vert", "ecolabel-ue", "fsc", "pefc"}),  # printed matter
    "30": frozenset({"ecolabel-ue", "nf-environnement", "iso-14001", "fsc", "pefc"}),  # office machines, paper
    "33": frozenset({"iso-14001"}),  # medical equipment
    "39": frozenset({"ecolabel-ue", "nf-environnement", "fsc", "pefc"}),  # furniture, cleaning products
    "44": frozenset({"nf-environnement", "fsc", "pefc"}),  # construction materials
    "45": frozenset({"rge", "iso-14001", "emas"}),  # construction work
    "48": frozenset({"iso-14001"}),  # software
    "50": frozenset({"iso-14001", "iso-50001"}),  # repair and maintenance
    "55": frozenset({"ab", "hve", "label-rouge", "commerce-equitable", "ecolabel-ue"}),  # catering, hotels
    "60": frozenset({"iso-14001"}),  # transport services
    "71": frozenset({"rge", "iso-14001"}),  # architecture, engineering (RGE Études)
    "77": frozenset({"iso-14001", "fsc", "pefc"}),  # agricultural, forestry, green-space services
    "79": frozenset({"imprim-vert"}),  # business services, printing
    "90": frozenset({"iso-14001", "emas", "ecolabel-ue"}),  # waste, cleaning, environmental services
})

_PROXIMITY: Final = (("code", 8), ("class", 4), ("group", 3), ("division", 2))


@dataclass(frozen=True)
class Need:
    """A buyer's need: a purchase plan line or a consultation (``departement``: the lieu d'exécution)."""

    cpv: str  # 8-digit root
    departement: str | None = None  # COG code: "35", "2A", "971"
    region: str | None = None  # INSEE région code: "53"
    wants_labels: frozenset[str] = frozenset()  # label codes the buyer asks for
    themes: frozenset[str] = frozenset()  # label themes the need cares about (e.g. "social" for a social clause)


@dataclass(frozen=True)
class SupplierFacts:
    """What matching knows of a supplier: its profile and its record in the observatory."""

    org_id: int
    name: str
    cpvs: tuple[str, ...]
    departements: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    national: bool = False
    sme: bool | None = None  # None: unknown
    labels: frozenset[str] = frozenset()
    past_contracts: int = 0
    #: contracts in the CPV division of the need being scored (when the facts are built for one need)
    past_contracts_same_division: int = 0
    #: contracts by CPV division; when given, it decides the same-division count for any need (``rank_needs``)
    past_divisions: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Reason:
    code: str
    points: int
    detail: dict[str, str]


@dataclass(frozen=True)
class Match:
    score: int
    reasons: tuple[Reason, ...]  # highest points first


def _root(code: str) -> str:
    if not (isinstance(code, str) and len(code) == 8 and code.isascii() and code.isdigit()):
        raise InputError(f"cpv: {code!r} is not an 8-digit CPV root")
    return code


def cpv_proximity(a: str, b: str) -> str | None:
    """``"code"``, ``"class"``, ``"group"``, ``"division"`` (longest shared prefix of 8, 4, 3, 2 digits) or None."""
    a, b = _root(a), _root(b)
    for level, digits in _PROXIMITY:
        if a[:digits] == b[:digits]:
            return level
    return None


def _cpv_reason(need: Need, supplier: SupplierFacts) -> Reason | None:
    best: Reason | None = None
    for code in supplier.cpvs:
        level = cpv_proximity(need.cpv, code)
        if level is None:
            continue
        points = POINTS[f"cpv_{level}"]
        if best is None or points > best.points:
            prefix = need.cpv[:dict(_PROXIMITY)[level]]
            best = Reason(f"cpv_{level}", points, {"cpv": need.cpv, "supplier_cpv": code, "prefix": prefix})
    return best


def _territory_reason(need: Need, supplier: SupplierFacts) -> Reason | None:
    if need.departement is not None and need.departement in supplier.departements:
        return Reason("territory_departement", POINTS["territory_departement"], {"departement": need.departement})
    if need.region is not None and need.region in supplier.regions:
        return Reason("territory_region", POINTS["territory_region"], {"region": need.region})
    if supplier.national:
        return Reason("territory_national", POINTS["territory_national"], {})
    return None


def relevant_labels(need: Need) -> frozenset[str]:
    """The labels that earn points for this need: its division's, the wanted ones, those of its themes."""
    themed = {code for code, entry in LABELS.items() if entry.theme in need.themes}
    return DIVISION_LABELS.get(need.cpv[:2], frozenset()) | need.wants_labels | themed


def _label_reasons(need: Need, supplier: SupplierFacts) -> list[Reason]:
    """One reason per relevant label held, wanted ones first: 5 points each until the cap, 0 beyond (still shown)."""
    held = sorted(relevant_labels(need) & supplier.labels, key=lambda code: (code not in need.wants_labels, code))
    reasons = []
    left = POINTS["label_max"]
    for code in held:
        points = min(POINTS["label"], left)
        left -= points
        reasons.append(Reason("label", points, {"label": code, "wanted": "yes" if code in need.wants_labels else "no"}))
    return reasons


def _past_reason(need: Need, supplier: SupplierFacts) -> Reason | None:
    division = need.cpv[:2]
    same = (supplier.past_divisions.get(division, 0) if supplier.past_divisions
            else supplier.past_contracts_same_division)
    if same > 0:
        return Reason("past_contracts", POINTS["past_contracts_same_division"],
                      {"contracts": str(same), "division": division, "scope": "division"})
    if supplier.past_contracts > 0:
        return Reason("past_contracts", POINTS["past_contracts"],
                      {"contracts": str(supplier.past_contracts), "scope": "any"})
    return None


def score(need: Need, supplier: SupplierFacts) -> Match | None:
    """The supplier's score for the need and its reasons, or None when no CPV code is even in the need's division."""
    _root(need.cpv)
    cpv = _cpv_reason(need, supplier)
    if cpv is None:
        return None
    found = [cpv, _territory_reason(need, supplier),
             Reason("sme", POINTS["sme"], {}) if supplier.sme is True else None,
             *_label_reasons(need, supplier), _past_reason(need, supplier)]
    reasons = sorted((r for r in found if r is not None), key=lambda r: -r.points)  # stable: ties keep this order
    return Match(sum(r.points for r in reasons), tuple(reasons))


def check_limit(limit: int) -> None:
    if limit < 1:
        raise InputError(f"limit: must be at least 1, got {limit}")


def supplier_order(score: int, name: str, org_id: int) -> tuple[int, str, str, int]:
    """How ranked suppliers are ordered: best score first, then by name (case-insensitive) and org id."""
    return -score, name.casefold(), name, org_id


def rank(need: Need, suppliers: Iterable[SupplierFacts], limit: int = 20) -> list[tuple[SupplierFacts, Match]]:
    """The suppliers matching the need, in :func:`supplier_order`."""
    check_limit(limit)
    scored = [(s, m) for s in suppliers if (m := score(need, s)) is not None]
    scored.sort(key=lambda pair: supplier_order(pair[1].score, pair[0].name, pair[0].org_id))
    return scored[:limit]


def rank_needs(supplier: SupplierFacts, needs: Sequence[tuple[K, Need]], limit: int = 20) -> list[tuple[K, Match]]:
    """The needs the supplier matches, best score first; ties keep the order given (e.g. the closest deadline)."""
    check_limit(limit)
    scored = [(key, m) for key, need in needs if (m := score(need, supplier)) is not None]
    scored.sort(key=lambda pair: -pair[1].score)  # stable
    return scored[:limit]


_CPV_WORDS: Final = {"code": ("Même code CPV", "Same CPV code"), "class": ("Même classe CPV", "Same CPV class"),
                     "group": ("Même groupe CPV", "Same CPV group"), "division": ("Même division CPV",
                                                                                  "Same CPV division")}


def _plural(n: int, word: str) -> str:
    return word if n == 1 else " ".join(part + "s" for part in word.split(" "))


def explain(reason: Reason, lang: Literal["fr", "en"] = "fr") -> str:
    """The reason as one sentence, in French or English."""
    if lang not in ("fr", "en"):
        raise InputError(f"lang: unknown value {lang!r}; choose among fr, en")
    fr = lang == "fr"
    d = reason.detail
    if reason.code.startswith("cpv_") and reason.code[4:] in _CPV_WORDS:
        level = reason.code[4:]
        return f"{_CPV_WORDS[level][0 if fr else 1]} ({d['cpv'] if level == 'code' else d['prefix']})"
    if reason.code == "territory_departement":
        return (f"Intervient dans le département {d['departement']}" if fr
                else f"Serves département {d['departement']}")
    if reason.code == "territory_region":
        name = REGIONS.get(d["region"], d["region"])
        return f"Intervient dans la région {name}" if fr else f"Serves the région {name}"
    if reason.code == "territory_national":
        return "Intervient sur tout le territoire national" if fr else "Serves the whole country"
    if reason.code == "sme":
        return "PME" if fr else "SME"
    if reason.code == "label":
        entry = LABELS.get(d["label"])
        name = d["label"] if entry is None else (entry.name_fr if fr else entry.name_en)
        return f"Label {name}" if fr else f"Label: {name}"
    if reason.code == "past_contracts":
        n = int(d["contracts"])
        where = d.get("scope") == "division"
        if fr:
            return f"{n} {_plural(n, 'marché public')} déjà {_plural(n, 'obtenu')}" + (
                " dans cette division" if where else "")
        return f"{n} public {_plural(n, 'contract')} already won" + (" in this division" if where else "")
    raise InputError(f"reason: unknown code {reason.code!r}")
