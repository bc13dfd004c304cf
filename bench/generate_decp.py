#!/usr/bin/env python3
"""Generate a synthetic, national-scale DECP file in the 2022 format (schema v2.0.3).

The output has the shape of the consolidated national file::

    {"marches": {"marche": [...], "contrat-concession": [...]}}

with the wrapped lists of v2.0.3 (``titulaires: [{"titulaire": {...}}]``,
``modifications: [{"modification": {...}}]``, ``techniques: {"technique": [...]}`` ...).

Everything is synthetic: identifiers are generated (SIRETs carry valid Luhn keys), CPV codes are
generated with their check digit, amounts/durations/dates follow plausible distributions, and the
``objet`` text is assembled from small French word lists. Nothing is copied from real data.

Injected on purpose (counts are written to ``PATH.truth.json``):

* ~5 % duplicates scattered across the file: exact re-publications, republished versions with a later
  ``datePublicationDonnees`` and republished versions with one extra modification (same
  id / acheteur / dateNotification / montant / titulaires as the original);
* ~3 % lots: 2-4 records of one buyer sharing an ``id`` but differing in montant/titulaires/objet
  (distinct contracts, they must NOT be merged);
* ~0.95 % records with a fixable defect (amount as string, 0, placeholder, 1e12, dates with a
  time-zone suffix / impossible year / dd/mm/yyyy, dureeMois "NC", 7-digit CPV, SIRET with spaces
  or a bad key, upper-case enumeration);
* ~0.05 % unidentifiable records (no ``id`` and no ``acheteur.id``) and a few items that are a JSON
  string or a number instead of an object.

The file is written in chunks (memory stays flat) and the output is deterministic for a seed.

Usage::

    python bench/generate_decp.py --records 1500000 --output bench/out/decp.json [--seed 42] [--indent 0|2]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import numpy as np

GENERATOR_VERSION = "1"
DEFAULT_RECORDS = 1_500_000
DEFAULT_SEED = 42
# Size calibration: a compact record (one per line) weighs ~1.09 KB, so 1.5 M records ~ 1.63 GB like the
# national file; fully pretty-printed (indent=2) the same records weigh ~1.79 KB (1.5 M ~ 2.7 GB).
DEFAULT_INDENT = 0
CHUNK_SLOTS = 10_000

N_BUYERS = 27_000
N_SUPPLIERS = 194_000

# Shares of the injected phenomena (of the total number of records).
SHARE_CONCESSIONS = 0.01
SHARE_DUPLICATES = 0.05
SHARE_DEFECTIVE = 0.0095
SHARE_UNIDENTIFIABLE = 0.0005
SHARE_NON_OBJECT = 0.0001
SHARE_LOT_RECORDS = 0.03

RESERVOIR_SIZE = 20_000

# Slot kinds of the marché list plan.
K_NEW = 0
K_DUP = 1
K_DEFECT = 2
K_UNIDENT = 3
K_NONOBJ = 4
K_LOT_HEAD = 5
K_LOT = 6

Json = dict[str, Any]

DATE_ORIGIN = dt.date(2024, 1, 1)
NOTIF_LAST = dt.date(2026, 10, 31)
DATE_LAST = dt.date(2027, 12, 31)
DATES: list[str] = [(DATE_ORIGIN + dt.timedelta(days=i)).isoformat() for i in range((DATE_LAST - DATE_ORIGIN).days + 1)]
MAX_DAY = len(DATES) - 1


# --------------------------------------------------------------------------------------------------
# Identifiers


def luhn_key(body: str) -> int:
    """The digit that makes ``body + digit`` pass the Luhn check."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = ord(ch) - 48
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


def luhn_valid(number: str) -> bool:
    return number.isdigit() and luhn_key(number[:-1]) == ord(number[-1]) - 48


def _luhn_keys(digits: np.ndarray) -> np.ndarray:
    """Vectorised ``luhn_key`` over the rows of an (n, L) digit matrix."""
    length = digits.shape[1]
    doubled = np.zeros(length, dtype=bool)
    doubled[length - 1 :: -2] = True  # rightmost body digit is doubled
    d = digits.astype(np.int64)
    d[:, doubled] *= 2
    d[d > 9] -= 9
    keys: np.ndarray = (10 - d.sum(axis=1) % 10) % 10
    return keys


def _digits_to_str(digits: np.ndarray) -> list[str]:
    chars = (digits.astype(np.uint8) + 48).tobytes()
    width = digits.shape[1]
    return [chars[i : i + width].decode() for i in range(0, len(chars), width)]


def make_sirets(
    rng: np.random.Generator, prefixes: Sequence[str], weights: Sequence[float], n: int, nic_max: int
) -> list[str]:
    """``n`` distinct SIRETs: SIREN (prefix + random digits + Luhn key) + NIC (4 digits + SIRET key)."""
    out: list[str] = []
    seen: set[str] = set()
    cdf = np.cumsum(np.asarray(weights, dtype=np.float64) / sum(weights))
    while len(out) < n:
        m = (n - len(out)) + 64
        pidx = np.minimum(np.searchsorted(cdf, rng.random(m), side="right"), len(prefixes) - 1)
        digits = rng.integers(0, 10, size=(m, 13), dtype=np.int64)
        for i, p in enumerate(pidx.tolist()):
            pre = prefixes[p]
            for j, ch in enumerate(pre):
                digits[i, j] = ord(ch) - 48
        siren_key = _luhn_keys(digits[:, :8])
        # NIC: mostly head offices / first establishments (0001..0009), a long tail up to nic_max.
        small = rng.random(m) < 0.7
        nic = np.where(small, rng.integers(1, 10, size=m), rng.integers(1, nic_max + 1, size=m))
        nic_digits = np.stack([(nic // 1000) % 10, (nic // 100) % 10, (nic // 10) % 10, nic % 10], axis=1)
        body = np.concatenate([digits[:, :8], siren_key[:, None], nic_digits], axis=1)
        siret_key = _luhn_keys(body)
        full = np.concatenate([body, siret_key[:, None]], axis=1)
        for s in _digits_to_str(full):
            if s not in seen and len(out) < n:
                seen.add(s)
                out.append(s)
    return out


BUYER_PREFIXES = [
    "21",
    "20",
    "24",
    "25",
    "26",
    "22",
    "23",
    "13",
    "11",
    "17",
    "18",
    "19",
    "27",
    "28",
    "3",
    "4",
    "5",
    "7",
    "8",
]
BUYER_PREFIX_W = [45, 12, 5, 8, 8, 2, 0.5, 3, 2, 2, 2, 2, 1, 1, 1.5, 1.5, 1.5, 1, 1]
SUPPLIER_PREFIXES = ["3", "4", "5", "7", "8", "9", "1", "2"]
SUPPLIER_PREFIX_W = [28, 25, 14, 10, 12, 9, 1, 1]


def fr_vat(siren: str) -> str:
    key = (12 + 3 * (int(siren) % 97)) % 97
    return f"FR{key:02d}{siren}"


def foreign_vat(rng: np.random.Generator) -> str:
    kind = int(rng.integers(0, 6))
    n = int(rng.integers(10**8, 10**9))
    if kind == 0:
        return f"BE0{n}"
    if kind == 1:
        return f"DE{n}"
    if kind == 2:
        return f"IT{n:09d}{int(rng.integers(10, 100))}"
    if kind == 3:
        return f"ES{'ABCDEFGHJ'[n % 9]}{n % 10**7:07d}{'ABCDEFGHJK'[n % 10]}"
    if kind == 4:
        return f"LU{n % 10**8:08d}"
    return f"NL{n}B01"


def hors_ue_id(rng: np.random.Generator) -> str:
    kind = int(rng.integers(0, 4))
    n = int(rng.integers(10**8, 10**9))
    if kind == 0:
        s = f"{n:09d}"
        return f"CHE-{s[:3]}.{s[3:6]}.{s[6:]}"
    if kind == 1:
        return f"GB{n}"
    if kind == 2:
        return f"US{n % 10**7 + 20 * 10**7}"
    return f"NO{n}MVA"


# --------------------------------------------------------------------------------------------------
# CPV codes (generated, with their check digit)

CPV_DIVISIONS: dict[str, tuple[float, int]] = {
    # division: (weight, category)  categories: 0 works, 1 engineering, 2 IT, 3 intellectual,
    # 4 supplies, 5 industrial, 6 services
    "45": (24.0, 0),
    "71": (8.0, 1),
    "79": (5.0, 3),
    "90": (5.0, 6),
    "50": (6.0, 6),
    "72": (4.0, 2),
    "48": (2.0, 2),
    "30": (2.0, 2),
    "33": (5.0, 4),
    "34": (3.0, 5),
    "09": (2.0, 4),
    "15": (4.0, 4),
    "55": (2.0, 6),
    "60": (2.0, 6),
    "66": (2.0, 3),
    "77": (3.0, 6),
    "80": (2.0, 3),
    "85": (1.5, 3),
    "98": (1.0, 6),
    "39": (2.0, 4),
    "44": (2.0, 4),
    "42": (1.0, 5),
    "31": (1.0, 5),
    "32": (1.0, 2),
    "22": (1.0, 4),
    "18": (1.0, 4),
    "03": (0.5, 4),
    "24": (0.5, 4),
    "35": (0.7, 5),
    "37": (0.5, 4),
    "38": (0.7, 5),
    "43": (0.5, 5),
    "51": (0.5, 6),
    "63": (0.3, 6),
    "64": (0.7, 2),
    "65": (0.8, 6),
    "70": (0.4, 3),
    "73": (0.5, 3),
    "75": (0.3, 3),
    "76": (0.1, 6),
    "92": (0.8, 3),
    "14": (0.3, 4),
    "16": (0.2, 5),
    "19": (0.2, 4),
    "41": (0.2, 4),
}
CPV_WEIGHTS = (3, 7, 1, 3, 7, 1, 3, 7)


def cpv_check_digit(code8: str) -> int:
    """Check digit of an 8-digit CPV code (weights 3-7-1, modulo 10)."""
    return sum((ord(c) - 48) * w for c, w in zip(code8, CPV_WEIGHTS, strict=True)) % 10


def make_cpv_pool(rng: np.random.Generator) -> tuple[list[str], list[int], np.ndarray]:
    """A pool of generated CPV codes, their category and the cdf of their frequencies."""
    codes: list[str] = []
    cats: list[int] = []
    weights: list[float] = []
    seen: set[str] = set()
    for div, (w, cat) in CPV_DIVISIONS.items():
        n_codes = max(8, int(w * 25))
        # the division code itself is used often, finer codes share the rest (Zipf-like)
        entries: list[str] = [div + "000000"]
        while len(entries) < n_codes:
            depth = int(rng.choice([1, 2, 3, 4, 5], p=[0.15, 0.35, 0.3, 0.15, 0.05]))
            tail = "".join(str(int(rng.integers(1, 10))) for _ in range(depth)).ljust(6, "0")
            code = div + tail
            if code not in seen:
                seen.add(code)
                entries.append(code)
        local = 1.0 / np.arange(1, len(entries) + 1) ** 0.9
        local = local / local.sum() * w
        for code, lw in zip(entries, local.tolist(), strict=True):
            # ~55 % of producers publish the check digit
            with_key = rng.random() < 0.55
            codes.append(f"{code}-{cpv_check_digit(code)}" if with_key else code)
            cats.append(cat)
            weights.append(lw)
    cdf = np.cumsum(np.asarray(weights) / sum(weights))
    return codes, cats, cdf


# --------------------------------------------------------------------------------------------------
# French text


OBJETS: list[list[str]] = [
    [  # 0 works
        "Travaux de réhabilitation de l'école élémentaire",
        "Réfection de la toiture du gymnase",
        "Construction d'une salle polyvalente",
        "Aménagement de la place de l'Église",
        "Travaux de voirie et réseaux divers",
        "Rénovation énergétique de la mairie",
        "Extension du groupe scolaire",
        "Mise en accessibilité des bâtiments communaux",
        "Restructuration de la cuisine centrale",
        "Travaux d'entretien des routes départementales",
        "Réhabilitation de 48 logements sociaux",
        "Création d'une piste cyclable",
        "Travaux de désamiantage du collège",
        "Reconstruction du pont sur l'Aveyron",
        "Rénovation de l'éclairage public en LED",
        "Travaux de renouvellement des réseaux d'eau potable",
        "Construction d'une maison de santé pluriprofessionnelle",
        "Réaménagement de la médiathèque",
        "Travaux d'étanchéité des terrasses de l'hôtel de ville",
        "Réfection des courts de tennis",
    ],
    [  # 1 engineering
        "Mission de maîtrise d'œuvre pour la réhabilitation du gymnase",
        "Assistance à maîtrise d'ouvrage pour le renouvellement du contrat de chauffage",
        "Mission de contrôle technique et de coordination SPS",
        "Études géotechniques préalables",
        "Maîtrise d'œuvre pour l'aménagement des berges",
        "Diagnostic amiante et plomb avant travaux",
        "Mission d'ordonnancement, pilotage et coordination",
        "Relevés topographiques et géomètre",
        "Étude de programmation pour un pôle petite enfance",
        "Audit énergétique du patrimoine bâti",
    ],
    [  # 2 IT / telecom
        "Acquisition de postes de travail et périphériques",
        "Fourniture de licences logicielles",
        "Maintenance du progiciel de gestion financière",
        "Hébergement et infogérance des serveurs",
        "Services de téléphonie fixe et mobile",
        "Location et maintenance de copieurs multifonctions",
        "Accès à internet très haut débit des sites",
        "Mise en œuvre d'un environnement numérique de travail",
        "Fourniture de tablettes numériques pour les écoles",
        "Prestations de cybersécurité et d'audit",
    ],
    [  # 3 intellectual services
        "Prestations de conseil juridique",
        "Formation professionnelle des agents",
        "Prestations de communication et relations presse",
        "Assurance dommages aux biens",
        "Audit financier et accompagnement budgétaire",
        "Organisation de séjours et classes de découverte",
        "Accompagnement à l'insertion professionnelle des publics éloignés de l'emploi",
        "Traduction et interprétariat",
        "Études d'opinion et enquêtes de satisfaction",
        "Assurance responsabilité civile et flotte automobile",
        "Animation du contrat local de santé",
    ],
    [  # 4 supplies
        "Fourniture de denrées alimentaires pour la restauration scolaire",
        "Achat de produits d'entretien",
        "Fourniture de vêtements de travail et d'EPI",
        "Fourniture de carburants",
        "Acquisition de mobilier scolaire",
        "Fourniture de matériel médical",
        "Fourniture de fruits et légumes frais",
        "Achat de produits laitiers issus de l'agriculture biologique",
        "Fourniture de papier et d'enveloppes",
        "Fourniture de sel de déneigement",
        "Fourniture de végétaux et d'arbres d'alignement",
        "Acquisition de livres pour la médiathèque",
        "Fourniture de médicaments et dispositifs médicaux",
        "Fourniture de gaz naturel",
        "Fourniture d'électricité et services associés",
    ],
    [  # 5 industrial equipment
        "Acquisition de véhicules utilitaires électriques",
        "Fourniture d'une balayeuse de voirie",
        "Acquisition de bennes à ordures ménagères",
        "Fourniture d'équipements de laboratoire",
        "Location de groupes électrogènes",
        "Acquisition de matériels d'espaces verts",
        "Fourniture d'équipements de vidéoprotection",
        "Acquisition d'un tracteur agricole",
    ],
    [  # 6 services
        "Entretien des espaces verts",
        "Maintenance des installations de chauffage, ventilation et climatisation",
        "Maintenance des ascenseurs",
        "Collecte et traitement des déchets ménagers et assimilés",
        "Nettoyage des locaux administratifs",
        "Entretien de l'éclairage public",
        "Exploitation des bornes de recharge pour véhicules électriques",
        "Transport scolaire",
        "Restauration collective et portage de repas",
        "Gardiennage et surveillance des bâtiments",
        "Vérifications périodiques réglementaires",
        "Maintenance des portes et portails automatiques",
    ],
]
LOT_NAMES: list[str] = [
    "Gros œuvre",
    "Charpente – couverture",
    "Menuiseries extérieures",
    "Plâtrerie – isolation",
    "Électricité courants forts et faibles",
    "Plomberie – chauffage – ventilation",
    "Peinture – revêtements de sols",
    "VRD",
    "Désamiantage",
    "Serrurerie",
    "Étanchéité",
    "Secteur nord",
    "Secteur sud",
    "Produits frais",
    "Épicerie",
    "Viandes et volailles",
    "Lot unique",
]
SUFFIXES: list[str] = [
    "",
    "",
    "",
    "",
    "",
    "",
    " – années 2025 à 2028",
    " (accord-cadre à bons de commande)",
    " pour les besoins des services",
    " sur le territoire intercommunal",
    " – relance après infructuosité",
    " de la commune de Saint-Étienne-du-Rouvray",
    " à L'Haÿ-les-Roses",
    " – Châlons-en-Champagne",
    " du centre hospitalier",
    " de l'établissement",
    " – tranche optionnelle n°2",
    " (marché réservé)",
    " et prestations associées",
    " – site de l'Île-d'Yeu",
]
CONCESSION_OBJETS: list[str] = [
    "Délégation de service public pour l'exploitation du service d'eau potable",
    "Délégation de service public de l'assainissement collectif",
    "Concession pour l'exploitation du camping municipal",
    "Exploitation du réseau de chaleur urbain",
    "Gestion et exploitation du centre aquatique",
    "Délégation du service public de la restauration scolaire",
    "Exploitation du parc de stationnement",
    "Concession de travaux pour l'aménagement de la zone d'activités",
    "Gestion de la fourrière automobile",
    "Exploitation du marché forain",
]
NON_OBJECT_STRINGS: list[str] = [
    "Marché n°2024-12 : voir fichier joint",
    "NC",
    "données en cours de saisie",
    "",
]


# --------------------------------------------------------------------------------------------------
# Enumerations and their shares


def _cdf(weights: Sequence[float]) -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64)
    return np.cumsum(w / w.sum())


def draw(rng: np.random.Generator, cdf: np.ndarray, n: int) -> np.ndarray:
    return np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), len(cdf) - 1)


def _wrap(key: str, values: list[str]) -> dict[str, list[str]]:
    return {key: values}


NATURES = ["Marché", "Marché de défense ou de sécurité", "Marché de partenariat"]
NATURE_CDF = _cdf([97.0, 2.7, 0.3])
PROCEDURES = [
    "Procédure adaptée",
    "Appel d'offres ouvert",
    "Marché passé sans publicité ni mise en concurrence préalable",
    "Procédure avec négociation",
    "Appel d'offres restreint",
    "Dialogue compétitif",
]
PROCEDURE_CDF = _cdf([61.0, 26.0, 6.5, 4.0, 2.0, 0.5])
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
TECHNIQUE_CDF = _cdf([58.0, 35.5, 1.5, 1.0, 0.5, 0.5, 0.3, 1.7, 1.0])
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
MODALITE_CDF_AC = _cdf([8.0, 62.0, 2.0, 22.0, 5.0, 1.0])
MODALITE_CDF_OTHER = _cdf([72.0, 5.0, 21.0, 0.5, 0.5, 1.0])
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
    _cdf([86, 2, 2, 0.5, 1, 0.5, 8]),  # works
    _cdf([3, 55, 3, 0.5, 30, 0.5, 8]),  # engineering
    _cdf([0.5, 0.5, 25, 3, 6, 55, 10]),  # IT
    _cdf([0.5, 1, 35, 0.5, 48, 1, 14]),  # intellectual
    _cdf([0.5, 0.1, 80, 2, 0.5, 1, 16]),  # supplies
    _cdf([1, 0.1, 55, 30, 0.5, 2, 11]),  # industrial
    _cdf([5, 0.5, 75, 2, 2, 0.5, 15]),  # services
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
TYPES_PRIX_CDF = _cdf([42.0, 35.0, 15.0, 5.0, 1.0, 2.0])
FORMES_PRIX = ["Unitaire", "Forfaitaire", "Mixte"]
FORME_PRIX_CDF = _cdf([40.0, 45.0, 15.0])
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
CONS_SOC_CDF = _cdf([85.0, 9.5, 2.5, 1.5, 1.5])
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
CONS_ENV_CDF = _cdf([75.0, 14.0, 6.0, 5.0])
GROUPEMENTS = ["Pas de groupement", "Conjoint", "Solidaire"]
GROUPEMENT_SINGLE_CDF = _cdf([97.0, 2.0, 1.0])
GROUPEMENT_MULTI_CDF = _cdf([5.0, 52.0, 43.0])
N_TITULAIRES_CDF = _cdf([88.0, 8.5, 3.5])
DUREES = [12, 24, 36, 48, 6, 3, 1, 2, 4, 5, 8, 9, 10, 18, 60, 72, 84, 96, 120, 30, 42]
DUREE_CDF = _cdf([30, 11, 10, 17, 5, 3, 2, 1.5, 1.5, 1, 1, 1, 1, 2, 4, 0.8, 0.5, 0.6, 0.6, 0.5, 0.5])
TAUX_AVANCE = [0.0, 0.05, 0.1, 0.15, 0.2, 0.3]
TAUX_AVANCE_CDF = _cdf([15.0, 40.0, 15.0, 5.0, 15.0, 10.0])
VARIATIONS = ["Ferme", "Actualisable", "Révisable"]
LIEU_TYPES = ["Code postal", "Code commune", "Code département", "Code région", "Code pays"]
LIEU_TYPE_CDF = _cdf([55.0, 20.0, 15.0, 7.0, 3.0])
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
CONC_NATURE_CDF = _cdf([45.0, 30.0, 15.0, 10.0])
CONC_PROCEDURES = [
    "Procédure négociée ouverte",
    "Procédure non négociée ouverte",
    "Procédure négociée restreinte",
    "Procédure non négociée restreinte",
]
CONC_PROCEDURE_CDF = _cdf([60.0, 25.0, 10.0, 5.0])
CONC_DUREES = [36, 60, 84, 96, 120, 144, 180, 240, 300, 360]
CONC_DUREE_CDF = _cdf([5, 20, 15, 10, 20, 8, 8, 6, 4, 4])

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
DEFECT_CDF = _cdf([8, 10, 8, 4, 12, 5, 8, 10, 10, 8, 10, 7])
DUP_KINDS = ["exact", "later_publication", "extra_modification"]
DUP_CDF = _cdf([60.0, 25.0, 15.0])
ACTES_COUNT_CDF = _cdf([75.0, 20.0, 5.0])


def _day_cdf() -> np.ndarray:
    """Notification dates 2024-01-01..2026-10-31: weekdays, quieter in August, busier in December."""
    n_days = (NOTIF_LAST - DATE_ORIGIN).days + 1
    w = np.empty(n_days)
    for i in range(n_days):
        d = DATE_ORIGIN + dt.timedelta(days=i)
        x = 1.0 if d.weekday() < 5 else 0.08
        if d.month == 8:
            x *= 0.6
        elif d.month == 12:
            x *= 1.35
        w[i] = x
    return _cdf(w.tolist())


def _zipf_cdf(n: int, exponent: float, offset: float) -> np.ndarray:
    ranks = np.arange(1, n + 1, dtype=np.float64)
    return _cdf((1.0 / (ranks + offset) ** exponent).tolist())


class UniformPool:
    """Pre-drawn uniforms for the scalar draws of the record loop (numpy scalar calls cost ~2 µs each)."""

    def __init__(self, rng: np.random.Generator, size: int = 1 << 16) -> None:
        self.rng = rng
        self.size = size
        self.buf: list[float] = []
        self.pos = 0

    def u(self) -> float:
        if self.pos >= len(self.buf):
            self.buf = self.rng.random(self.size).tolist()
            self.pos = 0
        x = self.buf[self.pos]
        self.pos += 1
        return x

    def randint(self, lo: int, hi: int) -> int:
        """An integer in [lo, hi)."""
        return lo + int(self.u() * (hi - lo))

    def pick(self, cdf: np.ndarray | list[float]) -> int:
        u = self.u()
        for i, c in enumerate(cdf):
            if u < c:
                return i
        return len(cdf) - 1


# --------------------------------------------------------------------------------------------------
# Truth


@dataclass
class Truth:
    records: int = 0
    marches: int = 0
    concessions: int = 0
    duplicates: dict[str, int] = field(default_factory=lambda: dict.fromkeys([*DUP_KINDS, "total"], 0))
    defective: dict[str, int] = field(default_factory=lambda: dict.fromkeys([*DEFECT_KINDS, "total"], 0))
    unidentifiable: int = 0
    non_object: int = 0
    lot_groups: int = 0
    lot_records: int = 0
    with_modifications: int = 0
    with_actes_sous_traitance: int = 0

    def as_json(self, **extra: Any) -> Json:
        quarantined = self.unidentifiable + self.non_object
        return {
            "generator": "bench/generate_decp.py",
            "generator_version": GENERATOR_VERSION,
            **extra,
            "records": self.records,
            "marches": self.marches,
            "concessions": self.concessions,
            "duplicates": self.duplicates["total"],
            "duplicates_by_kind": {k: v for k, v in self.duplicates.items() if k != "total"},
            "unidentifiable": self.unidentifiable,
            "non_object": self.non_object,
            "lots_sharing_ids": {"groups": self.lot_groups, "records": self.lot_records},
            "defective": self.defective["total"],
            "defective_by_kind": {k: v for k, v in self.defective.items() if k != "total"},
            "with_modifications": self.with_modifications,
            "with_actes_sous_traitance": self.with_actes_sous_traitance,
            "expected": {
                "quarantined": quarantined,
                "duplicates": self.duplicates["total"],
                "loaded": self.records - self.duplicates["total"] - quarantined,
                "unique_contracts": self.records - self.duplicates["total"] - quarantined,
            },
        }


# --------------------------------------------------------------------------------------------------
# The generator


class DecpGenerator:
    def __init__(self, n_records: int, seed: int) -> None:
        self.n_records = n_records
        self.rng = np.random.default_rng(seed)
        self.seed = seed
        rng = self.rng
        self.pool = UniformPool(np.random.default_rng([seed, 1]))
        self.n_conc = min(n_records, max(1, round(n_records * SHARE_CONCESSIONS))) if n_records >= 10 else 0
        self.n_marche = n_records - self.n_conc
        self.truth = Truth(records=n_records, marches=self.n_marche, concessions=self.n_conc)

        self.buyers = make_sirets(rng, BUYER_PREFIXES, BUYER_PREFIX_W, N_BUYERS, nic_max=250)
        rng.shuffle(self.buyers)
        self.buyer_cdf = _zipf_cdf(N_BUYERS, 1.0, 3.0)
        self.buyer_dept = [DEPARTEMENTS[i] for i in rng.integers(0, len(DEPARTEMENTS), N_BUYERS).tolist()]
        self.buyer_idfmt = rng.integers(0, 8, N_BUYERS).tolist()
        self.id_counters: dict[tuple[int, int], int] = {}

        sirets = make_sirets(rng, SUPPLIER_PREFIXES, SUPPLIER_PREFIX_W, N_SUPPLIERS, nic_max=900)
        rng.shuffle(sirets)
        self.suppliers: list[dict[str, str]] = []
        kinds = rng.random(N_SUPPLIERS)
        for s, k in zip(sirets, kinds.tolist(), strict=True):
            if k < 0.012:
                ident = {"typeIdentifiant": "TVA", "id": foreign_vat(rng)}
            elif k < 0.015:
                ident = {"typeIdentifiant": "TVA", "id": fr_vat(s[:9])}
            elif k < 0.019:
                ident = {"typeIdentifiant": "HORS-UE", "id": hors_ue_id(rng)}
            else:
                ident = {"typeIdentifiant": "SIRET", "id": s}
            self.suppliers.append(ident)
        self.supplier_cdf = _zipf_cdf(N_SUPPLIERS, 0.85, 10.0)
        # shared, never mutated (defects replace list items instead of editing them)
        self.wrapped_suppliers = [{"titulaire": s} for s in self.suppliers]

        self.cpv_codes, self.cpv_cats, self.cpv_cdf = make_cpv_pool(rng)
        self.cpv_zero_div = [c for c in self.cpv_codes if c.startswith("0")]
        self.day_cdf = _day_cdf()

        self.reservoir: list[bytes] = []
        self.reservoir_seen = 0
        self.conc_reservoir: list[bytes] = []
        self.conc_seen = 0
        self.lot_head: Json | None = None
        self.lot_index = 0
        self.lot_montants: set[Any] = set()
        self.encoder = msgspec.json.Encoder()
        self.decoder = msgspec.json.Decoder()
        self.plan = self._plan_marches()

    # -- plan ------------------------------------------------------------------------------------------

    def _plan_marches(self) -> np.ndarray:
        """One kind per slot of the marché list, fixed up-front so the counts are exact."""
        n = self.n_marche
        rng = self.rng
        plan = np.zeros(n, dtype=np.int8)
        if n < 20:
            return plan
        total = self.n_records
        k_dup = round(total * SHARE_DUPLICATES * self.n_marche / total)
        k_def = round(total * SHARE_DEFECTIVE)
        k_unid = max(1, round(total * SHARE_UNIDENTIFIABLE))
        k_nonobj = max(1, round(total * SHARE_NON_OBJECT))
        # duplicates need an original before them: keep them out of the first slots
        first_dup = min(200, n // 10)
        dup_pos = first_dup + rng.choice(n - first_dup, size=min(k_dup, n - first_dup), replace=False)
        plan[dup_pos] = K_DUP
        free = np.flatnonzero(plan == K_NEW)
        others = rng.choice(free, size=min(k_def + k_unid + k_nonobj, len(free)), replace=False)
        plan[others[:k_def]] = K_DEFECT
        plan[others[k_def : k_def + k_unid]] = K_UNIDENT
        plan[others[k_def + k_unid :]] = K_NONOBJ
        # lots: runs of 2-4 consecutive fresh slots
        target = round(total * SHARE_LOT_RECORDS)
        sizes = rng.choice([2, 3, 4], size=max(1, target // 2), p=[0.55, 0.3, 0.15])
        starts = rng.integers(0, n - 4, size=len(sizes))
        placed = 0
        for start, size in zip(starts.tolist(), sizes.tolist(), strict=True):
            if placed >= target:
                break
            if np.all(plan[start : start + size] == K_NEW):
                plan[start] = K_LOT_HEAD
                plan[start + 1 : start + size] = K_LOT
                placed += size
        return plan

    # -- field helpers ---------------------------------------------------------------------------------

    def _marche_id(self, buyer: int, year: int) -> str:
        key = (buyer, year)
        c = self.id_counters.get(key, 0) + 1
        self.id_counters[key] = c
        y2 = year % 100
        fmt = self.buyer_idfmt[buyer]
        if fmt == 0:
            return f"{year}{c:04d}"
        if fmt == 1:
            return f"{y2:02d}M{c:04d}"
        if fmt == 2:
            return f"{year}-{c:03d}"
        if fmt == 3:
            return f"{year}_{c:05d}"
        if fmt == 4:
            return f"MP{y2:02d}{c:04d}"
        if fmt == 5:
            return f"{year}{c:06d}"
        if fmt == 6:
            return f"{y2:02d}AOO{c:03d}"
        return f"{year}-{c:04d}-00"

    def _lieu(self, buyer: int, kind: int, r: int) -> dict[str, str]:
        dept = self.buyer_dept[buyer]
        typ = LIEU_TYPES[kind]
        if kind == 0:
            code = (
                f"{dept}{r % 1000:03d}"
                if len(dept) == 2 and dept[1].isdigit()
                else (f"{dept}{r % 100:02d}" if len(dept) == 3 else f"20{r % 1000:03d}")
            )
        elif kind == 1:
            code = f"{dept}{r % 1000:03d}" if len(dept) == 2 else f"{dept}{r % 100:02d}"
        elif kind == 2:
            code = dept
        elif kind == 3:
            code = REGIONS[r % len(REGIONS)]
        else:
            code = "FR"
        return {"code": code, "typeCode": typ}

    def _titulaires(self, idx: Sequence[int]) -> list[dict[str, dict[str, str]]]:
        w = self.wrapped_suppliers
        return [w[i] for i in idx]

    # -- fresh marché batch ----------------------------------------------------------------------------

    def _fresh_marches(self, n: int) -> list[Json]:
        rng = self.rng
        if n == 0:
            return []
        buyers = draw(rng, self.buyer_cdf, n).tolist()
        n_tit = (draw(rng, N_TITULAIRES_CDF, n) + 1).tolist()
        sup = draw(rng, self.supplier_cdf, 3 * n).reshape(n, 3).tolist()
        cpv = draw(rng, self.cpv_cdf, n).tolist()
        day = draw(rng, self.day_cdf, n)
        delay = np.where(
            rng.random(n) < 0.45,
            rng.integers(0, 8, n),
            np.where(rng.random(n) < 0.75, rng.integers(8, 46, n), rng.integers(46, 91, n)),
        )
        pub = np.minimum(day + delay, MAX_DAY).tolist()
        day_l = day.tolist()
        montant = np.clip(rng.lognormal(np.log(90_000.0), 1.25, n), 1_000.0, 5e8)
        round_int = rng.random(n)
        montant = np.where(
            round_int < 0.3,
            np.round(montant, -2),
            np.where(round_int < 0.55, np.round(montant), np.round(montant, 2)),
        )
        montant_l = montant.tolist()
        montant_is_int = (round_int < 0.55).tolist()
        duree = np.asarray(DUREES)[draw(rng, DUREE_CDF, n)]
        rand_duree = rng.random(n) < 0.05
        duree = np.where(rand_duree, rng.integers(1, 121, n), duree).tolist()
        nature = draw(rng, NATURE_CDF, n).tolist()
        proc = draw(rng, PROCEDURE_CDF, n).tolist()
        tech = draw(rng, TECHNIQUE_CDF, n).tolist()
        u_mod = rng.random(n)
        mod_ac = np.minimum(np.searchsorted(MODALITE_CDF_AC, u_mod, side="right"), len(MODALITES) - 1).tolist()
        mod_ot = np.minimum(np.searchsorted(MODALITE_CDF_OTHER, u_mod, side="right"), len(MODALITES) - 1).tolist()
        cats = np.asarray(self.cpv_cats, dtype=np.int64)[np.asarray(cpv)]
        u_ccag = rng.random(n)
        ccag = np.zeros(n, dtype=np.int64)
        for c, cdf in enumerate(CCAG_CDF_BY_CAT):
            mask = cats == c
            ccag[mask] = np.minimum(np.searchsorted(cdf, u_ccag[mask], side="right"), len(CCAGS) - 1)
        ccag_l = ccag.tolist()
        innov = (rng.random(n) < 0.012).tolist()
        offres = np.where(rng.random(n) < 0.24, 1, 1 + rng.geometric(0.28, n)).clip(1, 60).tolist()
        avance = (rng.random(n) < 0.35).tolist()
        taux = draw(rng, TAUX_AVANCE_CDF, n).tolist()
        groupement_u = rng.random(n).tolist()
        st_u = rng.random(n).tolist()
        lieu_kind = draw(rng, LIEU_TYPE_CDF, n).tolist()
        lieu_r = rng.integers(0, 1_000_000, n).tolist()
        types_prix = draw(rng, TYPES_PRIX_CDF, n).tolist()
        forme = draw(rng, FORME_PRIX_CDF, n).tolist()
        origine_u = rng.random(n).tolist()
        origine_fr = np.round(rng.choice([0.0, 0.3, 0.5, 0.8, 0.9, 1.0, -1.0], n), 2)
        origine_fr = np.where(origine_fr < 0, np.round(rng.random(n), 2), origine_fr)
        origine_ue = np.minimum(1.0, np.round(origine_fr + rng.random(n) * (1 - origine_fr), 2))
        ofr_l = origine_fr.tolist()
        oue_l = origine_ue.tolist()
        soc = draw(rng, CONS_SOC_CDF, n).tolist()
        env = draw(rng, CONS_ENV_CDF, n).tolist()
        obj_i = rng.integers(0, 1_000_000, n).tolist()
        suffix = rng.integers(0, len(SUFFIXES), n).tolist()
        text_u = rng.random(n).tolist()
        n_mods = np.where(rng.random(n) < 0.15, draw(rng, _cdf([60.0, 28.0, 12.0]), n) + 1, 0).tolist()
        has_actes = (rng.random(n) < 0.05).tolist()
        subseq_u = rng.random(n).tolist()

        out: list[Json] = []
        cpv_codes = self.cpv_codes
        cpv_cats = self.cpv_cats
        buyers_ids = self.buyers
        for i in range(n):
            b = buyers[i]
            cat = cpv_cats[cpv[i]]
            d = day_l[i]
            notif = DATES[d]
            year = int(notif[:4])
            t = tech[i]
            is_ac = t in ACCORD_CADRE_TECHNIQUES
            nt = n_tit[i]
            tit_idx = sup[i][:nt]
            if nt > 1 and len(set(tit_idx)) < nt:  # the same supplier twice (top of the Zipf law)
                tit_idx = list(dict.fromkeys(tit_idx))
                while len(tit_idx) < nt:
                    tit_idx.append((tit_idx[-1] + 7919) % N_SUPPLIERS)
            if nt == 1:
                grp = GROUPEMENTS[0 if groupement_u[i] < 0.97 else (1 if groupement_u[i] < 0.99 else 2)]
            else:
                grp = GROUPEMENTS[1 if groupement_u[i] < 0.55 else 2]
            objs = OBJETS[cat]
            objet = objs[obj_i[i] % len(objs)] + SUFFIXES[suffix[i]]
            tu = text_u[i]
            if tu < 0.004:
                objet = objet + "\nMarché notifié le " + notif
            elif tu < 0.05:
                objet = objet.replace("'", "’")
            m = montant_l[i]
            rec: Json = {
                "id": self._marche_id(b, year),
                "acheteur": {"id": buyers_ids[b]},
                "nature": NATURES[nature[i]],
                "objet": objet,
                "codeCPV": cpv_codes[cpv[i]],
                "techniques": TECHNIQUES[t],
                "modalitesExecution": MODALITES[mod_ac[i] if is_ac else mod_ot[i]],
            }
            if not is_ac and subseq_u[i] < 0.08:
                rec["idAccordCadre"] = f"AC{(year - 1) % 100:02d}{obj_i[i] % 10_000:04d}"
            rec["marcheInnovant"] = innov[i]
            rec["ccag"] = CCAGS[ccag_l[i]]
            rec["offresRecues"] = offres[i]
            rec["attributionAvance"] = avance[i]
            rec["tauxAvance"] = TAUX_AVANCE[taux[i]] if avance[i] else 0
            rec["typeGroupementOperateurs"] = grp
            rec["sousTraitanceDeclaree"] = has_actes[i] or st_u[i] < 0.07
            rec["procedure"] = PROCEDURES[proc[i]]
            rec["lieuExecution"] = self._lieu(b, lieu_kind[i], lieu_r[i])
            rec["dureeMois"] = duree[i]
            rec["dateNotification"] = notif
            rec["datePublicationDonnees"] = DATES[pub[i]]
            rec["montant"] = int(m) if montant_is_int[i] else m
            rec["typesPrix"] = TYPES_PRIX[types_prix[i]]
            rec["formePrix"] = FORMES_PRIX[forme[i]]
            if origine_u[i] < 0.4:
                rec["origineUE"] = oue_l[i]
                rec["origineFrance"] = ofr_l[i]
            rec["titulaires"] = self._titulaires(tit_idx)
            rec["considerationsSociales"] = CONS_SOC[soc[i]]
            rec["considerationsEnvironnementales"] = CONS_ENV[env[i]]
            if has_actes[i]:
                self._add_actes(rec, d, m, duree[i])
            if n_mods[i]:
                self._add_modifications(rec, d, m, duree[i], n_mods[i])
            out.append(rec)
        return out

    def _add_actes(self, rec: Json, day: int, montant: float, duree: int) -> None:
        pool = self.pool
        k = 1 + pool.pick(ACTES_COUNT_CDF)
        actes = []
        offs = [pool.randint(0, 120) for _ in range(k)]
        shares = [0.03 + 0.27 * pool.u() for _ in range(k)]
        for j in range(k):
            sub = self.suppliers[self._supplier()]
            d = min(day + offs[j], MAX_DAY)
            actes.append(
                {
                    "acteSousTraitance": {
                        "id": j + 1,
                        "sousTraitant": {"id": sub["id"], "typeIdentifiant": sub["typeIdentifiant"]},
                        "dureeMois": max(1, duree - int(offs[j] / 30)),
                        "dateNotification": DATES[d],
                        "datePublicationDonnees": DATES[min(d + pool.randint(0, 30), MAX_DAY)],
                        "montant": round(float(montant) * shares[j], 2),
                        "variationPrix": VARIATIONS[pool.randint(0, 3)],
                    }
                }
            )
        rec["actesSousTraitance"] = actes
        self.truth.with_actes_sous_traitance += 1
        if pool.u() < 0.15:
            d = min(day + offs[0] + pool.randint(30, 300), MAX_DAY)
            rec["modificationsActesSousTraitance"] = [
                {
                    "modificationActeSousTraitance": {
                        "id": 1,
                        "dureeMois": max(1, duree - int(offs[0] / 30)) + 6,
                        "dateNotificationModificationSousTraitance": DATES[d],
                        "montant": round(float(montant) * shares[0] * 1.1, 2),
                        "datePublicationDonnees": DATES[min(d + pool.randint(0, 30), MAX_DAY)],
                    }
                }
            ]

    def _supplier(self) -> int:
        """One supplier index drawn with the Zipf-like frequencies."""
        i = int(np.searchsorted(self.supplier_cdf, self.pool.u(), side="right"))
        return min(i, N_SUPPLIERS - 1)

    def _modification(
        self, seq: int, day: int, montant: float | None, duree: int | None, titulaires: list[Any] | None
    ) -> tuple[dict[str, Json], int]:
        pool = self.pool
        d = min(day + pool.randint(20, 400), MAX_DAY)
        mod: Json = {"id": seq}
        if duree is not None:
            mod["dureeMois"] = duree
        if montant is not None:
            mod["montant"] = montant
        if titulaires is not None:
            mod["titulaires"] = titulaires
        mod["dateNotificationModification"] = DATES[d]
        mod["datePublicationDonneesModification"] = DATES[min(d + pool.randint(0, 45), MAX_DAY)]
        return {"modification": mod}, d

    def _add_modifications(self, rec: Json, day: int, montant: float, duree: int, k: int) -> None:
        pool = self.pool
        mods = []
        cur_m = float(montant)
        cur_d = duree
        for seq in range(1, k + 1):
            u = pool.u()
            new_m: float | None = None
            new_d: int | None = None
            tits = None
            if u < 0.75:
                cur_m = round(cur_m * (1.01 + 0.24 * pool.u()), 2)
                new_m = cur_m
            if u > 0.55:
                cur_d = cur_d + (1, 3, 6, 12)[pool.randint(0, 4)]
                new_d = cur_d
            if pool.u() < 0.05:
                tits = self._titulaires([self._supplier()])
            mod, day = self._modification(seq, day, new_m, new_d, tits)
            mods.append(mod)
        rec["modifications"] = mods
        self.truth.with_modifications += 1

    # -- defects -----------------------------------------------------------------------------------------

    def _apply_defect(self, rec: Json) -> None:
        rng = self.rng
        kind = DEFECT_KINDS[int(draw(rng, DEFECT_CDF, 1)[0])]
        if kind == "montant_string":
            rec["montant"] = f"{float(rec['montant']):.2f}"
        elif kind == "montant_zero":
            rec["montant"] = 0
        elif kind == "montant_placeholder":
            rec["montant"] = 999_999_999 if rng.random() < 0.6 else 99_999_999
        elif kind == "montant_1e12":
            rec["montant"] = msgspec.Raw(b"1e12") if rng.random() < 0.5 else 1.0e13
        elif kind == "date_tz_suffix":
            rec["dateNotification"] = rec["dateNotification"] + "+01:00"
            if rng.random() < 0.5:
                rec["datePublicationDonnees"] = rec["datePublicationDonnees"] + "+02:00"
        elif kind == "date_bad_year":
            d = rec["dateNotification"]
            rec["dateNotification"] = ("0" + d[1:]) if rng.random() < 0.7 else ("5" + d[1:])
        elif kind == "date_ddmmyyyy":
            y, mo, da = rec["dateNotification"].split("-")
            rec["dateNotification"] = f"{da}/{mo}/{y}"
        elif kind == "duree_nc":
            rec["dureeMois"] = "NC"
        elif kind == "cpv_7_digits":
            code = self.cpv_zero_div[int(rng.integers(0, len(self.cpv_zero_div)))]
            rec["codeCPV"] = code[1:8]
        elif kind == "siret_spaces":
            if rng.random() < 0.5:
                s = rec["acheteur"]["id"]
                rec["acheteur"] = {"id": f"{s[:3]} {s[3:6]} {s[6:9]} {s[9:]}"}
            else:
                t = rec["titulaires"][0]["titulaire"]
                s = t["id"]
                rec["titulaires"][0] = {
                    "titulaire": {
                        "typeIdentifiant": t["typeIdentifiant"],
                        "id": f"{s[:3]} {s[3:6]} {s[6:9]} {s[9:]}",
                    }
                }
        elif kind == "siret_bad_key":
            target = rec["acheteur"]["id"] if rng.random() < 0.4 else None
            if target is not None:
                rec["acheteur"] = {"id": _break_luhn(target)}
            else:
                t = rec["titulaires"][0]["titulaire"]
                rec["titulaires"][0] = {
                    "titulaire": {"typeIdentifiant": "SIRET", "id": _break_luhn(_digits14(t["id"]))}
                }
        elif kind == "enum_upper":
            field_name = ("procedure", "nature", "ccag", "formePrix")[int(rng.integers(0, 4))]
            rec[field_name] = str(rec[field_name]).upper()
        self.truth.defective[kind] += 1
        self.truth.defective["total"] += 1

    # -- duplicates --------------------------------------------------------------------------------------

    def _remember(self, rec: Json, reservoir: list[bytes], seen: int) -> int:
        """Reservoir sampling (algorithm R) of the clean records already written."""
        seen += 1
        if len(reservoir) < RESERVOIR_SIZE:
            reservoir.append(self.encoder.encode(rec))
        else:
            j = int(self.pool.u() * seen)
            if j < RESERVOIR_SIZE:
                reservoir[j] = self.encoder.encode(rec)
        return seen

    def _duplicate(self, reservoir: list[bytes], concession: bool) -> Json:
        rng = self.rng
        rec: Json = self.decoder.decode(reservoir[int(rng.integers(0, len(reservoir)))])
        kind = "exact" if concession else DUP_KINDS[int(draw(rng, DUP_CDF, 1)[0])]
        if kind == "later_publication":
            d = rec["datePublicationDonnees"]
            day = (dt.date.fromisoformat(d) - DATE_ORIGIN).days
            rec["datePublicationDonnees"] = DATES[min(day + int(rng.integers(1, 120)), MAX_DAY)]
            if rec["datePublicationDonnees"] == d:  # clipped at the end of the calendar
                kind = "exact"
        elif kind == "extra_modification":
            mods = rec.get("modifications", [])
            last_day = (dt.date.fromisoformat(rec["dateNotification"]) - DATE_ORIGIN).days
            base_m = float(rec["montant"])
            if mods:
                last = mods[-1]["modification"]
                last_day = (dt.date.fromisoformat(last["dateNotificationModification"]) - DATE_ORIGIN).days
                base_m = float(last.get("montant", base_m))
            mod, _ = self._modification(len(mods) + 1, last_day, round(base_m * 1.08, 2), None, None)
            rec["modifications"] = [*mods, mod]
        self.truth.duplicates[kind] += 1
        self.truth.duplicates["total"] += 1
        return rec

    # -- lots ----------------------------------------------------------------------------------------------

    def _lot(self, fresh: Json, head: bool) -> Json:
        if head or self.lot_head is None:
            self.lot_head = fresh
            self.lot_index = 1
            self.lot_montants = {fresh["montant"]}
            self.truth.lot_groups += 1
        else:
            self.lot_index += 1
            h = self.lot_head
            for key in (
                "id",
                "acheteur",
                "nature",
                "procedure",
                "techniques",
                "modalitesExecution",
                "dateNotification",
                "datePublicationDonnees",
                "lieuExecution",
                "ccag",
                "considerationsSociales",
                "considerationsEnvironnementales",
            ):
                fresh[key] = h[key]
            while fresh["montant"] in self.lot_montants:  # lots differ in montant: never merge them
                fresh["montant"] = fresh["montant"] + 1
            self.lot_montants.add(fresh["montant"])
        name = LOT_NAMES[(self.lot_index * 7 + len(fresh["objet"])) % len(LOT_NAMES)]
        fresh["objet"] = f"Lot n°{self.lot_index} : {name} – {fresh['objet']}"
        self.truth.lot_records += 1
        return fresh

    # -- non-object and unidentifiable -----------------------------------------------------------------

    def _non_object(self) -> Any:
        self.truth.non_object += 1
        r = int(self.rng.integers(0, 4))
        if r == 0:
            return 0
        if r == 1:
            return 20240117
        return NON_OBJECT_STRINGS[int(self.rng.integers(0, len(NON_OBJECT_STRINGS)))]

    def _unidentifiable(self, rec: Json) -> Json:
        self.truth.unidentifiable += 1
        del rec["id"]
        if self.rng.random() < 0.5:
            del rec["acheteur"]
        else:
            rec["acheteur"] = {}
        return rec

    # -- chunks -------------------------------------------------------------------------------------------

    def marche_chunks(self) -> Iterator[list[Any]]:
        for start in range(0, self.n_marche, CHUNK_SLOTS):
            kinds = self.plan[start : start + CHUNK_SLOTS].tolist()
            n_fresh = sum(1 for k in kinds if k not in (K_DUP, K_NONOBJ))
            fresh = iter(self._fresh_marches(n_fresh))
            out: list[Any] = []
            for k in kinds:
                if k == K_NEW:
                    rec = next(fresh)
                    self.reservoir_seen = self._remember(rec, self.reservoir, self.reservoir_seen)
                elif k == K_DUP:
                    rec = self._duplicate(self.reservoir, concession=False)
                elif k in (K_LOT_HEAD, K_LOT):
                    rec = self._lot(next(fresh), head=k == K_LOT_HEAD)
                    self.reservoir_seen = self._remember(rec, self.reservoir, self.reservoir_seen)
                elif k == K_DEFECT:
                    rec = next(fresh)
                    self._apply_defect(rec)
                elif k == K_UNIDENT:
                    rec = self._unidentifiable(next(fresh))
                else:
                    rec = self._non_object()
                out.append(rec)
            yield out

    def _fresh_concession(self) -> Json:
        rng = self.rng
        b = int(draw(rng, self.buyer_cdf, 1)[0])
        day = int(draw(rng, self.day_cdf, 1)[0])
        sign = DATES[day]
        year = int(sign[:4])
        pub = DATES[min(day + int(rng.integers(0, 60)), MAX_DAY)]
        debut = DATES[min(day + int(rng.integers(0, 180)), MAX_DAY)]
        valeur = round(float(np.clip(rng.lognormal(np.log(5e6), 1.3), 5e4, 2e9)), 2)
        subv = 0 if rng.random() < 0.7 else round(valeur * float(rng.uniform(0.01, 0.2)), 2)
        n_c = 1 if rng.random() < 0.9 else 2
        conc = [{"concessionnaire": dict(self.suppliers[i])} for i in draw(rng, self.supplier_cdf, n_c).tolist()]
        rec: Json = {
            "id": self._marche_id(b, year),
            "autoriteConcedante": {"id": self.buyers[b]},
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

    def concession_chunks(self) -> Iterator[list[Any]]:
        k_dup = round(self.n_conc * SHARE_DUPLICATES)
        dup_slots = (
            set(
                self.rng.choice(
                    np.arange(min(self.n_conc, 5), self.n_conc),
                    size=min(k_dup, max(0, self.n_conc - 5)),
                    replace=False,
                ).tolist()
            )
            if self.n_conc > 5
            else set()
        )
        out: list[Any] = []
        for i in range(self.n_conc):
            if i in dup_slots and self.conc_reservoir:
                rec = self._duplicate(self.conc_reservoir, concession=True)
            else:
                rec = self._fresh_concession()
                self.conc_seen = self._remember(rec, self.conc_reservoir, self.conc_seen)
            out.append(rec)
            if len(out) >= CHUNK_SLOTS:
                yield out
                out = []
        if out:
            yield out


def _digits14(s: str) -> str:
    digits = "".join(c for c in s if c.isdigit())
    return (digits + "00000000000000")[:14]


def _break_luhn(siret: str) -> str:
    last = (int(siret[-1]) + 3) % 10
    return siret[:-1] + str(last)


# --------------------------------------------------------------------------------------------------
# Writing


class _ChunkWriter:
    """Serialises chunks of records into the envelope, pretty-printed or compact (one record per line).

    Pretty-printing formats the whole envelope around a chunk with ``msgspec.json.format`` (C speed) and
    cuts the envelope off again, so every record gets the indentation it has in the complete file.
    """

    def __init__(self, indent: int) -> None:
        self.indent = indent
        self.encoder = msgspec.json.Encoder()
        sentinel = b'"__SPLIT__"'
        text = msgspec.json.format(
            self.encoder.encode({"marches": {"marche": [msgspec.Raw(sentinel)]}}), indent=max(indent, 1)
        )
        self._pre, self._post = text.split(sentinel)
        # self._pre ends with the indentation of a record: keep it, it is part of the formatted chunk
        self._pre_len = self._pre.rfind(b"\n") + 1

    def header(self, list_key: str) -> bytes:
        if self.indent <= 0:
            return b'{"marches":{"' + list_key.encode() + b'":[\n'
        return self._pre[: self._pre_len].replace(b'"marche"', b'"' + list_key.encode() + b'"')

    def middle(self, next_key: str) -> bytes:
        if self.indent <= 0:
            return b'\n],"' + next_key.encode() + b'":[\n'
        pad = b" " * (2 * self.indent)
        return b"\n" + pad + b"],\n" + pad + b'"' + next_key.encode() + b'": [\n'

    def footer(self) -> bytes:
        if self.indent <= 0:
            return b"\n]}}\n"
        return self._post + b"\n"

    def chunk(self, records: list[Any]) -> bytes:
        if self.indent <= 0:
            enc = self.encoder.encode
            return b",\n".join([enc(r) for r in records])
        text = msgspec.json.format(self.encoder.encode({"marches": {"marche": records}}), indent=self.indent)
        return text[self._pre_len : len(text) - len(self._post)]


def generate(
    output: Path,
    records: int = DEFAULT_RECORDS,
    seed: int = DEFAULT_SEED,
    indent: int = DEFAULT_INDENT,
    progress: Callable[[int, int], None] | None = None,
) -> Json:
    """Write ``records`` records to ``output`` and the truth sidecar; return the truth."""
    # The records are acyclic, so reference counting frees every chunk: the cyclic GC only burns time
    # (~40 % of the run) rescanning the millions of young dicts.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _generate(output, records, seed, indent, progress)
    finally:
        if gc_was_enabled:
            gc.enable()


def _generate(output: Path, records: int, seed: int, indent: int, progress: Callable[[int, int], None] | None) -> Json:
    started = time.perf_counter()
    gen = DecpGenerator(records, seed)
    writer = _ChunkWriter(indent)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.name + ".part")
    written = 0
    with open(tmp, "wb", buffering=8 * 1024 * 1024) as f:
        f.write(writer.header("marche"))
        first = True
        for chunk in gen.marche_chunks():
            if not first:
                f.write(b",\n")
            f.write(writer.chunk(chunk))
            first = False
            written += len(chunk)
            if progress:
                progress(written, records)
        if gen.n_conc:
            f.write(writer.middle("contrat-concession"))
            first = True
            for chunk in gen.concession_chunks():
                if not first:
                    f.write(b",\n")
                f.write(writer.chunk(chunk))
                first = False
                written += len(chunk)
                if progress:
                    progress(written, records)
        f.write(writer.footer())
    os.replace(tmp, output)
    truth = gen.truth.as_json(
        seed=seed,
        indent=indent,
        file=output.name,
        bytes=output.stat().st_size,
        generation_seconds=round(time.perf_counter() - started, 2),
    )
    truth_path(output).write_text(json.dumps(truth, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return truth


def truth_path(output: Path) -> Path:
    return output.with_name(output.name + ".truth.json")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=DEFAULT_RECORDS, help="total number of records")
    parser.add_argument("--output", type=Path, required=True, help="output JSON file")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--indent",
        type=int,
        default=DEFAULT_INDENT,
        help="0: compact, one record per line (default: ~1.09 KB/record, 1.5 M ~ 1.63 GB); "
        "N>0: pretty-printed with N spaces (indent 2: ~1.79 KB/record)",
    )
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    if args.records < 1:
        parser.error("--records must be >= 1")

    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.perf_counter()
        if not args.quiet and (now - last[0] > 2.0 or done == total):
            last[0] = now
            print(f"\r  {done:>10,} / {total:,} records", end="", file=sys.stderr, flush=True)

    truth = generate(args.output, args.records, args.seed, args.indent, progress)
    if not args.quiet:
        print(file=sys.stderr)
    print(
        json.dumps(
            {
                k: truth[k]
                for k in (
                    "records",
                    "bytes",
                    "generation_seconds",
                    "duplicates",
                    "unidentifiable",
                    "non_object",
                    "defective",
                )
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
