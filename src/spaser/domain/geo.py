"""Resolve a contract's ``lieuExecution`` to a commune, département and région of the COG.

Why: regional and local-supplier indicators group contracts by département and région, but real files write the
place of execution in many ways (``../shared/docs/domain.md`` §1): postal codes typed as département codes,
``FR51350``, ``078`` for the Yvelines, NUTS codes (``FRF2``), country codes (``FR``, ``250``), arrondissement
codes (``651``), six-digit or four-digit "postal codes" and free text. Every value is resolved as far as it
safely can be, and the flags say how; nothing is guessed from a name (``croix`` names several communes).

Real records behind each rule (tests/unit/domain/test_geo.py resolves each of them): ``FR51350`` typed postal
code, AIFE file ``data.gouv.fr_aife_2019-04-04.json`` id 2018IyBj_1JV7R00; ``078`` for the Yvelines,
``marches-publics.info_2019-03-07.json`` id 2018PA04300; ``FRF2`` typed région (NUTS), AIFE id 2018LjTa4EIe2q00;
``FR615`` typed département (NUTS), AIFE id 2018JIhg_B0-xG00; ``250`` typed country, marches-publics.info id
2019115800; ``651`` arrondissement, marches-publics.info id 20190213A00; ``563`` without typeCode (name
"Morbihan"), AIFE id 2018HyjAOnc6Qq00; ``820`` typed région, marches-publics.info id 2019004423B00; ``3200`` and
``460000`` typed postal codes, marches-publics.info ids 2019201802600 and 20181490100; ``croix`` typed postal
code, Ville de Croix file ``marches-securises_ville-de-croix_2019-2021.json``; ``20090`` (Ajaccio, 2A),
marches-publics.info id 2019C00100.

Flags (``"lieu:<defect>"``): ``manquant``, ``prefixe_fr`` (``FR`` removed), ``format`` (leading zero removed
or added), ``type_deduit`` (no or wrong typeCode: the shape of the code decided), ``pays`` (a country: no
département), ``nuts`` (a NUTS code, not resolved), ``inconnu`` (well-formed but not in the COG),
``illisible`` (no usable code), ``cog_absent`` (no geography loaded yet).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

_COUNTRY = frozenset({"FR", "FRA", "FRANCE", "250"})
_NUTS = re.compile(r"FR[A-Z0-9]{1,3}")
_FR_DIGITS = re.compile(r"FR(\d{5})")


@dataclass(frozen=True)
class Cog:
    """The geography needed to resolve codes: commune → (département, région), département → région."""

    communes: dict[str, tuple[str, str]] = field(default_factory=dict)
    departements: dict[str, str] = field(default_factory=dict)
    regions: frozenset[str] = frozenset()

    @property
    def empty(self) -> bool:
        return not self.departements


class Lieu(NamedTuple):
    commune_code: str | None
    departement_code: str | None
    region_code: str | None
    niveau: str | None  # "commune" | "departement" | "region" | "pays" | None (unresolved)
    flags: tuple[str, ...]


def departement_of_postal_code(code: str) -> str | None:
    """The département of a 5-digit postal code: its first two digits, three overseas (971…976), and Corsica's
    20xxx split between 2A (20000-20199) and 2B (20200-20699)."""
    if len(code) != 5 or not code.isdigit():
        return None
    if code.startswith("20"):
        return "2A" if int(code) < 20200 else "2B"
    if code.startswith("97") or code.startswith("98"):
        return code[:3]
    return code[:2]


def resolve_lieu(code: object, type_code: object, cog: Cog) -> Lieu:
    """Resolve one ``lieuExecution`` (code, typeCode) against the COG; never raises."""
    if cog.empty:
        return Lieu(None, None, None, None, ("lieu:cog_absent",))
    text = str(code).strip().upper().replace(" ", "") if code is not None else ""
    if not text:
        return Lieu(None, None, None, None, ("lieu:manquant",))
    kind = str(type_code).strip().lower() if isinstance(type_code, str) else ""
    flags: list[str] = []
    if text in _COUNTRY:
        # "FR" typed as a country, a région or a postal code; "250" is France's ISO 3166 numeric code.
        return Lieu(None, None, None, "pays", ("lieu:pays",))
    digits = _FR_DIGITS.fullmatch(text)
    if digits:
        # "FR51350", "FR75012": a postal code behind the country prefix (buyer-profile exports).
        text = digits[1]
        flags.append("lieu:prefixe_fr")
    elif _NUTS.fullmatch(text):
        # "FRF2", "FRJ23", "FR615": NUTS region codes, which the COG does not carry.
        return Lieu(None, None, None, None, (*flags, "lieu:nuts"))
    if "postal" in kind:
        return _postal(text, cog, flags)
    if "commune" in kind:
        return _commune(text, cog, flags)
    if "département" in kind or "departement" in kind:
        return _departement(text, cog, flags)
    if "région" in kind or "region" in kind:
        if text in cog.regions:
            return Lieu(None, None, text, "region", tuple(flags))
        # "820", "101", "3": not a région code of the COG; no guess ("820" is not Tarn-et-Garonne).
        return Lieu(None, None, None, None, (*flags, "lieu:inconnu"))
    if "arrondissement" in kind or "canton" in kind:
        # "651" (arrondissement 1 of the Hautes-Pyrénées), "3412" (a canton): the département comes first.
        dep = text[:3] if text.startswith("97") else text[:2]
        if text.isalnum() and len(text) in (3, 4) and dep in cog.departements:
            return Lieu(None, dep, cog.departements[dep], "departement", tuple(flags))
        return Lieu(None, None, None, None, (*flags, "lieu:inconnu"))
    return _by_shape(text, cog, [*flags, "lieu:type_deduit"])  # no typeCode, or "Code pays" with a French code


def _postal(text: str, cog: Cog, flags: list[str]) -> Lieu:
    dep = departement_of_postal_code(text)
    if dep is not None and dep in cog.departements:
        return Lieu(None, dep, cog.departements[dep], "departement", tuple(flags))
    if text in cog.departements:  # "35" typed as a postal code
        return Lieu(None, text, cog.departements[text], "departement", (*flags, "lieu:type_deduit"))
    # "3200", "460000", "200068781", "croix": not a postal code; a 4-digit code may have lost a zero or a
    # digit ("4600" for Saint-Nazaire's 44600), so it is not padded.
    reason = "lieu:inconnu" if dep is not None else "lieu:illisible"
    return Lieu(None, None, None, None, (*flags, reason))


def _commune(text: str, cog: Cog, flags: list[str]) -> Lieu:
    if text in cog.communes:
        dep, reg = cog.communes[text]
        return Lieu(text, dep, reg, "commune", tuple(flags))
    # "92" (a département) typed "Code commune": AIFE file data.gouv.fr_aife_2019-04-04.json, id
    # 2018BulpUlCkbC00.
    return _by_shape(text, cog, [*flags, "lieu:type_deduit"])


def _departement(text: str, cog: Cog, flags: list[str]) -> Lieu:
    candidates = [text]
    if len(text) == 3 and text.startswith("0"):
        candidates.append(text[1:])  # "078": Yvelines written on three digits
    if len(text) == 1 and text.isdigit():
        candidates.append("0" + text)  # "1": a leading zero lost by a spreadsheet
    for i, candidate in enumerate(candidates):
        if candidate in cog.departements:
            return Lieu(None, candidate, cog.departements[candidate], "departement",
                        (*flags, "lieu:format") if i else tuple(flags))
    return _by_shape(text, cog, [*flags, "lieu:type_deduit"])


def _by_shape(text: str, cog: Cog, flags: list[str]) -> Lieu:
    """No usable typeCode: a commune code, then a postal code, then a département code, by shape."""
    if text in cog.communes:
        dep, reg = cog.communes[text]
        return Lieu(text, dep, reg, "commune", tuple(flags))
    postal_dep = departement_of_postal_code(text)
    if postal_dep is not None and postal_dep in cog.departements:
        return Lieu(None, postal_dep, cog.departements[postal_dep], "departement", tuple(flags))
    if text in cog.departements:
        return Lieu(None, text, cog.departements[text], "departement", tuple(flags))
    if len(text) == 3 and text.isdigit() and not text.startswith("97") and text[:2] in cog.departements:
        # "563" (no typeCode, name "Morbihan"): an arrondissement code, département first.
        return Lieu(None, text[:2], cog.departements[text[:2]], "departement", tuple(flags))
    return Lieu(None, None, None, None, (*[f for f in flags if f != "lieu:type_deduit"], "lieu:inconnu"))
