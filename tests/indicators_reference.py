"""An independent, plain-Python computation of every indicator, to check the SQL engine against.

Written from the specification (docs/indicateurs.md: conventions, fact columns, parameters, thresholds and
each definition; ../shared/docs/domain.md §3), not translated from the engine's SQL and never calling it:
DuckDB only reads plain rows of the warehouse's base tables (``contracts``, ``titulaires``,
``actes_sous_traitance``, ``ref_lieux``, ``ref_communes``, ``ref_sirene_*``, ``ref_cpv``); every fact, group
and aggregate is then computed here with dicts, loops and ``math.fsum``. The enriched views and the stored
``indicator_facts`` are not read.

Readings this file takes where the specification leaves a choice (each one is a comment where it is applied):

* a sum or a count over no contract (or over contracts whose fields are all unknown) is 0, not null (the
  engine's convention, engine.py ``AGGREGATES``, shown in the docs' SQL tables), but
  supplier_concentration has a null numerator and denominator where no titulaire is identified (no share);
* a contract's facts are booleans: "considerations filled" is false, not unknown, for a 2019 record;
* the EU threshold of a contract: works for CPV division 45 and concessions, else defence/utilities for a
  "Marché de défense ou de sécurité", else supplies and services (the docs' order);
* "rounded to N decimals" is SQL ``round``: half away from zero on ``x × 10^N``.
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import duckdb

# Parameters (docs/indicateurs.md, "Parameters").
NEW_SUPPLIER_YEARS = 3
SPLITTING_BAND = 0.8
LATE_PUBLICATION_DAYS = 60
ADVANCE_MIN_AMOUNT = 25000
ADVANCE_MIN_RATE = 0.3

NO_PUBLICITY = "Marché passé sans publicité ni mise en concurrence préalable"
DEFENCE = "Marché de défense ou de sécurité"
ENVIRONMENTAL = frozenset({"Clause environnementale", "Critère environnemental"})
SOCIAL = frozenset({"Clause sociale", "Critère social", "Marché réservé", "Concession réservée"})
RESERVED = frozenset({"Marché réservé", "Concession réservée"})
#: Quality flags saying the buyer's identifier is not a valid SIRET (spaser/domain/siret.py).
BAD_BUYER_ID = frozenset({"acheteur:siret_cle", "acheteur:siret_zeros", "acheteur:siret_longueur",
                          "acheteur:id_manquant"})

SCOPES = ("all", "buyer", "region", "departement", "cpv_division", "procedure", "nature")
MEASURES = ("count", "value")
DIGITS = {"count": 6, "value": 2}
RESULT_DIGITS = 4

Key = tuple[str, str, int | None, str, str | None]  # id, measure, year, scope, scope_id


@dataclass(frozen=True)
class Row:
    """The published parts of one indicator × measure × year × scope."""

    numerator: float | None
    denominator: float | None
    value: float | None
    coverage: float | None
    population: int
    known: int
    excluded: int


def sql_round(x: float | None, digits: int) -> float | None:
    """Round half away from zero on ``x × 10^digits`` (SQL ``round`` on a double)."""
    if x is None:
        return None
    scale = 10.0**digits
    scaled = x * scale
    magnitude = abs(scaled)
    whole = math.floor(magnitude)
    rounded = whole + 1 if magnitude - whole >= 0.5 else whole
    return math.copysign(rounded, scaled) / scale


# --------------------------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Threshold:
    name: str
    amount: float
    start: dt.date
    end: dt.date


def shipped_thresholds() -> list[Threshold]:
    """The dated threshold table the engine uses by default (src/spaser/indicators/thresholds.toml), read
    with tomllib."""
    text = resources.files("spaser.indicators").joinpath("thresholds.toml").read_text(encoding="utf-8")
    return [Threshold(str(t["name"]), float(t["amount"]), t["start"], t["end"])
            for t in tomllib.loads(text)["threshold"]]


@dataclass
class Warehouse:
    """Plain rows of the warehouse's base and reference tables."""

    contracts: list[dict[str, Any]]
    titulaires: dict[str, list[dict[str, Any]]]  # record_uid → titulaires in force, in rank order
    subcontracted: dict[str, list[float]]  # record_uid → amounts of its subcontracting acts
    lieux: dict[tuple[str | None, str | None], tuple[str | None, str | None, str | None, list[str]]]
    communes: dict[str, tuple[str | None, str | None]]  # commune → (département, région)
    unites: dict[str, tuple[str | None, bool | None]]  # SIREN → (catégorie, ESS)
    etablissements: dict[str, str | None]  # SIRET → commune
    cpv_codes: set[str]
    thresholds: list[Threshold]


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def read_warehouse(con: duckdb.DuckDBPyConnection, thresholds: list[Threshold] | None = None) -> Warehouse:
    contracts = _rows(con, """
        SELECT contract_key, record_uid, kind, nature, procedure, acheteur_id, date_notification,
               date_publication_donnees, code_cpv, montant, montant_initial, montant_suspect, offres_recues,
               attribution_avance, taux_avance, marche_innovant, type_groupement_operateurs,
               sous_traitance_declaree, origine_france, duree_mois, duree_mois_initiale, lieu_execution_code,
               lieu_execution_type_code, considerations_sociales, considerations_environnementales,
               quality_flags
        FROM contracts""")
    # Titulaires in force: those set by the last modification that names some, else the initial ones.
    every: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in _rows(con, "SELECT record_uid, modification_rank, rank, type_identifiant, id, siret_valide "
                          "FROM titulaires"):
        every[row["record_uid"]].append(row)
    titulaires: dict[str, list[dict[str, Any]]] = {}
    for uid, rows in every.items():
        last = max(r["modification_rank"] for r in rows)
        titulaires[uid] = sorted((r for r in rows if r["modification_rank"] == last), key=lambda r: r["rank"])
    subcontracted: dict[str, list[float]] = defaultdict(list)
    for uid, montant in con.execute("SELECT record_uid, montant FROM actes_sous_traitance").fetchall():
        if montant is not None:
            subcontracted[uid].append(montant)
    lieux = {(code, type_code): (dep, region, niveau, list(flags or []))
             for code, type_code, dep, region, niveau, flags in con.execute(
                 "SELECT lieu_execution_code, lieu_execution_type_code, departement_code, region_code, niveau, "
                 "flags FROM ref_lieux").fetchall()}
    communes = {code: (dep, region) for code, dep, region in con.execute(
        "SELECT commune_code, departement_code, region_code FROM ref_communes").fetchall()}
    unite_rows = con.execute("SELECT siren, categorie_entreprise, ess FROM ref_sirene_unites").fetchall()
    unites = {siren: (category, ess) for siren, category, ess in unite_rows}
    site_rows = con.execute("SELECT siret, commune_code FROM ref_sirene_etablissements").fetchall()
    etablissements = {siret: commune for siret, commune in site_rows}
    # One row per SIREN and per SIRET, as a SIRENE stock has (the loader keeps the first of duplicates).
    assert len(unites) == len(unite_rows) and len(etablissements) == len(site_rows)
    cpv_codes = {code for (code,) in con.execute("SELECT code8 FROM ref_cpv").fetchall()}
    return Warehouse(contracts, titulaires, dict(subcontracted), lieux, communes, unites, etablissements,
                     cpv_codes, thresholds if thresholds is not None else shipped_thresholds())


# --------------------------------------------------------------------------------------------- facts


@dataclass
class Titulaire:
    supplier: str | None  # SIREN of a valid SIRET, else the identifier as published
    valid_id: bool  # a valid SIRET, or an identifier of another type
    category: str | None
    ess: bool | None
    region: str | None


@dataclass
class Facts:
    """What the definitions need of one contract."""

    key: str
    year: int | None
    buyer: str | None
    scope_ids: dict[str, str | None]
    ok: bool  # current amount known and not flagged
    suspect: bool
    poids: float
    montant: float | None
    montant_initial: float | None
    titulaires: list[Titulaire]
    values: dict[str, Any] = field(default_factory=dict)


def _in_force(thresholds: list[Threshold], name: str, day: dt.date | None) -> float | None:
    if day is None:
        return None
    amounts = [t.amount for t in thresholds if t.name == name and t.start <= day <= t.end]
    assert len(amounts) <= 1, (name, day)
    return amounts[0] if amounts else None


def _filled(values: list[str] | None) -> bool:
    return bool(values)


def contract_facts(wh: Warehouse) -> list[Facts]:
    """The facts of every contract; those reading other contracts (a buyer's supplier history, its first year,
    its contracts just under a threshold) look at the whole warehouse."""
    base: list[tuple[dict[str, Any], Facts]] = []
    for c in wh.contracts:
        day: dt.date | None = c["date_notification"]
        year = day.year if day is not None else None
        buyer: str | None = c["acheteur_id"]
        site_commune = wh.etablissements.get(buyer) if buyer is not None else None
        buyer_dep, buyer_region = wh.communes.get(site_commune, (None, None)) if site_commune else (None, None)
        place = wh.lieux.get((c["lieu_execution_code"], c["lieu_execution_type_code"]))
        place_dep, place_region = (place[0], place[1]) if place else (None, None)
        code_cpv: str | None = c["code_cpv"]
        suspect = bool(c["montant_suspect"])
        ok = c["montant"] is not None and not suspect
        titulaires = [_titulaire(wh, t) for t in wh.titulaires.get(c["record_uid"], [])]
        facts = Facts(
            key=c["contract_key"], year=year, buyer=buyer,
            scope_ids={
                "all": None,
                "buyer": buyer,
                # The buyer's establishment (SIRENE + COG), else the place of execution.
                "region": buyer_region if buyer_region is not None else place_region,
                "departement": buyer_dep if buyer_dep is not None else place_dep,
                "cpv_division": code_cpv[:2] if code_cpv is not None else None,
                "procedure": c["procedure"],
                "nature": c["nature"],
            },
            ok=ok, suspect=suspect, poids=c["montant"] if ok else 0.0,
            montant=c["montant"], montant_initial=c["montant_initial"], titulaires=titulaires)
        facts.values["buyer_region"] = buyer_region
        facts.values["place"] = place
        base.append((c, facts))
    history = _supplier_history(f for _, f in base)
    first_year = _buyer_first_years(f for _, f in base)
    bands = [_bands(wh, c, f) for c, f in base]
    groups = _splitting_groups(zip((f for _, f in base), bands, strict=True))
    for (c, f), band in zip(base, bands, strict=True):
        _considerations(c, f)
        _competition(c, f, band)
        _suppliers(f, history, first_year)
        _others(wh, c, f)
        _splitting(f, band, groups)
    return [f for _, f in base]


def _titulaire(wh: Warehouse, t: dict[str, Any]) -> Titulaire:
    siret_ok = t["type_identifiant"] == "SIRET" and t["siret_valide"] is True
    siren = t["id"][:9] if siret_ok else None
    category, ess = wh.unites.get(siren, (None, None)) if siren else (None, None)
    # An establishment is looked up by its SIRET (a SIRET absent from SIRENE has no place).
    commune = wh.etablissements.get(t["id"]) if t["type_identifiant"] == "SIRET" else None
    region = wh.communes.get(commune, (None, None))[1] if commune else None
    # A valid identifier: a SIRET passing its checks, or an identifier of another (non-checkable) type.
    valid_id = siret_ok or (t["type_identifiant"] is not None and t["type_identifiant"] != "SIRET")
    return Titulaire(supplier=siren or t["id"], valid_id=valid_id,
                     category=category or None, ess=ess, region=region)


def _supplier_history(facts: Iterable[Facts]) -> dict[tuple[str, str], set[int]]:
    """(buyer, supplier) → the years in which the buyer awarded it a contract."""
    years: dict[tuple[str, str], set[int]] = defaultdict(set)
    for f in facts:
        if f.buyer is None or f.year is None:
            continue
        for t in f.titulaires:
            if t.supplier is not None:
                years[(f.buyer, t.supplier)].add(f.year)
    return years


def _buyer_first_years(facts: Iterable[Facts]) -> dict[str, int]:
    first: dict[str, int] = {}
    for f in facts:
        if f.buyer is not None and f.year is not None:
            first[f.buyer] = min(first.get(f.buyer, f.year), f.year)
    return first


@dataclass(frozen=True)
class Bands:
    eu: float | None
    national: float | None
    cpv_group: str | None
    under_eu: bool
    under_national: bool


def _bands(wh: Warehouse, c: dict[str, Any], f: Facts) -> Bands:
    """The thresholds in force at notification and whether the initial amount lies just under them."""
    division = f.scope_ids["cpv_division"]
    works = c["kind"] == "concession" or division == "45"
    if works:
        eu_name = "eu_works"
    elif c["nature"] == DEFENCE:
        eu_name = "eu_utilities_defence"
    else:
        eu_name = "eu_supplies_services"
    day = c["date_notification"]
    eu = _in_force(wh.thresholds, eu_name, day)
    national = _in_force(wh.thresholds,
                         "national_no_publicity_works" if works else "national_no_publicity_supplies_services", day)
    initial = f.montant_initial

    def under(threshold: float | None) -> bool:
        return (threshold is not None and initial is not None and not f.suspect
                and SPLITTING_BAND * threshold <= initial < threshold)

    code = c["code_cpv"]
    return Bands(eu, national, code[:3] if code is not None else None, under(eu), under(national))


def _splitting_groups(pairs: Iterable[tuple[Facts, Bands]]) -> dict[tuple[str, str, int, str], list[float]]:
    """(buyer, CPV group, year, 'eu' | 'national') → initial amounts of its contracts just under the threshold."""
    groups: dict[tuple[str, str, int, str], list[float]] = defaultdict(list)
    for f, band in pairs:
        if f.buyer is None or band.cpv_group is None or f.year is None or f.montant_initial is None:
            continue
        if band.under_eu:
            groups[(f.buyer, band.cpv_group, f.year, "eu")].append(f.montant_initial)
        if band.under_national:
            groups[(f.buyer, band.cpv_group, f.year, "national")].append(f.montant_initial)
    return groups


def _considerations(c: dict[str, Any], f: Facts) -> None:
    env: list[str] | None = c["considerations_environnementales"]
    soc: list[str] | None = c["considerations_sociales"]
    v = f.values
    v["env_known"] = _filled(env)
    v["env_consideration"] = bool(env) and bool(ENVIRONMENTAL.intersection(env or []))
    v["env_criterion"] = "Critère environnemental" in (env or [])
    v["social_known"] = _filled(soc)
    v["social_consideration"] = bool(SOCIAL.intersection(soc or []))
    v["reserved"] = bool(RESERVED.intersection(soc or []))


def _competition(c: dict[str, Any], f: Facts, band: Bands) -> None:
    v = f.values
    initial = f.montant_initial
    v["above_eu"] = (c["nature"] != DEFENCE and not f.suspect and initial is not None and band.eu is not None
                     and initial >= band.eu)
    procedure = c["procedure"]
    v["procedure_known"] = procedure is not None
    v["competitive"] = procedure is not None and procedure != NO_PUBLICITY
    # Unknown procedures stay in the population of the bid indicators (and lower their coverage).
    v["maybe_competitive"] = procedure != NO_PUBLICITY
    v["no_publication"] = procedure == NO_PUBLICITY
    offres = c["offres_recues"]
    v["offres"] = offres if offres is not None and offres >= 1 else None  # 0 means "not filled"


def _suppliers(f: Facts, history: dict[tuple[str, str], set[int]], first_year: dict[str, int]) -> None:
    v = f.values
    ts = f.titulaires
    n = len(ts)
    v["n_titulaires"] = n
    v["sme_known"] = n > 0 and all(t.category is not None for t in ts)
    v["sme_fraction"] = sum(t.category == "PME" for t in ts) / n if n else 0.0
    v["ess_known"] = n > 0 and all(t.ess is not None for t in ts)
    v["ess_fraction"] = sum(t.ess is True for t in ts) / n if n else 0.0
    buyer_region = v["buyer_region"]
    v["local_known"] = n > 0 and buyer_region is not None and all(t.region is not None for t in ts)
    v["local_fraction"] = sum(t.region == buyer_region for t in ts) / n if n and buyer_region else 0.0
    # New: no contract of this buyer in the NEW_SUPPLIER_YEARS previous years; known from the buyer's
    # (NEW_SUPPLIER_YEARS + 1)-th year of data, when every titulaire is identified.
    year, buyer = f.year, f.buyer
    if n and buyer is not None and year is not None and all(t.supplier is not None for t in ts):
        v["new_known"] = year - first_year[buyer] >= NEW_SUPPLIER_YEARS
        new = 0
        for t in ts:
            assert t.supplier is not None
            seen = history[(buyer, t.supplier)]
            if not any(year - NEW_SUPPLIER_YEARS <= y < year for y in seen):
                new += 1
        v["new_fraction"] = new / n
    else:
        v["new_known"], v["new_fraction"] = False, 0.0


def _others(wh: Warehouse, c: dict[str, Any], f: Facts) -> None:
    v = f.values
    initial = f.montant_initial
    has_sme = any(t.category == "PME" for t in f.titulaires)
    v["sme_above_advance_amount"] = (has_sme and v["sme_known"] and not f.suspect and initial is not None
                                     and initial > ADVANCE_MIN_AMOUNT)
    avance, taux = c["attribution_avance"], c["taux_avance"]
    v["advance_known"] = avance is False or (taux is not None and taux > 0)  # a rate of 0 means unknown
    v["advance_paid"] = avance is True and taux is not None and taux >= ADVANCE_MIN_RATE
    v["innovant"] = c["marche_innovant"]
    groupement = c["type_groupement_operateurs"]
    v["groupement_known"] = groupement is not None
    v["joint_bid"] = groupement is not None and groupement != "Pas de groupement"
    v["sous_traitance"] = c["sous_traitance_declaree"]
    v["montant_sous_traite"] = math.fsum(wh.subcontracted.get(c["record_uid"], []))
    v["origine_france"] = c["origine_france"]
    montant = f.montant
    v["growth_known"] = initial is not None and initial > 0 and montant is not None and not f.suspect
    v["growth"] = (montant - initial) / initial if v["growth_known"] and montant is not None and initial else 0.0
    duree, initiale = c["duree_mois"], c["duree_mois_initiale"]
    v["duration_known"] = initiale is not None and initiale > 0 and duree is not None
    v["duration_extended"] = v["duration_known"] and duree > initiale
    notified, published = c["date_notification"], c["date_publication_donnees"]
    v["publication_days"] = (published - notified).days if notified and published else None
    # Completeness: buyer and every titulaire validly identified, CPV known, place resolved, considerations
    # filled.
    place = v["place"]
    place_resolved = place is not None and (place[2] is not None or "lieu:cog_absent" in place[3])
    code = c["code_cpv"]
    v["complete"] = (f.buyer is not None and not BAD_BUYER_ID.intersection(c["quality_flags"] or [])
                     and bool(f.titulaires) and all(t.valid_id for t in f.titulaires)
                     and code is not None and (not wh.cpv_codes or code in wh.cpv_codes)
                     and c["lieu_execution_code"] is not None and place_resolved
                     and v["env_known"] and v["social_known"])


def _splitting(f: Facts, band: Bands, groups: dict[tuple[str, str, int, str], list[float]]) -> None:
    v = f.values
    v["splitting_known"] = (f.montant_initial is not None and not f.suspect and band.national is not None
                            and band.cpv_group is not None and f.buyer is not None)
    suspicion = False
    if f.buyer is not None and band.cpv_group is not None and f.year is not None:
        for kind, under, threshold in (("national", band.under_national, band.national),
                                       ("eu", band.under_eu, band.eu)):
            amounts = groups.get((f.buyer, band.cpv_group, f.year, kind), [])
            if under and threshold is not None and len(amounts) >= 2 and math.fsum(amounts) > threshold:
                suspicion = True
    v["splitting_suspicion"] = suspicion


# --------------------------------------------------------------------------------------------- catalogue

Fn = Callable[[Facts], Any]


@dataclass(frozen=True)
class Definition:
    population: Fn
    known: Fn
    numerator: Fn  # per contract, count measure (a boolean counts 1)
    value_numerator: Fn | None = None  # default: numerator × current amount
    value_denominator: Fn | None = None  # default: current amount
    scale: float = 100.0
    hhi: bool = False


def _fact(name: str) -> Fn:
    return lambda f: f.values[name]


def _always(f: Facts) -> bool:
    return True


def _days(f: Facts) -> bool:
    days = f.values["publication_days"]
    return days is not None and days >= 0


def _amount(x: float | None) -> float:
    assert x is not None
    return x


def _bids_known(f: Facts) -> bool:
    return bool(f.values["competitive"]) and f.values["offres"] is not None


def _over(percent: int) -> Definition:
    return Definition(_always, _fact("growth_known"), lambda f: f.values["growth"] > percent / 100)


DEFINITIONS: dict[str, Definition] = {
    "env_consideration": Definition(_always, _fact("env_known"), _fact("env_consideration")),
    "env_criterion": Definition(_always, _fact("env_known"), _fact("env_criterion")),
    "social_consideration": Definition(_always, _fact("social_known"), _fact("social_consideration")),
    "social_above_eu": Definition(_fact("above_eu"), _fact("social_known"), _fact("social_consideration")),
    "reserved": Definition(_always, _fact("social_known"), _fact("reserved")),
    "sme_share": Definition(_always, _fact("sme_known"), _fact("sme_fraction")),
    "ess_share": Definition(_always, _fact("ess_known"), _fact("ess_fraction")),
    "local_share": Definition(_always, _fact("local_known"), _fact("local_fraction")),
    "new_suppliers": Definition(_always, _fact("new_known"), _fact("new_fraction")),
    "sme_advance": Definition(_fact("sme_above_advance_amount"), _fact("advance_known"), _fact("advance_paid")),
    "innovative": Definition(_always, lambda f: f.values["innovant"] is not None, _fact("innovant")),
    "joint_bids": Definition(_always, _fact("groupement_known"), _fact("joint_bid")),
    # Count: share declaring subcontracting; value: amount of the acts over the amount of the contracts.
    "subcontracting": Definition(_always, lambda f: f.values["sous_traitance"] is not None,
                                 _fact("sous_traitance"), value_numerator=_fact("montant_sous_traite")),
    "origin_france": Definition(_always, lambda f: f.values["origine_france"] is not None,
                                _fact("origine_france")),
    "single_bid": Definition(_fact("maybe_competitive"), _bids_known, lambda f: f.values["offres"] == 1),
    "avg_bids": Definition(_fact("maybe_competitive"), _bids_known, _fact("offres"), scale=1.0),
    "no_publication": Definition(_always, _fact("procedure_known"), _fact("no_publication")),
    # Count: mean growth per contract; value: Σ (current − initial) ÷ Σ initial.
    "amendment_inflation": Definition(
        _always, _fact("growth_known"), _fact("growth"),
        value_numerator=lambda f: _amount(f.montant) - _amount(f.montant_initial),
        value_denominator=lambda f: _amount(f.montant_initial)),
    "amendment_over_10": _over(10),
    "amendment_over_15": _over(15),
    "amendment_over_50": _over(50),
    "duration_extension": Definition(_always, _fact("duration_known"), _fact("duration_extended")),
    "splitting_suspicion": Definition(_always, _fact("splitting_known"), _fact("splitting_suspicion")),
    "supplier_concentration": Definition(_always, lambda f: f.values["n_titulaires"] > 0, lambda f: 1,
                                         scale=10000.0, hhi=True),
    "publication_delay": Definition(_always, _days,
                                    lambda f: f.values["publication_days"] > LATE_PUBLICATION_DAYS),
    "publication_delay_days": Definition(_always, _days, _fact("publication_days"), scale=1.0),
    "data_completeness": Definition(_always, _always, _fact("complete")),
}


# --------------------------------------------------------------------------------------------- aggregation


@dataclass
class _Parts:
    population: int = 0
    known: int = 0
    numerator: list[float] = field(default_factory=list)
    value_known: int = 0
    excluded: int = 0
    value_numerator: list[float] = field(default_factory=list)
    value_denominator: list[float] = field(default_factory=list)


@dataclass
class _Shares:
    count: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    value: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))


EPSILON = 2.0**-52


@dataclass(frozen=True)
class Sum:
    """A sum as the reference computes it (correctly rounded, ``math.fsum``) and a bound on how far any
    floating-point summation order may land from it (|error| ≤ n · ε · Σ|term|, doubled for safety)."""

    total: float | None
    error: float

    @staticmethod
    def of(terms: Sequence[float]) -> Sum:
        if not terms:
            return Sum(0.0, 0.0)
        return Sum(math.fsum(terms), len(terms) * EPSILON * math.fsum(abs(t) for t in terms))


def at_boundary(x: float | None, error: float, digits: int) -> bool:
    """Whether a rounding boundary (half a unit of the last published decimal) lies within ``error`` of
    ``x``: there, two correct summations may publish neighbouring values."""
    if x is None:
        return False
    scaled = abs(x) * 10.0**digits
    distance = abs(scaled - math.floor(scaled) - 0.5) / 10.0**digits
    return distance <= error + abs(x) * 4 * EPSILON


@dataclass(frozen=True)
class Reference:
    rows: dict[Key, Row]
    #: Parts ("numerator", "denominator", "value") of a row whose exact value lies at a rounding boundary.
    boundaries: dict[Key, frozenset[str]]


def _hhi(weights: dict[str, list[float]]) -> Sum:
    """Σ share² = Σ w² ÷ (Σ w)² over the suppliers' weights (null when there is no weight or they sum to 0);
    each weight being itself a sum, the error bound is relative: 8 · ε · (terms + suppliers)."""
    w = [math.fsum(terms) for terms in weights.values() if terms]
    if not w:
        return Sum(None, 0.0)
    whole = math.fsum(w)
    if whole == 0:
        return Sum(None, 0.0)
    share = math.fsum(x * x for x in w) / (whole * whole)
    terms = sum(len(t) for t in weights.values())
    return Sum(share, share * 8 * EPSILON * (terms + len(w)))


def compute(wh: Warehouse, *, buyer: str | None = None, years: Sequence[int] | None = None) -> Reference:
    """Every indicator × measure × scope × year over the contracts (of ``buyer``, of ``years``)."""
    parts: dict[tuple[str, tuple[int | None, str, str | None]], _Parts] = defaultdict(_Parts)
    shares: dict[tuple[int | None, str, str | None], _Shares] = defaultdict(_Shares)
    for f in contract_facts(wh):
        if buyer is not None and f.buyer != buyer:
            continue
        if years is not None and f.year not in years:
            continue
        groups = [(f.year, scope, f.scope_ids[scope]) for scope in SCOPES]
        n = f.values["n_titulaires"]
        for group in groups:
            share = shares[group]
            for t in f.titulaires:
                if t.supplier is None:
                    continue
                share.count[t.supplier].append(1.0 / n)
                if f.ok:
                    share.value[t.supplier].append(f.poids / n)
        for ident, d in DEFINITIONS.items():
            in_population = bool(d.population(f))
            known = in_population and bool(d.known(f))
            x = xv = wv = 0.0
            if known:
                x = float(d.numerator(f))
                if f.ok:
                    xv = float(d.value_numerator(f)) if d.value_numerator else x * f.poids
                    wv = float(d.value_denominator(f)) if d.value_denominator else f.poids
            for group in groups:
                p = parts[(ident, group)]
                p.population += in_population
                if not known:
                    continue
                p.known += 1
                p.numerator.append(x)
                if f.ok:
                    p.value_known += 1
                    p.value_numerator.append(xv)
                    p.value_denominator.append(wv)
                else:  # amount missing or flagged
                    p.excluded += 1
    rows: dict[Key, Row] = {}
    boundaries: dict[Key, frozenset[str]] = {}
    for (ident, (year, scope, scope_id)), p in parts.items():
        d = DEFINITIONS[ident]
        for measure in MEASURES:
            counted = p.known if measure == "count" else p.value_known
            if d.hhi:
                shared = shares[(year, scope, scope_id)]
                numerator = _hhi(shared.count if measure == "count" else shared.value)
                denominator = Sum(1.0 if numerator.total is not None else None, 0.0)
                digits = DIGITS["count"]  # Σ share², between 0 and 1
            elif measure == "count":
                numerator, denominator, digits = Sum.of(p.numerator), Sum(float(p.known), 0.0), DIGITS["count"]
            else:
                numerator, denominator = Sum.of(p.value_numerator), Sum.of(p.value_denominator)
                digits = DIGITS["value"]
            value = None
            near = {part for part, s in (("numerator", numerator), ("denominator", denominator))
                    if at_boundary(s.total, s.error, digits)}
            if numerator.total is not None and denominator.total is not None and denominator.total > 0:
                ratio = numerator.total / denominator.total * d.scale
                value = sql_round(ratio, RESULT_DIGITS)
                relative = (numerator.error / abs(numerator.total) if numerator.total else 0.0) + (
                    denominator.error / denominator.total) + 4 * EPSILON
                if at_boundary(ratio, abs(ratio) * relative, RESULT_DIGITS):
                    near.add("value")
            key = (ident, measure, year, scope, scope_id)
            rows[key] = Row(
                numerator=sql_round(numerator.total, digits), denominator=sql_round(denominator.total, digits),
                value=value, coverage=sql_round(counted / p.population, RESULT_DIGITS) if p.population else None,
                population=p.population, known=counted, excluded=p.excluded if measure == "value" else 0)
            if near:
                boundaries[key] = frozenset(near)
    return Reference(rows, boundaries)
