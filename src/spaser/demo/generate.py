"""``generate``: the whole demonstration dataset, written into one folder, the same bytes for the same seed.

Draws come from separate generators per step (identifiers, suppliers, contracts, defects), each seeded from
the seed and the step's name, so that a change in one step does not reshuffle the others.

Layout of the folder::

    decp/decp-demonstration-2022-2026.json       the buyers' DECP 2022 file (marchés and concessions)
    decp/decp-demonstration-profil-acheteur.json the lycées' buyer-profile export (some contracts republished)
    cog/communes.csv, departements.csv, regions.csv
    sirene/StockUniteLegale_demonstration.csv, StockEtablissement_demonstration.csv
    targets/region-bretagne-demonstration.toml
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from spaser.demo.buyers import REGION
from spaser.demo.concessions import KINDS_WITH_CONCESSIONS, concession
from spaser.demo.contracts import Generated, Marches, make_buyers
from spaser.demo.defects import inject_defects, split_files
from spaser.demo.identity import Registry
from spaser.demo.period import YEAR_FACTORS, YEARS, notification_day
from spaser.demo.suppliers import Pools, build_suppliers
from spaser.demo.writers import write_cog, write_decp, write_sirene, write_targets

#: Consultations per buyer and year = its ``per_year`` × the year's factor × this (about 4 000 contracts in all).
SCALE: Final = 0.73
SPLITTING_PAIRS: Final = 6
CONCESSIONS: Final = 22
MAIN_FILE: Final = "decp-demonstration-2022-2026.json"
PROFILE_FILE: Final = "decp-demonstration-profil-acheteur.json"


@dataclass(frozen=True)
class DemoFiles:
    """What ``generate`` wrote, and the figures of the dataset."""

    folder: Path
    seed: int
    decp: tuple[Path, ...]
    cog: tuple[Path, ...]
    sirene_unites: Path
    sirene_etablissements: Path
    targets: tuple[Path, ...]
    contracts: int  # distinct contracts (marchés and concessions)
    concessions: int
    records: int  # records in the DECP files, republications included
    duplicates: int  # republished records
    buyers: int
    suppliers: int  # companies in the SIRENE stock (foreign ones aside)
    defects: tuple[tuple[str, int, str], ...]  # (DECP file name, index in its "marche" list, defect)

    @property
    def files(self) -> tuple[Path, ...]:
        return (*self.decp, *self.cog, self.sirene_unites, self.sirene_etablissements, *self.targets)


def _rng(seed: int, step: str) -> random.Random:
    return random.Random(f"spaser-demo:{seed}:{step}")


def generate(folder: Path, seed: int = 2026) -> DemoFiles:
    """Write the demonstration dataset of ``seed`` into ``folder`` (created if needed) and describe it."""
    registry = Registry(_rng(seed, "identifiers"))
    buyers = make_buyers(registry)
    suppliers = build_suppliers(_rng(seed, "suppliers"), registry)
    pools = Pools(suppliers)
    rng = _rng(seed, "contracts")
    marches = Marches(rng, pools)
    contracts: list[Generated] = []
    for year in YEARS:
        for buyer in buyers:
            count = round(buyer.spec.per_year * YEAR_FACTORS[year] * SCALE)
            for day in sorted(notification_day(rng, year) for _ in range(count)):
                contracts.extend(marches.consultation(buyer, day))
    small_buyers = [b for b in buyers if b.spec.kind in ("commune", "departement", "lycee")]
    for _ in range(SPLITTING_PAIRS):
        buyer = rng.choice(small_buyers)
        contracts.extend(marches.splitting_pair(buyer, notification_day(rng, rng.choice(YEARS[:4]))))
    grantors = [b for b in buyers if b.spec.kind in KINDS_WITH_CONCESSIONS]
    for _ in range(CONCESSIONS):
        buyer = rng.choice(grantors)
        contracts.append(concession(rng, pools, buyer, notification_day(rng, rng.choice(YEARS))))
    contracts.sort(key=lambda g: (g.date, g.buyer.siret, g.kind, str(g.record["id"])))
    quality = _rng(seed, "defects")
    inject_defects(quality, contracts)
    main, profile, duplicates = split_files(quality, contracts)

    decp = (folder / "decp" / MAIN_FILE, folder / "decp" / PROFILE_FILE)
    defects: list[tuple[str, int, str]] = []
    for path, part in zip(decp, (main, profile), strict=True):
        write_decp(path, part)
        marche_list = [g for g in part if g.kind == "marche"]
        defects += [(path.name, index, g.defect) for index, g in enumerate(marche_list) if g.defect]
    cog = write_cog(folder / "cog")
    unites, etablissements = write_sirene(folder / "sirene", buyers, suppliers)
    targets = write_targets(folder / "targets", next(b for b in buyers if b.spec is REGION))
    return DemoFiles(
        folder=folder, seed=seed, decp=decp, cog=cog, sirene_unites=unites, sirene_etablissements=etablissements,
        targets=(targets,), contracts=len(contracts), concessions=sum(g.kind == "concession" for g in contracts),
        records=len(main) + len(profile), duplicates=duplicates, buyers=len(buyers),
        suppliers=sum(s.siren is not None for s in suppliers), defects=tuple(defects))
