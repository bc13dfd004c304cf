"""Départements and régions (INSEE codes, COG 2025) known without loading any reference file.

Why a constant: the sourcing space validates the territories a company serves and places a purchase plan in its
région as soon as the platform starts, before any COG is loaded into the warehouse. The map is small and has
not changed since the 2016 regional reform (Mayotte became a région in 2011); a test compares it with the COG
file of ``../shared/data/reference``.
"""

from __future__ import annotations

from typing import Final

_REGIONS: Final[dict[str, tuple[str, tuple[str, ...]]]] = {
    "01": ("Guadeloupe", ("971",)),
    "02": ("Martinique", ("972",)),
    "03": ("Guyane", ("973",)),
    "04": ("La Réunion", ("974",)),
    "06": ("Mayotte", ("976",)),
    "11": ("Île-de-France", ("75", "77", "78", "91", "92", "93", "94", "95")),
    "24": ("Centre-Val de Loire", ("18", "28", "36", "37", "41", "45")),
    "27": ("Bourgogne-Franche-Comté", ("21", "25", "39", "58", "70", "71", "89", "90")),
    "28": ("Normandie", ("14", "27", "50", "61", "76")),
    "32": ("Hauts-de-France", ("02", "59", "60", "62", "80")),
    "44": ("Grand Est", ("08", "10", "51", "52", "54", "55", "57", "67", "68", "88")),
    "52": ("Pays de la Loire", ("44", "49", "53", "72", "85")),
    "53": ("Bretagne", ("22", "29", "35", "56")),
    "75": ("Nouvelle-Aquitaine", ("16", "17", "19", "23", "24", "33", "40", "47", "64", "79", "86", "87")),
    "76": ("Occitanie", ("09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82")),
    "84": ("Auvergne-Rhône-Alpes", ("01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74")),
    "93": ("Provence-Alpes-Côte d'Azur", ("04", "05", "06", "13", "83", "84")),
    "94": ("Corse", ("2A", "2B")),
}

#: Région code → name.
REGIONS: Final[dict[str, str]] = {code: name for code, (name, _) in _REGIONS.items()}
#: Département code → région code.
DEPARTEMENT_REGION: Final[dict[str, str]] = {
    departement: region for region, (_, departements) in _REGIONS.items() for departement in departements}


def clean_departement(value: str) -> str | None:
    """A département code as INSEE writes it (``"35"``, ``"2A"``, ``"971"``), or None when it is not one.

    Accepts a missing leading zero (``"5"``) and lower case (``"2a"``), the ways people type them."""
    code = value.strip().upper()
    if len(code) == 1 and code.isdigit():
        code = "0" + code
    return code if code in DEPARTEMENT_REGION else None


def clean_region(value: str) -> str | None:
    code = value.strip()
    if len(code) == 1 and code.isdigit():
        code = "0" + code
    return code if code in REGIONS else None
