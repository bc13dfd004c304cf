"""The simplest clean records, straight to staging tuples (the bulk of a national file).

Most national records pass every cleaning rule unchanged. For those, the rules are still the ones of
``spaser.domain`` (called below), but no dictionary, flag bookkeeping or child reader is needed: the rows
are built as tuples in the column order of ``warehouse/schema.py``. The only flags such a record may carry are
those that change no value (a date after today, an unknown advance rate). Any value a rule would flag
otherwise sends the record back to :mod:`spaser.decp.fast2022` or the general normaliser.
``tests/unit/decp/test_fast2022.py`` checks the tuples equal the general path's rows.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, NamedTuple

import msgspec

from spaser.decp import enums
from spaser.decp.fast2022 import UNSET, MarcheCore, Share, StrictStruct, Text, Unset
from spaser.decp.normalise import COMPLETENESS_FIELDS, contract_key, json_text
from spaser.domain.cpv import clean_cpv
from spaser.domain.dates import clean_date
from spaser.domain.duree import clean_duree_mois
from spaser.domain.montant import clean_montant
from spaser.domain.siret import clean_acheteur_id, clean_identifiant
from spaser.domain.text import clean_text
from spaser.warehouse.schema import column_names

TypeIdentifiant = Literal[enums.TYPE_IDENTIFIANT_2022]  # type: ignore[valid-type]


class _Titulaire(StrictStruct):
    typeIdentifiant: TypeIdentifiant
    id: Text


class _TitulaireWrapper(StrictStruct):
    titulaire: _Titulaire


VariationPrix = Literal[enums.VARIATION_PRIX]  # type: ignore[valid-type]


class _Modification(StrictStruct):
    id: int
    dateNotificationModification: Text
    datePublicationDonneesModification: Text
    dureeMois: int | Unset = UNSET
    montant: float | Unset = UNSET
    titulaires: Annotated[list[_TitulaireWrapper], msgspec.Meta(min_length=1)] | Unset = UNSET


class _ModificationWrapper(StrictStruct):
    modification: _Modification


class _SousTraitant(StrictStruct):
    typeIdentifiant: TypeIdentifiant
    id: Text


class _Acte(StrictStruct):
    id: int | Text
    sousTraitant: _SousTraitant
    dureeMois: int
    dateNotification: Text
    datePublicationDonnees: Text
    montant: float
    variationPrix: VariationPrix


class _ActeWrapper(StrictStruct):
    acteSousTraitance: _Acte


class SimpleMarche(MarcheCore):
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
COMPLETE = len(COMPLETENESS_FIELDS)  # every completeness field is filled in a simple record


_FLAGS = column_names("records").index("quality_flags")


class SimpleRows(NamedTuple):
    record: tuple[Any, ...]
    titulaires: list[tuple[Any, ...]]
    modifications: list[tuple[Any, ...]]
    actes: list[tuple[Any, ...]]

    @property
    def quality_flags(self) -> list[str]:
        flags: list[str] = self.record[_FLAGS]
        return flags


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
        amount = None if mod.montant is UNSET else clean_montant(mod.montant, "modification.montant", aberrant)
        duree = None if mod.dureeMois is UNSET else clean_duree_mois(mod.dureeMois, "modification.dureeMois")
        if (amount is not None and amount.flags) or (duree is not None and duree.flags):
            return None
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
        rows.append((uid, rank, str(mod.id), None, notified.value, published.value,
                     None if duree is None else duree.value, None if amount is None else amount.value, n_parties,
                     None))
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
    return struct_rows(m, uid, index, source, today, aberrant)


def struct_rows(m: SimpleMarche, uid: str, index: int, source: tuple[str, str, str], today: Any,
                aberrant: float) -> SimpleRows | None:
    """:func:`simple_rows` of an already decoded record."""
    lists = m.enum_lists()
    if lists is None:
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
    accord = None if m.idAccordCadre is UNSET else clean_text(m.idAccordCadre, "idAccordCadre")
    if accord is not None and accord.flags:
        return None
    accord_id = None if accord is None else accord.value
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
        objet.value, cpv.value, m.procedure, list(lists[0]), list(lists[1]), accord_id, m.marcheInnovant, m.ccag,
        m.offresRecues, m.attributionAvance, taux, m.typeGroupementOperateurs, m.sousTraitanceDeclaree,
        lieu.value, m.lieuExecution.typeCode, None, duree.value, current_duree, notified.value,
        published.value, None, montant, current_montant, None, False, m.formePrix, list(lists[2]), origine_ue,
        origine_france, list(lists[3]), list(lists[4]), n_titulaires, len(modifications), last_date, COMPLETE,
        sorted(set(notes.flags)), json_text(notes.invalid) if notes.invalid else None, None,
    )
    return SimpleRows(record, titulaires, modifications, actes)
