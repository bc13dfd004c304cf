"""Concession contracts (``contrat-concession``), the second list of the file (~1 % of the records).

Concessions have their own schema (autorité concédante, valeur globale, concessionnaires, yearly
execution data) and are rare, so they are built one at a time rather than in numpy batches; they share
the buyers, suppliers and contract numbering of the marchés.
"""

from __future__ import annotations

import numpy as np

from .enumerations import (
    CONC_DUREE_CDF,
    CONC_DUREES,
    CONC_NATURE_CDF,
    CONC_NATURES,
    CONC_PROCEDURE_CDF,
    CONC_PROCEDURES,
    CONS_ENV,
    CONS_ENV_CDF,
    CONS_SOC_CDF,
    CONS_SOC_CONC,
)
from .identifiers import ContractIds
from .population import Population
from .sampling import draw
from .settings import DATES, MAX_DAY, Json
from .vocabulary import CONCESSION_OBJETS


def fresh_concession(rng: np.random.Generator, population: Population, ids: ContractIds) -> Json:
    """One fresh concession contract, with execution data (30 %) and a modification (10 %)."""
    b = int(draw(rng, population.buyer_cdf, 1)[0])
    day = int(draw(rng, population.day_cdf, 1)[0])
    sign = DATES[day]
    year = int(sign[:4])
    pub = DATES[min(day + int(rng.integers(0, 60)), MAX_DAY)]
    debut = DATES[min(day + int(rng.integers(0, 180)), MAX_DAY)]
    valeur = round(float(np.clip(rng.lognormal(np.log(5e6), 1.3), 5e4, 2e9)), 2)
    subv = 0 if rng.random() < 0.7 else round(valeur * float(rng.uniform(0.01, 0.2)), 2)
    n_c = 1 if rng.random() < 0.9 else 2
    conc = [
        {"concessionnaire": dict(population.suppliers[i])} for i in draw(rng, population.supplier_cdf, n_c).tolist()
    ]
    rec: Json = {
        "id": ids.next(b, year),
        "autoriteConcedante": {"id": population.buyers[b]},
        "nature": CONC_NATURES[int(draw(rng, CONC_NATURE_CDF, 1)[0])],
        "objet": CONCESSION_OBJETS[int(rng.integers(0, len(CONCESSION_OBJETS)))],
        "procedure": CONC_PROCEDURES[int(draw(rng, CONC_PROCEDURE_CDF, 1)[0])],
        "dureeMois": CONC_DUREES[int(draw(rng, CONC_DUREE_CDF, 1)[0])],
        "dateSignature": sign,
        "datePublicationDonnees": pub,
        "dateDebutExecution": debut,
        "valeurGlobale": valeur,
        "montantSubventionPublique": subv,
        "concessionnaires": conc,
        "considerationsSociales": CONS_SOC_CONC[int(draw(rng, CONS_SOC_CDF, 1)[0])],
        "considerationsEnvironnementales": CONS_ENV[int(draw(rng, CONS_ENV_CDF, 1)[0])],
    }
    if rng.random() < 0.3:
        annees = []
        for k in range(int(rng.integers(1, 3))):
            tarifs = [
                {
                    "tarif": {
                        "intituleTarif": f"Tarif {lbl}",
                        "tarif": round(float(rng.uniform(1, 200)), 2),
                    }
                }
                for lbl in ("usager", "abonnement annuel", "réduit")[: int(rng.integers(1, 4))]
            ]
            annees.append(
                {
                    "donneesAnnuelles": {
                        "datePublicationDonneesExecution": DATES[min(day + 365 * (k + 1), MAX_DAY)],
                        "depensesInvestissement": round(valeur * float(rng.uniform(0, 0.1)), 2),
                        "tarifs": tarifs,
                    }
                }
            )
        rec["donneesExecution"] = annees
    if rng.random() < 0.1:
        d = min(day + int(rng.integers(90, 700)), MAX_DAY)
        rec["modifications"] = [
            {
                "modification": {
                    "id": 1,
                    "dureeMois": rec["dureeMois"] + 12,
                    "valeurGlobale": round(valeur * 1.1, 2),
                    "dateSignatureModification": DATES[d],
                    "datePublicationDonneesModification": DATES[min(d + int(rng.integers(0, 40)), MAX_DAY)],
                }
            }
        ]
    return rec
