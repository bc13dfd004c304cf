"""The suppliers of the demonstration: ~800 invented companies, with their SIRENE identity and establishments.

Each sector has its own pool. A supplier has a size category (PME, ETI, GE, or none when INSEE has not computed
it), may belong to the social economy (ESS), has its head office in one of the demonstration's communes (mostly
in the buyers' three régions, the large groups mostly elsewhere) and, for the larger ones, agencies near the
buyers. Some are created during the period (new suppliers appear), a few close. A buyer draws its titulaires
from the sector's pool with a long-tailed popularity and a preference for local establishments, so that one
SIREN wins many contracts and the local share is high but not total.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Final

from spaser.demo.geography import BY_NAME, HOME_REGIONS, Commune, communes_of_region, region_of
from spaser.demo.identity import Namer, Registry, foreign_vat
from spaser.demo.sectors import SECTORS, Sector

SIZES: Final = ("PME", "ETI", "GE", "")
#: Headcount bands (INSEE codes) by size category.
TRANCHES: Final[dict[str, tuple[str, ...]]] = {
    "PME": ("01", "02", "03", "11", "12", "21", "22"),
    "ETI": ("31", "32", "41"),
    "GE": ("42", "51", "52", "53"),
    "": ("NN", "00", "01"),
}
_BIG_CITIES: Final = ("Paris", "Paris", "Paris", "Lyon", "Lille", "Bordeaux", "Toulouse", "Marseille", "Strasbourg")
_STREETS: Final = ("RUE DE LA REPUBLIQUE", "AVENUE JEAN JAURES", "ZA DE LA PRAIRIE", "RUE DES ARTISANS",
                   "BOULEVARD DE LA LIBERTE", "ZI DE LA GARE", "RUE DU GENERAL DE GAULLE", "PARC D'ACTIVITES DU MOULIN",
                   "RUE DE L'INDUSTRIE", "ALLEE DES CHENES", "ROUTE DE NANTES", "RUE PASTEUR", "QUAI DES BATELIERS")
_FOREIGN: Final = (("informatique", "IE"), ("informatique", "NL"), ("sante", "DE"), ("sante", "BE"),
                   ("recherche", "DE"), ("vehicules", "IT"), ("fournitures", "ES"), ("services", "LU"))


@dataclass
class Establishment:
    siret: str
    commune: Commune
    siege: bool
    created: dt.date
    street: str
    number: int

    @property
    def region(self) -> str:
        return region_of(self.commune)


@dataclass
class Supplier:
    sector: str
    name: str
    size: str
    ess: bool
    naf: str
    categorie_juridique: str
    created: dt.date
    popularity: float
    siren: str | None = None  # None: a foreign company, identified by its VAT number
    vat: str | None = None
    establishments: list[Establishment] = field(default_factory=list)
    closed_after: int | None = None  # last year it can win a contract
    tranche: str = "NN"

    @property
    def first_year(self) -> int:
        return self.created.year

    def available(self, year: int) -> bool:
        return self.first_year <= year and (self.closed_after is None or year <= self.closed_after)

    def site_for(self, region: str, departement: str) -> Establishment | None:
        """Its establishment in the buyer's département, else in its région, else the head office."""
        if not self.establishments:
            return None
        near = [e for e in self.establishments if e.commune.departement == departement]
        near = near or [e for e in self.establishments if e.region == region]
        return near[0] if near else next(e for e in self.establishments if e.siege)

    def identifier(self, region: str, departement: str) -> tuple[str, str]:
        """(typeIdentifiant, id) of the titulaire as a buyer in that place would publish it."""
        site = self.site_for(region, departement)
        if site is None:
            return "TVA", self.vat or ""
        return "SIRET", site.siret


def _date(rng: random.Random, first: int, last: int) -> dt.date:
    start = dt.date(first, 1, 1).toordinal()
    return dt.date.fromordinal(rng.randint(start, dt.date(last, 12, 28).toordinal()))


def _home_commune(rng: random.Random, size: str) -> Commune:
    if (size == "GE" and rng.random() < 0.7) or (size == "ETI" and rng.random() < 0.35) or rng.random() < 0.1:
        return BY_NAME[rng.choice(_BIG_CITIES)]
    region = rng.choices(HOME_REGIONS, weights=(5, 4, 3))[0]
    local = communes_of_region(region)
    weights = [5 if c.nom in ("Rennes", "Nantes") else 3 if c.nom in ("Brest", "Caen", "Rouen", "Angers") else 1
               for c in local]
    return rng.choices(local, weights=weights)[0]


def _legal_form(rng: random.Random, size: str, ess: bool, name: str) -> str:
    if ess:
        return "9220" if name.startswith(("Association", "ESAT", "Entreprise adaptée")) else "5458"
    if size == "GE":
        return rng.choice(("5599", "5710", "5710"))
    return rng.choices(("5710", "5499", "5498", "5599", "1000"), weights=(45, 30, 10, 8, 7))[0]


def build_suppliers(rng: random.Random, registry: Registry) -> list[Supplier]:
    """Every sector's pool, in a fixed order; popularity is long-tailed within each pool."""
    namer = Namer(rng)
    suppliers: list[Supplier] = []
    for sector in SECTORS.values():
        pool: list[Supplier] = []
        for rank in range(sector.suppliers):
            pool.append(_supplier(rng, registry, namer, sector, rank))
        rng.shuffle(pool)  # popularity does not follow the order of creation
        suppliers.extend(pool)
    for sector_key, country in _FOREIGN:
        sector = SECTORS[sector_key]
        name = namer.company(sector.trades, "GE", False)
        suppliers.append(Supplier(sector_key, name, "GE", False, rng.choice(sector.naf), "", _date(rng, 1970, 2010),
                                  popularity=0.02, vat=foreign_vat(rng, country) if country != "IE" else
                                  "IE" + "".join(str(rng.randrange(10)) for _ in range(7)) + "W"))
    return suppliers


def _supplier(rng: random.Random, registry: Registry, namer: Namer, sector: Sector, rank: int) -> Supplier:
    size = rng.choices(SIZES, weights=sector.sizes)[0]
    ess = rng.random() < sector.ess
    if ess:
        size = "PME"
    name = namer.company(sector.trades, size, ess)
    # 12 % of the companies are created during the period: they appear as new suppliers.
    created = _date(rng, 2022, 2025) if rng.random() < 0.12 else _date(rng, 1955, 2021)
    supplier = Supplier(sector.key, name, size, ess, rng.choice(sector.naf), _legal_form(rng, size, ess, name),
                        created, popularity=1.0 / (rank + 2) ** 0.85, tranche=rng.choice(TRANCHES[size]))
    supplier.siren = registry.siren(rng.choice("3456789"))
    if rng.random() < 0.03 and created.year < 2020:
        supplier.closed_after = rng.choice((2022, 2023, 2024))
    home = _home_commune(rng, size)
    sites = [home]
    agencies = {"GE": rng.randint(2, 4), "ETI": rng.randint(1, 2)}.get(size, 1 if rng.random() < 0.08 else 0)
    for _ in range(agencies):
        region = rng.choice(HOME_REGIONS)
        candidates = [c for c in communes_of_region(region) if c not in sites]
        if candidates:
            sites.append(rng.choice(candidates))
    for n, commune in enumerate(sites):
        nic = 1 if n == 0 else rng.randint(2, 400)
        opened = created if n == 0 else max(created, _date(rng, max(created.year, 1990), max(created.year, 2021)))
        supplier.establishments.append(Establishment(registry.siret(supplier.siren, nic), commune, n == 0, opened,
                                                     rng.choice(_STREETS), rng.randint(1, 120)))
    return supplier


class Pools:
    """Per sector and buyer place, the suppliers a buyer may choose and their weights (cached)."""

    def __init__(self, suppliers: list[Supplier]) -> None:
        self.by_sector: dict[str, list[Supplier]] = {}
        for supplier in suppliers:
            self.by_sector.setdefault(supplier.sector, []).append(supplier)
        self._weights: dict[tuple[str, str, str, int], tuple[list[Supplier], list[float]]] = {}

    def choose(self, rng: random.Random, sector: str, region: str, departement: str, year: int,
               ess_only: bool = False, exclude: tuple[Supplier, ...] = ()) -> Supplier:
        key = (sector, region, departement, year)
        if key not in self._weights:
            pool = [s for s in self.by_sector[sector] if s.available(year)]
            weights = []
            for supplier in pool:
                site = supplier.site_for(region, departement)
                local = 1.0 if site is None else (6.0 if site.commune.departement == departement else
                                                  3.0 if site.region == region else 1.0)
                weights.append(supplier.popularity * local)
            self._weights[key] = (pool, weights)
        pool, weights = self._weights[key]
        if ess_only or exclude:
            chosen = [(s, w) for s, w in zip(pool, weights, strict=True)
                      if s not in exclude and (s.ess or not ess_only)]
            if chosen:
                return rng.choices([s for s, _ in chosen], weights=[w for _, w in chosen])[0]
        return rng.choices(pool, weights=weights)[0]
