"""Child rows of a DECP record: titulaires, modifications, sous-traitance, concession execution data.

Pure functions called by :mod:`spaser.decp.normalise`; flags and raw values go to the shared lists
of the record being normalised.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import msgspec

from spaser.decp import enums
from spaser.decp.shapes import as_items, clean_object_keys, is_blank
from spaser.domain.dates import clean_date
from spaser.domain.duree import clean_duree_mois
from spaser.domain.montant import clean_montant, is_suspicious
from spaser.domain.siret import clean_identifiant
from spaser.domain.text import clean_text

_json = msgspec.json.Encoder()


@dataclass(slots=True)
class PartsContext:
    record_uid: str
    flags: list[str]
    invalid: dict[str, Any]
    today: dt.date
    aberrant: float
    is_concession: bool
    from_xml: bool

    def keep(self, name: str, raw: object, value: Any, flags: tuple[str, ...]) -> Any:
        if flags:
            if self.from_xml:
                flags = tuple(f for f in flags if not f.endswith(":texte"))
            self.flags.extend(flags)
            if raw is not None and value != raw and not isinstance(raw, (dict, list)):
                self.invalid.setdefault(name, raw)
        return value


def read_titulaires(items: list[Any], modification_rank: int, ctx: PartsContext, role: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    field = "concessionnaire" if role == "concessionnaire" else "titulaire"
    for rank, item in enumerate(items, start=1):
        party = clean_object_keys(item)
        if not party:
            ctx.flags.append(f"{field}:invalide")
            ctx.invalid.setdefault(f"{field}s[{modification_rank}][{rank}]", item)  # kept, not lost
            continue
        type_id, ident, flags, valid = clean_identifiant(party.get("typeIdentifiant"), party.get("id"), field)
        ctx.keep(f"{field}s[{rank}].id", party.get("id"), ident, flags)
        name = clean_text(party.get("denominationSociale"), "denominationSociale") if (
            "denominationSociale" in party) else None
        if name is not None:
            ctx.flags.extend(name.flags)
        rows.append({
            "record_uid": ctx.record_uid,
            "modification_rank": modification_rank,
            "rank": rank,
            "role": role,
            "type_identifiant": type_id,
            "id": ident,
            "denomination_sociale": name.value if name is not None else None,
            "siret_valide": valid,
        })
    return rows


def _sequence(mod: dict[str, Any], position: int) -> tuple[int, int]:
    raw = mod.get("id")
    try:
        return (int(str(raw).strip()), position)
    except (TypeError, ValueError):
        return (10**9, position)


def read_modifications(
    items: list[Any], ctx: PartsContext
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], bool]:
    """Modifications in the order they apply (their ``id`` sequence, else file order).

    Real defects: empty modification objects and modifications without dates (Croix file), concession
    fields inside a marché's modification (domain.md pitfall 10).
    """
    if not items:
        return [], [], False
    mods: list[tuple[tuple[int, int], dict[str, Any]]] = []
    for position, item in enumerate(items):
        mod = clean_object_keys(item)
        if all(is_blank(v) for v in mod.values()):
            ctx.flags.append("modifications:vide")
            continue
        mods.append((_sequence(mod, position), mod))
    mods.sort(key=lambda pair: pair[0])
    rows: list[dict[str, Any]] = []
    titulaires: list[dict[str, Any]] = []
    suspect = False
    date_key = "dateSignatureModification" if ctx.is_concession else "dateNotificationModification"
    amount_key = "valeurGlobale" if ctx.is_concession else "montant"
    for rank, (_, mod) in enumerate(mods, start=1):
        raw_amount = mod.get(amount_key)
        if raw_amount is None:
            other = "montant" if ctx.is_concession else "valeurGlobale"
            if not is_blank(mod.get(other)):
                raw_amount = mod.get(other)
                ctx.flags.append(f"modifications:{other}_au_lieu_de_{amount_key}")
        amount = clean_montant(raw_amount, f"modification.{amount_key}", ctx.aberrant) if not is_blank(
            raw_amount) else None
        if amount is not None:
            suspect = suspect or is_suspicious(amount.flags)
            ctx.keep(f"modifications[{rank}].{amount_key}", raw_amount, amount.value, amount.flags)
        duree = clean_duree_mois(mod.get("dureeMois"), "modification.dureeMois") if not is_blank(
            mod.get("dureeMois")) else None
        if duree is not None:
            ctx.keep(f"modifications[{rank}].dureeMois", mod.get("dureeMois"), duree.value, duree.flags)
        raw_date = mod.get(date_key)
        if raw_date is None and not is_blank(mod.get("dateNotificationModification")):
            raw_date = mod.get("dateNotificationModification")
        date = clean_date(raw_date, f"modification.{date_key}", ctx.today)
        ctx.keep(f"modifications[{rank}].{date_key}", raw_date, date.value, date.flags)
        pub = clean_date(mod.get("datePublicationDonneesModification"),
                         "modification.datePublicationDonneesModification", ctx.today)
        ctx.keep(f"modifications[{rank}].datePublicationDonneesModification",
                 mod.get("datePublicationDonneesModification"), pub.value, pub.flags)
        objet = clean_text(mod.get("objetModification"), "objetModification")
        parties = as_items(mod.get("titulaires"), "titulaire", "modification.titulaires", ctx.flags)
        mod_titulaires = read_titulaires(parties, rank, ctx, "titulaire")
        titulaires.extend(mod_titulaires)
        known = {"id", "objetModification", "dateNotificationModification", "dateSignatureModification",
                 "datePublicationDonneesModification", "dureeMois", "montant", "valeurGlobale", "titulaires"}
        extra = {k: v for k, v in mod.items() if k not in known}
        raw_id = mod.get("id")
        rows.append({
            "record_uid": ctx.record_uid,
            "rank": rank,
            "id": None if is_blank(raw_id) else str(raw_id).strip(),
            "objet_modification": objet.value,
            "date_notification_modification": date.value,
            "date_publication_donnees_modification": pub.value,
            "duree_mois": duree.value if duree is not None else None,
            "montant": amount.value if amount is not None else None,
            "n_titulaires": len(mod_titulaires),
            "extra": _json.encode(extra).decode() if extra else None,
        })
    return rows, titulaires, suspect


def read_actes_sous_traitance(items: list[Any], ctx: PartsContext) -> list[dict[str, Any]]:
    """Real defect: Mégalis Bretagne's actes with only ``id`` and ``sousTraitant`` (missing dates,
    amount, duration): kept with what they have, flagged by the missing fields' rules."""
    rows: list[dict[str, Any]] = []
    for rank, item in enumerate(items, start=1):
        acte = clean_object_keys(item)
        if not acte:
            ctx.flags.append("actesSousTraitance:invalide")
            ctx.invalid.setdefault(f"actesSousTraitance[{rank}]", item)
            continue
        st = clean_object_keys(acte.get("sousTraitant"))
        type_id, ident, flags, _ = clean_identifiant(st.get("typeIdentifiant"), st.get("id"), "sousTraitant")
        ctx.keep(f"actesSousTraitance[{rank}].sousTraitant.id", st.get("id"), ident, flags)
        rows.append({
            "record_uid": ctx.record_uid,
            "rank": rank,
            "id": None if is_blank(acte.get("id")) else str(acte.get("id")).strip(),
            "sous_traitant_type_identifiant": type_id,
            "sous_traitant_id": ident,
            "duree_mois": _opt_duree(acte.get("dureeMois"), "acteSousTraitance.dureeMois", ctx),
            "date_notification": _opt_date(acte.get("dateNotification"), "acteSousTraitance.dateNotification",
                                           ctx),
            "date_publication_donnees": _opt_date(acte.get("datePublicationDonnees"),
                                                  "acteSousTraitance.datePublicationDonnees", ctx),
            "montant": _opt_montant(acte.get("montant"), "acteSousTraitance.montant", ctx),
            "variation_prix": _opt_enum(acte.get("variationPrix"), "variationPrix", ctx),
        })
    return rows


def read_modifications_actes(items: list[Any], ctx: PartsContext) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for rank, item in enumerate(items, start=1):
        mod = clean_object_keys(item)
        if not mod:
            ctx.flags.append("modificationsActesSousTraitance:invalide")
            ctx.invalid.setdefault(f"modificationsActesSousTraitance[{rank}]", item)
            continue
        rows.append({
            "record_uid": ctx.record_uid,
            "rank": rank,
            "id": None if is_blank(mod.get("id")) else str(mod.get("id")).strip(),
            "duree_mois": _opt_duree(mod.get("dureeMois"), "modificationActeSousTraitance.dureeMois", ctx),
            "date_notification_modification_sous_traitance": _opt_date(
                mod.get("dateNotificationModificationSousTraitance"),
                "modificationActeSousTraitance.dateNotificationModificationSousTraitance", ctx),
            "montant": _opt_montant(mod.get("montant"), "modificationActeSousTraitance.montant", ctx),
            "date_publication_donnees": _opt_date(mod.get("datePublicationDonnees"),
                                                  "modificationActeSousTraitance.datePublicationDonnees", ctx),
        })
    return rows


def read_donnees_execution(items: list[Any], ctx: PartsContext) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for rank, item in enumerate(items, start=1):
        data = clean_object_keys(item)
        if not data:
            ctx.flags.append("donneesExecution:invalide")
            ctx.invalid.setdefault(f"donneesExecution[{rank}]", item)
            continue
        tarifs = []
        for item_tarif in as_items(data.get("tarifs"), "tarif", "tarifs", ctx.flags):
            tarif = dict(clean_object_keys(item_tarif))
            if "tarif" in tarif:
                # XML gives "14.29" (official example Contrat-concession.xml): an amount like any other.
                tarif["tarif"] = _opt_montant(tarif["tarif"], "donneesExecution.tarif", ctx,
                                              zero_ok=True)
            tarifs.append(tarif)
        rows.append({
            "record_uid": ctx.record_uid,
            "rank": rank,
            "date_publication_donnees_execution": _opt_date(
                data.get("datePublicationDonneesExecution"), "donneesExecution.datePublicationDonneesExecution",
                ctx),
            "depenses_investissement": _opt_montant(data.get("depensesInvestissement"),
                                                    "donneesExecution.depensesInvestissement", ctx, zero_ok=True),
            "tarifs": _json.encode(tarifs).decode() if tarifs else None,
        })
    return rows


def _opt_date(raw: object, field: str, ctx: PartsContext) -> dt.date | None:
    if is_blank(raw):
        return None
    cleaned = clean_date(raw, field, ctx.today)
    value: dt.date | None = ctx.keep(field, raw, cleaned.value, cleaned.flags)
    return value


def _opt_duree(raw: object, field: str, ctx: PartsContext) -> int | None:
    if is_blank(raw):
        return None
    cleaned = clean_duree_mois(raw, field)
    value: int | None = ctx.keep(field, raw, cleaned.value, cleaned.flags)
    return value


def _opt_montant(raw: object, field: str, ctx: PartsContext, zero_ok: bool = False) -> float | None:
    if is_blank(raw):
        return None
    cleaned = clean_montant(raw, field, ctx.aberrant)
    flags = tuple(f for f in cleaned.flags if not (zero_ok and f.endswith(":zero")))
    value: float | None = ctx.keep(field, raw, cleaned.value, flags)
    return value


def _opt_enum(raw: object, field: str, ctx: PartsContext) -> str | None:
    if is_blank(raw):
        return None
    cleaned = enums.normalise_enum(field, raw)
    value: str | None = ctx.keep(field, raw, cleaned.value, cleaned.flags)
    return value
