"""Enumerations of schema v2.0.3 and the share of each value, plus the shares of the injected kinds.

The values are the schema's enumerations (wrapped the v2.0.3 way, ``{"technique": [...]}``), and the
shares approximate the national file, so that the value distribution ingestion sees is realistic. The
wrapped values are shared, never mutated, by every record that uses them.
"""

from __future__ import annotations

import numpy as np

from .sampling import make_cdf


def _wrap(key: str, values: list[str]) -> dict[str, list[str]]:
    return {key: values}


NATURES = ["Marché", "Marché de défense ou de sécurité", "Marché de partenariat"]
NATURE_CDF = make_cdf([97.0, 2.7, 0.3])
PROCEDURES = [
    "Procédure adaptée",
    "Appel d'offres ouvert",
    "Marché passé sans publicité ni mise en concurrence préalable",
    "Procédure avec négociation",
    "Appel d'offres restreint",
    "Dialogue compétitif",
]
PROCEDURE_CDF = make_cdf([61.0, 26.0, 6.5, 4.0, 2.0, 0.5])
TECHNIQUES: list[dict[str, list[str]]] = [
    _wrap("technique", v)
    for v in (
        ["Sans objet"],
        ["Accord-cadre"],
        ["Système d'acquisition dynamique"],
        ["Concours"],
        ["Catalogue électronique"],
        ["Enchère électronique"],
        ["Système de qualification"],
        ["Accord-cadre", "Catalogue électronique"],
        ["Accord-cadre", "Enchère électronique"],
    )
]
TECHNIQUE_CDF = make_cdf([58.0, 35.5, 1.5, 1.0, 0.5, 0.5, 0.3, 1.7, 1.0])
ACCORD_CADRE_TECHNIQUES = {1, 7, 8}
MODALITES: list[dict[str, list[str]]] = [
    _wrap("modaliteExecution", v)
    for v in (
        ["Sans objet"],
        ["Bons de commande"],
        ["Tranches"],
        ["Marchés subséquents"],
        ["Bons de commande", "Marchés subséquents"],
        ["Tranches", "Bons de commande"],
    )
]
MODALITE_CDF_AC = make_cdf([8.0, 62.0, 2.0, 22.0, 5.0, 1.0])
MODALITE_CDF_OTHER = make_cdf([72.0, 5.0, 21.0, 0.5, 0.5, 1.0])
CCAGS = [
    "Travaux",
    "Maitrise d'œuvre",
    "Fournitures courantes et services",
    "Marchés industriels",
    "Prestations intellectuelles",
    "Techniques de l'information et de la communication",
    "Pas de CCAG",
]
CCAG_CDF_BY_CAT: list[np.ndarray] = [
    make_cdf([86, 2, 2, 0.5, 1, 0.5, 8]),  # works
    make_cdf([3, 55, 3, 0.5, 30, 0.5, 8]),  # engineering
    make_cdf([0.5, 0.5, 25, 3, 6, 55, 10]),  # IT
    make_cdf([0.5, 1, 35, 0.5, 48, 1, 14]),  # intellectual
    make_cdf([0.5, 0.1, 80, 2, 0.5, 1, 16]),  # supplies
    make_cdf([1, 0.1, 55, 30, 0.5, 2, 11]),  # industrial
    make_cdf([5, 0.5, 75, 2, 2, 0.5, 15]),  # services
]
TYPES_PRIX: list[dict[str, list[str]]] = [
    _wrap("typePrix", v)
    for v in (
        ["Définitif ferme"],
        ["Définitif révisable"],
        ["Définitif actualisable"],
        ["Définitif ferme", "Définitif révisable"],
        ["Provisoire"],
        ["Définitif actualisable", "Définitif révisable"],
    )
]
TYPES_PRIX_CDF = make_cdf([42.0, 35.0, 15.0, 5.0, 1.0, 2.0])
FORMES_PRIX = ["Unitaire", "Forfaitaire", "Mixte"]
FORME_PRIX_CDF = make_cdf([40.0, 45.0, 15.0])
CONS_SOC: list[dict[str, list[str]]] = [
    _wrap("considerationSociale", v)
    for v in (
        ["Pas de considération sociale"],
        ["Clause sociale"],
        ["Critère social"],
        ["Clause sociale", "Critère social"],
        ["Marché réservé"],
    )
]
CONS_SOC_CDF = make_cdf([85.0, 9.5, 2.5, 1.5, 1.5])
CONS_SOC_CONC: list[dict[str, list[str]]] = [
    _wrap("considerationSociale", v)
    for v in (
        ["Pas de considération sociale"],
        ["Clause sociale"],
        ["Critère social"],
        ["Clause sociale", "Critère social"],
        ["Concession réservée"],
    )
]
CONS_ENV: list[dict[str, list[str]]] = [
    _wrap("considerationEnvironnementale", v)
    for v in (
        ["Pas de considération environnementale"],
        ["Clause environnementale"],
        ["Critère environnemental"],
        ["Clause environnementale", "Critère environnemental"],
    )
]
CONS_ENV_CDF = make_cdf([75.0, 14.0, 6.0, 5.0])
GROUPEMENTS = ["Pas de groupement", "Conjoint", "Solidaire"]
GROUPEMENT_SINGLE_CDF = make_cdf([97.0, 2.0, 1.0])
GROUPEMENT_MULTI_CDF = make_cdf([5.0, 52.0, 43.0])
N_TITULAIRES_CDF = make_cdf([88.0, 8.5, 3.5])
DUREES = [12, 24, 36, 48, 6, 3, 1, 2, 4, 5, 8, 9, 10, 18, 60, 72, 84, 96, 120, 30, 42]
DUREE_CDF = make_cdf([30, 11, 10, 17, 5, 3, 2, 1.5, 1.5, 1, 1, 1, 1, 2, 4, 0.8, 0.5, 0.6, 0.6, 0.5, 0.5])
TAUX_AVANCE = [0.0, 0.05, 0.1, 0.15, 0.2, 0.3]
TAUX_AVANCE_CDF = make_cdf([15.0, 40.0, 15.0, 5.0, 15.0, 10.0])
VARIATIONS = ["Ferme", "Actualisable", "Révisable"]
LIEU_TYPES = ["Code postal", "Code commune", "Code département", "Code région", "Code pays"]
LIEU_TYPE_CDF = make_cdf([55.0, 20.0, 15.0, 7.0, 3.0])
REGIONS = [
    "11",
    "24",
    "27",
    "28",
    "32",
    "44",
    "52",
    "53",
    "75",
    "76",
    "84",
    "93",
    "94",
    "01",
    "02",
    "03",
    "04",
    "06",
]
DEPARTEMENTS = [f"{i:02d}" for i in range(1, 96) if i != 20] + ["2A", "2B", "971", "972", "973", "974", "976"]
CONC_NATURES = [
    "Délégation de service public",
    "Concession de service",
    "Concession de service public",
    "Concession de travaux",
]
CONC_NATURE_CDF = make_cdf([45.0, 30.0, 15.0, 10.0])
CONC_PROCEDURES = [
    "Procédure négociée ouverte",
    "Procédure non négociée ouverte",
    "Procédure négociée restreinte",
    "Procédure non négociée restreinte",
]
CONC_PROCEDURE_CDF = make_cdf([60.0, 25.0, 10.0, 5.0])
CONC_DUREES = [36, 60, 84, 96, 120, 144, 180, 240, 300, 360]
CONC_DUREE_CDF = make_cdf([5, 20, 15, 10, 20, 8, 8, 6, 4, 4])

DEFECT_KINDS = [
    "montant_string",
    "montant_zero",
    "montant_placeholder",
    "montant_1e12",
    "date_tz_suffix",
    "date_bad_year",
    "date_ddmmyyyy",
    "duree_nc",
    "cpv_7_digits",
    "siret_spaces",
    "siret_bad_key",
    "enum_upper",
]
DEFECT_CDF = make_cdf([8, 10, 8, 4, 12, 5, 8, 10, 10, 8, 10, 7])
DUP_KINDS = ["exact", "later_publication", "extra_modification"]
DUP_CDF = make_cdf([60.0, 25.0, 15.0])
ACTES_COUNT_CDF = make_cdf([75.0, 20.0, 5.0])
