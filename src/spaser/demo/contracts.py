"""Marchés of the demonstration: one consultation at a time, split in lots or not, in the DECP 2022 shape.

A consultation draws its sector from the buyer's purchase mix, an amount from the sector's log-normal law
(scaled to the buyer), then what follows from it as in real files: the procedure from the amount and the EU
thresholds, framework agreements and order forms, bids received by procedure, advances to SMEs, groupements and
subcontracting, the origin of goods, and considerations whose shares rise year after year (faster for the Région,
and again once article 35 of the Loi Climat et Résilience applies), so that every trend chart has a slope.
About one contract in ten is modified, some by more than 10 %, 15 % or 50 % of its amount.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field
from typing import Any, Final

from spaser.demo.buyers import BUYERS, KINDS, BuyerSpec, Kind
from spaser.demo.geography import BY_NAME, Commune, communes_of_departement, communes_of_region, region_of
from spaser.demo.identity import Registry
from spaser.demo.period import ARTICLE_35, LAST_DATE, capped, iso, later
from spaser.demo.sectors import SECTORS, Sector
from spaser.demo.suppliers import Pools, Supplier

Json = dict[str, Any]

NO_PUBLICITY: Final = "Marché passé sans publicité ni mise en concurrence préalable"
MAPA: Final = "Procédure adaptée"
#: EU thresholds (EUR HT) of other contracting authorities in the period, rounded: supplies/services, works.
EU_SUPPLIES: Final = 216_000.0
EU_WORKS: Final = 5_400_000.0
#: Share of contracts with at least one environmental / social consideration, by year, before the bonuses of the
#: sector and of the buyer's kind.
ENV_TREND: Final[dict[int, float]] = {2022: 0.2, 2023: 0.29, 2024: 0.4, 2025: 0.52, 2026: 0.63}
CRITERION_TREND: Final[dict[int, float]] = {2022: 0.3, 2023: 0.35, 2024: 0.42, 2025: 0.5, 2026: 0.6}
SOCIAL_TREND: Final[dict[int, float]] = {2022: 0.1, 2023: 0.14, 2024: 0.19, 2025: 0.24, 2026: 0.29}
#: Share of late publications (more than two months after notification), by year.
LATE_TREND: Final[dict[int, float]] = {2022: 0.16, 2023: 0.13, 2024: 0.1, 2025: 0.08, 2026: 0.06}
#: Share of the Région's advances to SMEs that reach 30 %, by year (its SPASER asks for 50 % of SMEs by 2027).
REGION_ADVANCE_30: Final[dict[int, float]] = {2022: 0.55, 2023: 0.58, 2024: 0.62, 2025: 0.66, 2026: 0.7}
#: CPV of a lot, by lot name (else the consultation's).
LOT_CPV: Final[dict[str, str]] = {
    "Viandes et volailles": "15110000", "Fruits et légumes": "15300000", "Produits laitiers": "15500000",
    "Épicerie": "15800000", "Pain et viennoiseries": "15810000", "Produits surgelés": "15800000",
    "Charpente – couverture": "45261000", "Menuiseries extérieures": "45421000", "Électricité": "45310000",
    "Plomberie – chauffage – ventilation": "45330000", "Plâtrerie – isolation": "45321000",
    "Étanchéité": "45261000",
}
_ID_FORMATS: Final[dict[str, str]] = {
    "region": "{yy}R{n:04d}", "lycee": "{year}-{n:03d}", "departement": "{year}D{n:04d}", "commune": "{year}{n:04d}",
    "metropole": "{yy}M{n:04d}", "chu": "{year}H{n:04d}", "sdis": "{yy}S{n:03d}", "oph": "MP{yy}{n:04d}",
    "syndicat": "{year}_{n:03d}", "universite": "{yy}U{n:04d}",
}
#: Probability that a buyer awards a contract to one of its former titulaires of the sector (when it has some).
REPEAT: Final = 0.62
#: Consultations of these CPV codes (building operations, food supplies) may be split in lots.
SPLIT_IN_LOTS: Final = frozenset({"45262700", "45210000", "45453000", "15800000"})
#: Goods whose origin (origineFrance, origineUE) the 2022 format asks for.
_ORIGIN_SERVICES: Final = frozenset({"55523100", "55520000", "50110000"})


@dataclass
class Buyer:
    spec: BuyerSpec
    siren: str
    siret: str
    counters: dict[int, int] = field(default_factory=dict)

    @property
    def kind(self) -> Kind:
        return KINDS[self.spec.kind]

    @property
    def commune(self) -> Commune:
        return BY_NAME[self.spec.commune]

    @property
    def departement(self) -> str:
        return self.commune.departement

    @property
    def region(self) -> str:
        return region_of(self.commune)

    def next_id(self, year: int) -> str:
        self.counters[year] = self.counters.get(year, 0) + 1
        return _ID_FORMATS[self.spec.kind].format(year=year, yy=f"{year % 100:02d}", n=self.counters[year])


def make_buyers(registry: Registry) -> list[Buyer]:
    buyers = []
    for spec in BUYERS:
        siren = registry.siren(KINDS[spec.kind].siren_prefix)
        buyers.append(Buyer(spec, siren, Registry.siret(siren, 1)))
    return buyers


@dataclass
class Generated:
    """One generated contract: its DECP record and what the later steps (files, defects, duplicates) need."""

    record: Json
    kind: str  # "marche" or "concession"
    buyer: Buyer
    date: dt.date
    sector: str
    lots: int = 1
    defect: str | None = None


def pick(rng: random.Random, options: dict[Any, float]) -> Any:
    return rng.choices(list(options), weights=list(options.values()))[0]


def _money(rng: random.Random, value: float, works: bool) -> float | int:
    if works:
        return round(value, 2)
    u = rng.random()
    if u < 0.5:
        return int(round(value, -2))
    return round(value) if u < 0.8 else round(value, 2)


def considerations(rng: random.Random, year: int, day: dt.date, sector: Sector, kind: Kind,
                   reserved: bool, concession: bool = False) -> tuple[list[str], list[str]]:
    """(social, environmental) considerations of a consultation."""
    env_share = ENV_TREND[year] + sector.env + kind.env + (0.2 if day >= ARTICLE_35 else 0.0)
    if rng.random() < min(max(env_share, 0.02), 0.97):
        criterion = CRITERION_TREND[year] + (0.3 if day >= ARTICLE_35 else 0.0)
        if rng.random() < criterion:
            env = ["Clause environnementale", "Critère environnemental"] if rng.random() < 0.4 else [
                "Critère environnemental"]
        else:
            env = ["Clause environnementale"]
    else:
        env = ["Pas de considération environnementale"]
    if reserved:
        social = ["Concession réservée" if concession else "Marché réservé"]
        if rng.random() < 0.3:
            social.insert(0, "Clause sociale")
    elif rng.random() < min(max(SOCIAL_TREND[year] + sector.social + kind.social, 0.02), 0.9):
        social = pick(rng, {("Clause sociale",): 60, ("Critère social",): 18, ("Clause sociale", "Critère social"): 22})
        social = list(social)
    else:
        social = ["Pas de considération sociale"]
    return social, env


def lieu(rng: random.Random, buyer: Buyer) -> Json:
    """lieuExecution: mostly a commune (INSEE code), else a postal code, a département or, for the Région, itself."""
    u = rng.random()
    if buyer.spec.kind == "region":
        if u < 0.15:
            return {"code": buyer.region, "typeCode": "Code région"}
        commune = rng.choice(communes_of_region(buyer.region))
    else:
        local = communes_of_departement(buyer.departement)
        commune = buyer.commune if rng.random() < 0.6 else rng.choice(local)
    if u < 0.65:
        return {"code": commune.code, "typeCode": "Code commune"}
    if u < 0.87:
        return {"code": commune.postal, "typeCode": "Code postal"}
    return {"code": commune.departement, "typeCode": "Code département"}


def publication_delay(rng: random.Random, year: int) -> int:
    if rng.random() < LATE_TREND[year]:
        return rng.randint(61, 200)
    return rng.randint(2, 30) if rng.random() < 0.65 else rng.randint(31, 60)


class Marches:
    """Builds the consultations of the buyers, drawing every value from ``rng``."""

    def __init__(self, rng: random.Random, pools: Pools) -> None:
        self.rng = rng
        self.pools = pools
        self.history: dict[tuple[str, str], list[Supplier]] = {}  # (buyer, sector) → suppliers it has chosen

    def consultation(self, buyer: Buyer, day: dt.date) -> list[Generated]:
        rng = self.rng
        kind = buyer.kind
        sector = SECTORS[pick(rng, kind.mix)]
        cpv, template = rng.choice(sector.cpvs)
        objet = self._objet(template, buyer, day.year)
        total = self._amount(sector, kind)
        n_lots = 1
        if cpv in SPLIT_IN_LOTS and total > 150_000 and rng.random() < (0.45 if sector.works else 0.5):
            n_lots = rng.randint(2, min(6, len(sector.lots)))
        procedure = self._procedure(total, sector)
        framework = (rng.random() < sector.framework and procedure != NO_PUBLICITY) or (
            n_lots > 1 and not sector.works)
        # reserved to the social economy where the sector has such suppliers (ESAT, insertion, adapted companies)
        reserved = rng.random() < (0.12 if sector.ess >= 0.1 else 0.02 if sector.ess >= 0.05 else 0.0) and (
            procedure != NO_PUBLICITY)
        social, env = considerations(rng, day.year, day, sector, kind, reserved)
        base_id = buyer.next_id(day.year)
        shares = [rng.uniform(0.5, 1.5) for _ in range(n_lots)]
        lot_names = rng.sample(sector.lots, n_lots) if n_lots > 1 else []
        out = []
        for index in range(n_lots):
            amount = total * shares[index] / sum(shares)
            lot_objet = objet if n_lots == 1 else f"{objet} – lot {index + 1} : {lot_names[index]}"
            lot_cpv = LOT_CPV.get(lot_names[index], cpv) if n_lots > 1 else cpv
            contract_id = base_id if n_lots == 1 else f"{base_id}-L{index + 1}"
            record = self._record(buyer, day, sector, contract_id, lot_objet, lot_cpv, amount, procedure, framework,
                                  reserved, social, env)
            out.append(Generated(record, "marche", buyer, day, sector.key, n_lots))
        return out

    def splitting_pair(self, buyer: Buyer, day: dt.date) -> list[Generated]:
        """Two small purchases of one CPV group, each just under the 40 000 € threshold, whose sum exceeds it."""
        rng = self.rng
        sector = SECTORS["informatique" if rng.random() < 0.5 else "services"]
        cpv, template = sector.cpvs[0]
        out = []
        for n in range(2):
            when = capped(day + dt.timedelta(days=n * rng.randint(20, 90)))
            when = when if when.year == day.year else day
            social, env = considerations(rng, when.year, when, sector, buyer.kind, False)
            objet = self._objet(template, buyer, when.year)
            record = self._record(buyer, when, sector, buyer.next_id(when.year), objet, cpv,
                                  rng.uniform(33_000, 39_900), NO_PUBLICITY if n else MAPA, False, False, social, env)
            out.append(Generated(record, "marche", buyer, when, sector.key))
        return out

    def _objet(self, template: str, buyer: Buyer, year: int) -> str:
        rng = self.rng
        if buyer.spec.kind == "region":
            ville = rng.choice(communes_of_region(buyer.region)).nom
        else:
            ville = rng.choice(communes_of_departement(buyer.departement)).nom
        objet = template.format(site=rng.choice(buyer.spec.sites), ville=ville)
        return objet if rng.random() < 0.85 else objet + rng.choice(
            (" – relance après infructuosité", " et prestations associées", f" – années {year}-{year + 3}",
             " pour les besoins des services"))

    def _amount(self, sector: Sector, kind: Kind) -> float:
        rng = self.rng
        value = rng.lognormvariate(math.log(sector.median * kind.scale), sector.sigma)
        if value < 40_000:
            value = value if value >= 15_000 and rng.random() < 0.25 else 40_000 + rng.random() * 30_000
        return min(value, 45_000_000.0)

    def _procedure(self, amount: float, sector: Sector) -> str:
        rng = self.rng
        if (amount < 90_000 and rng.random() < 0.09) or (
                sector.key in ("informatique", "sante", "recherche") and rng.random() < 0.05):
            return NO_PUBLICITY
        if amount < (EU_WORKS if sector.works else EU_SUPPLIES):
            return str(pick(rng, {MAPA: 90, "Appel d'offres ouvert": 7, "Procédure avec négociation": 3}))
        return str(pick(rng, {"Appel d'offres ouvert": 78, "Appel d'offres restreint": 6,
                               "Procédure avec négociation": 10, "Dialogue compétitif": 2, MAPA: 4}))

    def _offers(self, procedure: str, sector: Sector) -> int:
        rng = self.rng
        if procedure == NO_PUBLICITY:
            return 1
        single = sector.single_bid * (0.8 if procedure == "Appel d'offres ouvert" else 1.0)
        if rng.random() < single:
            return 1
        mean = {MAPA: 2.2, "Appel d'offres ouvert": 3.6, "Appel d'offres restreint": 2.5}.get(procedure, 1.5)
        return min(2 + int(rng.expovariate(1 / mean)), 25)

    def _titulaires(self, buyer: Buyer, sector: Sector, year: int, reserved: bool) -> tuple[list[Supplier], str]:
        rng = self.rng
        incumbents = [s for s in self.history.setdefault((buyer.siret, sector.key), []) if s.available(year)]
        if incumbents and not reserved and rng.random() < REPEAT:
            first = rng.choices(incumbents, weights=[s.popularity for s in incumbents])[0]
        else:
            first = self.pools.choose(rng, sector.key, buyer.region, buyer.departement, year, ess_only=reserved)
            self.history[(buyer.siret, sector.key)].append(first)
        if rng.random() >= sector.groupement:
            return [first], "Pas de groupement"
        members = [first]
        for _ in range(rng.choice((1, 1, 2))):
            members.append(self.pools.choose(rng, sector.key, buyer.region, buyer.departement, year,
                                             exclude=tuple(members)))
        return members, "Conjoint" if rng.random() < 0.6 else "Solidaire"

    def _advance(self, buyer: Buyer, day: dt.date, amount: float, sme: bool) -> tuple[bool, float]:
        rng = self.rng
        if rng.random() >= (buyer.kind.advance if sme else 0.3) or amount < 25_000:
            return False, 0.0
        if rng.random() < 0.01:
            return True, 0.0  # an advance whose rate was not filled (tauxAvance 0 means unknown)
        if not sme:
            return True, rng.choice((0.05, 0.05, 0.1))
        share_30 = REGION_ADVANCE_30[day.year] if buyer.spec.kind == "region" else 0.3
        if rng.random() < share_30:
            return True, rng.choice((0.3, 0.3, 0.3, 0.35, 0.4))
        return True, rng.choice((0.05, 0.1, 0.1, 0.2))

    def _record(self, buyer: Buyer, day: dt.date, sector: Sector, contract_id: str, objet: str, cpv: str,
                amount: float, procedure: str, framework: bool, reserved: bool, social: list[str],
                env: list[str]) -> Json:
        rng = self.rng
        titulaires, groupement = self._titulaires(buyer, sector, day.year, reserved)
        montant = _money(rng, amount, sector.works)
        advance, rate = self._advance(buyer, day, amount, titulaires[0].size == "PME")
        if framework:
            techniques = ["Accord-cadre"]
            modalites = pick(rng, {("Bons de commande",): 75, ("Marchés subséquents",): 20,
                                    ("Bons de commande", "Marchés subséquents"): 5})
        else:
            techniques = ["Concours"] if sector.key == "ingenierie" and rng.random() < 0.03 else ["Sans objet"]
            modalites = ("Tranches",) if sector.works and rng.random() < 0.15 else ("Sans objet",)
        ccag = sector.ccag
        if sector.key == "ingenierie" and cpv not in ("71221000", "71315200"):
            ccag = "Prestations intellectuelles"
        if rng.random() < 0.08:
            ccag = "Pas de CCAG"
        record: Json = {
            "id": contract_id,
            "acheteur": {"id": buyer.siret},
            "nature": "Marché",
            "objet": objet,
            "codeCPV": cpv,
            "techniques": {"technique": techniques},
            "modalitesExecution": {"modaliteExecution": list(modalites)},
            "marcheInnovant": rng.random() < sector.innovative,
            "ccag": ccag,
            "offresRecues": self._offers(procedure, sector),
            "attributionAvance": advance,
            "tauxAvance": rate,
            "typeGroupementOperateurs": groupement,
            "sousTraitanceDeclaree": rng.random() < sector.subcontracting,
            "procedure": procedure,
            "lieuExecution": lieu(rng, buyer),
            "dureeMois": rng.choice((12, 24, 36, 48)) if framework else rng.choice(sector.durations),
            "dateNotification": iso(day),
            "datePublicationDonnees": iso(later(day, publication_delay(rng, day.year))),
            "montant": montant,
            "typesPrix": {"typePrix": [self._price_type(sector)]},
            "formePrix": self._price_form(sector, framework),
        }
        if sector.origin and cpv not in _ORIGIN_SERVICES and rng.random() < 0.75:
            france = round(rng.uniform(*sector.origin), 2)
            record["origineUE"] = round(min(1.0, france + rng.uniform(0, 1 - france) * 0.8), 2)
            record["origineFrance"] = france
        record["titulaires"] = [self._titulaire(buyer, s) for s in titulaires]
        record["considerationsSociales"] = {"considerationSociale": social}
        record["considerationsEnvironnementales"] = {"considerationEnvironnementale": env}
        if record["sousTraitanceDeclaree"] and rng.random() < 0.6:
            record["actesSousTraitance"] = self._actes(buyer, sector, day, float(montant), int(record["dureeMois"]))
        modified = {2022: 0.14, 2023: 0.14, 2024: 0.13, 2025: 0.1, 2026: 0.04}[day.year]
        if rng.random() < modified:
            self._modifications(record, buyer, sector, day, float(montant))
        return record

    @staticmethod
    def _titulaire(buyer: Buyer, supplier: Supplier) -> Json:
        kind, identifier = supplier.identifier(buyer.region, buyer.departement)
        return {"titulaire": {"typeIdentifiant": kind, "id": identifier}}

    def _price_type(self, sector: Sector) -> str:
        if sector.works:
            return str(pick(self.rng, {"Définitif révisable": 60, "Définitif ferme": 30, "Définitif actualisable": 10}))
        return str(pick(self.rng, {"Définitif ferme": 45, "Définitif révisable": 40, "Définitif actualisable": 15}))

    def _price_form(self, sector: Sector, framework: bool) -> str:
        if framework:
            return str(pick(self.rng, {"Unitaire": 80, "Mixte": 20}))
        if sector.works:
            return str(pick(self.rng, {"Forfaitaire": 80, "Mixte": 15, "Unitaire": 5}))
        return str(pick(self.rng, {"Forfaitaire": 55, "Unitaire": 30, "Mixte": 15}))

    def _actes(self, buyer: Buyer, sector: Sector, day: dt.date, montant: float, duree: int) -> list[Json]:
        rng = self.rng
        actes = []
        for n, offset in enumerate(sorted(rng.randint(10, 120) for _ in range(rng.choice((1, 1, 1, 2))))):
            when = later(day, offset)
            sub = self.pools.choose(rng, sector.key, buyer.region, buyer.departement, when.year)
            kind, identifier = sub.identifier(buyer.region, buyer.departement)
            actes.append({"acteSousTraitance": {
                "id": n + 1,
                "sousTraitant": {"id": identifier, "typeIdentifiant": kind},
                "dureeMois": max(1, duree - offset // 30),
                "dateNotification": iso(when),
                "datePublicationDonnees": iso(later(when, rng.randint(5, 40))),
                "montant": round(montant * rng.uniform(0.05, 0.3), 2),
                "variationPrix": pick(rng, {"Ferme": 40, "Révisable": 45, "Actualisable": 15}),
            }})
        return actes

    def _modifications(self, record: Json, buyer: Buyer, sector: Sector, day: dt.date, montant: float) -> None:
        rng = self.rng
        count = int(pick(rng, {1: 70, 2: 22, 3: 8}))
        growth = pick(rng, {(0.01, 0.1): 50, (0.1, 0.15): 18, (0.15, 0.5): 22, (0.5, 0.9): 10})
        target = rng.uniform(*growth)
        changes_amount = rng.random() < 0.85
        duree = int(record["dureeMois"])
        when = day
        mods = []
        for n in range(1, count + 1):
            when = when + dt.timedelta(days=rng.randint(60, 400))
            if when > LAST_DATE - dt.timedelta(days=10):  # too late for the period: no more modifications
                break
            mod: Json = {"id": n}
            if changes_amount and (n == count or rng.random() < 0.7):
                mod["montant"] = round(montant * (1 + target * n / count), 2)
            if rng.random() < 0.45 or "montant" not in mod:
                duree += rng.choice((2, 3, 6, 12))
                mod["dureeMois"] = duree
            if rng.random() < 0.03:
                successor = self.pools.choose(rng, sector.key, buyer.region, buyer.departement, when.year)
                mod["titulaires"] = [self._titulaire(buyer, successor)]
            mod["dateNotificationModification"] = iso(when)
            mod["datePublicationDonneesModification"] = iso(later(when, rng.randint(5, 50)))
            mods.append({"modification": mod})
        if mods:
            record["modifications"] = mods
