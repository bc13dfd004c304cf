"""The sub-contracting acts of a column-wise batch (:mod:`spaser.decp.columnar`), flat, in record order.

Why: 4 % of a national file's records declare acts; staged one by one they cost about twice a column-wise
record. The rules are those of the tuple path (``_actes`` in :mod:`spaser.decp.fast_rows`), each run once per
distinct value; a record one of whose acts any rule flags (a date after today included, which the tuple path
notes in ``invalid_values``) is handed back to it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pyarrow as pa

from spaser.decp.columnar_mods import clean_distinct, clean_parties, flatten
from spaser.decp.fast2022 import UNSET
from spaser.decp.fast_rows import SimpleMarche
from spaser.domain.dates import clean_date
from spaser.domain.duree import clean_duree_mois
from spaser.domain.montant import clean_montant


class Actes:
    def __init__(self, structs: list[SimpleMarche], today: dt.date, aberrant: float) -> None:
        owners, ranks, actes = flatten(structs, lambda m: () if m.actesSousTraitance is UNSET
                                       else [wrapper.acteSousTraitance for wrapper in m.actesSousTraitance])
        bad = np.zeros(len(actes), dtype=bool)
        parties = clean_parties([a.sousTraitant.typeIdentifiant for a in actes], [a.sousTraitant.id for a in actes],
                                "sousTraitant")
        bad |= parties.flagged
        ids = [str(a.id).strip() for a in actes]
        bad |= np.array([not ident for ident in ids], dtype=bool)
        durees = self._column([a.dureeMois for a in actes], bad,
                              lambda value: clean_duree_mois(value, "acteSousTraitance.dureeMois"))
        notified = self._column([a.dateNotification for a in actes], bad,
                                lambda value: clean_date(value, "acteSousTraitance.dateNotification", today))
        published = self._column([a.datePublicationDonnees for a in actes], bad,
                                 lambda value: clean_date(value, "acteSousTraitance.datePublicationDonnees", today))
        montants = self._column([a.montant for a in actes], bad,
                                lambda value: clean_montant(value, "acteSousTraitance.montant", aberrant))
        self.flagged_records = sorted({owners[i] for i in np.flatnonzero(bad).tolist()})
        self._rows = list(zip(owners, ranks, ids, parties.kinds, parties.ids, durees, notified, published, montants,
                              [a.variationPrix for a in actes], strict=True))

    @staticmethod
    def _column(values: list[Any], bad: np.ndarray, clean: Any) -> list[Any]:
        """The clean value of each item (None where a rule flags it, and ``bad`` set there)."""
        clean_values, flagged = clean_distinct(values, clean)
        if flagged:
            bad |= np.fromiter((value in flagged for value in values), dtype=bool, count=len(values))
        return [clean_values.get(value) for value in values]

    def table(self, keep: np.ndarray, uids: list[str], schema: pa.Schema) -> pa.Table:
        """The acts of the kept records (``uids``: the kept records' uids, in order)."""
        renumber = (np.cumsum(keep) - 1).tolist()
        rows = [row for row in self._rows if keep[row[0]]]
        columns = [[uids[renumber[row[0]]] for row in rows]]
        columns += [[row[k] for row in rows] for k in range(1, 10)]
        return pa.Table.from_arrays([pa.array(values, type=field.type) for values, field in zip(columns, schema,
                                                                                             strict=True)],
                                    schema=schema)
