"""The thirty buyers of the demonstration: a Région with its lycées, départements, communes, métropoles, CHUs,
SDIS, a public housing office, a waste syndicate and a university, in Bretagne, Pays de la Loire and Normandie.

Their names are those of real kinds of organisations (a "Région Bretagne" exists; its identifiers here do not):
every identifier, amount and contract of the demonstration is generated. A buyer's *kind* gives its legal form,
activity, purchase mix (weights per sector of ``sectors.py``), amount scale and how early it adopted social and
environmental considerations; ``per_year`` is its number of consultations in 2024.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Kind:
    siren_prefix: str
    categorie_juridique: str
    naf: str
    scale: float  # amount multiplier
    mix: dict[str, float]  # sector → weight
    env: float = 0.0  # bonus to the share of environmental considerations
    social: float = 0.0
    advance: float = 0.45  # probability that a contract with an SME carries an advance


KINDS: Final[dict[str, Kind]] = {
    "region": Kind("23", "7230", "84.11Z", 1.6, {
        "travaux": 30, "ingenierie": 10, "transport": 14, "informatique": 12, "services": 12, "energie": 4,
        "fournitures": 6, "impression": 4, "nettoyage": 2, "maintenance": 4, "securite": 2}, env=0.15, social=0.1,
        advance=0.7),
    "lycee": Kind("19", "7331", "85.31Z", 0.45, {
        "restauration": 35, "nettoyage": 10, "maintenance": 12, "fournitures": 12, "travaux": 8, "informatique": 6,
        "energie": 5, "espaces_verts": 4, "securite": 2, "impression": 2, "services": 4}, env=-0.03),
    "departement": Kind("22", "7220", "84.11Z", 1.3, {
        "travaux": 32, "ingenierie": 10, "transport": 8, "informatique": 9, "services": 10, "restauration": 3,
        "fournitures": 5, "vehicules": 5, "energie": 4, "espaces_verts": 4, "maintenance": 5, "impression": 3,
        "nettoyage": 2}, social=0.05),
    "commune": Kind("21", "7210", "84.11Z", 1.0, {
        "travaux": 28, "restauration": 12, "espaces_verts": 8, "ingenierie": 8, "nettoyage": 6, "informatique": 6,
        "services": 8, "energie": 5, "fournitures": 6, "maintenance": 6, "vehicules": 3, "securite": 2,
        "impression": 2}),
    "metropole": Kind("24", "7344", "84.11Z", 1.5, {
        "travaux": 30, "dechets": 12, "transport": 10, "ingenierie": 10, "informatique": 8, "services": 8,
        "energie": 6, "espaces_verts": 6, "maintenance": 5, "vehicules": 3, "securite": 2}, env=0.08, social=0.04),
    "chu": Kind("26", "7364", "86.10Z", 1.4, {
        "sante": 45, "restauration": 10, "nettoyage": 6, "informatique": 10, "travaux": 10, "maintenance": 6,
        "energie": 4, "dechets": 3, "services": 4, "recherche": 2}, env=-0.05, social=-0.03),
    "sdis": Kind("28", "7372", "84.25Z", 1.0, {
        "vehicules": 35, "fournitures": 10, "sante": 8, "informatique": 10, "travaux": 12, "maintenance": 10,
        "energie": 6, "services": 5, "ingenierie": 4}),
    "oph": Kind("27", "4140", "68.20A", 1.0, {
        "travaux": 50, "ingenierie": 15, "maintenance": 15, "nettoyage": 8, "espaces_verts": 6, "services": 4,
        "energie": 2}, social=0.08),
    "syndicat": Kind("25", "7354", "38.21Z", 1.4, {
        "dechets": 50, "travaux": 20, "vehicules": 12, "ingenierie": 10, "services": 5, "maintenance": 3},
        env=0.1),
    "universite": Kind("19", "7383", "85.42Z", 1.0, {
        "informatique": 20, "recherche": 25, "travaux": 15, "services": 10, "fournitures": 8, "nettoyage": 6,
        "energie": 5, "maintenance": 6, "securite": 3, "impression": 2}),
}


@dataclass(frozen=True)
class BuyerSpec:
    name: str
    kind: str
    commune: str  # name of its commune in geography.COMMUNES
    per_year: int
    sites: tuple[str, ...]  # "du collège de Vitré": completes an objet


_LYCEE_SITES: Final = ("de l'internat", "du service de restauration", "des ateliers", "du gymnase",
                       "du centre de documentation", "de l'externat")
_LYCEES: Final = (("Lycée Les Ajoncs", "Rennes"), ("Lycée de l'Iroise", "Brest"), ("Lycée Les Korrigans", "Quimper"),
                  ("Lycée Les Goélands", "Lorient"), ("Lycée Les Hortensias", "Saint-Brieuc"),
                  ("Lycée Les Menhirs", "Vannes"))


def _commune_sites(extra: tuple[str, ...] = ()) -> tuple[str, ...]:
    return ("de l'école élémentaire des Tilleuls", "du groupe scolaire Jacques-Prévert", "de la médiathèque",
            "de l'hôtel de ville", "du complexe sportif", "du centre de loisirs", *extra)


def _departement_sites(*towns: str) -> tuple[str, ...]:
    return ("de l'hôtel du Département", *(f"du collège de {town}" for town in towns),
            f"de la maison départementale des solidarités de {towns[0]}",
            f"du centre d'exploitation routière de {towns[-1]}")


BUYERS: Final[tuple[BuyerSpec, ...]] = (
    BuyerSpec("Région Bretagne", "region", "Rennes", 120,
              (*(f"du {name[0].lower()}{name[1:]} à {town}" for name, town in _LYCEES),
               "de l'hôtel de Région", "du lycée maritime de Saint-Malo")),
    *(BuyerSpec(name, "lycee", town, 14, _LYCEE_SITES) for name, town in _LYCEES),
    BuyerSpec("Département d'Ille-et-Vilaine", "departement", "Rennes", 70,
              _departement_sites("Vitré", "Fougères", "Redon", "Saint-Malo")),
    BuyerSpec("Département du Finistère", "departement", "Quimper", 60,
              _departement_sites("Morlaix", "Landerneau", "Brest", "Quimper")),
    BuyerSpec("Ville de Rennes", "commune", "Rennes", 50, _commune_sites(("de la piscine Bréquigny",))),
    BuyerSpec("Ville de Brest", "commune", "Brest", 38, _commune_sites(("du port de plaisance",))),
    BuyerSpec("Ville de Saint-Malo", "commune", "Saint-Malo", 18, _commune_sites(("du fort national",))),
    BuyerSpec("Ville de Vannes", "commune", "Vannes", 20, _commune_sites()),
    BuyerSpec("Rennes Métropole", "metropole", "Rennes", 45,
              ("du centre aquatique", "de la station d'épuration", "du dépôt de bus", "de la déchèterie de Bruz",
               "du siège de la Métropole")),
    BuyerSpec("CHU de Rennes", "chu", "Rennes", 48,
              ("du bâtiment des urgences", "de l'hôpital de jour", "du plateau technique", "de la cuisine centrale",
               "de l'EHPAD du CHU")),
    BuyerSpec("SDIS d'Ille-et-Vilaine", "sdis", "Rennes", 16,
              ("du centre d'incendie et de secours de Vitré", "du centre d'incendie et de secours de Redon",
               "de la direction départementale", "de l'école départementale des sapeurs-pompiers")),
    BuyerSpec("Ouest Logis, office public de l'habitat", "oph", "Rennes", 20,
              ("de la résidence Les Glycines (48 logements)", "de la résidence Bellevue (32 logements)",
               "de la résidence du Parc (64 logements)", "de l'agence de Saint-Jacques-de-la-Lande")),
    BuyerSpec("Syndicat mixte de valorisation des déchets du pays de Vitré", "syndicat", "Vitré", 12,
              ("du centre de tri", "de la déchèterie de Vitré", "de l'unité de valorisation énergétique")),
    BuyerSpec("Université de Rennes", "universite", "Rennes", 28,
              ("du bâtiment de chimie", "de la bibliothèque universitaire", "du campus nord",
               "de la maison des étudiants")),
    BuyerSpec("Département de Loire-Atlantique", "departement", "Nantes", 80,
              _departement_sites("Rezé", "Saint-Nazaire", "Saint-Sébastien-sur-Loire", "Nantes")),
    BuyerSpec("Département de Maine-et-Loire", "departement", "Angers", 50,
              _departement_sites("Cholet", "Saumur", "Angers")),
    BuyerSpec("Ville de Nantes", "commune", "Nantes", 58, _commune_sites(("du muséum",))),
    BuyerSpec("Ville d'Angers", "commune", "Angers", 35, _commune_sites()),
    BuyerSpec("Nantes Métropole", "metropole", "Nantes", 55,
              ("du centre aquatique", "de la station d'épuration", "du pôle d'échanges", "du siège de la Métropole",
               "de la déchèterie de Rezé")),
    BuyerSpec("CHU de Nantes", "chu", "Nantes", 52,
              ("du bâtiment des urgences", "de l'hôpital mère-enfant", "du plateau technique",
               "de la blanchisserie", "de la cuisine centrale")),
    BuyerSpec("SDIS de Loire-Atlantique", "sdis", "Nantes", 18,
              ("du centre d'incendie et de secours de Saint-Nazaire", "du centre d'incendie et de secours de Rezé",
               "de la direction départementale")),
    BuyerSpec("Département du Calvados", "departement", "Caen", 50,
              _departement_sites("Lisieux", "Ifs", "Caen")),
    BuyerSpec("Ville de Caen", "commune", "Caen", 35, _commune_sites(("du château",))),
    BuyerSpec("Ville de Rouen", "commune", "Rouen", 32, _commune_sites(("des quais",))),
    BuyerSpec("CHU de Caen", "chu", "Caen", 40,
              ("du bâtiment des urgences", "de l'hôpital de jour", "du plateau technique", "de la cuisine centrale")),
)

#: The buyer whose SPASER targets the demonstration ships.
REGION: Final = BUYERS[0]
