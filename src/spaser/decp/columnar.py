"""The clean bulk of a JSON region, staged column by column as Arrow tables.

Why: on a national file the per-record work of :mod:`spaser.decp.fast_rows` (one call per rule and per value,
one tuple per row, then a transposition into columns) was most of the ingestion time (``bench/RESULTS.md``).
Here the decoded records are read a column at a time, each cleaning rule of :mod:`spaser.domain` runs once
per *distinct* value of a column (dates, CPV codes, buyers, durations and suppliers repeat a lot) and the
columns go to Arrow without a row ever being built.

The rules are the same functions, so the values are the same; a record for which any rule raises a flag is
handed back to the caller (with its decoded struct), which stages it through the tuple path or the general
normaliser, so the bookkeeping of flags and invalid values stays in one place. Modifications
(:mod:`columnar_mods`) and sub-contracting acts (:mod:`columnar_actes`) are staged here too.
``tests/unit/decp/test_columnar.py`` checks the tables equal the tuple path's rows, record by record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Sequence
from typing import Any, NamedTuple, TypeVar

import msgspec
import numpy as np
import pyarrow as pa

from spaser.decp.columnar_actes import Actes
from spaser.decp.columnar_mods import Modifications, clean_distinct, clean_parties
from spaser.decp.fast2022 import UNSET
from spaser.decp.fast_rows import COMPLETE, SimpleMarche, simple_decoder
from spaser.decp.normalise import contract_keys
from spaser.domain.cleaned import Cleaned
from spaser.domain.cpv import clean_cpv
from spaser.domain.dates import clean_date
from spaser.domain.duree import clean_duree_mois
from spaser.domain.montant import PLACEHOLDER_MIN, clean_montant
from spaser.domain.siret import clean_siret_mask
from spaser.domain.text import clean_text, plain_texts
from spaser.warehouse.schema import arrow_schema

ZERO_INCONNU = "tauxAvance:zero_inconnu"  # the only flag a record staged here may carry (changes no value)
_EPOCH = dt.date(1970, 1, 1).toordinal()
_RECORDS = arrow_schema("records")
_TITULAIRES = arrow_schema("titulaires")
_MODIFICATIONS = arrow_schema("modifications")
_ACTES = arrow_schema("actes_sous_traitance")

H = TypeVar("H", bound=Hashable)


class Bulk(NamedTuple):
    tables: dict[str, pa.Table]  # "records", "titulaires", "modifications"; empty when no record was staged
    staged: int  # records staged in ``tables``
    zero_inconnu: int  # how many of them carry ZERO_INCONNU
    rest: list[tuple[int, SimpleMarche | None]]  # (position in the region, struct if it decoded), in order


def bulk_rows(raws: Sequence[msgspec.Raw | bytes], record_indices: Sequence[int], uid_prefix: str,
              source: tuple[str, str, str], today: dt.date, aberrant: float) -> Bulk:
    """Stage the clean records of ``raws`` (records of one file, at ``record_indices`` in it); hand the others
    back by position in ``raws``."""
    structs: list[SimpleMarche] = []
    positions: list[int] = []
    rest: list[tuple[int, SimpleMarche | None]] = []
    decode = simple_decoder.decode
    for pos, raw in enumerate(raws):
        try:
            m = decode(raw)
        except (msgspec.ValidationError, msgspec.DecodeError):
            rest.append((pos, None))
            continue
        structs.append(m)
        positions.append(pos)
    if not structs:
        return Bulk({}, 0, 0, rest)
    staged = _Columns(structs, today, aberrant)
    if not staged.keep.all():
        rest.extend((positions[i], structs[i]) for i in np.flatnonzero(~staged.keep))
        rest.sort(key=lambda pair: pair[0])
    if not staged.count:
        return Bulk({}, 0, 0, rest)
    indices = [record_indices[positions[i]] for i in np.flatnonzero(staged.keep)]
    uids = [f"{uid_prefix}:{index}" for index in indices]
    tables = {"records": staged.records(uids, indices, source), "titulaires": staged.titulaires(uids),
              "modifications": staged.modifications_table(uids),
              "actes_sous_traitance": staged.actes.table(staged.keep, uids, _ACTES)}
    return Bulk(tables, staged.count, staged.zero_inconnu, rest)


class _Columns:
    """The columns of the records that every rule accepts without a flag (``keep``)."""

    def __init__(self, structs: list[SimpleMarche], today: dt.date, aberrant: float) -> None:
        n = len(structs)
        keep = np.ones(n, dtype=bool)

        def check(values: list[H], clean: Callable[[H], Cleaned[Any]]) -> dict[H, Any]:
            clean_values, flagged = clean_distinct(values, clean)
            if flagged:
                keep[np.fromiter((value in flagged for value in values), dtype=bool, count=n)] = False
            return clean_values

        def check_texts(values: list[Any], field: str) -> None:
            present = [value for value in values if value is not None]
            if not plain_texts(present):  # rare: find the values clean_text flags or changes (strips)
                flagged = {value for value in set(present) if clean_text(value, field) != (value, ())}
                keep[np.fromiter((value in flagged for value in values), dtype=bool, count=n)] = False

        acheteurs = [m.acheteur.id for m in structs]
        keep &= clean_siret_mask(acheteurs)
        ids = [m.id for m in structs]
        check_texts(ids, "id")
        objets = [m.objet for m in structs]
        check_texts(objets, "objet")
        lieux = [m.lieuExecution.code for m in structs]
        check_texts(lieux, "lieuExecution.code")
        accords = [None if m.idAccordCadre is UNSET else m.idAccordCadre for m in structs]
        check_texts(accords, "idAccordCadre")
        cpvs = [m.codeCPV for m in structs]
        cpv_roots = check(cpvs, clean_cpv)
        durees = [m.dureeMois for m in structs]
        check(durees, lambda value: clean_duree_mois(value, "dureeMois"))
        notified = [m.dateNotification for m in structs]
        notified_days = check(notified, lambda value: clean_date(value, "dateNotification", today))
        published = [m.datePublicationDonnees for m in structs]
        published_days = check(published, lambda value: clean_date(value, "datePublicationDonnees", today))
        montants = np.fromiter((m.montant for m in structs), dtype=np.float64, count=n)
        ordinary = (montants > 0) & (montants < min(PLACEHOLDER_MIN, aberrant))
        for i in np.flatnonzero(~ordinary):  # the rare large or odd amount: the rule itself decides
            if clean_montant(structs[i].montant, "montant", aberrant).flags:
                keep[i] = False
        enums = (
            [m.techniques.technique for m in structs],
            [m.modalitesExecution.modaliteExecution for m in structs],
            [m.typesPrix.typePrix for m in structs],
            [m.considerationsSociales.considerationSociale for m in structs],
            [m.considerationsEnvironnementales.considerationEnvironnementale for m in structs],
        )
        for lists in enums:  # a repeated item: the general path flags ``doublon``
            lengths = np.fromiter(map(len, lists), dtype=np.int64, count=n)
            for i in np.flatnonzero(lengths > 1):
                if len(set(lists[i])) != lengths[i]:
                    keep[i] = False
        parties = _Parties(structs, acheteurs)
        keep[parties.flagged_records] = False
        modifications = Modifications(structs, today, aberrant)
        keep[modifications.flagged_records] = False
        self.actes = Actes(structs, today, aberrant)
        keep[self.actes.flagged_records] = False

        self.keep = keep
        self.count = int(keep.sum())
        kept = np.flatnonzero(keep)
        kept_list = kept.tolist()

        def pick(values: list[Any]) -> list[Any]:
            return values if self.count == n else [values[i] for i in kept_list]

        self.structs = pick(structs)
        self.acheteurs, self.ids, self.objets = pick(acheteurs), pick(ids), pick(objets)
        self.cpvs = [cpv_roots[value] for value in pick(cpvs)]
        self.lieux, self.durees, self.accords = pick(lieux), pick(durees), pick(accords)
        self.notified = [notified_days[value] for value in pick(notified)]
        self.published = [published_days[value] for value in pick(published)]
        self.montants = montants[kept]
        self.enums = [pick(lists) for lists in enums]
        self.parties = parties.keep(keep)
        self.modifications = modifications.keep(keep, self.durees, self.montants.tolist())
        taux = [None if m.tauxAvance is UNSET else float(m.tauxAvance) for m in self.structs]
        self.taux = taux
        self.zero_flags = [t == 0 and m.attributionAvance for t, m in zip(taux, self.structs, strict=True)]
        self.zero_inconnu = sum(self.zero_flags)

    def records(self, uids: list[str], indices: list[int], source: tuple[str, str, str]) -> pa.Table:
        n = self.count
        structs = self.structs
        keys = contract_keys("marche", self.acheteurs, self.ids, self.notified, self.montants.tolist(),
                             self.parties.ids_by_record)
        name, path, sha = source
        mods = self.modifications
        montants = pa.array(self.montants, type=pa.float64())
        columns: dict[str, Any] = {
            "record_uid": uids,
            "contract_key": keys,
            "kind": pa.repeat("marche", n),
            "source_format": pa.repeat("2022", n),
            "source_name": pa.repeat(name, n),
            "source_path": pa.repeat(path, n),
            "source_sha256": pa.repeat(sha, n),
            "record_index": indices,
            "id": self.ids,
            "acheteur_id": self.acheteurs,
            "nature": [m.nature for m in structs],
            "objet": self.objets,
            "code_cpv": self.cpvs,
            "procedure": [m.procedure for m in structs],
            "techniques": self.enums[0],
            "modalites_execution": self.enums[1],
            "id_accord_cadre": self.accords,
            "marche_innovant": [m.marcheInnovant for m in structs],
            "ccag": [m.ccag for m in structs],
            "offres_recues": [m.offresRecues for m in structs],
            "attribution_avance": [m.attributionAvance for m in structs],
            "taux_avance": self.taux,
            "type_groupement_operateurs": [m.typeGroupementOperateurs for m in structs],
            "sous_traitance_declaree": [m.sousTraitanceDeclaree for m in structs],
            "lieu_execution_code": self.lieux,
            "lieu_execution_type_code": [m.lieuExecution.typeCode for m in structs],
            "duree_mois_initiale": self.durees,
            "duree_mois": mods.duree_mois,
            "date_notification": _dates(self.notified),
            "date_publication_donnees": _dates(self.published),
            "montant_initial": montants,
            "montant": mods.montant,
            "montant_suspect": pa.repeat(False, n),
            "forme_prix": [m.formePrix for m in structs],
            "types_prix": self.enums[2],
            "origine_ue": [None if m.origineUE is UNSET else float(m.origineUE) for m in structs],
            "origine_france": [None if m.origineFrance is UNSET else float(m.origineFrance) for m in structs],
            "considerations_sociales": self.enums[3],
            "considerations_environnementales": self.enums[4],
            "n_titulaires": self.parties.count_by_record,
            "n_modifications": mods.n_modifications,
            "date_derniere_modification": mods.derniere,
            "completeness": pa.repeat(COMPLETE, n),
            "quality_flags": [[ZERO_INCONNU] if flagged else [] for flagged in self.zero_flags],
        }
        return _table(columns, _RECORDS, n)

    def titulaires(self, uids: list[str]) -> pa.Table:
        """Initial titulaires, then those named by each modification (the tuple path's order)."""
        p = self.parties
        rows = list(zip(p.owners, [0] * len(p.owners), p.ranks, p.kinds, p.ids, p.valid, strict=True))
        if self.modifications.party_rows:
            rows = sorted(rows + self.modifications.party_rows, key=lambda row: (row[0], row[1], row[2]))
        n = len(rows)
        columns: dict[str, Any] = {
            "record_uid": [uids[row[0]] for row in rows],
            "modification_rank": [row[1] for row in rows],
            "rank": [row[2] for row in rows],
            "role": pa.repeat("titulaire", n),
            "type_identifiant": [row[3] for row in rows],
            "id": [row[4] for row in rows],
            "siret_valide": [row[5] for row in rows],
        }
        return _table(columns, _TITULAIRES, n)

    def modifications_table(self, uids: list[str]) -> pa.Table:
        rows = self.modifications.rows
        columns: dict[str, Any] = {
            "record_uid": [uids[row[0]] for row in rows],
            "rank": [row[1] for row in rows],
            "id": [row[2] for row in rows],
            "date_notification_modification": [row[3] for row in rows],
            "date_publication_donnees_modification": [row[4] for row in rows],
            "duree_mois": [row[5] for row in rows],
            "montant": [row[6] for row in rows],
            "n_titulaires": [row[7] for row in rows],
        }
        return _table(columns, _MODIFICATIONS, len(rows))


class _Parties:
    """The initial titulaires of the records, flat, with the records a titulaire rule flags."""

    def __init__(self, structs: list[SimpleMarche], acheteurs: list[str]) -> None:
        owners: list[int] = []
        titulaires: list[Any] = []
        for j, m in enumerate(structs):
            owners.extend([j] * len(m.titulaires))
            titulaires.extend(m.titulaires)
        clean = clean_parties([wrapper.titulaire.typeIdentifiant for wrapper in titulaires],
                              [wrapper.titulaire.id for wrapper in titulaires])
        ids = clean.ids
        flagged = {owners[i] for i in np.flatnonzero(clean.flagged).tolist()}
        # A titulaire equal to the buyer: the tuple path decides (the general path flags it).
        flagged.update(owner for owner, ident in zip(owners, ids, strict=True) if ident == acheteurs[owner])
        self.flagged_records = sorted(flagged)
        self.owners = owners
        self.ranks = [rank for m in structs for rank in range(1, len(m.titulaires) + 1)]
        self.ids = ids
        self.kinds = clean.kinds
        self.valid = clean.valid
        self.ids_by_record: list[list[str]] = []
        self.count_by_record: list[int] = []

    def keep(self, keep: np.ndarray) -> _Parties:
        """The titulaires of the kept records, owners renumbered, grouped ids per kept record."""
        renumber = np.cumsum(keep) - 1
        rows = [i for i, owner in enumerate(self.owners) if keep[owner]]
        self.owners = renumber[[self.owners[i] for i in rows]].tolist() if rows else []
        self.ranks = [self.ranks[i] for i in rows]
        self.ids = [self.ids[i] for i in rows]
        self.kinds = [self.kinds[i] for i in rows]
        self.valid = [self.valid[i] for i in rows]
        grouped: list[list[str]] = [[] for _ in range(int(keep.sum()))]
        for owner, ident in zip(self.owners, self.ids, strict=True):
            grouped[owner].append(ident)
        self.ids_by_record = grouped
        self.count_by_record = [len(ids) for ids in grouped]
        return self


def _dates(days: list[dt.date]) -> pa.Array:
    ordinals = np.fromiter((day.toordinal() - _EPOCH for day in days), dtype=np.int32, count=len(days))
    return pa.array(ordinals, type=pa.int32()).view(pa.date32())


def _table(columns: dict[str, Any], schema: pa.Schema, n: int) -> pa.Table:
    arrays = []
    for field in schema:
        values = columns.get(field.name)
        if values is None:
            arrays.append(pa.nulls(n, type=field.type))
        elif isinstance(values, pa.Array):
            arrays.append(values if values.type == field.type else values.cast(field.type))
        else:
            arrays.append(pa.array(values, type=field.type))
    return pa.Table.from_arrays(arrays, schema=schema)
