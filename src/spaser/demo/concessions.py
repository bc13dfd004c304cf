"""Contrats de concession of the demonstration: a few public-service delegations of the communes, métropoles
and the Région (transport network, heat network, school catering, aquatic centre…), in the DECP 2022 shape
(``autoriteConcedante``, ``valeurGlobale``, ``concessionnaires``, yearly execution data)."""

from __future__ import annotations

import datetime as dt
import math
import random
from typing import Final

from spaser.demo.contracts import Buyer, Generated, Json, considerations, pick, publication_delay
from spaser.demo.period import LAST_DATE, iso, later
from spaser.demo.sectors import CONCESSIONS, SECTORS
from spaser.demo.suppliers import Pools

_TARIFS: Final[dict[str, tuple[tuple[str, float], ...]]] = {
    "transport": (("Ticket unitaire", 1.7), ("Abonnement mensuel tout public", 45.0)),
    "energie": (("Abonnement (R2) par kW souscrit", 52.0), ("Énergie livrée (R1) par MWh", 78.0)),
    "restauration": (("Repas élémentaire", 3.4), ("Repas adulte", 6.8)),
    "dechets": (("Tonne de déchets apportée", 115.0),),
    "services": (("Entrée adulte", 5.5), ("Entrée enfant", 3.8)),
    "travaux": (("Mètre carré de terrain viabilisé", 65.0),),
}
KINDS_WITH_CONCESSIONS: Final = ("commune", "metropole", "region", "chu")


def concession(rng: random.Random, pools: Pools, buyer: Buyer, day: dt.date) -> Generated:
    sector_key = str(pick(rng, {"transport": 3, "energie": 2, "restauration": 3, "dechets": 1, "services": 4,
                                 "travaux": 1}))
    nature, objet = rng.choice(CONCESSIONS[sector_key])
    sector = SECTORS[sector_key]
    value = int(round(rng.lognormvariate(math.log(6_000_000 * buyer.kind.scale), 1.0), -3))
    duree = rng.choice((60, 84, 96, 120, 144, 180, 240))
    concessionnaire = pools.choose(rng, sector_key, buyer.region, buyer.departement, day.year)
    kind, identifier = concessionnaire.identifier(buyer.region, buyer.departement)
    social, env = considerations(rng, day.year, day, sector, buyer.kind, rng.random() < 0.03, concession=True)
    start = later(day, rng.randint(15, 120))
    record: Json = {
        "id": f"DSP{day.year % 100:02d}{buyer.next_id(day.year)[-3:]}",
        "autoriteConcedante": {"id": buyer.siret},
        "nature": nature,
        "objet": f"{objet} de {buyer.commune.nom}" if buyer.spec.kind == "commune" else objet,
        "procedure": pick(rng, {"Procédure négociée ouverte": 65, "Procédure non négociée ouverte": 20,
                                 "Procédure négociée restreinte": 10, "Procédure non négociée restreinte": 5}),
        "dureeMois": duree,
        "dateSignature": iso(day),
        "datePublicationDonnees": iso(later(day, publication_delay(rng, day.year))),
        "dateDebutExecution": iso(start),
        "valeurGlobale": value,
        "montantSubventionPublique": 0 if rng.random() < 0.4 else int(round(value * rng.uniform(0.02, 0.15), -2)),
        "concessionnaires": [{"concessionnaire": {"typeIdentifiant": kind, "id": identifier}}],
        "considerationsSociales": {"considerationSociale": social},
        "considerationsEnvironnementales": {"considerationEnvironnementale": env},
    }
    execution = []
    for year in range(start.year + 1, LAST_DATE.year + 1):
        published = dt.date(year, 5, 31)
        if published > LAST_DATE:
            break
        tarifs = [{"tarif": {"intituleTarif": label, "tarif": round(price * (1 + 0.03 * (year - 2022)), 2)}}
                  for label, price in _TARIFS[sector_key]]
        execution.append({"donneesAnnuelles": {
            "datePublicationDonneesExecution": iso(published),
            "depensesInvestissement": int(round(value * rng.uniform(0.005, 0.04), -2)),
            "tarifs": tarifs}})
    if execution:
        record["donneesExecution"] = execution
    if rng.random() < 0.15 and day.year <= 2024:
        when = later(day, rng.randint(300, 700))
        record["modifications"] = [{"modification": {
            "id": 1, "dateSignatureModification": iso(when),
            "datePublicationDonneesModification": iso(later(when, rng.randint(5, 40))),
            "dureeMois": duree + 12, "valeurGlobale": int(round(value * rng.uniform(1.03, 1.2), -3))}}]
    return Generated(record, "concession", buyer, day, sector_key)
