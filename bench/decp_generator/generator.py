"""The generator of one file: the plan of the marché list and the chunks of records that follow it.

This module only orchestrates. It owns the two random generators of a seed (``rng`` for the vectorised
and structural draws, ``pool`` for the scalar draws of the record loop), fixes up-front which slot of the
marché list gets a fresh record, a duplicate, a lot, a defect... so that the injected counts are exact,
and hands each slot to the module that builds it. The order in which it calls them is part of the
seed's output.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .concessions import fresh_concession
from .defects import DefectInjector
from .duplicates import LotMaker, Republisher, Reservoir
from .identifiers import ContractIds
from .population import Population
from .records import MarcheBuilder
from .sampling import UniformPool
from .settings import (
    CHUNK_SLOTS,
    SHARE_CONCESSIONS,
    SHARE_DEFECTIVE,
    SHARE_DUPLICATES,
    SHARE_LOT_RECORDS,
    SHARE_NON_OBJECT,
    SHARE_UNIDENTIFIABLE,
)
from .truth import Truth

# Slot kinds of the marché list plan.
K_NEW = 0
K_DUP = 1
K_DEFECT = 2
K_UNIDENT = 3
K_NONOBJ = 4
K_LOT_HEAD = 5
K_LOT = 6


def plan_marches(rng: np.random.Generator, n_records: int, n_marche: int) -> np.ndarray:
    """One kind (``K_*``) per slot of the marché list, fixed up-front so the counts are exact."""
    n = n_marche
    plan = np.zeros(n, dtype=np.int8)
    if n < 20:
        return plan
    total = n_records
    k_dup = round(total * SHARE_DUPLICATES * n_marche / total)
    k_def = round(total * SHARE_DEFECTIVE)
    k_unid = max(1, round(total * SHARE_UNIDENTIFIABLE))
    k_nonobj = max(1, round(total * SHARE_NON_OBJECT))
    # duplicates need an original before them: keep them out of the first slots
    first_dup = min(200, n // 10)
    dup_pos = first_dup + rng.choice(n - first_dup, size=min(k_dup, n - first_dup), replace=False)
    plan[dup_pos] = K_DUP
    free = np.flatnonzero(plan == K_NEW)
    others = rng.choice(free, size=min(k_def + k_unid + k_nonobj, len(free)), replace=False)
    plan[others[:k_def]] = K_DEFECT
    plan[others[k_def : k_def + k_unid]] = K_UNIDENT
    plan[others[k_def + k_unid :]] = K_NONOBJ
    # lots: runs of 2-4 consecutive fresh slots
    target = round(total * SHARE_LOT_RECORDS)
    sizes = rng.choice([2, 3, 4], size=max(1, target // 2), p=[0.55, 0.3, 0.15])
    starts = rng.integers(0, n - 4, size=len(sizes))
    placed = 0
    for start, size in zip(starts.tolist(), sizes.tolist(), strict=True):
        if placed >= target:
            break
        if np.all(plan[start : start + size] == K_NEW):
            plan[start] = K_LOT_HEAD
            plan[start + 1 : start + size] = K_LOT
            placed += size
    return plan


class DecpGenerator:
    """The records of one file for ``n_records`` and ``seed``, produced chunk by chunk (marchés, then concessions)."""

    def __init__(self, n_records: int, seed: int) -> None:
        self.n_records = n_records
        self.rng = np.random.default_rng(seed)
        self.seed = seed
        self.pool = UniformPool(np.random.default_rng([seed, 1]))
        self.n_conc = min(n_records, max(1, round(n_records * SHARE_CONCESSIONS))) if n_records >= 10 else 0
        self.n_marche = n_records - self.n_conc
        self.truth = Truth(records=n_records, marches=self.n_marche, concessions=self.n_conc)

        self.population = Population.draw(self.rng)
        self.ids = ContractIds(self.population.buyer_idfmt)
        self.marche_builder = MarcheBuilder(self.rng, self.pool, self.population, self.ids, self.truth)
        self.defects = DefectInjector(self.rng, self.population.cpv_zero_div, self.truth)
        self.republisher = Republisher(self.rng, self.pool, self.truth)
        self.lots = LotMaker(self.truth)
        self.reservoir = Reservoir(self.pool)
        self.conc_reservoir = Reservoir(self.pool)
        self.plan = plan_marches(self.rng, n_records, self.n_marche)

    def marche_chunks(self) -> Iterator[list[Any]]:
        """The marché list, chunk by chunk, following the plan."""
        for start in range(0, self.n_marche, CHUNK_SLOTS):
            kinds = self.plan[start : start + CHUNK_SLOTS].tolist()
            n_fresh = sum(1 for k in kinds if k not in (K_DUP, K_NONOBJ))
            fresh = iter(self.marche_builder.batch(n_fresh))
            out: list[Any] = []
            for k in kinds:
                if k == K_NEW:
                    rec = next(fresh)
                    self.reservoir.remember(rec)
                elif k == K_DUP:
                    rec = self.republisher.republish(self.reservoir, concession=False)
                elif k in (K_LOT_HEAD, K_LOT):
                    rec = self.lots.make(next(fresh), head=k == K_LOT_HEAD)
                    self.reservoir.remember(rec)
                elif k == K_DEFECT:
                    rec = next(fresh)
                    self.defects.apply(rec)
                elif k == K_UNIDENT:
                    rec = self.defects.unidentifiable(next(fresh))
                else:
                    rec = self.defects.non_object()
                out.append(rec)
            yield out

    def concession_chunks(self) -> Iterator[list[Any]]:
        """The concession list, chunk by chunk; ~5 % of it are exact republications."""
        k_dup = round(self.n_conc * SHARE_DUPLICATES)
        dup_slots = (
            set(
                self.rng.choice(
                    np.arange(min(self.n_conc, 5), self.n_conc),
                    size=min(k_dup, max(0, self.n_conc - 5)),
                    replace=False,
                ).tolist()
            )
            if self.n_conc > 5
            else set()
        )
        out: list[Any] = []
        for i in range(self.n_conc):
            if i in dup_slots and self.conc_reservoir:
                rec = self.republisher.republish(self.conc_reservoir, concession=True)
            else:
                rec = fresh_concession(self.rng, self.population, self.ids)
                self.conc_reservoir.remember(rec)
            out.append(rec)
            if len(out) >= CHUNK_SLOTS:
                yield out
                out = []
        if out:
            yield out
