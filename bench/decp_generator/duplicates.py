"""Records that share an identity: republications (duplicates to merge) and lots (contracts to keep apart).

The national file republishes ~5 % of its records (exact copies, later publication dates, one more
modification) and splits procedures into lots that share a buyer and an ``id`` but differ in montant,
titulaires and objet. Deduplication must merge the first and never the second, so both are generated
here side by side, from the clean records already written, and counted in the truth.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
import numpy as np

from .enumerations import DUP_CDF, DUP_KINDS
from .records import modification
from .sampling import UniformPool, draw
from .settings import DATE_ORIGIN, DATES, MAX_DAY, RESERVOIR_SIZE, Json
from .truth import Truth
from .vocabulary import LOT_NAMES


class Reservoir:
    """A uniform sample (reservoir sampling, algorithm R) of the clean records already written, encoded."""

    def __init__(self, pool: UniformPool) -> None:
        self.pool = pool
        self.items: list[bytes] = []
        self.seen = 0
        self.encoder = msgspec.json.Encoder()

    def __bool__(self) -> bool:
        return bool(self.items)

    def remember(self, rec: Json) -> None:
        self.seen += 1
        if len(self.items) < RESERVOIR_SIZE:
            self.items.append(self.encoder.encode(rec))
        else:
            j = int(self.pool.u() * self.seen)
            if j < RESERVOIR_SIZE:
                self.items[j] = self.encoder.encode(rec)


class Republisher:
    """Republications of remembered records, of a kind drawn with ``DUP_CDF``."""

    def __init__(self, rng: np.random.Generator, pool: UniformPool, truth: Truth) -> None:
        self.rng = rng
        self.pool = pool
        self.truth = truth
        self.decoder = msgspec.json.Decoder()

    def republish(self, reservoir: Reservoir, concession: bool) -> Json:
        """A republication of a record of ``reservoir`` (concessions: exact copies only)."""
        rng = self.rng
        rec: Json = self.decoder.decode(reservoir.items[int(rng.integers(0, len(reservoir.items)))])
        kind = "exact" if concession else DUP_KINDS[int(draw(rng, DUP_CDF, 1)[0])]
        if kind == "later_publication":
            d = rec["datePublicationDonnees"]
            day = (dt.date.fromisoformat(d) - DATE_ORIGIN).days
            rec["datePublicationDonnees"] = DATES[min(day + int(rng.integers(1, 120)), MAX_DAY)]
            if rec["datePublicationDonnees"] == d:  # clipped at the end of the calendar
                kind = "exact"
        elif kind == "extra_modification":
            mods = rec.get("modifications", [])
            last_day = (dt.date.fromisoformat(rec["dateNotification"]) - DATE_ORIGIN).days
            base_m = float(rec["montant"])
            if mods:
                last = mods[-1]["modification"]
                last_day = (dt.date.fromisoformat(last["dateNotificationModification"]) - DATE_ORIGIN).days
                base_m = float(last.get("montant", base_m))
            mod, _ = modification(self.pool, len(mods) + 1, last_day, round(base_m * 1.08, 2), None, None)
            rec["modifications"] = [*mods, mod]
        self.truth.duplicates[kind] += 1
        self.truth.duplicates["total"] += 1
        return rec


class LotMaker:
    """Groups of 2-4 consecutive records of one buyer sharing an ``id``: distinct contracts, never merged."""

    def __init__(self, truth: Truth) -> None:
        self.truth = truth
        self.head: Json | None = None
        self.index = 0
        self.montants: set[Any] = set()

    def make(self, fresh: Json, head: bool) -> Json:
        """``fresh`` as the first lot of a new group (``head``) or as the next lot of the current one."""
        if head or self.head is None:
            self.head = fresh
            self.index = 1
            self.montants = {fresh["montant"]}
            self.truth.lot_groups += 1
        else:
            self.index += 1
            h = self.head
            for key in (
                "id",
                "acheteur",
                "nature",
                "procedure",
                "techniques",
                "modalitesExecution",
                "dateNotification",
                "datePublicationDonnees",
                "lieuExecution",
                "ccag",
                "considerationsSociales",
                "considerationsEnvironnementales",
            ):
                fresh[key] = h[key]
            while fresh["montant"] in self.montants:  # lots differ in montant: never merge them
                fresh["montant"] = fresh["montant"] + 1
            self.montants.add(fresh["montant"])
        name = LOT_NAMES[(self.index * 7 + len(fresh["objet"])) % len(LOT_NAMES)]
        fresh["objet"] = f"Lot n°{self.index} : {name} – {fresh['objet']}"
        self.truth.lot_records += 1
        return fresh
