"""Who publishes and who is awarded: buyers, suppliers, the CPV pool and the notification calendar.

These are drawn once per file, before any record, from the main generator: they fix the Zipf-like
concentration of the national file (a few buyers and suppliers account for many records) and the
identifiers every record refers to. Records only index into them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .cpv import make_cpv_pool
from .enumerations import DEPARTEMENTS
from .identifiers import (
    BUYER_PREFIX_W,
    BUYER_PREFIXES,
    SUPPLIER_PREFIX_W,
    SUPPLIER_PREFIXES,
    foreign_vat,
    fr_vat,
    hors_ue_id,
    make_sirets,
)
from .sampling import day_cdf, zipf_cdf
from .settings import N_BUYERS, N_SUPPLIERS


@dataclass
class Population:
    """The buyers, suppliers and CPV codes of one file, with the frequency (cdf) each is drawn with."""

    buyers: list[str]
    buyer_cdf: np.ndarray
    buyer_dept: list[str]
    buyer_idfmt: list[int]
    suppliers: list[dict[str, str]]
    supplier_cdf: np.ndarray
    # shared, never mutated (defects replace list items instead of editing them)
    wrapped_suppliers: list[dict[str, dict[str, str]]]
    cpv_codes: list[str]
    cpv_cats: list[int]
    cpv_cdf: np.ndarray
    cpv_zero_div: list[str]
    day_cdf: np.ndarray

    @classmethod
    def draw(cls, rng: np.random.Generator) -> Population:
        """The population of one file; the order of the draws on ``rng`` is part of the seed's output."""
        buyers = make_sirets(rng, BUYER_PREFIXES, BUYER_PREFIX_W, N_BUYERS, nic_max=250)
        rng.shuffle(buyers)
        buyer_cdf = zipf_cdf(N_BUYERS, 1.0, 3.0)
        buyer_dept = [DEPARTEMENTS[i] for i in rng.integers(0, len(DEPARTEMENTS), N_BUYERS).tolist()]
        buyer_idfmt = rng.integers(0, 8, N_BUYERS).tolist()

        sirets = make_sirets(rng, SUPPLIER_PREFIXES, SUPPLIER_PREFIX_W, N_SUPPLIERS, nic_max=900)
        rng.shuffle(sirets)
        suppliers: list[dict[str, str]] = []
        kinds = rng.random(N_SUPPLIERS)
        for s, k in zip(sirets, kinds.tolist(), strict=True):
            if k < 0.012:
                ident = {"typeIdentifiant": "TVA", "id": foreign_vat(rng)}
            elif k < 0.015:
                ident = {"typeIdentifiant": "TVA", "id": fr_vat(s[:9])}
            elif k < 0.019:
                ident = {"typeIdentifiant": "HORS-UE", "id": hors_ue_id(rng)}
            else:
                ident = {"typeIdentifiant": "SIRET", "id": s}
            suppliers.append(ident)
        supplier_cdf = zipf_cdf(N_SUPPLIERS, 0.85, 10.0)
        wrapped_suppliers = [{"titulaire": s} for s in suppliers]

        cpv_codes, cpv_cats, cpv_cdf = make_cpv_pool(rng)
        cpv_zero_div = [c for c in cpv_codes if c.startswith("0")]
        return cls(
            buyers=buyers,
            buyer_cdf=buyer_cdf,
            buyer_dept=buyer_dept,
            buyer_idfmt=buyer_idfmt,
            suppliers=suppliers,
            supplier_cdf=supplier_cdf,
            wrapped_suppliers=wrapped_suppliers,
            cpv_codes=cpv_codes,
            cpv_cats=cpv_cats,
            cpv_cdf=cpv_cdf,
            cpv_zero_div=cpv_zero_div,
            day_cdf=day_cdf(),
        )
