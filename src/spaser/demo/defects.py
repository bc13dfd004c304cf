"""What makes the demonstration look like real DECP files: a few quality defects, and a second file that
republishes some contracts (duplicates across files).

* Defects, each on a handful of records so that the quality page has content: a missing notification date, the
  placeholder amount 999 999 999, a titulaire SIRET whose Luhn key is wrong, a CPV code that lost its leading
  zero (7 digits), a notification date with a time-zone suffix.
* The second file is the lycées' buyer-profile export: their 2025-2026 contracts are published there only, and
  some 2024 contracts of the Région and the lycées are republished there too: exact copies, copies with a later
  publication date, copies carrying one more modification. Ingestion counts them as duplicates.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
from typing import Final

from spaser.demo.contracts import Generated
from spaser.demo.identity import break_key
from spaser.demo.period import LAST_DATE, iso, later

DEFECTS: Final = (("date_manquante", 3), ("montant_placeholder", 3), ("siret_invalide", 4), ("cpv_7_chiffres", 2),
                  ("date_fuseau_horaire", 2))
REPUBLISHED: Final = (("copie_exacte", 30), ("publication_ulterieure", 10), ("modification_ajoutee", 5))


def inject_defects(rng: random.Random, contracts: list[Generated]) -> None:
    """Damage a few single-lot, unmodified marchés in place (``Generated.defect`` names the defect)."""
    for defect, count in DEFECTS:
        candidates = [g for g in contracts if g.kind == "marche" and g.lots == 1 and g.defect is None
                      and "modifications" not in g.record and g.buyer.spec.kind != "lycee"]
        if defect == "cpv_7_chiffres":
            candidates = [g for g in candidates if str(g.record["codeCPV"]).startswith("0")]
        if defect == "siret_invalide":
            candidates = [g for g in candidates if g.record["titulaires"][0]["titulaire"]["typeIdentifiant"] == "SIRET"]
        for victim in rng.sample(candidates, min(count, len(candidates))):
            victim.defect = defect
            record = victim.record
            if defect == "date_manquante":
                del record["dateNotification"]
            elif defect == "montant_placeholder":
                record["montant"] = 999999999
            elif defect == "siret_invalide":
                titulaire = record["titulaires"][0]["titulaire"]
                titulaire["id"] = break_key(titulaire["id"])
            elif defect == "cpv_7_chiffres":
                record["codeCPV"] = str(record["codeCPV"])[1:]
            else:
                record["dateNotification"] = str(record["dateNotification"]) + "+01:00"


def split_files(rng: random.Random, contracts: list[Generated]) -> tuple[list[Generated], list[Generated], int]:
    """(main file, buyer-profile file, duplicates): the lycées' recent contracts move to the second file, and some
    2024 contracts of the Région and the lycées are republished in it."""
    profile = [g for g in contracts if g.buyer.spec.kind == "lycee" and g.date.year >= 2025]
    moved = {id(g) for g in profile}
    main = [g for g in contracts if id(g) not in moved]
    pool = [g for g in main if g.kind == "marche" and g.defect is None and g.date.year == 2024
            and g.buyer.spec.kind in ("region", "lycee")]
    chosen = rng.sample(pool, min(sum(n for _, n in REPUBLISHED), len(pool)))
    duplicates = 0
    for how, count in REPUBLISHED:
        for original in chosen[:count]:
            record = copy.deepcopy(original.record)
            if how == "publication_ulterieure":
                published = dt.date.fromisoformat(record["datePublicationDonnees"])
                record["datePublicationDonnees"] = iso(later(published, rng.randint(10, 40)))
            elif how == "modification_ajoutee":
                _add_modification(rng, record, original.date)
            profile.append(Generated(record, original.kind, original.buyer, original.date, original.sector))
            duplicates += 1
        chosen = chosen[count:]
    return main, profile, duplicates


def _add_modification(rng: random.Random, record: dict[str, object], day: dt.date) -> None:
    mods = record.get("modifications")
    existing: list[dict[str, dict[str, object]]] = list(mods) if isinstance(mods, list) else []
    when = later(day, rng.randint(90, 500))
    if when >= LAST_DATE:
        return
    montant = record["montant"]
    for mod in existing:  # the amount in force is the last one set
        montant = mod["modification"].get("montant", montant)
    assert isinstance(montant, int | float)
    existing.append({"modification": {
        "id": len(existing) + 1, "montant": round(float(montant) * 1.04, 2),
        "dateNotificationModification": iso(when),
        "datePublicationDonneesModification": iso(later(when, rng.randint(5, 30)))}})
    record["modifications"] = existing
