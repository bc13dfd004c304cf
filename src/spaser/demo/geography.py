"""The geography of the demonstration: three régions, their départements, and the few communes it uses.

Written by hand (official INSEE codes and names, no file copied): buyers sit in Bretagne, Pays de la Loire and
Normandie; suppliers sit there too, and a share of them in a few large cities elsewhere, so that the
local-supplier indicator has something to say. The flat COG files of the demonstration are written from these.
"""

from __future__ import annotations

from typing import Final, NamedTuple


class Commune(NamedTuple):
    code: str  # INSEE code
    postal: str  # main postal code
    nom: str
    departement: str


REGIONS: Final[dict[str, str]] = {
    "53": "Bretagne",
    "52": "Pays de la Loire",
    "28": "Normandie",
    "11": "Île-de-France",
    "84": "Auvergne-Rhône-Alpes",
    "93": "Provence-Alpes-Côte d'Azur",
    "75": "Nouvelle-Aquitaine",
    "76": "Occitanie",
    "32": "Hauts-de-France",
    "44": "Grand Est",
}

#: The three régions of the demonstration's buyers.
HOME_REGIONS: Final = ("53", "52", "28")

DEPARTEMENTS: Final[dict[str, tuple[str, str]]] = {  # code → (nom, région)
    "22": ("Côtes-d'Armor", "53"),
    "29": ("Finistère", "53"),
    "35": ("Ille-et-Vilaine", "53"),
    "56": ("Morbihan", "53"),
    "44": ("Loire-Atlantique", "52"),
    "49": ("Maine-et-Loire", "52"),
    "53": ("Mayenne", "52"),
    "72": ("Sarthe", "52"),
    "85": ("Vendée", "52"),
    "14": ("Calvados", "28"),
    "27": ("Eure", "28"),
    "50": ("Manche", "28"),
    "61": ("Orne", "28"),
    "76": ("Seine-Maritime", "28"),
    "75": ("Paris", "11"),
    "69": ("Rhône", "84"),
    "13": ("Bouches-du-Rhône", "93"),
    "33": ("Gironde", "75"),
    "31": ("Haute-Garonne", "76"),
    "59": ("Nord", "32"),
    "67": ("Bas-Rhin", "44"),
}

COMMUNES: Final[tuple[Commune, ...]] = (
    Commune("35238", "35000", "Rennes", "35"),
    Commune("35288", "35400", "Saint-Malo", "35"),
    Commune("35360", "35500", "Vitré", "35"),
    Commune("35115", "35300", "Fougères", "35"),
    Commune("35236", "35600", "Redon", "35"),
    Commune("35047", "35170", "Bruz", "35"),
    Commune("35281", "35136", "Saint-Jacques-de-la-Lande", "35"),
    Commune("29019", "29200", "Brest", "29"),
    Commune("29232", "29000", "Quimper", "29"),
    Commune("29151", "29600", "Morlaix", "29"),
    Commune("29103", "29800", "Landerneau", "29"),
    Commune("56260", "56000", "Vannes", "56"),
    Commune("56121", "56100", "Lorient", "56"),
    Commune("56178", "56300", "Pontivy", "56"),
    Commune("56034", "56340", "Carnac", "56"),
    Commune("22278", "22000", "Saint-Brieuc", "22"),
    Commune("22113", "22300", "Lannion", "22"),
    Commune("22070", "22200", "Guingamp", "22"),
    Commune("44109", "44000", "Nantes", "44"),
    Commune("44184", "44600", "Saint-Nazaire", "44"),
    Commune("44143", "44400", "Rezé", "44"),
    Commune("44190", "44230", "Saint-Sébastien-sur-Loire", "44"),
    Commune("49007", "49000", "Angers", "49"),
    Commune("49099", "49300", "Cholet", "49"),
    Commune("49328", "49400", "Saumur", "49"),
    Commune("53130", "53000", "Laval", "53"),
    Commune("72181", "72000", "Le Mans", "72"),
    Commune("85191", "85000", "La Roche-sur-Yon", "85"),
    Commune("14118", "14000", "Caen", "14"),
    Commune("14366", "14100", "Lisieux", "14"),
    Commune("14341", "14123", "Ifs", "14"),
    Commune("76540", "76000", "Rouen", "76"),
    Commune("76351", "76600", "Le Havre", "76"),
    Commune("76217", "76200", "Dieppe", "76"),
    Commune("50129", "50100", "Cherbourg-en-Cotentin", "50"),
    Commune("50502", "50000", "Saint-Lô", "50"),
    Commune("50218", "50400", "Granville", "50"),
    Commune("61001", "61000", "Alençon", "61"),
    Commune("27229", "27000", "Évreux", "27"),
    Commune("75056", "75015", "Paris", "75"),
    Commune("69123", "69003", "Lyon", "69"),
    Commune("13055", "13008", "Marseille", "13"),
    Commune("33063", "33000", "Bordeaux", "33"),
    Commune("31555", "31000", "Toulouse", "31"),
    Commune("59350", "59000", "Lille", "59"),
    Commune("67482", "67000", "Strasbourg", "67"),
)

BY_CODE: Final[dict[str, Commune]] = {commune.code: commune for commune in COMMUNES}
BY_NAME: Final[dict[str, Commune]] = {commune.nom: commune for commune in COMMUNES}


def region_of(commune: Commune) -> str:
    return DEPARTEMENTS[commune.departement][1]


def communes_of_departement(code: str) -> list[Commune]:
    return [commune for commune in COMMUNES if commune.departement == code]


def communes_of_region(code: str) -> list[Commune]:
    return [commune for commune in COMMUNES if region_of(commune) == code]
