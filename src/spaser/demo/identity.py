"""Identifiers and names: SIREN/SIRET with valid Luhn keys, TVA numbers, invented company names.

Every identifier is drawn from the demonstration's random generator: none is a real organisation's (a draw may
coincide with a registered number by chance, as any 9-digit number may). Company names are assembled from
common French surnames, trade words and regional words; a name is never reused.
"""

from __future__ import annotations

import random
import unicodedata
from typing import Final


def luhn_key(body: str) -> int:
    """The digit that makes ``body + digit`` pass the Luhn check."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        digit = int(ch)
        if i % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10


def luhn_valid(number: str) -> bool:
    return number.isdigit() and len(number) > 1 and luhn_key(number[:-1]) == int(number[-1])


class Registry:
    """Draws distinct SIRENs (9 digits, Luhn) and the SIRETs of their establishments (SIREN + NIC, Luhn)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.sirens: set[str] = set()

    def siren(self, prefix: str) -> str:
        while True:
            body = prefix + "".join(str(self.rng.randrange(10)) for _ in range(8 - len(prefix)))
            siren = body + str(luhn_key(body))
            # 356000000 is La Poste's SIREN, exempt from the Luhn rule: keep clear of it.
            if siren not in self.sirens and not siren.startswith("356000000"):
                self.sirens.add(siren)
                return siren

    @staticmethod
    def siret(siren: str, nic_body: int) -> str:
        """The SIRET of establishment ``nic_body`` (1-9999) of ``siren``: its NIC's last digit is the key."""
        body = f"{siren}{nic_body:04d}"
        return body + str(luhn_key(body))


def break_key(siret: str) -> str:
    """``siret`` with its last digit changed so that its Luhn key no longer checks (a typing error)."""
    return siret[:-1] + str((int(siret[-1]) + 5) % 10)


def fr_vat(siren: str) -> str:
    return f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"


def foreign_vat(rng: random.Random, country: str) -> str:
    digits = "".join(str(rng.randrange(10)) for _ in range(12))
    formats = {"BE": f"BE0{digits[:9]}", "DE": f"DE{digits[:9]}", "ES": f"ESB{digits[:8]}",
               "IT": f"IT{digits[:11]}", "LU": f"LU{digits[:8]}", "NL": f"NL{digits[:9]}B01"}
    return formats[country]


def insee_text(text: str) -> str:
    """A name the way INSEE's SIRENE stock writes it: upper case, no accents, hyphens as spaces."""
    stripped = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    return " ".join(stripped.replace("-", " ").replace("’", "'").upper().split())


SURNAMES: Final = (
    "Le Goff", "Le Gall", "Guillou", "Le Roux", "Tanguy", "Hamon", "Morvan", "Le Bris", "Jégou", "Lebreton",
    "Lemoine", "Leroy", "Duval", "Lefebvre", "Hébert", "Guérin", "Rousseau", "Bernard", "Martin", "Moreau",
    "Fournier", "Girard", "Bonnet", "Lambert", "Fontaine", "Chevalier", "Robin", "Gautier", "Perrin", "Morel",
    "Mercier", "Blanchard", "Riou", "Kerbrat", "Cadiou", "Quéré", "Le Floch", "Pichon", "Gicquel", "Rolland",
    "Lucas", "Briand", "Legrand", "Lecomte", "Daniel", "Collet", "Bouvier", "Marchand", "Renaud", "Barbier",
)
PLACES: Final = (
    "de l'Ouest", "Armor", "Atlantique", "Océane", "du Littoral", "de la Rance", "du Bocage", "Ligérienne",
    "Normande", "Bretonne", "Iroise", "Émeraude", "du Cotentin", "Val de Loire", "Brocéliande", "de la Vilaine",
    "de l'Odet", "des Trois Rivières", "de l'Estuaire", "du Pays d'Auge", "des Marches", "de Cornouaille",
)
BRANDS: Final = (
    "Veloria", "Nexalis", "Orvéa", "Quadrimex", "Sofralis", "Altéane", "Briséo", "Cyriel", "Domexa", "Eliance",
    "Fidelis", "Gallium", "Horizan", "Ivéo", "Kalyste", "Lumenis", "Mistral", "Novacap", "Optimea", "Prysme",
    "Sequoia", "Talvane", "Ulysse", "Vectra", "Wivaldi", "Zenitude",
)
ESS_NAMES: Final = (
    "Les Genêts", "L'Hirondelle", "Le Courtil", "Les Ateliers du Bocage", "La Passerelle", "Le Chemin Vert",
    "Les Jardins de Cocagne de l'Ouest", "Tremplin", "L'Envol", "Les Ajoncs d'Or", "La Ruche", "Le Goéland",
)
_ESS_FORMS: Final = ("ESAT {n}", "Entreprise adaptée {n}", "Association {n} – chantier d'insertion",
                     "SCOP {t} {p}", "{n} Insertion")


class Namer:
    """Distinct invented names for suppliers."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def company(self, trades: tuple[str, ...], size: str, ess: bool) -> str:
        rng = self.rng
        for _ in range(1000):
            trade = rng.choice(trades)
            if ess:
                name = rng.choice(_ESS_FORMS).format(n=rng.choice(ESS_NAMES), t=trade, p=rng.choice(PLACES))
            elif size == "GE":
                name = rng.choice((f"{rng.choice(BRANDS)} {trade}", f"Groupe {rng.choice(BRANDS)}",
                                   f"{rng.choice(BRANDS)} France"))
            elif size == "ETI":
                name = rng.choice((f"{rng.choice(BRANDS)} {trade} {rng.choice(PLACES)}",
                                   f"{trade} {rng.choice(SURNAMES)} et Fils", f"{rng.choice(BRANDS)} {trade}"))
            else:
                name = rng.choice((f"{rng.choice(SURNAMES)} {trade}", f"{trade} {rng.choice(PLACES)}",
                                   f"{trade} {rng.choice(SURNAMES)}", f"Ets {rng.choice(SURNAMES)}",
                                   f"{rng.choice(SURNAMES)} et {rng.choice(SURNAMES)}"))
            if name not in self.used:
                self.used.add(name)
                return name
        raise RuntimeError("ran out of supplier names")  # pragma: no cover - 50 surnames × trades × places
