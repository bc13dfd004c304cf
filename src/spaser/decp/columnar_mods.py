"""The modifications of a column-wise batch (:mod:`spaser.decp.columnar`), flat, in the order they apply.

Same rules as the tuple path (``_modifications`` in :mod:`spaser.decp.fast_rows`): modifications apply in the
order of their ``id`` (then of their position), a record whose modification a rule flags is handed back, and the
current duration and amount are those of the last modification that sets them.

Also the two helpers every column-wise module shares: :func:`clean_distinct` (a rule once per distinct value)
and :func:`clean_parties` (titulaires and sub-contractors).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Iterable
from typing import Any, NamedTuple, TypeVar

import numpy as np

from spaser.decp.fast2022 import UNSET
from spaser.decp.fast_rows import SimpleMarche
from spaser.domain.cleaned import Cleaned
from spaser.domain.dates import clean_date
from spaser.domain.duree import clean_duree_mois
from spaser.domain.montant import clean_montant
from spaser.domain.siret import clean_identifiant, clean_siret_mask

H = TypeVar("H", bound=Hashable)


def clean_distinct(values: list[H], clean: Callable[[H], Cleaned[Any]]) -> tuple[dict[H, Any], set[H]]:
    """Clean each distinct value once: (clean value of each clean input, inputs that raised a flag)."""
    clean_values: dict[H, Any] = {}
    flagged: set[H] = set()
    for value in set(values):
        cleaned = clean(value)
        if cleaned.flags:
            flagged.add(value)
        else:
            clean_values[value] = cleaned.value
    return clean_values, flagged


class CleanParties(NamedTuple):
    kinds: list[str]  # typeIdentifiant after cleaning
    ids: list[str]
    valid: list[bool]  # siret_valide
    flagged: np.ndarray  # positions a rule flags (their record goes to the tuple path)


def clean_parties(kinds: list[str], ids: list[str], field: str = "titulaire") -> CleanParties:
    """Clean (typeIdentifiant, id) pairs: clean SIRETs at once (~97 % of a national file), every other distinct
    pair through :func:`clean_identifiant` (TVA numbers, HORS-UE identifiers: ~2 % of the records, which went
    down the tuple path before)."""
    siret = clean_siret_mask(ids)
    if kinds.count("SIRET") != len(kinds):
        siret &= np.array([kind == "SIRET" for kind in kinds], dtype=bool)
    flagged = np.zeros(len(ids), dtype=bool)
    valid = [True] * len(ids)
    if siret.all():
        return CleanParties(kinds, ids, valid, flagged)
    kinds, ids = list(kinds), list(ids)
    cleaned: dict[tuple[str, str], tuple[str | None, str | None, tuple[str, ...], bool]] = {}
    for i in np.flatnonzero(~siret).tolist():
        pair = (kinds[i], ids[i])
        if pair not in cleaned:
            cleaned[pair] = clean_identifiant(*pair, field)
        kind, ident, flags, is_valid = cleaned[pair]
        if flags or ident is None or kind is None:
            flagged[i] = True
        else:
            kinds[i], ids[i], valid[i] = kind, ident, is_valid
    return CleanParties(kinds, ids, valid, flagged)


def flatten(structs: list[SimpleMarche], children: Callable[[SimpleMarche], Iterable[Any]]
            ) -> tuple[list[int], list[int], list[Any]]:
    """Each record's children (modifications, acts) in one flat list, in the order ``children`` gives them:
    (position of the record, rank from 1 within it, child)."""
    owners: list[int] = []
    ranks: list[int] = []
    items: list[Any] = []
    for j, m in enumerate(structs):
        for rank, item in enumerate(children(m), start=1):
            owners.append(j)
            ranks.append(rank)
            items.append(item)
    return owners, ranks, items


def _in_order(m: SimpleMarche) -> list[Any]:
    """A record's modifications in the order they apply: by ``id``, then by position."""
    if m.modifications is UNSET:
        return []
    ordered = sorted(enumerate(m.modifications), key=lambda pair: (pair[1].modification.id, pair[0]))
    return [wrapper.modification for _, wrapper in ordered]


class Modifications:
    def __init__(self, structs: list[SimpleMarche], today: dt.date, aberrant: float) -> None:
        owners, ranks, mods = flatten(structs, _in_order)
        flagged: set[int] = set()
        notified_days = self._dates(owners, [mod.dateNotificationModification for mod in mods],
                                    "modification.dateNotificationModification", today, flagged)
        published_days = self._dates(owners, [mod.datePublicationDonneesModification for mod in mods],
                                     "modification.datePublicationDonneesModification", today, flagged)
        durees = [None if mod.dureeMois is UNSET else mod.dureeMois for mod in mods]
        for owner, duree in zip(owners, durees, strict=True):
            if duree is not None and clean_duree_mois(duree, "modification.dureeMois").flags:
                flagged.add(owner)
        montants = [None if mod.montant is UNSET else float(mod.montant) for mod in mods]
        for owner, montant in zip(owners, montants, strict=True):
            if montant is not None and clean_montant(montant, "modification.montant", aberrant).flags:
                flagged.add(owner)
        # Titulaires set by a modification: (record, modification rank, rank in the list, type, id, valid).
        places: list[tuple[int, int, int]] = []
        kinds: list[str] = []
        ids: list[str] = []
        for owner, rank, mod in zip(owners, ranks, mods, strict=True):
            if mod.titulaires is not UNSET:
                for position, wrapper in enumerate(mod.titulaires, start=1):
                    places.append((owner, rank, position))
                    kinds.append(wrapper.titulaire.typeIdentifiant)
                    ids.append(wrapper.titulaire.id)
        clean = clean_parties(kinds, ids)
        flagged.update(places[i][0] for i in np.flatnonzero(clean.flagged).tolist())
        parties = [(*place, kind, ident, valid)
                   for place, kind, ident, valid in zip(places, clean.kinds, clean.ids, clean.valid, strict=True)]
        self.flagged_records = sorted(flagged)
        self.owners, self.ranks, self.mods = owners, ranks, mods
        self.notified = [notified_days.get(mod.dateNotificationModification) for mod in mods]
        self.published = [published_days.get(mod.datePublicationDonneesModification) for mod in mods]
        self.durees, self.montants = durees, montants
        self.parties = parties

    @staticmethod
    def _dates(owners: list[int], values: list[str], field: str, today: dt.date, flagged: set[int]) -> dict[str, Any]:
        days, bad = clean_distinct(values, lambda value: clean_date(value, field, today))
        if bad:
            flagged.update(owner for owner, value in zip(owners, values, strict=True) if value in bad)
        return days

    def keep(self, keep: np.ndarray, initial_durees: list[Any], initial_montants: list[float]) -> Modifications:
        """Only the kept records' modifications, owners renumbered; the per-record current values."""
        renumber = (np.cumsum(keep) - 1).tolist()
        rows = [i for i, owner in enumerate(self.owners) if keep[owner]]
        count = len(initial_durees)
        self.n_modifications = [0] * count
        self.duree_mois = list(initial_durees)
        self.montant: list[float | None] = list(initial_montants)
        self.derniere: list[Any] = [None] * count
        for i in rows:
            j = renumber[self.owners[i]]
            self.n_modifications[j] += 1
            if self.durees[i] is not None:
                self.duree_mois[j] = self.durees[i]
            if self.montants[i] is not None:
                self.montant[j] = self.montants[i]
            day = self.notified[i] or self.published[i]
            if day is not None and (self.derniere[j] is None or day > self.derniere[j]):
                self.derniere[j] = day
        n_parties = [0] * len(self.owners)  # titulaires named by each modification
        positions = {(owner, rank): i for i, (owner, rank) in enumerate(zip(self.owners, self.ranks, strict=True))}
        for owner, rank, *_ in self.parties:
            n_parties[positions[(owner, rank)]] += 1
        self.rows = [(renumber[self.owners[i]], self.ranks[i], str(self.mods[i].id), self.notified[i],
                      self.published[i], self.durees[i], self.montants[i], n_parties[i]) for i in rows]
        self.party_rows = [(renumber[owner], rank, position, kind, ident, valid)
                           for owner, rank, position, kind, ident, valid in self.parties if keep[owner]]
        return self
