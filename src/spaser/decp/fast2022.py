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

from typing import Annotated, Any, Literal, NamedTuple

import msgspec

from spaser.decp import enums
from spaser.decp.normalise import (
    COMPLETENESS_FIELDS,
    Collector,
    Normalised,
    RecordContext,
    complete,
    contract_key,
    json_text,
)
from spaser.decp.parts import PartsContext, read_titulaires
from spaser.decp.shapes import as_items
from spaser.domain.cpv import clean_cpv
from spaser.domain.dates import clean_date
from spaser.domain.duree import clean_duree_mois
from spaser.domain.montant import clean_montant, is_suspicious
from spaser.domain.siret import clean_acheteur_id, clean_identifiant
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


class _Strict(msgspec.Struct, forbid_unknown_fields=True):
    pass


class _Acheteur(_Strict):
    id: Text


class _Lieu(_Strict):
    code: Text
    typeCode: TypeCode


class _Techniques(_Strict):
    technique: Annotated[list[Technique], msgspec.Meta(min_length=1)]


class _Modalites(_Strict):
    modaliteExecution: Annotated[list[Modalite], msgspec.Meta(min_length=1)]


class _TypesPrix(_Strict):
    typePrix: Annotated[list[TypePrix], msgspec.Meta(min_length=1)]


class _Sociales(_Strict):
    considerationSociale: Annotated[list[Sociale], msgspec.Meta(min_length=1)]


class _Environnementales(_Strict):
    considerationEnvironnementale: Annotated[list[Environnementale], msgspec.Meta(min_length=1)]


class _MarcheCore(_Strict):
    """The required v2.0.3 marché fields whose values need no more than their type (both typed paths)."""

    id: Text
    acheteur: _Acheteur
    nature: Nature
    codeCPV: Text
    techniques: _Techniques
    modalitesExecution: _Modalites
    marcheInnovant: bool
    ccag: Ccag
    offresRecues: Annotated[int, msgspec.Meta(ge=1)]
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


class Marche2022(_MarcheCore):
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
    lists = (m.techniques.technique, m.modalitesExecution.modaliteExecution, m.typesPrix.typePrix,
             m.considerationsSociales.considerationSociale,
             m.considerationsEnvironnementales.considerationEnvironnementale)
    for values in lists:
        if len(values) > 1 and len(set(values)) != len(values):
            return None  # duplicates are flagged by the general path
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
    row: dict[str, Any] = {
        "record_uid": ctx.record_uid,
        "kind": "marche",
        "source_format": "hybrid" if hybrid else "2022",
        "source_name": ctx.source_name,
        "source_path": ctx.source_path,
        "source_sha256": ctx.source_sha256,
        "record_index": ctx.record_index,
        "id": contract_id,
        "acheteur_id": acheteur_id,
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
    }
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


# -- The simplest records, straight to staging tuples ---------------------------------------------------------
# Most national records have no modification and no sous-traitance, and every value already passes its
# cleaning rule. For those, the rules are still the ones of ``spaser.domain`` (called below), but no flag
# bookkeeping, dictionary or child reader is needed: the row is built as a tuple in the column order of
# ``warehouse/schema.py``. Any value a rule would flag or change sends the record back to the paths above.

TypeIdentifiant = Literal[enums.TYPE_IDENTIFIANT_2022]  # type: ignore[valid-type]


class _Titulaire(_Strict):
    typeIdentifiant: TypeIdentifiant
    id: Text


class _TitulaireWrapper(_Strict):
    titulaire: _Titulaire


VariationPrix = Literal[enums.VARIATION_PRIX]  # type: ignore[valid-type]


class _Modification(_Strict):
    id: int
    dateNotificationModification: Text
    datePublicationDonneesModification: Text
    dureeMois: int | Unset = UNSET
    montant: float | Unset = UNSET
    titulaires: Annotated[list[_TitulaireWrapper], msgspec.Meta(min_length=1)] | Unset = UNSET


class _ModificationWrapper(_Strict):
    modification: _Modification


class _SousTraitant(_Strict):
    typeIdentifiant: TypeIdentifiant
    id: Text


class _Acte(_Strict):
    id: int | Text
    sousTraitant: _SousTraitant
    dureeMois: int
    dateNotification: Text
    datePublicationDonnees: Text
    montant: float
    variationPrix: VariationPrix


class _ActeWrapper(_Strict):
    acteSousTraitance: _Acte


class SimpleMarche(_MarcheCore):
    """A clean v2.0.3 marché, with complete modifications and actes if any (the bulk of a national file)."""

    objet: Text
    titulaires: Annotated[list[_TitulaireWrapper], msgspec.Meta(min_length=1)]
    idAccordCadre: Text | Unset = UNSET
    tauxAvance: Share | Unset = UNSET
    origineUE: Share | Unset = UNSET
    origineFrance: Share | Unset = UNSET
    modifications: Annotated[list[_ModificationWrapper], msgspec.Meta(min_length=1)] | Unset = UNSET
    actesSousTraitance: Annotated[list[_ActeWrapper], msgspec.Meta(min_length=1)] | Unset = UNSET


simple_decoder = msgspec.json.Decoder(SimpleMarche)
_COMPLETE = len(COMPLETENESS_FIELDS)  # every completeness field is filled in a simple record


class SimpleRows(NamedTuple):
    record: tuple[Any, ...]
    titulaires: list[tuple[Any, ...]]
    modifications: list[tuple[Any, ...]]
    actes: list[tuple[Any, ...]]


class _Notes:
    """The flags a simple record may carry without any value changing: a date after today (kept, flagged
    ``future``) and tauxAvance 0 with an advance ("rate unknown"). Raw dates go to ``invalid_values`` exactly
    as the general path's bookkeeping does."""

    __slots__ = ("flags", "invalid")

    def __init__(self) -> None:
        self.flags: list[str] = []
        self.invalid: dict[str, Any] = {}

    def date(self, cleaned: Any, field: str, key: str, raw: str, first_only: bool = False) -> bool:
        """True when the date can be kept (clean, or only ``future``)."""
        if not cleaned.flags:
            return True
        if cleaned.flags != (f"{field}:future",):
            return False
        self.flags.append(cleaned.flags[0])
        if first_only:
            self.invalid.setdefault(key, raw)
        else:
            self.invalid[key] = raw
        return True


def _parties(wrappers: list[_TitulaireWrapper], uid: str, modification_rank: int, acheteur_id: str | None,
             out: list[tuple[Any, ...]]) -> list[str] | None:
    ids: list[str] = []
    for rank, wrapper in enumerate(wrappers, start=1):
        t = wrapper.titulaire
        kind, ident, flags, valid = clean_identifiant(t.typeIdentifiant, t.id, "titulaire")
        if flags or ident is None or (modification_rank == 0 and ident == acheteur_id):
            return None
        ids.append(ident)
        out.append((uid, modification_rank, rank, "titulaire", kind, ident, None, valid))
    return ids


def _modifications(m: SimpleMarche, uid: str, today: Any, aberrant: float, titulaires: list[tuple[Any, ...]],
                   notes: _Notes) -> list[tuple[Any, ...]] | None:
    """Rows of the modifications in the order they apply (their id sequence), as the general reader."""
    if m.modifications is UNSET:
        return []
    rows: list[tuple[Any, ...]] = []
    ordered = sorted(enumerate(m.modifications), key=lambda pair: (pair[1].modification.id, pair[0]))
    for rank, (_, wrapper) in enumerate(ordered, start=1):
        mod = wrapper.modification
        amount = None
        if mod.montant is not UNSET:
            cleaned_amount = clean_montant(mod.montant, "modification.montant", aberrant)
            if cleaned_amount.flags:
                return None
            amount = cleaned_amount.value
        duree = None
        if mod.dureeMois is not UNSET:
            cleaned_duree = clean_duree_mois(mod.dureeMois, "modification.dureeMois")
            if cleaned_duree.flags:
                return None
            duree = cleaned_duree.value
        notified = clean_date(mod.dateNotificationModification, "modification.dateNotificationModification", today)
        published = clean_date(mod.datePublicationDonneesModification,
                               "modification.datePublicationDonneesModification", today)
        if not (notes.date(notified, "modification.dateNotificationModification",
                           f"modifications[{rank}].dateNotificationModification", mod.dateNotificationModification)
                and notes.date(published, "modification.datePublicationDonneesModification",
                               f"modifications[{rank}].datePublicationDonneesModification",
                               mod.datePublicationDonneesModification)):
            return None
        n_parties = 0
        if mod.titulaires is not UNSET:
            if _parties(mod.titulaires, uid, rank, None, titulaires) is None:
                return None
            n_parties = len(mod.titulaires)
        rows.append((uid, rank, str(mod.id), None, notified.value, published.value, duree, amount, n_parties, None))
    return rows


def _actes(m: SimpleMarche, uid: str, today: Any, aberrant: float, notes: _Notes) -> list[tuple[Any, ...]] | None:
    if m.actesSousTraitance is UNSET:
        return []
    rows: list[tuple[Any, ...]] = []
    for rank, wrapper in enumerate(m.actesSousTraitance, start=1):
        acte = wrapper.acteSousTraitance
        st = acte.sousTraitant
        kind, ident, flags, _ = clean_identifiant(st.typeIdentifiant, st.id, "sousTraitant")
        duree = clean_duree_mois(acte.dureeMois, "acteSousTraitance.dureeMois")
        notified = clean_date(acte.dateNotification, "acteSousTraitance.dateNotification", today)
        published = clean_date(acte.datePublicationDonnees, "acteSousTraitance.datePublicationDonnees", today)
        amount = clean_montant(acte.montant, "acteSousTraitance.montant", aberrant)
        acte_id = str(acte.id).strip()
        if flags or duree.flags or amount.flags or not acte_id:
            return None
        if not (notes.date(notified, "acteSousTraitance.dateNotification", "acteSousTraitance.dateNotification",
                           acte.dateNotification, first_only=True)
                and notes.date(published, "acteSousTraitance.datePublicationDonnees",
                               "acteSousTraitance.datePublicationDonnees", acte.datePublicationDonnees,
                               first_only=True)):
            return None
        rows.append((uid, rank, acte_id, kind, ident, duree.value, notified.value, published.value, amount.value,
                     acte.variationPrix))
    return rows


def simple_rows(raw: bytes | msgspec.Raw, uid: str, index: int, source: tuple[str, str, str], today: Any,
                aberrant: float) -> SimpleRows | None:
    """The staging tuples of a clean record; ``None`` when a rule has something to say about it."""
    try:
        m = simple_decoder.decode(raw)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None
    lists = (m.techniques.technique, m.modalitesExecution.modaliteExecution, m.typesPrix.typePrix,
             m.considerationsSociales.considerationSociale,
             m.considerationsEnvironnementales.considerationEnvironnementale)
    for values in lists:
        if len(values) > 1 and len(set(values)) != len(values):
            return None
    buyer = clean_acheteur_id(m.acheteur.id)
    cid = clean_text(m.id, "id")
    objet = clean_text(m.objet, "objet")
    cpv = clean_cpv(m.codeCPV)
    lieu = clean_text(m.lieuExecution.code, "lieuExecution.code")
    duree = clean_duree_mois(m.dureeMois, "dureeMois")
    amount = clean_montant(m.montant, "montant", aberrant)
    notified = clean_date(m.dateNotification, "dateNotification", today)
    published = clean_date(m.datePublicationDonnees, "datePublicationDonnees", today)
    if buyer.flags or cid.flags or objet.flags or cpv.flags or lieu.flags or duree.flags or amount.flags:
        return None  # a rule has something to say: the general bookkeeping records it
    notes = _Notes()
    if not (notes.date(notified, "dateNotification", "date_notification", m.dateNotification)
            and notes.date(published, "datePublicationDonnees", "date_publication_donnees",
                           m.datePublicationDonnees)):
        return None
    taux = None if m.tauxAvance is UNSET else float(m.tauxAvance)
    if taux == 0 and m.attributionAvance:
        notes.flags.append("tauxAvance:zero_inconnu")  # 2022 format: 0 with an advance means "rate unknown"
    accord = None
    if m.idAccordCadre is not UNSET:
        cleaned_accord = clean_text(m.idAccordCadre, "idAccordCadre")
        if cleaned_accord.flags:
            return None
        accord = cleaned_accord.value
    acheteur_id = buyer.value
    titulaires: list[tuple[Any, ...]] = []
    ids = _parties(m.titulaires, uid, 0, acheteur_id, titulaires)
    if ids is None:
        return None
    n_titulaires = len(titulaires)
    modifications = _modifications(m, uid, today, aberrant, titulaires, notes)
    actes = _actes(m, uid, today, aberrant, notes)
    if modifications is None or actes is None:
        return None
    montant = amount.value
    key = contract_key("marche", acheteur_id, cid.value, notified.value, montant, ids)
    origine_ue = None if m.origineUE is UNSET else float(m.origineUE)
    origine_france = None if m.origineFrance is UNSET else float(m.origineFrance)
    current_montant, current_duree, last_date = montant, duree.value, None
    for mod in modifications:
        if mod[7] is not None:
            current_montant = mod[7]
        if mod[6] is not None:
            current_duree = mod[6]
        mod_date = mod[4] or mod[5]
        if mod_date is not None and (last_date is None or mod_date > last_date):
            last_date = mod_date
    name, path, sha = source
    record: tuple[Any, ...] = (
        uid, key, "marche", "2022", name, path, sha, index, cid.value, None, None, acheteur_id, None, m.nature,
        objet.value, cpv.value, m.procedure, list(lists[0]), list(lists[1]), accord, m.marcheInnovant, m.ccag,
        m.offresRecues, m.attributionAvance, taux, m.typeGroupementOperateurs, m.sousTraitanceDeclaree,
        lieu.value, m.lieuExecution.typeCode, None, duree.value, current_duree, notified.value,
        published.value, None, montant, current_montant, None, False, m.formePrix, list(lists[2]), origine_ue,
        origine_france, list(lists[3]), list(lists[4]), n_titulaires, len(modifications), last_date, _COMPLETE,
        sorted(set(notes.flags)), json_text(notes.invalid) if notes.invalid else None, None,
    )
    return SimpleRows(record, titulaires, modifications, actes)
