"""Build one regulatory DECP record (schema v2.0.3 or v1.5) from a warehouse contract and its child rows.

Pure: no I/O, no validation (``spaser.decp.export_decp`` validates every record before writing it).

The one rule is *never invent a value*: a key is written only when the warehouse holds a value for it
(a null column or an empty list leaves the key out, even when the schema requires it: the record then
fails validation and goes to the rejects file). What the builders do to warehouse values:

* reshape them (v2.0.3 wrapped lists ``titulaires: [{"titulaire": {...}}]``, ``techniques: {"technique":
  [...]}``…; v1.5 plain lists), write dates as ``YYYY-MM-DD`` and the initial amount / duration
  (``montant_initial``, ``duree_mois_initiale``) at the top level, the new values in modifications;
* type them as the schema wants: an identifier stored as the text ``"1"`` is written as the integer 1
  where the schema asks for an integer (modification and sous-traitance ids), a tarif stored as the text
  ``"14.29"`` (XML sources) as the number 14.29; a text that is not a plain number is written as is (and
  rejected by the schema);
* map an enumeration value to the target spelling only where the mapping is lossless
  (:data:`LOSSLESS_ENUM_MAPS`); every other value is written as stored.

Two structural values come from the warehouse's structure rather than from a column: the v1.5
discriminator ``_type`` ("Marché" / "Contrat de concession", from ``kind``) and, in v1.5 only, the
required lists ``modifications`` and ``donneesExecution`` written as ``[]`` when the warehouse holds no
child row for the contract (``n_modifications = 0``): every 2019 record of the shared real files carries
these lists, empty when there is nothing to say.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from typing import Any

Row = dict[str, Any]

#: Lossless enumeration mappings applied when writing the 2022 format, per kind ("marche" /
#: "concession") and field. v2.0.3 names the reserved-contract consideration after the kind of
#: contract ("Marché réservé" / "Concession réservée"); the warehouse accepts both for either kind.
LOSSLESS_ENUM_MAPS: dict[str, dict[str, dict[str, str]]] = {
    "marche": {"considerationSociale": {"Concession réservée": "Marché réservé"}},
    "concession": {"considerationSociale": {"Marché réservé": "Concession réservée"}},
}

_INTEGER_TEXT = re.compile(r"[0-9]+", re.ASCII)
_DECIMAL_TEXT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?", re.ASCII)


def _put(target: dict[str, Any], key: str, value: Any) -> None:
    """Set ``key`` when the warehouse holds a value (None and empty lists/objects are left out)."""
    if value is None or (isinstance(value, (list, dict)) and not value):
        return
    if isinstance(value, dt.date):
        value = value.isoformat()
    target[key] = value


def _obj(**values: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        _put(out, key, value)
    return out


def as_integer_id(value: str | None) -> int | str | None:
    """``"1"`` → 1 (the schema's integer ids); any other text is kept as stored."""
    if value is not None and _INTEGER_TEXT.fullmatch(value):
        return int(value)
    return value


def as_number(value: Any) -> Any:
    """A tarif from the ``tarifs`` JSON column: numbers as is, plain decimal text as a number."""
    if isinstance(value, str) and _DECIMAL_TEXT.fullmatch(value.strip()):
        return float(value.strip())
    return value


def _enum_list(values: list[str] | None, kind: str, field: str) -> list[str] | None:
    if not values:
        return None
    mapping = LOSSLESS_ENUM_MAPS.get(kind, {}).get(field, {})
    return [mapping.get(v, v) for v in values]


def _wrapped(wrapper: str, values: list[str] | None) -> dict[str, list[str]] | None:
    return {wrapper: values} if values else None


def _parties(rows: Iterable[Row], rank: int, wrapper: str | None, with_name: bool) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for row in rows:
        if row["modification_rank"] != rank:
            continue
        party = _obj(typeIdentifiant=row["type_identifiant"], id=row["id"])
        if with_name:
            _put(party, "denominationSociale", row["denomination_sociale"])
        out.append({wrapper: party} if wrapper else party)
    return out


def _tarifs(text: str | None, wrapped: bool) -> list[dict[str, Any]]:
    items = json.loads(text) if text else []
    out: list[dict[str, Any]] = []
    for item in items:
        tarif = _obj(intituleTarif=item.get("intituleTarif"), tarif=as_number(item.get("tarif")))
        out.append({"tarif": tarif} if wrapped else tarif)
    return out


def build_2022(row: Row) -> dict[str, Any]:
    """A v2.0.3 ``marche`` or ``contrat-concession`` object from a contract row and its children."""
    return _concession_2022(row) if row["kind"] == "concession" else _marche_2022(row)


def _modifications_2022(row: Row, concession: bool) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    titulaires = row.get("child_titulaires") or []
    for mod in row.get("child_modifications") or []:
        item = _obj(id=as_integer_id(mod["id"]))
        if concession:
            _put(item, "dateSignatureModification", mod["date_notification_modification"])
        else:
            _put(item, "dateNotificationModification", mod["date_notification_modification"])
        _put(item, "datePublicationDonneesModification", mod["date_publication_donnees_modification"])
        _put(item, "dureeMois", mod["duree_mois"])
        _put(item, "valeurGlobale" if concession else "montant", mod["montant"])
        if not concession:
            _put(item, "titulaires", _parties(titulaires, mod["rank"], "titulaire", with_name=False))
        out.append({"modification": item})
    return out


def _marche_2022(row: Row) -> dict[str, Any]:
    kind = "marche"
    rec = _obj(id=row["id"], acheteur=_obj(id=row["acheteur_id"]), nature=row["nature"], objet=row["objet"],
               codeCPV=row["code_cpv"])
    _put(rec, "techniques", _wrapped("technique", row["techniques"]))
    _put(rec, "modalitesExecution", _wrapped("modaliteExecution", row["modalites_execution"]))
    _put(rec, "idAccordCadre", row["id_accord_cadre"])
    _put(rec, "marcheInnovant", row["marche_innovant"])
    _put(rec, "ccag", row["ccag"])
    _put(rec, "offresRecues", row["offres_recues"])
    _put(rec, "attributionAvance", row["attribution_avance"])
    _put(rec, "tauxAvance", row["taux_avance"])
    _put(rec, "typeGroupementOperateurs", row["type_groupement_operateurs"])
    _put(rec, "sousTraitanceDeclaree", row["sous_traitance_declaree"])
    actes = [
        {"acteSousTraitance": _obj(
            id=as_integer_id(a["id"]),
            sousTraitant=_obj(typeIdentifiant=a["sous_traitant_type_identifiant"], id=a["sous_traitant_id"]),
            dureeMois=a["duree_mois"], dateNotification=a["date_notification"],
            datePublicationDonnees=a["date_publication_donnees"], montant=a["montant"],
            variationPrix=a["variation_prix"])}
        for a in row.get("child_actes") or []
    ]
    _put(rec, "actesSousTraitance", actes)
    _put(rec, "procedure", row["procedure"])
    _put(rec, "lieuExecution", _obj(code=row["lieu_execution_code"], typeCode=row["lieu_execution_type_code"]))
    _put(rec, "dureeMois", row["duree_mois_initiale"])
    _put(rec, "dateNotification", row["date_notification"])
    _put(rec, "datePublicationDonnees", row["date_publication_donnees"])
    _put(rec, "montant", row["montant_initial"])
    _put(rec, "typesPrix", _wrapped("typePrix", row["types_prix"]))
    _put(rec, "formePrix", row["forme_prix"])
    _put(rec, "origineUE", row["origine_ue"])
    _put(rec, "origineFrance", row["origine_france"])
    _put(rec, "titulaires", _parties(row.get("child_titulaires") or [], 0, "titulaire", with_name=False))
    _put(rec, "considerationsSociales", _wrapped(
        "considerationSociale", _enum_list(row["considerations_sociales"], kind, "considerationSociale")))
    _put(rec, "considerationsEnvironnementales", _wrapped(
        "considerationEnvironnementale",
        _enum_list(row["considerations_environnementales"], kind, "considerationEnvironnementale")))
    modifs_actes = [
        {"modificationActeSousTraitance": _obj(
            id=as_integer_id(m["id"]), dureeMois=m["duree_mois"],
            dateNotificationModificationSousTraitance=m["date_notification_modification_sous_traitance"],
            montant=m["montant"], datePublicationDonnees=m["date_publication_donnees"])}
        for m in row.get("child_modifs_actes") or []
    ]
    _put(rec, "modificationsActesSousTraitance", modifs_actes)
    _put(rec, "modifications", _modifications_2022(row, concession=False))
    return rec


def _concession_2022(row: Row) -> dict[str, Any]:
    kind = "concession"
    rec = _obj(id=row["id"], autoriteConcedante=_obj(id=row["acheteur_id"]), nature=row["nature"],
               objet=row["objet"], procedure=row["procedure"], dureeMois=row["duree_mois_initiale"],
               dateSignature=row["date_notification"], datePublicationDonnees=row["date_publication_donnees"],
               dateDebutExecution=row["date_debut_execution"], valeurGlobale=row["montant_initial"],
               montantSubventionPublique=row["montant_subvention_publique"])
    execution = [
        {"donneesAnnuelles": _obj(
            datePublicationDonneesExecution=d["date_publication_donnees_execution"],
            depensesInvestissement=d["depenses_investissement"], tarifs=_tarifs(d["tarifs"], wrapped=True))}
        for d in row.get("child_execution") or []
    ]
    _put(rec, "donneesExecution", execution)
    _put(rec, "concessionnaires",
         _parties(row.get("child_titulaires") or [], 0, "concessionnaire", with_name=False))
    _put(rec, "considerationsSociales", _wrapped(
        "considerationSociale", _enum_list(row["considerations_sociales"], kind, "considerationSociale")))
    _put(rec, "considerationsEnvironnementales", _wrapped(
        "considerationEnvironnementale",
        _enum_list(row["considerations_environnementales"], kind, "considerationEnvironnementale")))
    _put(rec, "modifications", _modifications_2022(row, concession=True))
    return rec


def build_2019(row: Row) -> dict[str, Any]:
    """A v1.5 item of ``marches`` (``_type`` "Marché" or "Contrat de concession")."""
    concession = row["kind"] == "concession"
    rec = _obj(id=row["id"], uid=row["uid"])
    rec["_type"] = "Contrat de concession" if concession else "Marché"
    _put(rec, "autoriteConcedante" if concession else "acheteur",
         _obj(id=row["acheteur_id"], nom=row["acheteur_nom"]))
    _put(rec, "nature", row["nature"])
    _put(rec, "objet", row["objet"])
    if not concession:
        _put(rec, "codeCPV", row["code_cpv"])
    _put(rec, "procedure", row["procedure"])
    _put(rec, "lieuExecution", _obj(code=row["lieu_execution_code"], typeCode=row["lieu_execution_type_code"],
                                    nom=row["lieu_execution_nom"]))
    _put(rec, "dureeMois", row["duree_mois_initiale"])
    titulaires = row.get("child_titulaires") or []
    if concession:
        _put(rec, "dateSignature", row["date_notification"])
        _put(rec, "datePublicationDonnees", row["date_publication_donnees"])
        _put(rec, "dateDebutExecution", row["date_debut_execution"])
        _put(rec, "valeurGlobale", row["montant_initial"])
        _put(rec, "montantSubventionPublique", row["montant_subvention_publique"])
        rec["donneesExecution"] = [
            _obj(datePublicationDonneesExecution=d["date_publication_donnees_execution"],
                 depensesInvestissement=d["depenses_investissement"], tarifs=_tarifs(d["tarifs"], wrapped=False))
            for d in row.get("child_execution") or []
        ]
        _put(rec, "concessionnaires", _parties(titulaires, 0, None, with_name=True))
    else:
        _put(rec, "dateNotification", row["date_notification"])
        _put(rec, "datePublicationDonnees", row["date_publication_donnees"])
        _put(rec, "montant", row["montant_initial"])
        _put(rec, "formePrix", row["forme_prix"])
        _put(rec, "titulaires", _parties(titulaires, 0, None, with_name=True))
    modifications: list[dict[str, Any]] = []
    for mod in row.get("child_modifications") or []:
        item = _obj(objetModification=mod["objet_modification"])
        _put(item, "dateSignatureModification" if concession else "dateNotificationModification",
             mod["date_notification_modification"])
        _put(item, "datePublicationDonneesModification", mod["date_publication_donnees_modification"])
        _put(item, "dureeMois", mod["duree_mois"])
        _put(item, "valeurGlobale" if concession else "montant", mod["montant"])
        if not concession:
            _put(item, "titulaires", _parties(titulaires, mod["rank"], None, with_name=True))
        modifications.append(item)
    rec["modifications"] = modifications
    return rec
