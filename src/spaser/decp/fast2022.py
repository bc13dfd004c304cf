"""Typed fast path for clean 2022-format marchés: the bulk of a national file.

msgspec decodes the record straight into a typed struct whose enumerations are ``Literal`` types, whose
booleans are booleans and whose lists are non-empty: that validation runs in C. A record that decodes
needs none of the shape repairs and enumeration rules of the general path, and skips them; any record
that does not fit (a string amount, an upper-case enumeration, an unknown key, a 2019 record…) raises,
and the caller sends it through :func:`spaser.decp.normalise.normalise`.

The output must be exactly the general path's: the same cleaning functions are called for every value
that still needs a rule (identifiers, dates, amounts, durations, free text), child lists go through the
same readers, and :func:`spaser.decp.normalise.complete` finishes both.
``tests/unit/decp/test_fast2022.py`` checks the equality on real, official and generated records.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from spaser.decp import enums
from spaser.decp.normalise import (
    Collector,
    Normalised,
    RecordContext,
    complete,
)
from spaser.decp.parts import PartsContext, read_titulaires
from spaser.decp.shapes import as_items
from spaser.domain.cpv import clean_cpv
from spaser.domain.dates import clean_date
from spaser.domain.duree import clean_duree_mois
from spaser.domain.montant import clean_montant, is_suspicious
from spaser.domain.siret import clean_acheteur_id
from spaser.domain.text import clean_text

UNSET = msgspec.UNSET
Unset = msgspec.UnsetType

# Literal types built from the enumeration tables (one source of truth for the allowed values).
Nature = Literal[enums.NATURE_MARCHE_2022]  # type: ignore[valid-type]
Procedure = Literal[enums.PROCEDURE_MARCHE]  # type: ignore[valid-type]
Ccag = Literal[enums.CCAG]  # type: ignore[valid-type]
Groupement = Literal[enums.TYPE_GROUPEMENT_OPERATEURS]  # type: ignore[valid-type]
FormePrix = Literal[enums.FORME_PRIX_2022]  # type: ignore[valid-type]
TypeCode = Literal[enums.TYPE_CODE]  # type: ignore[valid-type]
Technique = Literal[enums.TECHNIQUE]  # type: ignore[valid-type]
Modalite = Literal[enums.MODALITE_EXECUTION]  # type: ignore[valid-type]
TypePrix = Literal[enums.TYPE_PRIX]  # type: ignore[valid-type]
Sociale = Literal[enums.CONSIDERATION_SOCIALE]  # type: ignore[valid-type]
Environnementale = Literal[enums.CONSIDERATION_ENVIRONNEMENTALE]  # type: ignore[valid-type]
Share = Annotated[float, msgspec.Meta(ge=0, le=1)]
Text = Annotated[str, msgspec.Meta(min_length=1)]


class StrictStruct(msgspec.Struct, forbid_unknown_fields=True):
    pass


class _Acheteur(StrictStruct):
    id: Text


class _Lieu(StrictStruct):
    code: Text
    typeCode: TypeCode


class _Techniques(StrictStruct):
    technique: Annotated[list[Technique], msgspec.Meta(min_length=1)]


class _Modalites(StrictStruct):
    modaliteExecution: Annotated[list[Modalite], msgspec.Meta(min_length=1)]


class _TypesPrix(StrictStruct):
    typePrix: Annotated[list[TypePrix], msgspec.Meta(min_length=1)]


class _Sociales(StrictStruct):
    considerationSociale: Annotated[list[Sociale], msgspec.Meta(min_length=1)]


class _Environnementales(StrictStruct):
    considerationEnvironnementale: Annotated[list[Environnementale], msgspec.Meta(min_length=1)]


class MarcheCore(StrictStruct):
    """The required v2.0.3 marché fields whose values need no more than their type (both typed paths)."""

    id: Text
    acheteur: _Acheteur
    nature: Nature
    codeCPV: Text
    techniques: _Techniques
    modalitesExecution: _Modalites
    marcheInnovant: bool
    ccag: Ccag
    offresRecues: Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)]  # beyond: the general path flags it
    attributionAvance: bool
    typeGroupementOperateurs: Groupement
    sousTraitanceDeclaree: bool
    procedure: Procedure
    lieuExecution: _Lieu
    dureeMois: int
    dateNotification: Text
    datePublicationDonnees: Text
    montant: float
    typesPrix: _TypesPrix
    formePrix: FormePrix
    considerationsSociales: _Sociales
    considerationsEnvironnementales: _Environnementales

    def enum_lists(self) -> tuple[list[str], list[str], list[str], list[str], list[str]] | None:
        """techniques, modalités, types de prix, social and environmental considerations; ``None`` when one
        repeats an item (the general path flags ``doublon``)."""
        lists = (self.techniques.technique, self.modalitesExecution.modaliteExecution, self.typesPrix.typePrix,
                 self.considerationsSociales.considerationSociale,
                 self.considerationsEnvironnementales.considerationEnvironnementale)
        for values in lists:
            if len(values) > 1 and len(set(values)) != len(values):
                return None
        return lists


class Marche2022(MarcheCore):
    """A marché record in the clean v2.0.3 shape (child lists are decoded generically)."""

    objet: str
    titulaires: list[Any]
    idAccordCadre: Text | Unset = UNSET
    tauxAvance: Share | Unset = UNSET
    origineUE: Share | Unset = UNSET
    origineFrance: Share | Unset = UNSET
    actesSousTraitance: list[Any] | Unset = UNSET
    modificationsActesSousTraitance: list[Any] | Unset = UNSET
    modifications: list[Any] | Unset = UNSET


decoder = msgspec.json.Decoder(Marche2022)


def normalise_fast(raw: bytes, ctx: RecordContext) -> Normalised | None:
    """Normalise a clean 2022 marché; ``None`` when the record needs the general path."""
    try:
        m = decoder.decode(raw)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None
    lists = m.enum_lists()
    if lists is None:
        return None
    c = Collector(False)
    buyer = clean_acheteur_id(m.acheteur.id)
    acheteur_id = c.take("acheteur_id", m.acheteur.id, buyer.value, buyer.flags)
    cid = clean_text(m.id, "id")
    contract_id = c.take("id", m.id, cid.value, cid.flags)
    if acheteur_id is None and contract_id is None:
        return None
    parts_ctx = PartsContext(ctx.record_uid, c.flags, c.invalid, ctx.today, ctx.aberrant, False, False)
    raw_parties = as_items(m.titulaires, "titulaire", "titulaires", c.flags)
    hybrid = any(isinstance(p, dict) and "denominationSociale" in p for p in raw_parties)
    titulaires = read_titulaires(raw_parties, 0, parts_ctx, "titulaire")
    if acheteur_id and any(t["id"] == acheteur_id for t in titulaires):
        c.flags.append("titulaires:egal_acheteur")
    objet = clean_text(m.objet, "objet")
    cpv = clean_cpv(m.codeCPV)
    lieu_code = clean_text(m.lieuExecution.code, "lieuExecution.code")
    duree = clean_duree_mois(m.dureeMois, "dureeMois")
    notified = clean_date(m.dateNotification, "dateNotification", ctx.today)
    published = clean_date(m.datePublicationDonnees, "datePublicationDonnees", ctx.today)
    amount = clean_montant(m.montant, "montant", ctx.aberrant)
    row = ctx.row_head("marche", "hybrid" if hybrid else "2022", contract_id, acheteur_id)
    row.update({
        "nature": m.nature,
        "objet": c.take("objet", m.objet, objet.value, objet.flags),
        "procedure": m.procedure,
        "ccag": m.ccag,
        "type_groupement_operateurs": m.typeGroupementOperateurs,
        "forme_prix": m.formePrix,
        "techniques": list(lists[0]),
        "modalites_execution": list(lists[1]),
        "types_prix": list(lists[2]),
        "considerations_sociales": list(lists[3]),
        "considerations_environnementales": list(lists[4]),
        "marche_innovant": m.marcheInnovant,
        "attribution_avance": m.attributionAvance,
        "sous_traitance_declaree": m.sousTraitanceDeclaree,
        "offres_recues": m.offresRecues,
        "code_cpv": c.take("code_cpv", m.codeCPV, cpv.value, cpv.flags),
        "lieu_execution_code": c.take("lieu_execution_code", m.lieuExecution.code, lieu_code.value,
                                      lieu_code.flags),
        "lieu_execution_type_code": m.lieuExecution.typeCode,
        "duree_mois_initiale": c.take("duree_mois_initiale", m.dureeMois, duree.value, duree.flags),
        "date_notification": c.take("date_notification", m.dateNotification, notified.value, notified.flags),
        "date_publication_donnees": c.take("date_publication_donnees", m.datePublicationDonnees,
                                           published.value, published.flags),
        "montant_initial": c.take("montant_initial", m.montant, amount.value, amount.flags),
    })
    if m.idAccordCadre is not UNSET:
        accord = clean_text(m.idAccordCadre, "idAccordCadre")
        row["id_accord_cadre"] = c.take("id_accord_cadre", m.idAccordCadre, accord.value, accord.flags)
    for key, column in (("tauxAvance", "taux_avance"), ("origineUE", "origine_ue"),
                        ("origineFrance", "origine_france")):
        value = getattr(m, key)
        if value is not UNSET:
            row[column] = float(value)
    if row.get("taux_avance") == 0 and m.attributionAvance:
        c.flags.append("tauxAvance:zero_inconnu")
    rec: dict[str, Any] = {}
    if m.modifications is not UNSET:
        rec["modifications"] = m.modifications
    if m.actesSousTraitance is not UNSET:
        rec["actesSousTraitance"] = m.actesSousTraitance
    if m.modificationsActesSousTraitance is not UNSET:
        rec["modificationsActesSousTraitance"] = m.modificationsActesSousTraitance
    return complete(row, c, rec, parts_ctx, titulaires, is_suspicious(amount.flags))
