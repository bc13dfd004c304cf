"""Undo the shape drift of DECP records before reading their values.

The same field arrives under several spellings and nestings (domain.md §1, pitfall 1). These helpers
turn every variant into one canonical shape, and say which defect they repaired, so the normaliser can
read values with plain dictionary lookups.
"""

from __future__ import annotations

from typing import Any

#: Key spellings seen in real files → canonical v2.0.3 key.
KEY_VARIANTS: dict[str, str] = {
    # 2019 → 2022 names, and v2.0.0 draft names (schemas/v2.0.0_2023-03).
    "typePrix": "typesPrix",
    "TypePrix": "typesPrix",
    "technique": "techniques",
    "modaliteExecution": "modalitesExecution",
    # Upper-case initials seen in exports.
    "Id": "id",
    "Objet": "objet",
    "Montant": "montant",
    "Nature": "nature",
    "Procedure": "procedure",
    "CodeCPV": "codeCPV",
    "codeCpv": "codeCPV",
    "DureeMois": "dureeMois",
    "DateNotification": "dateNotification",
}

#: Every key a v1.5 or v2.0.3 record may carry; anything else is kept verbatim in ``extra``.
KNOWN_KEYS: frozenset[str] = frozenset(
    {
        "id", "uid", "uuid", "_type", "acheteur", "autoriteConcedante", "nature", "objet", "codeCPV",
        "procedure", "techniques", "modalitesExecution", "idAccordCadre", "marcheInnovant", "ccag",
        "offresRecues", "attributionAvance", "tauxAvance", "typeGroupementOperateurs",
        "sousTraitanceDeclaree", "actesSousTraitance", "modificationsActesSousTraitance",
        "lieuExecution", "dureeMois", "dateNotification", "datePublicationDonnees", "montant",
        "typesPrix", "formePrix", "origineUE", "origineFrance", "titulaires", "concessionnaires",
        "considerationsSociales", "considerationsEnvironnementales", "modifications", "dateSignature",
        "dateDebutExecution", "valeurGlobale", "montantSubventionPublique", "donneesExecution",
    }
)

#: Keys that only the 2022 format (v2.0.x) defines: their presence marks a 2022 or hybrid record.
KEYS_2022: frozenset[str] = frozenset(
    {
        "techniques", "modalitesExecution", "idAccordCadre", "marcheInnovant", "ccag", "offresRecues",
        "attributionAvance", "tauxAvance", "typeGroupementOperateurs", "sousTraitanceDeclaree",
        "actesSousTraitance", "modificationsActesSousTraitance", "typesPrix", "origineUE",
        "origineFrance", "considerationsSociales", "considerationsEnvironnementales",
    }
)


#: Keys of nested objects that are known to be clean (fast path of :func:`clean_object_keys`).
_CLEAN_NESTED_KEYS: frozenset[str] = frozenset(
    {"id", "nom", "code", "typeCode", "typeIdentifiant", "denominationSociale", "sousTraitant", "montant",
     "dureeMois", "dateNotification", "datePublicationDonnees", "variationPrix", "objetModification",
     "dateNotificationModification", "datePublicationDonneesModification", "titulaires", "valeurGlobale",
     "dateSignatureModification", "dateNotificationModificationSousTraitance",
     "datePublicationDonneesExecution", "depensesInvestissement", "tarifs", "intituleTarif", "tarif"}
)


def canonical_keys(record: dict[str, Any], flags: list[str]) -> dict[str, Any]:
    """Return the record with canonical top-level keys.

    Repairs: a key with surrounding spaces (Croix file: ``"nom "`` in lieuExecution), key variants
    (``typePrix``/``TypePrix``), flat dotted keys (semi-synthetic MINEF record: ``"acheteur.id"``).
    """
    if record.keys() <= KNOWN_KEYS:
        return record
    out: dict[str, Any] = {}
    for key, value in record.items():
        clean = key.strip() if isinstance(key, str) else str(key)
        if clean != key:
            flags.append(f"{clean}:cle_espaces")
        if "." in clean:
            # MINEF's consolidated 2019 file flattened nested keys: "acheteur.id", "acheteur.nom".
            parent, _, child = clean.partition(".")
            if parent in ("acheteur", "autoriteConcedante", "lieuExecution"):
                nested = out.setdefault(parent, {})
                if isinstance(nested, dict) and child:
                    nested.setdefault(child, value)
                    flags.append(f"{parent}:cle_aplatie")
                    continue
        canonical = KEY_VARIANTS.get(clean, clean)
        if canonical != clean:
            flags.append(f"{canonical}:cle_variante")
        if canonical in out and out[canonical] not in (None, "", [], {}):
            if value not in (None, "", [], {}):
                flags.append(f"{canonical}:cle_en_double")
            continue
        out[canonical] = value
    return out


def clean_object_keys(value: object) -> dict[str, Any]:
    """A nested object (acheteur, lieuExecution…) with stripped keys; anything else gives ``{}``."""
    if not isinstance(value, dict):
        return {}
    if value.keys() <= _CLEAN_NESTED_KEYS or all(isinstance(k, str) and k == k.strip() for k in value):
        return value
    return {str(k).strip(): v for k, v in value.items()}


def is_blank(value: object) -> bool:
    """Missing, empty, or whitespace only (XML gives ``"\\n    "`` for an empty element)."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, dict)):
        return not value
    return False


def as_items(value: object, wrapper: str, field: str, flags: list[str]) -> list[Any]:
    """Items of a DECP list whatever its shape.

    Shapes seen: 2019 plain list ``[{...}]``; 2022 wrapped list ``[{"titulaire": {...}}]``; XML converted
    ``{"titulaire": [...]}`` or ``{"titulaire": {...}}``; a single object where a list is expected; and a
    list of lists (MINEF decp-2019.json bug, semi-synthetic fixture ``decp_test_2019.json``).
    """
    if type(value) is list:
        # Fast path: the 2022 wrapped list [{"titulaire": {...}}, ...] or the 2019 plain list of objects.
        out: list[Any] = []
        for item in value:
            if type(item) is not dict or not item:
                return _flatten(value, wrapper, field, flags)
            if len(item) == 1 and wrapper in item:
                inner = item[wrapper]
                if type(inner) is not dict or not inner:
                    return _flatten(value, wrapper, field, flags)
                out.append(inner)
            else:
                out.append(item)
        return out
    if is_blank(value):
        return []
    if isinstance(value, dict):
        if len(value) == 1 and wrapper in value:
            inner = value[wrapper]
            if is_blank(inner):
                return []
            return _flatten(inner if isinstance(inner, list) else [inner], wrapper, field, flags)
        flags.append(f"{field}:objet_au_lieu_de_liste")
        return [value]
    if isinstance(value, list):
        return _flatten(value, wrapper, field, flags)
    flags.append(f"{field}:type_invalide")
    return []


def _flatten(items: list[Any], wrapper: str, field: str, flags: list[str]) -> list[Any]:
    out: list[Any] = []
    for item in items:
        if isinstance(item, dict) and len(item) == 1 and wrapper in item:
            inner = item[wrapper]
            if isinstance(inner, list):
                out.extend(inner)
            elif not is_blank(inner):
                out.append(inner)
        elif isinstance(item, list):
            flags.append(f"{field}:liste_de_listes")
            out.extend(_flatten(item, wrapper, field, flags))
        elif is_blank(item):
            flags.append(f"{field}:element_vide")
        else:
            out.append(item)
    return out
