"""Allowed values of the DECP enumerations (schemas v1.5 and v2.0.3) and their normalisation.

Why: indicators filter on exact labels ("Marché passé sans publicité…", "Clause sociale"…), but real files
carry v1.4 procedure labels, upper case (AIFE: ``CONCESSION DE TRAVAUX``, ``CODE POSTAL``), lower case (Croix:
``marché``), stripped apostrophes (``Appel d offres ouvert``), typographic apostrophes and missing accents
(``../shared/docs/domain.md`` §1 pitfall 8). Matching is case-, accent-, apostrophe- and
whitespace-insensitive; a value that matches is replaced by the schema spelling and flagged, an unknown value
is kept and flagged.

Sources: ``../shared/data/decp/schemas/v1.5_2019/marches.json`` (2019 values) and
``v2.0.3/schema_decp_v2.0.3.json`` (2022 values); the v2.0.0 draft's labels are mapped as legacy aliases.

Flags (``"<field>:<defect>"``): ``manquant``, ``enum_corrige`` (spelling fixed), ``enum_ancien`` (legacy label
mapped to its v1.5/v2 equivalent), ``enum_inconnu`` (kept), ``illisible``, ``nan``, ``doublon`` (list item
repeated), ``liste_texte`` (a list serialised as a Python repr), ``texte`` (boolean given as
"1"/"0"/"O"/"N"…)."""

from __future__ import annotations

import functools
import math
import re
import unicodedata

from spaser.domain.cleaned import Cleaned

NATURE_MARCHE_2019 = ("Marché", "Marché de partenariat", "Accord-cadre", "Marché subséquent")
NATURE_MARCHE_2022 = ("Marché", "Marché de partenariat", "Marché de défense ou de sécurité")
NATURE_CONCESSION = (
    "Concession de travaux", "Concession de service", "Concession de service public",
    "Délégation de service public",
)
PROCEDURE_MARCHE = (
    "Procédure adaptée", "Appel d'offres ouvert", "Appel d'offres restreint", "Procédure avec négociation",
    "Marché passé sans publicité ni mise en concurrence préalable", "Dialogue compétitif",
)
PROCEDURE_CONCESSION = (
    "Procédure négociée ouverte", "Procédure non négociée ouverte", "Procédure négociée restreinte",
    "Procédure non négociée restreinte",
)
TYPE_CODE = (
    "Code postal", "Code commune", "Code arrondissement", "Code canton", "Code département", "Code région",
    "Code pays",
)
FORME_PRIX_2019 = ("Ferme", "Ferme et actualisable", "Révisable")
FORME_PRIX_2022 = ("Unitaire", "Forfaitaire", "Mixte")
TYPE_PRIX = ("Définitif ferme", "Définitif actualisable", "Définitif révisable", "Provisoire")
TECHNIQUE = (
    "Accord-cadre", "Concours", "Système de qualification", "Système d'acquisition dynamique",
    "Catalogue électronique", "Enchère électronique", "Sans objet",
)
MODALITE_EXECUTION = ("Tranches", "Bons de commande", "Marchés subséquents", "Sans objet")
CCAG = (
    "Travaux", "Maitrise d'œuvre", "Fournitures courantes et services", "Marchés industriels",
    "Prestations intellectuelles", "Techniques de l'information et de la communication", "Pas de CCAG",
)
TYPE_GROUPEMENT_OPERATEURS = ("Conjoint", "Solidaire", "Pas de groupement")
CONSIDERATION_SOCIALE = (
    "Clause sociale", "Critère social", "Marché réservé", "Concession réservée",
    "Pas de considération sociale",
)
CONSIDERATION_ENVIRONNEMENTALE = (
    "Clause environnementale", "Critère environnemental", "Pas de considération environnementale",
)
VARIATION_PRIX = ("Ferme", "Actualisable", "Révisable")
# typeIdentifiant is cleaned by spaser.domain.siret.clean_identifiant; listed here for completeness.
TYPE_IDENTIFIANT_2019 = ("SIRET", "TVA", "TAHITI", "RIDET", "FRWF", "IREP", "UE", "HORS-UE")
TYPE_IDENTIFIANT_2022 = ("SIRET", "TVA", "TAHITI", "RIDET", "FRWF", "IREP", "HORS-UE")

ENUMS: dict[str, tuple[str, ...]] = {
    # v1.5 natures "Accord-cadre"/"Marché subséquent" are valid 2019 natures (1 404 and 93 records of
    # marches-publics.info_2019-03-07.json): kept, not mapped to a 2022 technique.
    "nature": tuple(dict.fromkeys(NATURE_MARCHE_2019 + NATURE_MARCHE_2022 + NATURE_CONCESSION)),
    "procedure": PROCEDURE_MARCHE + PROCEDURE_CONCESSION,
    "typeCode": TYPE_CODE,
    "formePrix": FORME_PRIX_2019 + FORME_PRIX_2022,
    "typePrix": TYPE_PRIX,
    "technique": TECHNIQUE,
    "modaliteExecution": MODALITE_EXECUTION,
    "ccag": CCAG,
    "typeGroupementOperateurs": TYPE_GROUPEMENT_OPERATEURS,
    "considerationSociale": CONSIDERATION_SOCIALE,
    "considerationEnvironnementale": CONSIDERATION_ENVIRONNEMENTALE,
    "variationPrix": VARIATION_PRIX,
}
# Other spellings of the field names (plural list containers, old draft names, v2 key variants).
FIELD_ALIASES = {
    "typesPrix": "typePrix", "TypePrix": "typePrix", "techniques": "technique",
    "modalitesExecution": "modaliteExecution", "considerationsSociales": "considerationSociale",
    "considerationsEnvironnementales": "considerationEnvironnementale", "lieuExecution.typeCode": "typeCode",
}
# Legacy labels → current label (flag enum_ancien).
LEGACY: dict[str, dict[str, str]] = {
    "procedure": {
        # v1.4 labels: 135 records of marches-publics.info_2019-03-07.json (e.g. id 2019PA183100), AIFE,
        # Croix.
        "Marché négocié sans publicité ni mise en concurrence préalable":
            "Marché passé sans publicité ni mise en concurrence préalable",
        # AIFE's variant (data.gouv.fr_aife_2019-04-04.json id 2018jAiR9ay9k100).
        "Marché public négocié sans publicité ni mise en concurrence préalable":
            "Marché passé sans publicité ni mise en concurrence préalable",
        "Procédure concurrentielle avec négociation": "Procédure avec négociation",  # MPI id 2018622200
        # MPI id 2018CAA04200:
        "Procédure négociée avec mise en concurrence préalable": "Procédure avec négociation",
    },
    # v2.0.0 draft (schemas/v2.0.0_2023-03/marches.json) labels, renamed in v2.0.1.
    "modaliteExecution": {
        "Marché à tranches": "Tranches", "Bon de commande": "Bons de commande",
        "Marché subséquent": "Marchés subséquents",
    },
}

_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})


def _key(text: str) -> str:
    """Case-, accent-, apostrophe-, punctuation- and space-insensitive key: "Appel d offres ouvert" == "APPEL
    D'OFFRES OUVERT" == "Appel d’offres ouvert"; "Maîtrise d'œuvre" == "Maitrise d'oeuvre"."""
    folded = unicodedata.normalize("NFKD", text.casefold().translate(_LIGATURES))
    return "".join(ch for ch in folded if ch.isalnum())


def _build() -> tuple[dict[str, dict[str, Cleaned[str]]], dict[str, dict[str, tuple[str, bool]]]]:
    exact: dict[str, dict[str, Cleaned[str]]] = {}
    by_key: dict[str, dict[str, tuple[str, bool]]] = {}
    for field, values in ENUMS.items():
        exact[field] = {v: Cleaned(v, ()) for v in values}  # shared, immutable fast-path results
        keys: dict[str, tuple[str, bool]] = {}
        for value in values:
            if _key(value) in keys:
                raise RuntimeError(f"enum {field}: {value!r} collides with {keys[_key(value)][0]!r}")
            keys[_key(value)] = (value, False)
        for old, new in LEGACY.get(field, {}).items():
            keys.setdefault(_key(old), (new, True))
        by_key[field] = keys
    return exact, by_key


_EXACT, _BY_KEY = _build()
_PY_LIST_ITEM = re.compile(r"'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\"")


def _field(field: str) -> str:
    name = field if field in _EXACT else FIELD_ALIASES.get(field)
    if name is None:
        raise ValueError(f"not a DECP enumeration: {field!r}")  # a caller bug, not a data defect
    return name


def normalise_enum(field: str, value: object) -> Cleaned[str]:
    """Map a value of enumeration ``field`` to the schema spelling; unknown values are kept and flagged.

    Raises ValueError only for an unknown ``field`` (a programming error); never for any ``value``."""
    name = field if field in _EXACT else _field(field)
    if type(value) is str:
        hit = _EXACT[name].get(value)  # fast path: exact schema spelling
        return hit if hit is not None else _normalise_text(name, field, value)
    if value is None:
        return Cleaned(None, (f"{field}:manquant",))
    if isinstance(value, float) and math.isnan(value):
        return Cleaned(None, (f"{field}:nan",))
    if isinstance(value, (bool, list, tuple, dict, set, bytes)):
        return Cleaned(None, (f"{field}:illisible",))
    return _normalise_text(name, field, str(value))


@functools.lru_cache(maxsize=4096)
def _normalise_text(name: str, field: str, value: str) -> Cleaned[str]:
    text = value.strip()
    if not text:
        # "" (Croix: procedure and formePrix of id 2021hfzc30000000, nature of id 2020qmezv0000000) or
        # whitespace-only XML tags (decp-rama hybrid <ccag>).
        return Cleaned(None, (f"{field}:manquant",))
    found = _BY_KEY[name].get(_key(text))
    if found is None:
        return Cleaned(text, (f"{field}:enum_inconnu",))
    canonical, legacy = found
    if legacy:
        return Cleaned(canonical, (f"{field}:enum_ancien",))
    if canonical == text:
        return Cleaned(canonical, ())  # only surrounding spaces were wrong
    # "CONCESSION DE TRAVAUX" / "CODE POSTAL" (AIFE), "marché" / "Code Postal" / "Appel d offres ouvert"
    # (Croix).
    return Cleaned(canonical, (f"{field}:enum_corrige",))


def normalise_enum_list(field: str, values: object) -> Cleaned[list[str]]:
    """Normalise a list enumeration (techniques, considerations…): a string, a list, or a v2 wrapper such as
    ``{"technique": [...]}``; duplicates removed (order kept). Never raises for any ``values``."""
    name = _field(field)
    if type(values) is dict and len(values) == 1:
        values = next(iter(values.values()))  # v2 JSON wrapper {"technique": [...]} or {"technique": "x"}
    if type(values) is list:  # fast path: exact values, no duplicates
        exact = _EXACT[name]
        out: list[str] = []
        for item in values:
            if type(item) is not str or item not in exact or item in out:
                break
            out.append(item)
        else:
            if out:
                return Cleaned(out, ())
    flags: list[str] = []
    items = _items(values, field, flags)
    if items is None:
        return Cleaned(None, (f"{field}:illisible",))
    out = []
    for item in items:
        cleaned = normalise_enum(field, item)
        if cleaned.value is None:
            if cleaned.flags != (f"{field}:manquant",):  # an empty item says nothing: dropped silently
                flags.extend(cleaned.flags)
            continue
        flags.extend(cleaned.flags)
        if cleaned.value in out:
            flags.append(f"{field}:doublon")
        else:
            out.append(cleaned.value)
    if not out:
        # [] or {} (megalis-bretagne / v2 empty arrays), whitespace-only XML <techniques> (decp-rama hybrid).
        flags.append(f"{field}:manquant")
        return Cleaned(None, tuple(dict.fromkeys(flags)))
    return Cleaned(out, tuple(dict.fromkeys(flags)))


def _items(values: object, field: str, flags: list[str]) -> list[object] | None:
    if values is None:
        return []
    if isinstance(values, str):
        text = values.strip()
        if text.startswith("[") and text.endswith("]"):
            # "['Pas de considération sociale']": MINEF decp-augmenté CSV
            # (tabular/minef_decp-augmente_valides_ 2022_sample.csv, id 202404) serialises lists as Python
            # reprs.
            flags.append(f"{field}:liste_texte")
            return [a or b for a, b in _PY_LIST_ITEM.findall(text)]
        return [values]
    if isinstance(values, dict):
        if not values:
            return []
        if len(values) == 1:
            return _items(next(iter(values.values())), field, flags)
        return None
    if isinstance(values, (list, tuple)):
        out: list[object] = []
        for item in values:
            if isinstance(item, dict) and len(item) == 1:
                item = next(iter(item.values()))  # [{"technique": "x"}, …] from some XML → JSON converters
            if isinstance(item, (list, tuple)):
                out.extend(item)
            else:
                out.append(item)
        return out
    return [values]


_TRUE, _FALSE = Cleaned(True, ()), Cleaned(False, ())
_LITERALS = {"true": True, "false": False, "oui": True, "non": False}  # xs:boolean and the v2 XSD's oui/non
_TEXT_BOOLS = {"1": True, "0": False, "o": True, "n": False, "vrai": True, "faux": False}


def parse_bool(value: object, field: str) -> Cleaned[bool]:
    """Read a boolean (marcheInnovant, attributionAvance, sousTraitanceDeclaree…); never raises."""
    if value is True:
        return _TRUE
    if value is False:
        return _FALSE
    if value is None:
        return Cleaned(None, (f"{field}:manquant",))
    if isinstance(value, str):
        text = value.strip().lower()
        if not text:
            # "<attributionAvance> </attributionAvance>": decp-rama hybrid XML (tests/test_tri.xml).
            return Cleaned(None, (f"{field}:manquant",))
        if text in _LITERALS:
            # "marcheInnovant": "non": semi-synthetic decp_test_2022.json id 202401L04. XML's spelling: no
            # flag.
            return _TRUE if _LITERALS[text] else _FALSE
        if text in _TEXT_BOOLS:
            return Cleaned(_TEXT_BOOLS[text], (f"{field}:texte",))
        return Cleaned(None, (f"{field}:illisible",))
    if isinstance(value, float) and math.isnan(value):
        return Cleaned(None, (f"{field}:nan",))
    if isinstance(value, (int, float)) and value in (0, 1):
        return Cleaned(bool(value), (f"{field}:texte",))  # a JSON 0/1 instead of false/true
    return Cleaned(None, (f"{field}:illisible",))
