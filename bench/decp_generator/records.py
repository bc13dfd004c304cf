"""Clean marché records: one batch of fresh records, with their sub-contracting acts and modifications.

This is the bulk of the file and of the generation time, so the fields are drawn per batch with numpy
(one call per field) and only assembled in the Python loop; the scalar draws of the loop come from the
``UniformPool``. The order of the draws is the seed's output: changing it changes every file. Records
are built clean here; duplicates, lots and defects are derived from them elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .enumerations import (
    ACCORD_CADRE_TECHNIQUES,
    ACTES_COUNT_CDF,
    CCAG_CDF_BY_CAT,
    CCAGS,
    CONS_ENV,
    CONS_ENV_CDF,
    CONS_SOC,
    CONS_SOC_CDF,
    DUREE_CDF,
    DUREES,
    FORME_PRIX_CDF,
    FORMES_PRIX,
    GROUPEMENTS,
    LIEU_TYPE_CDF,
    LIEU_TYPES,
    MODALITE_CDF_AC,
    MODALITE_CDF_OTHER,
    MODALITES,
    N_TITULAIRES_CDF,
    NATURE_CDF,
    NATURES,
    PROCEDURE_CDF,
    PROCEDURES,
    REGIONS,
    TAUX_AVANCE,
    TAUX_AVANCE_CDF,
    TECHNIQUE_CDF,
    TECHNIQUES,
    TYPES_PRIX,
    TYPES_PRIX_CDF,
    VARIATIONS,
)
from .identifiers import ContractIds
from .population import Population
from .sampling import UniformPool, draw, make_cdf
from .settings import DATES, MAX_DAY, N_SUPPLIERS, Json
from .truth import Truth
from .vocabulary import OBJETS, SUFFIXES


def modification(
    pool: UniformPool,
    seq: int,
    day: int,
    montant: float | None,
    duree: int | None,
    titulaires: list[Any] | None,
) -> tuple[dict[str, Json], int]:
    """One wrapped modification notified 20-400 days after ``day``; also returns its notification day."""
    d = min(day + pool.randint(20, 400), MAX_DAY)
    mod: Json = {"id": seq}
    if duree is not None:
        mod["dureeMois"] = duree
    if montant is not None:
        mod["montant"] = montant
    if titulaires is not None:
        mod["titulaires"] = titulaires
    mod["dateNotificationModification"] = DATES[d]
    mod["datePublicationDonneesModification"] = DATES[min(d + pool.randint(0, 45), MAX_DAY)]
    return {"modification": mod}, d


class MarcheBuilder:
    """Builds fresh marché records from the file's population; counts what it adds in ``truth``."""

    def __init__(
        self, rng: np.random.Generator, pool: UniformPool, population: Population, ids: ContractIds, truth: Truth
    ) -> None:
        self.rng = rng
        self.pool = pool
        self.population = population
        self.ids = ids
        self.truth = truth

    def _lieu(self, buyer: int, kind: int, r: int) -> dict[str, str]:
        dept = self.population.buyer_dept[buyer]
        typ = LIEU_TYPES[kind]
        if kind == 0:
            code = (
                f"{dept}{r % 1000:03d}"
                if len(dept) == 2 and dept[1].isdigit()
                else (f"{dept}{r % 100:02d}" if len(dept) == 3 else f"20{r % 1000:03d}")
            )
        elif kind == 1:
            code = f"{dept}{r % 1000:03d}" if len(dept) == 2 else f"{dept}{r % 100:02d}"
        elif kind == 2:
            code = dept
        elif kind == 3:
            code = REGIONS[r % len(REGIONS)]
        else:
            code = "FR"
        return {"code": code, "typeCode": typ}

    def _titulaires(self, idx: Sequence[int]) -> list[dict[str, dict[str, str]]]:
        w = self.population.wrapped_suppliers
        return [w[i] for i in idx]

    # -- fresh marché batch ----------------------------------------------------------------------------

    def batch(self, n: int) -> list[Json]:
        """``n`` fresh, clean marché records (each field drawn for the whole batch at once)."""
        rng = self.rng
        if n == 0:
            return []
        buyers = draw(rng, self.population.buyer_cdf, n).tolist()
        n_tit = (draw(rng, N_TITULAIRES_CDF, n) + 1).tolist()
        sup = draw(rng, self.population.supplier_cdf, 3 * n).reshape(n, 3).tolist()
        cpv = draw(rng, self.population.cpv_cdf, n).tolist()
        day = draw(rng, self.population.day_cdf, n)
        delay = np.where(
            rng.random(n) < 0.45,
            rng.integers(0, 8, n),
            np.where(rng.random(n) < 0.75, rng.integers(8, 46, n), rng.integers(46, 91, n)),
        )
        pub = np.minimum(day + delay, MAX_DAY).tolist()
        day_l = day.tolist()
        montant = np.clip(rng.lognormal(np.log(90_000.0), 1.25, n), 1_000.0, 5e8)
        round_int = rng.random(n)
        montant = np.where(
            round_int < 0.3,
            np.round(montant, -2),
            np.where(round_int < 0.55, np.round(montant), np.round(montant, 2)),
        )
        montant_l = montant.tolist()
        montant_is_int = (round_int < 0.55).tolist()
        duree = np.asarray(DUREES)[draw(rng, DUREE_CDF, n)]
        rand_duree = rng.random(n) < 0.05
        duree = np.where(rand_duree, rng.integers(1, 121, n), duree).tolist()
        nature = draw(rng, NATURE_CDF, n).tolist()
        proc = draw(rng, PROCEDURE_CDF, n).tolist()
        tech = draw(rng, TECHNIQUE_CDF, n).tolist()
        u_mod = rng.random(n)
        mod_ac = np.minimum(np.searchsorted(MODALITE_CDF_AC, u_mod, side="right"), len(MODALITES) - 1).tolist()
        mod_ot = np.minimum(np.searchsorted(MODALITE_CDF_OTHER, u_mod, side="right"), len(MODALITES) - 1).tolist()
        cats = np.asarray(self.population.cpv_cats, dtype=np.int64)[np.asarray(cpv)]
        u_ccag = rng.random(n)
        ccag = np.zeros(n, dtype=np.int64)
        for c, cdf in enumerate(CCAG_CDF_BY_CAT):
            mask = cats == c
            ccag[mask] = np.minimum(np.searchsorted(cdf, u_ccag[mask], side="right"), len(CCAGS) - 1)
        ccag_l = ccag.tolist()
        innov = (rng.random(n) < 0.012).tolist()
        offres = np.where(rng.random(n) < 0.24, 1, 1 + rng.geometric(0.28, n)).clip(1, 60).tolist()
        avance = (rng.random(n) < 0.35).tolist()
        taux = draw(rng, TAUX_AVANCE_CDF, n).tolist()
        groupement_u = rng.random(n).tolist()
        st_u = rng.random(n).tolist()
        lieu_kind = draw(rng, LIEU_TYPE_CDF, n).tolist()
        lieu_r = rng.integers(0, 1_000_000, n).tolist()
        types_prix = draw(rng, TYPES_PRIX_CDF, n).tolist()
        forme = draw(rng, FORME_PRIX_CDF, n).tolist()
        origine_u = rng.random(n).tolist()
        origine_fr = np.round(rng.choice([0.0, 0.3, 0.5, 0.8, 0.9, 1.0, -1.0], n), 2)
        origine_fr = np.where(origine_fr < 0, np.round(rng.random(n), 2), origine_fr)
        origine_ue = np.minimum(1.0, np.round(origine_fr + rng.random(n) * (1 - origine_fr), 2))
        ofr_l = origine_fr.tolist()
        oue_l = origine_ue.tolist()
        soc = draw(rng, CONS_SOC_CDF, n).tolist()
        env = draw(rng, CONS_ENV_CDF, n).tolist()
        obj_i = rng.integers(0, 1_000_000, n).tolist()
        suffix = rng.integers(0, len(SUFFIXES), n).tolist()
        text_u = rng.random(n).tolist()
        n_mods = np.where(rng.random(n) < 0.15, draw(rng, make_cdf([60.0, 28.0, 12.0]), n) + 1, 0).tolist()
        has_actes = (rng.random(n) < 0.05).tolist()
        subseq_u = rng.random(n).tolist()

        out: list[Json] = []
        cpv_codes = self.population.cpv_codes
        cpv_cats = self.population.cpv_cats
        buyers_ids = self.population.buyers
        for i in range(n):
            b = buyers[i]
            cat = cpv_cats[cpv[i]]
            d = day_l[i]
            notif = DATES[d]
            year = int(notif[:4])
            t = tech[i]
            is_ac = t in ACCORD_CADRE_TECHNIQUES
            nt = n_tit[i]
            tit_idx = sup[i][:nt]
            if nt > 1 and len(set(tit_idx)) < nt:  # the same supplier twice (top of the Zipf law)
                tit_idx = list(dict.fromkeys(tit_idx))
                while len(tit_idx) < nt:
                    tit_idx.append((tit_idx[-1] + 7919) % N_SUPPLIERS)
            if nt == 1:
                grp = GROUPEMENTS[0 if groupement_u[i] < 0.97 else (1 if groupement_u[i] < 0.99 else 2)]
            else:
                grp = GROUPEMENTS[1 if groupement_u[i] < 0.55 else 2]
            objs = OBJETS[cat]
            objet = objs[obj_i[i] % len(objs)] + SUFFIXES[suffix[i]]
            tu = text_u[i]
            if tu < 0.004:
                objet = objet + "\nMarché notifié le " + notif
            elif tu < 0.05:
                objet = objet.replace("'", "’")
            m = montant_l[i]
            rec: Json = {
                "id": self.ids.next(b, year),
                "acheteur": {"id": buyers_ids[b]},
                "nature": NATURES[nature[i]],
                "objet": objet,
                "codeCPV": cpv_codes[cpv[i]],
                "techniques": TECHNIQUES[t],
                "modalitesExecution": MODALITES[mod_ac[i] if is_ac else mod_ot[i]],
            }
            if not is_ac and subseq_u[i] < 0.08:
                rec["idAccordCadre"] = f"AC{(year - 1) % 100:02d}{obj_i[i] % 10_000:04d}"
            rec["marcheInnovant"] = innov[i]
            rec["ccag"] = CCAGS[ccag_l[i]]
            rec["offresRecues"] = offres[i]
            rec["attributionAvance"] = avance[i]
            rec["tauxAvance"] = TAUX_AVANCE[taux[i]] if avance[i] else 0
            rec["typeGroupementOperateurs"] = grp
            rec["sousTraitanceDeclaree"] = has_actes[i] or st_u[i] < 0.07
            rec["procedure"] = PROCEDURES[proc[i]]
            rec["lieuExecution"] = self._lieu(b, lieu_kind[i], lieu_r[i])
            rec["dureeMois"] = duree[i]
            rec["dateNotification"] = notif
            rec["datePublicationDonnees"] = DATES[pub[i]]
            rec["montant"] = int(m) if montant_is_int[i] else m
            rec["typesPrix"] = TYPES_PRIX[types_prix[i]]
            rec["formePrix"] = FORMES_PRIX[forme[i]]
            if origine_u[i] < 0.4:
                rec["origineUE"] = oue_l[i]
                rec["origineFrance"] = ofr_l[i]
            rec["titulaires"] = self._titulaires(tit_idx)
            rec["considerationsSociales"] = CONS_SOC[soc[i]]
            rec["considerationsEnvironnementales"] = CONS_ENV[env[i]]
            if has_actes[i]:
                self._add_actes(rec, d, m, duree[i])
            if n_mods[i]:
                self._add_modifications(rec, d, m, duree[i], n_mods[i])
            out.append(rec)
        return out

    def _add_actes(self, rec: Json, day: int, montant: float, duree: int) -> None:
        pool = self.pool
        k = 1 + pool.pick(ACTES_COUNT_CDF)
        actes = []
        offs = [pool.randint(0, 120) for _ in range(k)]
        shares = [0.03 + 0.27 * pool.u() for _ in range(k)]
        for j in range(k):
            sub = self.population.suppliers[self.supplier()]
            d = min(day + offs[j], MAX_DAY)
            actes.append(
                {
                    "acteSousTraitance": {
                        "id": j + 1,
                        "sousTraitant": {"id": sub["id"], "typeIdentifiant": sub["typeIdentifiant"]},
                        "dureeMois": max(1, duree - int(offs[j] / 30)),
                        "dateNotification": DATES[d],
                        "datePublicationDonnees": DATES[min(d + pool.randint(0, 30), MAX_DAY)],
                        "montant": round(float(montant) * shares[j], 2),
                        "variationPrix": VARIATIONS[pool.randint(0, 3)],
                    }
                }
            )
        rec["actesSousTraitance"] = actes
        self.truth.with_actes_sous_traitance += 1
        if pool.u() < 0.15:
            d = min(day + offs[0] + pool.randint(30, 300), MAX_DAY)
            rec["modificationsActesSousTraitance"] = [
                {
                    "modificationActeSousTraitance": {
                        "id": 1,
                        "dureeMois": max(1, duree - int(offs[0] / 30)) + 6,
                        "dateNotificationModificationSousTraitance": DATES[d],
                        "montant": round(float(montant) * shares[0] * 1.1, 2),
                        "datePublicationDonnees": DATES[min(d + pool.randint(0, 30), MAX_DAY)],
                    }
                }
            ]

    def supplier(self) -> int:
        """One supplier index drawn with the Zipf-like frequencies."""
        i = int(np.searchsorted(self.population.supplier_cdf, self.pool.u(), side="right"))
        return min(i, N_SUPPLIERS - 1)

    def _add_modifications(self, rec: Json, day: int, montant: float, duree: int, k: int) -> None:
        pool = self.pool
        mods = []
        cur_m = float(montant)
        cur_d = duree
        for seq in range(1, k + 1):
            u = pool.u()
            new_m: float | None = None
            new_d: int | None = None
            tits = None
            if u < 0.75:
                cur_m = round(cur_m * (1.01 + 0.24 * pool.u()), 2)
                new_m = cur_m
            if u > 0.55:
                cur_d = cur_d + (1, 3, 6, 12)[pool.randint(0, 4)]
                new_d = cur_d
            if pool.u() < 0.05:
                tits = self._titulaires([self.supplier()])
            mod, day = modification(pool, seq, day, new_m, new_d, tits)
            mods.append(mod)
        rec["modifications"] = mods
        self.truth.with_modifications += 1
